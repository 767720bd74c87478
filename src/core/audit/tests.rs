//! Table-driven tests of the audit join, its filters, statuses and renderings: each case
//! is a history of `requests/`, ledger events and a time, and the rows expected.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::filter::Filter;
use super::*;
use crate::core::files::tree::{Entry, Tree};
use crate::core::ledger::{BadLine, Event, Kind, Ledger};

fn t(s: &str) -> DateTime<Utc> {
    format!("2026-11-{s}:00Z").parse().unwrap()
}

const P1: &str = "requests/payments-prod/AdministratorAccess/inc-1.toml";
const P2: &str = "requests/payments-staging/AdministratorAccess/load-2.toml";
const P3: &str = "requests/data-prod/ReadOnlyAccess/look-3.toml";

fn body(who: &str, account: &str, ps: &str, start: Option<&str>, duration: &str) -> Vec<u8> {
    let start = start.map(|s| format!("start = {s}\n")).unwrap_or_default();
    format!(
        "requester = \"{who}\"\naccount = \"{account}\"\npermission_set = \"{ps}\"\n{start}duration = \"{duration}\"\nreason = \"Roll back, \\\"now\\\"\"\nticket = \"INC-1\"\n"
    )
    .into_bytes()
}

fn contents() -> HashMap<String, Vec<u8>> {
    [
        (
            "b1",
            body(
                "alice",
                "payments-prod",
                "AdministratorAccess",
                Some("2026-11-22T13:00:00Z"),
                "2h",
            ),
        ),
        ("b2", body("bob", "payments-staging", "AdministratorAccess", None, "4h")),
        (
            "b3",
            body(
                "erin",
                "data-prod",
                "ReadOnlyAccess",
                Some("2026-11-20T09:00:00Z"),
                "1h",
            ),
        ),
        ("b1x", b"requester = \"alice\"\nduration = 2h\n".to_vec()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn commit(sha: &str, at: &str, subject: &str, changes: &[(ChangeKind, &str, &str)]) -> HistoryCommit {
    HistoryCommit {
        commit: Commit {
            sha: sha.to_string(),
            time: t(at),
            author: "web-flow".into(),
            subject: subject.into(),
        },
        changes: changes
            .iter()
            .map(|(k, p, b)| PathChange {
                path: p.to_string(),
                kind: *k,
                blob: (!b.is_empty()).then(|| b.to_string()),
            })
            .collect(),
    }
}

use ChangeKind::{Added as A, Modified as M, Removed as D};

/// A ledger event: kind, time (`DDTHH:MM`), request path, PR, then `key=value` fields.
fn ev(kind: Kind, at: &str, path: &str, pr: Option<u64>, kv: &[(&str, &str)]) -> Event {
    let mut e = Event::new(kind, t(at));
    if matches!(kind, Kind::Merged | Kind::ClosedUnmerged) {
        if !path.is_empty() {
            e.paths = vec![path.to_string()];
        }
    } else if !path.is_empty() {
        e.request = Some(path.to_string());
    }
    e.pr = pr;
    for (k, v) in kv {
        let v = v.to_string();
        match *k {
            "actor" => e.actor = Some(v),
            "reason" => e.reason = Some(v),
            "merge_commit" => e.merge_commit = Some(v),
            "ends_at" => e.ends_at = Some(t(&v)),
            "account_id" => e.account_id = Some(v),
            "user_name" => e.user_name = Some(v),
            "review_id" => e.review_id = v.parse().ok(),
            _ => panic!("unknown field {k}"),
        }
    }
    e
}

/// Expected: (path, pr, status, problems that must appear as substrings).
type Want<'a> = (&'a str, Option<u64>, Status, &'a [&'a str]);

struct Case<'a> {
    name: &'a str,
    history: Vec<HistoryCommit>,
    events: Vec<Event>,
    at: &'a str,
    want: Vec<Want<'a>>,
}

fn run(history: History, events: Vec<Event>, at: &str, on_branch: &BTreeSet<String>) -> Report {
    let ledger = Ledger {
        events,
        bad_lines: vec![],
    };
    build(&Input {
        history: &history,
        contents: &contents(),
        ledger: &compact::AuditLedger::of(ledger, false),
        on_branch,
        policy: None,
        at: t(at),
    })
}

