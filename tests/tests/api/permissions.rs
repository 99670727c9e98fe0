//! Least privilege, checked: each function's IAM policy in template.yaml grants exactly the
//! DynamoDB actions that function uses, on its happy paths and its conflict paths (and the
//! event publisher exactly its stream reads and its PutEvents), each on its own resource; and
//! where a statement restricts the items by their partition key (`dynamodb:LeadingKeys`), its
//! patterns are exactly the key prefixes its actions used.

use std::collections::{BTreeMap, BTreeSet};

use lambda_http::http::StatusCode;
use serde_json::json;
use tenantry_dev::template::{self, Template};
use tenantry_tests::{LeadingKeys, PASSWORD, Request, Stack};

/// (function, method, path, token, body, expected status)
type Call<'a> = (
    &'a str,
    &'a str,
    String,
    Option<&'a str>,
    Option<serde_json::Value>,
    StatusCode,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_policy_grants_exactly_the_dynamodb_actions_it_uses() {
    let stack = Stack::with_events().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
    let (ada_id, _) = stack.user("acme", &owner, "ada", "admin").await;
    let (cy_id, _) = stack.user("acme", &owner, "cyd", "agent").await;
    let (dot_id, _) = stack.user("acme", &owner, "dot", "user").await;
    stack
        .delete("acme", &dot_id, &owner)
        .await
        .expect(StatusCode::OK);
    let root = stack.root_token.clone();
    let globex = json!({"id": "globex", "name": "Globex", "owner": {"username": "gina", "email": "gina@globex.test", "password": PASSWORD}});
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut keys_used: BTreeMap<String, LeadingKeys> = BTreeMap::new();
    let session = Request::post("/auth/login")
        .json(json!({"tenant": "acme", "username": "cyd", "password": PASSWORD}))
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    let refresh = json!({"refresh_token": session.body["refresh_token"]});
    let (cyd_token, _) = stack.token_of("acme", &cy_id).await.unwrap();
    let (ben_token, _) = stack.token_of("acme", &ben_id).await.unwrap();
    let (ada_token, _) = stack.token_of("acme", &ada_id).await.unwrap();

    let directory_token = Request::post("/tenants/acme/scim-tokens")
        .token(&owner)
        .json(json!({"name": "Okta"}))
        .send(&stack)
        .await
        .expect(StatusCode::CREATED)
        .id();

    // The SCIM functions, each with a token of its own: the first use of a token records it
    // (UpdateItem), as a function's first call may.
    let mut scim_tokens = Vec::new();
    for _ in 0..9 {
        scim_tokens.push(crate::scim::directory(&stack, "acme", &owner).await);
    }
    let (fay_id, _) = stack.user("acme", &owner, "fay", "user").await;
    let (gus_id, _) = stack.user("acme", &owner, "gus", "user").await;
    let (hal_id, _) = stack.user("acme", &owner, "hal", "user").await;
    let scim_user = |name: &str, email: &str| json!({"schemas": [crate::scim::USER_SCHEMA], "userName": name, "emails": [{"value": email}]});
    let scim_email = |email: &str| {
        crate::scim::patch(
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": email}]),
        )
    };

    // Happy paths and conflict paths of every function.
    let calls: Vec<Call> = vec![
        (
            "health",
            "GET",
            "/health".into(),
            None,
            None,
            StatusCode::OK,
        ),
        (
            "console",
            "GET",
            "/console".into(),
            None,
            None,
            StatusCode::OK,
        ),
        (
            "get-jwks",
            "GET",
            "/.well-known/jwks.json".into(),
            None,
            None,
            StatusCode::OK,
        ),
        (
            "auth-login",
            "POST",
            "/auth/login".into(),
            None,
            Some(json!({"tenant": "acme", "username": "ben", "password": PASSWORD})),
            StatusCode::OK,
        ),
        (
            "auth-login",
            "POST",
            "/auth/login".into(),
            None,
            Some(json!({"tenant": "acme", "username": "nobody", "password": PASSWORD})),
            StatusCode::UNAUTHORIZED,
        ),
        // A failure, then a success that clears the failure count.
        (
            "auth-login",
            "POST",
            "/auth/login".into(),
            None,
            Some(json!({"tenant": "acme", "username": "ben", "password": "not-the-password"})),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "auth-login",
            "POST",
            "/auth/login".into(),
            None,
            Some(json!({"tenant": "acme", "username": "ben", "password": PASSWORD})),
            StatusCode::OK,
        ),
        (
            "auth-refresh",
            "POST",
            "/auth/refresh".into(),
            None,
            Some(refresh.clone()),
            StatusCode::OK,
        ),
        // Used again: the session is revoked.
        (
            "auth-refresh",
            "POST",
            "/auth/refresh".into(),
            None,
            Some(refresh),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "auth-logout",
            "POST",
            "/auth/logout".into(),
            Some(&ben_token),
            None,
            StatusCode::OK,
        ),
        (
            "auth-logout-all",
            "POST",
            "/auth/logout-all".into(),
            Some(&cyd_token),
            None,
            StatusCode::OK,
        ),
        (
            "create-tenant",
            "POST",
            "/tenants".into(),
            Some(&root),
            Some(globex.clone()),
            StatusCode::CREATED,
        ),
        (
            "create-tenant",
            "POST",
            "/tenants".into(),
            Some(&root),
            Some(globex.clone()),
            StatusCode::CONFLICT,
        ),
        (
            "create-user",
            "POST",
            "/tenants/acme/users".into(),
            Some(&owner),
            Some(
                json!({"username": "carl", "email": "carl@acme.test", "password": PASSWORD, "role": "user"}),
            ),
            StatusCode::CREATED,
        ),
        (
            "get-me",
            "GET",
            "/me".into(),
            Some(&owner),
            None,
            StatusCode::OK,
        ),
        (
            "get-user",
            "GET",
            format!("/tenants/acme/users/{ben_id}"),
            Some(&owner),
            None,
            StatusCode::OK,
        ),
        (
            "list-users",
            "GET",
            "/tenants/acme/users?state=all".into(),
            Some(&owner),
            None,
            StatusCode::OK,
        ),
        (
            "delete-user",
            "DELETE",
            format!("/tenants/acme/users/{ben_id}"),
            Some(&owner),
            None,
            StatusCode::OK,
        ),
        // A claim held by the deleted user: the conflict path reads the holder.
        (
            "create-user",
            "POST",
            "/tenants/acme/users".into(),
            Some(&owner),
            Some(
                json!({"username": "ben", "email": "other@acme.test", "password": PASSWORD, "role": "user"}),
            ),
            StatusCode::CONFLICT,
        ),
        (
            "restore-user",
            "POST",
            format!("/tenants/acme/users/{ben_id}/restore"),
            Some(&owner),
            None,
            StatusCode::OK,
        ),
        (
            "update-user",
            "PATCH",
            format!("/tenants/acme/users/{cy_id}"),
            Some(&owner),
            Some(json!({"role": "user", "email": "cyd.new@acme.test"})),
            StatusCode::OK,
        ),
        // An email held by someone else: the conflict path reads the holder.
        (
            "update-user",
            "PATCH",
            format!("/tenants/acme/users/{cy_id}"),
            Some(&owner),
            Some(json!({"email": "ben@acme.test"})),
            StatusCode::CONFLICT,
        ),
        // A super admin hands over: the current owner is read on its own.
        (
            "transfer-ownership",
            "POST",
            "/tenants/acme/ownership".into(),
            Some(&root),
            Some(json!({"new_owner_id": ada_id})),
            StatusCode::OK,
        ),
        (
            "list-audit",
            "GET",
            "/tenants/acme/audit?limit=5".into(),
            Some(&root),
            None,
            StatusCode::OK,
        ),
        (
            "update-tenant",
            "PATCH",
            "/tenants/acme".into(),
            Some(&root),
            Some(json!({"retention_days": 14})),
            StatusCode::OK,
        ),
        (
            "get-tenant",
            "GET",
            "/tenants/acme".into(),
            Some(&owner),
            None,
            StatusCode::OK,
        ),
        (
            "purge-user",
            "POST",
            format!("/tenants/acme/users/{dot_id}/purge"),
            Some(&root),
            None,
            StatusCode::OK,
        ),
        (
            "set-password",
            "POST",
            format!("/tenants/acme/users/{ben_id}/password"),
            Some(&owner),
            Some(json!({"new_password": "a-brand-new-long-password"})),
            StatusCode::OK,
        ),
        // Your own, with a wrong current password: counted like a failed login.
        (
            "set-password",
            "POST",
            format!("/tenants/acme/users/{ada_id}/password"),
            Some(&ada_token),
            Some(
                json!({"new_password": "a-brand-new-long-password", "current_password": "wrong-password"}),
            ),
            StatusCode::FORBIDDEN,
        ),
        // Your own, with the right current password: the failure count goes.
        (
            "set-password",
            "POST",
            format!("/tenants/acme/users/{ada_id}/password"),
            Some(&ada_token),
            Some(
                json!({"new_password": "a-brand-new-long-password", "current_password": PASSWORD}),
            ),
            StatusCode::OK,
        ),
        (
            "create-directory-token",
            "POST",
            "/tenants/acme/scim-tokens".into(),
            Some(&root),
            Some(json!({"name": "Entra ID"})),
            StatusCode::CREATED,
        ),
        (
            "list-directory-tokens",
            "GET",
            "/tenants/acme/scim-tokens".into(),
            Some(&root),
            None,
            StatusCode::OK,
        ),
        (
            "revoke-directory-token",
            "DELETE",
            format!("/tenants/acme/scim-tokens/{directory_token}"),
            Some(&root),
            None,
            StatusCode::OK,
        ),
        (
            "scim-discovery",
            "GET",
            "/scim/v2/acme/ServiceProviderConfig".into(),
            Some(&scim_tokens[0]),
            None,
            StatusCode::OK,
        ),
        (
            "scim-discovery-item",
            "GET",
            "/scim/v2/acme/ResourceTypes/User".into(),
            Some(&scim_tokens[1]),
            None,
            StatusCode::OK,
        ),
        (
            "scim-create-user",
            "POST",
            "/scim/v2/acme/Users".into(),
            Some(&scim_tokens[2]),
            Some(scim_user("sam@acme.test", "sam@acme.test")),
            StatusCode::CREATED,
        ),
        // A taken name: who holds it is looked up.
        (
            "scim-create-user",
            "POST",
            "/scim/v2/acme/Users".into(),
            Some(&scim_tokens[2]),
            Some(scim_user("ben", "ben-2@acme.test")),
            StatusCode::CONFLICT,
        ),
        (
            "scim-list-users",
            "GET",
            "/scim/v2/acme/Users?filter=userName%20eq%20%22ben%22".into(),
            Some(&scim_tokens[3]),
            None,
            StatusCode::OK,
        ),
        (
            "scim-list-users",
            "GET",
            "/scim/v2/acme/Users?startIndex=2&count=2".into(),
            Some(&scim_tokens[3]),
            None,
            StatusCode::OK,
        ),
        (
            "scim-get-user",
            "GET",
            format!("/scim/v2/acme/Users/{ben_id}"),
            Some(&scim_tokens[4]),
            None,
            StatusCode::OK,
        ),
        // A new email moves its claim; a taken one is looked up.
        (
            "scim-replace-user",
            "PUT",
            format!("/scim/v2/acme/Users/{fay_id}"),
            Some(&scim_tokens[5]),
            Some(scim_user("fay", "fay-2@acme.test")),
            StatusCode::OK,
        ),
        (
            "scim-replace-user",
            "PUT",
            format!("/scim/v2/acme/Users/{fay_id}"),
            Some(&scim_tokens[5]),
            Some(scim_user("fay", "ben@acme.test")),
            StatusCode::CONFLICT,
        ),
        (
            "scim-patch-user",
            "PATCH",
            format!("/scim/v2/acme/Users/{gus_id}"),
            Some(&scim_tokens[6]),
            Some(scim_email("gus-2@acme.test")),
            StatusCode::OK,
        ),
        (
            "scim-patch-user",
            "PATCH",
            format!("/scim/v2/acme/Users/{gus_id}"),
            Some(&scim_tokens[6]),
            Some(scim_email("ben@acme.test")),
            StatusCode::CONFLICT,
        ),
        (
            "scim-delete-user",
            "DELETE",
            format!("/scim/v2/acme/Users/{hal_id}"),
            Some(&scim_tokens[7]),
            None,
            StatusCode::NO_CONTENT,
        ),
        (
            "scim-search",
            "POST",
            "/scim/v2/acme/.search".into(),
            Some(&scim_tokens[8]),
            Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]})),
            StatusCode::NOT_IMPLEMENTED,
        ),
    ];
    for (function, method, path, token, body, expected) in calls {
        stack.round_trips.reset();
        let answer = Request::new(method, &path)
            .maybe_token(token)
            .maybe_json(body)
            .send(&stack)
            .await;
        assert_eq!(
            answer.status, expected,
            "{function} {method} {path}: {}",
            answer.body
        );
        used.entry(function.to_owned())
            .or_default()
            .extend(stack.round_trips.iam_actions());
        merge(
            keys_used.entry(function.to_owned()).or_default(),
            stack.round_trips.leading_keys(),
        );
    }

    // A right password whose attempt another attempt was counted after: login gives its
    // attempt back with an update, not a delete. The wrong password is sent just after the
    // right one, so that it is usually counted second; a few rounds make sure it once was.
    let mut gave_back = false;
    for round in 0..30 {
        let name = format!("racer{round}");
        stack.user("acme", &owner, &name, "user").await;
        stack.round_trips.reset();
        let login = |password: &'static str| {
            Request::post("/auth/login")
                .json(json!({"tenant": "acme", "username": name, "password": password}))
                .send(&stack)
        };
        let (right, wrong) = tokio::join!(login(PASSWORD), async {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            login("not-the-password").await
        });
        assert_eq!(
            (right.status, wrong.status),
            (StatusCode::OK, StatusCode::UNAUTHORIZED)
        );
        let actions = stack.round_trips.iam_actions();
        used.entry("auth-login".to_owned())
            .or_default()
            .extend(actions.iter().cloned());
        merge(
            keys_used.entry("auth-login".to_owned()).or_default(),
            stack.round_trips.leading_keys(),
        );
        if actions.contains("dynamodb:UpdateItem") {
            gave_back = true;
            break;
        }
    }
    assert!(gave_back, "no login gave its attempt back in 30 rounds");

    // A right password whose hash was made with older parameters: the attempt is given back
    // and the user's hash replaced, in one transaction.
    let (old_id, _) = stack.user("acme", &owner, "olga", "user").await;
    crate::rehash::plant(&stack, "acme", &old_id, crate::rehash::OLDER_HASH).await;
    stack.round_trips.reset();
    Request::post("/auth/login")
        .json(json!({"tenant": "acme", "username": "olga", "password": PASSWORD}))
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    assert!(
        stack
            .round_trips
            .by_operation()
            .contains_key("TransactWriteItems"),
        "the login re-hashed"
    );
    used.entry("auth-login".to_owned())
        .or_default()
        .extend(stack.round_trips.iam_actions());
    merge(
        keys_used.entry("auth-login".to_owned()).or_default(),
        stack.round_trips.leading_keys(),
    );

    // The scheduled purge: due users (Eve, and Hal whom the directory deleted), one
    // transaction lost to a conflict (its tombstone is looked for before trying again), then
    // the purge.
    let (eve_id, _) = stack.user("acme", &owner, "eve", "user").await;
    stack
        .delete("acme", &eve_id, &owner)
        .await
        .expect(StatusCode::OK);
    stack.round_trips.reset();
    stack.faults.cancel_next(1, "TransactionConflict");
    let run = tenantry_accounts::PurgeRun {
        as_of: time::OffsetDateTime::now_utc() + time::Duration::days(15),
        ..tenantry_accounts::PurgeRun::now()
    };
    let purger = tenantry_accounts::Purger::new(stack.store.clone(), Default::default());
    let summary = purger.run(&run, |_| {}).await;
    assert_eq!((summary.purged, summary.failed), (2, 0), "{summary:?}");
    assert_eq!(stack.faults.pending(), 0);
    used.entry("purge-deleted".to_owned())
        .or_default()
        .extend(stack.round_trips.iam_actions());
    merge(
        keys_used.entry("purge-deleted".to_owned()).or_default(),
        stack.round_trips.leading_keys(),
    );

    // The event publisher: the stream of everything above, read and put on a bus.
    let mut rig = tenantry_tests::events::EventsRig::start(&stack).await;
    let audits = tenantry_tests::events::audit_log(&stack, &["platform", "acme", "globex"]).await;
    let ids = audits.iter().map(|a| a.id.clone()).collect();
    let missing = rig
        .subscriber
        .receive(&ids, std::time::Duration::from_secs(30))
        .await;
    assert!(missing.is_empty(), "never published: {missing:?}");
    rig.stop().await;
    used.insert("publish-events".to_owned(), rig.calls.iam_actions());

    let granted = Template::load(&template::default_path())
        .unwrap()
        .granted_actions()
        .unwrap();
    assert_eq!(
        granted.keys().collect::<Vec<_>>(),
        used.keys().collect::<Vec<_>>(),
        "every function of the template is exercised here"
    );
    for (function, actions) in &granted {
        assert_eq!(
            actions, &used[function],
            "{function}: granted (left) vs used (right)"
        );
    }
    leading_keys_cover_exactly_what_was_used(&keys_used);
}

