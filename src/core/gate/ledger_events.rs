//! The PR side of the ledger (DESIGN 6): what a gate run learned about a pull request that
//! the ledger does not yet hold (requested, each review's decision and note, merged with
//! its evidence, closed unmerged), who GitHub authenticated as pushing to it (DESIGN 10.6),
//! and `/revoke` comments (DESIGN 4.6). Pure: the facts, the decision and the existing
//! ledger in; new events out.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::approvals::latest_reviews;
use super::facts::{PrFacts, ReviewState};
use super::{FileRole, PrOutcome, classify};
use crate::core::gate::snapshot::Snapshot;
use crate::core::ledger::{Event, Kind, Ledger};
use crate::core::model::codeowners::{CodeOwners, Owner};
use crate::core::model::request::RequestPath;

/// Events for this PR that the ledger lacks. Running twice adds nothing the second time.
pub fn pr_events(
    facts: &PrFacts,
    snapshot: &Snapshot,
    outcome: &PrOutcome,
    ledger: &Ledger,
    at: DateTime<Utc>,
) -> Vec<Event> {
    let pr = facts.number;
    let seen: BTreeSet<(Kind, Option<String>, Option<u64>)> = ledger
        .events
        .iter()
        .filter(|e| e.pr == Some(pr))
        .filter_map(|e| Some((e.kind?, e.request.clone(), e.review_id)))
        .collect();
    let paths: Vec<String> = classify(&facts.files)
        .into_iter()
        .filter_map(|c| match c {
            FileRole::AddedRequest(p) => Some(p),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for p in &paths {
        if !seen.contains(&(Kind::Requested, Some(p.clone()), None)) {
            let mut e = Event::new(Kind::Requested, facts.created_at);
            e.request = Some(p.clone());
            e.request_id = RequestPath::parse(p).ok().map(|r| r.id);
            e.pr = Some(pr);
            e.actor = Some(facts.author.clone());
            out.push(e);
        }
    }
    for r in facts.reviews.iter() {
        let kind = match r.state {
            ReviewState::Approved => Kind::Approved,
            ReviewState::ChangesRequested => Kind::ChangesRequested,
            _ => continue,
        };
        for p in &paths {
            if seen.contains(&(kind, Some(p.clone()), Some(r.id))) {
                continue;
            }
            let mut e = Event::new(kind, r.submitted_at.unwrap_or(at));
            e.request = Some(p.clone());
            e.pr = Some(pr);
            e.actor = r.login.clone();
            e.review_id = Some(r.id);
            e.reason = Some(r.body.chars().take(2000).collect());
            out.push(e);
        }
    }
    let closed = facts.state == "closed";
    let merged_at = snapshot
        .pull_request
        .get("merged_at")
        .and_then(|v| v.as_str())
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc));
    let already = |k: Kind| seen.iter().any(|(kind, _, _)| *kind == k);
    if facts.merged && !already(Kind::Merged) {
        let mut e = Event::new(Kind::Merged, merged_at.unwrap_or(at));
        e.pr = Some(pr);
        e.paths = paths.clone();
        e.merge_commit = facts.merge_commit_sha.clone();
        e.reason = Some(outcome.decision.as_str().to_string());
        e.evidence = crate::core::ledger::Evidence::of(snapshot);
        out.push(e);
        out.extend(deletion_revocations(facts, snapshot, &seen, merged_at.unwrap_or(at)));
    } else if closed && !facts.merged && !already(Kind::ClosedUnmerged) && !paths.is_empty() {
        let rejected = latest_reviews(facts)
            .values()
            .any(|r| r.state == ReviewState::ChangesRequested);
        let mut e = Event::new(Kind::ClosedUnmerged, at);
        e.pr = Some(pr);
        e.paths = paths.clone();
        e.reason = Some(if rejected { "rejected" } else { "cancelled" }.into());
        out.push(e);
    }
    out
}

/// Puts the approval records of a merged PR (DESIGN 10.3) into its `merged` event.
pub fn attach_records(events: &mut [Event], records: &[super::record::ApprovalRecord]) {
    for e in events.iter_mut().filter(|e| e.kind == Some(Kind::Merged)) {
        e.records = records.to_vec();
    }
}

