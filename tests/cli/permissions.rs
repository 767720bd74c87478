//! One source of truth for the GitHub App's permissions (issue 12 item 2): every
//! `permission-*` a workflow template asks `actions/create-github-app-token` for is in the
//! App table of docs/branch-protection.md at that level or above, every documented
//! permission is asked for by some template, and every GitHub API call the adapter makes
//! (and the `gh` calls the templates make) needs only permissions its workflow asks for.

use std::collections::BTreeMap;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// read < write
fn level(s: &str) -> u8 {
    match s.trim() {
        "read" | "Read" => 1,
        "write" | "Read and write" => 2,
        other => panic!("unknown permission level `{other}`"),
    }
}

/// `permission-NAME: LEVEL` inputs of one template, by name.
fn requested(template: &str) -> BTreeMap<String, u8> {
    read(template)
        .lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix("permission-")?;
            let (name, rest) = l.split_once(':')?;
            let value = rest.split('#').next()?.trim();
            Some((name.to_string(), level(value)))
        })
        .fold(BTreeMap::new(), |mut m, (n, l)| {
            let e = m.entry(n).or_insert(0);
            *e = (*e).max(l);
            m
        })
}

/// The App table: `| Organization → Members | Read | ... |` rows, as token input names.
fn documented() -> BTreeMap<String, u8> {
    let doc = read("docs/branch-protection.md");
    doc.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let (scope, name) = cells.get(1)?.split_once(" → ")?;
            if !matches!(scope, "Organization" | "Repository") {
                return None;
            }
            let input = match name {
                "Members" => "members",
                "Pull requests" => "pull-requests",
                "Checks" => "checks",
                "Commit statuses" => "statuses",
                "Contents" => "contents",
                "Actions" => "actions",
                "Metadata" => "metadata",
                other => panic!("docs/branch-protection.md names `{other}`: add it to this test's names"),
            };
            Some((input.to_string(), level(cells.get(2)?)))
        })
        .collect()
}

const TEMPLATES: [&str; 3] = [
    "templates/init/workflows/gitgrant.yml",
    "templates/init/workflows/gitgrant-reconcile.yml",
    "templates/init/workflows/gitgrant-directory-sync.yml",
];

#[test]
fn every_permission_a_template_asks_for_is_documented_and_every_documented_one_is_used() {
    let doc = documented();
    assert!(doc.contains_key("metadata"), "the table lists Metadata (mandatory)");
    let mut used: BTreeMap<String, u8> = BTreeMap::new();
    for t in TEMPLATES {
        for (name, l) in requested(t) {
            let d = doc.get(&name).copied().unwrap_or(0);
            assert!(
                d >= l,
                "{t} asks for `{name}` at level {l}; docs/branch-protection.md has {d}"
            );
            let e = used.entry(name).or_insert(0);
            *e = (*e).max(l);
        }
    }
    for (name, l) in &doc {
        if name == "metadata" {
            continue;
        }
        assert_eq!(
            used.get(name),
            Some(l),
            "docs/branch-protection.md grants `{name}` at level {l}; no template asks for exactly that"
        );
    }
}

/// What each GitHub API call of the adapter needs: (a piece of its path, method, permission,
/// level). A path in the adapter that no entry covers fails the test below.
const CALLS: [(&str, &str, &str, u8); 12] = [
    // `pr --merge`: merging needs both
    ("/pulls/{number}/merge\"", "PUT", "contents", 2),
    ("/pulls/{number}/merge\"", "PUT", "pull-requests", 2),
    ("/actions/workflows/{file}/dispatches\"", "POST", "actions", 2),
    ("/pulls/{number}\"", "GET", "pull-requests", 1),
    ("{path}/commits", "GET", "pull-requests", 1),
    ("{path}/reviews", "GET", "pull-requests", 1),
    ("/files", "GET", "pull-requests", 1),
    ("/teams/{team}/members", "GET", "members", 1),
    ("/issues/", "POST/PATCH", "pull-requests", 2),
    ("/check-runs", "POST", "checks", 2),
    ("/statuses/", "POST", "statuses", 2),
    ("/commits/{sha}/pulls", "GET", "pull-requests", 1),
];

