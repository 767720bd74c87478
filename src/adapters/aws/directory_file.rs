//! Writing `policies/directory.toml` from a read organization: the format of DESIGN section
//! 2, sorted and byte-stable, so that a sync that finds nothing new changes nothing.

use chrono::{DateTime, Utc};

use super::{Group, OrgSnapshot};

const HEADER: &str = "#:schema ../schemas/directory.schema.json\n\
# Written by `gitgrant directory sync`; do not edit by hand (the next sync overwrites it).\n";

/// Members that fit on one line stay on it; longer lists get one member per line, so that a
/// membership change is a one-line diff.
const INLINE_WIDTH: usize = 100;

/// A TOML string literal (basic string, escaped as TOML requires).
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The directory snapshot's text. OUs are sorted by path, accounts by name (then id),
/// permission sets by name, groups by name, members by user name; the same organization
/// always renders to the same bytes apart from `synced_at`.
pub fn render_directory_toml(org: &OrgSnapshot, groups: &[Group], synced_at: DateTime<Utc>) -> String {
    let mut out = String::from(HEADER);
    out.push_str(&format!("synced_at = {}\n", synced_at.format("%Y-%m-%dT%H:%M:%SZ")));
    out.push_str(&format!("instance_arn = {}\n", quote(&org.instance_arn)));
    out.push_str(&format!("identity_store_id = {}\n", quote(&org.identity_store_id)));
    if let Some(m) = &org.management_account {
        out.push_str(
            "# the organization's management account: only rules with allow_management_account = true grant it\n",
        );
        out.push_str(&format!("management_account = {}\n", quote(m)));
    }

    let mut ous: Vec<_> = org.ous.iter().collect();
    ous.sort_by(|a, b| (&a.path, &a.id).cmp(&(&b.path, &b.id)));
    for ou in ous {
        out.push_str(&format!(
            "\n[[ou]]\nid = {}\npath = {}\n",
            quote(&ou.id),
            quote(&ou.path)
        ));
    }

    let mut accounts: Vec<_> = org.accounts.iter().collect();
    accounts.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    for a in accounts {
        out.push_str(&format!(
            "\n[[account]]\nid = {}\nname = {}\nou = {}\n",
            quote(&a.id),
            quote(&a.name),
            quote(&a.ou)
        ));
    }

    let mut sets: Vec<_> = org.permission_sets.iter().collect();
    sets.sort_by(|a, b| (&a.name, &a.arn).cmp(&(&b.name, &b.arn)));
    for p in sets {
        out.push_str(&format!(
            "\n[[permission_set]]\nname = {}\narn = {}\n",
            quote(&p.name),
            quote(&p.arn)
        ));
        if let Some(d) = &p.session_duration {
            out.push_str(&format!("session_duration = {}\n", quote(d)));
        }
    }

    let mut groups: Vec<_> = groups.iter().collect();
    groups.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    for g in groups {
        let mut members: Vec<&String> = g.members.iter().collect();
        members.sort();
        members.dedup();
        let members: Vec<String> = members.into_iter().map(|m| quote(m)).collect();
        let inline = format!("members = [{}]", members.join(", "));
        out.push_str(&format!("\n[[group]]\nname = {}\n", quote(&g.name)));
        if inline.len() <= INLINE_WIDTH {
            out.push_str(&inline);
            out.push('\n');
        } else {
            out.push_str("members = [\n");
            for m in members {
                out.push_str(&format!("  {m},\n"));
            }
            out.push_str("]\n");
        }
    }
    out
}

/// Whether two snapshot texts say the same thing apart from when they were taken, so that
/// a sync can leave an unchanged file (and its `synced_at`) alone.
pub fn same_content(old_toml: &str, new_toml: &str) -> bool {
    fn without_synced_at(text: &str) -> impl Iterator<Item = &str> {
        text.lines().filter(|l| !l.trim_start().starts_with("synced_at"))
    }
    without_synced_at(old_toml).eq(without_synced_at(new_toml))
}

