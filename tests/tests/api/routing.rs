//! Routing as API Gateway answers it, and the routes cannot drift: unknown paths are 404,
//! undeclared methods 405 with an Allow header, both as infra/openapi.yaml documents them;
//! template.yaml, the router and the spec have exactly the same routes, one per function
//! crate (the console has two: its page and its assets), and the router refuses a route list
//! that does not fit. A greedy `{proxy+}` binds the rest of the path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use lambda_http::http::{StatusCode, header};
use tenantry_dev::Router;
use tenantry_dev::template::{self, RouteSpec, Template};
use tenantry_tests::{Request, Stack};

use crate::spec::{METHODS, Spec, camel};
use crate::support::{DEAD_ENDPOINT, concrete};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_answer_404_route_not_found_as_the_spec_says() {
    let spec = Spec::load();
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/nope"),
        ("GET", "/healthz"),
        ("GET", "/tenants/acme/settings"),
        ("GET", "/tenants/acme/users/"),
        ("GET", "/tenants/acme/users/u1/restore/now"),
        ("POST", "/auth"),
        ("GET", "/api/health"),
        ("DELETE", "/tenants/acme/groups/g1"),
        ("GET", "/me/"),
        ("GET", "//me"),
        ("GET", "/tenants//users"),
        ("GET", "/tenants//acme/users"),
    ] {
        let answer = Request::new(method, path).send(&stack).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(answer.code(), "route_not_found", "{method} {path}");
        assert!(answer.header(header::ALLOW).is_none(), "{method} {path}");
        spec.check_response("/components/responses/RouteNotFound".into(), &answer)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    }
}

/// `/console/{proxy+}` takes the rest of the path, however many segments; `/console` itself
/// is the page's own route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_greedy_parameter_binds_the_rest_of_the_path() {
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let page = Request::get("/console").send(&stack).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header(header::CONTENT_TYPE),
        Some("text/html; charset=utf-8")
    );
    let html = page.body.as_str().unwrap();
    let script = html
        .split("src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|src| src.ends_with(".js"))
        .expect("the page links its script");
    assert!(script.starts_with("/console/assets/"), "{script}");
    assert_eq!(
        script.split('/').count(),
        5,
        "{script}: four segments after the root"
    );
    let asset = Request::get(script).send(&stack).await;
    assert_eq!(asset.status, StatusCode::OK, "{script}");
    assert_eq!(
        asset.header(header::CONTENT_TYPE),
        Some("text/javascript; charset=utf-8")
    );
    for (method, path, status) in [
        ("GET", "/consoles", StatusCode::NOT_FOUND),
        ("GET", "/console/nope/nope/nope", StatusCode::NOT_FOUND),
        (
            "POST",
            "/console/assets/a/b.js",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        ("POST", "/console", StatusCode::METHOD_NOT_ALLOWED),
    ] {
        let answer = Request::new(method, path).send(&stack).await;
        assert_eq!(answer.status, status, "{method} {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeclared_methods_answer_405_with_an_allow_header_listing_the_declared_ones() {
    let spec = Spec::load();
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let mut declared: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for route in stack.router.routes() {
        declared
            .entry(concrete(&route.path, "acme", "u1"))
            .or_default()
            .insert(route.method.clone());
    }
    assert!(declared.len() >= 7);
    let mut checked = 0;
    for (path, methods) in &declared {
        for method in METHODS {
            if methods.contains(method) {
                continue;
            }
            let answer = Request::new(method, path).send(&stack).await;
            assert_eq!(
                answer.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}: {}",
                answer.body
            );
            assert_eq!(answer.code(), "method_not_allowed", "{method} {path}");
            let allow: BTreeSet<String> = answer
                .header(header::ALLOW)
                .unwrap_or_else(|| panic!("{method} {path}: no Allow header"))
                .split(',')
                .map(|m| m.trim().to_owned())
                .collect();
            assert_eq!(&allow, methods, "{method} {path}");
            spec.check_response("/components/responses/MethodNotAllowed".into(), &answer)
                .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
    // The two the contract names.
    let answer = Request::new("PUT", "/me").send(&stack).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.header(header::ALLOW), Some("GET"));
    let answer = Request::new("TRACE", "/health").send(&stack).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.header(header::ALLOW), Some("GET"));
    assert_eq!(
        declared["/tenants/acme/users/u1"],
        BTreeSet::from(["GET".to_owned(), "DELETE".to_owned(), "PATCH".to_owned()])
    );
}

fn functions_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions")
}

fn function_crates() -> BTreeSet<String> {
    std::fs::read_dir(functions_dir())
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().into_string().unwrap())
        .collect()
}

fn template_routes() -> Vec<RouteSpec> {
    Template::load(&template::default_path())
        .unwrap()
        .routes()
        .unwrap()
}

