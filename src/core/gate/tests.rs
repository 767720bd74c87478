//! Table-driven tests of the PR gate (DESIGN 4 and 10): one row per rule the gate
//! implements, each with its inputs built over the fixture base (tests/fixtures/base) and
//! the decision and exact reason codes it must produce. Every row goes through `decide`,
//! the one call site of the gate's entry point. The builders are shared with the tests of
//! `approvals` and `report`.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::facts::{CommitFacts, FileChange, Person, PrFacts, ReviewFacts, ReviewState};
use super::{Decision, GateInput, PathHistory, PrOutcome};
use crate::core::files::load;
use crate::core::files::tree::{Entry, Tree};

pub(super) const HEAD: &str = "1111111111111111111111111111111111111111";
pub(super) const OLD: &str = "2222222222222222222222222222222222222222";
pub(super) const BASE: &str = "3333333333333333333333333333333333333333";
/// When the PR was opened, and when the gate runs.
pub(super) const OPENED: &str = "2026-11-22T11:00:00Z";
pub(super) const AT: &str = "2026-11-22T12:00:00Z";
/// A review body that satisfies `require_approval_note`.
pub(super) const NOTE: &str = "Checked the incident; approving for the rollback.";

macro_rules! fixture {
    ($path:literal) => {
        (
            $path,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/base/", $path)),
        )
    };
}

/// The fixture base repository: a valid policy and four merged requests.
pub(super) fn base_tree() -> Tree {
    let mut tree = Tree::default();
    for (path, text) in [
        fixture!(".github/CODEOWNERS"),
        fixture!("policies/access.toml"),
        fixture!("policies/identities.toml"),
        fixture!("policies/directory.toml"),
        fixture!("requests/data-prod/DatabaseAdmin/chg-1307-index-rebuild.toml"),
        fixture!("requests/data-prod/ReadOnlyAccess/erin-replication-lag.toml"),
        fixture!("requests/payments-prod/AdministratorAccess/inc-4821-rollback.toml"),
        fixture!("requests/payments-staging/AdministratorAccess/load-test-setup.toml"),
    ] {
        tree.insert(path, Entry::File(text.as_bytes().to_vec()));
    }
    tree
}

pub(super) fn time(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("test times are RFC 3339")
        .with_timezone(&Utc)
}

pub(super) fn person(login: &str) -> Person {
    Person {
        login: Some(login.to_string()),
        email: Some(format!("{login}@users.noreply.github.com")),
        is_bot: login.ends_with("[bot]"),
    }
}

/// A commit author GitHub could not link to an account.
pub(super) fn unlinked(email: &str) -> Person {
    Person {
        login: None,
        email: Some(email.to_string()),
        is_bot: false,
    }
}

pub(super) fn commit(sha: &str, author: Person, committer: Person, co_authors: Vec<Person>) -> CommitFacts {
    CommitFacts {
        sha: sha.to_string(),
        author,
        committer,
        co_authors,
    }
}

/// A review on the head commit with a note; adjust the fields for other cases.
pub(super) fn review(login: &str, state: ReviewState) -> ReviewFacts {
    ReviewFacts {
        id: 0,
        login: Some(login.to_string()),
        is_bot: login.ends_with("[bot]"),
        state,
        commit_id: Some(HEAD.to_string()),
        body: NOTE.to_string(),
        submitted_at: None,
    }
}

pub(super) fn approval(login: &str) -> ReviewFacts {
    review(login, ReviewState::Approved)
}

/// The teams the fixture's CODEOWNERS and policy name, as read from GitHub.
pub(super) fn default_teams() -> BTreeMap<String, Vec<String>> {
    [
        ("acme/platform-leads", &["dan", "heidi"][..]),
        ("acme/platform-oncall", &["ivan"]),
        ("acme/engineering", &["bob", "ivan"]),
        ("acme/security-admins", &["sam", "tess"]),
        ("acme/security-engineers", &[]),
        ("acme/dba-leads", &["dora"]),
    ]
    .into_iter()
    .map(|(t, m)| (t.to_string(), m.iter().map(|l| l.to_string()).collect()))
    .collect()
}

/// A PR by `author` with one commit by the author, no reviews and no files.
pub(super) fn pr_facts(author: &str) -> PrFacts {
    PrFacts {
        number: 1,
        author: author.to_string(),
        author_is_bot: false,
        head_sha: HEAD.to_string(),
        base_sha: BASE.to_string(),
        base_ref: "main".to_string(),
        default_branch: Some("main".to_string()),
        created_at: time(OPENED),
        state: "open".to_string(),
        merged: false,
        merge_commit_sha: None,
        commits: vec![commit(HEAD, person(author), person(author), vec![])],
        reviews: vec![],
        files: vec![],
        files_source: Default::default(),
        teams: default_teams(),
        pushers: vec![],
    }
}

