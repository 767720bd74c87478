//! The audit's data (DESIGN 6, docs/audit.md): what the join reads (the history of
//! `requests/` on the default branch, the ledger, the policy) and what it gives (one `Row`
//! per request with its `Status`, reviews and `--verify` verdict, in a `Report`).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::compact::AuditLedger;
use crate::core::files::load::PolicySet;

/// A commit of the default branch's first-parent history that touched `requests/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    /// Committer time: for a merge made on GitHub, when it was merged.
    pub time: DateTime<Utc>,
    pub author: String,
    pub subject: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Removed,
    Modified,
}

/// One path a commit changed under `requests/`, with the blob it left there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathChange {
    pub path: String,
    pub kind: ChangeKind,
    /// The new blob (added or modified files).
    pub blob: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryCommit {
    pub commit: Commit,
    pub changes: Vec<PathChange>,
}

/// What is known of `requests/` on the default branch.
#[derive(Debug, Clone)]
pub enum History {
    /// Every first-parent commit that touched `requests/`, oldest first (`gitgrant audit`).
    Log(Vec<HistoryCommit>),
    /// Only the files at the branch's tip, as (path, blob) (`gitgrant status`: no walk).
    Tip(Vec<(String, String)>),
}

/// Everything the join reads.
pub struct Input<'a> {
    pub history: &'a History,
    /// Blob id -> bytes, for the blobs the history names.
    pub contents: &'a HashMap<String, Vec<u8>>,
    /// The ledger as the audit reads it (`compact`).
    pub ledger: &'a AuditLedger,
    /// Commits known to be on the default branch besides those in `history` (ledger merge
    /// commits confirmed by the adapter). Used to tell a rewritten history.
    pub on_branch: &'a BTreeSet<String>,
    /// The default branch's policy, when it loaded: account ids, approvals required, code
    /// owners of open requests.
    pub policy: Option<&'a PolicySet>,
    /// Statuses are as of this time; ledger events and commits after it are ignored.
    pub at: DateTime<Utc>,
}

/// A row's status (docs/audit.md has the state machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
    Cancelled,
    Scheduled,
    Active,
    Expired,
    Revoked,
    Failed,
    Blocked,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::Pending,
        Status::Approved,
        Status::Rejected,
        Status::Cancelled,
        Status::Scheduled,
        Status::Active,
        Status::Expired,
        Status::Revoked,
        Status::Failed,
        Status::Blocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
            Status::Scheduled => "scheduled",
            Status::Active => "active",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::Failed => "failed",
            Status::Blocked => "blocked",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A review decision recorded in the ledger (or, failing that, in the merge's evidence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub by: String,
    pub at: Option<DateTime<Utc>>,
    pub note: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_id: Option<u64>,
}

/// A break-glass grant's review after the fact (issue 13 item 2), as a row shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmergencyReview {
    /// When the code owners' review is due (the merge plus `emergency_review_within`).
    pub due: DateTime<Utc>,
    pub state: crate::core::emergency::ReviewState,
    /// The first `reviewed` event: who, when, the note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// How `--verify` judged a row's recorded decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Re-deciding the evidence against its base commit's policy gives `approved`.
    Ok,
    /// The evidence does not support the merge: a finding.
    Mismatch,
    /// There is nothing to re-decide from (no evidence, commits missing).
    Unverifiable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub verdict: Verdict,
    /// The re-decided decision, when the gate ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    pub reasons: Vec<String>,
}

/// One request: everything git and the ledger say about it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: String,
    pub path: String,
    pub status: Status,
    pub requester: Option<String>,
    pub account: Option<String>,
    pub account_id: Option<String>,
    pub permission_set: Option<String>,
    /// The requested start, or the merge time when the file has none.
    pub start: Option<DateTime<Utc>>,
    /// False when `start` is the merge time (the file has no `start`).
    pub start_in_file: bool,
    pub duration: Option<String>,
    pub end: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub pr: Option<u64>,
    /// Where the PR number came from: `ledger`, `merge-commit`, `squash-subject`.
    pub pr_source: Option<&'static str>,
    pub requested_at: Option<DateTime<Utc>>,
    /// Reviewers whose latest recorded review approves, with their notes.
    pub approvals: Vec<Review>,
    /// Reviewers whose latest recorded review requests changes (rejects), with notes.
    pub rejections: Vec<Review>,
    /// Approvals the default branch's policy asks for (open requests).
    pub approvals_required: Option<u32>,
    /// Code owners of the path on the default branch who have not approved (open requests).
    pub can_approve: Vec<String>,
    pub merged_at: Option<DateTime<Utc>>,
    pub merge_commit: Option<String>,
    /// The first-parent commit that added the file to the default branch.
    pub added_commit: Option<String>,
    pub added_at: Option<DateTime<Utc>>,
    pub removed_commit: Option<String>,
    pub removed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
    pub user_name: Option<String>,
    pub activated_at: Option<DateTime<Utc>>,
    /// When the activation was recorded by a later run (the run that made the assignment
    /// stopped first): the earliest it can have started; `activated_at` is the latest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activated_after: Option<DateTime<Utc>>,
    /// The assignment's end recorded at activation.
    pub ends_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    pub failures: Vec<Failure>,
    /// A break-glass grant: its review after the fact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency: Option<EmergencyReview>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<Verification>,
    pub problems: Vec<String>,
    /// The ledger's merge event (an index into `AuditLedger::events`), whose evidence
    /// `--verify` re-decides (not printed).
    #[serde(skip)]
    pub merge_event: Option<usize>,
    /// Blob of the file as added to the default branch (not printed).
    #[serde(skip)]
    pub added_blob: Option<String>,
    /// The commit that added the path before this row's, when the path was reused.
    #[serde(skip)]
    pub earlier_add: Option<String>,
}

/// The join's result: rows, and what could not be read or placed on a row.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub rows: Vec<Row>,
    pub problems: Vec<String>,
}
