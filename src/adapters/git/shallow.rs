//! Shallow checkouts, deepened on demand (DESIGN 11): the workflows check out the default
//! branch at depth 1, and gitgrant fetches more of its history from `origin` only when a
//! question needs it (the merge base of a pull request, the commits since the ledger index's
//! marker, a merge commit and its parents for a record never verified). Every fetch names
//! commit ids, never branch patterns, so nothing else comes along. In a full clone nothing
//! here fetches anything.

use crate::adapters::git::{Git, GitError, is_object_id};

/// How much deeper each round fetches, commits from the current boundary; after the last,
/// the whole history (`--unshallow`).
const DEEPEN_STEPS: [u32; 3] = [64, 512, 4096];

impl Git {
    /// In a shallow clone, fetches `tips` (when missing) and then more of their history until
    /// `reached` holds: 64 commits deeper, 512, 4,096, then the whole history. Whether
    /// `reached` holds at the end; a fetch that fails ends the deepening with its error. A
    /// full clone is asked once, with no fetch.
    pub fn deepen_until(&self, tips: &[&str], reached: &dyn Fn(&Git) -> bool) -> Result<bool, GitError> {
        if !self.is_shallow()? {
            return Ok(reached(self));
        }
        let tips = fetchable(tips)?;
        for t in &tips {
            if !self.has_commit(t) {
                self.fetch_ids(&["--depth=1"], &tips)?;
                break;
            }
        }
        for step in DEEPEN_STEPS {
            if reached(self) {
                return Ok(true);
            }
            self.fetch_ids(&[&format!("--deepen={step}")], &tips)?;
            if !self.is_shallow()? {
                return Ok(reached(self));
            }
        }
        if !reached(self) {
            self.fetch_ids(&["--unshallow"], &tips)?;
        }
        Ok(reached(self))
    }

    /// The whole history of `tips` in a shallow clone (`git fetch --unshallow`), for the one
    /// full walk of the ledger index; nothing in a full clone.
    pub fn unshallow(&self, tips: &[&str]) -> Result<(), GitError> {
        if !self.is_shallow()? {
            return Ok(());
        }
        self.fetch_ids(&["--unshallow"], &fetchable(tips)?)
    }

    /// Fetches one commit by id when it is missing: in a shallow clone with its parents only
    /// (`--depth=2`, enough for the policy at a merge's first parent), in a full clone with
    /// whatever of its history is missing. Whether it is there now.
    pub fn ensure_commit(&self, sha: &str) -> bool {
        if !is_object_id(sha) {
            return false;
        }
        if self.commit_exists(sha) {
            return true;
        }
        let depth: &[&str] = match self.is_shallow() {
            Ok(false) => &[],
            _ => &["--depth=2"],
        };
        let _ = self.fetch_ids(depth, &[sha.to_string()]);
        self.commit_exists(sha)
    }

    /// The first parent of `commit`, fetching the commit and, in a shallow clone where it is
    /// a boundary (its parents cut off), its parents by id. `None` when it has none or they
    /// cannot be fetched.
    pub fn fetched_first_parent(&self, commit: &str) -> Option<String> {
        if !self.ensure_commit(commit) {
            return None;
        }
        if self.first_parent(commit).is_none() {
            let _ = self.deepen_until(&[commit], &|g| g.first_parent(commit).is_some());
        }
        self.first_parent(commit)
    }

    /// Whether `ancestor` is `commit` or one of its ancestors, deepening a shallow clone
    /// until it can tell (at worst, the whole history).
    pub fn is_ancestor_fetched(&self, ancestor: &str, commit: &str) -> bool {
        self.deepen_until(&[commit, ancestor], &|g| g.is_ancestor(ancestor, commit))
            .unwrap_or(false)
    }

    /// `git fetch --no-tags origin <ids>` with `options`, then reopens the in-process
    /// repository so that it sees the new objects and shallow boundary.
    fn fetch_ids(&self, options: &[&str], ids: &[String]) -> Result<(), GitError> {
        let mut args = vec!["fetch", "-q", "--no-tags", "--no-write-fetch-head"];
        args.extend_from_slice(options);
        args.push("origin");
        args.extend(ids.iter().map(String::as_str));
        let fetched = self.run(&args).map(|_| ());
        self.reopen()?;
        fetched
    }
}

/// The tips as full commit ids (nothing else is handed to `git fetch`).
fn fetchable(tips: &[&str]) -> Result<Vec<String>, GitError> {
    tips.iter()
        .map(|t| match is_object_id(t) {
            true => Ok(t.to_string()),
            false => Err(GitError::BadName(t.to_string())),
        })
        .collect()
}
