//! The PR gate (DESIGN 4): one decision per request a pull request adds, with reasons,
//! decided from the base commit's policy only. Pure: the snapshot facts, the base policy,
//! the head files the PR adds, the history answers and the time are all parameters.

pub mod approvals;
pub mod changed;
pub mod evidence;
pub mod facts;
pub mod ledger_events;
pub mod merge;
pub mod record;
pub mod report;
pub mod scenario;
pub mod snapshot;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::core::diag::diagnostic::Diagnostic;
use crate::core::files::load::{self, BasePolicy, PolicySet};
use crate::core::files::tree::{self, Tree};
use crate::core::model::codeowners::{Owner, resolve_emails};
use crate::core::model::request::Request;
use crate::core::rules::check;
use crate::core::rules::eligibility::{Eligibility, Reason, Teams};
use approvals::{Excluded, Tally};
use changed::FilesSource;
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

/// The role one changed file of the PR plays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRole {
    AddedRequest(String),
    RemovedRequest(String),
    /// A request modified, renamed or copied: merged requests are immutable.
    AlteredRequest(String),
    /// `.github/`, `CODEOWNERS`, `docs/CODEOWNERS`, `policies/`, `schemas/`, `action.yml`,
    /// `action.yaml`: what decides who gets what.
    Policy(String),
    Other(String),
}

/// Each changed file's role; policy paths are [`tree::POLICY_PATHS`] (the one definition).
pub fn classify(files: &[facts::FileChange]) -> Vec<FileRole> {
    let is_policy = tree::is_policy_path;
    let mut out = Vec::new();
    for f in files {
        let name = f.filename.clone();
        if name.starts_with("requests/")
            || f.previous_filename
                .as_deref()
                .is_some_and(|p| p.starts_with("requests/"))
        {
            out.push(match f.status.as_str() {
                "added" => FileRole::AddedRequest(name),
                "removed" => FileRole::RemovedRequest(name),
                _ => FileRole::AlteredRequest(name),
            });
        } else if is_policy(&name) || f.previous_filename.as_deref().is_some_and(is_policy) {
            out.push(FileRole::Policy(name));
        } else {
            out.push(FileRole::Other(name));
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

/// Everything the gate decides from: the one input of [`decide`], built the same way by the
/// PR command, scenarios, the reconciler and `audit --verify`.
pub struct GateInput<'a> {
    /// The base commit's policy: valid, or the errors that make every request `invalid`.
    pub base: &'a BasePolicy,
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
    /// Pre-flight notes for the reviewers (issue 13 item 4): never a reason to refuse, and
    /// not part of the decision's reasons (scenarios do not compare them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Reason>,
    /// A break-glass request approved without review (issue 13 item 2): how long after the
    /// merge its code owners have to review it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_review_within: Option<crate::core::files::duration::HumaneDuration>,
    /// Code owners whose standing "request changes" counts (not printed: the reason says).
    #[serde(skip)]
    pub rejected_by: Vec<String>,
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

pub(crate) fn reason(code: &'static str, message: impl Into<String>) -> Reason {
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
        notes: Vec::new(),
        emergency_review_within: None,
        rejected_by: Vec::new(),
        request: None,
    }
}

/// Loads the base commit's policy from its files and decides: the outcome's diagnostics
/// start with the base policy's findings, which explain a `base-policy-invalid`.
pub fn decide_on_base_files(
    base_files: &Tree,
    head: &Tree,
    facts: &PrFacts,
    history: &BTreeMap<String, PathHistory>,
    at: DateTime<Utc>,
) -> PrOutcome {
    decide_on_loaded(&LoadedBase::load(base_files), head, facts, history, at)
}

/// A base commit's policy loaded once, with the findings of loading it, for every decision
/// a run makes against that base.
pub struct LoadedBase {
    pub policy: BasePolicy,
    pub findings: Vec<crate::core::diag::diagnostic::Diagnostic>,
}

impl LoadedBase {
    pub fn load(base_files: &Tree) -> LoadedBase {
        let mut findings = Vec::new();
        let policy = load::policy_set(base_files, &mut findings);
        LoadedBase { policy, findings }
    }
}

/// [`decide_on_base_files`] against a base policy already loaded.
pub fn decide_on_loaded(
    base: &LoadedBase,
    head: &Tree,
    facts: &PrFacts,
    history: &BTreeMap<String, PathHistory>,
    at: DateTime<Utc>,
) -> PrOutcome {
    let mut outcome = decide(&GateInput {
        base: &base.policy,
        head,
        facts,
        history,
        at,
    });
    outcome.diagnostics.splice(0..0, base.findings.iter().cloned());
    outcome
}

/// The PR's changed files by role.
struct Roles<'a> {
    added: Vec<&'a str>,
    removed: Vec<String>,
    altered: Vec<&'a str>,
    policy: Vec<&'a str>,
}

fn roles(changes: &[FileRole]) -> Roles<'_> {
    let mut r = Roles {
        added: vec![],
        removed: vec![],
        altered: vec![],
        policy: vec![],
    };
    for c in changes {
        match c {
            FileRole::AddedRequest(p) => r.added.push(p),
            FileRole::RemovedRequest(p) => r.removed.push(p.clone()),
            FileRole::AlteredRequest(p) => r.altered.push(p),
            FileRole::Policy(p) => r.policy.push(p),
            FileRole::Other(_) => {}
        }
    }
    r
}

