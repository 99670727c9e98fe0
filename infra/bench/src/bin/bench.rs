//! `make bench`: the functions measured side by side in one run, against the DynamoDB Local at
//! `TENANTRY_TEST_DYNAMODB_ENDPOINT` (the make target starts one and builds what is measured):
//! cold start, warm latency against the bare-call floor, scale, purge, sizes, and each
//! function at each memory size under Lambda's CPU share (`tenantry_bench::side_by_side`).
//! Prints a table and writes BENCHMARKS.md, keeping its hand-written notes: everything from
//! the line `<!-- notes: written by hand, kept by make bench -->` to the end
//! (`tenantry_bench::notes`); and infra/memory-sizes.tsv with the memory sweep's chart.
//!
//! bench --bin-dir DIR --python PYTHON --python-dir DIR [--variant LABEL=PATH]... \
//!       [--sizes TSV] [--out FILE] [--cold N] [--warm N] [--scale-users N] [--purge-users N] \
//!       [--sweep-cold N] [--sweep-warm N] [--memory-sizes TSV] [--chart SVG] [--only sweep]
//!
//! `bench --busy-loop N` is the memory sweep's fixed CPU work, run by the bench itself.
//!
//! Exits 2 on bad arguments; panics when something measured does not do its work.

use std::process::ExitCode;

use tenantry_bench::side_by_side::{self, BUSY_LOOP_FLAG, USAGE};

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    // The busy loop starts no runtime: its CPU time is the loop's.
    if raw.first().map(String::as_str) == Some(BUSY_LOOP_FLAG) {
        return side_by_side::busy_loop(&raw[1..]);
    }
    let args = match side_by_side::parse(&raw) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("bench: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(side_by_side::run(args))
}
