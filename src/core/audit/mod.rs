//! The audit join (DESIGN 6), pure: the history of `requests/` on the default branch and
//! the ledger's events become one row per request, with its decisions, activation, end
//! and a status (docs/audit.md). Nothing is dropped: what cannot be read or joined is a
//! problem on its row or in the report, never a missing row. No I/O, no clock.

pub mod filter;
pub mod render;
pub mod status;
pub mod verify;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::Serialize;

use crate::core::files::duration::HumaneDuration;
use crate::core::ledger::{Event, Kind, Ledger};
use crate::core::files::load::PolicySet;
use crate::core::model::codeowners::Owner;
use crate::core::model::request::RequestPath;

/// A commit of the default branch's first-parent history that touched `requests/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    /// Committer time: for a merge made on GitHub, when it was merged.
    pub time: DateTime<Utc>,
    pub author: String,
    pub subject: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Removed,
    Modified,
}

/// One path a commit changed under `requests/`, with the blob it left there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathChange {
    pub path: String,
    pub kind: ChangeKind,
    /// The new blob (added or modified files).
    pub blob: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryCommit {
    pub commit: Commit,
    pub changes: Vec<PathChange>,
}

/// What is known of `requests/` on the default branch.
#[derive(Debug, Clone)]
pub enum History {
    /// Every first-parent commit that touched `requests/`, oldest first (`gitgrant audit`).
    Log(Vec<HistoryCommit>),
    /// Only the files at the branch's tip, as (path, blob) (`gitgrant status`: no walk).
    Tip(Vec<(String, String)>),
}

/// Everything the join reads.
pub struct Input<'a> {
    pub history: &'a History,
    /// Blob id -> bytes, for the blobs the history names.
    pub contents: &'a HashMap<String, Vec<u8>>,
    pub ledger: &'a Ledger,
    /// Commits known to be on the default branch besides those in `history` (ledger merge
    /// commits confirmed by the adapter). Used to tell a rewritten history.
    pub on_branch: &'a BTreeSet<String>,
    /// The default branch's policy, when it loaded: account ids, approvals required, code
    /// owners of open requests.
    pub policy: Option<&'a PolicySet>,
    /// Statuses are as of this time; ledger events and commits after it are ignored.
    pub at: DateTime<Utc>,
}

/// A row's status (docs/audit.md has the state machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
    Cancelled,
    Scheduled,
    Active,
    Expired,
    Revoked,
    Failed,
    Blocked,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::Pending,
        Status::Approved,
        Status::Rejected,
        Status::Cancelled,
        Status::Scheduled,
        Status::Active,
        Status::Expired,
        Status::Revoked,
        Status::Failed,
        Status::Blocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
            Status::Scheduled => "scheduled",
            Status::Active => "active",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::Failed => "failed",
            Status::Blocked => "blocked",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A review decision recorded in the ledger (or, failing that, in the merge's evidence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub by: String,
    pub at: Option<DateTime<Utc>>,
    pub note: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_id: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// How `--verify` judged a row's recorded decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Re-deciding the evidence against its base commit's policy gives `approved`.
    Ok,
    /// The evidence does not support the merge: a finding.
    Mismatch,
    /// There is nothing to re-decide from (no evidence, commits missing).
    Unverifiable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub verdict: Verdict,
    /// The re-decided decision, when the gate ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    pub reasons: Vec<String>,
}

/// One request: everything git and the ledger say about it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: String,
    pub path: String,
    pub status: Status,
    pub requester: Option<String>,
    pub account: Option<String>,
    pub account_id: Option<String>,
    pub permission_set: Option<String>,
    /// The requested start, or the merge time when the file has none.
    pub start: Option<DateTime<Utc>>,
    /// False when `start` is the merge time (the file has no `start`).
    pub start_in_file: bool,
    pub duration: Option<String>,
    pub end: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub pr: Option<u64>,
    /// Where the PR number came from: `ledger`, `merge-commit`, `squash-subject`.
    pub pr_source: Option<&'static str>,
    pub requested_at: Option<DateTime<Utc>>,
    /// Reviewers whose latest recorded review approves, with their notes.
    pub approvals: Vec<Review>,
    /// Reviewers whose latest recorded review requests changes (rejects), with notes.
    pub rejections: Vec<Review>,
    /// Approvals the default branch's policy asks for (open requests).
    pub approvals_required: Option<u32>,
    /// Code owners of the path on the default branch who have not approved (open requests).
    pub can_approve: Vec<String>,
    pub merged_at: Option<DateTime<Utc>>,
    pub merge_commit: Option<String>,
    /// The first-parent commit that added the file to the default branch.
    pub added_commit: Option<String>,
    pub added_at: Option<DateTime<Utc>>,
    pub removed_commit: Option<String>,
    pub removed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
    pub user_name: Option<String>,
    pub activated_at: Option<DateTime<Utc>>,
    /// The assignment's end recorded at activation.
    pub ends_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    pub failures: Vec<Failure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<Verification>,
    pub problems: Vec<String>,
    /// The ledger's merge event (an index into `Ledger::events`), whose evidence
    /// `--verify` re-decides (not printed).
    #[serde(skip)]
    pub merge_event: Option<usize>,
    /// Blob of the file as added to the default branch (not printed).
    #[serde(skip)]
    pub added_blob: Option<String>,
    /// The commit that added the path before this row's, when the path was reused.
    #[serde(skip)]
    pub earlier_add: Option<String>,
}

