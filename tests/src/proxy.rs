//! A fault-injecting HTTP proxy between the AWS SDK and DynamoDB Local.
//!
//! DynamoDB Local serializes every write: it never cancels a transaction for a conflict
//! and never throttles. [`FaultProxy`] forwards the SDK's requests (JSON 1.0 over
//! HTTP/1.1, `POST /` with `x-amz-target: DynamoDB_20120810.<Operation>`) and, by a
//! seeded [`Schedule`], answers some of them itself in DynamoDB's own wire format, delays
//! them, or lets DynamoDB Local answer and then closes the connection without a response.
//!
//! Decisions are reproducible: the n-th request seen while the faults are enabled gets a
//! random generator seeded from `(seed, n)`, so the same seed and the same order of
//! requests give the same faults.
//!
//! The proxy also records the order in which transactions commit: it forwards one
//! `TransactWriteItems` at a time (DynamoDB Local serializes writes anyway), so the order in
//! which their answers come back is the order in which they took effect. Each committed
//! transaction is named by the audit events it wrote (`commit_order`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The namespace of DynamoDB's error types in `__type`.
const ERROR_NAMESPACE: &str = "com.amazonaws.dynamodb.v20120810";
const JSON_1_0: &str = "application/x-amz-json-1.0";
/// The two error codes DynamoDB throttles with.
const THROTTLING_CODES: [&str; 2] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
];
/// Headers about one hop, not the message: never copied across the proxy.
const HOP_BY_HOP: [HeaderName; 5] = [
    header::HOST,
    header::CONNECTION,
    header::TRANSFER_ENCODING,
    header::CONTENT_LENGTH,
    HeaderName::from_static("keep-alive"),
];

/// Which faults to inject, as per-request probabilities in `0.0..=1.0`.
///
/// Each request gets at most one fault. The candidates are tried in the order
/// drop-first, conflict, throttle, server error, drop after forward, slow; the first
/// whose draw succeeds wins.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Seeds every decision.
    pub seed: u64,
    /// `TransactWriteItems` only, not forwarded: 400 `TransactionCanceledException` with
    /// one cancellation reason per element of `TransactItems`, one of them (chosen at
    /// random) `TransactionConflict`, the others `None`.
    pub conflict: f64,
    /// Not forwarded: 400 `ProvisionedThroughputExceededException` or
    /// `ThrottlingException` (chosen at random).
    pub throttle: f64,
    /// Not forwarded: 500 `InternalServerError`.
    pub server_error: f64,
    /// Forwarded; the answer is held back a random `20..=slow_max_ms` milliseconds.
    pub slow: f64,
    /// The longest delay of a slow answer, in milliseconds (at least 20 is used).
    pub slow_max_ms: u64,
    /// Forwarded and answered by DynamoDB Local (so a write happened), then the client's
    /// connection is closed without a response.
    pub drop_after_forward: f64,
    /// The first `drop_first` requests seen while enabled are dropped after forwarding,
    /// whatever the probabilities say.
    pub drop_first: u32,
    /// `TransactWriteItems` only, when no other fault was drawn: forwarded and committed by
    /// DynamoDB Local, then answered 400 `TransactionInProgressException`, as DynamoDB answers
    /// a retry (same `ClientRequestToken`) of a transaction that is still running. Drawn after
    /// the others, so it changes none of their draws.
    pub in_progress_after_forward: f64,
}

impl Schedule {
    /// No faults: everything is forwarded untouched.
    pub fn none(seed: u64) -> Schedule {
        Schedule {
            seed,
            conflict: 0.0,
            throttle: 0.0,
            server_error: 0.0,
            slow: 0.0,
            slow_max_ms: 20,
            drop_after_forward: 0.0,
            drop_first: 0,
            in_progress_after_forward: 0.0,
        }
    }

    /// A mix of everything: 5% conflicts (of transactions), 3% throttles, 2% server
    /// errors, 5% slow answers of up to 300 ms, 2% dropped connections and 1% of the other
    /// transactions committed but answered "in progress".
    pub fn chaos(seed: u64) -> Schedule {
        Schedule {
            seed,
            conflict: 0.05,
            throttle: 0.03,
            server_error: 0.02,
            slow: 0.05,
            slow_max_ms: 300,
            drop_after_forward: 0.02,
            drop_first: 0,
            in_progress_after_forward: 0.01,
        }
    }
}

