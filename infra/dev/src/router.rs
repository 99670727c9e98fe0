//! Turns plain HTTP requests into the `lambda_http` requests API Gateway would send
//! (path and query parameters included) and calls the functions' own handlers.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use lambda_http::http::Method;
use lambda_http::{Body, Request, RequestExt, Response};
use tenantry_http::{App, Problem, Reply};

use crate::template::RouteSpec;

type BoxReply = Pin<Box<dyn Future<Output = Reply> + Send>>;
/// A function's handler, as the router calls it.
pub type Handler = fn(Arc<App>, Request) -> BoxReply;

/// Every function of the workspace, by binary name, with the action its log lines name.
pub fn handlers() -> Vec<(&'static str, &'static str, Handler)> {
    vec![
        ("health", health::ACTION, |a, r| {
            Box::pin(health::handle(a, r))
        }),
        ("get-jwks", get_jwks::ACTION, |a, r| {
            Box::pin(get_jwks::handle(a, r))
        }),
        ("auth-login", auth_login::ACTION, |a, r| {
            Box::pin(auth_login::handle(a, r))
        }),
        ("create-tenant", create_tenant::ACTION, |a, r| {
            Box::pin(create_tenant::handle(a, r))
        }),
        ("create-user", create_user::ACTION, |a, r| {
            Box::pin(create_user::handle(a, r))
        }),
        ("list-users", list_users::ACTION, |a, r| {
            Box::pin(list_users::handle(a, r))
        }),
        ("get-user", get_user::ACTION, |a, r| {
            Box::pin(get_user::handle(a, r))
        }),
        ("delete-user", delete_user::ACTION, |a, r| {
            Box::pin(delete_user::handle(a, r))
        }),
        ("restore-user", restore_user::ACTION, |a, r| {
            Box::pin(restore_user::handle(a, r))
        }),
        ("get-me", get_me::ACTION, |a, r| {
            Box::pin(get_me::handle(a, r))
        }),
        ("update-user", update_user::ACTION, |a, r| {
            Box::pin(update_user::handle(a, r))
        }),
        ("transfer-ownership", transfer_ownership::ACTION, |a, r| {
            Box::pin(transfer_ownership::handle(a, r))
        }),
        ("list-audit", list_audit::ACTION, |a, r| {
            Box::pin(list_audit::handle(a, r))
        }),
        ("update-tenant", update_tenant::ACTION, |a, r| {
            Box::pin(update_tenant::handle(a, r))
        }),
        ("get-tenant", get_tenant::ACTION, |a, r| {
            Box::pin(get_tenant::handle(a, r))
        }),
        ("console", console::ACTION, |a, r| {
            Box::pin(console::handle(a, r))
        }),
        ("purge-user", purge_user::ACTION, |a, r| {
            Box::pin(purge_user::handle(a, r))
        }),
        ("auth-refresh", auth_refresh::ACTION, |a, r| {
            Box::pin(auth_refresh::handle(a, r))
        }),
        ("auth-logout", auth_logout::ACTION, |a, r| {
            Box::pin(auth_logout::handle(a, r))
        }),
        ("auth-logout-all", auth_logout_all::ACTION, |a, r| {
            Box::pin(auth_logout_all::handle(a, r))
        }),
        ("set-password", set_password::ACTION, |a, r| {
            Box::pin(set_password::handle(a, r))
        }),
        (
            "create-directory-token",
            create_directory_token::ACTION,
            |a, r| Box::pin(create_directory_token::handle(a, r)),
        ),
        (
            "list-directory-tokens",
            list_directory_tokens::ACTION,
            |a, r| Box::pin(list_directory_tokens::handle(a, r)),
        ),
        (
            "revoke-directory-token",
            revoke_directory_token::ACTION,
            |a, r| Box::pin(revoke_directory_token::handle(a, r)),
        ),
        ("scim-discovery", scim_discovery::ACTION, |a, r| {
            Box::pin(scim_discovery::handle(a, r))
        }),
        (
            "scim-discovery-item",
            scim_discovery_item::ACTION,
            |a, r| Box::pin(scim_discovery_item::handle(a, r)),
        ),
        ("scim-create-user", scim_create_user::ACTION, |a, r| {
            Box::pin(scim_create_user::handle(a, r))
        }),
        ("scim-list-users", scim_list_users::ACTION, |a, r| {
            Box::pin(scim_list_users::handle(a, r))
        }),
        ("scim-get-user", scim_get_user::ACTION, |a, r| {
            Box::pin(scim_get_user::handle(a, r))
        }),
        ("scim-replace-user", scim_replace_user::ACTION, |a, r| {
            Box::pin(scim_replace_user::handle(a, r))
        }),
        ("scim-patch-user", scim_patch_user::ACTION, |a, r| {
            Box::pin(scim_patch_user::handle(a, r))
        }),
        ("scim-delete-user", scim_delete_user::ACTION, |a, r| {
            Box::pin(scim_delete_user::handle(a, r))
        }),
        ("scim-search", scim_search::ACTION, |a, r| {
            Box::pin(scim_search::handle(a, r))
        }),
    ]
}

struct Route {
    method: Method,
    segments: Vec<String>,
    spec: RouteSpec,
    action: &'static str,
    handler: Handler,
}

/// Routes exactly the template's routes to the handlers.
pub struct Router {
    app: Arc<App>,
    routes: Vec<Route>,
}

