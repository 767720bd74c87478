//! What should be granted: every request on the default branch that an approval record
//! binds (DESIGN 10.4: the record of the first-parent merge that introduced the file's
//! current content, the same blob, a PR into the default branch), its evidence re-verified
//! (re-decided against the PR's base policy and the default branch's policy at the merge,
//! the stricter winning), with account id and user from the record and the current policy
//! only narrowing. A request without that is blocked, never granted; a faked `gitgrant`
//! check grants nothing. Records verified from `--evidence DIR` or the API are returned
//! for the ledger.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::membership::{self, MembershipReader};
use crate::adapters::git::Git;
use crate::core::diag::diagnostic::Diagnostic;
use crate::core::files::load::{self, BasePolicy, PolicySet};
use crate::core::files::tree::{Entry, Tree};
use crate::core::gate::PathHistory;
use crate::core::gate::evidence::{self, Binding, EvidenceCheck, EvidenceVerdict, MergeParent};
use crate::core::gate::facts::PrFacts;
use crate::core::gate::record::ApprovalRecord;
use crate::core::gate::snapshot::Snapshot;
use crate::core::index::Index;
use crate::core::ledger::{Event, Kind, Ledger, Lookup};
use crate::core::model::request::Request;
use crate::core::reconcile::plan::Candidate;
use crate::core::rules::eligibility::{self, Eligibility, Reason, Subject, Teams};

/// Where approval evidence comes from when the ledger has no merge record for the commit
/// that introduced a file's content.
pub trait EvidenceSource {
    /// The replay snapshot of the merged PR whose merge `commit` introduced `path`'s current
    /// content, if any (or, only to report why it does not bind, another PR that added it).
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
        // the merge that introduced the file's content; failing that, another (merged first)
        // only so that the verifier can say why it does not bind

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
    /// Why the wanted grants could not be decided, one line each with `file:line` when
    /// there is a file (DESIGN 5: the run still removes what has ended, then exits 2).
    pub undecided: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// The default branch's policy, when it validates.
    pub policy: Option<PolicySet>,
    /// Approval records verified from `--evidence DIR` or the API (not yet in the ledger),
    /// as `merged` events: written to the ledger before anything is granted.
    pub records: Vec<Event>,
    /// Ledger approval records this run verified from their evidence (not cached yet): the
    /// index's verdicts to write.
    pub verdicts: Vec<crate::core::index::Verdict>,
}

fn reason(code: &'static str, message: impl Into<String>) -> Reason {
    Reason {
        code,
        message: message.into(),
    }
}

/// Where the run reads the default branch: its tip and its name.
#[derive(Debug, Clone, Copy)]
pub struct Branch<'a> {
    /// The commit (or fully qualified ref) of the default branch's tip.
    pub tip: &'a str,
    /// The default branch's name (`main`): an approval record's base ref must be it.
    pub name: &'a str,
}

/// Reads the default branch at `branch.tip` and verifies every live request on it;
/// memberships from the PRs' snapshots and `policies/directory.toml`.
pub fn desired(
    git: &Git,
    branch: Branch<'_>,
    ledger: &Ledger,
    evidence: &dyn EvidenceSource,
    at: DateTime<Utc>,
) -> Desired {
    desired_live(git, branch, ledger, evidence, None, at)
}

/// [`desired`], with the memberships of requests in their window read through `membership`
/// when given (DESIGN 10.4), and the ledger's index extended through `branch.tip` (built
/// from the history when the ledger has none; not written).
pub fn desired_live(
    git: &Git,
    branch: Branch<'_>,
    ledger: &Ledger,
    evidence: &dyn EvidenceSource,
    membership: Option<&dyn MembershipReader>,
    at: DateTime<Utc>,
) -> Desired {
    match crate::app::index::current(git, ledger, branch.tip, at) {
        Ok(i) => desired_indexed(git, branch, ledger, &i.index, evidence, membership, at),
        Err(e) => unreadable(vec![Diagnostic::error("internal", e)], None),
    }
}

