//! The history of `requests/` on the default branch as stays: one per time a path was on
//! the branch, from the commit that added it to the one that removed it, with the commits
//! that modified it in between and what the walk could not account for (an add over an
//! add, a removal or change whose addition is not in the history read).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::short;
use super::types::{ChangeKind, Commit, History, PathChange};
use crate::core::files::load::is_ignorable;

/// One stay of a path on the default branch: added by a commit, maybe removed by another.
#[derive(Debug, Clone, Default)]
pub(super) struct Stay {
    pub path: String,
    pub blob: Option<String>,
    pub added: Option<Commit>,
    pub removed: Option<Commit>,
    pub modified: Vec<Commit>,
    /// The commit that added the path before this stay's, when the path was reused.
    pub earlier_add: Option<String>,
    pub problems: Vec<String>,
}

/// The stays of every request path (README and `.gitkeep` files are not requests: issue 12),
/// and whether they come from the whole history (`Log`) rather
/// than the branch's tip alone.
pub(super) fn stays(history: &History, at: DateTime<Utc>) -> (Vec<Stay>, bool) {
    match history {
        History::Tip(files) => (
            files
                .iter()
                .filter(|(p, _)| !is_ignorable(p))
                .map(|(p, b)| Stay {
                    path: p.clone(),
                    blob: Some(b.clone()),
                    ..Stay::default()
                })
                .collect(),
            false,
        ),
        History::Log(commits) => {
            let mut walk = Walk::default();
            for hc in commits.iter().filter(|c| c.commit.time <= at) {
                for change in hc.changes.iter().filter(|c| !is_ignorable(&c.path)) {
                    match change.kind {
                        ChangeKind::Added => walk.added(change, &hc.commit),
                        ChangeKind::Removed => walk.removed(change, &hc.commit),
                        ChangeKind::Modified => walk.modified(change, &hc.commit),
                    }
                }
            }
            (walk.stays, true)
        }
    }
}

/// The stays found so far, oldest first, and which are still open (on the branch).
#[derive(Default)]
struct Walk {
    stays: Vec<Stay>,
    /// Path -> index of its stay on the branch now.
    open: HashMap<String, usize>,
    /// Path -> the last commit that added it.
    last_add: HashMap<String, String>,
}

impl Walk {
    fn added(&mut self, change: &PathChange, commit: &Commit) {
        if let Some(i) = self.open.remove(&change.path) {
            // an add over an add: the log missed the removal
            self.stays[i].problems.push(format!(
                "added again by commit {} without a removal in between",
                short(&commit.sha)
            ));
        }
        let earlier = self.last_add.insert(change.path.clone(), commit.sha.clone());
        self.open.insert(change.path.clone(), self.stays.len());
        self.stays.push(Stay {
            path: change.path.clone(),
            blob: change.blob.clone(),
            added: Some(commit.clone()),
            earlier_add: earlier,
            ..Stay::default()
        });
    }

    fn removed(&mut self, change: &PathChange, commit: &Commit) {
        match self.open.remove(&change.path) {
            Some(i) => self.stays[i].removed = Some(commit.clone()),
            None => self.stays.push(Stay {
                path: change.path.clone(),
                removed: Some(commit.clone()),
                problems: vec![format!(
                    "removed by commit {} but its addition is not in the history read (a shallow clone?)",
                    short(&commit.sha)
                )],
                ..Stay::default()
            }),
        }
    }

    fn modified(&mut self, change: &PathChange, commit: &Commit) {
        match self.open.get(&change.path) {
            Some(&i) => self.stays[i].modified.push(commit.clone()),
            None => {
                self.open.insert(change.path.clone(), self.stays.len());
                self.stays.push(Stay {
                    path: change.path.clone(),
                    blob: change.blob.clone(),
                    modified: vec![commit.clone()],
                    problems: vec![format!(
                        "modified by commit {} but its addition is not in the history read (a shallow clone?)",
                        short(&commit.sha)
                    )],
                    ..Stay::default()
                });
            }
        }
    }
}

/// `Merge pull request #N from ...` (merge commit) or `... (#N)` (squash merge).
pub fn pr_from_subject(subject: &str) -> Option<(u64, &'static str)> {
    if let Some(rest) = subject.strip_prefix("Merge pull request #") {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse() {
            return Some((n, "merge-commit"));
        }
    }
    let s = subject.trim_end();
    let inner = s.strip_suffix(')')?;
    let open = inner.rfind("(#")?;
    let n = inner[open + 2..].parse().ok()?;
    Some((n, "squash-subject"))
}
