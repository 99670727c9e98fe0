//! `make bench-purge`: how fast the purge engine empties the trash, against the DynamoDB
//! Local at `TENANTRY_TEST_DYNAMODB_ENDPOINT` (the make target starts one), next to plain
//! conditional `DeleteItem` calls and bare transactions of the purge's shape (see
//! `tenantry_bench::purge_bench`).
//!
//! bench-purge [--users N] [--concurrency N] [--tenants N]
//!
//! Exits 2 on bad arguments; panics if a run does not do all its work.

use std::process::ExitCode;

use tenantry_bench::purge_bench::{self, Config};

const USAGE: &str = "usage: bench-purge [--users N] [--concurrency N] [--tenants N]";

fn parse(args: &[String]) -> Result<Config, String> {
    let mut config = Config::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number: usize = value
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or(format!("{flag}: {value:?} is not a whole number above 0"))?;
        match flag.as_str() {
            "--users" => config.users = number,
            "--concurrency" => config.concurrency = number,
            "--tenants" => config.tenants = number,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("bench-purge: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let figures = purge_bench::run(config).await;
    println!();
    figures.print();
    ExitCode::SUCCESS
}
