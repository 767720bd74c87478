//! The AWS adapter against moto: reading the seeded organization, rendering a directory the
//! project's loader accepts, user ids, assignments with call counts, and `directory sync`.

use std::collections::BTreeMap;

use gitgrant::adapters::aws::{self, Assignment, ChangeStatus, IdentityCenter, PrincipalType};

use crate::moto::{self, Moto, Seeded};
use crate::support::{bin, copy_dir};

async fn connect(moto: &Moto) -> (aws_config::SdkConfig, Seeded, IdentityCenter) {
    let config = moto.sdk_config().await;
    let seeded = moto::seed(&config).await;
    let ic = IdentityCenter::from_sdk_config(&config, None).await.unwrap();
    (config, seeded, ic)
}

fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

#[tokio::test]
async fn reads_the_seeded_organization_and_renders_a_stable_loadable_directory() {
    let moto = Moto::start();
    let (_, seeded, ic) = connect(&moto).await;
    assert_eq!(ic.instance_arn(), seeded.instance_arn);
    assert_eq!(ic.identity_store_id(), seeded.identity_store_id);

    let org = ic.read_organization().await.unwrap();
    let paths: Vec<&str> = org.ous.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Sandbox",
            "Security",
            "Workloads",
            "Workloads/NonProd",
            "Workloads/Prod"
        ]
    );
    for ou in &org.ous {
        assert_eq!(seeded.ous[&ou.path], ou.id);
    }
    let mut expected: Vec<(String, String, String)> = moto::ACCOUNTS
        .iter()
        .map(|(name, ou)| (seeded.accounts[*name].clone(), name.to_string(), ou.to_string()))
        .collect();
    // moto's own (management) account sits under the root as `master`
    expected.push((seeded.management_account.clone(), "master".into(), "".into()));
    expected.sort_by(|a, b| a.1.cmp(&b.1));
    let got: Vec<(String, String, String)> = org
        .accounts
        .iter()
        .map(|a| (a.id.clone(), a.name.clone(), a.ou.clone()))
        .collect();
    assert_eq!(got, expected);
    let sets: Vec<(&str, &str, Option<&str>)> = org
        .permission_sets
        .iter()
        .map(|p| (p.name.as_str(), p.arn.as_str(), p.session_duration.as_deref()))
        .collect();
    let mut want_sets: Vec<(&str, &str, Option<&str>)> = seeded
        .permission_sets
        .iter()
        .map(|(n, a)| (n.as_str(), a.as_str(), Some("PT1H")))
        .collect();
    want_sets.sort();
    assert_eq!(sets, want_sets);

    let names: Vec<String> = ["SRE", "DBA", "NoSuchGroup"].map(String::from).to_vec();
    let groups = ic.read_groups(&names).await.unwrap();
    let got: Vec<(&str, Vec<&str>)> = groups
        .iter()
        .map(|g| (g.name.as_str(), g.members.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        got,
        [
            ("DBA", vec!["dave@acme.example", "erin@acme.example"]),
            ("SRE", vec!["alice@acme.example", "grace@acme.example"]),
        ]
    );
    assert_eq!(groups[1].id, seeded.groups["SRE"]);

    // DescribeOrganization names the management account, which the snapshot records
    assert_eq!(
        org.management_account.as_deref(),
        Some(seeded.management_account.as_str())
    );
    let at = "2026-11-22T00:00:00Z".parse().unwrap();
    let text = aws::render_directory_toml(&org, &groups, at);
    assert!(
        text.contains(&format!("\nmanagement_account = \"{}\"\n", seeded.management_account)),
        "{text}"
    );
    // a second read and render of the same organization gives the same bytes
    let again = aws::render_directory_toml(&ic.read_organization().await.unwrap(), &groups, at);
    assert_eq!(text, again);
    let later = aws::render_directory_toml(&org, &groups, "2026-11-23T00:00:00Z".parse().unwrap());
    assert_ne!(text, later);
    assert!(aws::same_content(&text, &later));

    // moto 5.2.5 spells permission set ARNs `…:instance/ssoins-…/ps-…` (AWS
    // `…:permissionSet/…`); an ARN is an identifier AWS hands back, so the rendered text
    // keeps moto's spelling verbatim and checks clean (docs/decisions/0022)
    assert!(text.contains("arn = \"arn:aws:sso:::instance/"), "{text}");
    let diags = gitgrant::app::directory_sync::validate(&text);
    assert!(diags.is_empty(), "{diags:#?}\n{text}");

    // the example policy (which names accounts, OUs, permission sets and groups) checks
    // clean against this directory (requests are left out: one names an account by the
    // example's id, which moto's random ids cannot match)
    let repo = example_repo();
    std::fs::remove_dir_all(repo.path().join("requests")).unwrap();
    std::fs::write(repo.path().join("policies/directory.toml"), &text).unwrap();
    let out = bin()
        .args(["check", "--repo"])
        .arg(repo.path())
        .args(["--at", "2026-11-22T12:00:00Z"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("0 error(s), 0 warning(s) in 0 request file(s) and 4 policy file(s)"),
        "{stdout}"
    );
}

#[tokio::test]
async fn user_ids_finds_users_and_answers_none_for_unknown_ones() {
    let moto = Moto::start();
    let (_, seeded, ic) = connect(&moto).await;
    let names = vec![
        moto::user_name("alice"),
        "nobody@acme.example".to_string(),
        moto::user_name("grace"),
    ];
    let ids = ic.user_ids(&names).await.unwrap();
    assert_eq!(ids.len(), 3);
    assert_eq!(
        ids[&moto::user_name("alice")].as_deref(),
        Some(seeded.users["alice"].as_str())
    );
    assert_eq!(
        ids[&moto::user_name("grace")].as_deref(),
        Some(seeded.users["grace"].as_str())
    );
    assert_eq!(ids["nobody@acme.example"], None);
    // three names: one page of ListUsers finds the two that exist; the one it does not
    // spell is asked by GetUserId
    assert_eq!(ic.api_calls()["ListUsers"], 1);
    assert_eq!(ic.api_calls()["GetUserId"], 1);
}

#[tokio::test]
async fn one_user_name_is_one_get_user_id_and_a_spelling_no_page_has_is_still_asked() {
    let moto = Moto::start();
    let (_, seeded, ic) = connect(&moto).await;
    let ids = ic.user_ids(&[moto::user_name("alice")]).await.unwrap();
    assert_eq!(
        ids[&moto::user_name("alice")].as_deref(),
        Some(seeded.users["alice"].as_str())
    );
    assert_eq!(ic.api_calls().get("ListUsers"), None);
    assert_eq!(ic.api_calls()["GetUserId"], 1);
    // names no page spells exactly (here: none exist) all end with GetUserId's answer
    let ghosts: Vec<String> = (0..6).map(|i| format!("ghost{i}@acme.example")).collect();
    let ids = ic.user_ids(&ghosts).await.unwrap();
    assert!(ids.values().all(Option::is_none), "{ids:?}");
    assert_eq!(ids.len(), 6);
    assert_eq!(ic.api_calls()["GetUserId"], 7);
    assert_eq!(ic.api_calls()["ListUsers"], 1, "one page holds the seeded directory");
}

#[tokio::test]
async fn assignments_are_created_read_once_and_deleted_with_counted_calls() {
    let moto = Moto::start();
    let (config, seeded, ic) = connect(&moto).await;
    let admin = seeded.permission_sets["AdministratorAccess"].clone();
    let dba = seeded.permission_sets["DatabaseAdmin"].clone();
    let managed = vec![admin.clone(), dba.clone()];
    // moto reports a provisioned permission set in its own account only, so the
    // assignments are made there
    let account = seeded.management_account.clone();
    let alice = seeded.users["alice"].clone();

    assert_eq!(ic.actual_assignments(&managed).await.unwrap(), vec![]);
    let created = ic.create_assignment(&account, &admin, &alice).await.unwrap();
    assert_eq!(created.status, ChangeStatus::Succeeded);
    assert!(!created.request_id.is_empty());
    let alice_admin = Assignment {
        account_id: account.clone(),
        permission_set_arn: admin.clone(),
        principal_type: PrincipalType::User,
        principal_id: alice.clone(),
    };
    assert_eq!(
        ic.actual_assignments(&managed).await.unwrap(),
        vec![alice_admin.clone()]
    );

    let deleted = ic.delete_assignment(&account, &admin, &alice).await.unwrap();
    assert_eq!(deleted.status, ChangeStatus::Succeeded);
    assert_eq!(ic.actual_assignments(&managed).await.unwrap(), vec![]);

    // moto stores a duplicate create twice; the adapter reports the assignment once
    ic.create_assignment(&account, &admin, &alice).await.unwrap();
    ic.create_assignment(&account, &admin, &alice).await.unwrap();
    moto::assign_group(&config, &seeded, &account, &dba, &seeded.groups["DBA"]).await;
    let group_dba = Assignment {
        account_id: account.clone(),
        permission_set_arn: dba.clone(),
        principal_type: PrincipalType::Group,
        principal_id: seeded.groups["DBA"].clone(),
    };
    let mut want = vec![alice_admin, group_dba];
    want.sort();

    // steady state: one page of provisioned accounts per managed permission set, one page
    // of assignments per provisioned (account, permission set) pair, nothing else
    let before = ic.api_calls();
    assert_eq!(ic.actual_assignments(&managed).await.unwrap(), want);
    let provisioned_pairs = 2; // both managed permission sets, provisioned in one account
    assert_eq!(
        delta(&before, &ic.api_calls()),
        BTreeMap::from([
            ("ListAccountAssignments".to_string(), provisioned_pairs),
            (
                "ListAccountsForProvisionedPermissionSet".to_string(),
                managed.len() as u64
            ),
        ])
    );
    // reading one permission set costs that permission set's calls only
    let before = ic.api_calls();
    ic.actual_assignments(std::slice::from_ref(&admin)).await.unwrap();
    let d = delta(&before, &ic.api_calls());
    assert_eq!(d["ListAccountsForProvisionedPermissionSet"], 1);
    assert_eq!(d["ListAccountAssignments"], 1);
    let calls = ic.api_calls();
    assert_eq!(calls["CreateAccountAssignment"], 3);
    assert_eq!(calls["DeleteAccountAssignment"], 1);
    // moto answers SUCCEEDED at once, so no status poll was needed
    assert!(!calls.contains_key("DescribeAccountAssignmentCreationStatus"));
}

fn example_repo() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["policies", "requests", ".github", "schemas"] {
        copy_dir(&root.join(dir), &repo.path().join(dir));
    }
    repo
}

