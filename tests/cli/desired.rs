//! What the reconciler wants granted, from a real repository: requests merged through an
//! approved PR (evidence re-verified) are wanted; a request pushed straight to main, a
//! file changed after approval, an unmerged or unapproved PR are blocked.

use std::path::Path;

use gitgrant::adapters::git::Git;
use gitgrant::app::reconcile::desired::{Branch, EvidenceDir, desired};
use gitgrant::core::ledger::Ledger;
use serde_json::{Value, json};

use crate::support::{copy_dir, fixtures, git_as as git};

fn request(who: &str, account: &str, ps: &str) -> String {
    format!(
        "requester = \"{who}\"\naccount = \"{account}\"\npermission_set = \"{ps}\"\nstart = 2026-11-22T13:00:00Z\nduration = \"2h\"\nreason = \"Roll back\"\n"
    )
}

fn user(l: &str) -> Value {
    json!({"login": l, "id": 1, "type": "User"})
}

/// Merges a branch adding `path` with `--no-ff`; returns (base, head, merge) and the
/// evidence snapshot of that PR, approved by `approvers`.
fn merge_pr(dir: &Path, number: u64, path: &str, content: &str, approvers: &[&str]) -> (Value, String) {
    let base = git(dir, &["rev-parse", "main"], "admin");
    git(dir, &["checkout", "-q", "-b", &format!("pr{number}")], "alice");
    std::fs::create_dir_all(dir.join(path).parent().unwrap()).unwrap();
    std::fs::write(dir.join(path), content).unwrap();
    git(dir, &["add", "-A"], "alice");
    git(dir, &["commit", "-q", "-m", "request"], "alice");
    let head = git(dir, &["rev-parse", "HEAD"], "alice");
    git(dir, &["checkout", "-q", "main"], "admin");
    git(
        dir,
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            &format!("Merge pull request #{number}"),
            &format!("pr{number}"),
        ],
        "web-flow",
    );
    let merge = git(dir, &["rev-parse", "HEAD"], "admin");
    let reviews: Vec<Value> = approvers
        .iter()
        .enumerate()
        .map(|(i, a)| json!({"id": i + 1, "user": user(a), "body": "Approved after checking the incident.", "state": "APPROVED", "commit_id": head, "submitted_at": "2026-11-22T11:30:00Z"}))
        .collect();
    let snap = json!({
        "pull_request": {"number": number, "state": "closed", "merged": true, "merged_at": "2026-11-22T11:45:00Z", "merge_commit_sha": merge,
                         "user": user("alice"), "created_at": "2026-11-22T11:00:00Z", "head": {"sha": head}, "base": {"sha": base, "ref": "main", "repo": {"default_branch": "main"}}},
        "commits": [{"sha": head, "commit": {"author": {"email": "alice@users.noreply.github.com"}, "committer": {"email": "alice@users.noreply.github.com"}, "message": "request"},
                     "author": user("alice"), "committer": user("alice")}],
        "reviews": reviews,
        "files": [{"filename": path, "status": "added"}],
        "teams": {"acme/platform-leads": ["dan", "heidi"], "acme/platform-oncall": []}
    });
    (snap, merge)
}

