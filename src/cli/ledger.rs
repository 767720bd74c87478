//! `gitgrant ledger index`: builds or extends the ledger's index of the default branch's
//! request paths and prints what it covers; the progress line goes to stderr.

use chrono::Utc;

use crate::app::error::AppError;
use crate::cli::{Exit, LedgerIndexArgs};

pub fn index(a: &LedgerIndexArgs) -> Result<Exit, AppError> {
    eprintln!(
        "gitgrant: indexing the first-parent history of `{}` into the ledger...",
        a.reference
    );
    let started = std::time::Instant::now();
    let run = crate::app::index::index_ledger(&a.repo, &a.reference, a.rebuild, Utc::now())?;
    eprintln!(
        "gitgrant: indexed {} commit(s) touching requests/ in {:.1} s{}",
        run.commits,
        started.elapsed().as_secs_f64(),
        if run.rebuilt { " (the whole history)" } else { "" }
    );
    println!(
        "indexed through {}: {} request path(s){}",
        run.through,
        run.paths,
        match &run.ledger_commit {
            Some(c) => format!(", ledger commit {c}"),
            None => ", already current".into(),
        }
    );
    Ok(Exit::Success)
}
