//! The ledger as the index (DESIGN 11): what the default branch's first-parent history says
//! about every request path (the commit that first added it, the commit that introduced its
//! current content, the commit that last deleted it), folded from `indexed` ledger events,
//! each a delta "from marker, through commit". Pure: the git adapter lists the commits, the
//! apps decide when to rebuild; nothing here walks history.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::core::audit::{ChangeKind, HistoryCommit};
use crate::core::gate::PathHistory;
use crate::core::ledger::{Event, Kind, Ledger};

/// One change of one path in one first-parent commit (against its first parent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedChange {
    #[serde(rename = "p")]
    pub path: String,
    /// `A` added, `M` modified, `D` deleted.
    #[serde(rename = "k")]
    pub kind: char,
    /// The blob it left there (absent for a deletion).
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
}

/// One first-parent commit of the default branch that touched `requests/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedCommit {
    #[serde(rename = "c")]
    pub commit: String,
    #[serde(rename = "ch")]
    pub changes: Vec<IndexedChange>,
}

/// A verification verdict (DESIGN 11): the approval record of `path` at `blob`, merged as
/// `merge_commit` and decided against `policy_commits`, re-verified from its evidence. Reused
/// until any part of the key changes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Verdict {
    #[serde(rename = "p")]
    pub path: String,
    #[serde(rename = "b")]
    pub blob: String,
    #[serde(rename = "m")]
    pub merge_commit: String,
    #[serde(rename = "pc")]
    pub policy_commits: Vec<String>,
}

impl Verdict {
    pub fn of(record: &crate::core::gate::record::ApprovalRecord) -> Verdict {
        Verdict {
            path: record.path.clone(),
            blob: record.blob.clone(),
            merge_commit: record.merge_commit.clone(),
            policy_commits: record.policy_commits.clone(),
        }
    }
}

/// The delta an `indexed` ledger event carries: the first-parent commits after `from` (none:
/// a build from the root) up to and including `through`, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexDelta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub through: String,
    pub commits: Vec<IndexedCommit>,
    /// Approval records verified since the last delta.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<Verdict>,
}

/// What the first-parent history says about one request path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathFacts {
    /// The first commit that added it.
    pub first: String,
    /// The commit that introduced its current content and that content's blob; `None` when
    /// its last change deleted it.
    pub current: Option<(String, String)>,
    /// The latest commit that deleted it, and the blob it deleted.
    pub deleted: Option<(String, Option<String>)>,
}

/// Every request path the default branch ever had, through the commit `through`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Index {
    pub through: Option<String>,
    pub paths: BTreeMap<String, PathFacts>,
    /// `indexed` events whose `from` was not the marker before them (a racing run's
    /// delta): left out; the next delta covers their commits again.
    pub skipped: usize,
    /// Approval records already verified from their evidence.
    pub verified: std::collections::BTreeSet<Verdict>,
    /// When set, the only paths whose facts are kept (and no verdicts): see
    /// [`Index::from_ledger_for`].
    pub only: Option<std::collections::HashSet<String>>,
}

/// The commits git listed (oldest first) as the delta's compact form.
pub fn delta(from: Option<&str>, through: &str, commits: &[HistoryCommit]) -> IndexDelta {
    let commits = commits
        .iter()
        .map(|c| IndexedCommit {
            commit: c.commit.sha.clone(),
            changes: c
                .changes
                .iter()
                .map(|ch| IndexedChange {
                    path: ch.path.clone(),
                    kind: match ch.kind {
                        ChangeKind::Added => 'A',
                        ChangeKind::Removed => 'D',
                        ChangeKind::Modified => 'M',
                    },
                    blob: ch.blob.clone(),
                })
                .collect(),
        })
        .collect();
    IndexDelta {
        from: from.map(str::to_string),
        through: through.to_string(),
        commits,
        verdicts: vec![],
    }
}

/// The `indexed` ledger event of a delta.
pub fn event(delta: IndexDelta, at: DateTime<Utc>) -> Event {
    let mut e = Event::new(Kind::Indexed, at);
    e.reason = Some(format!(
        "indexed {} commit(s) touching requests/ through {}, {} verdict(s)",
        delta.commits.len(),
        delta.through,
        delta.verdicts.len()
    ));
    e.index = Some(delta);
    e
}

/// The deltas `Index::from_ledger` folds, in the order it folds them (from the last build from
/// the root, each delta from the marker so far), and how many `indexed` events the ledger
/// holds; `None` when it holds no build from the root.
pub fn chain(ledger: &Ledger) -> Option<(Vec<&IndexDelta>, usize)> {
    chain_of(ledger.events.iter().filter_map(|e| e.index.as_ref()).collect())
}

