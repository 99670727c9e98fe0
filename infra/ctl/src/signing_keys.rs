//! `tenantryctl signing-keys`: makes and rotates the key set the signing functions read from
//! `TENANTRY_SIGNING_KEYS`. Each command reads the current set (`--from FILE`, `-` for
//! stdin), checks it as the functions would, and prints the next set on the output, private
//! keys included: it is the secret itself. `public` prints instead the verifying set the other
//! functions read from `TENANTRY_VERIFYING_KEYS`: every key's public part, nothing secret.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use tenantry_http::SigningKeys;

#[derive(Debug, Subcommand)]
pub enum SigningKeysCommand {
    /// Generate an Ed25519 key and make it the active one (or add it on standby). The current
    /// keys are kept to verify the tokens they signed, with only their public part unless
    /// --keep-private.
    New(NewArgs),
    /// Make a key of the set (one with its private part) the active one.
    Activate(ActivateArgs),
    /// Remove a key from the set: the tokens it signed stop verifying.
    Retire(RetireArgs),
    /// Print the verifying set of a key set (TENANTRY_VERIFYING_KEYS): the public part of every
    /// key, no active key, no private part.
    Public(PublicArgs),
}

#[derive(Debug, Clone, Args)]
pub struct NewArgs {
    /// The new key's id, e.g. the month it starts signing: 2026-11.
    #[arg(long, value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub kid: String,
    /// The current key set, a file or - for stdin. Without it, a set of the new key alone.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Add the key without making it active: publish it first, activate it later.
    #[arg(long, requires = "from")]
    pub standby: bool,
    /// Keep the private parts of the keys that no longer sign.
    #[arg(long, conflicts_with = "standby")]
    pub keep_private: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ActivateArgs {
    /// The key to sign with from now on.
    #[arg(long, value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub kid: String,
    /// The current key set, a file or - for stdin.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Keep the private parts of the keys that no longer sign.
    #[arg(long)]
    pub keep_private: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RetireArgs {
    /// The key to remove; not the active one.
    #[arg(long, value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub kid: String,
    /// The current key set, a file or - for stdin.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct PublicArgs {
    /// The key set, a file or - for stdin.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
}

/// Runs one `signing-keys` command: the next key set on `out`, what changed on stderr.
pub fn run(command: &SigningKeysCommand, out: &mut impl Write) -> Result<(), String> {
    let next = next_set(command)?;
    writeln!(out, "{}", next.to_json()).map_err(|e| format!("writing the key set: {e}"))?;
    let what = if next.can_sign() {
        "key set"
    } else {
        "verifying set"
    };
    let keys: Vec<String> = next
        .kids()
        .map(|kid| {
            let role = if Some(kid) == next.active_kid() {
                "active"
            } else if next.has_private_key(kid) {
                "private and public parts"
            } else {
                "public part only"
            };
            format!("{kid} ({role})")
        })
        .collect();
    eprintln!("tenantryctl: {what} of {}", keys.join(", "));
    Ok(())
}

/// The key set a command makes from the current one.
pub fn next_set(command: &SigningKeysCommand) -> Result<SigningKeys, String> {
    let failed = |e: tenantry_http::KeySetError| e.to_string();
    match command {
        SigningKeysCommand::New(args) => match &args.from {
            None => SigningKeys::generate(&args.kid).map_err(failed),
            Some(from) => {
                let added = read(from)?.with_generated(&args.kid).map_err(failed)?;
                if args.standby {
                    return Ok(added);
                }
                let active = added.activate(&args.kid).map_err(failed)?;
                Ok(if args.keep_private {
                    active
                } else {
                    active.public_only_but_active()
                })
            }
        },
        SigningKeysCommand::Activate(args) => {
            let active = read(&args.from)?.activate(&args.kid).map_err(failed)?;
            Ok(if args.keep_private {
                active
            } else {
                active.public_only_but_active()
            })
        }
        SigningKeysCommand::Retire(args) => read(&args.from)?.retire(&args.kid).map_err(failed),
        SigningKeysCommand::Public(args) => Ok(read(&args.from)?.verifying_only()),
    }
}

fn read(from: &Path) -> Result<SigningKeys, String> {
    let mut text = String::new();
    let result = if from == Path::new("-") {
        std::io::stdin().read_to_string(&mut text)
    } else {
        std::fs::File::open(from).and_then(|mut f| f.read_to_string(&mut text))
    };
    result.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    SigningKeys::parse(&text).map_err(|e| format!("{} is not a valid key set: {e}", from.display()))
}
