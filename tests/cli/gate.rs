//! The PR gate end to end: real git repositories, replay snapshots in GitHub's shapes,
//! the `gitgrant pr` binary's JSON and exit codes, the scenario suite, and event payloads
//! from `@octokit/webhooks-examples` (installed by scripts/test.sh).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{bin, copy_dir, fixtures, git_as as git};

const AT: &str = "2026-11-22T12:00:00Z";

/// A repository whose main branch holds the fixture base.
fn base_repo() -> (tempfile::TempDir, String) {
    base_repo_with(|_| {})
}

/// [`base_repo`] with the fixture's files edited by `edit` before the first commit.
fn base_repo_with(edit: impl FnOnce(&Path)) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("base"), dir.path());
    edit(dir.path());
    git(dir.path(), &["init", "-q", "-b", "main"], "admin");
    git(dir.path(), &["add", "-A"], "admin");
    git(dir.path(), &["commit", "-q", "-m", "access repository"], "admin");
    let sha = git(dir.path(), &["rev-parse", "HEAD"], "admin");
    (dir, sha)
}

const PATH: &str = "requests/payments-prod/AdministratorAccess/inc-9000-rollback.toml";

fn request(who: &str) -> String {
    format!(
        "requester = \"{who}\"\naccount = \"payments-prod\"\npermission_set = \"AdministratorAccess\"\nstart = 2026-11-22T13:00:00Z\nduration = \"2h\"\nreason = \"Roll back the failed deploy\"\n"
    )
}

/// Commits `files` on a new branch from `from`; returns the head sha and goes back to main.
fn branch(dir: &Path, name: &str, from: &str, files: &[(&str, &str)], who: &str) -> String {
    git(dir, &["checkout", "-q", "-b", name, from], who);
    for (p, c) in files {
        let target = dir.join(p);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, c).unwrap();
    }
    git(dir, &["add", "-A"], who);
    git(dir, &["commit", "-q", "-m", "request access"], who);
    let sha = git(dir, &["rev-parse", "HEAD"], who);
    git(dir, &["checkout", "-q", "main"], who);
    sha
}

fn user(login: &str) -> Value {
    json!({"login": login, "id": 1, "type": "User", "site_admin": false})
}

fn review(id: u64, login: &str, commit: &str) -> Value {
    json!({"id": id, "user": user(login), "body": "Checked the incident; approved.", "state": "APPROVED",
           "commit_id": commit, "submitted_at": "2026-11-22T11:30:00Z", "author_association": "MEMBER"})
}

fn snapshot(author: &str, base: &str, head: &str, files: Value, reviews: Value) -> Value {
    json!({
        "pull_request": {"number": 7, "state": "open", "user": user(author), "created_at": "2026-11-22T11:00:00Z",
                         "head": {"sha": head, "ref": "request"}, "base": {"sha": base, "ref": "main", "repo": {"default_branch": "main"}},
                         "merged": false, "merge_commit_sha": null, "draft": false},
        "commits": [{"sha": head, "commit": {"author": {"name": author, "email": format!("{author}@users.noreply.github.com")},
                                            "committer": {"name": author, "email": format!("{author}@users.noreply.github.com")},
                                            "message": "request access"},
                     "author": user(author), "committer": user(author)}],
        "reviews": reviews,
        "files": files,
        "teams": {"acme/platform-leads": ["dan", "heidi"], "acme/platform-oncall": [], "acme/engineering": ["bob"]}
    })
}

/// Runs `gitgrant pr` on a snapshot written inside this test's own repository (never a path
/// shared with tests running at the same time).
fn run_pr(repo: &Path, snap: &Value, extra: &[&str]) -> (i32, String, String) {
    run_pr_env(repo, snap, extra, &[])
}

