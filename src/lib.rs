//! gitgrant: temporary elevated access to AWS accounts through IAM Identity Center,
//! requested, approved and revoked with pull requests.
//!
//! Four layers, dependencies pointing inward only (DESIGN 12):
//! - [`core`]: pure. Files, the domain model, diagnostics, rules, the gate, the ledger's
//!   events, the reconcile plan and the audit join. No I/O, no clock, no environment.
//! - [`adapters`]: the outside world: git, GitHub, AWS, the file system, the Actions
//!   environment. They depend on `core` only.
//! - [`app`]: use cases that combine adapters and the core and return data.
//! - [`cli`]: arguments, printing and exit codes.

pub mod adapters;
pub mod app;
pub mod cli;
pub mod core;
