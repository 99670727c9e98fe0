//! One test binary for every integration test (see tests/src/lib.rs for the stack).

mod attacks;
mod changes;
mod contract;
mod duels;
mod events;
mod faults;
mod harness;
mod logs;
mod permissions;
mod purge;
mod races;
mod readme;
mod round_trips;
mod sam_local;
mod spec;
mod stories;
mod throttling;