#[cfg(test)]
mod tests {
    use super::super::{Account, Ou, PermissionSet};
    use super::*;

    fn org() -> OrgSnapshot {
        OrgSnapshot {
            management_account: Some("999988887777".into()),
            instance_arn: "arn:aws:sso:::instance/ssoins-1234567890abcdef".into(),
            identity_store_id: "d-1234567890".into(),
            ous: vec![
                Ou {
                    id: "ou-ab12-prod0001".into(),
                    path: "Workloads/Prod".into(),
                },
                Ou {
                    id: "ou-ab12-wkl3h6p0".into(),
                    path: "Workloads".into(),
                },
            ],
            accounts: vec![
                Account {
                    id: "111122223333".into(),
                    name: "payments-prod".into(),
                    ou: "Workloads/Prod".into(),
                },
                Account {
                    id: "999988887777".into(),
                    name: "acme \"management\"".into(),
                    ou: "".into(),
                },
            ],
            permission_sets: vec![PermissionSet {
                name: "AdministratorAccess".into(),
                arn: "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef".into(),
                session_duration: Some("PT1H".into()),
            }],
        }
    }

    #[test]
    fn renders_sorted_and_escaped() {
        let at = "2026-11-22T00:00:00Z".parse().unwrap();
        let groups = [Group {
            name: "SRE".into(),
            id: "g-1".into(),
            members: vec!["grace@acme.example".into(), "alice@acme.example".into()],
        }];
        let text = render_directory_toml(&org(), &groups, at);
        let expected = r#"#:schema ../schemas/directory.schema.json
# Written by `gitgrant directory sync`; do not edit by hand (the next sync overwrites it).
synced_at = 2026-11-22T00:00:00Z
instance_arn = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
identity_store_id = "d-1234567890"
# the organization's management account: only rules with allow_management_account = true grant it
management_account = "999988887777"

[[ou]]
id = "ou-ab12-wkl3h6p0"
path = "Workloads"

[[ou]]
id = "ou-ab12-prod0001"
path = "Workloads/Prod"

[[account]]
id = "999988887777"
name = 'acme "management"'
ou = ""

[[account]]
id = "111122223333"
name = "payments-prod"
ou = "Workloads/Prod"

[[permission_set]]
name = "AdministratorAccess"
arn = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef"
session_duration = "PT1H"

[[group]]
name = "SRE"
members = ["alice@acme.example", "grace@acme.example"]
"#;
        assert_eq!(text, expected);
        let parsed: toml::Table = text.parse().unwrap();
        assert_eq!(parsed["account"][0]["name"].as_str(), Some("acme \"management\""));
        assert_eq!(parsed["management_account"].as_str(), Some("999988887777"));
    }

    #[test]
    fn long_member_lists_go_one_per_line_and_synced_at_is_not_content() {
        let members: Vec<String> = (0..10).map(|i| format!("user{i}@acme.example")).collect();
        let groups = [Group {
            name: "Everyone".into(),
            id: "g-2".into(),
            members,
        }];
        let a = render_directory_toml(&org(), &groups, "2026-11-22T00:00:00Z".parse().unwrap());
        let b = render_directory_toml(&org(), &groups, "2026-11-23T00:00:00Z".parse().unwrap());
        assert!(a.contains("members = [\n  \"user0@acme.example\",\n"), "{a}");
        assert_ne!(a, b);
        assert!(same_content(&a, &b));
        let mut other = org();
        other.accounts.pop();
        let c = render_directory_toml(&other, &groups, "2026-11-22T00:00:00Z".parse().unwrap());
        assert!(!same_content(&a, &c));
        let parsed: toml::Table = a.parse().unwrap();
        assert_eq!(parsed["group"][0]["members"].as_array().unwrap().len(), 10);
    }
}
