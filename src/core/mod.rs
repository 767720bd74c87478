//! The pure core: everything gitgrant decides, as functions of their inputs. Nothing here
//! does I/O, reads the clock or the environment; time and every fact are parameters.

pub mod audit;
pub mod diag;
pub mod emergency;
pub mod files;
pub mod gate;
pub mod index;
pub mod ledger;
pub mod model;
pub mod notify;
pub mod parallel;
pub mod reconcile;
pub mod rules;
