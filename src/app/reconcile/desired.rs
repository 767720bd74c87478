//! What should be granted: every request on the default branch, its approval evidence
//! re-verified (DESIGN 5: the PR that merged it, re-decided against its base commit's
//! policy, its merge on the default branch, the file byte-identical to what was approved)
//! and its eligibility under the current policy. A request without that evidence is
//! blocked, never granted; a faked `gitgrant` check grants nothing.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::adapters::git::Git;
use crate::core::diag::diagnostic::Diagnostic;
use crate::core::files::load::{self, PolicySet};
use crate::core::files::tree::{Entry, Tree};
use crate::core::gate::PathHistory;
use crate::core::gate::evidence::{self, EvidenceCheck, EvidenceVerdict};
use crate::core::gate::facts::PrFacts;
use crate::core::gate::snapshot::Snapshot;
use crate::core::ledger::Ledger;
use crate::core::model::request::Request;
use crate::core::reconcile::plan::Candidate;
use crate::core::rules::eligibility::{self, Eligibility, Reason, Subject, Teams};

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
    /// The default branch's policy, when it validates.
    pub policy: Option<PolicySet>,
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
    let unreadable = |diagnostics| Desired {
        candidates: vec![],
        readable: false,
        diagnostics,
        policy: None,
    };
    let tree = match git.read_tree(main, &crate::core::files::tree::POLICY_TREE) {
        Ok(t) => t,
        Err(e) => {
            diagnostics.push(Diagnostic::error(
                "internal",
                format!("cannot read the default branch: {e}"),
            ));
            return unreadable(diagnostics);
        }
    };
    let Ok(policy) = load::policy_set(&tree, &mut diagnostics) else {
        return unreadable(diagnostics);
    };
    let merged_by = ledger.merged_by();
    let mut candidates = Vec::new();
    for (path, entry) in tree.requests() {
        let mut found = Vec::new();
        let request = load::request(path, entry, Some(policy.directory()), &mut found);
        // a file that does not load is not a grant; `check` reports it
        diagnostics.extend(found);
        let Some(request) = request else {
            continue;
        };
        let snapshot = match merged_by.get(path.as_str()).and_then(|e| e.evidence.clone()) {
            Some(v) => serde_json::from_value::<Snapshot>(v)
                .map(Some)
                .map_err(|e| format!("the ledger's evidence for `{path}` is not a snapshot: {e}")),
            None => evidence.snapshot_for(path, git.added_in(main, path).as_deref()),
        };
        candidates.push(candidate(git, main, &tree, &policy, path, request, snapshot, at));
    }
    Desired {
        candidates,
        readable: true,
        diagnostics,
        policy: Some(policy),
    }
}

/// One request on the default branch as a candidate grant: blocked unless its evidence
/// verifies and the current policy still allows it.
#[allow(clippy::too_many_arguments)]
fn candidate(
    git: &Git,
    main: &str,
    tree: &Tree,
    policy: &PolicySet,
    path: &str,
    request: Request,
    snapshot: Result<Option<Snapshot>, String>,
    at: DateTime<Utc>,
) -> Candidate {
    let mut blocked = Vec::new();
    let mut start = request.start;
    let mut teams = Teams::Unknown;
    match snapshot {
        Err(e) => blocked.push(reason("evidence-unreadable", e)),
        Ok(None) => blocked.push(reason(
            "no-approved-pr",
            "no merged pull request is known for this file: a request pushed straight to the default branch is never granted",
        )),
        Ok(Some(snap)) => match verify(git, main, path, &snap, tree) {
            Ok((merged_at, facts)) => {
                start = start.or(Some(merged_at));
                teams = Teams::of_login(&request.requester, facts.teams.iter());
            }
            Err(mut reasons) => blocked.append(&mut reasons),
        },
    }
    if blocked.is_empty() {
        blocked.extend(still_eligible(&request, policy, &teams));
    }
    let start = start.unwrap_or(at);
    Candidate {
        path: path.to_string(),
        id: request.id.clone(),
        requester: request.requester.clone(),
        user_name: policy.identities().user_name(&request.requester),
        account_id: request.account_id.clone(),
        account_name: request.account_name.clone(),
        permission_set: request.permission_set.clone(),
        start,
        end: start + request.duration.to_chrono(),
        blocked,
    }
}

/// Re-verifies a merged PR's evidence for one request file with the one evidence verifier
/// (`core::gate::evidence`), reading what it needs from git. Returns when it was merged.
fn verify(
    git: &Git,
    main: &str,
    path: &str,
    snap: &Snapshot,
    main_tree: &Tree,
) -> Result<(DateTime<Utc>, PrFacts), Vec<Reason>> {
    let parsed = evidence::parse_snapshot(snap).map_err(|r| vec![r])?;
    let f = &parsed.facts;
    let unreadable = |e: crate::adapters::git::GitError| vec![reason("evidence-unreadable", e.to_string())];
    let added = evidence::added_requests(f);
    let added_paths: Vec<&str> = added.iter().map(String::as_str).collect();
    let head = match git.commit_exists(&f.head_sha) {
        true => Some(git.read_tree(&f.head_sha, &added_paths).map_err(unreadable)?),
        false => None,
    };
    let base = match git.commit_exists(&f.base_sha) {
        true => {
            let tree = git
                .read_tree(&f.base_sha, &crate::core::files::tree::TRUSTED_FILES)
                .map_err(unreadable)?;
            Some(load::policy_set(&tree, &mut Vec::new()))
        }
        false => None,
    };
    let history: BTreeMap<String, PathHistory> = added
        .iter()
        .map(|p| (p.clone(), git.path_history(&f.base_sha, p)))
        .collect();
    let branch_file = match main_tree.file(path) {
        Some(Entry::File(b)) => Some(b.as_slice()),
        _ => None,
    };
    let verdict = evidence::verify(&EvidenceCheck {
        path,
        expected_pr: None,
        evidence: &parsed,
        merge_on_branch: f.merge_commit_sha.as_deref().is_some_and(|m| git.is_ancestor(m, main)),
        branch_file,
        head: head.as_ref(),
        base: base.as_ref(),
        history: &history,
    });
    match verdict {
        EvidenceVerdict::Verified { merged_at, .. } => Ok((merged_at, parsed.facts)),
        EvidenceVerdict::Refused { reasons, .. } | EvidenceVerdict::Unverifiable(reasons) => Err(reasons),
    }
}

/// The request under the current policy: still eligible, within limits.
fn still_eligible(r: &Request, policy: &PolicySet, teams: &Teams) -> Vec<Reason> {
    let subject = Subject {
        requester: &r.requester,
        account_id: &r.account_id,
        account_ou: &r.account_ou,
        permission_set: &r.permission_set,
        duration: r.duration,
    };
    match eligibility::evaluate(
        policy.policy(),
        policy.identities(),
        policy.directory(),
        teams,
        &subject,
    ) {
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
