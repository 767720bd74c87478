//! `gitgrant pr`: gathers a pull request's inputs (a replay snapshot, or GitHub's API via
//! the event), reads the base policy and the head's files from git, decides with the pure
//! gate, and renders the decision.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::adapters::git::{Git, GitError};
use crate::core::files::tree::{self, Tree};
use crate::core::gate::facts::{FileChange, PrFacts};
use crate::core::gate::ledger_events::{self, Push};
use crate::core::gate::snapshot::Snapshot;
use crate::core::gate::{self, FileRole, PrOutcome};
use crate::core::ledger::Ledger;

/// Everything a decision was made from, kept for rendering and recording.
pub struct Evaluated {
    pub outcome: PrOutcome,
    pub head: Tree,
    pub base: Tree,
    pub facts: PrFacts,
}

/// Fills the snapshot's pushers (DESIGN 10.6): the ledger's `pushed` events for the PR
/// (when the ledger was read) and the push of the current event, added to any the snapshot
/// already records. An event about another PR than the snapshot's is an operational error.
pub fn add_pushers(snapshot: &mut Snapshot, ledger: Option<&Ledger>, push: Option<&Push>) -> Result<(), String> {
    let number = snapshot
        .pull_request
        .get("number")
        .and_then(|n| n.as_u64())
        .ok_or("snapshot field `pull_request/number` is missing or not a number")?;
    if let Some(p) = push
        && p.pr != number
    {
        return Err(format!(
            "the event is a push to PR #{} but the snapshot is of PR #{number}",
            p.pr
        ));
    }
    let mut all = ledger_events::pushers(ledger.unwrap_or(&Ledger::default()), number, push);
    all.extend(snapshot.pushers.iter().map(|l| l.to_ascii_lowercase()));
    all.sort();
    all.dedup();
    snapshot.pushers = all;
    Ok(())
}

/// The ledger as the gate reads it (fetched from origin when there is one).
pub fn read_ledger(repo: &Path) -> Result<Ledger, String> {
    let git = Git::open(repo).map_err(|e| e.to_string())?;
    git.fetch_ledger().map_err(|e| e.to_string())?;
    git.read_ledger().map_err(|e| e.to_string())
}

/// Reads a snapshot file; malformed files are operational errors.
pub fn read_snapshot(path: &Path) -> Result<Snapshot, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read snapshot `{}`: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("snapshot `{}` is not valid: {e}", path.display()))
}

/// Decides a pull request from its snapshot and the local repository.
pub fn evaluate(repo: &Path, snapshot: &Snapshot, at: DateTime<Utc>) -> Result<Evaluated, String> {
    let mut facts = PrFacts::from_snapshot(snapshot).map_err(|e| e.to_string())?;
    let git = Git::open(repo).map_err(|e| e.to_string())?;
    facts.use_git_diff(changed_files(&git, &facts)?);
    let base = git
        .read_tree(&facts.base_sha, &tree::TRUSTED_FILES)
        .map_err(|e| e.to_string())?;
    let changes = gate::classify(&facts.files);
    let added: Vec<&str> = changes
        .iter()
        .filter_map(|c| match c {
            FileRole::AddedRequest(p) => Some(p.as_str()),
            _ => None,
        })
        .collect();
    let policy_change = changes.iter().any(|c| matches!(c, FileRole::Policy(_)));
    // A policy PR is checked as a whole tree; a request PR needs only the files it adds.
    let head_paths: Vec<&str> = if policy_change {
        tree::POLICY_TREE.to_vec()
    } else {
        added.clone()
    };
    let head = git.read_tree(&facts.head_sha, &head_paths).map_err(|e| e.to_string())?;
    let mut history = BTreeMap::new();
    for p in &added {
        history.insert(p.to_string(), git.path_history(&facts.base_sha, p));
    }
    let outcome = gate::decide_on_base_files(&base, &head, &facts, &history, at);
    Ok(Evaluated {
        outcome,
        head,
        base,
        facts,
    })
}

/// The git diff of the PR, the list the gate decides on. A commit missing from the
/// repository is an operational error; a diff that cannot be computed otherwise (no merge
/// base in a shallow clone) is for the gate to refuse.
fn changed_files(git: &Git, facts: &PrFacts) -> Result<Result<Vec<FileChange>, String>, String> {
    match git.changed_files(&facts.base_sha, &facts.head_sha) {
        Ok(files) => Ok(Ok(files)),
        Err(e @ GitError::MissingCommit(_)) => Err(e.to_string()),
        Err(e) => Ok(Err(e.to_string())),
    }
}

/// File texts for rendering diagnostics: head files first, then base files.
pub struct EvaluatedSources<'a>(pub &'a Evaluated);

impl crate::core::diag::render::Sources for EvaluatedSources<'_> {
    fn text(&self, path: &str) -> Option<&str> {
        self.0.head.text(path).or_else(|| self.0.base.text(path))
    }
}

/// The GitHub teams whose members the decision depends on: team principals of the rules
/// that cover each added request's account and permission set, and team owners of every
/// changed path in the base CODEOWNERS. Only these are read from the API.
pub fn teams_needed(
    base: &crate::core::files::load::PolicyFiles,
    files: &[crate::core::gate::facts::FileChange],
) -> std::collections::BTreeSet<String> {
    use crate::core::model::codeowners::Owner;
    use crate::core::model::policy::Principal;
    use crate::core::model::request::RequestPath;
    let mut teams = std::collections::BTreeSet::new();
    for f in files {
        if let Some(co) = &base.codeowners {
            for o in co.owners_of(&f.filename) {
                if let Owner::Team(t) = o {
                    teams.insert(t);
                }
            }
        }
        let (Ok(p), Some(policy), Some(dir)) = (RequestPath::parse(&f.filename), &base.policy, &base.directory) else {
            continue;
        };
        let Some(account) = dir.account(&p.account) else {
            continue;
        };
        for rule in &policy.eligibility {
            if rule.targets.covers_account(&account.id, &account.ou)
                && rule.targets.covers_permission_set(&p.permission_set)
            {
                for pr in &rule.principals {
                    if let Principal::Team(t) = pr {
                        teams.insert(t.clone());
                    }
                }
            }
        }
    }
    teams
}
