//! `gitgrant check` as a use case: the working tree's files, and the windows the ledger's
//! approval records give the request files that name no `start`, so that a request whose
//! window has ended is checked as history (issue 12 item 3).

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};

use crate::adapters::git::Git;
use crate::app::error::AppError;
use crate::core::files::tree::Tree;
use crate::core::ledger::{Event, Kind};
use crate::core::rules::check::{self, Checked, RecordedEnds};

/// The ledger's recorded ends, read the first time a request without `start` asks (a
/// repository whose requests all name their start never reads its ledger).
struct LedgerEnds<'a> {
    repo: &'a Path,
    read: OnceLock<(HashMap<String, DateTime<Utc>>, Option<String>)>,
}

impl RecordedEnds for LedgerEnds<'_> {
    fn end_of(&self, path: &str) -> Option<DateTime<Utc>> {
        self.read.get_or_init(|| recorded_ends(self.repo)).0.get(path).copied()
    }
}

/// What `check` found, the tree it read (for rendering), and why the ledger could not be
/// read when it could not (then every request without `start` is checked as live).
pub struct CheckRun {
    pub tree: Tree,
    pub checked: Checked,
    pub ledger_unreadable: Option<String>,
}

pub fn run(repo: &Path, at: DateTime<Utc>) -> Result<CheckRun, AppError> {
    let tree = crate::adapters::fs::read_tree(repo)?;
    let ends = LedgerEnds {
        repo,
        read: OnceLock::new(),
    };
    let checked = check::check_on(&tree, at, &ends, crate::adapters::fs::cores());
    Ok(CheckRun {
        tree,
        checked,
        ledger_unreadable: ends.read.into_inner().and_then(|(_, why)| why),
    })
}

/// The latest recorded end of each request path in the local ledger (origin's ledger ref
/// when there is a remote). No repository or no ledger: none, silently; a ledger that does
/// not read: none, and why.
fn recorded_ends(repo: &Path) -> (HashMap<String, DateTime<Utc>>, Option<String>) {
    let mut ends = HashMap::new();
    let Ok(git) = Git::open(repo) else {
        return (ends, None);
    };
    let slim = &mut |e: &mut Event| {
        if e.kind == Some(Kind::Merged) {
            e.evidence = None;
        } else {
            *e = Event {
                at: e.at,
                kind: e.kind,
                ..Event::default()
            };
        }
    };
    match git.read_ledger_with(slim) {
        Ok(ledger) => {
            let records = ledger.events.iter().flat_map(|e| e.records.iter());
            for r in records {
                let end = ends.entry(r.path.clone()).or_insert(r.end);
                *end = (*end).max(r.end);
            }
            (ends, None)
        }
        Err(e) => (ends, Some(e.to_string())),
    }
}
