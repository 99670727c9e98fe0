//! A Lambda Runtime API for one function process, as the Lambda service serves it to a
//! runtime at `AWS_LAMBDA_RUNTIME_API` (version `2018-06-01`):
//!
//! - `GET /2018-06-01/runtime/invocation/next` waits for an event and answers it with the
//!   headers `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms`,
//!   `Lambda-Runtime-Invoked-Function-Arn` and `Lambda-Runtime-Trace-Id`;
//! - `POST /2018-06-01/runtime/invocation/{id}/response` and `.../{id}/error` end that
//!   invocation (202);
//! - `POST /2018-06-01/runtime/init/error` reports a failed start (202).
//!
//! It records when the process first asks for an event (the end of its init) and, for each
//! invocation, the time from handing the event over to receiving its answer: what Lambda
//! reports as the invocation's duration. Used by `make bench` and `make smoke-arm64`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

const PREFIX: &str = "/2018-06-01/runtime";
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:bench";

/// How an invocation ended, as the runtime reported it.
#[derive(Debug)]
pub struct Outcome {
    /// The `Lambda-Runtime-Aws-Request-Id` the event was handed over with.
    pub request_id: String,
    /// The body of `.../response`, or of `.../error`.
    pub body: Bytes,
    /// `false` when the runtime called `.../error`.
    pub ok: bool,
    /// From handing the event to the runtime until its answer arrived.
    pub duration: Duration,
}

struct Pending {
    event: Bytes,
    answer: oneshot::Sender<Outcome>,
}

struct Shared {
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>,
    /// Invocations handed over and not answered yet: id, hand-over time, who waits.
    running: Mutex<HashMap<String, (Instant, oneshot::Sender<Outcome>)>>,
    polls: mpsc::UnboundedSender<Instant>,
    init_errors: Mutex<Vec<String>>,
    ids: AtomicU64,
}

/// The Runtime API of one function process (a new one for every cold start).
pub struct RuntimeApi {
    address: String,
    events: Option<mpsc::UnboundedSender<Pending>>,
    polls: mpsc::UnboundedReceiver<Instant>,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (polls_tx, polls_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            events: tokio::sync::Mutex::new(events_rx),
            running: Mutex::new(HashMap::new()),
            polls: polls_tx,
            init_errors: Mutex::new(Vec::new()),
            ids: AtomicU64::new(0),
        });
        let accept = tokio::spawn(accept(listener, Arc::clone(&shared)));
        Ok(RuntimeApi {
            address,
            events: Some(events_tx),
            polls: polls_rx,
            shared,
            accept,
        })
    }

    /// The value of `AWS_LAMBDA_RUNTIME_API` (`host:port`).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// What Lambda sets in every function process, for the function `name` on this API: the
    /// Runtime API's address, the function's identity, the region and dummy credentials.
    pub fn lambda_environment(&self, name: &str) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_LAMBDA_RUNTIME_API", self.address.clone()),
            ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "local".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "local".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "local".to_owned()),
            ("AWS_SESSION_TOKEN", "local".to_owned()),
            ("LANG", "C.UTF-8".to_owned()),
        ]
    }

    /// When the runtime next asks for an event; `None` if `timeout` passes first.
    pub async fn next_poll(&mut self, timeout: Duration) -> Option<Instant> {
        tokio::time::timeout(timeout, self.polls.recv())
            .await
            .ok()
            .flatten()
    }

    /// Errors the runtime reported on `/init/error`.
    pub fn init_errors(&self) -> Vec<String> {
        self.shared.init_errors.lock().unwrap().clone()
    }

    /// Hands `event` to the runtime and waits for its answer, `timeout` at most.
    pub async fn invoke(&self, event: Vec<u8>, timeout: Duration) -> Result<Outcome, String> {
        let (answer, answered) = oneshot::channel();
        self.events
            .as_ref()
            .ok_or("the runtime API is closed")?
            .send(Pending {
                event: Bytes::from(event),
                answer,
            })
            .map_err(|_| "the runtime API is closed")?;
        match tokio::time::timeout(timeout, answered).await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(_)) => Err("the invocation was dropped".into()),
            Err(_) => Err(format!("no answer within {timeout:?}")),
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        // The API goes away: waiting polls see their connection closed without an answer (their
        // receiver sees the channel closed), and the accept loop ends, so new connections are
        // refused.
        self.events.take();
        self.accept.abort();
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = service_fn(move |req| serve(req, Arc::clone(&shared)));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

async fn serve(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Box<dyn std::error::Error + Send + Sync>> {
    let path = req.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(StatusCode::NOT_FOUND, "{}"));
    };
    let method = req.method().clone();
    if method == Method::GET && rest == "/invocation/next" {
        let _ = shared.polls.send(Instant::now());
        let next = shared.events.lock().await.recv().await;
        let Some(pending) = next else {
            // An error closes the connection without a response.
            return Err("the runtime API is closed".into());
        };
        let id = format!(
            "local-{:08}-{}",
            shared.ids.fetch_add(1, Ordering::Relaxed),
            std::process::id()
        );
        let deadline = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
            + 30_000;
        let response = Response::builder()
            .header("content-type", "application/json")
            .header("lambda-runtime-aws-request-id", &id)
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header("lambda-runtime-invoked-function-arn", FUNCTION_ARN)
            .header(
                "lambda-runtime-trace-id",
                "Root=1-6b040ea5-3f1c2a9b4d5e6f708192f909;Parent=53995c3f42cd8ad8;Sampled=0",
            )
            .body(Full::new(pending.event))
            .expect("a valid response");
        shared
            .running
            .lock()
            .unwrap()
            .insert(id, (Instant::now(), pending.answer));
        return Ok(response);
    }
    if method == Method::POST && rest == "/init/error" {
        let body = req.into_body().collect().await?.to_bytes();
        shared
            .init_errors
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(&body).into_owned());
        return Ok(reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#));
    }
    if method == Method::POST
        && let Some(rest) = rest.strip_prefix("/invocation/")
        && let Some((id, kind)) = rest.split_once('/')
        && (kind == "response" || kind == "error")
    {
        let id = id.to_owned();
        let ok = kind == "response";
        let body = req.into_body().collect().await?.to_bytes();
        let done = Instant::now();
        let Some((started, answer)) = shared.running.lock().unwrap().remove(&id) else {
            return Ok(reply(
                StatusCode::BAD_REQUEST,
                r#"{"errorType":"InvalidRequestID"}"#,
            ));
        };
        let _ = answer.send(Outcome {
            request_id: id,
            body,
            ok,
            duration: done - started,
        });
        return Ok(reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#));
    }
    Ok(reply(StatusCode::NOT_FOUND, "{}"))
}

