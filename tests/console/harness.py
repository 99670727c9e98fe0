"""The browser-test harness of the admin console (`GET /console`), for the tests of tests/console
(infra/scripts/console-test.sh runs them in `make test`).

- `Api`: a tiny HTTP client to seed tenants and users and to check what the console did.
- `ConsoleTestCase`: a unittest base class. `self.new_page(width)` opens the console's origin in
  a fresh browser context (Debian's chromium, headless, through Playwright) watched by a
  `Watchdog`: every console error, page error and Content Security Policy violation is recorded,
  and `tearDown` fails the test on any of them, for every page the test opened.
- `axe`, `assert_accessible`: axe-core run in the page, its results kept in
  `$TENANTRY_CONSOLE_SCREENS/axe.json`; `screenshot`: full-page PNGs in the same folder.
- `sign_in`: the console's sign-in form, by its accessible names.

Nothing here loosens the page's CSP (no `bypass_csp`): what the tests inject goes through the
DevTools protocol (`page.evaluate`, init scripts, bindings), which the CSP does not govern, and
the watchdog checks in every page that its own init script ran.

Environment (set by infra/scripts/console-test.sh):
  TENANTRY_API             the dev server's URL (the API and the console share its origin)
  TENANTRY_ROOT_PASSWORD   the password of `root` in the tenant `platform`
  TENANTRY_CHROMIUM        the browser to drive (`command -v chromium`)
  TENANTRY_CONSOLE_SCREENS where screenshots and axe.json go
  TENANTRY_AXE             axe-core's axe.min.js (tests/console/node_modules)
"""

import atexit
import json
import os
import re
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

API = os.environ["TENANTRY_API"].rstrip("/")
ROOT_PASSWORD = os.environ["TENANTRY_ROOT_PASSWORD"]
CHROMIUM = os.environ["TENANTRY_CHROMIUM"]
SCREENS = Path(os.environ["TENANTRY_CONSOLE_SCREENS"])
AXE = Path(os.environ["TENANTRY_AXE"])

CONSOLE = API + "/console"
PLATFORM = "platform"
ROOT = "root"
# A password every seeded user may have (12+ characters, containing no test username).
PASSWORD = "correct-horse-battery"

# The two widths the console is tested at: a desktop and a small phone.
WIDE = 1440
NARROW = 360
HEIGHTS = {WIDE: 900, NARROW: 740}

# How long a step of the console may take before a wait fails (ms). The dev server is a debug
# build on a shared 2-core machine.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


class ApiError(AssertionError):
    """An answer of a status the caller did not expect; its message holds the problem body."""

    def __init__(self, method, path, status, body):
        self.status = status
        self.body = body
        super().__init__(f"{method} {path} answered {status}: {body}")


class Api:
    """A tiny client of the API (urllib, JSON), to seed what a test needs and to check what the
    console did. Every call names the statuses it expects and raises `ApiError`, with the
    problem's body, on any other."""

    def __init__(self, base=API):
        self.base = base

    def call(self, method, path, token=None, body=None, expect=(200,)):
        """`method path` with an optional bearer `token` and JSON `body`; the parsed JSON answer
        (None when empty) if its status is in `expect`, else `ApiError`."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        if status not in expect:
            raise ApiError(method, path, status, raw.decode(errors="replace"))
        return json.loads(raw) if raw else None

    def get(self, path, token, expect=(200,)):
        """`GET path` as `token`: the parsed answer."""
        return self.call("GET", path, token, expect=expect)

    def session(self, tenant, username, password):
        """A login: the whole token answer (`access_token`, `refresh_token`, ...)."""
        body = {"tenant": tenant, "username": username, "password": password}
        return self.call("POST", "/auth/login", body=body)

    def login(self, tenant, username, password):
        """A login: its access token."""
        return self.session(tenant, username, password)["access_token"]

    def root_token(self):
        """An access token of the platform's super admin `root`."""
        return self.login(PLATFORM, ROOT, ROOT_PASSWORD)

    def create_tenant(self, tenant_id, name, owner_username, owner_email, owner_password=PASSWORD):
        """A new tenant and its owner, created as root: the answer, `{"tenant", "owner"}`."""
        body = {
            "id": tenant_id,
            "name": name,
            "owner": {
                "username": owner_username,
                "email": owner_email,
                "password": owner_password,
            },
        }
        return self.call("POST", "/tenants", self.root_token(), body, expect=(201,))

    def create_user(self, tenant, token, username, email, role="user", password=PASSWORD):
        """A new user of `tenant`, created as `token`: the user."""
        body = {"username": username, "email": email, "password": password, "role": role}
        return self.call("POST", f"/tenants/{tenant}/users", token, body, expect=(201,))

    def get_user(self, tenant, token, user_id, expect=(200,)):
        """One user, as `token`."""
        return self.get(f"/tenants/{tenant}/users/{user_id}", token, expect=expect)

    def list_users(self, tenant, token, state="active"):
        """Every user of `tenant` in `state` (active, deleted, all), following every page."""
        users, cursor = [], None
        while True:
            query = {"state": state, "limit": 100}
            if cursor:
                query["cursor"] = cursor
            page = self.get(f"/tenants/{tenant}/users?{urllib.parse.urlencode(query)}", token)
            users += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return users

    def delete_user(self, tenant, token, user_id, expect=(200,)):
        """Deletes a user (the soft delete) as `token`: the deletion's answer."""
        return self.call("DELETE", f"/tenants/{tenant}/users/{user_id}", token, expect=expect)

    def restore_user(self, tenant, token, user_id, expect=(200,)):
        """Restores a deleted user as `token`: the answer."""
        path = f"/tenants/{tenant}/users/{user_id}/restore"
        return self.call("POST", path, token, expect=expect)


