//! The join of the history's stays with the ledger's events (DESIGN 6): events before a
//! merge are grouped by (path, PR); each stay on the default branch claims its PR's group;
//! groups left over are requests that never reached the branch; events after a merge go
//! to the stay of their path that began last before them. Each slot becomes a row.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::compact::{AuditEvent as Event, AuditLedger as Ledger};
use super::history::{Stay, pr_from_subject, stays};
use super::row::make_row;
use super::types::{History, Input, Report, Row};
use super::{fmt_time, short};
use crate::core::ledger::Kind;

/// Ledger events before the merge, keyed by (path, PR).
#[derive(Debug, Default)]
pub(super) struct Group<'a> {
    pub events: Vec<&'a Event>,
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
pub(super) struct Slot<'a> {
    pub path: String,
    pub pr: Option<u64>,
    pub pr_source: Option<&'static str>,
    /// Boxed: most of a slot, and the slots are all held until the rows are made.
    pub stay: Option<Box<Stay>>,
    /// Events up to the merge (requested, reviews, merged, closed).
    pub pre: Vec<&'a Event>,
    /// Events after the merge (activated, ended, failed, revoked).
    pub post: Vec<&'a Event>,
    pub problems: Vec<String>,
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

/// Joins the history with the ledger: one row per request, sorted by when it began.
pub fn build(input: &Input<'_>) -> Report {
    let mut problems = unreadable_ledger_lines(input.ledger);
    let (stays, complete) = stays(input.history, input.at);
    let (mut groups, post) = sort_ledger_events(input.ledger, input.at, &mut problems);
    let history_shas: BTreeSet<&str> = match input.history {
        History::Log(c) => c.iter().map(|c| c.commit.sha.as_str()).collect(),
        History::Tip(_) => BTreeSet::new(),
    };
    let mut slots = {
        let mut claims = Claims::new(&mut groups, &stays, complete, &history_shas, input.on_branch);
        stays.into_iter().map(|stay| claims.claim(stay)).collect::<Vec<_>>()
    };
    slots.extend(requests_off_the_branch(groups, complete));
    place_post_merge_events(&mut slots, post, complete);
    let mut rows: Vec<Row> = slots.into_iter().map(|s| make_row(s, input, complete)).collect();
    rows.sort_by(|a, b| {
        first_time(a)
            .cmp(&first_time(b))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.pr.cmp(&b.pr))
    });
    Report { rows, problems }
}

fn unreadable_ledger_lines(ledger: &Ledger) -> Vec<String> {
    ledger
        .bad_lines
        .iter()
        .map(|b| {
            if b.line == 0 {
                format!("ledger {}: {}", b.file, b.error)
            } else {
                format!("ledger {}:{}: unreadable event, skipped: {}", b.file, b.line, b.error)
            }
        })
        .collect()
}

type PostEvents<'a> = BTreeMap<String, Vec<&'a Event>>;

/// Step 1: the ledger's events up to `at`, those before a merge grouped by (path, PR),
/// those after it by path. An event that names no request is a problem.
fn sort_ledger_events<'a>(
    ledger: &'a Ledger,
    at: DateTime<Utc>,
    problems: &mut Vec<String>,
) -> (BTreeMap<Key, Group<'a>>, PostEvents<'a>) {
    let mut groups: BTreeMap<Key, Group> = BTreeMap::new();
    let mut post: PostEvents = BTreeMap::new();
    let mut closed: Vec<&Event> = Vec::new();
    let no_request = |e: &Event| format!("ledger {} names no request; not placed on a row", describe(e));
    for e in ledger.events.iter().filter(|e| e.at.is_some_and(|t| t <= at)) {
        let Some(kind) = e.kind else { continue };
        match kind {
            Kind::Requested | Kind::Approved | Kind::ChangesRequested | Kind::Reviewed => match &e.request {
                Some(p) => groups.entry((p.clone(), e.pr)).or_default().events.push(e),
                None => problems.push(no_request(e)),
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
                None => problems.push(no_request(e)),
            },
            // every other kind is on no row (`compact::placed` lists them): hand-made
            // assignments are not requests (`gitgrant plan` reports them); an intent to
            // assign is not an activation, the `activated` (or `failed`) that follows is; nor
            // is an `unknown` outcome, which a later run settles
            _ => {}
        }
    }
    place_closed_events(closed, &mut groups, problems);
    (groups, post)
}