impl Router {
    /// Fails if a template route names a function without a handler, or a handler has no route.
    pub fn new(app: Arc<App>, specs: &[RouteSpec]) -> Result<Router, String> {
        let known = handlers();
        let mut routes = Vec::new();
        for spec in specs {
            let (action, handler) = known
                .iter()
                .find(|(name, _, _)| *name == spec.function)
                .map(|(_, action, h)| (*action, *h))
                .ok_or_else(|| format!("template route {spec:?} has no handler"))?;
            routes.push(Route {
                method: Method::from_bytes(spec.method.as_bytes())
                    .map_err(|e| format!("{spec:?}: {e}"))?,
                segments: split(&spec.path).map(str::to_owned).collect(),
                spec: spec.clone(),
                action,
                handler,
            });
        }
        if let Some((name, _, _)) = known
            .iter()
            .find(|(name, _, _)| !specs.iter().any(|s| s.function == *name))
        {
            return Err(format!("function {name} has no route in template.yaml"));
        }
        Ok(Router { app, routes })
    }

    pub fn routes(&self) -> impl Iterator<Item = &RouteSpec> {
        self.routes.iter().map(|r| &r.spec)
    }

    /// Answers one request the way API Gateway and the function would. Like the Lambda
    /// runtime, it gives the request a Lambda context with a fresh request id, unless the
    /// caller already put one in.
    pub async fn dispatch(&self, req: lambda_http::http::Request<Vec<u8>>) -> Response<Body> {
        let (mut parts, body) = req.into_parts();
        if parts.extensions.get::<lambda_http::Context>().is_none() {
            let mut context = lambda_http::Context::default();
            context.request_id = uuid::Uuid::now_v7().to_string();
            parts.extensions.insert(context);
        }
        let path = parts.uri.path().to_owned();
        let mut matching: Vec<(&Route, HashMap<String, String>)> = self
            .routes
            .iter()
            .filter_map(|route| Some((route, route.bind(&path)?)))
            .collect();
        // As API Gateway: a literal segment beats a variable (`/scim/v2/{tenant_id}/Users`
        // before `/scim/v2/{tenant_id}/{document}`).
        matching.sort_by_key(|(route, _)| std::cmp::Reverse(route.literals()));
        let Some((route, params)) = matching
            .iter()
            .find(|(route, _)| route.method == parts.method)
        else {
            return not_routed(&parts.method, &matching);
        };
        let query: HashMap<String, Vec<String>> = parts
            .uri
            .query()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes()).fold(HashMap::new(), |mut map, (k, v)| {
                    map.entry(k.into_owned())
                        .or_insert_with(Vec::new)
                        .push(v.into_owned());
                    map
                })
            })
            .unwrap_or_default();
        let body = if body.is_empty() {
            Body::Empty
        } else {
            match String::from_utf8(body) {
                Ok(text) => Body::Text(text),
                Err(e) => Body::Binary(e.into_bytes()),
            }
        };
        let request = lambda_http::http::Request::from_parts(parts, body)
            .with_path_parameters(params.clone())
            .with_query_string_parameters(query);
        tenantry_http::call(route.action, route.handler, Arc::clone(&self.app), request).await
    }
}

impl Route {
    /// How many segments of the template are literal: the more, the more specific.
    fn literals(&self) -> usize {
        self.segments.iter().filter(|s| !s.starts_with('{')).count()
    }

    /// The path parameters, if `path` matches this route's template. As API Gateway, a last
    /// segment `{name+}` is greedy: it binds the rest of the path, one segment or more.
    fn bind(&self, path: &str) -> Option<HashMap<String, String>> {
        let mut given: Vec<&str> = split(path).collect();
        let mut segments = self.segments.as_slice();
        let mut params = HashMap::new();
        let greedy = segments.split_last().and_then(|(last, fixed)| {
            let name = last.strip_prefix('{')?.strip_suffix("+}")?;
            Some((name, fixed))
        });
        if let Some((name, fixed)) = greedy {
            if given.len() <= fixed.len() {
                return None;
            }
            let rest = given.split_off(fixed.len()).join("/");
            if rest.is_empty() {
                return None;
            }
            let decoded = percent_encoding::percent_decode_str(&rest)
                .decode_utf8()
                .ok()?;
            params.insert(name.to_owned(), decoded.into_owned());
            segments = fixed;
        }
        if given.len() != segments.len() {
            return None;
        }
        for (pattern, value) in segments.iter().zip(given) {
            match pattern.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(_) if value.is_empty() => return None,
                Some(name) => {
                    let decoded = percent_encoding::percent_decode_str(value)
                        .decode_utf8()
                        .ok()?
                        .into_owned();
                    params.insert(name.to_owned(), decoded);
                }
                None if pattern == value => {}
                None => return None,
            }
        }
        Some(params)
    }
}

/// Segments after the leading slash. Empty segments are kept, so `/me/` and
/// `/tenants//acme/users` match no route instead of being silently repaired.
fn split(path: &str) -> impl Iterator<Item = &str> {
    path.strip_prefix('/').unwrap_or(path).split('/')
}

fn not_routed(method: &Method, matching: &[(&Route, HashMap<String, String>)]) -> Response<Body> {
    if matching.is_empty() {
        return Problem::route_not_found().into_response();
    }
    // The methods of the most specific path that matched (`matching` is sorted so).
    let top = matching[0].0.literals();
    let allow: Vec<&str> = matching
        .iter()
        .filter(|(r, _)| r.literals() == top)
        .map(|(r, _)| r.method.as_str())
        .collect();
    Problem::method_not_allowed(method, &allow).into_response()
}
