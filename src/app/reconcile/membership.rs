//! "Still eligible" with memberships read live (DESIGN 10.4). For a request in its window,
//! the GitHub team and Identity Center group memberships that could decide it (those the
//! rules covering it name, and only when no rule allows it outright) are read through a
//! [`MembershipReader`] (the adapters), and eligibility is decided again by the pure rules.
//! A membership that is gone makes the request not eligible; one that cannot be read blocks
//! a new grant (`membership-unreadable`) but keeps an active one (`Candidate::keeps_active`).

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::core::files::load::PolicySet;
use crate::core::model::directory::Directory;
use crate::core::model::request::Request;
use crate::core::rules::eligibility::{self, Eligibility, Groups, IDC_GROUP_PREFIX, Reason, Subject, Teams};

/// Reads memberships live, for the reconciler's eligibility check.
pub trait MembershipReader {
    /// True when GitHub team membership is read live; false when it comes from the PR's
    /// replay snapshot (no GitHub token: offline).
    fn teams_live(&self) -> bool;
    /// Is `login` a member of team `org/slug`? `Err` when it cannot be read.
    fn team_member(&self, team: &str, login: &str) -> Result<bool, String>;
    /// Is Identity Center user `user_name` a member of the group named `group` (its display
    /// name)? A group or user Identity Center does not have is "not a member". `Err` when it
    /// cannot be read.
    fn group_member(&self, directory: &Directory, group: &str, user_name: &str) -> Result<bool, String>;
}

/// Where a run read memberships from, for the plan output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Sources {
    /// `live` (GitHub API) or `snapshot` (the teams in the PR's replay snapshot).
    pub teams: Source,
    /// `live` (Identity Store) or `snapshot` (`policies/directory.toml`).
    pub groups: Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Live,
    #[default]
    Snapshot,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Live => "live",
            Source::Snapshot => "snapshot",
        }
    }
}

/// The eligibility of one request in its window, memberships read live.
#[derive(Debug, Clone, Default)]
pub struct Judged {
    /// Empty when eligible.
    pub reasons: Vec<Reason>,
    /// Blocked only because memberships could not be read: an active grant is kept.
    pub keeps_active: bool,
}

/// What is known so far of the requester's memberships, and which reads failed.
struct Known {
    teams: Teams,
    groups: HashMap<String, bool>,
    /// Principal (`@org/slug`, `idc-group:NAME`) -> why it could not be read.
    failed: Vec<(String, String)>,
}

/// Decides whether `r` is still eligible under `policy`, reading the memberships that could
/// decide it through `reader`. `snapshot_teams` are the PR's team listings, used when the
/// reader does not read teams live; `user_name` is the Identity Center user the grant is for.
pub fn eligible_live(
    reader: &dyn MembershipReader,
    r: &Request,
    policy: &PolicySet,
    snapshot_teams: &Teams,
    user_name: Option<&str>,
) -> Judged {
    let subject = Subject {
        requester: &r.requester,
        account_id: &r.account_id,
        account_ou: &r.account_ou,
        permission_set: &r.permission_set,
        duration: r.duration,
    };
    let mut known = Known {
        teams: match reader.teams_live() {
            true => Teams::Known(HashMap::new()),
            false => snapshot_teams.clone(),
        },
        groups: HashMap::new(),
        failed: Vec::new(),
    };
    let mut read_done = false;
    loop {
        let decision = eligibility::evaluate_with(
            policy.policy(),
            policy.identities(),
            policy.directory(),
            &known.teams,
            Groups::Read(&known.groups),
            &subject,
        );
        match decision {
            Eligibility::Eligible { .. } => return Judged::default(),
            Eligibility::NotEligible { reasons } => return not_eligible(reasons),
            Eligibility::Undetermined { teams: unknown, .. } if read_done => return undetermined(&unknown, &known),
            Eligibility::Undetermined { teams: unknown, .. } => {
                read(reader, policy.directory(), &r.requester, user_name, &unknown, &mut known);
                read_done = true;
            }
        }
    }
}

/// Reads every principal in `unknown` that can be read: groups always, teams when the
/// reader reads them live.
fn read(
    reader: &dyn MembershipReader,
    directory: &Directory,
    login: &str,
    user_name: Option<&str>,
    unknown: &[String],
    known: &mut Known,
) {
    for principal in unknown {
        if let Some(group) = principal.strip_prefix(IDC_GROUP_PREFIX) {
            // a requester without an Identity Center user is in no group
            let member = match user_name {
                None => Ok(false),
                Some(u) => reader.group_member(directory, group, u),
            };
            match member {
                Ok(m) => {
                    known.groups.insert(group.to_string(), m);
                }
                Err(e) => known.failed.push((principal.clone(), e)),
            }
        } else if reader.teams_live() {
            let team = principal.trim_start_matches('@');
            match reader.team_member(team, login) {
                Ok(m) => {
                    if let Teams::Known(map) = &mut known.teams {
                        map.insert(team.to_string(), m);
                    }
                }
                Err(e) => known.failed.push((principal.clone(), e)),
            }
        }
    }
}

fn not_eligible(reasons: Vec<Reason>) -> Judged {
    let mut out = vec![Reason {
        code: "no-longer-eligible",
        message: "the current policy no longer allows this request".into(),
    }];
    out.extend(reasons);
    Judged {
        reasons: out,
        keeps_active: false,
    }
}

/// Still undetermined after reading: a read failed (`membership-unreadable`; an active
/// grant is kept when every unknown principal is one whose read failed), or teams come
/// from a snapshot that does not list them (`team-membership-unknown`, as offline).
fn undetermined(unknown: &[String], known: &Known) -> Judged {
    if known.failed.is_empty() {
        return Judged {
            reasons: vec![Reason {
                code: "team-membership-unknown",
                message: format!("eligibility depends on {} which was not read", unknown.join(", ")),
            }],
            keeps_active: false,
        };
    }
    let failed: BTreeSet<&str> = known.failed.iter().map(|(p, _)| p.as_str()).collect();
    let why: Vec<String> = known.failed.iter().map(|(p, e)| format!("{p}: {e}")).collect();
    Judged {
        reasons: vec![Reason {
            code: "membership-unreadable",
            message: format!(
                "eligibility depends on membership of {} which could not be read ({}); nothing new is granted, an active grant is kept",
                unknown.join(", "),
                why.join("; ")
            ),
        }],
        keeps_active: unknown.iter().all(|p| failed.contains(p.as_str())),
    }
}