/// A PR closed unmerged joins the groups of the paths it names, or else of its PR.
fn place_closed_events<'a>(closed: Vec<&'a Event>, groups: &mut BTreeMap<Key, Group<'a>>, problems: &mut Vec<String>) {
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
}

/// Step 2: each stay on the default branch is a row; it claims its PR's group.
struct Claims<'g, 'a> {
    groups: &'g mut BTreeMap<Key, Group<'a>>,
    /// Merge events of each path not yet matched to a stay.
    merged_for_path: BTreeMap<String, Vec<&'a Event>>,
    stays_of_path: HashMap<String, usize>,
    complete: bool,
    history_shas: &'g BTreeSet<&'g str>,
    on_branch: &'g BTreeSet<String>,
}

impl<'g, 'a> Claims<'g, 'a> {
    fn new(
        groups: &'g mut BTreeMap<Key, Group<'a>>,
        stays: &[Stay],
        complete: bool,
        history_shas: &'g BTreeSet<&'g str>,
        on_branch: &'g BTreeSet<String>,
    ) -> Self {
        let mut merged_for_path: BTreeMap<String, Vec<&Event>> = BTreeMap::new();
        for ((p, _), g) in groups.iter() {
            for e in g.events.iter().copied().filter(|e| e.kind == Some(Kind::Merged)) {
                merged_for_path.entry(p.clone()).or_default().push(e);
            }
        }
        let stays_of_path = stays.iter().fold(HashMap::new(), |mut m, s| {
            *m.entry(s.path.clone()).or_insert(0) += 1;
            m
        });
        Claims {
            groups,
            merged_for_path,
            stays_of_path,
            complete,
            history_shas,
            on_branch,
        }
    }

    fn is_on_branch(&self, sha: &str) -> bool {
        self.history_shas.contains(sha) || self.on_branch.contains(sha)
    }