/// What the proxy did with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forwarded, answered untouched.
    None,
    /// Answered `TransactionCanceledException`; `index` is the conflicting item.
    Conflict { index: usize },
    /// Answered with this throttling error code.
    Throttle { code: &'static str },
    /// Answered 500 `InternalServerError`.
    ServerError,
    /// Forwarded, answered after this delay.
    Slow { delay: Duration },
    /// Forwarded, then the connection was closed without an answer.
    Drop,
    /// Forwarded (committed), then answered `TransactionInProgressException`.
    InProgress,
}

/// One decision: the operation (`PutItem`...) and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub operation: String,
    pub fault: Fault,
}

/// What the proxy did so far, faults enabled or not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Requests received.
    pub requests: u64,
    /// Requests sent to DynamoDB Local (slow and dropped ones included).
    pub forwarded: u64,
    /// `forwarded`, by operation.
    pub forwarded_by_operation: BTreeMap<String, u64>,
    pub conflicts: u64,
    pub throttles: u64,
    pub server_errors: u64,
    pub slow: u64,
    pub dropped: u64,
    pub in_progress: u64,
}

/// The proxy: listens on `127.0.0.1`, serves on the tokio runtime that started it, stops
/// accepting when dropped.
pub struct FaultProxy {
    shared: Arc<Shared>,
    endpoint: String,
    accept: JoinHandle<()>,
}

struct Shared {
    upstream: String,
    schedule: Schedule,
    enabled: AtomicBool,
    /// Requests seen while enabled: the index each decision is seeded with.
    sequence: AtomicU64,
    stats: Mutex<ProxyStats>,
    decisions: Mutex<Vec<Decision>>,
    /// Client request tokens of the transactions DynamoDB Local committed.
    committed: Mutex<std::collections::HashSet<String>>,
    /// The audit event ids of the committed transactions, in commit order. Its lock is held
    /// while a transaction is forwarded, so that transactions reach DynamoDB Local one at a
    /// time.
    commit_order: tokio::sync::Mutex<Vec<String>>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`) with the faults enabled.
    ///
    /// # Panics
    /// If no port on 127.0.0.1 can be bound.
    pub async fn start(upstream: &str, schedule: Schedule) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fault proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            schedule,
            enabled: AtomicBool::new(true),
            sequence: AtomicU64::new(0),
            stats: Mutex::default(),
            decisions: Mutex::default(),
            committed: Mutex::default(),
            commit_order: tokio::sync::Mutex::default(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        });
        let accept = tokio::spawn(accept(listener, Arc::clone(&shared)));
        FaultProxy {
            shared,
            endpoint: format!("http://{addr}"),
            accept,
        }
    }

    /// Where to point the SDK: `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// Turns the faults on or off; off, every request is forwarded untouched and takes no
    /// place in the seeded sequence.
    pub fn set_enabled(&self, on: bool) {
        self.shared.enabled.store(on, Ordering::SeqCst);
    }

    /// The counts so far.
    pub fn stats(&self) -> ProxyStats {
        self.shared.stats.lock().unwrap().clone()
    }

    /// Transactions DynamoDB Local committed, counted once per client request token (a
    /// retry of a committed transaction is answered from its idempotency record), whether or
    /// not the answer reached the client.
    pub fn committed_transactions(&self) -> u64 {
        self.shared.committed.lock().unwrap().len() as u64
    }

    /// The audit event ids written by the transactions committed so far, in the order they
    /// committed (a transaction's own events in the order it lists them).
    pub async fn commit_order(&self) -> Vec<String> {
        self.shared.commit_order.lock().await.clone()
    }

