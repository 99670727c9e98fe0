//! What every log line must be, whoever logged it: one JSON object with the keys of the
//! format; inside a request, that request's id, tenant, actor and action; and no password,
//! password hash, token, private signing key or bearer header in any form. The checks of the
//! log scenario (`logs.rs`), and tests of the search for secrets itself.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// Everything the subscriber wrote, shared with the test.
#[derive(Clone, Default)]
pub(crate) struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("the log is UTF-8")
    }
    pub(crate) fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_owned).collect()
    }
    pub(crate) fn count(&self) -> usize {
        self.lines().len()
    }
}

/// What the lines of one request must say.
pub(crate) struct Expected {
    pub(crate) request_id: String,
    pub(crate) action: &'static str,
    pub(crate) tenant: Option<String>,
    pub(crate) actor: Option<String>,
    pub(crate) lines: Range<usize>,
}

/// Every line parsed, after checking that each is one JSON object with the keys of the format
/// and an RFC 3339 timestamp.
pub(crate) fn parse_every_line(lines: &[String]) -> Vec<Value> {
    let parsed: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    for line in &parsed {
        for key in ["timestamp", "level", "target", "message"]
            .into_iter()
            .chain(tenantry_http::log::CONTEXT_KEYS)
        {
            assert!(line.get(key).is_some(), "no {key}: {line}");
        }
        let timestamp = line["timestamp"].as_str().unwrap();
        let format = time::format_description::well_known::Rfc3339;
        assert!(
            time::OffsetDateTime::parse(timestamp, &format).is_ok(),
            "{line}"
        );
    }
    parsed
}

/// Every line of each request names that request, and its last line says how it ended.
pub(crate) fn assert_each_line_names_its_request(expected: &[Expected], parsed: &[Value]) {
    for expected in expected {
        let mine = &parsed[expected.lines.clone()];
        assert!(!mine.is_empty(), "{} logged nothing", expected.request_id);
        for line in mine {
            assert_eq!(line["request_id"], expected.request_id.as_str(), "{line}");
            assert_eq!(line["action"], expected.action, "{line}");
            assert_eq!(line["tenant"], json!(expected.tenant), "{line}");
            assert_eq!(line["actor"], json!(expected.actor), "{line}");
        }
        let last = mine.last().unwrap();
        assert!(
            ["handled", "refused", "failed"].contains(&last["message"].as_str().unwrap()),
            "{last}"
        );
    }
}

/// No secret, in any form, in any case, on any line.
pub(crate) fn assert_no_line_holds_a_secret(secrets: &[String], lines: &[String]) {
    if let Some((form, line)) = a_line_holding_a_secret(secrets, lines) {
        panic!("a log line holds {form:?}: {line}");
    }
}

/// The first form of a secret found in a line (lowercased), and the line.
fn a_line_holding_a_secret<'a>(
    secrets: &[String],
    lines: &'a [String],
) -> Option<(String, &'a String)> {
    for secret in secrets {
        for form in forms(secret) {
            let form = form.to_lowercase();
            if let Some(line) = lines.iter().find(|l| l.to_lowercase().contains(&form)) {
                return Some((form, line));
            }
        }
    }
    None
}

/// The forms a secret could take in a line: as is, JSON-escaped, Debug-escaped, and for a
/// password hash its salt and its digest alone.
fn forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap();
    let debug = format!("{secret:?}");
    let mut forms = vec![
        secret.to_owned(),
        json[1..json.len() - 1].to_owned(),
        debug[1..debug.len() - 1].to_owned(),
    ];
    if secret.starts_with("$argon2") {
        forms.extend(secret.rsplit('$').take(2).map(str::to_owned));
    }
    forms
}

/// The keys of a JSON object, in the order written.
pub(crate) fn keys_of(line: &str) -> Vec<String> {
    struct Keys(Vec<String>);
    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
            struct Visitor;
            impl<'de> serde::de::Visitor<'de> for Visitor {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some((key, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                        keys.push(key);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(Visitor)
        }
    }
    serde_json::from_str::<Keys>(line).unwrap().0
}

/// The example line of the "Logs" section of docs/operations.md.
pub(crate) fn readme_line() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/operations.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let logs = &readme[readme
        .find("\n## Logs\n")
        .expect("docs/operations.md has a Logs section")..];
    let (_, block) = logs.split_once("```json\n").expect("a json block");
    block.split_once("\n```").unwrap().0.to_owned()
}

#[test]
fn a_secret_is_found_as_is_json_escaped_debug_escaped_and_in_any_case() {
    let secret = "Owner \"quoted\" p\u{e4}ssw\u{f6}rd \\ 1".to_owned();
    let json = serde_json::to_string(&secret).unwrap();
    let debug = format!("{secret:?}");
    let lines = [
        format!("{{\"message\":\"{}\"}}", &secret),
        format!("{{\"message\":{json}}}"),
        format!("{{\"message\":\"{}\"}}", &debug[1..debug.len() - 1]),
        format!("{{\"message\":\"{}\"}}", secret.to_uppercase()),
    ];
    let secrets = [secret];
    for line in &lines {
        let found = a_line_holding_a_secret(&secrets, std::slice::from_ref(line));
        assert_eq!(found.map(|(_, l)| l), Some(line), "{line}");
    }
    let clean = [r#"{"message":"handled","status":200}"#.to_owned()];
    assert_eq!(a_line_holding_a_secret(&secrets, &clean), None);
}

#[test]
fn a_password_hash_is_found_by_its_salt_or_its_digest_alone() {
    let hash =
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$ZGlnZXN0ZGlnZXN0ZGlnZXN0".to_owned();
    for part in ["c2FsdHNhbHRzYWx0", "ZGlnZXN0ZGlnZXN0ZGlnZXN0"] {
        let line = format!("{{\"message\":\"read {part}\"}}");
        assert!(
            a_line_holding_a_secret(std::slice::from_ref(&hash), &[line]).is_some(),
            "{part}"
        );
    }
}
