"""The console's stories, in the browser, against the dev server: deleting people safely.

An admin tries to delete another admin, the owner and herself and sees each reason; a super
admin deletes an admin; the owner deletes Ben while Ben's own browser is open, and Ben's page
drops to sign-in; Ben waits in the trash with his days left and is restored; he is deleted and
purged after his username is typed, and the name can be used again; ownership moves, and the
audit log says so. Also: names full of HTML stay text on every screen, a 503 and a conflict
offer "Try again", and each screen passes axe at 360 and 1,440 px.

Every page is watched (harness.ConsoleTestCase): a console error, an uncaught exception or a
CSP violation fails the test, except the API refusals a test provokes on purpose, each
forgiven by name (`allow_http`). Run by infra/scripts/console-test.sh (`make test`).
"""

import datetime
import json
import re
import unittest

from playwright.sync_api import expect

from harness import (
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
    unique,
)

# -- the cast and the screens, shared with test_rules.py ------------------------------------------


def seed_cast(api, prefix="acme", name=None):
    """A fresh tenant with its owner, two admins (ada, max), an agent (sam) and a user (ben),
    each with a unique username: a dict with `tenant`, `owner_token`, and per part (`owner`,
    `ada`, `max`, `sam`, `ben`) the user as the API answered it."""
    seeded = seed_tenant(api, prefix=prefix, name=name)
    tenant, token = seeded["tenant"], seeded["owner_token"]
    cast = {"tenant": tenant, "owner_token": token, "owner": seeded["owner"]}
    for part, role in (("ada", "admin"), ("max", "admin"), ("sam", "agent"), ("ben", "user")):
        username = unique(part)
        cast[part] = api.create_user(tenant, token, username, f"{username}@{tenant}.test", role)
    return cast


