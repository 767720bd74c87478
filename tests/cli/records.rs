//! Approval records (DESIGN 10.3, 10.4) on real git repositories: the gate (`gitgrant pr
//! --ledger`) writes a record per approved request at merge, decided against the PR's base
//! and the default branch's policy at the merge's first parent; the reconciler grants only
//! what a record binds (the merge that introduced the file's content, the same blob, a PR
//! into the default branch), with account id and user from the record; a squash-merged
//! request verifies in a fresh clone.

use std::path::{Path, PathBuf};

use gitgrant::adapters::git::Git;
use gitgrant::app::reconcile::desired::{Branch, Desired, EvidenceDir, NoEvidence, desired};
use gitgrant::core::ledger::Ledger;
use serde_json::{Value, json};

use crate::support::{bin, copy_dir, fixtures, git_as as git};

const PROD: &str = "requests/payments-prod/AdministratorAccess";
const AT: &str = "2026-11-22T12:00:00Z";
/// `payments-prod` in the fixture directory.
const PAYMENTS_PROD: &str = "111122223333";

fn request(who: &str) -> String {
    format!(
        "requester = \"{who}\"\naccount = \"payments-prod\"\npermission_set = \"AdministratorAccess\"\nstart = 2026-11-22T13:00:00Z\nduration = \"2h\"\nreason = \"Roll back\"\n"
    )
}

fn user(l: &str) -> Value {
    json!({"login": l, "id": 1, "type": "User"})
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// `--no-ff` merge commit.
    Merge,
    /// One commit on the target with the PR's changes; the head is not on the branch.
    Squash,
}

/// A pull request: `files` committed on a branch off `target`, merged into `target` in
/// `style`; returns its replay snapshot (approved by `approvers`) and merge commit.
struct Pr<'a> {
    number: u64,
    target: &'a str,
    files: &'a [(&'a str, String)],
    approvers: &'a [&'a str],
    style: Style,
}

fn merge(dir: &Path, pr: &Pr<'_>) -> (Value, String) {
    let base = git(dir, &["rev-parse", pr.target], "admin");
    let branch = format!("pr{}", pr.number);
    git(dir, &["checkout", "-q", "-b", &branch, pr.target], "alice");
    let mut listed = Vec::new();
    for (path, content) in pr.files {
        std::fs::create_dir_all(dir.join(path).parent().unwrap()).unwrap();
        let existed = dir.join(path).exists();
        std::fs::write(dir.join(path), content).unwrap();
        listed.push(json!({"filename": path, "status": if existed { "modified" } else { "added" }}));
    }
    git(dir, &["add", "-A"], "alice");
    git(dir, &["commit", "-q", "-m", "request"], "alice");
    let head = git(dir, &["rev-parse", "HEAD"], "alice");
    git(dir, &["checkout", "-q", pr.target], "admin");
    match pr.style {
        Style::Merge => {
            let m = format!("Merge pull request #{}", pr.number);
            git(dir, &["merge", "-q", "--no-ff", "-m", &m, &branch], "web-flow");
        }
        Style::Squash => {
            git(dir, &["merge", "-q", "--squash", &branch], "web-flow");
            git(
                dir,
                &["commit", "-q", "-m", &format!("request (#{})", pr.number)],
                "web-flow",
            );
        }
    }
    let merge = git(dir, &["rev-parse", "HEAD"], "admin");
    let reviews: Vec<Value> = pr
        .approvers
        .iter()
        .enumerate()
        .map(|(i, a)| json!({"id": 100 + i, "user": user(a), "body": format!("{a}: checked the incident"), "state": "APPROVED", "commit_id": head, "submitted_at": "2026-11-22T11:30:00Z"}))
        .collect();
    let snap = json!({
        "pull_request": {"number": pr.number, "state": "closed", "merged": true, "merged_at": "2026-11-22T11:45:00Z", "merge_commit_sha": merge,
                         "user": user("alice"), "created_at": "2026-11-22T11:00:00Z",
                         "head": {"sha": head, "ref": branch}, "base": {"sha": base, "ref": pr.target, "repo": {"default_branch": "main"}}},
        "commits": [{"sha": head, "commit": {"author": {"email": "alice@users.noreply.github.com"}, "committer": {"email": "alice@users.noreply.github.com"}, "message": "request"},
                     "author": user("alice"), "committer": user("alice")}],
        "reviews": reviews,
        "files": listed,
        "teams": {"acme/platform-leads": ["dan", "heidi"], "acme/platform-oncall": []},
        "pushers": ["alice"]
    });
    (snap, merge)
}