fn cases<'a>() -> Vec<Case<'a>> {
    let merged =
        |pr: u64, path: &str, at: &str, sha: &str| ev(Kind::Merged, at, path, Some(pr), &[("merge_commit", sha)]);
    vec![
        Case {
            name: "merge commit with the ledger's whole story: expired",
            history: vec![commit(
                "m1",
                "22T11:45",
                "Merge pull request #1 from alice/inc",
                &[(A, P1, "b1")],
            )],
            events: vec![
                ev(Kind::Requested, "22T11:00", P1, Some(1), &[("actor", "alice")]),
                ev(
                    Kind::Approved,
                    "22T11:30",
                    P1,
                    Some(1),
                    &[("actor", "dan"), ("reason", "checked INC-1")],
                ),
                ev(
                    Kind::Approved,
                    "22T11:31",
                    P1,
                    Some(1),
                    &[("actor", "heidi"), ("reason", "ok")],
                ),
                merged(1, P1, "22T11:45", "m1"),
                ev(
                    Kind::Activated,
                    "22T13:00",
                    P1,
                    None,
                    &[("ends_at", "22T15:00"), ("account_id", "111122223333")],
                ),
                ev(Kind::Ended, "22T15:00", P1, None, &[("reason", "expired")]),
            ],
            at: "23T00:00",
            want: vec![(P1, Some(1), Status::Expired, &[])],
        },
        Case {
            name: "active, and still active past its end",
            history: vec![commit(
                "m1",
                "22T11:45",
                "Merge pull request #1 from a/b",
                &[(A, P1, "b1")],
            )],
            events: vec![
                merged(1, P1, "22T11:45", "m1"),
                ev(Kind::Activated, "22T13:00", P1, None, &[("ends_at", "22T15:00")]),
            ],
            at: "22T16:00",
            want: vec![(P1, Some(1), Status::Active, &["has not ended it"])],
        },
        Case {
            name: "squash subject gives the PR; window ahead: scheduled",
            history: vec![commit("s7", "22T11:45", "Roll back (#7)", &[(A, P1, "b1")])],
            events: vec![],
            at: "22T12:00",
            want: vec![(P1, Some(7), Status::Scheduled, &[])],
        },
        Case {
            name: "pushed straight to the default branch: blocked",
            history: vec![commit("x1", "22T11:45", "add my access", &[(A, P1, "b1")])],
            events: vec![],
            at: "22T12:00",
            want: vec![(P1, None, Status::Blocked, &["pushed straight"])],
        },
        Case {
            name: "deleted before its end: revoked; deleted after: expired",
            history: vec![
                commit("m1", "22T11:45", "Merge pull request #1 from a/b", &[(A, P1, "b1")]),
                commit("m2", "19T08:00", "Merge pull request #2 from a/c", &[(A, P3, "b3")]),
                commit("r1", "22T13:30", "Revert \"inc-1\" (#4)", &[(D, P1, "")]),
                commit("r2", "22T13:31", "Clean up (#5)", &[(D, P3, "")]),
            ],
            events: vec![],
            at: "22T14:00",
            want: vec![(P3, Some(2), Status::Expired, &[]), (P1, Some(1), Status::Revoked, &[])],
        },
        Case {
            name: "a /revoke comment in the ledger is final",
            history: vec![commit(
                "m1",
                "22T11:45",
                "Merge pull request #1 from a/b",
                &[(A, P1, "b1")],
            )],
            events: vec![
                ev(Kind::Activated, "22T13:00", P1, None, &[]),
                ev(
                    Kind::Revoked,
                    "22T13:10",
                    P1,
                    None,
                    &[("actor", "alice"), ("reason", "/revoke comment: done")],
                ),
                ev(Kind::Ended, "22T13:11", P1, None, &[("reason", "revoked")]),
            ],
            at: "22T14:00",
            want: vec![(P1, Some(1), Status::Revoked, &[])],
        },
        Case {
            name: "an assignment that failed to be created",
            history: vec![commit(
                "m1",
                "22T11:45",
                "Merge pull request #1 from a/b",
                &[(A, P1, "b1")],
            )],
            events: vec![ev(Kind::Failed, "22T13:00", P1, None, &[("reason", "AccessDenied")])],
            at: "22T14:00",
            want: vec![(P1, Some(1), Status::Failed, &[])],
        },
        Case {
            name: "open, rejected, and closed pull requests never on the branch",
            history: vec![],
            events: vec![
                ev(Kind::Requested, "22T10:00", P1, Some(11), &[("actor", "alice")]),
                ev(Kind::Requested, "22T10:00", P2, Some(12), &[("actor", "bob")]),
                ev(
                    Kind::ChangesRequested,
                    "22T10:30",
                    P2,
                    Some(12),
                    &[("actor", "carol"), ("reason", "too long")],
                ),
                ev(Kind::Requested, "22T10:00", P3, Some(13), &[("actor", "erin")]),
                ev(
                    Kind::ClosedUnmerged,
                    "22T11:00",
                    P3,
                    Some(13),
                    &[("reason", "rejected")],
                ),
                ev(Kind::Requested, "22T09:00", P3, Some(10), &[("actor", "erin")]),
                ev(
                    Kind::ClosedUnmerged,
                    "22T09:30",
                    "",
                    Some(10),
                    &[("reason", "cancelled")],
                ),
            ],
            at: "22T12:00",
            want: vec![
                (P3, Some(10), Status::Cancelled, &[]),
                (P3, Some(13), Status::Rejected, &[]),
                (P1, Some(11), Status::Pending, &[]),
                (P2, Some(12), Status::Rejected, &[]),
            ],
        },
        Case {
            name: "a path removed and added again is two rows, the second flagged",
            history: vec![
                commit("m1", "20T08:00", "Merge pull request #1 from a/b", &[(A, P1, "b1")]),
                commit("r1", "20T09:00", "Remove (#2)", &[(D, P1, "")]),
                commit("m3", "21T08:00", "Merge pull request #3 from a/b", &[(A, P1, "b1")]),
            ],
            events: vec![
                merged(1, P1, "20T08:00", "m1"),
                ev(Kind::Revoked, "20T08:30", P1, None, &[("actor", "alice")]),
                merged(3, P1, "21T08:00", "m3"),
                ev(Kind::Activated, "22T13:00", P1, None, &[]),
            ],
            at: "22T14:00",
            want: vec![
                (P1, Some(1), Status::Revoked, &[]),
                (P1, Some(3), Status::Active, &["used before (added by commit m1)"]),
            ],
        },
        Case {
            name: "force-pushed history: the ledger's commits are gone from the branch",
            history: vec![commit("new1", "22T11:45", "Roll back", &[(A, P1, "b1")])],
            events: vec![
                merged(1, P1, "22T11:45", "old1"),
                merged(2, P2, "22T11:50", "old2"),
                ev(Kind::Activated, "22T11:51", P2, None, &[]),
            ],
            at: "22T12:00",
            want: vec![
                (
                    P1,
                    Some(1),
                    Status::Scheduled,
                    &["not on the default branch (history rewritten"],
                ),
                (P2, Some(2), Status::Active, &["not in the default branch's history"]),
            ],
        },
        Case {
            name: "a rebase merge: the PR is the one the ledger saw requested",
            history: vec![commit("rb", "22T11:45", "Add my request", &[(A, P1, "b1")])],
            events: vec![
                ev(Kind::Requested, "22T11:00", P1, Some(9), &[("actor", "alice")]),
                ev(Kind::Approved, "22T11:30", P1, Some(9), &[("actor", "dan")]),
            ],
            at: "22T12:00",
            want: vec![(P1, Some(9), Status::Scheduled, &[])],
        },
        Case {
            name: "modified after merge, and an unreadable file: blocked",
            history: vec![
                commit(
                    "m1",
                    "22T11:45",
                    "Merge pull request #1 from a/b",
                    &[(A, P1, "b1"), (A, P2, "b1x")],
                ),
                commit("x2", "22T11:50", "longer", &[(M, P1, "b2")]),
            ],
            events: vec![],
            at: "22T12:00",
            want: vec![
                (
                    P1,
                    Some(1),
                    Status::Blocked,
                    &["modified on the default branch by commit x2"],
                ),
                (P2, Some(1), Status::Blocked, &["incomplete or unreadable"]),
            ],
        },
        Case {
            name: "events and commits after --at are ignored",
            history: vec![
                commit("m1", "22T11:45", "Merge pull request #1 from a/b", &[(A, P1, "b1")]),
                commit("r1", "22T14:30", "Revert (#2)", &[(D, P1, "")]),
            ],
            events: vec![
                ev(Kind::Activated, "22T13:00", P1, None, &[]),
                ev(Kind::Ended, "22T14:31", P1, None, &[("reason", "revoked")]),
            ],
            at: "22T14:00",
            want: vec![(P1, Some(1), Status::Active, &[])],
        },
        Case {
            name: "ended as no longer eligible: blocked",
            history: vec![commit(
                "m1",
                "22T11:45",
                "Merge pull request #1 from a/b",
                &[(A, P1, "b1")],
            )],
            events: vec![
                ev(Kind::Activated, "22T13:00", P1, None, &[]),
                ev(Kind::Ended, "22T13:30", P1, None, &[("reason", "no-longer-eligible")]),
            ],
            at: "22T14:00",
            want: vec![(P1, Some(1), Status::Blocked, &["no longer eligible"])],
        },
        Case {
            name: "ledger events with no file and no PR still make a row",
            history: vec![],
            events: vec![ev(Kind::Activated, "22T13:00", P1, None, &[])],
            at: "22T14:00",
            want: vec![(P1, None, Status::Active, &["neither its PR nor the file"])],
        },
    ]
}