/// The gate's one entry point: a decision for each request (or policy file) the PR adds,
/// each with its reasons, and the PR's decision, the worst of them.
pub fn decide(input: &GateInput<'_>) -> PrOutcome {
    if let Some(outcome) = untrusted_files(input.facts) {
        return outcome;
    }
    let changes = classify(&input.facts.files);
    let roles = roles(&changes);
    let mut diagnostics = Vec::new();
    let mut items: Vec<ItemOutcome> = roles
        .altered
        .iter()
        .map(|p| {
            invalid_item(
                p,
                vec![reason(
                    "request-modified",
                    "request files are immutable once merged: to change a request, revoke it and file a new one",
                )],
            )
        })
        .collect();
    match input.base {
        _ if !roles.added.is_empty() && !into_default_branch(input.facts) => {
            let why = not_default_branch(input.facts);
            for p in &roles.added {
                items.push(invalid_item(p, vec![why.clone()]));
            }
        }
        Err(invalid) => {
            let why = reason(
                "base-policy-invalid",
                format!(
                    "the base branch's policy does not validate, so nothing can be approved; fix it with `gitgrant check` first ({})",
                    invalid.summary()
                ),
            );
            for p in roles.added.iter().chain(roles.policy.iter()) {
                items.push(invalid_item(p, vec![why.clone()]));
            }
        }
        Ok(_) if !roles.added.is_empty() && !roles.policy.is_empty() => {
            let why = reason(
                "mixed-change",
                format!(
                    "this PR adds requests and also changes {}: split it, policy changes need their own review",
                    roles
                        .policy
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            for p in &roles.added {
                items.push(invalid_item(p, vec![why.clone()]));
            }
        }
        Ok(base) if !roles.added.is_empty() => {
            for p in &roles.added {
                items.push(decide_request(input, base, p, &mut diagnostics));
            }
        }
        Ok(base) if !roles.policy.is_empty() => {
            items.extend(decide_policy_change(input, base, &roles.policy, &mut diagnostics));
        }
        Ok(_) => {}
    }
    let decision = items.iter().map(|i| i.decision).max().unwrap_or(Decision::Approved);
    PrOutcome {
        decision,
        requests: items,
        removed: roles.removed,
        diagnostics,
    }
}

/// Whether the PR is into the repository's default branch; unknown is "no".
pub fn into_default_branch(facts: &PrFacts) -> bool {
    facts.default_branch.as_deref() == Some(facts.base_ref.as_str())
}

/// The reason a PR that is not into the default branch decides nothing (DESIGN 10.2).
pub fn not_default_branch(facts: &PrFacts) -> Reason {
    let message = match &facts.default_branch {
        Some(d) => format!(
            "this PR is into `{}`, not the default branch `{d}`: requests are decided only in PRs into the default branch",
            facts.base_ref
        ),
        None => format!(
            "this PR is into `{}` and the pull request does not say which branch is the default (`base.repo.default_branch`): requests are decided only in PRs into the default branch",
            facts.base_ref
        ),
    };
    reason("base-not-default-branch", message)
}

/// When the changed files cannot be trusted (the git diff disagrees with GitHub's list, or
/// could not be computed), every request and policy path either names is `invalid`; a PR
/// naming none still gets one `invalid` item, so it is never approved.
fn untrusted_files(facts: &PrFacts) -> Option<PrOutcome> {
    let (why, differing) = match &facts.files_source {
        FilesSource::Api | FilesSource::GitDiff => return None,
        FilesSource::Disagree(diffs) => (
            reason(
                "changed-files-disagree",
                format!(
                    "GitHub's list of the PR's changed files disagrees with the git diff of its commits ({}): nothing is decided on a list that cannot be trusted",
                    changed::summary(diffs)
                ),
            ),
            diffs.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        ),
        FilesSource::Unavailable(e) => (
            reason(
                "changed-files-unavailable",
                format!(
                    "the git diff of the PR cannot be computed, so GitHub's list of its changed files cannot be cross-checked: {e}"
                ),
            ),
            vec![],
        ),
    };
    let named: Vec<String> = facts
        .files
        .iter()
        .flat_map(|f| std::iter::once(f.filename.clone()).chain(f.previous_filename.clone()))
        .chain(differing)
        .collect();
    let mut paths: BTreeSet<&String> = named
        .iter()
        .filter(|p| p.starts_with(tree::REQUESTS_DIR) || tree::is_policy_path(p))
        .collect();
    let fallback = String::new();
    if paths.is_empty() {
        paths.insert(named.first().unwrap_or(&fallback));
    }
    Some(PrOutcome {
        decision: Decision::Invalid,
        requests: paths.into_iter().map(|p| invalid_item(p, vec![why.clone()])).collect(),
        removed: vec![],
        diagnostics: vec![],
    })
}

/// One added request: load it against the base policy, screen it (who asks, when, whether
/// the path was used before), then count its approvals.
fn decide_request(
    input: &GateInput<'_>,
    base: &PolicySet,
    path: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> ItemOutcome {
    let Some(entry) = input.head.file(path) else {
        return invalid_item(
            path,
            vec![reason(
                "head-file-missing",
                format!("`{path}` is not in the head commit"),
            )],
        );
    };
    let mut found = Vec::new();
    let loaded = load::request(path, entry, Some(base.directory()), &mut found);
    let mut reasons: Vec<Reason> = Vec::new();
    let mut eligibility = None;
    if let Some(r) = &loaded {
        let teams = Teams::of_login(&r.requester, input.facts.teams.iter());
        eligibility = check::check_request(r, base.view(), input.at, &teams, &mut found);
        reasons.extend(screen_request(r, eligibility.as_ref(), input));
    }
    reasons.extend(path_reuse(input.history.get(path), path));
    reasons.extend(stale(input.facts.created_at, input.at, base));
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
    match loaded.filter(|_| reasons.is_empty()) {
        Some(r) => count_approvals(input, base, path, r, eligibility.as_ref(), diagnostics),
        None => invalid_item(path, reasons),
    }
}

/// What makes a loaded request invalid whatever its approvals: asked by someone else,
/// starting before the PR was opened or already over, eligibility not determinable.
fn screen_request(r: &Request, eligibility: Option<&Eligibility>, input: &GateInput<'_>) -> Vec<Reason> {
    let facts = input.facts;
    let mut reasons = Vec::new();
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
    if let Some(Eligibility::Undetermined { teams, .. }) = eligibility {
        reasons.push(reason(
            "team-membership-unknown",
            format!(
                "eligibility depends on membership of {} which was not read",
                teams.join(", ")
            ),
        ));
    }
    reasons
}

/// A request decided (at the gate) or merged (re-decided from evidence) longer than the
/// policy's `pending_timeout` after its PR was opened is stale (DESIGN 10.8): an approval
/// from November does not grant in January.
pub fn stale(opened: DateTime<Utc>, decided: DateTime<Utc>, base: &PolicySet) -> Option<Reason> {
    let timeout = base.policy().settings.pending_timeout;
    (decided - opened > timeout.to_chrono()).then(|| {
        reason(
            "stale",
            format!(
                "the PR was opened {} and decided {}, more than pending_timeout ({timeout}) later: open a new PR with a new id",
                opened.to_rfc3339(),
                decided.to_rfc3339()
            ),
        )
    })
}

/// A request path is never reused; history that cannot be read fails closed.
fn path_reuse(history: Option<&PathHistory>, path: &str) -> Option<Reason> {
    match history {
        Some(PathHistory::Never) => None,
        Some(PathHistory::Existed(commit)) => Some(reason(
            "request-path-reused",
            format!(
                "`{path}` existed before (commit {}); request paths are never reused, pick a new id",
                approvals::short(commit)
            ),
        )),
        Some(PathHistory::Unknown(why)) => Some(reason(
            "history-unavailable",
            format!("cannot tell whether `{path}` was used before: {why}"),
        )),
        None => Some(reason(
            "history-unavailable",
            format!("the history of `{path}` was not looked up"),
        )),
    }
}

/// A request that passed screening: auto-approved, rejected, approved or pending by the
/// code owners' reviews that count.
fn count_approvals(
    input: &GateInput<'_>,
    base: &PolicySet,
    path: &str,
    r: Request,
    eligibility: Option<&Eligibility>,
    diagnostics: &mut Vec<Diagnostic>,
) -> ItemOutcome {
    let policy = base.policy();
    let (required, rules) = policy.required_approvals(&r.account_id, &r.account_ou, &r.permission_set);
    let approval_required = match eligibility {
        Some(Eligibility::Eligible { approval_required, .. }) => *approval_required,
        _ => true,
    };
    let emergency = matches!(eligibility, Some(Eligibility::Eligible { emergency: true, .. }));
    let excluded = Excluded::for_pr(input.facts, &r.requester);
    let owners = owners_of(base, path, diagnostics);
    let tally: Tally = approvals::tally(&owners, input.facts, &excluded, policy.settings.require_approval_note);
    let mut item = ItemOutcome {
        path: path.to_string(),
        id: r.id.clone(),
        decision: Decision::Pending,
        reasons: tally.notes.clone(),
        approved_by: tally.approved_by.clone(),
        can_approve: tally.can_approve.clone(),
        required_approvals: if approval_required { required } else { 0 },
        notes: Vec::new(),
        emergency_review_within: None,
        rejected_by: tally.rejected_by.clone(),
        request: Some(r),
    };
    let rules_allowing = match eligibility {
        Some(Eligibility::Eligible { rules, .. }) => rules.join(", "),
        _ => String::new(),
    };
    let (decision, why) = if emergency {
        item.emergency_review_within = Some(policy.settings.emergency_review_within);
        emergency_decision(&rules_allowing, &tally, policy.settings.emergency_review_within)
    } else if !approval_required {
        let why = format!("eligibility rule `{rules_allowing}` needs no approval; the grant is still recorded");
        (Decision::Approved, reason("auto-approved", why))
    } else {
        reviewed_decision(&tally, required, &rules)
    };
    item.decision = decision;
    if decision == Decision::Approved {
        item.can_approve.clear();
    }
    item.reasons.insert(0, why);
    if decision != Decision::Rejected
        && let Some(r) = &item.request
        && let Some(note) = session_note(base, r, input.at)
    {
        item.notes.push(note);
    }
    item
}

/// A break-glass request: approved without review unless a code owner objected before the
/// merge (a standing "request changes" stops break-glass too).
fn emergency_decision(
    rules: &str,
    tally: &Tally,
    within: crate::core::files::duration::HumaneDuration,
) -> (Decision, Reason) {
    if !tally.rejected_by.is_empty() {
        let why = format!(
            "code owner(s) {} requested changes to this break-glass request; a dismissed or new review lifts this",
            tally.rejected_by.join(", ")
        );
        return (Decision::Rejected, reason("changes-requested", why));
    }
    let why = format!(
        "break-glass under emergency rule `{rules}`: approved without review; code owners must review it within {within} of the merge (`/reviewed [note]` on the PR, or an approving review)"
    );
    (Decision::Approved, reason("emergency", why))
}

/// A request that needs review: rejected by a code owner's standing objection, approved by
/// enough counted approvals, else pending.
fn reviewed_decision(tally: &Tally, required: u32, rules: &[&str]) -> (Decision, Reason) {
    let n = tally.approved_by.len();
    if !tally.rejected_by.is_empty() {
        let why = format!(
            "code owner(s) {} requested changes; a dismissed or new review lifts this",
            tally.rejected_by.join(", ")
        );
        (Decision::Rejected, reason("changes-requested", why))
    } else if n as u32 >= required {
        let why = format!("{n} of {required} required code-owner approval(s)");
        (Decision::Approved, reason("approved", why))
    } else {
        let by = if rules.is_empty() {
            String::new()
        } else {
            format!(" (rule {})", rules.join(", "))
        };
        let why = format!("{n} of {required} required code-owner approval(s){by}");
        (Decision::Pending, reason("awaiting-approval", why))
    }
}

/// The pre-flight note that a session can outlive the window (issue 13 item 4): unless the
/// reconciler ends sessions at every window's end, a session started just before the end
/// lasts the permission set's session length past it.
fn session_note(base: &PolicySet, r: &Request, at: DateTime<Utc>) -> Option<Reason> {
    use crate::core::model::policy::EndSessions;
    use crate::core::reconcile::sessions::session_length;
    if base.policy().settings.end_sessions == EndSessions::AtEnd {
        return None;
    }
    let iso = base
        .directory()
        .permission_set(&r.permission_set)
        .and_then(|p| p.session_duration.clone())
        .unwrap_or_else(|| "PT12H".into());
    let length = session_length(&iso).unwrap_or(chrono::TimeDelta::hours(12));
    let end = r.start.unwrap_or(at).checked_add_signed(r.duration.to_chrono())?;
    let last = end.checked_add_signed(length)?;
    Some(reason(
        "session-outlives-window",
        format!(
            "a session started before the window ends at {} can last until {} ({} sessions last {iso}); set end_sessions = \"at-end\" to end it on time",
            end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            last.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            r.permission_set
        ),
    ))
}

/// The base CODEOWNERS' owners of a path, e-mail owners as the logins identities.toml
/// lists with that address; an address nobody is listed with is a warning (it cannot
/// approve), not an error.
fn owners_of(base: &PolicySet, path: &str, diagnostics: &mut Vec<Diagnostic>) -> Vec<Owner> {
    let (owners, unverified) = resolve_emails(base.codeowners().owners_of(path), base.identities());
    for e in unverified {
        diagnostics.push(
            Diagnostic::warning(
                "codeowners-email-unverified",
                format!("e-mail owner `{e}` of `{path}` cannot be verified: no login in policies/identities.toml has this address, so nobody can approve as this owner"),
            )
            .in_file(path),
        );
    }
    owners
}

/// A PR that changes policy files: the new policy must check clean, and each changed file
/// needs an approval from its code owners in the base CODEOWNERS (admins).
fn decide_policy_change(
    input: &GateInput<'_>,
    base: &PolicySet,
    paths: &[&str],
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
    let require_note = base.policy().settings.require_approval_note;
    let excluded = Excluded::for_pr(input.facts, &input.facts.author);
    paths
        .iter()
        .map(|p| {
            let owners = owners_of(base, p, diagnostics);
            let tally = approvals::tally(&owners, input.facts, &excluded, require_note);
            let mut item = ItemOutcome {
                path: p.to_string(),
                id: String::new(),
                decision: Decision::Pending,
                reasons: tally.notes.clone(),
                approved_by: tally.approved_by.clone(),
                can_approve: tally.can_approve.clone(),
                required_approvals: 1,
                notes: Vec::new(),
                emergency_review_within: None,
                rejected_by: Vec::new(),
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
