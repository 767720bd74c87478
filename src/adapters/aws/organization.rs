//! Reading the organization: OUs with their paths from the root, ACTIVE accounts with their
//! parent OU's path, and the instance's permission sets.

use std::collections::VecDeque;

use aws_sdk_organizations::types::{AccountState, AccountStatus};

use super::{Account, AwsError, IdentityCenter, OrgSnapshot, Ou, PermissionSet};

impl IdentityCenter {
    /// Walks the organization from its root, one OU level at a time (calls:
    /// `DescribeOrganization` for the management account, the pages of `ListRoots`, then
    /// per parent the pages of `ListOrganizationalUnitsForParent` and
    /// `ListAccountsForParent`), then lists and describes every permission set.
    pub async fn read_organization(&self) -> Result<OrgSnapshot, AwsError> {
        let orgs = &self.clients.organizations;
        let management_account = self
            .call("DescribeOrganization", || orgs.describe_organization().send())
            .await?
            .organization
            .and_then(|o| o.master_account_id);
        let root_id = self.organization_root_id().await?;
        let mut ous = Vec::new();
        let mut accounts = Vec::new();
        let mut parents = VecDeque::from([(root_id, String::new())]);
        while let Some((parent_id, parent_path)) = parents.pop_front() {
            accounts.extend(self.active_accounts_under(&parent_id, &parent_path).await?);
            for ou in self.ous_under(&parent_id, &parent_path).await? {
                parents.push_back((ou.id.clone(), ou.path.clone()));
                ous.push(ou);
            }
        }

        let permission_sets = self.read_permission_sets().await?;
        ous.sort_by(|a, b| (&a.path, &a.id).cmp(&(&b.path, &b.id)));
        accounts.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        Ok(OrgSnapshot {
            instance_arn: self.instance_arn.clone(),
            identity_store_id: self.identity_store_id.clone(),
            management_account,
            ous,
            accounts,
            permission_sets,
        })
    }

    /// The id of the organization's one root (`ListRoots`).
    async fn organization_root_id(&self) -> Result<String, AwsError> {
        let orgs = &self.clients.organizations;
        let roots = self
            .paginate(
                "ListRoots",
                |token| orgs.list_roots().set_next_token(token).send(),
                |page| (page.roots.unwrap_or_default(), page.next_token),
            )
            .await?;
        match roots.as_slice() {
            [root] => Ok(root.id().unwrap_or_default().to_string()),
            _ => Err(AwsError::Malformed {
                operation: "ListRoots",
                message: format!("expected one organization root, found {}", roots.len()),
            }),
        }
    }

    /// The ACTIVE accounts directly under a root or OU (`ListAccountsForParent`), each with
    /// the parent's path.
    async fn active_accounts_under(&self, parent_id: &str, parent_path: &str) -> Result<Vec<Account>, AwsError> {
        let orgs = &self.clients.organizations;
        let children = self
            .paginate(
                "ListAccountsForParent",
                |token| {
                    orgs.list_accounts_for_parent()
                        .parent_id(parent_id)
                        .set_next_token(token)
                        .send()
                },
                |page| (page.accounts.unwrap_or_default(), page.next_token),
            )
            .await?;
        Ok(children
            .iter()
            .filter(|a| is_active(a))
            .map(|a| Account {
                id: a.id().unwrap_or_default().to_string(),
                name: a.name().unwrap_or_default().to_string(),
                ou: parent_path.to_string(),
            })
            .collect())
    }

    /// The OUs directly under a root or OU (`ListOrganizationalUnitsForParent`), each with
    /// its path from the root. An OU name containing `/` is an error: paths could not tell it apart.
    async fn ous_under(&self, parent_id: &str, parent_path: &str) -> Result<Vec<Ou>, AwsError> {
        let orgs = &self.clients.organizations;
        let child_ous = self
            .paginate(
                "ListOrganizationalUnitsForParent",
                |token| {
                    orgs.list_organizational_units_for_parent()
                        .parent_id(parent_id)
                        .set_next_token(token)
                        .send()
                },
                |page| (page.organizational_units.unwrap_or_default(), page.next_token),
            )
            .await?;
        let mut ous = Vec::with_capacity(child_ous.len());
        for ou in child_ous {
            let (id, name) = (ou.id().unwrap_or_default(), ou.name().unwrap_or_default());
            if name.contains('/') {
                return Err(AwsError::OuNameWithSlash {
                    id: id.to_string(),
                    name: name.to_string(),
                });
            }
            let path = if parent_path.is_empty() {
                name.to_string()
            } else {
                format!("{parent_path}/{name}")
            };
            ous.push(Ou {
                id: id.to_string(),
                path,
            });
        }
        Ok(ous)
    }

    /// Every permission set of the instance: the pages of `ListPermissionSets`, then one
    /// `DescribePermissionSet` each. Sorted by name.
    pub async fn read_permission_sets(&self) -> Result<Vec<PermissionSet>, AwsError> {
        let sso = &self.clients.sso_admin;
        let arns = self
            .paginate(
                "ListPermissionSets",
                |token| {
                    sso.list_permission_sets()
                        .instance_arn(&self.instance_arn)
                        .set_next_token(token)
                        .send()
                },
                |page| (page.permission_sets.unwrap_or_default(), page.next_token),
            )
            .await?;
        let mut sets = Vec::with_capacity(arns.len());
        for arn in arns {
            let out = self
                .call("DescribePermissionSet", || {
                    sso.describe_permission_set()
                        .instance_arn(&self.instance_arn)
                        .permission_set_arn(&arn)
                        .send()
                })
                .await?;
            let ps = out.permission_set.ok_or_else(|| AwsError::Malformed {
                operation: "DescribePermissionSet",
                message: format!("no permission set in the answer for `{arn}`"),
            })?;
            sets.push(PermissionSet {
                name: ps.name.unwrap_or_default(),
                arn: ps.permission_set_arn.unwrap_or(arn),
                session_duration: ps.session_duration,
            });
        }
        sets.sort_by(|a, b| (&a.name, &a.arn).cmp(&(&b.name, &b.arn)));
        Ok(sets)
    }
}

/// ACTIVE by the newer `State` field when AWS sends it, else by the older `Status`.
fn is_active(a: &aws_sdk_organizations::types::Account) -> bool {
    match a.state() {
        Some(state) => *state == AccountState::Active,
        None => a.status() == Some(&AccountStatus::Active),
    }
}