#[test]
fn directory_sync_needs_only_the_aws_environment_and_writes_only_what_loads() {
    let moto = Moto::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let seeded = runtime.block_on(async { moto::seed(&moto.sdk_config().await).await });
    drop(runtime);
    let repo = example_repo();
    let sync = |extra: &[&str]| {
        let mut cmd = bin();
        cmd.args(["directory", "sync", "--repo"]).arg(repo.path()).args(extra);
        for var in [
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(moto.env());
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let path = repo.path().join("policies/directory.toml");

    // the AWS environment alone reaches moto: its organization comes back and is written
    // with moto's permission set ARNs verbatim (`…:instance/ssoins-…/ps-…`), which `check`
    // accepts (docs/decisions/0022)
    let (code, out, err) = sync(&["--at", "2026-11-22T00:00:00Z"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains(&seeded.instance_arn), "{written}");
    for (name, arn) in &seeded.permission_sets {
        assert!(arn.contains(":sso:::instance/"), "{name}: {arn}");
        assert!(
            written.contains(&format!("arn = \"{arn}\"")),
            "{arn} not verbatim in\n{written}"
        );
    }
    std::fs::remove_dir_all(repo.path().join("requests")).unwrap();
    let check = |repo: &std::path::Path| {
        let out = bin()
            .args(["check", "--repo"])
            .arg(repo)
            .args(["--at", "2026-11-22T12:00:00Z"])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, out) = check(repo.path());
    assert_eq!(code, Some(0), "{out}");

    // an ARN of another service is still refused, with file:line
    let (line, _) = written
        .lines()
        .enumerate()
        .find(|(_, l)| l.starts_with("arn = "))
        .unwrap();
    let iam = written.replacen("\narn = \"arn:aws:sso:::", "\narn = \"arn:aws:iam:::", 1);
    std::fs::write(&path, &iam).unwrap();
    let (code, out) = check(repo.path());
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("error[invalid-arn]"), "{out}");
    assert!(out.contains(&format!("policies/directory.toml:{}:", line + 1)), "{out}");

    // a file with the same content is left alone, its synced_at too
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let current = runtime.block_on(async {
        let config = moto.sdk_config().await;
        let ic = IdentityCenter::from_sdk_config(&config, None).await.unwrap();
        let org = ic.read_organization().await.unwrap();
        let groups = ic.read_groups(&["DBA".to_string(), "SRE".to_string()]).await.unwrap();
        aws::render_directory_toml(&org, &groups, "2026-11-20T00:00:00Z".parse().unwrap())
    });
    std::fs::write(&path, &current).unwrap();
    let (code, out, err) = sync(&["--at", "2026-11-23T00:00:00Z"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("policies/directory.toml is up to date: 5 OU(s), 9 account(s), 4 permission set(s), 2 group(s)"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), current);
    let (code, out, _) = sync(&["--check"]);
    assert_eq!(code, Some(0), "{out}");

    // an instance that is not there is an operational failure with a clear message
    let (code, _, err) = sync(&["--instance-arn", "arn:aws:sso:::instance/ssoins-0000000000000000"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("`arn:aws:sso:::instance/ssoins-0000000000000000` is not visible"),
        "{err}"
    );
}
