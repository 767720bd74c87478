//! The adapters behind the reconciler's live membership check (DESIGN 10.4): GitHub team
//! members through the GitHub API (only with a token), Identity Center group membership
//! through the Identity Store (`GetUserId`, `GetGroupId`, `IsMemberInGroups`). Each team,
//! user and group is read at most once per run.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, HashMap};

use tokio::runtime::Runtime;

use super::membership::{MembershipReader, Source, Sources};
use crate::adapters::aws::IdentityCenter;
use crate::adapters::github::GitHub;
use crate::core::model::directory::Directory;

pub struct LiveMembership<'a> {
    rt: &'a Runtime,
    /// `None`: no GitHub token; teams come from the PRs' snapshots.
    github: Option<GitHub>,
    /// The run's `--instance-arn`, else the directory's.
    instance_arn: Option<String>,
    /// The run's `--aws-calls-per-second`.
    calls_per_second: u32,
    /// Made on first use, and handed on to the rest of the run.
    ic: OnceCell<Result<IdentityCenter, String>>,
    team_members: RefCell<HashMap<String, Result<Vec<String>, String>>>,
    user_ids: RefCell<HashMap<String, Result<Option<String>, String>>>,
    group_ids: RefCell<HashMap<String, Result<Option<String>, String>>>,
}

impl<'a> LiveMembership<'a> {
    pub fn new(
        rt: &'a Runtime,
        github: Option<GitHub>,
        instance_arn: Option<String>,
        calls_per_second: u32,
    ) -> LiveMembership<'a> {
        LiveMembership {
            rt,
            github,
            instance_arn,
            calls_per_second,
            ic: OnceCell::new(),
            team_members: RefCell::default(),
            user_ids: RefCell::default(),
            group_ids: RefCell::default(),
        }
    }

    /// Where teams and groups were read from.
    pub fn sources(&self) -> Sources {
        Sources {
            teams: if self.github.is_some() {
                Source::Live
            } else {
                Source::Snapshot
            },
            groups: Source::Live,
        }
    }

    /// The Identity Center client it made, if it made one (its API calls counted with the
    /// run's), and the user ids it read (user name -> id; `None`: no such user), so that
    /// the rest of the run does not read them again.
    pub fn into_parts(self) -> (Option<IdentityCenter>, BTreeMap<String, Option<String>>) {
        let ids = self
            .user_ids
            .into_inner()
            .into_iter()
            .filter_map(|(name, id)| Some((name, id.ok()?)))
            .collect();
        (self.ic.into_inner().and_then(Result::ok), ids)
    }

    fn identity_center(&self, directory: &Directory) -> Result<&IdentityCenter, String> {
        self.ic
            .get_or_init(|| {
                let instance = self.instance_arn.as_deref().unwrap_or(&directory.instance_arn);
                self.rt
                    .block_on(IdentityCenter::from_env(Some(instance)))
                    .map(|ic| ic.with_call_rate(self.calls_per_second))
                    .map_err(|e| format!("cannot reach IAM Identity Center: {e}"))
            })
            .as_ref()
            .map_err(String::clone)
    }
}

/// The cached answer for `key`, else `read`'s (cached).
fn cached<T: Clone>(
    cache: &RefCell<HashMap<String, Result<T, String>>>,
    key: &str,
    read: impl FnOnce() -> Result<T, String>,
) -> Result<T, String> {
    if let Some(hit) = cache.borrow().get(key) {
        return hit.clone();
    }
    let answer = read();
    cache.borrow_mut().insert(key.to_string(), answer.clone());
    answer
}

impl MembershipReader for LiveMembership<'_> {
    fn teams_live(&self) -> bool {
        self.github.is_some()
    }

    fn team_member(&self, team: &str, login: &str) -> Result<bool, String> {
        let Some(gh) = &self.github else {
            return Err("no GitHub token to read team membership with".into());
        };
        let key = team.to_ascii_lowercase();
        let members = cached(&self.team_members, &key, || {
            let (org, slug) = key
                .split_once('/')
                .ok_or_else(|| format!("team `{team}` is not `org/team-slug`"))?;
            self.rt
                .block_on(gh.fetch_team_members(org, slug))
                .map_err(|e| e.to_string())
        })?;
        Ok(members.iter().any(|m| m.eq_ignore_ascii_case(login)))
    }

    fn prepare_users(&self, directory: &Directory, user_names: &[String]) {
        let names: Vec<String> = {
            let known = self.user_ids.borrow();
            user_names.iter().filter(|n| !known.contains_key(*n)).cloned().collect()
        };
        if names.is_empty() {
            return;
        }
        // a failed read here is not an answer: each name is asked again on its own
        let Ok(ic) = self.identity_center(directory) else {
            return;
        };
        if let Ok(ids) = self.rt.block_on(ic.user_ids(&names)) {
            self.user_ids
                .borrow_mut()
                .extend(ids.into_iter().map(|(n, id)| (n, Ok(id))));
        }
    }

    fn group_member(&self, directory: &Directory, group: &str, user_name: &str) -> Result<bool, String> {
        let ic = self.identity_center(directory)?;
        let user_id = cached(&self.user_ids, user_name, || {
            let names = [user_name.to_string()];
            let ids = self.rt.block_on(ic.user_ids(&names)).map_err(|e| e.to_string())?;
            Ok(ids.get(user_name).cloned().flatten())
        })?;
        let group_id = cached(&self.group_ids, group, || {
            self.rt.block_on(ic.group_id(group)).map_err(|e| e.to_string())
        })?;
        // a user or group Identity Center does not have: not a member (gone, not unreadable)
        let (Some(user_id), Some(group_id)) = (user_id, group_id) else {
            return Ok(false);
        };
        self.rt
            .block_on(ic.is_member_in_group(&user_id, &group_id))
            .map_err(|e| e.to_string())
    }
}
