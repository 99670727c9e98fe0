"""The console draws every rule from the API, and re-implements none: for each kind of caller
(the owner, an admin, an agent, a user, a super admin) looking at each kind of user (the owner,
another admin, an agent, a user, themself, a deleted user, a deleted admin), the buttons on the
page are exactly the `allowed_actions` the API answers that caller for that user: an allowed
action's button works (no aria-disabled, no reason), a refused one is greyed (aria-disabled)
with the API's sentence and code beside it. The same holds for the trash (restore, purge), the
tenant (its retention, `configure_tenant`; each admin's `transfer_ownership`) and the caller's
own account, and for the add-user form (the roles the tenant's `create` entries allow). A user
the caller may not see is the API's own `404` sentence.

Run by infra/scripts/console-test.sh (`make test`).
"""

import unittest

from playwright.sync_api import expect

from harness import PASSWORD, PLATFORM, ROOT, ROOT_PASSWORD, Api, ConsoleTestCase, sign_in, unique
from test_stories import allow_root_lookup, nav, open_tenant, seed_cast, show

# The button each action of a user is offered by, on the user's screen.
USER_BUTTONS = {
    "delete": lambda user, entry: "Delete user",
    "change_role": lambda user, entry: f"Make {entry['role']}",
    "change_email": lambda user, entry: "Change email",
    "set_password": lambda user, entry: "Set password",
    "transfer_ownership": lambda user, entry: f"Transfer ownership to {user['username']}",
    "restore": lambda user, entry: "Restore user",
    "purge": lambda user, entry: "Purge now",
}

# Every button of a part of the page, by its accessible name (its text, the visually hidden
# part included): [aria-disabled, the sentence aria-describedby names, its data-code].
BUTTONS = """(root) => Object.fromEntries([...root.querySelectorAll('button')].map((b) => {
  const why = b.getAttribute('aria-describedby');
  const el = why && document.getElementById(why);
  return [b.textContent.trim().replace(/\\s+/g, ' '),
          [b.getAttribute('aria-disabled'), el ? el.textContent : null, el ? el.dataset.code : null]];
}))"""


def expected(entry):
    """What the page must show for one allowed_actions entry."""
    if entry["allowed"]:
        return [None, None, None]
    return ["true", entry["detail"], entry["code"]]