def unique(prefix):
    """A name no other test of this run uses: `prefix-` and 8 hex digits (a valid tenant id or
    username for a prefix of a-z)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def seed_tenant(api=None, prefix="t", name=None):
    """A fresh tenant and its owner (password `PASSWORD`): a dict with `tenant` (the id),
    `owner` (the user), `owner_username` and `owner_token`."""
    api = api or Api()
    tenant = unique(prefix)
    username = unique("owner")
    email = f"{username}@{tenant}.test"
    created = api.create_tenant(tenant, name or tenant.title(), username, email)
    return {
        "tenant": tenant,
        "owner": created["owner"],
        "owner_username": username,
        "owner_token": api.login(tenant, username, PASSWORD),
    }


# -- the browser ---------------------------------------------------------------------------------

_playwright = None
_browser = None


def browser():
    """The one headless chromium of this test run (Debian's, `TENANTRY_CHROMIUM`), launched on
    first use and closed when the process exits. `--no-sandbox`: CI runs as root, where
    chromium's sandbox refuses to start."""
    global _playwright, _browser
    if _browser is None:
        _playwright = sync_playwright().start()
        _browser = _playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        atexit.register(_close_browser)
    return _browser


def _close_browser():
    global _playwright, _browser
    if _browser is not None:
        _browser.close()
        _playwright.stop()
        _browser = _playwright = None


# Runs in every document of a watched context before the page's own scripts: it reports every
# CSP violation to the watchdog through the binding `__tenantryCspViolation`, and marks the
# document so the watchdog can check it ran (an init script the CSP blocked would leave
# violations unseen).
_WATCH_SCRIPT = """
(() => {
  window.__tenantryWatch = true;
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__tenantryCspViolation({
      directive: e.effectiveDirective || e.violatedDirective,
      blocked: e.blockedURI,
      source: e.sourceFile,
      line: e.lineNumber,
      sample: e.sample,
      disposition: e.disposition,
    });
  }, true);
  // An uncaught error or unhandled rejection reaches Playwright as `pageerror` unless the page
  // calls preventDefault() on its event (the console does, to show a problem instead), which
  // silences chromium's report. Registered before the page's listeners, these see it then;
  // once the event's listeners have all run (setTimeout), they report it if it was silenced.
  const silenced = (kind, describe) => (e) => {
    setTimeout(() => {
      if (e.defaultPrevented) {
        window.__tenantryPageProblem(kind + ' (silenced by the page): ' + describe(e));
      }
    }, 0);
  };
  const text = (value) => (value && value.stack ? value.stack : String(value));
  const rejection = silenced('unhandled rejection', (e) => text(e.reason));
  const uncaught = silenced('uncaught error', (e) =>
    e.error ? text(e.error) : e.message + ' at ' + e.filename + ':' + e.lineno);
  window.addEventListener('unhandledrejection', rejection, true);
  // Captured on window, the event of an element's failed load is a plain Event: not this.
  window.addEventListener('error', (e) => { if (e instanceof ErrorEvent) uncaught(e); }, true);
})();
"""


def _about_csp(problem):
    return problem.startswith("CSP violation") or "Content Security Policy" in problem


def _stack(error):
    return getattr(error, "stack", None) or str(error)


class Watchdog:
    """Everything that went wrong in one browser context's pages: console messages of type
    `error` (and warnings about the Content Security Policy), uncaught exceptions
    (`pageerror`), CSP violations (the DOM event `securitypolicyviolation`), crashes.

    A test that provokes an error on purpose (a wrong password answers 401, which chromium logs
    as "Failed to load resource") forgives it with `allow` or `allow_http` before asserting;
    a CSP violation cannot be forgiven."""

    def __init__(self, context):
        self.context = context
        self.pages = []
        self.problems = []
        self.allowed = []
        context.expose_binding("__tenantryCspViolation", self._on_csp_violation)
        context.expose_binding("__tenantryPageProblem", self._on_page_problem)
        context.add_init_script(script=_WATCH_SCRIPT)
        context.on("page", self.watch)

    def watch(self, page):
        """Records `page`'s console errors, page errors and crash (done for every page the
        context opens)."""
        if page in self.pages:
            return
        self.pages.append(page)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"pageerror: {_stack(error)}"))
        page.on("crash", lambda p: self.problems.append(f"crash: the page {p.url} crashed"))

    def _on_console(self, message):
        text = message.text
        csp = "Content Security Policy" in text
        if message.type == "error" or (message.type == "warning" and csp):
            location = message.location or {}
            where = location.get("url") or (message.page.url if message.page else "?")
            if location.get("lineNumber"):
                where += f":{location['lineNumber']}"
            self.problems.append(f"console.{message.type}: {text} (at {where})")

    def _on_csp_violation(self, source, violation):
        page = source.get("page")
        self.problems.append(
            "CSP violation: {directive} blocked {blocked!r} ({disposition}) at {source}:{line}"
            " sample {sample!r} in {url}".format(url=page.url if page else "?", **violation)
        )

    def _on_page_problem(self, source, problem):
        page = source.get("page")
        self.problems.append(f"{problem} (in {page.url if page else '?'})")

    def allow(self, pattern):
        """Forgives every recorded problem matching the regex `pattern` (searched in its text,
        as `assert_clean` lists it). A CSP violation is never forgiven."""
        self.allowed.append(re.compile(pattern))

    def allow_http(self, status, path):
        """Forgives chromium's "Failed to load resource: ... status of STATUS" for requests to
        `path` (a regex searched in the URL): an API refusal the test provokes on purpose."""
        self.allow(rf"status of {int(status)}\b.*\(at [^)]*{path}")

    def unexpected(self):
        """The recorded problems no `allow` forgives, after a round trip to every open page so
        that events already sent have arrived. Also a problem: a page whose document the watch
        script did not run in."""
        found = []
        for page in self.pages:
            if page.is_closed():
                continue
            try:
                ran = page.evaluate("window.__tenantryWatch === true")
            except Exception:  # a page mid-navigation: its new document is not checked
                ran = True
            if not ran and page.url.startswith(API):
                found.append(
                    f"watchdog: its init script did not run in {page.url}; CSP violations there"
                    " would go unseen"
                )
        found = self.problems + found
        return [p for p in found if _about_csp(p) or not any(a.search(p) for a in self.allowed)]

    def assert_clean(self):
        """Fails, listing them, if anything went wrong in the context's pages (see `unexpected`)."""
        problems = self.unexpected()
        if problems:
            raise AssertionError(
                f"{len(problems)} problem(s) in the browser:\n  " + "\n  ".join(problems)
            )


