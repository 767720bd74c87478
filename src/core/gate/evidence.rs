//! The one verifier of approval evidence (DESIGN 5, 10): given a merged PR's replay snapshot
//! and what git says about it, is the request file on the default branch exactly what that
//! PR's gate approved? Used by the reconciler before it grants and by `audit --verify`, so
//! the two can never disagree. Pure: the adapters read git; this only judges.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::approvals::short;
use super::facts::PrFacts;
use super::snapshot::Snapshot;
use super::{Decision, FileRole, GateInput, PathHistory, classify, decide, reason};
use crate::core::files::load::BasePolicy;
use crate::core::files::tree::{Entry, Tree};
use crate::core::rules::eligibility::Reason;

/// A merged PR's evidence, parsed: its facts and when it was merged.
#[derive(Debug, Clone)]
pub struct MergeEvidence {
    pub facts: PrFacts,
    pub merged_at: Option<DateTime<Utc>>,
}

/// Parses a replay snapshot into evidence; an unreadable one is `evidence-unreadable`.
pub fn parse_snapshot(snap: &Snapshot) -> Result<MergeEvidence, Reason> {
    let facts = PrFacts::from_snapshot(snap)
        .map_err(|e| reason("evidence-unreadable", format!("the evidence is unreadable: {e}")))?;
    let merged_at = snap
        .pull_request
        .get("merged_at")
        .and_then(|v| v.as_str())
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc));
    Ok(MergeEvidence { facts, merged_at })
}

/// Parses the evidence a ledger `merged` event carries (a replay snapshot as JSON).
pub fn parse_ledger_evidence(value: &serde_json::Value) -> Result<MergeEvidence, Reason> {
    let snap: Snapshot = serde_json::from_value(value.clone()).map_err(|e| {
        reason(
            "evidence-unreadable",
            format!("the ledger's evidence is not a replay snapshot: {e}"),
        )
    })?;
    parse_snapshot(&snap)
}

