//! Section 9 of BENCHMARKS.md, the memory sweep: the quota check, each subject at each size
//! with its cost, the sizes chosen, the period's effect; and the files the sweep writes
//! (`infra/memory-sizes.tsv` and the chart).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use tenantry_accounts::format_time;
use tenantry_tests::memory_sizes::{self, FULL_VCPU_MB, Row, SWEPT_MB};
use time::OffsetDateTime;

use super::busy_loop::{self, Spin};
use super::memory_sweep::{BLOCK, OTHER_PERIOD_US, PERIOD_US, SubjectFigures, Sweep, SweepFigures};
use super::stats::{ms, percentile};
use super::sweep_subjects::{DUE_PER_PURGE, Kind};
use super::{Args, WARM_UP, chart, sizing};

/// How the section's heading starts (what `--only sweep` replaces), and the heading.
pub(super) const SECTION: &str = "## 9.";
const HEADING: &str = "## 9. Memory: the CPU each size buys";

/// A subject's figures at one size, at the sweep's period.
pub(super) struct SizeRow {
    pub(super) mb: u32,
    pub(super) init_p50: Duration,
    pub(super) first_p50: Duration,
    pub(super) warm_n: usize,
    pub(super) p50: Duration,
    pub(super) p99: Duration,
    /// Dollars per million warm invocations.
    pub(super) cost: f64,
}

/// A subject, its sizes and the one chosen for it.
pub(super) struct Choice<'a> {
    pub(super) figures: &'a SubjectFigures,
    pub(super) rows: Vec<SizeRow>,
    pub(super) chosen: u32,
}

impl Choice<'_> {
    fn at(&self, mb: u32) -> &SizeRow {
        self.rows.iter().find(|r| r.mb == mb).expect("a swept size")
    }
}

pub(super) fn choices(sweep: &SweepFigures) -> Vec<Choice<'_>> {
    sweep
        .subjects
        .iter()
        .map(|figures| {
            let rows: Vec<SizeRow> = figures
                .sizes()
                .map(|c| SizeRow {
                    mb: c.cell.mb,
                    init_p50: percentile(&c.init, 50.0),
                    first_p50: percentile(&c.first, 50.0),
                    warm_n: c.warm.len(),
                    p50: percentile(&c.warm, 50.0),
                    p99: percentile(&c.warm, 99.0),
                    cost: sizing::cost_per_million(&c.warm, c.cell.mb),
                })
                .collect();
            let candidates: Vec<sizing::Candidate> = rows
                .iter()
                .map(|r| sizing::Candidate {
                    mb: r.mb,
                    p99: r.p99,
                    cost: r.cost,
                })
                .collect();
            Choice {
                figures,
                chosen: sizing::choose(&candidates),
                rows,
            }
        })
        .collect()
}

/// Each measured function's size: the largest chosen among its subjects.
pub(super) fn function_sizes<'a>(choices: &[Choice<'a>]) -> BTreeMap<&'a str, u32> {
    let mut sizes = BTreeMap::new();
    for choice in choices {
        let size = sizes.entry(choice.figures.subject.function).or_insert(0);
        *size = (*size).max(choice.chosen);
    }
    sizes
}