/// As [`run_pr`], with these environment variables set.
fn run_pr_env(repo: &Path, snap: &Value, extra: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let file = repo.join(".git/gitgrant-test-snapshot.json");
    std::fs::write(&file, serde_json::to_string(snap).unwrap()).unwrap();
    let mut args = vec![
        "pr",
        "--repo",
        repo.to_str().unwrap(),
        "--snapshot",
        file.to_str().unwrap(),
        "--at",
        AT,
    ];
    args.extend(extra);
    // never the event of whatever CI runs these tests
    let out = bin()
        .args(&args)
        .env_remove("GITHUB_EVENT_NAME")
        .env_remove("GITHUB_EVENT_PATH")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn added(path: &str) -> Value {
    json!([{"sha": "0000000000000000000000000000000000000000", "filename": path, "status": "added", "additions": 6, "deletions": 0, "changes": 6}])
}

#[test]
fn replay_approves_with_two_code_owners_and_prints_the_design_json() {
    let (repo, base) = base_repo();
    let head = branch(repo.path(), "req", &base, &[(PATH, &request("alice"))], "alice");
    let snap = snapshot(
        "alice",
        &base,
        &head,
        added(PATH),
        json!([review(1, "dan", &head), review(2, "heidi", &head)]),
    );
    let (code, out, err) = run_pr(repo.path(), &snap, &["--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"], "approved");
    let r = &v["requests"][0];
    assert_eq!(r["path"], PATH);
    assert_eq!(r["id"], "inc-9000-rollback");
    assert_eq!(r["decision"], "approved");
    assert_eq!(r["approved_by"], json!(["dan", "heidi"]));
    assert_eq!(r["can_approve"], json!([]));
    assert!(r["reasons"][0]["code"].is_string() && r["reasons"][0]["message"].is_string());
    assert!(v["diagnostics"].is_array());

    // one approval fewer: pending, exit 1, heidi can still approve
    let snap = snapshot("alice", &base, &head, added(PATH), json!([review(1, "dan", &head)]));
    let (code, out, _) = run_pr(repo.path(), &snap, &["--format", "json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"], "pending");
    assert_eq!(v["requests"][0]["can_approve"], json!(["heidi"]));
}

#[test]
fn policy_comes_from_the_base_commit_not_the_head() {
    let (repo, old_base) = base_repo();
    // The PR branch starts from the old base, where alice (via the SRE group) may request
    // prod admin; main then removes the SRE group from that rule.
    let head = branch(repo.path(), "req", &old_base, &[(PATH, &request("alice"))], "alice");
    let access = repo.path().join("policies/access.toml");
    let text = std::fs::read_to_string(&access).unwrap();
    let tightened = text.replacen(
        "principals = [\"@acme/platform-oncall\", \"idc-group:SRE\"]",
        "principals = [\"@acme/platform-oncall\"]",
        1,
    );
    assert_ne!(text, tightened);
    std::fs::write(&access, tightened).unwrap();
    git(
        repo.path(),
        &["commit", "-q", "-am", "only on-call may request prod admin"],
        "admin",
    );
    let new_base = git(repo.path(), &["rev-parse", "HEAD"], "admin");
    let reviews = json!([review(1, "dan", &head), review(2, "heidi", &head)]);

    let (code, out, _) = run_pr(
        repo.path(),
        &snapshot("alice", &old_base, &head, added(PATH), reviews.clone()),
        &["--format", "json"],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = run_pr(
        repo.path(),
        &snapshot("alice", &new_base, &head, added(PATH), reviews),
        &["--format", "json"],
    );
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"], "invalid");
    assert_eq!(
        v["requests"][0]["reasons"][0]["code"], "requester-not-eligible",
        "{out}"
    );
}

#[test]
fn a_path_used_earlier_in_history_is_refused_and_a_shallow_clone_fails_closed() {
    let (repo, base) = base_repo();
    // the path existed once: added, then deleted on main
    let target = repo.path().join(PATH);
    std::fs::write(&target, request("alice")).unwrap();
    git(repo.path(), &["add", "-A"], "admin");
    git(repo.path(), &["commit", "-q", "-m", "old request"], "admin");
    std::fs::remove_file(&target).unwrap();
    git(repo.path(), &["commit", "-q", "-am", "expired"], "admin");
    let new_base = git(repo.path(), &["rev-parse", "HEAD"], "admin");
    let head = branch(repo.path(), "req", &new_base, &[(PATH, &request("alice"))], "alice");
    let reviews = json!([review(1, "dan", &head), review(2, "heidi", &head)]);
    let (code, out, _) = run_pr(
        repo.path(),
        &snapshot("alice", &new_base, &head, added(PATH), reviews.clone()),
        &["--format", "json"],
    );
    assert_eq!(code, 1);
    assert!(out.contains("request-path-reused"), "{out}");

    // a fresh id on the original base is fine
    let fresh = "requests/payments-prod/AdministratorAccess/inc-9001.toml";
    let head2 = branch(repo.path(), "req2", &base, &[(fresh, &request("alice"))], "alice");
    let reviews2 = json!([review(1, "dan", &head2), review(2, "heidi", &head2)]);
    let (code, out, _) = run_pr(
        repo.path(),
        &snapshot("alice", &base, &head2, added(fresh), reviews2.clone()),
        &[],
    );
    assert_eq!(code, 0, "{out}");

    // a shallow clone fetches the history it needs from origin (DESIGN 11): the same answer
    let fresh3 = "requests/payments-prod/AdministratorAccess/inc-9002.toml";
    let head3 = branch(repo.path(), "req3", &new_base, &[(fresh3, &request("alice"))], "alice");
    let reviews3 = json!([review(1, "dan", &head3), review(2, "heidi", &head3)]);
    let snap3 = snapshot("alice", &new_base, &head3, added(fresh3), reviews3);
    let (code, out, _) = run_pr(repo.path(), &snap3, &[]);
    assert_eq!(code, 0, "with full history the new path is fine: {out}");
    let shallow = tempfile::tempdir().unwrap();
    let clone = crate::support::shallow_clone(repo.path(), shallow.path(), &["req3"]);
    let (code, out, err) = run_pr(&clone, &snap3, &["--format", "json"]);
    assert_eq!(code, 0, "deepened from origin: {out}{err}");

    // a shallow clone that cannot fetch (origin gone) cannot prove the path is new: not approved
    let cut = crate::support::shallow_clone(repo.path(), shallow.path(), &["req3"]);
    git(
        &cut,
        &["remote", "set-url", "origin", "file:///nonexistent/origin"],
        "admin",
    );
    let (code, out, err) = run_pr(&cut, &snap3, &["--format", "json"]);
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"], "invalid");
    assert_eq!(
        v["requests"][0]["reasons"][0]["code"], "changed-files-unavailable",
        "{out}"
    );
    assert!(
        out.contains("nonexistent/origin"),
        "the fetch's own error is shown: {out}"
    );
}

/// How many commits of `rev`'s history the clone has.
fn commits_in(clone: &Path, rev: &str) -> usize {
    git(clone, &["rev-list", "--count", rev], "admin").parse().unwrap()
}

/// Issue 10 item 4: the gate on the workflow's depth-1 checkout (base tip, PR head, ledger
/// tip). The PR branched 42 commits before the base, so its merge base is fetched; the
/// ledger's marker is behind the base, and between them a path was used and deleted (the
/// reuse a stale index would miss); a marker ahead of an older base is reached too. Only
/// the history asked for is fetched: the clone stays shallow.
#[test]
fn the_gate_decides_from_a_depth_1_checkout_fetching_only_what_it_needs() {
    let (repo, _) = base_repo();
    let dir = repo.path();
    for i in 0..200 {
        git(
            dir,
            &["commit", "-q", "--allow-empty", "-m", &format!("earlier {i}")],
            "admin",
        );
    }
    let a = git(dir, &["rev-parse", "HEAD"], "admin");
    crate::support::ledger_index(dir);
    let fresh = "requests/payments-prod/AdministratorAccess/inc-9004.toml";
    let new = branch(dir, "new", &a, &[(fresh, &request("alice"))], "alice");
    // after the marker: PATH used and deleted, then 40 more commits on main
    std::fs::create_dir_all(dir.join(PATH).parent().unwrap()).unwrap();
    std::fs::write(dir.join(PATH), request("alice")).unwrap();
    git(dir, &["add", "-A"], "admin");
    git(dir, &["commit", "-q", "-m", "a request"], "admin");
    git(dir, &["rm", "-q", PATH], "admin");
    git(dir, &["commit", "-q", "-m", "revoked"], "admin");
    for i in 0..40 {
        git(
            dir,
            &["commit", "-q", "--allow-empty", "-m", &format!("later {i}")],
            "admin",
        );
    }
    let b = git(dir, &["rev-parse", "HEAD"], "admin");
    let reused = branch(dir, "reuse", &b, &[(PATH, &request("alice"))], "alice");
    let decide = |clone: &Path, base: &str, head: &str, path: &str| {
        let reviews = json!([review(1, "dan", head), review(2, "heidi", head)]);
        let (code, out, err) = run_pr(
            clone,
            &snapshot("alice", base, head, added(path), reviews),
            &["--format", "json", "--ledger"],
        );
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
        (code, v)
    };
    let tmp = tempfile::tempdir().unwrap();
    let clone = crate::support::shallow_clone(dir, tmp.path(), &["new", "reuse"]);
    assert_eq!(commits_in(&clone, "HEAD"), 1);
    let (code, v) = decide(&clone, &b, &new, fresh);
    assert_eq!((code, v["decision"].as_str()), (0, Some("approved")), "{v:#}");
    let (code, v) = decide(&clone, &b, &reused, PATH);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["requests"][0]["reasons"][0]["code"], "request-path-reused", "{v:#}");
    assert!(git(&clone, &["rev-parse", "--is-shallow-repository"], "admin") == "true");
    let total = commits_in(dir, "main");
    assert!(
        commits_in(&clone, "HEAD") < total,
        "deepened by 64, not the whole {total}"
    );

    // the marker ahead of the PR's (older) base: the reconciler indexed main since
    crate::support::ledger_index(dir);
    let older = git(dir, &["rev-parse", "HEAD~20"], "admin");
    let late = branch(dir, "late", &older, &[(PATH, &request("alice"))], "alice");
    let clone = crate::support::shallow_clone(dir, tmp.path(), &["late", "new"]);
    let (code, v) = decide(&clone, &older, &late, PATH);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["requests"][0]["reasons"][0]["code"], "request-path-reused", "{v:#}");
    let (code, v) = decide(&clone, &older, &new, fresh);
    assert_eq!((code, v["decision"].as_str()), (0, Some("approved")), "{v:#}");
    assert!(git(&clone, &["rev-parse", "--is-shallow-repository"], "admin") == "true");
}

/// The request paths and policy paths of a PR's decision, and each one's first reason code.
fn first_reasons(out: &str) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(out).unwrap();
    v["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["reasons"][0]["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_git_diff_is_the_list_of_changed_files_and_root_codeowners_is_policy() {
    let (repo, base) = base_repo();
    // the commits add a request and a root CODEOWNERS naming other approvers; the snapshot
    // (stale, truncated or edited) lists only the request
    let takeover = "/requests/ @mallory\n";
    let head = branch(
        repo.path(),
        "req",
        &base,
        &[(PATH, &request("alice")), ("CODEOWNERS", takeover)],
        "alice",
    );
    let reviews = json!([review(1, "dan", &head), review(2, "heidi", &head)]);
    let (code, out, err) = run_pr(
        repo.path(),
        &snapshot("alice", &base, &head, added(PATH), reviews.clone()),
        &["--format", "json"],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        first_reasons(&out),
        [
            ("CODEOWNERS".to_string(), "changed-files-disagree".to_string()),
            (PATH.to_string(), "changed-files-disagree".to_string())
        ],
        "{out}"
    );
    assert!(
        out.contains("the git diff adds `CODEOWNERS`, GitHub's list does not"),
        "{out}"
    );
    // listed in full, the root CODEOWNERS is a policy change, which a request PR cannot carry
    let both = json!([added(PATH)[0], {"filename": "CODEOWNERS", "status": "added", "additions": 1, "deletions": 0}]);
    let (code, out, _) = run_pr(
        repo.path(),
        &snapshot("alice", &base, &head, both, reviews),
        &["--format", "json"],
    );
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        first_reasons(&out),
        [(PATH.to_string(), "mixed-change".to_string())],
        "{out}"
    );
    // so is `action.yaml`
    let fresh = "requests/payments-prod/AdministratorAccess/inc-9001.toml";
    let head2 = branch(
        repo.path(),
        "req2",
        &base,
        &[(fresh, &request("alice")), ("action.yaml", "name: not gitgrant\n")],
        "alice",
    );
    let files = json!([added(fresh)[0], {"filename": "action.yaml", "status": "added"}]);
    let reviews2 = json!([review(1, "dan", &head2), review(2, "heidi", &head2)]);
    let (code, out, _) = run_pr(
        repo.path(),
        &snapshot("alice", &base, &head2, files, reviews2),
        &["--format", "json"],
    );
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        first_reasons(&out),
        [(fresh.to_string(), "mixed-change".to_string())],
        "{out}"
    );
}

