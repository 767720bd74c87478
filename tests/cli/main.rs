//! The one integration-test binary: fixture corpus with snapshot-tested diagnostics,
//! schema/Rust agreement, and end-to-end runs of the `gitgrant` binary.

mod commands;
mod fixtures;
mod gate;
mod ledger;
mod schema_agreement;
mod support;