/// Writes `infra/memory-sizes.tsv` and the chart; the rows written.
pub(super) fn write_files(args: &Args, choices: &[Choice<'_>]) -> Result<Vec<Row>, String> {
    let crates = sizing::function_crates(&sizing::functions_dir());
    let rows = sizing::rows(&crates, &function_sizes(choices));
    let date = &format_time(OffsetDateTime::now_utc())[..10];
    let comment = format!(
        "Written by make bench (infra/scripts/bench.sh: the memory sweep, BENCHMARKS.md section 9)\n\
         on {date}; do not edit by hand. template.yaml gives each function this MemorySize\n\
         (tests/tests/api/memory_sizes.rs holds it to this file).\n\
         Rule: for each measured subject, the cheapest size whose warm p99 is within {}x of the\n\
         fastest size's p99 (or within {} ms of it, when that is more); a function takes the\n\
         largest size chosen among its subjects; a function not measured follows the measured\n\
         one named (infra/bench/src/side_by_side/sizing.rs).",
        sizing::P99_SLACK,
        sizing::P99_FLOOR.as_millis(),
    );
    std::fs::write(&args.memory_sizes, memory_sizes::render(&comment, &rows))
        .map_err(|e| format!("{}: {e}", args.memory_sizes.display()))?;
    let lines: Vec<chart::Line> = choices
        .iter()
        .filter(|c| c.figures.subject.argon2 || c.figures.subject.kind == Kind::GetUser)
        .map(|c| chart::Line {
            label: c.figures.subject.label.to_owned(),
            points: (c.rows.iter())
                .map(|r| (r.mb, millis(r.p50), millis(r.p99), r.cost))
                .collect(),
            chosen: c.chosen,
        })
        .collect();
    let title = format!(
        "tenantry: warm latency and cost against memory (CPU quota per size, {} ms period; x86_64 under a quota, DynamoDB Local)",
        PERIOD_US / 1000
    );
    chart::draw(&args.chart, &SWEPT_MB, &lines, &title)?;
    Ok(rows)
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(spins: &[Spin], of: impl Fn(&Spin) -> f64) -> f64 {
    let mut values: Vec<f64> = spins.iter().map(of).collect();
    values.sort_by(f64::total_cmp);
    values[(values.len() - 1) / 2]
}

/// The path of `target` as a link from the folder of `from`.
fn link(from: &Path, target: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    let (from, target) = (absolute(from), absolute(target));
    let dir = from.parent().unwrap_or(Path::new("/"));
    target
        .strip_prefix(dir)
        .unwrap_or(&target)
        .display()
        .to_string()
}

/// The section. `rows` are the functions' sizes as written (none when skipped).
pub(super) fn section(args: &Args, sweep: &Sweep, rows: &[Row]) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "{HEADING}\n\n\
         Lambda gives a function CPU in proportion to its memory: one vCPU at {FULL_VCPU_MB} MB, \
         7.2 % of one at 128 MB, the size every function had until this sweep chose each one's. \
         Each function process here runs in a cgroup v1 `cpu` group of its size \
         (`/sys/fs/cgroup/cpu/tenantry-bench/<MB>/`, made for the run and removed after it) \
         with `cpu.cfs_quota_us = round(cpu.cfs_period_us × MB / {FULL_VCPU_MB})`, from its first \
         instruction: the bench opens the group's `cgroup.procs` and the child writes `0` to it \
         between fork and exec (pid 0 moves the writer), and `/proc/PID/cgroup` is checked after \
         each spawn (`side_by_side/cgroup.rs`). Only the CPU is limited, not the memory.\n\n\
         **The period is {} ms** (`cpu.cfs_period_us = {PERIOD_US}`). AWS does not publish \
         Lambda's; {} ms is the throttling interval observed on Lambda \
         (<https://github.com/pwrdrvr/lambda-dispatch/issues/246>: a function that uses more \
         than its share of CPU within 20 ms is paused until those 20 ms end). Linux's default is \
         {} ms; the period decides how long a throttled process waits, so it shows in p99 more \
         than in p50: two subjects are also measured at {} ms below.\n\n\
         **What this is not:** the CPU is this machine's x86_64 cores under a quota, not \
         Graviton (arm64, where Lambda would run these functions); DynamoDB is DynamoDB Local \
         on the same machine; the Runtime API is the bench's. The figures compare sizes with \
         one another; absolute times on Lambda differ.\n",
        PERIOD_US / 1000,
        PERIOD_US / 1000,
        OTHER_PERIOD_US / 1000,
        OTHER_PERIOD_US / 1000,
    );
    let figures = match sweep {
        Sweep::Skipped(reason) => {
            let _ = writeln!(
                w,
                "**Not measured in this run:** {reason}. `{}` and `{}` were left as they were.\n",
                args.memory_sizes.display(),
                args.chart.display()
            );
            return out;
        }
        Sweep::Done(figures) => figures,
    };
    quota_table(w, figures);
    let choices = choices(figures);
    sweep_table(w, args, figures, &choices);
    period_table(w, figures);
    sizes_table(w, args, rows);
    targets(w, &choices);
    out
}

