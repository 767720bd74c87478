//! The reconciler against moto (a real AWS API emulator) and real git (a bare `origin`, a
//! clone as the job's checkout, real ledger pushes): each DESIGN 5 scenario is a test.
//! Requests reach main through merged PRs whose approval evidence is a replay snapshot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::moto::{ACCOUNTS, Moto, Seeded, seed, user_name};
use crate::support::{bin, copy_dir, fixtures, git_as as git};

const ADMIN: &str = "AdministratorAccess";

struct World {
    moto: Moto,
    seeded: Seeded,
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    evidence: PathBuf,
    prs: u64,
    /// When PRs are opened, reviewed and merged in the evidence.
    pr_times: [String; 3],
    /// `acme/platform-oncall`'s members in the PRs' snapshots (at PR time).
    oncall: Vec<&'static str>,
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `policies/directory.toml` for the seeded organization.
fn directory(s: &Seeded) -> String {
    let mut t = format!(
        "synced_at = 2026-11-22T00:00:00Z\ninstance_arn = \"{}\"\nidentity_store_id = \"{}\"\n",
        s.instance_arn, s.identity_store_id
    );
    for (path, id) in &s.ous {
        t.push_str(&format!("\n[[ou]]\nid = \"{id}\"\npath = \"{path}\"\n"));
    }
    for (name, ou) in ACCOUNTS {
        t.push_str(&format!(
            "\n[[account]]\nid = \"{}\"\nname = \"{name}\"\nou = \"{ou}\"\n",
            s.accounts[name]
        ));
    }
    for (name, arn) in &s.permission_sets {
        t.push_str(&format!(
            "\n[[permission_set]]\nname = \"{name}\"\narn = \"{arn}\"\nsession_duration = \"PT1H\"\n"
        ));
    }
    t.push_str("\n[[group]]\nname = \"DBA\"\nmembers = [\"dave@acme.example\", \"erin@acme.example\"]\n");
    t.push_str("\n[[group]]\nname = \"SRE\"\nmembers = [\"alice@acme.example\", \"grace@acme.example\"]\n");
    t
}

impl World {
    fn new() -> World {
        let moto = Moto::start();
        let seeded = rt().block_on(async { seed(&moto.sdk_config().await).await });
        let tmp = tempfile::tempdir().unwrap();
        let (_origin, repo) = crate::support::bare_origin_and_clone(tmp.path(), "checkout");
        copy_dir(&fixtures().join("base"), &repo);
        std::fs::remove_dir_all(repo.join("requests")).unwrap();
        std::fs::write(repo.join("policies/directory.toml"), directory(&seeded)).unwrap();
        git(&repo, &["checkout", "-q", "-b", "main"], "admin");
        git(&repo, &["add", "-A"], "admin");
        git(&repo, &["commit", "-q", "-m", "access repository"], "admin");
        git(&repo, &["push", "-q", "origin", "main"], "admin");
        let check = bin()
            .args([
                "check",
                "--repo",
                repo.to_str().unwrap(),
                "--at",
                "2026-11-22T12:00:00Z",
            ])
            .output()
            .unwrap();
        assert_eq!(
            check.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
        let evidence = tmp.path().join("evidence");
        std::fs::create_dir(&evidence).unwrap();
        World {
            moto,
            seeded,
            _tmp: tmp,
            repo,
            evidence,
            prs: 0,
            pr_times: [
                "2026-11-22T10:00:00Z".into(),
                "2026-11-22T10:30:00Z".into(),
                "2026-11-22T10:45:00Z".into(),
            ],
            oncall: vec![],
        }
    }

    /// Merges a PR adding a request, approved by the two platform leads, and saves its
    /// replay snapshot as evidence.
    fn merge_request(&mut self, id: &str, who: &str, account: &str, ps: &str, start: &str, duration: &str) -> String {
        self.merge_requests(who, &[(id, account, ps, start, duration)], false)
            .remove(0)
    }

    /// Merges one PR by `who` adding every request `(id, account, permission set, start,
    /// duration)`, with a merge commit or squashed, and saves its replay snapshot.
    fn merge_requests(&mut self, who: &str, requests: &[(&str, &str, &str, &str, &str)], squash: bool) -> Vec<String> {
        self.merge_pr(who, requests, squash, false)
    }

    /// Merges a PR by `who` adding a break-glass request (with its ticket), merged at once
    /// without a review, as the gate's self-merge does.
    fn merge_break_glass(&mut self, id: &str, who: &str, account: &str, start: &str, duration: &str) -> String {
        self.merge_pr(who, &[(id, account, ADMIN, start, duration)], false, true)
            .remove(0)
    }

    fn merge_pr(
        &mut self,
        who: &str,
        requests: &[(&str, &str, &str, &str, &str)],
        squash: bool,
        emergency: bool,
    ) -> Vec<String> {
        self.prs += 1;
        let n = self.prs;
        let dir = &self.repo;
        let base = git(dir, &["rev-parse", "main"], "admin");
        git(dir, &["checkout", "-q", "-b", &format!("pr{n}")], who);
        let mut paths = Vec::new();
        for (id, account, ps, start, duration) in requests {
            let path = format!("requests/{account}/{ps}/{id}.toml");
            std::fs::create_dir_all(dir.join(&path).parent().unwrap()).unwrap();
            std::fs::write(
                dir.join(&path),
                format!(
                    "requester = \"{who}\"\naccount = \"{account}\"\npermission_set = \"{ps}\"\nstart = {start}\nduration = \"{duration}\"\nreason = \"Scenario {id}\"\n{}",
                    if emergency { "ticket = \"INC-5120\"\nemergency = true\n" } else { "" }
                ),
            )
            .unwrap();
            paths.push(path);
        }
        git(dir, &["add", "-A"], who);
        git(dir, &["commit", "-q", "-m", &format!("request {}", requests[0].0)], who);
        let head = git(dir, &["rev-parse", "HEAD"], who);
        git(dir, &["checkout", "-q", "main"], "admin");
        let title = format!("Merge pull request #{n}");
        if squash {
            git(dir, &["merge", "-q", "--squash", &format!("pr{n}")], "web-flow");
            git(dir, &["commit", "-q", "-m", &title], "web-flow");
        } else {
            git(
                dir,
                &["merge", "-q", "--no-ff", "-m", &title, &format!("pr{n}")],
                "web-flow",
            );
        }
        let merge = git(dir, &["rev-parse", "HEAD"], "admin");
        git(dir, &["push", "-q", "origin", "main"], "admin");
        let user = |l: &str| json!({"login": l, "id": 1, "type": "User"});
        let review = |i: u64, l: &str| json!({"id": i, "user": user(l), "body": "Checked the incident; approved.", "state": "APPROVED", "commit_id": head, "submitted_at": self.pr_times[1]});
        let files: Vec<Value> = paths
            .iter()
            .map(|p| json!({"filename": p, "status": "added"}))
            .collect();
        let snap = json!({
            "pull_request": {"number": n, "state": "closed", "merged": true, "merged_at": self.pr_times[2], "merge_commit_sha": merge,
                             "user": user(who), "created_at": self.pr_times[0], "head": {"sha": head}, "base": {"sha": base, "ref": "main", "repo": {"default_branch": "main"}}},
            "commits": [{"sha": head, "commit": {"author": {"email": format!("{who}@users.noreply.github.com")}, "committer": {"email": format!("{who}@users.noreply.github.com")}, "message": "request"},
                         "author": user(who), "committer": user(who)}],
            "reviews": if emergency { json!([]) } else { json!([review(1, "dan"), review(2, "heidi"), review(3, "carol")]) },
            "files": files,
            "teams": {"acme/platform-leads": ["dan", "heidi"], "acme/platform-oncall": self.oncall, "acme/engineering": ["bob"], "acme/dba-leads": ["heidi"]}
        });
        std::fs::write(self.evidence.join(format!("{n}.json")), snap.to_string()).unwrap();
        paths
    }

    /// A commit straight to main (no PR), pushed.
    fn commit_on_main(&self, f: impl FnOnce(&Path), message: &str) {
        f(&self.repo);
        git(&self.repo, &["add", "-A"], "admin");
        git(&self.repo, &["commit", "-q", "-m", message], "admin");
        git(&self.repo, &["push", "-q", "origin", "main"], "admin");
    }

    fn run(&self, cmd: &str, at: &str, extra: &[&str]) -> (i32, Value) {
        self.run_env(cmd, at, extra, &[])
    }

    /// As [`World::run`], with these environment variables (a GitHub token and API root).
    fn run_env(&self, cmd: &str, at: &str, extra: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
        let (code, v, _) = self.run_full(cmd, at, extra, env);
        (code, v)
    }

    /// `gitgrant CMD` on this world's repository and evidence, then `args`, against its moto
    /// and without a GitHub token.
    fn command(&self, cmd: &str, args: &[&str]) -> std::process::Command {
        let mut c = bin();
        c.args([
            cmd,
            "--repo",
            self.repo.to_str().unwrap(),
            "--evidence",
            self.evidence.to_str().unwrap(),
        ])
        .args(args);
        for (k, v) in self.moto.env() {
            c.env(k, v);
        }
        c.env_remove("GITHUB_TOKEN");
        c
    }

    /// As [`World::run_env`], with the run's stderr.
    fn run_full(&self, cmd: &str, at: &str, extra: &[&str], env: &[(&str, &str)]) -> (i32, Value, String) {
        let mut c = self.command(cmd, &["--at", at, "--format", "json"]);
        c.args(extra);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let v = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("not JSON: {stdout}{stderr}"));
        (out.status.code().unwrap(), v, stderr)
    }

    fn apply(&self, at: &str) -> Value {
        let (code, v) = self.run("apply", at, &[]);
        assert_eq!(code, 0, "{v:#}");
        v
    }

    /// (account name, permission set, login) of every USER assignment, as AWS has them.
    fn assignments(&self) -> BTreeSet<(String, String, String)> {
        rt().block_on(async {
            let cfg = self.moto.sdk_config().await;
            let ic = gitgrant::adapters::aws::IdentityCenter::from_sdk_config(&cfg, Some(&self.seeded.instance_arn))
                .await
                .unwrap();
            let arns: Vec<String> = self.seeded.permission_sets.values().cloned().collect();
            let pairs: Vec<(String, String)> = self
                .seeded
                .accounts
                .values()
                .chain([&self.seeded.management_account])
                .flat_map(|a| arns.iter().map(move |p| (a.clone(), p.clone())))
                .collect();
            let name_of_account = |id: &str| {
                self.seeded
                    .accounts
                    .iter()
                    .find(|(_, v)| *v == id)
                    .map(|(k, _)| k.clone())
                    .unwrap_or(id.to_string())
            };
            let name_of_ps = |arn: &str| {
                self.seeded
                    .permission_sets
                    .iter()
                    .find(|(_, v)| *v == arn)
                    .map(|(k, _)| k.clone())
                    .unwrap()
            };
            let login_of = |id: &str| {
                self.seeded
                    .users
                    .iter()
                    .find(|(_, v)| *v == id)
                    .map(|(k, _)| k.clone())
                    .unwrap_or(id.to_string())
            };
            ic.actual_assignments_with(&arns, &pairs)
                .await
                .unwrap()
                .into_iter()
                .filter(|a| a.principal_type == gitgrant::adapters::aws::PrincipalType::User)
                .map(|a| {
                    (
                        name_of_account(&a.account_id),
                        name_of_ps(&a.permission_set_arn),
                        login_of(&a.principal_id),
                    )
                })
                .collect()
        })
    }

    /// Creates an assignment by hand, as an admin in the console would.
    fn assign_by_hand(&self, account: &str, ps: &str, login: &str) {
        let account_id = self
            .seeded
            .accounts
            .get(account)
            .cloned()
            .unwrap_or_else(|| account.to_string());
        rt().block_on(async {
            let cfg = self.moto.sdk_config().await;
            let ic = gitgrant::adapters::aws::IdentityCenter::from_sdk_config(&cfg, Some(&self.seeded.instance_arn))
                .await
                .unwrap();
            let o = ic
                .create_assignment(&account_id, &self.seeded.permission_sets[ps], &self.seeded.users[login])
                .await
                .unwrap();
            assert!(o.succeeded());
        })
    }

