//! gitgrant: temporary elevated access to AWS accounts through IAM Identity Center,
//! requested, approved and revoked with pull requests.
//!
//! The core (model, validation, eligibility, check) does no I/O and never reads the clock;
//! adapters (`repo_fs`, `git`, `github`, `aws`) and the CLI sit around it.

pub mod audit;
pub mod audit_command;
pub mod audit_git;
pub mod aws;
pub mod check;
pub mod cli;
pub mod codes;
pub mod diagnostic;
pub mod directory_sync;
pub mod document;
pub mod duration;
pub mod eligibility;
pub mod event;
pub mod gate;
pub mod git;
pub mod github;
pub mod init;
pub mod ledger;
pub mod ledger_git;
pub mod lexical;
pub mod load;
pub mod model;
pub mod pr;
pub mod pr_command;
pub mod raw;
pub mod reconcile;
pub mod render;
pub mod repo_fs;
pub mod request_command;
pub mod scenario;
pub mod schema;
pub mod snapshot;
pub mod tree;