fn merge(into: &mut LeadingKeys, from: LeadingKeys) {
    for (action, values) in from {
        into.entry(action).or_default().extend(values);
    }
}

/// The functions whose table statements carry no `dynamodb:LeadingKeys` condition, and why.
/// None today: each function's statements name the key prefixes it reads (one statement) and
/// writes (another), and no function touches every prefix. A function added here must say why.
const UNRESTRICTED: &[(&str, &str)] = &[];

/// The pattern a partition key value matches: its prefix up to the first `#`, then `*`
/// (`TENANT#acme` -> `TENANT#*`).
fn pattern(value: &str) -> String {
    match value.split_once('#') {
        Some((prefix, _)) => format!("{prefix}#*"),
        None => value.to_owned(),
    }
}

/// Each statement of a function's policy that restricts items by partition key lists exactly
/// the patterns of the keys its actions named, no fewer (a request would be refused) and no
/// more (a grant nothing uses). A function without such a condition is one of `UNRESTRICTED`.
fn leading_keys_cover_exactly_what_was_used(keys_used: &BTreeMap<String, LeadingKeys>) {
    let text = std::fs::read_to_string(template::default_path()).unwrap();
    let root: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let mut restricted = BTreeSet::new();
    let mut unrestricted = BTreeSet::new();
    for (_, function) in root["Resources"].as_mapping().unwrap() {
        if function["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = function["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap();
        let used = keys_used.get(binary).cloned().unwrap_or_default();
        let policies = function["Properties"]["Policies"].as_sequence();
        for statement in policies
            .into_iter()
            .flatten()
            .filter_map(|policy| policy["Statement"].as_sequence())
            .flatten()
        {
            let actions: Vec<&str> = statement["Action"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            let named: BTreeSet<String> = actions
                .iter()
                .flat_map(|action| used.get(*action).into_iter().flatten())
                .map(|value| pattern(value))
                .collect();
            if named.is_empty() {
                // Stream reads and PutEvents: no item is named.
                assert!(
                    statement.get("Condition").is_none(),
                    "{binary}: a condition on {actions:?}"
                );
                continue;
            }
            let Some(condition) = statement.get("Condition") else {
                unrestricted.insert(binary);
                continue;
            };
            let condition = condition.as_mapping().unwrap();
            assert_eq!(condition.len(), 1, "{binary}: one condition, {condition:?}");
            let like = condition
                .get("ForAllValues:StringLike")
                .and_then(serde_yaml::Value::as_mapping)
                .unwrap_or_else(|| panic!("{binary}: ForAllValues:StringLike, {condition:?}"));
            assert_eq!(
                like.len(),
                1,
                "{binary}: only dynamodb:LeadingKeys, {like:?}"
            );
            let granted: BTreeSet<String> = like
                .get("dynamodb:LeadingKeys")
                .and_then(serde_yaml::Value::as_sequence)
                .unwrap_or_else(|| panic!("{binary}: a list of dynamodb:LeadingKeys"))
                .iter()
                .map(|p| p.as_str().unwrap().to_owned())
                .collect();
            assert_eq!(
                granted, named,
                "{binary} {actions:?}: LeadingKeys granted (left) vs used (right)"
            );
            restricted.insert(binary);
        }
    }
    assert!(
        restricted.is_disjoint(&unrestricted),
        "restricted in one statement and not in another: {:?}",
        restricted.intersection(&unrestricted).collect::<Vec<_>>()
    );
    let listed: BTreeSet<&str> = UNRESTRICTED.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        unrestricted, listed,
        "functions without LeadingKeys (left) vs those listed in UNRESTRICTED (right)"
    );
    assert!(restricted.len() >= 25, "{restricted:?}");
}

/// The publisher's statements name their resources: the stream reads the table's stream only,
/// and PutEvents the stack's own bus only.
#[test]
fn the_publisher_reads_only_the_table_stream_and_puts_only_on_its_bus() {
    let text = std::fs::read_to_string(template::default_path()).unwrap();
    let root: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let statements =
        &root["Resources"]["PublishEventsFunction"]["Properties"]["Policies"][0]["Statement"];
    let mut by_action = BTreeMap::new();
    for statement in statements.as_sequence().unwrap() {
        assert_eq!(statement["Effect"], "Allow");
        let resources = serde_json::to_value(&statement["Resource"]).unwrap();
        for action in statement["Action"].as_sequence().unwrap() {
            by_action.insert(action.as_str().unwrap().to_owned(), resources.clone());
        }
    }
    let stream = json!([{"Fn::GetAtt": ["UsersTable", "StreamArn"]}]);
    for action in [
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
    ] {
        assert_eq!(by_action[action], stream, "{action}");
    }
    assert_eq!(
        by_action["dynamodb:ListStreams"],
        json!([{"Fn::Sub": "${UsersTable.Arn}/stream/*"}])
    );
    assert_eq!(
        by_action["events:PutEvents"],
        json!([{"Fn::GetAtt": ["EventBus", "Arn"]}])
    );
    assert_eq!(by_action.len(), 5, "{by_action:?}");
}
