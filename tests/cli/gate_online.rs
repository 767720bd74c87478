//! `gitgrant pr` inside GitHub Actions, end to end: the event file names the PR, the REST
//! API (a local server answering in GitHub's shapes) supplies it, base policy and head
//! files come from a real git repository; the decision is posted as a check run and one
//! comment, written to the job summary, and recorded as a snapshot that replays the same.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{bin, repo_with_request_branch};

const REQ: &str = "requests/payments-prod/AdministratorAccess/inc-9100.toml";

fn user(login: &str) -> Value {
    json!({"login": login, "id": 7, "type": "User", "site_admin": false})
}

async fn list(server: &MockServer, route: &str, items: Value) {
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(200).set_body_json(items))
        .mount(server)
        .await;
}

/// A run of the gate in Actions against a local GitHub for PR #7, approved by `approvers`.
struct OnlineRun {
    tmp: tempfile::TempDir,
    repo: std::path::PathBuf,
    server: MockServer,
    out: std::process::Output,
    summary: std::path::PathBuf,
    recorded: std::path::PathBuf,
    head: String,
}

async fn online_gate(approvers: &[&str]) -> OnlineRun {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let (base, head) = repo_with_request_branch(
        &repo,
        REQ,
        "requester = \"alice\"\naccount = \"payments-prod\"\npermission_set = \"AdministratorAccess\"\nstart = 2026-11-22T13:00:00Z\nduration = \"1h\"\nreason = \"Rotate the leaked key\"\n",
    );

    let server = MockServer::start().await;
    let pr = json!({"number": 7, "state": "open", "user": user("alice"), "created_at": "2026-11-22T11:00:00Z",
                    "head": {"sha": head, "ref": "req"}, "base": {"sha": base, "ref": "main", "repo": {"default_branch": "main"}},
                    "merged": false, "merge_commit_sha": null, "commits": 1, "changed_files": 1});
    list(&server, "/repos/acme/access/pulls/7", pr).await;
    list(&server, "/repos/acme/access/pulls/7/commits", json!([{"sha": head,
        "commit": {"author": {"name": "alice", "email": "alice@users.noreply.github.com"}, "committer": {"name": "alice", "email": "alice@users.noreply.github.com"}, "message": "request"},
        "author": user("alice"), "committer": user("alice")}])).await;
    let review = |id: u64, login: &str| {
        json!({"id": id, "user": user(login), "body": "Checked; approved.", "state": "APPROVED",
                                               "commit_id": head, "submitted_at": "2026-11-22T11:30:00Z"})
    };
    list(
        &server,
        "/repos/acme/access/pulls/7/reviews",
        Value::Array(
            approvers
                .iter()
                .enumerate()
                .map(|(i, l)| review(i as u64 + 1, l))
                .collect(),
        ),
    )
    .await;
    list(
        &server,
        "/repos/acme/access/pulls/7/files",
        json!([{"filename": REQ, "status": "added", "additions": 6, "deletions": 0, "changes": 6}]),
    )
    .await;
    list(
        &server,
        "/orgs/acme/teams/platform-leads/members",
        json!([user("dan"), user("heidi")]),
    )
    .await;
    list(&server, "/orgs/acme/teams/platform-oncall/members", json!([])).await;
    list(&server, "/repos/acme/access/issues/7/comments", json!([])).await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/access/issues/7/comments"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"id": 55, "body": "", "user": user("gitgrant[bot]")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/access/check-runs"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 99})))
        .expect(1)
        .mount(&server)
        .await;

    let event = tmp.path().join("event.json");
    std::fs::write(&event, json!({"action": "synchronize", "number": 7, "pull_request": {"number": 7, "head": {"sha": head}}, "sender": user("alice"), "repository": {"full_name": "acme/access"}}).to_string()).unwrap();
    let summary = tmp.path().join("summary.md");
    let recorded = tmp.path().join("recorded.json");
    let uri = server.uri();
    let (repo_s, event_s, summary_s, recorded_s) = (repo.clone(), event.clone(), summary.clone(), recorded.clone());
    let out = tokio::task::spawn_blocking(move || {
        bin()
            .args([
                "pr",
                "--repo",
                repo_s.to_str().unwrap(),
                "--report",
                "--record",
                recorded_s.to_str().unwrap(),
                "--format",
                "json",
                "--at",
                "2026-11-22T12:00:00Z",
            ])
            .env("GITHUB_TOKEN", "ghs_test")
            .env("GITHUB_API_URL", &uri)
            .env("GITHUB_EVENT_NAME", "pull_request_target")
            .env("GITHUB_EVENT_PATH", &event_s)
            .env("GITHUB_REPOSITORY", "acme/access")
            .env("GITHUB_STEP_SUMMARY", &summary_s)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    OnlineRun {
        tmp,
        repo,
        server,
        out,
        summary,
        recorded,
        head,
    }
}

#[tokio::test]
async fn pr_reads_github_posts_a_check_and_a_comment_and_records_a_replayable_snapshot() {
    let OnlineRun {
        tmp: _tmp,
        repo,
        server,
        out,
        summary,
        recorded,
        head,
    } = online_gate(&["dan", "heidi"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["decision"], "approved");

    // what was posted
    let received = server.received_requests().await.unwrap();
    let check = received
        .iter()
        .find(|r| r.url.path() == "/repos/acme/access/check-runs")
        .unwrap();
    let check: Value = serde_json::from_slice(&check.body).unwrap();
    assert_eq!(
        (
            check["name"].as_str(),
            check["head_sha"].as_str(),
            check["conclusion"].as_str()
        ),
        (Some("gitgrant"), Some(head.as_str()), Some("success"))
    );
    let comment = received
        .iter()
        .find(|r| r.method.as_str() == "POST" && r.url.path().ends_with("/comments"))
        .unwrap();
    let comment: Value = serde_json::from_slice(&comment.body).unwrap();
    assert!(
        comment["body"]
            .as_str()
            .unwrap()
            .starts_with("<!-- gitgrant:pr-gate -->")
    );
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .contains("gitgrant: approved")
    );

    // the recording replays to the same decision offline, teams included
    let snap: Value = serde_json::from_str(&std::fs::read_to_string(&recorded).unwrap()).unwrap();
    assert_eq!(snap["teams"]["acme/platform-leads"], json!(["dan", "heidi"]));
    // the event's sender, whom GitHub authenticated as pushing the head
    assert_eq!(snap["pushers"], json!(["alice"]));
    let replay = bin()
        .args([
            "pr",
            "--repo",
            repo.to_str().unwrap(),
            "--snapshot",
            recorded.to_str().unwrap(),
            "--format",
            "json",
            "--at",
            "2026-11-22T12:00:00Z",
        ])
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    assert_eq!(replay.status.code(), Some(0));
    let r: Value = serde_json::from_slice(&replay.stdout).unwrap();
    assert_eq!(r["requests"], v["requests"]);
}

#[tokio::test]
async fn a_pending_decision_leaves_the_check_in_progress_and_the_job_green() {
    let run = online_gate(&["dan"]).await;
    let stdout = String::from_utf8_lossy(&run.out.stdout);
    assert_eq!(
        run.out.status.code(),
        Some(0),
        "waiting on people is no failed job: {stdout}{}",
        String::from_utf8_lossy(&run.out.stderr)
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["decision"], "pending");
    let received = run.server.received_requests().await.unwrap();
    let check = received
        .iter()
        .find(|r| r.url.path() == "/repos/acme/access/check-runs")
        .unwrap();
    let check: Value = serde_json::from_slice(&check.body).unwrap();
    assert_eq!(check["status"], "in_progress", "{check:#}");
    assert_eq!(
        check.get("conclusion"),
        None,
        "no red conclusion while pending: {check:#}"
    );
    assert!(std::fs::read_to_string(&run.summary).unwrap().contains("pending"));
    // offline (no --report), the exit code still says "not approved"
    let replay = bin()
        .args([
            "pr",
            "--repo",
            run.repo.to_str().unwrap(),
            "--snapshot",
            run.recorded.to_str().unwrap(),
            "--at",
            "2026-11-22T12:00:00Z",
        ])
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    assert_eq!(replay.status.code(), Some(1));
}
