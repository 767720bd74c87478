//! The PR gate (DESIGN 4): one decision per request a pull request adds, with reasons,
//! decided from the base commit's policy only. Pure: the snapshot facts, the base policy,
//! the head files the PR adds, the history answers and the time are all parameters.

pub mod approvals;
pub mod facts;
pub mod ledger_events;
pub mod report;
pub mod scenario;
pub mod snapshot;

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::core::rules::check;
use crate::core::diag::diagnostic::Diagnostic;
use crate::core::rules::eligibility::{Eligibility, Reason, Teams};
use crate::core::files::load::{self, PolicySet};
use crate::core::model::request::Request;
use crate::core::files::tree::Tree;
use approvals::{Excluded, Tally};
use facts::PrFacts;

/// How far before the PR was opened a `start` may lie (clock skew between a laptop and GitHub).
pub const START_GRACE: TimeDelta = TimeDelta::minutes(5);

/// A decision, ordered from best to worst: a PR's decision is the worst of its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approved,
    Pending,
    Rejected,
    Invalid,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::Pending => "pending",
            Decision::Rejected => "rejected",
            Decision::Invalid => "invalid",
        }
    }
}

/// What one changed file of the PR is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    AddedRequest(String),
    RemovedRequest(String),
    /// A request modified, renamed or copied: merged requests are immutable.
    AlteredRequest(String),
    /// `policies/`, `.github/`, `action.yml`, `schemas/`: what decides who gets what.
    Policy(String),
    Other(String),
}

pub fn classify(files: &[facts::FileChange]) -> Vec<Change> {
    let is_policy = |p: &str| {
        p.starts_with("policies/") || p.starts_with(".github/") || p.starts_with("schemas/") || p == "action.yml"
    };
    let mut out = Vec::new();
    for f in files {
        let name = f.filename.clone();
        if name.starts_with("requests/")
            || f.previous_filename
                .as_deref()
                .is_some_and(|p| p.starts_with("requests/"))
        {
            out.push(match f.status.as_str() {
                "added" => Change::AddedRequest(name),
                "removed" => Change::RemovedRequest(name),
                _ => Change::AlteredRequest(name),
            });
        } else if is_policy(&name) || f.previous_filename.as_deref().is_some_and(is_policy) {
            out.push(Change::Policy(name));
        } else {
            out.push(Change::Other(name));
        }
    }
    out
}

/// Whether a request path existed before in the base branch's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathHistory {
    Never,
    /// The commit that last touched it.
    Existed(String),
    /// History could not be read (e.g. a shallow clone): fail closed.
    Unknown(String),
}

/// Everything the gate decides from.
pub struct GateInput<'a> {
    pub base: &'a PolicySet,
    /// The PR head's files: at least the requests it adds (and, for a policy PR, the
    /// policy files and requests, so the new policy can be checked).
    pub head: &'a Tree,
    pub facts: &'a PrFacts,
    pub history: &'a BTreeMap<String, PathHistory>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemOutcome {
    pub path: String,
    pub id: String,
    pub decision: Decision,
    pub reasons: Vec<Reason>,
    pub approved_by: Vec<String>,
    pub can_approve: Vec<String>,
    /// Approvals this item needs (0 when auto-approved or not a request).
    pub required_approvals: u32,
    #[serde(skip)]
    pub request: Option<Request>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrOutcome {
    pub decision: Decision,
    /// Requests the PR adds (or, for a policy PR, the policy files it changes).
    pub requests: Vec<ItemOutcome>,
    /// Request files the PR deletes: revocations, which never wait for approval.
    pub removed: Vec<String>,
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

fn reason(code: &'static str, message: impl Into<String>) -> Reason {
    Reason {
        code,
        message: message.into(),
    }
}

fn invalid_item(path: &str, reasons: Vec<Reason>) -> ItemOutcome {
    ItemOutcome {
        path: path.to_string(),
        id: crate::core::model::request::RequestPath::parse(path)
            .map(|p| p.id)
            .unwrap_or_default(),
        decision: Decision::Invalid,
        reasons,
        approved_by: vec![],
        can_approve: vec![],
        required_approvals: 0,
        request: None,
    }
}

pub fn decide(input: &GateInput<'_>) -> PrOutcome {
    let changes = classify(&input.facts.files);
    let mut diagnostics = Vec::new();
    let mut items = Vec::new();
    let removed: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RemovedRequest(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let added: Vec<&String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::AddedRequest(p) => Some(p),
            _ => None,
        })
        .collect();
    let policy: Vec<&String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Policy(p) => Some(p),
            _ => None,
        })
        .collect();

    for c in &changes {
        if let Change::AlteredRequest(p) = c {
            items.push(invalid_item(
                p,
                vec![reason(
                    "request-modified",
                    "request files are immutable once merged: to change a request, revoke it and file a new one",
                )],
            ));
        }
    }

    if !input.base.is_complete() {
        let why = reason(
            "base-policy-invalid",
            "the base branch's policy files do not load, so nothing can be approved; fix them with `gitgrant check` first",
        );
        for p in added.iter().chain(policy.iter()) {
            items.push(invalid_item(p, vec![why.clone()]));
        }
    } else if !added.is_empty() && !policy.is_empty() {
        let why = reason(
            "mixed-change",
            format!(
                "this PR adds requests and also changes {}: split it, policy changes need their own review",
                policy.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
            ),
        );
        for p in &added {
            items.push(invalid_item(p, vec![why.clone()]));
        }
    } else if !added.is_empty() {
        for p in added {
            items.push(decide_request(input, p, &mut diagnostics));
        }
    } else if !policy.is_empty() {
        items.extend(decide_policy_change(input, &policy, &mut diagnostics));
    }

    let decision = items.iter().map(|i| i.decision).max().unwrap_or(Decision::Approved);
    PrOutcome {
        decision,
        requests: items,
        removed,
        diagnostics,
    }
}