#[test]
fn the_join_gives_one_row_per_request_with_its_status() {
    for case in cases() {
        let report = run(History::Log(case.history), case.events, case.at, &BTreeSet::new());
        let got: Vec<(&str, Option<u64>, Status)> =
            report.rows.iter().map(|r| (r.path.as_str(), r.pr, r.status)).collect();
        let want: Vec<(&str, Option<u64>, Status)> = case.want.iter().map(|w| (w.0, w.1, w.2)).collect();
        assert_eq!(got, want, "{}: {:#?}", case.name, report.rows);
        for (row, w) in report.rows.iter().zip(&case.want) {
            for p in w.3 {
                assert!(
                    row.problems.iter().any(|x| x.contains(p)),
                    "{}: `{}` lacks problem `{p}`: {:?}",
                    case.name,
                    row.path,
                    row.problems
                );
            }
            if w.3.is_empty() {
                assert!(row.problems.is_empty(), "{}: {:?}", case.name, row.problems);
            }
        }
    }
}

#[test]
fn a_full_row_carries_window_decisions_and_ends() {
    let case = cases().remove(0);
    let report = run(History::Log(case.history), case.events, case.at, &BTreeSet::new());
    let r = &report.rows[0];
    assert_eq!(r.id, "inc-1");
    assert_eq!(r.requester.as_deref(), Some("alice"));
    assert_eq!(
        (r.account.as_deref(), r.account_id.as_deref()),
        (Some("payments-prod"), Some("111122223333"))
    );
    assert_eq!(r.start, Some(t("22T13:00")));
    assert!(r.start_in_file);
    assert_eq!((r.duration.as_deref(), r.end), (Some("2h"), Some(t("22T15:00"))));
    assert_eq!(r.reason.as_deref(), Some("Roll back, \"now\""));
    assert_eq!(r.ticket.as_deref(), Some("INC-1"));
    assert_eq!(r.pr_source, Some("ledger"));
    assert_eq!(
        r.approvals
            .iter()
            .map(|a| (a.by.as_str(), a.note.as_str()))
            .collect::<Vec<_>>(),
        vec![("dan", "checked INC-1"), ("heidi", "ok")]
    );
    assert_eq!(r.requested_at, Some(t("22T11:00")));
    assert_eq!((r.activated_at, r.ended_at), (Some(t("22T13:00")), Some(t("22T15:00"))));
    assert_eq!(r.end_reason.as_deref(), Some("expired"));
}