/// The request paths a PR adds: what the gate decides, and what git must be read for.
pub fn added_requests(facts: &PrFacts) -> Vec<String> {
    classify(&facts.files)
        .into_iter()
        .filter_map(|role| match role {
            FileRole::AddedRequest(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// What the adapters read from git for one request file and its evidence.
pub struct EvidenceCheck<'a> {
    /// The request file on the default branch.
    pub path: &'a str,
    /// The PR the history says added the file, when known (audit); must match the evidence.
    pub expected_pr: Option<u64>,
    pub evidence: &'a MergeEvidence,
    /// Whether the evidence's merge commit is on the default branch.
    pub merge_on_branch: bool,
    /// The file's bytes on the default branch.
    pub branch_file: Option<&'a [u8]>,
    /// The PR's head commit with the request files it adds; `None` when the commit is missing.
    pub head: Option<&'a Tree>,
    /// The policy of the PR's base commit; `None` when the commit is missing.
    pub base: Option<&'a BasePolicy>,
    /// For each added path, whether it existed before, in the base commit's history.
    pub history: &'a BTreeMap<String, PathHistory>,
}

/// The verifier's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceVerdict {
    /// The file is what the PR's gate approved, and the PR was merged onto the default branch.
    Verified {
        merged_at: DateTime<Utc>,
        /// Counted code-owner approvals (empty when auto-approved).
        approved_by: Vec<String>,
    },
    /// The evidence contradicts the grant: never granted, a finding in the audit.
    Refused {
        /// The re-decided decision, when the PR could be re-decided.
        decision: Option<Decision>,
        reasons: Vec<Reason>,
    },
    /// The evidence cannot be checked here (a commit is missing): never granted.
    Unverifiable(Vec<Reason>),
}

fn refused(code: &'static str, message: String) -> EvidenceVerdict {
    EvidenceVerdict::Refused {
        decision: None,
        reasons: vec![reason(code, message)],
    }
}

/// Verifies one request's evidence: each check in turn, the first that fails decides.
pub fn verify(c: &EvidenceCheck<'_>) -> EvidenceVerdict {
    let f = &c.evidence.facts;
    if let Some(fail) = check_merge(c) {
        return fail;
    }
    let Some(merged_at) = c.evidence.merged_at else {
        return refused("evidence-unreadable", format!("the evidence of PR #{} has no `merged_at`", f.number));
    };
    let Some(head) = c.head else {
        return EvidenceVerdict::Unverifiable(vec![reason(
            "head-commit-missing",
            format!(
                "head commit {} of PR #{} is not in the repository (fetch `refs/pull/{}/head`)",
                short(&f.head_sha),
                f.number,
                f.number
            ),
        )]);
    };
    if let Some(fail) = check_file(c, head) {
        return fail;
    }
    let Some(base) = c.base else {
        return EvidenceVerdict::Unverifiable(vec![reason(
            "base-commit-missing",
            format!("base commit {} of PR #{} is not in the repository", short(&f.base_sha), f.number),
        )]);
    };
    redecide(c, base, head, merged_at)
}

/// The PR is the one that added the file, was merged, and its merge is on the default branch.
fn check_merge(c: &EvidenceCheck<'_>) -> Option<EvidenceVerdict> {
    let f = &c.evidence.facts;
    let n = f.number;
    if let Some(p) = c.expected_pr
        && p != n
    {
        return Some(refused(
            "evidence-for-other-pr",
            format!("the evidence is for PR #{n}, but PR #{p} added this file"),
        ));
    }
    if !f.merged {
        return Some(refused("evidence-not-merged", format!("pull request #{n} was not merged")));
    }
    match &f.merge_commit_sha {
        None => Some(refused(
            "merge-not-on-default-branch",
            format!("pull request #{n} has no merge commit"),
        )),
        Some(m) if !c.merge_on_branch => Some(refused(
            "merge-not-on-default-branch",
            format!("merge commit {} of PR #{n} is not on the default branch", short(m)),
        )),
        Some(_) => None,
    }
}

/// The PR adds this file, and the file on the default branch is byte-identical to its head's.
fn check_file(c: &EvidenceCheck<'_>, head: &Tree) -> Option<EvidenceVerdict> {
    let f = &c.evidence.facts;
    if !added_requests(f).iter().any(|p| p == c.path) {
        return Some(refused(
            "file-not-in-pr",
            format!("pull request #{} does not add this file", f.number),
        ));
    }
    let approved = match head.file(c.path) {
        Some(Entry::File(bytes)) => Some(bytes.as_slice()),
        _ => None,
    };
    if approved.is_none() || approved != c.branch_file {
        return Some(refused(
            "file-changed-after-approval",
            format!(
                "the file on the default branch differs from the one approved in PR #{} (head {})",
                f.number,
                short(&f.head_sha)
            ),
        ));
    }
    None
}

/// Re-decides the PR with the gate, against its base commit's policy, at its merge time.
fn redecide(c: &EvidenceCheck<'_>, base: &BasePolicy, head: &Tree, merged_at: DateTime<Utc>) -> EvidenceVerdict {
    let f = &c.evidence.facts;
    let outcome = decide(&GateInput {
        base,
        head,
        facts: f,
        history: c.history,
        at: merged_at,
    });
    let item = outcome.requests.iter().find(|i| i.path == c.path);
    let decision = item.map_or(Decision::Invalid, |i| i.decision).max(outcome.decision);
    if decision == Decision::Approved
        && let Some(item) = item
    {
        return EvidenceVerdict::Verified {
            merged_at,
            approved_by: item.approved_by.clone(),
        };
    }
    let mut reasons = vec![reason(
        "not-approved",
        format!(
            "re-deciding PR #{} against its base commit {} gives `{}`, but it was merged",
            f.number,
            short(&f.base_sha),
            decision.as_str()
        ),
    )];
    for it in &outcome.requests {
        for r in it.reasons.iter().filter(|r| r.code != "approved") {
            let message = if it.path == c.path {
                r.message.clone()
            } else {
                format!("{}: {}", it.path, r.message)
            };
            reasons.push(Reason { code: r.code, message });
        }
    }
    EvidenceVerdict::Refused {
        decision: Some(decision),
        reasons,
    }
}