    /// Deletes an assignment by hand, as an admin in the console would.
    fn unassign_by_hand(&self, account: &str, ps: &str, login: &str) {
        rt().block_on(async {
            let cfg = self.moto.sdk_config().await;
            let ic = gitgrant::adapters::aws::IdentityCenter::from_sdk_config(&cfg, Some(&self.seeded.instance_arn))
                .await
                .unwrap();
            let o = ic
                .delete_assignment(
                    &self.seeded.accounts[account],
                    &self.seeded.permission_sets[ps],
                    &self.seeded.users[login],
                )
                .await
                .unwrap();
            assert!(o.succeeded());
        })
    }

    /// Takes `login` out of Identity Center group `group`, as an admin in the console would.
    fn leave_group(&self, group: &str, login: &str) {
        rt().block_on(async {
            let cfg = self.moto.sdk_config().await;
            let ids = aws_sdk_identitystore::Client::new(&cfg);
            let m = ids
                .get_group_membership_id()
                .identity_store_id(&self.seeded.identity_store_id)
                .group_id(&self.seeded.groups[group])
                .member_id(aws_sdk_identitystore::types::MemberId::UserId(
                    self.seeded.users[login].clone(),
                ))
                .send()
                .await
                .unwrap();
            ids.delete_group_membership()
                .identity_store_id(&self.seeded.identity_store_id)
                .membership_id(m.membership_id)
                .send()
                .await
                .unwrap();
        })
    }