/// The join's result: rows, and what could not be read or placed on a row.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub rows: Vec<Row>,
    pub problems: Vec<String>,
}

pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The request file's fields, read leniently: an audit shows what was there even when it
/// would not pass `check`.
#[derive(Debug, Clone, Default, PartialEq)]
struct Fields {
    requester: Option<String>,
    account: Option<String>,
    permission_set: Option<String>,
    start: Option<DateTime<Utc>>,
    duration: Option<String>,
    reason: Option<String>,
    ticket: Option<String>,
}

fn read_fields(bytes: &[u8], problems: &mut Vec<String>) -> Fields {
    let text = match std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)) {
        Ok(t) => t,
        Err(_) => {
            problems.push("the request file is not UTF-8".into());
            return Fields::default();
        }
    };
    let table = match toml::from_str::<toml::Table>(text) {
        Ok(t) => t,
        Err(e) => {
            problems.push(format!("the request file is not valid TOML: {}", e.message().trim()));
            return Fields::default();
        }
    };
    let s = |k: &str| table.get(k).and_then(toml::Value::as_str).map(str::to_string);
    let mut f = Fields {
        requester: s("requester"),
        account: s("account"),
        permission_set: s("permission_set"),
        start: None,
        duration: s("duration"),
        reason: s("reason"),
        ticket: s("ticket"),
    };
    if let Some(v) = table.get("start") {
        match crate::core::files::lexical::parse_timestamp(v) {
            Ok(t) => f.start = Some(t),
            Err(why) => problems.push(format!("the request's `start` is unreadable: {why}")),
        }
    }
    for (k, v) in [
        ("requester", &f.requester),
        ("account", &f.account),
        ("permission_set", &f.permission_set),
        ("duration", &f.duration),
    ] {
        if v.is_none() {
            problems.push(format!("the request file has no `{k}`"));
        }
    }
    f
}

/// `Merge pull request #N from ...` (merge commit) or `... (#N)` (squash merge).
pub fn pr_from_subject(subject: &str) -> Option<(u64, &'static str)> {
    if let Some(rest) = subject.strip_prefix("Merge pull request #") {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse() {
            return Some((n, "merge-commit"));
        }
    }
    let s = subject.trim_end();
    let inner = s.strip_suffix(')')?;
    let open = inner.rfind("(#")?;
    let n = inner[open + 2..].parse().ok()?;
    Some((n, "squash-subject"))
}

/// One stay of a path on the default branch: added by a commit, maybe removed by another.
#[derive(Debug, Clone, Default)]
struct Stay {
    path: String,
    blob: Option<String>,
    added: Option<Commit>,
    removed: Option<Commit>,
    modified: Vec<Commit>,
    earlier_add: Option<String>,
    problems: Vec<String>,
}

