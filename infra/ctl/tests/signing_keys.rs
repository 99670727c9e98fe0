//! `tenantryctl signing-keys`: a first key set, a rotation (new key active, the old one kept to
//! verify), a standby key activated later, a retirement, and the refusals, checked by reading
//! the printed set the way the functions do and by signing and verifying tokens with it.

use std::path::PathBuf;

use clap::Parser;
use clap::error::ErrorKind;
use tenantry_accounts::Principal;
use tenantry_http::{SigningKeys, Tokens};
use tenantryctl::{Cli, Report};

/// Runs `tenantryctl signing-keys <args>`: the printed key set, or the error.
async fn ctl(args: &[&str]) -> Result<SigningKeys, String> {
    let text = printed(args).await?;
    Ok(SigningKeys::parse(&text).expect("the printed set is valid"))
}

/// Runs `tenantryctl signing-keys <args>`: what it printed, or the error.
async fn printed(args: &[&str]) -> Result<String, String> {
    let cli = Cli::try_parse_from(
        ["tenantryctl", "signing-keys"]
            .into_iter()
            .chain(args.iter().copied()),
    )
    .unwrap();
    let mut out = Vec::new();
    let report = tenantryctl::run(cli, &mut out).await?;
    assert!(matches!(report, Report::SigningKeys));
    assert_eq!(report.exit_status(), 0);
    Ok(String::from_utf8(out).unwrap())
}

/// A file holding a key set, as an operator would keep it; removed when dropped.
struct File(PathBuf);