/// The fixture access repository without its requests, committed on `main` in `dir`.
fn repo(dir: &Path) {
    copy_dir(&fixtures().join("base"), dir);
    std::fs::remove_dir_all(dir.join("requests")).unwrap();
    git(dir, &["init", "-q", "-b", "main"], "admin");
    git(dir, &["add", "-A"], "admin");
    git(dir, &["commit", "-q", "-m", "base"], "admin");
}

/// `gitgrant pr --ledger` on a snapshot, as the PR workflow runs at merge.
fn gate(dir: &Path, snap: &Value) -> (i32, String) {
    let file = dir.join(".git/gitgrant-test-snapshot.json");
    std::fs::write(&file, snap.to_string()).unwrap();
    let out = bin()
        .args([
            "pr",
            "--repo",
            dir.to_str().unwrap(),
            "--snapshot",
            file.to_str().unwrap(),
        ])
        .args(["--at", "2026-11-22T11:50:00Z", "--ledger", "--format", "json"])
        .env_remove("GITHUB_EVENT_NAME")
        .env_remove("GITHUB_EVENT_PATH")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn ledger(dir: &Path) -> Ledger {
    let g = Git::open(dir).unwrap();
    g.fetch_ledger().unwrap();
    g.read_ledger().unwrap()
}

fn wanted(dir: &Path, evidence: Option<&Path>) -> Desired {
    let g = Git::open(dir).unwrap();
    let l = ledger(dir);
    let branch = Branch {
        tip: "main",
        name: "main",
    };
    match evidence {
        Some(e) => desired(&g, branch, &l, &EvidenceDir::open(e).unwrap(), AT.parse().unwrap()),
        None => desired(&g, branch, &l, &NoEvidence, AT.parse().unwrap()),
    }
}

/// The block codes of the candidate at `path` (empty: it would be granted).
fn blocked(d: &Desired, path: &str) -> Vec<&'static str> {
    let Some(c) = d.candidates.iter().find(|c| c.path == path) else {
        let diags: Vec<String> = d
            .diagnostics
            .iter()
            .map(|x| format!("{}: {}", x.code, x.message))
            .collect();
        panic!("no candidate {path}: {diags:?}");
    };
    c.blocked.iter().map(|r| r.code).collect()
}

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("repo");
    (t, dir)
}