/// Nothing wanted: the default branch could not be read. Each error diagnostic is a cause,
/// located at `file:line` in `tree` when it points into a file.
fn unreadable(diagnostics: Vec<Diagnostic>, tree: Option<&Tree>) -> Desired {
    let mut undecided: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| located(d, tree))
        .collect();
    if undecided.is_empty() {
        undecided.push("the default branch's policy could not be read".into());
    }
    Desired {
        candidates: vec![],
        readable: false,
        undecided,
        diagnostics,
        policy: None,
        records: vec![],
        verdicts: vec![],
    }
}

/// Reads the default branch at `branch.tip` and verifies every live request on it (DESIGN
/// 11: a request long expired that backs no owned assignment is skipped unverified); which
/// merge introduced a file and whether it was deleted come from the ledger's `index`.
pub fn desired_indexed(
    git: &Git,
    branch: Branch<'_>,
    ledger: &Ledger,
    index: &Index,
    evidence: &dyn EvidenceSource,
    membership: Option<&dyn MembershipReader>,
    at: DateTime<Utc>,
) -> Desired {
    let mut diagnostics = Vec::new();
    let cannot_read = |e: crate::adapters::git::GitError, mut diagnostics: Vec<Diagnostic>| {
        diagnostics.push(Diagnostic::error(
            "internal",
            format!("cannot read the default branch: {e}"),
        ));
        unreadable(diagnostics, None)
    };
    let read = git
        .read_tree(branch.tip, &POLICY_FILES)
        .and_then(|t| Ok((t, git.request_files(branch.tip)?)));
    let (mut tree, blobs) = match read {
        Ok(t) => t,
        Err(e) => return cannot_read(e, diagnostics),
    };
    let Ok(policy) = load::policy_set(&tree, &mut diagnostics) else {
        return unreadable(diagnostics, Some(&tree));
    };
    let blobs: BTreeMap<String, String> = blobs.into_iter().collect();
    let selection = super::selection::Selection::new(ledger, policy.policy(), at);
    match read_requests(git, branch.tip, &blobs, &selection) {
        Ok(requests) => tree.entries.extend(requests.entries),
        Err(e) => return cannot_read(e, diagnostics),
    }
    let cx = Cx {
        git,
        branch,
        tree: &tree,
        policy: &policy,
        lookup: ledger.lookup(),
        index,
        evidence,
        membership,
        policies: PolicyCache::default(),
    };
    let revoked = ledger.revoked();
    let examined = examined(&tree, &blobs, &policy, &selection, &mut diagnostics);
    if let Some(reader) = membership {
        let identities = policy.identities();
        let names: BTreeSet<String> = examined
            .iter()
            .filter_map(|(_, r)| identities.user_name(&r.requester))
            .collect();
        reader.prepare_users(policy.directory(), &names.into_iter().collect::<Vec<_>>());
    }
    let mut candidates = Vec::new();
    let mut records = Vec::new();
    let mut verdicts = Vec::new();
    for (path, request) in examined {
        let (mut c, new_record, verdict) = candidate(&cx, path, blobs.get(path.as_str()), request, at);
        verdicts.extend(verdict);
        c.blocked.splice(0..0, path_revoked(index, &revoked, path));
        if let Some(why) = ledger_damaged(ledger) {
            // an unreadable line may be a revocation: nothing new, nothing taken away
            c.blocked.insert(0, why);
            c.keeps_active = true;
        }
        candidates.push(c);
        records.extend(new_record);
    }
    Desired {
        candidates,
        readable: true,
        undecided: vec![],
        diagnostics,
        policy: Some(policy),
        records,
        verdicts,
    }
}

/// What the run reads of the default branch besides its request files.
const POLICY_FILES: [&str; 4] = [
    "policies",
    crate::core::files::tree::CODEOWNERS,
    crate::core::files::tree::ROOT_CODEOWNERS,
    crate::core::files::tree::DOCS_CODEOWNERS,
];

