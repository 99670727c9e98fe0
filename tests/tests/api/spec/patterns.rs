//! The spec's patterns for free text say exactly what the parsers accept: for every Unicode
//! character, in each position that matters, the schema and the parser agree. Where they
//! disagreed, a client validating against the spec would send what is refused, or refuse what is
//! accepted.

use serde_json::json;
use tenantry_accounts::input::{Email, TenantName};

use super::Spec;

/// Every `char` of the planes that hold a whitespace, control or format character: the Basic
/// Multilingual Plane, the Supplementary Multilingual Plane and the tags of plane 14. The other
/// planes hold only ideographs, private use and unassigned code points.
fn every_char() -> impl Iterator<Item = char> {
    (0..=0x1_FFFF)
        .chain(0xE_0000..=0xE_0FFF)
        .filter_map(char::from_u32)
}

/// The characters on which `schema` (a pointer into the spec) and `parses` disagree, for each
/// text `place` makes of a character.
fn disagreements(
    spec: &Spec,
    schema: &str,
    place: impl Fn(char) -> String,
    parses: impl Fn(&str) -> bool,
) -> Vec<String> {
    let validator = spec.validator(schema);
    every_char()
        .filter_map(|c| {
            let text = place(c);
            let documented = validator.is_valid(&json!(text));
            (documented != parses(&text)).then(|| {
                format!(
                    "U+{:04X} in {text:?}: the spec {} it, the parser {} it",
                    u32::from(c),
                    if documented { "accepts" } else { "refuses" },
                    if documented { "refuses" } else { "accepts" },
                )
            })
        })
        .collect()
}

#[test]
fn the_email_pattern_accepts_exactly_what_an_email_may_hold() {
    let spec = Spec::load();
    let schema = "/components/schemas/Email";
    let parses = |text: &str| Email::parse(text).is_ok();
    let mut wrong = disagreements(&spec, schema, |c| format!("a{c}b@x.io"), parses);
    wrong.extend(disagreements(
        &spec,
        schema,
        |c| format!("ab@x{c}y.io"),
        parses,
    ));
    wrong.extend(disagreements(
        &spec,
        schema,
        |c| format!("{c}ab@x.io"),
        parses,
    ));
    assert!(
        wrong.is_empty(),
        "{} disagreements: {wrong:#?}",
        wrong.len()
    );
    // Invisible characters are among those refused, so the check above has something to find.
    assert!(!parses("ben\u{200B}@acme.test"));
}

#[test]
fn the_tenant_name_pattern_accepts_exactly_what_a_tenant_name_may_hold() {
    let spec = Spec::load();
    let schema = "/components/schemas/TenantName";
    let parses = |text: &str| TenantName::parse(text).is_ok();
    let mut wrong = disagreements(&spec, schema, |c| format!("Acme{c}Co"), parses);
    wrong.extend(disagreements(&spec, schema, |c| c.to_string(), parses));
    assert!(
        wrong.is_empty(),
        "{} disagreements: {wrong:#?}",
        wrong.len()
    );
    assert!(!parses("Acme\u{202E}oC"));
}