#[test]
fn the_gate_records_the_approval_at_merge_and_the_reconciler_grants_what_it_binds() {
    let (_t, dir) = tmp();
    repo(&dir);
    let path = format!("{PROD}/inc-1.toml");
    let files = [(path.as_str(), request("alice"))];
    let (snap, merge_sha) = merge(
        &dir,
        &Pr {
            number: 7,
            target: "main",
            files: &files,
            approvers: &["dan", "heidi"],
            style: Style::Merge,
        },
    );
    let (code, out) = gate(&dir, &snap);
    assert_eq!(code, 0, "{out}");
    let l = ledger(&dir);
    let merged = l.merges_of(&path).next().expect("a merged event");
    let record = serde_json::to_value(&merged.records[0]).unwrap();
    println!("approval record: {}", serde_json::to_string_pretty(&record).unwrap());
    let head = snap["pull_request"]["head"]["sha"].as_str().unwrap();
    let blob = git(&dir, &["rev-parse", &format!("{head}:{path}")], "admin");
    let base = snap["pull_request"]["base"]["sha"].as_str().unwrap();
    let parent = git(&dir, &["rev-parse", &format!("{merge_sha}^1")], "admin");
    assert_eq!(record["path"], path.as_str());
    assert_eq!(record["blob"], blob.as_str());
    assert_eq!(record["account_id"], PAYMENTS_PROD);
    assert_eq!(record["permission_set"], "AdministratorAccess");
    assert_eq!(record["user_name"], "alice@acme.example");
    assert_eq!(record["start"], "2026-11-22T13:00:00Z");
    assert_eq!(record["end"], "2026-11-22T15:00:00Z");
    assert_eq!(record["approvers"][0]["login"], "dan");
    assert_eq!(record["approvers"][0]["review_id"], 100);
    assert_eq!(record["approvers"][0]["note"], "dan: checked the incident");
    assert_eq!(record["approvers"][1]["login"], "heidi");
    assert_eq!(record["pushers"], json!(["alice"]));
    assert_eq!(
        (record["pr"].as_u64(), record["base_ref"].as_str()),
        (Some(7), Some("main"))
    );
    assert_eq!(
        (record["base_sha"].as_str(), record["head_sha"].as_str()),
        (Some(base), Some(head))
    );
    assert_eq!(record["merge_commit"], merge_sha.as_str());
    assert_eq!(record["policy_commits"], json!([base, parent]));
    let evidence: serde_json::Value = merged.evidence.as_ref().unwrap().parse().unwrap();
    assert_eq!(evidence["pull_request"]["number"], 7);

    // the reconciler grants it from the ledger alone, on the recorded account and user
    let d = wanted(&dir, None);
    assert_eq!(blocked(&d, &path), Vec::<&str>::new());
    assert!(d.records.is_empty(), "the record is in the ledger already");
    let c = &d.candidates[0];
    assert_eq!(
        (c.account_id.as_str(), c.user_name.as_deref()),
        (PAYMENTS_PROD, Some("alice@acme.example"))
    );

    // deleted and pushed back straight to main: the content now comes from another commit
    git(&dir, &["rm", "-q", &path], "admin");
    git(&dir, &["commit", "-q", "-m", "revoke"], "admin");
    std::fs::create_dir_all(dir.join(PROD)).unwrap();
    std::fs::write(dir.join(&path), request("alice")).unwrap();
    git(&dir, &["add", "-A"], "mallory");
    git(&dir, &["commit", "-q", "-m", "back"], "mallory");
    let d = wanted(&dir, None);
    // a path once deleted is revoked for good, and the record binds another commit
    assert_eq!(blocked(&d, &path), vec!["path-revoked", "record-not-introducing-merge"]);
}