/// One `revoked` event per request file a merged PR deletes or renames away (DESIGN 10.5):
/// the path, the deleted blob as the PR's files list names it, who merged it (else its
/// author), the PR.
fn deletion_revocations(
    facts: &PrFacts,
    snapshot: &Snapshot,
    seen: &BTreeSet<(Kind, Option<String>, Option<u64>)>,
    at: DateTime<Utc>,
) -> Vec<Event> {
    let who = snapshot
        .pull_request
        .pointer("/merged_by/login")
        .and_then(|v| v.as_str())
        .unwrap_or(&facts.author);
    let blob_of = |path: &str| {
        snapshot
            .files
            .iter()
            .find(|f| f.get("filename").and_then(|v| v.as_str()) == Some(path))
            .and_then(|f| f.get("sha").and_then(|v| v.as_str()))
            .map(str::to_string)
    };
    // a rename removes its old path as a deletion does; the moved blob is the deleted one
    // only when the rename changed nothing
    let renamed_blob = |old: &str| {
        snapshot
            .files
            .iter()
            .find(|f| f.get("previous_filename").and_then(|v| v.as_str()) == Some(old))
            .filter(|f| f.get("changes").and_then(|v| v.as_u64()) == Some(0))
            .and_then(|f| f.get("sha").and_then(|v| v.as_str()))
            .map(str::to_string)
    };
    let renamed_away = facts
        .files
        .iter()
        .filter(|f| f.status == "renamed")
        .filter_map(|f| f.previous_filename.clone())
        .filter(|old| old.starts_with("requests/"))
        .map(|old| (renamed_blob(&old), old));
    classify(&facts.files)
        .into_iter()
        .filter_map(|c| match c {
            FileRole::RemovedRequest(p) => Some((blob_of(&p), p)),
            _ => None,
        })
        .chain(renamed_away)
        .filter(|(_, p)| !seen.contains(&(Kind::Revoked, Some(p.clone()), None)))
        .map(|(blob, p)| {
            let mut e = Event::new(Kind::Revoked, at);
            e.request_id = RequestPath::parse(&p).ok().map(|r| r.id);
            e.blob = blob;
            e.request = Some(p);
            e.pr = Some(facts.number);
            e.actor = Some(who.to_string());
            e.reason = Some(format!("deleted by PR #{}", facts.number));
            e
        })
        .collect()
}

/// A push to a pull request as GitHub reported it: the `sender` of a `pull_request` (or
/// `pull_request_target`) event with action opened, synchronize or reopened, which is the
/// login GitHub authenticated for the push (or the reopening), and the head it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    pub pr: u64,
    pub login: String,
    pub head_sha: String,
    /// The pull request's `updated_at` in the event, when it has one.
    pub at: Option<DateTime<Utc>>,
}

/// The pushers of a PR: the lowercased actors of the ledger's `pushed` events for it, and
/// the current push, sorted, without repeats.
pub fn pushers(ledger: &Ledger, pr: u64, current: Option<&Push>) -> Vec<String> {
    pushers_among(ledger.events.iter(), pr, current)
}