fn quota_table(w: &mut String, figures: &SweepFigures) {
    let q = &figures.quota;
    let _ = writeln!(
        w,
        "### The quotas bind\n\n\
         A loop of fixed CPU work ({} xorshift steps, about 200 ms of CPU on a whole core) run \
         as a process outside any group and in each size's group, {} times each in turn \
         (`side_by_side/busy_loop.rs`): wall time by the clock, CPU time by `getrusage` (user + \
         system), throttled periods from the group's `cpu.stat`; medians. The loop is one \
         thread: it can use one CPU at most, so at {FULL_VCPU_MB} MB (a whole CPU) no slowdown \
         is expected.\n\n\
         | where | quota per {} ms period (µs) | expected wall ÷ CPU | wall (ms) | CPU (ms) | wall ÷ CPU | measured ÷ expected | throttled periods |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|",
        q.iterations,
        busy_loop::RUNS,
        PERIOD_US / 1000,
    );
    let row = |w: &mut String, label: String, quota: String, expected: f64, spins: &[Spin]| {
        let wall = median(spins, |s| millis(s.wall));
        let cpu = median(spins, |s| millis(s.cpu));
        let throttled = median(spins, |s| s.stat.nr_throttled as f64);
        let _ = writeln!(
            w,
            "| {label} | {quota} | {expected:.2} | {wall:.1} | {cpu:.1} | {:.2} | {:.2} | {throttled:.0} |",
            wall / cpu,
            wall / cpu / expected
        );
    };
    row(
        w,
        "no group (whole core)".into(),
        "—".into(),
        1.0,
        &q.outside,
    );
    for (group, spins) in &q.groups {
        let expected = (f64::from(FULL_VCPU_MB) / f64::from(group.mb)).max(1.0);
        row(
            w,
            format!("{} MB", group.mb),
            group.quota_us.to_string(),
            expected,
            spins,
        );
    }
    let _ = writeln!(w);
}

fn sweep_table(w: &mut String, args: &Args, figures: &SweepFigures, choices: &[Choice<'_>]) {
    let _ = writeln!(
        w,
        "### Each subject at each size\n\n\
         The subjects, one after the other, each at the five sizes side by side: {} cold starts \
         per size (`--sweep-cold`; a new process each, the sizes in turn, after one unmeasured \
         round): *init* is spawn to first poll, *first* the first invocation; then one process \
         per size, {WARM_UP} uncounted invocations, then *warm n* counted: `--sweep-warm` ({}) \
         for the subjects that hash or verify a password and for purge-deleted, 5 times as many \
         for the others, whose invocations take milliseconds. They run in blocks back to back \
         (as Lambda feeds one instance under load), each block at least {} ms, one size's block \
         after the other. Warm figures are the Runtime API's view of an invocation, as Lambda \
         bills it. The login subjects sign in to accounts made through the API (real argon2id \
         hashes); wrong passwords rotate over enough accounts that none gets more than 4 (5 \
         lock a name); set-password changes the caller's own password (verifies the current \
         one, hashes the new one), the heavier of its two paths; create-user makes a new user \
         each call; delete-user and purge-user act on a fresh user each call; purge-deleted \
         gets the template's scheduled event (`{{}}`) with {DUE_PER_PURGE} users due each time, \
         all purged.\n\n\
         *$ per 1M* is a million warm invocations at Lambda's arm64 prices in us-east-1 \
         (<{}>): ${} per GB-second (the first tier, up to 7.5 billion GB-seconds a month) and \
         ${:.2} per million requests; each invocation billed its duration rounded up to 1 ms, \
         so $ per 1M = 10⁶ × mean billed seconds × MB ÷ 1024 × the GB-second price + $0.20 \
         (no free tier, no init). **Chosen** is the rule's size: the cheapest whose warm p99 is \
         within {}× of the fastest size's p99, or within {} ms of it when that is more: for the \
         functions that take a millisecond or two, 1.2× is a fraction of a millisecond, less \
         than the same size's p99 moves from one run to the next (and than Lambda's billing \
         unit), so without that floor noise would pick their size.\n\n\
         | subject | MB | init p50 (ms) | first p50 (ms) | warm n | warm p50 (ms) | warm p99 (ms) | $ per 1M | |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|",
        figures.cold,
        figures.warm,
        BLOCK.as_millis(),
        sizing::PRICE_SOURCE,
        sizing::PRICE_PER_GB_SECOND,
        sizing::PRICE_PER_MILLION_REQUESTS,
        sizing::P99_SLACK,
        sizing::P99_FLOOR.as_millis(),
    );
    for choice in choices {
        for r in &choice.rows {
            let chosen = r.mb == choice.chosen;
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} | {:.3} | {} |",
                choice.figures.subject.label,
                if chosen {
                    format!("**{}**", r.mb)
                } else {
                    r.mb.to_string()
                },
                ms(r.init_p50),
                ms(r.first_p50),
                r.warm_n,
                ms(r.p50),
                ms(r.p99),
                r.cost,
                if chosen { "**chosen**" } else { "" },
            );
        }
    }
    let _ = writeln!(
        w,
        "\n![Warm p50 and p99 latency, and cost per million invocations, against memory]({})\n\n\
         The sweep ran on {} and took {:.0} s (`bench {}`).\n",
        link(&args.out, &args.chart),
        &format_time(OffsetDateTime::now_utc())[..10],
        figures.took.as_secs_f64(),
        args.command_line,
    );
}

