//! `gitgrant pr`: gathers a pull request's inputs (a replay snapshot, or GitHub's API via
//! the event), reads the base policy and the head's files from git, decides with the pure
//! gate, and renders the decision.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::adapters::git::{Git, GitError};
use crate::app::error::AppError;
use crate::core::files::load;
use crate::core::files::tree::{self, Tree};
use crate::core::gate::facts::{FileChange, PrFacts};
use crate::core::gate::ledger_events::{self, Push};
use crate::core::gate::record::{self, ApprovalRecord, RecordInput};
use crate::core::gate::snapshot::Snapshot;
use crate::core::gate::{self, FileRole, PathHistory, PrOutcome};
use crate::core::ledger::Ledger;

/// Everything a decision was made from, kept for rendering and recording.
pub struct Evaluated {
    /// The decision; for a merged PR, the stricter of its base policy's and the default
    /// branch's policy at the merge's first parent (DESIGN 10.3).
    pub outcome: PrOutcome,
    /// For a merged, approved PR: the approval record of each request it added.
    pub records: Vec<ApprovalRecord>,
    pub head: Tree,
    pub base: Tree,
    pub facts: PrFacts,
    /// The `indexed` event of the default branch's commits this evaluation indexed (the
    /// ledger's index extended through the base), for `--ledger` to append.
    pub index_event: Option<crate::core::ledger::Event>,
    /// The base policy's `[[notify]]` targets (what `--ledger` announces to).
    pub notify: Vec<crate::core::model::notify::NotifyTarget>,
}

/// Fills the snapshot's pushers (DESIGN 10.6): the ledger's `pushed` events for the PR
/// (when the ledger was read) and the push of the current event, added to any the snapshot
/// already records. An event about another PR than the snapshot's is an operational error.
pub fn add_pushers(snapshot: &mut Snapshot, ledger: Option<&Ledger>, push: Option<&Push>) -> Result<(), AppError> {
    let events = ledger.map(|l| l.events.as_slice()).unwrap_or_default();
    add_pushers_among(snapshot, events.iter(), push)
}

/// As [`add_pushers`], with the ledger events that may be the PR's pushes
/// (`Lookup::pushes_of`, or all of them).
pub fn add_pushers_among<'a>(
    snapshot: &mut Snapshot,
    events: impl Iterator<Item = &'a crate::core::ledger::Event>,
    push: Option<&Push>,
) -> Result<(), AppError> {
    let number = snapshot
        .pull_request
        .get("number")
        .and_then(|n| n.as_u64())
        .ok_or(AppError::SnapshotWithoutNumber)?;
    if let Some(p) = push
        && p.pr != number
    {
        return Err(AppError::PushOfOtherPr {
            event: p.pr,
            snapshot: number,
        });
    }
    let mut all = ledger_events::pushers_among(events, number, push);
    all.extend(snapshot.pushers.iter().map(|l| l.to_ascii_lowercase()));
    all.sort();
    all.dedup();
    snapshot.pushers = all;
    Ok(())
}

/// The ledger as the gate reads it (fetched from origin when there is one).
pub fn read_ledger(repo: &Path) -> Result<Ledger, AppError> {
    Ok(read_ledger_at_tip(repo)?.0)
}

/// The ledger as [`read_ledger`] reads it, and the tip it was read at (`None`: no ledger
/// yet), so that a later step can tell whether it is still the ledger's latest.
pub fn read_ledger_at_tip(repo: &Path) -> Result<(Ledger, Option<String>), AppError> {
    let git = Git::open(repo)?;
    git.fetch_ledger()?;
    let tip = git.ledger_tip();
    Ok((git.read_ledger()?, tip))
}