impl File {
    fn with(text: &str) -> File {
        let path = std::env::temp_dir().join(format!("keys-{}.json", uuid::Uuid::now_v7()));
        std::fs::write(&path, text).unwrap();
        File(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for File {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn file(keys: &SigningKeys) -> File {
    File::with(&keys.to_json())
}

fn tokens(keys: &SigningKeys) -> Tokens {
    Tokens::new(keys, "tenantry", "tenantry-api", 900)
}

fn principal() -> Principal {
    Principal {
        user_id: "u1".into(),
        tenant_id: "acme".into(),
        token_epoch: 1,
        session_id: "s1".into(),
    }
}

#[tokio::test]
async fn new_without_a_set_makes_a_set_of_one_active_key() {
    let keys = ctl(&["new", "--kid", "2026-05"]).await.unwrap();
    assert_eq!(keys.active_kid(), Some("2026-05"));
    assert_eq!(keys.kids().collect::<Vec<_>>(), ["2026-05"]);
    assert!(keys.has_private_key("2026-05"));
    // A fresh key each time.
    let again = ctl(&["new", "--kid", "2026-05"]).await.unwrap();
    assert_ne!(again.jwks(), keys.jwks());
}

#[tokio::test]
async fn a_rotation_signs_with_the_new_key_and_still_verifies_the_old_tokens() {
    let old = ctl(&["new", "--kid", "2026-05"]).await.unwrap();
    let before = tokens(&old).issue(&principal()).unwrap();
    let from = file(&old);
    let from = from.path();

    let rotated = ctl(&["new", "--kid", "2026-11", "--from", from])
        .await
        .unwrap();
    assert_eq!(rotated.active_kid(), Some("2026-11"));
    assert_eq!(rotated.kids().collect::<Vec<_>>(), ["2026-05", "2026-11"]);
    // The old key keeps only its public part by default.
    assert!(!rotated.has_private_key("2026-05"));
    assert_eq!(
        old.jwks().keys[0],
        rotated.jwks().keys[0],
        "the old key is kept as it was"
    );
    let during = tokens(&rotated);
    let after = during.issue(&principal()).unwrap();
    assert_eq!(during.verify(&before), Some(principal()));
    assert_eq!(during.verify(&after), Some(principal()));
    assert_eq!(tokens(&old).verify(&after), None);

    let kept = ctl(&["new", "--kid", "2026-11", "--from", from, "--keep-private"])
        .await
        .unwrap();
    assert!(kept.has_private_key("2026-05"));

    // After the access-token lifetime, the old key is retired: its tokens stop verifying.
    let rotated_file = file(&rotated);
    let retired = ctl(&["retire", "--kid", "2026-05", "--from", rotated_file.path()])
        .await
        .unwrap();
    assert_eq!(retired.kids().collect::<Vec<_>>(), ["2026-11"]);
    assert_eq!(tokens(&retired).verify(&before), None);
    assert_eq!(tokens(&retired).verify(&after), Some(principal()));
}

/// A set with the key 2026-05, and that set with 2026-11 added on standby.
async fn old_and_standby() -> (SigningKeys, SigningKeys) {
    let old = ctl(&["new", "--kid", "2026-05"]).await.unwrap();
    let from = file(&old);
    let standby = ctl(&[
        "new",
        "--kid",
        "2026-11",
        "--from",
        from.path(),
        "--standby",
    ])
    .await
    .unwrap();
    (old, standby)
}

#[tokio::test]
async fn a_standby_key_is_published_first_and_activated_later() {
    let (old, standby) = old_and_standby().await;
    assert_eq!(standby.active_kid(), Some("2026-05"));
    assert!(standby.has_private_key("2026-05") && standby.has_private_key("2026-11"));
    // Tokens are still signed by the old key, and verify everywhere.
    let token = tokens(&standby).issue(&principal()).unwrap();
    assert_eq!(tokens(&old).verify(&token), Some(principal()));

    let standby_file = file(&standby);
    let activated = ctl(&[
        "activate",
        "--kid",
        "2026-11",
        "--from",
        standby_file.path(),
    ])
    .await
    .unwrap();
    assert_eq!(activated.active_kid(), Some("2026-11"));
    assert!(!activated.has_private_key("2026-05"));
    // The new key's token verifies with the standby set the other functions may still have.
    let token = tokens(&activated).issue(&principal()).unwrap();
    assert_eq!(tokens(&standby).verify(&token), Some(principal()));
}

#[tokio::test]
async fn public_prints_the_verifying_set_that_the_other_functions_read() {
    let (_, standby) = old_and_standby().await;
    let standby_file = file(&standby);
    let text = printed(&["public", "--from", standby_file.path()])
        .await
        .unwrap();
    assert!(!text.contains("PRIVATE KEY"), "{text}");
    let verifying = SigningKeys::parse_verifying(&text).expect("a valid verifying set");
    assert_eq!(verifying.active_kid(), None);
    assert_eq!(verifying.kids().collect::<Vec<_>>(), ["2026-05", "2026-11"]);
    assert_eq!(verifying.jwks(), standby.jwks());
    // Published before the standby key signs, it verifies that key's tokens once it does.
    let activated = standby.activate("2026-11").unwrap();
    let token = tokens(&activated).issue(&principal()).unwrap();
    assert_eq!(tokens(&verifying).verify(&token), Some(principal()));
    assert!(tokens(&verifying).issue(&principal()).is_err());
    // It is no key set to sign with, nor to rotate from.
    let verifying_file = File::with(&text);
    let err = printed(&["new", "--kid", "2027-05", "--from", verifying_file.path()])
        .await
        .unwrap_err();
    assert!(err.contains("`active` is missing"), "{err}");
}

#[tokio::test]
async fn refusals_name_the_problem() {
    let one = ctl(&["new", "--kid", "2026-05"]).await.unwrap();
    let one = file(&one);
    let from = one.path();
    let rotated = file(
        &ctl(&["new", "--kid", "2026-11", "--from", from])
            .await
            .unwrap(),
    );
    let public_only = rotated.path();
    let empty = File::with(r#"{"active": "k", "keys": []}"#);
    let garbage = empty.path();
    for (args, expected) in [
        (
            vec!["new", "--kid", "2026-05", "--from", from],
            "kid \"2026-05\" is used by more than one key",
        ),
        (
            vec!["retire", "--kid", "2026-05", "--from", from],
            "key \"2026-05\" is the active key: make another key active first",
        ),
        (
            vec!["retire", "--kid", "2024-01", "--from", from],
            "no key \"2024-01\" in the set",
        ),
        (
            vec!["activate", "--kid", "2026-05", "--from", public_only],
            "the active key \"2026-05\" has no private_key, so it cannot sign",
        ),
        (
            vec!["new", "--kid", "x", "--from", "/nonexistent/keys.json"],
            "cannot read /nonexistent/keys.json",
        ),
        (
            vec!["retire", "--kid", "k", "--from", garbage],
            "is not a valid key set: no keys",
        ),
    ] {
        let err = ctl(&args).await.unwrap_err();
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

#[test]
fn the_arguments_are_checked() {
    let parse = |args: &[&str]| {
        Cli::try_parse_from(
            ["tenantryctl", "signing-keys"]
                .into_iter()
                .chain(args.iter().copied()),
        )
    };
    for (args, kind) in [
        (vec!["new"], ErrorKind::MissingRequiredArgument),
        (vec!["new", "--kid", ""], ErrorKind::InvalidValue),
        (
            vec!["new", "--kid", "k", "--standby"],
            ErrorKind::MissingRequiredArgument,
        ),
        (
            vec![
                "new",
                "--kid",
                "k",
                "--from",
                "f",
                "--standby",
                "--keep-private",
            ],
            ErrorKind::ArgumentConflict,
        ),
        (
            vec!["retire", "--kid", "k"],
            ErrorKind::MissingRequiredArgument,
        ),
        (
            vec!["activate", "--kid", "k"],
            ErrorKind::MissingRequiredArgument,
        ),
        (vec!["rotate"], ErrorKind::InvalidSubcommand),
    ] {
        let err = parse(&args).unwrap_err();
        assert_eq!(err.kind(), kind, "{args:?}: {err}");
        assert_eq!(err.exit_code(), 2, "{args:?}");
    }
}