#[test]
fn the_pr_comes_from_the_ledger_then_merge_subject_then_squash_subject() {
    let cases = [
        ("Merge pull request #12 from alice/x", Some((12, "merge-commit"))),
        ("Roll back payments (#34)", Some((34, "squash-subject"))),
        ("Roll back payments (#34) ", Some((34, "squash-subject"))),
        ("Revert \"Roll back (#3)\" (#35)", Some((35, "squash-subject"))),
        ("Merge pull request #x from a", None),
        ("Roll back (#)", None),
        ("Roll back #34", None),
        ("Merge branch 'main'", None),
    ];
    for (subject, want) in cases {
        assert_eq!(pr_from_subject(subject), want, "{subject}");
    }
    // the ledger's merge record wins over the subject, and a disagreement is reported
    let report = run(
        History::Log(vec![commit(
            "m1",
            "22T11:45",
            "Merge pull request #1 from a/b",
            &[(A, P1, "b1")],
        )]),
        vec![ev(Kind::Merged, "22T11:45", P1, Some(2), &[("merge_commit", "m1")])],
        "22T12:00",
        &BTreeSet::new(),
    );
    assert_eq!(report.rows[0].pr, Some(2));
    assert!(report.rows[0].problems[0].contains("names PR #1, the ledger's merge record PR #2"));
}

#[test]
fn one_merge_of_two_requests_gives_both_their_pr() {
    let mut m = ev(Kind::Merged, "22T11:45", P1, Some(8), &[("merge_commit", "m1")]);
    m.paths.push(P2.to_string());
    let report = run(
        History::Log(vec![commit(
            "m1",
            "22T11:45",
            "Add two",
            &[(A, P1, "b1"), (A, P2, "b2")],
        )]),
        vec![m],
        "22T12:00",
        &BTreeSet::new(),
    );
    let got: Vec<(Option<u64>, Option<&str>)> = report.rows.iter().map(|r| (r.pr, r.pr_source)).collect();
    assert_eq!(got, vec![(Some(8), Some("ledger")), (Some(8), Some("ledger"))]);
}