def nav(page, name):
    """Follows a link of the main navigation and waits for its screen's heading."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        {"Audit log": "Audit log", "Your account": "Your account"}.get(name, name)
    )


def show(page, route):
    """Goes to a route of the console (`/users/<id>`) within the page, as a link would."""
    page.evaluate("(route) => { location.hash = route; }", f"#{route}")


def open_user(page, user):
    """The user's screen, once its heading names them."""
    show(page, f"/users/{user['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(user["username"])


def open_tenant(page, tenant):
    """A super admin opens `tenant` by id on the Tenants screen and lands on its users."""
    nav(page, "Tenants")
    page.get_by_label("Tenant id", exact=True).fill(tenant)
    page.get_by_role("button", name="Open tenant", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")


def reason(button):
    """The refusal a denied control shows: (its aria-disabled, the sentence linked by
    aria-describedby, that sentence's data-code); (None, None, None) for an enabled one."""
    return button.evaluate(
        """(b) => {
             const why = b.getAttribute('aria-describedby');
             const el = why && document.getElementById(why);
             return [b.getAttribute('aria-disabled'), el ? el.textContent : null,
                     el ? el.dataset.code : null];
           }"""
    )


def status(page):
    """The confirmation the console shows after an action."""
    return page.get_by_role("status")


def allow_root_lookup(test, page):
    """The audit log names root (who created the tenant) by id: root is no user of the tenant,
    so looking its name up there is `404`, as the page expects."""
    root_id = test.api.get("/me", test.api.root_token())["id"]
    test.watchdog(page).allow_http(404, f"/users/{root_id}")


class Stories(ConsoleTestCase):
    def setUp(self):
        super().setUp()
        self.cast = seed_cast(self.api)
        self.tenant = self.cast["tenant"]

    def sign_in_as(self, part, width=WIDE):
        page = self.new_page(width)
        sign_in(page, self.tenant, self.cast[part]["username"], PASSWORD)
        return page

    def test_an_admin_sees_why_she_cannot_delete_another_admin_the_owner_or_herself(self):
        page = self.sign_in_as("ada")
        sentences = {
            "max": ("admin_cannot_delete_admin", "Admins cannot delete other admins. Only a super admin can."),
            "owner": ("owner_protected", "The tenant owner cannot be deleted, demoted or have their password reset. Transfer ownership to another admin first."),
            "ada": ("cannot_delete_self", "You cannot delete your own account."),
        }
        for part, (code, sentence) in sentences.items():
            with self.subTest(target=part):
                open_user(page, self.cast[part])
                delete = page.get_by_role("button", name="Delete user", exact=True)
                expect(delete).to_be_visible()
                self.assertEqual(reason(delete), ["true", sentence, code])
                expect(page.get_by_text(sentence, exact=True).first).to_be_visible()
                # Refused: disabled for Playwright too (aria-disabled), yet focusable, and
                # pressing it does nothing: no dialog.
                expect(delete).to_be_disabled()
                delete.focus()
                page.keyboard.press("Enter")
                page.keyboard.press("Space")
                expect(page.get_by_role("dialog")).to_have_count(0)
                screenshot(page, f"story-ada-denied-{part}")
        # And nothing was deleted.
        for part in ("max", "owner", "ada"):
            user = self.api.get_user(self.tenant, self.cast["owner_token"], self.cast[part]["id"])
            self.assertEqual(user["state"], "active")

    def test_a_super_admin_deletes_an_admin(self):
        page = self.new_page()
        sign_in(page, PLATFORM, ROOT, ROOT_PASSWORD)
        open_tenant(page, self.tenant)
        max_ = self.cast["max"]
        open_user(page, max_)
        delete = page.get_by_role("button", name="Delete user", exact=True)
        self.assertEqual(reason(delete), [None, None, None])
        delete.click()
        dialog = page.get_by_role("dialog", name=f"Delete {max_['username']}?")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Confirm delete", exact=True).click()
        expect(dialog).to_have_count(0)
        expect(status(page)).to_contain_text(f"{max_['username']} is deleted")
        expect(status(page)).to_contain_text("every session of theirs ended")
        expect(page.get_by_role("button", name="Restore user", exact=True)).to_be_visible()
        user = self.api.get_user(self.tenant, self.cast["owner_token"], max_["id"])
        self.assertEqual(user["state"], "deleted")

    def test_the_owner_deletes_ben_while_bens_page_is_open_and_his_page_drops_to_sign_in(self):
        ben = self.cast["ben"]
        ben_page = self.new_page()
        ben_page.clock.install()
        sign_in(ben_page, self.tenant, ben["username"], PASSWORD)
        nav(ben_page, "Your account")
        # His next poll of GET /me is refused, and so is the refresh it tries: expected.
        ben_watch = self.watchdog(ben_page)
        ben_watch.allow_http(401, "/me")
        ben_watch.allow_http(401, "/auth/refresh")

        page = self.sign_in_as("owner")
        open_user(page, ben)
        page.get_by_role("button", name="Delete user", exact=True).click()
        page.get_by_role("dialog").get_by_role("button", name="Confirm delete", exact=True).click()
        answer = status(page)
        expect(answer).to_contain_text(f"{ben['username']} is deleted, and every session of theirs ended.")
        deleted = self.api.get_user(self.tenant, self.cast["owner_token"], ben["id"])
        # The honest answer: the dates the API gave, as the page shows them.
        for moment in (deleted["restorable_until"], deleted["purge_after"]):
            expect(answer.locator(f'time[datetime="{moment}"]').first).to_be_visible()
        screenshot(page, "story-ben-deleted")

        # Ben's page polls GET /me every 10 s.
        ben_page.clock.fast_forward(11_000)
        expect(ben_page.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(ben_page.get_by_role("alert")).to_contain_text("Your session ended:")
        self.assertEqual(ben_page.evaluate("Object.keys(sessionStorage)"), [])
        screenshot(ben_page, "story-ben-session-ended")

    def test_a_page_notices_at_once_when_its_user_is_demoted_elsewhere_on_focus(self):
        sam = self.cast["sam"]
        page = self.sign_in_as("sam")
        # The first screen loaded (the list and the tenant behind "Add user"), so the only request
        # the demotion can catch is the one the focus makes.
        expect(page.get_by_role("table").get_by_role("link", name=sam["username"], exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Add user", exact=True)).to_be_visible()
        watch = self.watchdog(page)
        watch.allow_http(401, "/me")
        watch.allow_http(401, "/auth/refresh")
        self.api.call("PATCH", f"/tenants/{self.tenant}/users/{sam['id']}", self.cast["owner_token"], {"role": "user"})
        # Coming back to the window checks GET /me without waiting for the next 10 s.
        page.evaluate("window.dispatchEvent(new Event('focus'))")
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(page.get_by_role("alert")).to_contain_text("Your session ended:")

    def test_ben_waits_in_the_trash_with_his_days_left_and_is_restored(self):
        ben = self.cast["ben"]
        deletion = self.api.delete_user(self.tenant, self.cast["owner_token"], ben["id"])
        purge_after = datetime.datetime.fromisoformat(deletion["purge_after"].replace("Z", "+00:00"))
        cases = [
            # (the browser's clock, what the trash says)
            (purge_after - datetime.timedelta(days=3), "purged in 3 days"),
            (purge_after - datetime.timedelta(milliseconds=1), "purged today"),
            (purge_after + datetime.timedelta(minutes=1), "awaiting purge"),
        ]
        page = None
        for moment, words in cases:
            with self.subTest(words=words):
                page = self.new_page()
                page.clock.set_fixed_time(moment)
                sign_in(page, self.tenant, self.cast["owner"]["username"], PASSWORD)
                nav(page, "Trash")
                row = page.get_by_role("row").filter(has=page.get_by_role("link", name=ben["username"], exact=True))
                expect(row).to_contain_text(words)
                # Deleted by the owner, by name.
                expect(row.get_by_role("cell").nth(2)).to_have_text(f"{self.cast['owner']['username']} (you)")
        screenshot(page, "story-trash")
        page.get_by_role("button", name=f"Restore {ben['username']}", exact=True).click()
        expect(status(page)).to_contain_text(f"{ben['username']} is restored")
        self.assertEqual(self.api.get_user(self.tenant, self.cast["owner_token"], ben["id"])["state"], "active")
        expect(page.get_by_text("The trash is empty.")).to_be_visible()

    def test_ben_is_purged_once_his_username_is_typed_and_the_name_is_free_again(self):
        ben = self.cast["ben"]
        page = self.sign_in_as("owner")
        open_user(page, ben)
        page.get_by_role("button", name="Delete user", exact=True).click()
        page.get_by_role("dialog").get_by_role("button", name="Confirm delete", exact=True).click()
        expect(status(page)).to_contain_text("is deleted")
        nav(page, "Trash")
        page.get_by_role("button", name=f"Purge {ben['username']} now", exact=True).click()
        dialog = page.get_by_role("dialog", name=f"Purge {ben['username']} for good?")
        confirm = dialog.get_by_role("button", name="Purge for good", exact=True)
        typed = dialog.get_by_label("Username to confirm", exact=True)
        expect(typed).to_be_focused()
        expect(confirm).to_be_disabled()
        for wrong in (ben["username"][:-1], ben["username"].upper(), f" {ben['username']}"):
            typed.fill(wrong)
            expect(confirm).to_be_disabled()
        typed.fill(ben["username"])
        expect(confirm).to_be_enabled()
        screenshot(page, "story-purge-dialog")
        confirm.click()
        expect(status(page)).to_contain_text(f"{ben['username']} is purged")
        self.api.get_user(self.tenant, self.cast["owner_token"], ben["id"], expect=(404,))

        nav(page, "Users")
        page.get_by_label("Username", exact=True).fill(ben["username"])
        page.get_by_label("Email", exact=True).fill(ben["email"])
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Role", exact=True).select_option("user")
        page.get_by_role("button", name="Add user", exact=True).click()
        expect(status(page)).to_contain_text(f"{ben['username']} is added as a user.")
        expect(page.get_by_role("table").get_by_role("link", name=ben["username"], exact=True)).to_be_visible()

    def test_ownership_moves_to_ada_and_the_audit_log_shows_it(self):
        ada, owner = self.cast["ada"], self.cast["owner"]
        page = self.sign_in_as("owner")
        nav(page, "Tenant")
        # The owner cannot hand the tenant to herself; a user or an agent is not listed.
        mine = page.get_by_role("button", name=f"Transfer ownership to {owner['username']}", exact=True)
        self.assertEqual(reason(mine)[0], "true")
        expect(page.get_by_role("button", name=f"Transfer ownership to {self.cast['ben']['username']}")).to_have_count(0)
        page.get_by_role("button", name=f"Transfer ownership to {ada['username']}", exact=True).click()
        dialog = page.get_by_role("dialog", name=f"Transfer ownership to {ada['username']}?")
        dialog.get_by_role("button", name="Confirm transfer", exact=True).click()
        expect(status(page)).to_contain_text(f"{ada['username']} owns {self.tenant} now.")
        # The header follows: the former owner is an admin now.
        expect(page.get_by_text(f"Signed in as {owner['username']} (admin)")).to_be_visible()
        tenant = self.api.get(f"/tenants/{self.tenant}", self.cast["owner_token"])
        self.assertEqual(tenant["owner_id"], ada["id"])

        allow_root_lookup(self, page)
        nav(page, "Audit log")
        newest = page.get_by_role("row").nth(1)
        expect(newest).to_contain_text("transferred ownership to")
        expect(newest.get_by_role("link", name=ada["username"], exact=True)).to_be_visible()
        expect(newest).to_contain_text(f"from {owner['username']} (you)")
        screenshot(page, "story-audit")

    def test_names_full_of_html_stay_text_on_every_screen(self):
        email = '<img/src="x"/onerror=window.__xss=1>@x.test'
        cast, api = self.cast, self.api
        username = unique("html")
        victim = api.create_user(self.tenant, cast["owner_token"], username, email)
        api.delete_user(self.tenant, cast["owner_token"], victim["id"])
        page = self.sign_in_as("owner")
        allow_root_lookup(self, page)
        for screen in ("Trash", "Audit log"):
            nav(page, screen)
            expect(page.get_by_role("link", name=username, exact=True).first).to_be_visible()
        nav(page, "Trash")
        expect(page.get_by_text(email, exact=True)).to_be_visible()
        open_user(page, victim)
        expect(page.get_by_text(email, exact=True)).to_be_visible()
        self.assertIsNone(page.evaluate("window.__xss"))
        injected = page.evaluate("[...document.querySelectorAll('img')].filter((e) => e.getAttribute('src') === 'x').length")
        self.assertEqual(injected, 0, "HTML from the API became elements")

    def test_the_users_come_a_page_at_a_time_and_a_link_survives_signing_in(self):
        # 21 active users: a full page of 20, then one.
        for _ in range(16):
            username = unique("extra")
            self.api.create_user(self.tenant, self.cast["owner_token"], username, f"{username}@{self.tenant}.test")
        page = self.sign_in_as("ada")
        rows = page.get_by_role("table").get_by_role("row")
        expect(rows).to_have_count(21)  # the header row and 20 users
        expect(page.get_by_role("button", name="Previous page")).to_have_count(0)
        page.get_by_role("button", name="Next page", exact=True).click()
        expect(rows).to_have_count(2)
        expect(page.get_by_text("Page 2", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Next page")).to_have_count(0)
        page.get_by_role("button", name="Previous page", exact=True).click()
        expect(rows).to_have_count(21)

        # A link to a user, opened signed out, leads there once signed in.
        sam = self.cast["sam"]
        other = self.new_page(path=f"/console#/users/{sam['id']}")
        expect(other.get_by_role("heading", level=1)).to_have_text("Sign in")
        sign_in(other, self.tenant, self.cast["ada"]["username"], PASSWORD)
        expect(other.get_by_role("heading", level=1)).to_have_text(sam["username"])

    def test_sam_changes_his_password_and_signing_out_everywhere_reaches_his_other_page(self):
        sam = self.cast["sam"]
        elsewhere = self.sign_in_as("sam")
        elsewhere.clock.install()
        watch = self.watchdog(elsewhere)
        watch.allow_http(401, "/me")
        watch.allow_http(401, "/auth/refresh")

        page = self.sign_in_as("sam")
        nav(page, "Your account")
        self.watchdog(page).allow_http(403, f"/users/{sam['id']}/password")
        page.get_by_label("Current password", exact=True).fill("not-my-password-1")
        page.get_by_label("New password", exact=True).fill("a-brand-new-secret")
        page.get_by_role("button", name="Change password", exact=True).click()
        expect(page.get_by_role("alert")).to_have_text("The current password is wrong.")
        page.get_by_label("Current password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Change password", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(status(page)).to_contain_text("Your password is changed")
        sign_in(page, self.tenant, sam["username"], "a-brand-new-secret")

        # His other page learns at its next poll that its session ended.
        elsewhere.clock.fast_forward(11_000)
        expect(elsewhere.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(elsewhere.get_by_role("alert")).to_contain_text("Your session ended:")

        # Signing out everywhere ends this one too.
        nav(page, "Your account")
        page.get_by_role("button", name="Sign out everywhere", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(status(page)).to_have_text("You signed out everywhere: every session of yours ended.")

    def test_a_locked_name_says_how_long_it_stays_locked(self):
        page = self.new_page()
        watch = self.watchdog(page)
        watch.allow_http(401, "/auth/login")
        watch.allow_http(429, "/auth/login")
        username = self.cast["ben"]["username"]
        # The fifth failure in a row locks the name; the right password is then refused too.
        for _ in range(4):
            sign_in(page, self.tenant, username, "wrong-password-1", wait=False)
            expect(page.get_by_role("alert")).to_have_text("The tenant, username or password is wrong.")
        sign_in(page, self.tenant, username, "wrong-password-1", wait=False)
        expect(page.get_by_role("alert")).to_contain_text("Too many failed attempts")
        sign_in(page, self.tenant, username, PASSWORD, wait=False)
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Too many failed attempts")
        expect(page.get_by_text(re.compile(r"You can try again at .+ \(1[45] min \d\d s left\)\."))).to_be_visible()
        screenshot(page, "story-locked")

    def test_a_503_and_a_conflict_offer_try_again_which_repeats_the_request(self):
        page = self.sign_in_as("owner")
        ben = self.cast["ben"]
        open_user(page, ben)
        problems = [
            (503, "service_unavailable", "The database is unavailable. Retry shortly."),
            (409, "conflict", "The account kept changing while this request ran. Retry it."),
        ]
        deletes = []
        # Two refusals made up in the network (the real ones need a failing database or a race),
        # then the real request.
        def route(request_route):
            request = request_route.request
            if request.method != "DELETE":
                return request_route.continue_()
            deletes.append(request.url)
            if len(deletes) <= len(problems):
                status_code, code, detail = problems[len(deletes) - 1]
                body = {"type": f"urn:tenantry:problem:{code}", "title": "Refused", "status": status_code, "code": code, "detail": detail}
                headers = {"Content-Type": "application/problem+json"}
                if status_code == 503:
                    headers["Retry-After"] = "1"
                return request_route.fulfill(status=status_code, headers=headers, body=json.dumps(body))
            return request_route.continue_()

        page.route(re.compile(rf".*/tenants/{self.tenant}/users/{ben['id']}$"), route)
        watch = self.watchdog(page)
        watch.allow_http(503, f"/users/{ben['id']}")
        watch.allow_http(409, f"/users/{ben['id']}")
        page.get_by_role("button", name="Delete user", exact=True).click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_role("button", name="Confirm delete", exact=True).click()
        for _, _, detail in problems:
            alert = dialog.get_by_role("alert")
            expect(alert).to_have_text(re.compile(re.escape(detail)))
            screenshot(page, "story-try-again")
            alert.get_by_role("button", name="Try again", exact=True).click()
        expect(status(page)).to_contain_text("is deleted")
        self.assertEqual(len(deletes), 3)
        self.assertEqual(self.api.get_user(self.tenant, self.cast["owner_token"], ben["id"])["state"], "deleted")

    def test_a_problem_that_cannot_be_retried_has_no_try_again(self):
        page = self.sign_in_as("owner")
        nav(page, "Tenant")
        self.watchdog(page).allow_http(400, f"/tenants/{self.tenant}(?!/)")
        page.get_by_label("Retention (days)", exact=True).fill("400")
        page.get_by_role("button", name="Save retention", exact=True).click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("retention_days")
        expect(alert.get_by_role("button")).to_have_count(0)
        expect(page.get_by_label("Retention (days)", exact=True)).to_have_attribute("aria-invalid", "true")
        page.get_by_label("Retention (days)", exact=True).fill("7")
        page.get_by_role("button", name="Save retention", exact=True).click()
        expect(status(page)).to_contain_text("restorable for 7 days")


class EveryScreen(ConsoleTestCase):
    """Each screen at 360 and 1,440 px: axe (no serious or critical violation), no page wider
    than the screen, a screenshot, and the heading focused after navigation."""

    def test_every_screen_is_accessible_at_both_widths(self):
        api = Api()
        cast = seed_cast(api, prefix="axe")
        tenant = cast["tenant"]
        api.delete_user(tenant, cast["owner_token"], cast["ben"]["id"])
        for width in (NARROW, WIDE):
            with self.subTest(width=width):
                page = self.new_page(width)
                page.bring_to_front()
                allow_root_lookup(self, page)
                sign_in(page, tenant, cast["owner"]["username"], PASSWORD)
                screens = [("Users", "users"), ("Trash", "trash"), ("Tenant", "tenant"),
                           ("Audit log", "audit"), ("Your account", "me")]
                for link, name in screens:
                    nav(page, link)
                    expect(page.get_by_role("heading", level=1)).to_be_focused()
                    page.wait_for_load_state("networkidle")
                    assert_no_horizontal_scroll(page, f"{name} at {width} px")
                    screenshot(page, f"screen-{name}")
                    assert_accessible(page, f"screen-{name}")
                for part in ("max", "ben"):
                    open_user(page, cast[part])
                    page.wait_for_load_state("networkidle")
                    assert_no_horizontal_scroll(page, f"user {part} at {width} px")
                    screenshot(page, f"screen-user-{part}")
                    assert_accessible(page, f"screen-user-{part}")
                open_user(page, cast["sam"])
                page.get_by_role("button", name="Delete user", exact=True).click()
                expect(page.get_by_role("dialog")).to_be_visible()
                screenshot(page, "screen-delete-dialog")
                assert_accessible(page, "screen-delete-dialog")
                page.keyboard.press("Escape")
                expect(page.get_by_role("dialog")).to_have_count(0)
                expect(page.get_by_role("button", name="Delete user", exact=True)).to_be_focused()

                root = self.new_page(width)
                sign_in(root, PLATFORM, ROOT, ROOT_PASSWORD)
                expect(root.get_by_role("heading", level=1)).to_have_text("Tenants")
                assert_no_horizontal_scroll(root, f"tenants at {width} px")
                screenshot(root, "screen-tenants")
                assert_accessible(root, "screen-tenants")


if __name__ == "__main__":
    unittest.main()
