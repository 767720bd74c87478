//! Reading the Identity Store: user ids by user name (pages of `ListUsers` for many names),
//! groups with their members' user names, and whether one user is in one group (the
//! reconciler's live membership check).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_identitystore::types::{AlternateIdentifier, MemberId, UniqueAttribute};
use aws_smithy_types::Document;

use super::{AwsError, Group, IdentityCenter};

fn unique(path: &str, value: &str) -> Result<AlternateIdentifier, AwsError> {
    let attribute = UniqueAttribute::builder()
        .attribute_path(path)
        .attribute_value(Document::String(value.to_string()))
        .build()
        .map_err(|e| AwsError::Malformed {
            operation: "GetUserId",
            message: e.to_string(),
        })?;
    Ok(AlternateIdentifier::UniqueAttribute(attribute))
}

impl IdentityCenter {
    /// The user id of each user name; a user that does not exist maps to `None`. Many names
    /// are looked for first in pages of `ListUsers` (up to 100 users each), walked only while
    /// the names still missing are at least twice the pages walked: at most 1.5 calls a name
    /// in any directory, and 10 pages for 200 names among 1,000 users. A page resolves only
    /// a name it spells exactly; every other name gets its own `GetUserId` by the unique
    /// attribute `userName`, which decides as it always did.
    pub async fn user_ids(&self, user_names: &[String]) -> Result<BTreeMap<String, Option<String>>, AwsError> {
        let mut missing: BTreeSet<&str> = user_names.iter().map(String::as_str).collect();
        let mut ids = self.walk_users(&mut missing).await;
        for name in missing {
            let id = unique("userName", name)?;
            let found = self
                .call("GetUserId", || {
                    self.clients
                        .identity_store
                        .get_user_id()
                        .identity_store_id(&self.identity_store_id)
                        .alternate_identifier(id.clone())
                        .send()
                })
                .await;
            let id = match found {
                Ok(out) => Some(out.user_id),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e),
            };
            ids.insert(name.to_string(), id);
        }
        Ok(ids)
    }

    /// The ids of the `missing` names that pages of `ListUsers` spell exactly, taking them
    /// out of `missing`; walks a page only while `missing` is at least twice the pages so far.
    /// A page that cannot be read (a role without `identitystore:ListUsers`) ends the walk:
    /// it only saves calls, and the names it did not find are each asked with `GetUserId`.
    async fn walk_users(&self, missing: &mut BTreeSet<&str>) -> BTreeMap<String, Option<String>> {
        let mut ids = BTreeMap::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        while missing.len() >= 2 * (pages + 1) {
            let page = self
                .call("ListUsers", || {
                    self.clients
                        .identity_store
                        .list_users()
                        .identity_store_id(&self.identity_store_id)
                        .max_results(100)
                        .set_next_token(token.clone())
                        .send()
                })
                .await;
            let Ok(page) = page else { break };
            pages += 1;
            for user in page.users {
                if let Some(name) = user.user_name.as_deref()
                    && missing.remove(name)
                {
                    ids.insert(name.to_string(), Some(user.user_id));
                }
            }
            match page.next_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => break,
            }
        }
        ids
    }

    /// The id of the group with this display name (`GetGroupId`); `None` when no group has it.
    pub async fn group_id(&self, display_name: &str) -> Result<Option<String>, AwsError> {
        let id = unique("displayName", display_name)?;
        let found = self
            .call("GetGroupId", || {
                self.clients
                    .identity_store
                    .get_group_id()
                    .identity_store_id(&self.identity_store_id)
                    .alternate_identifier(id.clone())
                    .send()
            })
            .await;
        match found {
            Ok(out) => Ok(Some(out.group_id)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether user `user_id` is a member of group `group_id`, now (`IsMemberInGroups`).
    /// An answer that does not mention the group is an error, never "not a member".
    pub async fn is_member_in_group(&self, user_id: &str, group_id: &str) -> Result<bool, AwsError> {
        let out = self
            .call("IsMemberInGroups", || {
                self.clients
                    .identity_store
                    .is_member_in_groups()
                    .identity_store_id(&self.identity_store_id)
                    .member_id(MemberId::UserId(user_id.to_string()))
                    .group_ids(group_id)
                    .send()
            })
            .await?;
        out.results()
            .iter()
            .find(|r| r.group_id() == Some(group_id))
            .map(|r| r.membership_exists())
            .ok_or_else(|| AwsError::Malformed {
                operation: "IsMemberInGroups",
                message: format!("the answer does not mention group {group_id}"),
            })
    }

    /// The groups with these display names, members as sorted user names. A name no group
    /// has is left out of the result (the caller reports it). Calls: per group `GetGroupId`
    /// and the pages of `ListGroupMemberships`; per distinct member one `DescribeUser`.
    pub async fn read_groups(&self, names: &[String]) -> Result<Vec<Group>, AwsError> {
        let store = &self.clients.identity_store;
        let mut user_names: HashMap<String, String> = HashMap::new();
        let mut groups = Vec::new();
        let mut names: Vec<&String> = names.iter().collect();
        names.sort();
        names.dedup();
        for name in names {
            let id = unique("displayName", name)?;
            let group_id = match self
                .call("GetGroupId", || {
                    store
                        .get_group_id()
                        .identity_store_id(&self.identity_store_id)
                        .alternate_identifier(id.clone())
                        .send()
                })
                .await
            {
                Ok(out) => out.group_id,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            };
            let memberships = self
                .paginate(
                    "ListGroupMemberships",
                    |token| {
                        store
                            .list_group_memberships()
                            .identity_store_id(&self.identity_store_id)
                            .group_id(&group_id)
                            .set_next_token(token)
                            .send()
                    },
                    |page| (page.group_memberships, page.next_token),
                )
                .await?;
            let mut members = Vec::new();
            for m in memberships {
                // members are users; other member kinds (none exist today) are skipped
                let Some(user_id) = m.member_id().and_then(|m| m.as_user_id().ok()) else {
                    continue;
                };
                if let Some(user_name) = user_names.get(user_id) {
                    members.push(user_name.clone());
                    continue;
                }
                let out = self
                    .call("DescribeUser", || {
                        store
                            .describe_user()
                            .identity_store_id(&self.identity_store_id)
                            .user_id(user_id)
                            .send()
                    })
                    .await?;
                let user_name = out.user_name.unwrap_or_default();
                user_names.insert(user_id.clone(), user_name.clone());
                members.push(user_name);
            }
            members.sort();
            members.dedup();
            groups.push(Group {
                name: name.clone(),
                id: group_id,
                members,
            });
        }
        Ok(groups)
    }
}