#[test]
fn unreadable_ledger_lines_and_events_without_a_request_are_reported() {
    let ledger = Ledger {
        events: vec![
            ev(Kind::Activated, "22T13:00", "", None, &[]),
            ev(Kind::Merged, "22T13:00", "", Some(4), &[]),
            ev(Kind::ClosedUnmerged, "22T13:00", "", Some(5), &[]),
        ],
        bad_lines: vec![BadLine {
            file: "events/2026-11.jsonl".into(),
            line: 7,
            error: "EOF while parsing".into(),
        }],
    };
    let report = build(&Input {
        history: &History::Log(vec![]),
        contents: &contents(),
        ledger: &compact::AuditLedger::of(ledger, false),
        on_branch: &BTreeSet::new(),
        policy: None,
        at: t("22T14:00"),
    });
    assert!(report.rows.is_empty());
    assert_eq!(report.problems.len(), 4, "{:?}", report.problems);
    assert!(report.problems[0].starts_with("ledger events/2026-11.jsonl:7: unreadable event"));
}

#[test]
fn a_confirmed_merge_commit_is_no_force_push() {
    // a rebase merge whose recorded merge commit is a later commit on the branch
    let on_branch: BTreeSet<String> = ["later".to_string()].into();
    let report = run(
        History::Log(vec![commit("rb1", "22T11:45", "Add request", &[(A, P1, "b1")])]),
        vec![ev(Kind::Merged, "22T11:46", P1, Some(3), &[("merge_commit", "later")])],
        "22T12:00",
        &on_branch,
    );
    assert_eq!(report.rows[0].pr, Some(3));
    assert!(report.rows[0].problems.is_empty(), "{:?}", report.rows[0].problems);
}

#[test]
fn the_tip_alone_does_not_call_unknown_prs_blocked() {
    let report = run(
        History::Tip(vec![(P1.to_string(), "b1".to_string())]),
        vec![
            ev(Kind::Merged, "20T08:00", P3, Some(2), &[("merge_commit", "gone")]),
            ev(Kind::Activated, "20T09:00", P3, None, &[]),
            ev(Kind::Ended, "20T10:00", P3, None, &[("reason", "expired")]),
        ],
        "22T12:00",
        &BTreeSet::new(),
    );
    let got: Vec<(&str, Status)> = report.rows.iter().map(|r| (r.path.as_str(), r.status)).collect();
    assert_eq!(got, vec![(P3, Status::Expired), (P1, Status::Scheduled)]);
    assert!(report.rows.iter().all(|r| r.problems.is_empty()));
    // without `start` in the file or a merge in the ledger, the window is unknown: said so
    let report = run(
        History::Tip(vec![(P2.to_string(), "b2".to_string())]),
        vec![],
        "22T12:00",
        &BTreeSet::new(),
    );
    assert!(report.rows[0].problems[0].contains("window cannot be placed"));
}

fn policy_set() -> crate::core::files::load::PolicySet {
    let mut tree = Tree::default();
    for (p, text) in [
        (
            crate::core::files::tree::ACCESS,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/base/policies/access.toml"
            )),
        ),
        (
            crate::core::files::tree::IDENTITIES,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/base/policies/identities.toml"
            )),
        ),
        (
            crate::core::files::tree::DIRECTORY,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/base/policies/directory.toml"
            )),
        ),
        (
            crate::core::files::tree::CODEOWNERS,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/base/.github/CODEOWNERS"
            )),
        ),
    ] {
        tree.insert(p, Entry::File(text.as_bytes().to_vec()));
    }
    let mut diags = Vec::new();
    let set = crate::core::files::load::policy_set(&tree, &mut diags);
    match set {
        Ok(set) => set,
        Err(e) => panic!("the base fixture policy does not validate: {e:?} {diags:?}"),
    }
}

#[test]
fn open_requests_count_approvals_against_the_branch_policy() {
    let set = policy_set();
    // prod admin needs two approvals; staging admin one
    let events = vec![
        ev(Kind::Requested, "22T10:00", P1, Some(1), &[("actor", "alice")]),
        ev(
            Kind::Approved,
            "22T10:10",
            P1,
            Some(1),
            &[("actor", "dan"), ("reason", "ok")],
        ),
        ev(Kind::Requested, "22T10:00", P2, Some(2), &[("actor", "bob")]),
        ev(
            Kind::ChangesRequested,
            "22T10:05",
            P2,
            Some(2),
            &[("actor", "carol"), ("reason", "why?")],
        ),
        ev(
            Kind::Approved,
            "22T10:20",
            P2,
            Some(2),
            &[("actor", "carol"), ("reason", "fine")],
        ),
    ];
    let ledger = Ledger {
        events,
        bad_lines: vec![],
    };
    let report = build(&Input {
        history: &History::Log(vec![]),
        contents: &contents(),
        ledger: &compact::AuditLedger::of(ledger, false),
        on_branch: &BTreeSet::new(),
        policy: Some(&set),
        at: t("22T12:00"),
    });
    let r1 = &report.rows[0];
    assert_eq!((r1.status, r1.approvals_required), (Status::Pending, Some(2)));
    assert_eq!(r1.account_id.as_deref(), Some("111122223333"));
    assert_eq!(r1.can_approve, vec!["@acme/platform-leads"]);
    let r2 = &report.rows[1];
    assert_eq!((r2.status, r2.approvals_required), (Status::Approved, Some(1)));
    assert!(
        r2.rejections.is_empty(),
        "a later approval lifts carol's changes request"
    );
}