/// A request file's fields; `toml` renders it, `path` is its canonical path.
#[derive(Clone)]
pub(super) struct Req {
    pub requester: &'static str,
    pub account: &'static str,
    pub permission_set: &'static str,
    pub id: &'static str,
    pub start: Option<&'static str>,
    pub duration: &'static str,
}

impl Req {
    /// Production administration: two platform leads must approve (prod-admin-needs-two).
    pub fn prod_admin(requester: &'static str) -> Req {
        Req {
            requester,
            account: "payments-prod",
            permission_set: "AdministratorAccess",
            id: "inc-9000-rollback",
            start: Some("2026-11-22T13:00:00Z"),
            duration: "2h",
        }
    }

    pub fn start(mut self, start: &'static str) -> Req {
        self.start = Some(start);
        self
    }

    pub fn duration(mut self, duration: &'static str) -> Req {
        self.duration = duration;
        self
    }

    pub fn id(mut self, id: &'static str) -> Req {
        self.id = id;
        self
    }

    pub fn path(&self) -> String {
        format!("requests/{}/{}/{}.toml", self.account, self.permission_set, self.id)
    }

    pub fn toml(&self) -> String {
        let start = self.start.map(|s| format!("start = {s}\n")).unwrap_or_default();
        format!(
            "requester = \"{}\"\naccount = \"{}\"\npermission_set = \"{}\"\n{start}duration = \"{}\"\nreason = \"Roll back the failed deploy of payments-api\"\nticket = \"INC-4821\"\n",
            self.requester, self.account, self.permission_set, self.duration
        )
    }
}

/// The gate's inputs for one row.
pub(super) struct Case {
    pub name: &'static str,
    pub base: Tree,
    pub head: Tree,
    pub facts: PrFacts,
    pub history: BTreeMap<String, PathHistory>,
    pub at: DateTime<Utc>,
}

impl Case {
    /// A PR by alice on the fixture base, with nothing in it yet.
    pub fn new(name: &'static str) -> Case {
        let base = base_tree();
        Case {
            name,
            head: base.clone(),
            base,
            facts: pr_facts("alice"),
            history: BTreeMap::new(),
            at: time(AT),
        }
    }

    /// The PR's author, who also wrote its one commit.
    pub fn by(mut self, author: &str) -> Case {
        let teams = std::mem::take(&mut self.facts.teams);
        self.facts = PrFacts {
            teams,
            files: std::mem::take(&mut self.facts.files),
            reviews: std::mem::take(&mut self.facts.reviews),
            ..pr_facts(author)
        };
        self
    }

    fn change(mut self, path: &str, status: &str, previous: Option<&str>) -> Case {
        self.facts.files.push(FileChange {
            filename: path.to_string(),
            status: status.to_string(),
            previous_filename: previous.map(str::to_string),
        });
        self
    }

    /// Adds a file in the head; a request path is recorded as never used before.
    pub fn adds(mut self, path: &str, text: &str) -> Case {
        self.head.insert(path, Entry::File(text.as_bytes().to_vec()));
        if path.starts_with("requests/") {
            self.history.insert(path.to_string(), PathHistory::Never);
        }
        self.change(path, "added", None)
    }

    pub fn requests(self, r: &Req) -> Case {
        self.adds(&r.path(), &r.toml())
    }

    pub fn modifies(mut self, path: &str, text: &str) -> Case {
        self.head.insert(path, Entry::File(text.as_bytes().to_vec()));
        self.change(path, "modified", None)
    }

    pub fn removes(mut self, path: &str) -> Case {
        self.head.entries.remove(path);
        self.change(path, "removed", None)
    }

    pub fn renames(mut self, from: &str, to: &str) -> Case {
        if let Some(entry) = self.head.entries.remove(from) {
            self.head.insert(to, entry);
        }
        self.change(to, "renamed", Some(from))
    }

    /// Replaces a file of the base (and so of the head, which starts from it).
    pub fn base_file(mut self, path: &str, text: &str) -> Case {
        self.base.insert(path, Entry::File(text.as_bytes().to_vec()));
        self.head.insert(path, Entry::File(text.as_bytes().to_vec()));
        self
    }

    pub fn history(mut self, path: &str, history: Option<PathHistory>) -> Case {
        match history {
            Some(h) => self.history.insert(path.to_string(), h),
            None => self.history.remove(path),
        };
        self
    }

