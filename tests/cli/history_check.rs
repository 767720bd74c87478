//! `check` treats a request whose window has ended as history (issue 12 item 3): its syntax,
//! canonical path and id still count, today's eligibility and the existence of its account
//! do not; live and scheduled requests keep every check; a request file without `start`
//! ends where the ledger's approval record says.

use std::path::Path;

use crate::support::{bin, git, repo_with_case, write_file as request};

const AT: &str = "2026-11-22T12:00:00Z";

fn body(requester: &str, account: &str, ps: &str, start: Option<&str>) -> String {
    let start = start.map(|s| format!("start = {s}\n")).unwrap_or_default();
    format!(
        "requester = \"{requester}\"\naccount = \"{account}\"\npermission_set = \"{ps}\"\n{start}duration = \"2h\"\nreason = \"Roll back the failed deploy\"\nticket = \"INC-1\"\n"
    )
}

/// Exit code, and the request files the findings name with their codes.
fn check(dir: &Path) -> (i32, String) {
    let out = bin()
        .args([
            "check",
            "--repo",
            dir.to_str().unwrap(),
            "--at",
            AT,
            "--format",
            "github",
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

const OLD_OFFBOARDED: &str = "requests/payments-prod/DatabaseAdmin/old-mallory.toml";
const OLD_CLOSED: &str = "requests/closed-account/ReadOnlyAccess/old-closed.toml";
const OLD_MOVED: &str = "requests/payments-prod/ReadOnlyAccess/old-moved.toml";
const LIVE: &str = "requests/payments-prod/DatabaseAdmin/new-mallory.toml";
const NO_START: &str = "requests/payments-prod/DatabaseAdmin/nostart-mallory.toml";

fn repository() -> tempfile::TempDir {
    let dir = repo_with_case(None);
    let d = dir.path();
    let old = Some("2026-01-05T10:00:00Z");
    request(
        d,
        OLD_OFFBOARDED,
        &body("mallory", "payments-prod", "DatabaseAdmin", old),
    );
    request(d, OLD_CLOSED, &body("alice", "closed-account", "ReadOnlyAccess", old));
    request(
        d,
        OLD_MOVED,
        &body("alice", "payments-prod", "AdministratorAccess", old),
    );
    request(
        d,
        LIVE,
        &body(
            "mallory",
            "payments-prod",
            "DatabaseAdmin",
            Some("2026-11-23T10:00:00Z"),
        ),
    );
    request(d, NO_START, &body("mallory", "payments-prod", "DatabaseAdmin", None));
    dir
}

#[test]
fn ended_requests_are_history_live_ones_keep_every_check() {
    let dir = repository();
    let (code, out) = check(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        !out.contains(OLD_OFFBOARDED),
        "an ended request is not re-judged by today's rules:\n{out}"
    );
    assert!(
        !out.contains(OLD_CLOSED),
        "a closed account does not fail an ended request:\n{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains(OLD_MOVED) && l.contains("path-mismatch")),
        "an ended request's path must still be canonical:\n{out}"
    );
    assert!(
        out.lines().any(|l| l.contains(LIVE) && l.contains("not-eligible")),
        "a scheduled request keeps every check:\n{out}"
    );
    assert!(
        out.lines().any(|l| l.contains(NO_START) && l.contains("not-eligible")),
        "without an approval record a request with no start is live:\n{out}"
    );
}

/// A `gitgrant-ledger` branch holding one `merged` event whose approval record for `path`
/// ends at `end`.
fn ledger_with_record(dir: &Path, path: &str, end: &str) {
    let record = serde_json::json!({
        "path": path, "blob": "0".repeat(40), "account_id": "111122223333",
        "permission_set": "DatabaseAdmin", "user_name": "mallory@acme.example",
        "requester": "mallory", "start": "2026-02-01T10:00:00Z", "end": end, "approvers": [],
        "pr": 7, "base_ref": "main", "base_sha": "1".repeat(40), "head_sha": "2".repeat(40),
        "merge_commit": "3".repeat(40), "merged_at": "2026-02-01T10:00:00Z",
        "policy_commits": ["1".repeat(40)],
    });
    let event = serde_json::json!({"at": "2026-02-01T10:00:00Z", "kind": "merged", "pr": 7,
        "paths": [path], "records": [record]});
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["checkout", "-q", "--orphan", "gitgrant-ledger"]);
    request(dir, "events/2026-02.jsonl", &format!("{event}\n"));
    git(dir, &["add", "events"]);
    git(dir, &["commit", "-q", "-m", "ledger"]);
    std::fs::remove_dir_all(dir.join("events")).unwrap();
}

#[test]
fn a_request_without_start_ends_where_its_approval_record_says() {
    let dir = repository();
    ledger_with_record(dir.path(), NO_START, "2026-02-01T12:00:00Z");
    let (_, out) = check(dir.path());
    assert!(!out.contains(NO_START), "the record says this request ended:\n{out}");
    assert!(
        out.lines().any(|l| l.contains(LIVE) && l.contains("not-eligible")),
        "{out}"
    );

    let live = repository();
    ledger_with_record(live.path(), NO_START, "2026-11-22T13:00:00Z");
    let (_, out) = check(live.path());
    assert!(
        out.lines().any(|l| l.contains(NO_START) && l.contains("not-eligible")),
        "a record that has not ended keeps every check:\n{out}"
    );
}
