//! The sample events of `events/` (for `sam local invoke <LogicalId> -e events/<name>.json`):
//! one per function, each fed to its function the way Lambda would feed it, so that a
//! changed route, parameter or body fails here instead of in someone's terminal.
//!
//! The HTTP events go through `lambda_http`'s own deserialisation (API Gateway HTTP API,
//! payload format 2.0), not through the dev router, and then to the function's handler.

use std::collections::BTreeSet;
use std::sync::Arc;

use lambda_http::http::StatusCode;
use serde_json::Value;
use tenantry_accounts::Purger;
use tenantry_dev::router;
use tenantry_dev::template::{self, RouteSpec, Template};
use tenantry_tests::{Answer, Request, Stack, samples};

fn template() -> Template {
    Template::load(&template::default_path()).unwrap()
}

/// The binary names the files of `events/` are for.
fn event_names() -> BTreeSet<String> {
    std::fs::read_dir(samples::events_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .map(|path| {
            assert_eq!(
                path.extension().and_then(|e| e.to_str()),
                Some("json"),
                "{} is not an event file",
                path.display()
            );
            path.file_stem().unwrap().to_str().unwrap().to_owned()
        })
        .collect()
}

/// The names of a route's path parameters, in order.
fn path_parameter_names(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

/// Checks that a v2 event is the event API Gateway sends for `route`.
fn check_matches_route(name: &str, event: &Value, route: &RouteSpec) {
    let route_key = format!("{} {}", route.method, route.path);
    assert_eq!(event["version"], "2.0", "{name}");
    assert_eq!(event["routeKey"], route_key.as_str(), "{name}: routeKey");
    let context = &event["requestContext"];
    assert_eq!(
        context["routeKey"],
        route_key.as_str(),
        "{name}: requestContext.routeKey"
    );
    assert_eq!(
        context["http"]["method"],
        route.method.as_str(),
        "{name}: method"
    );
    assert_eq!(context["stage"], "$default", "{name}: stage");
    assert_eq!(event["isBase64Encoded"], false, "{name}");

    let names = path_parameter_names(&route.path);
    let given: BTreeSet<&str> = event["pathParameters"]
        .as_object()
        .map(|params| params.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        given,
        names.iter().copied().collect::<BTreeSet<_>>(),
        "{name}: pathParameters"
    );
    let mut concrete = route.path.clone();
    for param in names {
        let value = event["pathParameters"][param].as_str().unwrap();
        concrete = concrete.replace(&format!("{{{param}}}"), value);
    }
    assert_eq!(event["rawPath"], concrete.as_str(), "{name}: rawPath");
    assert_eq!(
        context["http"]["path"],
        concrete.as_str(),
        "{name}: requestContext.http.path"
    );

    let raw_query = event["rawQueryString"].as_str().unwrap();
    let parsed: Vec<(String, String)> = form_pairs(raw_query);
    let declared: Vec<(String, String)> = event["queryStringParameters"]
        .as_object()
        .map(|params| {
            params
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        parsed.iter().collect::<BTreeSet<_>>(),
        declared.iter().collect::<BTreeSet<_>>(),
        "{name}: rawQueryString and queryStringParameters disagree"
    );

    let headers = event["headers"].as_object().unwrap();
    assert!(
        headers.keys().all(|k| *k == k.to_ascii_lowercase()),
        "{name}: header names are lowercase in payload 2.0"
    );
    if event.get("body").is_some() {
        // SCIM's own media type on the SCIM routes, JSON elsewhere.
        let expected = if name.starts_with("scim-") {
            "application/scim+json; charset=utf-8"
        } else {
            "application/json"
        };
        assert_eq!(
            headers.get("content-type").and_then(Value::as_str),
            Some(expected),
            "{name}: a body needs its content type"
        );
        let body = event["body"].as_str().unwrap();
        serde_json::from_str::<Value>(body)
            .unwrap_or_else(|e| panic!("{name}: the body is not JSON: {e}"));
    }
}

/// `a=1&b=2` as pairs, decoded as a query string is (`+` and `%22`).
fn form_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Feeds the HTTP events to their functions and remembers which were fed.
struct Feeder<'a> {
    stack: &'a Stack,
    routes: Vec<RouteSpec>,
    fed: BTreeSet<String>,
}

impl Feeder<'_> {
    /// Reads `events/<name>.json`, checks it against the template's route, fills in the
    /// token and the ids, turns it into a request with `lambda_http::request::from_str` and
    /// answers it with the function's handler; asserts `expected` and returns the body.
    async fn feed(
        &mut self,
        name: &str,
        token: Option<&str>,
        ids: &[(&str, &str)],
        expected: StatusCode,
    ) -> Value {
        let text = samples::read(name);
        let route = self
            .routes
            .iter()
            .find(|r| r.function == name)
            .unwrap_or_else(|| panic!("{name}: no HttpApi route in template.yaml"));
        check_matches_route(name, &serde_json::from_str(&text).unwrap(), route);

        let text = samples::filled(name, token, ids);
        let event: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{name}: not JSON once filled in: {e}"));

        let request = lambda_http::request::from_str(&text)
            .unwrap_or_else(|e| panic!("{name}: lambda_http cannot read it: {e}"));
        assert_eq!(request.method().as_str(), route.method, "{name}");
        assert_eq!(
            request.uri().path(),
            event["rawPath"].as_str().unwrap(),
            "{name}"
        );

        let (action, handler) = router::handlers()
            .into_iter()
            .find(|(binary, _, _)| *binary == name)
            .map(|(_, action, handler)| (action, handler))
            .unwrap_or_else(|| panic!("{name}: no handler"));
        let response =
            tenantry_http::call(action, handler, Arc::clone(&self.stack.app), request).await;
        let answer = Answer::read(response).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(answer.status, expected, "{name}: {}", answer.body);
        assert!(self.fed.insert(name.to_owned()), "{name} fed twice");
        answer.body
    }
}

#[test]
fn there_is_one_event_per_function() {
    let template = template();
    let mut functions: BTreeSet<String> = template
        .routes()
        .unwrap()
        .into_iter()
        .map(|r| r.function)
        .collect();
    functions.extend(template.scheduled_functions().unwrap());
    functions.extend(template.stream_functions().unwrap());
    assert_eq!(event_names(), functions);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_http_event_is_answered_by_its_function() {
    let stack = Stack::new().await;
    let routes = template().routes().unwrap();
    let (owner_id, owner) = stack.tenant("acme").await;
    let (ben, _) = stack.user("acme", &owner, "ben", "user").await;
    let (ada, _) = stack.user("acme", &owner, "ada", "admin").await;
    let mut feeder = Feeder {
        stack: &stack,
        routes: routes.clone(),
        fed: BTreeSet::new(),
    };
    let ben_id = [("USER_ID", ben.as_str())];

    let body = feeder.feed("health", None, &[], StatusCode::OK).await;
    assert_eq!(body["status"], "ok");

    let body = feeder.feed("console", None, &[], StatusCode::OK).await;
    assert!(
        body.as_str().unwrap().contains("/console/assets/"),
        "{body}"
    );

    let body = feeder.feed("get-jwks", None, &[], StatusCode::OK).await;
    assert_eq!(body["keys"][0]["kid"], tenantry_tests::SIGNING_KID);

    let body = feeder.feed("auth-login", None, &[], StatusCode::OK).await;
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(stack.me(token).await["id"], ben.as_str());
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();

    let body = feeder
        .feed(
            "auth-refresh",
            None,
            &[("REFRESH_TOKEN", refresh.as_str())],
            StatusCode::OK,
        )
        .await;
    assert_ne!(body["refresh_token"], refresh.as_str());
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(stack.me(&token).await["id"], ben.as_str());

    let body = feeder
        .feed("auth-logout", Some(&token), &[], StatusCode::OK)
        .await;
    assert_eq!(body["sessions_revoked"], "current");
    Request::get("/me")
        .token(&token)
        .send(&stack)
        .await
        .expect(StatusCode::UNAUTHORIZED);

    let body = feeder
        .feed("set-password", Some(&owner), &ben_id, StatusCode::OK)
        .await;
    assert_eq!(body["sessions_revoked"], true);
    let ben_token = stack
        .login("acme", "ben", "a-brand-new-long-password")
        .await;

    let body = feeder
        .feed("auth-logout-all", Some(&ben_token), &[], StatusCode::OK)
        .await;
    assert_eq!(body["sessions_revoked"], "all");
    Request::get("/me")
        .token(&ben_token)
        .send(&stack)
        .await
        .expect(StatusCode::UNAUTHORIZED);

    let root = stack.root_token.clone();
    let body = feeder
        .feed("create-tenant", Some(&root), &[], StatusCode::CREATED)
        .await;
    assert_eq!(body["tenant"]["id"], "globex");
    assert_eq!(body["owner"]["is_owner"], true);

    let body = feeder
        .feed("create-user", Some(&owner), &[], StatusCode::CREATED)
        .await;
    assert_eq!(body["username"], "zed");
    assert_eq!(body["tenant_id"], "acme");

    let body = feeder
        .feed("get-me", Some(&owner), &[], StatusCode::OK)
        .await;
    assert_eq!(body["id"], owner_id.as_str());

    let body = feeder
        .feed("get-user", Some(&owner), &ben_id, StatusCode::OK)
        .await;
    assert_eq!(body["id"], ben.as_str());
    assert_eq!(body["state"], "active");

    let body = feeder
        .feed("update-user", Some(&owner), &ben_id, StatusCode::OK)
        .await;
    assert_eq!(body["role"], "agent");

    let body = feeder
        .feed("delete-user", Some(&owner), &ben_id, StatusCode::OK)
        .await;
    assert_eq!(body["id"], ben.as_str());
    assert_eq!(body["state"], "deleted");

    let body = feeder
        .feed("list-users", Some(&owner), &[], StatusCode::OK)
        .await;
    let listed: Vec<&Value> = body["items"].as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), 1, "{body}");
    assert_eq!(listed[0]["id"], ben.as_str());
    assert_eq!(listed[0]["state"], "deleted");

    let body = feeder
        .feed("restore-user", Some(&owner), &ben_id, StatusCode::OK)
        .await;
    assert_eq!(body["state"], "active");

    stack
        .delete("acme", &ben, &owner)
        .await
        .expect(StatusCode::OK);
    let body = feeder
        .feed("purge-user", Some(&owner), &ben_id, StatusCode::OK)
        .await;
    assert_eq!(body["id"], ben.as_str());
    assert_eq!(body["state"], "purged");

    let body = feeder
        .feed("update-tenant", Some(&owner), &[], StatusCode::OK)
        .await;
    assert_eq!(body["id"], "acme");
    assert_eq!(body["retention_days"], 14);

    let body = feeder
        .feed("get-tenant", Some(&owner), &[], StatusCode::OK)
        .await;
    assert_eq!(body["id"], "acme");
    assert_eq!(body["retention_days"], 14);
    assert_eq!(body["allowed_actions"][0]["action"], "create");

    let body = feeder
        .feed("list-audit", Some(&owner), &[], StatusCode::OK)
        .await;
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 5, "{body}");
    assert_eq!(items[0]["action"], "tenant.update");

    let body = feeder
        .feed(
            "create-directory-token",
            Some(&owner),
            &[],
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(body["name"], "Entra ID");
    assert_eq!(
        body["scim_base_url"],
        "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/scim/v2/acme",
        "the base URL as API Gateway was reached"
    );
    let token_id = body["id"].as_str().unwrap().to_owned();
    let body = feeder
        .feed("list-directory-tokens", Some(&owner), &[], StatusCode::OK)
        .await;
    assert_eq!(body["items"][0]["id"], token_id.as_str());
    let body = feeder
        .feed(
            "revoke-directory-token",
            Some(&owner),
            &[("TOKEN_ID", token_id.as_str())],
            StatusCode::OK,
        )
        .await;
    assert_eq!(body["revoked"]["id"], token_id.as_str());

    // A directory, through SCIM.
    let directory = crate::scim::directory(&stack, "acme", &owner).await;
    let (kim, _) = stack.user("acme", &owner, "kim", "user").await;
    let kim_id = [("USER_ID", kim.as_str())];
    let body = feeder
        .feed("scim-discovery", Some(&directory), &[], StatusCode::OK)
        .await;
    assert_eq!(
        body["meta"]["location"],
        "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/scim/v2/acme/ServiceProviderConfig"
    );
    let body = feeder
        .feed("scim-discovery-item", Some(&directory), &[], StatusCode::OK)
        .await;
    assert_eq!(body["id"], crate::scim::USER_SCHEMA);
    let body = feeder
        .feed(
            "scim-search",
            Some(&directory),
            &[],
            StatusCode::NOT_IMPLEMENTED,
        )
        .await;
    assert_eq!(body["status"], "501");
    let body = feeder
        .feed(
            "scim-create-user",
            Some(&directory),
            &[],
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(body["userName"], "Zed.Ito@Acme.test");
    let body = feeder
        .feed("scim-list-users", Some(&directory), &[], StatusCode::OK)
        .await;
    assert_eq!(body["Resources"][0]["id"], kim.as_str(), "{body}");
    let body = feeder
        .feed("scim-get-user", Some(&directory), &kim_id, StatusCode::OK)
        .await;
    assert_eq!(body["userName"], "kim");
    let body = feeder
        .feed(
            "scim-replace-user",
            Some(&directory),
            &kim_id,
            StatusCode::OK,
        )
        .await;
    assert_eq!(body["name"]["givenName"], "Kim");
    let body = feeder
        .feed("scim-patch-user", Some(&directory), &kim_id, StatusCode::OK)
        .await;
    assert_eq!(body["displayName"], "Kim Ng");
    let body = feeder
        .feed(
            "scim-delete-user",
            Some(&directory),
            &kim_id,
            StatusCode::NO_CONTENT,
        )
        .await;
    assert!(body.is_null());

    let body = feeder
        .feed(
            "transfer-ownership",
            Some(&owner),
            &[("NEW_OWNER_ID", ada.as_str())],
            StatusCode::OK,
        )
        .await;
    assert_eq!(body["previous_owner"]["id"], owner_id.as_str());
    assert_eq!(body["new_owner"]["id"], ada.as_str());
    assert_eq!(body["tenant"]["owner_id"], ada.as_str());

    let http_functions: BTreeSet<String> = routes.into_iter().map(|r| r.function).collect();
    assert_eq!(feeder.fed, http_functions, "every HTTP event is fed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_event_runs_the_purge_with_default_options() {
    let event: Value = serde_json::from_str(&samples::read("purge-deleted")).unwrap();
    assert_eq!(event["detail-type"], "Scheduled Event");
    assert_eq!(event["source"], "aws.events");
    let options = purge_deleted::Options::from_event(event).unwrap();
    assert_eq!(options, purge_deleted::Options::default());

    let stack = Stack::new().await;
    let purger = Purger::new(stack.store.clone(), Default::default());
    let (summary, line) = purge_deleted::handle(&purger, options, None).await;
    assert_eq!(line["Function"], "purge-deleted");
    assert_eq!(line["Failed"], 0, "{line}");
    assert!(!summary.dry_run);
}

/// The stream event: what the template's filter lets through is exactly its new audit items,
/// and the handler publishes those, in order, and passes over the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_event_publishes_its_audit_items_in_order() {
    let text = samples::read("publish-events");
    let raw: Value = serde_json::from_str(&text).unwrap();
    let patterns: Vec<tenantry_events::filter::Pattern> = template()
        .stream_filters("publish-events")
        .unwrap()
        .iter()
        .map(|p| tenantry_events::filter::Pattern::parse(p).unwrap())
        .collect();
    let passed: Vec<bool> = raw["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| patterns.iter().any(|p| p.matches(record)))
        .collect();
    assert_eq!(passed, [true, false, true]);

    let event: aws_lambda_events::event::dynamodb::Event = serde_json::from_str(&text).unwrap();
    let dir = std::env::temp_dir().join(format!("tenantry-sample-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("events.jsonl");
    let publisher =
        tenantry_events::Publisher::new(Arc::new(tenantry_events::JsonlBus::new(&file)));
    let (report, response) =
        publish_events::handle(&publisher, "urn:tenantry:sample", &event).await;
    assert_eq!((report.published, report.skipped), (2, 1), "{report:?}");
    assert!(response.batch_item_failures.is_empty());
    let lines: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["tenantry.user.deleted", "tenantry.user.restored"]);
    assert_eq!(
        lines[0]["data"]["restorable_until"],
        "2027-01-02T10:00:00.000Z"
    );
    assert_eq!(lines[1]["data"]["version"], 3);
}
