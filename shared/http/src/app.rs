//! What every function shares at run time, built once per cold start, and the glue
//! between `lambda_http` and a handler.

use std::convert::Infallible;
use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;

use lambda_http::http::StatusCode;
use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request, RequestExt, Response, service_fn};
use serde::Serialize;
use tenantry_accounts::{Accounts, LoginGuardKey, NewSession, Principal};
use tenantry_store::{Store, StoreConfig};
use tracing::Instrument;

use crate::{Problem, SigningKeys, Tokens, log, origin, request, runtime};

/// A handler's answer: a response, or a problem to render.
pub type Reply = Result<Response<Body>, Problem>;

/// The process-wide state of a function.
#[derive(Clone, Debug)]
pub struct App {
    pub accounts: Accounts,
    pub tokens: Tokens,
}

/// Settings read from the environment at start-up. Its `Debug` shows no private key.
#[derive(Clone)]
pub struct Config {
    pub store: StoreConfig,
    pub signing_keys: SigningKeys,
    /// Only for the functions that check passwords (`run_checking_passwords`).
    pub login_guard_key: Option<LoginGuardKey>,
    pub issuer: String,
    pub audience: String,
    pub token_ttl_seconds: u64,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("store", &self.store)
            .field("signing_keys", &self.signing_keys)
            .field("login_guard_key", &self.login_guard_key)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("token_ttl_seconds", &self.token_ttl_seconds)
            .finish()
    }
}

impl Config {
    /// `TENANTRY_SIGNING_KEYS` (a key set that signs, see `SigningKeys`; only the functions
    /// that issue tokens get it) or else `TENANTRY_VERIFYING_KEYS` (a verifying set, public keys
    /// only; one of the two is required, see [`token_keys`]),
    /// `TENANTRY_LOGIN_GUARD_KEY` (the secret that keys login guards, at least 32 bytes, see
    /// `tenantry_accounts::lockout`; only login and set-password get it), `TENANTRY_TOKEN_ISSUER`,
    /// `TENANTRY_TOKEN_AUDIENCE`, `TENANTRY_TOKEN_TTL_SECONDS`, and the store's variables.
    pub fn from_env() -> Result<Config, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let signing_keys =
            token_keys(var("TENANTRY_SIGNING_KEYS"), var("TENANTRY_VERIFYING_KEYS"))?;
        let login_guard_key = var("TENANTRY_LOGIN_GUARD_KEY")
            .map(|key| LoginGuardKey::parse(&key))
            .transpose()
            .map_err(|e| format!("TENANTRY_LOGIN_GUARD_KEY {e}"))?;
        let token_ttl_seconds = match var("TENANTRY_TOKEN_TTL_SECONDS") {
            Some(v) => v
                .parse()
                .map_err(|_| format!("TENANTRY_TOKEN_TTL_SECONDS is not a number: {v}"))?,
            None => 900,
        };
        Ok(Config {
            store: StoreConfig::from_env(),
            signing_keys,
            login_guard_key,
            issuer: var("TENANTRY_TOKEN_ISSUER").unwrap_or_else(|| "tenantry".into()),
            audience: var("TENANTRY_TOKEN_AUDIENCE").unwrap_or_else(|| "tenantry-api".into()),
            token_ttl_seconds,
        })
    }
}

/// The key set a function works with: the signing set if it has one (the functions that issue
/// tokens), else the verifying set (every other function). Neither is a start-up error that
/// names both.
pub fn token_keys(
    signing: Option<String>,
    verifying: Option<String>,
) -> Result<SigningKeys, String> {
    match (signing, verifying) {
        (Some(signing), _) => SigningKeys::parse(&signing)
            .map_err(|e| format!("TENANTRY_SIGNING_KEYS is not a valid key set: {e}")),
        (None, Some(verifying)) => SigningKeys::parse_verifying(&verifying)
            .map_err(|e| format!("TENANTRY_VERIFYING_KEYS is not a valid verifying set: {e}")),
        (None, None) => {
            Err("neither TENANTRY_SIGNING_KEYS nor TENANTRY_VERIFYING_KEYS is set".to_owned())
        }
    }
}

impl App {
    pub async fn new(config: &Config) -> App {
        App {
            accounts: Accounts::new(
                Store::connect(&config.store).await,
                config.login_guard_key.clone(),
            ),
            tokens: Tokens::new(
                &config.signing_keys,
                &config.issuer,
                &config.audience,
                config.token_ttl_seconds,
            ),
        }
    }

    /// The caller named by a valid bearer token. Whether the account still exists and the
    /// token's epoch is current is checked by the use case, on the same read as its snapshot.
    /// From here on, the request's log lines name this caller as their `actor`.
    pub fn principal(&self, req: &Request) -> Result<Principal, Problem> {
        let principal = request::bearer(req)
            .and_then(|token| self.tokens.verify(token))
            .ok_or_else(Problem::unauthenticated)?;
        log::record_actor(&principal.user_id);
        Ok(principal)
    }
}

