//! The GitHub adapter against a local HTTP server (wiremock) answering in the shapes GitHub
//! documents: pagination by `Link`, retries, rate limits, deadlines, torn reads, team
//! permissions, the kept-up-to-date PR comment, check runs and commit statuses.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gitgrant::adapters::backoff::Jitter;
use gitgrant::adapters::github::{
    CheckRun, CommitStatus, Conclusion, Error, GitHub, Repo, RetryPolicy, StatusState, Upserted, text,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "ghs_test0123456789";
const HEAD: &str = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
const BASE: &str = "0b1d8d30c0f4f0ac0d4a4a0f1b5e6f0a9d1c2e3f";
const MARKER: &str = "<!-- gitgrant:pr-gate -->";

// ---------------------------------------------------------------- GitHub-shaped bodies

fn user(login: &str, id: u64, kind: &str) -> Value {
    json!({
        "login": login, "id": id, "node_id": format!("MDQ6VXNlcj{id}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "url": format!("https://api.github.com/users/{login}"),
        "html_url": format!("https://github.com/{login}"),
        "type": kind, "site_admin": false
    })
}

fn pull_request(head: &str, commits: u64, changed_files: u64) -> Value {
    let repo = json!({
        "id": 4242, "node_id": "R_kgDOAAAQkg", "name": "access", "full_name": "acme/access",
        "private": true, "owner": user("acme", 9000, "Organization"),
        "html_url": "https://github.com/acme/access", "default_branch": "main"
    });
    json!({
        "url": "https://api.github.com/repos/acme/access/pulls/7",
        "id": 1_934_020_117u64, "node_id": "PR_kwDOAAAQks5zRxyz",
        "html_url": "https://github.com/acme/access/pull/7",
        "number": 7, "state": "open", "locked": false,
        "title": "Request AdministratorAccess on payments-prod",
        "user": user("alice", 101, "User"),
        "body": "Roll back the failed deploy of payments-api",
        "created_at": "2026-11-22T11:02:11Z", "updated_at": "2026-11-22T11:40:53Z",
        "closed_at": null, "merged_at": null, "merge_commit_sha": null,
        "draft": false, "author_association": "MEMBER",
        "head": { "label": "acme:alice/payments-admin", "ref": "alice/payments-admin",
                  "sha": head, "user": user("alice", 101, "User"), "repo": repo.clone() },
        "base": { "label": "acme:main", "ref": "main", "sha": BASE,
                  "user": user("acme", 9000, "Organization"), "repo": repo },
        "merged": false, "mergeable": true, "mergeable_state": "blocked",
        "comments": 1, "review_comments": 0, "maintainer_can_modify": false,
        "commits": commits, "additions": 9, "deletions": 0, "changed_files": changed_files
    })
}

fn commit(i: usize) -> Value {
    let sha = format!("{i:040x}");
    json!({
        "sha": sha, "node_id": format!("C_kwDO{i}"),
        "url": format!("https://api.github.com/repos/acme/access/commits/{sha}"),
        "html_url": format!("https://github.com/acme/access/commit/{sha}"),
        "commit": {
            "author": { "name": "Alice", "email": "alice@acme.example", "date": "2026-11-22T11:01:00Z" },
            "committer": { "name": "Alice", "email": "alice@acme.example", "date": "2026-11-22T11:01:00Z" },
            "message": format!("Request access {i}\n\nCo-authored-by: Bob <bob@acme.example>"),
            "tree": { "sha": format!("{:040x}", i + 1_000_000) },
            "comment_count": 0,
            "verification": { "verified": false, "reason": "unsigned", "signature": null, "payload": null }
        },
        "author": user("alice", 101, "User"),
        "committer": user("alice", 101, "User"),
        "parents": [ { "sha": format!("{:040x}", i + 2_000_000) } ]
    })
}

fn review(id: u64, login: &str, state: &str, body: &str) -> Value {
    json!({
        "id": id, "node_id": format!("PRR_kwDO{id}"),
        "user": user(login, id + 500, "User"),
        "body": body, "state": state,
        "html_url": format!("https://github.com/acme/access/pull/7#pullrequestreview-{id}"),
        "pull_request_url": "https://api.github.com/repos/acme/access/pulls/7",
        "author_association": "MEMBER",
        "submitted_at": "2026-11-22T11:30:00Z", "commit_id": HEAD
    })
}

fn file(i: usize) -> Value {
    let name = format!("requests/payments-prod/AdministratorAccess/req-{i:04}.toml");
    let mut f = json!({
        "sha": format!("{:040x}", i + 3_000_000), "filename": name,
        "status": "added", "additions": 6, "deletions": 0, "changes": 6,
        "blob_url": format!("https://github.com/acme/access/blob/{HEAD}/{name}"),
        "raw_url": format!("https://github.com/acme/access/raw/{HEAD}/{name}"),
        "contents_url": format!("https://api.github.com/repos/acme/access/contents/{name}?ref={HEAD}"),
        "patch": "@@ -0,0 +1,6 @@\n+requester = \"alice\""
    });
    if i % 50 == 49 {
        f["status"] = json!("renamed");
        f["previous_filename"] = json!(format!("requests/old/req-{i:04}.toml"));
    }
    f
}

fn comment(id: u64, body: &str, login: &str, kind: &str) -> Value {
    json!({
        "id": id, "node_id": format!("IC_kwDO{id}"),
        "url": format!("https://api.github.com/repos/acme/access/issues/comments/{id}"),
        "html_url": format!("https://github.com/acme/access/pull/7#issuecomment-{id}"),
        "body": body, "user": user(login, id + 7, kind),
        "created_at": "2026-11-22T11:05:00Z", "updated_at": "2026-11-22T11:05:00Z",
        "issue_url": "https://api.github.com/repos/acme/access/issues/7",
        "author_association": "NONE"
    })
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest/pulls/pulls#get-a-pull-request",
        "status": "404"
    }))
}

