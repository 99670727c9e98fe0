//! A session through every operation, each answer checked against the spec (status,
//! content type, headers, body) and each request that succeeded too. (The database
//! unreachable is outage.rs's, checked against the spec too.)

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tenantry_tests::{PASSWORD, Stack};

use super::{Req, Session, Spec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_through_every_operation_conforms_to_the_spec() {
    let stack = Stack::new().await;
    let spec = Spec::load();
    let mut s = Session {
        stack: &stack,
        spec: &spec,
        answered: BTreeSet::new(),
    };
    let user = "/tenants/{tenant_id}/users/{user_id}";
    let users = "/tenants/{tenant_id}/users";
    let nobody = "0199a000-0000-7000-8000-000000000000";

    // Health, the console, the signing keys, login, the caller.
    s.send(Req::new("GET", "/health")).await.expect(200);
    let page = s.send(Req::new("GET", "/console")).await.expect(200);
    let html = page.body.as_str().unwrap_or_default();
    let linked = html
        .split("src=\"/console/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page links a script of its build");
    let asset = |path: &str| Req::new("GET", "/console/{proxy}").at("proxy", path);
    s.send(asset(linked)).await.expect(200);
    let other_build = format!(
        "assets/0000000000000000/{}",
        linked.rsplit('/').next().unwrap()
    );
    s.send(asset(&other_build))
        .await
        .expect_code(404, "route_not_found");
    s.send(asset("index.html"))
        .await
        .expect_code(404, "route_not_found");
    s.send(Req::new("GET", "/.well-known/jwks.json"))
        .await
        .expect(200);
    let root = s.login("platform", "root").await;
    s.send(
        Req::new("POST", "/auth/login").json(
            json!({"tenant": "platform", "username": "root", "password": "not-the-password"}),
        ),
    )
    .await
    .expect_code(401, "invalid_credentials");
    s.send(Req::new("POST", "/auth/login").json(json!({"tenant": "platform"})))
        .await
        .expect_code(400, "validation_failed");
    s.send(Req::new("GET", "/me").token(&root))
        .await
        .expect(200);
    s.send(Req::new("GET", "/me"))
        .await
        .expect_code(401, "unauthenticated");

    // A tenant.
    let acme = json!({
        "id": "acme",
        "name": " Acme Inc ",
        "owner": {"username": "Olivia", "email": "olivia@acme.test", "password": PASSWORD}
    });
    let created = s
        .send(Req::new("POST", "/tenants").token(&root).json(acme.clone()))
        .await
        .expect(201);
    let olivia = created.body["owner"]["id"].as_str().unwrap().to_owned();
    s.send(Req::new("POST", "/tenants").token(&root).json(acme))
        .await
        .expect_code(409, "tenant_exists");
    s.send(
        Req::new("POST", "/tenants")
            .token(&root)
            .json(json!({"id": "beta"})),
    )
    .await
    .expect_code(400, "validation_failed");
    s.send(
        Req::new("POST", "/tenants")
            .token(&root)
            .raw("text/plain", b"id=beta".to_vec()),
    )
    .await
    .expect_code(415, "unsupported_media_type");
    s.send(
        Req::new("POST", "/tenants")
            .token(&root)
            .raw("application/json", vec![b' '; 64 * 1024 + 1]),
    )
    .await
    .expect_code(413, "payload_too_large");
    let owner = s.login("acme", "olivia").await;
    let beta = json!({
        "id": "beta", "name": "Beta",
        "owner": {"username": "bob", "email": "bob@beta.test", "password": PASSWORD}
    });
    s.send(Req::new("POST", "/tenants").token(&owner).json(beta))
        .await
        .expect_code(403, "requires_super_admin");

    // Users.
    let new_user = |name: &str, role: &str| json!({"username": name, "email": format!("{name}@acme.test"), "password": PASSWORD, "role": role});
    let create = |token: &str, body: Value| {
        Req::new("POST", users)
            .at("tenant_id", "acme")
            .token(token)
            .json(body)
    };
    let ben = s
        .send(create(&owner, new_user("ben", "user")))
        .await
        .expect(201)
        .id();
    let alice = s
        .send(create(&owner, new_user("alice", "admin")))
        .await
        .expect(201)
        .id();
    let carl = s
        .send(create(&root, new_user("carl", "agent")))
        .await
        .expect(201)
        .id();
    let dave = s
        .send(create(&owner, new_user("dave", "agent")))
        .await
        .expect(201)
        .id();
    s.send(create(&owner, new_user("BEN", "user")))
        .await
        .expect_code(409, "username_taken");
    s.send(create(&owner, new_user("root2", "super_admin")))
        .await
        .expect_code(403, "cannot_create_super_admin");
    s.send(
        Req::new("POST", users)
            .at("tenant_id", "nope")
            .token(&owner)
            .json(new_user("eve", "user")),
    )
    .await
    .expect_code(404, "tenant_not_found");
    let ben_token = s.login("acme", "ben").await;
    let alice_token = s.login("acme", "alice").await;
    let dave_token = s.login("acme", "dave").await;
    s.send(create(&ben_token, new_user("eve", "user")))
        .await
        .expect_code(403, "insufficient_role");

    // Listing, pages and cursors.
    let list = |token: &str| Req::new("GET", users).at("tenant_id", "acme").token(token);
    let page = s.send(list(&owner).query("limit", "2")).await.expect(200);
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    s.send(list(&owner).query("limit", "2").query("cursor", &cursor))
        .await
        .expect(200);
    s.send(list(&ben_token)).await.expect(200);
    s.send(list(&owner).query("state", "everyone"))
        .await
        .expect_code(400, "validation_failed");
    s.send(list(&owner).query("cursor", "not-a-cursor!"))
        .await
        .expect_code(400, "validation_failed");
    s.send(list(&ben_token).query("state", "deleted"))
        .await
        .expect_code(403, "insufficient_role");
    s.send(Req::new("GET", users).at("tenant_id", "nope").token(&owner))
        .await
        .expect_code(404, "tenant_not_found");

    // One user: read and change.
    let one = |method: &'static str, id: &str, token: &str| {
        Req::new(method, user)
            .at("tenant_id", "acme")
            .at("user_id", id)
            .token(token)
    };
    s.send(one("GET", &ben, &ben_token)).await.expect(200);
    s.send(one("GET", nobody, &owner))
        .await
        .expect_code(404, "user_not_found");
    s.send(one("PATCH", &ben, &owner).json(json!({"role": "agent"})))
        .await
        .expect(200);
    s.send(one("PATCH", &ben, &owner).json(json!({})))
        .await
        .expect_code(400, "validation_failed");
    s.send(one("PATCH", &ben, &owner).json(json!({"is_owner": true})))
        .await
        .expect_code(400, "validation_failed");
    s.send(one("PATCH", &carl, &owner).json(json!({"email": "alice@acme.test"})))
        .await
        .expect_code(409, "email_taken");
    s.send(one("PATCH", &alice, &owner).json(json!({"role": "super_admin"})))
        .await
        .expect_code(403, "cannot_grant_super_admin");
    s.send(one("PATCH", &alice, &dave_token).json(json!({"email": "al@acme.test"})))
        .await
        .expect_code(403, "insufficient_role");
    s.send(one("PATCH", &dave, &dave_token).json(json!({"email": " Dave@Acme.test "})))
        .await
        .expect(200);

    // Delete, the trash, held names, restore.
    let deleted = s.send(one("DELETE", &ben, &owner)).await.expect(200);
    assert_eq!(deleted.body["state"], "deleted");
    s.send(one("DELETE", &ben, &owner)).await.expect(200);
    let seen = s.send(one("GET", &ben, &owner)).await.expect(200);
    assert_eq!(seen.body["state"], "deleted");
    let trash = s
        .send(list(&owner).query("state", "deleted"))
        .await
        .expect(200);
    assert_eq!(trash.body["items"][0]["id"], ben.as_str());
    s.send(list(&root).query("state", "all").query("limit", "100"))
        .await
        .expect(200);
    s.send(create(&owner, new_user("ben", "user")))
        .await
        .expect_code(409, "username_held_by_deleted_user");
    s.send(create(
        &owner,
        json!({"username": "benjamin", "email": "ben@acme.test", "password": PASSWORD, "role": "user"}),
    ))
    .await
    .expect_code(409, "email_held_by_deleted_user");
    s.send(one("PATCH", &carl, &owner).json(json!({"email": "ben@acme.test"})))
        .await
        .expect_code(409, "email_held_by_deleted_user");
    s.send(one("PATCH", &ben, &owner).json(json!({"role": "user"})))
        .await
        .expect_code(409, "user_deleted");
    let restore = |id: &str, token: &str| {
        Req::new("POST", "/tenants/{tenant_id}/users/{user_id}/restore")
            .at("tenant_id", "acme")
            .at("user_id", id)
            .token(token)
    };
    s.send(restore(&ben, &owner)).await.expect(200);
    s.send(restore(&ben, &owner))
        .await
        .expect_code(409, "not_deleted");
    s.send(restore(&olivia, &owner))
        .await
        .expect_code(403, "cannot_restore_self");

    // Refused deletes, then a purge.
    s.send(one("DELETE", &olivia, &owner))
        .await
        .expect_code(403, "cannot_delete_self");
    s.send(one("DELETE", &olivia, &root))
        .await
        .expect_code(403, "owner_protected");
    s.send(one("DELETE", &alice, &owner))
        .await
        .expect_code(403, "admin_cannot_delete_admin");
    let purge = |id: &str, token: &str| {
        Req::new("POST", "/tenants/{tenant_id}/users/{user_id}/purge")
            .at("tenant_id", "acme")
            .at("user_id", id)
            .token(token)
    };
    s.send(purge(&carl, &owner))
        .await
        .expect_code(409, "not_deleted");
    s.send(one("DELETE", &ben, &owner)).await.expect(200);
    let purged = s.send(purge(&ben, &owner)).await.expect(200);
    assert_eq!(purged.body["state"], "purged");
    s.send(one("GET", &ben, &owner))
        .await
        .expect_code(404, "user_not_found");

    // A restore after the purge date.
    s.send(one("DELETE", &carl, &owner)).await.expect(200);
    tenantry_tests::backdate_purge(&stack.store, "acme", &carl).await;
    s.send(restore(&carl, &owner))
        .await
        .expect_code(409, "restore_window_closed");

    // Retention.
    let tenant = |token: &str| {
        Req::new("PATCH", "/tenants/{tenant_id}")
            .at("tenant_id", "acme")
            .token(token)
    };
    s.send(tenant(&owner).json(json!({"retention_days": 7})))
        .await
        .expect(200);
    s.send(tenant(&owner).json(json!({"retention_days": 0})))
        .await
        .expect_code(400, "validation_failed");
    s.send(tenant(&alice_token).json(json!({"retention_days": 9})))
        .await
        .expect_code(403, "requires_owner");
    s.send(
        Req::new("PATCH", "/tenants/{tenant_id}")
            .at("tenant_id", "nope")
            .token(&root)
            .json(json!({"retention_days": 9})),
    )
    .await
    .expect_code(404, "tenant_not_found");

    // The tenant, with what each caller may do to it.
    let read = |token: &str, id: &str| {
        Req::new("GET", "/tenants/{tenant_id}")
            .at("tenant_id", id)
            .token(token)
    };
    let seen = s.send(read(&alice_token, "acme")).await.expect(200);
    assert_eq!(seen.body["retention_days"], 7);
    s.send(read(&root, "nope"))
        .await
        .expect_code(404, "tenant_not_found");
    s.send(read(&alice_token, "platform"))
        .await
        .expect_code(404, "tenant_not_found");

    // Ownership.
    let transfer = |token: &str, to: &str| {
        Req::new("POST", "/tenants/{tenant_id}/ownership")
            .at("tenant_id", "acme")
            .token(token)
            .json(json!({"new_owner_id": to}))
    };
    s.send(transfer(&owner, &carl))
        .await
        .expect_code(409, "user_deleted");
    s.send(transfer(&owner, &dave))
        .await
        .expect_code(409, "new_owner_not_admin");
    s.send(transfer(&owner, &olivia))
        .await
        .expect_code(409, "already_owner");
    s.send(transfer(&alice_token, &alice))
        .await
        .expect_code(403, "requires_owner");
    s.send(transfer(&owner, nobody))
        .await
        .expect_code(404, "user_not_found");
    let moved = s.send(transfer(&owner, &alice)).await.expect(200);
    assert_eq!(moved.body["new_owner"]["is_owner"], true);

    // Sessions: refresh once, logout, logout everywhere, passwords, the lockout.
    let erin = s
        .send(create(&owner, new_user("erin", "user")))
        .await
        .expect(201)
        .id();
    let session = s
        .send(
            Req::new("POST", "/auth/login")
                .json(json!({"tenant": "acme", "username": "erin", "password": PASSWORD})),
        )
        .await
        .expect(200);
    let refresh = json!({"refresh_token": session.body["refresh_token"]});
    s.send(Req::new("POST", "/auth/refresh").json(refresh.clone()))
        .await
        .expect(200);
    s.send(Req::new("POST", "/auth/refresh").json(refresh))
        .await
        .expect_code(401, "session_ended");
    s.send(Req::new("POST", "/auth/refresh").json(json!({})))
        .await
        .expect_code(400, "validation_failed");
    let erin_token = s.login("acme", "erin").await;
    s.send(Req::new("POST", "/auth/logout").token(&erin_token))
        .await
        .expect(200);
    s.send(Req::new("POST", "/auth/logout").token(&erin_token))
        .await
        .expect_code(401, "unauthenticated");
    let erin_token = s.login("acme", "erin").await;
    s.send(Req::new("POST", "/auth/logout-all").token(&erin_token))
        .await
        .expect(200);
    s.send(Req::new("POST", "/auth/logout-all").token(&erin_token))
        .await
        .expect_code(401, "unauthenticated");
    let password = |token: &str, user: &str, body: Value| {
        Req::new("POST", "/tenants/{tenant_id}/users/{user_id}/password")
            .at("tenant_id", "acme")
            .at("user_id", user)
            .token(token)
            .json(body)
    };
    let erin_token = s.login("acme", "erin").await;
    s.send(password(
        &erin_token,
        &erin,
        json!({"new_password": "a-new-long-password-1", "current_password": "wrong-password"}),
    ))
    .await
    .expect_code(403, "wrong_password");
    s.send(password(
        &erin_token,
        &erin,
        json!({"new_password": "short", "current_password": PASSWORD}),
    ))
    .await
    .expect_code(400, "validation_failed");
    s.send(password(
        &erin_token,
        &alice,
        json!({"new_password": "a-brand-new-long-password"}),
    ))
    .await
    .expect_code(403, "insufficient_role");
    s.send(password(
        &owner,
        &alice,
        json!({"new_password": "a-brand-new-long-password"}),
    ))
    .await
    .expect_code(403, "owner_protected");
    s.send(password(
        &owner,
        nobody,
        json!({"new_password": "a-brand-new-long-password"}),
    ))
    .await
    .expect_code(404, "user_not_found");
    s.send(password(
        &owner,
        &erin,
        json!({"new_password": "a-brand-new-long-password"}),
    ))
    .await
    .expect(200);
    s.send(password(
        &erin_token,
        &erin,
        json!({"new_password": "a-brand-new-long-password"}),
    ))
    .await
    .expect_code(401, "unauthenticated");
    for attempt in 1..=tenantry_accounts::MAX_FAILURES {
        let answer = s
            .send(
                Req::new("POST", "/auth/login")
                    .json(json!({"tenant": "acme", "username": "ghost", "password": PASSWORD})),
            )
            .await;
        if attempt < tenantry_accounts::MAX_FAILURES {
            answer.expect_code(401, "invalid_credentials");
        } else {
            answer.expect_code(429, "login_locked");
        }
    }

    // Directory (SCIM) tokens: alice owns the tenant now; olivia is an admin.
    let tokens = |token: &str, method: &'static str| {
        Req::new(method, "/tenants/{tenant_id}/scim-tokens")
            .at("tenant_id", "acme")
            .token(token)
    };
    let made = s
        .send(tokens(&alice_token, "POST").json(json!({"name": "Entra ID"})))
        .await
        .expect(201);
    let token_id = made.id();
    s.send(tokens(&owner, "POST").json(json!({"name": "Okta"})))
        .await
        .expect_code(403, "requires_owner");
    s.send(tokens(&alice_token, "POST").json(json!({"name": " "})))
        .await
        .expect_code(400, "validation_failed");
    s.send(tokens(&alice_token, "GET")).await.expect(200);
    s.send(tokens(&owner, "GET"))
        .await
        .expect_code(403, "requires_owner");
    let revoke = |token: &str, id: &str| {
        Req::new("DELETE", "/tenants/{tenant_id}/scim-tokens/{token_id}")
            .at("tenant_id", "acme")
            .at("token_id", id)
            .token(token)
    };
    s.send(revoke(&owner, &token_id))
        .await
        .expect_code(403, "requires_owner");
    s.send(revoke(&alice_token, &token_id)).await.expect(200);
    s.send(revoke(&alice_token, &token_id))
        .await
        .expect_code(404, "directory_token_not_found");

    // The audit log holds every kind of event the spec documents.
    let audit = |token: &str| {
        Req::new("GET", "/tenants/{tenant_id}/audit")
            .at("tenant_id", "acme")
            .token(token)
    };
    let log = s
        .send(audit(&alice_token).query("limit", "100"))
        .await
        .expect(200);
    let actions: BTreeSet<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    let documented: BTreeSet<&str> = spec
        .at("/components/schemas/AuditEvent/properties/action/enum")
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(actions, documented);
    // And the documented actions are exactly the audited ones, so a new one fails here until
    // it is documented. All but the bootstrap of the platform's first super admin: the
    // platform is no tenant, and its log is not served.
    let audited: BTreeSet<&str> = tenantry_accounts::AuditAction::ALL
        .into_iter()
        .filter(|a| a.is_audited() && *a != tenantry_accounts::AuditAction::UserBootstrap)
        .map(tenantry_accounts::AuditAction::as_str)
        .collect();
    assert_eq!(documented, audited);
    let first = s.send(audit(&owner).query("limit", "2")).await.expect(200);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    s.send(audit(&owner).query("limit", "2").query("cursor", &cursor))
        .await
        .expect(200);
    s.send(audit(&dave_token))
        .await
        .expect_code(403, "insufficient_role");
    s.send(audit(&owner).query("limit", "0"))
        .await
        .expect_code(400, "validation_failed");
    s.send(
        Req::new("GET", "/tenants/{tenant_id}/audit")
            .at("tenant_id", "nope")
            .token(&root),
    )
    .await
    .expect_code(404, "tenant_not_found");

    // SCIM, as a directory: discovery, the user's life, and what it may not do.
    let directory = s
        .send(tokens(&alice_token, "POST").json(json!({"name": "Okta"})))
        .await
        .expect(201)
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let doc = |template: &'static str, document: &str| {
        Req::new("GET", template)
            .at("tenant_id", "acme")
            .at("document", document)
            .token(&directory)
    };
    for document in ["ServiceProviderConfig", "ResourceTypes", "Schemas"] {
        s.send(doc("/scim/v2/{tenant_id}/{document}", document))
            .await
            .expect(200);
    }
    s.send(doc("/scim/v2/{tenant_id}/{document}", "Groups"))
        .await
        .expect(404);
    s.send(
        doc(
            "/scim/v2/{tenant_id}/{document}/{document_id}",
            "ResourceTypes",
        )
        .at("document_id", "User"),
    )
    .await
    .expect(200);
    s.send(
        Req::new("POST", "/scim/v2/{tenant_id}/{document}")
            .at("tenant_id", "acme")
            .at("document", ".search")
            .token(&directory)
            .json(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]})),
    )
    .await
    .expect(501);
    let scim_users = |method: &'static str| {
        Req::new(method, "/scim/v2/{tenant_id}/Users")
            .at("tenant_id", "acme")
            .token(&directory)
    };
    let provisioned = s
        .send(scim_users("POST").json(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "Sam.Scim@Acme.test",
            "name": {"givenName": "Sam", "familyName": "Scim"},
            "emails": [{"value": "sam.scim@acme.test", "primary": true}]
        })))
        .await
        .expect(201);
    let sam = provisioned.id();
    s.send(scim_users("POST").json(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "sam.scim@acme.test",
        "emails": [{"value": "other@acme.test"}]
    })))
    .await
    .expect(409);
    s.send(scim_users("GET").query("filter", "userName%20eq%20%22sam.scim%40acme.test%22"))
        .await
        .expect(200);
    s.send(
        scim_users("GET")
            .query("startIndex", "1")
            .query("count", "2"),
    )
    .await
    .expect(200);
    s.send(scim_users("GET").query("filter", "name.givenName%20co%20%22S%22"))
        .await
        .expect(400);
    let scim_user = |method: &'static str, id: &str| {
        Req::new(method, "/scim/v2/{tenant_id}/Users/{user_id}")
            .at("tenant_id", "acme")
            .at("user_id", id)
            .token(&directory)
    };
    s.send(scim_user("GET", &sam).query("attributes", "userName"))
        .await
        .expect(200);
    let deactivate = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}]
    });
    s.send(scim_user("PATCH", &sam).json(deactivate.clone()))
        .await
        .expect(200);
    s.send(scim_user("PUT", &sam).json(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "sam.scim@acme.test",
        "emails": [{"value": "sam.scim@acme.test"}],
        "active": true
    })))
    .await
    .expect(200);
    s.send(scim_user("PATCH", &alice).json(deactivate))
        .await
        .expect(403);
    s.send(scim_user("DELETE", &sam)).await.expect(204);
    s.send(scim_user("GET", &sam)).await.expect(404);
    s.send(scim_user("GET", &sam).token(&owner))
        .await
        .expect(401);

    // Every operation was answered with success at least once; `POST /.search` answers 501.
    let succeeded: BTreeSet<&str> = s
        .answered
        .iter()
        .filter(|(_, status)| (200..300).contains(status))
        .map(|(operation, _)| operation.as_str())
        .collect();
    let operations = spec.operations();
    let all: BTreeSet<&str> = operations
        .values()
        .map(String::as_str)
        .filter(|operation| *operation != "scimSearch")
        .collect();
    assert_eq!(succeeded, all);
    assert!(s.answered.contains(&("scimSearch".to_owned(), 501)));
    assert!(s.answered.len() >= 40, "{:?}", s.answered);
}