fn stays(history: &History, at: DateTime<Utc>) -> (Vec<Stay>, bool) {
    match history {
        History::Tip(files) => (
            files
                .iter()
                .map(|(p, b)| Stay {
                    path: p.clone(),
                    blob: Some(b.clone()),
                    ..Stay::default()
                })
                .collect(),
            false,
        ),
        History::Log(commits) => {
            let mut out: Vec<Stay> = Vec::new();
            let mut open: HashMap<String, usize> = HashMap::new();
            let mut last_add: HashMap<String, String> = HashMap::new();
            for hc in commits.iter().filter(|c| c.commit.time <= at) {
                for ch in &hc.changes {
                    match ch.kind {
                        ChangeKind::Added => {
                            if let Some(i) = open.remove(&ch.path) {
                                // an add over an add: the log missed the removal
                                out[i].problems.push(format!(
                                    "added again by commit {} without a removal in between",
                                    short(&hc.commit.sha)
                                ));
                            }
                            let earlier = last_add.insert(ch.path.clone(), hc.commit.sha.clone());
                            open.insert(ch.path.clone(), out.len());
                            out.push(Stay {
                                path: ch.path.clone(),
                                blob: ch.blob.clone(),
                                added: Some(hc.commit.clone()),
                                earlier_add: earlier,
                                ..Stay::default()
                            });
                        }
                        ChangeKind::Removed => match open.remove(&ch.path) {
                            Some(i) => out[i].removed = Some(hc.commit.clone()),
                            None => out.push(Stay {
                                path: ch.path.clone(),
                                removed: Some(hc.commit.clone()),
                                problems: vec![format!(
                                    "removed by commit {} but its addition is not in the history read (a shallow clone?)",
                                    short(&hc.commit.sha)
                                )],
                                ..Stay::default()
                            }),
                        },
                        ChangeKind::Modified => match open.get(&ch.path) {
                            Some(&i) => out[i].modified.push(hc.commit.clone()),
                            None => {
                                open.insert(ch.path.clone(), out.len());
                                out.push(Stay {
                                    path: ch.path.clone(),
                                    blob: ch.blob.clone(),
                                    modified: vec![hc.commit.clone()],
                                    problems: vec![format!(
                                        "modified by commit {} but its addition is not in the history read (a shallow clone?)",
                                        short(&hc.commit.sha)
                                    )],
                                    ..Stay::default()
                                });
                            }
                        },
                    }
                }
            }
            (out, true)
        }
    }
}

pub fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// Ledger events before the merge, keyed by (path, PR).
#[derive(Debug, Default)]
struct Group<'a> {
    events: Vec<&'a Event>,
}

impl Group<'_> {
    fn first_at(&self) -> Option<DateTime<Utc>> {
        self.events.iter().filter_map(|e| e.at).min()
    }
    fn has(&self, k: Kind) -> bool {
        self.events.iter().any(|e| e.kind == Some(k))
    }
}

type Key = (String, Option<u64>);

/// A row being built: where it came from and which events it holds.
struct Slot<'a> {
    path: String,
    pr: Option<u64>,
    pr_source: Option<&'static str>,
    stay: Option<Stay>,
    pre: Vec<&'a Event>,
    post: Vec<&'a Event>,
    problems: Vec<String>,
}

impl Slot<'_> {
    fn start_key(&self) -> Option<DateTime<Utc>> {
        match &self.stay {
            Some(s) => s.added.as_ref().map(|c| c.time),
            None => self
                .pre
                .iter()
                .filter(|e| e.kind == Some(Kind::Merged))
                .filter_map(|e| e.at)
                .min()
                .or_else(|| self.pre.iter().filter_map(|e| e.at).min()),
        }
    }
}

fn describe(e: &Event) -> String {
    format!(
        "`{}` event at {}",
        e.kind.map(Kind::as_str).unwrap_or("?"),
        e.at.map(fmt_time).unwrap_or_default()
    )
}