#[test]
fn only_requests_with_verified_approval_evidence_are_wanted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    copy_dir(&fixtures().join("base"), &dir);
    // the fixture's own requests were never merged through a PR here: remove them
    std::fs::remove_dir_all(dir.join("requests")).unwrap();
    git(&dir, &["init", "-q", "-b", "main"], "admin");
    git(&dir, &["add", "-A"], "admin");
    git(&dir, &["commit", "-q", "-m", "base"], "admin");
    let evidence = tmp.path().join("evidence");
    std::fs::create_dir(&evidence).unwrap();

    let good = "requests/payments-prod/AdministratorAccess/good.toml";
    let (snap, _) = merge_pr(
        &dir,
        1,
        good,
        &request("alice", "payments-prod", "AdministratorAccess"),
        &["dan", "heidi"],
    );
    std::fs::write(evidence.join("1.json"), snap.to_string()).unwrap();

    let one_approval = "requests/payments-prod/AdministratorAccess/one-approval.toml";
    let (snap, _) = merge_pr(
        &dir,
        2,
        one_approval,
        &request("alice", "payments-prod", "AdministratorAccess"),
        &["dan"],
    );
    std::fs::write(evidence.join("2.json"), snap.to_string()).unwrap();

    let edited = "requests/payments-prod/AdministratorAccess/edited.toml";
    let (snap, _) = merge_pr(
        &dir,
        3,
        edited,
        &request("alice", "payments-prod", "AdministratorAccess"),
        &["dan", "heidi"],
    );
    std::fs::write(evidence.join("3.json"), snap.to_string()).unwrap();
    std::fs::write(
        dir.join(edited),
        request("alice", "payments-prod", "AdministratorAccess").replace("2h", "4h"),
    )
    .unwrap();
    git(&dir, &["commit", "-q", "-am", "longer"], "mallory");

    let unmerged = "requests/payments-prod/AdministratorAccess/unmerged.toml";
    let (mut snap, _) = merge_pr(
        &dir,
        4,
        unmerged,
        &request("alice", "payments-prod", "AdministratorAccess"),
        &["dan", "heidi"],
    );
    snap["pull_request"]["merged"] = json!(false);
    std::fs::write(evidence.join("4.json"), snap.to_string()).unwrap();

    let pushed = "requests/payments-prod/AdministratorAccess/pushed.toml";
    std::fs::write(
        dir.join(pushed),
        request("alice", "payments-prod", "AdministratorAccess"),
    )
    .unwrap();
    git(&dir, &["add", "-A"], "mallory");
    git(&dir, &["commit", "-q", "-m", "straight to main"], "mallory");

    // evidence claiming a merge that is not on the default branch
    let forged = "requests/payments-prod/AdministratorAccess/forged.toml";
    let (mut snap, _) = merge_pr(
        &dir,
        5,
        forged,
        &request("alice", "payments-prod", "AdministratorAccess"),
        &["dan", "heidi"],
    );
    snap["pull_request"]["merge_commit_sha"] = json!("ffffffffffffffffffffffffffffffffffffffff");
    std::fs::write(evidence.join("5.json"), snap.to_string()).unwrap();

    let g = Git::open(&dir).unwrap();
    let d = desired(
        &g,
        Branch {
            tip: "main",
            name: "main",
        },
        &Ledger::default(),
        &EvidenceDir::open(&evidence).unwrap(),
        "2026-11-22T12:00:00Z".parse().unwrap(),
    );
    assert!(d.readable);
    let state: Vec<(String, Vec<&str>)> = d
        .candidates
        .iter()
        .map(|c| {
            (
                c.path.rsplit('/').next().unwrap().to_string(),
                c.blocked.iter().map(|r| r.code).collect(),
            )
        })
        .collect();
    let find = |name: &str| state.iter().find(|(n, _)| n == name).map(|(_, r)| r.clone()).unwrap();
    assert_eq!(find("good.toml"), Vec::<&str>::new(), "{state:?}");
    assert_eq!(find("one-approval.toml")[0], "not-approved", "{state:?}");
    assert_eq!(find("edited.toml"), vec!["file-changed-after-approval"]);
    assert_eq!(find("unmerged.toml"), vec!["evidence-not-merged"]);
    assert_eq!(find("pushed.toml"), vec!["no-approved-pr"]);
    assert_eq!(find("forged.toml"), vec!["merge-not-on-default-branch"]);
    let good_c = d.candidates.iter().find(|c| c.path == good).unwrap();
    assert_eq!(good_c.start.to_rfc3339(), "2026-11-22T13:00:00+00:00");
    assert_eq!(good_c.user_name.as_deref(), Some("alice@acme.example"));
}
