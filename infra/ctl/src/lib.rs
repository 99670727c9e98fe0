//! `tenantryctl`: operator commands. `purge` runs the purge engine the scheduled function
//! runs (or previews it with `--dry-run`), as of now or of a given moment, with a progress bar
//! on stderr and a summary on the output. `signing-keys` makes and rotates the token signing
//! key set (see `signing_keys`). `events replay` publishes a tenant's events again from its
//! audit log (see `events`). `unlock` clears a name's login lock.

pub mod events;
pub mod signing_keys;

use std::cell::RefCell;
use std::io::Write;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use tenantry_accounts::{
    Outcome, PurgeRun, PurgeSettings, PurgeSummary, Purged, Purger, Stop, Unlocked,
};
use tenantry_store::{Store, StoreConfig};

pub use signing_keys::SigningKeysCommand;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Parser)]
#[command(
    name = "tenantryctl",
    version,
    about = "Operator commands for tenantry"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Purge the deleted users whose restore window has closed (or list them, with --dry-run).
    Purge(PurgeArgs),
    /// Make or rotate the token signing key set (TENANTRY_SIGNING_KEYS); prints the new set.
    #[command(subcommand)]
    SigningKeys(SigningKeysCommand),
    /// Lifecycle events: publish a tenant's events again from its audit log.
    #[command(subcommand)]
    Events(events::EventsCommand),
    /// Clear a name's login lock and failure count (anyone can lock a known name for 15
    /// minutes at a time, `root` of `platform` included).
    Unlock(UnlockArgs),
}

#[derive(Debug, Clone, Args)]
pub struct UnlockArgs {
    #[command(flatten)]
    pub table: TableArgs,
    /// The tenant (`platform` for super admins).
    #[arg(long, value_name = "ID")]
    pub tenant: String,
    /// The username, as typed at login (it is folded the way logins fold it).
    #[arg(long, value_name = "NAME")]
    pub username: String,
    /// The deployment's login guard key, which names the name's failed-login counter (see
    /// docs/operations.md). Give it in the environment rather than on the command line.
    #[arg(
        long,
        env = "TENANTRY_LOGIN_GUARD_KEY",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub guard_key: String,
}

/// What a command did.
#[derive(Debug)]
pub enum Report {
    Purge(PurgeSummary),
    SigningKeys,
    Events(events::ReplaySummary),
    Unlock(Unlocked),
}

impl Report {
    /// The process exit status: 0, or 1 when some user could not be purged.
    pub fn exit_status(&self) -> u8 {
        match self {
            Report::Purge(summary) => exit_status(summary),
            Report::SigningKeys | Report::Unlock(_) => 0,
            Report::Events(summary) => u8::from(summary.failed.is_some()),
        }
    }

    /// The purge's summary, if the command was a purge.
    pub fn into_purge(self) -> Option<PurgeSummary> {
        match self {
            Report::Purge(summary) => Some(summary),
            Report::SigningKeys | Report::Events(_) | Report::Unlock(_) => None,
        }
    }
}

/// Which table, where: the flags every command on a table takes.
#[derive(Debug, Clone, Args)]
pub struct TableArgs {
    /// The DynamoDB table.
    #[arg(long = "table", value_name = "TABLE", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub name: String,
    /// Endpoint override, e.g. http://127.0.0.1:8000 for DynamoDB Local.
    #[arg(long, value_name = "URL", value_parser = parse_endpoint)]
    pub endpoint: Option<String>,
    /// The AWS region.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
}

impl TableArgs {
    /// With the operator's credentials: aws-config's default chain (profiles included).
    pub async fn connect(&self) -> Store {
        Store::connect_operator(&StoreConfig {
            table: self.name.clone(),
            region: self.region.clone(),
            endpoint: self.endpoint.clone(),
            max_attempts: 3,
        })
        .await
    }
}

#[derive(Debug, Clone, Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub table: TableArgs,
    /// List the users that would be purged; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Take at most N due users.
    #[arg(long, value_name = "N", value_parser = parse_limit)]
    pub limit: Option<u64>,
    /// Purge what a run at this moment would purge (default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_as_of)]
    pub as_of: Option<OffsetDateTime>,
    /// Purge transactions in flight at once.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

