//! From the memory sweep's figures to each function's memory: what an invocation costs at a
//! size (Lambda's arm64 prices), the size chosen for each measured subject, and which
//! measured function each of the others follows. The result is `infra/memory-sizes.tsv`
//! ([`tenantry_tests::memory_sizes`]), which template.yaml must match.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use tenantry_tests::memory_sizes::Row;

/// Lambda's arm64 duration price, us-east-1, first tier (the first 7.5 billion GB-seconds of a
/// month), in dollars per GB-second.
pub(super) const PRICE_PER_GB_SECOND: f64 = 0.000_013_333_4;
/// Lambda's request price, in dollars per million requests.
pub(super) const PRICE_PER_MILLION_REQUESTS: f64 = 0.20;
/// Where the prices come from.
pub(super) const PRICE_SOURCE: &str = "https://aws.amazon.com/lambda/pricing/";

/// The rule: the cheapest size whose warm p99 is within this factor of the fastest size's,
pub(super) const P99_SLACK: f64 = 1.2;
/// or within this much of it, when that is more. For the functions that take a millisecond
/// or two, 1.2× is a fraction of a millisecond: less than the same size's p99 moves from one
/// run of this bench to the next, and less than Lambda's billing unit. Without it, noise would
/// pick their size, and 30 functions follow get-user and list-users.
pub(super) const P99_FLOOR: Duration = Duration::from_millis(1);

/// What a million invocations cost at `mb`, each billed its warm duration rounded up to the
/// millisecond: the mean billed duration × the memory in GB (MB / 1024, as Lambda counts)
/// × the price per GB-second, plus the price of a million requests.
pub(super) fn cost_per_million(warm: &[Duration], mb: u32) -> f64 {
    let billed_ms: u64 = warm.iter().map(|d| billed_ms(*d)).sum();
    let mean_seconds = billed_ms as f64 / warm.len() as f64 / 1e3;
    1e6 * mean_seconds * f64::from(mb) / 1024.0 * PRICE_PER_GB_SECOND + PRICE_PER_MILLION_REQUESTS
}

/// Lambda's billed duration: rounded up to the millisecond (at least 1).
pub(super) fn billed_ms(d: Duration) -> u64 {
    d.as_nanos().div_ceil(1_000_000).max(1) as u64
}

/// One size's figures for the choice.
#[derive(Clone, Copy, Debug)]
pub(super) struct Candidate {
    pub(super) mb: u32,
    pub(super) p99: Duration,
    pub(super) cost: f64,
}

/// The cheapest size whose p99 is within [`P99_SLACK`] times the fastest size's p99, or
/// within [`P99_FLOOR`] of it, whichever is more; of equal costs, the smaller size.
pub(super) fn choose(options: &[Candidate]) -> u32 {
    let fastest = options.iter().map(|o| o.p99).min().expect("sizes");
    let limit = (fastest.as_secs_f64() * P99_SLACK).max((fastest + P99_FLOOR).as_secs_f64());
    options
        .iter()
        .filter(|o| o.p99.as_secs_f64() <= limit)
        .min_by(|a, b| a.cost.total_cmp(&b.cost).then(a.mb.cmp(&b.mb)))
        .expect("the fastest size qualifies")
        .mb
}

/// The functions that are not measured, the measured function each follows, and why.
pub(super) const FOLLOWERS: [(&str, &str, &str); 27] = [
    // Hash a password (argon2id) once, then write: like create-user.
    ("create-tenant", "create-user", HASHES),
    ("scim-create-user", "create-user", HASHES),
    // Set a password through Accounts::set_password (a hash) besides the update.
    ("scim-replace-user", "set-password", SETS),
    ("scim-patch-user", "set-password", SETS),
    // Other mutations: reads, a policy decision, one transaction.
    ("restore-user", "delete-user", MUTATES),
    ("update-user", "delete-user", MUTATES),
    ("transfer-ownership", "delete-user", MUTATES),
    ("update-tenant", "delete-user", MUTATES),
    ("create-directory-token", "delete-user", MUTATES),
    ("revoke-directory-token", "delete-user", MUTATES),
    ("scim-delete-user", "delete-user", MUTATES),
    ("auth-refresh", "delete-user", MUTATES),
    ("auth-logout", "delete-user", MUTATES),
    ("auth-logout-all", "delete-user", MUTATES),
    // Reads of one item or a few.
    ("get-me", "get-user", READS),
    ("get-tenant", "get-user", READS),
    ("scim-get-user", "get-user", READS),
    ("scim-discovery", "get-user", READS),
    ("scim-discovery-item", "get-user", READS),
    ("scim-search", "get-user", READS),
    // Pages of items.
    ("list-audit", "list-users", LISTS),
    ("list-directory-tokens", "list-users", LISTS),
    ("scim-list-users", "list-users", LISTS),
    // Read nothing: no heavier than get-user's runtime, token and JSON.
    ("health", "get-user", PAGES),
    ("console", "get-user", PAGES),
    ("get-jwks", "get-user", PAGES),
    // A batch of stream records turned into JSON events: a page's work.
    ("publish-events", "list-users", STREAM),
];

const HASHES: &str = "hashes a new password (argon2id), then writes";
const SETS: &str = "sets a password through Accounts::set_password (argon2id)";
const MUTATES: &str = "reads, decides, writes one transaction; no password";
const READS: &str = "reads one item or a few";
const LISTS: &str = "reads and renders a page of items";
const PAGES: &str = "reads nothing: less work than get-user on the same runtime";
const STREAM: &str = "turns a batch of stream records into JSON events";