class ConsoleTestCase(unittest.TestCase):
    """A test of the console in the browser. `new_page` opens pages; after the test, every
    page's watchdog must be clean (`tearDown`), whatever the test asserted, and every context
    is closed."""

    api = Api()

    def setUp(self):
        self.watchdogs = []

    def tearDown(self):
        problems = []
        for watchdog in self.watchdogs:
            problems += watchdog.unexpected()
        if problems:
            self.fail(f"{len(problems)} problem(s) in the browser:\n  " + "\n  ".join(problems))

    def new_page(self, width=WIDE, path="/console") -> Page:
        """A page in a fresh browser context (its own storage), `width` px wide (WIDE 1,440×900
        or NARROW 360×740), watched by a `Watchdog` (`self.watchdog(page)`), at `path` of the
        API's origin (None: blank)."""
        context = browser().new_context(
            viewport={"width": width, "height": HEIGHTS.get(width, 900)},
            base_url=API,
            locale="en-US",
            timezone_id="UTC",
            color_scheme="light",
            reduced_motion="reduce",
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.addCleanup(context.close)
        watchdog = Watchdog(context)
        self.watchdogs.append(watchdog)
        page = context.new_page()
        watchdog.watch(page)
        if path is not None:
            page.goto(path)
        return page

    def watchdog(self, page) -> Watchdog:
        """The watchdog of `page`'s context (to `allow` a problem the test provokes)."""
        for watchdog in self.watchdogs:
            if watchdog.context == page.context:
                return watchdog
        raise LookupError(f"{page.url} was not opened by new_page")


# -- axe, screenshots ----------------------------------------------------------------------------

# The impacts that fail `assert_accessible`; the others are recorded in axe.json only.
FAILING_IMPACTS = ("serious", "critical")
IMPACTS = ("critical", "serious", "moderate", "minor")


def _width(page):
    return page.viewport_size["width"]


def axe(page, name):
    """axe-core's violations on `page` as it is now (a list of axe's violation objects), recorded
    under `name-width` in `$TENANTRY_CONSOLE_SCREENS/axe.json` with a count per impact.

    axe is injected with `page.evaluate` of axe.min.js: the DevTools protocol's evaluation is not
    subject to the page's CSP, where `add_script_tag` (an inline or a cross-origin script) is
    refused by `default-src 'self'`."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate(
        """() => axe.run(document, {resultTypes: ['violations']}).then((r) => ({
             violations: r.violations.map((v) => ({
               id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
               nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary,
                                           html: n.html.slice(0, 300)})),
             })),
             passes: r.passes.length, incomplete: r.incomplete.length,
             version: r.testEngine.version,
           }))"""
    )
    violations = results["violations"]
    counts = {impact: 0 for impact in IMPACTS}
    for violation in violations:
        counts[violation["impact"] or "minor"] += 1
    SCREENS.mkdir(parents=True, exist_ok=True)
    record = SCREENS / "axe.json"
    recorded = json.loads(record.read_text()) if record.exists() else {}
    recorded[f"{name}-{_width(page)}"] = {
        "url": page.url,
        "axe": results["version"],
        "counts": counts,
        "rules_passed": results["passes"],
        "incomplete": results["incomplete"],
        "violations": violations,
    }
    record.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
    return violations


def assert_accessible(page, name):
    """Runs `axe` and fails on any violation of impact serious or critical, listing each: its
    rule id, impact, help and the selectors of the failing nodes."""
    failing = [v for v in axe(page, name) if v["impact"] in FAILING_IMPACTS]
    if failing:
        lines = []
        for v in failing:
            lines.append(f"{v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]")
            for node in v["nodes"]:
                lines.append(f"    {' '.join(map(str, node['target']))}: {node['html']}")
        raise AssertionError(
            f"axe on {name} at {_width(page)} px: {len(failing)} serious or critical"
            " violation(s):\n  " + "\n  ".join(lines)
        )


def screenshot(page, name):
    """A full-page PNG of `page`: `$TENANTRY_CONSOLE_SCREENS/<name>-<width>.png` (its path)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}-{_width(page)}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def assert_no_horizontal_scroll(page, name):
    """Fails if `page` is wider than its viewport (content cut off at 360 px, say)."""
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if widths[0] > widths[1]:
        raise AssertionError(f"{name}: the page is {widths[0]} px wide in {widths[1]} px")


# -- the console's screens -----------------------------------------------------------------------


def sign_in_form(page):
    """The sign-in form's fields and button, by their accessible names:
    `(tenant, username, password, button)`."""
    return (
        page.get_by_label("Tenant", exact=True),
        page.get_by_label("Username", exact=True),
        page.get_by_label("Password", exact=True),
        page.get_by_role("button", name="Sign in", exact=True),
    )


def sign_in(page, tenant, username, password, wait=True):
    """Signs in through the console's form (opening `/console` first if the page is elsewhere)
    and, with `wait`, waits until the console shows a signed-in screen (a "Sign out" button).
    Returns the answer of `POST /auth/login` the console got (its JSON, or None if not 200)."""
    if not page.url.startswith(CONSOLE):
        page.goto("/console")
    tenant_field, username_field, password_field, button = sign_in_form(page)
    tenant_field.fill(tenant)
    username_field.fill(username)
    password_field.fill(password)
    with page.expect_response(
        lambda r: r.url == API + "/auth/login" and r.request.method == "POST"
    ) as answer:
        button.click()
    response = answer.value
    if wait:
        expect(page.get_by_role("button", name="Sign out", exact=True).first).to_be_visible()
    return response.json() if response.status == 200 else None
