//! Git reading for the ledger index (DESIGN 11): the first-parent commits of the default
//! branch that touched `requests/`, with what each changed, after a marker (or from the
//! root, the one full walk of `gitgrant ledger index`), and whether a marker is still on the
//! branch's first-parent chain.

use crate::adapters::git::history::parse_log;
use crate::adapters::git::{Git, GitError};
use crate::core::audit::HistoryCommit;

impl Git {
    /// Whether `marker` is `tip` or on `tip`'s first-parent chain (false after a force-push
    /// that dropped it, or for a commit of a side branch).
    pub fn on_first_parent_chain(&self, marker: &str, tip: &str) -> Result<bool, GitError> {
        if marker == tip {
            return Ok(true);
        }
        if !self.commit_exists(marker) || !self.is_ancestor(marker, tip) {
            return Ok(false);
        }
        self.first_parent_chain_has(tip, marker)
    }

    /// The first-parent commits of `tip` after `from` (every one when `None`) that touched
    /// `requests/`, oldest first, merges diffed against their first parent. The full walk
    /// needs the whole history: a shallow clone is an error (fail closed).
    pub fn index_commits(&self, from: Option<&str>, tip: &str) -> Result<Vec<HistoryCommit>, GitError> {
        let raw = match from {
            None => {
                if self.is_shallow()? {
                    return Err(GitError::Shallow);
                }
                self.requests_log(tip, None)?
            }
            Some(m) if m == tip => return Ok(vec![]),
            Some(m) => self.requests_log(tip, Some(m))?,
        };
        let mut commits = parse_log(&raw)?;
        commits.reverse();
        Ok(commits)
    }
}