/// The request files at `tip` that may be live (`blobs`: every request path and its blob):
/// a file whose approval record already puts it long in the past is not read or parsed, so
/// a run with nothing live costs the ledger and the tree listing, not 20,000 files. When
/// most files may be live, the whole `requests/` tree is read at once.
fn read_requests(
    git: &Git,
    tip: &str,
    blobs: &BTreeMap<String, String>,
    selection: &super::selection::Selection,
) -> Result<Tree, crate::adapters::git::GitError> {
    let wanted: Vec<&str> = blobs
        .iter()
        .filter(|(path, blob)| selection.may_examine(path, blob))
        .map(|(path, _)| path.as_str())
        .collect();
    match wanted.len() {
        0 => Ok(Tree::default()),
        n if n * 2 > blobs.len() => git.read_tree(tip, &["requests"]),
        _ => git.read_tree(tip, &wanted),
    }
}

/// The request files of the default branch that load and that the run examines (the live
/// work of DESIGN 11); a file that does not load is not a grant (`check` reports it).
fn examined<'t>(
    tree: &'t Tree,
    blobs: &BTreeMap<String, String>,
    policy: &PolicySet,
    selection: &super::selection::Selection,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(&'t String, Request)> {
    let mut out = Vec::new();
    for (path, entry) in tree.requests() {
        let blob = blobs.get(path.as_str()).map(String::as_str);
        // whether or not `read_requests` read it, a file its record puts long over is skipped
        if blob.is_some_and(|b| !selection.may_examine(path, b)) {
            continue;
        }
        let request = load::request(path, entry, Some(policy.directory()), diagnostics);
        let Some(request) = request else {
            continue;
        };
        if selection.examines(path, blob, &request) {
            out.push((path, request));
        }
    }
    out
}

/// `file:line: [code] message` for a diagnostic that points into a file of `tree`,
/// `file: [code] message` for one about a file, else `[code] message`.
fn located(d: &Diagnostic, tree: Option<&Tree>) -> String {
    let Some(file) = &d.file else {
        return format!("[{}] {}", d.code, d.message);
    };
    let line = d
        .span
        .as_ref()
        .zip(tree.and_then(|t| t.text(file)))
        .map(|(span, text)| crate::core::diag::diagnostic::line_col(text, span.start).0);
    match line {
        Some(line) => format!("{file}:{line}: [{}] {}", d.code, d.message),
        None => format!("{file}: [{}] {}", d.code, d.message),
    }
}

/// What every request's verification reads.
struct Cx<'a> {
    git: &'a Git,
    branch: Branch<'a>,
    tree: &'a Tree,
    policy: &'a PolicySet,
    /// The ledger's merges by path and pushes by PR, gathered once.
    lookup: Lookup<'a>,
    index: &'a Index,
    evidence: &'a dyn EvidenceSource,
    /// Reads memberships live for requests in their window; `None`: from snapshots.
    membership: Option<&'a dyn MembershipReader>,
    /// The policies of base and merge-parent commits, loaded once per set of files.
    policies: PolicyCache,
}

/// Base and merge-parent policies for verifying evidence, loaded once per distinct set of
/// policy blobs (issue 10: 200 live requests of the same policy load it once, not 400 times).
#[derive(Default)]
struct PolicyCache(std::cell::RefCell<BTreeMap<Vec<Option<String>>, std::rc::Rc<BasePolicy>>>);

impl PolicyCache {
    /// The policy at `commit`: its trusted files' blob ids are the key.
    fn at(&self, git: &Git, commit: &str) -> Result<std::rc::Rc<BasePolicy>, crate::adapters::git::GitError> {
        if !git.commit_exists(commit) {
            return Err(crate::adapters::git::GitError::MissingCommit(commit.to_string()));
        }
        let files = crate::core::files::tree::TRUSTED_FILES;
        let key: Vec<Option<String>> = files.iter().map(|p| git.blob_id(commit, p)).collect();
        if let Some(p) = self.0.borrow().get(&key) {
            return Ok(p.clone());
        }
        let tree = git.read_tree(commit, &files)?;
        let loaded = std::rc::Rc::new(load::policy_set(&tree, &mut Vec::new()));
        self.0.borrow_mut().insert(key, loaded.clone());
        Ok(loaded)
    }
}

