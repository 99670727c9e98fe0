//! `infra/local/env.json`, the environment file for `sam local start-api --env-vars` and
//! `sam local invoke --env-vars`. sam local silently ignores a variable the template does not
//! declare for that function, so a typo there would leave a function pointed at AWS.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use tenantry_dev::template::{self, Template};

fn env_file() -> BTreeMap<String, BTreeMap<String, String>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/local/env.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    json.as_object()
        .expect("env.json is an object of sections")
        .iter()
        .map(|(section, vars)| {
            let vars = vars
                .as_object()
                .unwrap_or_else(|| panic!("section {section} is not an object"))
                .iter()
                .map(|(name, value)| {
                    let value = value.as_str().unwrap_or_else(|| {
                        panic!("{section}.{name}: sam local wants string values")
                    });
                    (name.clone(), value.to_owned())
                })
                .collect();
            (section.clone(), vars)
        })
        .collect()
}

#[test]
fn env_json_sets_only_variables_the_template_declares() {
    let template = Template::load(&template::default_path()).unwrap();
    let declared = template.environment();
    assert!(declared.len() >= 15, "functions: {:?}", declared.keys());
    let everywhere: BTreeSet<&String> = declared
        .values()
        .map(|vars| vars.iter().collect::<BTreeSet<_>>())
        .reduce(|a, b| a.intersection(&b).copied().collect())
        .unwrap();
    for (section, vars) in env_file() {
        for name in vars.keys() {
            if section == "Parameters" {
                // Applies to every function: each one must declare it.
                assert!(
                    everywhere.contains(name),
                    "Parameters.{name} is not declared by every function"
                );
            } else {
                let own = declared
                    .get(&section)
                    .unwrap_or_else(|| panic!("{section} is not a function of template.yaml"));
                assert!(own.contains(name), "{section} does not declare {name}");
            }
        }
    }
}

#[test]
fn env_json_points_every_function_at_dynamodb_local() {
    let template = Template::load(&template::default_path()).unwrap();
    let file = env_file();
    let all = &file["Parameters"];
    let endpoint = &all["DYNAMODB_ENDPOINT"];
    assert!(
        endpoint.starts_with("http://") && endpoint.ends_with(":8000"),
        "{endpoint}: make dev's DynamoDB Local listens on port 8000"
    );
    assert_eq!(
        Some(&all["TABLE_NAME"]),
        template.parameter_default("TableName").as_ref(),
        "the table make dev creates"
    );
    // The functions refuse an invalid key set at start-up. Only the two that sign get the
    // private keys; the others verify with their public part.
    let signing = &file["AuthLoginFunction"]["TENANTRY_SIGNING_KEYS"];
    assert_eq!(
        signing,
        &file["AuthRefreshFunction"]["TENANTRY_SIGNING_KEYS"]
    );
    let keys = tenantry_http::SigningKeys::parse(signing)
        .unwrap_or_else(|e| panic!("TENANTRY_SIGNING_KEYS: {e}"));
    assert!(
        keys.kids().all(|kid| kid.starts_with("local-only")),
        "the local key set says what it is"
    );
    let verifying = tenantry_http::SigningKeys::parse_verifying(&all["TENANTRY_VERIFYING_KEYS"])
        .unwrap_or_else(|e| panic!("TENANTRY_VERIFYING_KEYS: {e}"));
    assert_eq!(
        verifying.jwks(),
        keys.jwks(),
        "the public part of the local key set"
    );
    // The login guard key, for the two functions that check passwords only.
    assert!(all.get("TENANTRY_LOGIN_GUARD_KEY").is_none());
    let guard_key = &file["AuthLoginFunction"]["TENANTRY_LOGIN_GUARD_KEY"];
    assert_eq!(
        guard_key,
        &file["SetPasswordFunction"]["TENANTRY_LOGIN_GUARD_KEY"]
    );
    tenantry_accounts::LoginGuardKey::parse(guard_key)
        .unwrap_or_else(|e| panic!("TENANTRY_LOGIN_GUARD_KEY {e}"));
    assert!(
        guard_key.starts_with("local-only"),
        "the local key says what it is"
    );
    // In AWS the override is empty, which the functions read as "the real DynamoDB".
    assert_eq!(
        template.parameter_default("DynamoDbEndpoint").as_deref(),
        Some("")
    );
}

/// The functions that issue tokens.
const SIGNERS: [&str; 2] = ["AuthLoginFunction", "AuthRefreshFunction"];

