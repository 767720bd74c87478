//! Shared helpers: building a repository from the fixture base plus an overlay.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The fixed "now" of fixture runs.
pub fn at() -> DateTime<Utc> {
    "2026-11-22T12:00:00Z".parse().unwrap()
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A temporary repository: the fixture base with a case's files laid over it.
pub fn repo_with_case(case: Option<&Path>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("base"), dir.path());
    if let Some(case) = case {
        copy_dir(case, dir.path());
        let delete = dir.path().join(".delete");
        if let Ok(list) = std::fs::read_to_string(&delete) {
            for line in list.lines().filter(|l| !l.is_empty()) {
                std::fs::remove_file(dir.path().join(line)).unwrap();
            }
            std::fs::remove_file(delete).unwrap();
        }
    }
    dir
}

pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_gitgrant"))
}

/// Runs git in `dir` as `who` (author and committer `who@users.noreply.github.com`), with
/// no user or system configuration; returns whether it succeeded and its trimmed stdout.
pub fn try_git(dir: &Path, args: &[&str], who: &str) -> (bool, String) {
    let email = format!("{who}@users.noreply.github.com");
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", who)
        .env("GIT_AUTHOR_EMAIL", &email)
        .env("GIT_COMMITTER_NAME", who)
        .env("GIT_COMMITTER_EMAIL", &email)
        .output()
        .unwrap();
    if !out.status.success() {
        return (false, String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    (true, String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// As [`try_git`], failing the test when git fails; returns stdout.
pub fn git_as(dir: &Path, args: &[&str], who: &str) -> String {
    let (ok, out) = try_git(dir, args, who);
    assert!(ok, "git {args:?}: {out}");
    out
}

/// The fixture's base policy committed on `main` in a new repository at `repo`, and branch
/// `req` adding `path` with `body` (committed by alice); `main` is checked out again.
/// Returns (base, head).
pub fn repo_with_request_branch(repo: &Path, path: &str, body: &str) -> (String, String) {
    let git = |args: &[&str]| git_as(repo, args, "alice");
    copy_dir(&fixtures().join("base"), repo);
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "base"]);
    let base = git(&["rev-parse", "HEAD"]);
    git(&["checkout", "-q", "-b", "req"]);
    std::fs::write(repo.join(path), body).unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "request"]);
    let head = git(&["rev-parse", "HEAD"]);
    git(&["checkout", "-q", "main"]);
    (base, head)
}

/// A bare `origin.git` in `dir` with default branch `main`, and a clone of it at
/// `dir/<name>`: the two repositories the tests that fetch and push need.
pub fn bare_origin_and_clone(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let origin = dir.join("origin.git");
    git_as(
        dir,
        &["init", "-q", "--bare", "-b", "main", origin.to_str().unwrap()],
        "admin",
    );
    let clone = dir.join(name);
    git_as(
        dir,
        &["clone", "-q", origin.to_str().unwrap(), clone.to_str().unwrap()],
        "admin",
    );
    (origin, clone)
}

/// Runs `git -C dir ARGS` with no global or system configuration and a test identity;
/// panics with git's message when it fails; returns its trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@acme.example"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Writes `body` at `dir/path`, creating its folders.
pub fn write_file(dir: &Path, path: &str, body: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

/// `gitgrant ledger index --repo dir --ref refs/heads/main`, which must succeed.
pub fn ledger_index(dir: &Path) {
    let out = bin()
        .args([
            "ledger",
            "index",
            "--repo",
            dir.to_str().unwrap(),
            "--ref",
            "refs/heads/main",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A clone as the gate workflow makes one: the default branch at depth 1, the given branches
/// of `origin` at depth 1 (the PR heads the workflow fetches as data), and the whole ledger
/// branch's tip when there is one. Returns its path (a new folder under `parent`).
pub fn shallow_clone(origin: &Path, parent: &Path, heads: &[&str]) -> PathBuf {
    let clone = tempfile::Builder::new().tempdir_in(parent).unwrap().keep();
    let url = format!("file://{}", origin.display());
    let out = std::process::Command::new("git")
        .args([
            "clone",
            "-q",
            "--depth",
            "1",
            "--single-branch",
            "--branch",
            "main",
            &url,
        ])
        .arg(&clone)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for h in heads {
        let spec = format!("+refs/heads/{h}:refs/gitgrant/{h}");
        git_as(
            &clone,
            &["fetch", "-q", "--depth=1", "--no-tags", "origin", &spec],
            "admin",
        );
    }
    let has_ledger = std::process::Command::new("git")
        .args([
            "-C",
            origin.to_str().unwrap(),
            "rev-parse",
            "-q",
            "--verify",
            "refs/heads/gitgrant-ledger",
        ])
        .output()
        .unwrap()
        .status
        .success();
    if has_ledger {
        let spec = "+refs/heads/gitgrant-ledger:refs/remotes/origin/gitgrant-ledger";
        git_as(
            &clone,
            &["fetch", "-q", "--depth=1", "--no-tags", "origin", spec],
            "admin",
        );
    }
    clone
}

/// A local HTTP server (a notification receiver) answering `POST route` with `status`; it
/// stops when dropped.
pub fn post_receiver(rt: &tokio::runtime::Runtime, route: &str, status: u16) -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    let server = rt.block_on(wiremock::MockServer::start());
    rt.block_on(
        wiremock::Mock::given(method("POST"))
            .and(path(route))
            .respond_with(wiremock::ResponseTemplate::new(status))
            .mount(&server),
    );
    server
}