/// Reads a snapshot file; malformed files are operational errors.
pub fn load_snapshot(path: &Path) -> Result<Snapshot, AppError> {
    let text = std::fs::read_to_string(path).map_err(|source| AppError::ReadSnapshot {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| AppError::BadSnapshot {
        path: path.to_path_buf(),
        source,
    })
}

/// As [`load_snapshot`], the error as text (for `app::reconcile`, whose errors are text).
pub fn read_snapshot(path: &Path) -> Result<Snapshot, String> {
    load_snapshot(path).map_err(|e| e.to_string())
}

/// Decides a pull request from its snapshot and the local repository. With the ledger, whether
/// an added path was used before is read from its index (DESIGN 11); without, from git.
pub fn evaluate(
    repo: &Path,
    snapshot: &Snapshot,
    ledger: Option<&Ledger>,
    at: DateTime<Utc>,
) -> Result<Evaluated, AppError> {
    let mut facts = PrFacts::from_snapshot(snapshot)?;
    let git = Git::open(repo)?;
    facts.use_git_diff(changed_files(&git, &facts)?);
    let base = git.read_tree(&facts.base_sha, &tree::TRUSTED_FILES)?;
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
    let head = git.read_tree(&facts.head_sha, &head_paths)?;
    let (history, index_event) = match ledger {
        Some(l) => crate::app::index::gate_history(
            &git,
            l,
            &facts.base_sha,
            facts.merge_commit_sha.as_deref().filter(|_| facts.merged),
            &added,
            at,
        ),
        None => {
            // without the ledger's index, git's own history answers: all of it (DESIGN 11)
            let _ = git.unshallow(&[&facts.base_sha]);
            let history: BTreeMap<String, PathHistory> = added
                .iter()
                .map(|p| (p.to_string(), git.path_history(&facts.base_sha, p)))
                .collect();
            (history, None)
        }
    };
    let loaded = gate::LoadedBase::load(&base);
    let outcome = gate::decide_on_loaded(&loaded, &head, &facts, &history, at);
    let (outcome, records) = match facts.merged {
        true => {
            let merged_at = gate::evidence::parse_snapshot(snapshot)
                .ok()
                .and_then(|e| e.merged_at)
                .unwrap_or(at);
            // decided as the PR stood at the merge: later reviews are not approvals of it
            let then = gate::evidence::at_merge_time(&facts, merged_at);
            let outcome = gate::decide_on_loaded(&loaded, &head, &then, &history, at);
            at_merge(&git, &then, &loaded, &head, &history, outcome, merged_at)
        }
        false => (outcome, vec![]),
    };
    let notify = notify_targets(&loaded, &base);
    Ok(Evaluated {
        outcome,
        records,
        head,
        base,
        facts,
        index_event,
        notify,
    })
}

/// Where the base policy announces ledger events (`[[notify]]`): from the loaded policy, or,
/// when another base file has an error, from `policies/access.toml` as far as it loads.
fn notify_targets(loaded: &gate::LoadedBase, base: &Tree) -> Vec<crate::core::model::notify::NotifyTarget> {
    match &loaded.policy {
        Ok(set) => set.policy().notify.clone(),
        Err(_) => load::policy_files(base, &mut Vec::new())
            .policy
            .map(|p| p.notify)
            .unwrap_or_default(),
    }
}

/// A merged PR decided again against the default branch's policy at the merge's first
/// parent (the stricter wins), and its approval records. A merge commit or parent that
/// cannot be read makes every request invalid: no record is written without both policies.
fn at_merge(
    git: &Git,
    facts: &PrFacts,
    base: &gate::LoadedBase,
    head: &Tree,
    history: &BTreeMap<String, PathHistory>,
    outcome: PrOutcome,
    merged_at: DateTime<Utc>,
) -> (PrOutcome, Vec<ApprovalRecord>) {
    let merge = facts.merge_commit_sha.as_deref().unwrap_or_default();
    let parent = git.fetched_first_parent(merge);
    let parent_tree = parent
        .as_deref()
        .and_then(|p| git.read_tree(p, &tree::TRUSTED_FILES).ok());
    let (Some(parent), Some(parent_tree)) = (parent, parent_tree) else {
        let why = format!(
            "the merge commit `{merge}` or its first parent is not in the repository, so the default branch's policy at the merge cannot be read"
        );
        return (record::unreadable_at_merge(outcome, &why), vec![]);
    };
    let at_merge = gate::decide_on_base_files(&parent_tree, head, facts, history, merged_at);
    let outcome = record::stricter(outcome, at_merge);
    let blobs: BTreeMap<String, String> = outcome
        .requests
        .iter()
        .filter_map(|i| Some((i.path.clone(), git.blob_id(&facts.head_sha, &i.path)?)))
        .collect();
    let Ok(policy) = &base.policy else {
        return (outcome, vec![]);
    };
    let records = record::records(&RecordInput {
        facts,
        outcome: &outcome,
        blobs: &blobs,
        identities: policy.identities(),
        merged_at,
        policy_commits: &[facts.base_sha.clone(), parent],
    });
    (outcome, records)
}

/// The default branch's tip in the clone: `repository.default_branch` of the PR's base
/// (else `main`), as `refs/remotes/origin/<name>` then `refs/heads/<name>`, exactly.
fn default_branch_tip(git: &Git, snapshot: &Snapshot) -> Option<String> {
    let branch = snapshot
        .pull_request
        .pointer("/base/repo/default_branch")
        .and_then(|v| v.as_str())
        .unwrap_or("main");
    [format!("refs/remotes/origin/{branch}"), format!("refs/heads/{branch}")]
        .into_iter()
        .find_map(|r| git.resolve_branch(&r).ok().map(|c| c.into_string()))
}

/// The CODEOWNERS that decides who may `/revoke` (a code owner of the request, or an owner
/// of `policies/access.toml`): the default branch's, never the base of the PR the comment
/// is on, which for a PR into a side branch anyone with write access can edit. `None` when
/// the default branch or its CODEOWNERS cannot be read (nobody is authorized).
pub fn revoke_codeowners(git: &Git, snapshot: &Snapshot) -> Option<crate::core::model::codeowners::CodeOwners> {
    let main = default_branch_tip(git, snapshot)?;
    let tree = git.read_tree(&main, &tree::TRUSTED_FILES).ok()?;
    load::policy_files(&tree, &mut Vec::new()).codeowners
}

/// Who requested each request path the PR lists, for `/revoke` authority (DESIGN 10.5):
/// read from the merged request, never from the PR's head. First the file on the default
/// branch (`repository.default_branch` of the PR's base, else `main`, as
/// `refs/remotes/origin/<name>` or `refs/heads/<name>`), then the ledger's `requested`
/// event of the PR that merged it. A path that was never merged has no requester: only a
/// code owner or an admin may revoke it (its author can close the PR). Unknown is "".
/// The `requester` of each request file the PR deletes, as the file stands at the PR's base
/// (`None`: unreadable, or without a requester).
pub fn deleted_requesters(git: &Git, facts: &PrFacts) -> BTreeMap<String, Option<String>> {
    gate::classify(&facts.files)
        .into_iter()
        .filter_map(|c| match c {
            FileRole::RemovedRequest(p) => Some(p),
            _ => None,
        })
        .map(|path| {
            let requester = git
                .blob_at(&facts.base_sha, &path)
                .and_then(|b| toml::from_str::<toml::Table>(&String::from_utf8_lossy(&b)).ok())
                .and_then(|t| t.get("requester").and_then(|v| v.as_str()).map(str::to_string));
            (path, requester)
        })
        .collect()
}

pub fn merged_requesters(
    git: &Git,
    snapshot: &Snapshot,
    facts: &PrFacts,
    ledger: &crate::core::ledger::Ledger,
) -> Vec<(String, String)> {
    let main = default_branch_tip(git, snapshot);
    let merged_by = ledger.merged_by();
    gate::classify(&facts.files)
        .into_iter()
        .filter_map(|c| match c {
            FileRole::AddedRequest(p) => Some(p),
            _ => None,
        })
        .map(|path| {
            let from_branch = main
                .as_deref()
                .and_then(|m| git.blob_at(m, &path))
                .and_then(|b| toml::from_str::<toml::Table>(&String::from_utf8_lossy(&b)).ok())
                .and_then(|t| t.get("requester").and_then(|v| v.as_str()).map(str::to_string));
            let from_ledger = || {
                let pr = merged_by.get(&path)?.pr?;
                ledger
                    .events
                    .iter()
                    .find(|e| {
                        e.kind == Some(crate::core::ledger::Kind::Requested)
                            && e.pr == Some(pr)
                            && e.request.as_deref() == Some(path.as_str())
                    })
                    .and_then(|e| e.actor.clone())
            };
            let who = from_branch.or_else(from_ledger).unwrap_or_default();
            (path, who)
        })
        .collect()
}

/// The git diff of the PR, the list the gate decides on. A commit missing from the
/// repository is an operational error; a diff that cannot be computed otherwise (no merge
/// base in a shallow clone) is for the gate to refuse.
fn changed_files(git: &Git, facts: &PrFacts) -> Result<Result<Vec<FileChange>, String>, AppError> {
    match git.changed_files(&facts.base_sha, &facts.head_sha) {
        Ok(files) => Ok(Ok(files)),
        Err(e @ GitError::MissingCommit(_)) => Err(AppError::Git(e)),
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

/// The break-glass reviews after the fact (issue 13 item 2) that this run adds: a
/// `reviewed` event for each approving review of a code owner of a break-glass grant of the
/// PR not yet recorded, and for a `/reviewed [note]` comment, the comment's. Authority comes
/// from the default branch's CODEOWNERS, as for `/revoke`. `Err` says why a `/reviewed`
/// comment was refused (nothing of the comment is recorded then).
pub fn post_reviews(
    git: &Git,
    snapshot: &Snapshot,
    evaluated: &Evaluated,
    existing: &Ledger,
    comment: Option<&crate::core::gate::ledger_events::RevokeComment>,
    at: DateTime<Utc>,
) -> (Vec<crate::core::ledger::Event>, Option<String>) {
    use crate::core::emergency;
    use crate::core::ledger::Kind;
    let pr = evaluated.facts.number;
    let mut records: Vec<&ApprovalRecord> = Vec::new();
    for r in existing
        .events
        .iter()
        .filter(|e| e.kind == Some(Kind::Merged) && e.pr == Some(pr))
        .flat_map(|e| e.records.iter())
        .chain(evaluated.records.iter())
        .filter(|r| r.emergency_review_due.is_some() && r.pr == pr)
    {
        if !records.iter().any(|k| k.path == r.path) {
            records.push(r);
        }
    }
    let wants_review = comment.is_some_and(|c| emergency::parse_reviewed(&c.body).is_some());
    if records.is_empty() && !wants_review {
        return (vec![], None);
    }
    let Some(codeowners) = revoke_codeowners(git, snapshot) else {
        let why = wants_review
            .then(|| "the default branch's CODEOWNERS did not load; nobody can be authorized to review".to_string());
        return (vec![], why);
    };
    let owners_of = |path: &str| codeowners.owners_of(path);
    let seen: std::collections::BTreeSet<(String, u64)> = existing
        .events
        .iter()
        .filter(|e| e.kind == Some(Kind::Reviewed) && e.pr == Some(pr))
        .filter_map(|e| Some((e.request.clone()?, e.review_id?)))
        .collect();
    let mut events = emergency::approval_reviews(&evaluated.facts, &records, &owners_of, &seen, at);
    let mut refused = None;
    if let Some(c) = comment {
        match emergency::comment_reviews(&evaluated.facts, c, &records, &owners_of) {
            Ok(mut more) => events.append(&mut more),
            Err(why) => refused = Some(why),
        }
    }
    (events, refused)
}
