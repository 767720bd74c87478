//! `gitgrant pr --merge` (issue 12 item 4): the gate merges an approved requests-only PR
//! itself, pinned to the head it decided, records the merge with its approval record and
//! starts the reconciler; a PR it did not approve is never merged, and a merge GitHub refuses
//! (the head moved) fails loudly with nothing recorded as merged. GitHub is a local server
//! answering in the REST API's shapes; the repository is a real git repository.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use gitgrant::adapters::git::Git;
use gitgrant::core::ledger::Kind;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::{bin, git_as, repo_with_request_branch};

const REQ: &str = "requests/payments-prod/AdministratorAccess/inc-9300.toml";

fn user(login: &str) -> Value {
    json!({"login": login, "id": 7, "type": "User", "site_admin": false})
}

fn git(dir: &Path, args: &[&str]) -> String {
    git_as(dir, args, "alice")
}

/// A repository with the base policy on `main`, the request on branch `req`, and the squash
/// commit GitHub would make for it on `refs/gitgrant-test/squashed` (so that the merged PR's
/// `merge_commit_sha` can be read). Returns (repo, base, head, squash).
fn repository(tmp: &Path) -> (PathBuf, String, String, String) {
    let repo = tmp.join("repo");
    let (base, head) = repo_with_request_branch(
        &repo,
        REQ,
        "requester = \"alice\"\naccount = \"payments-prod\"\npermission_set = \"AdministratorAccess\"\nstart = 2026-11-22T13:00:00Z\nduration = \"1h\"\nreason = \"Rotate the leaked key\"\n",
    );
    let tree = git(&repo, &["rev-parse", &format!("{head}^{{tree}}")]);
    let squash = git(
        &repo,
        &["commit-tree", &tree, "-p", &base, "-m", "gitgrant: grant (#7)"],
    );
    git(&repo, &["update-ref", "refs/gitgrant-test/squashed", &squash]);
    (repo, base, head, squash)
}

/// How the server answers the merge.
enum MergeAnswer {
    Merges,
    HeadModified,
}

/// Mounts the PR (open until the merge succeeds, then merged as `squash`), its lists, the
/// teams, the comment, check-run, merge and dispatch endpoints.
async fn github(server: &MockServer, ids: (&str, &str, &str), approvers: &[&str], answer: MergeAnswer) {
    let (base, head, squash) = (ids.0.to_string(), ids.1.to_string(), ids.2.to_string());
    let merged = Arc::new(AtomicBool::new(false));
    let pr = move |is_merged: bool| {
        json!({"number": 7, "state": if is_merged { "closed" } else { "open" }, "user": user("alice"),
               "created_at": "2026-11-22T11:00:00Z", "head": {"sha": head, "ref": "req"},
               "base": {"sha": base, "ref": "main", "repo": {"default_branch": "main"}},
               "merged": is_merged, "merged_at": if is_merged { json!("2026-11-22T11:45:00Z") } else { Value::Null },
               "merge_commit_sha": if is_merged { json!(squash) } else { Value::Null },
               "commits": 1, "changed_files": 1})
    };
    let seen = merged.clone();
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/pulls/7"))
        .respond_with(move |_: &Request| ResponseTemplate::new(200).set_body_json(pr(seen.load(Ordering::SeqCst))))
        .mount(server)
        .await;
    let head = ids.1.to_string();
    let squash = ids.2.to_string();
    Mock::given(method("PUT"))
        .and(path("/repos/acme/access/pulls/7/merge"))
        .respond_with(move |_: &Request| match answer {
            MergeAnswer::Merges => {
                merged.store(true, Ordering::SeqCst);
                ResponseTemplate::new(200)
                    .set_body_json(json!({"sha": squash, "merged": true, "message": "Pull Request successfully merged"}))
            }
            MergeAnswer::HeadModified => ResponseTemplate::new(409).set_body_json(
                json!({"message": "Head branch was modified. Review and try the merge again.", "documentation_url": "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request", "status": "409"}),
            ),
        })
        .mount(server)
        .await;
    let review = |id: u64, login: &str| {
        json!({"id": id, "user": user(login), "body": "Checked; approved.", "state": "APPROVED",
               "commit_id": head, "submitted_at": "2026-11-22T11:30:00Z"})
    };
    let reviews: Vec<Value> = approvers
        .iter()
        .enumerate()
        .map(|(i, l)| review(i as u64 + 1, l))
        .collect();
    let commit = json!([{"sha": head, "author": user("alice"), "committer": user("alice"),
        "commit": {"author": {"name": "alice", "email": "alice@users.noreply.github.com"},
                   "committer": {"name": "alice", "email": "alice@users.noreply.github.com"}, "message": "request"}}]);
    let files = json!([{"filename": REQ, "status": "added", "additions": 6, "deletions": 0, "changes": 6}]);
    for (route, body) in [
        ("/repos/acme/access/pulls/7/commits", commit),
        ("/repos/acme/access/pulls/7/reviews", json!(reviews)),
        ("/repos/acme/access/pulls/7/files", files),
        (
            "/orgs/acme/teams/platform-leads/members",
            json!([user("dan"), user("heidi")]),
        ),
        ("/orgs/acme/teams/platform-oncall/members", json!([])),
        ("/repos/acme/access/issues/7/comments", json!([])),
    ] {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(server)
            .await;
    }
    let posted = [
        (
            "/repos/acme/access/issues/7/comments",
            201,
            json!({"id": 55, "body": "", "user": user("gitgrant[bot]")}),
        ),
        ("/repos/acme/access/check-runs", 201, json!({"id": 99})),
    ];
    for (route, status, body) in posted {
        Mock::given(method("POST"))
            .and(path(route))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path(
            "/repos/acme/access/actions/workflows/gitgrant-reconcile.yml/dispatches",
        ))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;
}