fn decide_request(input: &GateInput<'_>, path: &str, diagnostics: &mut Vec<Diagnostic>) -> ItemOutcome {
    let base = input.base;
    let facts = input.facts;
    let (Some(policy), Some(co)) = (&base.policy, &base.codeowners) else {
        return invalid_item(
            path,
            vec![reason("base-policy-invalid", "the base policy did not load")],
        );
    };
    let mut found = Vec::new();
    let Some(entry) = input.head.file(path) else {
        return invalid_item(
            path,
            vec![reason(
                "head-file-missing",
                format!("`{path}` is not in the head commit"),
            )],
        );
    };
    let loaded = load::request(path, entry, base.directory.as_ref(), &mut found);
    let mut reasons: Vec<Reason> = Vec::new();
    let mut eligibility = None;
    if let Some(r) = &loaded {
        let teams = Teams::of_login(&r.requester, facts.teams.iter());
        eligibility = check::check_request(r, base, input.at, &teams, &mut found);
        if !r.requester.eq_ignore_ascii_case(&facts.author) {
            reasons.push(reason(
                "requester-not-author",
                format!(
                    "the request is for `{}` but the PR was opened by `{}`: people ask for their own access",
                    r.requester, facts.author
                ),
            ));
        }
        if let Some(start) = r.start {
            if start + START_GRACE < facts.created_at {
                reasons.push(reason(
                    "start-in-past",
                    format!(
                        "start {} is before the PR was opened ({})",
                        start.to_rfc3339(),
                        facts.created_at.to_rfc3339()
                    ),
                ));
            } else if start + r.duration.to_chrono() <= input.at {
                reasons.push(reason(
                    "window-ended",
                    format!(
                        "the requested window ended at {}",
                        (start + r.duration.to_chrono()).to_rfc3339()
                    ),
                ));
            }
        }
        if let Some(Eligibility::Undetermined { teams, .. }) = &eligibility {
            reasons.push(reason(
                "team-membership-unknown",
                format!(
                    "eligibility depends on membership of {} which was not read",
                    teams.join(", ")
                ),
            ));
        }
    }
    match input.history.get(path) {
        Some(PathHistory::Never) => {}
        Some(PathHistory::Existed(commit)) => reasons.push(reason(
            "request-path-reused",
            format!(
                "`{path}` existed before (commit {}); request paths are never reused, pick a new id",
                approvals::short(commit)
            ),
        )),
        Some(PathHistory::Unknown(why)) => reasons.push(reason(
            "history-unavailable",
            format!("cannot tell whether `{path}` was used before: {why}"),
        )),
        None => reasons.push(reason(
            "history-unavailable",
            format!("the history of `{path}` was not looked up"),
        )),
    }
    for d in found.iter().filter(|d| d.is_error()) {
        reasons.insert(
            0,
            Reason {
                code: d.code,
                message: d.message.clone(),
            },
        );
    }
    diagnostics.extend(found);
    let Some(r) = loaded.filter(|_| reasons.is_empty()) else {
        return invalid_item(path, reasons);
    };

    let (required, rules) = policy.required_approvals(&r.account_id, &r.account_ou, &r.permission_set);
    let approval_required = match &eligibility {
        Some(Eligibility::Eligible { approval_required, .. }) => *approval_required,
        _ => true,
    };
    let excluded = Excluded::for_pr(facts, &r.requester);
    let owners = co.owners_of(path);
    let tally: Tally = approvals::tally(&owners, facts, &excluded, policy.settings.require_approval_note);
    let mut item = ItemOutcome {
        path: path.to_string(),
        id: r.id.clone(),
        decision: Decision::Pending,
        reasons: tally.notes.clone(),
        approved_by: tally.approved_by.clone(),
        can_approve: tally.can_approve.clone(),
        required_approvals: if approval_required { required } else { 0 },
        request: Some(r),
    };
    if !approval_required {
        let rules = match &eligibility {
            Some(Eligibility::Eligible { rules, .. }) => rules.join(", "),
            _ => String::new(),
        };
        item.decision = Decision::Approved;
        item.can_approve.clear();
        item.reasons.insert(
            0,
            reason(
                "auto-approved",
                format!("eligibility rule `{rules}` needs no approval; the grant is still recorded"),
            ),
        );
        return item;
    }
    if !tally.rejected_by.is_empty() {
        item.decision = Decision::Rejected;
        item.reasons.insert(
            0,
            reason(
                "changes-requested",
                format!(
                    "code owner(s) {} requested changes; a dismissed or new review lifts this",
                    tally.rejected_by.join(", ")
                ),
            ),
        );
        return item;
    }
    let n = tally.approved_by.len() as u32;
    if n >= required {
        item.decision = Decision::Approved;
        item.can_approve.clear();
        item.reasons.insert(
            0,
            reason("approved", format!("{n} of {required} required code-owner approval(s)")),
        );
    } else {
        let by = if rules.is_empty() {
            String::new()
        } else {
            format!(" (rule {})", rules.join(", "))
        };
        item.reasons.insert(
            0,
            reason(
                "awaiting-approval",
                format!("{n} of {required} required code-owner approval(s){by}"),
            ),
        );
    }
    item
}

