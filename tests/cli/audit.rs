//! `gitgrant audit` and `gitgrant status` on real git repositories: merge commits, squash
//! and rebase merges, a request pushed straight to main, revocation by deletion, a path
//! removed and added again, a force-pushed history, a corrupt and truncated ledger, a
//! 100,000-event ledger, `--verify` against stored evidence; ledgers written with the
//! project's own `Git::append_ledger`.

use std::cell::Cell;
use std::path::PathBuf;
use std::process::Command;

use gitgrant::adapters::git::Git;
use gitgrant::core::ledger::{Event, Kind};
use serde_json::{Value, json};

use crate::support::{bin, copy_dir, fixtures};

const AT: &str = "2026-11-22T12:00:00Z";
const PROD: &str = "requests/payments-prod/AdministratorAccess";
const STAGING: &str = "requests/payments-staging/AdministratorAccess";

fn t(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

#[derive(Clone, Copy)]
enum Style {
    /// `--no-ff` merge titled `Merge pull request #N from ...`
    MergeCommit,
    /// one commit on main titled `... (#N)`
    Squash,
    /// the PR's commit replayed onto main with its own message (no PR number)
    Rebase,
}

struct Merged {
    merge: String,
    merged_at: String,
    evidence: Value,
}

/// A repository with the fixture policy, a clock that ticks a minute per commit, and the
/// ledger on its local `gitgrant-ledger` branch.
struct Repo {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    minute: Cell<u32>,
}

impl Repo {
    fn new() -> Repo {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        copy_dir(&fixtures().join("base"), &dir);
        std::fs::remove_dir_all(dir.join("requests")).unwrap();
        let r = Repo {
            _tmp: tmp,
            dir,
            minute: Cell::new(0),
        };
        r.git(&["init", "-q", "-b", "main"], "admin");
        r.git(&["add", "-A"], "admin");
        r.git(&["commit", "-q", "-m", "Access repository"], "admin");
        r
    }

    /// The clock: 2026-11-22T08:00Z plus a minute per commit.
    fn now(&self) -> String {
        let m = self.minute.get();
        format!("2026-11-22T{:02}:{:02}:00Z", 8 + m / 60, m % 60)
    }

    fn git(&self, args: &[&str], who: &str) -> String {
        self.minute.set(self.minute.get() + 1);
        let when = self.now();
        let email = format!("{who}@users.noreply.github.com");
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", who)
            .env("GIT_AUTHOR_EMAIL", &email)
            .env("GIT_COMMITTER_NAME", who)
            .env("GIT_COMMITTER_EMAIL", &email)
            .env("GIT_AUTHOR_DATE", &when)
            .env("GIT_COMMITTER_DATE", &when)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"], "admin")
    }

    fn write(&self, path: &str, content: &str) {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    /// A PR by `who` adding `path`, merged in `style`; returns its merge and evidence.
    fn pr(&self, n: u64, who: &str, path: &str, content: &str, style: Style, approvers: &[&str]) -> Merged {
        let base = self.head();
        let branch = format!("pr{n}");
        self.git(&["checkout", "-q", "-b", &branch], who);
        self.write(path, content);
        self.git(&["add", "-A"], who);
        self.git(&["commit", "-q", "-m", &format!("Request access for {who}")], who);
        let head = self.head();
        self.git(&["checkout", "-q", "main"], "admin");
        match style {
            Style::MergeCommit => {
                self.git(
                    &[
                        "merge",
                        "-q",
                        "--no-ff",
                        "-m",
                        &format!("Merge pull request #{n} from {who}/{branch}"),
                        &branch,
                    ],
                    "web-flow",
                );
            }
            Style::Squash => {
                self.git(&["merge", "-q", "--squash", &branch], "web-flow");
                self.git(
                    &["commit", "-q", "-m", &format!("Request access for {who} (#{n})")],
                    "web-flow",
                );
            }
            Style::Rebase => {
                self.git(&["cherry-pick", &branch], "web-flow");
            }
        }
        let merge = self.head();
        let merged_at = self.now();
        let user = |l: &str| json!({"login": l, "id": 1, "type": "User"});
        let reviews: Vec<Value> = approvers
            .iter()
            .enumerate()
            .map(|(i, a)| json!({"id": 100 * n + i as u64, "user": user(a), "body": format!("{a} checked the incident"), "state": "APPROVED", "commit_id": head, "submitted_at": "2026-11-22T07:30:00Z"}))
            .collect();
        let evidence = json!({
            "pull_request": {"number": n, "state": "closed", "merged": true, "merged_at": merged_at, "merge_commit_sha": merge,
                             "user": user(who), "created_at": "2026-11-22T07:00:00Z", "head": {"sha": head}, "base": {"sha": base, "ref": "main", "repo": {"default_branch": "main"}}},
            "commits": [{"sha": head, "commit": {"author": {"email": format!("{who}@users.noreply.github.com")}, "committer": {"email": format!("{who}@users.noreply.github.com")}, "message": "request"},
                         "author": user(who), "committer": user(who)}],
            "reviews": reviews,
            "files": [{"filename": path, "status": "added"}],
            "teams": {"acme/platform-leads": ["dan", "heidi"], "acme/platform-oncall": [], "acme/engineering": ["bob"]}
        });
        Merged {
            merge,
            merged_at,
            evidence,
        }
    }

    fn delete(&self, path: &str, subject: &str) -> String {
        self.git(&["rm", "-q", path], "web-flow");
        self.git(&["commit", "-q", "-m", subject], "web-flow");
        self.head()
    }

    fn ledger(&self, events: &[Event]) {
        Git::open(&self.dir)
            .unwrap()
            .append_ledger(events, "gitgrant: test run")
            .unwrap();
    }

    fn audit(&self, args: &[&str]) -> (i32, String, String) {
        let out = bin()
            .args(["audit", "--repo", self.dir.to_str().unwrap(), "--at", AT])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn audit_json(&self, args: &[&str]) -> (i32, Value) {
        let mut a = vec!["--format", "json"];
        a.extend_from_slice(args);
        let (code, out, err) = self.audit(&a);
        assert!(code == 0 || code == 1, "{code} {out} {err}");
        (
            code,
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}")),
        )
    }
}

fn request(who: &str, account: &str, start: Option<&str>, duration: &str) -> String {
    let start = start.map(|s| format!("start = {s}\n")).unwrap_or_default();
    format!(
        "requester = \"{who}\"\naccount = \"{account}\"\npermission_set = \"AdministratorAccess\"\n{start}duration = \"{duration}\"\nreason = \"Roll back, the \\\"bad\\\" deploy\"\nticket = \"INC-4821\"\n"
    )
}

fn ev(kind: Kind, at: &str) -> Event {
    Event::new(kind, t(at))
}

fn requested(path: &str, pr: u64, who: &str) -> Event {
    let mut e = ev(Kind::Requested, "2026-11-22T07:00:00Z");
    e.request = Some(path.into());
    e.request_id = Some(path.rsplit('/').next().unwrap().trim_end_matches(".toml").into());
    e.pr = Some(pr);
    e.actor = Some(who.into());
    e
}

fn review(kind: Kind, at: &str, path: &str, pr: u64, who: &str, note: &str) -> Event {
    let mut e = ev(kind, at);
    e.request = Some(path.into());
    e.pr = Some(pr);
    e.actor = Some(who.into());
    e.review_id = Some(pr * 100);
    e.reason = Some(note.into());
    e
}

fn merged(path: &str, pr: u64, m: &Merged) -> Event {
    let mut e = ev(Kind::Merged, &m.merged_at);
    e.pr = Some(pr);
    e.paths = vec![path.into()];
    e.merge_commit = Some(m.merge.clone());
    e.evidence = gitgrant::core::ledger::Evidence::of(&m.evidence);
    e
}

fn aws(kind: Kind, at: &str, path: &str, reason: Option<&str>) -> Event {
    let mut e = ev(kind, at);
    e.request = Some(path.into());
    e.account_id = Some("111122223333".into());
    e.permission_set = Some("AdministratorAccess".into());
    e.permission_set_arn = Some("arn:aws:sso:::permissionSet/ssoins-1/ps-1".into());
    e.user_name = Some("alice@acme.example".into());
    e.user_id = Some("u-alice".into());
    e.ends_at = Some(t("2026-11-22T15:00:00Z"));
    e.assignment_request_id = Some("req-1".into());
    e.reason = reason.map(str::to_string);
    e
}

fn rows(v: &Value) -> &Vec<Value> {
    v["rows"].as_array().unwrap()
}

fn row<'v>(v: &'v Value, path: &str) -> &'v Value {
    let found: Vec<&Value> = rows(v).iter().filter(|r| r["path"] == path).collect();
    assert_eq!(found.len(), 1, "{path}: {v:#}");
    found[0]
}

