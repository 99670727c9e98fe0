//! `make bench`: the functions measured side by side in one run, against the DynamoDB Local at
//! `TENANTRY_TEST_DYNAMODB_ENDPOINT` (the make target starts one and builds what is measured):
//! cold start, warm latency against the bare-call floor, scale, purge and sizes
//! (`tenantry_bench::side_by_side`). Prints a table and writes BENCHMARKS.md, keeping its
//! hand-written notes: everything from the line
//! `<!-- notes: written by hand, kept by make bench -->` to the end (`tenantry_bench::notes`).
//!
//! bench --bin-dir DIR --python PYTHON --python-dir DIR [--variant LABEL=PATH]... \
//!       [--sizes TSV] [--out FILE] [--cold N] [--warm N] [--scale-users N] [--purge-users N]
//!
//! Exits 2 on bad arguments; panics when something measured does not do its work.

use std::process::ExitCode;

use tenantry_bench::side_by_side::{self, USAGE};

#[tokio::main]
async fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let args = match side_by_side::parse(&raw) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("bench: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    side_by_side::run(args).await
}
