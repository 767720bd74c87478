//! `gitgrant audit --verify`, pure: re-decides a merged request from the replay snapshot
//! the ledger stored with its merge (DESIGN 4.8), with `gate::decide` against the policy
//! of the PR's base commit, and checks what the reconciler checks (DESIGN 5): merged, the
//! merge on the default branch, the file on the branch identical to the approved one.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Row, Verdict, Verification, short};
use crate::core::gate::facts::PrFacts;
use crate::core::gate::{self, Decision, GateInput, PathHistory};
use crate::core::files::load::PolicySet;
use crate::core::gate::snapshot::Snapshot;
use crate::core::files::tree::{Entry, Tree};

/// The parsed evidence of a merge: the PR's facts and when it was merged.
pub struct Parsed {
    pub facts: PrFacts,
    pub merged_at: Option<DateTime<Utc>>,
}

pub fn parse(evidence: &serde_json::Value) -> Result<Parsed, String> {
    let snap: Snapshot = serde_json::from_value(evidence.clone())
        .map_err(|e| format!("the ledger's evidence is not a replay snapshot: {e}"))?;
    let facts = PrFacts::from_snapshot(&snap).map_err(|e| format!("the ledger's evidence is unreadable: {e}"))?;
    let merged_at = snap
        .pull_request
        .get("merged_at")
        .and_then(|v| v.as_str())
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc));
    Ok(Parsed { facts, merged_at })
}

/// What the adapter read from git for one merged request.
pub struct Inputs<'a> {
    pub path: &'a str,
    pub row_pr: Option<u64>,
    pub parsed: &'a Parsed,
    /// The base commit's policy; `None` when the base commit is not in the repository.
    pub base: Option<&'a PolicySet>,
    /// The files the PR adds, at its head commit; `None` when the head commit is missing.
    pub head: Option<&'a Tree>,
    /// The file as added to the default branch.
    pub branch_file: Option<&'a [u8]>,
    pub merge_on_branch: bool,
    /// Whether each added path existed before, in the base commit's history.
    pub history: &'a BTreeMap<String, PathHistory>,
}

fn verdict(verdict: Verdict, decision: Option<&str>, reasons: Vec<String>) -> Verification {
    Verification {
        verdict,
        decision: decision.map(str::to_string),
        reasons,
    }
}

pub fn no_evidence() -> Verification {
    verdict(
        Verdict::Unverifiable,
        None,
        vec!["the ledger holds no evidence for this merge".into()],
    )
}

pub fn unreadable(why: String) -> Verification {
    verdict(Verdict::Unverifiable, None, vec![why])
}

pub fn reverify(i: &Inputs<'_>) -> Verification {
    let f = &i.parsed.facts;
    let n = f.number;
    let mut mismatch = Vec::new();
    if let Some(p) = i.row_pr
        && p != n
    {
        mismatch.push(format!("the evidence is for PR #{n}, this request's PR is #{p}"));
    }
    if !f.merged {
        mismatch.push(format!("the evidence says PR #{n} was not merged"));
    }
    match &f.merge_commit_sha {
        Some(m) if !i.merge_on_branch => mismatch.push(format!(
            "merge commit {} of PR #{n} is not on the default branch",
            short(m)
        )),
        None => mismatch.push(format!("the evidence of PR #{n} has no merge commit")),
        _ => {}
    }
    if !f.files.iter().any(|x| x.filename == i.path && x.status == "added") {
        mismatch.push(format!("PR #{n} does not add this file"));
    }
    let Some(merged_at) = i.parsed.merged_at else {
        mismatch.push(format!("the evidence of PR #{n} has no `merged_at`"));
        return verdict(Verdict::Mismatch, None, mismatch);
    };
    let head_tree = match i.head {
        None => {
            let why = format!(
                "head commit {} of PR #{n} is not in the repository (fetch `refs/pull/{n}/head`)",
                short(&f.head_sha)
            );
            if mismatch.is_empty() {
                return verdict(Verdict::Unverifiable, None, vec![why]);
            }
            mismatch.push(why);
            return verdict(Verdict::Mismatch, None, mismatch);
        }
        Some(t) => t,
    };
    let Some(Entry::File(head)) = head_tree.file(i.path) else {
        mismatch.push(format!(
            "the file is not in head commit {} of PR #{n}",
            short(&f.head_sha)
        ));
        return verdict(Verdict::Mismatch, None, mismatch);
    };
    let head = head.as_slice();
    if Some(head) != i.branch_file {
        mismatch.push(format!(
            "the file on the default branch differs from the one approved in PR #{n} (head {})",
            short(&f.head_sha)
        ));
    }
    let Some(base) = i.base else {
        let why = format!("base commit {} of PR #{n} is not in the repository", short(&f.base_sha));
        if mismatch.is_empty() {
            return verdict(Verdict::Unverifiable, None, vec![why]);
        }
        mismatch.push(why);
        return verdict(Verdict::Mismatch, None, mismatch);
    };
    let outcome = gate::decide(&GateInput {
        base,
        head: head_tree,
        facts: f,
        history: i.history,
        at: merged_at,
    });
    let item = outcome.requests.iter().find(|x| x.path == i.path);
    let decision = item.map(|x| x.decision).unwrap_or(Decision::Invalid);
    let pr_decision = outcome.decision;
    if decision != Decision::Approved || pr_decision != Decision::Approved {
        mismatch.push(format!(
            "re-deciding PR #{n} against its base commit {} gives `{}`, but it was merged",
            short(&f.base_sha),
            pr_decision.max(decision).as_str()
        ));
        for it in &outcome.requests {
            for r in it.reasons.iter().filter(|r| !matches!(r.code, "approved")) {
                mismatch.push(format!("{}: [{}] {}", it.path, r.code, r.message));
            }
        }
    }
    let shown = pr_decision.max(decision).as_str();
    if mismatch.is_empty() {
        let by = item.map(|x| x.approved_by.join(", ")).unwrap_or_default();
        let why = if by.is_empty() {
            "auto-approved by policy".to_string()
        } else {
            format!("approved by {by}")
        };
        verdict(Verdict::Ok, Some(shown), vec![why])
    } else {
        verdict(Verdict::Mismatch, Some(shown), mismatch)
    }
}

/// Whether a row's verification is a finding (exit 1): a mismatch, or access that was
/// granted without evidence that can be re-decided.
pub fn is_finding(r: &Row) -> bool {
    match &r.verify {
        Some(v) => v.verdict == Verdict::Mismatch || (v.verdict == Verdict::Unverifiable && r.activated_at.is_some()),
        None => false,
    }
}