#[test]
fn codeowners_is_read_where_github_reads_it() {
    let (repo, _) = base_repo();
    // the base keeps its CODEOWNERS in docs/ only: GitHub uses it, and so does the gate
    std::fs::create_dir_all(repo.path().join("docs")).unwrap();
    git(repo.path(), &["mv", ".github/CODEOWNERS", "docs/CODEOWNERS"], "admin");
    git(repo.path(), &["commit", "-q", "-m", "CODEOWNERS in docs/"], "admin");
    let base = git(repo.path(), &["rev-parse", "HEAD"], "admin");
    let out = bin()
        .args(["check", "--repo", repo.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let head = branch(repo.path(), "req", &base, &[(PATH, &request("alice"))], "alice");
    let reviews = json!([review(1, "dan", &head), review(2, "heidi", &head)]);
    let (code, out, err) = run_pr(
        repo.path(),
        &snapshot("alice", &base, &head, added(PATH), reviews),
        &["--format", "json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    // a root CODEOWNERS takes precedence over docs/: now mallory owns the requests
    std::fs::write(repo.path().join("CODEOWNERS"), "/requests/ @mallory\n").unwrap();
    git(repo.path(), &["add", "CODEOWNERS"], "admin");
    git(repo.path(), &["commit", "-q", "-m", "root CODEOWNERS"], "admin");
    let base2 = git(repo.path(), &["rev-parse", "HEAD"], "admin");
    let fresh = "requests/payments-prod/AdministratorAccess/inc-9001.toml";
    let head2 = branch(repo.path(), "req2", &base2, &[(fresh, &request("alice"))], "alice");
    let reviews2 = json!([review(1, "dan", &head2), review(2, "heidi", &head2)]);
    let (code, out, _) = run_pr(
        repo.path(),
        &snapshot("alice", &base2, &head2, added(fresh), reviews2),
        &["--format", "json"],
    );
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["requests"][0]["can_approve"], json!(["mallory"]), "{out}");
}

#[test]
fn deletion_only_pr_is_approved_at_once() {
    let (repo, base) = base_repo();
    let existing = "requests/payments-prod/AdministratorAccess/inc-4821-rollback.toml";
    git(repo.path(), &["checkout", "-q", "-b", "revoke"], "bob");
    git(repo.path(), &["rm", "-q", existing], "bob");
    git(repo.path(), &["commit", "-q", "-m", "revoke"], "bob");
    let head = git(repo.path(), &["rev-parse", "HEAD"], "bob");
    let files = json!([{"filename": existing, "status": "removed", "additions": 0, "deletions": 8, "changes": 8}]);
    let (code, out, _) = run_pr(
        repo.path(),
        &snapshot("bob", &base, &head, files, json!([])),
        &["--format", "json"],
    );
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["removed"], json!([existing]));
}

#[test]
fn operational_failures_exit_2() {
    let (repo, base) = base_repo();
    // the head commit is not in the repository
    let missing = "9999999999999999999999999999999999999999";
    let (code, _, err) = run_pr(
        repo.path(),
        &snapshot("alice", &base, missing, added(PATH), json!([])),
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("is not in the repository"), "{err}");
    // a snapshot without the pull request's head
    let mut bad = snapshot("alice", &base, &base, added(PATH), json!([]));
    bad["pull_request"]["head"] = Value::Null;
    let (code, _, err) = run_pr(repo.path(), &bad, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("pull_request/head/sha"), "{err}");
    // not JSON at all
    let file = repo.path().join(".git/gitgrant-test-broken.json");
    std::fs::write(&file, "{ not json").unwrap();
    let out = bin()
        .args([
            "pr",
            "--repo",
            repo.path().to_str().unwrap(),
            "--snapshot",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // outside Actions, without a snapshot
    let out = bin()
        .args(["pr", "--repo", repo.path().to_str().unwrap()])
        .env_remove("GITHUB_EVENT_NAME")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GITHUB_EVENT_NAME"));
}

#[test]
fn the_comment_is_markdown_for_a_reviewer_and_stays_under_the_limit() {
    let (repo, base) = base_repo();
    // a 1 MiB review body and 3,000 unrelated files must not break the comment
    let pages: Vec<(String, String)> = (0..3000)
        .map(|i| (format!("docs/page-{i}.md"), format!("page {i}\n")))
        .collect();
    let mut contents: Vec<(&str, &str)> = vec![(PATH, &*Box::leak(request("alice").into_boxed_str()))];
    contents.extend(pages.iter().map(|(p, c)| (p.as_str(), c.as_str())));
    let head = branch(repo.path(), "req", &base, &contents, "alice");
    let mut snap = snapshot("alice", &base, &head, added(PATH), json!([review(1, "dan", &head)]));
    snap["reviews"][0]["body"] = Value::String("x".repeat(1 << 20));
    let mut files = vec![added(PATH)[0].clone()];
    for (p, _) in &pages {
        files.push(json!({"filename": p, "status": "added"}));
    }
    snap["files"] = Value::Array(files);
    let (code, out, _) = run_pr(repo.path(), &snap, &["--format", "markdown"]);
    assert_eq!(code, 1);
    // the hidden marker comes first: it is how the comment is found and updated in place
    assert!(out.starts_with("<!-- gitgrant:pr-gate -->"));
    assert!(out.chars().count() < 65_536);
    insta::assert_snapshot!("pr-comment--pending-one-of-two", out);
}

#[test]
fn project_scenarios_pass() {
    let out = bin()
        .args(["test", "--repo", env!("CARGO_MANIFEST_DIR")])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("37 passed, 0 failed"), "{stdout}");
}

pub(crate) fn webhook_examples() -> Value {
    let path = std::env::var("GITGRANT_WEBHOOK_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(".tools/webhooks/node_modules/@octokit/webhooks-examples/api.github.com/index.json")
        });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; scripts/test.sh installs @octokit/webhooks-examples",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

pub(crate) fn examples(all: &Value, name: &str) -> Vec<Value> {
    all.as_array().unwrap().iter().find(|e| e["name"] == name).unwrap()["examples"]
        .as_array()
        .unwrap()
        .clone()
}

/// DESIGN 10.1: the default branch's name comes from the event payload.
#[test]
fn the_default_branch_comes_from_real_event_payloads() {
    use gitgrant::adapters::actions::default_branch_from_payload;
    let all = webhook_examples();
    let mut seen = 0;
    for name in ["push", "workflow_dispatch", "pull_request"] {
        for p in examples(&all, name) {
            assert_eq!(
                default_branch_from_payload(&p).as_deref(),
                p["repository"]["default_branch"].as_str(),
                "{name}"
            );
            seen += 1;
        }
    }
    assert!(seen > 10);
    for bad in [
        json!({"schedule": "*/5 * * * *"}),
        json!({"repository": {"default_branch": ""}}),
        json!({"repository": {"default_branch": "refs/tags/main"}}),
        json!({"repository": {"default_branch": "-main"}}),
        json!({"repository": {"default_branch": "ma\nin"}}),
    ] {
        assert_eq!(default_branch_from_payload(&bad), None, "{bad}");
    }
}

/// DESIGN 10.2 on GitHub's real shapes: every `pull_request` payload's PR object gives the
/// gate its base branch and the repository's default branch.
#[test]
fn real_pull_request_objects_carry_the_base_and_default_branch() {
    use gitgrant::core::gate::facts::PrFacts;
    use gitgrant::core::gate::snapshot::Snapshot;
    let prs = examples(&webhook_examples(), "pull_request");
    for p in &prs {
        let snap = Snapshot {
            pull_request: p["pull_request"].clone(),
            ..Snapshot::default()
        };
        let facts = PrFacts::from_snapshot(&snap).unwrap();
        assert_eq!(facts.base_ref, p["pull_request"]["base"]["ref"].as_str().unwrap());
        assert_eq!(
            facts.default_branch.as_deref(),
            p["pull_request"]["base"]["repo"]["default_branch"].as_str()
        );
    }
    // a PR object without `base.ref` is an error naming the field, never a guess
    let mut bare = prs[0]["pull_request"].clone();
    bare["base"].as_object_mut().unwrap().remove("ref");
    let e = PrFacts::from_snapshot(&Snapshot {
        pull_request: bare,
        ..Snapshot::default()
    })
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "snapshot field `pull_request/base/ref` is missing or not a string"
    );
}

#[test]
fn events_from_real_webhook_payloads_name_the_pull_request() {
    use gitgrant::adapters::actions::pr_from_event;
    let all = webhook_examples();
    let prs = examples(&all, "pull_request");
    assert!(prs.len() > 5);
    for p in &prs {
        for name in ["pull_request", "pull_request_target"] {
            let r = pr_from_event(name, p, None, None).unwrap();
            assert_eq!(r.number, p["pull_request"]["number"].as_u64().unwrap());
            assert_eq!(
                format!("{}/{}", r.owner, r.repo),
                p["repository"]["full_name"].as_str().unwrap()
            );
        }
    }
    // there is no approved example: derive one from a submitted review
    let submitted = examples(&all, "pull_request_review")
        .into_iter()
        .find(|e| e["action"] == "submitted")
        .unwrap();
    let mut approved = submitted.clone();
    approved["review"]["state"] = json!("approved");
    let r = pr_from_event("pull_request_review", &approved, Some("acme/access"), None).unwrap();
    assert_eq!(r.number, submitted["pull_request"]["number"].as_u64().unwrap());
    assert_eq!((r.owner.as_str(), r.repo.as_str()), ("acme", "access"));
    // comments: on a PR they name it; on a plain issue they are refused
    for c in examples(&all, "issue_comment") {
        let r = pr_from_event("issue_comment", &c, None, None);
        if c["issue"].get("pull_request").is_some() {
            assert_eq!(r.unwrap().number, c["issue"]["number"].as_u64().unwrap());
        } else {
            assert!(r.unwrap_err().to_string().contains("not a pull request"));
        }
    }
    // workflow_run: the PR list, else the override, else a clear error
    for w in examples(&all, "workflow_run") {
        match w["workflow_run"]["pull_requests"].as_array().and_then(|a| a.first()) {
            Some(pr) => assert_eq!(
                pr_from_event("workflow_run", &w, None, None).unwrap().number,
                pr["number"].as_u64().unwrap()
            ),
            None => {
                assert!(
                    pr_from_event("workflow_run", &w, None, None)
                        .unwrap_err()
                        .to_string()
                        .contains("workflow_run.pull_requests.0.number")
                );
                assert_eq!(pr_from_event("workflow_run", &w, None, Some("42")).unwrap().number, 42);
            }
        }
    }
    // malformed: a push event, a payload without a PR, a bad override
    let push = examples(&all, "push")[0].clone();
    assert!(
        pr_from_event("push", &push, None, None)
            .unwrap_err()
            .to_string()
            .contains("does not concern a pull request")
    );
    assert!(pr_from_event("pull_request", &json!({}), Some("a/b"), None).is_err());
    assert!(pr_from_event("pull_request", &prs[0], None, Some("x")).is_err());
    assert!(pr_from_event("pull_request", &prs[0], Some("no-slash"), None).is_err());
}

fn ledger_events(repo: &Path) -> Vec<Value> {
    let g = gitgrant::adapters::git::Git::open(repo).unwrap();
    g.read_ledger()
        .unwrap()
        .events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect()
}

#[test]
fn the_pr_side_of_the_ledger_is_recorded_once_and_revocations_need_authority() {
    let (repo, base) = base_repo();
    let head = branch(repo.path(), "req", &base, &[(PATH, &request("alice"))], "alice");
    let mut snap = snapshot(
        "alice",
        &base,
        &head,
        added(PATH),
        json!([review(1, "dan", &head), review(2, "heidi", &head)]),
    );
    let (code, _, err) = run_pr(repo.path(), &snap, &["--ledger"]);
    assert_eq!(code, 0, "{err}");
    let kinds = |events: &[Value]| {
        events
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(&ledger_events(repo.path())),
        vec!["requested", "approved", "approved"]
    );
    assert_eq!(
        ledger_events(repo.path())[1]["reason"],
        "Checked the incident; approved."
    );
    // a second run of the same facts adds nothing
    run_pr(repo.path(), &snap, &["--ledger"]);
    assert_eq!(ledger_events(repo.path()).len(), 3);
    // merged: the snapshot is kept as evidence
    snap["pull_request"]["state"] = json!("closed");
    snap["pull_request"]["merged"] = json!(true);
    snap["pull_request"]["merged_at"] = json!("2026-11-22T11:50:00Z");
    snap["pull_request"]["merge_commit_sha"] = json!(head);
    git(repo.path(), &["merge", "-q", "--ff-only", &head], "admin");
    run_pr(repo.path(), &snap, &["--ledger"]);
    let events = ledger_events(repo.path());
    assert_eq!(kinds(&events), vec!["requested", "approved", "approved", "merged"]);
    assert_eq!(events[3]["paths"], json!([PATH]));
    assert_eq!(events[3]["evidence"]["pull_request"]["number"], 7);
    // the ledger's history says what happened to the PR
    let log = git(repo.path(), &["log", "--format=%s", "gitgrant-ledger"], "admin");
    let subjects: Vec<&str> = log.lines().collect();
    assert!(
        subjects[0].starts_with("gitgrant: PR #7 merged (approved) (1 event(s))"),
        "{log}"
    );
    assert!(
        subjects[1].starts_with("gitgrant: PR #7 approved (3 event(s))"),
        "{log}"
    );

    // `/revoke` by someone who is neither requester, code owner nor admin: refused
    let payload = |login: &str| {
        json!({"action": "created", "issue": {"number": 7, "pull_request": {}},
        "comment": {"id": 1, "body": "/revoke done early", "user": {"login": login}, "created_at": "2026-11-22T12:30:00Z"},
        "repository": {"full_name": "acme/access"}})
    };
    let event_file = repo.path().join(".git/gitgrant-test-event.json");
    std::fs::write(&event_file, payload("mallory").to_string()).unwrap();
    let file = repo.path().join(".git/gitgrant-test-snapshot.json");
    std::fs::write(&file, serde_json::to_string(&snap).unwrap()).unwrap();
    let run = |who: &str| {
        std::fs::write(&event_file, payload(who).to_string()).unwrap();
        bin()
            .args([
                "pr",
                "--repo",
                repo.path().to_str().unwrap(),
                "--snapshot",
                file.to_str().unwrap(),
                "--at",
                AT,
                "--ledger",
            ])
            .env("GITHUB_EVENT_NAME", "issue_comment")
            .env("GITHUB_EVENT_PATH", &event_file)
            .output()
            .unwrap()
    };
    let out = run("mallory");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("may not revoke"));
    assert!(!kinds(&ledger_events(repo.path())).contains(&"revoked".to_string()));
    // the requester may
    let out = run("alice");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let events = ledger_events(repo.path());
    let revoked = events.iter().find(|e| e["kind"] == "revoked").unwrap();
    assert_eq!(
        (revoked["request"].as_str(), revoked["actor"].as_str()),
        (Some(PATH), Some("alice"))
    );
    assert_eq!(revoked["reason"], "/revoke comment: done early");
}

/// DESIGN 10.9 through the gate and real git: a request file name and a review note with a
/// newline and a fake trailer line do not forge lines in the ledger's commit message.
#[test]
fn user_text_cannot_forge_lines_in_the_ledger_commit_message() {
    let (repo, base) = base_repo();
    let evil = "requests/payments-prod/AdministratorAccess/x\nSigned-off-by: Admin <admin@acme.example>.toml";
    let head = branch(
        repo.path(),
        "req",
        &base,
        &[(PATH, &request("alice")), (evil, &request("alice"))],
        "alice",
    );
    let mut note = review(1, "dan", &head);
    note["body"] = json!("Approved.\n\nReviewed-by: heidi <heidi@acme.example>\r\n- merged requests/other.toml");
    let files = json!([
        {"sha": "0000000000000000000000000000000000000000", "filename": PATH, "status": "added", "additions": 6, "deletions": 0, "changes": 6},
        {"sha": "0000000000000000000000000000000000000000", "filename": evil, "status": "added", "additions": 6, "deletions": 0, "changes": 6}
    ]);
    let snap = snapshot("alice", &base, &head, files, json!([note]));
    let (_, _, err) = run_pr(repo.path(), &snap, &["--ledger"]);
    let events = ledger_events(repo.path());
    // the events keep what GitHub said, whole
    assert!(events.iter().any(|e| e["request"] == evil), "{err}");
    let message = git(repo.path(), &["log", "-1", "--format=%B", "gitgrant-ledger"], "admin");
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 2 + events.len(), "one line per event:\n{message}");
    assert!(lines[0].starts_with("gitgrant: PR #7 "), "{message}");
    assert!(lines[2..].iter().all(|l| l.starts_with("- ")), "{message}");
    assert!(!message.contains('\r'));
    // git finds no trailer in it
    let trailers = git(
        repo.path(),
        &["log", "-1", "--format=%(trailers)", "gitgrant-ledger"],
        "admin",
    );
    assert_eq!(trailers, "", "{message}");
}