    /// The decisions made while enabled, in order.
    pub fn decisions(&self) -> Vec<Decision> {
        self.shared.decisions.lock().unwrap().clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(Arc::clone(&shared), req));
            // A dropped request ends the connection with an error: nothing to do about it.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The service's error: hyper closes the connection without writing a response.
#[derive(Debug)]
struct Hangup(&'static str);

impl fmt::Display for Hangup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Hangup {}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Hangup> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|_| Hangup("the request body could not be read"))?
        .to_bytes();
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit('.').next())
        .unwrap_or("unknown")
        .to_owned();

    let (fault, request_id) = if shared.enabled.load(Ordering::SeqCst) {
        let n = shared.sequence.fetch_add(1, Ordering::SeqCst);
        let mut rng = rng_for(shared.schedule.seed, n);
        let fault = decide(&shared.schedule, n, &mut rng, &operation, &body);
        shared.decisions.lock().unwrap().push(Decision {
            operation: operation.clone(),
            fault: fault.clone(),
        });
        (fault, request_id(&mut rng))
    } else {
        (Fault::None, String::new())
    };

    {
        let mut stats = shared.stats.lock().unwrap();
        stats.requests += 1;
        match fault {
            Fault::Conflict { .. } => stats.conflicts += 1,
            Fault::Throttle { .. } => stats.throttles += 1,
            Fault::ServerError => stats.server_errors += 1,
            Fault::None | Fault::Slow { .. } | Fault::Drop | Fault::InProgress => {
                stats.forwarded += 1;
                *stats
                    .forwarded_by_operation
                    .entry(operation.clone())
                    .or_default() += 1;
            }
        }
    }

    match fault {
        Fault::Conflict { index } => Ok(conflict(&body, index, &request_id)),
        Fault::Throttle { code } => Ok(error_response(
            StatusCode::BAD_REQUEST,
            &request_id,
            json!({
                "__type": format!("{ERROR_NAMESPACE}#{code}"),
                "message": if code == THROTTLING_CODES[0] {
                    "The level of configured provisioned throughput for the table was exceeded. \
                     Consider increasing your provisioning level with the UpdateTable API."
                } else {
                    "Rate of requests exceeds the allowed throughput."
                },
            }),
        )),
        Fault::ServerError => Ok(error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &request_id,
            json!({
                "__type": format!("{ERROR_NAMESPACE}#InternalServerError"),
                "message": "Internal server error",
            }),
        )),
        Fault::None => Ok(forward(&shared, parts, body).await),
        Fault::Slow { delay } => {
            let response = forward(&shared, parts, body).await;
            tokio::time::sleep(delay).await;
            shared.stats.lock().unwrap().slow += 1;
            Ok(response)
        }
        Fault::InProgress => {
            // DynamoDB Local commits; the client hears that the transaction is still running.
            let _ = forward(&shared, parts, body).await;
            shared.stats.lock().unwrap().in_progress += 1;
            Ok(error_response(
                StatusCode::BAD_REQUEST,
                &request_id,
                json!({
                    "__type": format!("{ERROR_NAMESPACE}#TransactionInProgressException"),
                    "message": "The transaction with the given request token is already in progress.",
                }),
            ))
        }
        Fault::Drop => {
            // Wait for DynamoDB Local's answer, so the write surely happened, then hang up.
            let _ = forward(&shared, parts, body).await;
            shared.stats.lock().unwrap().dropped += 1;
            Err(Hangup("dropped after forwarding"))
        }
    }
}

/// The generator of the `n`-th decision.
fn rng_for(seed: u64, n: u64) -> StdRng {
    let mut bytes = [0; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&n.to_le_bytes());
    StdRng::from_seed(bytes)
}

fn decide(schedule: &Schedule, n: u64, rng: &mut StdRng, operation: &str, body: &[u8]) -> Fault {
    if n < u64::from(schedule.drop_first) {
        return Fault::Drop;
    }
    // Every draw is made whatever the request, so the sequence of draws never varies.
    let [conflict, throttle, server_error, drop, slow] = [
        schedule.conflict,
        schedule.throttle,
        schedule.server_error,
        schedule.drop_after_forward,
        schedule.slow,
    ]
    .map(|p| rng.random::<f64>() < p);
    let items = if operation == "TransactWriteItems" {
        transact_items(body)
    } else {
        0
    };
    let fault = if conflict && items > 0 {
        Fault::Conflict {
            index: rng.random_range(0..items),
        }
    } else if throttle {
        Fault::Throttle {
            code: THROTTLING_CODES[rng.random_range(0..THROTTLING_CODES.len())],
        }
    } else if server_error {
        Fault::ServerError
    } else if drop {
        Fault::Drop
    } else if slow {
        let ms = rng.random_range(20..=schedule.slow_max_ms.max(20));
        Fault::Slow {
            delay: Duration::from_millis(ms),
        }
    } else {
        Fault::None
    };
    let in_progress = rng.random::<f64>() < schedule.in_progress_after_forward;
    if fault == Fault::None && in_progress && items > 0 {
        Fault::InProgress
    } else {
        fault
    }
}

