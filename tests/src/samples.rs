//! The sample events of `events/` (one per function, for `sam local invoke -e`), read and
//! filled in: the tests feed them to the handlers, `make smoke-arm64` to the packages.

use std::path::PathBuf;

use serde_json::Value;

/// What the events leave for the caller to fill in, as plain text.
pub const PLACEHOLDERS: [&str; 5] = [
    "TOKEN",
    "USER_ID",
    "NEW_OWNER_ID",
    "REFRESH_TOKEN",
    "TOKEN_ID",
];

pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// The text of `events/<name>.json`, which must be valid JSON as it stands.
pub fn read(name: &str) -> String {
    let path = events_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    if let Err(e) = serde_json::from_str::<Value>(&text) {
        panic!("{} is not valid JSON: {e}", path.display());
    }
    text
}

/// `events/<name>.json` with its bearer token (`Bearer TOKEN`) and its other placeholders
/// replaced; panics if one is missing from the event or left unfilled.
pub fn filled(name: &str, token: Option<&str>, ids: &[(&str, &str)]) -> String {
    let mut text = read(name);
    if let Some(token) = token {
        assert!(text.contains("Bearer TOKEN"), "{name}: no bearer token");
        text = text.replace("Bearer TOKEN", &format!("Bearer {token}"));
    }
    for (placeholder, value) in ids {
        assert!(text.contains(placeholder), "{name}: no {placeholder}");
        text = text.replace(placeholder, value);
    }
    for placeholder in PLACEHOLDERS {
        assert!(
            !text.contains(placeholder),
            "{name}: {placeholder} left unfilled"
        );
    }
    text
}
