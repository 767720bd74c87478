//! The directory snapshot (`policies/directory.toml`): accounts, OUs, permission sets and
//! Identity Center groups, with the look-ups the rest of the core needs.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::Ctx;
use crate::core::files::lexical;
use crate::core::files::raw::{RawAccount, RawDirectory, RawGroup, RawOu, RawPermissionSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ou {
    pub id: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    /// OU path of the account's parent; "" for the root.
    pub ou: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionSet {
    pub name: String,
    pub arn: String,
    pub session_duration: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub synced_at: Option<DateTime<Utc>>,
    pub instance_arn: String,
    pub identity_store_id: String,
    /// The organization's management account, when the snapshot names it: only rules that
    /// say `allow_management_account = true` grant access to it.
    pub management_account: Option<String>,
    pub ous: Vec<Ou>,
    pub accounts: Vec<Account>,
    pub permission_sets: Vec<PermissionSet>,
    pub groups: Vec<Group>,
    account_by_id: HashMap<String, usize>,
    account_by_name: HashMap<String, usize>,
    ou_by_path: HashMap<String, usize>,
    ou_by_id: HashMap<String, usize>,
    ps_by_name: HashMap<String, usize>,
    group_by_name: HashMap<String, usize>,
    /// Lowercased member user name -> the groups listing it, in file order.
    groups_by_member: HashMap<String, Vec<usize>>,
}

impl Directory {
    /// Validates the directory snapshot section by section, reporting every finding; the
    /// result holds only the entries that passed their duplicate checks.
    pub fn from_raw(raw: RawDirectory, cx: &mut Ctx<'_>) -> Directory {
        let synced_at = check_header(&raw, cx);
        let mut d = Directory {
            synced_at,
            instance_arn: raw.instance_arn.into_inner(),
            identity_store_id: raw.identity_store_id.into_inner(),
            management_account: raw.management_account.map(|m| m.into_inner()),
            ..Directory::default()
        };
        for ou in raw.ou {
            d.add_ou(ou.into_inner(), cx);
        }
        d.check_ou_parents(cx);
        for a in raw.account {
            d.add_account(a.into_inner(), cx);
        }
        for p in raw.permission_set {
            d.add_permission_set(p.into_inner(), cx);
        }
        for g in raw.group {
            d.add_group(g.into_inner(), cx);
        }
        d
    }

    /// Checks one `[[ou]]` entry and records it unless its id or path is already listed.
    fn add_ou(&mut self, ou: RawOu, cx: &mut Ctx<'_>) {
        let (id, path) = (ou.id.get_ref().clone(), ou.path.get_ref().clone());
        if !lexical::is_ou_id(&id) {
            cx.error(
                "invalid-ou-id",
                ou.id.span(),
                format!("`{id}` is not an OU id"),
                "OU ids look like `ou-ab12-prod0001`",
            );
        }
        if !lexical::is_ou_path(&path) {
            cx.error(
                "invalid-ou-path",
                ou.path.span(),
                format!("`{path}` is not an OU path"),
                "write OU names from the root separated by `/`, e.g. `Workloads/Prod`",
            );
        }
        if self.ou_by_id.contains_key(&id) {
            cx.error(
                "duplicate-ou",
                ou.id.span(),
                format!("OU id `{id}` is listed twice"),
                "each OU appears once",
            );
            return;
        }
        if self.ou_by_path.contains_key(&path) {
            cx.error(
                "duplicate-ou",
                ou.path.span(),
                format!("OU path `{path}` is listed twice"),
                "each OU appears once",
            );
            return;
        }
        self.ou_by_id.insert(id.clone(), self.ous.len());
        self.ou_by_path.insert(path.clone(), self.ous.len());
        self.ous.push(Ou { id, path });
    }

    /// The groups that list `user_name` as a member (compared ASCII case-insensitively, as
    /// e-mail addresses are), in file order.
    pub fn groups_of_member(&self, user_name: &str) -> impl Iterator<Item = &Group> {
        let listed = self.groups_by_member.get(&user_name.to_ascii_lowercase());
        listed.into_iter().flatten().map(|&i| &self.groups[i])
    }

    /// Every OU's parent must be listed. Checked once every OU is known, so order in the file
    /// does not matter.
    fn check_ou_parents(&self, cx: &mut Ctx<'_>) {
        for ou in &self.ous {
            if let Some((parent, _)) = ou.path.rsplit_once('/')
                && !self.ou_by_path.contains_key(parent)
            {
                cx.diags.push(
                    crate::core::diag::diagnostic::Diagnostic::error(
                        "unknown-ou",
                        format!("parent OU `{parent}` of `{}` is not listed", ou.path),
                    )
                    .in_file(cx.file)
                    .help("list every OU on the path from the root"),
                );
            }
        }
    }

    /// Checks one `[[account]]` entry and records it unless its id or name is already listed.
    fn add_account(&mut self, a: RawAccount, cx: &mut Ctx<'_>) {
        let (id, name, ou) = (a.id.get_ref().clone(), a.name.get_ref().clone(), a.ou.get_ref().clone());
        if !lexical::is_account_id(&id) {
            cx.error(
                "invalid-account-id",
                a.id.span(),
                format!("`{id}` is not a 12-digit account id"),
                "AWS account ids are exactly 12 digits",
            );
        }
        if name.is_empty() || name.chars().count() > 50 {
            cx.error(
                "invalid-value",
                a.name.span(),
                format!("account name `{name}` is empty or longer than 50 characters"),
                "AWS account names are 1 to 50 characters",
            );
        }
        if self.account_by_id.contains_key(&id) {
            cx.error(
                "duplicate-account",
                a.id.span(),
                format!("account id `{id}` is listed twice"),
                "each account appears once",
            );
            return;
        }
        if self.account_by_name.contains_key(&name) {
            cx.error(
                "duplicate-account",
                a.name.span(),
                format!("account name `{name}` is listed twice"),
                "account names must be unique to be used in request paths",
            );
            return;
        }
        if !ou.is_empty() && !self.ou_by_path.contains_key(&ou) {
            cx.error(
                "unknown-ou",
                a.ou.span(),
                format!("OU `{ou}` of account `{name}` is not listed"),
                "add the OU as an `[[ou]]` entry, or use \"\" for the root",
            );
        }
        if !lexical::is_account_name_segment(&name) {
            cx.warning("account-name-not-requestable", a.name.span(), format!("account name `{name}` cannot be used in a request path"), "requests name accounts by a path segment of letters, digits, `.`, `_` and `-`; rename the account to request it");
        }
        self.account_by_id.insert(id.clone(), self.accounts.len());
        self.account_by_name.insert(name.clone(), self.accounts.len());
        self.accounts.push(Account { id, name, ou });
    }

    /// Checks one `[[permission_set]]` entry and records it unless its name is already listed.
    fn add_permission_set(&mut self, p: RawPermissionSet, cx: &mut Ctx<'_>) {
        let name = p.name.get_ref().clone();
        cx.permission_set_name(p.name.span(), &name);
        if !lexical::is_permission_set_arn(p.arn.get_ref()) {
            cx.error("invalid-arn", p.arn.span(), format!("`{}` is not a permission set ARN", p.arn.get_ref()), "permission set ARNs start `arn:aws:sso:::` (or another AWS partition), e.g. `arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef`; `gitgrant directory sync` writes them as AWS returns them");
        }
        if let Some(sd) = &p.session_duration {
            if !lexical::is_session_duration(sd.get_ref()) {
                cx.error(
                    "invalid-session-duration",
                    sd.span(),
                    format!("`{}` is not an ISO 8601 session duration", sd.get_ref()),
                    "write e.g. `PT1H` or `PT12H`",
                );
            } else if crate::core::reconcile::sessions::session_length(sd.get_ref()).is_none() {
                // when sessions of this permission set end is computed from it (issue 13)
                cx.error(
                    "invalid-session-duration",
                    sd.span(),
                    format!("`{}` is longer than Identity Center's 12 hours, or zero", sd.get_ref()),
                    "write a length from PT1M to PT12H, as Identity Center holds it (`gitgrant directory sync` writes it)",
                );
            }
        }
        if self.ps_by_name.contains_key(&name) {
            cx.error(
                "duplicate-permission-set",
                p.name.span(),
                format!("permission set `{name}` is listed twice"),
                "each permission set appears once",
            );
            return;
        }
        self.ps_by_name.insert(name.clone(), self.permission_sets.len());
        self.permission_sets.push(PermissionSet {
            name,
            arn: p.arn.into_inner(),
            session_duration: p.session_duration.map(|s| s.into_inner()),
        });
    }

    /// Checks one `[[group]]` entry and records it unless its name is already listed.
    fn add_group(&mut self, g: RawGroup, cx: &mut Ctx<'_>) {
        let name = g.name.get_ref().clone();
        if name.is_empty() || name.chars().count() > 128 {
            cx.error(
                "invalid-value",
                g.name.span(),
                "group name is empty or longer than 128 characters".into(),
                "Identity Center group names are 1 to 128 characters",
            );
        }
        for m in g.members.iter().filter(|m| m.get_ref().is_empty()) {
            cx.error(
                "invalid-user-name",
                m.span(),
                "group member is empty".into(),
                "list Identity Center user names",
            );
        }
        if self.group_by_name.contains_key(&name) {
            cx.error(
                "duplicate-group",
                g.name.span(),
                format!("group `{name}` is listed twice"),
                "each group appears once",
            );
            return;
        }
        self.group_by_name.insert(name.clone(), self.groups.len());
        for m in &g.members {
            let listed = self
                .groups_by_member
                .entry(m.get_ref().to_ascii_lowercase())
                .or_default();
            if listed.last() != Some(&self.groups.len()) {
                listed.push(self.groups.len());
            }
        }
        self.groups.push(Group {
            name,
            members: g.members.into_iter().map(|m| m.into_inner()).collect(),
        });
    }

    /// An account by 12-digit id or by name.
    pub fn account(&self, reference: &str) -> Option<&Account> {
        let idx = if lexical::is_account_id(reference) {
            self.account_by_id.get(reference)
        } else {
            self.account_by_name.get(reference)
        };
        idx.map(|&i| &self.accounts[i])
    }

    /// An OU by path or id.
    pub fn ou(&self, reference: &str) -> Option<&Ou> {
        self.ou_by_path
            .get(reference)
            .or_else(|| self.ou_by_id.get(reference))
            .map(|&i| &self.ous[i])
    }

    pub fn permission_set(&self, name: &str) -> Option<&PermissionSet> {
        self.ps_by_name.get(name).map(|&i| &self.permission_sets[i])
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.group_by_name.get(name).map(|&i| &self.groups[i])
    }

    /// Accounts whose parent OU is `ou_path`, or (with `nested`) any OU below it.
    pub fn accounts_in_ou<'a>(&'a self, ou_path: &'a str, nested: bool) -> impl Iterator<Item = &'a Account> + 'a {
        self.accounts
            .iter()
            .filter(move |a| ou_contains(ou_path, &a.ou, nested))
    }
}

/// Checks the snapshot's header fields (`synced_at`, `instance_arn`, `identity_store_id`);
/// returns the sync time when it parses.
fn check_header(raw: &RawDirectory, cx: &mut Ctx<'_>) -> Option<DateTime<Utc>> {
    let synced_at = match lexical::parse_timestamp(raw.synced_at.get_ref()) {
        Ok(t) => Some(t),
        Err(why) => {
            cx.error(
                "invalid-timestamp",
                raw.synced_at.span(),
                format!("`synced_at` is not a timestamp: {why}"),
                "write e.g. `2026-11-22T00:00:00Z`",
            );
            None
        }
    };
    if !lexical::is_instance_arn(raw.instance_arn.get_ref()) {
        cx.error(
            "invalid-arn",
            raw.instance_arn.span(),
            format!(
                "`{}` is not an Identity Center instance ARN",
                raw.instance_arn.get_ref()
            ),
            "instance ARNs look like `arn:aws:sso:::instance/ssoins-1234567890abcdef`",
        );
    }
    if !lexical::is_identity_store_id(raw.identity_store_id.get_ref()) {
        cx.error(
            "invalid-value",
            raw.identity_store_id.span(),
            format!("`{}` is not an identity store id", raw.identity_store_id.get_ref()),
            "identity store ids look like `d-1234567890`",
        );
    }
    if let Some(m) = &raw.management_account
        && !lexical::is_account_id(m.get_ref())
    {
        cx.error(
            "invalid-account-id",
            m.span(),
            format!("`{}` is not a 12-digit account id", m.get_ref()),
            "AWS account ids are exactly 12 digits",
        );
    }
    synced_at
}

/// Whether an account whose parent OU is `account_ou` is covered by a rule naming `ou`.
/// Paths compare case-sensitively, segment by segment (`Prod` never covers `Production`).
pub fn ou_contains(ou: &str, account_ou: &str, nested: bool) -> bool {
    if account_ou == ou {
        return true;
    }
    nested && account_ou.len() > ou.len() && account_ou.starts_with(ou) && account_ou.as_bytes()[ou.len()] == b'/'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ou_matching_by_segment_with_and_without_children() {
        let cases = [
            ("Workloads/Prod", "Workloads/Prod", false, true),
            ("Workloads/Prod", "Workloads/Prod/Payments", false, false),
            ("Workloads/Prod", "Workloads/Prod/Payments", true, true),
            ("Workloads/Prod", "Workloads/Production", true, false),
            ("Workloads", "Workloads/Prod/Payments", true, true),
            ("Workloads/Prod", "Workloads", true, false),
            ("workloads/prod", "Workloads/Prod", true, false),
        ];
        for (ou, account_ou, nested, want) in cases {
            assert_eq!(ou_contains(ou, account_ou, nested), want, "{ou} {account_ou} {nested}");
        }
    }
}
