//! The reconcile plan (DESIGN 5), pure: from the grants that should exist now, the user
//! assignments Identity Center has for managed permission sets, and what the ledger says
//! gitgrant owns, decide what to create, delete, report as drift, and what is blocked.
//! Grants for the same user, account and permission set add up.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::ledger::{AssignmentKey, Owned};
use crate::core::rules::eligibility::Reason;

/// A request on the default branch, with what the reconciler found out about it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub path: String,
    pub id: String,
    pub requester: String,
    pub user_name: Option<String>,
    pub account_id: String,
    pub account_name: String,
    pub permission_set: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Empty when the request's approval evidence verified and it is eligible now.
    pub blocked: Vec<Reason>,
    /// Blocked only because a membership it depends on could not be read (DESIGN 10.4):
    /// nothing is created for it, but an assignment gitgrant owns for it is kept.
    pub keeps_active: bool,
}

/// An assignment Identity Center has (USER principals of managed permission sets).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Actual {
    pub account_id: String,
    pub permission_set_arn: String,
    pub user_id: String,
}

impl Actual {
    pub fn key(&self) -> AssignmentKey {
        AssignmentKey {
            account_id: self.account_id.clone(),
            permission_set_arn: self.permission_set_arn.clone(),
            user_id: self.user_id.clone(),
        }
    }
}

pub struct PlanInput<'a> {
    pub candidates: &'a [Candidate],
    /// False when the default branch's requests or policy could not be read: then nothing
    /// is removed except grants whose recorded end has passed.
    pub desired_readable: bool,
    /// Identity Center user name -> user id (None: no such user).
    pub user_ids: &'a BTreeMap<String, Option<String>>,
    /// Managed permission set name -> ARN, as Identity Center has them.
    pub permission_sets: &'a BTreeMap<String, String>,
    pub actual: &'a [Actual],
    pub owned: &'a BTreeMap<AssignmentKey, Owned>,
    /// Request paths revoked in the ledger (final).
    pub revoked: &'a BTreeSet<String>,
    pub remove_drift: bool,
    pub max_removals: u64,
    pub force: bool,
    pub at: DateTime<Utc>,
}

/// What a planned change does to an assignment: `create` or `delete` in the JSON output
/// and in the ledger's `failed` reasons (`create: …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssignmentAction {
    Create,
    Delete,
}

impl AssignmentAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentAction::Create => "create",
            AssignmentAction::Delete => "delete",
        }
    }
}

impl std::fmt::Display for AssignmentAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Why an assignment is removed (or reported): the `reason` of a delete or drift in the
/// JSON output and of an `ended` ledger event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemovalReason {
    /// The grant's recorded end has passed.
    Expired,
    /// By a `/revoke` in the ledger, or every request behind it was deleted.
    Revoked,
    /// Its requests are still there but no longer verified or eligible.
    NoLongerEligible,
    /// Made by hand, not through gitgrant.
    Drift,
}

impl RemovalReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RemovalReason::Expired => "expired",
            RemovalReason::Revoked => "revoked",
            RemovalReason::NoLongerEligible => "no-longer-eligible",
            RemovalReason::Drift => "drift",
        }
    }
}

impl std::fmt::Display for RemovalReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One planned change of an Identity Center user assignment: a create, a delete, or a
/// hand-made assignment reported as drift.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AssignmentChange {
    /// The requests behind it (creates), or that it was created for (deletes).
    pub requests: Vec<String>,
    /// The first of `requests`, as DESIGN's JSON names it.
    pub request: Option<String>,
    pub user: String,
    pub user_id: String,
    /// The account id.
    pub account: String,
    /// The account's name in the directory snapshot, when it lists the id (for people
    /// reading the output; set after planning, which decides by id alone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    pub permission_set: String,
    pub permission_set_arn: String,
    /// Deletes and drift: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<RemovalReason>,
    /// Creates: when the grant ends (the latest end of the requests behind it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
}