/// Runs `gitgrant pr --ledger` for an `issue_comment` event by `login` with `body`.
fn comment_run(repo: &Path, snap: &Value, login: &str, action: &str) -> std::process::Output {
    comment_run_saying(repo, snap, login, action, "/revoke")
}

/// As [`comment_run`], the comment saying `body`.
fn comment_run_saying(repo: &Path, snap: &Value, login: &str, action: &str, body: &str) -> std::process::Output {
    let number = snap["pull_request"]["number"].clone();
    let payload = json!({"action": action, "issue": {"number": number, "pull_request": {}},
        "comment": {"id": 9, "body": body, "user": {"login": login}, "created_at": "2026-11-22T12:30:00Z",
                    "updated_at": "2026-11-22T12:40:00Z"},
        "repository": {"full_name": "acme/access"}});
    let event_file = repo.join(".git/gitgrant-test-event.json");
    std::fs::write(&event_file, payload.to_string()).unwrap();
    let file = repo.join(".git/gitgrant-test-snapshot.json");
    std::fs::write(&file, serde_json::to_string(snap).unwrap()).unwrap();
    bin()
        .args([
            "pr",
            "--repo",
            repo.to_str().unwrap(),
            "--snapshot",
            file.to_str().unwrap(),
            "--at",
            AT,
            "--ledger",
        ])
        .env("GITHUB_EVENT_NAME", "issue_comment")
        .env("GITHUB_EVENT_PATH", &event_file)
        .output()
        .unwrap()
}

