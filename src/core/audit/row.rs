//! One row of the audit: the request file as added (read leniently), the ledger's events
//! of its slot, and what they add up to: who asked for what and when, the reviews, the
//! activation and end, a revocation, why it is blocked, its status, and for an open
//! request the approvals the policy still wants.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::compact::AuditEvent as Event;
use super::history::{Stay, pr_from_subject};
use super::join::Slot;
use super::types::{Commit, Failure, Input, Review, Row, Status};
use super::{fmt_time, short};
use crate::core::files::duration::HumaneDuration;
use crate::core::files::lexical::is_account_id;
use crate::core::files::load::PolicySet;
use crate::core::ledger::Kind;
use crate::core::model::codeowners::Owner;
use crate::core::model::directory::Account;
use crate::core::model::request::{PathProblem, RequestPath};

/// Builds one row from a slot of the join: the file as added, the ledger's events, the
/// status they add up to, and what the default branch's policy says of an open request.
pub(super) fn make_row(slot: Slot<'_>, input: &Input<'_>, complete: bool) -> Row {
    let mut problems = slot.problems;
    let stay = slot.stay.map(|s| *s);
    let path = slot.path;
    let parsed_path = RequestPath::parse(&path);
    let id = request_id(&path, &parsed_path);
    note_path_problems(stay.as_ref(), parsed_path.is_ok(), &mut problems);
    let fields = file_fields(stay.as_ref(), input.contents, &mut problems);
    let events = Events::sort(&slot.pre, &slot.post, &mut problems);
    note_observed_activation(&events, &mut problems);
    let (approvals, rejections) = approvals_and_rejections(&path, &slot.pre, &events);
    let target = Target::of(&fields, &parsed_path, &events, input.policy);
    let window = Window::of(&fields, &events, stay.as_ref(), &mut problems);
    let life = Lifecycle::of(&events);
    let revocation = Revocation::of(&events, &life, stay.as_ref(), window.end, &mut problems);
    let blocked = blocked_reasons(stay.as_ref(), slot.pr.is_none(), &fields, &events, &life, complete);
    let facts = Facts {
        stay: stay.as_ref(),
        events: &events,
        life: &life,
        window: &window,
        revoked: revocation.at.is_some(),
        blocked: !blocked.is_empty(),
        has_rejections: !rejections.is_empty(),
        at: input.at,
    };
    let status = status_of(&facts, &mut problems);
    problems.extend(blocked);
    let open = OpenRequest::of(status, &path, &events, &target, &approvals, input.policy);
    let emergency = emergency_review(&path, slot.pr, &events, input.at, &mut problems);
    Row {
        id,
        path,
        status: open.status,
        requester: target.requester,
        account: target.account_name,
        account_id: target.account_id,
        permission_set: target.permission_set,
        start: window.start,
        start_in_file: fields.start.is_some(),
        duration: fields.duration,
        end: window.end,
        reason: fields.reason,
        ticket: fields.ticket,
        pr: slot.pr,
        pr_source: slot.pr_source,
        requested_at: events.requested.first().and_then(|e| e.at),
        approvals,
        rejections,
        approvals_required: open.approvals_required,
        can_approve: open.can_approve,
        merged_at: events.merge().and_then(|m| m.at),
        merge_commit: events.merge().and_then(|m| m.merge_commit().cloned()),
        added_commit: window.added.as_ref().map(|c| c.sha.clone()),
        added_at: window.added.as_ref().map(|c| c.time),
        removed_commit: window.removed.as_ref().map(|c| c.sha.clone()),
        removed_at: window.removed.as_ref().map(|c| c.time),
        closed_at: events.closed.last().and_then(|c| c.at),
        closed_by: events.closed.last().and_then(|c| c.actor.clone()),
        revoked_at: revocation.at,
        revoked_by: revocation.by,
        revoke_reason: revocation.reason,
        user_name: events.user_name(),
        activated_at: events.activated.first().and_then(|e| e.at),
        activated_after: events.activated.first().and_then(|e| e.started_after()),
        ends_at: life.last_activation.and_then(|e| e.ends_at()),
        ended_at: life.end_event.and_then(|e| e.at),
        end_reason: life.end_reason,
        failures: failures(&events.failed),
        emergency,
        verify: None,
        problems,
        merge_event: events.merge().and_then(|m| index_of(&input.ledger.events, m)),
        added_blob: stay.as_ref().and_then(|s| s.blob.clone()),
        earlier_add: stay.as_ref().and_then(|s| s.earlier_add.clone()),
    }
}

