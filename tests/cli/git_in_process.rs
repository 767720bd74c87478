//! The git adapter reads in process (libgit2, issue 10 item 3): its history answers agree
//! with the git CLI's on a history with merges, side branches, deletions and re-additions;
//! odd names answer "absent" instead of panicking; a full object id is never taken for a
//! ref spelled like one; and `audit` needs no `git` program at all.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use gitgrant::adapters::git::Git;
use gitgrant::adapters::git::history::parse_log;
use gitgrant::core::gate::PathHistory;

/// Runs git in `dir` with a fixed identity and the commit date `t` (seconds after a base).
fn git(dir: &Path, t: u32, args: &[&str]) -> String {
    let date = format!("{} +0000", 1_795_000_000 + t);
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env("GIT_AUTHOR_NAME", "Alice")
        .env("GIT_AUTHOR_EMAIL", "alice@acme.example")
        .env("GIT_COMMITTER_NAME", "Alice")
        .env("GIT_COMMITTER_EMAIL", "alice@acme.example")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
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

fn write(dir: &Path, path: &str, body: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

fn commit(dir: &Path, t: u32, msg: &str) {
    git(dir, t, &["add", "-A"]);
    git(dir, t, &["commit", "-q", "--allow-empty", "-m", msg]);
}

const KEPT: &str = "requests/acct/Admin/kept.toml";
const SIDE: &str = "requests/acct/Admin/side-only.toml";
const GONE: &str = "requests/acct/Admin/gone.toml";
const BACK: &str = "requests/acct/Admin/back.toml";
const NEWLINE: &str = "requests/acct/Admin/new\nline.toml";
const MERGED: &str = "requests/other/Read/merged.toml";

/// main: policies, then requests added, deleted and added again; a side branch that adds
/// and deletes a file before it is merged (git's simplification never looks at it), and one
/// whose file survives the merge; a commit with a multi-line message and a name with a line
/// break.
fn history() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, 0, &["init", "-q", "-b", "main"]);
    write(d, "policies/access.toml", "x = 1\n");
    commit(d, 1, "policies");
    write(d, KEPT, "a = 1\n");
    write(d, GONE, "a = 2\n");
    write(d, BACK, "a = 3\n");
    commit(d, 2, "three requests\n\nwith a body\nof two lines");
    git(d, 3, &["checkout", "-q", "-b", "side"]);
    write(d, SIDE, "s = 1\n");
    commit(d, 4, "side adds");
    std::fs::remove_file(d.join(SIDE)).unwrap();
    commit(d, 5, "side deletes");
    git(d, 6, &["checkout", "-q", "main"]);
    std::fs::remove_file(d.join(GONE)).unwrap();
    std::fs::remove_file(d.join(BACK)).unwrap();
    commit(d, 7, "revoke two");
    git(d, 8, &["merge", "-q", "--no-ff", "-m", "Merge side", "side"]);
    git(d, 9, &["checkout", "-q", "-b", "other"]);
    write(d, MERGED, "m = 1\n");
    commit(d, 10, "other adds");
    git(d, 11, &["checkout", "-q", "main"]);
    write(d, BACK, "a = 4\n");
    write(d, NEWLINE, "n = 1\n");
    write(d, KEPT, "a = 5\n");
    commit(d, 12, "back again");
    git(d, 13, &["merge", "-q", "--no-ff", "-m", "Merge other", "other"]);
    tmp
}

fn cli_log(d: &Path, args: &[&str]) -> Option<String> {
    let mut all = vec!["log", "-1", "--format=%H"];
    all.extend_from_slice(args);
    let out = git(d, 0, &all);
    (!out.is_empty()).then_some(out)
}

