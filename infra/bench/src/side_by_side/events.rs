//! The events the functions are invoked with, as API Gateway sends them, and the checks on
//! their answers.

use serde_json::{Value, json};

use super::LIST_LIMIT;

/// An API Gateway HTTP API (payload 2.0) event, as API Gateway sends it.
pub(super) fn event(
    method: &str,
    route: &str,
    path: &str,
    params: &[(&str, &str)],
    query: &str,
    token: &str,
) -> Value {
    let query_map: serde_json::Map<String, Value> = form_pairs(query);
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {route}"),
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "accept": "application/json",
            "authorization": format!("Bearer {token}"),
            "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "user-agent": "tenantry-bench",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "tenantry-bench"},
            "requestId": "bench",
            "routeKey": format!("{method} {route}"),
            "stage": "$default",
            "time": "24/Nov/2026:10:00:05 +0000",
            "timeEpoch": 1_795_514_405_822u64
        },
        "pathParameters": params.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "isBase64Encoded": false
    });
    if !query_map.is_empty() {
        event["queryStringParameters"] = Value::Object(query_map);
    }
    event
}

/// `event` carrying `body` as JSON, as API Gateway passes a request's body.
pub(super) fn with_json(mut event: Value, body: &Value) -> Value {
    event["headers"]["content-type"] = json!("application/json");
    event["body"] = json!(body.to_string());
    event
}

fn form_pairs(query: &str) -> serde_json::Map<String, Value> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect()
}

pub(super) fn get_event(tenant: &str, user: &str, token: &str) -> Value {
    event(
        "GET",
        "/tenants/{tenant_id}/users/{user_id}",
        &format!("/tenants/{tenant}/users/{user}"),
        &[("tenant_id", tenant), ("user_id", user)],
        "",
        token,
    )
}

/// A `GET` of a route without parameters nor token (`/health`, the console's `/console`).
pub(super) fn page_event(path: &str) -> Value {
    event("GET", path, path, &[], "", "")
}

pub(super) fn list_event(tenant: &str, token: &str) -> Value {
    event(
        "GET",
        "/tenants/{tenant_id}/users",
        &format!("/tenants/{tenant}/users"),
        &[("tenant_id", tenant)],
        &format!("limit={LIST_LIMIT}"),
        token,
    )
}

pub(super) fn delete_event(tenant: &str, user: &str, token: &str) -> Value {
    event(
        "DELETE",
        "/tenants/{tenant_id}/users/{user_id}",
        &format!("/tenants/{tenant}/users/{user}"),
        &[("tenant_id", tenant), ("user_id", user)],
        "",
        token,
    )
}

pub(super) fn restore_event(tenant: &str, user: &str, token: &str) -> Value {
    event(
        "POST",
        "/tenants/{tenant_id}/users/{user_id}/restore",
        &format!("/tenants/{tenant}/users/{user}/restore"),
        &[("tenant_id", tenant), ("user_id", user)],
        "",
        token,
    )
}

/// A full first page of users.
pub(super) fn full_page(body: &Value) -> bool {
    body["items"]
        .as_array()
        .is_some_and(|items| items.len() == LIST_LIMIT)
}