/// A request's approval: the record that binds it, the PR's facts (its team listings), and
/// the ledger event to write when the record came from evidence rather than the ledger.
struct Approval {
    record: ApprovalRecord,
    facts: PrFacts,
    new_event: Option<Event>,
    /// Set when a ledger record was verified from its evidence by this run.
    verdict: Option<crate::core::index::Verdict>,
}

/// One request on the default branch as a candidate grant: blocked unless an approval
/// record binds it and the current policy still allows it. Account id, user and window
/// come from the record; the current policy only narrows.
fn candidate(
    cx: &Cx<'_>,
    path: &str,
    blob: Option<&String>,
    request: Request,
    at: DateTime<Utc>,
) -> (Candidate, Option<Event>, Option<crate::core::index::Verdict>) {
    let mut blocked = Vec::new();
    let mut verdict = None;
    let mut teams = Teams::Unknown;
    let mut bound = None;
    let mut new_event = None;
    let user_now = cx.policy.identities().user_name(&request.requester);
    match approval(cx, path, blob.map(String::as_str)) {
        Ok(a) => {
            teams = Teams::of_login(&request.requester, a.facts.teams.iter());
            let current = evidence::Current {
                account_id: &request.account_id,
                user_name: user_now.as_deref(),
            };
            blocked.extend(evidence::check_narrowing(&a.record, &current));
            // the current policy only narrows: its pending_timeout applies too
            blocked.extend(crate::core::gate::stale(
                a.facts.created_at,
                a.record.merged_at,
                cx.policy,
            ));
            new_event = a.new_event;
            verdict = a.verdict;
            bound = Some(a.record);
        }
        Err(mut reasons) => blocked.append(&mut reasons),
    }
    let start = request.start.unwrap_or(at);
    let (account_id, user_name, start, end) = match &bound {
        Some(r) => (r.account_id.clone(), Some(r.user_name.clone()), r.start, r.end),
        None => (
            request.account_id.clone(),
            user_now,
            start,
            start + request.duration.to_chrono(),
        ),
    };
    let mut keeps_active = false;
    if blocked.is_empty() {
        let in_window = start <= at && at < end;
        let judged = eligible_now(cx, &request, &teams, user_name.as_deref(), in_window);
        keeps_active = judged.keeps_active;
        blocked.extend(judged.reasons);
    }
    // a record is written to the ledger only for a grant that may go ahead
    let new_event = new_event.filter(|_| blocked.is_empty());
    let c = Candidate {
        path: path.to_string(),
        id: request.id.clone(),
        requester: request.requester.clone(),
        user_name,
        account_id,
        account_name: request.account_name.clone(),
        permission_set: request.permission_set.clone(),
        start,
        end,
        blocked,
        keeps_active,
    };
    (c, new_event, verdict)
}

/// Still eligible: for a request in its window with a live reader, memberships read live;
/// otherwise from the PR's snapshot and the directory.
fn eligible_now(
    cx: &Cx<'_>,
    request: &Request,
    teams: &Teams,
    user_name: Option<&str>,
    in_window: bool,
) -> membership::Judged {
    match cx.membership {
        Some(reader) if in_window => membership::eligible_live(reader, request, cx.policy, teams, user_name),
        _ => membership::Judged {
            reasons: still_eligible(request, cx.policy, teams),
            keeps_active: false,
        },
    }
}

