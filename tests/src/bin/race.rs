//! `make race`: the race harness in long mode, against the DynamoDB Local at
//! `TENANTRY_TEST_DYNAMODB_ENDPOINT` (the make target starts one).
//!
//! race [--operations N] [--duration SECONDS] [--seed N] [--clients N] [--faults]
//!
//! Exits 1 if any invariant was violated, 2 on bad arguments.

use std::process::ExitCode;
use std::time::Duration;

use tenantry_tests::proxy::Schedule;
use tenantry_tests::race::{RaceConfig, run};

const USAGE: &str =
    "usage: race [--operations N] [--duration SECONDS] [--seed N] [--clients N] [--faults]";

fn parse(args: &[String]) -> Result<RaceConfig, String> {
    let mut config = RaceConfig {
        operations: 10_000,
        round_size: 500,
        ..RaceConfig::quick(1)
    };
    let mut faults = false;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--faults" {
            faults = true;
            continue;
        }
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag}: {value:?} is not a whole number"))?;
        match flag.as_str() {
            "--operations" => config.operations = number,
            "--duration" => {
                config.duration = Some(Duration::from_secs(number));
                if !args.iter().any(|a| a == "--operations") {
                    config.operations = u64::MAX;
                }
            }
            "--seed" => config.seed = number,
            "--clients" if number > 0 => config.clients = number as usize,
            _ => return Err(format!("unknown or invalid flag {flag}")),
        }
    }
    if faults {
        config.faults = Some(Schedule::chaos(config.seed));
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("race: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    println!(
        "race: seed {}, {} clients, {} tenants, {}{}",
        config.seed,
        config.clients,
        config.tenants,
        match config.duration {
            Some(d) if config.operations == u64::MAX => format!("for {}s", d.as_secs()),
            Some(d) => format!("{} operations or {}s", config.operations, d.as_secs()),
            None => format!("{} operations", config.operations),
        },
        if config.faults.is_some() {
            ", through injected faults"
        } else {
            ""
        }
    );
    let report = run(&config).await;
    report.print();
    if report.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
