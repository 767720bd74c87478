//! `gitgrant request` and `gitgrant revoke` against real git (a bare origin and a clone)
//! and a local server in GitHub's shapes for opening the pull request.

use std::path::Path;

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{bin, copy_dir, fixtures, try_git};

fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin.git");
    assert!(
        git(
            tmp.path(),
            &["init", "-q", "--bare", "-b", "main", origin.to_str().unwrap()]
        )
        .0
    );
    let clone = tmp.path().join("clone");
    assert!(
        git(
            tmp.path(),
            &["clone", "-q", origin.to_str().unwrap(), clone.to_str().unwrap()]
        )
        .0
    );
    copy_dir(&fixtures().join("base"), &clone);
    git(&clone, &["checkout", "-q", "-b", "main"]);
    git(&clone, &["add", "-A"]);
    assert!(git(&clone, &["commit", "-q", "-m", "base"]).0);
    assert!(git(&clone, &["push", "-q", "origin", "main"]).0);
    (tmp, origin, clone)
}

fn gitgrant(clone: &Path, args: &[&str]) -> std::process::Output {
    bin()
        .args(args)
        .args(["--repo", clone.to_str().unwrap()])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "alice")
        .env("GIT_AUTHOR_EMAIL", "alice@users.noreply.github.com")
        .env("GIT_COMMITTER_NAME", "alice")
        .env("GIT_COMMITTER_EMAIL", "alice@users.noreply.github.com")
        .output()
        .unwrap()
}

const ASK: &[&str] = &[
    "request",
    "--requester",
    "alice",
    "--account",
    "111122223333",
    "--permission-set",
    "AdministratorAccess",
    "--duration",
    "2h",
    "--reason",
    "Roll back the deploy",
    "--ticket",
    "INC-77",
    "--start",
    "SOON",
];

/// A start the policy accepts whatever the day: tomorrow, on the hour.
fn soon() -> String {
    (chrono::Utc::now() + chrono::TimeDelta::days(1))
        .format("%Y-%m-%dT%H:00:00Z")
        .to_string()
}

/// `ASK` with its start filled in, then `extra`.
fn ask(extra: &[&str]) -> Vec<String> {
    let start = soon();
    ASK.iter()
        .chain(extra)
        .map(|a| if *a == "SOON" { start.clone() } else { a.to_string() })
        .collect()
}

#[test]
fn request_writes_the_canonical_file_on_a_branch_and_leaves_the_work_tree_alone() {
    let (_tmp, _origin, clone) = setup();
    let args = ask(&["--id", "inc-77", "--no-push"]);
    let out = gitgrant(&clone, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let (ok, text) = git(
        &clone,
        &[
            "show",
            "gitgrant/inc-77:requests/payments-prod/AdministratorAccess/inc-77.toml",
        ],
    );
    assert!(ok);
    assert_eq!(
        text,
        format!(
            "#:schema ../../../schemas/request.schema.json\nrequester = \"alice\"\naccount = \"payments-prod\"\npermission_set = \"AdministratorAccess\"\nstart = {}\nduration = \"2h\"\nreason = \"Roll back the deploy\"\nticket = \"INC-77\"",
            soon()
        )
    );
    assert_eq!(git(&clone, &["status", "--porcelain"]).1, "");
    assert_eq!(git(&clone, &["rev-parse", "--abbrev-ref", "HEAD"]).1, "main");
}

#[test]
fn an_ineligible_request_is_refused_before_anything_is_written() {
    let (_tmp, _origin, clone) = setup();
    // sandbox-alice is alice's alone (no team could make frank eligible)
    let mut args = ask(&["--id", "inc-78", "--no-push"]);
    args[2] = "frank".into();
    args[4] = "sandbox-alice".into();
    let out = gitgrant(&clone, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("not filed") && stdout.contains("requester-not-eligible"),
        "{stdout}"
    );
    assert!(!git(&clone, &["rev-parse", "--verify", "-q", "gitgrant/inc-78"]).0);
}

#[tokio::test]
async fn request_pushes_and_opens_a_pull_request() {
    let (_tmp, origin, clone) = setup();
    let server = MockServer::start().await;
    mount_user(&server, "alice").await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/access/pulls"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"number": 12, "html_url": "https://github.com/acme/access/pull/12"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let uri = server.uri();
    let c = clone.clone();
    let out = tokio::task::spawn_blocking(move || {
        bin()
            .args(ask(&["--id", "inc-79", "--repo", c.to_str().unwrap()]))
            .env("GITHUB_TOKEN", "ghs_test")
            .env("GITHUB_API_URL", uri)
            .env("GITHUB_REPOSITORY", "acme/access")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "alice")
            .env("GIT_AUTHOR_EMAIL", "alice@users.noreply.github.com")
            .env("GIT_COMMITTER_NAME", "alice")
            .env("GIT_COMMITTER_EMAIL", "alice@users.noreply.github.com")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("opened pull request #12 on acme/access: https://github.com/acme/access/pull/12")
    );
    assert!(
        git(&origin, &["rev-parse", "--verify", "-q", "refs/heads/gitgrant/inc-79"]).0,
        "the branch reached origin"
    );
    let received = server.received_requests().await.unwrap();
    let received: Vec<_> = received.into_iter().filter(|r| r.method.as_str() == "POST").collect();
    let body: serde_json::Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(
        (body["head"].as_str(), body["base"].as_str()),
        (Some("gitgrant/inc-79"), Some("main"))
    );
}

/// `GET /user` answering `login` (the token's user).
async fn mount_user(server: &MockServer, login: &str) {
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": login, "id": 1, "type": "User"})))
        .mount(server)
        .await;
}

/// `gitgrant request` in `clone` with these extra variables, as a person runs it.
async fn ask_online(clone: &Path, args: Vec<String>, vars: Vec<(&'static str, String)>) -> std::process::Output {
    let c = clone.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut cmd = bin();
        cmd.args(&args).args(["--repo", c.to_str().unwrap()]);
        for k in ["GITHUB_TOKEN", "GH_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"] {
            cmd.env_remove(k);
        }
        // no `gh` on PATH: the token comes from the variables or nowhere
        cmd.env("PATH", "/usr/bin:/bin").env("GIT_CONFIG_GLOBAL", "/dev/null");
        for (k, v) in [("GIT_AUTHOR_NAME", "alice"), ("GIT_COMMITTER_NAME", "alice")] {
            cmd.env(k, v);
        }
        for (k, v) in [
            ("GIT_AUTHOR_EMAIL", "alice@users.noreply.github.com"),
            ("GIT_COMMITTER_EMAIL", "alice@users.noreply.github.com"),
        ] {
            cmd.env(k, v);
        }
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    })
    .await
    .unwrap()
}