pub fn build(input: &Input<'_>) -> Report {
    let at = input.at;
    let mut problems: Vec<String> = input
        .ledger
        .bad_lines
        .iter()
        .map(|b| {
            if b.line == 0 {
                format!("ledger {}: {}", b.file, b.error)
            } else {
                format!("ledger {}:{}: unreadable event, skipped: {}", b.file, b.line, b.error)
            }
        })
        .collect();
    let (stays, complete) = stays(input.history, at);
    let history_shas: BTreeSet<&str> = match input.history {
        History::Log(c) => c.iter().map(|c| c.commit.sha.as_str()).collect(),
        History::Tip(_) => BTreeSet::new(),
    };
    let is_on_branch = |sha: &str| history_shas.contains(sha) || input.on_branch.contains(sha);

    // 1. ledger events before the merge, by (path, PR); events after it, by path
    let mut groups: BTreeMap<Key, Group> = BTreeMap::new();
    let mut post: BTreeMap<String, Vec<&Event>> = BTreeMap::new();
    let mut closed: Vec<&Event> = Vec::new();
    for e in input.ledger.events.iter().filter(|e| e.at.is_some_and(|t| t <= at)) {
        let Some(kind) = e.kind else { continue };
        match kind {
            Kind::Requested | Kind::Approved | Kind::ChangesRequested => match &e.request {
                Some(p) => groups.entry((p.clone(), e.pr)).or_default().events.push(e),
                None => problems.push(format!("ledger {} names no request; not placed on a row", describe(e))),
            },
            Kind::Merged => {
                if e.paths.is_empty() {
                    problems.push(format!(
                        "ledger {} for PR #{} names no request paths; not placed on a row",
                        describe(e),
                        e.pr.map(|n| n.to_string()).unwrap_or_else(|| "?".into())
                    ));
                }
                for p in &e.paths {
                    groups.entry((p.clone(), e.pr)).or_default().events.push(e);
                }
            }
            Kind::ClosedUnmerged => closed.push(e),
            Kind::Revoked | Kind::Activated | Kind::Ended | Kind::Failed => match &e.request {
                Some(p) => post.entry(p.clone()).or_default().push(e),
                None => problems.push(format!("ledger {} names no request; not placed on a row", describe(e))),
            },
            // hand-made assignments are not requests; `gitgrant plan` reports them. An intent
            // to assign is not an activation: the `activated` (or `failed`) that follows is.
            Kind::Drift | Kind::Assigning => {}
        }
    }
    for e in closed {
        let paths: Vec<String> = if e.paths.is_empty() {
            groups
                .keys()
                .filter(|(_, pr)| *pr == e.pr && e.pr.is_some())
                .map(|(p, _)| p.clone())
                .collect()
        } else {
            e.paths.clone()
        };
        if paths.is_empty() {
            problems.push(format!(
                "ledger {} names no request and no known PR; not placed on a row",
                describe(e)
            ));
        }
        for p in paths {
            groups.entry((p, e.pr)).or_default().events.push(e);
        }
    }

    // 2. each stay on the default branch is a row; it claims its PR's group
    let mut slots: Vec<Slot> = Vec::new();
    // merge events of each path not yet matched to a stay
    let mut merged_for_path: BTreeMap<String, Vec<&Event>> = {
        let mut m: BTreeMap<String, Vec<&Event>> = BTreeMap::new();
        for ((p, _), g) in &groups {
            for e in g.events.iter().copied().filter(|e| e.kind == Some(Kind::Merged)) {
                m.entry(p.clone()).or_default().push(e);
            }
        }
        m
    };
    let stays_of_path: HashMap<String, usize> = stays.iter().fold(HashMap::new(), |mut m, s| {
        *m.entry(s.path.clone()).or_insert(0) += 1;
        m
    });
    for stay in stays {
        let mut problems = Vec::new();
        let added_sha = stay.added.as_ref().map(|c| c.sha.clone());
        let mut pr: Option<(u64, &'static str)> = None;
        // the ledger's merge record: by merge commit, else the only or nearest one
        let candidates: Vec<&Event> = merged_for_path.get(&stay.path).cloned().unwrap_or_default();
        let by_commit = candidates
            .iter()
            .find(|e| e.merge_commit.is_some() && e.merge_commit == added_sha);
        let chosen = by_commit.copied().or_else(|| {
            if candidates.is_empty() {
                None
            } else if stays_of_path.get(&stay.path) == Some(&1) || stay.added.is_none() {
                candidates.last().copied()
            } else {
                let t = stay.added.as_ref().map(|c| c.time);
                candidates
                    .iter()
                    .min_by_key(|e| match (e.at, t) {
                        (Some(a), Some(b)) => (a - b).num_seconds().abs(),
                        _ => i64::MAX,
                    })
                    .copied()
            }
        });
        let subject_pr = stay.added.as_ref().and_then(|c| pr_from_subject(&c.subject));
        if let Some(m) = chosen
            && let Some(n) = m.pr
        {
            if let Some(list) = merged_for_path.get_mut(&stay.path) {
                list.retain(|e| !std::ptr::eq(*e, m));
            }
            pr = Some((n, "ledger"));
            if let Some(mc) = &m.merge_commit
                && Some(mc) != added_sha.as_ref()
                && complete
                && !is_on_branch(mc)
            {
                problems.push(format!(
                    "the ledger records PR #{n} merged as commit {}, which is not on the default branch (history rewritten by a force-push?)",
                    short(mc)
                ));
            }
            if let Some((s, _)) = subject_pr
                && s != n
            {
                problems.push(format!(
                    "the commit that added the file names PR #{s}, the ledger's merge record PR #{n}"
                ));
            }
        }
        if pr.is_none() {
            pr = subject_pr;
        }
        // no merge record and no PR in the subject: a PR the ledger saw requested before
        // the file arrived (a rebase merge whose merge was not recorded)
        if pr.is_none()
            && let Some(t) = stay.added.as_ref().map(|c| c.time)
        {
            // keys sort by path, then PR (`None` first): the groups of this path
            let found = groups
                .range((stay.path.clone(), None)..)
                .take_while(|((p, _), _)| p == &stay.path)
                .filter(|((_, n), g)| {
                    n.is_some() && !g.has(Kind::ClosedUnmerged) && g.first_at().is_some_and(|f| f <= t)
                })
                .filter_map(|((_, n), g)| Some((g.first_at()?, (*n)?)))
                .max();
            if let Some((_, n)) = found {
                pr = Some((n, "ledger"));
            }
        }
        let pre = match pr {
            Some((n, _)) => groups
                .remove(&(stay.path.clone(), Some(n)))
                .map(|g| g.events)
                .unwrap_or_default(),
            None => groups
                .remove(&(stay.path.clone(), None))
                .map(|g| g.events)
                .unwrap_or_default(),
        };
        slots.push(Slot {
            path: stay.path.clone(),
            pr: pr.map(|p| p.0),
            pr_source: pr.map(|p| p.1),
            stay: Some(stay),
            pre,
            post: vec![],
            problems,
        });
    }

    // 3. the ledger's requests that never reached the default branch
    for ((path, pr), g) in groups {
        let mut problems = Vec::new();
        if g.has(Kind::Merged) && complete {
            problems.push(format!(
                "the ledger records a merge{} but the file is not in the default branch's history (history rewritten by a force-push, or the wrong `--ref`?)",
                pr.map(|n| format!(" of PR #{n}")).unwrap_or_default()
            ));
        }
        slots.push(Slot {
            path,
            pr,
            pr_source: pr.map(|_| "ledger"),
            stay: None,
            pre: g.events,
            post: vec![],
            problems,
        });
    }

    // 4. events after the merge go to the stay (or ledger row) of their path that began
    //    last before them
    let mut by_path: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in slots.iter().enumerate() {
        by_path.entry(s.path.clone()).or_default().push(i);
    }
    for (path, events) in post {
        let targets: Vec<usize> = match by_path.get(&path) {
            Some(list) => {
                let on_branch: Vec<usize> = list.iter().copied().filter(|&i| slots[i].stay.is_some()).collect();
                if on_branch.is_empty() { list.clone() } else { on_branch }
            }
            None => {
                slots.push(Slot {
                    path: path.clone(),
                    pr: None,
                    pr_source: None,
                    stay: None,
                    pre: vec![],
                    post: vec![],
                    problems: if complete {
                        vec!["the ledger has events for this request but neither its PR nor the file on the default branch".into()]
                    } else {
                        vec![]
                    },
                });
                vec![slots.len() - 1]
            }
        };
        let mut ordered: Vec<(Option<DateTime<Utc>>, usize)> =
            targets.iter().map(|&i| (slots[i].start_key(), i)).collect();
        ordered.sort();
        for e in events {
            let t = e.at;
            let pick = ordered
                .iter()
                .rev()
                .find(|(s, _)| s.is_some() && *s <= t)
                .or_else(|| ordered.first())
                .map(|(_, i)| *i);
            if let Some(i) = pick {
                slots[i].post.push(e);
            }
        }
    }

    let mut rows: Vec<Row> = slots.into_iter().map(|s| make_row(s, input, complete)).collect();
    rows.sort_by(|a, b| {
        first_time(a)
            .cmp(&first_time(b))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.pr.cmp(&b.pr))
    });
    Report { rows, problems }
}