#[test]
fn revoke_authority_comes_from_the_merged_request_and_edited_comments_are_ignored() {
    let (repo, base) = base_repo();
    // alice's request is merged to main
    let head = branch(repo.path(), "req", &base, &[(PATH, &request("alice"))], "alice");
    git(repo.path(), &["merge", "-q", "--ff-only", &head], "admin");
    // mallory opens another PR whose head lists alice's path with herself as requester
    let main = git(repo.path(), &["rev-parse", "main"], "admin");
    let evil = branch(repo.path(), "evil", &base, &[(PATH, &request("mallory"))], "mallory");
    let mut snap = snapshot("mallory", &main, &evil, added(PATH), json!([]));
    snap["pull_request"]["number"] = json!(8);
    let out = comment_run(repo.path(), &snap, "mallory", "created");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("may not revoke"));
    assert!(!ledger_events(repo.path()).iter().any(|e| e["kind"] == "revoked"));
    // alice, the requester of the merged file, may revoke it from any PR that lists it,
    // but an edited comment counts for nobody
    let out = comment_run(repo.path(), &snap, "alice", "edited");
    assert!(
        !ledger_events(repo.path()).iter().any(|e| e["kind"] == "revoked"),
        "{out:?}"
    );
    comment_run(repo.path(), &snap, "alice", "created");
    let events = ledger_events(repo.path());
    let revoked: Vec<&Value> = events.iter().filter(|e| e["kind"] == "revoked").collect();
    assert_eq!(revoked.len(), 1);
    assert_eq!(
        (revoked[0]["request"].as_str(), revoked[0]["actor"].as_str()),
        (Some(PATH), Some("alice"))
    );
}

#[test]
fn a_merged_deleting_pr_writes_a_revoked_event_per_deleted_file() {
    let (repo, base) = base_repo();
    let existing = "requests/payments-prod/AdministratorAccess/inc-4821-rollback.toml";
    let blob = git(repo.path(), &["rev-parse", &format!("HEAD:{existing}")], "admin");
    git(repo.path(), &["checkout", "-q", "-b", "revoke"], "bob");
    git(repo.path(), &["rm", "-q", existing], "bob");
    git(repo.path(), &["commit", "-q", "-m", "revoke"], "bob");
    let head = git(repo.path(), &["rev-parse", "HEAD"], "bob");
    let files =
        json!([{"sha": blob, "filename": existing, "status": "removed", "additions": 0, "deletions": 8, "changes": 8}]);
    let mut snap = snapshot("bob", &base, &head, files, json!([]));
    // open: nothing is revoked yet
    run_pr(repo.path(), &snap, &["--ledger"]);
    assert!(!ledger_events(repo.path()).iter().any(|e| e["kind"] == "revoked"));
    snap["pull_request"]["state"] = json!("closed");
    snap["pull_request"]["merged"] = json!(true);
    snap["pull_request"]["merged_at"] = json!("2026-11-22T11:50:00Z");
    snap["pull_request"]["merge_commit_sha"] = json!(head);
    snap["pull_request"]["merged_by"] = user("carol");
    let (code, _, err) = run_pr(repo.path(), &snap, &["--ledger"]);
    assert_eq!(code, 0, "{err}");
    run_pr(repo.path(), &snap, &["--ledger"]);
    let events = ledger_events(repo.path());
    let revoked: Vec<&Value> = events.iter().filter(|e| e["kind"] == "revoked").collect();
    assert_eq!(revoked.len(), 1, "recorded once: {events:#?}");
    let r = revoked[0];
    assert_eq!(r["request"], existing);
    assert_eq!(r["blob"], blob.as_str());
    assert_eq!(r["actor"], "carol");
    assert_eq!(r["pr"], 7);
    assert_eq!(r["at"], "2026-11-22T11:50:00Z");
}

#[test]
fn pushes_from_real_webhook_payloads_name_the_sender() {
    use gitgrant::adapters::actions::push_from_payload;
    let all = webhook_examples();
    let prs = examples(&all, "pull_request");
    let mut pushes = 0;
    for p in &prs {
        let action = p["action"].as_str().unwrap();
        for name in ["pull_request", "pull_request_target"] {
            let push = push_from_payload(name, p).unwrap();
            if matches!(action, "opened" | "synchronize" | "reopened") {
                let push = push.unwrap();
                assert_eq!(push.login, p["sender"]["login"].as_str().unwrap());
                assert_eq!(push.pr, p["pull_request"]["number"].as_u64().unwrap());
                assert_eq!(push.head_sha, p["pull_request"]["head"]["sha"].as_str().unwrap());
                assert!(push.at.is_some());
                pushes += 1;
            } else {
                assert!(push.is_none(), "{action}");
            }
        }
    }
    assert!(pushes >= 6, "{pushes}");
    let sync = prs.iter().find(|p| p["action"] == "synchronize").unwrap();
    assert!(push_from_payload("issue_comment", sync).unwrap().is_none());
    let mut no_sender = sync.clone();
    no_sender.as_object_mut().unwrap().remove("sender");
    let err = push_from_payload("pull_request_target", &no_sender)
        .unwrap_err()
        .to_string();
    assert!(err.contains("sender.login"), "{err}");
}

