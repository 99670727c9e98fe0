"""The README's quickstart, through the Python client openapi-python-client generates from
infra/openapi.yaml, against the dev server (infra/scripts/clients.sh runs it in `make test`).

Every answer must be the client's parsed type for its status: a refusal is a problem whose
`code` is asserted, a name held by a deleted user carries `deleted_user_id` and `frees_at`, and
with the database taken away (tests/clients/forwarder.py) the answer is 503 with `Retry-After`.
A spec the generator cannot turn into those types fails here.

Environment: TENANTRY_API (the dev server's URL), TENANTRY_ROOT_PASSWORD, TENANTRY_FORWARDER_PID
(the forwarder between the dev server and DynamoDB Local); the generated package
`tenantry_client` on PYTHONPATH.
"""

import datetime
import os
import signal
import time
import unittest
from http import HTTPStatus

from tenantry_client import AuthenticatedClient, Client
from tenantry_client.api.audit import list_audit
from tenantry_client.api.auth import auth_login
from tenantry_client.api.tenants import create_tenant, transfer_ownership
from tenantry_client.api.users import (
    create_user,
    delete_user,
    get_me,
    list_users,
    purge_user,
    restore_user,
)
from tenantry_client.models import (
    AuditPage,
    CreatedTenant,
    Deletion,
    HeldClaimProblem,
    ListUsersState,
    Login,
    NewTenant,
    NewTenantOwner,
    NewUser,
    Ownership,
    OwnershipTransfer,
    Purged,
    Role,
    ServiceUnavailableProblem,
    Token,
    UnauthenticatedProblem,
    User,
    UserPage,
    ValidationProblem,
)

API = os.environ["TENANTRY_API"]
PW = "correct-horse-battery"


def parsed(response, kind, status):
    """The parsed answer, checked to be of `kind` with `status`."""
    assert response.status_code == status, (response.status_code, response.content)
    assert isinstance(response.parsed, kind), (type(response.parsed), response.content)
    return response.parsed


def refused(response, status, code):
    """A problem answer: its status, and its parsed `code`."""
    problem = response.parsed
    assert response.status_code == status, (response.status_code, response.content)
    assert problem is not None, f"the client did not parse {response.content!r}"
    assert int(problem.status) == status, problem
    assert problem.code == code, (problem.code, response.content)
    assert problem.type_ == f"urn:tenantry:problem:{code}", problem.type_
    assert problem.detail, problem
    return problem


# Every client the story makes, closed when it ends.
OPEN = []


def opened(client):
    OPEN.append(client)
    return client


def anonymous():
    return opened(Client(base_url=API, raise_on_unexpected_status=True))


def as_(token):
    return opened(AuthenticatedClient(base_url=API, token=token, raise_on_unexpected_status=True))


def login(tenant, username, password):
    answer = auth_login.sync_detailed(
        client=anonymous(), body=Login(tenant=tenant, username=username, password=password)
    )
    return parsed(answer, Token, HTTPStatus.OK).access_token


def new_user(name, role):
    return NewUser(username=name, email=f"{name}@acme.test", password=PW, role=role)