#[test]
fn renaming_an_account_or_remapping_a_login_after_approval_never_retargets() {
    let (_t, dir) = tmp();
    repo(&dir);
    let path = format!("{PROD}/inc-2.toml");
    let files = [(path.as_str(), request("alice"))];
    let pr = Pr {
        number: 3,
        target: "main",
        files: &files,
        approvers: &["dan", "heidi"],
        style: Style::Merge,
    };
    let (snap, _) = merge(&dir, &pr);
    assert_eq!(gate(&dir, &snap).0, 0);
    assert_eq!(blocked(&wanted(&dir, None), &path), Vec::<&str>::new());
    // swap the names of two prod accounts: `payments-prod` now names data-prod's id
    let p = dir.join("policies/directory.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let swapped = text
        .replace("name = \"payments-prod\"", "name = \"@@\"")
        .replace("name = \"data-prod\"", "name = \"payments-prod\"")
        .replace("name = \"@@\"", "name = \"data-prod\"");
    std::fs::write(&p, swapped).unwrap();
    git(&dir, &["commit", "-q", "-am", "rename accounts"], "admin");
    let d = wanted(&dir, None);
    assert_eq!(blocked(&d, &path), vec!["record-retargeted"]);
    let c = d.candidates.iter().find(|c| c.path == path).unwrap();
    assert_eq!(
        c.account_id, PAYMENTS_PROD,
        "the candidate keeps the approved account id"
    );
    // restored, then the login is mapped to another Identity Center user
    std::fs::write(&p, text).unwrap();
    let ids = dir.join("policies/identities.toml");
    let t = std::fs::read_to_string(&ids).unwrap();
    std::fs::write(
        &ids,
        t.replacen("alice = \"alice@acme.example\"", "alice = \"grace@acme.example\"", 1),
    )
    .unwrap();
    git(&dir, &["commit", "-q", "-am", "remap alice"], "admin");
    let d = wanted(&dir, None);
    assert_eq!(blocked(&d, &path), vec!["record-retargeted"]);
    let c = d.candidates.iter().find(|c| c.path == path).unwrap();
    assert_eq!(c.user_name.as_deref(), Some("alice@acme.example"));
}

#[test]
fn a_quorum_raised_on_main_while_the_pr_was_open_applies_at_merge() {
    let (t, dir) = tmp();
    repo(&dir);
    let path = format!("{PROD}/inc-3.toml");
    // the PR branches off here; main raises the quorum before the merge
    let base = git(&dir, &["rev-parse", "main"], "admin");
    git(&dir, &["checkout", "-q", "-b", "pr4"], "alice");
    std::fs::create_dir_all(dir.join(PROD)).unwrap();
    std::fs::write(dir.join(&path), request("alice")).unwrap();
    git(&dir, &["add", "-A"], "alice");
    git(&dir, &["commit", "-q", "-m", "request"], "alice");
    let head = git(&dir, &["rev-parse", "HEAD"], "alice");
    git(&dir, &["checkout", "-q", "main"], "admin");
    let p = dir.join("policies/access.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replacen("min_approvals = 2", "min_approvals = 3", 1)).unwrap();
    git(&dir, &["commit", "-q", "-am", "three for prod admin"], "admin");
    git(
        &dir,
        &["merge", "-q", "--no-ff", "-m", "Merge pull request #4", "pr4"],
        "web-flow",
    );
    let merge_sha = git(&dir, &["rev-parse", "HEAD"], "admin");
    let reviews: Vec<Value> = ["dan", "heidi"]
        .iter()
        .enumerate()
        .map(|(i, a)| json!({"id": 10 + i, "user": user(a), "body": "ok", "state": "APPROVED", "commit_id": head, "submitted_at": "2026-11-22T11:30:00Z"}))
        .collect();
    let snap = json!({
        "pull_request": {"number": 4, "state": "closed", "merged": true, "merged_at": "2026-11-22T11:45:00Z", "merge_commit_sha": merge_sha,
                         "user": user("alice"), "created_at": "2026-11-22T11:00:00Z", "head": {"sha": head, "ref": "pr4"}, "base": {"sha": base, "ref": "main", "repo": {"default_branch": "main"}}},
        "commits": [{"sha": head, "commit": {"author": {"email": "alice@users.noreply.github.com"}, "committer": {"email": "alice@users.noreply.github.com"}, "message": "request"},
                     "author": user("alice"), "committer": user("alice")}],
        "reviews": reviews,
        "files": [{"filename": path, "status": "added"}],
        "teams": {"acme/platform-leads": ["dan", "heidi"], "acme/platform-oncall": []}
    });
    // the gate: approved under the PR's base, pending under main's policy at the merge
    let (code, out) = gate(&dir, &snap);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("under the default branch's policy at the merge"), "{out}");
    let l = ledger(&dir);
    let merged = l.merges_of(&path).next().unwrap();
    assert!(
        merged.records.is_empty(),
        "no record for a PR the stricter policy refuses"
    );
    // the reconciler, from the ledger's evidence or from `--evidence DIR`: not granted
    assert_eq!(blocked(&wanted(&dir, None), &path)[0], "not-approved");
    let ev = t.path().join("evidence");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("4.json"), snap.to_string()).unwrap();
    git(&dir, &["update-ref", "-d", "refs/heads/gitgrant-ledger"], "admin");
    let d = wanted(&dir, Some(&ev));
    assert_eq!(blocked(&d, &path)[0], "not-approved", "{:?}", d.candidates[0].blocked);
}