#[test]
fn a_pusher_github_authenticated_cannot_approve() {
    let (repo, base) = base_repo();
    // heidi pushes a commit to alice's PR, with alice's name on it: the metadata says alice
    let head = branch(repo.path(), "req", &base, &[(PATH, &request("alice"))], "alice");
    let reviews = json!([review(1, "dan", &head), review(2, "heidi", &head)]);
    let snap = snapshot("alice", &base, &head, added(PATH), reviews);
    let (code, _, _) = run_pr(repo.path(), &snap, &[]);
    assert_eq!(
        code, 0,
        "without the push event, the forged metadata lets heidi approve"
    );

    // GitHub's own synchronize payload, for this PR, head and pusher
    let all = webhook_examples();
    let mut event = examples(&all, "pull_request")
        .into_iter()
        .find(|e| e["action"] == "synchronize")
        .unwrap();
    event["pull_request"]["number"] = json!(7);
    event["pull_request"]["head"]["sha"] = json!(head);
    event["sender"]["login"] = json!("Heidi");
    let event_file = repo.path().join(".git/gitgrant-test-push.json");
    std::fs::write(&event_file, event.to_string()).unwrap();
    let snap_file = repo.path().join(".git/gitgrant-test-snapshot.json");
    std::fs::write(&snap_file, snap.to_string()).unwrap();
    let recorded = repo.path().join(".git/gitgrant-test-recorded.json");
    let out = bin()
        .args([
            "pr",
            "--repo",
            repo.path().to_str().unwrap(),
            "--snapshot",
            snap_file.to_str().unwrap(),
        ])
        .args([
            "--at",
            AT,
            "--ledger",
            "--format",
            "json",
            "--record",
            recorded.to_str().unwrap(),
        ])
        .env("GITHUB_EVENT_NAME", "pull_request_target")
        .env("GITHUB_EVENT_PATH", &event_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["decision"], "pending");
    let r = &v["requests"][0];
    assert_eq!(r["approved_by"], json!(["dan"]));
    assert_eq!(r["can_approve"], json!([]), "a pusher is not offered either");
    let codes: Vec<&str> = r["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["awaiting-approval", "pusher-cannot-approve"]);
    // the ledger holds the push; the recorded snapshot names the pusher
    let events = ledger_events(repo.path());
    let pushed: Vec<&Value> = events.iter().filter(|e| e["kind"] == "pushed").collect();
    assert_eq!(pushed.len(), 1, "{events:?}");
    assert_eq!(
        (
            pushed[0]["pr"].as_u64(),
            pushed[0]["actor"].as_str(),
            pushed[0]["head_sha"].as_str()
        ),
        (Some(7), Some("heidi"), Some(head.as_str()))
    );
    let rec: Value = serde_json::from_str(&std::fs::read_to_string(&recorded).unwrap()).unwrap();
    assert_eq!(rec["pushers"], json!(["heidi"]));
    // a later run on another event (a review) reads the pusher from the ledger
    let (code, out, _) = run_pr(repo.path(), &snap, &["--ledger", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("pusher-cannot-approve"), "{out}");
    assert_eq!(
        ledger_events(repo.path())
            .iter()
            .filter(|e| e["kind"] == "pushed")
            .count(),
        1
    );
    // an event about another PR than the snapshot's is refused
    event["pull_request"]["number"] = json!(8);
    std::fs::write(&event_file, event.to_string()).unwrap();
    let out = bin()
        .args([
            "pr",
            "--repo",
            repo.path().to_str().unwrap(),
            "--snapshot",
            snap_file.to_str().unwrap(),
        ])
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a push to PR #8 but the snapshot is of PR #7"));
}

/// DESIGN 11: `gitgrant ledger index` walks the history once into the ledger; the gate with
/// `--ledger` then reads "path never used" from the index, so a shallow checkout (no history
/// for `git log` to answer from) still refuses a used path and approves a new one; a
/// damaged index fails closed.
#[test]
fn the_gate_reads_path_reuse_from_the_ledger_index_in_a_shallow_clone() {
    let (repo, _) = base_repo();
    let target = repo.path().join(PATH);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(&target, request("alice")).unwrap();
    git(repo.path(), &["add", "-A"], "admin");
    git(repo.path(), &["commit", "-q", "-m", "old request"], "admin");
    std::fs::remove_file(&target).unwrap();
    git(repo.path(), &["commit", "-q", "-am", "expired"], "admin");
    git(repo.path(), &["commit", "-q", "--allow-empty", "-m", "later"], "admin");
    let base = git(repo.path(), &["rev-parse", "HEAD"], "admin");
    let out = bin()
        .args([
            "ledger",
            "index",
            "--repo",
            repo.path().to_str().unwrap(),
            "--ref",
            "refs/heads/main",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("indexed through {base}: ")), "{stdout}");
    assert!(
        stderr.contains("indexing the first-parent history") && stderr.contains("(the whole history)"),
        "{stderr}"
    );
    // again: already current, nothing written
    let out = bin()
        .args([
            "ledger",
            "index",
            "--repo",
            repo.path().to_str().unwrap(),
            "--ref",
            "refs/heads/main",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("already current"));

    let fresh = "requests/payments-prod/AdministratorAccess/inc-9003.toml";
    let reused = branch(repo.path(), "reuse", &base, &[(PATH, &request("alice"))], "alice");
    let new = branch(repo.path(), "new", &base, &[(fresh, &request("alice"))], "alice");
    // a shallow clone: the base and the heads, not the commits that used PATH
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("c");
    let url = format!("file://{}", repo.path().display());
    let out = Command::new("git")
        .args([
            "clone",
            "-q",
            "--depth",
            "2",
            "--no-single-branch",
            "--no-local",
            &url,
            clone.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let decide = |head: &str, path: &str| {
        let reviews = json!([review(1, "dan", head), review(2, "heidi", head)]);
        let (code, out, err) = run_pr(
            &clone,
            &snapshot("alice", &base, head, added(path), reviews),
            &["--format", "json", "--ledger"],
        );
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
        (code, v)
    };
    let (code, v) = decide(&new, fresh);
    assert_eq!((code, v["decision"].as_str()), (0, Some("approved")), "{v:#}");
    let (code, v) = decide(&reused, PATH);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["requests"][0]["reasons"][0]["code"], "request-path-reused", "{v:#}");

    // a damaged index (its marker is no commit of the default branch): fail closed
    let g = gitgrant::adapters::git::Git::open(repo.path()).unwrap();
    let bogus = gitgrant::core::index::IndexDelta {
        from: Some(base.clone()),
        through: "0".repeat(40),
        commits: vec![],
        verdicts: vec![],
    };
    g.append_ledger(&[gitgrant::core::index::event(bogus, AT.parse().unwrap())], "damaged")
        .unwrap();
    let (code, v) = decide(&new, fresh);
    assert_eq!(code, 1, "{v:#}");
    let reason = &v["requests"][0]["reasons"][0];
    assert_eq!(reason["code"], "history-unavailable", "{v:#}");
    assert!(
        reason["message"]
            .as_str()
            .unwrap()
            .contains("gitgrant ledger index --rebuild"),
        "{v:#}"
    );
}

/// Issue 9 attack: renaming a request file (GitHub lists it as `renamed`, with the old path
/// in `previous_filename`) removes the old path as surely as deleting it; the merged PR
/// writes `revoked` for the old path, so it cannot come back on its old approval.
#[test]
fn a_merged_renaming_pr_revokes_the_old_path() {
    let (repo, base) = base_repo();
    let old = "requests/payments-prod/AdministratorAccess/inc-4821-rollback.toml";
    let new = "requests/payments-prod/AdministratorAccess/inc-4822-rollback.toml";
    let blob = git(repo.path(), &["rev-parse", &format!("HEAD:{old}")], "admin");
    git(repo.path(), &["checkout", "-q", "-b", "rename"], "bob");
    git(repo.path(), &["mv", old, new], "bob");
    git(repo.path(), &["commit", "-q", "-m", "rename"], "bob");
    let head = git(repo.path(), &["rev-parse", "HEAD"], "bob");
    let files = json!([{"sha": blob, "filename": new, "previous_filename": old, "status": "renamed",
                        "additions": 0, "deletions": 0, "changes": 0}]);
    let mut snap = snapshot("bob", &base, &head, files, json!([]));
    snap["pull_request"]["state"] = json!("closed");
    snap["pull_request"]["merged"] = json!(true);
    snap["pull_request"]["merged_at"] = json!("2026-11-22T11:50:00Z");
    snap["pull_request"]["merge_commit_sha"] = json!(head);
    snap["pull_request"]["merged_by"] = user("carol");
    run_pr(repo.path(), &snap, &["--ledger"]);
    let events = ledger_events(repo.path());
    let revoked: Vec<&Value> = events.iter().filter(|e| e["kind"] == "revoked").collect();
    assert_eq!(revoked.len(), 1, "{events:#?}");
    assert_eq!(revoked[0]["request"], old);
    assert_eq!(revoked[0]["blob"], blob.as_str());
    assert_eq!(revoked[0]["actor"], "carol");
}

/// Issue 9 attack (DESIGN 10.5): mallory makes herself an owner of everything in the
/// CODEOWNERS of a side branch (anyone with write access can), opens a PR into it that
/// lists alice's merged request, and comments `/revoke`. Authority comes from the default
/// branch's CODEOWNERS, not from the base of the PR the comment is on: refused.
#[test]
fn revoke_authority_never_comes_from_a_side_branchs_codeowners() {
    let (repo, base) = base_repo();
    let head = branch(repo.path(), "req", &base, &[(PATH, &request("alice"))], "alice");
    git(repo.path(), &["merge", "-q", "--ff-only", &head], "admin");
    let co = std::fs::read_to_string(repo.path().join(".github/CODEOWNERS")).unwrap();
    let owned =
        format!("{co}\n*                                               @mallory\n/policies/access.toml @mallory\n");
    let evil = branch(repo.path(), "evil", &base, &[(".github/CODEOWNERS", &owned)], "mallory");
    let pr = branch(repo.path(), "evil-pr", &evil, &[(PATH, &request("mallory"))], "mallory");
    let mut snap = snapshot("mallory", &evil, &pr, added(PATH), json!([]));
    snap["pull_request"]["number"] = json!(8);
    snap["pull_request"]["base"]["ref"] = json!("evil");
    let out = comment_run(repo.path(), &snap, "mallory", "created");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("may not revoke"), "{err}");
    assert!(!ledger_events(repo.path()).iter().any(|e| e["kind"] == "revoked"));
    // a code owner on the default branch still may, from the same PR
    comment_run(repo.path(), &snap, "dan", "created");
    let events = ledger_events(repo.path());
    assert_eq!(
        events.iter().filter(|e| e["kind"] == "revoked").count(),
        1,
        "{events:#?}"
    );
}

#[test]
fn the_gate_announces_what_it_records_to_its_base_policys_targets_once() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = crate::support::post_receiver(&rt, "/hook", 200);
    let (dir, base) = base_repo_with(|root| {
        let p = root.join("policies/access.toml");
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str("\n[[notify]]\nid = \"audit-hook\"\nkind = \"webhook\"\nurl_env = \"GITGRANT_TEST_HOOK\"\nevents = [\"requested\", \"approved\"]\n");
        std::fs::write(&p, text).unwrap();
    });
    let head = branch(dir.path(), "req", &base, &[(PATH, &request("alice"))], "alice");
    let snap = snapshot(
        "alice",
        &base,
        &head,
        added(PATH),
        json!([
            review(1, "dan", &head),
            review(2, "heidi", &head),
            review(3, "mallory", &head)
        ]),
    );
    let hook = format!("{}/hook", server.uri());
    let run = || {
        run_pr_env(
            dir.path(),
            &snap,
            &["--ledger"],
            &[("GITGRANT_TEST_HOOK", hook.as_str())],
        )
    };
    let (code, _, err) = run();
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.matches("gitgrant: notified audit-hook: ").count(), 3, "{err}");
    let got: Vec<Value> = rt
        .block_on(server.received_requests())
        .unwrap()
        .iter()
        .map(|q| serde_json::from_slice(&q.body).unwrap())
        .collect();
    let events: Vec<&str> = got.iter().map(|b| b["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["requested", "approved", "approved"]);
    assert_eq!(got[1]["ledger_event"]["actor"], "dan");
    // mallory's approval is in the ledger but counts for nothing: not announced
    assert!(got.iter().all(|b| b["ledger_event"]["actor"] != "mallory"), "{got:#?}");
    // the same facts again: nothing new in the ledger, nothing sent again
    run();
    assert_eq!(rt.block_on(server.received_requests()).unwrap().len(), 3);
    let kinds: Vec<String> = ledger_events(dir.path())
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "notified").count(), 1, "{kinds:?}");
}

#[test]
fn the_gate_notes_a_session_that_can_outlive_the_window_unless_sessions_end_at_the_end() {
    let notes = |mode: Option<&str>| -> Value {
        let (dir, base) = base_repo_with(|root| {
            if let Some(mode) = mode {
                let p = root.join("policies/access.toml");
                let text = std::fs::read_to_string(&p).unwrap();
                std::fs::write(
                    &p,
                    text.replacen("[settings]\n", &format!("[settings]\nend_sessions = \"{mode}\"\n"), 1),
                )
                .unwrap();
            }
        });
        let (code, v) = decide_approved_by_two(dir.path(), &base);
        assert_eq!(code, 0, "{v:#}");
        v["requests"][0].get("notes").cloned().unwrap_or(Value::Null)
    };
    let n = notes(None);
    assert_eq!(n[0]["code"], "session-outlives-window", "{n:#}");
    assert!(
        n[0]["message"]
            .as_str()
            .unwrap()
            .contains("ends at 2026-11-22T15:00:00Z can last until 2026-11-22T16:00:00Z"),
        "the fixture's AdministratorAccess sessions last PT1H: {n:#}"
    );
    assert_eq!(notes(Some("never"))[0]["code"], "session-outlives-window");
    assert_eq!(notes(Some("at-end")), Value::Null, "sessions end with the window");
}

#[test]
fn the_management_account_is_granted_only_by_a_rule_that_allows_it() {
    let decide = |allow: bool| -> Value {
        let (dir, base) = base_repo_with(|root| {
            // payments-prod stands in for the management account
            let d = root.join("policies/directory.toml");
            let text = std::fs::read_to_string(&d).unwrap();
            let text = text.replacen(
                "identity_store_id = ",
                "management_account = \"111122223333\"\nidentity_store_id = ",
                1,
            );
            std::fs::write(&d, text).unwrap();
            if allow {
                let p = root.join("policies/access.toml");
                let text = std::fs::read_to_string(&p).unwrap();
                std::fs::write(
                    &p,
                    text.replace(
                        "[[eligibility]]\n",
                        "[[eligibility]]\nallow_management_account = true\n",
                    ),
                )
                .unwrap();
            }
        });
        decide_approved_by_two(dir.path(), &base).1
    };
    let refused = decide(false);
    assert_eq!(refused["decision"], "invalid", "{refused:#}");
    let reasons = refused["requests"][0]["reasons"].to_string();
    assert!(
        reasons.contains("is the organization's management account; rule(s) oncall-prod-admin cover it but none says `allow_management_account = true`"),
        "{reasons}"
    );
    let allowed = decide(true);
    assert_eq!(allowed["decision"], "approved", "{allowed:#}");
}

/// Alice's request on a branch from `base`, approved by dan and heidi: the gate's exit code
/// and JSON decision.
fn decide_approved_by_two(dir: &Path, base: &str) -> (i32, Value) {
    let head = branch(dir, "req", base, &[(PATH, &request("alice"))], "alice");
    let snap = snapshot(
        "alice",
        base,
        &head,
        added(PATH),
        json!([review(1, "dan", &head), review(2, "heidi", &head)]),
    );
    let (code, out, err) = run_pr(dir, &snap, &["--format", "json"]);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}")),
    )
}

