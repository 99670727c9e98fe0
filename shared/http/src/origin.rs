//! The edge's origin check. With the edge on (`EdgeWebAclArn` in `template.yaml`), CloudFront
//! adds the header `X-Tenantry-Origin-Verify` with a secret to every request it forwards, and
//! every function is given the same secret as `TENANTRY_ORIGIN_SECRET`. A request without it
//! did not come through the distribution and its web ACL, and is refused with
//! `403 origin_not_allowed` before any handler runs. Empty or unset: no check (the edge is off,
//! the dev server, tests).

use std::sync::OnceLock;

use lambda_http::http::HeaderMap;

use crate::Problem;

/// The header CloudFront adds (header names are case-insensitive).
pub const HEADER: &str = "x-tenantry-origin-verify";

/// The secret, read from the environment once per process.
fn secret() -> Option<&'static str> {
    static SECRET: OnceLock<Option<String>> = OnceLock::new();
    SECRET
        .get_or_init(|| {
            std::env::var("TENANTRY_ORIGIN_SECRET")
                .ok()
                .filter(|s| !s.is_empty())
        })
        .as_deref()
}

/// The check of this process's secret on a request's headers.
pub(crate) fn check(headers: &HeaderMap) -> Result<(), Problem> {
    verify(secret(), headers)
}

/// `Ok` when there is no secret, or when the header holds exactly the secret (compared in
/// constant time: how long the comparison takes does not depend on where they differ).
pub fn verify(secret: Option<&str>, headers: &HeaderMap) -> Result<(), Problem> {
    let Some(secret) = secret else {
        return Ok(());
    };
    let given = headers.get(HEADER).map_or(&[][..], |v| v.as_bytes());
    if same(given, secret.as_bytes()) {
        Ok(())
    } else {
        Err(Problem::origin_not_allowed())
    }
}

/// The address clients use, when the request came through the edge: its viewer-request function
/// sets `X-Forwarded-Host` to the viewer's `Host`, replacing whatever the client sent, and the
/// check above has passed. `None` without the edge, or for a value that is no host name.
pub fn forwarded_host(headers: &HeaderMap) -> Option<&str> {
    forwarded_host_for(secret(), headers)
}

fn forwarded_host_for<'a>(secret: Option<&str>, headers: &'a HeaderMap) -> Option<&'a str> {
    secret?;
    let host = headers.get("x-forwarded-host")?.to_str().ok()?;
    let plausible = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-".contains(&b));
    plausible.then_some(host)
}

/// Whether `given` equals `secret`, in a time that depends on the secret's length only.
fn same(given: &[u8], secret: &[u8]) -> bool {
    let mut diff = u8::from(given.len() != secret.len());
    for (i, s) in secret.iter().enumerate() {
        diff |= given.get(i).copied().unwrap_or(0) ^ s;
    }
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use lambda_http::http::{HeaderValue, StatusCode};

    use super::*;

    fn headers(value: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = value {
            headers.insert(HEADER, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn refused(result: Result<(), Problem>) -> bool {
        match result {
            Ok(()) => false,
            Err(problem) => {
                assert_eq!(problem.status, StatusCode::FORBIDDEN);
                assert_eq!(problem.code, "origin_not_allowed");
                true
            }
        }
    }

    #[test]
    fn without_a_secret_every_request_passes() {
        assert!(!refused(verify(None, &headers(None))));
        assert!(!refused(verify(None, &headers(Some("anything")))));
    }

    #[test]
    fn with_a_secret_only_the_exact_header_passes() {
        let secret = Some("s3cret-value");
        assert!(!refused(verify(secret, &headers(Some("s3cret-value")))));
        assert!(refused(verify(secret, &headers(None))));
        assert!(refused(verify(secret, &headers(Some("")))));
        assert!(refused(verify(secret, &headers(Some("s3cret-valuE")))));
        assert!(refused(verify(secret, &headers(Some("s3cret-valu")))));
        assert!(refused(verify(
            secret,
            &headers(Some("s3cret-value-and-more"))
        )));
        assert!(refused(verify(secret, &headers(Some("S3CRET-VALUE")))));
    }

    #[test]
    fn the_header_name_is_case_insensitive() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "X-Tenantry-Origin-Verify",
            HeaderValue::from_static("s3cret-value"),
        );
        assert!(!refused(verify(Some("s3cret-value"), &headers)));
    }

    #[test]
    fn the_forwarded_host_counts_only_behind_the_edge() {
        let mut headers = headers(Some("s3cret-value"));
        headers.insert(
            "x-forwarded-host",
            HeaderValue::from_static("d111111abcdef8.cloudfront.net"),
        );
        assert_eq!(
            forwarded_host_for(Some("s3cret-value"), &headers),
            Some("d111111abcdef8.cloudfront.net")
        );
        assert_eq!(forwarded_host_for(None, &headers), None);
        headers.insert("x-forwarded-host", HeaderValue::from_static("evil/path"));
        assert_eq!(forwarded_host_for(Some("s3cret-value"), &headers), None);
    }

    #[test]
    fn the_refusal_is_a_problem_json() {
        let response = Problem::origin_not_allowed().into_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
}