/// `chain` of the deltas of a ledger's events, in ledger order.
pub fn chain_of(deltas: Vec<&IndexDelta>) -> Option<(Vec<&IndexDelta>, usize)> {
    let root = deltas.iter().rposition(|d| d.from.is_none())?;
    // marker -> the deltas from it, in ledger order (the first one wins)
    let mut from: BTreeMap<&str, std::collections::VecDeque<usize>> = BTreeMap::new();
    for (i, d) in deltas.iter().enumerate() {
        if let Some(f) = d.from.as_deref() {
            from.entry(f).or_default().push_back(i);
        }
    }
    let mut chain = vec![deltas[root]];
    let mut through = deltas[root].through.as_str();
    while let Some(next) = from.get_mut(through).and_then(|q| q.pop_front()) {
        chain.push(deltas[next]);
        through = deltas[next].through.as_str();
    }
    Some((chain, deltas.len()))
}

/// The first-parent commits the deltas list (oldest first), each with its changes, in the
/// audit's form; commits that changed nothing under `requests/` are left out, as the history
/// walk leaves them out. The commits' headers are git's to read (`Commit` by sha).
pub fn changes_of<'a>(
    deltas: impl IntoIterator<Item = &'a IndexDelta>,
) -> Vec<(String, Vec<crate::core::audit::PathChange>)> {
    deltas
        .into_iter()
        .flat_map(|d| d.commits.iter())
        .filter(|c| !c.changes.is_empty())
        .map(|c| {
            let changes = c
                .changes
                .iter()
                .map(|ch| crate::core::audit::PathChange {
                    path: ch.path.clone(),
                    kind: match ch.kind {
                        'A' => ChangeKind::Added,
                        'D' => ChangeKind::Removed,
                        _ => ChangeKind::Modified,
                    },
                    blob: ch.blob.clone(),
                })
                .collect();
            (c.commit.clone(), changes)
        })
        .collect()
}

impl Index {
    /// Folds the ledger's `indexed` events: from the last delta without `from` (a build from
    /// the root), each delta whose `from` is the marker so far extends it, wherever it is in
    /// the ledger (events files are by month of `at`, not by append). The rest are skipped
    /// (a racing run's delta: its commits are indexed again from the marker). `None` when
    /// the ledger holds no index at all.
    pub fn from_ledger(ledger: &Ledger) -> Option<Index> {
        let (chain, total) = chain(ledger)?;
        let mut index = Index::default();
        for d in &chain {
            index.apply(d);
        }
        index.skipped = total - chain.len();
        Some(index)
    }

    /// As [`Index::from_ledger`], keeping the facts of `paths` only, and no verdicts: what
    /// the gate asks about the paths a PR adds, without the facts of every path ever used.
    pub fn from_ledger_for(ledger: &Ledger, paths: &[&str]) -> Option<Index> {
        let (chain, total) = chain(ledger)?;
        let mut index = Index {
            only: Some(paths.iter().map(|p| p.to_string()).collect()),
            ..Index::default()
        };
        for d in &chain {
            index.apply(d);
        }
        index.skipped = total - chain.len();
        Some(index)
    }

    /// Extends the index by a delta's commits (oldest first) and moves the marker.
    pub fn apply(&mut self, d: &IndexDelta) {
        for c in &d.commits {
            for ch in &c.changes {
                if self.only.as_ref().is_some_and(|only| !only.contains(&ch.path)) {
                    continue;
                }
                let f = self.paths.entry(ch.path.clone()).or_insert_with(|| PathFacts {
                    first: c.commit.clone(),
                    ..PathFacts::default()
                });
                match (ch.kind, &ch.blob) {
                    ('D', _) => {
                        let blob = f.current.take().map(|(_, b)| b);
                        f.deleted = Some((c.commit.clone(), blob));
                    }
                    (_, Some(b)) => f.current = Some((c.commit.clone(), b.clone())),
                    (_, None) => f.current = None,
                }
            }
        }
        if self.only.is_none() {
            self.verified.extend(d.verdicts.iter().cloned());
        }
        self.through = Some(d.through.clone());
    }

    /// Whether `record` was verified from its evidence before, under the same key.
    pub fn is_verified(&self, record: &crate::core::gate::record::ApprovalRecord) -> bool {
        self.verified.contains(&Verdict::of(record))
    }

    /// The first-parent commit that introduced `path`'s current content, when `blob` is what
    /// the index says is there. `Err` when the index disagrees with the branch (damaged).
    pub fn introduced(&self, path: &str, blob: &str) -> Result<Option<&str>, String> {
        match self.paths.get(path).and_then(|f| f.current.as_ref()) {
            None => Ok(None),
            Some((c, b)) if b == blob => Ok(Some(c.as_str())),
            Some((_, b)) => Err(format!(
                "the ledger's index says `{path}` holds blob {b}, the default branch holds {blob}: the index is damaged; run `gitgrant ledger index --rebuild`"
            )),
        }
    }

    /// The latest commit that deleted `path` from the default branch, and the blob it deleted.
    pub fn deleted(&self, path: &str) -> Option<&(String, Option<String>)> {
        self.paths.get(path).and_then(|f| f.deleted.as_ref())
    }

