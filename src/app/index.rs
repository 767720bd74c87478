//! The ledger index for one run (DESIGN 11): read from the ledger's `indexed` events and
//! extended by the default branch's first-parent commits since its marker (never a history
//! walk per request), or built once from the whole history (`gitgrant ledger index`, and
//! `apply` when the index is missing or damaged). The event to append is returned.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::adapters::git::Git;
use crate::core::gate::PathHistory;
use crate::core::index::{self, Index};
use crate::core::ledger::{Event, Ledger};

/// Why the ledger's index cannot be used as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexProblem {
    /// The ledger has no `indexed` event.
    Missing,
    /// Its marker is not on the default branch's first-parent chain, or git could not list
    /// the commits since it.
    Damaged(String),
}

impl std::fmt::Display for IndexProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexProblem::Missing => write!(
                f,
                "the ledger has no index of the default branch's request paths; run `gitgrant ledger index` once"
            ),
            IndexProblem::Damaged(why) => write!(
                f,
                "the ledger's index cannot be used ({why}); run `gitgrant ledger index --rebuild`"
            ),
        }
    }
}

/// The index through `tip`, and the `indexed` event that records what this run added.
#[derive(Debug, Clone)]
pub struct Indexed {
    pub index: Index,
    pub event: Option<Event>,
    /// First-parent commits that touched `requests/` indexed by this run.
    pub commits: usize,
    /// Set when the whole history was walked, and why.
    pub rebuilt: Option<String>,
}

/// The ledger's index extended through `tip` (the commits since its marker only).
pub fn extend(git: &Git, ledger: &Ledger, tip: &str, at: DateTime<Utc>) -> Result<Indexed, IndexProblem> {
    let idx = Index::from_ledger(ledger).ok_or(IndexProblem::Missing)?;
    extend_index(git, idx, tip, at)
}

/// [`extend`] of an index already folded from the ledger.
fn extend_index(git: &Git, mut idx: Index, tip: &str, at: DateTime<Utc>) -> Result<Indexed, IndexProblem> {
    let marker = idx.through.clone().unwrap_or_default();
    let Some(d) = delta_since(git, &marker, tip)? else {
        return Ok(Indexed {
            index: idx,
            event: None,
            commits: 0,
            rebuilt: None,
        });
    };
    idx.apply(&d);
    Ok(Indexed {
        index: idx,
        commits: d.commits.len(),
        event: Some(index::event(d, at)),
        rebuilt: None,
    })
}

/// The first-parent commits after the index's `marker` through `tip` as a delta; `None`
/// when the marker is the tip. `Err` when the marker is not on the tip's first-parent chain.
pub fn delta_since(git: &Git, marker: &str, tip: &str) -> Result<Option<index::IndexDelta>, IndexProblem> {
    reach_marker(git, marker, tip)?;
    let on_chain = git
        .on_first_parent_chain(marker, tip)
        .map_err(|e| IndexProblem::Damaged(e.to_string()))?;
    if !on_chain {
        return Err(IndexProblem::Damaged(format!(
            "its marker {marker} is not on the default branch's first-parent history (a force-push?)"
        )));
    }
    if marker == tip {
        return Ok(None);
    }
    let commits = git
        .index_commits(Some(marker), tip)
        .map_err(|e| IndexProblem::Damaged(e.to_string()))?;
    Ok(Some(index::delta(Some(marker), tip, &commits)))
}

/// In a shallow clone, fetches the history between the default branch commit `tip` and the
/// index's `marker` (DESIGN 11: deepened on demand); a fetch that fails makes the index
/// unusable for this run, with the fetch's error. Nothing in a full clone.
fn reach_marker(git: &Git, marker: &str, tip: &str) -> Result<(), IndexProblem> {
    if marker.is_empty() {
        return Ok(());
    }
    let related = |g: &Git| g.is_ancestor(marker, tip) || g.is_ancestor(tip, marker);
    git.deepen_until(&[tip, marker], &related)
        .map(|_| ())
        .map_err(|e| IndexProblem::Damaged(format!("cannot fetch the history since its marker {marker}: {e}")))
}

/// The index built from the whole first-parent history of `tip`: the one full walk (a
/// shallow clone fetches the whole history first).
pub fn rebuild(git: &Git, tip: &str, at: DateTime<Utc>, why: String) -> Result<Indexed, String> {
    git.unshallow(&[tip])
        .map_err(|e| format!("cannot fetch the default branch's whole history to index it: {e}"))?;
    let commits = git
        .index_commits(None, tip)
        .map_err(|e| format!("cannot index the default branch's history: {e}"))?;
    let d = index::delta(None, tip, &commits);
    let mut idx = Index::default();
    idx.apply(&d);
    Ok(Indexed {
        index: idx,
        event: Some(index::event(d, at)),
        commits: commits.len(),
        rebuilt: Some(why),
    })
}

