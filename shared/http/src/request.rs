//! Reading requests: bodies (size, media type, strict JSON), path and query parameters, and
//! the bearer token.

use lambda_http::http::{Method, header};
use lambda_http::{Request, RequestExt};
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// API Gateway accepts up to 10 MB; no body of this API needs more than this.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Parses the JSON body into `T` (which should `deny_unknown_fields`), naming the field at fault.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, Problem> {
    let body: &[u8] = req.body().as_ref();
    if body.len() > MAX_BODY_BYTES {
        return Err(Problem::payload_too_large(MAX_BODY_BYTES));
    }
    if let Some(kind) = req.headers().get(header::CONTENT_TYPE) {
        let kind = kind.to_str().unwrap_or("").to_ascii_lowercase();
        let essence = kind.split(';').next().unwrap_or("").trim();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(Problem::unsupported_media_type());
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::invalid("body", "a JSON object is required"));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let inner = err.inner().to_string();
        let path = err.path().to_string();
        Problem::invalid(&field_of(&path, &inner), strip_position(&inner))
    })?;
    // Trailing data after the object is malformed JSON too.
    de.end()
        .map_err(|e| Problem::invalid("body", strip_position(&e.to_string())))?;
    Ok(value)
}

/// The field a serde error is about: the unknown or missing field it quotes, else its path.
fn field_of(path: &str, message: &str) -> String {
    let quoted = ["unknown field `", "missing field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.split_once(prefix))
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name);
    // `?` marks a position serde could not name (a syntax error between members): the
    // client can act on the enclosing object, not on a question mark.
    let known: Vec<&str> = path
        .split('.')
        .filter(|segment| !segment.is_empty() && *segment != "?")
        .collect();
    let parent = known.join(".");
    let parent = parent.as_str();
    match quoted {
        Some(name) if parent.is_empty() => name.to_owned(),
        // Unknown fields are already the last segment of the path.
        Some(name) if parent == name || parent.ends_with(&format!(".{name}")) => parent.to_owned(),
        Some(name) => format!("{parent}.{name}"),
        None if parent.is_empty() => "body".to_owned(),
        None => parent.to_owned(),
    }
}

/// serde_json appends " at line 1 column 7"; the field name says more to a client.
fn strip_position(message: &str) -> &str {
    message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head)
}

/// Attaches the field name to a domain parse error (`Username::parse` and friends).
pub fn field<T>(name: &str, parsed: Result<T, String>) -> Result<T, Problem> {
    parsed.map_err(|message| Problem::invalid(name, message))
}

/// A path parameter; the route guarantees it, but a missing one is still a clean 400.
pub fn path_param(req: &Request, name: &str) -> Result<String, Problem> {
    req.path_parameters()
        .first(name)
        .map(str::to_owned)
        .ok_or_else(|| Problem::invalid(name, "is required in the path"))
}

/// Where clients reach this API, as this request was addressed: `https://<distribution>`
/// through the edge (see `origin`), `https://<domain>` behind API Gateway (with `/<stage>`
/// unless the stage is `$default`), else `http://<Host>` (the local server, `sam local`).
/// `None` when the request says none of these.
pub fn public_base_url(req: &Request) -> Option<String> {
    if let Some(host) = crate::origin::forwarded_host(req.headers()) {
        return Some(format!("https://{host}"));
    }
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) =
        req.request_context_ref()
        && let Some(domain) = context.domain_name.as_deref().filter(|d| !d.is_empty())
    {
        return Some(match context.stage.as_deref() {
            Some(stage) if !stage.is_empty() && stage != "$default" => {
                format!("https://{domain}/{stage}")
            }
            _ => format!("https://{domain}"),
        });
    }
    let host = req.headers().get(header::HOST)?.to_str().ok()?;
    let plausible = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    plausible.then(|| format!("http://{host}"))
}

/// Query parameters, refusing any not in `allowed` and any given twice.
pub fn query_params(
    req: &Request,
    allowed: &[&str],
) -> Result<std::collections::HashMap<String, String>, Problem> {
    let params = req.query_string_parameters();
    let mut out = std::collections::HashMap::new();
    for (name, _) in params.iter() {
        if !allowed.contains(&name) {
            return Err(Problem::invalid(name, "is not a known query parameter"));
        }
        let all = params.all(name).unwrap_or_default();
        if all.len() > 1 {
            return Err(Problem::invalid(name, "must be given once"));
        }
        out.insert(
            name.to_owned(),
            all.first().copied().unwrap_or("").to_owned(),
        );
    }
    Ok(out)
}

/// The `limit` query parameter of a listing: digits only, 1 to `max`, `default` when absent.
pub fn limit_param(
    query: &std::collections::HashMap<String, String>,
    default: usize,
    max: usize,
) -> Result<usize, Problem> {
    match query.get("limit") {
        None => Ok(default),
        Some(raw) => Some(raw)
            .filter(|r| !r.is_empty() && r.len() <= 4 && r.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|r| r.parse().ok())
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| Problem::invalid("limit", format!("must be 1 to {max}"))),
    }
}

/// The bearer token of the `Authorization` header.
pub fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl Problem {
    /// One of each problem the HTTP layer answers by itself, not converted from an `Error`:
    /// with `Error::every_kind`, every code the API can answer (the spec's drift test reads
    /// both). A constructor added to `problem.rs` belongs here too. (Here, beside the request
    /// limits it names, so that `problem.rs` needs nothing from this module.)
    pub fn http_layer() -> Vec<Problem> {
        vec![
            Problem::invalid("body", "a JSON object is required"),
            Problem::unauthenticated(),
            Problem::route_not_found(),
            Problem::origin_not_allowed(),
            Problem::method_not_allowed(&Method::TRACE, &["GET"]),
            Problem::payload_too_large(MAX_BODY_BYTES),
            Problem::unsupported_media_type(),
            Problem::internal("example"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_errors_name_their_field() {
        assert_eq!(
            field_of(".", "unknown field `role`, expected one of"),
            "role"
        );
        assert_eq!(field_of(".", "missing field `email`"), "email");
        assert_eq!(
            field_of("extra", "unknown field `extra`, expected"),
            "extra"
        );
        assert_eq!(
            field_of("owner.x", "unknown field `x`, expected"),
            "owner.x"
        );
        assert_eq!(field_of("owner", "missing field `email`"), "owner.email");
        assert_eq!(
            field_of("owner.password", "invalid type: integer"),
            "owner.password"
        );
        assert_eq!(field_of(".", "expected value"), "body");
        assert_eq!(field_of("?", "expected `:`"), "body");
        assert_eq!(field_of("owner.?", "EOF while parsing"), "owner");
        assert_eq!(field_of(".", "duplicate field `username`"), "username");
        assert_eq!(
            strip_position("expected `,` at line 1 column 9"),
            "expected `,`"
        );
    }
}