const AS_OF_EXAMPLE: &str = "2026-01-31T00:00:00Z or 2026-01-31T02:00:00+02:00";

fn parse_as_of(value: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(value.trim(), &Rfc3339).map_err(|e| {
        format!("expected an RFC 3339 time with an offset, e.g. {AS_OF_EXAMPLE} ({e})")
    })
}

fn parse_limit(value: &str) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a whole number of at least 1".into()),
    }
}

fn parse_endpoint(value: &str) -> Result<String, String> {
    if value.starts_with("http://") || value.starts_with("https://") {
        Ok(value.to_owned())
    } else {
        Err("expected an http:// or https:// URL, e.g. http://127.0.0.1:8000".into())
    }
}

/// Runs one command, writing its report to `out` (progress goes to stderr). `Err` is a
/// one-line reason the command could not run at all.
pub async fn run(cli: Cli, out: &mut impl Write) -> Result<Report, String> {
    match cli.command {
        Command::Purge(args) => purge(&args, out).await.map(Report::Purge),
        Command::SigningKeys(command) => {
            signing_keys::run(&command, out).map(|()| Report::SigningKeys)
        }
        Command::Events(command) => events::run(&command, out).await.map(Report::Events),
        Command::Unlock(args) => unlock(&args, out).await.map(Report::Unlock),
    }
}

async fn unlock(args: &UnlockArgs, out: &mut impl Write) -> Result<Unlocked, String> {
    let key = tenantry_accounts::LoginGuardKey::parse(&args.guard_key)
        .map_err(|e| format!("--guard-key (TENANTRY_LOGIN_GUARD_KEY) {e}"))?;
    let store = args.table.connect().await;
    let unlocked = tenantry_accounts::unlock(&store, &key, &args.tenant, &args.username)
        .await
        .map_err(|e| match e {
            tenantry_accounts::Error::Invalid { field, message } => format!("--{field} {message}"),
            other => cannot_read(&args.table, &other.to_string()),
        })?;
    let name = format!("{}/{}", args.tenant, unlocked.username);
    let written = match (&unlocked.locked_until, unlocked.counted) {
        (Some(until), _) => writeln!(out, "{name}: unlocked (it was locked until {until})"),
        (None, 0) => writeln!(out, "{name}: not locked, no failed attempt counted"),
        (None, n) => writeln!(out, "{name}: not locked; {n} counted attempts cleared"),
    };
    written.map_err(|e| format!("writing the report: {e}"))?;
    Ok(unlocked)
}

/// The process exit status for a finished run: 0 when nothing failed, else 1.
pub fn exit_status(summary: &PurgeSummary) -> u8 {
    u8::from(summary.failed > 0)
}

async fn purge(args: &PurgeArgs, out: &mut impl Write) -> Result<PurgeSummary, String> {
    let store = args.table.connect().await;
    let purger = Purger::new(
        store,
        PurgeSettings {
            concurrency: usize::from(args.concurrency),
            ..PurgeSettings::default()
        },
    );
    let as_of = args.as_of.unwrap_or_else(OffsetDateTime::now_utc);

    // Also the check that the table is there and reachable.
    let counted = purger
        .count_due(as_of)
        .await
        .map_err(|e| cannot_read(&args.table, &e.to_string()))?;
    let expected = args.limit.map_or(counted, |limit| counted.min(limit));

    let bar = ProgressBar::with_draw_target(Some(expected), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}/{len} {rate} eta {eta}")
    {
        bar.set_style(
            style
                .with_key(
                    "rate",
                    |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0}/s", state.per_sec());
                    },
                )
                .progress_chars("=> "),
        );
    }
    bar.set_message(if args.dry_run { "listing" } else { "purging" });
    if !bar.is_hidden() {
        bar.enable_steady_tick(Duration::from_millis(200));
    }

    let run = PurgeRun {
        as_of,
        dry_run: args.dry_run,
        limit: args.limit,
        stop_taking_at: None,
    };
    let listing = RefCell::new((&mut *out, Ok(())));
    let started = Instant::now();
    let summary = purger
        .run(&run, |purged: Purged<'_>| {
            bar.inc(1);
            if *purged.outcome == Outcome::WouldPurge {
                let mut listing = listing.borrow_mut();
                let (out, written) = &mut *listing;
                if written.is_ok() {
                    let user = purged.user;
                    *written = bar.suspend(|| {
                        writeln!(
                            out,
                            "would purge tenant={} user={} purge_after={}",
                            user.tenant_id, user.id, user.purge_after
                        )
                    });
                }
            }
        })
        .await;
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    let (_, written) = listing.into_inner();
    written.map_err(|e| format!("writing the list of users: {e}"))?;

    write_summary(out, args, counted, &summary, elapsed)
        .map_err(|e| format!("writing the summary: {e}"))?;
    Ok(summary)
}