// ---------------------------------------------------------------- set-up

fn fast() -> RetryPolicy {
    RetryPolicy {
        deadline: Duration::from_secs(10),
        attempt_timeout: Duration::from_secs(5),
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        jitter: Jitter::Equal,
        unspecified_rate_limit_wait: Duration::from_secs(60),
    }
}

async fn setup() -> (MockServer, GitHub, Repo) {
    let server = MockServer::start().await;
    let gh = GitHub::new(&server.uri(), TOKEN).unwrap().with_retry_policy(fast());
    (server, gh, Repo::parse("acme/access").unwrap())
}

/// Serves `items` at `route` 100 a page, the way GitHub does: page 1 at the plain URL, later
/// pages at the absolute URLs of the `Link` header (under `/repositories/{id}/...`, which
/// GitHub uses, so a client must follow the links rather than guess them).
async fn mount_pages(server: &MockServer, route: &str, alias: &str, items: &[Value]) {
    let pages: Vec<&[Value]> = if items.is_empty() {
        vec![&[]]
    } else {
        items.chunks(100).collect()
    };
    let last = pages.len();
    for (i, chunk) in pages.iter().enumerate() {
        let n = i + 1;
        let link_to = |k: usize| format!("{}{alias}?per_page=100&page={k}", server.uri());
        let mut links = Vec::new();
        if n < last {
            links.push(format!("<{}>; rel=\"next\"", link_to(n + 1)));
            links.push(format!("<{}>; rel=\"last\"", link_to(last)));
        }
        if n > 1 {
            links.push(format!("<{}>; rel=\"prev\"", link_to(n - 1)));
            links.push(format!("<{}>; rel=\"first\"", link_to(1)));
        }
        let mut response = ResponseTemplate::new(200).set_body_json(chunk.to_vec());
        if !links.is_empty() {
            response = response.insert_header("link", links.join(", ").as_str());
        }
        let mock = if n == 1 {
            Mock::given(method("GET"))
                .and(path(route))
                .and(query_param("per_page", "100"))
                .and(query_param_is_missing("page"))
        } else {
            Mock::given(method("GET"))
                .and(path(alias))
                .and(query_param("per_page", "100"))
                .and(query_param("page", n.to_string()))
        };
        mock.respond_with(response).expect(1).mount(server).await;
    }
}

async fn mount_pr(server: &MockServer, pr: Value) {
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/pulls/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pr))
        .mount(server)
        .await;
}

/// A complete small PR: one commit, two reviews, one file.
async fn mount_small_pr(server: &MockServer) {
    mount_pr(server, pull_request(HEAD, 1, 1)).await;
    mount_lists(server, 1, 1).await;
}

async fn mount_lists(server: &MockServer, commits: usize, files: usize) {
    let base = "/repos/acme/access/pulls/7";
    let alias = "/repositories/4242/pulls/7";
    let commits: Vec<Value> = (0..commits).map(commit).collect();
    let reviews = vec![
        review(80, "bob", "COMMENTED", "looks fine"),
        review(81, "bob", "APPROVED", "Approved: INC-4821 is real"),
    ];
    let files: Vec<Value> = (0..files).map(file).collect();
    mount_pages(
        server,
        &format!("{base}/commits"),
        &format!("{alias}/commits"),
        &commits,
    )
    .await;
    mount_pages(
        server,
        &format!("{base}/reviews"),
        &format!("{alias}/reviews"),
        &reviews,
    )
    .await;
    mount_pages(server, &format!("{base}/files"), &format!("{alias}/files"), &files).await;
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

async fn count(server: &MockServer, verb: &str, route: &str) -> usize {
    requests(server)
        .await
        .iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == route)
        .count()
}

