//! The one integration-test binary: fixture corpus with snapshot-tested diagnostics,
//! schema/Rust agreement, end-to-end runs of the `gitgrant` binary, the GitHub adapter
//! against a local HTTP server and GitHub's OpenAPI description (Prism), and the AWS adapter
//! against moto (real server) and against mocked faults moto cannot produce.

mod audit;
mod aws_faults;
mod aws_moto;
mod commands;
mod desired;
mod explain;
mod fault_proxy;
mod fixtures;
mod gate;
mod gate_online;
mod git_in_process;
mod github_api;
mod github_prism;
mod history_check;
mod layers;
mod ledger;
mod moto;
mod permissions;
mod reconcile;
mod records;
mod refs;
mod request;
mod schema_agreement;
mod self_merge;
mod support;
