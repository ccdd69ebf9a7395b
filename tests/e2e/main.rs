//! End-to-end tests: Hangar's binaries run as a user runs them.
//!
//! The binaries are built by `cargo build --workspace --bins` (the test script does it
//! first); these tests find them next to the test executable.

mod audit_log;
mod bad_input;
mod conformance;
mod demo_example;
mod gateway;
mod gateway_admin;
mod gateway_egress;
mod gateway_faults;
mod gateway_front_door;
mod gateway_oidc;
mod gateway_passthrough;
mod gateway_reload;
mod gateway_tls;
mod hangarctl_explain;
mod harness;
mod harness_pieces;
mod observability;
mod rate_limits;
mod support;