// ---------------------------------------------------------------- reading a pull request

#[tokio::test]
async fn reads_every_page_of_a_pull_request_into_a_snapshot() {
    let (server, gh, repo) = setup().await;
    mount_pr(&server, pull_request(HEAD, 120, 250)).await;
    mount_lists(&server, 120, 250).await;

    let snap = gh.fetch_pull_request(&repo, 7).await.unwrap();

    assert_eq!(snap.pull_request["head"]["sha"], HEAD);
    assert_eq!(snap.pull_request["base"]["sha"], BASE);
    assert_eq!(snap.commits.len(), 120);
    assert_eq!(snap.files.len(), 250);
    // In GitHub's order, across the three pages, kept as GitHub sent them.
    for (i, f) in snap.files.iter().enumerate() {
        assert_eq!(f, &file(i));
    }
    assert_eq!(snap.files[49]["previous_filename"], "requests/old/req-0049.toml");
    assert_eq!(snap.commits[119]["commit"]["author"]["email"], "alice@acme.example");
    assert_eq!(snap.reviews.len(), 2);
    assert_eq!(snap.reviews[1]["state"], "APPROVED");
    assert_eq!(snap.reviews[1]["commit_id"], HEAD);
    assert!(snap.teams.is_empty());
    // The replay file round-trips.
    let text = serde_json::to_string(&snap).unwrap();
    assert_eq!(
        serde_json::from_str::<gitgrant::core::gate::snapshot::Snapshot>(&text).unwrap(),
        snap
    );

    // Files came in 3 pages, commits in 2; the PR was read twice (before and after).
    assert_eq!(count(&server, "GET", "/repositories/4242/pulls/7/files").await, 2);
    assert_eq!(count(&server, "GET", "/repos/acme/access/pulls/7").await, 2);
    // Every request, including the pages reached through absolute `Link` URLs, carried the
    // token; none asked for the vnd.github media type.
    let all = requests(&server).await;
    assert_eq!(all.len(), 2 + 3 + 2 + 1);
    for r in &all {
        assert_eq!(
            r.headers.get("authorization").unwrap(),
            &format!("Bearer {TOKEN}"),
            "{}",
            r.url
        );
        assert!(
            r.headers
                .get("accept")
                .is_none_or(|a| a != "application/vnd.github+json")
        );
    }
}

#[tokio::test]
async fn a_server_error_is_retried() {
    let (server, gh, repo) = setup().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/pulls/7"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_small_pr(&server).await;

    let snap = gh.fetch_pull_request(&repo, 7).await.unwrap();
    assert_eq!(snap.files.len(), 1);
    // 502, then the two good reads.
    assert_eq!(count(&server, "GET", "/repos/acme/access/pulls/7").await, 3);
}

fn epoch_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn a_primary_rate_limit_waits_for_the_reset() {
    let (server, gh, repo) = setup().await;
    // Reset 1 to 2 s ahead (GitHub's header has one-second resolution).
    let reset = epoch_now() + 2;
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/pulls/7"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-used", "5000")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .insert_header("x-ratelimit-resource", "core")
                .set_body_json(json!({
                    "message": "API rate limit exceeded for installation ID 4242.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                })),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_small_pr(&server).await;

    gh.fetch_pull_request(&repo, 7).await.unwrap();
    // Not retried before the reset.
    assert!(epoch_now() >= reset);
}

#[tokio::test]
async fn a_429_waits_as_long_as_retry_after_says() {
    let (server, gh, repo) = setup().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/pulls/7/reviews"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
                })),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_small_pr(&server).await;

    // the wait itself is timed on paused tokio time in the transport's unit tests
    // (`retry_after_is_waited_exactly_and_a_longer_one_fails_at_once`); here: answered after it
    let snap = gh.fetch_pull_request(&repo, 7).await.unwrap();
    assert_eq!(snap.reviews.len(), 2);
}