#[test]
fn the_signing_keys_come_from_secrets_manager_at_deploy_time() {
    let path = template::default_path();
    let root: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for function in SIGNERS {
        let value = &root["Resources"][function]["Properties"]["Environment"]["Variables"]["TENANTRY_SIGNING_KEYS"];
        let branches = value["Fn::If"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{function}: Fn::If on the version"));
        assert_eq!(branches[0].as_str(), Some("SigningKeysVersionPinned"));
        let references: Vec<&str> = branches[1..]
            .iter()
            .map(|b| b["Fn::Sub"].as_str().expect("a long-form Fn::Sub"))
            .collect();
        assert_eq!(
            references,
            [
                "{{resolve:secretsmanager:${SigningKeysSecret}:SecretString:::${SigningKeysVersion}}}",
                "{{resolve:secretsmanager:${SigningKeysSecret}:SecretString}}",
            ],
            "{function}"
        );
    }
    assert!(root["Conditions"]["SigningKeysVersionPinned"].is_mapping());
    for parameter in ["SigningKeysSecret", "SigningKeysVersion"] {
        assert!(root["Parameters"][parameter].is_mapping(), "{parameter}");
    }
}

/// The private signing keys reach only the functions that sign; every other function gets
/// the verifying set, public keys read from an SSM parameter at deploy time.
#[test]
fn only_login_and_refresh_get_the_private_keys_and_the_others_the_public_ones() {
    let template = Template::load(&template::default_path()).unwrap();
    let environment = template.environment();
    let signers: BTreeSet<&str> = environment
        .iter()
        .filter(|(_, vars)| vars.contains("TENANTRY_SIGNING_KEYS"))
        .map(|(function, _)| function.as_str())
        .collect();
    assert_eq!(signers, BTreeSet::from(SIGNERS));
    let http: BTreeSet<String> = template
        .routes()
        .unwrap()
        .into_iter()
        .map(|route| route.function)
        .collect();
    assert!(http.len() >= 30, "{http:?}");
    for binary in &http {
        let vars = template.function_environment(binary, "prod").unwrap();
        assert!(
            vars.contains_key("TENANTRY_VERIFYING_KEYS"),
            "{binary} has no verifying set"
        );
    }
    let path = template::default_path();
    let root: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        root["Globals"]["Function"]["Environment"]["Variables"]["TENANTRY_VERIFYING_KEYS"]["Ref"]
            .as_str(),
        Some("VerifyingKeysParameter")
    );
    assert_eq!(
        root["Parameters"]["VerifyingKeysParameter"]["Type"].as_str(),
        Some("AWS::SSM::Parameter::Value<String>")
    );
}

/// The login guard key is a secret the stack makes, given only to the two functions that
/// check passwords.
#[test]
fn the_login_guard_key_is_a_secret_the_stack_generates_for_login_and_set_password() {
    let path = template::default_path();
    let root: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let holders: BTreeSet<&str> = root["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter_map(|(name, resource)| {
            let value =
                &resource["Properties"]["Environment"]["Variables"]["TENANTRY_LOGIN_GUARD_KEY"];
            (!value.is_null()).then(|| {
                assert_eq!(
                    value["Fn::Sub"].as_str(),
                    Some("{{resolve:secretsmanager:${LoginGuardKeySecret}:SecretString}}"),
                    "{name:?}"
                );
                name.as_str().unwrap()
            })
        })
        .collect();
    assert_eq!(
        holders,
        BTreeSet::from(["AuthLoginFunction", "SetPasswordFunction"])
    );
    assert!(
        root["Globals"]["Function"]["Environment"]["Variables"]["TENANTRY_LOGIN_GUARD_KEY"]
            .is_null()
    );
    let secret = &root["Resources"]["LoginGuardKeySecret"];
    assert_eq!(secret["Type"].as_str(), Some("AWS::SecretsManager::Secret"));
    let generated = &secret["Properties"]["GenerateSecretString"];
    // Long enough for `LoginGuardKey`, and nothing a shell or JSON would mangle.
    let length = generated["PasswordLength"].as_u64().unwrap();
    assert!(length >= tenantry_accounts::LoginGuardKey::MIN_KEY_BYTES as u64);
    assert_eq!(generated["ExcludePunctuation"].as_bool(), Some(true));
}

/// `make smoke-arm64` starts each package with the environment the template gives it.
#[test]
fn a_functions_environment_resolves_as_cloudformation_would() {
    let template = Template::load(&template::default_path()).unwrap();
    let publish = template
        .function_environment("publish-events", "prod")
        .unwrap();
    let names: BTreeSet<&String> = publish.keys().collect();
    let declared = &template.environment()["PublishEventsFunction"];
    assert_eq!(names, declared.iter().collect(), "Globals and its own");
    assert_eq!(
        publish["TENANTRY_EVENT_SOURCE"].as_deref(),
        Some("urn:tenantry:prod"),
        "Fn::Sub of the stack's name"
    );
    assert_eq!(
        publish["TABLE_NAME"],
        template.parameter_default("TableName")
    );
    assert_eq!(publish["RUST_LOG"].as_deref(), Some("info"));
    assert_eq!(publish["EVENT_BUS_NAME"], None, "a resource's name");
    assert!(
        !publish.contains_key("TENANTRY_SIGNING_KEYS"),
        "it signs nothing"
    );
    let login = template.function_environment("auth-login", "prod").unwrap();
    assert_eq!(login["TENANTRY_SIGNING_KEYS"], None, "a secret");

    let purge = template
        .function_environment("purge-deleted", "prod")
        .unwrap();
    assert_eq!(
        purge["PURGE_CONCURRENCY"],
        template.parameter_default("PurgeConcurrency")
    );
    assert_eq!(
        purge["PURGE_DEADLINE_MARGIN_SECONDS"].as_deref(),
        Some("20")
    );
    assert!(!publish.contains_key("PURGE_CONCURRENCY"));
    assert!(
        template
            .function_environment("no-such-function", "prod")
            .is_err()
    );
}
