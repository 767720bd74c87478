//! The approval record (DESIGN 10.3): what a merged, approved PR bound for each request it
//! added, written into the ledger's `merged` event. The reconciler grants only what a
//! record binds (the same blob, introduced by the record's merge, into the default branch)
//! with the account id and user the record names. Pure: built from the gate's outcome and
//! what the adapters read (blob ids, the merge's first parent).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::approvals::latest_reviews;
use super::facts::{PrFacts, ReviewState};
use super::{Decision, PrOutcome};
use crate::core::model::identities::Identities;

/// One counted approval: who, which review, when, and the note they wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordApprover {
    pub login: String,
    pub review_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub note: String,
}

/// What one approved request of a merged PR is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    /// The request file's path on the default branch.
    pub path: String,
    /// The git object id of the file at the PR's head: the approved bytes.
    pub blob: String,
    pub account_id: String,
    pub permission_set: String,
    /// The Identity Center user name the requester's login mapped to.
    pub user_name: String,
    pub requester: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub approvers: Vec<RecordApprover>,
    /// Logins GitHub authenticated as pushing the PR's heads.
    #[serde(default)]
    pub pushers: Vec<String>,
    pub pr: u64,
    /// The branch the PR was merged into (`pull_request.base.ref`).
    pub base_ref: String,
    pub base_sha: String,
    pub head_sha: String,
    pub merge_commit: String,
    pub merged_at: DateTime<Utc>,
    /// The commits whose policy the PR was decided against: its base, and the default
    /// branch at the merge's first parent.
    pub policy_commits: Vec<String>,
    /// A break-glass grant (issue 13 item 2): when its code owners' review after the fact
    /// is due (the merge plus `emergency_review_within`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency_review_due: Option<DateTime<Utc>>,
}

/// What the adapters read for building the records of a merged PR.
pub struct RecordInput<'a> {
    pub facts: &'a PrFacts,
    /// The decision at merge (the stricter of the base and the merge parent's policy).
    pub outcome: &'a PrOutcome,
    /// Blob id of each added request file at the PR's head.
    pub blobs: &'a BTreeMap<String, String>,
    /// The identities the decision was made with (the PR's base policy).
    pub identities: &'a Identities,
    pub merged_at: DateTime<Utc>,
    pub policy_commits: &'a [String],
}

/// The counted approvers of `logins`, each with their latest review's id, time and note.
pub fn approvers(facts: &PrFacts, logins: &[String]) -> Vec<RecordApprover> {
    let latest = latest_reviews(facts);
    logins
        .iter()
        .filter_map(|l| {
            let r = latest.get(l.as_str()).filter(|r| r.state == ReviewState::Approved)?;
            Some(RecordApprover {
                login: l.clone(),
                review_id: r.id,
                submitted_at: r.submitted_at,
                note: r.body.chars().take(2000).collect(),
            })
        })
        .collect()
}

/// One record per request the PR added and the gate approved at merge; none when the
/// PR was not approved, not merged, or a fact the record needs is missing (fail closed:
/// no record, no grant).
pub fn records(input: &RecordInput<'_>) -> Vec<ApprovalRecord> {
    let f = input.facts;
    let Some(merge) = f.merge_commit_sha.clone().filter(|_| f.merged) else {
        return vec![];
    };
    if input.outcome.decision != Decision::Approved {
        return vec![];
    }
    let mut out = Vec::new();
    for item in input
        .outcome
        .requests
        .iter()
        .filter(|i| i.decision == Decision::Approved)
    {
        let (Some(r), Some(blob)) = (&item.request, input.blobs.get(&item.path)) else {
            continue;
        };
        let Some(user_name) = input.identities.user_name(&r.requester) else {
            continue;
        };
        let start = r.start.unwrap_or(input.merged_at);
        out.push(ApprovalRecord {
            path: item.path.clone(),
            blob: blob.clone(),
            account_id: r.account_id.clone(),
            permission_set: r.permission_set.clone(),
            user_name,
            requester: r.requester.clone(),
            start,
            end: start + r.duration.to_chrono(),
            approvers: approvers(f, &item.approved_by),
            pushers: f.pushers.clone(),
            pr: f.number,
            base_ref: f.base_ref.clone(),
            base_sha: f.base_sha.clone(),
            head_sha: f.head_sha.clone(),
            merge_commit: merge.clone(),
            merged_at: input.merged_at,
            policy_commits: input.policy_commits.to_vec(),
            emergency_review_due: item
                .emergency_review_within
                .and_then(|w| input.merged_at.checked_add_signed(w.to_chrono())),
        });
    }
    out
}

/// Combines two decisions of the same PR (against its base policy and against the default
/// branch's policy at the merge's first parent): per item the stricter wins, and the PR's
/// decision is the worst of the items.
pub fn stricter(base: PrOutcome, at_merge: PrOutcome) -> PrOutcome {
    let mut out = base;
    for item in &mut out.requests {
        if let Some(other) = at_merge.requests.iter().find(|o| o.path == item.path)
            && other.decision > item.decision
        {
            let mut other = other.clone();
            if let Some(first) = other.reasons.first_mut() {
                first.message = format!("under the default branch's policy at the merge: {}", first.message);
            }
            *item = other;
        }
    }
    for other in &at_merge.requests {
        if !out.requests.iter().any(|i| i.path == other.path) {
            out.requests.push(other.clone());
        }
    }
    out.decision = out
        .requests
        .iter()
        .map(|i| i.decision)
        .max()
        .unwrap_or(Decision::Approved)
        .max(at_merge.decision);
    out.diagnostics.extend(at_merge.diagnostics);
    out
}

/// Every request of a merged PR made `invalid` because the policy at the merge could not be
/// read (fail closed: no record without both policies).
pub fn unreadable_at_merge(mut outcome: PrOutcome, why: &str) -> PrOutcome {
    for item in &mut outcome.requests {
        item.decision = Decision::Invalid;
        item.approved_by.clear();
        item.reasons
            .insert(0, super::reason("base-commit-missing", why.to_string()));
    }
    if !outcome.requests.is_empty() {
        outcome.decision = Decision::Invalid;
    }
    outcome
}