#[tokio::test]
async fn a_missing_pull_request_is_an_error_and_not_retried() {
    let (server, gh, repo) = setup().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/pulls/7"))
        .respond_with(not_found())
        .expect(1)
        .mount(&server)
        .await;

    let err = gh.fetch_pull_request(&repo, 7).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(
        err.to_string(),
        "`GET /repos/acme/access/pulls/7` answered 404 Not Found: Not Found"
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn unauthorized_and_unprocessable_are_not_retried() {
    for status in [401u16, 422] {
        let (server, gh, repo) = setup().await;
        Mock::given(method("GET"))
            .and(path("/repos/acme/access/commits/abc123/pulls"))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({
                "message": if status == 401 { "Bad credentials" } else { "No commit found for SHA: abc123" },
                "documentation_url": "https://docs.github.com/rest"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let err = gh.find_pull_for_commit(&repo, "abc123").await.unwrap_err();
        assert_eq!(err.status(), Some(status), "{err}");
        assert_eq!(requests(&server).await.len(), 1, "{status} was retried");
    }
}

#[tokio::test]
async fn a_head_that_moves_while_reading_is_an_error() {
    let (server, gh, repo) = setup().await;
    let pushed = "1111111111111111111111111111111111111111";
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/pulls/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull_request(HEAD, 1, 1)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_pr(&server, pull_request(pushed, 1, 1)).await;
    mount_lists(&server, 1, 1).await;

    let err = gh.fetch_pull_request(&repo, 7).await.unwrap_err();
    assert!(matches!(err, Error::HeadChanged { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("pull request #7: head changed from {HEAD} to {pushed} while reading; re-run")
    );
}

#[tokio::test]
async fn more_changed_files_than_listed_is_too_large_to_verify() {
    let (server, gh, repo) = setup().await;
    // The PR says 3 files; GitHub lists 2.
    mount_pr(&server, pull_request(HEAD, 1, 3)).await;
    mount_lists(&server, 1, 2).await;

    let err = gh.fetch_pull_request(&repo, 7).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("too large to verify"), "{err}");
    assert!(err.to_string().contains("3 changed files but GitHub lists 2"), "{err}");
}

#[tokio::test]
async fn a_pull_request_over_the_listing_caps_fails_before_listing() {
    for (commits, files, what) in [(1, 3_001, "changed files"), (251, 1, "commits")] {
        let (server, gh, repo) = setup().await;
        mount_pr(&server, pull_request(HEAD, commits, files)).await;
        let err = gh.fetch_pull_request(&repo, 7).await.unwrap_err();
        assert!(err.to_string().contains("too large to verify"), "{err}");
        assert!(err.to_string().contains(what), "{err}");
        // Nothing but the PR was read.
        assert_eq!(requests(&server).await.len(), 1);
    }
}

// ---------------------------------------------------------------- retries and deadlines

#[tokio::test]
async fn the_deadline_stops_retries() {
    let (server, gh, repo) = setup().await;
    let gh = gh.with_retry_policy(RetryPolicy {
        deadline: Duration::from_millis(1000),
        ..fast()
    });
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;

    // the schedule against the deadline is timed on paused tokio time in the transport's
    // unit tests (`server_errors_back_off_exponentially_until_the_deadline`)
    let err = gh.fetch_pull_request(&repo, 7).await.unwrap_err();
    assert!(matches!(err, Error::DeadlineExceeded { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("`GET /repos/acme/access/pulls/7` still failed after"),
        "{text}"
    );
    assert!(text.contains("502 Bad Gateway"), "{text}");
    // at least one retry, however busy the machine (the count is timed on paused time)
    assert!(requests(&server).await.len() >= 2, "it was not retried");
}

#[tokio::test]
async fn a_rate_limit_longer_than_the_deadline_fails_at_once() {
    let (server, gh, repo) = setup().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("retry-after", "120")
                .set_body_json(json!({"message": "You have exceeded a secondary rate limit."})),
        )
        .mount(&server)
        .await;

    let start = Instant::now();
    let err = gh.fetch_pull_request(&repo, 7).await.unwrap_err();
    // far less than the 120 s asked for: it did not wait (a bound, not a timing)
    assert!(start.elapsed() < Duration::from_secs(60), "{:?}", start.elapsed());
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert!(err.to_string().contains("wait 120s"), "{err}");
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_server_that_does_not_answer_in_time_is_retried() {
    let (server, gh, repo) = setup().await;
    let gh = gh.with_retry_policy(RetryPolicy {
        attempt_timeout: Duration::from_millis(300),
        ..fast()
    });
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/pulls/7"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(pull_request(HEAD, 1, 1))
                .set_delay(Duration::from_secs(5)),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_small_pr(&server).await;

    let start = Instant::now();
    gh.fetch_pull_request(&repo, 7).await.unwrap();
    // less than the 5 s the first answer was held back: the attempt timed out and was retried
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
}

// ---------------------------------------------------------------- teams

#[tokio::test]
async fn team_members_are_read_across_pages() {
    let (server, gh, _) = setup().await;
    let members: Vec<Value> = (0..130).map(|i| user(&format!("dev-{i}"), 2000 + i, "User")).collect();
    mount_pages(
        &server,
        "/orgs/acme/teams/platform-oncall/members",
        "/organizations/9000/team/77/members",
        &members,
    )
    .await;

    let logins = gh.fetch_team_members("acme", "platform-oncall").await.unwrap();
    assert_eq!(logins.len(), 130);
    assert_eq!(logins[0], "dev-0");
    assert_eq!(logins[129], "dev-129");
}

#[tokio::test]
async fn the_snapshot_teams_are_keyed_by_lowercase_name_and_read_once() {
    let (server, gh, _) = setup().await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/teams/platform-oncall/members"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([user("bob", 202, "User")])))
        .expect(1)
        .mount(&server)
        .await;
    let teams = gh
        .fetch_teams(["@Acme/Platform-Oncall", "acme/platform-oncall"])
        .await
        .unwrap();
    assert_eq!(teams.len(), 1);
    assert_eq!(teams["acme/platform-oncall"], vec!["bob".to_owned()]);
}

#[tokio::test]
async fn a_token_that_cannot_read_teams_gets_a_clear_error() {
    for status in [403u16, 404] {
        let (server, gh, _) = setup().await;
        Mock::given(method("GET"))
            .and(path("/orgs/acme/teams/platform-oncall/members"))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({
                "message": if status == 403 { "Resource not accessible by integration" } else { "Not Found" },
                "documentation_url": "https://docs.github.com/rest/teams/members#list-team-members"
            })))
            .expect(1)
            .mount(&server)
            .await;

        let err = gh.fetch_team_members("acme", "platform-oncall").await.unwrap_err();
        assert!(matches!(err, Error::TeamUnreadable { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("`@acme/platform-oncall`"), "{text}");
        assert!(text.contains("GitHub App installation token"), "{text}");
        assert!(text.contains("Members: read"), "{text}");
    }
}

// ---------------------------------------------------------------- reporting

fn comment_list_mock(items: Vec<Value>) -> Mock {
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/issues/7/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(items))
}

#[tokio::test]
async fn the_pr_comment_is_created_once_then_edited_in_place() {
    let (server, gh, repo) = setup().await;
    let someone = comment(11, "please approve", "alice", "User");
    let ours = |body: &str| comment(4321, body, "gitgrant[bot]", "Bot");

    // First run: no gitgrant comment yet, so one is created.
    let guard = server
        .register_as_scoped(comment_list_mock(vec![someone.clone()]))
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/access/issues/7/comments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(ours("created")))
        .expect(1)
        .mount(&server)
        .await;
    let first = format!("{MARKER}\n**gitgrant**: pending (1 of 2 approvals)");
    let out = gh.upsert_comment(&repo, 7, MARKER, &first).await.unwrap();
    assert_eq!(out.id, 4321);
    assert_eq!(out.action, Upserted::Created);
    drop(guard);

    // Second run: the list now holds it; it is edited, not posted again.
    comment_list_mock(vec![someone, ours(&first)]).mount(&server).await;
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/access/issues/comments/4321"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ours("updated")))
        .expect(1)
        .mount(&server)
        .await;
    let second = format!("{MARKER}\n**gitgrant**: approved");
    let out = gh.upsert_comment(&repo, 7, MARKER, &second).await.unwrap();
    assert_eq!(out.id, 4321);
    assert_eq!(out.action, Upserted::Updated);

    // The same text again: nothing is sent.
    let out = gh.upsert_comment(&repo, 7, MARKER, &first).await.unwrap();
    assert_eq!(out.action, Upserted::Unchanged);

    let writes: Vec<Request> = requests(&server)
        .await
        .into_iter()
        .filter(|r| r.method.as_str() != "GET")
        .collect();
    assert_eq!(writes.len(), 2);
    assert_eq!(writes[0].method.as_str(), "POST");
    assert_eq!(writes[0].body_json::<Value>().unwrap(), json!({ "body": first }));
    assert_eq!(writes[1].method.as_str(), "PATCH");
    assert_eq!(writes[1].url.path(), "/repos/acme/access/issues/comments/4321");
    assert_eq!(writes[1].body_json::<Value>().unwrap(), json!({ "body": second }));
}

#[tokio::test]
async fn a_comment_planted_by_a_user_loses_to_the_bots() {
    let (server, gh, repo) = setup().await;
    comment_list_mock(vec![
        comment(5, &format!("{MARKER} fake green"), "mallory", "User"),
        comment(6, &format!("{MARKER}\nold report"), "github-actions[bot]", "Bot"),
    ])
    .mount(&server)
    .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/access/issues/comments/6"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(6, "x", "github-actions[bot]", "Bot")))
        .expect(1)
        .mount(&server)
        .await;
    let out = gh.upsert_comment(&repo, 7, MARKER, "new report").await.unwrap();
    assert_eq!(out.id, 6);
}

#[tokio::test]
async fn an_oversized_comment_is_cut_below_githubs_limit() {
    let (server, gh, repo) = setup().await;
    comment_list_mock(vec![]).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/access/issues/7/comments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(99, "x", "gitgrant[bot]", "Bot")))
        .expect(1)
        .mount(&server)
        .await;
    // 100,000 characters, multi-byte ones included, with the marker at the end.
    let body = format!("{}{MARKER}", "| ✅ approved | alice |\n".repeat(4_200));
    assert!(body.chars().count() > 65_536);
    gh.upsert_comment(&repo, 7, MARKER, &body).await.unwrap();

    let post = requests(&server)
        .await
        .into_iter()
        .find(|r| r.method.as_str() == "POST")
        .unwrap();
    let sent: Value = post.body_json().unwrap();
    let sent = sent["body"].as_str().unwrap();
    assert!(sent.chars().count() <= 65_536);
    assert!(sent.encode_utf16().count() <= 65_536);
    assert!(sent.len() <= 65_536);
    assert!(sent.starts_with(MARKER), "the next run must find it");
    assert!(sent.ends_with(text::TRUNCATION_NOTE));
    assert!(sent.contains("| ✅ approved | alice |"));
}

#[tokio::test]
async fn creating_a_comment_is_not_repeated_after_a_server_error() {
    let (server, gh, repo) = setup().await;
    comment_list_mock(vec![]).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/access/issues/7/comments"))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    let err = gh.upsert_comment(&repo, 7, MARKER, "report").await.unwrap_err();
    assert_eq!(err.status(), Some(502));
}

#[tokio::test]
async fn check_runs_and_commit_statuses_are_posted_in_githubs_shape() {
    let (server, gh, repo) = setup().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/access/check-runs"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": 4, "head_sha": HEAD, "node_id": "CR_kwDO4", "external_id": "",
            "status": "completed", "conclusion": "failure", "name": "gitgrant",
            "started_at": "2026-11-22T11:41:00Z", "completed_at": "2026-11-22T11:41:00Z",
            "output": { "title": "pending", "summary": "1 of 2", "text": null,
                        "annotations_count": 0, "annotations_url": "https://api.github.com/repos/acme/access/check-runs/4/annotations" }
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/repos/acme/access/statuses/{HEAD}")))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": 1, "node_id": "SC_kwDO1", "state": "failure", "context": "gitgrant",
            "description": "x", "target_url": null,
            "created_at": "2026-11-22T11:41:00Z", "updated_at": "2026-11-22T11:41:00Z"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let id = gh
        .create_check_run(
            &repo,
            &CheckRun {
                name: "gitgrant",
                head_sha: HEAD,
                conclusion: Some(Conclusion::Failure),
                title: "pending: 1 of 2 approvals",
                summary: "requests/payments-prod/AdministratorAccess/req-0001.toml: pending",
                text: None,
                details_url: Some("https://github.com/acme/access/actions/runs/1"),
            },
        )
        .await
        .unwrap();
    assert_eq!(id, 4);
    let long = "pending: waiting for approval by @acme/platform-oncall ".repeat(5);
    gh.set_commit_status(
        &repo,
        &CommitStatus {
            sha: HEAD,
            state: StatusState::Failure,
            context: "gitgrant",
            description: &long,
            target_url: None,
        },
    )
    .await
    .unwrap();

    let writes = requests(&server).await;
    let run: Value = writes[0].body_json().unwrap();
    assert_eq!(
        run,
        json!({
            "name": "gitgrant", "head_sha": HEAD, "status": "completed", "conclusion": "failure",
            "details_url": "https://github.com/acme/access/actions/runs/1",
            "output": { "title": "pending: 1 of 2 approvals",
                        "summary": "requests/payments-prod/AdministratorAccess/req-0001.toml: pending" }
        })
    );
    let status: Value = writes[1].body_json().unwrap();
    assert_eq!(status["state"], "failure");
    assert_eq!(status["context"], "gitgrant");
    let description = status["description"].as_str().unwrap();
    assert!(description.chars().count() <= 140);
    assert!(description.starts_with("pending: waiting for approval by @acme/platform-oncall"));
    assert!(description.ends_with('…'));
}

// ---------------------------------------------------------------- the PR of a commit

fn pull_summary(number: u64, merge_commit_sha: &str, merged: bool) -> Value {
    let mut pr = pull_request(HEAD, 1, 1);
    pr["number"] = json!(number);
    pr["state"] = json!(if merged { "closed" } else { "open" });
    pr["merge_commit_sha"] = json!(merge_commit_sha);
    pr["merged_at"] = if merged {
        json!("2026-11-22T12:00:00Z")
    } else {
        Value::Null
    };
    pr
}

#[tokio::test]
async fn the_pull_request_of_a_merge_commit_is_found() {
    let (server, gh, repo) = setup().await;
    let merge = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432";
    let route = format!("/repos/acme/access/commits/{merge}/pulls");
    Mock::given(method("GET"))
        .and(path(route.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            pull_summary(3, "aaaa000000000000000000000000000000000000", false),
            pull_summary(5, "bbbb000000000000000000000000000000000000", true),
            pull_summary(7, merge, true),
        ])))
        .mount(&server)
        .await;
    assert_eq!(gh.find_pull_for_commit(&repo, merge).await.unwrap(), Some(7));

    // A commit pushed straight to main has no merged PR.
    let direct = "0000000000000000000000000000000000000abc";
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/access/commits/{direct}/pulls")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([pull_summary(
            3,
            "aaaa000000000000000000000000000000000000",
            false
        )])))
        .mount(&server)
        .await;
    assert_eq!(gh.find_pull_for_commit(&repo, direct).await.unwrap(), None);

    // Rebase merges: no PR has the commit as its merge commit; the merged one is taken.
    let rebased = "0000000000000000000000000000000000000def";
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/access/commits/{rebased}/pulls")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            pull_summary(3, "aaaa000000000000000000000000000000000000", false),
            pull_summary(8, "cccc000000000000000000000000000000000000", true),
        ])))
        .mount(&server)
        .await;
    assert_eq!(gh.find_pull_for_commit(&repo, rebased).await.unwrap(), Some(8));
}

