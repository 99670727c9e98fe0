"""The console's page as a page, apart from any story: the headers it is served with, its assets'
caching, the sign-in screen in the browser (no console error, no CSP violation, axe, both
widths), where the tokens are kept after signing in, and names full of HTML shown as text.

Every browser test is watched (harness.ConsoleTestCase): a console error, an uncaught exception
or a CSP violation in any page fails it. Run by infra/scripts/console-test.sh (`make test`).
"""

import re
import unittest
import urllib.error
import urllib.request

from playwright.sync_api import expect

from harness import (
    API,
    NARROW,
    PASSWORD,
    PLATFORM,
    ROOT,
    ROOT_PASSWORD,
    WIDE,
    Api,
    ConsoleTestCase,
    assert_accessible,
    assert_no_horizontal_scroll,
    screenshot,
    seed_tenant,
    sign_in,
    sign_in_form,
    unique,
)

# An asset's URL in the page: /console/assets/<build>/<file>.
ASSET = re.compile(r"""(?:src|href)=["']?(/console/assets/[^"'\s>]+/[^"'\s>/]+)""")
# A year: what "cache forever" means to browsers and CDNs.
IMMUTABLE_MAX_AGE = 365 * 24 * 3600


def fetch(path):
    """`GET path` without a browser: (status, headers, body text)."""
    try:
        with urllib.request.urlopen(API + path, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode(errors="replace")


def csp_directives(header):
    """A CSP header as {directive: [source, ...]}."""
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


class TheConsoleIsServedSafely(unittest.TestCase):
    def setUp(self):
        self.status, self.headers, self.html = fetch("/console")
        self.assertEqual(self.status, 200, self.html)

    def test_the_page_is_html_with_a_strict_csp_nosniff_and_a_referrer_policy(self):
        self.assertRegex(self.headers["Content-Type"], r"^text/html\s*(;|$)")
        csp = self.headers.get("Content-Security-Policy")
        self.assertIsNotNone(csp, "no Content-Security-Policy header")
        directives = csp_directives(csp)
        self.assertEqual(directives.get("default-src"), ["'self'"], csp)
        for words in directives.values():
            for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*"):
                self.assertNotIn(unsafe, words, csp)
        # What default-src does not cover: framing (clickjacking) and <base>.
        self.assertTrue(
            directives.get("frame-ancestors") == ["'none'"]
            or self.headers.get("X-Frame-Options", "").upper() == "DENY",
            f"the page may be framed: {csp}",
        )
        self.assertIn(directives.get("base-uri"), (["'none'"], ["'self'"]), csp)
        self.assertEqual(self.headers.get("X-Content-Type-Options"), "nosniff")
        self.assertTrue(self.headers.get("Referrer-Policy"), "no Referrer-Policy header")

    def test_the_page_has_no_inline_script_or_style_or_handler(self):
        # The CSP would block them (the browser tests would see the violation); this names them.
        self.assertNotRegex(self.html, r"<script(?![^>]*\bsrc=)[^>]*>", "an inline <script>")
        self.assertNotRegex(self.html, r"<style\b", "an inline <style>")
        self.assertNotRegex(self.html, r"\son[a-z]+\s*=", "an inline event handler")
        self.assertNotRegex(self.html, r"\sstyle\s*=", "an inline style attribute")

    def test_assets_are_cached_forever_and_an_unknown_one_is_404(self):
        assets = sorted(set(ASSET.findall(self.html)))
        self.assertTrue(assets, f"no /console/assets/<build>/<file> URL in the page:\n{self.html}")
        kinds = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
        for asset in assets:
            with self.subTest(asset=asset):
                status, headers, body = fetch(asset)
                self.assertEqual(status, 200, body[:300])
                cache = headers.get("Cache-Control", "")
                self.assertIn("immutable", cache, cache)
                max_age = re.search(r"max-age=(\d+)", cache)
                self.assertTrue(max_age and int(max_age[1]) >= IMMUTABLE_MAX_AGE, cache)
                self.assertEqual(headers.get("X-Content-Type-Options"), "nosniff")
                kind = kinds.get(asset[asset.rfind(".") :])
                if kind:
                    self.assertEqual(headers.get_content_type(), kind)
        build = assets[0].rsplit("/", 1)[0]
        status, headers, body = fetch(f"{build}/no-such-asset.js")
        self.assertEqual(status, 404, body[:300])
        self.assertNotIn("immutable", headers.get("Cache-Control", ""))


class TheSignInScreen(ConsoleTestCase):
    def test_loads_clean_and_accessible_at_both_widths(self):
        for width in (NARROW, WIDE):
            with self.subTest(width=width):
                page = self.new_page(width)
                for field in sign_in_form(page):
                    expect(field).to_be_visible()
                page.wait_for_load_state("networkidle")
                assert_no_horizontal_scroll(page, f"sign-in at {width} px")
                screenshot(page, "sign-in")
                assert_accessible(page, "sign-in")

    def test_a_wrong_password_is_refused_on_the_page_and_nothing_is_stored(self):
        page = self.new_page()
        # chromium logs the 401 of /auth/login as a console error: expected here.
        self.watchdog(page).allow_http(401, "/auth/login")
        answer = sign_in(page, PLATFORM, ROOT, "not-the-password-1", wait=False)
        self.assertIsNone(answer)
        expect(page.get_by_role("alert")).to_be_visible()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        self.assertEqual(page.evaluate("Object.keys(localStorage)"), [])
        self.assertEqual(page.evaluate("Object.keys(sessionStorage)"), [])


class TheTokens(ConsoleTestCase):
    def test_after_signing_in_nothing_is_in_local_storage_nor_the_access_token_anywhere(self):
        page = self.new_page()
        token = sign_in(page, PLATFORM, ROOT, ROOT_PASSWORD)
        self.assertIsNotNone(token, "the console's login was refused")
        access = token["access_token"]
        self.assertEqual(page.evaluate("Object.keys(localStorage)"), [])
        stored = page.evaluate(
            "Object.entries(sessionStorage).map(([k, v]) => k + '=' + v).join('\\n')"
        )
        self.assertNotIn(access, stored, "the access token is in sessionStorage")
        self.assertNotIn(access, page.evaluate("document.cookie"), "the access token is a cookie")
        self.assertEqual(page.context.cookies(), [], "the console set cookies")
        # The password is not kept either.
        self.assertNotIn(ROOT_PASSWORD, stored)
        # A reload keeps the session at most through the refresh token: it must still work or
        # show the sign-in form, without any error (the watchdog).
        page.reload()
        signed_in = page.get_by_role("button", name="Sign out", exact=True)
        signed_out = page.get_by_role("button", name="Sign in", exact=True)
        expect(signed_in.or_(signed_out).first).to_be_visible()
        self.assertEqual(page.evaluate("Object.keys(localStorage)"), [])


class NamesFullOfHtml(ConsoleTestCase):
    # Usernames are [a-z0-9._@+'-] only (shared/accounts/src/input.rs), so the HTML goes in the
    # email (no whitespace allowed: `/` separates the attributes) and the tenant's display name.
    EMAIL = '<img/src="x"/onerror=window.__xss=1>@x.test'
    TENANT_NAME = "<img src=x onerror=window.__xss=1> & <b>bold</b>"

    def test_are_shown_as_text(self):
        api = Api()
        seeded = seed_tenant(api, prefix="xss", name=self.TENANT_NAME)
        tenant, owner_token = seeded["tenant"], seeded["owner_token"]
        username = unique("html")
        api.create_user(tenant, owner_token, username, self.EMAIL)
        page = self.new_page()
        sign_in(page, tenant, seeded["owner_username"], PASSWORD)
        # The users list, the user's own screen, the tenant's screen.
        row = page.get_by_role("row").filter(has_text=username)
        expect(row.get_by_text(self.EMAIL, exact=True)).to_be_visible()
        self.assert_no_html_became_elements(page, "the users list")
        screenshot(page, "users-html-names")
        row.get_by_role("link", name=username).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(username)
        expect(page.get_by_text(self.EMAIL, exact=True)).to_be_visible()
        self.assert_no_html_became_elements(page, "the user's screen")
        nav = page.get_by_role("navigation", name="Main")
        nav.get_by_role("link", name="Tenant", exact=True).click()
        expect(page.get_by_text(self.TENANT_NAME, exact=True)).to_be_visible()
        self.assert_no_html_became_elements(page, "the tenant's screen")

    def assert_no_html_became_elements(self, page, where):
        """Neither payload became an element, and its handler never ran."""
        self.assertIsNone(page.evaluate("window.__xss"), where)
        injected = page.evaluate(
            """[...document.querySelectorAll('img, b')]
                 .filter((e) => e.getAttribute('src') === 'x' || e.hasAttribute('onerror')
                                || e.textContent === 'bold')
                 .map((e) => e.outerHTML)"""
        )
        self.assertEqual(injected, [], f"HTML from the API became elements in {where}")


if __name__ == "__main__":
    unittest.main()
