//! What should be granted: every request on the default branch, its approval evidence
//! re-verified (DESIGN 5: the PR that merged it, re-decided against its base commit's
//! policy, its merge on the default branch, the file byte-identical to what was approved)
//! and its eligibility under the current policy. A request without that evidence is
//! blocked, never granted; a faked `gitgrant` check grants nothing.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::core::reconcile::plan::Candidate;
use crate::core::diag::diagnostic::Diagnostic;
use crate::core::rules::eligibility::{self, Eligibility, Reason, Subject, Teams};
use crate::core::gate::facts::PrFacts;
use crate::core::gate::{self, Decision, GateInput};
use crate::adapters::git::Git;
use crate::core::ledger::Ledger;
use crate::core::files::load::{self, PolicySet};
use crate::core::model::request::Request;
use crate::core::gate::snapshot::Snapshot;

/// Where approval evidence comes from: the ledger's merge records first, then this.
pub trait EvidenceSource {
    /// The replay snapshot of the merged PR that added `path` (added by `commit`), if any.
    fn snapshot_for(&self, path: &str, commit: Option<&str>) -> Result<Option<Snapshot>, String>;
}

/// `--evidence DIR`: files `<pr-number>.json`, each a replay snapshot.
pub struct EvidenceDir {
    by_path: BTreeMap<String, Vec<Snapshot>>,
}

impl EvidenceDir {
    pub fn open(dir: &Path) -> Result<EvidenceDir, String> {
        let mut by_path: BTreeMap<String, Vec<Snapshot>> = BTreeMap::new();
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read evidence folder `{}`: {e}", dir.display()))?;
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            let snap = crate::app::pr::read_snapshot(&f)?;
            for file in &snap.files {
                if file.get("status").and_then(Value::as_str) == Some("added")
                    && let Some(name) = file.get("filename").and_then(Value::as_str)
                {
                    by_path.entry(name.to_string()).or_default().push(snap.clone());
                }
            }
        }
        Ok(EvidenceDir { by_path })
    }
}

impl EvidenceSource for EvidenceDir {
    fn snapshot_for(&self, path: &str, commit: Option<&str>) -> Result<Option<Snapshot>, String> {
        let Some(list) = self.by_path.get(path) else {
            return Ok(None);
        };
        let is_merged = |s: &&Snapshot| s.pull_request.get("merged").and_then(Value::as_bool) == Some(true);
        let by_commit = commit.and_then(|c| {
            list.iter()
                .filter(is_merged)
                .find(|s| s.pull_request.get("merge_commit_sha").and_then(Value::as_str) == Some(c))
        });
        // prefer the merge that added this file, then any merged PR, then whatever there is
        // (an unmerged one is then reported as such)
        let pick = by_commit
            .or_else(|| list.iter().rfind(is_merged))
            .or_else(|| list.last());
        Ok(pick.cloned())
    }
}

/// No evidence anywhere but the ledger.
pub struct NoEvidence;

impl EvidenceSource for NoEvidence {
    fn snapshot_for(&self, _path: &str, _commit: Option<&str>) -> Result<Option<Snapshot>, String> {
        Ok(None)
    }
}

pub struct Desired {
    pub candidates: Vec<Candidate>,
    /// False when the default branch's policy or requests could not be read.
    pub readable: bool,
    pub diagnostics: Vec<Diagnostic>,
    pub policy: PolicySet,
}

fn reason(code: &'static str, message: impl Into<String>) -> Reason {
    Reason {
        code,
        message: message.into(),
    }
}

/// Reads the default branch at `main` and verifies every request on it.
pub fn desired(git: &Git, main: &str, ledger: &Ledger, evidence: &dyn EvidenceSource, at: DateTime<Utc>) -> Desired {
    let mut diagnostics = Vec::new();
    let tree = match git.read_tree(main, &["policies", ".github/CODEOWNERS", "requests"]) {
        Ok(t) => t,
        Err(e) => {
            diagnostics.push(Diagnostic::error(
                "internal",
                format!("cannot read the default branch: {e}"),
            ));
            return Desired {
                candidates: vec![],
                readable: false,
                diagnostics,
                policy: PolicySet::default(),
            };
        }
    };
    let policy = load::policy_set(&tree, &mut diagnostics);
    if !policy.is_complete() || diagnostics.iter().any(Diagnostic::is_error) {
        return Desired {
            candidates: vec![],
            readable: false,
            diagnostics,
            policy,
        };
    }
    let merged_by = ledger.merged_by();
    let mut candidates = Vec::new();
    for (path, entry) in tree.requests() {
        let mut found = Vec::new();
        let Some(request) = load::request(path, entry, policy.directory.as_ref(), &mut found) else {
            // a file that does not load is not a grant; `check` reports it
            diagnostics.extend(found);
            continue;
        };
        diagnostics.extend(found);
        let snapshot = match merged_by.get(path.as_str()).and_then(|e| e.evidence.clone()) {
            Some(v) => serde_json::from_value::<Snapshot>(v)
                .map(Some)
                .map_err(|e| format!("the ledger's evidence for `{path}` is not a snapshot: {e}")),
            None => evidence.snapshot_for(path, git.added_in(main, path).as_deref()),
        };
        let mut blocked = Vec::new();
        let mut start = request.start;
        let mut teams = Teams::Unknown;
        match snapshot {
            Err(e) => blocked.push(reason("evidence-unreadable", e)),
            Ok(None) => blocked.push(reason(
                "no-approved-pr",
                "no merged pull request is known for this file: a request pushed straight to the default branch is never granted",
            )),
            Ok(Some(snap)) => match verify(git, main, path, &snap, &tree) {
                Ok((merged_at, facts)) => {
                    start = start.or(Some(merged_at));
                    teams = Teams::of_login(&request.requester, facts.teams.iter());
                }
                Err(mut reasons) => blocked.append(&mut reasons),
            },
        }
        if blocked.is_empty() {
            blocked.extend(still_eligible(&request, &policy, &teams));
        }
        let start = start.unwrap_or(at);
        candidates.push(Candidate {
            path: path.clone(),
            id: request.id.clone(),
            requester: request.requester.clone(),
            user_name: policy.identities.as_ref().and_then(|i| i.user_name(&request.requester)),
            account_id: request.account_id.clone(),
            account_name: request.account_name.clone(),
            permission_set: request.permission_set.clone(),
            start,
            end: start + request.duration.to_chrono(),
            blocked,
        });
    }
    Desired {
        candidates,
        readable: true,
        diagnostics,
        policy,
    }
}

