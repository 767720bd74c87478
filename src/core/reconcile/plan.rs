//! The reconcile plan (DESIGN 5), pure: from the grants that should exist now, the user
//! assignments Identity Center has for managed permission sets, and what the ledger says
//! gitgrant owns, decide what to create, delete, report as drift, and what is blocked.
//! Grants for the same user, account and permission set add up.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::rules::eligibility::Reason;
use crate::core::ledger::{AssignmentKey, Owned};

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
}

/// An assignment Identity Center has (USER principals of managed permission sets).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Actual {
    pub account_id: String,
    pub permission_set_arn: String,
    pub user_id: String,
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

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Change {
    /// The requests behind it (creates), or that it was created for (deletes).
    pub requests: Vec<String>,
    /// The first of `requests`, as DESIGN's JSON names it.
    pub request: Option<String>,
    pub user: String,
    pub user_id: String,
    pub account: String,
    pub permission_set: String,
    pub permission_set_arn: String,
    /// Deletes: expired, revoked, no-longer-eligible, drift.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Creates: when the grant ends (the latest end of the requests behind it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
}

impl Change {
    pub fn key(&self) -> AssignmentKey {
        AssignmentKey {
            account_id: self.account.clone(),
            permission_set_arn: self.permission_set_arn.clone(),
            user_id: self.user_id.clone(),
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
    pub create: Vec<Change>,
    pub delete: Vec<Change>,
    /// Hand-made assignments of managed permission sets (removed only with `remove_drift`).
    pub drift: Vec<Change>,
    pub blocked: Vec<Blocked>,
    /// Set when the safety brake stops the run: nothing is applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub halted: Option<String>,
    /// Requests approved and waiting for their window.
    pub scheduled: Vec<String>,
    /// The next window start or end after `at`, for `apply --watch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_boundary: Option<DateTime<Utc>>,
}

fn reason(code: &'static str, message: impl Into<String>) -> Reason {
    Reason {
        code,
        message: message.into(),
    }
}

pub fn plan(input: &PlanInput<'_>) -> Plan {
    let at = input.at;
    let mut out = Plan::default();
    // what should exist now, keyed by assignment: overlapping requests add up
    let mut desired: BTreeMap<AssignmentKey, Vec<&Candidate>> = BTreeMap::new();
    let mut name_of: BTreeMap<AssignmentKey, (String, String)> = BTreeMap::new();
    let mut boundaries = BTreeSet::new();
    for c in input.candidates {
        if !c.blocked.is_empty() {
            out.blocked.push(Blocked {
                request: c.path.clone(),
                reasons: c.blocked.clone(),
            });
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
        let Some(user) = &c.user_name else {
            out.blocked.push(Blocked {
                request: c.path.clone(),
                reasons: vec![reason(
                    "unknown-identity",
                    format!("`{}` has no Identity Center user name", c.requester),
                )],
            });
            continue;
        };
        let Some(Some(user_id)) = input.user_ids.get(user) else {
            out.blocked.push(Blocked {
                request: c.path.clone(),
                reasons: vec![reason(
                    "user-not-found",
                    format!("Identity Center has no user `{user}`"),
                )],
            });
            continue;
        };
        let Some(arn) = input.permission_sets.get(&c.permission_set) else {
            out.blocked.push(Blocked {
                request: c.path.clone(),
                reasons: vec![reason(
                    "permission-set-not-found",
                    format!("Identity Center has no permission set `{}`", c.permission_set),
                )],
            });
            continue;
        };
        let key = AssignmentKey {
            account_id: c.account_id.clone(),
            permission_set_arn: arn.clone(),
            user_id: user_id.clone(),
        };
        name_of.insert(key.clone(), (user.clone(), c.permission_set.clone()));
        desired.entry(key).or_default().push(c);
    }
    out.next_boundary = boundaries.into_iter().next();

    let actual: BTreeSet<AssignmentKey> = input
        .actual
        .iter()
        .map(|a| AssignmentKey {
            account_id: a.account_id.clone(),
            permission_set_arn: a.permission_set_arn.clone(),
            user_id: a.user_id.clone(),
        })
        .collect();
    let ps_name: BTreeMap<&String, &String> = input.permission_sets.iter().map(|(n, a)| (a, n)).collect();

    for (key, cands) in &desired {
        if actual.contains(key) {
            continue;
        }
        let (user, ps) = &name_of[key];
        let requests: Vec<String> = cands.iter().map(|c| c.path.clone()).collect();
        out.create.push(Change {
            request: requests.first().cloned(),
            requests,
            user: user.clone(),
            user_id: key.user_id.clone(),
            account: key.account_id.clone(),
            permission_set: ps.clone(),
            permission_set_arn: key.permission_set_arn.clone(),
            reason: None,
            ends_at: cands.iter().map(|c| c.end).max(),
        });
    }

    let present: BTreeSet<&str> = input.candidates.iter().map(|c| c.path.as_str()).collect();
    for key in &actual {
        if desired.contains_key(key) {
            continue;
        }
        let ps = ps_name
            .get(&key.permission_set_arn)
            .map(|s| s.to_string())
            .unwrap_or_default();
        match input.owned.get(key) {
            Some(owned) => {
                let ended = owned.ends_at.is_some_and(|e| e <= at);
                if !input.desired_readable && !ended {
                    continue; // cannot tell whether it is still wanted: keep it
                }
                // revoked: by a `/revoke` in the ledger, or every request behind it was deleted
                let revoked = owned.requests.iter().any(|r| input.revoked.contains(r))
                    || (!ended && owned.requests.iter().all(|r| !present.contains(r.as_str())));
                let why = if revoked {
                    "revoked"
                } else if ended {
                    "expired"
                } else {
                    "no-longer-eligible"
                };
                let requests: Vec<String> = owned.requests.iter().cloned().collect();
                out.delete.push(Change {
                    request: requests.first().cloned(),
                    requests,
                    user: owned.user_name.clone().unwrap_or_default(),
                    user_id: key.user_id.clone(),
                    account: key.account_id.clone(),
                    permission_set: ps,
                    permission_set_arn: key.permission_set_arn.clone(),
                    reason: Some(why.to_string()),
                    ends_at: None,
                });
            }
            None => {
                let change = Change {
                    requests: vec![],
                    request: None,
                    user: String::new(),
                    user_id: key.user_id.clone(),
                    account: key.account_id.clone(),
                    permission_set: ps,
                    permission_set_arn: key.permission_set_arn.clone(),
                    reason: Some("drift".into()),
                    ends_at: None,
                };
                if input.remove_drift && input.desired_readable {
                    out.delete.push(change.clone());
                }
                out.drift.push(change);
            }
        }
    }
    if out.delete.len() as u64 > input.max_removals && !input.force {
        out.halted = Some(format!(
            "this run would remove {} assignments, more than max_removals_per_run ({}); nothing was changed. Check the plan, then run with --force",
            out.delete.len(),
            input.max_removals
        ));
    }
    out
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
            parts.push(format!("delete {}", d.reason.as_deref().unwrap_or("")));
        }
        for d in &p.drift {
            parts.push(format!("drift {}", d.account));
        }
        for b in &p.blocked {
            parts.push(format!("blocked {}", b.reasons[0].code));
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
}