// ---------------------------------------------------------------- configuration

#[tokio::test]
async fn configuration_comes_from_github_actions_variables() {
    let err = GitHub::from_vars(|_| None).err().unwrap();
    assert!(err.to_string().starts_with("`GITHUB_TOKEN` is not set"), "{err}");
    let err = GitHub::from_vars(|k| (k == "GITHUB_TOKEN").then(|| " ".into()))
        .err()
        .unwrap();
    assert!(matches!(err, Error::MissingToken));

    let server = MockServer::start().await;
    mount_small_pr(&server).await;
    let uri = server.uri();
    let gh = GitHub::from_vars(|k| match k {
        "GITHUB_TOKEN" => Some(TOKEN.into()),
        "GITHUB_API_URL" => Some(format!("{uri}/")),
        _ => None,
    })
    .unwrap();
    gh.fetch_pull_request(&Repo::parse("acme/access").unwrap(), 7)
        .await
        .unwrap();

    let err = GitHub::from_vars(|k| match k {
        "GITHUB_TOKEN" => Some(TOKEN.into()),
        "GITHUB_API_URL" => Some("http://ghe.acme.example/api/v3".into()),
        _ => None,
    })
    .err()
    .unwrap();
    assert!(err.to_string().contains("unencrypted"), "{err}");
}