fn problems(r: &Value) -> String {
    r["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn merge_commits_squash_and_rebase_merges_each_find_their_pr() {
    let r = Repo::new();
    let a = format!("{PROD}/merge-style.toml");
    let b = format!("{PROD}/squash-style.toml");
    let c = format!("{PROD}/rebase-style.toml");
    let d = format!("{PROD}/pushed-straight.toml");
    let e = format!("{STAGING}/reverted.toml");
    let body = request("alice", "payments-prod", Some("2026-11-22T13:00:00Z"), "2h");
    r.pr(1, "alice", &a, &body, Style::MergeCommit, &["dan", "heidi"]);
    r.pr(2, "alice", &b, &body, Style::Squash, &["dan", "heidi"]);
    let mc = r.pr(3, "alice", &c, &body, Style::Rebase, &["dan", "heidi"]);
    r.write(&d, &body);
    r.git(&["add", "-A"], "mallory");
    r.git(&["commit", "-q", "-m", "my access"], "mallory");
    r.pr(
        5,
        "bob",
        &e,
        &request("bob", "payments-staging", None, "4h"),
        Style::MergeCommit,
        &["carol"],
    );
    r.delete(&e, "Revert \"Request access for bob\" (#6)");
    // only the rebase merge and the approvals of #1 are in the ledger
    r.ledger(&[
        requested(&a, 1, "alice"),
        review(
            Kind::Approved,
            "2026-11-22T07:30:00Z",
            &a,
            1,
            "dan",
            "Checked INC-4821, go",
        ),
        review(
            Kind::Approved,
            "2026-11-22T07:31:00Z",
            &a,
            1,
            "heidi",
            "ok, rollback only",
        ),
        merged(&c, 3, &mc),
    ]);

    let (code, v) = r.audit_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(rows(&v).len(), 5, "{v:#}");
    let ra = row(&v, &a);
    assert_eq!(
        (ra["pr"].as_u64(), ra["pr_source"].as_str()),
        (Some(1), Some("merge-commit"))
    );
    assert_eq!(ra["status"], "scheduled");
    assert_eq!(ra["approvals"][0]["by"], "dan");
    assert_eq!(ra["approvals"][0]["note"], "Checked INC-4821, go");
    assert_eq!(ra["approvals"][1]["note"], "ok, rollback only");
    assert_eq!(
        (ra["start"].as_str(), ra["end"].as_str()),
        (Some("2026-11-22T13:00:00Z"), Some("2026-11-22T15:00:00Z"))
    );
    assert_eq!(ra["duration"], "2h");
    assert_eq!(ra["reason"], "Roll back, the \"bad\" deploy");
    assert_eq!(ra["ticket"], "INC-4821");
    assert_eq!(ra["account_id"], "111122223333");
    assert_eq!(ra["requester"], "alice");
    let rb = row(&v, &b);
    assert_eq!(
        (rb["pr"].as_u64(), rb["pr_source"].as_str()),
        (Some(2), Some("squash-subject"))
    );
    let rc = row(&v, &c);
    assert_eq!((rc["pr"].as_u64(), rc["pr_source"].as_str()), (Some(3), Some("ledger")));
    assert_eq!(rc["merge_commit"], mc.merge);
    assert_eq!(rc["added_commit"], mc.merge);
    // approvers come from the merge's evidence when the ledger has no review events
    assert_eq!(rc["approvals"].as_array().unwrap().len(), 2);
    let rd = row(&v, &d);
    assert_eq!((rd["status"].as_str(), rd["pr"].as_u64()), (Some("blocked"), None));
    assert!(problems(rd).contains("pushed straight"), "{rd:#}");
    let re = row(&v, &e);
    assert_eq!((re["status"].as_str(), re["pr"].as_u64()), (Some("revoked"), Some(5)));
    assert!(re["revoke_reason"].as_str().unwrap().contains("(#6)"));
    // the window of a request without `start` begins at its merge
    assert_eq!(re["start_in_file"], false);
    assert_eq!(re["start"].as_str(), re["added_at"].as_str());

    // filters
    let (_, v) = r.audit_json(&["--user", "BOB"]);
    assert_eq!(rows(&v).len(), 1);
    let (_, v) = r.audit_json(&["--account", "111122223333", "--status", "scheduled,blocked"]);
    assert_eq!(rows(&v).len(), 4);
    let (_, v) = r.audit_json(&["--account", "payments-staging"]);
    assert_eq!(rows(&v).len(), 1);
    let (_, v) = r.audit_json(&["--since", "2026-11-22T16:00:00Z"]);
    assert_eq!(rows(&v).len(), 0, "{v:#}");
    let (_, v) = r.audit_json(&["--since", "2026-11-22T14:00:00Z", "--until", "2026-11-23"]);
    assert_eq!(
        rows(&v).len(),
        4,
        "windows 13:00-15:00 overlap; bob's revoked one does not"
    );
    let (code, _, err) = r.audit(&["--status", "granted"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown status `granted`"), "{err}");

    // the other formats
    let (code, csv, _) = r.audit(&["--format", "csv"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 6);
    assert!(
        lines[1].contains(",\"Roll back, the \"\"bad\"\" deploy\",INC-4821,1,"),
        "{}",
        lines[1]
    );
    let (_, table, _) = r.audit(&[]);
    assert!(table.starts_with("ID  "), "{table}");
    assert!(table.contains("merge-style") && table.contains("#3"), "{table}");
    let (_, md, _) = r.audit(&["--format", "markdown"]);
    assert!(md.starts_with("| ID | STATUS |"), "{md}");
    assert_eq!(md.lines().filter(|l| l.starts_with("| ")).count(), 6);
}

#[test]
fn a_corrupt_and_a_truncated_ledger_line_are_reported_and_the_rest_is_read() {
    let r = Repo::new();
    let a = format!("{PROD}/one.toml");
    let body = request("alice", "payments-prod", Some("2026-11-22T13:00:00Z"), "2h");
    let m = r.pr(1, "alice", &a, &body, Style::MergeCommit, &["dan", "heidi"]);
    r.ledger(&[requested(&a, 1, "alice"), merged(&a, 1, &m)]);
    // someone with push rights wrote to the ledger by hand
    let g = |args: &[&str]| r.git(args, "mallory");
    g(&["checkout", "-q", "gitgrant-ledger"]);
    let f = r.dir.join("events/2026-11.jsonl");
    let mut text = std::fs::read_to_string(&f).unwrap();
    text.push_str("this is not json\n");
    std::fs::write(&f, &text).unwrap();
    std::fs::write(r.dir.join("events/notes.txt"), "hello\n").unwrap();
    g(&["add", "-A"]);
    g(&["commit", "-q", "-m", "oops"]);
    g(&["checkout", "-q", "main"]);
    r.ledger(&[aws(Kind::Activated, "2026-11-22T11:00:00Z", &a, None)]);
    // and a run that died half-way through writing a line
    g(&["checkout", "-q", "gitgrant-ledger"]);
    let mut text = std::fs::read_to_string(&f).unwrap();
    text.push_str("{\"at\":\"2026-11-22T11:30:00Z\",\"kind\":\"end");
    std::fs::write(&f, &text).unwrap();
    g(&["commit", "-q", "-am", "truncated"]);
    g(&["checkout", "-q", "main"]);

    let (code, v) = r.audit_json(&[]);
    assert_eq!(code, 0);
    let p: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(p.len(), 3, "{p:?}");
    assert!(
        p[0].starts_with("ledger events/2026-11.jsonl:3: unreadable event"),
        "{p:?}"
    );
    assert!(
        p[1].starts_with("ledger events/2026-11.jsonl:5: unreadable event"),
        "{p:?}"
    );
    assert!(p[2].contains("events/notes.txt"), "{p:?}");
    let ra = row(&v, &a);
    assert_eq!(ra["status"], "active");
    assert_eq!(ra["activated_at"], "2026-11-22T11:00:00Z");
    let (code, csv, err) = r.audit(&["--format", "csv"]);
    assert_eq!(code, 0);
    assert_eq!(csv.split("\r\n").filter(|l| !l.is_empty()).count(), 2);
    assert!(err.contains("gitgrant: note: ledger events/2026-11.jsonl:3"), "{err}");
}

#[test]
fn a_request_removed_and_added_again_under_the_same_id_is_two_rows() {
    let r = Repo::new();
    let a = format!("{PROD}/same-id.toml");
    let body = request("alice", "payments-prod", Some("2026-11-22T13:00:00Z"), "2h");
    let m1 = r.pr(1, "alice", &a, &body, Style::MergeCommit, &["dan", "heidi"]);
    r.delete(&a, "Revert \"Request access for alice\" (#2)");
    let mut revoke = ev(Kind::Revoked, &r.now());
    revoke.request = Some(a.clone());
    revoke.actor = Some("alice".into());
    revoke.reason = Some("deleted by PR #2".into());
    let m3 = r.pr(3, "alice", &a, &body, Style::Squash, &["dan", "heidi"]);
    // the ledger saw both merges; the revocation happened between them
    r.ledger(&[merged(&a, 1, &m1), revoke, merged(&a, 3, &m3)]);
    let (_, v) = r.audit_json(&[]);
    let list = rows(&v);
    assert_eq!(list.len(), 2, "{v:#}");
    assert_eq!(
        (list[0]["pr"].as_u64(), list[0]["status"].as_str()),
        (Some(1), Some("revoked"))
    );
    assert_eq!(
        (list[1]["pr"].as_u64(), list[1]["status"].as_str()),
        (Some(3), Some("scheduled"))
    );
    assert!(list[0]["removed_commit"].is_string());
    assert!(problems(&list[1]).contains("used before"), "{:#}", list[1]);
    assert_eq!(list[0]["id"], list[1]["id"]);
}

#[test]
fn a_force_pushed_history_is_reported_and_no_row_is_lost() {
    let r = Repo::new();
    let a = format!("{PROD}/kept.toml");
    let b = format!("{PROD}/dropped.toml");
    let body = request("alice", "payments-prod", Some("2026-11-22T13:00:00Z"), "2h");
    let start = r.head();
    let ma = r.pr(1, "alice", &a, &body, Style::MergeCommit, &["dan", "heidi"]);
    let mb = r.pr(2, "alice", &b, &body, Style::MergeCommit, &["dan", "heidi"]);
    r.ledger(&[
        merged(&a, 1, &ma),
        merged(&b, 2, &mb),
        aws(Kind::Activated, "2026-11-22T11:50:00Z", &b, None),
    ]);
    // an audit before the rewrite keeps its walk of the history in .git/gitgrant
    let (_, before) = r.audit_json(&[]);
    assert_eq!(row(&before, &b)["added_commit"], mb.merge);
    // main is rewritten: #1's change is replayed as a new commit, #2's is gone
    r.git(&["reset", "-q", "--hard", &start], "admin");
    r.git(&["cherry-pick", "-m", "1", &ma.merge], "admin");
    let (code, v) = r.audit_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(rows(&v).len(), 2, "{v:#}");
    let ra = row(&v, &a);
    assert_eq!(ra["pr"], 1);
    assert!(
        problems(ra).contains("not on the default branch (history rewritten"),
        "{ra:#}"
    );
    let rb = row(&v, &b);
    assert_eq!((rb["pr"].as_u64(), rb["status"].as_str()), (Some(2), Some("active")));
    assert!(problems(rb).contains("not in the default branch's history"), "{rb:#}");
    assert!(rb["added_commit"].is_null());
}

#[test]
fn verify_re_decides_every_merge_from_its_evidence() {
    let r = Repo::new();
    let good = format!("{PROD}/two-approvals.toml");
    let short = format!("{PROD}/one-approval.toml");
    let edited = format!("{PROD}/edited-after.toml");
    let bare = format!("{PROD}/no-evidence.toml");
    let body = request("alice", "payments-prod", Some("2026-11-22T13:00:00Z"), "2h");
    let m1 = r.pr(1, "alice", &good, &body, Style::MergeCommit, &["dan", "heidi"]);
    // merged by an admin bypassing the gate with a single approval
    let m2 = r.pr(2, "alice", &short, &body, Style::MergeCommit, &["dan"]);
    let m3 = r.pr(3, "alice", &edited, &body, Style::Squash, &["dan", "heidi"]);
    // the squash merged something else than what was approved at the head
    r.write(&edited, &body.replace("2h", "4h"));
    r.git(
        &["commit", "-q", "--amend", "-am", "Request access for alice (#3)"],
        "web-flow",
    );
    let m3 = Merged {
        merge: r.head(),
        merged_at: m3.merged_at.clone(),
        evidence: {
            let mut e = m3.evidence.clone();
            e["pull_request"]["merge_commit_sha"] = json!(r.head());
            e
        },
    };
    let m4 = r.pr(4, "alice", &bare, &body, Style::MergeCommit, &["dan", "heidi"]);
    let mut no_evidence = merged(&bare, 4, &m4);
    no_evidence.evidence = None;
    r.ledger(&[
        merged(&good, 1, &m1),
        merged(&short, 2, &m2),
        merged(&edited, 3, &m3),
        no_evidence,
        aws(Kind::Activated, "2026-11-22T11:59:00Z", &bare, None),
    ]);
    let (code, v) = r.audit_json(&["--verify"]);
    assert_eq!(code, 1, "{v:#}");
    let verdict = |p: &str| row(&v, p)["verify"]["verdict"].as_str().unwrap().to_string();
    assert_eq!(verdict(&good), "ok", "{:#}", row(&v, &good));
    assert_eq!(row(&v, &good)["verify"]["reasons"][0], "approved by dan, heidi");
    assert_eq!(verdict(&short), "mismatch");
    assert_eq!(row(&v, &short)["verify"]["decision"], "pending");
    assert_eq!(verdict(&edited), "mismatch");
    let why = row(&v, &edited)["verify"]["reasons"].to_string();
    assert!(why.contains("differs from the one approved in PR #3"), "{why}");
    assert_eq!(verdict(&bare), "unverifiable");
    // only the findings fail the run: the good one alone passes
    let (code, v) = r.audit_json(&["--verify", "--user", "alice", "--status", "scheduled"]);
    assert_eq!(code, 1, "the mismatches are scheduled too: {v:#}");
    let (code, _, err) = r.audit(&["--verify", "--since", "2026-11-22T17:00:00Z"]);
    assert_eq!(code, 0, "{err}");
    let (code, table, err) = r.audit(&["--verify"]);
    assert_eq!(code, 1);
    assert!(table.contains("VERIFY") && table.contains("MISMATCH"), "{table}");
    assert!(err.contains("3 verification finding(s)"), "{err}");
}

#[test]
fn status_shows_open_scheduled_active_and_recently_ended_requests() {
    let r = Repo::new();
    let open = format!("{PROD}/open.toml");
    let sched = format!("{PROD}/later.toml");
    let act = format!("{PROD}/now.toml");
    let done = format!("{PROD}/earlier.toml");
    let m1 = r.pr(
        1,
        "alice",
        &sched,
        &request("alice", "payments-prod", Some("2026-11-22T13:00:00Z"), "2h"),
        Style::MergeCommit,
        &["dan", "heidi"],
    );
    let m2 = r.pr(
        2,
        "alice",
        &act,
        &request("alice", "payments-prod", Some("2026-11-22T11:00:00Z"), "2h"),
        Style::MergeCommit,
        &["dan", "heidi"],
    );
    let m3 = r.pr(
        3,
        "alice",
        &done,
        &request("alice", "payments-prod", Some("2026-11-22T08:30:00Z"), "1h"),
        Style::MergeCommit,
        &["dan", "heidi"],
    );
    // pushed straight to main, its window open: blocked, in status as in audit
    let direct = format!("{PROD}/direct.toml");
    r.write(
        &direct,
        &request("alice", "payments-prod", Some("2026-11-22T10:00:00Z"), "4h"),
    );
    r.git(&["add", "-A"], "mallory");
    r.git(&["commit", "-q", "-m", "my access"], "mallory");
    r.ledger(&[
        requested(&open, 4, "alice"),
        review(Kind::Approved, "2026-11-22T07:40:00Z", &open, 4, "dan", "fine by me"),
        merged(&sched, 1, &m1),
        merged(&act, 2, &m2),
        merged(&done, 3, &m3),
        aws(Kind::Activated, "2026-11-22T11:00:00Z", &act, None),
        aws(Kind::Activated, "2026-11-22T08:30:00Z", &done, None),
        aws(Kind::Ended, "2026-11-22T09:30:00Z", &done, Some("expired")),
    ]);
    let out = bin()
        .args([
            "status",
            "--repo",
            r.dir.to_str().unwrap(),
            "--at",
            AT,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids("open"), vec!["open"]);
    assert_eq!(ids("scheduled"), vec!["later"]);
    assert_eq!(ids("blocked"), vec!["direct"]);
    let (_, audited) = r.audit_json(&[]);
    assert_eq!(row(&audited, &direct)["status"], "blocked");
    assert_eq!(ids("active"), vec!["now"]);
    assert_eq!(ids("recently_ended"), vec!["earlier"]);
    let o = &v["open"][0];
    assert_eq!(
        (o["status"].as_str(), o["approvals_required"].as_u64()),
        (Some("pending"), Some(2))
    );
    assert_eq!(o["can_approve"], json!(["@acme/platform-leads"]));
    assert_eq!(v["active"][0]["time_left"], "3h", "the recorded assignment end, 15:00");
    let out = bin()
        .args(["status", "--repo", r.dir.to_str().unwrap(), "--at", AT])
        .output()
        .unwrap();
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(human.contains("Open requests (1)\n  open  alice  payments-prod/AdministratorAccess  #4  pending; 1 of 2 approval(s); approved by dan; can approve: @acme/platform-leads"), "{human}");
    assert!(
        human.contains(
            "Blocked: on the branch, never granted (1)\n  direct  alice  payments-prod/AdministratorAccess  blocked: "
        ),
        "{human}"
    );
    assert!(
        !human.contains("direct  alice  payments-prod/AdministratorAccess  window opened"),
        "{human}"
    );
    assert!(human.contains("Ended in the last 24 hours (1)\n  earlier  alice  payments-prod/AdministratorAccess  #3  expired at 2026-11-22T09:30:00Z"), "{human}");
}

#[test]
fn a_100000_event_ledger_is_read_in_full() {
    let r = Repo::new();
    let a = format!("{PROD}/on-main.toml");
    let body = request("alice", "payments-prod", Some("2026-11-22T13:00:00Z"), "2h");
    let m = r.pr(1, "alice", &a, &body, Style::MergeCommit, &["dan", "heidi"]);
    let mut events = vec![merged(&a, 1, &m)];
    // 25,000 pull requests that were never merged, four events each (the last one's
    // closing is cut off at 100,000 events)
    for n in 2..=25_001u64 {
        let p = format!("{STAGING}/r-{n}.toml");
        events.push(requested(&p, n, "bob"));
        events.push(review(
            Kind::ChangesRequested,
            "2026-11-22T07:10:00Z",
            &p,
            n,
            "carol",
            "no",
        ));
        events.push(review(Kind::Approved, "2026-11-22T07:20:00Z", &p, n, "carol", "ok now"));
        let mut c = ev(Kind::ClosedUnmerged, "2026-11-22T07:30:00Z");
        c.pr = Some(n);
        c.paths = vec![p];
        c.reason = Some(if n % 2 == 0 { "cancelled" } else { "rejected" }.into());
        events.push(c);
    }
    events.truncate(100_000);
    assert_eq!(events.len(), 100_000);
    r.ledger(&events);
    let started = std::time::Instant::now();
    let (code, v) = r.audit_json(&[]);
    assert_eq!(code, 0);
    let list = rows(&v);
    assert_eq!(list.len(), 25_001);
    assert!(v["problems"].as_array().unwrap().is_empty(), "{}", v["problems"]);
    let count = |s: &str| list.iter().filter(|x| x["status"] == s).count();
    assert_eq!(
        (
            count("cancelled"),
            count("rejected"),
            count("approved"),
            count("scheduled")
        ),
        (12_500, 12_499, 1, 1)
    );
    eprintln!("audit of a 100,000-event ledger (debug build): {:?}", started.elapsed());
    let (_, v) = r.audit_json(&["--status", "scheduled"]);
    assert_eq!(rows(&v).len(), 1);
}

#[test]
fn operational_failures_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["audit", "--repo", tmp.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let r = Repo::new();
    let (code, _, err) = r.audit(&["--ref", "trunk"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot resolve `trunk`"), "{err}");
    // a repository without a ledger still audits, and says so
    let (code, v) = r.audit_json(&[]);
    assert_eq!(code, 0);
    assert!(
        v["problems"][0]
            .as_str()
            .unwrap()
            .contains("no `gitgrant-ledger` branch")
    );
}

#[test]
fn the_kept_history_walk_is_extended_and_survives_damage() {
    let r = Repo::new();
    let body = request("alice", "payments-prod", Some("2026-11-22T13:00:00Z"), "2h");
    let a = format!("{PROD}/first.toml");
    let b = format!("{PROD}/second.toml");
    r.pr(1, "alice", &a, &body, Style::MergeCommit, &["dan", "heidi"]);
    let (_, v) = r.audit_json(&[]);
    assert_eq!(rows(&v).len(), 1);
    let cache = r.dir.join(".git/gitgrant/audit-history");
    assert!(cache.exists());
    r.pr(2, "alice", &b, &body, Style::Squash, &["dan", "heidi"]);
    r.delete(&a, "Revert (#3)");
    let (_, v) = r.audit_json(&[]);
    let got: Vec<(&str, &str)> = rows(&v)
        .iter()
        .map(|x| (x["path"].as_str().unwrap(), x["status"].as_str().unwrap()))
        .collect();
    assert_eq!(got, vec![(a.as_str(), "revoked"), (b.as_str(), "scheduled")]);
    // a damaged cache is walked again, not trusted
    let tip = r.head();
    std::fs::write(&cache, format!("gitgrant audit history v1 {tip}\n\x1egarbage")).unwrap();
    let (_, v2) = r.audit_json(&[]);
    assert_eq!(v2, v);
    std::fs::write(&cache, "something else entirely").unwrap();
    let (_, v3) = r.audit_json(&[]);
    assert_eq!(v3, v);
}

/// Issue 10 item 5: with an index in the ledger the audit reads its history from it
/// (extended by the commits after the marker) and walks nothing; its output is the walk's,
/// byte for byte; without an index it walks, and says so naming `gitgrant ledger index`.
#[test]
fn the_ledger_index_is_the_history_and_its_output_is_the_walks() {
    let r = Repo::new();
    let body = request("alice", "payments-prod", Some("2026-11-22T13:00:00Z"), "2h");
    let a = format!("{PROD}/first.toml");
    let b = format!("{PROD}/second.toml");
    let c = format!("{STAGING}/third.toml");
    let m1 = r.pr(1, "alice", &a, &body, Style::MergeCommit, &["dan", "heidi"]);
    let m2 = r.pr(2, "alice", &b, &body, Style::Squash, &["dan", "heidi"]);
    r.delete(&a, "Revert (#3)");
    r.ledger(&[merged(&a, 1, &m1), merged(&b, 2, &m2)]);
    let out = bin()
        .args(["ledger", "index", "--repo", r.dir.to_str().unwrap(), "--ref", "main"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // after the marker: read from git, the index is not written by audit
    let m3 = r.pr(
        4,
        "bob",
        &c,
        &request("bob", "payments-staging", None, "4h"),
        Style::MergeCommit,
        &["carol"],
    );
    r.ledger(&[merged(&c, 4, &m3)]);
    // the same repository with a ledger of no index: the walk
    let walked = tempfile::tempdir().unwrap();
    let copy = walked.path().join("repo");
    copy_dir(&r.dir, &copy);
    let ledger_log = r.git(&["log", "--format=%H %s", "gitgrant-ledger"], "admin");
    let before_index = ledger_log
        .lines()
        .filter(|l| l.contains("test run"))
        .last()
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .to_string();
    let index_commit = ledger_log.lines().find(|l| l.contains("ledger index")).unwrap();
    assert!(index_commit.len() > 40, "{ledger_log}");
    // rebuild the copy's ledger without the index commit: the test runs' events only
    let run = |dir: &PathBuf, args: &[&str]| {
        let out = bin()
            .args(["audit", "--repo", dir.to_str().unwrap(), "--at", AT])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let gitc = |args: &[&str]| {
        let o = Command::new("git")
            .arg("-C")
            .arg(&copy)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    gitc(&["branch", "-f", "gitgrant-ledger", &before_index]);
    Git::open(&copy)
        .unwrap()
        .append_ledger(&[merged(&c, 4, &m3)], "gitgrant: test run")
        .unwrap();
    for args in [
        &["--format", "json"][..],
        &["--format", "csv"],
        &["--format", "table"],
        &["--format", "markdown"],
        &["--format", "json", "--verify"],
    ] {
        let (ci, oi, ei) = run(&r.dir, args);
        let (cw, ow, ew) = run(&copy, args);
        assert_eq!((ci, &oi), (cw, &ow), "{args:?}: {ei}\n{ew}");
        assert!(!ei.contains("walked"), "{args:?}: the index was used: {ei}");
        assert!(
            ew.contains("was walked") && ew.contains("gitgrant ledger index"),
            "{args:?}: the walk says so: {ew}"
        );
        assert!(oi.contains("third"), "{oi}");
    }
    assert!(
        !r.dir.join(".git/gitgrant/audit-history").exists(),
        "with an index nothing is walked"
    );
}

/// playwright-core (installed by scripts/test.sh under .tools/browser) and Debian's Chromium.
fn browser() -> (PathBuf, PathBuf) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let playwright = std::env::var_os("GITGRANT_PLAYWRIGHT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".tools/browser/node_modules/playwright-core"));
    let chromium = std::env::var_os("GITGRANT_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        playwright.join("package.json").is_file() && chromium.is_file(),
        "the audit page test needs playwright-core at `{}` and Chromium at `{}`: run scripts/test.sh \
         (or `apt-get install chromium` and `npm install --prefix .tools/browser playwright-core@1.64.1`)",
        playwright.display(),
        chromium.display()
    );
    (playwright, chromium)
}

#[test]
fn the_audit_page_filters_draws_grants_and_runs_no_injected_markup_in_chromium() {
    let r = Repo::new();
    let active = format!("{PROD}/on-call-now.toml");
    let done = format!("{PROD}/earlier.toml");
    let evil = format!("{STAGING}/staging-fix.toml");
    let open = format!("{PROD}/still-open.toml");
    let m1 = r.pr(
        1,
        "alice",
        &active,
        &request("alice", "payments-prod", Some("2026-11-22T11:00:00Z"), "2h"),
        Style::MergeCommit,
        &["dan", "heidi"],
    );
    let m2 = r.pr(
        2,
        "alice",
        &done,
        &request("alice", "payments-prod", Some("2026-11-22T08:30:00Z"), "1h"),
        Style::MergeCommit,
        &["dan", "heidi"],
    );
    let injected = "requester = \"bob\"\naccount = \"payments-staging\"\npermission_set = \"AdministratorAccess\"\n\
        start = 2026-11-22T09:00:00Z\nduration = \"4h\"\nreason = '<img src=x onerror=\"window.__pwned=true\"></td><script>window.__pwned=true</script>'\n";
    let m3 = r.pr(3, "bob", &evil, injected, Style::MergeCommit, &["carol"]);
    r.ledger(&[
        review(
            Kind::Approved,
            "2026-11-22T07:30:00Z",
            &active,
            1,
            "dan",
            "Checked INC-4821, go",
        ),
        review(
            Kind::Approved,
            "2026-11-22T07:31:00Z",
            &active,
            1,
            "heidi",
            "second look: rollback only",
        ),
        merged(&active, 1, &m1),
        merged(&done, 2, &m2),
        merged(&evil, 3, &m3),
        requested(&open, 4, "alice"),
        aws(Kind::Activated, "2026-11-22T11:00:00Z", &active, None),
        aws(Kind::Activated, "2026-11-22T08:30:00Z", &done, None),
        aws(Kind::Ended, "2026-11-22T09:30:00Z", &done, Some("expired")),
        aws(Kind::Activated, "2026-11-22T09:00:00Z", &evil, None),
        aws(Kind::Ended, "2026-11-22T10:00:00Z", &evil, Some("expired")),
    ]);
    let (code, page, err) = r.audit(&["--format", "html"]);
    assert_eq!(code, 0, "{err}");
    assert!(page.starts_with("<!DOCTYPE html>") && !page.contains("<img"), "{page}");
    let file = r.dir.parent().unwrap().join("audit.html");
    std::fs::write(&file, &page).unwrap();
    let shot = r.dir.parent().unwrap().join("audit.png");
    let (playwright, chromium) = browser();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/audit-page.mjs");
    let out = Command::new("node")
        .arg(&script)
        .arg(&playwright)
        .arg(&chromium)
        .arg(&file)
        .arg(&shot)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let seen: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    // every row and every grant that held access, before any filter
    assert_eq!(ids(&seen["initial"]["rows"]).len(), 4, "{seen:#}");
    assert_eq!(
        ids(&seen["initial"]["bars"]),
        vec!["on-call-now", "earlier", "staging-fix"],
        "{seen:#}"
    );
    assert_eq!(seen["initial"]["shown"], "4 of 4 request(s)");
    assert_eq!(
        ids(&seen["lanes"]),
        vec![
            "alice \u{b7} payments-prod (111122223333)",
            "bob \u{b7} payments-staging (444455556666)"
        ]
    );
    assert_eq!(ids(&seen["statusOptions"]), vec!["", "pending", "active", "expired"]);
    // the filters hide rows and bars alike
    assert_eq!(ids(&seen["active"]["rows"]), vec!["on-call-now"]);
    assert_eq!(ids(&seen["active"]["bars"]), vec!["on-call-now"]);
    assert_eq!(seen["active"]["shown"], "1 of 4 request(s)");
    assert_eq!(ids(&seen["bob"]["rows"]), vec!["staging-fix"]);
    assert_eq!(ids(&seen["bob"]["bars"]), vec!["staging-fix"]);
    assert_eq!(
        ids(&seen["text"]["rows"]),
        vec!["on-call-now"],
        "an approver's note is searchable"
    );
    // hover: who approved, with their notes, the window and the reason
    assert_eq!(seen["tipHiddenAtStart"], true);
    assert_eq!(seen["barTip"]["visible"], true);
    let tip = seen["barTip"]["text"].as_str().unwrap();
    assert_eq!(seen["hoveredBar"], "on-call-now");
    for part in [
        "on-call-now \u{b7} AdministratorAccess on payments-prod (111122223333)",
        "2026-11-22T11:00:00Z \u{2192} still active",
        "dan at 2026-11-22T07:30:00Z: \u{201c}Checked INC-4821, go\u{201d}",
        "heidi",
        "reason: Roll back",
        "PR #1",
    ] {
        assert!(tip.contains(part), "{part} in {tip}");
    }
    assert!(
        seen["cellTip"]
            .as_str()
            .unwrap()
            .contains("approved by: dan at 2026-11-22T07:30:00Z"),
        "{seen:#}"
    );
    // the reason's markup is text: nothing ran, no element was made of it, nothing loaded
    assert_eq!(seen["pwned"], false);
    assert_eq!(seen["injected"], 1, "only the page's own script");
    assert!(
        seen["reasonCells"][0]
            .as_str()
            .unwrap()
            .contains("<script>window.__pwned=true</script>"),
        "{seen:#}"
    );
    assert_eq!(seen["requests"], json!([]), "a self-contained page loads nothing");
    assert_eq!(
        seen["errors"],
        json!([]),
        "no script or style blocked by the page's own policy"
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot of {} bytes",
        png.len()
    );
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert_eq!(width, 1400);
}

#[tokio::test]
async fn activity_reads_the_grants_session_from_cloudtrail_through_the_assumed_role() {
    use aws_sdk_cloudtrail::types::LookupAttributeKey;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    let r = Repo::new();
    let path = format!("{PROD}/on-call.toml");
    let m = r.pr(
        1,
        "alice",
        &path,
        &request("alice", "payments-prod", Some("2026-11-22T11:00:00Z"), "2h"),
        Style::MergeCommit,
        &["dan", "heidi"],
    );
    r.ledger(&[
        merged(&path, 1, &m),
        aws(Kind::Activated, "2026-11-22T11:00:00Z", &path, None),
        aws(Kind::Ended, "2026-11-22T11:40:00Z", &path, Some("revoked")),
        // a later PR reusing the id elsewhere (pending) hides nothing
        requested(&format!("{STAGING}/on-call.toml"), 2, "mallory"),
    ]);
    let args = gitgrant::app::activity::ActivityArgs {
        repo: &r.dir,
        reference: "main",
        id: "on-call",
        role_name: "gitgrant-activity-reader",
        margin: chrono::TimeDelta::minutes(15),
        at: t(AT),
    };
    let grant = gitgrant::app::activity::grant_of(&args).unwrap();
    assert_eq!(
        (
            grant.user.as_str(),
            grant.account_id.as_str(),
            grant.permission_set.as_str()
        ),
        ("alice@acme.example", "111122223333", "AdministratorAccess")
    );
    assert_eq!(
        (grant.from, grant.until),
        (t("2026-11-22T10:45:00Z"), t("2026-11-22T11:55:00Z"))
    );
    assert_eq!(
        grant.role_arn,
        "arn:aws:iam::111122223333:role/gitgrant-activity-reader"
    );

    let assume = mock!(aws_sdk_sts::Client::assume_role)
        .match_requests(|q| q.role_arn() == Some("arn:aws:iam::111122223333:role/gitgrant-activity-reader"))
        .then_output(|| {
            let c = aws_sdk_sts::types::Credentials::builder()
                .access_key_id("ASIAEXAMPLE")
                .secret_access_key("secret")
                .session_token("token")
                .expiration(aws_smithy_types::DateTime::from_secs(1_900_000_000))
                .build()
                .unwrap();
            aws_sdk_sts::operation::assume_role::AssumeRoleOutput::builder()
                .credentials(c)
                .build()
        });
    let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&assume]);
    let role = |ps: &str| {
        format!("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_{ps}_0123456789abcdef/alice@acme.example")
    };
    let event = |id: &str, secs: i64, name: &str, arn: String, error: Option<&str>| {
        let detail = json!({"userIdentity": {"arn": arn}, "awsRegion": "eu-west-1", "sourceIPAddress": "192.0.2.10", "eventName": name, "errorCode": error});
        aws_sdk_cloudtrail::types::Event::builder()
            .event_id(id)
            .event_name(name)
            .event_source("ec2.amazonaws.com")
            .event_time(aws_smithy_types::DateTime::from_secs(secs))
            .read_only("false")
            .cloud_trail_event(detail.to_string())
            .resources(
                aws_sdk_cloudtrail::types::Resource::builder()
                    .resource_type("AWS::EC2::Instance")
                    .resource_name("i-0abc")
                    .build(),
            )
            .build()
    };
    let (t1, t2) = (
        t("2026-11-22T11:05:00Z").timestamp(),
        t("2026-11-22T11:06:00Z").timestamp(),
    );
    let page1 = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(|q| q.next_token().is_none())
        .then_output(move || {
            aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput::builder()
                .events(event(
                    "e2",
                    t2,
                    "TerminateInstances",
                    role("AdministratorAccess"),
                    Some("AccessDenied"),
                ))
                .events(event("x1", t1, "DescribeInstances", role("ReadOnlyAccess"), None))
                .next_token("page-2")
                .build()
        });
    let page2 = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(|q| {
            let attr = &q.lookup_attributes()[0];
            q.next_token() == Some("page-2")
                && attr.attribute_key() == &LookupAttributeKey::Username
                && attr.attribute_value() == "alice@acme.example"
                && q.start_time().map(|t| t.secs()) == Some(t("2026-11-22T10:45:00Z").timestamp())
                && q.end_time().map(|t| t.secs()) == Some(t("2026-11-22T11:55:00Z").timestamp())
        })
        .then_output(move || {
            aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput::builder()
                .events(event("e1", t1, "StopInstances", role("AdministratorAccess"), None))
                .build()
        });
    let ct = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&page1, &page2]);
    let found = gitgrant::app::activity::look_up(grant, &sts, move |_| ct)
        .await
        .unwrap();
    let names: Vec<&str> = found.events.iter().map(|e| e.event_name.as_str()).collect();
    assert_eq!(
        names,
        ["StopInstances", "TerminateInstances"],
        "oldest first, only the grant's permission set"
    );
    assert_eq!(found.events[1].error_code.as_deref(), Some("AccessDenied"));
    assert_eq!(found.events[0].resources, ["AWS::EC2::Instance i-0abc"]);
    assert_eq!(page2.num_calls(), 1);
}

#[test]
fn activity_of_an_unknown_or_never_granted_request_says_so_and_exits_2() {
    let r = Repo::new();
    let path = format!("{PROD}/later.toml");
    let m = r.pr(
        1,
        "alice",
        &path,
        &request("alice", "payments-prod", Some("2026-11-22T13:00:00Z"), "2h"),
        Style::MergeCommit,
        &["dan", "heidi"],
    );
    r.ledger(&[merged(&path, 1, &m)]);
    let run = |id: &str| {
        let out = bin()
            .args(["activity", id, "--repo", r.dir.to_str().unwrap(), "--at", AT])
            .env_remove("AWS_REGION")
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, err) = run("nope");
    assert_eq!(code, Some(2));
    assert!(err.contains("no request with id `nope`"), "{err}");
    let (code, err) = run("later");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("request `later` has no activation (it was never granted)"),
        "{err}"
    );
}