fn adapter_paths() -> Vec<String> {
    let src = read("src/adapters/github/mod.rs");
    src.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .filter_map(|l| {
            let i = l.find("format!(\"")?;
            Some(l[i..].to_string())
        })
        .filter(|l| l.contains('/'))
        .collect()
}

#[test]
fn every_api_call_needs_only_what_the_gate_asks_for() {
    let gate = requested(TEMPLATES[0]);
    for path in adapter_paths() {
        let covered = CALLS.iter().any(|(piece, ..)| path.contains(piece))
            || path.contains("/pulls?state=open")
            || path.contains("/pulls\", repo.path()")
            || path.contains("/repos/{}/{}");
        assert!(
            covered,
            "the GitHub adapter calls `{path}`: add the permission it needs to this test's CALLS"
        );
    }
    for (piece, method, name, l) in CALLS {
        let got = gate.get(name).copied().unwrap_or(0);
        assert!(
            got >= l,
            "{method} …{piece} needs `{name}` level {l}; the gate's token asks for {got}"
        );
    }
    // the gate pushes gitgrant-ledger (`pr --ledger`) and starts the reconciler after a /revoke
    let text = read(TEMPLATES[0]);
    assert!(
        gate.get("contents") == Some(&2),
        "pushing gitgrant-ledger needs contents: write"
    );
    if text.contains("gh workflow run") {
        assert_eq!(gate.get("actions"), Some(&2), "`gh workflow run` needs actions: write");
    }
    let reconcile = requested(TEMPLATES[1]);
    assert_eq!(
        reconcile.get("contents"),
        Some(&2),
        "the reconciler pushes gitgrant-ledger"
    );
    assert!(
        reconcile.get("pull-requests").is_some_and(|l| *l >= 1),
        "evidence reads PRs"
    );
    assert!(
        reconcile.get("members").is_some_and(|l| *l >= 1),
        "live team membership"
    );
}

#[test]
fn the_directory_sync_workflow_reads_aws_read_only_and_only_opens_a_pull_request() {
    let text = read(TEMPLATES[2]);
    let asked = requested(TEMPLATES[2]);
    assert_eq!(asked.get("contents"), Some(&2), "push its own branch");
    assert_eq!(asked.get("pull-requests"), Some(&2), "open or update the PR");
    assert_eq!(asked.len(), 2, "nothing else: {asked:?}");
    // its own read-only role, never the reconciler's (which can create assignments)
    assert!(text.contains("role-to-assume: ${{ vars.GITGRANT_DIRECTORY_ROLE_ARN }}"));
    assert!(!text.contains("GITGRANT_AWS_ROLE_ARN"));
    // it pushes one branch and merges nothing
    let pushes: Vec<&str> = text.lines().filter(|l| l.contains("git push")).collect();
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert!(pushes[0].contains("\"HEAD:refs/heads/$branch\""), "{}", pushes[0]);
    assert!(text.contains("branch=gitgrant/directory-sync "));
    for forbidden in ["gh pr merge", "gh api", "--admin", "gitgrant-ledger", "pull_request"] {
        assert!(
            !text.contains(forbidden),
            "the directory sync workflow must not use `{forbidden}`"
        );
    }
    // the role it needs is documented, read-only
    let doc = read("docs/branch-protection.md");
    let section = doc
        .split("### The directory sync role")
        .nth(1)
        .expect("docs/branch-protection.md documents the directory sync role");
    let policy = section
        .split("```json")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(policy).unwrap();
    let actions: Vec<&str> = v["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap())
        .map(|a| a.as_str().unwrap())
        .collect();
    for a in &actions {
        let verb = a.split(':').nth(1).unwrap();
        assert!(
            ["List", "Describe", "Get"].iter().any(|p| verb.starts_with(p)),
            "the directory role is read-only; `{a}` is not"
        );
    }
    for needed in [
        "sso:ListInstances",
        "sso:ListPermissionSets",
        "sso:DescribePermissionSet",
        "identitystore:GetGroupId",
        "identitystore:ListGroupMemberships",
        "identitystore:DescribeUser",
        "organizations:DescribeOrganization",
        "organizations:ListRoots",
        "organizations:ListOrganizationalUnitsForParent",
        "organizations:ListAccountsForParent",
    ] {
        assert!(actions.contains(&needed), "the directory role needs {needed}");
    }
}