/// As [`pushers`], over some of a ledger's events (`Lookup::pushes_of`).
pub fn pushers_among<'a>(events: impl Iterator<Item = &'a Event>, pr: u64, current: Option<&Push>) -> Vec<String> {
    let mut out: Vec<String> = events
        .filter(|e| e.kind == Some(Kind::Pushed) && e.pr == Some(pr))
        .filter_map(|e| e.actor.as_deref().map(str::to_ascii_lowercase))
        .chain(current.filter(|p| p.pr == pr).map(|p| p.login.to_ascii_lowercase()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The `pushed` event for a push, unless the ledger already holds it.
pub fn pushed_event(push: &Push, ledger: &Ledger, at: DateTime<Utc>) -> Option<Event> {
    let known = ledger.events.iter().any(|e| {
        e.kind == Some(Kind::Pushed)
            && e.pr == Some(push.pr)
            && e.head_sha.as_deref() == Some(push.head_sha.as_str())
            && e.actor.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(&push.login))
    });
    if known {
        return None;
    }
    let mut e = Event::new(Kind::Pushed, push.at.unwrap_or(at));
    e.pr = Some(push.pr);
    e.actor = Some(push.login.to_ascii_lowercase());
    e.head_sha = Some(push.head_sha.clone());
    Some(e)
}

/// A `/revoke [reason]` comment: who wrote it and why.
#[derive(Debug, Clone)]
pub struct RevokeComment {
    pub login: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// The reason after `/revoke`, when the comment is a revocation command.
pub fn parse_revoke(body: &str) -> Option<String> {
    let first = body.lines().next()?.trim();
    let rest = first.strip_prefix("/revoke")?;
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None; // `/revoked`, `/revokeall`: not the command
    }
    Some(rest.trim().to_string())
}

/// Revocation events for a `/revoke` comment, when the commenter may revoke: the requester,
/// a code owner of the request path, or an owner of `policies/access.toml` (an admin).
/// `Err` says why not.
pub fn revoke_events(
    facts: &PrFacts,
    comment: &RevokeComment,
    codeowners: &CodeOwners,
    requesters: &[(String, String)],
) -> Result<Vec<Event>, String> {
    let Some(why) = parse_revoke(&comment.body) else {
        return Ok(vec![]);
    };
    let login = comment.login.to_ascii_lowercase();
    let is_owner = |owners: Vec<Owner>| {
        owners.iter().any(|o| match o {
            Owner::User(u) => *u == login,
            Owner::Team(t) => facts.teams.get(t).is_some_and(|m| m.contains(&login)),
            Owner::Email(_) => false,
        })
    };
    let admin = is_owner(codeowners.owners_of(crate::core::files::tree::ACCESS));
    let mut out = Vec::new();
    for (path, requester) in requesters {
        if !(admin || requester.eq_ignore_ascii_case(&login) || is_owner(codeowners.owners_of(path))) {
            return Err(format!(
                "`{}` may not revoke `{path}`: only the requester, a code owner of the request or an admin may",
                comment.login
            ));
        }
        let mut e = Event::new(Kind::Revoked, comment.at);
        e.request = Some(path.clone());
        e.request_id = RequestPath::parse(path).ok().map(|r| r.id);
        e.pr = Some(facts.number);
        e.actor = Some(comment.login.clone());
        e.reason = Some(if why.is_empty() {
            "/revoke comment".into()
        } else {
            format!("/revoke comment: {why}")
        });
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merged_deletion_is_revoked_once_by_its_merger_or_else_its_author() {
        let path = "requests/payments-prod/AdministratorAccess/inc-1.toml";
        let mut snapshot = Snapshot {
            pull_request: serde_json::json!({"number": 5, "state": "open", "user": {"login": "bob"},
                "created_at": "2026-11-22T11:00:00Z", "head": {"sha": "h"}, "base": {"sha": "b", "ref": "main", "repo": {"default_branch": "main"}}, "merged": false}),
            files: vec![serde_json::json!({"sha": "abc123", "filename": path, "status": "removed"})],
            ..Snapshot::default()
        };
        let at: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let outcome = |f: &PrFacts| {
            super::super::decide_on_base_files(&Default::default(), &Default::default(), f, &Default::default(), at)
        };
        let run = |s: &Snapshot, ledger: &Ledger| {
            let f = PrFacts::from_snapshot(s).unwrap();
            pr_events(&f, s, &outcome(&f), ledger, at)
        };
        // open: nothing is revoked yet
        assert!(run(&snapshot, &Ledger::default()).is_empty());
        snapshot.pull_request["state"] = "closed".into();
        snapshot.pull_request["merged"] = true.into();
        let events = run(&snapshot, &Ledger::default());
        let revoked: Vec<&Event> = events.iter().filter(|e| e.kind == Some(Kind::Revoked)).collect();
        assert_eq!(revoked.len(), 1);
        let e = revoked[0];
        assert_eq!(
            (e.request.as_deref(), e.blob.as_deref(), e.actor.as_deref(), e.pr),
            (Some(path), Some("abc123"), Some("bob"), Some(5))
        );
        // recorded once
        let ledger = Ledger {
            events: events.clone(),
            bad_lines: vec![],
        };
        assert!(run(&snapshot, &ledger).iter().all(|e| e.kind != Some(Kind::Revoked)));
        // the merger, when GitHub names one
        snapshot.pull_request["merged_by"] = serde_json::json!({"login": "carol"});
        let events = run(&snapshot, &Ledger::default());
        assert!(
            events
                .iter()
                .any(|e| e.kind == Some(Kind::Revoked) && e.actor.as_deref() == Some("carol"))
        );
    }

    #[test]
    fn pushers_come_from_the_ledger_and_the_current_push_and_are_recorded_once() {
        let at = DateTime::parse_from_rfc3339("2026-11-22T11:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let push = |pr, login: &str, head: &str| Push {
            pr,
            login: login.into(),
            head_sha: head.into(),
            at: None,
        };
        let mut ledger = Ledger::default();
        ledger
            .events
            .push(pushed_event(&push(7, "Heidi", "a1"), &ledger, at).unwrap());
        ledger
            .events
            .push(pushed_event(&push(8, "mallory", "b1"), &ledger, at).unwrap());
        assert_eq!(ledger.events[0].actor.as_deref(), Some("heidi"));
        assert_eq!(ledger.events[0].head_sha.as_deref(), Some("a1"));
        assert_eq!(ledger.events[0].to_line().matches("\"kind\":\"pushed\"").count(), 1);
        // the same push again adds nothing; a new head by the same login does
        assert!(pushed_event(&push(7, "heidi", "a1"), &ledger, at).is_none());
        assert!(pushed_event(&push(7, "heidi", "a2"), &ledger, at).is_some());
        assert_eq!(pushers(&ledger, 7, Some(&push(7, "Dan", "a2"))), ["dan", "heidi"]);
        // another PR's push is not this PR's pusher
        assert_eq!(pushers(&ledger, 7, Some(&push(9, "erin", "c1"))), ["heidi"]);
    }

    #[test]
    fn revoke_command_parsing() {
        assert_eq!(parse_revoke("/revoke"), Some(String::new()));
        assert_eq!(parse_revoke("/revoke  done early\nthanks"), Some("done early".into()));
        assert_eq!(parse_revoke("/revoked"), None);
        assert_eq!(parse_revoke("please /revoke"), None);
    }
}
