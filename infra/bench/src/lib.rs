//! The benchmarks of `make bench` and `make bench-purge`, against the DynamoDB Local at
//! `TENANTRY_TEST_DYNAMODB_ENDPOINT` (the test stack of `tenantry-tests`): a Lambda Runtime API
//! to run the functions as processes, the functions measured side by side (`make bench`), the
//! purge benchmark, and the hand-written notes that BENCHMARKS.md keeps across runs.

pub mod notes;
pub mod purge_bench;
pub mod side_by_side;

pub use tenantry_tests::runtime_api;