    fn ledger(&self) -> Vec<Value> {
        let g = gitgrant::adapters::git::Git::open(&self.repo).unwrap();
        g.fetch_ledger().unwrap();
        g.read_ledger()
            .unwrap()
            .events
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect()
    }
}

fn a(account: &str, ps: &str, login: &str) -> (String, String, String) {
    (account.into(), ps.into(), login.into())
}

#[test]
fn a_grant_starts_at_its_start_and_ends_at_its_end() {
    let mut w = World::new();
    let path = w.merge_request("inc-1", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "2h");
    // before start: nothing, the request is scheduled
    let (code, plan) = w.run("plan", "2026-11-22T12:00:00Z", &[]);
    assert_eq!(code, 0);
    assert_eq!(plan["create"], json!([]));
    assert_eq!(plan["scheduled"], json!([path]));
    w.apply("2026-11-22T12:00:00Z");
    assert!(w.assignments().is_empty());
    // the evidence came from `--evidence DIR`: the run wrote the approval record it verified
    let merged: Vec<Value> = w.ledger().into_iter().filter(|e| e["kind"] == "merged").collect();
    assert_eq!(merged.len(), 1);
    let record = &merged[0]["records"][0];
    assert_eq!(
        (record["path"].as_str(), record["pr"].as_u64()),
        (Some(path.as_str()), Some(1))
    );
    let approvers: Vec<&str> = record["approvers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["login"].as_str().unwrap())
        .collect();
    assert_eq!(approvers, ["dan", "heidi"], "carol is no code owner of the path");
    assert_eq!(record["account_id"], w.seeded.accounts["payments-prod"].as_str());
    // so `audit` shows who approved
    let row = audit_row(&w, "2026-11-22T12:00:00Z", &path);
    let by: Vec<&str> = row["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["dan", "heidi"], "the record's counted approvers: {row:#}");
    // at start: created, and recorded
    let v = w.apply("2026-11-22T13:00:00Z");
    assert_eq!(v["create"][0]["request"], path);
    assert_eq!(v["create"][0]["user"], user_name("alice"));
    assert_eq!(v["create"][0]["permission_set"], ADMIN);
    assert_eq!(w.assignments(), BTreeSet::from([a("payments-prod", ADMIN, "alice")]));
    let activated = w.ledger().into_iter().find(|e| e["kind"] == "activated").unwrap();
    assert_eq!(activated["request"], path);
    assert!(activated["assignment_request_id"].is_string());
    // a second run in the window changes nothing (idempotent)
    let v = w.apply("2026-11-22T14:00:00Z");
    assert_eq!(
        (
            v["create"].as_array().unwrap().len(),
            v["delete"].as_array().unwrap().len()
        ),
        (0, 0)
    );
    // at the end: removed, recorded as expired
    let v = w.apply("2026-11-22T15:00:00Z");
    assert_eq!(v["delete"][0]["reason"], "expired");
    assert!(w.assignments().is_empty());
    let ended = w.ledger().into_iter().find(|e| e["kind"] == "ended").unwrap();
    assert_eq!(ended["reason"], "expired");
    // the record was written once, not on every run
    assert_eq!(w.ledger().iter().filter(|e| e["kind"] == "merged").count(), 1);
    // the ledger's history reads as the access history
    let log = git(&w.repo, &["log", "--format=%s", "origin/gitgrant-ledger"], "admin");
    assert!(log.contains("1 ended"), "{log}");
}

#[test]
fn deleting_the_file_revokes_and_overlapping_grants_add_up() {
    let mut w = World::new();
    let first = w.merge_request("inc-2", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "2h");
    w.merge_request("inc-3", "alice", "payments-prod", ADMIN, "2026-11-22T14:00:00Z", "3h");
    w.apply("2026-11-22T13:00:00Z");
    w.apply("2026-11-22T14:00:00Z");
    assert_eq!(w.assignments(), BTreeSet::from([a("payments-prod", ADMIN, "alice")]));
    // the first ends at 15:00 but the second covers until 17:00: access stays
    let v = w.apply("2026-11-22T15:30:00Z");
    assert_eq!(v["delete"], json!([]));
    assert_eq!(w.assignments().len(), 1);
    // revoking both files (a revert PR) removes access at once, though windows remain
    w.commit_on_main(
        |r| {
            std::fs::remove_file(r.join(&first)).unwrap();
            std::fs::remove_file(r.join("requests/payments-prod/AdministratorAccess/inc-3.toml")).unwrap();
        },
        "Revert: revoke",
    );
    let v = w.apply("2026-11-22T15:40:00Z");
    assert_eq!(v["delete"][0]["reason"], "revoked");
    assert!(w.assignments().is_empty());
}

#[test]
fn unmanaged_and_hand_made_assignments() {
    let mut w = World::new();
    // a permanent assignment of an unmanaged permission set, and a hand-made one of a managed
    // set. (moto lists provisioned permission sets only in its own management account, so
    // the hand-made one is made there; real AWS lists every account a set is provisioned to.)
    let mgmt = w.seeded.management_account.clone();
    w.assign_by_hand("payments-prod", "BillingReadOnly", "alice");
    w.assign_by_hand(&mgmt, ADMIN, "bob");
    w.merge_request("inc-4", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "1h");
    w.apply("2026-11-22T13:00:00Z");
    let v = w.apply("2026-11-22T14:00:00Z");
    // the expiry removes only what gitgrant made
    assert_eq!(v["delete"].as_array().unwrap().len(), 1);
    assert_eq!(v["drift"][0]["account"], mgmt);
    assert_eq!(
        w.assignments(),
        BTreeSet::from([a("payments-prod", "BillingReadOnly", "alice"), a(&mgmt, ADMIN, "bob")])
    );
    // by setting, hand-made assignments of managed permission sets are removed
    w.commit_on_main(
        |r| {
            let p = r.join("policies/access.toml");
            let t = std::fs::read_to_string(&p).unwrap().replacen(
                "max_removals_per_run = 25",
                "max_removals_per_run = 25\nremove_drift = true",
                1,
            );
            std::fs::write(p, t).unwrap();
        },
        "remove drift",
    );
    let v = w.apply("2026-11-22T14:05:00Z");
    assert_eq!(v["delete"][0]["reason"], "drift");
    assert_eq!(
        w.assignments(),
        BTreeSet::from([a("payments-prod", "BillingReadOnly", "alice")])
    );
}

#[test]
fn losing_eligibility_removes_access_and_the_brake_holds() {
    let mut w = World::new();
    w.merge_request("inc-5", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    w.merge_request("inc-6", "grace", "data-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    w.apply("2026-11-22T13:00:00Z");
    assert_eq!(w.assignments().len(), 2);
    // the SRE group no longer may request prod admin, and the brake allows one removal
    w.commit_on_main(
        |r| {
            let p = r.join("policies/access.toml");
            let t = std::fs::read_to_string(&p)
                .unwrap()
                .replacen(
                    "principals = [\"@acme/platform-oncall\", \"idc-group:SRE\"]",
                    "principals = [\"@acme/platform-oncall\"]",
                    1,
                )
                .replacen("max_removals_per_run = 25", "max_removals_per_run = 1", 1);
            std::fs::write(p, t).unwrap();
        },
        "tighten prod admin",
    );
    let (code, v) = w.run("apply", "2026-11-22T13:30:00Z", &[]);
    assert_eq!(code, 1, "the brake stops the run");
    assert!(v["halted"].as_str().unwrap().contains("max_removals_per_run"));
    assert_eq!(w.assignments().len(), 2, "nothing was removed");
    let (code, v) = w.run("apply", "2026-11-22T13:31:00Z", &["--force"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["delete"][0]["reason"], "no-longer-eligible");
    assert!(w.assignments().is_empty());
}

#[test]
fn a_run_stopped_half_way_is_finished_by_the_next() {
    let mut w = World::new();
    let p1 = w.merge_request("inc-7", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "1h");
    let p2 = w.merge_request("inc-8", "alice", "data-prod", ADMIN, "2026-11-22T13:00:00Z", "1h");
    // what a killed run leaves: its intent in the ledger and one of two assignments made
    let g = gitgrant::adapters::git::Git::open(&w.repo).unwrap();
    let intents: Vec<gitgrant::core::ledger::Event> = [(&p1, "payments-prod"), (&p2, "data-prod")]
        .iter()
        .map(|(p, acct)| {
            let mut e = gitgrant::core::ledger::Event::new(
                gitgrant::core::ledger::Kind::Assigning,
                "2026-11-22T13:00:00Z".parse().unwrap(),
            );
            e.request = Some(p.to_string());
            e.account_id = Some(w.seeded.accounts[*acct].clone());
            e.permission_set = Some(ADMIN.into());
            e.permission_set_arn = Some(w.seeded.permission_sets[ADMIN].clone());
            e.user_name = Some(user_name("alice"));
            e.user_id = Some(w.seeded.users["alice"].clone());
            e.ends_at = Some("2026-11-22T14:00:00Z".parse().unwrap());
            e
        })
        .collect();
    g.append_ledger(&intents, "gitgrant apply at 2026-11-22T13:00:00Z: assigning 2 grant(s)")
        .unwrap();
    w.assign_by_hand("payments-prod", ADMIN, "alice");
    // the next run makes only the missing one: no duplicate
    let v = w.apply("2026-11-22T13:01:00Z");
    assert_eq!(v["create"].as_array().unwrap().len(), 1);
    assert_eq!(v["create"][0]["request"], p2);
    assert_eq!(
        w.assignments(),
        BTreeSet::from([a("payments-prod", ADMIN, "alice"), a("data-prod", ADMIN, "alice")])
    );
    // and at the end both go, including the one the stopped run made
    let v = w.apply("2026-11-22T14:00:00Z");
    assert_eq!(v["delete"].as_array().unwrap().len(), 2);
    assert!(w.assignments().is_empty());
}

#[test]
fn requests_without_an_approved_pr_and_faults_are_reported_not_granted() {
    let mut w = World::new();
    // pushed straight to main: blocked, never granted
    w.commit_on_main(
        |r| {
            std::fs::create_dir_all(r.join("requests/payments-prod/AdministratorAccess")).unwrap();
            std::fs::write(
                r.join("requests/payments-prod/AdministratorAccess/sneaky.toml"),
                "requester = \"alice\"\naccount = \"payments-prod\"\npermission_set = \"AdministratorAccess\"\nstart = 2026-11-22T13:00:00Z\nduration = \"1h\"\nreason = \"x\"\n",
            )
            .unwrap();
        },
        "direct push",
    );
    // a requester unknown to the identity store (in identities.toml, not in AWS)
    w.commit_on_main(
        |r| {
            let p = r.join("policies/identities.toml");
            let t = std::fs::read_to_string(&p).unwrap().replacen(
                "[users]\n",
                "[users]\nhank = \"hank@acme.example\"\n",
                1,
            );
            std::fs::write(&p, t).unwrap();
            let p = r.join("policies/access.toml");
            let t = std::fs::read_to_string(&p).unwrap().replacen(
                "principals = [\"@acme/platform-oncall\", \"idc-group:SRE\"]",
                "principals = [\"@acme/platform-oncall\", \"idc-group:SRE\", \"hank\"]",
                1,
            );
            std::fs::write(&p, t).unwrap();
        },
        "hank",
    );
    w.merge_request("inc-9", "hank", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "1h");
    // a good one still goes through
    w.merge_request("inc-10", "alice", "data-prod", ADMIN, "2026-11-22T13:00:00Z", "1h");
    let (code, v) = w.run("apply", "2026-11-22T13:00:00Z", &[]);
    assert_eq!(code, 0, "{v:#}");
    let blocked: Vec<(&str, &str)> = v["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["request"].as_str().unwrap(),
                b["reasons"][0]["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        blocked.contains(&(
            "requests/payments-prod/AdministratorAccess/sneaky.toml",
            "no-approved-pr"
        )),
        "{blocked:?}"
    );
    assert!(
        blocked.contains(&(
            "requests/payments-prod/AdministratorAccess/inc-9.toml",
            "user-not-found"
        )),
        "{blocked:?}"
    );
    assert_eq!(w.assignments(), BTreeSet::from([a("data-prod", ADMIN, "alice")]));
    // then a corrupt ledger line: reported, not fatal; it may be a revocation, so nothing new
    // is granted while it is there, and what is active stays
    let g = gitgrant::adapters::git::Git::open(&w.repo).unwrap();
    g.append_ledger(
        &[gitgrant::core::ledger::Event::new(
            gitgrant::core::ledger::Kind::Drift,
            "2026-11-22T12:00:00Z".parse().unwrap(),
        )],
        "seed",
    )
    .unwrap();
    git(&w.repo, &["checkout", "-q", "gitgrant-ledger"], "admin");
    std::fs::write(w.repo.join("events/2026-11.jsonl"), "{\"kind\": \"activ\n").unwrap();
    git(&w.repo, &["commit", "-q", "-am", "oops"], "mallory");
    git(&w.repo, &["push", "-q", "origin", "gitgrant-ledger"], "mallory");
    git(&w.repo, &["checkout", "-q", "main"], "admin");

    w.merge_request("inc-11", "alice", "data-dev", ADMIN, "2026-11-22T13:00:00Z", "1h");
    let (code, v, stderr) = w.run_full("apply", "2026-11-22T13:05:00Z", &[], &[]);
    // the reconciler cannot decide what to grant: exit 2, the line named (issue 11 item 6)
    assert_eq!(code, 2, "{v:#}");
    assert!(
        stderr.contains("cannot decide: ledger `gitgrant-ledger` events/2026-11.jsonl:1: [ledger-unreadable]"),
        "{stderr}"
    );
    assert!(
        v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().starts_with("ledger events/2026-11.jsonl:1")),
        "{v:#}"
    );
    let first_reason = |request: &str| {
        v["blocked"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["request"] == request)
            .map(|b| b["reasons"][0]["code"].clone())
    };
    assert_eq!(
        first_reason("requests/data-dev/AdministratorAccess/inc-11.toml"),
        Some(json!("ledger-unreadable")),
        "{v:#}"
    );
    assert_eq!(w.assignments(), BTreeSet::from([a("data-prod", ADMIN, "alice")]));
}

/// Benchmark, run by hand: `cargo test --test cli bench_api_calls -- --ignored --nocapture`.
/// Counts the AWS API calls of a run making 200 changes and of the steady-state run after it.
#[test]
#[ignore]
fn bench_api_calls_for_200_changes_and_steady_state() {
    let mut w = World::new();
    w.commit_on_main(
        |r| {
            let p = r.join("policies/access.toml");
            let t = std::fs::read_to_string(&p).unwrap().replacen(
                "managed_permission_sets = [\"AdministratorAccess\", \"DatabaseAdmin\", \"ReadOnlyAccess\"]",
                "managed_permission_sets = [\"AdministratorAccess\", \"DatabaseAdmin\", \"ReadOnlyAccess\", \"BillingReadOnly\"]",
                1,
            ) + "\n[[eligibility]]\nid = \"bench\"\nprincipals = [\"alice\", \"bob\", \"carol\", \"dave\", \"erin\", \"frank\", \"grace\"]\naccounts = [\"acme-management\", \"data-dev\", \"data-prod\", \"log-archive\", \"payments-prod\", \"payments-staging\", \"sandbox-alice\", \"security-audit\"]\npermission_sets = [\"AdministratorAccess\", \"DatabaseAdmin\", \"ReadOnlyAccess\", \"BillingReadOnly\"]\napproval = \"none\"\n";
            std::fs::write(p, t).unwrap();
        },
        "bench policy",
    );
    let mut n = 0;
    'outer: for login in ["alice", "bob", "carol", "dave", "erin", "frank", "grace"] {
        for (account, _) in ACCOUNTS {
            for ps in [
                "AdministratorAccess",
                "DatabaseAdmin",
                "ReadOnlyAccess",
                "BillingReadOnly",
            ] {
                if n == 200 {
                    break 'outer;
                }
                w.merge_request(
                    &format!("bench-{n:03}"),
                    login,
                    account,
                    ps,
                    "2026-11-22T13:00:00Z",
                    "2h",
                );
                n += 1;
            }
        }
    }
    let t = std::time::Instant::now();
    let v = w.apply("2026-11-22T13:00:00Z");
    let changes = v["outcomes"].as_array().unwrap().len();
    println!(
        "run with {changes} changes: {:.1} s, API calls {}",
        t.elapsed().as_secs_f64(),
        v["api_calls"]
    );
    let t = std::time::Instant::now();
    let v = w.apply("2026-11-22T13:30:00Z");
    assert_eq!(v["outcomes"].as_array().unwrap().len(), 0);
    println!(
        "steady state: {:.1} s, API calls {}",
        t.elapsed().as_secs_f64(),
        v["api_calls"]
    );
    assert_eq!(changes, 200);
}

#[test]
fn watch_acts_at_each_window_boundary() {
    let mut w = World::new();
    let now = chrono::Utc::now();
    let start = (now + chrono::TimeDelta::seconds(3))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let ago = |s: i64| {
        (now - chrono::TimeDelta::seconds(s))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    w.pr_times = [ago(60), ago(40), ago(20)];
    w.merge_request("watch-1", "alice", "payments-prod", ADMIN, &start, "4s");
    let mut c = w.command("apply", &["--watch", "12s"]);
    let t = std::time::Instant::now();
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // one run created the grant at its start, a later one removed it at its end
    assert!(stdout.contains("succeeded   create AdministratorAccess"), "{stdout}");
    assert!(stdout.contains("succeeded   delete AdministratorAccess"), "{stdout}");
    // the account by id and, for people, by its name in the directory
    let create = stdout
        .lines()
        .find(|l| l.starts_with("succeeded   create"))
        .unwrap_or_default();
    assert!(
        create.contains(" on ") && create.contains(" (payments-prod) for "),
        "{create}"
    );
    // each pass under its time, ending as terraform ends an apply, then when the next one runs
    assert!(
        stdout.contains("Apply complete: 1 created, 0 deleted, 0 failed, 0 not yet known."),
        "{stdout}"
    );
    assert!(
        stdout.contains("Apply complete: 0 created, 1 deleted, 0 failed, 0 not yet known."),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("--- 20") && l.ends_with("Z ---")),
        "{stdout}"
    );
    assert!(stdout.contains("next pass at "), "{stdout}");
    assert!(t.elapsed() < std::time::Duration::from_secs(40));
    assert!(w.assignments().is_empty());
    let kinds: Vec<String> = w
        .ledger()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(kinds.contains(&"activated".to_string()) && kinds.contains(&"ended".to_string()));
}

/// Issue 10 item 6, runner time tracks access: a watch with nothing in its window and no
/// window starting within its horizon runs once and exits at once (exit 0), instead of
/// holding a runner for the whole horizon.
#[test]
fn watch_with_nothing_active_or_starting_within_the_horizon_exits_at_once() {
    let mut w = World::new();
    let now = chrono::Utc::now();
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let ago = |s: i64| fmt(now - chrono::TimeDelta::seconds(s));
    w.pr_times = [ago(60), ago(40), ago(20)];
    // one grant that ended an hour ago, one that starts in two hours: neither within 10 min
    w.merge_request("old-1", "alice", "payments-prod", ADMIN, &ago(7200), "1h");
    let later = fmt(now + chrono::TimeDelta::hours(2));
    w.merge_request("later-1", "alice", "payments-prod", ADMIN, &later, "1h");
    let mut c = w.command("apply", &["--watch", "10m"]);
    let t = std::time::Instant::now();
    let out = c.env_remove("GITHUB_TOKEN").output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(t.elapsed() < std::time::Duration::from_secs(60), "{:?}", t.elapsed());
    assert!(stderr.contains("no grant is active and none starts before"), "{stderr}");
    assert_eq!(stdout.matches("gitgrant apply:").count(), 1, "{stdout}");
    assert!(w.assignments().is_empty());
    // with --format json a watch writes JSON lines: one object per pass, one line each
    let out = w
        .command("apply", &["--watch", "10m", "--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let pass: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(pass["failures"], 0);
}

/// Issue 9, "a tag takes over the reconciler": a pushed tag `origin/main` whose commit maps
/// `payments-prod` to another account. git's own short-name search picks the tag; gitgrant
/// refuses the name (`ambiguous-ref`) and grants from the exact remote branch.
#[test]
fn a_tag_named_origin_main_never_supplies_the_default_branch() {
    let mut w = World::new();
    let path = w.merge_request("inc-1", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "2h");
    let real = w.seeded.accounts["payments-prod"].clone();
    let other = w.seeded.accounts["sandbox-alice"].clone();
    // the attacker's commit: the directory swaps the two accounts' ids; pushed as a tag only
    let dir_file = w.repo.join("policies/directory.toml");
    let text = std::fs::read_to_string(&dir_file).unwrap();
    let swapped = text
        .replace(&real, "SWAP")
        .replace(&other, &real)
        .replace("SWAP", &other);
    std::fs::write(&dir_file, swapped).unwrap();
    git(&w.repo, &["commit", "-q", "-am", "swap"], "mallory");
    let evil = git(&w.repo, &["rev-parse", "HEAD"], "mallory");
    git(&w.repo, &["tag", "origin/main", &evil], "mallory");
    git(&w.repo, &["push", "-q", "origin", "refs/tags/origin/main"], "mallory");
    git(&w.repo, &["reset", "-q", "--hard", "HEAD~1"], "admin");
    git(&w.repo, &["fetch", "-q", "--tags", "origin"], "admin");
    // the trap is real: git resolves the short name to the tag
    assert_eq!(git(&w.repo, &["rev-parse", "origin/main"], "admin"), evil);

    let mut c = bin();
    c.args(["plan", "--repo", w.repo.to_str().unwrap(), "--evidence"])
        .arg(&w.evidence)
        .args([
            "--at",
            "2026-11-22T13:30:00Z",
            "--format",
            "json",
            "--ref",
            "origin/main",
        ]);
    for (k, v) in w.moto.env() {
        c.env(k, v);
    }
    let out = c.env_remove("GITHUB_TOKEN").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("[ambiguous-ref]"), "{err}");
    assert!(
        err.contains("refs/remotes/origin/main (") && err.contains("refs/tags/origin/main ("),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing planned: {}",
        String::from_utf8_lossy(&out.stdout)
    );

    let (code, plan) = w.run("plan", "2026-11-22T13:30:00Z", &["--ref", "refs/remotes/origin/main"]);
    assert_eq!(code, 0, "{plan:#}");
    assert_eq!(plan["create"][0]["request"], path);
    assert_eq!(plan["create"][0]["account"], real, "{plan:#}");

    // without --ref, in Actions: the event payload's default branch, as its remote ref
    let mut event = crate::gate::examples(&crate::gate::webhook_examples(), "workflow_dispatch")
        .into_iter()
        .find(|e| e["repository"]["default_branch"] == "main")
        .unwrap();
    event["ref"] = json!("refs/heads/main");
    let event_file = w.evidence.parent().unwrap().join("event.json");
    std::fs::write(&event_file, event.to_string()).unwrap();
    // the checkout's HEAD is elsewhere, so only the payload can give the right answer
    git(&w.repo, &["checkout", "-q", "--detach", &evil], "admin");
    let mut c = bin();
    c.args(["plan", "--repo", w.repo.to_str().unwrap(), "--evidence"])
        .arg(&w.evidence)
        .args(["--at", "2026-11-22T13:30:00Z", "--format", "json"])
        .env("GITHUB_EVENT_NAME", "workflow_dispatch")
        .env("GITHUB_EVENT_PATH", &event_file);
    for (k, v) in w.moto.env() {
        c.env(k, v);
    }
    let out = c.env_remove("GITHUB_TOKEN").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["create"][0]["account"], real, "{plan:#}");
}

/// The first blocked reason code of `path` in a plan's JSON.
fn blocked_code<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    v["blocked"]
        .as_array()?
        .iter()
        .find(|b| b["request"] == path)
        .and_then(|b| b["reasons"][0]["code"].as_str())
}

#[test]
fn a_deleted_request_pushed_back_is_never_granted_again() {
    let mut w = World::new();
    // a merge the ledger recorded that this checkout of main does not have yet is not a
    // deletion: no revocation for it
    let future = "requests/payments-prod/AdministratorAccess/inc-19.toml";
    let g = gitgrant::adapters::git::Git::open(&w.repo).unwrap();
    let mut m = gitgrant::core::ledger::Event::new(
        gitgrant::core::ledger::Kind::Merged,
        "2026-11-22T12:55:00Z".parse().unwrap(),
    );
    m.pr = Some(99);
    m.paths = vec![future.to_string()];
    g.append_ledger(&[m], "merged #99").unwrap();
    let path = w.merge_request("inc-20", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    let text = std::fs::read_to_string(w.repo.join(&path)).unwrap();
    let blob = git(&w.repo, &["rev-parse", &format!("HEAD:{path}")], "admin");
    w.apply("2026-11-22T13:00:00Z");
    assert_eq!(w.assignments(), BTreeSet::from([a("payments-prod", ADMIN, "alice")]));
    // deleted straight on main: removed, and the reconciler records the revocation
    w.commit_on_main(|r| std::fs::remove_file(r.join(&path)).unwrap(), "delete inc-20");
    let v = w.apply("2026-11-22T13:10:00Z");
    assert_eq!(v["delete"][0]["reason"], "revoked", "{v:#}");
    assert!(w.assignments().is_empty());
    let ledger = w.ledger();
    let revoked: Vec<&Value> = ledger.iter().filter(|e| e["kind"] == "revoked").collect();
    assert_eq!(revoked.len(), 1, "only inc-20, not inc-19: {ledger:#?}");
    assert_eq!(
        (revoked[0]["request"].as_str(), revoked[0]["blob"].as_str()),
        (Some(path.as_str()), Some(blob.as_str()))
    );
    let log = git(&w.repo, &["log", "--format=%s", "origin/gitgrant-ledger"], "admin");
    assert!(log.contains("1 ended, 0 failed, 1 revoked"), "{log}");
    // the same file pushed back straight to main: the old PR's evidence still matches it,
    // but the path is revoked
    w.commit_on_main(|r| std::fs::write(r.join(&path), &text).unwrap(), "bring inc-20 back");
    let v = w.apply("2026-11-22T13:20:00Z");
    assert_eq!(blocked_code(&v, &path), Some("path-revoked"), "{v:#}");
    assert!(w.assignments().is_empty());
    // ... and through a new approved PR
    w.commit_on_main(|r| std::fs::remove_file(r.join(&path)).unwrap(), "delete inc-20 again");
    w.merge_request("inc-20", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    let v = w.apply("2026-11-22T13:30:00Z");
    assert_eq!(blocked_code(&v, &path), Some("path-revoked"), "{v:#}");
    assert!(w.assignments().is_empty());
    // the reconciler never ran between a deletion and the push-back: git history tells
    let other = w.merge_request("inc-21", "alice", "data-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    let text = std::fs::read_to_string(w.repo.join(&other)).unwrap();
    w.apply("2026-11-22T13:40:00Z");
    assert_eq!(w.assignments(), BTreeSet::from([a("data-prod", ADMIN, "alice")]));
    w.commit_on_main(|r| std::fs::remove_file(r.join(&other)).unwrap(), "delete inc-21");
    w.commit_on_main(|r| std::fs::write(r.join(&other), &text).unwrap(), "bring inc-21 back");
    let v = w.apply("2026-11-22T13:50:00Z");
    assert_eq!(blocked_code(&v, &other), Some("path-revoked"), "{v:#}");
    assert!(w.assignments().is_empty());
}

#[test]
fn revoked_grants_are_removed_even_when_the_policy_does_not_load() {
    let mut w = World::new();
    let first = w.merge_request("inc-22", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    let second = w.merge_request("inc-23", "grace", "data-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    let third = w.merge_request("inc-24", "alice", "data-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    w.apply("2026-11-22T13:00:00Z");
    assert_eq!(w.assignments().len(), 3);
    // a `/revoke` of the first lands in the ledger, the second file is deleted, and in the
    // same commit the policy stops loading: the desired state cannot be read
    let g = gitgrant::adapters::git::Git::open(&w.repo).unwrap();
    let mut e = gitgrant::core::ledger::Event::new(
        gitgrant::core::ledger::Kind::Revoked,
        "2026-11-22T13:05:00Z".parse().unwrap(),
    );
    e.request = Some(first.clone());
    e.actor = Some("alice".into());
    e.reason = Some("/revoke comment".into());
    g.append_ledger(&[e], "revoke").unwrap();
    w.commit_on_main(
        |r| {
            std::fs::remove_file(r.join(&second)).unwrap();
            std::fs::write(r.join("policies/access.toml"), "this is not = = toml").unwrap();
        },
        "delete inc-23 and break the policy",
    );
    let (_, v) = w.run("apply", "2026-11-22T13:10:00Z", &[]);
    let deleted: BTreeSet<(String, String)> = v["delete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["request"].as_str().unwrap().to_string(),
                d["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        deleted,
        BTreeSet::from([(first, "revoked".to_string()), (second, "revoked".to_string())]),
        "{v:#}"
    );
    // what is neither revoked nor ended stays while the policy cannot be read
    assert_eq!(w.assignments(), BTreeSet::from([a("data-prod", ADMIN, "alice")]));
    assert!(
        !w.ledger()
            .iter()
            .any(|e| e["kind"] == "ended" && e["request"] == third.as_str())
    );
}

/// Issue 11 item 6: a `policies/directory.toml` that does not load is not a quiet green
/// run granting nothing. `plan` and `apply` exit 2 with the file and line on stderr, and
/// `apply` still removes the owned grant whose end has passed.
#[test]
fn a_directory_that_does_not_load_exits_2_and_still_removes_what_ended() {
    let mut w = World::new();
    let ended = w.merge_request("inc-30", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "1h");
    w.apply("2026-11-22T13:00:00Z");
    assert_eq!(w.assignments(), BTreeSet::from([a("payments-prod", ADMIN, "alice")]));
    w.commit_on_main(
        |r| {
            let p = r.join("policies/directory.toml");
            let text = std::fs::read_to_string(&p).unwrap();
            // line 2 stops being TOML
            let broken = text.replacen('\n', "\nthis is not = = toml\n", 1);
            std::fs::write(&p, broken).unwrap();
        },
        "break the directory",
    );
    let (code, v, stderr) = w.run_full("plan", "2026-11-22T14:05:00Z", &[], &[]);
    assert_eq!(code, 2, "{v:#}");
    assert!(
        stderr.contains("cannot decide: policies/directory.toml:2: ["),
        "{stderr}"
    );
    let (code, v, stderr) = w.run_full("apply", "2026-11-22T14:05:00Z", &[], &[]);
    assert_eq!(code, 2, "{v:#}");
    assert!(
        stderr.contains("cannot decide: policies/directory.toml:2: ["),
        "{stderr}"
    );
    assert!(
        v["undecided"][0]
            .as_str()
            .unwrap()
            .starts_with("policies/directory.toml:2: "),
        "{v:#}"
    );
    assert_eq!(v["delete"][0]["reason"], "expired", "{v:#}");
    assert!(w.assignments().is_empty());
    assert!(
        w.ledger()
            .iter()
            .any(|e| e["kind"] == "ended" && e["request"] == ended.as_str())
    );
}

/// Issue 11 item 1, through the ledger and Identity Center: a create whose outcome was
/// unknown (`assigning`, then `unknown`: still IN_PROGRESS at the poll deadline) and that
/// AWS completed afterwards is gitgrant's, not drift: it is removed when its window ends.
#[test]
fn an_assignment_completed_after_an_unknown_outcome_still_ends_on_time() {
    let mut w = World::new();
    let path = w.merge_request("inc-31", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "1h");
    // the run before: intent, then no definitive answer
    let g = gitgrant::adapters::git::Git::open(&w.repo).unwrap();
    let mut intent = gitgrant::core::ledger::Event::new(
        gitgrant::core::ledger::Kind::Assigning,
        "2026-11-22T13:00:00Z".parse().unwrap(),
    );
    intent.request = Some(path.clone());
    intent.account_id = Some(w.seeded.accounts["payments-prod"].clone());
    intent.permission_set = Some(ADMIN.into());
    intent.permission_set_arn = Some(w.seeded.permission_sets[ADMIN].clone());
    intent.user_name = Some("alice@acme.example".into());
    intent.user_id = Some(w.seeded.users["alice"].clone());
    intent.ends_at = Some("2026-11-22T14:00:00Z".parse().unwrap());
    let mut unknown = intent.clone();
    unknown.kind = Some(gitgrant::core::ledger::Kind::Unknown);
    unknown.reason = Some("create: still IN_PROGRESS when polling stopped; re-read next run".into());
    g.append_ledger(&[intent, unknown], "gitgrant apply: 1 unknown")
        .unwrap();
    // ... and AWS completed it later
    w.assign_by_hand("payments-prod", ADMIN, "alice");
    // the `unknown` line reads (it is no damaged ledger), and the assignment is owned
    let (code, v) = w.run("plan", "2026-11-22T13:30:00Z", &[]);
    assert_eq!(code, 0, "{v:#}");
    assert!(v["blocked"].as_array().unwrap().is_empty(), "{v:#}");
    assert!(v["drift"].as_array().unwrap().is_empty(), "{v:#}");
    assert!(v["create"].as_array().unwrap().is_empty(), "{v:#}");
    let v = w.apply("2026-11-22T14:05:00Z");
    assert!(v["drift"].as_array().unwrap().is_empty(), "{v:#}");
    assert_eq!(v["delete"][0]["reason"], "expired", "{v:#}");
    assert!(w.assignments().is_empty());
    assert!(
        w.ledger()
            .iter()
            .any(|e| e["kind"] == "ended" && e["request"] == path.as_str())
    );
}

#[test]
fn a_request_merged_after_pending_timeout_is_stale() {
    let mut w = World::new();
    // opened two days before it merged; the base policy's pending_timeout is 24h
    w.pr_times = [
        "2026-11-20T09:00:00Z".into(),
        "2026-11-22T10:30:00Z".into(),
        "2026-11-22T10:45:00Z".into(),
    ];
    let old = w.merge_request("inc-25", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "2h");
    // within the base policy's 24h, but the current policy lowered it to 30m: it narrows
    w.pr_times = [
        "2026-11-22T10:00:00Z".into(),
        "2026-11-22T10:30:00Z".into(),
        "2026-11-22T10:45:00Z".into(),
    ];
    let slow = w.merge_request("inc-26", "alice", "data-prod", ADMIN, "2026-11-22T13:00:00Z", "2h");
    w.commit_on_main(
        |r| {
            let p = r.join("policies/access.toml");
            let t = std::fs::read_to_string(&p).unwrap().replacen(
                "pending_timeout = \"24h\"",
                "pending_timeout = \"30m\"",
                1,
            );
            std::fs::write(p, t).unwrap();
        },
        "shorter pending_timeout",
    );
    let v = w.apply("2026-11-22T13:00:00Z");
    let codes = |path: &str| -> Vec<String> {
        v["blocked"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["request"] == path)
            .map(|b| {
                b["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["code"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(codes(&old).contains(&"stale".to_string()), "{v:#}");
    assert_eq!(codes(&slow), vec!["stale"], "{v:#}");
    assert!(w.assignments().is_empty());
}

/// The `indexed` events of the ledger, oldest first.
fn indexed(w: &World) -> Vec<Value> {
    w.ledger().into_iter().filter(|e| e["kind"] == "indexed").collect()
}

/// DESIGN 11: the first apply indexes the default branch's history into the ledger once;
/// each later run indexes only the first-parent commits since the marker (none: no event);
/// an expired request is not verified at all while a live one is; a marker that is not on
/// the default branch is reported and the index rebuilt from the history.
#[test]
fn the_ledger_is_the_index_and_only_live_requests_are_verified() {
    let mut w = World::new();
    let first = w.merge_request("inc-30", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "2h");
    let dir = "requests/payments-prod/AdministratorAccess";
    let body = |start: &str| {
        format!(
            "requester = \"alice\"\naccount = \"payments-prod\"\npermission_set = \"AdministratorAccess\"\nstart = {start}\nduration = \"1h\"\nreason = \"x\"\n"
        )
    };
    let (expired, live) = (format!("{dir}/old-1.toml"), format!("{dir}/new-1.toml"));
    w.commit_on_main(
        |r| {
            std::fs::write(r.join(&expired), body("2026-11-01T00:00:00Z")).unwrap();
            std::fs::write(r.join(&live), body("2026-11-22T13:00:00Z")).unwrap();
        },
        "pushed straight to main, no PR",
    );
    let v = w.apply("2026-11-22T13:30:00Z");
    assert_eq!(w.assignments(), BTreeSet::from([a("payments-prod", ADMIN, "alice")]));
    assert_eq!(blocked_code(&v, &live), Some("no-approved-pr"), "{v:#}");
    // expired three weeks ago (more than the longest session): not examined at all
    assert_eq!(blocked_code(&v, &expired), None, "{v:#}");
    let tip1 = git(&w.repo, &["rev-parse", "main"], "admin");
    let ix = indexed(&w);
    assert_eq!(ix.len(), 1, "{ix:#?}");
    assert!(ix[0]["index"]["from"].is_null(), "built from the root: {ix:#?}");
    assert_eq!(ix[0]["index"]["through"], tip1.as_str());
    let paths: BTreeSet<&str> = ix[0]["index"]["commits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["ch"].as_array().unwrap().iter().filter_map(|ch| ch["p"].as_str()))
        .collect();
    assert_eq!(paths, BTreeSet::from([first.as_str(), expired.as_str(), live.as_str()]));

    // a new merge: only its commit is indexed, from the marker
    let second = w.merge_request("inc-31", "alice", "data-prod", ADMIN, "2026-11-22T13:00:00Z", "2h");
    w.apply("2026-11-22T13:40:00Z");
    let tip2 = git(&w.repo, &["rev-parse", "main"], "admin");
    let ix = indexed(&w);
    assert_eq!(ix.len(), 2, "{ix:#?}");
    assert_eq!(ix[1]["index"]["from"], tip1.as_str());
    assert_eq!(ix[1]["index"]["through"], tip2.as_str());
    let commits = ix[1]["index"]["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 1, "{ix:#?}");
    assert_eq!(
        (commits[0]["c"].as_str(), commits[0]["ch"][0]["p"].as_str()),
        (Some(tip2.as_str()), Some(second.as_str()))
    );
    assert_eq!(w.assignments().len(), 2);
    // inc-30's ledger record was verified from its evidence by this run: its verdict is kept
    let verdicts = |e: &Value| -> Vec<String> {
        e["index"]["verdicts"]
            .as_array()
            .map(|v| v.iter().map(|x| x["p"].as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(verdicts(&ix[1]), vec![first.clone()], "{ix:#?}");
    // nothing new on main: only inc-31's record gets its verdict (from the marker to itself)
    w.apply("2026-11-22T13:45:00Z");
    let ix = indexed(&w);
    assert_eq!(ix.len(), 3, "{ix:#?}");
    assert_eq!(
        (ix[2]["index"]["from"].as_str(), ix[2]["index"]["through"].as_str()),
        (Some(tip2.as_str()), Some(tip2.as_str()))
    );
    assert_eq!(verdicts(&ix[2]), vec![second.clone()]);
    // and then every verdict is reused: nothing is verified again, nothing written
    w.apply("2026-11-22T13:46:00Z");
    assert_eq!(indexed(&w).len(), 3);
    assert_eq!(w.assignments().len(), 2);

    // a marker that is not on the default branch (damaged): reported, rebuilt from history
    let g = gitgrant::adapters::git::Git::open(&w.repo).unwrap();
    let bogus = gitgrant::core::index::IndexDelta {
        from: Some(tip2.clone()),
        through: "0".repeat(40),
        commits: vec![],
        verdicts: vec![],
    };
    g.append_ledger(
        &[gitgrant::core::index::event(
            bogus,
            "2026-11-22T13:46:00Z".parse().unwrap(),
        )],
        "a damaged index",
    )
    .unwrap();
    let v = w.apply("2026-11-22T13:50:00Z");
    let problems = v["problems"].to_string();
    assert!(
        problems.contains("not on the default branch") && problems.contains("rebuilt"),
        "{v:#}"
    );
    let ix = indexed(&w);
    assert_eq!(ix.len(), 5, "{ix:#?}");
    assert!(ix[4]["index"]["from"].is_null());
    assert_eq!(ix[4]["index"]["through"], tip2.as_str());
    assert_eq!(w.assignments().len(), 2, "the grants stand");
}

/// The paths in a plan's `kept`.
fn kept(v: &Value) -> Vec<&str> {
    v["kept"]
        .as_array()
        .map(|k| k.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn identity_center_group_membership_is_read_live() {
    let mut w = World::new();
    // alice and grace may administer prod through `idc-group:SRE`; directory.toml (the
    // synced snapshot) lists both in SRE throughout
    let alice = w.merge_request("live-1", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    let grace = w.merge_request("live-2", "grace", "data-prod", ADMIN, "2026-11-22T14:00:00Z", "2h");
    let v = w.apply("2026-11-22T13:00:00Z");
    assert_eq!(v["membership"], json!({"teams": "snapshot", "groups": "live"}));
    assert_eq!(
        w.assignments(),
        BTreeSet::from([a("payments-prod", ADMIN, "alice")]),
        "a member is granted"
    );
    // removed from the group after approval: the active grant ends, the new one is not made
    w.leave_group("SRE", "alice");
    w.leave_group("SRE", "grace");
    let v = w.apply("2026-11-22T14:00:00Z");
    assert_eq!(v["delete"][0]["reason"], "no-longer-eligible", "{v:#}");
    assert_eq!(v["delete"][0]["request"], alice.as_str());
    assert_eq!(blocked_code(&v, &grace), Some("no-longer-eligible"), "{v:#}");
    assert!(w.assignments().is_empty());
}

#[test]
fn team_membership_is_read_live_and_unreadable_keeps_but_never_grants() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let r = rt();
    let server = r.block_on(MockServer::start());
    let members = |logins: &[&str]| {
        let list: Vec<Value> = logins
            .iter()
            .enumerate()
            .map(|(i, l)| json!({"login": l, "id": 100 + i, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false,
                                 "url": format!("https://api.github.com/users/{l}"), "html_url": format!("https://github.com/{l}")}))
            .collect();
        ResponseTemplate::new(200).set_body_json(list)
    };
    let mount = |response: ResponseTemplate| {
        r.block_on(async {
            server.reset().await;
            Mock::given(method("GET"))
                .and(path("/orgs/acme/teams/platform-oncall/members"))
                .respond_with(response)
                .mount(&server)
                .await;
        })
    };
    let uri = server.uri();
    let env = [
        ("GITHUB_TOKEN", "ghs_test0123456789"),
        ("GITHUB_REPOSITORY", "acme/access"),
        ("GITHUB_API_URL", uri.as_str()),
    ];
    let mut w = World::new();
    // bob and carol were on call when their PRs were decided; neither is in SRE
    w.oncall = vec!["bob", "carol"];
    let bob = w.merge_request("live-3", "bob", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    let carol = w.merge_request("live-4", "carol", "data-prod", ADMIN, "2026-11-22T13:30:00Z", "2h");

    // on call now: granted, from the live member list
    mount(members(&["bob", "carol"]));
    let (code, v) = w.run_env("apply", "2026-11-22T13:00:00Z", &[], &env);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["membership"], json!({"teams": "live", "groups": "live"}));
    assert_eq!(w.assignments(), BTreeSet::from([a("payments-prod", ADMIN, "bob")]));

    // the team cannot be read: carol's new grant is blocked, bob's active grant is kept
    mount(ResponseTemplate::new(403).set_body_json(json!({
        "message": "Resource not accessible by integration",
        "documentation_url": "https://docs.github.com/rest/teams/members#list-team-members",
        "status": "403"
    })));
    let (code, v) = w.run_env("apply", "2026-11-22T13:30:00Z", &[], &env);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(blocked_code(&v, &carol), Some("membership-unreadable"), "{v:#}");
    assert_eq!(blocked_code(&v, &bob), Some("membership-unreadable"), "{v:#}");
    assert_eq!(kept(&v), vec![bob.as_str()], "{v:#}");
    assert!(v["delete"].as_array().unwrap().is_empty(), "{v:#}");
    assert_eq!(w.assignments(), BTreeSet::from([a("payments-prod", ADMIN, "bob")]));

    // bob left the team: his grant ends; carol (still on call) is granted
    mount(members(&["carol"]));
    let (code, v) = w.run_env("apply", "2026-11-22T13:45:00Z", &[], &env);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["delete"][0]["reason"], "no-longer-eligible", "{v:#}");
    assert_eq!(blocked_code(&v, &bob), Some("no-longer-eligible"));
    assert_eq!(w.assignments(), BTreeSet::from([a("data-prod", ADMIN, "carol")]));

    // offline (no token), the same run reads teams from the snapshots, and says so
    let (_, v) = w.run("plan", "2026-11-22T13:50:00Z", &[]);
    assert_eq!(v["membership"]["teams"], "snapshot");
}

/// A PR adding three requests on two accounts (issue 11 item 8), merged with a merge commit
/// or squashed: all three are granted, then one expires and one is revoked independently
/// while the third stays, each at its time; `audit --verify` finds nothing.
fn a_pr_with_several_requests(squash: bool) {
    let mut w = World::new();
    let paths = w.merge_requests(
        "alice",
        &[
            ("multi-1", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "2h"),
            ("multi-2", "data-prod", ADMIN, "2026-11-22T13:00:00Z", "4h"),
            ("multi-3", "payments-prod", ADMIN, "2026-11-22T16:00:00Z", "4h"),
        ],
        squash,
    );
    let v = w.apply("2026-11-22T13:00:00Z");
    assert_eq!(v["blocked"], json!([]), "{v:#}");
    assert_eq!(
        w.assignments(),
        BTreeSet::from([a("payments-prod", ADMIN, "alice"), a("data-prod", ADMIN, "alice")]),
        "{v:#}"
    );
    // multi-1 expires at 15:00; multi-2 stays
    let v = w.apply("2026-11-22T15:00:00Z");
    assert_eq!(v["delete"][0]["reason"], "expired", "{v:#}");
    assert_eq!(w.assignments(), BTreeSet::from([a("data-prod", ADMIN, "alice")]));
    // multi-2 revoked by deleting its file; multi-3 starts at 16:00
    w.commit_on_main(
        |r| std::fs::remove_file(r.join(&paths[1])).unwrap(),
        "Revert: revoke multi-2",
    );
    let v = w.apply("2026-11-22T15:30:00Z");
    assert_eq!(v["delete"][0]["reason"], "revoked", "{v:#}");
    assert!(w.assignments().is_empty());
    let v = w.apply("2026-11-22T16:00:00Z");
    assert_eq!(v["create"][0]["request"], paths[2].as_str(), "{v:#}");
    assert_eq!(w.assignments(), BTreeSet::from([a("payments-prod", ADMIN, "alice")]));
    let out = bin()
        .args([
            // no `--at`: the test's commits carry the real clock's dates, and audit leaves
            // out history dated after `--at`
            "audit",
            "--verify",
            "--repo",
            w.repo.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_pr_with_several_requests_merged_with_a_merge_commit() {
    a_pr_with_several_requests(false);
}

#[test]
fn a_pr_with_several_requests_squashed() {
    a_pr_with_several_requests(true);
}

/// Issue 10 item 4: the reconciler on the workflow's depth-1 checkout of the default branch
/// plus the ledger. The index is current, so nothing is walked; a record it has never
/// verified, merged 80 commits back, is verified by fetching that merge and its parents by
/// id (its policy, its head), and the clone stays shallow: the grant is made, the history
/// is not fetched.
#[test]
fn the_reconciler_verifies_from_a_depth_1_checkout_fetching_only_the_merge() {
    let mut w = World::new();
    for i in 0..150 {
        git(
            &w.repo,
            &["commit", "-q", "--allow-empty", "-m", &format!("earlier {i}")],
            "admin",
        );
    }
    let path = w.merge_request("inc-40", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "2h");
    for i in 0..80 {
        git(
            &w.repo,
            &["commit", "-q", "--allow-empty", "-m", &format!("later {i}")],
            "admin",
        );
    }
    git(&w.repo, &["push", "-q", "origin", "main"], "admin");
    crate::support::ledger_index(&w.repo);

    // the checkout the reconcile workflow makes: main at depth 1, the ledger branch whole
    let origin = w.repo.parent().unwrap().join("origin.git");
    let clone = crate::support::shallow_clone(&origin, w.repo.parent().unwrap(), &[]);
    let full = std::mem::replace(&mut w.repo, clone.clone());
    let v = w.apply("2026-11-22T13:30:00Z");
    assert_eq!(
        w.assignments(),
        BTreeSet::from([a("payments-prod", ADMIN, "alice")]),
        "{v:#}"
    );
    assert_eq!(git(&clone, &["rev-parse", "--is-shallow-repository"], "admin"), "true");
    let have = commits_of_main(&clone);
    let total = commits_of_main(&full);
    assert!(have < 10, "the tip, the merge, its parents: {have} of {total}");
    // its verdict is kept: the next run fetches nothing more
    w.apply("2026-11-22T13:40:00Z");
    assert_eq!(commits_of_main(&clone), have, "{path}");
}

/// The commit objects a clone holds (fetched by id or not), gitgrant's ledger commits left out.
fn commits_of_main(clone: &Path) -> usize {
    let all = git(
        clone,
        &[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname) %(objecttype)",
        ],
        "admin",
    );
    let mut args = vec!["show", "-s", "--no-walk=unsorted", "--format=%s"];
    args.extend(all.lines().filter_map(|l| l.strip_suffix(" commit")));
    let subjects = git(clone, &args, "admin");
    subjects.lines().filter(|s| !s.starts_with("gitgrant ")).count()
}

/// The ledger events of origin's `gitgrant-ledger` (what a fresh checkout would read).
fn origin_ledger(w: &World) -> Vec<Value> {
    w.ledger()
}

/// Issue 11 items 2 and 3: a run killed (SIGKILL) after its creates, while its outcome commit
/// was still being pushed, and a run whose outcome push origin's hook refused, both leave
/// AWS holding grants the ledger shows only as intents. The next run finds them present and
/// records each activation, started after the intent and no later than the observation; the
/// audit row shows both times and says so.
#[test]
fn a_run_killed_or_refused_after_creating_is_recorded_by_the_next_from_what_aws_holds() {
    use std::os::unix::fs::PermissionsExt;
    let mut w = World::new();
    let first = w.merge_request("inc-50", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "2h");
    let origin = w.repo.parent().unwrap().join("origin.git");
    let (waiting, release, refuse) = (origin.join("waiting"), origin.join("release"), origin.join("refuse"));
    // outcome commits ("N activated, ...") wait until released, then are refused; with
    // `refuse` present they are refused at once
    let hook = origin.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nwhile read old new ref; do\n  git log -1 --format=%s \"$new\" | grep -Eq ' [1-9][0-9]* activated, ' || continue\n  if [ -e '{r}' ]; then echo 'ledger frozen by acme.example policy' >&2; exit 1; fi\n  touch '{w}'\n  while [ ! -e '{l}' ]; do sleep 0.1; done\n  exit 1\ndone\nexit 0\n",
            r = refuse.display(),
            w = waiting.display(),
            l = release.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();

    // run 1: killed while its outcome push waits in the hook
    let mut c = w.command("apply", &["--at", "2026-11-22T13:30:00Z", "--format", "json"]);
    c.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !waiting.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the outcome push never reached the hook"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::write(&release, "").unwrap();
    assert_eq!(w.assignments(), BTreeSet::from([a("payments-prod", ADMIN, "alice")]));
    let kinds = |events: &[Value], path: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["request"] == path)
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };
    let run1 = kinds(&origin_ledger(&w), &first);
    assert!(
        run1.contains(&"assigning".to_string()) && !run1.contains(&"activated".to_string()),
        "{run1:?}"
    );

    // run 2 (the hook lets it through: no activation of its own): records what run 1 made
    let (code, v) = w.run("apply", "2026-11-22T13:40:00Z", &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["recorded_activations"], json!([first]), "{v:#}");
    let events = origin_ledger(&w);
    let act: Vec<&Value> = events
        .iter()
        .filter(|e| e["request"] == first.as_str() && e["kind"] == "activated")
        .collect();
    assert_eq!(act.len(), 1, "{events:#?}");
    assert_eq!(act[0]["started_after"], "2026-11-22T13:30:00Z");
    assert_eq!(act[0]["at"], "2026-11-22T13:40:00Z");
    assert_eq!(act[0]["ends_at"], "2026-11-22T15:00:00Z");
    // and only once
    let (_, v) = w.run("apply", "2026-11-22T13:45:00Z", &[]);
    assert!(v.get("recorded_activations").is_none(), "{v:#}");

    // run 3: origin refuses the outcome push outright; run 4 records it from AWS
    std::fs::write(&refuse, "").unwrap();
    let second = w.merge_request("inc-51", "alice", "data-prod", ADMIN, "2026-11-22T13:00:00Z", "2h");
    let out = w.command("apply", &["--at", "2026-11-22T13:50:00Z"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the changes were made") && err.contains("NOT on origin"),
        "{err}"
    );
    assert_eq!(w.assignments().len(), 2);
    std::fs::remove_file(&refuse).unwrap();
    let (code, v) = w.run("apply", "2026-11-22T14:00:00Z", &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["recorded_activations"], json!([second]), "{v:#}");

    // audit shows the window in which each started, and says why
    let row = audit_row(&w, "2026-11-22T14:05:00Z", &first);
    assert_eq!(
        (row["activated_at"].as_str(), row["activated_after"].as_str()),
        (Some("2026-11-22T13:40:00Z"), Some("2026-11-22T13:30:00Z")),
        "{row:#}"
    );
    assert!(
        row["problems"]
            .to_string()
            .contains("activation recorded by a later run"),
        "{row:#}"
    );
    assert_eq!(row["status"], "active", "{row:#}");

    // an owned grant removed outside gitgrant (or whose `ended` was lost) is recorded as
    // ended once seen absent, not owned for ever; its revoked request is not created again
    w.unassign_by_hand("data-prod", ADMIN, "alice");
    std::fs::remove_file(w.repo.join(&second)).unwrap();
    git(&w.repo, &["commit", "-q", "-am", "revoke inc-51"], "admin");
    git(&w.repo, &["push", "-q", "origin", "main"], "admin");
    let (code, v) = w.run("apply", "2026-11-22T14:10:00Z", &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["recorded_ends"], json!([second]), "{v:#}");
    let ended: Vec<Value> = origin_ledger(&w)
        .into_iter()
        .filter(|e| e["request"] == second.as_str() && e["kind"] == "ended")
        .collect();
    assert_eq!(ended.len(), 1, "{ended:#?}");
    assert!(
        ended[0]["reason"].as_str().unwrap().starts_with("observed absent"),
        "{ended:#?}"
    );
    assert_eq!(w.assignments(), BTreeSet::from([a("payments-prod", ADMIN, "alice")]));
}

/// Issue 11 item 4: a run's deadline, end to end through a proxy in front of moto that never
/// answers `CreateAccountAssignment`. With one change at a time, the first create waits past
/// `--deadline 3s` (its attempt timeout is 30 s): it is recorded `unknown` (its claim kept),
/// the second never starts (`failed`: not started), the run exits 1 within seconds, and the
/// next run without the fault grants both.
#[test]
fn the_run_deadline_stops_waiting_records_unknown_and_starts_nothing_new() {
    let mut w = World::new();
    w.commit_on_main(
        |r| {
            let p = r.join("policies/access.toml");
            let t = std::fs::read_to_string(&p).unwrap();
            std::fs::write(&p, t.replacen("[settings]\n", "[settings]\napply_concurrency = 1\n", 1)).unwrap();
        },
        "one change at a time",
    );
    let first = w.merge_request("inc-60", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "2h");
    let second = w.merge_request("inc-61", "alice", "data-prod", ADMIN, "2026-11-22T13:00:00Z", "2h");
    let proxy = crate::fault_proxy::FaultProxy::start(&w.moto.url, &[".CreateAccountAssignment"]);
    let started = std::time::Instant::now();
    let (code, v, err) = w.run_full(
        "apply",
        "2026-11-22T13:30:00Z",
        &["--deadline", "3s"],
        &[("AWS_ENDPOINT_URL", &proxy.url)],
    );
    let took = started.elapsed();
    assert_eq!(code, 1, "{v:#}{err}");
    assert!(took < std::time::Duration::from_secs(25), "the run took {took:?}");
    assert_eq!(
        proxy.held.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one create sent, one not"
    );
    let outcomes = v["outcomes"].as_array().unwrap();
    let of = |path: &str| outcomes.iter().find(|o| o["change"]["request"] == path).unwrap();
    let (held, waiting) = match of(&first)["status"] == "unknown" {
        true => (first.clone(), second.clone()),
        false => (second.clone(), first.clone()),
    };
    assert_eq!(of(&held)["status"], "unknown", "{v:#}");
    assert!(of(&held)["error"].as_str().unwrap().contains("deadline"), "{v:#}");
    assert_eq!(of(&waiting)["status"], "failed", "{v:#}");
    assert!(
        of(&waiting)["error"].as_str().unwrap().starts_with("not started"),
        "{v:#}"
    );
    let ledger = w.ledger();
    let kinds = |path: &str| -> Vec<&str> {
        ledger
            .iter()
            .filter(|e| e["request"] == path)
            .filter_map(|e| e["kind"].as_str())
            .collect()
    };
    assert!(kinds(&held).ends_with(&["assigning", "unknown"]), "{ledger:#?}");
    assert!(kinds(&waiting).ends_with(&["assigning", "failed"]), "{ledger:#?}");
    drop(proxy);
    // without the fault: both granted
    let v = w.apply("2026-11-22T13:35:00Z");
    assert_eq!(
        w.assignments(),
        BTreeSet::from([a("payments-prod", ADMIN, "alice"), a("data-prod", ADMIN, "alice")]),
        "{v:#}"
    );
}

/// The `audit --format json` row of `path` at `at`.
fn audit_row(w: &World, at: &str, path: &str) -> Value {
    let out = bin()
        .args([
            "audit",
            "--repo",
            w.repo.to_str().unwrap(),
            "--at",
            at,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let audit: Value = serde_json::from_slice(&out.stdout).unwrap();
    audit["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == path)
        .cloned()
        .unwrap_or_else(|| panic!("no row for {path}: {audit:#}"))
}

impl World {
    /// The permission set's inline policy in moto ("" for none).
    fn inline_policy(&self, ps: &str) -> String {
        rt().block_on(async {
            let cfg = self.moto.sdk_config().await;
            aws_sdk_ssoadmin::Client::new(&cfg)
                .get_inline_policy_for_permission_set()
                .instance_arn(&self.seeded.instance_arn)
                .permission_set_arn(&self.seeded.permission_sets[ps])
                .send()
                .await
                .unwrap()
                .inline_policy
                .unwrap_or_default()
        })
    }

    fn put_inline_policy(&self, ps: &str, document: &str) {
        rt().block_on(async {
            let cfg = self.moto.sdk_config().await;
            aws_sdk_ssoadmin::Client::new(&cfg)
                .put_inline_policy_to_permission_set()
                .instance_arn(&self.seeded.instance_arn)
                .permission_set_arn(&self.seeded.permission_sets[ps])
                .inline_policy(document)
                .send()
                .await
                .unwrap();
        });
    }
}

/// The administrator's own inline statement, as they wrote it (spacing included).
const ADMIN_INLINE: &str = r#"{"Version":"2012-10-17","Statement":[{ "Sid": "BreakGlassBilling", "Effect": "Allow", "Action": "aws-portal:ViewBilling", "Resource": "*" }]}"#;

#[test]
fn a_revocation_ends_live_sessions_and_the_deny_goes_once_the_session_length_passed() {
    let mut w = World::new();
    w.put_inline_policy(ADMIN, ADMIN_INLINE);
    let path = w.merge_request("inc-40", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    let v = w.apply("2026-11-22T13:00:00Z");
    assert_eq!(v["create"][0]["request"], path);
    assert_eq!(v.get("sessions"), None, "a grant does not touch sessions");
    assert_eq!(w.inline_policy(ADMIN), ADMIN_INLINE);
    // revoked at 13:30 by deleting the file: the assignment goes, and so do live sessions
    w.commit_on_main(
        |r| std::fs::remove_file(r.join(&path)).unwrap(),
        "Revert: revoke inc-40",
    );
    let (code, v, out) = w.run_full("apply", "2026-11-22T13:30:00Z", &[], &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["delete"][0]["reason"], "revoked");
    let step = &v["sessions"][0];
    assert_eq!(
        (step["action"].as_str(), step["status"].as_str()),
        (Some("deny"), Some("succeeded")),
        "{v:#}"
    );
    let account = w.seeded.accounts["payments-prod"].clone();
    let user = w.seeded.users["alice"].clone();
    let policy: Value = serde_json::from_str(&w.inline_policy(ADMIN)).unwrap();
    let doc = w.inline_policy(ADMIN);
    assert!(
        doc.contains(
            r#"{ "Sid": "BreakGlassBilling", "Effect": "Allow", "Action": "aws-portal:ViewBilling", "Resource": "*" }"#
        ),
        "the administrator's statement, byte for byte: {doc}"
    );
    let deny = &policy["Statement"][1];
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(
        (deny["Action"].as_str(), deny["Resource"].as_str()),
        (Some("*"), Some("*"))
    );
    assert_eq!(deny["Condition"]["StringEquals"]["identitystore:userId"], user.as_str());
    assert_eq!(
        deny["Condition"]["StringEquals"]["aws:PrincipalAccount"],
        account.as_str()
    );
    let before: chrono::DateTime<chrono::Utc> = deny["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let at: chrono::DateTime<chrono::Utc> = "2026-11-22T13:30:00Z".parse().unwrap();
    assert!(before >= at && before < at + chrono::TimeDelta::minutes(2), "{before}");
    assert!(deny["Sid"].as_str().unwrap().starts_with("GitgrantEndSessions"));
    let calls = &v["api_calls"];
    assert_eq!(
        (
            calls["GetInlinePolicyForPermissionSet"].as_u64(),
            calls["PutInlinePolicyToPermissionSet"].as_u64(),
            calls["ProvisionPermissionSet"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{calls:#}"
    );
    let ended: Vec<Value> = w
        .ledger()
        .into_iter()
        .filter(|e| e["kind"] == "sessions_ended")
        .collect();
    assert_eq!(ended.len(), 1);
    assert_eq!(
        (ended[0]["request"].as_str(), ended[0]["user_id"].as_str()),
        (Some(path.as_str()), Some(user.as_str()))
    );
    let until: chrono::DateTime<chrono::Utc> = ended[0]["ends_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        until,
        before + chrono::TimeDelta::minutes(65),
        "the session length (PT1H) and a margin"
    );
    assert!(out.is_empty() || !out.contains("panicked"), "{out}");
    let v = w.apply("2026-11-22T13:31:00Z");
    assert_eq!(v.get("sessions"), None, "nothing more to do: {v:#}");
    // before the session length has passed, the deny stays; after, it goes
    let v = w.apply("2026-11-22T14:00:00Z");
    assert_eq!(v.get("sessions"), None, "{v:#}");
    let v = w.apply("2026-11-22T14:40:00Z");
    assert_eq!(v["sessions"][0]["action"], "release", "{v:#}");
    assert_eq!(v["sessions"][0]["detail"], "session-length-passed");
    assert_eq!(
        w.inline_policy(ADMIN),
        ADMIN_INLINE,
        "the administrator's policy as it was"
    );
    assert_eq!(
        w.ledger().iter().filter(|e| e["kind"] == "sessions_released").count(),
        1
    );
    let v = w.apply("2026-11-22T15:00:00Z");
    assert_eq!(v.get("sessions"), None, "released once: {v:#}");
    assert_eq!(v["api_calls"].get("GetInlinePolicyForPermissionSet"), None);
}

fn set_end_sessions(w: &World, mode: &str) {
    w.commit_on_main(
        |r| {
            let p = r.join("policies/access.toml");
            let text = std::fs::read_to_string(&p).unwrap();
            std::fs::write(
                &p,
                text.replacen("[settings]\n", &format!("[settings]\nend_sessions = \"{mode}\"\n"), 1),
            )
            .unwrap();
        },
        &format!("end_sessions = {mode}"),
    );
}

#[test]
fn at_end_ends_sessions_at_every_window_end_and_never_touches_nothing() {
    let mut w = World::new();
    set_end_sessions(&w, "at-end");
    let path = w.merge_request("inc-41", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "1h");
    w.apply("2026-11-22T13:00:00Z");
    let v = w.apply("2026-11-22T14:00:00Z");
    assert_eq!(v["delete"][0]["reason"], "expired");
    assert_eq!(v["sessions"][0]["action"], "deny", "{v:#}");
    assert!(w.inline_policy(ADMIN).contains("GitgrantEndSessions"));
    let ended: Vec<Value> = w
        .ledger()
        .into_iter()
        .filter(|e| e["kind"] == "sessions_ended")
        .collect();
    assert_eq!(ended[0]["request"], path.as_str());
    assert!(
        ended[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("expired: tokens issued before ")
    );

    let mut w = World::new();
    set_end_sessions(&w, "never");
    let path = w.merge_request("inc-42", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    w.apply("2026-11-22T13:00:00Z");
    w.commit_on_main(
        |r| std::fs::remove_file(r.join(&path)).unwrap(),
        "Revert: revoke inc-42",
    );
    let v = w.apply("2026-11-22T13:30:00Z");
    assert_eq!(v["delete"][0]["reason"], "revoked");
    assert_eq!(v.get("sessions"), None, "{v:#}");
    assert_eq!(w.inline_policy(ADMIN), "");
    assert_eq!(v["api_calls"].get("GetInlinePolicyForPermissionSet"), None);
}

#[test]
fn a_full_inline_policy_refuses_the_deny_loudly_and_the_assignment_still_goes() {
    let mut w = World::new();
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Big","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}/*"}}]}}"#,
        "b".repeat(10_100)
    );
    w.put_inline_policy(ADMIN, &big);
    let path = w.merge_request("inc-43", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    w.apply("2026-11-22T13:00:00Z");
    w.commit_on_main(
        |r| std::fs::remove_file(r.join(&path)).unwrap(),
        "Revert: revoke inc-43",
    );
    let (code, v, _) = w.run_full("apply", "2026-11-22T13:30:00Z", &[], &[]);
    assert_eq!(code, 1, "a deny that could not be written is a failure: {v:#}");
    assert_eq!(
        v["outcomes"][0]["status"], "succeeded",
        "the assignment is deleted all the same"
    );
    assert!(w.assignments().is_empty());
    let step = &v["sessions"][0];
    assert_eq!(step["status"], "failed");
    assert!(
        step["error"]
            .as_str()
            .unwrap()
            .contains("no room for a statement that ends sessions"),
        "{step:#}"
    );
    assert_eq!(w.inline_policy(ADMIN), big, "the administrator's policy is untouched");
    let failed: Vec<Value> = w.ledger().into_iter().filter(|e| e["kind"] == "failed").collect();
    assert!(
        failed[0]["reason"].as_str().unwrap().starts_with("end sessions: "),
        "{failed:#?}"
    );
    assert_eq!(failed[0]["request"], path.as_str());
}

impl World {
    /// Commits `edit` of `policies/access.toml` straight to main.
    fn edit_policy(&self, edit: impl FnOnce(String) -> String, message: &str) {
        self.commit_on_main(
            |r| {
                let p = r.join("policies/access.toml");
                let text = std::fs::read_to_string(&p).unwrap();
                std::fs::write(&p, edit(text)).unwrap();
            },
            message,
        );
    }
}

fn add_notify_targets(w: &World) {
    w.edit_policy(
        |text| {
            text + "\n[[notify]]\nid = \"security-slack\"\nkind = \"slack\"\nurl_env = \"GITGRANT_SLACK_WEBHOOK\"\nevents = [\"activated\", \"ended\", \"revoked\"]\n\
                 \n[[notify]]\nid = \"teams\"\nkind = \"teams\"\nurl_env = \"GITGRANT_TEAMS_WEBHOOK\"\nevents = [\"activated\"]\n\
                 \n[[notify]]\nid = \"siem\"\nkind = \"webhook\"\nurl_env = \"GITGRANT_SIEM_URL\"\nsecret_env = \"GITGRANT_SIEM_SECRET\"\n"
        },
        "notify security on grants",
    );
}

#[test]
fn grants_are_announced_once_to_slack_teams_and_a_signed_webhook_and_a_failure_never_blocks() {
    use hmac::Mac;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let r = rt();
    let server = r.block_on(MockServer::start());
    let mount = |route: &'static str, status: u16| {
        r.block_on(
            Mock::given(method("POST"))
                .and(path(route))
                .respond_with(ResponseTemplate::new(status))
                .mount(&server),
        )
    };
    mount("/slack", 200);
    mount("/teams", 200);
    // the SIEM is down at first
    r.block_on(
        Mock::given(method("POST"))
            .and(path("/siem"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(3)
            .mount(&server),
    );
    mount("/siem", 204);
    let uri = server.uri();
    let (slack, teams, siem) = (format!("{uri}/slack"), format!("{uri}/teams"), format!("{uri}/siem"));
    let env = [
        ("GITGRANT_SLACK_WEBHOOK", slack.as_str()),
        ("GITGRANT_TEAMS_WEBHOOK", teams.as_str()),
        ("GITGRANT_SIEM_URL", siem.as_str()),
        ("GITGRANT_SIEM_SECRET", "s3cret-signing-key"),
    ];
    let mut w = World::new();
    add_notify_targets(&w);
    w.merge_request("inc-50", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "2h");
    let (code, v) = w.run_env("apply", "2026-11-22T13:00:00Z", &[], &env);
    assert_eq!(code, 0, "a notification that failed does not fail the grant: {v:#}");
    assert_eq!(w.assignments().len(), 1);
    let sent = |target: &str| -> Vec<&Value> {
        v["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["target"] == target)
            .collect()
    };
    assert_eq!(sent("security-slack").len(), 1, "{v:#}");
    assert_eq!(sent("security-slack")[0]["event"], "activated");
    assert_eq!(sent("security-slack")[0]["sent"], true);
    assert!(sent("siem").iter().all(|n| n["sent"] == false), "{v:#}");
    let requests = r.block_on(server.received_requests()).unwrap();
    let bodies = |p: &str| -> Vec<Value> {
        requests
            .iter()
            .filter(|q| q.url.path() == p)
            .map(|q| serde_json::from_slice(&q.body).unwrap())
            .collect()
    };
    let account = w.seeded.accounts["payments-prod"].clone();
    let s = &bodies("/slack")[0];
    assert_eq!(
        s["text"],
        format!("Access granted: {ADMIN} on {account} for {}", user_name("alice")).as_str()
    );
    assert_eq!(s["blocks"][0]["type"], "section");
    let t = &bodies("/teams")[0];
    assert_eq!(t["attachments"][0]["content"]["type"], "AdaptiveCard");
    assert_eq!(bodies("/siem").len(), 3, "three attempts, then recorded as failed");
    let ledger = w.ledger();
    let failed: Vec<&Value> = ledger.iter().filter(|e| e["kind"] == "notify_failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["target"], "siem");
    assert!(
        failed[0]["reason"].as_str().unwrap().contains("HTTP 503"),
        "{failed:#?}"
    );

    // the next run sends nothing twice, and the SIEM, up again, gets what it missed
    r.block_on(server.reset());
    mount("/slack", 200);
    mount("/teams", 200);
    mount("/siem", 204);
    let (code, v) = w.run_env("apply", "2026-11-22T13:05:00Z", &[], &env);
    assert_eq!(code, 0, "{v:#}");
    let requests = r.block_on(server.received_requests()).unwrap();
    assert!(
        requests.iter().all(|q| q.url.path() == "/siem"),
        "slack and teams were sent once"
    );
    let missed: Vec<&wiremock::Request> = requests.iter().collect();
    assert!(!missed.is_empty());
    for q in &missed {
        let body = std::str::from_utf8(&q.body).unwrap();
        let header = |k: &str| q.headers.get(k).unwrap().to_str().unwrap().to_string();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"s3cret-signing-key").unwrap();
        mac.update(body.as_bytes());
        let want: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(header("x-gitgrant-signature-256"), format!("sha256={want}"));
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(header("x-gitgrant-delivery"), v["id"].as_str().unwrap());
        assert_eq!(header("x-gitgrant-event"), v["event"].as_str().unwrap());
        assert_eq!(v["ledger_event"]["kind"], v["event"].as_str().unwrap());
    }
    let ledger = w.ledger();
    let notified_siem: Vec<&Value> = ledger
        .iter()
        .filter(|e| e["kind"] == "notified" && e["target"] == "siem")
        .collect();
    assert_eq!(notified_siem.len(), 1);
    assert_eq!(notified_siem[0]["delivered"], failed[0]["delivered"]);
    // and a third run sends nothing at all
    r.block_on(server.reset());
    let (_, v) = w.run_env("apply", "2026-11-22T13:10:00Z", &[], &env);
    assert_eq!(v.get("notifications"), None, "{v:#}");
    assert!(r.block_on(server.received_requests()).unwrap().is_empty());
}

impl World {
    /// Deletes alice's assignment in moto by hand (a responder in the console).
    fn delete_by_hand(&self, account: &str, ps: &str, login: &str) {
        rt().block_on(async {
            let cfg = self.moto.sdk_config().await;
            aws_sdk_ssoadmin::Client::new(&cfg)
                .delete_account_assignment()
                .instance_arn(&self.seeded.instance_arn)
                .target_id(&self.seeded.accounts[account])
                .target_type(aws_sdk_ssoadmin::types::TargetType::AwsAccount)
                .permission_set_arn(&self.seeded.permission_sets[ps])
                .principal_type(aws_sdk_ssoadmin::types::PrincipalType::User)
                .principal_id(&self.seeded.users[login])
                .send()
                .await
                .unwrap();
        });
    }
}

#[test]
fn an_assignment_removed_by_hand_still_has_its_sessions_ended() {
    let mut w = World::new();
    let path = w.merge_request("inc-44", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    w.apply("2026-11-22T13:00:00Z");
    // a responder removes it in the console, then the request is revoked
    w.delete_by_hand("payments-prod", ADMIN, "alice");
    w.commit_on_main(
        |r| std::fs::remove_file(r.join(&path)).unwrap(),
        "Revert: revoke inc-44",
    );
    let v = w.apply("2026-11-22T13:30:00Z");
    assert_eq!(v["recorded_ends"], json!([path]), "{v:#}");
    assert_eq!(v["sessions"][0]["action"], "deny", "the live session ends too: {v:#}");
    assert!(w.inline_policy(ADMIN).contains(&w.seeded.users["alice"]));
}

#[test]
fn a_deny_that_could_not_be_written_is_written_by_the_next_run() {
    let mut w = World::new();
    w.put_inline_policy(ADMIN, "{ not json, fixed by the administrator later");
    let path = w.merge_request("inc-45", "alice", "payments-prod", ADMIN, "2026-11-22T13:00:00Z", "4h");
    w.apply("2026-11-22T13:00:00Z");
    w.commit_on_main(
        |r| std::fs::remove_file(r.join(&path)).unwrap(),
        "Revert: revoke inc-45",
    );
    let (code, v, _) = w.run_full("apply", "2026-11-22T13:30:00Z", &[], &[]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["sessions"][0]["status"], "failed");
    // the administrator repairs the policy; the next run (nothing else to do) writes the deny
    w.put_inline_policy(ADMIN, ADMIN_INLINE);
    let v = w.apply("2026-11-22T13:35:00Z");
    assert_eq!(
        (v["sessions"][0]["action"].as_str(), v["sessions"][0]["status"].as_str()),
        (Some("deny"), Some("succeeded")),
        "{v:#}"
    );
    assert!(w.inline_policy(ADMIN).contains("GitgrantEndSessions"));
    // and no further run tries again
    let v = w.apply("2026-11-22T13:40:00Z");
    assert_eq!(v.get("sessions"), None, "{v:#}");
}

/// The break-glass rule and a one-hour review window in `policies/access.toml`, and a
/// webhook told about break-glass grants and overdue reviews.
fn allow_break_glass(w: &World) {
    w.edit_policy(
        |text| {
            let text = text.replacen("[settings]\n", "[settings]\nemergency_review_within = \"1h\"\n", 1);
            format!(
                "{text}\n[[eligibility]]\nid = \"break-glass-prod\"\nprincipals = [\"alice\"]\nous = [\"Workloads/Prod\"]\npermission_sets = [\"AdministratorAccess\"]\nmax_duration = \"1h\"\nemergency = true\n\
                 \n[[notify]]\nid = \"security\"\nkind = \"webhook\"\nurl_env = \"GITGRANT_SECURITY_HOOK\"\nevents = [\"emergency\", \"review_overdue\"]\n"
            )
        },
        "break-glass for production",
    );
}

/// A break-glass request merged without review is granted at its start; once its review is
/// overdue the reconciler records that once, says so, and announces it once.
#[test]
fn break_glass_is_granted_and_an_overdue_review_is_recorded_and_announced_once() {
    let r = rt();
    let server = crate::support::post_receiver(&r, "/security", 204);
    let hook = format!("{}/security", server.uri());
    let env = [("GITGRANT_SECURITY_HOOK", hook.as_str())];
    let mut w = World::new();
    allow_break_glass(&w);
    // merged at 10:45 without a review: due for review by 11:45
    let p = w.merge_break_glass("inc-77", "alice", "payments-prod", "2026-11-22T11:00:00Z", "1h");
    let received = || -> Vec<Value> {
        r.block_on(server.received_requests())
            .unwrap()
            .iter()
            .map(|q| serde_json::from_slice(&q.body).unwrap())
            .collect()
    };
    let (code, v) = w.run_env("apply", "2026-11-22T11:00:00Z", &[], &env);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(w.assignments(), BTreeSet::from([a("payments-prod", ADMIN, "alice")]));
    assert_eq!(v["notifications"][0]["event"], "emergency", "{v:#}");
    assert_eq!(v.get("overdue_reviews"), None, "not due yet: {v:#}");
    let sent = received();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert!(
        sent[0]["title"]
            .as_str()
            .unwrap()
            .contains("review it by 2026-11-22T11:45:00Z"),
        "{sent:#?}"
    );

    // 11:50, not reviewed: overdue, recorded and announced
    let (code, v) = w.run_env("apply", "2026-11-22T11:50:00Z", &[], &env);
    assert_eq!(
        code, 0,
        "an overdue review is a finding, not a failure of the run: {v:#}"
    );
    assert_eq!(v["overdue_reviews"][0]["path"], p.as_str(), "{v:#}");
    assert_eq!(v["overdue_reviews"][0]["due"], "2026-11-22T11:45:00Z");
    let notes = v["notifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{v:#}");
    assert_eq!(
        (&notes[0]["event"], &notes[0]["sent"]),
        (&json!("review_overdue"), &json!(true))
    );
    let overdue = |w: &World| -> Vec<Value> {
        w.ledger()
            .into_iter()
            .filter(|e| e["kind"] == "review_overdue")
            .collect()
    };
    let recorded = overdue(&w);
    assert_eq!(recorded.len(), 1, "{recorded:#?}");
    assert_eq!(recorded[0]["request"], p.as_str());
    assert_eq!(recorded[0]["pr"], 1);
    assert_eq!(received().len(), 2);
    // the grant itself is untouched: access ends at its end, not at the review's due time
    assert_eq!(w.assignments().len(), 1);

    // later runs still say so, but record and announce it no more
    let out = w
        .command("apply", &["--at", "2026-11-22T11:55:00Z"])
        .envs(env)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("overdue {p} (PR #1")) && text.contains("not reviewed by 2026-11-22T11:45:00Z"),
        "{text}"
    );
    assert_eq!(overdue(&w).len(), 1);
    assert_eq!(received().len(), 2, "announced once");
}

/// DESIGN 11: a merged request whose approval record puts its window long in the past is not
/// even read: an account since removed from the directory snapshot makes its file fail to
/// load, and the run neither reads it nor reports it (`check` does), while a live request
/// of that account is still read, and its file's problem still reported.
#[test]
fn a_request_whose_record_is_long_over_is_not_read() {
    let mut w = World::new();
    let old = w.merge_request("old-2", "bob", "payments-staging", ADMIN, "2026-11-22T13:00:00Z", "1h");
    // granted (its record verified and kept in the ledger), then ended
    w.apply("2026-11-22T13:00:00Z");
    assert_eq!(w.assignments().len(), 1);
    w.apply("2026-11-22T14:30:00Z");
    assert_eq!(w.assignments().len(), 0);
    let drop_staging = |r: &Path| {
        let p = r.join("policies/directory.toml");
        let text = std::fs::read_to_string(&p).unwrap();
        let id = &w.seeded.accounts["payments-staging"];
        let block = format!("\n[[account]]\nid = \"{id}\"\nname = \"payments-staging\"\nou = \"Workloads/NonProd\"\n");
        assert!(text.contains(&block));
        std::fs::write(&p, text.replace(&block, "")).unwrap();
    };
    w.commit_on_main(drop_staging, "payments-staging closed");
    // a day later: longer ago than any session lasts
    let at = "2026-11-23T13:00:00Z";
    let (code, v) = w.run("plan", at, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert!(!v["problems"].to_string().contains(&old), "{v:#}");

    // a live request of the closed account is read: its file no longer loads, and says so
    let live = format!("requests/payments-staging/{ADMIN}/new-2.toml");
    w.commit_on_main(
        |r| {
            let text = std::fs::read_to_string(r.join(&old))
                .unwrap()
                .replace("2026-11-22T13:00:00Z", "2026-11-23T12:30:00Z");
            std::fs::write(r.join(&live), text).unwrap();
        },
        "pushed straight to main",
    );
    let (_, v) = w.run("plan", at, &[]);
    assert!(v["problems"].to_string().contains(&live), "{v:#}");
    assert!(!v["problems"].to_string().contains(&old), "{v:#}");

    // with most files live the whole `requests/` tree is read: the old one is still skipped
    let live2 = format!("requests/payments-staging/{ADMIN}/new-3.toml");
    w.commit_on_main(
        |r| std::fs::copy(r.join(&live), r.join(&live2)).map(drop).unwrap(),
        "pushed straight to main",
    );
    let (_, v) = w.run("plan", at, &[]);
    assert!(v["problems"].to_string().contains(&live2), "{v:#}");
    assert!(!v["problems"].to_string().contains(&old), "{v:#}");
}
