//! The one integration-test binary: fixture corpus with snapshot-tested diagnostics,
//! schema/Rust agreement, end-to-end runs of the `gitgrant` binary, and the AWS adapter
//! against moto (real server) and against mocked faults moto cannot produce.

mod aws_faults;
mod aws_moto;
mod commands;
mod fixtures;
mod gate;
mod moto;
mod schema_agreement;
mod support;