fn row(status: Status, requester: &str, account: &str, start: &str, end: &str) -> Row {
    let mut r = run(History::Log(vec![]), vec![], "22T00:00", &BTreeSet::new()).rows;
    assert!(r.is_empty());
    r.push(Row {
        id: "x".into(),
        path: "requests/a/P/x.toml".into(),
        status,
        requester: Some(requester.into()),
        account: Some(account.into()),
        account_id: Some("111122223333".into()),
        permission_set: None,
        start: Some(t(start)),
        start_in_file: true,
        duration: None,
        end: Some(t(end)),
        reason: None,
        ticket: None,
        pr: None,
        pr_source: None,
        requested_at: None,
        approvals: vec![],
        rejections: vec![],
        approvals_required: None,
        can_approve: vec![],
        merged_at: None,
        merge_commit: None,
        added_commit: None,
        added_at: None,
        removed_commit: None,
        removed_at: None,
        closed_at: None,
        closed_by: None,
        revoked_at: None,
        revoked_by: None,
        revoke_reason: None,
        user_name: None,
        activated_at: None,
        activated_after: None,
        ends_at: None,
        ended_at: None,
        end_reason: None,
        failures: vec![],
        emergency: None,
        verify: None,
        problems: vec![],
        merge_event: None,
        added_blob: None,
        earlier_add: None,
    });
    r.remove(0)
}

#[test]
fn filters_by_time_user_account_and_status() {
    let r = row(Status::Active, "Alice", "payments-prod", "22T10:00", "22T12:00");
    let f = |since: Option<&str>, until: Option<&str>| Filter {
        since: since.map(t),
        until: until.map(t),
        ..Filter::default()
    };
    let cases: Vec<(&str, Filter, bool)> = vec![
        ("no filter", Filter::default(), true),
        ("window overlaps the range", f(Some("22T11:00"), Some("22T11:30")), true),
        ("range ends at the start", f(None, Some("22T10:00")), false),
        ("range starts at the end", f(Some("22T12:00"), None), false),
        ("range before", f(Some("21T00:00"), Some("22T09:00")), false),
        (
            "user, any case",
            Filter {
                user: Some("alice".into()),
                ..Filter::default()
            },
            true,
        ),
        (
            "another user",
            Filter {
                user: Some("bob".into()),
                ..Filter::default()
            },
            false,
        ),
        (
            "account by id",
            Filter {
                account: Some("111122223333".into()),
                ..Filter::default()
            },
            true,
        ),
        (
            "account by name",
            Filter {
                account: Some("payments-prod".into()),
                ..Filter::default()
            },
            true,
        ),
        (
            "another account",
            Filter {
                account: Some("data-prod".into()),
                ..Filter::default()
            },
            false,
        ),
        (
            "status among several",
            Filter {
                statuses: vec![Status::Expired, Status::Active],
                ..Filter::default()
            },
            true,
        ),
        (
            "another status",
            Filter {
                statuses: vec![Status::Revoked],
                ..Filter::default()
            },
            false,
        ),
    ];
    for (name, filter, keep) in cases {
        assert_eq!(filter.keeps(&r), keep, "{name}");
    }
    // an event in range keeps a row whose window is outside it
    let mut r2 = r.clone();
    r2.requested_at = Some(t("21T08:00"));
    assert!(f(Some("21T00:00"), Some("22T09:00")).keeps(&r2));
}