#[test]
fn the_client_needs_a_runtime() {
    let err = GitHub::new("https://api.github.com", TOKEN).err().unwrap();
    assert!(matches!(err, Error::NoRuntime), "{err:?}");
    // The CLI's way: a current-thread runtime from the adapter.
    let rt = gitgrant::adapters::github::runtime().unwrap();
    rt.block_on(async { GitHub::new("https://api.github.com", TOKEN).unwrap() });
}

// ---------------------------------------------------------------- closing stale request PRs

#[tokio::test]
async fn stale_request_prs_are_closed_with_a_comment_and_nothing_else_is() {
    let (server, gh, repo) = setup().await;
    let pull = |number: u64, created: &str| {
        let mut p = pull_request(HEAD, 1, 1);
        p["number"] = json!(number);
        p["url"] = json!(format!("https://api.github.com/repos/acme/access/pulls/{number}"));
        p["created_at"] = json!(created);
        p
    };
    // #7 adds a request and is two days old; #8 adds one and is an hour old; #9 is an old
    // policy PR (not a request: never stale)
    let open = vec![
        pull(7, "2026-11-20T09:00:00Z"),
        pull(8, "2026-11-22T11:00:00Z"),
        pull(9, "2026-11-01T09:00:00Z"),
    ];
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/pulls"))
        .and(query_param("state", "open"))
        .and(query_param("per_page", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(open))
        .expect(1)
        .mount(&server)
        .await;
    let mut policy_file = file(0);
    policy_file["filename"] = json!("policies/access.toml");
    policy_file["status"] = json!("modified");
    for (n, files) in [(7, vec![file(1)]), (9, vec![policy_file])] {
        Mock::given(method("GET"))
            .and(path(format!("/repos/acme/access/pulls/{n}/files")))
            .respond_with(ResponseTemplate::new(200).set_body_json(files))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/issues/7/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/access/issues/7/comments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(555, "stale", "gitgrant[bot]", "Bot")))
        .expect(1)
        .mount(&server)
        .await;
    let mut closed_pr = pull(7, "2026-11-20T09:00:00Z");
    closed_pr["state"] = json!("closed");
    closed_pr["closed_at"] = json!("2026-11-22T12:00:01Z");
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/access/pulls/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(closed_pr))
        .expect(1)
        .mount(&server)
        .await;

    let at = "2026-11-22T12:00:00Z".parse().unwrap();
    let timeout = gitgrant::core::files::duration::HumaneDuration::parse("24h").unwrap();
    let closed = gitgrant::app::stale::close_stale_prs(&gh, &repo, timeout, at)
        .await
        .unwrap();
    assert_eq!(closed.iter().map(|c| c.number).collect::<Vec<_>>(), vec![7]);
    assert_eq!(
        closed[0].requests,
        vec!["requests/payments-prod/AdministratorAccess/req-0001.toml"]
    );

    let writes: Vec<Request> = requests(&server)
        .await
        .into_iter()
        .filter(|r| r.method.as_str() != "GET")
        .collect();
    assert_eq!(writes.len(), 2, "{writes:?}");
    // the comment first (so the reason is there when the PR shows as closed), then the close
    assert_eq!(writes[0].url.path(), "/repos/acme/access/issues/7/comments");
    let body = writes[0].body_json::<Value>().unwrap()["body"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        body.contains("<!-- gitgrant:stale -->") && body.contains("`stale`") && body.contains("(1d)"),
        "{body}"
    );
    assert_eq!(writes[1].method.as_str(), "PATCH");
    assert_eq!(writes[1].body_json::<Value>().unwrap(), json!({ "state": "closed" }));
    // a young PR's files are not even read
    assert_eq!(count(&server, "GET", "/repos/acme/access/pulls/8/files").await, 0);
}

