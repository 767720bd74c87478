//! One reconcile run (DESIGN 5): the wanted grants from git, the actual assignments from AWS,
//! and the pure plan between them.

pub mod desired;
pub mod live;
pub mod membership;
pub mod run;
pub mod selection;
pub mod sessions;