fn ask_without_requester(id: &str) -> Vec<String> {
    let mut a = ask(&[]);
    let i = a.iter().position(|s| s == "--requester").unwrap();
    a.drain(i..i + 2);
    a.extend(["--id".to_string(), id.to_string()]);
    a
}

#[tokio::test]
async fn the_requester_is_the_tokens_login_and_gh_token_comes_before_github_token() {
    let (_tmp, origin, clone) = setup();
    let server = MockServer::start().await;
    mount_user(&server, "alice").await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/access/pulls"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"number": 13})))
        .mount(&server)
        .await;
    let vars = vec![
        ("GH_TOKEN", "ghp_person".to_string()),
        ("GITHUB_TOKEN", "ghs_other".to_string()),
        ("GITHUB_API_URL", server.uri()),
        ("GITHUB_REPOSITORY", "acme/access".to_string()),
    ];
    let out = ask_online(&clone, ask_without_requester("inc-81"), vars).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("opened pull request #13 on acme/access"), "{stdout}");
    let (ok, text) = git(
        &origin,
        &[
            "show",
            "refs/heads/gitgrant/inc-81:requests/payments-prod/AdministratorAccess/inc-81.toml",
        ],
    );
    assert!(ok && text.contains("requester = \"alice\""), "{text}");
    for r in server.received_requests().await.unwrap() {
        let auth = r
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap_or("").to_string());
        assert!(auth.as_deref().is_some_and(|a| a.contains("ghp_person")), "{auth:?}");
    }
}

#[tokio::test]
async fn nothing_is_written_or_pushed_when_the_request_cannot_be_filed() {
    let (tmp, origin, clone) = setup();
    let server = MockServer::start().await;
    mount_user(&server, "alice").await;
    let online = |extra: &[(&'static str, String)]| {
        let mut v = vec![
            ("GITHUB_API_URL", server.uri()),
            ("GITHUB_REPOSITORY", "acme/access".to_string()),
        ];
        v.extend(extra.iter().cloned());
        v
    };
    let branches = |dir: &Path| git(dir, &["for-each-ref", "--format=%(refname)", "refs/heads/gitgrant"]).1;
    // the request names someone else than the token's user
    let mut bob = ask(&["--id", "inc-82"]);
    bob[2] = "bob".into();
    let out = ask_online(&clone, bob, online(&[("GITHUB_TOKEN", "ghs_x".into())])).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("would be opened by `alice`") && err.contains("names `bob`"),
        "{err}"
    );
    // no token anywhere
    let out = ask_online(&clone, ask_without_requester("inc-83"), online(&[])).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no GitHub token") && err.contains("GH_TOKEN"), "{err}");
    // a start in the past
    let mut past = ask_without_requester("inc-84");
    let i = past.iter().position(|s| s == "--start").unwrap();
    past[i + 1] = "2020-01-01T00:00:00Z".into();
    let out = ask_online(&clone, past, online(&[("GITHUB_TOKEN", "ghs_x".into())])).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--start 2020-01-01T00:00:00Z is in the past"), "{err}");
    assert_eq!(branches(&clone), "", "nothing committed");
    assert_eq!(branches(&origin), "", "nothing pushed");
    assert!(
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .all(|r| r.method.as_str() == "GET")
    );
    // a repository without `origin`
    let lone = tmp.path().join("lone");
    copy_dir(&fixtures().join("base"), &lone);
    git(&lone, &["init", "-q", "-b", "main"]);
    git(&lone, &["add", "-A"]);
    git(
        &lone,
        &[
            "-c",
            "user.name=a",
            "-c",
            "user.email=a@acme.example",
            "commit",
            "-q",
            "-m",
            "base",
        ],
    );
    let mut args = ask_without_requester("inc-85");
    args.extend(["--base".into(), "refs/heads/main".into()]);
    let out = ask_online(&lone, args, online(&[("GITHUB_TOKEN", "ghs_x".into())])).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("has no `origin` remote"), "{err}");
    assert_eq!(branches(&lone), "");
}