/// One list of routes, three places: template.yaml declares each (method, path) once, the
/// router serves exactly those, and infra/openapi.yaml documents exactly those, each
/// operation named after its function and documenting exactly the parameters its path names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spec_the_template_and_the_router_have_exactly_the_same_routes() {
    let declared = template_routes();
    assert!(declared.len() >= 14, "{declared:?}");
    let unique: BTreeSet<(&str, &str)> = declared
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(unique.len(), declared.len(), "a route is declared twice");

    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let mut served: Vec<RouteSpec> = stack.router.routes().cloned().collect();
    served.sort();
    assert_eq!(served, declared);

    let spec = Spec::load();
    let documented: BTreeSet<(String, String, String)> = spec
        .operations()
        .into_iter()
        .map(|((method, path), id)| (method, path, id))
        .collect();
    // An operation is named after its function; a function's other routes after its
    // function and what they serve (`console`, `consoleAsset`). OpenAPI has no greedy
    // parameter: the spec writes API Gateway's `{proxy+}` as `{proxy}`.
    let named: BTreeSet<(String, String, String)> = declared
        .iter()
        .map(|r| {
            let id = camel(&r.function);
            let (path, id) = match r.path.as_str() {
                "/console/{proxy+}" => ("/console/{proxy}".to_owned(), format!("{id}Asset")),
                path => (path.to_owned(), id),
            };
            (r.method.clone(), path, id)
        })
        .collect();
    assert_eq!(documented, named);

    // Each operation documents exactly the parameters its path names.
    for (method, path, _) in &documented {
        let named: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(str::to_owned)
            .collect();
        assert_eq!(spec.path_parameters(method, path), named, "{method} {path}");
    }
}

#[test]
fn every_function_crate_has_exactly_one_route_or_a_schedule_or_a_stream_and_a_matching_binary() {
    let crates = function_crates();
    assert!(crates.len() >= 9, "{crates:?}");
    let routes = template_routes();
    let scheduled = Template::load(&template::default_path())
        .unwrap()
        .scheduled_functions()
        .unwrap();
    assert_eq!(scheduled, BTreeSet::from(["purge-deleted".to_owned()]));
    let streamed = Template::load(&template::default_path())
        .unwrap()
        .stream_functions()
        .unwrap();
    assert_eq!(streamed, BTreeSet::from(["publish-events".to_owned()]));
    // Functions invoked by a schedule or a stream have no route.
    let scheduled: BTreeSet<String> = scheduled.union(&streamed).cloned().collect();
    for name in &crates {
        if scheduled.contains(name) {
            assert!(
                routes.iter().all(|r| &r.function != name),
                "{name} is scheduled and routed"
            );
            continue;
        }
        let mine: Vec<&RouteSpec> = routes.iter().filter(|r| &r.function == name).collect();
        let expected = if name == "console" { 2 } else { 1 };
        assert_eq!(mine.len(), expected, "{name} has routes {mine:?}");
        let manifest =
            std::fs::read_to_string(functions_dir().join(name).join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "functions/{name}/Cargo.toml does not name the package {name}"
        );
    }
    // Every Binary the template names is a crate, and every crate is a handler of the router.
    let binaries: BTreeSet<String> = routes.iter().map(|r| r.function.clone()).collect();
    let http_crates: BTreeSet<String> = crates.difference(&scheduled).cloned().collect();
    assert_eq!(binaries, http_crates);
    let handlers: BTreeSet<String> = tenantry_dev::router::handlers()
        .into_iter()
        .map(|(name, _, _)| name.to_owned())
        .collect();
    assert_eq!(handlers, http_crates);
}

/// `test = false` under `[section]` of a manifest (up to the next section).
fn tests_off(manifest: &str, section: &str) -> bool {
    format!("\n{manifest}")
        .split("\n[")
        .filter(|block| block.starts_with(&section[1..]))
        .any(|block| block.lines().any(|line| line.trim() == "test = false"))
}

/// A function's handler is tested through the API (tests/), so cargo builds a test binary
/// for its crate only when the crate has unit tests of its own: every empty test binary links
/// the whole SDK, and 64 of them filled CI's disk.
#[test]
fn function_crates_build_test_binaries_only_for_the_tests_they_have() {
    for name in function_crates() {
        let dir = functions_dir().join(&name);
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        let main = std::fs::read_to_string(dir.join("src/main.rs")).unwrap();
        assert!(!main.contains("#[cfg(test)]"), "{name}: tests in main.rs");
        assert!(
            tests_off(&manifest, "[[bin]]"),
            "functions/{name}/Cargo.toml: its [[bin]] needs `test = false`"
        );
        let has_tests = lib.contains("#[cfg(test)]");
        assert_eq!(
            tests_off(&manifest, "[lib]"),
            !has_tests,
            "functions/{name}/Cargo.toml: [lib] `test = false` exactly when src/lib.rs has no tests"
        );
    }
    assert!(tests_off("[lib]\ntest = false\n", "[lib]"));
    assert!(!tests_off(
        "[lib]\ndoctest = false\n[[bin]]\ntest = false\n",
        "[lib]"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_refuses_a_route_list_that_lacks_a_function_or_names_an_unknown_one() {
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let routes = template_routes();
    assert!(Router::new(Arc::clone(&stack.app), &routes).is_ok());
    for missing in &routes {
        let fewer: Vec<RouteSpec> = routes
            .iter()
            .filter(|r| r.function != missing.function)
            .cloned()
            .collect();
        let err = Router::new(Arc::clone(&stack.app), &fewer)
            .err()
            .unwrap_or_else(|| panic!("a router without {} was built", missing.function));
        assert!(err.contains(&missing.function), "{err}");
    }
    let mut more = routes.clone();
    more.push(RouteSpec {
        method: "GET".into(),
        path: "/reports".into(),
        function: "get-reports".into(),
    });
    let err = Router::new(Arc::clone(&stack.app), &more)
        .err()
        .expect("a router with an unknown function was built");
    assert!(err.contains("get-reports"), "{err}");
}
