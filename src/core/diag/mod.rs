//! Diagnostics: findings as data, the registry of every stable code, and their renderings.

pub mod codes;
pub mod diagnostic;
pub mod render;
