//! Property-based tests of username folding (`Username::parse`), with proptest.
//!
//! `PROPTEST_CASES` sets the number of cases of each property (default 4,096 here; a long
//! run: `PROPTEST_CASES=200000 cargo nextest run -p tenantry-accounts fuzz`).

use proptest::prelude::*;
use proptest::test_runner::Config;
use tenantry_accounts::input::Username;
use unicode_normalization::UnicodeNormalization;

fn config() -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 4096;
    }
    // A failure prints its minimal input; nothing is written next to the sources.
    config.failure_persistence = None;
    config
}

/// The canonical form: `[a-z0-9][a-z0-9._@+'-]{2,127}`, ASCII only.
fn canonical(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=128).contains(&bytes.len())
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_@+'".contains(b))
}

/// A character that NFKC and lowercasing do not turn into ASCII.
fn stays_non_ascii(c: char) -> bool {
    !c.to_string()
        .nfkc()
        .collect::<String>()
        .to_lowercase()
        .is_ascii()
}

/// The full-width form of a printable ASCII character (U+FF01..U+FF5E).
fn full_width(c: char) -> char {
    match c {
        '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xff01).unwrap(),
        other => other,
    }
}

/// Any string: arbitrary Unicode, and strings near the accepted shape.
fn any_name() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,40}",
        "[a-zA-Z0-9._ -]{0,40}",
        "[a-z0-9][a-z0-9._@+'-]{0,140}",
        // Compatibility characters that fold to ASCII or to several characters.
        proptest::collection::vec(
            prop::sample::select(vec![
                'ｂ', 'Ｅ', '．', '＿', '－', 'ℬ', 'ⓑ', '𝐞', 'ﬀ', '㎒', 'Ⅻ', '½', 'K', 'İ', 'ß',
                'е', '\u{0301}', '\u{200b}', '\u{3000}', 'a', '9', '.', '-', '_',
            ]),
            0..40
        )
        .prop_map(|chars| chars.into_iter().collect()),
    ]
}

/// A letter that stays non-ASCII after folding: drawn from scripts full of letters (Latin
/// with diacritics, Greek, Cyrillic, Armenian, Hebrew, Arabic, CJK, Hangul) or from anywhere.
fn non_ascii_letter() -> impl Strategy<Value = char> {
    prop_oneof![
        proptest::char::range('\u{00c0}', '\u{024f}'),
        proptest::char::range('\u{0370}', '\u{03ff}'),
        proptest::char::range('\u{0400}', '\u{04ff}'),
        proptest::char::range('\u{0531}', '\u{0587}'),
        proptest::char::range('\u{05d0}', '\u{05ea}'),
        proptest::char::range('\u{0620}', '\u{064a}'),
        proptest::char::range('\u{4e00}', '\u{9fff}'),
        proptest::char::range('\u{ac00}', '\u{d7a3}'),
        any::<char>(),
    ]
    .prop_filter("a letter that stays non-ASCII", |c| {
        c.is_alphabetic() && stays_non_ascii(*c)
    })
}

/// An accepted name: `[a-z0-9][a-z0-9._@+'-]{2,127}`.
fn accepted_name() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9._@+'-]{2,127}"
}

proptest! {
    #![proptest_config(config())]

    /// Any string is answered (never a panic), and an accepted one comes out canonical.
    #[test]
    fn fuzz_username_parse_never_panics_and_accepts_only_canonical_ascii(raw in any_name()) {
        if let Ok(name) = Username::parse(&raw) {
            prop_assert!(canonical(name.as_str()), "{raw:?} became {:?}", name.as_str());
        }
    }

    /// Parsing a parsed name gives it back: the canonical form is a fixed point.
    #[test]
    fn fuzz_username_parse_is_idempotent(raw in any_name()) {
        if let Ok(name) = Username::parse(&raw) {
            let again = Username::parse(name.as_str());
            prop_assert_eq!(again.as_ref().map(Username::as_str), Ok(name.as_str()));
        }
    }

    /// Case, width and surrounding whitespace do not make another name.
    #[test]
    fn fuzz_username_case_and_width_variants_are_one_name(
        name in accepted_name(),
        flips in proptest::collection::vec(0u8..3, 32),
        pad in prop::sample::select(vec!["", " ", "\u{3000}", "\t"]),
    ) {
        let variant: String = name
            .chars()
            .zip(flips.iter().cycle())
            .map(|(c, flip)| match flip {
                0 => c,
                1 => c.to_ascii_uppercase(),
                _ => full_width(c.to_ascii_uppercase()),
            })
            .collect();
        let variant = format!("{pad}{variant}{pad}");
        let parsed = Username::parse(&variant);
        prop_assert_eq!(parsed.as_ref().map(Username::as_str), Ok(name.as_str()), "{:?}", variant);
    }

    /// A letter that stays non-ASCII after folding (Cyrillic, Greek, accented, ...) anywhere in a
    /// name makes it refused, whatever surrounds it.
    #[test]
    fn fuzz_username_with_a_letter_that_does_not_fold_to_ascii_is_refused(
        name in accepted_name(),
        letter in non_ascii_letter(),
        at in any::<prop::sample::Index>(),
    ) {
        let mut chars: Vec<char> = name.chars().collect();
        chars.insert(at.index(chars.len() + 1), letter);
        let spoof: String = chars.into_iter().collect();
        prop_assert!(Username::parse(&spoof).is_err(), "{:?} was accepted", spoof);
    }
}

#[test]
fn fuzz_username_properties_hold_on_the_documented_examples() {
    // The examples the properties generalise, so a broken generator cannot hide a regression.
    assert_eq!(Username::parse("ｂｅｎ").unwrap().as_str(), "ben");
    assert_eq!(Username::parse("BEN").unwrap().as_str(), "ben");
    assert!(Username::parse("b\u{0435}n").is_err());
    assert!(stays_non_ascii('\u{0435}') && !stays_non_ascii('ｂ') && !stays_non_ascii('K'));
    assert_eq!(full_width('b'), 'ｂ');
    assert!(canonical("ben") && !canonical("Ben") && !canonical(".ben") && !canonical("be"));
}