    /// Whether `path` was on the default branch before the commit `merge` (the PR's own merge,
    /// when it is known, does not count): what the gate's "path never used" reads.
    pub fn history(&self, path: &str, merge: Option<&str>) -> PathHistory {
        match self.paths.get(path) {
            None => PathHistory::Never,
            Some(f) if Some(f.first.as_str()) == merge && f.deleted.is_none() => PathHistory::Never,
            Some(f) => PathHistory::Existed(f.first.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::audit::{Commit, PathChange};

    fn commit(sha: &str, changes: &[(&str, ChangeKind, Option<&str>)]) -> HistoryCommit {
        HistoryCommit {
            commit: Commit {
                sha: sha.into(),
                time: "2026-11-22T12:00:00Z".parse().unwrap(),
                author: "a".into(),
                subject: "s".into(),
            },
            changes: changes
                .iter()
                .map(|(p, k, b)| PathChange {
                    path: p.to_string(),
                    kind: *k,
                    blob: b.map(str::to_string),
                })
                .collect(),
        }
    }

    fn ledger_of(events: &[Event]) -> Ledger {
        let text: Vec<String> = events.iter().map(Event::to_line).collect();
        let text = text.join("\n");
        Ledger::parse([("events/2026-11.jsonl", text.as_str())])
    }

    const P: &str = "requests/acct/Admin/a.toml";

    #[test]
    fn deltas_fold_in_order_and_a_racing_delta_is_skipped() {
        let at: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let full = delta(
            None,
            "c2",
            &[commit("c1", &[(P, ChangeKind::Added, Some("b1"))]), commit("c2", &[])],
        );
        let next = delta(
            Some("c2"),
            "c3",
            &[commit("c3", &[(P, ChangeKind::Modified, Some("b2"))])],
        );
        let racing = delta(Some("c2"), "c4", &[commit("c4", &[(P, ChangeKind::Removed, None)])]);
        let l = ledger_of(&[event(full, at), event(next, at), event(racing, at)]);
        let i = Index::from_ledger(&l).unwrap();
        assert_eq!(i.through.as_deref(), Some("c3"));
        assert_eq!(i.skipped, 1);
        assert_eq!(i.introduced(P, "b2"), Ok(Some("c3")));
        assert!(
            i.introduced(P, "b1").is_err(),
            "a blob the index does not hold is damage"
        );
        assert_eq!(i.deleted(P), None);
        assert_eq!(i.history(P, None), PathHistory::Existed("c1".into()));
        assert_eq!(i.history(P, Some("c1")), PathHistory::Never);
        assert_eq!(i.history("requests/acct/Admin/b.toml", None), PathHistory::Never);
        assert!(Index::from_ledger(&Ledger::default()).is_none());
    }

    #[test]
    fn a_deletion_is_remembered_whatever_comes_back() {
        let mut i = Index::default();
        i.apply(&delta(
            None,
            "c3",
            &[
                commit("c1", &[(P, ChangeKind::Added, Some("b1"))]),
                commit("c2", &[(P, ChangeKind::Removed, None)]),
                commit("c3", &[(P, ChangeKind::Added, Some("b1"))]),
            ],
        ));
        assert_eq!(i.deleted(P), Some(&("c2".to_string(), Some("b1".to_string()))));
        assert_eq!(i.introduced(P, "b1"), Ok(Some("c3")));
        // pushed back by the PR merged as c3: it was used before (c1)
        assert_eq!(i.history(P, Some("c3")), PathHistory::Existed("c1".into()));
        assert_eq!(i.history(P, Some("c1")), PathHistory::Existed("c1".into()));
    }

    #[test]
    fn an_index_for_some_paths_answers_for_them_as_the_whole_index_does() {
        let at: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let q = "requests/acct/Admin/q.toml";
        let r = "requests/acct/Admin/r.toml";
        let d = delta(
            None,
            "c3",
            &[
                commit(
                    "c1",
                    &[(P, ChangeKind::Added, Some("b1")), (q, ChangeKind::Added, Some("b2"))],
                ),
                commit("c2", &[(P, ChangeKind::Removed, None)]),
                commit("c3", &[(r, ChangeKind::Added, Some("b3"))]),
            ],
        );
        let l = ledger_of(&[event(d, at)]);
        let whole = Index::from_ledger(&l).unwrap();
        let some = Index::from_ledger_for(&l, &[P, "requests/acct/Admin/new.toml"]).unwrap();
        assert_eq!(some.through, whole.through);
        for path in [P, "requests/acct/Admin/new.toml"] {
            for merge in [None, Some("c1"), Some("c3")] {
                assert_eq!(
                    some.history(path, merge),
                    whole.history(path, merge),
                    "{path} {merge:?}"
                );
            }
        }
        assert_eq!(some.deleted(P), whole.deleted(P));
        assert_eq!(some.paths.len(), 1, "q and r are not kept: {:?}", some.paths);
        assert_eq!(whole.history(q, None), PathHistory::Existed("c1".into()));
    }
}