class TheButtonsAreTheApisAllowedActions(ConsoleTestCase):
    @classmethod
    def setUpClass(cls):
        api = Api()
        cast = seed_cast(api, prefix="rules")
        tenant, token = cast["tenant"], cast["owner_token"]
        # Deleted by the owner, and the admin by root (only a super admin deletes an admin).
        for part, role, deleter in (("gone_user", "user", token), ("gone_admin", "admin", api.root_token())):
            username = unique(part.replace("_", ""))
            cast[part] = api.create_user(tenant, token, username, f"{username}@{tenant}.test", role)
            api.delete_user(tenant, deleter, cast[part]["id"])
        cls.cast = cast
        cls.tenant = tenant
        cls.targets = ("owner", "ada", "max", "sam", "ben", "gone_user", "gone_admin")

    def viewer_page(self, part):
        """A page signed in as `part` of the cast (or root for "root", with the tenant open),
        and that caller's access token for the API."""
        page = self.new_page()
        # The deleted admin was deleted by root, whom the tenant does not know: shown by id.
        allow_root_lookup(self, page)
        if part == "root":
            sign_in(page, PLATFORM, ROOT, ROOT_PASSWORD)
            open_tenant(page, self.tenant)
            return page, self.api.root_token()
        username = self.cast[part]["username"]
        sign_in(page, self.tenant, username, PASSWORD)
        return page, self.api.login(self.tenant, username, PASSWORD)

    def check_user_screens(self, viewer):
        page, token = self.viewer_page(viewer)
        for target in self.targets:
            with self.subTest(viewer=viewer, target=target):
                user = self.cast[target]
                answer = self.api.get_user(self.tenant, token, user["id"], expect=(200, 404))
                show(page, f"/users/{user['id']}")
                if "allowed_actions" not in answer:
                    # Out of the caller's sight: the API's own sentence.
                    self.watchdog(page).allow_http(404, f"/users/{user['id']}")
                    expect(page.get_by_role("alert")).to_have_text(answer["detail"])
                    expect(page.locator("main .cards button")).to_have_count(0)
                    continue
                expect(page.get_by_role("heading", level=1)).to_have_text(user["username"])
                cards = page.locator("main .cards")
                expect(cards).to_be_visible()
                want = {USER_BUTTONS[e["action"]](answer, e): expected(e) for e in answer["allowed_actions"]}
                self.assertEqual(len(want), len(answer["allowed_actions"]), answer["allowed_actions"])
                self.assertEqual(cards.evaluate(BUTTONS), want)
                # The fields of a refused form are disabled too.
                entries = {e["action"]: e for e in answer["allowed_actions"]}
                for action, label in (("change_email", "New email"), ("set_password", "New password")):
                    if action in entries:
                        field = page.get_by_label(label, exact=True)
                        if entries[action]["allowed"]:
                            expect(field).to_be_enabled()
                        else:
                            expect(field).to_be_disabled()
        return page, token

    def check_trash(self, page, token):
        nav(page, "Trash")
        answer = self.api.call(
            "GET", f"/tenants/{self.tenant}/users?state=deleted&limit=100", token, expect=(200, 403)
        )
        if "items" not in answer:
            self.watchdog(page).allow_http(403, f"/tenants/{self.tenant}/users\\?state=deleted")
            expect(page.get_by_role("alert")).to_have_text(answer["detail"])
            return
        table = page.get_by_role("table")
        expect(table).to_be_visible()
        want = {}
        for user in answer["items"]:
            for e in user["allowed_actions"]:
                name = {"restore": f"Restore {user['username']}", "purge": f"Purge {user['username']} now"}[e["action"]]
                want[name] = expected(e)
        self.assertEqual(table.evaluate(BUTTONS), want)

    def check_tenant(self, page, token):
        nav(page, "Tenant")
        tenant = self.api.get(f"/tenants/{self.tenant}", token)
        retention = page.get_by_role("button", name="Save retention", exact=True)
        expect(retention).to_be_visible()
        configure = next(e for e in tenant["allowed_actions"] if e["action"] == "configure_tenant")
        self.assertEqual(
            retention.evaluate("(b) => [b.getAttribute('aria-disabled'), b.getAttribute('aria-describedby') && document.getElementById(b.getAttribute('aria-describedby')).textContent]"),
            expected(configure)[:2],
        )
        users = self.api.call("GET", f"/tenants/{self.tenant}/users?limit=100", token)["items"]
        want = {}
        for user in users:
            if user["role"] == "admin":
                for e in user["allowed_actions"]:
                    if e["action"] == "transfer_ownership":
                        want[f"Transfer ownership to {user['username']}"] = expected(e)
        table = page.get_by_role("table")
        expect(table).to_be_visible()
        self.assertEqual(table.evaluate(BUTTONS), want)

    def check_me(self, page, token):
        nav(page, "Your account")
        me = self.api.get("/me", token)
        entries = {e["action"]: e for e in me["allowed_actions"]}
        for action, name in (("change_email", "Change email"), ("set_password", "Change password")):
            button = page.get_by_role("button", name=name, exact=True)
            expect(button).to_be_visible()
            shown = button.evaluate(
                "(b) => { const why = b.getAttribute('aria-describedby'); const el = why && document.getElementById(why);"
                " return [b.getAttribute('aria-disabled'), el ? el.textContent : null, el ? el.dataset.code : null]; }"
            )
            self.assertEqual(shown, expected(entries[action]), action)

    def check_add_user(self, page, token):
        """The add-user form offers the roles the tenant's `create` entries allow; with none,
        its button is greyed with the API's sentence and its fields are disabled."""
        nav(page, "Users")
        tenant = self.api.get(f"/tenants/{self.tenant}", token)
        creates = [e for e in tenant["allowed_actions"] if e["action"] == "create"]
        self.assertEqual([e["role"] for e in creates], ["admin", "agent", "user"], creates)
        allowed = sorted(e["role"] for e in creates if e["allowed"])
        card = page.locator("section", has=page.get_by_role("heading", name="Add a user", exact=True))
        button = card.get_by_role("button", name="Add user", exact=True)
        expect(button).to_be_visible()
        role = card.get_by_label("Role", exact=True)
        if allowed:
            self.assertEqual(card.evaluate(BUTTONS), {"Add user": [None, None, None]})
            self.assertEqual(sorted(role.evaluate("(s) => [...s.options].map((o) => o.value)")), allowed)
            expect(role).to_be_enabled()
        else:
            self.assertEqual(card.evaluate(BUTTONS), {"Add user": expected(creates[2])})
            for label in ("Username", "Email", "Password", "Role"):
                expect(card.get_by_label(label, exact=True)).to_be_disabled()

    def check_everything(self, viewer):
        page, token = self.check_user_screens(viewer)
        with self.subTest(viewer=viewer, screen="add user"):
            self.check_add_user(page, token)
        with self.subTest(viewer=viewer, screen="trash"):
            self.check_trash(page, token)
        with self.subTest(viewer=viewer, screen="tenant"):
            self.check_tenant(page, token)
        with self.subTest(viewer=viewer, screen="me"):
            self.check_me(page, token)

    def test_the_owner(self):
        self.check_everything("owner")

    def test_an_admin(self):
        self.check_everything("ada")

    def test_an_agent(self):
        self.check_everything("sam")

    def test_a_user(self):
        self.check_everything("ben")

    def test_a_super_admin(self):
        self.check_everything("root")


if __name__ == "__main__":
    unittest.main()