/// A JSON response.
pub fn json(status: StatusCode, body: &impl Serialize) -> Reply {
    let text = serde_json::to_string(body).map_err(|e| Problem::internal(e.to_string()))?;
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// The answer to a login or a refresh: a new access token and the session's next refresh
/// token (shown this once).
pub fn session_reply(app: &App, session: &NewSession) -> Reply {
    let token = app
        .tokens
        .issue(&session.principal)
        .map_err(|e| Problem::internal(e.to_string()))?;
    json(
        StatusCode::OK,
        &serde_json::json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": app.tokens.ttl_seconds(),
            "refresh_token": session.refresh_token,
            "refresh_expires_in": session.expires_in,
        }),
    )
}

/// Runs a handler and renders its problem, logging server-side causes; with the edge on, a
/// request that did not come through it is refused first (see `origin`). Every line logged
/// meanwhile carries the request id, the tenant, the actor and `action` (see `log`).
pub async fn call<F, Fut>(
    action: &'static str,
    handler: F,
    app: Arc<App>,
    req: Request,
) -> Response<Body>
where
    F: Fn(Arc<App>, Request) -> Fut,
    Fut: Future<Output = Reply>,
{
    let span = log::span(action, req.lambda_context_ref(), None);
    if let Some(tenant) = req.path_parameters().first("tenant_id") {
        span.in_scope(|| log::record_tenant(tenant));
    }
    answer(handler, app, req).instrument(span).await
}

async fn answer<F, Fut>(handler: F, app: Arc<App>, req: Request) -> Response<Body>
where
    F: Fn(Arc<App>, Request) -> Fut,
    Fut: Future<Output = Reply>,
{
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let reply = match origin::check(req.headers()) {
        Ok(()) => handler(app, req).await,
        Err(problem) => Err(problem),
    };
    match reply {
        Ok(response) => {
            tracing::info!(%method, %path, status = response.status().as_u16(), "handled");
            response
        }
        Err(problem) => {
            let status = problem.status.as_u16();
            if problem.status.is_server_error() {
                tracing::error!(%method, %path, status, code = problem.code, cause = problem.cause(), "failed");
            } else {
                tracing::info!(%method, %path, status, code = problem.code, "refused");
            }
            problem.into_response()
        }
    }
}

/// The whole `main` of a function: tracing, configuration and clients once, then serve. A
/// setting missing or invalid ends the start (see [`crate::runtime`]).
/// `action` names what the function does on its log lines (see `log`).
pub async fn run<F, Fut>(action: &'static str, handler: F) -> ExitCode
where
    F: Fn(Arc<App>, Request) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send,
{
    serve(action, handler, false).await
}

/// `run`, for a function that checks passwords and so counts failed attempts: it does not
/// start without `TENANTRY_LOGIN_GUARD_KEY`.
pub async fn run_checking_passwords<F, Fut>(action: &'static str, handler: F) -> ExitCode
where
    F: Fn(Arc<App>, Request) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send,
{
    serve(action, handler, true).await
}

async fn serve<F, Fut>(action: &'static str, handler: F, checks_passwords: bool) -> ExitCode
where
    F: Fn(Arc<App>, Request) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send,
{
    log::init_tracing();
    let config = match Config::from_env() {
        Ok(config) if checks_passwords && config.login_guard_key.is_none() => {
            return runtime::failed_start("TENANTRY_LOGIN_GUARD_KEY is not set".into()).await;
        }
        Ok(config) => config,
        Err(reason) => return runtime::failed_start(reason).await,
    };
    let app = Arc::new(App::new(&config).await);
    runtime::ended(
        lambda_http::run(service_fn(move |req| {
            let app = Arc::clone(&app);
            async move { Ok::<_, Infallible>(call(action, handler, app, req).await) }
        }))
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::token_keys;
    use crate::SigningKeys;

    #[test]
    fn the_signing_set_comes_first_then_the_verifying_set() {
        let signing = SigningKeys::generate("k1").unwrap();
        let verifying = signing.verifying_only();
        let both = token_keys(Some(signing.to_json()), Some(verifying.to_json())).unwrap();
        assert_eq!(both.active_kid(), Some("k1"));
        let verify_only = token_keys(None, Some(verifying.to_json())).unwrap();
        assert_eq!(verify_only.active_kid(), None);
        assert_eq!(verify_only.kids().collect::<Vec<_>>(), ["k1"]);
    }

    #[test]
    fn neither_set_or_the_wrong_kind_of_set_is_a_start_up_error() {
        let signing = SigningKeys::generate("k1").unwrap();
        let missing = token_keys(None, None).unwrap_err();
        assert!(missing.contains("TENANTRY_SIGNING_KEYS"), "{missing}");
        assert!(missing.contains("TENANTRY_VERIFYING_KEYS"), "{missing}");
        // A private key given as the verifying set is refused, and not quoted.
        let leaked = token_keys(None, Some(signing.to_json())).unwrap_err();
        assert!(leaked.starts_with("TENANTRY_VERIFYING_KEYS"), "{leaked}");
        assert!(!leaked.contains("PRIVATE KEY"), "{leaked}");
        // A verifying set cannot stand in for the signing set.
        let public = token_keys(Some(signing.verifying_only().to_json()), None).unwrap_err();
        assert!(public.starts_with("TENANTRY_SIGNING_KEYS"), "{public}");
    }
}