/// Re-verifies a merged PR's evidence for one request file. Returns when it was merged.
fn verify(
    git: &Git,
    main: &str,
    path: &str,
    snap: &Snapshot,
    main_tree: &crate::core::files::tree::Tree,
) -> Result<(DateTime<Utc>, PrFacts), Vec<Reason>> {
    let facts = PrFacts::from_snapshot(snap).map_err(|e| vec![reason("evidence-unreadable", e.to_string())])?;
    if !facts.merged {
        return Err(vec![reason(
            "evidence-not-merged",
            format!("pull request #{} was not merged", facts.number),
        )]);
    }
    let merged_at = snap
        .pull_request
        .get("merged_at")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| {
            vec![reason(
                "evidence-unreadable",
                format!("pull request #{} has no merged_at", facts.number),
            )]
        })?;
    match &facts.merge_commit_sha {
        Some(m) if git.is_ancestor(m, main) => {}
        Some(m) => {
            return Err(vec![reason(
                "merge-not-on-default-branch",
                format!(
                    "merge commit {} of #{} is not on the default branch",
                    crate::core::gate::approvals::short(m),
                    facts.number
                ),
            )]);
        }
        None => {
            return Err(vec![reason(
                "merge-not-on-default-branch",
                format!("pull request #{} has no merge commit", facts.number),
            )]);
        }
    }
    let approved_bytes = git.blob_at(&facts.head_sha, path);
    let main_bytes = match main_tree.file(path) {
        Some(crate::core::files::tree::Entry::File(b)) => Some(b.clone()),
        _ => None,
    };
    if approved_bytes.is_none() || approved_bytes != main_bytes {
        return Err(vec![reason(
            "file-changed-after-approval",
            format!(
                "the file on the default branch differs from the one approved in #{} (head {})",
                facts.number,
                crate::core::gate::approvals::short(&facts.head_sha)
            ),
        )]);
    }
    // re-decide the PR as the gate would have, against its own base commit's policy
    let base_tree = git
        .read_tree(&facts.base_sha, &crate::app::pr::POLICY_PATHS)
        .map_err(|e| vec![reason("evidence-unreadable", e.to_string())])?;
    let head_tree = git
        .read_tree(&facts.head_sha, &[path])
        .map_err(|e| vec![reason("evidence-unreadable", e.to_string())])?;
    let mut diags = Vec::new();
    let base = load::policy_set(&base_tree, &mut diags);
    let history: BTreeMap<String, gate::PathHistory> =
        [(path.to_string(), git.path_history(&facts.base_sha, path))].into();
    let outcome = gate::decide(&GateInput {
        base: &base,
        head: &head_tree,
        facts: &facts,
        history: &history,
        at: merged_at,
    });
    match outcome.requests.iter().find(|i| i.path == path) {
        Some(item) if item.decision == Decision::Approved && outcome.decision == Decision::Approved => {
            Ok((merged_at, facts))
        }
        Some(item) => {
            let mut r = vec![reason(
                "not-approved",
                format!("re-deciding #{} gives `{}`", facts.number, item.decision.as_str()),
            )];
            r.extend(
                item.reasons
                    .iter()
                    .filter(|x| !matches!(x.code, "awaiting-approval" | "approved"))
                    .cloned(),
            );
            Err(r)
        }
        None => Err(vec![reason(
            "not-approved",
            format!("pull request #{} does not add this file", facts.number),
        )]),
    }
}

/// The request under the current policy: still eligible, within limits.
fn still_eligible(r: &Request, policy: &PolicySet, teams: &Teams) -> Vec<Reason> {
    let (Some(p), Some(ids), Some(dir)) = (&policy.policy, &policy.identities, &policy.directory) else {
        return vec![reason("base-policy-invalid", "the current policy did not load")];
    };
    let subject = Subject {
        requester: &r.requester,
        account_id: &r.account_id,
        account_ou: &r.account_ou,
        permission_set: &r.permission_set,
        duration: r.duration,
    };
    match eligibility::evaluate(p, ids, dir, teams, &subject) {
        Eligibility::Eligible { .. } => vec![],
        Eligibility::Undetermined { teams, .. } => vec![reason(
            "team-membership-unknown",
            format!("eligibility depends on {} which was not read", teams.join(", ")),
        )],
        Eligibility::NotEligible { reasons } => {
            let mut out = vec![reason(
                "no-longer-eligible",
                "the current policy no longer allows this request",
            )];
            out.extend(reasons);
            out
        }
    }
}