/// A PR that changes policy files: the new policy must check clean, and each changed file
/// needs an approval from its code owners in the base CODEOWNERS (admins).
fn decide_policy_change(
    input: &GateInput<'_>,
    paths: &[&String],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<ItemOutcome> {
    let checked = check::check(input.head, input.at);
    let errors: Vec<Reason> = checked
        .diagnostics
        .0
        .iter()
        .filter(|d| d.is_error())
        .map(|d| Reason {
            code: d.code,
            message: format!("{}: {}", d.file.as_deref().unwrap_or(""), d.message),
        })
        .collect();
    diagnostics.extend(checked.diagnostics.0);
    let co = input.base.codeowners.as_ref();
    let require_note = input
        .base
        .policy
        .as_ref()
        .is_some_and(|p| p.settings.require_approval_note);
    let excluded = Excluded::for_pr(input.facts, &input.facts.author);
    paths
        .iter()
        .map(|p| {
            let owners = co.map(|c| c.owners_of(p)).unwrap_or_default();
            let tally = approvals::tally(&owners, input.facts, &excluded, require_note);
            let mut item = ItemOutcome {
                path: p.to_string(),
                id: String::new(),
                decision: Decision::Pending,
                reasons: tally.notes.clone(),
                approved_by: tally.approved_by.clone(),
                can_approve: tally.can_approve.clone(),
                required_approvals: 1,
                request: None,
            };
            if owners.is_empty() {
                item.decision = Decision::Invalid;
                item.reasons.insert(
                    0,
                    reason(
                        "policy-path-unowned",
                        format!("no code owner protects `{p}` in the base CODEOWNERS"),
                    ),
                );
            } else if !errors.is_empty() {
                item.decision = Decision::Invalid;
                item.reasons.splice(0..0, errors.iter().cloned());
            } else if !tally.rejected_by.is_empty() {
                item.decision = Decision::Rejected;
                item.reasons.insert(
                    0,
                    reason(
                        "changes-requested",
                        format!("code owner(s) {} requested changes", tally.rejected_by.join(", ")),
                    ),
                );
            } else if !tally.approved_by.is_empty() {
                item.decision = Decision::Approved;
                item.can_approve.clear();
                item.reasons
                    .insert(0, reason("approved", "approved by a code owner of the policy"));
            } else {
                item.reasons.insert(
                    0,
                    reason("awaiting-approval", "a policy change needs a code owner's approval"),
                );
            }
            item
        })
        .collect()
}

#[cfg(test)]
mod tests;
