//! Break-glass after the fact (issue 13 item 2), pure: a grant approved without review
//! under an emergency rule carries a review due time in its approval record; a code owner of
//! the request (never the requester or anyone who pushed to the PR) reviews it with a
//! `/reviewed [note]` comment or an approving review, each recorded once as a `reviewed`
//! ledger event; a grant not reviewed by its due time is overdue, recorded once as a
//! `review_overdue` event, listed by `status` and a finding of `audit --verify`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::gate::approvals::{self, Excluded};
use crate::core::gate::facts::PrFacts;
use crate::core::gate::ledger_events::RevokeComment;
use crate::core::gate::record::{self, ApprovalRecord};
use crate::core::ledger::{Event, Kind};
use crate::core::model::codeowners::Owner;
use crate::core::model::request::RequestPath;

/// Where a break-glass grant's review after the fact stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewState {
    /// Not reviewed yet, and not due yet.
    Awaiting,
    /// Not reviewed, and the due time has passed: a finding.
    Overdue,
    /// Reviewed by a code owner by the due time.
    Reviewed,
    /// Reviewed, but after the due time (shown; no longer a finding).
    ReviewedLate,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Awaiting => "awaiting review",
            ReviewState::Overdue => "review overdue",
            ReviewState::Reviewed => "reviewed",
            ReviewState::ReviewedLate => "reviewed late",
        }
    }

    /// The state of a grant due at `due`, first reviewed at `reviewed` (if it was), at `at`.
    pub fn of(due: DateTime<Utc>, reviewed: Option<DateTime<Utc>>, at: DateTime<Utc>) -> ReviewState {
        match reviewed {
            Some(r) if r <= due => ReviewState::Reviewed,
            Some(_) => ReviewState::ReviewedLate,
            None if at > due => ReviewState::Overdue,
            None => ReviewState::Awaiting,
        }
    }
}

/// The first review of a break-glass grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostReview {
    pub by: String,
    pub at: DateTime<Utc>,
    pub note: String,
}

/// One break-glass grant and its review after the fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmergencyGrant {
    pub path: String,
    pub pr: u64,
    pub requester: String,
    pub account_id: String,
    pub permission_set: String,
    pub merged_at: DateTime<Utc>,
    pub due: DateTime<Utc>,
    pub review: Option<PostReview>,
    /// Whether the ledger already records the review as overdue.
    #[serde(skip)]
    pub overdue_recorded: bool,
}

impl EmergencyGrant {
    pub fn state(&self, at: DateTime<Utc>) -> ReviewState {
        ReviewState::of(self.due, self.review.as_ref().map(|r| r.at), at)
    }
}

/// Every break-glass grant the events record (one per path: the first record that says it
/// is one), each with its first `reviewed` event of the same PR, oldest merge first.
pub fn grants<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<EmergencyGrant> {
    let mut found: BTreeMap<String, EmergencyGrant> = BTreeMap::new();
    let mut reviews: Vec<&Event> = Vec::new();
    let mut overdue: BTreeSet<(String, u64)> = BTreeSet::new();
    for e in events {
        match e.kind {
            Some(Kind::Merged) => {
                for r in e.records.iter().filter(|r| r.emergency_review_due.is_some()) {
                    found.entry(r.path.clone()).or_insert_with(|| grant_of(r));
                }
            }
            Some(Kind::Reviewed) => reviews.push(e),
            Some(Kind::ReviewOverdue) => {
                if let (Some(p), Some(pr)) = (&e.request, e.pr) {
                    overdue.insert((p.clone(), pr));
                }
            }
            _ => {}
        }
    }
    reviews.sort_by_key(|e| e.at);
    for e in reviews {
        let (Some(path), Some(at), Some(by)) = (&e.request, e.at, &e.actor) else {
            continue;
        };
        if let Some(g) = found.get_mut(path).filter(|g| Some(g.pr) == e.pr && g.review.is_none()) {
            g.review = Some(PostReview {
                by: by.clone(),
                at,
                note: e.reason.clone().unwrap_or_default(),
            });
        }
    }
    let mut out: Vec<EmergencyGrant> = found
        .into_values()
        .map(|mut g| {
            g.overdue_recorded = overdue.contains(&(g.path.clone(), g.pr));
            g
        })
        .collect();
    out.sort_by(|a, b| a.merged_at.cmp(&b.merged_at).then(a.path.cmp(&b.path)));
    out
}