/// Break-glass (issue 13 item 2) end to end through real git: an emergency request under an
/// emergency rule is approved without any review, its merge records when its review is due,
/// only a code owner who is not the requester reviews it (`/reviewed`), and until then
/// `status` lists it and, once due, `audit --verify` fails on it.
#[test]
fn break_glass_is_approved_without_review_and_only_a_code_owner_reviews_it_after() {
    let (dir, base) = break_glass_repo();
    let repo = dir.path();
    let emergency = break_glass_request();
    branch(repo, "req", &base, &[(PATH, &emergency)], "alice");
    // dated as the PR's facts are, so that the audit's history at those times holds it
    let head = redate(repo, "req", "2026-11-22T11:10:00Z");
    let mut snap = snapshot("alice", &base, &head, added(PATH), json!([]));
    let (code, out, err) = run_pr(repo, &snap, &["--ledger"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("[emergency] break-glass under emergency rule `break-glass-prod`: approved without review"),
        "{out}"
    );
    // the same file without `emergency = true` needs its two approvals as before
    let normal = branch(
        repo,
        "normal",
        &base,
        &[(PATH, &request("alice").replace("\"2h\"", "\"1h\""))],
        "alice",
    );
    let (code, out, _) = run_pr(repo, &snapshot("alice", &base, &normal, added(PATH), json!([])), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[awaiting-approval]"), "{out}");

    // merged: the record says when the review is due
    merge_at_head(repo, &mut snap, &head);
    let (code, _, err) = run_pr(repo, &snap, &["--ledger"]);
    assert_eq!(code, 0, "{err}");
    let merged = ledger_events(repo).into_iter().find(|e| e["kind"] == "merged").unwrap();
    assert_eq!(merged["records"][0]["emergency_review_due"], "2026-11-23T11:50:00Z");

    let audit = |at: &str, verify: bool| {
        let mut args = vec![
            "audit",
            "--repo",
            repo.to_str().unwrap(),
            "--at",
            at,
            "--format",
            "json",
        ];
        if verify {
            args.push("--verify");
        }
        let out = bin().args(&args).output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (
            out.status.code(),
            v["rows"][0].clone(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let status = |at: &str| {
        let out = bin()
            .args(["status", "--repo", repo.to_str().unwrap(), "--at", at])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(status("2026-11-22T12:10:00Z").contains("Break-glass awaiting review (1)"));
    let (code, row, err) = audit("2026-11-22T12:10:00Z", true);
    assert_eq!(
        (code, row["emergency"]["state"].as_str()),
        (Some(0), Some("awaiting")),
        "{err}{row:#}"
    );
    // a day later, unreviewed: overdue, a finding
    let late = "2026-11-23T12:00:00Z";
    assert!(
        status(late).contains("Break-glass review overdue (1)"),
        "{}",
        status(late)
    );
    let (code, row, _) = audit(late, true);
    assert_eq!(
        (code, row["emergency"]["state"].as_str()),
        (Some(1), Some("overdue")),
        "{row:#}"
    );
    let (code, _, _) = audit(late, false);
    assert_eq!(code, Some(0), "without --verify the audit lists, it does not judge");

    // the requester cannot review their own break-glass, nor can someone who owns nothing
    for (who, says) in [
        ("alice", "asked for, wrote or pushed"),
        ("mallory", "is not a code owner"),
    ] {
        let out = comment_run_saying(repo, &snap, who, "created", "/reviewed fine by me");
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{out:?}");
    }
    assert!(!ledger_events(repo).iter().any(|e| e["kind"] == "reviewed"));
    // a code owner of the path reviews it
    let out = comment_run_saying(
        repo,
        &snap,
        "dan",
        "created",
        "/reviewed checked CloudTrail: queue restarts only",
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let reviewed: Vec<Value> = ledger_events(repo)
        .into_iter()
        .filter(|e| e["kind"] == "reviewed")
        .collect();
    assert_eq!(reviewed.len(), 1);
    assert_eq!(
        (reviewed[0]["actor"].as_str(), reviewed[0]["reason"].as_str()),
        (Some("dan"), Some("checked CloudTrail: queue restarts only"))
    );
    let (code, row, err) = audit(late, true);
    assert_eq!(code, Some(0), "{err}{row:#}");
    assert_eq!(
        (
            row["emergency"]["state"].as_str(),
            row["emergency"]["reviewed_by"].as_str()
        ),
        (Some("reviewed"), Some("dan"))
    );
    assert!(!status(late).contains("Break-glass"));

    // `/reviewed` on a PR that granted nothing by break-glass is refused
    let mut other = snapshot("alice", &base, &normal, added(PATH), json!([]));
    other["pull_request"]["number"] = json!(8);
    let out = comment_run_saying(repo, &other, "dan", "created", "/reviewed");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has no break-glass grant to review"),
        "{out:?}"
    );
}

/// The fixture's repository with an emergency rule letting alice administer production for
/// an hour without review.
fn break_glass_repo() -> (tempfile::TempDir, String) {
    base_repo_with(|root| {
        let p = root.join("policies/access.toml");
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str("\n[[eligibility]]\nid = \"break-glass-prod\"\nprincipals = [\"alice\"]\nous = [\"Workloads/Prod\"]\npermission_sets = [\"AdministratorAccess\"]\nmax_duration = \"1h\"\nemergency = true\n");
        std::fs::write(&p, text).unwrap();
    })
}

/// Alice's one-hour break-glass request with its ticket.
fn break_glass_request() -> String {
    format!(
        "{}ticket = \"INC-5120\"\nemergency = true\n",
        request("alice").replace("\"2h\"", "\"1h\"")
    )
}

/// The PR of `snap` merged at 11:50 as `head`, fast-forwarded onto main.
fn merge_at_head(repo: &Path, snap: &mut Value, head: &str) {
    snap["pull_request"]["state"] = json!("closed");
    snap["pull_request"]["merged"] = json!(true);
    snap["pull_request"]["merged_at"] = json!("2026-11-22T11:50:00Z");
    snap["pull_request"]["merge_commit_sha"] = json!(head);
    git(repo, &["merge", "-q", "--ff-only", head], "admin");
}

/// Gives the tip commit of `branch` the author and committer date `at`; returns its new id
/// (`main` is checked out again).
fn redate(repo: &Path, branch: &str, at: &str) -> String {
    git(repo, &["checkout", "-q", branch], "alice");
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=alice",
            "-c",
            "user.email=alice@users.noreply.github.com",
        ])
        .args(["commit", "-q", "--amend", "--no-edit", "--date", at])
        .env("GIT_COMMITTER_DATE", at)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let sha = git(repo, &["rev-parse", "HEAD"], "alice");
    git(repo, &["checkout", "-q", "main"], "alice");
    sha
}

/// Who may review a break-glass grant comes from the default branch's CODEOWNERS: a side
/// branch that names someone else owner of everything, given as the PR's base, names nobody.
#[test]
fn break_glass_review_authority_never_comes_from_a_side_branchs_codeowners() {
    let (dir, base) = break_glass_repo();
    let repo = dir.path();
    let head = branch(repo, "req", &base, &[(PATH, &break_glass_request())], "alice");
    let mut snap = snapshot("alice", &base, &head, added(PATH), json!([]));
    merge_at_head(repo, &mut snap, &head);
    let (code, _, err) = run_pr(repo, &snap, &["--ledger"]);
    assert_eq!(code, 0, "{err}");
    let co = std::fs::read_to_string(repo.join(".github/CODEOWNERS")).unwrap();
    let owned = format!("{co}\n*                                               @mallory\n/requests/ @mallory\n");
    let evil = branch(repo, "evil", &base, &[(".github/CODEOWNERS", &owned)], "mallory");
    let mut forged = snap.clone();
    forged["pull_request"]["base"]["ref"] = json!("evil");
    forged["pull_request"]["base"]["sha"] = json!(evil);
    let out = comment_run_saying(repo, &forged, "mallory", "created", "/reviewed all fine");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not a code owner"),
        "{out:?}"
    );
    let reviewed = |repo: &Path| {
        ledger_events(repo)
            .into_iter()
            .filter(|e| e["kind"] == "reviewed")
            .collect::<Vec<Value>>()
    };
    assert!(reviewed(repo).is_empty());
    // a code owner on the default branch still may, from the same payload
    // (the run still fails: a PR into a side branch decides nothing)
    let out = comment_run_saying(repo, &forged, "dan", "created", "/reviewed checked");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("[base-not-default-branch]"),
        "{out:?}"
    );
    assert_eq!(reviewed(repo).len(), 1, "{out:?}");
    assert_eq!(reviewed(repo)[0]["actor"], "dan");
}

/// A code owner's approving review after the merge reviews a break-glass grant too, once;
/// an approval by someone who is no code owner does not.
#[test]
fn an_approving_review_after_the_merge_reviews_break_glass_once() {
    let (dir, base) = break_glass_repo();
    let repo = dir.path();
    let emergency = break_glass_request();
    let head = branch(repo, "req", &base, &[(PATH, &emergency)], "alice");
    let mut snap = snapshot("alice", &base, &head, added(PATH), json!([]));
    merge_at_head(repo, &mut snap, &head);
    let (code, _, err) = run_pr(repo, &snap, &["--ledger"]);
    assert_eq!(code, 0, "{err}");
    let mut after = review(11, "heidi", &head);
    after["submitted_at"] = json!("2026-11-22T14:00:00Z");
    after["body"] = json!("Looked at the session: fine.");
    snap["reviews"] = json!([review(12, "mallory", &head), after]);
    run_pr(repo, &snap, &["--ledger"]);
    run_pr(repo, &snap, &["--ledger"]);
    let reviewed: Vec<Value> = ledger_events(repo)
        .into_iter()
        .filter(|e| e["kind"] == "reviewed")
        .collect();
    assert_eq!(reviewed.len(), 1, "{reviewed:#?}");
    assert_eq!(
        (
            reviewed[0]["actor"].as_str(),
            reviewed[0]["review_id"].as_u64(),
            reviewed[0]["at"].as_str()
        ),
        (Some("heidi"), Some(11), Some("2026-11-22T14:00:00Z"))
    );
}