fn period_table(w: &mut String, figures: &SweepFigures) {
    let _ = writeln!(
        w,
        "### The period\n\n\
         The same subjects, in the same rounds, at {} ms and at {} ms periods (the same share \
         of the CPU):\n\n\
         | subject | MB | p50 at {} ms (ms) | p99 at {} ms (ms) | p50 at {} ms (ms) | p99 at {} ms (ms) |\n\
         |---|---:|---:|---:|---:|---:|",
        PERIOD_US / 1000,
        OTHER_PERIOD_US / 1000,
        PERIOD_US / 1000,
        PERIOD_US / 1000,
        OTHER_PERIOD_US / 1000,
        OTHER_PERIOD_US / 1000,
    );
    for subject in &figures.subjects {
        for other in subject
            .cells
            .iter()
            .filter(|c| c.cell.period_us == OTHER_PERIOD_US)
        {
            let Some(main) = subject.at(other.cell.mb, PERIOD_US) else {
                continue;
            };
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} |",
                subject.subject.label,
                other.cell.mb,
                ms(percentile(&main.warm, 50.0)),
                ms(percentile(&main.warm, 99.0)),
                ms(percentile(&other.warm, 50.0)),
                ms(percentile(&other.warm, 99.0)),
            );
        }
    }
    let _ = writeln!(w);
}

fn sizes_table(w: &mut String, args: &Args, rows: &[Row]) {
    let _ = writeln!(
        w,
        "### The memory of each function\n\n\
         A function takes the largest size chosen among its subjects (auth-login: the right \
         and the wrong password). The functions not measured follow a measured one of the same \
         kind, read from their handlers (`side_by_side/sizing.rs`). Written to `{}`, which \
         template.yaml's `MemorySize`s must match (`tests/tests/api/memory_sizes.rs`).\n\n\
         | follows | MB | functions | why |\n|---|---:|---|---|",
        args.memory_sizes.display()
    );
    // Each measured function first, then the kinds that follow it.
    let mut groups: BTreeMap<(&str, bool, &str, u32), Vec<&str>> = BTreeMap::new();
    for row in rows {
        let why = sizing::reason(&row.function);
        let key = (
            row.follows.as_str(),
            row.follows != row.function,
            why,
            row.memory_mb,
        );
        groups.entry(key).or_default().push(&row.function);
    }
    for ((follows, _, why, mb), functions) in groups {
        let _ = writeln!(w, "| {follows} | {mb} | {} | {why} |", functions.join(", "));
    }
    let _ = writeln!(w);
}

fn targets(w: &mut String, choices: &[Choice<'_>]) {
    let find = |kind| choices.iter().find(|c| c.figures.subject.kind == kind);
    let sizes = function_sizes(choices);
    if let Some(login) = find(Kind::LoginRight) {
        let size = sizes["auth-login"];
        let (at_128, at_size) = (login.at(128), login.at(size));
        let _ = writeln!(
            w,
            "Login, right password, warm p50: **{} ms at {size} MB** (auth-login's size), {} ms \
             at 128 MB (target ≤ 60 ms at the chosen size: {}).",
            ms(at_size.p50),
            ms(at_128.p50),
            if at_size.p50 <= Duration::from_millis(60) {
                "met"
            } else {
                "**not met**"
            }
        );
    }
    if let Some(get) = find(Kind::GetUser) {
        let size = sizes["get-user"];
        let (at_128, at_size) = (get.at(128), get.at(size));
        let _ = writeln!(
            w,
            "\nget-user, warm p50: {} ms at 128 MB (${:.3} per million), **{} ms at {size} MB** \
             (its size; ${:.3} per million).\n",
            ms(at_128.p50),
            at_128.cost,
            ms(at_size.p50),
            at_size.cost,
        );
    }
}
