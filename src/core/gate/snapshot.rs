//! The replay snapshot of a pull request (DESIGN 4.8): GitHub's own JSON for the PR, its
//! commits, reviews and files, plus the members of the teams that matter. Recorded by
//! `gitgrant pr --record FILE`, replayed offline with `--snapshot FILE`; also the approval
//! evidence the reconciler re-verifies. Kept as raw JSON so nothing GitHub said is lost.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    /// `GET /repos/{o}/{r}/pulls/{n}`
    pub pull_request: Value,
    /// Items of `GET /repos/{o}/{r}/pulls/{n}/commits`, all pages.
    #[serde(default)]
    pub commits: Vec<Value>,
    /// Items of `GET /repos/{o}/{r}/pulls/{n}/reviews`, all pages.
    #[serde(default)]
    pub reviews: Vec<Value>,
    /// Items of `GET /repos/{o}/{r}/pulls/{n}/files`, all pages.
    #[serde(default)]
    pub files: Vec<Value>,
    /// `org/team-slug` (lowercase) -> member logins.
    #[serde(default)]
    pub teams: BTreeMap<String, Vec<String>>,
    /// Lowercased logins GitHub authenticated as pushing a head of this PR: the `sender`s
    /// of its `pull_request` opened/synchronize/reopened events, from the ledger's `pushed`
    /// events and the current event (DESIGN 10.6). Not a GitHub API response.
    #[serde(default)]
    pub pushers: Vec<String>,
}
