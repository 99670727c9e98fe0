//! The process around the handler: a start that cannot go on, and the end of serving. Both
//! are logged as JSON lines like everything else, and the process ends with an exit code, not
//! with a panic or a line of plain text.
//!
//! A start fails on a setting missing or invalid. Lambda's own runtimes report that on the
//! Runtime API's `/init/error`, so the invocation fails with the reason rather than "Runtime
//! exited with error: exit status 1"; the Rust runtime does it only for SnapStart hooks, so the
//! functions do it themselves, before they start serving.

use std::process::ExitCode;

use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{BoxError, PooledClient, build_request};

/// The `errorType` of a failed start on `/init/error`.
pub const INIT_ERROR_TYPE: &str = "tenantry.ConfigurationError";

/// A failed start: logs `reason` at level ERROR (tracing must be initialised), reports it on
/// `/init/error` when there is a Runtime API (`AWS_LAMBDA_RUNTIME_API`), and fails.
pub async fn failed_start(reason: String) -> ExitCode {
    tracing::error!(reason = %reason, "start-up failed");
    if let Some(api) = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .ok()
        .filter(|v| !v.is_empty())
        && let Err(e) = report(&api, &reason).await
    {
        tracing::error!(error = %e, "the start-up failure could not be reported to Lambda");
    }
    ExitCode::FAILURE
}

/// The end of serving. Lambda's Runtime API never ends while the sandbox lives (Lambda stops
/// the process instead), so an end is an error: it is logged and the process fails.
pub fn ended(served: Result<(), BoxError>) -> ExitCode {
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the Lambda Runtime API ended");
            ExitCode::FAILURE
        }
    }
}

async fn report(api: &str, reason: &str) -> Result<(), BoxError> {
    let endpoint: lambda_http::http::Uri = api.parse()?;
    if endpoint.authority().is_none() {
        return Err(format!("AWS_LAMBDA_RUNTIME_API is not host:port: {api:?}").into());
    }
    let client = PooledClient::builder().with_endpoint(endpoint).build();
    let body = serde_json::json!({
        "errorType": INIT_ERROR_TYPE,
        "errorMessage": reason,
        "stackTrace": [],
    });
    let request = build_request()
        .method("POST")
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", INIT_ERROR_TYPE)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?;
    let status = client.call(request).await?.status();
    if !status.is_success() {
        return Err(format!("/init/error answered {status}").into());
    }
    Ok(())
}