    fn claim(&mut self, stay: Stay) -> Slot<'a> {
        let mut problems = Vec::new();
        let subject_pr = stay.added.as_ref().and_then(|c| pr_from_subject(&c.subject));
        let mut pr = match self.merge_record_of(&stay) {
            Some(merge) => self.take_merge_record(&stay, merge, subject_pr, &mut problems),
            None => None,
        };
        if pr.is_none() {
            pr = subject_pr;
        }
        if pr.is_none() {
            pr = self.pr_requested_before(&stay).map(|n| (n, "ledger"));
        }
        let pre = self
            .groups
            .remove(&(stay.path.clone(), pr.map(|p| p.0)))
            .map(|g| g.events)
            .unwrap_or_default();
        Slot {
            path: stay.path.clone(),
            pr: pr.map(|p| p.0),
            pr_source: pr.map(|p| p.1),
            stay: Some(Box::new(stay)),
            pre,
            post: vec![],
            problems,
        }
    }

    /// The ledger's merge record of the stay: by merge commit, else the only or nearest one.
    fn merge_record_of(&self, stay: &Stay) -> Option<&'a Event> {
        let candidates = self.merged_for_path.get(&stay.path)?;
        let added_sha = stay.added.as_ref().map(|c| &c.sha);
        if let Some(e) = candidates
            .iter()
            .copied()
            .find(|e| e.merge_commit().is_some() && e.merge_commit() == added_sha)
        {
            return Some(e);
        }
        if self.stays_of_path.get(&stay.path) == Some(&1) || stay.added.is_none() {
            return candidates.last().copied();
        }
        let t = stay.added.as_ref().map(|c| c.time);
        candidates
            .iter()
            .min_by_key(|e| match (e.at, t) {
                (Some(a), Some(b)) => (a - b).num_seconds().abs(),
                _ => i64::MAX,
            })
            .copied()
    }

    /// Takes a merge record for the stay (when it names its PR), noting where the record
    /// and the branch disagree.
    fn take_merge_record(
        &mut self,
        stay: &Stay,
        merge: &'a Event,
        subject_pr: Option<(u64, &'static str)>,
        problems: &mut Vec<String>,
    ) -> Option<(u64, &'static str)> {
        let n = merge.pr?;
        if let Some(list) = self.merged_for_path.get_mut(&stay.path) {
            list.retain(|e| !std::ptr::eq(*e, merge));
        }
        let added_sha = stay.added.as_ref().map(|c| &c.sha);
        if let Some(mc) = merge.merge_commit()
            && Some(mc) != added_sha
            && self.complete
            && !self.is_on_branch(mc)
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
        Some((n, "ledger"))
    }

    /// No merge record and no PR in the subject: a PR the ledger saw requested before the
    /// file arrived (a rebase merge whose merge was not recorded).
    fn pr_requested_before(&self, stay: &Stay) -> Option<u64> {
        let t = stay.added.as_ref().map(|c| c.time)?;
        // keys sort by path, then PR (`None` first): the groups of this path
        self.groups
            .range((stay.path.clone(), None)..)
            .take_while(|((p, _), _)| p == &stay.path)
            .filter(|((_, n), g)| n.is_some() && !g.has(Kind::ClosedUnmerged) && g.first_at().is_some_and(|f| f <= t))
            .filter_map(|((_, n), g)| Some((g.first_at()?, (*n)?)))
            .max()
            .map(|(_, n)| n)
    }
}

/// Step 3: the ledger's requests that never reached the default branch.
fn requests_off_the_branch<'a>(groups: BTreeMap<Key, Group<'a>>, complete: bool) -> Vec<Slot<'a>> {
    groups
        .into_iter()
        .map(|((path, pr), g)| {
            let mut problems = Vec::new();
            if g.has(Kind::Merged) && complete {
                problems.push(format!(
                    "the ledger records a merge{} but the file is not in the default branch's history (history rewritten by a force-push, or the wrong `--ref`?)",
                    pr.map(|n| format!(" of PR #{n}")).unwrap_or_default()
                ));
            }
            Slot {
                path,
                pr,
                pr_source: pr.map(|_| "ledger"),
                stay: None,
                pre: g.events,
                post: vec![],
                problems,
            }
        })
        .collect()
}

/// Step 4: events after the merge go to the stay (or ledger row) of their path that began
/// last before them; a path with no row gets one.
fn place_post_merge_events<'a>(slots: &mut Vec<Slot<'a>>, post: PostEvents<'a>, complete: bool) {
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
                slots.push(row_of_post_events_alone(path, complete));
                vec![slots.len() - 1]
            }
        };
        let mut ordered: Vec<(Option<DateTime<Utc>>, usize)> =
            targets.iter().map(|&i| (slots[i].start_key(), i)).collect();
        ordered.sort();
        for e in events {
            let pick = ordered
                .iter()
                .rev()
                .find(|(s, _)| s.is_some() && *s <= e.at)
                .or_else(|| ordered.first())
                .map(|(_, i)| *i);
            if let Some(i) = pick {
                slots[i].post.push(e);
            }
        }
    }
}

fn row_of_post_events_alone<'a>(path: String, complete: bool) -> Slot<'a> {
    Slot {
        path,
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
    }
}

fn first_time(r: &Row) -> Option<DateTime<Utc>> {
    [r.requested_at, r.added_at, r.merged_at, r.closed_at, r.start]
        .into_iter()
        .flatten()
        .min()
}
