//! The reconciler's pure part (DESIGN 5): the plan from wanted grants and actual assignments.

pub mod live;
pub mod observed;
pub mod plan;
pub mod sessions;