/// The approval record that binds `path`'s current content (DESIGN 10.4): the ledger's, for
/// the merge that introduced the content, re-verified from the evidence it carries; else one
/// made from `--evidence DIR` / the API's evidence for that merge, verified the same way.
fn approval(cx: &Cx<'_>, path: &str, blob: Option<&str>) -> Result<Approval, Vec<Reason>> {
    let unreadable = |e: String| vec![reason("evidence-unreadable", e)];
    let blob = blob.ok_or_else(|| unreadable(format!("`{path}` is not a file on the default branch")))?;
    let introduced = cx
        .index
        .introduced(path, blob)
        .map_err(unreadable)?
        .map(str::to_string)
        .ok_or_else(|| unreadable(format!("no first-parent commit of the default branch adds `{path}`")))?;
    let binding = Binding {
        path,
        blob,
        introduced_by: &introduced,
        default_branch: cx.branch.name,
    };
    let merges = cx.lookup.merges_of(path);
    let in_ledger = merges.iter().rev().find(|e| {
        e.merge_commit.as_deref() == Some(introduced.as_str())
            || e.records.iter().any(|r| r.path == path && r.merge_commit == introduced)
    });
    if let Some(e) = in_ledger {
        return from_ledger(cx, &binding, e);
    }
    let snap = cx
        .evidence
        .snapshot_for(path, Some(&introduced))
        .map_err(|e| vec![reason("evidence-unreadable", e)])?;
    let Some(mut snap) = snap else {
        if let Some(r) = merges
            .iter()
            .rev()
            .flat_map(|e| e.records.iter())
            .find(|r| r.path == path)
            && let Some(why) = evidence::check_binding(r, &binding)
        {
            return Err(vec![why]);
        }
        if !merges.is_empty() {
            return Err(vec![reason(
                "no-approval-record",
                format!(
                    "the ledger's merges of this path are not the commit {} that introduced its current content, and no evidence for that commit was found",
                    short(&introduced)
                ),
            )]);
        }
        return Err(vec![reason(
            "no-approved-pr",
            "no merged pull request is known for this file: a request pushed straight to the default branch is never granted",
        )]);
    };
    // the API's PR object (and an older recording) has no pushers: the ledger's count
    with_ledger_pushers(&mut snap, &cx.lookup);
    let (made, facts) = verify_evidence(cx, &binding, &snap, &[])?;
    Ok(Approval {
        new_event: Some(record_event(&made, &snap)),
        record: made,
        facts,
        verdict: None,
    })
}

/// The approval of the ledger's `merged` event for the introducing merge: its record, when
/// it binds, once the evidence it carries re-verifies; else the record made from that
/// evidence (to be written).
fn from_ledger(cx: &Cx<'_>, binding: &Binding<'_>, e: &Event) -> Result<Approval, Vec<Reason>> {
    let path = binding.path;
    let unreadable = |e: String| vec![reason("evidence-unreadable", e)];
    let recorded = e.records.iter().find(|r| r.path == path);
    if let Some(why) = recorded.and_then(|r| evidence::check_binding(r, binding)) {
        return Err(vec![why]);
    }
    let snap = e
        .evidence
        .as_ref()
        .ok_or_else(|| {
            unreadable(format!(
                "the ledger's merge record of PR #{} carries no evidence",
                e.pr.unwrap_or(0)
            ))
        })
        .and_then(|v| {
            v.parse::<Snapshot>()
                .map_err(|err| unreadable(format!("the ledger's evidence for `{path}` is not a snapshot: {err}")))
        })?;
    let mut snap = snap;
    with_ledger_pushers(&mut snap, &cx.lookup);
    // a record verified before under the same key (path, blob, merge, policy commits) is
    // not verified again (DESIGN 11)
    if let Some(r) = recorded.filter(|r| cx.index.is_verified(r)) {
        let parsed = evidence::parse_snapshot(&snap).map_err(|r| vec![r])?;
        return Ok(Approval {
            record: r.clone(),
            facts: parsed.facts,
            new_event: None,
            verdict: None,
        });
    }
    let (made, facts) = verify_evidence(cx, binding, &snap, &e.records)?;
    // the record grants only what its evidence proves (a ledger line is not trusted)
    if let Some(why) = recorded.and_then(|r| evidence::check_agreement(r, &made)) {
        return Err(vec![why]);
    }
    Ok(match recorded {
        Some(r) => Approval {
            record: r.clone(),
            facts,
            new_event: None,
            verdict: Some(crate::core::index::Verdict::of(r)),
        },
        None => Approval {
            new_event: Some(record_event(&made, &snap)),
            record: made,
            facts,
            verdict: None,
        },
    })
}