#[tokio::test]
async fn an_open_pull_without_created_at_fails_loudly() {
    let (server, gh, repo) = setup().await;
    let mut p = pull_request(HEAD, 1, 1);
    p.as_object_mut().unwrap().remove("created_at");
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/pulls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([p])))
        .mount(&server)
        .await;
    let timeout = gitgrant::core::files::duration::HumaneDuration::parse("24h").unwrap();
    let err = gitgrant::app::stale::close_stale_prs(&gh, &repo, timeout, "2026-11-22T12:00:00Z".parse().unwrap())
        .await
        .unwrap_err();
    assert!(err.contains("#7 has no valid `created_at`"), "{err}");
    assert!(requests(&server).await.iter().all(|r| r.method.as_str() == "GET"));
}

/// `gitgrant pr --close-stale` end to end: the policy's `pending_timeout` from the checkout's
/// HEAD, the API from the run's environment; a policy that does not load is exit 2.
#[tokio::test]
async fn the_close_stale_command_reads_the_timeout_from_the_checkout() {
    let (server, _gh, _repo) = setup().await;
    let mut old = pull_request(HEAD, 1, 1);
    old["created_at"] = json!("2026-11-22T08:00:00Z");
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/pulls"))
        .and(query_param("state", "open"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([old])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/pulls/7/files"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([file(1)])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/access/issues/7/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/access/issues/7/comments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(556, "stale", "gitgrant[bot]", "Bot")))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/access/pulls/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull_request(HEAD, 1, 1)))
        .mount(&server)
        .await;
    // the fixture policy says 24h: a PR opened at 08:00 is not stale at noon; with 2h it is
    let repo = crate::support::repo_with_case(None);
    let dir = repo.path().to_path_buf();
    let commit = |dir: &std::path::Path| {
        crate::support::git_as(dir, &["add", "-A"], "admin");
        crate::support::git_as(dir, &["commit", "-q", "-m", "policy"], "admin");
    };
    crate::support::git_as(&dir, &["init", "-q", "-b", "main"], "admin");
    commit(&dir);
    let uri = server.uri();
    let run = move |dir: std::path::PathBuf| {
        let uri = uri.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                crate::support::bin()
                    .args([
                        "pr",
                        "--repo",
                        dir.to_str().unwrap(),
                        "--close-stale",
                        "--at",
                        "2026-11-22T12:00:00Z",
                    ])
                    .args(["--format", "json"])
                    .env("GITHUB_TOKEN", TOKEN)
                    .env("GITHUB_REPOSITORY", "acme/access")
                    .env("GITHUB_API_URL", uri)
                    .output()
                    .unwrap()
            })
            .await
            .unwrap()
        }
    };
    let out = run(dir.clone()).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        json!({"closed": []})
    );
    let access = dir.join("policies/access.toml");
    let text = std::fs::read_to_string(&access).unwrap();
    std::fs::write(
        &access,
        text.replacen("pending_timeout = \"24h\"", "pending_timeout = \"2h\"", 1),
    )
    .unwrap();
    commit(&dir);
    let out = run(dir.clone()).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["closed"][0]["number"], 7, "{v}");
    assert_eq!(count(&server, "PATCH", "/repos/acme/access/pulls/7").await, 1);
    // a policy that does not load: nothing is closed, exit 2
    std::fs::write(&access, "not = = toml").unwrap();
    commit(&dir);
    let out = run(dir.clone()).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not validate"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(&server, "PATCH", "/repos/acme/access/pulls/7").await, 1);
}
