//! `tenantryctl events replay`: publishes again the events of a tenant's audit log in a time
//! range. The stream keeps records for 24 hours; the audit log keeps them as long as the tenant
//! exists. An event is built from its audit item alone, so a replayed event is the event the
//! stream published: same id, same body. Consumers deduplicate on the id.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tenantry_accounts::{AuditAction, format_time};
use tenantry_events::{CloudEvent, EVENT_SOURCE_PREFIX, EventBridgeBus, Incoming, Publisher};
use time::OffsetDateTime;

use crate::{TableArgs, parse_as_of, parse_endpoint};

/// Audit events read per page.
const PAGE: usize = 100;

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Publish again the events of a tenant's audit log from --since to --until, with their ids.
    Replay(ReplayArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub table: TableArgs,
    /// The tenant whose events to publish.
    #[arg(long, value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub tenant: String,
    /// The first moment of the range (an event at it is published).
    #[arg(long, value_name = "RFC3339", value_parser = parse_as_of)]
    pub since: OffsetDateTime,
    /// The end of the range (an event at it is not published; default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_as_of)]
    pub until: Option<OffsetDateTime>,
    /// Only events of this type (e.g. user.purged); may be given several times.
    #[arg(long = "type", value_name = "TYPE", value_parser = parse_type)]
    pub types: Vec<String>,
    /// The stack's name: events say `source` urn:tenantry:<stack>, as the stack's publisher does.
    #[arg(long, value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub stack: String,
    /// The event bus (default: <stack>-events, the stack's own).
    #[arg(long)]
    pub bus: Option<String>,
    /// EventBridge endpoint override (a local emulator).
    #[arg(long, value_name = "URL", value_parser = parse_endpoint)]
    pub eventbridge_endpoint: Option<String>,
}

/// What a replay did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplaySummary {
    pub from: String,
    pub to: String,
    /// Events published, by type.
    pub by_type: BTreeMap<String, usize>,
    /// The first event that could not be published, and why. Nothing after it was published.
    pub failed: Option<(String, String)>,
}

impl ReplaySummary {
    pub fn replayed(&self) -> usize {
        self.by_type.values().sum()
    }
}

fn parse_type(value: &str) -> Result<String, String> {
    let known: Vec<&str> = AuditAction::ALL
        .into_iter()
        .filter_map(AuditAction::event_type)
        .collect();
    let value = value
        .trim()
        .strip_prefix("tenantry.")
        .unwrap_or(value.trim());
    if known.contains(&value) {
        Ok(value.to_owned())
    } else {
        let mut known = known;
        known.sort_unstable();
        known.dedup();
        Err(format!("expected one of {}", known.join(", ")))
    }
}

pub async fn run(command: &EventsCommand, out: &mut impl Write) -> Result<ReplaySummary, String> {
    match command {
        EventsCommand::Replay(args) => replay(args, out).await,
    }
}

async fn replay(args: &ReplayArgs, out: &mut impl Write) -> Result<ReplaySummary, String> {
    let until = args.until.unwrap_or_else(OffsetDateTime::now_utc);
    if args.since >= until {
        return Err(format!(
            "--since ({}) must be before --until ({})",
            format_time(args.since),
            format_time(until)
        ));
    }
    let store = args.table.connect().await;
    let bus_name = args
        .bus
        .clone()
        .unwrap_or_else(|| format!("{}-events", args.stack));
    let bus = EventBridgeBus::connect(
        &args.table.region,
        args.eventbridge_endpoint.as_deref(),
        &bus_name,
    )
    .await;
    let publisher = Publisher::new(Arc::new(bus));
    let source = format!("{EVENT_SOURCE_PREFIX}{}", args.stack);
    let mut summary = ReplaySummary {
        from: format_time(args.since),
        to: format_time(until),
        ..ReplaySummary::default()
    };

    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {pos} events {per_sec}") {
        bar.set_style(style);
    }
    bar.set_message(format!("replaying tenant {}", args.tenant));
    if !bar.is_hidden() {
        bar.enable_steady_tick(Duration::from_millis(200));
    }
    let mut after: Option<String> = None;
    loop {
        let page = store
            .audit_between(
                &args.tenant,
                &summary.from,
                &summary.to,
                PAGE,
                after.as_deref(),
            )
            .await
            .map_err(|e| {
                let error = e
                    .to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                format!(
                    "cannot read the audit log of {:?} in table {:?}: {error}",
                    args.tenant, args.table.name
                )
            })?;
        let incoming: Vec<Incoming> = page
            .items
            .iter()
            .map(|audit| Incoming {
                sequence: audit.id.clone(),
                event: CloudEvent::from_audit(audit, &source).map(|event| {
                    Some(event).filter(|e| {
                        args.types.is_empty() || args.types.iter().any(|t| t == e.detail_type())
                    })
                }),
            })
            .collect();
        let report = publisher.publish(&incoming).await;
        for event in incoming
            .iter()
            .filter_map(|i| i.event.as_ref().ok().and_then(Option::as_ref))
        {
            if report
                .failed
                .first()
                .is_some_and(|f| f.sequence == event.id)
            {
                break;
            }
            *summary
                .by_type
                .entry(event.detail_type().to_owned())
                .or_default() += 1;
            bar.inc(1);
        }
        if let Some(failed) = report.failed.first() {
            summary.failed = Some((failed.sequence.clone(), failed.error.clone()));
            break;
        }
        match page.next_after {
            Some(sk) => after = Some(sk),
            None => break,
        }
    }
    bar.finish_and_clear();
    write_summary(out, args, &bus_name, &summary)
        .map_err(|e| format!("writing the summary: {e}"))?;
    Ok(summary)
}

fn write_summary(
    out: &mut impl Write,
    args: &ReplayArgs,
    bus: &str,
    summary: &ReplaySummary,
) -> std::io::Result<()> {
    let types = if args.types.is_empty() {
        String::new()
    } else {
        format!(" of type {}", args.types.join(", "))
    };
    if summary.replayed() == 0 && summary.failed.is_none() {
        return writeln!(
            out,
            "no events{types} of tenant {} from {} to {}: nothing replayed",
            args.tenant, summary.from, summary.to
        );
    }
    writeln!(
        out,
        "replayed {} events{types} of tenant {} from {} to {} to bus {bus}",
        summary.replayed(),
        args.tenant,
        summary.from,
        summary.to
    )?;
    for (kind, count) in &summary.by_type {
        writeln!(out, "  {kind:<30} {count}")?;
    }
    if let Some((id, error)) = &summary.failed {
        writeln!(out, "stopped at event {id}, which the bus refused: {error}")?;
        writeln!(
            out,
            "nothing after it was replayed; run again from its time to go on"
        )?;
    }
    Ok(())
}
