//! Use cases: each combines adapters and the core and returns data; none prints. Their
//! errors are [`error::AppError`].

pub mod activity;
pub mod audit;
pub mod check;
pub mod directory_sync;
pub mod error;
pub mod index;
pub mod init;
pub mod notify;
pub mod pr;
pub mod reconcile;
pub mod request;
pub mod scenarios;
pub mod stale;