#[cfg(test)]
mod tests {
    use hyper_util::client::legacy::Client;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::rt::TokioExecutor;

    use super::*;

    type HttpClient = Client<HttpConnector, Full<Bytes>>;

    fn client() -> HttpClient {
        Client::builder(TokioExecutor::new()).build_http()
    }

    async fn send(
        client: &HttpClient,
        method: Method,
        url: String,
        body: &'static str,
    ) -> (StatusCode, hyper::HeaderMap, Bytes) {
        let req = Request::builder()
            .method(method)
            .uri(url)
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .unwrap();
        let response = client.request(req).await.unwrap();
        let (parts, body) = response.into_parts();
        (
            parts.status,
            parts.headers,
            body.collect().await.unwrap().to_bytes(),
        )
    }

    /// A runtime that takes one event and answers it on `kind` (`response` or `error`),
    /// returning what it saw.
    async fn one_invocation(address: String, kind: &'static str) -> (hyper::HeaderMap, Bytes) {
        let client = client();
        let base = format!("http://{address}{PREFIX}");
        let (status, headers, event) =
            send(&client, Method::GET, format!("{base}/invocation/next"), "").await;
        assert_eq!(status, StatusCode::OK);
        let id = headers["lambda-runtime-aws-request-id"].to_str().unwrap();
        let (status, _, _) = send(
            &client,
            Method::POST,
            format!("{base}/invocation/{id}/{kind}"),
            r#"{"answer":42}"#,
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        (headers, event)
    }

    #[tokio::test]
    async fn an_event_goes_to_the_runtime_and_its_response_comes_back() {
        let mut api = RuntimeApi::start().await.unwrap();
        let runtime = tokio::spawn(one_invocation(api.address().to_owned(), "response"));
        assert!(api.next_poll(Duration::from_secs(5)).await.is_some());
        let outcome = api
            .invoke(br#"{"event":1}"#.to_vec(), Duration::from_secs(5))
            .await
            .unwrap();
        assert!(outcome.ok);
        assert_eq!(&outcome.body[..], br#"{"answer":42}"#);
        assert!(outcome.duration > Duration::ZERO);
        let (headers, event) = runtime.await.unwrap();
        assert_eq!(&event[..], br#"{"event":1}"#);
        assert_eq!(headers["lambda-runtime-invoked-function-arn"], FUNCTION_ARN);
        assert!(headers.contains_key("lambda-runtime-trace-id"));
        let deadline: u128 = headers["lambda-runtime-deadline-ms"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        assert!(
            deadline > now && deadline <= now + 30_000,
            "{deadline} vs {now}"
        );
    }

    #[tokio::test]
    async fn an_error_ends_the_invocation_as_failed() {
        let api = RuntimeApi::start().await.unwrap();
        let runtime = tokio::spawn(one_invocation(api.address().to_owned(), "error"));
        let outcome = api
            .invoke(b"{}".to_vec(), Duration::from_secs(5))
            .await
            .unwrap();
        assert!(!outcome.ok);
        assert_eq!(&outcome.body[..], br#"{"answer":42}"#);
        runtime.await.unwrap();
    }

    #[tokio::test]
    async fn unknown_ids_and_paths_are_refused_and_init_errors_kept() {
        let api = RuntimeApi::start().await.unwrap();
        let client = client();
        let base = format!("http://{}{PREFIX}", api.address());
        let (status, _, _) = send(
            &client,
            Method::POST,
            format!("{base}/invocation/nope/response"),
            "{}",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _, _) = send(&client, Method::GET, format!("{base}/nothing"), "").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = send(
            &client,
            Method::POST,
            format!("{base}/init/error"),
            r#"{"errorType":"Bad"}"#,
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(api.init_errors(), vec![r#"{"errorType":"Bad"}"#.to_owned()]);
    }

    #[tokio::test]
    async fn a_poll_waiting_when_the_api_goes_away_gets_no_answer() {
        let api = RuntimeApi::start().await.unwrap();
        let url = format!("http://{}{PREFIX}/invocation/next", api.address());
        let poll = tokio::spawn(async move {
            let req = Request::get(url).body(Full::new(Bytes::new())).unwrap();
            client().request(req).await.map(|r| r.status())
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(api);
        let answered = tokio::time::timeout(Duration::from_secs(5), poll)
            .await
            .expect("the poll ends")
            .unwrap();
        assert!(answered.is_err(), "answered {answered:?}");
    }

    #[tokio::test]
    async fn an_invocation_nobody_takes_times_out() {
        let api = RuntimeApi::start().await.unwrap();
        let err = api
            .invoke(b"{}".to_vec(), Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(err.contains("no answer"), "{err}");
    }
}