#[test]
fn a_side_branch_merge_with_an_edited_policy_is_not_evidence_and_the_last_file_does_not_win() {
    let (t, dir) = tmp();
    repo(&dir);
    let path = format!("{PROD}/inc-4.toml");
    // a side branch whose policy lets one approval through
    git(&dir, &["checkout", "-q", "-b", "evil"], "mallory");
    let p = dir.join("policies/access.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replacen("min_approvals = 2", "min_approvals = 1", 1)).unwrap();
    git(&dir, &["commit", "-q", "-am", "one is enough"], "mallory");
    git(&dir, &["checkout", "-q", "main"], "admin");
    let files = [(path.as_str(), request("alice"))];
    // PR #9 into the side branch, approved there by one lead
    let (snap9, _) = merge(
        &dir,
        &Pr {
            number: 9,
            target: "evil",
            files: &files,
            approvers: &["dan"],
            style: Style::Merge,
        },
    );
    // the policy edit is undone on the side branch, which PR #10 then brings to main
    // (the request is its only change); nobody approved it (the check was faked)
    git(&dir, &["checkout", "-q", "evil"], "mallory");
    std::fs::write(&p, &text).unwrap();
    git(&dir, &["commit", "-q", "-am", "restore"], "mallory");
    git(&dir, &["checkout", "-q", "main"], "admin");
    let base = git(&dir, &["rev-parse", "main"], "admin");
    let evil = git(&dir, &["rev-parse", "evil"], "admin");
    git(
        &dir,
        &["merge", "-q", "--no-ff", "-m", "Merge pull request #10", "evil"],
        "web-flow",
    );
    let m10 = git(&dir, &["rev-parse", "HEAD"], "admin");
    let snap10 = json!({
        "pull_request": {"number": 10, "state": "closed", "merged": true, "merged_at": "2026-11-22T11:50:00Z", "merge_commit_sha": m10,
                         "user": user("alice"), "created_at": "2026-11-22T11:40:00Z", "head": {"sha": evil, "ref": "evil"}, "base": {"sha": base, "ref": "main", "repo": {"default_branch": "main"}}},
        "commits": [],
        "reviews": [],
        "files": [{"filename": path, "status": "added"}],
        "teams": {}
    });
    let ev = t.path().join("evidence");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("9.json"), snap9.to_string()).unwrap();
    std::fs::write(ev.join("10.json"), snap10.to_string()).unwrap();
    let d = wanted(&dir, Some(&ev));
    let codes = blocked(&d, &path);
    assert_eq!(
        codes[0], "not-approved",
        "PR #10 introduced the file and is re-decided: {codes:?}"
    );
    assert!(codes.contains(&"awaiting-approval"), "{codes:?}");
    // without PR #10's evidence, PR #9's merge into the side branch binds nothing
    std::fs::remove_file(ev.join("10.json")).unwrap();
    let d = wanted(&dir, Some(&ev));
    let codes = blocked(&d, &path);
    assert!(
        [
            "not-approved",
            "record-not-introducing-merge",
            "base-not-default-branch"
        ]
        .contains(&codes[0]),
        "{codes:?}"
    );
}

#[test]
fn a_squash_merged_request_verifies_in_a_fresh_clone() {
    let t = tempfile::tempdir().unwrap();
    let origin = t.path().join("origin.git");
    git(
        t.path(),
        &["init", "-q", "--bare", "-b", "main", origin.to_str().unwrap()],
        "admin",
    );
    let work = t.path().join("work");
    repo(&work);
    git(&work, &["remote", "add", "origin", origin.to_str().unwrap()], "admin");
    git(&work, &["push", "-q", "origin", "main"], "admin");
    let path = format!("{PROD}/inc-5.toml");
    let other = "requests/data-prod/AdministratorAccess/inc-6.toml";
    let files = [
        (path.as_str(), request("alice")),
        (other, request("alice").replace("payments-prod", "data-prod")),
    ];
    let (snap, _) = merge(
        &work,
        &Pr {
            number: 12,
            target: "main",
            files: &files,
            approvers: &["dan", "heidi"],
            style: Style::Squash,
        },
    );
    // GitHub keeps the head as refs/pull/12/head; main has only the squash commit
    let head = snap["pull_request"]["head"]["sha"].as_str().unwrap().to_string();
    git(
        &work,
        &["push", "-q", "origin", "main", &format!("{head}:refs/pull/12/head")],
        "admin",
    );
    let (code, out) = gate(&work, &snap);
    assert_eq!(code, 0, "{out}");

    // a fresh clone: the PR head is not in it
    let fresh = t.path().join("fresh");
    git(
        t.path(),
        &[
            "clone",
            "-q",
            "--no-local",
            origin.to_str().unwrap(),
            fresh.to_str().unwrap(),
        ],
        "admin",
    );
    assert!(!Git::open(&fresh).unwrap().commit_exists(&head));
    let d = wanted(&fresh, None);
    assert_eq!(blocked(&d, &path), Vec::<&str>::new(), "from the recorded blobs");
    assert_eq!(blocked(&d, other), Vec::<&str>::new());
    assert!(
        !Git::open(&fresh).unwrap().commit_exists(&head),
        "the record's blobs sufficed"
    );

    // evidence without a record (`--evidence DIR`): the head is fetched from refs/pull/12/head
    let fresh2 = t.path().join("fresh2");
    git(
        t.path(),
        &[
            "clone",
            "-q",
            "--no-local",
            origin.to_str().unwrap(),
            fresh2.to_str().unwrap(),
        ],
        "admin",
    );
    let ev = t.path().join("evidence");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("12.json"), snap.to_string()).unwrap();
    let g = Git::open(&fresh2).unwrap();
    let d = desired(
        &g,
        Branch {
            tip: "main",
            name: "main",
        },
        &Ledger::default(),
        &EvidenceDir::open(&ev).unwrap(),
        AT.parse().unwrap(),
    );
    assert_eq!(blocked(&d, &path), Vec::<&str>::new());
    assert!(g.commit_exists(&head), "refs/pull/12/head was fetched");
    // and the verified records are returned for the ledger, approvers included
    assert_eq!(d.records.len(), 2);
    assert_eq!(d.records[0].records[0].approvers[1].login, "heidi");
}

