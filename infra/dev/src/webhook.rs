//! A webhook as a bus (`make dev` with `TENANTRY_EVENTS_WEBHOOK`): each event is POSTed as a
//! CloudEvent in structured mode (`Content-Type: application/cloudevents+json`). An answer
//! other than 2xx, a timeout or a refused connection fails the entry, and the publisher tries
//! it again (three attempts with backoff, then the stream delivers it again).
//!
//! Plain `http://` only: it is for a service running next to `make dev`.

use std::time::Duration;

use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tenantry_events::publisher::Outcomes;
use tenantry_events::{Bus, CloudEvent};

pub struct WebhookBus {
    url: hyper::Uri,
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl WebhookBus {
    /// Refuses what is not an `http://` URL.
    pub fn new(url: &str, timeout: Duration) -> Result<WebhookBus, String> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| format!("TENANTRY_EVENTS_WEBHOOK is not a URL ({e}): {url:?}"))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(format!(
                "TENANTRY_EVENTS_WEBHOOK must be an http:// URL of a local service, not {url:?}"
            ));
        }
        Ok(WebhookBus {
            url: uri,
            client: Client::builder(TokioExecutor::new()).build_http(),
            timeout,
        })
    }

    async fn post(&self, event: &CloudEvent) -> Result<(), String> {
        let body = serde_json::to_vec(event).map_err(|e| e.to_string())?;
        let request = hyper::Request::post(self.url.clone())
            .header("content-type", "application/cloudevents+json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let answer = tokio::time::timeout(self.timeout, self.client.request(request))
            .await
            .map_err(|_| format!("{}: no answer in {:?}", self.url, self.timeout))?
            .map_err(|e| format!("{}: {e}", self.url))?;
        let status = answer.status();
        // Read the answer to the end so that the connection can be used again.
        let _ = answer.into_body().collect().await;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("{} answered {status}", self.url))
        }
    }
}

impl Bus for WebhookBus {
    fn put<'a>(&'a self, events: &'a [CloudEvent]) -> BoxFuture<'a, Result<Outcomes, String>> {
        Box::pin(async move {
            let mut outcomes = Vec::with_capacity(events.len());
            for event in events {
                outcomes.push(self.post(event).await);
            }
            Ok(outcomes)
        })
    }
}
