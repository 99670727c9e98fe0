//! API Gateway's throttling, as `template.yaml` declares it. A route key with a typo in
//! `RouteSettings` deploys fine and throttles nothing, so each key must be a real route.

use serde_yaml::Value;
use tenantry_dev::template::{self, Template};

fn param(template: &Template, name: &str) -> u64 {
    template
        .parameter_default(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("parameter {name} has no numeric default"))
}

/// The template parameter a throttling setting refers to (`Ref: Name`).
fn referred(setting: &Value, key: &str) -> String {
    setting[key]["Ref"]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a Ref to a parameter"))
        .to_owned()
}

#[test]
fn login_is_throttled_harder_than_the_rest_and_every_route_key_is_a_real_route() {
    let path = template::default_path();
    let template = Template::load(&path).unwrap();
    let raw: Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let api = &raw["Resources"]["HttpApi"]["Properties"];
    let routes: Vec<String> = template
        .routes()
        .unwrap()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();

    let default = &api["DefaultRouteSettings"];
    let (default_rate, default_burst) = (
        param(&template, &referred(default, "ThrottlingRateLimit")),
        param(&template, &referred(default, "ThrottlingBurstLimit")),
    );
    let settings = api["RouteSettings"]
        .as_mapping()
        .expect("RouteSettings for the login route");
    for (key, setting) in settings {
        let key = key.as_str().unwrap();
        assert!(
            routes.iter().any(|r| r == key),
            "RouteSettings names `{key}`, which is not a route of the template"
        );
        let rate = param(&template, &referred(setting, "ThrottlingRateLimit"));
        let burst = param(&template, &referred(setting, "ThrottlingBurstLimit"));
        assert!(rate < default_rate && burst < default_burst, "{key}");
    }
    assert!(
        settings.contains_key("POST /auth/login"),
        "the login route has no throttling of its own"
    );
}
