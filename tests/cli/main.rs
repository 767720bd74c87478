//! The one integration-test binary: fixture corpus with snapshot-tested diagnostics,
//! schema/Rust agreement, end-to-end runs of the `gitgrant` binary, and the GitHub adapter
//! against a local HTTP server and against GitHub's OpenAPI description (Prism).

mod audit;
mod commands;
mod desired;
mod fixtures;
mod gate;
mod gate_online;
mod github_api;
mod github_prism;
mod ledger;
mod schema_agreement;
mod support;