/// Issue 9 attack: a `merged` ledger event whose record says more than its evidence (a
/// window stretched by a month, written by anything but the gate) grants nothing; the
/// record must be the one the re-verified evidence makes.
#[test]
fn a_record_that_disagrees_with_its_evidence_grants_nothing() {
    let (_t, dir) = tmp();
    repo(&dir);
    let path = format!("{PROD}/inc-20.toml");
    let files = [(path.as_str(), request("alice"))];
    let (snap, _) = merge(
        &dir,
        &Pr {
            number: 20,
            target: "main",
            files: &files,
            approvers: &["dan", "heidi"],
            style: Style::Merge,
        },
    );
    assert_eq!(gate(&dir, &snap).0, 0);
    let g = Git::open(&dir).unwrap();
    let branch = Branch {
        tip: "main",
        name: "main",
    };
    let at = AT.parse().unwrap();
    let honest = ledger(&dir);
    let d = desired(&g, branch, &honest, &NoEvidence, at);
    assert_eq!(blocked(&d, &path), Vec::<&str>::new());
    type Forge = fn(&mut gitgrant::core::gate::record::ApprovalRecord);
    let forgeries: [(&str, Forge); 4] = [
        ("a month longer", |r| r.end += chrono::Duration::days(30)),
        ("an earlier start", |r| r.start -= chrono::Duration::days(1)),
        ("another requester", |r| r.requester = "mallory".into()),
        ("merged later (dodging stale)", |r| {
            r.merged_at -= chrono::Duration::hours(1)
        }),
    ];
    for (what, forge) in forgeries {
        let mut forged = honest.clone();
        for e in forged.events.iter_mut() {
            e.records.iter_mut().filter(|r| r.path == path).for_each(forge);
        }
        let d = desired(&g, branch, &forged, &NoEvidence, at);
        assert_eq!(blocked(&d, &path), vec!["record-disagrees-with-evidence"], "{what}");
    }
}

/// Issue 9 attack (DESIGN 10.6): heidi pushed a commit to alice's PR (the ledger has
/// GitHub's `pushed` event for it) and then approved it; the gate's merge run never
/// happened, so the evidence comes from `--evidence DIR` (or the API, whose PR object has no
/// pushers). The reconciler re-verifies with the ledger's pushers: heidi's approval does not
/// count.
#[test]
fn evidence_without_pushers_gets_the_ledgers_pushers_before_it_verifies() {
    use gitgrant::core::ledger::{Event, Kind};
    let (t, dir) = tmp();
    repo(&dir);
    let path = format!("{PROD}/inc-21.toml");
    let files = [(path.as_str(), request("alice"))];
    let (mut snap, _) = merge(
        &dir,
        &Pr {
            number: 21,
            target: "main",
            files: &files,
            approvers: &["dan", "heidi"],
            style: Style::Merge,
        },
    );
    snap.as_object_mut().unwrap().remove("pushers");
    let ev = t.path().join("evidence");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("21.json"), snap.to_string()).unwrap();
    assert_eq!(blocked(&wanted(&dir, Some(&ev)), &path), Vec::<&str>::new());
    let mut pushed = Event::new(Kind::Pushed, "2026-11-22T11:20:00Z".parse().unwrap());
    pushed.pr = Some(21);
    pushed.actor = Some("Heidi".into());
    pushed.head_sha = snap["pull_request"]["head"]["sha"].as_str().map(str::to_string);
    Git::open(&dir)
        .unwrap()
        .append_ledger(&[pushed], "gitgrant: PR #21 pushed")
        .unwrap();
    let d = wanted(&dir, Some(&ev));
    let codes = blocked(&d, &path);
    assert_eq!(codes[0], "not-approved", "{codes:?}");
    assert!(codes.contains(&"awaiting-approval"), "{codes:?}");
    assert!(d.records.is_empty(), "no record is written for it");
}