impl AssignmentChange {
    pub fn key(&self) -> AssignmentKey {
        AssignmentKey {
            account_id: self.account.clone(),
            permission_set_arn: self.permission_set_arn.clone(),
            user_id: self.user_id.clone(),
        }
    }

    /// Who it is for: the user name, or the user id when the name is unknown (drift).
    pub fn who(&self) -> &str {
        if self.user.is_empty() {
            &self.user_id
        } else {
            &self.user
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Blocked {
    pub request: String,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Plan {
    pub create: Vec<AssignmentChange>,
    pub delete: Vec<AssignmentChange>,
    /// Hand-made assignments of managed permission sets (removed only with `remove_drift`).
    pub drift: Vec<AssignmentChange>,
    pub blocked: Vec<Blocked>,
    /// Set when the safety brake stops the run: nothing is applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub halted: Option<String>,
    /// Requests approved and waiting for their window.
    pub scheduled: Vec<String>,
    /// Requests whose active assignment is kept although a membership they depend on could
    /// not be read (they are also in `blocked`): unreadable is not a revocation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<String>,
    /// The next window start or end after `at`, for `apply --watch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_boundary: Option<DateTime<Utc>>,
    /// How many requests are in their window at `at` (granted or to be granted): while
    /// there are none and no window starts within its horizon, `apply --watch` ends.
    #[serde(skip)]
    pub active: usize,
}

fn reason(code: &'static str, message: impl Into<String>) -> Reason {
    Reason {
        code,
        message: message.into(),
    }
}

/// The plan is a function of its input alone: a run stopped half-way is finished by the
/// next, which plans again from what exists.
pub fn plan(input: &PlanInput<'_>) -> Plan {
    let mut out = Plan::default();
    let wanted = wanted_now(input, &mut out);
    let actual: BTreeSet<AssignmentKey> = input.actual.iter().map(Actual::key).collect();
    out.create = creates(&wanted, &actual);
    plan_removals(input, &wanted, &actual, &mut out);
    out.halted = safety_brake(input, out.delete.len());
    out
}

/// The grants that should exist now, keyed by assignment: overlapping requests add up.
#[derive(Default)]
struct Wanted<'a> {
    requests: BTreeMap<AssignmentKey, Vec<&'a Candidate>>,
    /// The user name and permission set name of each assignment.
    names: BTreeMap<AssignmentKey, (String, String)>,
    /// Assignments of requests in their window whose membership could not be read: never
    /// created, but kept when they exist, with the requests behind them.
    kept: BTreeMap<AssignmentKey, Vec<String>>,
}

/// Sorts the candidates: blocked ones and scheduled ones into `out`, the ones in their
/// window now into the wanted assignments; sets `out.next_boundary`.
fn wanted_now<'a>(input: &PlanInput<'a>, out: &mut Plan) -> Wanted<'a> {
    let at = input.at;
    let mut wanted = Wanted::default();
    let mut boundaries = BTreeSet::new();
    for c in input.candidates {
        if !c.blocked.is_empty() {
            out.blocked.push(Blocked {
                request: c.path.clone(),
                reasons: c.blocked.clone(),
            });
            keep_unreadable(input, c, &mut wanted);
            continue;
        }
        if input.revoked.contains(&c.path) {
            continue;
        }
        if c.start > at {
            boundaries.insert(c.start);
            out.scheduled.push(c.path.clone());
            continue;
        }
        if c.end <= at {
            continue;
        }
        boundaries.insert(c.end);
        out.active += 1;
        match assignment_for(input, c) {
            Ok((key, user)) => {
                wanted.names.insert(key.clone(), (user, c.permission_set.clone()));
                wanted.requests.entry(key).or_default().push(c);
            }
            Err(why) => out.blocked.push(Blocked {
                request: c.path.clone(),
                reasons: vec![why],
            }),
        }
    }
    out.next_boundary = boundaries.into_iter().next();
    wanted
}

/// A request in its window blocked only because its membership could not be read keeps
/// the assignment it asks for, if that exists (DESIGN 10.4: unreadable is not a revocation).
fn keep_unreadable(input: &PlanInput<'_>, c: &Candidate, wanted: &mut Wanted<'_>) {
    let in_window = c.start <= input.at && input.at < c.end;
    if !c.keeps_active || !in_window || input.revoked.contains(&c.path) {
        return;
    }
    if let Ok((key, _)) = assignment_for(input, c) {
        wanted.kept.entry(key).or_default().push(c.path.clone());
    }
}

/// The assignment a request in its window asks for, and its user name; or why there is none.
fn assignment_for(input: &PlanInput<'_>, c: &Candidate) -> Result<(AssignmentKey, String), Reason> {
    let Some(user) = &c.user_name else {
        return Err(reason(
            "unknown-identity",
            format!("`{}` has no Identity Center user name", c.requester),
        ));
    };
    let Some(Some(user_id)) = input.user_ids.get(user) else {
        return Err(reason(
            "user-not-found",
            format!("Identity Center has no user `{user}`"),
        ));
    };
    let Some(arn) = input.permission_sets.get(&c.permission_set) else {
        return Err(reason(
            "permission-set-not-found",
            format!("Identity Center has no permission set `{}`", c.permission_set),
        ));
    };
    let key = AssignmentKey {
        account_id: c.account_id.clone(),
        permission_set_arn: arn.clone(),
        user_id: user_id.clone(),
    };
    Ok((key, user.clone()))
}

/// One create per wanted assignment Identity Center does not have.
fn creates(wanted: &Wanted<'_>, actual: &BTreeSet<AssignmentKey>) -> Vec<AssignmentChange> {
    let mut out = Vec::new();
    for (key, cands) in &wanted.requests {
        if actual.contains(key) {
            continue;
        }
        let (user, ps) = &wanted.names[key];
        let requests: Vec<String> = cands.iter().map(|c| c.path.clone()).collect();
        out.push(AssignmentChange {
            request: requests.first().cloned(),
            requests,
            user: user.clone(),
            user_id: key.user_id.clone(),
            account: key.account_id.clone(),
            account_name: None,
            permission_set: ps.clone(),
            permission_set_arn: key.permission_set_arn.clone(),
            reason: None,
            ends_at: cands.iter().map(|c| c.end).max(),
        });
    }
    out
}

/// Every actual assignment that is not wanted: a delete when gitgrant owns it (unless the
/// wanted grants could not be read and it has not ended), drift when it does not (also a
/// delete with `remove_drift`).
fn plan_removals(input: &PlanInput<'_>, wanted: &Wanted<'_>, actual: &BTreeSet<AssignmentKey>, out: &mut Plan) {
    let ps_name: BTreeMap<&String, &String> = input.permission_sets.iter().map(|(n, a)| (a, n)).collect();
    let present: BTreeSet<&str> = input.candidates.iter().map(|c| c.path.as_str()).collect();
    for key in actual {
        if wanted.requests.contains_key(key) {
            continue;
        }
        let permission_set = ps_name
            .get(&key.permission_set_arn)
            .map(|s| s.to_string())
            .unwrap_or_default();
        let change = |requests: Vec<String>, user: String, why: RemovalReason| AssignmentChange {
            request: requests.first().cloned(),
            requests,
            user,
            user_id: key.user_id.clone(),
            account: key.account_id.clone(),
            account_name: None,
            permission_set: permission_set.clone(),
            permission_set_arn: key.permission_set_arn.clone(),
            reason: Some(why),
            ends_at: None,
        };
        match input.owned.get(key) {
            Some(owned) => {
                if let Some(kept) = wanted.kept.get(key) {
                    out.kept.extend(kept.iter().cloned());
                    continue;
                }
                if let Some(why) = removal_reason(input, owned, &present) {
                    let requests = owned.requests.iter().cloned().collect();
                    out.delete
                        .push(change(requests, owned.user_name.clone().unwrap_or_default(), why));
                }
            }
            None => {
                let drift = change(vec![], String::new(), RemovalReason::Drift);
                if input.remove_drift && input.desired_readable {
                    out.delete.push(drift.clone());
                }
                out.drift.push(drift);
            }
        }
    }
}

/// Why an owned assignment that is not wanted now goes; None keeps it (the wanted grants
/// could not be read and it has neither ended nor been revoked in the ledger: cannot tell
/// whether it is still wanted). A ledger revocation or a passed end never needs the
/// desired state, so neither is ever kept (DESIGN 10.5).
fn removal_reason(input: &PlanInput<'_>, owned: &Owned, present: &BTreeSet<&str>) -> Option<RemovalReason> {
    let ended = owned.ends_at.is_some_and(|e| e <= input.at);
    let ledger_revoked = owned.requests.iter().any(|r| input.revoked.contains(r));
    if !input.desired_readable && !ended && !ledger_revoked {
        return None;
    }
    // revoked: by the ledger (`/revoke`, a deleting PR), or every request behind it was deleted
    let revoked = ledger_revoked || (!ended && owned.requests.iter().all(|r| !present.contains(r.as_str())));
    Some(if revoked {
        RemovalReason::Revoked
    } else if ended {
        RemovalReason::Expired
    } else {
        RemovalReason::NoLongerEligible
    })
}

/// The safety brake: why nothing is applied when the run would remove more than
/// `max_removals` assignments without `force`.
fn safety_brake(input: &PlanInput<'_>, removals: usize) -> Option<String> {
    (removals as u64 > input.max_removals && !input.force).then(|| {
        format!(
            "this run would remove {removals} assignments, more than max_removals_per_run ({}); nothing was changed. Check the plan, then run with --force",
            input.max_removals
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef";

    fn t(h: u32) -> DateTime<Utc> {
        format!("2026-11-22T{h:02}:00:00Z").parse().unwrap()
    }

    fn cand(path: &str, start: u32, end: u32) -> Candidate {
        Candidate {
            path: path.into(),
            id: path.into(),
            requester: "alice".into(),
            user_name: Some("alice@acme.example".into()),
            account_id: "111122223333".into(),
            account_name: "payments-prod".into(),
            permission_set: "AdministratorAccess".into(),
            start: t(start),
            end: t(end),
            blocked: vec![],
            keeps_active: false,
        }
    }

    fn key() -> AssignmentKey {
        AssignmentKey {
            account_id: "111122223333".into(),
            permission_set_arn: ARN.into(),
            user_id: "u-alice".into(),
        }
    }

    fn owned(requests: &[&str], ends: u32) -> BTreeMap<AssignmentKey, Owned> {
        [(
            key(),
            Owned {
                key: key(),
                requests: requests.iter().map(|s| s.to_string()).collect(),
                ends_at: Some(t(ends)),
                user_name: Some("alice@acme.example".into()),
                permission_set: Some("AdministratorAccess".into()),
                activated: true,
                claimed_at: None,
            },
        )]
        .into()
    }

    fn actual() -> Vec<Actual> {
        vec![Actual {
            account_id: "111122223333".into(),
            permission_set_arn: ARN.into(),
            user_id: "u-alice".into(),
        }]
    }

    struct Case {
        name: &'static str,
        candidates: Vec<Candidate>,
        actual: Vec<Actual>,
        owned: BTreeMap<AssignmentKey, Owned>,
        revoked: Vec<&'static str>,
        readable: bool,
        remove_drift: bool,
        max_removals: u64,
        at: u32,
        expect: &'static str,
    }

    fn summary(p: &Plan) -> String {
        let mut parts = vec![];
        for c in &p.create {
            parts.push(format!("create {}", c.requests.join("+")));
        }
        for d in &p.delete {
            parts.push(format!("delete {}", d.reason.map_or("", RemovalReason::as_str)));
        }
        for d in &p.drift {
            parts.push(format!("drift {}", d.account));
        }
        for b in &p.blocked {
            parts.push(format!("blocked {}", b.reasons[0].code));
        }
        for k in &p.kept {
            parts.push(format!("kept {k}"));
        }
        if p.halted.is_some() {
            parts.push("halted".into());
        }
        parts.join(", ")
    }

    #[test]
    fn table() {
        let base = || Case {
            name: "",
            candidates: vec![],
            actual: vec![],
            owned: BTreeMap::new(),
            revoked: vec![],
            readable: true,
            remove_drift: false,
            max_removals: 25,
            at: 12,
            expect: "",
        };
        let cases = vec![
            Case {
                name: "activation at start",
                candidates: vec![cand("a", 12, 14)],
                expect: "create a",
                ..base()
            },
            Case {
                name: "nothing before start",
                candidates: vec![cand("a", 13, 14)],
                expect: "",
                ..base()
            },
            Case {
                name: "already granted",
                candidates: vec![cand("a", 11, 14)],
                actual: actual(),
                owned: owned(&["a"], 14),
                expect: "",
                ..base()
            },
            Case {
                name: "expiry at end",
                candidates: vec![cand("a", 10, 12)],
                actual: actual(),
                owned: owned(&["a"], 12),
                expect: "delete expired",
                ..base()
            },
            Case {
                name: "file deleted",
                candidates: vec![],
                actual: actual(),
                owned: owned(&["a"], 14),
                expect: "delete revoked",
                ..base()
            },
            Case {
                name: "ledger revocation",
                candidates: vec![cand("a", 11, 14)],
                actual: actual(),
                owned: owned(&["a"], 14),
                revoked: vec!["a"],
                expect: "delete revoked",
                ..base()
            },
            Case {
                name: "overlap: ending one keeps the other",
                candidates: vec![cand("a", 9, 12), cand("b", 11, 15)],
                actual: actual(),
                owned: owned(&["a", "b"], 15),
                expect: "",
                ..base()
            },
            Case {
                name: "overlap: both create one assignment",
                candidates: vec![cand("a", 11, 13), cand("b", 11, 15)],
                expect: "create a+b",
                ..base()
            },
            Case {
                name: "no longer eligible",
                candidates: vec![Candidate {
                    blocked: vec![reason("requester-not-eligible", "x")],
                    ..cand("a", 11, 14)
                }],
                actual: actual(),
                owned: owned(&["a"], 14),
                expect: "delete no-longer-eligible, blocked requester-not-eligible",
                ..base()
            },
            Case {
                name: "membership unreadable: an active owned grant is kept, reported",
                candidates: vec![Candidate {
                    blocked: vec![reason("membership-unreadable", "x")],
                    keeps_active: true,
                    ..cand("a", 11, 14)
                }],
                actual: actual(),
                owned: owned(&["a"], 14),
                expect: "blocked membership-unreadable, kept a",
                ..base()
            },
            Case {
                name: "membership unreadable: nothing new is created",
                candidates: vec![Candidate {
                    blocked: vec![reason("membership-unreadable", "x")],
                    keeps_active: true,
                    ..cand("a", 11, 14)
                }],
                expect: "blocked membership-unreadable",
                ..base()
            },
            Case {
                name: "membership unreadable: a hand-made assignment is not adopted",
                candidates: vec![Candidate {
                    blocked: vec![reason("membership-unreadable", "x")],
                    keeps_active: true,
                    ..cand("a", 11, 14)
                }],
                actual: actual(),
                expect: "drift 111122223333, blocked membership-unreadable",
                ..base()
            },
            Case {
                name: "membership unreadable: an ended grant still goes",
                candidates: vec![Candidate {
                    blocked: vec![reason("membership-unreadable", "x")],
                    keeps_active: true,
                    ..cand("a", 9, 11)
                }],
                actual: actual(),
                owned: owned(&["a"], 11),
                expect: "delete expired, blocked membership-unreadable",
                ..base()
            },
            Case {
                name: "hand-made assignment reported",
                actual: actual(),
                expect: "drift 111122223333",
                ..base()
            },
            Case {
                name: "hand-made assignment removed by setting",
                actual: actual(),
                remove_drift: true,
                expect: "delete drift, drift 111122223333",
                ..base()
            },
            Case {
                name: "brake",
                actual: actual(),
                owned: owned(&["a"], 10),
                max_removals: 0,
                expect: "delete expired, halted",
                ..base()
            },
            Case {
                name: "unreadable: keep what has not ended",
                actual: actual(),
                owned: owned(&["a"], 14),
                readable: false,
                expect: "",
                ..base()
            },
            Case {
                name: "unreadable: remove what has ended",
                actual: actual(),
                owned: owned(&["a"], 11),
                readable: false,
                expect: "delete expired",
                ..base()
            },
            Case {
                name: "unreadable: a ledger revocation is still removed",
                actual: actual(),
                owned: owned(&["a"], 14),
                revoked: vec!["a"],
                readable: false,
                expect: "delete revoked",
                ..base()
            },
            Case {
                name: "unreadable: a revoked grant that also ended is removed",
                actual: actual(),
                owned: owned(&["a"], 11),
                revoked: vec!["a"],
                readable: false,
                expect: "delete revoked",
                ..base()
            },
            Case {
                name: "unreadable: drift is never removed",
                actual: actual(),
                readable: false,
                remove_drift: true,
                expect: "drift 111122223333",
                ..base()
            },
            Case {
                name: "unknown user is blocked, not created",
                candidates: vec![Candidate {
                    user_name: Some("ghost@acme.example".into()),
                    ..cand("a", 11, 14)
                }],
                expect: "blocked user-not-found",
                ..base()
            },
            Case {
                name: "deleted permission set is blocked",
                candidates: vec![Candidate {
                    permission_set: "Gone".into(),
                    ..cand("a", 11, 14)
                }],
                expect: "blocked permission-set-not-found",
                ..base()
            },
        ];
        let user_ids: BTreeMap<String, Option<String>> = [
            ("alice@acme.example".to_string(), Some("u-alice".to_string())),
            ("ghost@acme.example".to_string(), None),
        ]
        .into();
        let sets: BTreeMap<String, String> = [("AdministratorAccess".to_string(), ARN.to_string())].into();
        for c in cases {
            let revoked: BTreeSet<String> = c.revoked.iter().map(|s| s.to_string()).collect();
            let p = plan(&PlanInput {
                candidates: &c.candidates,
                desired_readable: c.readable,
                user_ids: &user_ids,
                permission_sets: &sets,
                actual: &c.actual,
                owned: &c.owned,
                revoked: &revoked,
                remove_drift: c.remove_drift,
                max_removals: c.max_removals,
                force: false,
                at: t(c.at),
            });
            assert_eq!(summary(&p), c.expect, "{}", c.name);
        }
    }

    #[test]
    fn next_boundary_is_the_nearest_start_or_end() {
        let cands = vec![cand("a", 13, 15), cand("b", 11, 14)];
        let p = plan(&PlanInput {
            candidates: &cands,
            desired_readable: true,
            user_ids: &[("alice@acme.example".to_string(), Some("u".to_string()))].into(),
            permission_sets: &[("AdministratorAccess".to_string(), ARN.to_string())].into(),
            actual: &[],
            owned: &BTreeMap::new(),
            revoked: &BTreeSet::new(),
            remove_drift: false,
            max_removals: 25,
            force: false,
            at: t(12),
        });
        assert_eq!(p.next_boundary, Some(t(13)));
        assert_eq!(p.scheduled, vec!["a"]);
    }

    #[test]
    fn actions_and_reasons_serialize_as_they_print() {
        for a in [AssignmentAction::Create, AssignmentAction::Delete] {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
            assert_eq!(a.to_string(), a.as_str());
        }
        assert_eq!(AssignmentAction::Create.as_str(), "create");
        assert_eq!(AssignmentAction::Delete.as_str(), "delete");
        for r in [
            RemovalReason::Expired,
            RemovalReason::Revoked,
            RemovalReason::NoLongerEligible,
            RemovalReason::Drift,
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
            assert_eq!(r.to_string(), r.as_str());
        }
        assert_eq!(RemovalReason::NoLongerEligible.as_str(), "no-longer-eligible");
        // Display pads like a string, for the human output's columns
        assert_eq!(format!("{:<8}|", AssignmentAction::Create), "create  |");
    }
}