/// The ledger's index through `tip`, rebuilt from history when it is missing or damaged.
pub fn current(git: &Git, ledger: &Ledger, tip: &str, at: DateTime<Utc>) -> Result<Indexed, String> {
    match extend(git, ledger, tip, at) {
        Ok(i) => Ok(i),
        Err(p) => rebuild(git, tip, at, p.to_string()),
    }
}

/// What `gitgrant ledger index` did.
#[derive(Debug, Clone)]
pub struct IndexRun {
    /// The default branch commit the index now covers.
    pub through: String,
    /// First-parent commits touching `requests/` indexed by this run.
    pub commits: usize,
    /// Request paths the index knows.
    pub paths: usize,
    /// Whether the whole history was walked.
    pub rebuilt: bool,
    /// The ledger commit written, if any.
    pub ledger_commit: Option<String>,
}

/// `gitgrant ledger index`: the index through the default branch's tip, written to the
/// ledger branch (the commits since the marker, or, with `rebuild` or no usable index, the
/// whole history).
pub fn index_ledger(
    repo: &std::path::Path,
    reference: &str,
    rebuild_all: bool,
    at: DateTime<Utc>,
) -> Result<IndexRun, crate::app::error::AppError> {
    let git = Git::open(repo)?;
    git.fetch_ledger()?;
    let ledger = git.read_ledger()?;
    let tip = git.resolve_branch(reference)?.into_string();
    let indexed = match rebuild_all {
        true => rebuild(&git, &tip, at, "asked to rebuild".into()),
        false => current(&git, &ledger, &tip, at),
    }
    .map_err(crate::app::error::AppError::Reconcile)?;
    let ledger_commit = match &indexed.event {
        Some(e) => git.append_ledger(std::slice::from_ref(e), &format!("gitgrant ledger index through {tip}"))?,
        None => None,
    };
    Ok(IndexRun {
        through: tip,
        commits: indexed.commits,
        paths: indexed.index.paths.len(),
        rebuilt: indexed.rebuilt.is_some(),
        ledger_commit,
    })
}

/// The gate's "path never used" (DESIGN 11) for each of `paths`, read from the ledger's index
/// extended through the PR's `base` (an index already past the base is used as it is: it
/// knows more). The PR's own `merge` commit does not count. A ledger without an index falls
/// back to the clone's history (a full clone only: a shallow one answers `Unknown`, naming
/// `gitgrant ledger index`); a damaged index answers `Unknown` for every path (fail closed).
pub fn gate_history(
    git: &Git,
    ledger: &Ledger,
    base: &str,
    merge: Option<&str>,
    paths: &[&str],
    at: DateTime<Utc>,
) -> (BTreeMap<String, PathHistory>, Option<Event>) {
    let unknown = |why: String| -> BTreeMap<String, PathHistory> {
        paths
            .iter()
            .map(|p| (p.to_string(), PathHistory::Unknown(why.clone())))
            .collect()
    };
    let ahead = |idx: &Index| idx.through.as_deref().is_some_and(|m| git.is_ancestor(base, m));
    // only the facts of the PR's paths are folded (the event still covers every path)
    let indexed = match Index::from_ledger_for(ledger, paths) {
        Some(idx) => match reach_marker(git, idx.through.as_deref().unwrap_or_default(), base) {
            Err(p) => Err(p),
            Ok(()) if ahead(&idx) => Ok(Indexed {
                index: idx,
                event: None,
                commits: 0,
                rebuilt: None,
            }),
            Ok(()) => extend_index(git, idx, base, at),
        },
        None => Err(IndexProblem::Missing),
    };
    match indexed {
        Ok(i) => (
            paths
                .iter()
                .map(|p| (p.to_string(), i.index.history(p, merge)))
                .collect(),
            i.event,
        ),
        // no index yet (before the first reconcile): git's own history, fetched whole if shallow
        Err(IndexProblem::Missing) if git.unshallow(&[base]).is_ok() => (
            paths
                .iter()
                .map(|p| (p.to_string(), git.path_history(base, p)))
                .collect(),
            None,
        ),
        Err(p) => (unknown(p.to_string()), None),
    }
}

/// The run's `indexed` event with the verdicts it reached added (an event of verdicts
/// alone, from the marker to itself, when no commit was indexed); `None` when there is
/// nothing to write.
pub fn with_verdicts(indexed: &Indexed, verdicts: &[crate::core::index::Verdict], at: DateTime<Utc>) -> Option<Event> {
    let mut event = indexed.event.clone();
    if verdicts.is_empty() {
        return event;
    }
    if event.is_none() {
        let marker = indexed.index.through.clone()?;
        event = Some(index::event(index::delta(Some(&marker), &marker, &[]), at));
    }
    let mut e = event?;
    if let Some(d) = e.index.as_mut() {
        d.verdicts.extend(verdicts.iter().cloned());
        e.reason = Some(format!(
            "indexed {} commit(s) touching requests/ through {}, {} verdict(s)",
            d.commits.len(),
            d.through,
            d.verdicts.len()
        ));
    }
    Some(e)
}