/// An activation a later run recorded (issue 11 item 2): the grant's start is known only
/// to lie between the intent and that observation, which the row says.
fn note_observed_activation(events: &Events<'_>, problems: &mut Vec<String>) {
    if let Some(e) = events.activated.first()
        && let (Some(after), Some(seen)) = (e.started_after(), e.at)
    {
        problems.push(format!(
            "activation recorded by a later run: the assignment started between {} and {} (the run that made it stopped before recording it)",
            after.to_rfc3339(),
            seen.to_rfc3339()
        ));
    }
}

/// The request's id: its path's, or the file name of a path that is not canonical.
fn request_id(path: &str, parsed_path: &Result<RequestPath, PathProblem>) -> String {
    match parsed_path {
        Ok(p) => p.id.clone(),
        Err(_) => path
            .rsplit('/')
            .next()
            .unwrap_or(path)
            .trim_end_matches(".toml")
            .to_string(),
    }
}

fn note_path_problems(stay: Option<&Stay>, canonical: bool, problems: &mut Vec<String>) {
    if stay.is_some() && !canonical {
        problems.push("not a canonical request path (`requests/<account>/<permission-set>/<id>.toml`)".into());
    }
    if let Some(s) = stay {
        problems.extend(s.problems.iter().cloned());
        if let Some(earlier) = &s.earlier_add {
            problems.push(format!(
                "the path was used before (added by commit {}): request paths are never reused",
                short(earlier)
            ));
        }
    }
}

/// The request file as added to the default branch, when the stay has one.
fn file_fields(stay: Option<&Stay>, contents: &HashMap<String, Vec<u8>>, problems: &mut Vec<String>) -> Fields {
    let Some(blob) = stay.and_then(|s| s.blob.as_ref()) else {
        return Fields::default();
    };
    match contents.get(blob) {
        Some(bytes) => read_fields(bytes, problems),
        None => {
            problems.push(format!("the request file (blob {}) could not be read", short(blob)));
            Fields::default()
        }
    }
}

/// A slot's ledger events by kind, each oldest first.
struct Events<'e> {
    requested: Vec<&'e Event>,
    merged: Vec<&'e Event>,
    closed: Vec<&'e Event>,
    revoked: Vec<&'e Event>,
    activated: Vec<&'e Event>,
    ended: Vec<&'e Event>,
    failed: Vec<&'e Event>,
    /// Break-glass reviews after the fact (`reviewed`), of this PR.
    reviewed: Vec<&'e Event>,
}

impl<'e> Events<'e> {
    fn sort(pre: &[&'e Event], post: &[&'e Event], problems: &mut Vec<String>) -> Self {
        fn of<'e>(events: &[&'e Event], k: Kind) -> Vec<&'e Event> {
            let mut v: Vec<&Event> = events.iter().copied().filter(|e| e.kind == Some(k)).collect();
            v.sort_by_key(|e| e.at);
            v
        }
        let merged = of(pre, Kind::Merged);
        if merged.len() > 1 {
            problems.push(format!("the ledger records {} merges of this PR", merged.len()));
        }
        Events {
            requested: of(pre, Kind::Requested),
            merged,
            closed: of(pre, Kind::ClosedUnmerged),
            revoked: of(post, Kind::Revoked),
            activated: of(post, Kind::Activated),
            ended: of(post, Kind::Ended),
            failed: of(post, Kind::Failed),
            reviewed: of(pre, Kind::Reviewed),
        }
    }

    /// The Identity Center user an activation or a failure names.
    fn user_name(&self) -> Option<String> {
        self.activated
            .iter()
            .chain(self.failed.iter())
            .find_map(|e| e.user_name().cloned())
    }

    /// The ledger's merge record (the last, when there are several).
    fn merge(&self) -> Option<&'e Event> {
        self.merged.last().copied()
    }
}