fn first_time(r: &Row) -> Option<DateTime<Utc>> {
    [r.requested_at, r.added_at, r.merged_at, r.closed_at, r.start]
        .into_iter()
        .flatten()
        .min()
}

/// The latest review of each reviewer, split into approvals and rejections.
fn reviews(events: &[&Event]) -> (Vec<Review>, Vec<Review>) {
    let mut latest: BTreeMap<String, &Event> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| matches!(e.kind, Some(Kind::Approved | Kind::ChangesRequested)))
    {
        let who = e.actor.clone().unwrap_or_else(|| "unknown".into()).to_ascii_lowercase();
        match latest.get(&who) {
            Some(prev) if prev.at > e.at => {}
            _ => {
                latest.insert(who, e);
            }
        }
    }
    let mut approvals = Vec::new();
    let mut rejections = Vec::new();
    for e in latest.values() {
        let r = Review {
            by: e.actor.clone().unwrap_or_else(|| "unknown".into()),
            at: e.at,
            note: e.reason.clone().unwrap_or_default(),
            review_id: e.review_id,
        };
        if e.kind == Some(Kind::Approved) {
            approvals.push(r);
        } else {
            rejections.push(r);
        }
    }
    approvals.sort_by(|a, b| a.at.cmp(&b.at).then(a.by.cmp(&b.by)));
    rejections.sort_by(|a, b| a.at.cmp(&b.at).then(a.by.cmp(&b.by)));
    (approvals, rejections)
}

