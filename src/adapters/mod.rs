//! Adapters: the outside world behind typed interfaces. Each depends on the core only.

pub mod actions;
pub mod aws;
pub mod backoff;
pub mod fs;
pub mod git;
pub mod github;
pub mod notify;
pub mod progress;