/// Adds the ledger's `pushed` events for the snapshot's PR to its pushers (DESIGN 10.6):
/// GitHub's `sender` of each push, whichever way the evidence came. A snapshot without a
/// number is refused later, when it is parsed.
fn with_ledger_pushers(snap: &mut Snapshot, lookup: &Lookup<'_>) {
    let number = snap.pull_request.get("number").and_then(|n| n.as_u64());
    let pushes = number.map(|n| lookup.pushes_of(n)).unwrap_or_default();
    let _ = crate::app::pr::add_pushers_among(snap, pushes.iter().copied(), None);
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// The ledger event that records an approval the reconciler verified from evidence, so that
/// `audit` shows who approved whichever way the evidence came.
fn record_event(record: &ApprovalRecord, snap: &Snapshot) -> Event {
    let mut e = Event::new(Kind::Merged, record.merged_at);
    e.pr = Some(record.pr);
    e.request = Some(record.path.clone());
    e.paths = vec![record.path.clone()];
    e.merge_commit = Some(record.merge_commit.clone());
    e.actor = Some("gitgrant reconciler".into());
    e.reason = Some("approved: verified by the reconciler from the PR's evidence".into());
    e.evidence = crate::core::ledger::Evidence::of(snap);
    e.records = vec![record.clone()];
    e
}

/// Re-verifies a merged PR's evidence for one request file with the one evidence verifier
/// (`core::gate::evidence`), reading what it needs from git, and makes the record the gate
/// would have written. The PR's head is fetched (`refs/pull/N/head`) when missing; after a
/// squash or rebase merge without it, the approved files are the recorded blobs.
fn verify_evidence(
    cx: &Cx<'_>,
    binding: &Binding<'_>,
    snap: &Snapshot,
    recorded: &[ApprovalRecord],
) -> Result<(ApprovalRecord, PrFacts), Vec<Reason>> {
    let git = cx.git;
    let parsed = evidence::parse_snapshot(snap).map_err(|r| vec![r])?;
    let f = &parsed.facts;
    let unreadable = |e: crate::adapters::git::GitError| vec![reason("evidence-unreadable", e.to_string())];
    let added = evidence::added_requests(f);
    let added_paths: Vec<&str> = added.iter().map(String::as_str).collect();
    // first the merge with its parents (a shallow clone fetches them by id: DESIGN 11), which
    // brings the head of a PR merged with a merge commit
    let parent = git.fetched_first_parent(binding.introduced_by);
    // the head itself; else the blobs the records bound (a squash or rebase merge in a fresh
    // clone); else the head fetched from `refs/pull/N/head`
    let read_head = || git.read_tree(&f.head_sha, &added_paths).map_err(unreadable);
    let head = if git.commit_exists(&f.head_sha) {
        Some(read_head()?)
    } else if let Some(t) = recorded_head(git, &added, recorded) {
        Some(t)
    } else if git.ensure_pull_head(f.number, &f.head_sha) {
        Some(read_head()?)
    } else {
        None
    };
    let policy_at = |commit: &str| cx.policies.at(git, commit).map_err(unreadable);
    // a shallow clone fetches the base, and the merge with its parents, by id (DESIGN 11)
    let base = match git.ensure_commit(&f.base_sha) {
        true => Some(policy_at(&f.base_sha)?),
        false => None,
    };
    let parent_policy = match &parent {
        Some(p) => Some(policy_at(p)?),
        None => None,
    };
    let merge_parent = match (&parent, &parent_policy) {
        (Some(commit), Some(policy)) => MergeParent::Policy {
            commit,
            policy: policy.as_ref(),
        },
        _ => MergeParent::Missing(binding.introduced_by),
    };
    let history: BTreeMap<String, PathHistory> = added
        .iter()
        .map(|p| (p.clone(), cx.index.history(p, Some(binding.introduced_by))))
        .collect();
    let branch_file = match cx.tree.file(binding.path) {
        Some(Entry::File(b)) => Some(b.as_slice()),
        _ => None,
    };
    let check = EvidenceCheck {
        path: binding.path,
        expected_pr: None,
        evidence: &parsed,
        merge_on_branch: f
            .merge_commit_sha
            .as_deref()
            .is_some_and(|m| m == binding.introduced_by || git.is_ancestor_fetched(m, cx.branch.tip)),
        branch_file,
        head: head.as_ref(),
        base: base.as_deref(),
        history: &history,
        merge_parent,
    };
    match evidence::verify_record(&check, binding) {
        Ok(record) => Ok((record, parsed.facts.clone())),
        Err(EvidenceVerdict::Refused { reasons, .. } | EvidenceVerdict::Unverifiable(reasons)) => Err(reasons),
        Err(EvidenceVerdict::Verified { .. }) => {
            Err(vec![reason("not-approved", "the evidence did not bind the file")])
        }
    }
}

/// The PR's added request files as its approval records bound them (their blobs), for a
/// squash- or rebase-merged PR whose head commit is not in the clone. `None` unless every
/// added file has a recorded blob the repository holds.
fn recorded_head(git: &Git, added: &[String], recorded: &[ApprovalRecord]) -> Option<Tree> {
    if recorded.is_empty() {
        return None;
    }
    let mut tree = Tree::default();
    for p in added {
        let r = recorded.iter().find(|r| &r.path == p)?;
        tree.insert(p, Entry::File(git.blob(&r.blob)?));
    }
    Some(tree)
}

/// A ledger with lines that do not parse cannot say what was revoked: one of them may be
/// the revocation of this very request. No new grant is made until the ledger is repaired;
/// active grants are kept (their removal is decided by their window as always).
fn ledger_damaged(ledger: &Ledger) -> Option<Reason> {
    let first = ledger.bad_lines.first()?;
    Some(reason(
        "ledger-unreadable",
        format!(
            "the ledger has {} unreadable line(s), the first at `{}:{}` ({}); one may be a revocation, so nothing new is granted until it is repaired",
            ledger.bad_lines.len(),
            first.file,
            first.line,
            first.error
        ),
    ))
}

/// Revocation is final (DESIGN 10.5): a path the ledger has a `revoked` event for, or that
/// was ever deleted from the default branch (the ledger's index), is never granted again,
/// whatever content came back and whatever evidence it has.
fn path_revoked(index: &Index, revoked: &BTreeMap<String, &Event>, path: &str) -> Option<Reason> {
    if let Some(e) = revoked.get(path) {
        return Some(reason(
            "path-revoked",
            format!(
                "`{path}` was revoked{}{}; a path once used is never granted again: file a new request with a new id",
                e.at.map(|t| format!(" at {}", t.to_rfc3339())).unwrap_or_default(),
                e.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
            ),
        ));
    }
    index.deleted(path).map(|(commit, _)| {
        reason(
            "path-revoked",
            format!(
                "`{path}` was deleted from the default branch in commit {}; a path once used is never granted again: file a new request with a new id",
                &commit[..commit.len().min(12)]
            ),
        )
    })
}

/// The request under the current policy: still eligible, within limits.
fn still_eligible(r: &Request, policy: &PolicySet, teams: &Teams) -> Vec<Reason> {
    let subject = Subject::of(r);
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
