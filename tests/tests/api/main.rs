//! One test binary for every integration test (see tests/src/lib.rs for the stack).

mod contract;
mod faults;
mod permissions;
mod races;
mod round_trips;
mod stories;
