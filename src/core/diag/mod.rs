//! Diagnostics: findings as data, the registry of every stable code (diagnostics and
//! decision, plan and removal reasons) with its explanation, and their renderings.

pub mod catalog;
pub mod codes;
pub mod diagnostic;
pub mod explain;
pub mod render;