#[test]
fn revoke_deletes_the_file_on_a_branch() {
    let (_tmp, _origin, clone) = setup();
    let out = gitgrant(
        &clone,
        &["revoke", "inc-4821-rollback", "--reason", "rollback done", "--no-push"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, files) = git(
        &clone,
        &[
            "ls-tree",
            "-r",
            "--name-only",
            "gitgrant/revoke-inc-4821-rollback",
            "requests",
        ],
    );
    assert!(!files.contains("inc-4821-rollback"));
    assert!(files.contains("erin-replication-lag"), "other requests stay");
    assert!(
        git(
            &clone,
            &["log", "-1", "--format=%B", "gitgrant/revoke-inc-4821-rollback"]
        )
        .1
        .contains("rollback done")
    );
    let out = gitgrant(&clone, &["revoke", "no-such-id", "--no-push"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no request with id `no-such-id`"));
}

fn git(dir: &Path, args: &[&str]) -> (bool, String) {
    try_git(dir, args, "alice")
}

/// The use case returns what it did (the findings, the branch and its pull request's
/// title and body) and leaves printing to the command line.
#[test]
fn the_request_use_case_returns_the_branch_it_made() {
    use gitgrant::adapters::actions::RunEnvironment;
    use gitgrant::app::error::AppError;
    use gitgrant::app::request::{self, Branch, Common, NewRequest};

    let (_tmp, _origin, clone) = setup();
    git(&clone, &["config", "user.name", "alice"]);
    git(&clone, &["config", "user.email", "alice@users.noreply.github.com"]);
    let env = RunEnvironment::default();
    let c = Common {
        repo: clone.clone(),
        base: "origin/main".into(),
        at: "2026-11-30T09:00:00Z".parse().unwrap(),
        env: &env,
    };
    let ask = |requester: &str, account: &str, id: &str| NewRequest {
        requester: requester.into(),
        account: account.into(),
        permission_set: "AdministratorAccess".into(),
        duration: "2h".into(),
        reason: "Roll back the deploy".into(),
        ticket: Some("INC-77".into()),
        start: Some("2026-12-01T09:00:00Z".parse().unwrap()),
        id: Some(id.into()),
    };
    let filed = request::request(&c, &ask("alice", "111122223333", "inc-80")).unwrap();
    assert!(filed.findings.iter().all(|d| !d.is_error()), "{:?}", filed.findings);
    let path = "requests/payments-prod/AdministratorAccess/inc-80.toml";
    assert_eq!(
        filed.branch,
        Some(Branch {
            path: path.into(),
            branch: "gitgrant/inc-80".into(),
            title: "Request AdministratorAccess on payments-prod for 2h (alice)".into(),
            body: "Roll back the deploy\n\nTicket: INC-77".into(),
        })
    );
    assert!(
        filed
            .tree
            .text(path)
            .is_some_and(|t| t.contains("requester = \"alice\""))
    );
    assert!(git(&clone, &["rev-parse", "--verify", "-q", "gitgrant/inc-80"]).0);

    // refused: the findings come back, no branch is made
    let refused = request::request(&c, &ask("frank", "sandbox-alice", "inc-81")).unwrap();
    assert_eq!(refused.branch, None);
    assert!(
        refused.findings.iter().any(|d| d.code == "requester-not-eligible"),
        "{:?}",
        refused.findings
    );
    assert!(!git(&clone, &["rev-parse", "--verify", "-q", "gitgrant/inc-81"]).0);

    // an unknown account and an unknown id are typed errors with the messages users see
    let err = request::request(&c, &ask("alice", "999999999999", "inc-82"))
        .err()
        .unwrap();
    assert!(matches!(err, AppError::UnknownAccount { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "account `999999999999` is not in policies/directory.toml on `origin/main`"
    );
    let revoked = request::revoke(&c, "inc-4821-rollback", None).unwrap();
    assert_eq!(revoked.branch, "gitgrant/revoke-inc-4821-rollback");
    assert!(revoked.path.ends_with("/inc-4821-rollback.toml"), "{revoked:?}");
    assert!(
        revoked
            .body
            .starts_with(&format!("Revokes `{}`: no longer needed", revoked.path))
    );
    let err = request::revoke(&c, "no-such-id", None).err().unwrap();
    assert!(matches!(err, AppError::NoSuchRequest { .. }), "{err:?}");
}
