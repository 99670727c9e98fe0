//! The report: BENCHMARKS.md's figures, in the order they were measured, with what each
//! means and the targets it is held to.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;

use tenantry_accounts::format_time;
use time::OffsetDateTime;

use super::stats::{median_u64, mib, ms, percentile, ratio};
use super::{Args, LIST_LIMIT, Results, WARM_UP};

fn machine() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let about = |name: &str| std::env::var(name).unwrap_or_else(|_| "unknown".into());
    format!(
        "{cpu}, {cores} cores, Linux {}; {}; {}; DynamoDB Local {} (in memory, same machine)",
        kernel.trim(),
        about("BENCH_RUSTC"),
        about("BENCH_PYTHON"),
        about("BENCH_DYNAMODB_LOCAL"),
    )
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}

pub(super) fn report(args: &Args, r: &Results) -> String {
    let mut out = String::new();
    let w = &mut out;
    let date = format_time(OffsetDateTime::now_utc());
    let _ = writeln!(w, "# Benchmarks\n");
    let _ = writeln!(
        w,
        "Written by `make bench` (`infra/scripts/bench.sh`) on {}.\n\nMachine: {}.\n\n\
         Every figure below comes from that one run: the things compared ran side by side, \
         interleaved, on the same DynamoDB Local. The bench command was\n\n    bench {}\n",
        &date[..10],
        machine(),
        args.command_line
    );

    // Cold.
    let (python, python_cold) = &r.cold[0];
    let (shipped, shipped_cold) = r.cold.last().unwrap();
    let py_init = percentile(&python_cold.init, 50.0);
    let py_rss = median_u64(&python_cold.rss);
    let _ = writeln!(
        w,
        "## 1. Cold start: `get-user` against Python\n\n\
         Each function runs as its own process on a Lambda Runtime API served by the bench \
         (`tests/src/runtime_api.rs`, the real `2018-06-01` protocol). *Init* is the time from \
         spawning the process to its first `GET /runtime/invocation/next`; then one `GET \
         /tenants/{{t}}/users/{{u}}` is invoked (*first invocation*), and the peak RSS is read \
         from `/proc/PID/status` (`VmHWM`). {} cold starts of each, interleaved (`--cold`), after \
         one unmeasured start each. The Python function (`infra/bench/get_user.py`) does the \
         same work with boto3 and PyJWT under Amazon's `awslambdaric`: the token, one \
         BatchGetItem, the same checks, the same JSON.\n",
        args.cold
    );
    let _ = writeln!(
        w,
        "| function | init median (ms) | init p90 (ms) | first invocation median (ms) | peak RSS median (MiB) | file (MiB, x86_64) |\n|---|---:|---:|---:|---:|---:|"
    );
    for (subject, c) in &r.cold {
        let label = if subject.label == python.label {
            "Python 3 + boto3 + awslambdaric".to_owned()
        } else if subject.label == shipped.label {
            "`get-user` as shipped".to_owned()
        } else {
            format!("`get-user`, {}", subject.label)
        };
        let _ = writeln!(
            w,
            "| {label} | {} | {} | {} | {} | {} |",
            ms(percentile(&c.init, 50.0)),
            ms(percentile(&c.init, 90.0)),
            ms(percentile(&c.first, 50.0)),
            mib(median_u64(&c.rss)),
            subject.size.map_or("—".into(), mib),
        );
    }
    let init_ratio = ratio(percentile(&shipped_cold.init, 50.0), py_init);
    let rss_ratio = median_u64(&shipped_cold.rss) as f64 / py_rss as f64;
    let _ = writeln!(
        w,
        "\nShipped `get-user` ÷ Python: init **{init_ratio:.3}×** (target ≤ 0.2×: {}), peak RSS \
         **{rss_ratio:.3}×** (target ≤ 0.5×: {}).\n",
        met(init_ratio <= 0.2),
        met(rss_ratio <= 0.5)
    );

    let _ = writeln!(
        w,
        "The admin console's function (`console`, its page and assets embedded) beside \
         `health`, the other function that reads nothing; the first invocation is `GET /console` \
         (the page) and `GET /health`, {} cold starts of each, interleaved:\n\n\
         | function | init median (ms) | init p90 (ms) | first invocation median (ms) | peak RSS median (MiB) | file (MiB, x86_64) |\n|---|---:|---:|---:|---:|---:|",
        args.cold
    );
    for (subject, c) in &r.pages_cold {
        let _ = writeln!(
            w,
            "| `{}` | {} | {} | {} | {} | {} |",
            subject.label,
            ms(percentile(&c.init, 50.0)),
            ms(percentile(&c.init, 90.0)),
            ms(percentile(&c.first, 50.0)),
            mib(median_u64(&c.rss)),
            subject.size.map_or("—".into(), mib),
        );
    }
    let _ = writeln!(w);

    // Warm.
    let _ = writeln!(
        w,
        "## 2. Warm latency against the bare-call floor\n\n\
         One process per function; {} invocations each (`--warm`), after {WARM_UP} uncounted. \
         *Handler* is the Runtime API's view of an invocation: from handing the event over to \
         receiving the response (the event and response bodies, the runtime client, the token, \
         the policy, the DynamoDB calls, the JSON). Each invocation is followed by its *floor*: \
         the same DynamoDB calls issued from the bench process through the store's own request \
         builders (same requests on the wire), with nothing else around them. Round trips are \
         counted by an SDK interceptor on one call of each; mutations are asserted to take at \
         most 2 (also in `tests/tests/api/round_trips.rs`).\n",
        args.warm
    );
    let _ = writeln!(
        w,
        "| operation | handler p50 (ms) | handler p99 (ms) | floor p50 (ms) | floor p99 (ms) | p50 ÷ floor | p99 ÷ floor | DynamoDB round trips |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    let trips: BTreeMap<&str, u64> = r.round_trips.iter().copied().collect();
    for (op, s) in &r.warm {
        let _ = writeln!(
            w,
            "| {op} | {} | {} | {} | {} | {:.2} | {:.2} | {} |",
            ms(percentile(&s.handler, 50.0)),
            ms(percentile(&s.handler, 99.0)),
            ms(percentile(&s.floor, 50.0)),
            ms(percentile(&s.floor, 99.0)),
            s.ratio(50.0),
            s.ratio(99.0),
            trips.get(op).map_or("—".into(), |c| c.to_string()),
        );
    }
    let worst = r
        .warm
        .iter()
        .map(|(op, s)| (op, s.ratio(50.0)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let _ = writeln!(
        w,
        "\nFor scale: the Runtime API's own share, measured on `health` (no token, no table, \
         the same runtime client and event), was p50 {} ms, p99 {} ms. The get's BatchGetItem \
         built by hand with the SDK and not decoded took p50 {} ms, p99 {} ms (the store's \
         version: p50 {} ms). Python's warm get took p50 {} ms, p99 {} ms.\n\n\
         Worst p50 ratio: {} at **{:.2}×** (target ≤ 1.1×: {}).\n",
        ms(percentile(&r.runtime_only, 50.0)),
        ms(percentile(&r.runtime_only, 99.0)),
        ms(percentile(&r.raw_get, 50.0)),
        ms(percentile(&r.raw_get, 99.0)),
        ms(percentile(&r.warm[0].1.floor, 50.0)),
        ms(percentile(&r.python_warm, 50.0)),
        ms(percentile(&r.python_warm, 99.0)),
        worst.0,
        worst.1,
        met(worst.1 <= 1.1)
    );

    // Scale.
    let _ = writeln!(
        w,
        "## 3. Scale: list-users as the tenant grows\n\n\
         The same `list-users` process lists the first page ({LIST_LIMIT} users) of a tenant of \
         1,000 users and of one of {} (`--scale-users`), alternately, {} times each.\n\n\
         | users in the tenant | p50 (ms) | p99 (ms) |\n|---:|---:|---:|",
        r.scale[1].0,
        r.scale[0].1.len()
    );
    for (size, sample) in &r.scale {
        let _ = writeln!(
            w,
            "| {size} | {} | {} |",
            ms(percentile(sample, 50.0)),
            ms(percentile(sample, 99.0))
        );
    }
    let flat = ratio(
        percentile(&r.scale[1].1, 50.0),
        percentile(&r.scale[0].1, 50.0),
    );
    let _ = writeln!(
        w,
        "\np50 at {} ÷ p50 at 1,000: **{flat:.2}×**.\n",
        r.scale[1].0
    );

    // Purge.
    let p = &r.purge;
    let _ = writeln!(
        w,
        "## 4. Purge\n\n\
         `tenantry_bench::purge_bench` (also `make bench-purge`): {} deleted users due for \
         purge over {} tenants (`--purge-users`), purged by the engine at concurrency {}; then \
         the same number of plain items deleted by one conditional `DeleteItem` each, and bare \
         transactions of the purge's shape (3 conditional deletes and 1 put), at the same \
         concurrency.\n\n\
         | | per second |\n|---|---:|\n\
         | purge engine, users | {:.0} |\n\
         | raw conditional DeleteItem | {:.0} |\n\
         | bare 4-item transactions | {:.0} |\n\n\
         Purge ÷ raw DeleteItem: {:.2}×; purge ÷ bare transactions: {:.2}×. A user's purge is \
         one 4-item transaction (the user, two claims, a tombstone) after a read of the purge \
         index; DynamoDB Local serializes writes, so the transaction is the cost.\n",
        p.config.users,
        p.config.tenants,
        p.config.concurrency,
        p.purge_rate(),
        p.raw_rate(),
        p.tx_rate(),
        p.purge_rate() / p.raw_rate(),
        p.purge_rate() / p.tx_rate(),
    );

    // Sizes.
    let _ = writeln!(
        w,
        "## 5. Size: arm64 packages\n\n\
         From `make package` (`cargo lambda build --release --arm64`, then zipped): the stripped \
         `bootstrap` of each function, and its zip.\n\n\
         | function | bootstrap (bytes) | bootstrap (MiB) | zip (MiB) |\n|---|---:|---:|---:|"
    );
    for (name, boot, zip) in &r.sizes {
        let _ = writeln!(w, "| {name} | {boot} | {} | {} |", mib(*boot), mib(*zip));
    }
    let largest = r.sizes.iter().map(|s| s.1).max();
    if let Some(largest) = largest {
        let _ = writeln!(
            w,
            "\nLargest bootstrap: {largest} bytes ({:.2} MB) (target ≤ 8 MB: {}).\n",
            largest as f64 / 1e6,
            met(largest as f64 <= 8e6)
        );
    } else {
        let _ = writeln!(w, "\n(no sizes: run without `--sizes`)\n");
    }

    // Lean.
    let _ = writeln!(
        w,
        "## 6. Making it lean: each change, before and after\n\n\
         The `get-user` builds of section 1, from the least tuned to the shipped one, in the \
         same interleaved rounds; their warm gets interleaved too, one process each. Built by \
         `infra/scripts/bench.sh`: *default-profile* is cargo's own release settings \
         (`profile.untuned`: no LTO, 16 codegen units, unwinding); *tuned-profile* is \
         `profile.release`: thin LTO, one codegen unit, `panic = \"abort\"`, stripped; \
         *sdk-defaults* turns aws-config's and aws-sdk-dynamodb's default features back on \
         (SSO, process credentials, the default HTTP client on aws-lc-rs and a legacy one on \
         rustls 0.21) and aws-config's credential provider chain (profiles, STS web identity, \
         container and instance metadata), where *trimmed-sdk* has none of them, one HTTP \
         client, rustls on ring, and the credentials Lambda puts in the environment; \
         *opt-level-z* is the size-optimised alternative (`profile.release-z`, argon2 and \
         blake2 kept at 3), measured and not shipped; *shipped* is trimmed-sdk on \
         `profile.release`.\n\n\
         | build | file (MiB, x86_64, stripped) | init median (ms) | peak RSS median (MiB) | first invocation median (ms) | warm get p50 (ms) | warm get p99 (ms) |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for ((subject, c), warm) in r.cold.iter().skip(1).zip(&r.builds_warm) {
        let label = if subject.label == shipped.label {
            format!("{}-shipped (profile.release)", r.cold.len() - 1)
        } else {
            subject.label.clone()
        };
        let _ = writeln!(
            w,
            "| {label} | {} | {} | {} | {} | {} | {} |",
            subject.size.map_or("—".into(), mib),
            ms(percentile(&c.init, 50.0)),
            mib(median_u64(&c.rss)),
            ms(percentile(&c.first, 50.0)),
            ms(percentile(warm, 50.0)),
            ms(percentile(warm, 99.0)),
        );
    }
    let (fresh, once) = &r.clients;
    let _ = writeln!(
        w,
        "\nBuilding the client once: a get with a DynamoDB client built for the call (config \
         load, credentials, new connection) took p50 {} ms, p99 {} ms; with the client built at \
         start, p50 {} ms, p99 {} ms ({} calls each, interleaved). Every function builds its \
         client once, before its first poll (`tenantry_http::run`).\n",
        ms(percentile(fresh, 50.0)),
        ms(percentile(fresh, 99.0)),
        ms(percentile(once, 50.0)),
        ms(percentile(once, 99.0)),
        fresh.len()
    );
    // Lifecycle events.
    let e = &r.events;
    let _ = writeln!(
        w,
        "\n## 7. Lifecycle events on the local stream\n\n\
         The publisher `make dev` runs (the publish-events handler on DynamoDB Local's stream, \
         with the template's filter) putting on an in-process bus that notes arrival times, so \
         no EventBridge latency is in these figures. A backlog of {} audit events (deletions \
         and restores) drained from the oldest record: {:.1} s, **{:.0} events/s**. Then {} \
         deletions one at a time, 0 to 100 ms apart, each timed from the API's answer to its \
         event's arrival, with the publisher polling the stream every 250 ms when idle (Lambda's \
         event source mapping polls about four times a second):\n\n\
         | lag, answer to bus | ms |\n|---|---:|\n| p50 | {} |\n| p99 | {} |\n",
        e.backlog,
        e.drain_seconds,
        e.per_second,
        e.lags.len(),
        ms(percentile(&e.lags, 50.0)),
        ms(percentile(&e.lags, 99.0)),
    );
    // Login timing.
    let l = &r.logins;
    let _ = writeln!(
        w,
        "\n## 8. Login: a wrong password against an unknown name\n\n\
         {} logins of each kind through the login handler (in this process, release build), \
         interleaved, each kind first every other time; every one answered `401 \
         invalid_credentials`. An existing name's wrong password reads the name's claim and \
         guard, counts the attempt, reads the account and verifies its argon2id hash; an \
         unknown name does the same calls, reading an account no one has, and verifies an \
         embedded decoy hash made with the same parameters. Each name is tried at most 4 \
         times, so none locks; the accounts were made through the API, with real hashes.\n\n\
         | percentile | existing name, wrong password (ms) | unknown name (ms) |\n|---|---:|---:|",
        l.existing.len()
    );
    for p in [10.0, 50.0, 90.0, 99.0] {
        let _ = writeln!(
            w,
            "| p{p} | {} | {} |",
            ms(percentile(&l.existing, p)),
            ms(percentile(&l.unknown, p)),
        );
    }
    out
}
