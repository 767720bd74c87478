//! The ledger branch with real git: a bare `origin`, clones as checkouts, real pushes;
//! appends from racing clones all land, corrupt lines are reported and skipped.

use std::path::Path;
use std::process::Command;

use gitgrant::adapters::git::Git;
use gitgrant::core::ledger::{Event, Kind};

fn sh(dir: &Path, args: &[&str]) -> String {
    crate::support::git(dir, args)
}

fn origin_and_clones(n: usize) -> (tempfile::TempDir, Vec<std::path::PathBuf>) {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin.git");
    sh(
        tmp.path(),
        &["init", "-q", "--bare", "-b", "main", origin.to_str().unwrap()],
    );
    let seed = tmp.path().join("seed");
    sh(
        tmp.path(),
        &["clone", "-q", origin.to_str().unwrap(), seed.to_str().unwrap()],
    );
    std::fs::write(seed.join("README.md"), "access\n").unwrap();
    sh(&seed, &["add", "-A"]);
    sh(
        &seed,
        &[
            "-c",
            "user.name=a",
            "-c",
            "user.email=a@acme.example",
            "commit",
            "-q",
            "-m",
            "init",
        ],
    );
    sh(&seed, &["push", "-q", "origin", "main"]);
    let clones = (0..n)
        .map(|i| {
            let c = tmp.path().join(format!("clone{i}"));
            sh(
                tmp.path(),
                &["clone", "-q", origin.to_str().unwrap(), c.to_str().unwrap()],
            );
            c
        })
        .collect();
    (tmp, clones)
}

fn event(i: usize) -> Event {
    let mut e = Event::new(Kind::Activated, "2026-11-22T12:00:00Z".parse().unwrap());
    e.request = Some(format!("requests/a/P/r{i}.toml"));
    e.account_id = Some("111122223333".into());
    e.permission_set_arn = Some("arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef".into());
    e.user_id = Some(format!("u-{i}"));
    e
}

#[test]
fn appends_are_pushed_and_read_back_from_another_clone() {
    let (_tmp, clones) = origin_and_clones(2);
    let a = Git::open(&clones[0]).unwrap();
    let b = Git::open(&clones[1]).unwrap();
    assert!(a.read_ledger().unwrap().events.is_empty());
    a.append_ledger(&[event(1), event(2)], "gitgrant: activated 2 assignments")
        .unwrap();
    b.fetch_ledger().unwrap();
    let l = b.read_ledger().unwrap();
    assert_eq!(l.events.len(), 2);
    b.append_ledger(&[event(3)], "gitgrant: activated 1 assignment")
        .unwrap();
    a.fetch_ledger().unwrap();
    assert_eq!(a.read_ledger().unwrap().events.len(), 3);
    // the branch is an orphan: its history never touches main
    let log = sh(&clones[0], &["log", "--format=%s", "origin/gitgrant-ledger"]);
    assert_eq!(
        log,
        "gitgrant: activated 1 assignment\ngitgrant: activated 2 assignments"
    );
    assert!(
        Command::new("git")
            .arg("-C")
            .arg(&clones[0])
            .args(["merge-base", "origin/main", "origin/gitgrant-ledger"])
            .output()
            .unwrap()
            .stdout
            .is_empty()
    );
    // the work tree was never touched
    assert_eq!(sh(&clones[0], &["status", "--porcelain"]), "");
}

#[test]
fn racing_appends_all_land() {
    let (_tmp, clones) = origin_and_clones(4);
    std::thread::scope(|s| {
        for (i, c) in clones.iter().enumerate() {
            s.spawn(move || {
                let g = Git::open(c).unwrap();
                for j in 0..3 {
                    g.append_ledger(&[event(i * 10 + j)], &format!("run {i}.{j}")).unwrap();
                }
            });
        }
    });
    let g = Git::open(&clones[0]).unwrap();
    g.fetch_ledger().unwrap();
    let l = g.read_ledger().unwrap();
    assert_eq!(l.events.len(), 12, "every event of every racing run is in the ledger");
    assert!(l.bad_lines.is_empty());
}

#[test]
fn a_corrupt_line_is_reported_and_skipped() {
    let (_tmp, clones) = origin_and_clones(1);
    let g = Git::open(&clones[0]).unwrap();
    g.append_ledger(&[event(1)], "one").unwrap();
    // someone with push rights wrote garbage to the ledger by hand
    let c = &clones[0];
    sh(c, &["checkout", "-q", "gitgrant-ledger"]);
    let f = c.join("events/2026-11.jsonl");
    let mut text = std::fs::read_to_string(&f).unwrap();
    text.push_str("{\"at\": \"2026-11-22T12:00:00Z\", \"kind\": \"activ\n");
    std::fs::write(&f, text).unwrap();
    sh(
        c,
        &[
            "-c",
            "user.name=m",
            "-c",
            "user.email=m@acme.example",
            "commit",
            "-q",
            "-am",
            "oops",
        ],
    );
    sh(c, &["push", "-q", "origin", "gitgrant-ledger"]);
    sh(c, &["checkout", "-q", "main"]);
    g.append_ledger(&[event(2)], "two").unwrap();
    let l = g.read_ledger().unwrap();
    assert_eq!(l.events.len(), 2);
    assert_eq!(l.bad_lines.len(), 1);
    assert_eq!(l.bad_lines[0].line, 2);
}

#[test]
fn a_push_declined_by_a_hook_is_tried_once_and_shows_the_remote_message() {
    let (tmp, clones) = origin_and_clones(1);
    let origin = tmp.path().join("origin.git");
    let count = tmp.path().join("hook-count");
    let refuse = tmp.path().join("refuse");
    let hook = origin.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\necho x >> '{}'\nif [ -e '{}' ]; then echo 'ledger frozen by acme.example policy' >&2; exit 1; fi\nexit 0\n",
            count.display(),
            refuse.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let g = Git::open(&clones[0]).unwrap();
    // the intent commit lands
    g.append_ledger(&[event(1)], "intent").unwrap();
    let before = std::fs::read_to_string(&count).unwrap().lines().count();
    std::fs::write(&refuse, "").unwrap();
    let err = g
        .append_ledger(&[event(2)], "outcome")
        .expect_err("a declined push is an error")
        .to_string();
    let after = std::fs::read_to_string(&count).unwrap().lines().count();
    assert_eq!(after - before, 1, "a hook rejection is attempted once: {err}");
    assert!(err.contains("ledger frozen by acme.example policy"), "{err}");
    assert!(err.contains("NOT on origin"), "{err}");
    assert!(!err.contains("nothing was lost"), "{err}");
}