/// The approvers the merge's approval record counted (DESIGN 10.3), else the latest review
/// of each reviewer, else the approvals of the merge's evidence when the ledger recorded none.
fn approvals_and_rejections(path: &str, pre: &[&Event], events: &Events<'_>) -> (Vec<Review>, Vec<Review>) {
    let (approvals, rejections) = reviews(pre);
    let record = events.merge().and_then(|m| m.records().iter().find(|r| r.path == path));
    if let Some(r) = record {
        let counted = r
            .approvers
            .iter()
            .map(|a| Review {
                by: a.login.clone(),
                at: a.submitted_at,
                note: a.note.clone(),
                review_id: Some(a.review_id),
            })
            .collect();
        return (counted, rejections);
    }
    // no approval recorded in the ledger: the evidence's (none without evidence)
    match events.merge().and_then(|m| m.merge.as_ref()) {
        Some(m) if approvals.is_empty() => (m.evidence_approvals.clone(), rejections),
        _ => (approvals, rejections),
    }
}

/// A break-glass grant's review: the due time its merge's approval record names, and the
/// first `reviewed` event of its PR.
/// An overdue review is one of the row's problems too.
fn emergency_review(
    path: &str,
    pr: Option<u64>,
    events: &Events<'_>,
    at: DateTime<Utc>,
    problems: &mut Vec<String>,
) -> Option<super::types::EmergencyReview> {
    use crate::core::emergency::ReviewState;
    let record = events
        .merge()
        .and_then(|m| m.records().iter().find(|r| r.path == path))?;
    let due = record.emergency_review_due?;
    let first = events.reviewed.first().copied();
    let reviewed_at = first.and_then(|e| e.at);
    let state = ReviewState::of(due, reviewed_at, at);
    if state == ReviewState::Overdue {
        problems.push(format!(
            "break-glass review overdue: not reviewed by its code owners by {}: `/reviewed [note]` on PR #{}",
            fmt_time(due),
            pr.map(|n| n.to_string()).unwrap_or_else(|| "?".into())
        ));
    }
    Some(super::types::EmergencyReview {
        due,
        state,
        reviewed_by: first.and_then(|e| e.actor.clone()),
        reviewed_at,
        review_note: first.and_then(|e| e.reason.clone()),
    })
}

/// Who asked for what: the file's fields, else the path's and the ledger's.
struct Target<'p> {
    requester: Option<String>,
    /// The account's name (the directory's, for a file that names an id).
    account_name: Option<String>,
    account_id: Option<String>,
    permission_set: Option<String>,
    /// The account in the default branch's directory.
    directory_account: Option<&'p Account>,
}

impl<'p> Target<'p> {
    fn of(
        fields: &Fields,
        parsed_path: &Result<RequestPath, PathProblem>,
        events: &Events<'_>,
        policy: Option<&'p PolicySet>,
    ) -> Self {
        let requester = fields
            .requester
            .clone()
            .or_else(|| events.requested.first().and_then(|e| e.actor.clone()));
        let account = fields
            .account
            .clone()
            .or_else(|| parsed_path.as_ref().ok().map(|p| p.account.clone()));
        let permission_set = fields
            .permission_set
            .clone()
            .or_else(|| parsed_path.as_ref().ok().map(|p| p.permission_set.clone()));
        let directory = policy.map(|p| p.directory());
        let directory_account = account.as_deref().and_then(|a| directory.and_then(|d| d.account(a)));
        let account_id = directory_account
            .map(|a| a.id.clone())
            .or_else(|| account.clone().filter(|a| is_account_id(a)))
            .or_else(|| {
                events
                    .activated
                    .iter()
                    .chain(events.failed.iter())
                    .find_map(|e| e.account_id().cloned())
            });
        let account_name = match (&account, directory_account) {
            (Some(a), Some(d)) if is_account_id(a) => Some(d.name.clone()),
            _ => account,
        };
        Target {
            requester,
            account_name,
            account_id,
            permission_set,
            directory_account,
        }
    }
}