/// Issue 9 attack (DESIGN 10.3, decided at merge): PR #22 was merged with one lead's
/// approval (the check was faked); a second lead approved after the merge (GitHub accepts
/// reviews on merged PRs). The evidence the API gives now holds both reviews; only the one
/// submitted before the merge counts.
#[test]
fn an_approval_submitted_after_the_merge_is_not_evidence() {
    let (t, dir) = tmp();
    repo(&dir);
    let path = format!("{PROD}/inc-22.toml");
    let files = [(path.as_str(), request("alice"))];
    let (mut snap, _) = merge(
        &dir,
        &Pr {
            number: 22,
            target: "main",
            files: &files,
            approvers: &["dan", "heidi"],
            style: Style::Merge,
        },
    );
    let ev = t.path().join("evidence");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("22.json"), snap.to_string()).unwrap();
    assert_eq!(blocked(&wanted(&dir, Some(&ev)), &path), Vec::<&str>::new());
    // merged at 11:45; heidi's approval came at 12:30
    snap["reviews"][1]["submitted_at"] = json!("2026-11-22T12:30:00Z");
    std::fs::write(ev.join("22.json"), snap.to_string()).unwrap();
    let codes = blocked(&wanted(&dir, Some(&ev)), &path);
    assert_eq!(codes[0], "not-approved", "{codes:?}");
    assert!(codes.contains(&"awaiting-approval"), "{codes:?}");
}

/// Issue 9 attack: a ledger line that does not parse may be a `revoked` event; skipping it
/// would grant the request again. While any ledger line is unreadable nothing new is granted
/// (`ledger-unreadable`), and active grants are kept.
#[test]
fn an_unreadable_revocation_in_the_ledger_blocks_the_grant() {
    let (_t, dir) = tmp();
    repo(&dir);
    let path = format!("{PROD}/inc-23.toml");
    let files = [(path.as_str(), request("alice"))];
    let (snap, _) = merge(
        &dir,
        &Pr {
            number: 23,
            target: "main",
            files: &files,
            approvers: &["dan", "heidi"],
            style: Style::Merge,
        },
    );
    assert_eq!(gate(&dir, &snap).0, 0);
    let mut l = ledger(&dir);
    let line = format!(r#"{{"at": "2026-11-22T12:10:00Z", "kind": "revoked", "request": "{path}", "pr": "23"}}"#);
    let bad = gitgrant::core::ledger::Ledger::parse([("events/2026-11.jsonl", line.as_str())]);
    assert_eq!(bad.bad_lines.len(), 1, "the line does not parse");
    l.bad_lines.extend(bad.bad_lines);
    let g = Git::open(&dir).unwrap();
    let branch = Branch {
        tip: "main",
        name: "main",
    };
    let d = desired(&g, branch, &l, &NoEvidence, AT.parse().unwrap());
    assert_eq!(blocked(&d, &path)[0], "ledger-unreadable");
}

/// Issue 9 attack (DESIGN 10.3) at the gate: its merge run (or a re-run days later) reads
/// the PR as GitHub has it now, with a review submitted after the merge; that review does
/// not approve what was merged, so no approval record is written.
#[test]
fn the_gate_writes_no_record_on_an_approval_submitted_after_the_merge() {
    let (_t, dir) = tmp();
    repo(&dir);
    let path = format!("{PROD}/inc-24.toml");
    let files = [(path.as_str(), request("alice"))];
    let (mut snap, _) = merge(
        &dir,
        &Pr {
            number: 24,
            target: "main",
            files: &files,
            approvers: &["dan", "heidi"],
            style: Style::Merge,
        },
    );
    // merged at 11:45; heidi approved at 11:48
    snap["reviews"][1]["submitted_at"] = json!("2026-11-22T11:48:00Z");
    let (code, out) = gate(&dir, &snap);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("awaiting-approval"), "{out}");
    let l = ledger(&dir);
    let merged = l.merges_of(&path).next().expect("a merged event");
    assert!(merged.records.is_empty(), "{:?}", merged.records);
}
