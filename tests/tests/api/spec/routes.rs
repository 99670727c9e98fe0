//! The spec's operations are the routes of template.yaml, which the router serves; what is
//! not an operation is answered as the spec says.

use std::collections::{BTreeMap, BTreeSet};

use lambda_http::http::{StatusCode, header};
use tenantry_dev::template::{self, Template};
use tenantry_tests::{Request, Stack};

use super::{DEAD_ENDPOINT, METHODS, Spec, camel, escape};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spec_declares_exactly_the_routes_of_the_template_which_the_router_serves() {
    let spec = Spec::load();
    let documented: BTreeSet<(String, String, String)> = spec
        .operations()
        .into_iter()
        .map(|((method, path), id)| (method, path, id))
        .collect();
    let template = Template::load(&template::default_path()).unwrap();
    let declared: BTreeSet<(String, String, String)> = template
        .routes()
        .unwrap()
        .into_iter()
        .map(|r| (r.method, r.path, camel(&r.function)))
        .collect();
    assert_eq!(documented, declared);
    assert!(declared.len() >= 14, "{declared:?}");

    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let served: BTreeSet<(String, String, String)> = stack
        .router
        .routes()
        .map(|r| (r.method.clone(), r.path.clone(), camel(&r.function)))
        .collect();
    assert_eq!(served, declared);

    // Each operation documents exactly the parameters its path names.
    for (method, path, _) in &documented {
        let named: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(str::to_owned)
            .collect();
        let mut in_path = BTreeSet::new();
        let item = format!("/paths/{}", escape(path));
        for base in [item.clone(), spec.operation_pointer(method, path)] {
            let count = spec.at(&base)["parameters"].as_array().map_or(0, Vec::len);
            for i in 0..count {
                let (_, parameter) = spec.deref(format!("{base}/parameters/{i}"));
                if parameter["in"] == "path" {
                    assert_eq!(parameter["required"], true, "{method} {path}");
                    in_path.insert(parameter["name"].as_str().unwrap().to_owned());
                }
            }
        }
        assert_eq!(in_path, named, "{method} {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_methods_and_paths_are_answered_as_the_spec_says() {
    let spec = Spec::load();
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let mut by_path: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (method, path) in spec.operations().into_keys() {
        by_path.entry(path).or_default().insert(method);
    }
    let mut checked = 0;
    for (path, methods) in &by_path {
        let uri = path
            .replace("{tenant_id}", "acme")
            .replace("{user_id}", "0199a000-0000-7000-8000-000000000000");
        for method in METHODS.iter().filter(|m| !methods.contains(**m)) {
            let answer = Request::new(method, &uri).send(&stack).await;
            assert_eq!(
                answer.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {uri}"
            );
            spec.check_response("/components/responses/MethodNotAllowed".into(), &answer)
                .unwrap_or_else(|e| panic!("{method} {uri}: {e}"));
            let allow: BTreeSet<String> = answer.headers[header::ALLOW]
                .to_str()
                .unwrap()
                .split(',')
                .map(|m| m.trim().to_owned())
                .collect();
            assert_eq!(&allow, methods, "{method} {uri}");
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
    for uri in ["/", "/nope", "/tenants/acme/users/", "/tenants//users"] {
        let answer = Request::get(uri).send(&stack).await;
        spec.check_response("/components/responses/RouteNotFound".into(), &answer)
            .unwrap_or_else(|e| panic!("GET {uri}: {e}"));
    }
}
