//! `GET /console` and `GET /console/{proxy+}`: the admin console. The page and its assets are
//! the files of `functions/console/assets/`, embedded in the binary: nothing is fetched at run
//! time, and the page talks to the API on its own origin.
//!
//! - `/console` answers `index.html`, where `{{assets}}` becomes `/console/assets/<build>`.
//!   It is never cached without asking again (`no-cache`).
//! - `/console/assets/<build>/<name>` answers an asset. `<build>` is a hash of every asset,
//!   so a name is bound to its content and cached for a year, `immutable`. A build of another
//!   version is `404 route_not_found`, like any other path.
//! - Every answer carries a Content-Security-Policy allowing scripts, styles, images and
//!   requests from this origin only (no inline script or style, no `eval`, no frames), with
//!   `nosniff`, `no-referrer` and `DENY` framing.

use std::sync::LazyLock;

use lambda_http::Body;
use lambda_http::http::Response;
use lambda_http::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderName, HeaderValue, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use sha2::{Digest, Sha256};
use tenantry_http::prelude::*;

/// The action this function's log lines name.
pub const ACTION: &str = AuditAction::Console.as_str();

/// Every file of `assets/`, by name (written by `build.rs`).
pub const ASSETS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The page's policy: everything from this origin, nothing inline, nothing evaluated.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const PAGE: &str = "index.html";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The first 16 hex digits of SHA-256 over every asset's name and content.
pub static BUILD: LazyLock<String> = LazyLock::new(|| {
    let mut hash = Sha256::new();
    for (name, content) in ASSETS {
        for part in [name.as_bytes(), content.as_bytes()] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
    }
    hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
});

/// Where the assets of this build are served.
pub fn assets_path() -> String {
    format!("/console/assets/{}", *BUILD)
}

static INDEX: LazyLock<String> = LazyLock::new(|| {
    asset(PAGE)
        .unwrap_or_default()
        .replace("{{assets}}", &assets_path())
});

pub async fn handle(_app: Arc<App>, req: Request) -> Reply {
    let proxy = req.path_parameters().first("proxy").map(str::to_owned);
    match proxy.as_deref() {
        None => page(&INDEX, "text/html; charset=utf-8", "no-cache"),
        Some(rest) => {
            let build = format!("assets/{}/", *BUILD);
            let name = rest.strip_prefix(&build).filter(|name| *name != PAGE);
            match name.and_then(|name| Some((asset(name)?, content_type(name)?))) {
                Some((body, kind)) => page(body, kind, IMMUTABLE),
                None => Err(Problem::route_not_found()),
            }
        }
    }
}

fn asset(name: &str) -> Option<&'static str> {
    ASSETS
        .iter()
        .find(|(asset, _)| *asset == name)
        .map(|(_, content)| *content)
}

fn content_type(name: &str) -> Option<&'static str> {
    match name.rsplit_once('.')?.1 {
        "html" => Some("text/html; charset=utf-8"),
        "js" => Some("text/javascript; charset=utf-8"),
        "css" => Some("text/css; charset=utf-8"),
        "svg" => Some("image/svg+xml"),
        _ => None,
    }
}

fn page(body: &str, kind: &'static str, cache: &'static str) -> Reply {
    let mut response = Response::new(Body::Text(body.to_owned()));
    let headers: [(HeaderName, &'static str); 7] = [
        (CONTENT_TYPE, kind),
        (CACHE_CONTROL, cache),
        (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (REFERRER_POLICY, "no-referrer"),
        (X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in headers {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_an_asset_and_names_its_assets_by_build() {
        let index = asset(PAGE).expect("assets/index.html");
        assert!(index.contains("{{assets}}"), "index.html links its assets");
        assert!(!INDEX.contains("{{assets}}"));
        assert!(INDEX.contains(&format!("/console/assets/{}/", *BUILD)));
        assert_eq!(BUILD.len(), 16);
    }

    #[test]
    fn every_asset_has_a_type_and_nothing_inline() {
        for (name, content) in ASSETS {
            assert!(content_type(name).is_some(), "{name}");
            if name.ends_with(".html") {
                let lower = content.to_ascii_lowercase();
                for inline in ["<style", " style=", "javascript:", " onclick=", " onload="] {
                    assert!(!lower.contains(inline), "{name} has {inline}");
                }
                for script in lower.split("<script").skip(1) {
                    let tag = script.split('>').next().unwrap_or_default();
                    assert!(tag.contains("src="), "{name} has an inline script");
                }
            }
        }
    }

    #[test]
    fn the_policy_allows_nothing_inline_or_evaluated() {
        let policy = CONTENT_SECURITY_POLICY_VALUE;
        assert!(policy.starts_with("default-src 'self';"));
        for loose in ["unsafe-inline", "unsafe-eval", "data:", "*", "http"] {
            assert!(!policy.contains(loose), "{loose}");
        }
    }
}