    /// A review, submitted after every earlier one.
    pub fn review(mut self, mut r: ReviewFacts) -> Case {
        let n = self.facts.reviews.len() as u64;
        r.id = 1000 + n;
        r.submitted_at = Some(self.facts.created_at + TimeDelta::minutes(10 + n as i64));
        self.facts.reviews.push(r);
        self
    }

    pub fn approved_by(self, login: &str) -> Case {
        self.review(approval(login))
    }

    /// Another commit, pushed before the head commit.
    pub fn commit(mut self, author: Person, committer: Person, co_authors: Vec<Person>) -> Case {
        let sha = format!("{:040x}", 0xa0 + self.facts.commits.len());
        self.facts
            .commits
            .insert(0, commit(&sha, author, committer, co_authors));
        self
    }

    pub fn team(mut self, team: &str, members: &[&str]) -> Case {
        self.facts
            .teams
            .insert(team.to_string(), members.iter().map(|m| m.to_string()).collect());
        self
    }

    /// A team whose members were not read.
    pub fn team_unread(mut self, team: &str) -> Case {
        self.facts.teams.remove(team);
        self
    }
}

/// The one call of the gate's entry point.
pub(super) fn decide(case: &Case) -> PrOutcome {
    let mut diags = Vec::new();
    let base = load::policy_set(&case.base, &mut diags);
    super::decide(&GateInput {
        base: &base,
        head: &case.head,
        facts: &case.facts,
        history: &case.history,
        at: case.at,
    })
}

struct Row {
    case: Case,
    decision: Decision,
    /// Every item's reason codes, in order, items in order.
    reasons: &'static [&'static str],
    /// Every item's counted approvers, items in order.
    approved_by: &'static [&'static str],
}

fn row(case: Case, decision: Decision, reasons: &'static [&'static str], approved_by: &'static [&'static str]) -> Row {
    Row {
        case,
        decision,
        reasons,
        approved_by,
    }
}