#[test]
fn csv_quotes_per_rfc_4180_and_the_table_and_markdown_neutralise_text() {
    let mut r = row(Status::Expired, "alice", "payments-prod", "22T10:00", "22T12:00");
    r.reason = Some("a, \"b\"\nc\x1b[31m|*x*".into());
    r.approvals = vec![Review {
        by: "dan".into(),
        at: None,
        note: "ok".into(),
        review_id: None,
    }];
    let report = Report {
        rows: vec![r],
        problems: vec!["ledger x:1: bad".into()],
    };
    let csv = render::csv(&report, false);
    let mut lines = csv.split("\r\n");
    let header = lines.next().unwrap();
    assert!(header.starts_with(
        "id,status,requester,account,account_id,permission_set,start,duration,end,reason,ticket,pr,approvers"
    ));
    let row = lines.next().unwrap();
    assert!(row.contains(",\"a, \"\"b\"\"\nc\x1b[31m|*x*\","), "{row:?}");
    assert!(row.contains(",dan: ok,"));
    let table = render::table(&report, false);
    assert!(!table.contains('\x1b') && !table.contains("\nc"), "{table}");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0].find("STATUS"), lines[1].find("expired"));
    let md = render::markdown(&report, false);
    assert!(md.contains("a, \"b\" c\u{fffd}\\[31m\\|\\*x\\*"), "{md}");
    assert!(md.contains("**Problems**") && md.contains("- ledger x:1: bad"));
    let json: serde_json::Value = serde_json::from_str(&render::json(&report)).unwrap();
    assert_eq!(json["rows"][0]["reason"], "a, \"b\"\nc\x1b[31m|*x*");
    assert_eq!(json["problems"][0], "ledger x:1: bad");
}

#[test]
fn a_window_that_opened_hours_ago_and_is_not_granted_yet_says_so_not_starts_in_0m() {
    let rows = vec![row(Status::Scheduled, "b", "x", "22T09:00", "22T15:00")];
    let v = status::view(&Report { rows, problems: vec![] }, t("22T12:00"));
    assert_eq!(v.scheduled[0]["starts_in"], serde_json::Value::Null);
    assert_eq!(v.scheduled[0]["opened_ago"], "3h");
    let human = status::human(&v, "main");
    assert!(human.contains("(3h ago)"), "{human}");
    assert!(human.contains("not granted yet"), "{human}");
    assert!(!human.contains("in 0m"), "{human}");
}

#[test]
fn status_sections_follow_the_time() {
    let rows = vec![
        row(Status::Active, "a", "x", "22T10:00", "22T13:30"),
        row(Status::Scheduled, "b", "x", "22T14:00", "22T15:00"),
        row(Status::Expired, "c", "x", "22T08:00", "22T09:00"),
        row(Status::Expired, "d", "x", "20T08:00", "20T09:00"),
        row(Status::Pending, "e", "x", "22T08:00", "22T09:00"),
    ];
    let v = status::view(&Report { rows, problems: vec![] }, t("22T12:00"));
    assert_eq!(v.active.len(), 1);
    assert_eq!(v.active[0]["time_left"], "1h30m");
    assert_eq!(v.active[0]["seconds_left"], 5400);
    assert_eq!(v.scheduled[0]["starts_in"], "2h");
    assert_eq!(
        v.recently_ended.len(),
        1,
        "the one that ended two days ago is not recent"
    );
    assert_eq!(v.open.len(), 1);
    let human = status::human(&v, "main");
    assert!(
        human.contains("Active (1)\n  x  a  x/  until 2026-11-22T13:30:00Z (1h30m left)"),
        "{human}"
    );
}

#[test]
fn humane_time_left() {
    for (secs, want) in [
        (0, "0m"),
        (59, "59s"),
        (60, "1m"),
        (5400, "1h30m"),
        (90_061, "1d1h1m"),
        (-5, "0m"),
    ] {
        assert_eq!(humane(chrono::TimeDelta::seconds(secs)), want);
    }
}

/// A merge's replay snapshot as the gate records it: the PR, its files with their contents,
/// check runs, and reviews (one approval, one comment, one approval later dismissed by a
/// request for changes).
fn snapshot_evidence() -> serde_json::Value {
    serde_json::json!({
        "pr": {"number": 7, "body": "x".repeat(4096), "head": {"sha": "h1"}, "base": {"sha": "b0"}},
        "files": [{"filename": P1, "status": "added", "patch": "y".repeat(8192)}],
        "contents": {P1: "z".repeat(8192)},
        "check_runs": [{"name": "gitgrant", "conclusion": "success", "output": {"text": "w".repeat(2048)}}],
        "reviews": [
            {"id": 11, "user": {"login": "carol", "id": 5, "avatar_url": "https://acme.example/a.png"},
             "state": "APPROVED", "submitted_at": "2026-11-22T11:00:00Z", "body": "ok for INC-1",
             "commit_id": "h1", "html_url": "https://acme.example/pr/7#r11"},
            {"id": 12, "user": {"login": "dave"}, "state": "COMMENTED",
             "submitted_at": "2026-11-22T11:05:00Z", "body": "looking"},
            {"id": 13, "user": {"login": "erin"}, "state": "APPROVED",
             "submitted_at": "2026-11-22T11:10:00Z", "body": "fine"},
            {"id": 14, "user": {"login": "Erin"}, "state": "CHANGES_REQUESTED",
             "submitted_at": "2026-11-22T11:20:00Z", "body": "wait"}
        ]
    })
}