fn grant_of(r: &ApprovalRecord) -> EmergencyGrant {
    EmergencyGrant {
        path: r.path.clone(),
        pr: r.pr,
        requester: r.requester.clone(),
        account_id: r.account_id.clone(),
        permission_set: r.permission_set.clone(),
        merged_at: r.merged_at,
        due: r.emergency_review_due.unwrap_or(r.merged_at),
        review: None,
        overdue_recorded: false,
    }
}

/// One `review_overdue` event for each grant overdue at `at` that the ledger does not yet
/// record as overdue.
pub fn overdue_events(grants: &[EmergencyGrant], at: DateTime<Utc>) -> Vec<Event> {
    grants
        .iter()
        .filter(|g| g.state(at) == ReviewState::Overdue && !g.overdue_recorded)
        .map(|g| {
            let mut e = Event::new(Kind::ReviewOverdue, at);
            e.request = Some(g.path.clone());
            e.request_id = RequestPath::parse(&g.path).ok().map(|p| p.id);
            e.pr = Some(g.pr);
            e.account_id = Some(g.account_id.clone());
            e.permission_set = Some(g.permission_set.clone());
            e.ends_at = Some(g.due);
            e.reason = Some(format!(
                "break-glass grant to {} (PR #{}) was not reviewed by {}",
                g.requester,
                g.pr,
                g.due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
            e
        })
        .collect()
}

/// The note after `/reviewed`, when the comment is the review command.
pub fn parse_reviewed(body: &str) -> Option<String> {
    let first = body.lines().next()?.trim();
    let rest = first.strip_prefix("/reviewed")?;
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None; // `/reviewedx`: not the command
    }
    Some(rest.trim().chars().take(2000).collect())
}

/// Who may review `path` after the fact: a code owner of it (a user, or a member of an owning
/// team as read), who is not excluded from approving the PR (the requester, the author,
/// commit authors, committers, co-authors, pushers). `Err` says why not.
fn may_review(login: &str, owners: &[Owner], facts: &PrFacts, excluded: &Excluded, path: &str) -> Result<(), String> {
    let login = login.to_ascii_lowercase();
    if excluded.logins.contains(&login) || excluded.pushers.contains(&login) {
        return Err(format!(
            "`{login}` asked for, wrote or pushed `{path}`: a break-glass grant is reviewed by another code owner"
        ));
    }
    let owner = owners.iter().any(|o| match o {
        Owner::User(u) => *u == login,
        Owner::Team(t) => facts.teams.get(t).is_some_and(|m| m.contains(&login)),
        Owner::Email(_) => false,
    });
    match owner {
        true => Ok(()),
        false => Err(format!(
            "`{login}` is not a code owner of `{path}` (or is one only through a team that was not read): only its code owners review break-glass grants"
        )),
    }
}

fn reviewed_event(g: &ApprovalRecord, by: &str, at: DateTime<Utc>, note: String, review_id: Option<u64>) -> Event {
    let mut e = Event::new(Kind::Reviewed, at);
    e.request = Some(g.path.clone());
    e.request_id = RequestPath::parse(&g.path).ok().map(|p| p.id);
    e.pr = Some(g.pr);
    e.actor = Some(by.to_string());
    e.review_id = review_id;
    e.reason = Some(note);
    e
}

/// `reviewed` events for a `/reviewed [note]` comment on the PR of `records` (the PR's
/// break-glass approval records): one per record, when the commenter may review every one.
/// `owners_of` gives the code owners of a path (the default branch's CODEOWNERS).
pub fn comment_reviews(
    facts: &PrFacts,
    comment: &RevokeComment,
    records: &[&ApprovalRecord],
    owners_of: &dyn Fn(&str) -> Vec<Owner>,
) -> Result<Vec<Event>, String> {
    let Some(note) = parse_reviewed(&comment.body) else {
        return Ok(vec![]);
    };
    if records.is_empty() {
        return Err(format!(
            "PR #{} has no break-glass grant to review: `/reviewed` is for requests granted under an emergency rule",
            facts.number
        ));
    }
    let mut out = Vec::new();
    for r in records {
        let excluded = Excluded::for_pr(facts, &r.requester);
        may_review(&comment.login, &owners_of(&r.path), facts, &excluded, &r.path)?;
        out.push(reviewed_event(r, &comment.login, comment.at, note.clone(), None));
    }
    Ok(out)
}

/// `reviewed` events for the approving reviews of the PR's break-glass grants that count
/// (a code owner's latest review, approving, by someone not excluded), each review once:
/// `seen` holds the review ids the ledger already records as `reviewed` for each path.
pub fn approval_reviews(
    facts: &PrFacts,
    records: &[&ApprovalRecord],
    owners_of: &dyn Fn(&str) -> Vec<Owner>,
    seen: &BTreeSet<(String, u64)>,
    at: DateTime<Utc>,
) -> Vec<Event> {
    let mut out = Vec::new();
    for r in records {
        let excluded = Excluded::for_pr(facts, &r.requester);
        let tally = approvals::tally(&owners_of(&r.path), facts, &excluded, false);
        for a in record::approvers(facts, &tally.approved_by) {
            if seen.contains(&(r.path.clone(), a.review_id)) {
                continue;
            }
            let when = a.submitted_at.unwrap_or(at);
            out.push(reviewed_event(r, &a.login, when, a.note, Some(a.review_id)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_review_command_is_the_first_line_only_and_exactly_it() {
        assert_eq!(parse_reviewed("/reviewed"), Some(String::new()));
        assert_eq!(
            parse_reviewed("/reviewed  checked CloudTrail\nmore"),
            Some("checked CloudTrail".into())
        );
        assert_eq!(parse_reviewed("/reviewedx"), None);
        assert_eq!(parse_reviewed("I /reviewed it"), None);
        assert_eq!(parse_reviewed("/revoke"), None);
    }

    #[test]
    fn a_grant_is_awaiting_then_overdue_and_a_review_settles_it_late_or_on_time() {
        let due = t("2026-11-23T12:00:00Z");
        let before = t("2026-11-23T11:00:00Z");
        let after = t("2026-11-23T13:00:00Z");
        assert_eq!(ReviewState::of(due, None, before), ReviewState::Awaiting);
        assert_eq!(ReviewState::of(due, None, due), ReviewState::Awaiting);
        assert_eq!(ReviewState::of(due, None, after), ReviewState::Overdue);
        assert_eq!(ReviewState::of(due, Some(before), after), ReviewState::Reviewed);
        assert_eq!(ReviewState::of(due, Some(after), after), ReviewState::ReviewedLate);
    }

    fn record(path: &str, pr: u64, due: Option<&str>) -> ApprovalRecord {
        ApprovalRecord {
            path: path.into(),
            blob: "b".repeat(40),
            account_id: "111122223333".into(),
            permission_set: "AdministratorAccess".into(),
            user_name: "ivan@acme.example".into(),
            requester: "ivan".into(),
            start: t("2026-11-22T12:00:00Z"),
            end: t("2026-11-22T13:00:00Z"),
            approvers: vec![],
            pushers: vec![],
            pr,
            base_ref: "main".into(),
            base_sha: "1".repeat(40),
            head_sha: "2".repeat(40),
            merge_commit: "3".repeat(40),
            merged_at: t("2026-11-22T12:00:00Z"),
            policy_commits: vec![],
            emergency_review_due: due.map(t),
        }
    }

    fn merged(records: Vec<ApprovalRecord>) -> Event {
        let mut e = Event::new(Kind::Merged, t("2026-11-22T12:00:00Z"));
        e.pr = records.first().map(|r| r.pr);
        e.records = records;
        e
    }

    fn reviewed(path: &str, pr: u64, by: &str, at: &str) -> Event {
        let mut e = Event::new(Kind::Reviewed, t(at));
        e.request = Some(path.into());
        e.pr = Some(pr);
        e.actor = Some(by.into());
        e.reason = Some("fine".into());
        e
    }

    const P: &str = "requests/payments-prod/AdministratorAccess/inc-1.toml";
    const Q: &str = "requests/payments-prod/AdministratorAccess/inc-2.toml";

    #[test]
    fn only_break_glass_records_are_grants_and_overdue_is_recorded_once() {
        let due = "2026-11-23T12:00:00Z";
        let mut ledger = vec![
            merged(vec![record(P, 5, Some(due))]),
            merged(vec![record(Q, 6, Some(due))]),
            merged(vec![record("requests/a/b/normal.toml", 7, None)]),
            // a review on another PR for the same path does not count
            reviewed(Q, 99, "dan", "2026-11-22T13:00:00Z"),
            reviewed(P, 5, "heidi", "2026-11-22T14:00:00Z"),
            reviewed(P, 5, "dan", "2026-11-22T15:00:00Z"),
        ];
        let late = t("2026-11-24T00:00:00Z");
        let all = grants(&ledger);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].review.as_ref().map(|r| r.by.as_str()), Some("heidi"));
        assert_eq!(all[0].state(late), ReviewState::Reviewed);
        assert_eq!(all[1].state(late), ReviewState::Overdue);
        let events = overdue_events(&all, late);
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].request.as_deref(), events[0].pr, events[0].ends_at),
            (Some(Q), Some(6), Some(t(due)))
        );
        ledger.extend(events);
        assert!(overdue_events(&grants(&ledger), late).is_empty(), "recorded once");
        // a late review settles it, as late
        ledger.push(reviewed(Q, 6, "dan", "2026-11-24T01:00:00Z"));
        assert_eq!(grants(&ledger)[1].state(late), ReviewState::ReviewedLate);
    }

    #[test]
    fn only_a_code_owner_other_than_the_requester_and_pushers_reviews_by_comment() {
        let r = record(P, 5, Some("2026-11-23T12:00:00Z"));
        let mut facts = PrFacts {
            number: 5,
            author: "ivan".into(),
            pushers: vec!["erin".into()],
            ..PrFacts::default()
        };
        facts.teams.insert(
            "acme/platform-leads".into(),
            vec!["dan".into(), "erin".into(), "ivan".into()],
        );
        let owners = |_: &str| vec![Owner::Team("acme/platform-leads".into())];
        let comment = |login: &str, body: &str| RevokeComment {
            login: login.into(),
            body: body.into(),
            at: t("2026-11-22T13:00:00Z"),
        };
        let run = |login: &str| comment_reviews(&facts, &comment(login, "/reviewed ok"), &[&r], &owners);
        assert!(run("ivan").unwrap_err().contains("asked for, wrote or pushed"));
        assert!(run("erin").unwrap_err().contains("asked for, wrote or pushed"));
        assert!(run("mallory").unwrap_err().contains("is not a code owner"));
        let ok = run("Dan").unwrap();
        assert_eq!(
            (ok[0].kind, ok[0].actor.as_deref(), ok[0].reason.as_deref()),
            (Some(Kind::Reviewed), Some("Dan"), Some("ok"))
        );
        // not the command: nothing, and nothing refused
        assert!(
            comment_reviews(&facts, &comment("dan", "looks fine"), &[&r], &owners)
                .unwrap()
                .is_empty()
        );
        assert!(comment_reviews(&facts, &comment("dan", "/reviewed"), &[], &owners).is_err());
    }
}