/// How many elements the request's `TransactItems` has (0 if it cannot be read).
fn transact_items(body: &[u8]) -> usize {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("TransactItems")
                .and_then(Value::as_array)
                .map(Vec::len)
        })
        .unwrap_or(0)
}

/// A request id shaped like DynamoDB's: 52 upper-case letters and digits.
fn request_id(rng: &mut StdRng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..52)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn conflict(body: &[u8], index: usize, request_id: &str) -> Response<Full<Bytes>> {
    let items = transact_items(body);
    let codes: Vec<&str> = (0..items)
        .map(|i| {
            if i == index {
                "TransactionConflict"
            } else {
                "None"
            }
        })
        .collect();
    let reasons: Vec<Value> = codes
        .iter()
        .map(|&code| {
            if code == "None" {
                json!({ "Code": code })
            } else {
                json!({ "Code": code, "Message": "Transaction is ongoing for the item" })
            }
        })
        .collect();
    error_response(
        StatusCode::BAD_REQUEST,
        request_id,
        json!({
            "__type": format!("{ERROR_NAMESPACE}#TransactionCanceledException"),
            "CancellationReasons": reasons,
            "Message": format!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                codes.join(", ")
            ),
        }),
    )
}

fn error_response(status: StatusCode, request_id: &str, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_1_0));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

/// Sends the request to DynamoDB Local and returns its answer, read in full (502 if it
/// cannot be reached).
async fn forward(
    shared: &Shared,
    parts: hyper::http::request::Parts,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let transaction = parts
        .headers
        .get("x-amz-target")
        .is_some_and(|t| t.as_bytes().ends_with(b".TransactWriteItems"));
    let transaction_body = transaction
        .then(|| serde_json::from_slice::<Value>(&body).ok())
        .flatten();
    let token = transaction_body
        .as_ref()
        .and_then(|b| b["ClientRequestToken"].as_str().map(str::to_owned));
    // One transaction at a time, so that the order of the answers is the order of the commits.
    let mut commit_order = match transaction {
        true => Some(shared.commit_order.lock().await),
        false => None,
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let uri: Uri = match format!("{}{path}", shared.upstream).parse() {
        Ok(uri) => uri,
        Err(e) => return bad_gateway(&e),
    };
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = parts.method;
    *request.uri_mut() = uri;
    *request.headers_mut() = end_to_end(parts.headers);
    let response = match shared.client.request(request).await {
        Ok(response) => response,
        Err(e) => return bad_gateway(&e),
    };
    let (mut parts, body) = response.into_parts();
    let body = match body.collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => return bad_gateway(&e),
    };
    parts.headers = end_to_end(parts.headers);
    if let (Some(token), true) = (token, parts.status.is_success()) {
        // A retry of a committed transaction is answered from its idempotency record: it
        // commits nothing again.
        let first = shared.committed.lock().unwrap().insert(token);
        if let (true, Some(order), Some(sent)) = (first, commit_order.as_mut(), &transaction_body) {
            order.extend(audit_ids(sent));
        }
    }
    Response::from_parts(parts, Full::new(body))
}

/// The ids of the audit events a `TransactWriteItems` request puts.
fn audit_ids(body: &Value) -> Vec<String> {
    body["TransactItems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|part| &part["Put"]["Item"])
        .filter(|item| {
            item["PK"]["S"]
                .as_str()
                .is_some_and(|pk| pk.starts_with("AUDIT#"))
        })
        .filter_map(|item| item["id"]["S"].as_str().map(str::to_owned))
        .collect()
}

fn end_to_end(mut headers: HeaderMap) -> HeaderMap {
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
    headers
}

fn bad_gateway(error: &dyn fmt::Display) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(format!(
        "fault proxy: DynamoDB Local did not answer: {error}"
    ))));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
}