/// Runs every row and reports all mismatches at once, each under its row's name.
fn check_rows(rows: Vec<Row>) {
    let mut failures = Vec::new();
    for r in &rows {
        let out = decide(&r.case);
        let reasons: Vec<&str> = out
            .requests
            .iter()
            .flat_map(|i| i.reasons.iter().map(|r| r.code))
            .collect();
        let approved_by: Vec<&str> = out
            .requests
            .iter()
            .flat_map(|i| i.approved_by.iter().map(String::as_str))
            .collect();
        if (out.decision, reasons.as_slice(), approved_by.as_slice()) != (r.decision, r.reasons, r.approved_by) {
            failures.push(format!(
                "{}:\n  want {:?} {:?} approved by {:?}\n  got  {:?} {:?} approved by {:?}",
                r.case.name, r.decision, r.reasons, r.approved_by, out.decision, reasons, approved_by
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

use Decision::{Approved, Invalid, Pending, Rejected};

/// DESIGN 4.4 and 4.5: which reviews count, and what rejects.
#[test]
fn approvals_count_only_under_every_rule() {
    let alice = || Case::new("").requests(&Req::prod_admin("alice"));
    let named = |name, c: Case| Case { name, ..c };
    let changes = |login| review(login, ReviewState::ChangesRequested);
    let dismissed = |login| review(login, ReviewState::Dismissed);
    let on_old = |login| ReviewFacts {
        commit_id: Some(OLD.to_string()),
        ..approval(login)
    };
    check_rows(vec![
        row(
            named(
                "two code owners approve the head",
                alice().approved_by("dan").approved_by("heidi"),
            ),
            Approved,
            &["approved"],
            &["dan", "heidi"],
        ),
        row(
            named(
                "min_approvals 2 (prod-admin-needs-two): one approval is pending",
                alice().approved_by("dan"),
            ),
            Pending,
            &["awaiting-approval"],
            &["dan"],
        ),
        row(
            named("no review at all is pending", alice()),
            Pending,
            &["awaiting-approval"],
            &[],
        ),
        row(
            named(
                "the requester's own approval never counts, even as a code owner",
                alice()
                    .team("acme/platform-leads", &["alice", "dan", "heidi"])
                    .approved_by("alice")
                    .approved_by("dan"),
            ),
            Pending,
            &["awaiting-approval", "self-approval"],
            &["dan"],
        ),
        row(
            named(
                "the committer of a PR commit cannot approve",
                alice()
                    .commit(person("alice"), person("heidi"), vec![])
                    .approved_by("dan")
                    .approved_by("heidi"),
            ),
            Pending,
            &["awaiting-approval", "self-approval"],
            &["dan"],
        ),
        row(
            named(
                "the author of a PR commit cannot approve",
                alice()
                    .commit(person("heidi"), person("heidi"), vec![])
                    .approved_by("dan")
                    .approved_by("heidi"),
            ),
            Pending,
            &["awaiting-approval", "self-approval"],
            &["dan"],
        ),
        row(
            named(
                "a Co-authored-by of a PR commit cannot approve",
                alice()
                    .commit(person("alice"), person("alice"), vec![person("heidi")])
                    .approved_by("dan")
                    .approved_by("heidi"),
            ),
            Pending,
            &["awaiting-approval", "self-approval"],
            &["dan"],
        ),
        row(
            named(
                "GitHub's web-flow committer is GitHub, not a person",
                alice()
                    .commit(person("alice"), person("web-flow"), vec![])
                    .approved_by("dan")
                    .approved_by("heidi"),
            ),
            Approved,
            &["approved"],
            &["dan", "heidi"],
        ),
        row(
            named(
                "a commit author not linked to an account blocks counting",
                alice()
                    .commit(unlinked("someone@example.com"), person("alice"), vec![])
                    .approved_by("dan")
                    .approved_by("heidi"),
            ),
            Pending,
            &["awaiting-approval", "unresolved-commit-identity"],
            &[],
        ),
        row(
            named(
                "only code owners of the request's path count",
                alice().approved_by("dan").approved_by("mallory").approved_by("sam"),
            ),
            Pending,
            &[
                "awaiting-approval",
                "approval-not-code-owner",
                "approval-not-code-owner",
            ],
            &["dan"],
        ),
        row(
            named(
                "code owners of another path (dba-leads) do not count here",
                alice().approved_by("dan").approved_by("dora"),
            ),
            Pending,
            &["awaiting-approval", "approval-not-code-owner"],
            &["dan"],
        ),
        row(
            named(
                "an approval before the last push is stale",
                alice().approved_by("dan").review(on_old("heidi")),
            ),
            Pending,
            &["awaiting-approval", "approval-stale"],
            &["dan"],
        ),
        row(
            named(
                "an approval with no commit id is stale",
                alice().approved_by("dan").review(ReviewFacts {
                    commit_id: None,
                    ..approval("heidi")
                }),
            ),
            Pending,
            &["awaiting-approval", "approval-stale"],
            &["dan"],
        ),
        row(
            named(
                "the latest review counts: re-approving the head after a stale approval",
                alice().approved_by("dan").review(on_old("heidi")).approved_by("heidi"),
            ),
            Approved,
            &["approved"],
            &["dan", "heidi"],
        ),
        row(
            named(
                "require_approval_note: an approval without a note does not count",
                alice().approved_by("dan").review(ReviewFacts {
                    body: "  \n".to_string(),
                    ..approval("heidi")
                }),
            ),
            Pending,
            &["awaiting-approval", "approval-without-note"],
            &["dan"],
        ),
        row(
            named(
                "a bot's approval never counts, even as a team member",
                alice()
                    .team("acme/platform-leads", &["dan", "heidi", "deploy[bot]"])
                    .approved_by("dan")
                    .approved_by("deploy[bot]"),
            ),
            Pending,
            &["awaiting-approval", "approval-by-bot"],
            &["dan"],
        ),
        row(
            named(
                "team owners are undetermined without the team's members (team-not-read)",
                alice()
                    .team_unread("acme/platform-leads")
                    .approved_by("dan")
                    .approved_by("heidi"),
            ),
            Pending,
            &["awaiting-approval", "team-not-read", "team-not-read"],
            &[],
        ),
        row(
            named(
                "a code owner's changes-requested rejects",
                alice().approved_by("dan").approved_by("heidi").review(changes("heidi")),
            ),
            Rejected,
            &["changes-requested"],
            &["dan"],
        ),
        row(
            named(
                "the latest review counts: approving after requesting changes",
                alice().review(changes("heidi")).approved_by("dan").approved_by("heidi"),
            ),
            Approved,
            &["approved"],
            &["dan", "heidi"],
        ),
        row(
            named(
                "a comment does not lift a changes-requested",
                alice()
                    .approved_by("dan")
                    .review(changes("heidi"))
                    .review(review("heidi", ReviewState::Commented)),
            ),
            Rejected,
            &["changes-requested"],
            &["dan"],
        ),
        row(
            named(
                "a dismissed changes-requested no longer rejects",
                alice()
                    .approved_by("dan")
                    .review(changes("heidi"))
                    .review(dismissed("heidi")),
            ),
            Pending,
            &["awaiting-approval"],
            &["dan"],
        ),
        row(
            named(
                "a dismissed approval does not count",
                alice()
                    .approved_by("dan")
                    .approved_by("heidi")
                    .review(dismissed("heidi")),
            ),
            Pending,
            &["awaiting-approval"],
            &["dan"],
        ),
        row(
            named(
                "changes requested by someone who is not a code owner do not reject",
                alice()
                    .approved_by("dan")
                    .approved_by("heidi")
                    .review(changes("mallory")),
            ),
            Approved,
            &["approved"],
            &["dan", "heidi"],
        ),
        row(
            named(
                "a review state gitgrant does not know is reported, not counted",
                alice()
                    .approved_by("dan")
                    .review(review("heidi", ReviewState::Other("FUTURE".to_string()))),
            ),
            Pending,
            &["awaiting-approval", "unknown-review-state"],
            &["dan"],
        ),
    ]);
}

/// Quorum and eligibility from the base policy's rules (DESIGN 4.3, 4.4).
#[test]
fn quorum_and_eligibility_come_from_the_policy() {
    let staging = Req {
        requester: "bob",
        account: "payments-staging",
        permission_set: "AdministratorAccess",
        id: "load-test-2",
        start: Some("2026-11-22T13:00:00Z"),
        duration: "6h",
    };
    let security = Req {
        requester: "frank",
        account: "security-audit",
        permission_set: "ReadOnlyAccess",
        id: "audit-review",
        start: None,
        duration: "2h",
    };
    let read_only = Req {
        requester: "erin",
        account: "data-prod",
        permission_set: "ReadOnlyAccess",
        id: "erin-lag-2",
        start: None,
        duration: "4h",
    };
    check_rows(vec![
        row(
            Case::new("no approval rule matches: one code owner is enough")
                .by("bob")
                .requests(&staging)
                .approved_by("carol"),
            Approved,
            &["approved"],
            &["carol"],
        ),
        row(
            Case::new("min_approvals 2 (security-needs-two) with one approval is pending")
                .by("frank")
                .requests(&security)
                .approved_by("sam"),
            Pending,
            &["awaiting-approval"],
            &["sam"],
        ),
        row(
            Case::new("min_approvals 2 (security-needs-two) with two approvals")
                .by("frank")
                .requests(&security)
                .approved_by("sam")
                .approved_by("tess"),
            Approved,
            &["approved"],
            &["sam", "tess"],
        ),
        row(
            Case::new("approval = \"none\" is approved at once")
                .by("erin")
                .requests(&read_only),
            Approved,
            &["auto-approved"],
            &[],
        ),
        row(
            Case::new("the requester is not a principal of any covering rule")
                .by("bob")
                .requests(&Req::prod_admin("bob"))
                .approved_by("dan")
                .approved_by("heidi"),
            Invalid,
            &["requester-not-eligible"],
            &[],
        ),
        row(
            Case::new("eligible only through a team whose members were not read")
                .by("ivan")
                .team_unread("acme/platform-oncall")
                .requests(&Req::prod_admin("ivan"))
                .approved_by("dan")
                .approved_by("heidi"),
            Invalid,
            &["team-membership-unknown"],
            &[],
        ),
        row(
            Case::new("eligible through a team that was read")
                .by("ivan")
                .requests(&Req::prod_admin("ivan"))
                .approved_by("dan")
                .approved_by("heidi"),
            Approved,
            &["approved"],
            &["dan", "heidi"],
        ),
        row(
            Case::new("the requester is not the PR's author")
                .by("bob")
                .requests(&Req::prod_admin("alice"))
                .approved_by("dan")
                .approved_by("heidi"),
            Invalid,
            &["requester-not-author"],
            &[],
        ),
    ]);
}

/// The request's own fields: window and duration (DESIGN 4.3).
#[test]
fn the_requested_window_is_checked() {
    let approved = |name, r: Req| Case::new(name).requests(&r).approved_by("dan").approved_by("heidi");
    let req = || Req::prod_admin("alice");
    check_rows(vec![
        row(
            approved("a start before the PR was opened", req().start("2026-11-22T08:00:00Z")),
            Invalid,
            &["start-in-past"],
            &[],
        ),
        row(
            approved(
                "a start just inside the grace before opening",
                req().start("2026-11-22T10:56:00Z"),
            ),
            Approved,
            &["approved"],
            &["dan", "heidi"],
        ),
        row(
            approved(
                "a start just outside the grace before opening",
                req().start("2026-11-22T10:54:00Z"),
            ),
            Invalid,
            &["start-in-past"],
            &[],
        ),
        row(
            approved(
                "a window that ended before the gate ran",
                req().start("2026-11-22T10:58:00Z").duration("1h"),
            ),
            Invalid,
            &["window-ended"],
            &[],
        ),
        row(
            approved(
                "a start further ahead than max_start_ahead (30d)",
                req().start("2026-12-23T12:00:00Z"),
            ),
            Invalid,
            &["start-too-far-ahead"],
            &[],
        ),
        row(
            approved(
                "a start just within max_start_ahead",
                req().start("2026-12-22T11:00:00Z"),
            ),
            Approved,
            &["approved"],
            &["dan", "heidi"],
        ),
        row(
            approved("a duration over settings.max_duration (8h)", req().duration("9h")),
            Invalid,
            &["duration-exceeds-maximum"],
            &[],
        ),
        row(
            approved("a duration over the rule's max_duration (4h)", req().duration("5h")),
            Invalid,
            &["duration-exceeds-maximum"],
            &[],
        ),
        row(
            approved("a duration at the rule's max_duration", req().duration("4h")),
            Approved,
            &["approved"],
            &["dan", "heidi"],
        ),
        row(
            Case {
                at: time("2026-11-23T11:00:00Z"),
                ..approved(
                    "decided exactly pending_timeout (24h) after opening",
                    req().start("2026-11-23T13:00:00Z"),
                )
            },
            Approved,
            &["approved"],
            &["dan", "heidi"],
        ),
        row(
            Case {
                at: time("2026-11-23T11:00:01Z"),
                ..approved(
                    "decided just over pending_timeout after opening: stale",
                    req().start("2026-11-23T13:00:00Z"),
                )
            },
            Invalid,
            &["stale"],
            &[],
        ),
    ]);
}

/// What the PR changes: immutable requests, policy paths, reused paths (DESIGN 4.2, 4.6, 10.7).
#[test]
fn what_the_pr_changes_decides_what_it_can_be() {
    let merged = "requests/payments-prod/AdministratorAccess/inc-4821-rollback.toml";
    let r = Req::prod_admin("alice");
    let approved = |name| Case::new(name).requests(&r).approved_by("dan").approved_by("heidi");
    let mut rows = vec![
        row(
            approved("a request file modified").modifies(merged, "requester = \"alice\"\n"),
            Invalid,
            &["request-modified", "approved"],
            &["dan", "heidi"],
        ),
        row(
            Case::new("a request file renamed within requests/")
                .renames(merged, "requests/payments-prod/AdministratorAccess/inc-4821-again.toml"),
            Invalid,
            &["request-modified"],
            &[],
        ),
        row(
            Case::new("a request file renamed out of requests/").renames(merged, "docs/inc-4821.toml"),
            Invalid,
            &["request-modified"],
            &[],
        ),
        row(
            Case::new("deleting request files only: a revocation passes at once").removes(merged),
            Approved,
            &[],
            &[],
        ),
        row(
            approved("a new request with unrelated files").adds("docs/notes.md", "# notes\n"),
            Approved,
            &["approved"],
            &["dan", "heidi"],
        ),
        row(
            approved("a request path used before is never reused")
                .history(&r.path(), Some(PathHistory::Existed(OLD.to_string()))),
            Invalid,
            &["request-path-reused"],
            &[],
        ),
        row(
            approved("history that cannot be read fails closed")
                .history(&r.path(), Some(PathHistory::Unknown("shallow clone".to_string()))),
            Invalid,
            &["history-unavailable"],
            &[],
        ),
        row(
            approved("history that was not looked up fails closed").history(&r.path(), None),
            Invalid,
            &["history-unavailable"],
            &[],
        ),
        row(
            approved("a base policy that does not load")
                .base_file("policies/access.toml", "[settings\nmax_duration = \n"),
            Invalid,
            &["base-policy-invalid"],
            &[],
        ),
        row(
            Case::new("an added request missing from the head")
                .requests(&r)
                .removes(&r.path())
                .history(&r.path(), Some(PathHistory::Never)),
            Invalid,
            &["head-file-missing"],
            &[],
        ),
        row(
            Case::new("a request filed under another account's path")
                .adds(
                    "requests/payments-staging/AdministratorAccess/inc-9000-rollback.toml",
                    &r.toml(),
                )
                .approved_by("dan")
                .approved_by("heidi"),
            Invalid,
            &["path-mismatch"],
            &[],
        ),
        row(
            approved("two requests: the PR is the worst of them")
                .requests(&r.clone().id("inc-9001").start("2026-11-22T08:00:00Z")),
            Invalid,
            &["approved", "start-in-past"],
            &["dan", "heidi"],
        ),
    ];
    for policy_path in [
        "policies/access.toml",
        ".github/CODEOWNERS",
        ".github/workflows/gitgrant.yml",
        "schemas/request.schema.json",
        "action.yml",
        "action.yaml",
        "CODEOWNERS",
        "docs/CODEOWNERS",
    ] {
        let name: &'static str = format!("a policy path changed in the same PR: {policy_path}").leak();
        rows.push(row(
            approved(name).modifies(policy_path, "changed\n"),
            Invalid,
            &["mixed-change"],
            &[],
        ));
    }
    check_rows(rows);
}

/// DESIGN 10.2: requests are decided only in PRs into the default branch; a PR into another
/// branch, or one that does not say which branch is the default, decides nothing.
#[test]
fn only_prs_into_the_default_branch_decide_requests() {
    let approved = |name| {
        Case::new(name)
            .requests(&Req::prod_admin("alice"))
            .approved_by("dan")
            .approved_by("heidi")
    };
    let into = |mut c: Case, base: &str, default: Option<&str>| {
        c.facts.base_ref = base.to_string();
        c.facts.default_branch = default.map(str::to_string);
        c
    };
    let two = Req::prod_admin("alice").id("inc-9001");
    check_rows(vec![
        row(
            approved("into the default branch"),
            Approved,
            &["approved"],
            &["dan", "heidi"],
        ),
        row(
            into(approved("into a side branch"), "release", Some("main")),
            Invalid,
            &["base-not-default-branch"],
            &[],
        ),
        row(
            into(approved("the default branch unknown"), "main", None),
            Invalid,
            &["base-not-default-branch"],
            &[],
        ),
        row(
            into(
                approved("every request of the PR").requests(&two),
                "release",
                Some("main"),
            ),
            Invalid,
            &["base-not-default-branch", "base-not-default-branch"],
            &[],
        ),
        row(
            into(
                Case::new("a revocation into a side branch still passes").removes(&Req::prod_admin("alice").path()),
                "release",
                Some("main"),
            ),
            Approved,
            &[],
            &[],
        ),
    ]);
}

/// A PR that changes only policy needs its base code owners (the admins) and a policy that
/// checks clean (DESIGN 4.2).
#[test]
fn policy_changes_need_the_admins_and_a_clean_check() {
    let access = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/base/policies/access.toml"
    ));
    let stricter = access.replacen("max_duration = \"8h\"", "max_duration = \"6h\"", 1);
    assert_ne!(access, stricter);
    let policy_pr = |name| Case::new(name).by("sam").modifies("policies/access.toml", &stricter);
    let codeowners = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/base/.github/CODEOWNERS"
    ));
    let unowned_schemas = codeowners.replace(
        "/schemas/                                       @acme/security-admins\n",
        "",
    );
    assert_ne!(codeowners, unowned_schemas);
    check_rows(vec![
        row(
            policy_pr("approved by another admin").approved_by("tess"),
            Approved,
            &["approved"],
            &["tess"],
        ),
        row(policy_pr("no review yet"), Pending, &["awaiting-approval"], &[]),
        row(
            policy_pr("the author's own approval does not count").approved_by("sam"),
            Pending,
            &["awaiting-approval", "self-approval"],
            &[],
        ),
        row(
            policy_pr("a code owner of requests only does not count").approved_by("dan"),
            Pending,
            &["awaiting-approval", "approval-not-code-owner"],
            &[],
        ),
        row(
            policy_pr("an admin's changes-requested rejects")
                .approved_by("tess")
                .review(review("tess", ReviewState::ChangesRequested)),
            Rejected,
            &["changes-requested"],
            &[],
        ),
        row(
            Case::new("a policy change that does not check clean")
                .by("sam")
                .modifies("policies/access.toml", "[settings\n")
                .approved_by("tess"),
            Invalid,
            &["toml-syntax"],
            &["tess"],
        ),
        row(
            Case::new("a policy path nobody owns in the base CODEOWNERS")
                .by("sam")
                .base_file(".github/CODEOWNERS", &unowned_schemas)
                .modifies("schemas/request.schema.json", "{}\n")
                .approved_by("tess"),
            Invalid,
            &["policy-path-unowned", "approval-not-code-owner"],
            &[],
        ),
        row(
            Case::new("a PR that changes nothing gitgrant reads").adds("README.md", "hi\n"),
            Approved,
            &[],
            &[],
        ),
    ]);
}

/// CODEOWNERS is read where GitHub reads it (`.github/`, then the root, then `docs/`: the
/// first that exists wins), and an e-mail owner counts through the login identities.toml
/// lists with that address, else cannot approve (a warning, not an invalid policy).
#[test]
fn codeowners_precedence_and_email_owners() {
    let fixture_co = base_tree().text(".github/CODEOWNERS").unwrap().to_string();
    let r = Req::prod_admin("alice");
    let without_github = |name: &'static str| {
        let mut c = Case::new(name).requests(&r);
        c.base.entries.remove(".github/CODEOWNERS");
        c.head.entries.remove(".github/CODEOWNERS");
        c
    };
    let carol_erin = "/requests/ @carol @erin\n/policies/ @acme/security-admins\n";
    let mallory_zed = "/requests/ @mallory @zed\n/policies/ @acme/security-admins\n";
    let both = |c: Case| c.approved_by("carol").approved_by("erin");
    let email_line = |owners: &str| format!("{fixture_co}/requests/payments-prod/AdministratorAccess/ {owners}\n");
    check_rows(vec![
        row(
            both(without_github("root CODEOWNERS when .github/ has none").base_file("CODEOWNERS", carol_erin)),
            Approved,
            &["approved"],
            &["carol", "erin"],
        ),
        row(
            both(
                without_github("docs/CODEOWNERS when neither .github/ nor the root has one")
                    .base_file("docs/CODEOWNERS", carol_erin),
            ),
            Approved,
            &["approved"],
            &["carol", "erin"],
        ),
        row(
            both(
                without_github("the root wins over docs/")
                    .base_file("CODEOWNERS", carol_erin)
                    .base_file("docs/CODEOWNERS", mallory_zed),
            ),
            Approved,
            &["approved"],
            &["carol", "erin"],
        ),
        row(
            both(
                Case::new(".github/CODEOWNERS wins over the root")
                    .requests(&r)
                    .base_file("CODEOWNERS", carol_erin),
            ),
            Pending,
            &[
                "awaiting-approval",
                "approval-not-code-owner",
                "approval-not-code-owner",
            ],
            &[],
        ),
        row(
            both(
                Case::new("e-mail owners count through identities.toml")
                    .requests(&r)
                    .base_file(
                        ".github/CODEOWNERS",
                        &email_line("carol@acme.example ERIN@acme.example"),
                    ),
            ),
            Approved,
            &["approved"],
            &["carol", "erin"],
        ),
        row(
            Case::new("an e-mail owner nobody is listed with cannot approve; the others still can")
                .requests(&r)
                .base_file(".github/CODEOWNERS", &email_line("@carol zoe@acme.example"))
                .approved_by("carol")
                .approved_by("zoe"),
            Pending,
            &["awaiting-approval", "approval-not-code-owner"],
            &["carol"],
        ),
    ]);
    let warned = decide(
        &Case::new("")
            .requests(&r)
            .base_file(".github/CODEOWNERS", &email_line("@carol zoe@acme.example")),
    );
    let codes: Vec<&str> = warned.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["codeowners-email-unverified"], "{:?}", warned.diagnostics);
    assert!(!warned.diagnostics[0].is_error());
}