/// `gitgrant pr --report --ledger --merge --start-reconciler gitgrant-reconcile.yml`, as the
/// gate workflow runs it for a review event.
async fn run_gate(tmp: &Path, repo: &Path, server: &MockServer, head: &str) -> std::process::Output {
    let event = tmp.join("event.json");
    std::fs::write(&event, json!({"action": "synchronize", "number": 7, "pull_request": {"number": 7, "head": {"sha": head}}, "sender": user("alice"), "repository": {"full_name": "acme/access"}}).to_string()).unwrap();
    let (uri, repo, event) = (server.uri(), repo.to_path_buf(), event.clone());
    tokio::task::spawn_blocking(move || {
        bin()
            .args([
                "pr",
                "--repo",
                repo.to_str().unwrap(),
                "--report",
                "--ledger",
                "--merge",
            ])
            .args([
                "--start-reconciler",
                "gitgrant-reconcile.yml",
                "--at",
                "2026-11-22T12:00:00Z",
            ])
            .env("GITHUB_TOKEN", "ghs_test")
            .env("GITHUB_API_URL", &uri)
            .env("GITHUB_EVENT_NAME", "pull_request_target")
            .env("GITHUB_EVENT_PATH", &event)
            .env("GITHUB_REPOSITORY", "acme/access")
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

async fn requests_to(server: &MockServer, verb: &str, route: &str) -> Vec<Value> {
    let received = server.received_requests().await.unwrap();
    received
        .iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == route)
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

/// No reconciler was started and the ledger records no merge.
async fn nothing_merged_or_started(server: &MockServer, repo: &Path) {
    let dispatches = "/repos/acme/access/actions/workflows/gitgrant-reconcile.yml/dispatches";
    assert!(requests_to(server, "POST", dispatches).await.is_empty());
    assert!(merged_events(repo).is_empty());
}

fn merged_events(repo: &Path) -> Vec<gitgrant::core::ledger::Event> {
    let ledger = Git::open(repo).unwrap().read_ledger().unwrap();
    ledger
        .events
        .into_iter()
        .filter(|e| e.kind == Some(Kind::Merged))
        .collect()
}

#[tokio::test]
async fn an_approved_request_pr_is_merged_at_its_decided_head_recorded_and_the_reconciler_started() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, base, head, squash) = repository(tmp.path());
    let server = MockServer::start().await;
    github(&server, (&base, &head, &squash), &["dan", "heidi"], MergeAnswer::Merges).await;
    let out = run_gate(tmp.path(), &repo, &server, &head).await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("merged PR #7 at head {}", &head[..12])),
        "{stdout}"
    );
    assert!(stdout.contains("started gitgrant-reconcile.yml on main"), "{stdout}");

    let merges = requests_to(&server, "PUT", "/repos/acme/access/pulls/7/merge").await;
    assert_eq!(merges.len(), 1);
    assert_eq!(merges[0]["sha"], json!(head), "pinned to the decided head");
    assert_eq!(merges[0]["merge_method"], "squash");
    let dispatches = requests_to(
        &server,
        "POST",
        "/repos/acme/access/actions/workflows/gitgrant-reconcile.yml/dispatches",
    )
    .await;
    assert_eq!(dispatches, vec![json!({"ref": "main"})]);
    // the comment is the merged PR's: never "Ready to merge" on a merged PR
    let comments = requests_to(&server, "POST", "/repos/acme/access/issues/7/comments").await;
    let body = comments[0]["body"].as_str().unwrap();
    assert!(body.contains(&format!("Merged as `{}`", &squash[..12])), "{body}");
    assert!(!body.contains("Ready to merge"), "{body}");

    // the merge is in the ledger with its approval record, bound to the squash commit
    let merged = merged_events(&repo);
    assert_eq!(merged.len(), 1, "{merged:?}");
    assert_eq!(merged[0].merge_commit.as_deref(), Some(squash.as_str()));
    assert_eq!(merged[0].records.len(), 1);
    assert_eq!(merged[0].records[0].path, REQ);
    assert_eq!(merged[0].records[0].merge_commit, squash);
}

#[tokio::test]
async fn a_pr_the_gate_did_not_approve_is_never_merged() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, base, head, squash) = repository(tmp.path());
    let server = MockServer::start().await;
    // one approval where the rule needs two: pending
    github(&server, (&base, &head, &squash), &["dan"], MergeAnswer::Merges).await;
    let out = run_gate(tmp.path(), &repo, &server, &head).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    // pending with --report: the check stays in progress, the job is not red, nothing merges
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("not merged by gitgrant: the decision is `pending`"),
        "{stdout}"
    );
    assert!(
        requests_to(&server, "PUT", "/repos/acme/access/pulls/7/merge")
            .await
            .is_empty()
    );
    nothing_merged_or_started(&server, &repo).await;
}

#[tokio::test]
async fn a_merge_github_refuses_because_the_head_moved_fails_loudly_and_records_no_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, base, head, squash) = repository(tmp.path());
    let server = MockServer::start().await;
    github(
        &server,
        (&base, &head, &squash),
        &["dan", "heidi"],
        MergeAnswer::HeadModified,
    )
    .await;
    let out = run_gate(tmp.path(), &repo, &server, &head).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains("approved, but the merge of PR #7 failed"), "{stderr}");
    assert!(stderr.contains("Head branch was modified"), "{stderr}");
    assert_eq!(
        requests_to(&server, "PUT", "/repos/acme/access/pulls/7/merge")
            .await
            .len(),
        1,
        "tried once"
    );
    nothing_merged_or_started(&server, &repo).await;
}
