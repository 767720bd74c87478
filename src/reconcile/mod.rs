//! The reconciler (DESIGN 5): make Identity Center's assignments match what git says now.

pub mod cli;
pub mod desired;
pub mod plan;
pub mod run;
