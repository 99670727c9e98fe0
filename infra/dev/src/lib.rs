//! The local stack of tenantry: the table created from `template.yaml`, the platform's root
//! user, and a dev server that answers exactly the template's routes with the functions'
//! own handlers. `make dev` runs it; the tests use it in-process.

pub mod events;
pub mod router;
pub mod template;
pub mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::Body;
use tenantry_http::Problem;
use tokio::net::TcpListener;

pub use router::Router;

/// API Gateway refuses larger payloads before any function runs.
const GATEWAY_MAX_BODY: usize = 10 * 1024 * 1024;

/// Serves `router` on `listener` until the task is dropped.
pub async fn serve(router: Arc<Router>, listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let router = Arc::clone(&router);
        tokio::spawn(async move {
            let service = service_fn(move |req: hyper::Request<Incoming>| {
                let router = Arc::clone(&router);
                async move { Ok::<_, std::convert::Infallible>(answer(&router, req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(router: &Router, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let response = match Limited::new(body, GATEWAY_MAX_BODY).collect().await {
        Ok(collected) => {
            let req = lambda_http::http::Request::from_parts(parts, collected.to_bytes().to_vec());
            router.dispatch(req).await
        }
        Err(_) => Problem::payload_too_large(GATEWAY_MAX_BODY).into_response(),
    };
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(data) => Bytes::from(data),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

/// Binds `addr` and serves in the background; returns the bound address.
pub async fn spawn(router: Arc<Router>, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(serve(router, listener));
    Ok(bound)
}
