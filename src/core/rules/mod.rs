//! The rules of a repository: `check` over every file, and eligibility of one request.

pub mod check;
pub mod eligibility;
pub mod workflows;
