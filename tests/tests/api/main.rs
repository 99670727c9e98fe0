//! One test binary for every integration test (see tests/src/lib.rs for the stack).

mod attacks;
mod changes;
mod contract;
mod duels;
mod events;
mod faults;
mod fuzz;
mod harness;
mod jwks;
mod lockout;
mod logs;
mod mass_assignment;
mod matrix;
mod permissions;
mod purge;
mod races;
mod readme;
mod round_trips;
mod sam_local;
mod sessions;
mod spec;
mod spoofing;
mod stories;
mod throttling;
