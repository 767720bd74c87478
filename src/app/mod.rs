//! Use cases: each combines adapters and the core and returns data; none prints.

pub mod audit;
pub mod directory_sync;
pub mod init;
pub mod pr;
pub mod reconcile;
pub mod request;
pub mod stale;