/// When the access was to be held: the requested start (or the merge time) and the end
/// the duration gives; and the commits that added and removed the file.
struct Window {
    added: Option<Commit>,
    removed: Option<Commit>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

impl Window {
    fn of(fields: &Fields, events: &Events<'_>, stay: Option<&Stay>, problems: &mut Vec<String>) -> Self {
        let added = stay.and_then(|s| s.added.clone());
        let removed = stay.and_then(|s| s.removed.clone());
        let merged_at = events
            .merge()
            .and_then(|m| m.at)
            .or_else(|| added.as_ref().map(|c| c.time));
        let start = fields.start.or(merged_at);
        if start.is_none() && stay.is_some_and(|s| s.blob.is_some()) && fields.duration.is_some() {
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
        Window {
            added,
            removed,
            start,
            end,
        }
    }
}

/// Where the assignment stands per the ledger's AWS events.
struct Lifecycle<'e> {
    last_activation: Option<&'e Event>,
    last_failure: Option<&'e Event>,
    /// Activated, and not ended since.
    active_now: bool,
    /// The end of the latest activation (or an end with no activation).
    end_event: Option<&'e Event>,
    end_reason: Option<String>,
}

impl<'e> Lifecycle<'e> {
    fn of(events: &Events<'e>) -> Self {
        let last_activation = events.activated.last().copied();
        let last_end = events.ended.last().copied();
        let end_event = last_end.filter(|e| last_activation.is_none_or(|a| e.at >= a.at));
        Lifecycle {
            last_activation,
            last_failure: events.failed.last().copied(),
            active_now: last_activation.is_some_and(|a| last_end.is_none_or(|e| e.at < a.at)),
            end_event,
            end_reason: end_event.and_then(|e| e.reason.clone()),
        }
    }
}

/// A revocation: the ledger's, an end for that reason, or the file deleted early.
struct Revocation {
    at: Option<DateTime<Utc>>,
    by: Option<String>,
    reason: Option<String>,
}

impl Revocation {
    fn of(
        events: &Events<'_>,
        life: &Lifecycle<'_>,
        stay: Option<&Stay>,
        end: Option<DateTime<Utc>>,
        problems: &mut Vec<String>,
    ) -> Self {
        if events.revoked.len() > 1 {
            problems.push(format!("revoked {} times in the ledger", events.revoked.len()));
        }
        let removed = stay.and_then(|s| s.removed.as_ref());
        let removed_early = match (removed, end) {
            (Some(r), Some(e)) => r.time < e,
            _ => false,
        };
        let (at, by, reason) = if let Some(r) = events.revoked.first() {
            (r.at, r.actor.clone(), r.reason.clone())
        } else if life.end_reason.as_deref() == Some("revoked") {
            (life.end_event.and_then(|e| e.at), None, None)
        } else if removed_early && let Some(r) = removed {
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
        Revocation { at, by, reason }
    }
}

/// Why a request on the default branch is never grantable as it is.
fn blocked_reasons(
    stay: Option<&Stay>,
    no_pr: bool,
    fields: &Fields,
    events: &Events<'_>,
    life: &Lifecycle<'_>,
    complete: bool,
) -> Vec<String> {
    let mut blocked = Vec::new();
    if let Some(s) = stay {
        if s.added.is_some() && no_pr && complete {
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
    } else if !events.merged.is_empty() && complete {
        blocked.push("merged per the ledger but not on the default branch".into());
    }
    if life.end_reason.as_deref() == Some("no-longer-eligible") {
        blocked.push("ended: no longer eligible under the current policy".into());
    }
    blocked
}

/// What the status is decided from.
struct Facts<'f, 'e> {
    stay: Option<&'f Stay>,
    events: &'f Events<'e>,
    life: &'f Lifecycle<'e>,
    window: &'f Window,
    revoked: bool,
    blocked: bool,
    has_rejections: bool,
    at: DateTime<Utc>,
}

/// The row's status (docs/audit.md), before the policy's approvals are counted.
fn status_of(f: &Facts<'_, '_>, problems: &mut Vec<String>) -> Status {
    let events = f.events;
    // on the branch, or granted as if it had been (the ledger's merge or AWS events)
    let on_branch = f.stay.is_some()
        || !events.merged.is_empty()
        || !events.activated.is_empty()
        || !events.failed.is_empty()
        || !events.ended.is_empty();
    if f.revoked {
        Status::Revoked
    } else if on_branch {
        granted_status(f, problems)
    } else if let Some(c) = events.closed.last() {
        if c.reason.as_deref() == Some("rejected") {
            Status::Rejected
        } else {
            Status::Cancelled
        }
    } else if f.has_rejections {
        Status::Rejected
    } else {
        Status::Pending
    }
}

/// The status of a request on the branch (or granted as if it were).
fn granted_status(f: &Facts<'_, '_>, problems: &mut Vec<String>) -> Status {
    let life = f.life;
    let end = f.window.end;
    if life.active_now {
        if let Some(e) = life.last_activation.and_then(|a| a.ends_at()).or(end)
            && e <= f.at
        {
            problems.push(format!(
                "still active per the ledger though its end {} has passed: the reconciler has not ended it",
                fmt_time(e)
            ));
        }
        Status::Active
    } else if life
        .last_failure
        .is_some_and(|x| life.last_activation.is_none_or(|a| x.at > a.at) && life.end_event.is_none())
    {
        Status::Failed
    } else if f.blocked {
        Status::Blocked
    } else if life.end_event.is_some()
        || end.is_some_and(|e| e <= f.at)
        || f.window.removed.is_some()
        || f.stay.is_none()
    {
        Status::Expired
    } else {
        Status::Scheduled
    }
}

/// An open request: how many approvals the default branch's policy wants, and from whom.
struct OpenRequest {
    status: Status,
    approvals_required: Option<u32>,
    can_approve: Vec<String>,
}

impl OpenRequest {
    fn of(
        status: Status,
        path: &str,
        events: &Events<'_>,
        target: &Target<'_>,
        approvals: &[Review],
        policy: Option<&PolicySet>,
    ) -> Self {
        let mut open = OpenRequest {
            status,
            approvals_required: None,
            can_approve: Vec::new(),
        };
        if !matches!(status, Status::Pending | Status::Rejected) || !events.closed.is_empty() {
            return open;
        }
        let Some(set) = policy else { return open };
        if let (Some(a), Some(ps)) = (target.directory_account, &target.permission_set) {
            open.approvals_required = Some(set.policy().required_approvals(&a.id, &a.ou, ps).0);
        }
        {
            let co = set.codeowners();
            let approved: BTreeSet<String> = approvals.iter().map(|r| r.by.to_ascii_lowercase()).collect();
            let me = target.requester.as_deref().map(str::to_ascii_lowercase);
            open.can_approve = co
                .owners_of(path)
                .into_iter()
                .filter(|o| match o {
                    Owner::User(u) => !approved.contains(u) && me.as_deref() != Some(u.as_str()),
                    _ => true,
                })
                .map(|o| o.to_string())
                .collect();
        }
        if status == Status::Pending
            && let Some(n) = open.approvals_required
            && approvals.len() as u32 >= n
        {
            open.status = Status::Approved;
        }
        open
    }
}

fn failures(failed: &[&Event]) -> Vec<Failure> {
    failed
        .iter()
        .map(|e| Failure {
            at: e.at.unwrap_or_default(),
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect()
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
    // every row keeps its reviews: no spare capacity
    approvals.shrink_to_fit();
    rejections.shrink_to_fit();
    (approvals, rejections)
}

/// The position of an event borrowed from `events` (address arithmetic, no `unsafe`).
fn index_of(events: &[Event], e: &Event) -> Option<usize> {
    let size = std::mem::size_of::<Event>().max(1);
    let base = events.as_ptr() as usize;
    let addr = e as *const Event as usize;
    (addr >= base && addr < base + events.len() * size).then(|| (addr - base) / size)
}
