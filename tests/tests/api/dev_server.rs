//! The dev server over real TCP: health, errors, a login, size and media type limits, and
//! percent-decoded path parameters.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tenantry_tests::{ROOT_PASSWORD, Stack};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::MAX_BODY_BYTES;

struct Raw {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

/// Writes `request` as is, reads until the server closes, and splits the response.
async fn over_tcp(addr: SocketAddr, request: &[u8]) -> Raw {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut bytes))
        .await
        .expect("the server did not close the connection")
        .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("no end of headers");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
    let status = status_line[9..12].parse().unwrap();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    Raw {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn get(path: &str, token: Option<&str>) -> Vec<u8> {
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    format!("GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n").into_bytes()
}

fn post(path: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_server_answers_health_over_tcp() {
    let stack = Stack::new().await;
    let addr = tenantry_dev::spawn(stack.router.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let raw = over_tcp(
        addr,
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    assert_eq!(raw.headers["content-type"], "application/json");
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body, json!({"status": "ok"}));

    let raw = over_tcp(addr, &get("/nope", None)).await;
    assert_eq!(raw.status, 404);
    assert_eq!(raw.headers["content-type"], "application/problem+json");
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body["code"], "route_not_found");

    let raw = over_tcp(
        addr,
        b"TRACE /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(raw.status, 405);
    assert_eq!(raw.headers["allow"], "GET");

    let raw = over_tcp(addr, &get("/me", None)).await;
    assert_eq!(raw.status, 401);
    assert_eq!(raw.headers["www-authenticate"], "Bearer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_server_logs_in_over_tcp() {
    let stack = Stack::new().await;
    let addr = tenantry_dev::spawn(stack.router.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let login = json!({"tenant": "platform", "username": "root", "password": ROOT_PASSWORD});
    let raw = over_tcp(
        addr,
        &post("/auth/login", "application/json", &login.to_string()),
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(stack.me(token).await["id"], stack.root_id);

    let raw = over_tcp(addr, &get("/me", Some(token))).await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    let me: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(me["username"], "root");

    let raw = over_tcp(addr, &post("/auth/login", "text/plain", &login.to_string())).await;
    assert_eq!(raw.status, 415, "{}", raw.body);

    let big = format!("{{\"tenant\": \"{}\"}}", "a".repeat(MAX_BODY_BYTES));
    let raw = over_tcp(addr, &post("/auth/login", "application/json", &big)).await;
    assert_eq!(raw.status, 413, "{}", raw.body);
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body["code"], "payload_too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_server_percent_decodes_path_parameters() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
    let addr = tenantry_dev::spawn(stack.router.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // "a" as %61 in the tenant, every "-" of the id as %2D.
    let path = format!("/tenants/%61cme/users/{}", ben_id.replace('-', "%2D"));
    let raw = over_tcp(addr, &get(&path, Some(&owner))).await;
    assert_eq!(raw.status, 200, "{path}: {}", raw.body);
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body["id"], ben_id);
    assert_eq!(body["tenant_id"], "acme");

    let raw = over_tcp(
        addr,
        &get("/tenants/%61%63%6D%65/users?limit=100", Some(&owner)),
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 2);

    // A decoded value is compared as decoded: "ac me" is not "acme".
    let raw = over_tcp(addr, &get("/tenants/ac%20me/users", Some(&owner))).await;
    assert_eq!(raw.status, 404, "{}", raw.body);
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body["code"], "tenant_not_found");
}