/// The gate decides on the git diff; GitHub's list is cross-checked against it, and a
/// disagreement or a diff that cannot be computed fails closed (DESIGN 10.7).
#[test]
fn the_git_diff_decides_and_a_disagreeing_list_fails_closed() {
    let r = Req::prod_admin("alice");
    let approved = |name| Case::new(name).requests(&r).approved_by("dan").approved_by("heidi");
    let change = |status: &str, path: &str| FileChange {
        filename: path.to_string(),
        status: status.to_string(),
        previous_filename: None,
    };
    let with_diff = |mut c: Case, git: Result<Vec<FileChange>, String>| {
        c.facts.use_git_diff(git);
        c
    };
    check_rows(vec![
        row(
            with_diff(approved("the git diff agrees"), Ok(vec![change("added", &r.path())])),
            Approved,
            &["approved"],
            &["dan", "heidi"],
        ),
        row(
            with_diff(
                approved("the commits also change the root CODEOWNERS, GitHub's list does not say so"),
                Ok(vec![change("added", &r.path()), change("added", "CODEOWNERS")]),
            ),
            Invalid,
            &["changed-files-disagree", "changed-files-disagree"],
            &[],
        ),
        row(
            with_diff(
                approved("GitHub's list names a request the commits do not add"),
                Ok(vec![change("added", "docs/notes.md")]),
            ),
            Invalid,
            &["changed-files-disagree"],
            &[],
        ),
        row(
            with_diff(
                Case::new("a disagreement about files gitgrant does not read still fails closed")
                    .adds("docs/a.md", "a\n"),
                Ok(vec![change("added", "docs/b.md")]),
            ),
            Invalid,
            &["changed-files-disagree"],
            &[],
        ),
        row(
            with_diff(
                approved("no git diff (no merge base in a shallow clone)"),
                Err("no merge base".to_string()),
            ),
            Invalid,
            &["changed-files-unavailable"],
            &[],
        ),
    ]);
}