fn cannot_read(table: &TableArgs, error: &str) -> String {
    let place = format!(
        "table {:?} (region {}, endpoint {})",
        table.name,
        table.region,
        table.endpoint.as_deref().unwrap_or("AWS")
    );
    if error.contains("ResourceNotFoundException") {
        format!("{place} does not exist")
    } else {
        // SDK errors can span lines; the reason stays on one.
        let error = error.split_whitespace().collect::<Vec<_>>().join(" ");
        format!("cannot read {place}: {error}")
    }
}

fn write_summary(
    out: &mut impl Write,
    args: &PurgeArgs,
    counted: u64,
    summary: &PurgeSummary,
    elapsed: Duration,
) -> std::io::Result<()> {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        format!("{:.1} users/s", summary.due as f64 / seconds)
    } else {
        "-".to_owned()
    };
    let stopped = match summary.stopped {
        Stop::Done => "done (no due user left)".to_owned(),
        Stop::Limit => format!("limit ({} users taken)", args.limit.unwrap_or(summary.due)),
        Stop::Deadline => "deadline".to_owned(),
    };
    let rows: [(&str, String); 12] = [
        ("table", args.table.name.clone()),
        ("as of", summary.as_of.clone()),
        (
            "mode",
            if summary.dry_run {
                "dry run (nothing changed)".to_owned()
            } else {
                "purge".to_owned()
            },
        ),
        ("due at start", counted.to_string()),
        ("due (taken)", summary.due.to_string()),
        ("purged", summary.purged.to_string()),
        ("would purge", summary.would_purge.to_string()),
        ("skipped (restored)", summary.skipped_restored.to_string()),
        ("already gone", summary.already_gone.to_string()),
        ("failed", summary.failed.to_string()),
        ("stopped", stopped),
        ("duration", format!("{seconds:.3} s, {rate}")),
    ];
    writeln!(out, "purge summary")?;
    for (name, value) in rows {
        writeln!(out, "  {name:<20}{value}")?;
    }
    if !summary.errors.is_empty() {
        writeln!(out, "  first errors:")?;
        for error in &summary.errors {
            writeln!(out, "    {error}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;
    use tenantry_accounts::format_time;

    fn parse(args: &[&str]) -> Result<PurgeArgs, clap::Error> {
        let cli = Cli::try_parse_from(std::iter::once("tenantryctl").chain(args.iter().copied()))?;
        let Command::Purge(args) = cli.command else {
            panic!("not a purge: {args:?}");
        };
        Ok(args)
    }

    #[test]
    fn the_command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults() {
        let args = parse(&["purge", "--table", "tenantry"]).unwrap();
        assert_eq!(args.table.name, "tenantry");
        assert_eq!(args.table.region, "us-east-1");
        assert_eq!(args.table.endpoint, None);
        assert!(!args.dry_run);
        assert_eq!(args.limit, None);
        assert_eq!(args.as_of, None);
        assert_eq!(args.concurrency, 16);
    }

    #[test]
    fn every_flag() {
        let args = parse(&[
            "purge",
            "--table",
            "t1",
            "--endpoint",
            "http://127.0.0.1:8000",
            "--region",
            "eu-west-1",
            "--dry-run",
            "--limit",
            "15",
            "--as-of",
            "2026-01-31T02:00:00+02:00",
            "--concurrency",
            "256",
        ])
        .unwrap();
        assert_eq!(args.table.name, "t1");
        assert_eq!(
            args.table.endpoint.as_deref(),
            Some("http://127.0.0.1:8000")
        );
        assert_eq!(args.table.region, "eu-west-1");
        assert!(args.dry_run);
        assert_eq!(args.limit, Some(15));
        assert_eq!(args.concurrency, 256);
        // Any offset; the run compares in UTC.
        let as_of = args.as_of.unwrap();
        assert_eq!(format_time(as_of), "2026-01-31T00:00:00.000Z");
    }

    #[test]
    fn a_bad_as_of_names_the_flag_and_an_example() {
        for bad in [
            "yesterday",
            "2026-01-31",
            "2026-01-31T00:00:00",
            "2026-13-01T00:00:00Z",
        ] {
            let err = parse(&["purge", "--table", "t", "--as-of", bad]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ValueValidation, "{bad}");
            assert_eq!(err.exit_code(), 2);
            let text = err.to_string();
            assert!(text.contains("--as-of"), "{text}");
            assert!(text.contains("2026-01-31T00:00:00Z"), "{text}");
        }
    }

    #[test]
    fn limit_and_concurrency_are_bounded() {
        for (flag, value) in [
            ("--limit", "0"),
            ("--limit", "-1"),
            ("--limit", "many"),
            ("--concurrency", "0"),
            ("--concurrency", "257"),
        ] {
            let arg = format!("{flag}={value}");
            let err = parse(&["purge", "--table", "t", &arg]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ValueValidation, "{arg}");
            assert_eq!(err.exit_code(), 2, "{arg}");
            assert!(err.to_string().contains(flag), "{arg}: {err}");
        }
        assert_eq!(
            parse(&["purge", "--table", "t", "--limit", "1"])
                .unwrap()
                .limit,
            Some(1)
        );
        assert_eq!(
            parse(&["purge", "--table", "t", "--concurrency", "1"])
                .unwrap()
                .concurrency,
            1
        );
    }

    #[test]
    fn table_is_required_and_endpoint_is_a_url() {
        let err = parse(&["purge"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument);
        assert!(parse(&["purge", "--table", ""]).is_err());
        let err = parse(&["purge", "--table", "t", "--endpoint", "127.0.0.1:8000"]).unwrap_err();
        assert!(err.to_string().contains("--endpoint"), "{err}");
    }

    #[test]
    fn exit_status_is_one_when_any_user_failed() {
        let mut summary = PurgeSummary {
            as_of: "2026-01-31T00:00:00.000Z".into(),
            dry_run: false,
            due: 3,
            purged: 3,
            would_purge: 0,
            skipped_restored: 0,
            already_gone: 0,
            failed: 0,
            stopped: Stop::Done,
            duration_ms: 1,
            errors: Vec::new(),
        };
        assert_eq!(exit_status(&summary), 0);
        summary.failed = 1;
        assert_eq!(exit_status(&summary), 1);
    }

    #[test]
    fn the_summary_has_every_count_and_the_errors() {
        let args = parse(&["purge", "--table", "t", "--limit", "2"]).unwrap();
        let summary = PurgeSummary {
            as_of: "2026-01-31T00:00:00.000Z".into(),
            dry_run: false,
            due: 2,
            purged: 1,
            would_purge: 0,
            skipped_restored: 0,
            already_gone: 0,
            failed: 1,
            stopped: Stop::Limit,
            duration_ms: 500,
            errors: vec!["user u1: boom".into()],
        };
        let mut out = Vec::new();
        write_summary(&mut out, &args, 7, &summary, Duration::from_millis(500)).unwrap();
        let text = String::from_utf8(out).unwrap();
        for line in [
            "  as of               2026-01-31T00:00:00.000Z",
            "  mode                purge",
            "  due at start        7",
            "  due (taken)         2",
            "  purged              1",
            "  failed              1",
            "  stopped             limit (2 users taken)",
            "  duration            0.500 s, 4.0 users/s",
            "    user u1: boom",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
        }
    }
}