/// Approving reviews in a merge's evidence (GitHub's review JSON), latest per reviewer.
fn evidence_approvals(evidence: &serde_json::Value) -> Vec<Review> {
    let mut latest: BTreeMap<String, Review> = BTreeMap::new();
    let mut states: BTreeMap<String, String> = BTreeMap::new();
    for r in evidence.get("reviews").and_then(|v| v.as_array()).into_iter().flatten() {
        let Some(login) = r.pointer("/user/login").and_then(|v| v.as_str()) else {
            continue;
        };
        let state = r.get("state").and_then(|v| v.as_str()).unwrap_or("");
        if state == "COMMENTED" || state == "PENDING" {
            continue;
        }
        let at = r
            .get("submitted_at")
            .and_then(|v| v.as_str())
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc));
        let key = login.to_ascii_lowercase();
        states.insert(key.clone(), state.to_string());
        latest.insert(
            key,
            Review {
                by: login.to_string(),
                at,
                note: r.get("body").and_then(|v| v.as_str()).unwrap_or("").to_string(),
                review_id: r.get("id").and_then(|v| v.as_u64()),
            },
        );
    }
    let mut out: Vec<Review> = latest
        .into_iter()
        .filter(|(k, _)| states.get(k).map(String::as_str) == Some("APPROVED"))
        .map(|(_, r)| r)
        .collect();
    out.sort_by(|a, b| a.at.cmp(&b.at).then(a.by.cmp(&b.by)));
    out
}