#[test]
fn history_answers_agree_with_the_git_cli() {
    let tmp = history();
    let d = tmp.path();
    let g = Git::open(d).unwrap();
    let main = git(d, 0, &["rev-parse", "main"]);
    for path in [
        KEPT,
        SIDE,
        GONE,
        BACK,
        NEWLINE,
        MERGED,
        "requests/never.toml",
        "requests",
        "policies/access.toml",
    ] {
        let want = cli_log(d, &[&main, "--", path]);
        let got = match g.path_history(&main, path) {
            PathHistory::Existed(c) => Some(c),
            PathHistory::Never => None,
            PathHistory::Unknown(e) => panic!("{path}: {e}"),
        };
        assert_eq!(got, want, "path_history {path:?}");
        // deleted_in is asked about request files only (a folder's files are not its own)
        if path != "requests" {
            let want = cli_log(d, &["--diff-filter=D", &main, "--", path]);
            assert_eq!(g.deleted_in(&main, path).unwrap(), want, "deleted_in {path:?}");
        }
        let want = cli_log(d, &["--first-parent", &main, "--", path]);
        assert_eq!(
            g.introducing_commit(&main, path).unwrap(),
            want,
            "introducing_commit {path:?}"
        );
    }
    // the side-only file existed in history git's simplification does not follow
    assert_eq!(g.path_history(&main, SIDE), PathHistory::Never);
    assert!(matches!(g.path_history(&main, GONE), PathHistory::Existed(_)));
    // the audit walk is what `git log --raw` prints, parsed the same
    let raw = Command::new("git")
        .arg("-C")
        .arg(d)
        .args([
            "log",
            "--first-parent",
            "--diff-merges=first-parent",
            "--root",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "-z",
            "--format=%x1e%H%x00%ct%x00%an%x00%s",
            &main,
            "--",
            "requests/",
        ])
        .output()
        .unwrap()
        .stdout;
    let mut want = parse_log(&raw).unwrap();
    want.reverse();
    let got = g.request_history(&main).unwrap();
    assert_eq!(format!("{got:?}"), format!("{want:?}"));
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(got[0].commit.subject, "three requests");
    // the tree at the tip and the request files agree with ls-tree
    let listed = git(
        d,
        0,
        &[
            "ls-tree",
            "-r",
            "--full-tree",
            "--name-only",
            "-z",
            &main,
            "--",
            "requests/",
        ],
    );
    let want: BTreeSet<String> = listed
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let files: BTreeSet<String> = g.request_files(&main).unwrap().into_iter().map(|(p, _)| p).collect();
    assert_eq!(files, want);
    let tree = g.read_tree(&main, &["requests/", "policies"]).unwrap();
    let mut all = want.clone();
    all.insert("policies/access.toml".into());
    assert_eq!(tree.entries.keys().cloned().collect::<BTreeSet<_>>(), all);
    assert_eq!(g.blob_at(&main, NEWLINE).as_deref(), Some(&b"n = 1\n"[..]));
}

#[test]
fn odd_names_answer_absent_and_an_id_is_never_a_ref() {
    let tmp = history();
    let d = tmp.path();
    let g = Git::open(d).unwrap();
    let main = git(d, 0, &["rev-parse", "main"]);
    // a branch spelled like a full commit id the repository lacks
    let fake = "1234567890123456789012345678901234567890";
    git(d, 0, &["update-ref", &format!("refs/heads/{fake}"), &main]);
    assert!(!g.commit_exists(fake));
    assert!(!g.is_ancestor(fake, &main));
    assert_eq!(g.first_parent(fake), None);
    assert_eq!(g.blob_at(fake, KEPT), None);
    assert!(g.read_tree(fake, &["requests"]).is_err());
    for odd in [
        "",
        "\0",
        "a\0b",
        "main\n",
        "-x",
        ":",
        "main:",
        "main:\0",
        "::",
        &"f".repeat(64),
        "main^{sausage}",
    ] {
        assert!(!g.commit_exists(odd) || odd.is_empty(), "{odd:?}");
        assert_eq!(g.blob(odd), None, "{odd:?}");
        let _ = g.blob_at(&main, odd);
        let _ = g.blob_id(odd, odd);
        let _ = g.path_history(&main, odd);
        let _ = g.introducing_commit(&main, odd);
        let _ = g.read_tree(&main, &[odd]);
        let _ = g.cat_many(&[odd.to_string()]);
        let mut s = g.cat_session().unwrap();
        assert_eq!(s.oid(&format!("{main}:{odd}x")).unwrap(), None, "{odd:?}");
    }
    assert!(!g.commit_exists(""));
    assert!(g.cat_many(&["a\nb".to_string()]).is_err());
}

/// Every read `audit` makes is in process: with no `git` on `PATH` it gives the same answer.
#[test]
fn audit_needs_no_git_program() {
    let tmp = history();
    let d = tmp.path();
    let audit = |path: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_gitgrant"))
            .args([
                "audit",
                "--repo",
                d.to_str().unwrap(),
                "--format",
                "json",
                "--at",
                "2026-11-22T12:00:00Z",
            ])
            .env("PATH", path)
            .output()
            .unwrap();
        let _ = std::fs::remove_file(d.join(".git/gitgrant/audit-history"));
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let with_git = audit(&std::env::var("PATH").unwrap());
    let empty = tempfile::tempdir().unwrap();
    let without = audit(empty.path().to_str().unwrap());
    assert!(matches!(with_git.0, Some(0 | 1)), "{with_git:?}");
    assert!(with_git.1.contains("\"rows\""), "{with_git:?}");
    assert_eq!(without.0, with_git.0, "{without:?}");
    assert_eq!(without.1, with_git.1);
}