/// Why `function` follows the function it follows (measured ones: "measured").
pub(super) fn reason(function: &str) -> &'static str {
    FOLLOWERS
        .iter()
        .find(|(name, _, _)| *name == function)
        .map_or("measured", |(_, _, why)| why)
}

/// This repository's `functions/`.
pub(super) fn functions_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../functions")
}

/// The crates of `functions_dir`, sorted.
pub(super) fn function_crates(functions_dir: &Path) -> Vec<String> {
    let mut crates: Vec<String> = std::fs::read_dir(functions_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", functions_dir.display()))
        .filter_map(|entry| {
            let entry = entry.ok()?;
            entry
                .path()
                .join("Cargo.toml")
                .exists()
                .then(|| entry.file_name().to_string_lossy().into_owned())
        })
        .collect();
    crates.sort();
    crates
}

/// Checks that every crate is measured or follows a measured function, and nothing else is
/// named; before anything is measured, so that a new function is not found out at the end.
pub(super) fn check_coverage(crates: &[String], measured: &[&str]) -> Result<(), String> {
    for name in crates {
        let is_measured = measured.contains(&name.as_str());
        let follows = FOLLOWERS.iter().find(|(f, _, _)| f == name);
        match (is_measured, follows) {
            (true, None) => {}
            (false, Some((_, leader, _))) if measured.contains(leader) => {}
            (false, Some((_, leader, _))) => {
                return Err(format!("{name} follows {leader}, which is not measured"));
            }
            (true, Some(_)) => return Err(format!("{name} is measured and follows another")),
            (false, None) => {
                return Err(format!(
                    "functions/{name} is neither measured by the memory sweep nor listed in \
                     FOLLOWERS (infra/bench/src/side_by_side/sizing.rs)"
                ));
            }
        }
    }
    for (name, _, _) in FOLLOWERS {
        if !crates.iter().any(|c| c == name) {
            return Err(format!(
                "FOLLOWERS names {name}, which is not a crate of functions/"
            ));
        }
    }
    Ok(())
}

/// Every crate's row: the measured ones at their `chosen` size (a function's largest over its
/// subjects), the others at the size of the function they follow.
pub(super) fn rows(crates: &[String], chosen: &BTreeMap<&str, u32>) -> Vec<Row> {
    crates
        .iter()
        .map(|name| {
            let follows = FOLLOWERS
                .iter()
                .find(|(f, _, _)| f == name)
                .map_or(name.as_str(), |(_, leader, _)| leader);
            Row {
                function: name.clone(),
                follows: follows.to_owned(),
                memory_mb: chosen[follows],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn billing_rounds_each_invocation_up_to_the_millisecond() {
        assert_eq!(billed_ms(Duration::from_micros(1)), 1);
        assert_eq!(billed_ms(Duration::from_micros(1_000)), 1);
        assert_eq!(billed_ms(Duration::from_micros(1_001)), 2);
        // 2 ms and 3 ms billed, 2.5 ms mean, at 1024 MB: 2,500 GB-s a million, plus requests.
        let cost = cost_per_million(&[Duration::from_micros(1_500), ms(3)], 1024);
        assert!(
            (cost - (2.5e3 * PRICE_PER_GB_SECOND + 0.20)).abs() < 1e-9,
            "{cost}"
        );
    }

    #[test]
    fn the_cheapest_size_within_the_slack_of_the_fastest_p99_is_chosen() {
        let option = |mb, p99, cost| Candidate {
            mb,
            p99: ms(p99),
            cost,
        };
        // 512 is within 1.2× of the fastest (100 → 120) and cheaper than 1024.
        let options = [
            option(128, 900, 0.5),
            option(256, 400, 0.45),
            option(512, 118, 0.6),
            option(1024, 100, 0.9),
        ];
        assert_eq!(choose(&options), 512);
        // Equal costs: the smaller size.
        assert_eq!(choose(&[option(256, 10, 0.3), option(128, 11, 0.3)]), 128);
        // Below 5 ms, 1.2× is less than a millisecond: within 1 ms counts as within.
        let micros = |mb, p99, cost| Candidate {
            mb,
            p99: Duration::from_micros(p99),
            cost,
        };
        let fast = [
            micros(512, 7_500, 0.21),
            micros(1024, 2_700, 0.22),
            micros(1769, 1_860, 0.25),
        ];
        assert_eq!(choose(&fast), 1024);
        let slower = [micros(1024, 2_900, 0.22), micros(1769, 1_860, 0.25)];
        assert_eq!(choose(&slower), 1769);
    }

    #[test]
    fn every_crate_must_be_measured_or_follow_a_measured_one() {
        let measured = [
            "get-user",
            "list-users",
            "delete-user",
            "create-user",
            "set-password",
        ];
        let mut crates: Vec<String> = FOLLOWERS.iter().map(|(f, _, _)| f.to_string()).collect();
        crates.extend(measured.iter().map(|m| m.to_string()));
        assert_eq!(check_coverage(&crates, &measured), Ok(()));
        crates.push("new-function".into());
        assert!(
            check_coverage(&crates, &measured)
                .unwrap_err()
                .contains("new-function")
        );
        crates.pop();
        assert!(
            check_coverage(&crates, &measured[1..])
                .unwrap_err()
                .contains("get-user")
        );
    }

    #[test]
    fn the_repository_s_functions_are_all_covered() {
        let dir = functions_dir();
        let measured: Vec<&str> = super::super::sweep_subjects::SUBJECTS
            .iter()
            .map(|s| s.function)
            .collect();
        assert_eq!(check_coverage(&function_crates(&dir), &measured), Ok(()));
    }
}