fn make_row(slot: Slot<'_>, input: &Input<'_>, complete: bool) -> Row {
    let at = input.at;
    let mut problems = slot.problems;
    let stay = slot.stay;
    let path = slot.path;
    let parsed_path = RequestPath::parse(&path);
    let id = match &parsed_path {
        Ok(p) => p.id.clone(),
        Err(_) => path
            .rsplit('/')
            .next()
            .unwrap_or(&path)
            .trim_end_matches(".toml")
            .to_string(),
    };
    if stay.is_some() && parsed_path.is_err() {
        problems.push("not a canonical request path (`requests/<account>/<permission-set>/<id>.toml`)".into());
    }
    if let Some(s) = &stay {
        problems.extend(s.problems.iter().cloned());
        if let Some(earlier) = &s.earlier_add {
            problems.push(format!(
                "the path was used before (added by commit {}): request paths are never reused",
                short(earlier)
            ));
        }
    }

    // the file as added
    let mut fields = Fields::default();
    if let Some(s) = &stay
        && let Some(blob) = &s.blob
    {
        match input.contents.get(blob) {
            Some(bytes) => {
                let mut p = Vec::new();
                fields = read_fields(bytes, &mut p);
                problems.extend(p);
            }
            None => problems.push(format!("the request file (blob {}) could not be read", short(blob))),
        }
    }
    let pre = &slot.pre;
    let post = &slot.post;
    fn of<'e>(events: &[&'e Event], k: Kind) -> Vec<&'e Event> {
        let mut v: Vec<&Event> = events.iter().copied().filter(|e| e.kind == Some(k)).collect();
        v.sort_by_key(|e| e.at);
        v
    }
    let requested = of(pre, Kind::Requested);
    let merged = of(pre, Kind::Merged);
    let closed = of(pre, Kind::ClosedUnmerged);
    let revoked = of(post, Kind::Revoked);
    let activated = of(post, Kind::Activated);
    let ended = of(post, Kind::Ended);
    let failed = of(post, Kind::Failed);
    let merge = merged.last().copied();
    if merged.len() > 1 {
        problems.push(format!("the ledger records {} merges of this PR", merged.len()));
    }

    let (mut approvals, rejections) = reviews(pre);
    if approvals.is_empty()
        && let Some(ev) = merge.and_then(|m| m.evidence.as_ref())
    {
        approvals = evidence_approvals(ev);
    }

    let requester = fields
        .requester
        .clone()
        .or_else(|| requested.first().and_then(|e| e.actor.clone()));
    let account = fields
        .account
        .clone()
        .or_else(|| parsed_path.as_ref().ok().map(|p| p.account.clone()));
    let permission_set = fields
        .permission_set
        .clone()
        .or_else(|| parsed_path.as_ref().ok().map(|p| p.permission_set.clone()));
    let directory = input.policy.map(|p| p.directory());
    let dir_account = account.as_deref().and_then(|a| directory.and_then(|d| d.account(a)));
    let account_id = dir_account
        .map(|a| a.id.clone())
        .or_else(|| account.clone().filter(|a| crate::core::files::lexical::is_account_id(a)))
        .or_else(|| activated.iter().chain(failed.iter()).find_map(|e| e.account_id.clone()));
    let account_name = match (&account, dir_account) {
        (Some(a), Some(d)) if crate::core::files::lexical::is_account_id(a) => Some(d.name.clone()),
        _ => account.clone(),
    };

    let added = stay.as_ref().and_then(|s| s.added.clone());
    let removed = stay.as_ref().and_then(|s| s.removed.clone());
    let merged_at = merge.and_then(|m| m.at).or_else(|| added.as_ref().map(|c| c.time));
    let start = fields.start.or(merged_at);
    if start.is_none() && stay.as_ref().is_some_and(|s| s.blob.is_some()) && fields.duration.is_some() {
        problems.push("the window cannot be placed: the file has no `start` and its merge time is unknown".into());
    }
    let duration = fields.duration.as_deref().and_then(|d| match HumaneDuration::parse(d) {
        Ok(x) => Some(x),
        Err(e) => {
            problems.push(format!("the request's duration is unreadable: {}", e.message(d)));
            None
        }
    });
    let end = match (start, duration) {
        (Some(s), Some(d)) => s.checked_add_signed(d.to_chrono()),
        _ => None,
    };

    let last_activation = activated.last().copied();
    let last_end = ended.last().copied();
    let last_failure = failed.last().copied();
    let active_now = last_activation.is_some_and(|a| last_end.is_none_or(|e| e.at < a.at));
    let end_event = last_end.filter(|e| last_activation.is_none_or(|a| e.at >= a.at));
    let end_reason = end_event.and_then(|e| e.reason.clone());

    // revocation: the ledger's, an end for that reason, or the file deleted early
    let ledger_revoke = revoked.first().copied();
    let removed_early = match (&removed, end) {
        (Some(r), Some(e)) => r.time < e,
        _ => false,
    };
    let (revoked_at, revoked_by, revoke_reason) = if let Some(r) = ledger_revoke {
        (r.at, r.actor.clone(), r.reason.clone())
    } else if end_reason.as_deref() == Some("revoked") {
        (end_event.and_then(|e| e.at), None, None)
    } else if removed_early && let Some(r) = &removed {
        let by_pr = pr_from_subject(&r.subject)
            .map(|(n, _)| format!(" (#{n})"))
            .unwrap_or_default();
        (
            Some(r.time),
            Some(r.author.clone()),
            Some(format!("file deleted by commit {}{by_pr}", short(&r.sha))),
        )
    } else {
        (None, None, None)
    };
    if revoked.len() > 1 {
        problems.push(format!("revoked {} times in the ledger", revoked.len()));
    }

    // blocked: on the default branch but never grantable as it is
    let mut blocked = Vec::new();
    if let Some(s) = &stay {
        if s.added.is_some() && slot.pr.is_none() && complete {
            blocked.push("no pull request is known for the commit that added it: a request pushed straight to the default branch is never granted".to_string());
        }
        for m in &s.modified {
            blocked.push(format!(
                "modified on the default branch by commit {}: merged requests are immutable",
                short(&m.sha)
            ));
        }
        if fields.duration.is_none() || fields.requester.is_none() {
            blocked.push("the request file is incomplete or unreadable".into());
        }
    } else if !merged.is_empty() && complete {
        blocked.push("merged per the ledger but not on the default branch".into());
    }
    if end_reason.as_deref() == Some("no-longer-eligible") {
        blocked.push("ended: no longer eligible under the current policy".into());
    }

    // on the branch, or granted as if it had been (the ledger's merge or AWS events)
    let on_branch =
        stay.is_some() || !merged.is_empty() || !activated.is_empty() || !failed.is_empty() || !ended.is_empty();
    let status = if revoked_at.is_some() {
        Status::Revoked
    } else if on_branch {
        if active_now {
            if let Some(e) = last_activation.and_then(|a| a.ends_at).or(end)
                && e <= at
            {
                problems.push(format!(
                    "still active per the ledger though its end {} has passed: the reconciler has not ended it",
                    fmt_time(e)
                ));
            }
            Status::Active
        } else if last_failure.is_some_and(|f| last_activation.is_none_or(|a| f.at > a.at) && end_event.is_none()) {
            Status::Failed
        } else if !blocked.is_empty() {
            Status::Blocked
        } else if end_event.is_some() || end.is_some_and(|e| e <= at) || removed.is_some() || stay.is_none() {
            Status::Expired
        } else {
            Status::Scheduled
        }
    } else if let Some(c) = closed.last() {
        if c.reason.as_deref() == Some("rejected") {
            Status::Rejected
        } else {
            Status::Cancelled
        }
    } else if !rejections.is_empty() {
        Status::Rejected
    } else {
        Status::Pending
    };
    problems.extend(blocked);

    // open requests: how many approvals the default branch's policy wants, and from whom
    let mut approvals_required = None;
    let mut can_approve = Vec::new();
    let mut status = status;
    if matches!(status, Status::Pending | Status::Rejected)
        && closed.is_empty()
        && let Some(set) = input.policy
    {
        if let (Some(a), Some(ps)) = (dir_account, &permission_set) {
            approvals_required = Some(set.policy().required_approvals(&a.id, &a.ou, ps).0);
        }
        {
            let co = set.codeowners();
            let approved: BTreeSet<String> = approvals.iter().map(|r| r.by.to_ascii_lowercase()).collect();
            let me = requester.as_deref().map(str::to_ascii_lowercase);
            can_approve = co
                .owners_of(&path)
                .into_iter()
                .filter(|o| match o {
                    Owner::User(u) => !approved.contains(u) && me.as_deref() != Some(u.as_str()),
                    _ => true,
                })
                .map(|o| o.to_string())
                .collect();
        }
        if status == Status::Pending
            && let Some(n) = approvals_required
            && approvals.len() as u32 >= n
        {
            status = Status::Approved;
        }
    }

    Row {
        id,
        path,
        status,
        requester,
        account: account_name,
        account_id,
        permission_set,
        start,
        start_in_file: fields.start.is_some(),
        duration: fields.duration,
        end,
        reason: fields.reason,
        ticket: fields.ticket,
        pr: slot.pr,
        pr_source: slot.pr_source,
        requested_at: requested.first().and_then(|e| e.at),
        approvals,
        rejections,
        approvals_required,
        can_approve,
        merged_at: merge.and_then(|m| m.at),
        merge_commit: merge.and_then(|m| m.merge_commit.clone()),
        added_commit: added.as_ref().map(|c| c.sha.clone()),
        added_at: added.as_ref().map(|c| c.time),
        removed_commit: removed.as_ref().map(|c| c.sha.clone()),
        removed_at: removed.as_ref().map(|c| c.time),
        closed_at: closed.last().and_then(|c| c.at),
        closed_by: closed.last().and_then(|c| c.actor.clone()),
        revoked_at,
        revoked_by,
        revoke_reason,
        user_name: activated.iter().chain(failed.iter()).find_map(|e| e.user_name.clone()),
        activated_at: activated.first().and_then(|e| e.at),
        ends_at: last_activation.and_then(|e| e.ends_at),
        ended_at: end_event.and_then(|e| e.at),
        end_reason,
        failures: failed
            .iter()
            .map(|e| Failure {
                at: e.at.unwrap_or_default(),
                reason: e.reason.clone().unwrap_or_default(),
            })
            .collect(),
        verify: None,
        problems,
        merge_event: merge.and_then(|m| index_of(&input.ledger.events, m)),
        added_blob: stay.as_ref().and_then(|s| s.blob.clone()),
        earlier_add: stay.as_ref().and_then(|s| s.earlier_add.clone()),
    }
}

/// The position of an event borrowed from `events` (address arithmetic, no `unsafe`).
fn index_of(events: &[Event], e: &Event) -> Option<usize> {
    let size = std::mem::size_of::<Event>().max(1);
    let base = events.as_ptr() as usize;
    let addr = e as *const Event as usize;
    (addr >= base && addr < base + events.len() * size).then(|| (addr - base) / size)
}

/// Time left until `end`, as `1h30m`.
pub fn humane(d: TimeDelta) -> String {
    let mut s = d.num_seconds().max(0);
    if s == 0 {
        return "0m".into();
    }
    let mut out = String::new();
    for (unit, n) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if s >= n {
            out.push_str(&format!("{}{unit}", s / n));
            s %= n;
        }
    }
    if out.is_empty() {
        out = format!("{s}s");
    }
    out
}

#[cfg(test)]
mod tests;