class TheQuickstartThroughTheGeneratedClient(unittest.TestCase):
    def tearDown(self):
        while OPEN:
            OPEN.pop().get_httpx_client().close()

    def test_the_two_stories(self):
        root = as_(login("platform", "root", os.environ["TENANTRY_ROOT_PASSWORD"]))

        # The platform's super admin creates the tenant Acme, owned by Olivia.
        created = parsed(
            create_tenant.sync_detailed(
                client=root,
                body=NewTenant(
                    id="acme",
                    name="Acme",
                    owner=NewTenantOwner(username="olivia", email="olivia@acme.test", password=PW),
                ),
            ),
            CreatedTenant,
            HTTPStatus.CREATED,
        )
        self.assertTrue(created.owner.is_owner)
        olivia_id = created.owner.id

        # Olivia brings in two admins, an agent and a user; a weak password is refused first.
        olivia = as_(login("acme", "olivia", PW))
        weak = NewUser(username="ada", email="ada@acme.test", password="short", role=Role.ADMIN)
        problem = refused(
            create_user.sync_detailed("acme", client=olivia, body=weak), 400, "validation_failed"
        )
        self.assertIsInstance(problem, ValidationProblem)
        self.assertEqual(problem.field, "password")
        ids = {}
        for name, role in [
            ("ada", Role.ADMIN),
            ("max", Role.ADMIN),
            ("sam", Role.AGENT),
            ("ben", Role.USER),
        ]:
            user = parsed(
                create_user.sync_detailed("acme", client=olivia, body=new_user(name, role)),
                User,
                HTTPStatus.CREATED,
            )
            self.assertEqual((user.username, user.role), (name, role))
            ids[name] = user.id

        # Office politics: Ada, an admin, deletes neither another admin, nor the owner, nor herself.
        ada = as_(login("acme", "ada", PW))
        for target, code in [
            (ids["max"], "admin_cannot_delete_admin"),
            (olivia_id, "owner_protected"),
            (ids["ada"], "cannot_delete_self"),
        ]:
            refused(delete_user.sync_detailed("acme", target, client=ada), 403, code)
        # Sam, an agent, deletes nobody.
        sam = as_(login("acme", "sam", PW))
        refused(delete_user.sync_detailed("acme", ids["ben"], client=sam), 403, "insufficient_role")
        # Not even a super admin deletes the owner; only a super admin deletes an admin.
        refused(delete_user.sync_detailed("acme", olivia_id, client=root), 403, "owner_protected")
        parsed(delete_user.sync_detailed("acme", ids["max"], client=root), Deletion, HTTPStatus.OK)

        # An honest delete: Olivia deletes Ben while Ben is logged in.
        ben = as_(login("acme", "ben", PW))
        deletion = parsed(
            delete_user.sync_detailed("acme", ids["ben"], client=olivia), Deletion, HTTPStatus.OK
        )
        self.assertEqual(
            (deletion.id, deletion.state, deletion.sessions_revoked), (ids["ben"], "deleted", True)
        )
        self.assertGreater(deletion.restorable_until, deletion.deleted_at)
        self.assertEqual(deletion.purge_after, deletion.restorable_until)
        # His session died with the delete, and he cannot log in again.
        problem = refused(get_me.sync_detailed(client=ben), 401, "unauthenticated")
        self.assertIsInstance(problem, UnauthenticatedProblem)
        refused(
            auth_login.sync_detailed(
                client=anonymous(), body=Login(tenant="acme", username="ben", password=PW)
            ),
            401,
            "invalid_credentials",
        )

        # He is in no normal list, only in the trash, and his username is held while he can be
        # restored: the problem says by whom and until when.
        def usernames(state):
            page = parsed(
                list_users.sync_detailed("acme", client=olivia, state=state),
                UserPage,
                HTTPStatus.OK,
            )
            return [user.username for user in page.items]

        self.assertEqual(usernames(ListUsersState.ACTIVE), ["olivia", "ada", "sam"])
        self.assertEqual(usernames(ListUsersState.DELETED), ["max", "ben"])
        held = refused(
            create_user.sync_detailed("acme", client=olivia, body=new_user("ben", Role.USER)),
            409,
            "username_held_by_deleted_user",
        )
        self.assertIsInstance(held, HeldClaimProblem)
        self.assertEqual(held.deleted_user_id, ids["ben"])
        self.assertIsInstance(held.frees_at, datetime.datetime)
        self.assertEqual(held.frees_at, deletion.restorable_until)

        # Restore him; then delete him again and purge him now.
        restored = parsed(
            restore_user.sync_detailed("acme", ids["ben"], client=olivia), User, HTTPStatus.OK
        )
        self.assertEqual(restored.state, "active")
        refused(restore_user.sync_detailed("acme", ids["ben"], client=olivia), 409, "not_deleted")
        parsed(
            delete_user.sync_detailed("acme", ids["ben"], client=olivia), Deletion, HTTPStatus.OK
        )
        purged = parsed(
            purge_user.sync_detailed("acme", ids["ben"], client=olivia), Purged, HTTPStatus.OK
        )
        self.assertEqual((purged.id, purged.state), (ids["ben"], "purged"))
        refused(purge_user.sync_detailed("acme", ids["ben"], client=olivia), 404, "user_not_found")
        # Purged means gone: the name is free at once.
        again = parsed(
            create_user.sync_detailed("acme", client=olivia, body=new_user("ben", Role.USER)),
            User,
            HTTPStatus.CREATED,
        )
        self.assertNotEqual(again.id, ids["ben"])

        # Ownership moves to Ada; then Olivia can be deleted. The audit log, newest first.
        moved = parsed(
            transfer_ownership.sync_detailed(
                "acme", client=olivia, body=OwnershipTransfer(new_owner_id=ids["ada"])
            ),
            Ownership,
            HTTPStatus.OK,
        )
        self.assertEqual((moved.previous_owner.is_owner, moved.new_owner.id), (False, ids["ada"]))
        refused(
            transfer_ownership.sync_detailed(
                "acme", client=olivia, body=OwnershipTransfer(new_owner_id=ids["ada"])
            ),
            403,
            "requires_owner",
        )
        parsed(delete_user.sync_detailed("acme", olivia_id, client=root), Deletion, HTTPStatus.OK)
        audit = parsed(list_audit.sync_detailed("acme", client=root), AuditPage, HTTPStatus.OK)
        self.assertEqual(
            [event.action for event in audit.items[:3]],
            ["user.delete", "tenant.transfer", "user.create"],
        )

        # The database goes away: the answer is a parsed 503 with Retry-After.
        os.kill(int(os.environ["TENANTRY_FORWARDER_PID"]), signal.SIGUSR1)
        time.sleep(0.2)
        answer = get_me.sync_detailed(client=root)
        problem = refused(answer, 503, "service_unavailable")
        self.assertIsInstance(problem, ServiceUnavailableProblem)
        self.assertEqual(answer.headers["Retry-After"], "1")


if __name__ == "__main__":
    unittest.main()