fn build_from(history: &History, ledger: &compact::AuditLedger) -> Report {
    build(&Input {
        history,
        contents: &contents(),
        ledger,
        on_branch: &BTreeSet::new(),
        policy: None,
        at: t("22T12:00"),
    })
}

#[test]
fn audit_keeps_only_what_rows_read_of_each_event_and_rows_stay_the_same() {
    let history = History::Log(vec![commit("m1", "22T11:45", "Add (#7)", &[(A, P1, "b1")])]);
    let mut merged = ev(Kind::Merged, "22T11:45", P1, Some(7), &[("merge_commit", "m1")]);
    merged.evidence = crate::core::ledger::Evidence::of(&snapshot_evidence());
    let mut pushed = ev(Kind::Pushed, "22T11:00", "", Some(7), &[("actor", "alice")]);
    pushed.head_sha = Some("h1".into());
    let mut indexed = crate::core::index::event(crate::core::index::delta(None, "m1", &[]), t("22T11:50"));
    if let Some(d) = indexed.index.as_mut() {
        d.verdicts.push(crate::core::index::Verdict {
            path: P1.into(),
            blob: "b1".into(),
            merge_commit: "m1".into(),
            policy_commits: vec!["b0".into()],
        });
    }
    // the ledger recorded no review events: the row's approvals come from the evidence
    let ledger = || Ledger {
        events: vec![pushed.clone(), merged.clone(), indexed.clone()],
        bad_lines: vec![],
    };
    let kept = compact::AuditLedger::of(ledger(), false);
    let whole = compact::AuditLedger::of(ledger(), true);
    assert_eq!(kept.events.len(), 1, "a push and the index are no row's events");
    assert_eq!(kept.deltas.len(), 1, "the index is the history");
    assert!(kept.deltas[0].verdicts.is_empty(), "no row reads verdicts");
    assert_eq!(
        kept.events[0].evidence(),
        None,
        "without --verify the evidence is not held"
    );
    assert_eq!(
        whole.events[0].evidence(),
        crate::core::ledger::Evidence::of(&snapshot_evidence()).as_ref()
    );
    let small = build_from(&history, &kept);
    let full = build_from(&history, &whole);
    assert_eq!(
        serde_json::to_string(&full).unwrap(),
        serde_json::to_string(&small).unwrap()
    );
    // dave only commented; erin's latest review requests changes
    let by: Vec<&str> = small.rows[0].approvals.iter().map(|r| r.by.as_str()).collect();
    assert_eq!(by, vec!["carol"]);
    assert_eq!(small.rows[0].approvals[0].review_id, Some(11));
    assert_eq!(small.rows[0].approvals[0].note, "ok for INC-1");
    assert_eq!(small.rows[0].merge_event, Some(0));
}

#[test]
fn the_streamed_renderings_are_the_strings() {
    let report = run(
        History::Log(vec![commit(
            "m1",
            "22T11:45",
            "Add (#7)",
            &[(A, P1, "b1"), (A, P2, "b2")],
        )]),
        vec![ev(Kind::Merged, "22T11:45", P1, Some(7), &[("merge_commit", "m1")])],
        "22T12:00",
        &BTreeSet::new(),
    );
    let mut json = Vec::new();
    render::write_json(&report, &mut json).unwrap();
    assert_eq!(String::from_utf8(json).unwrap(), render::json(&report) + "\n");
    // a reader that stopped early stays a closed pipe, which the command line ignores
    struct Closed;
    impl std::io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let closed = render::write_json(&report, &mut Closed).unwrap_err();
    assert_eq!(closed.kind(), std::io::ErrorKind::BrokenPipe);
    for verify in [false, true] {
        let mut csv = Vec::new();
        render::write_csv(&report, verify, &mut csv).unwrap();
        assert_eq!(String::from_utf8(csv).unwrap(), render::csv(&report, verify));
        let table = render::table(&report, verify);
        assert_eq!(table.lines().count(), 3, "{table}");
    }
}

#[test]
fn readme_and_gitkeep_files_under_requests_are_no_rows() {
    let readme = "requests/README.md";
    let keep = "requests/payments-prod/.gitkeep";
    let log = History::Log(vec![commit(
        "c1",
        "22T11:45",
        "Add a request and notes",
        &[(A, P1, "b1"), (A, readme, "r1"), (A, keep, "k1")],
    )]);
    let report = run(log, vec![], "22T12:00", &BTreeSet::new());
    let paths: Vec<&str> = report.rows.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, vec![P1]);
    let tip = History::Tip(vec![
        (P1.to_string(), "b1".to_string()),
        (readme.to_string(), "r1".to_string()),
    ]);
    let report = run(tip, vec![], "22T12:00", &BTreeSet::new());
    assert_eq!(report.rows.len(), 1, "{:?}", report.rows);
}
