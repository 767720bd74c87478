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
    /// The Identity Center user names the run is about to ask about, so that a reader can
    /// look them up together (`ListUsers` pages rather than one `GetUserId` each). Only a
    /// hint: a reader that learns nothing from it answers each question on its own.
    fn prepare_users(&self, _directory: &Directory, _user_names: &[String]) {}
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
    let subject = Subject::of(r);
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
                read(
                    reader,
                    policy.directory(),
                    &r.requester,
                    user_name,
                    &unknown,
                    &mut known,
                );
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::core::files::load;
    use crate::core::files::tree::{Entry, Tree};

    const BASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/base/");

    fn policy() -> PolicySet {
        let mut tree = Tree::default();
        for f in [
            ".github/CODEOWNERS",
            "policies/access.toml",
            "policies/identities.toml",
            "policies/directory.toml",
        ] {
            tree.insert(f, Entry::File(std::fs::read(format!("{BASE}{f}")).unwrap()));
        }
        load::policy_set(&tree, &mut Vec::new()).ok().unwrap()
    }

    /// A request by `who` for prod administration: `oncall-prod-admin` names
    /// `@acme/platform-oncall` and `idc-group:SRE`.
    fn request(policy: &PolicySet, who: &str) -> Request {
        let text = format!(
            "requester = \"{who}\"\naccount = \"payments-prod\"\npermission_set = \"AdministratorAccess\"\nduration = \"2h\"\nreason = \"Incident INC-4821\"\n"
        );
        let path = "requests/payments-prod/AdministratorAccess/inc-4821.toml";
        let mut diags = Vec::new();
        load::request(
            path,
            &Entry::File(text.into_bytes()),
            Some(policy.directory()),
            &mut diags,
        )
        .unwrap_or_else(|| panic!("{diags:?}"))
    }

    /// Answers from a table; `None` is a failed read. Records every read.
    struct Fake {
        live_teams: bool,
        team: Option<bool>,
        group: Option<bool>,
        reads: RefCell<Vec<String>>,
    }

    impl MembershipReader for Fake {
        fn teams_live(&self) -> bool {
            self.live_teams
        }
        fn team_member(&self, team: &str, _login: &str) -> Result<bool, String> {
            self.reads.borrow_mut().push(format!("@{team}"));
            self.team.ok_or_else(|| "502 Bad Gateway".to_string())
        }
        fn group_member(&self, _d: &Directory, group: &str, _user: &str) -> Result<bool, String> {
            self.reads.borrow_mut().push(format!("idc-group:{group}"));
            self.group.ok_or_else(|| "ThrottlingException".to_string())
        }
    }

    fn fake(live_teams: bool, team: Option<bool>, group: Option<bool>) -> Fake {
        Fake {
            live_teams,
            team,
            group,
            reads: RefCell::default(),
        }
    }

    fn judge(f: &Fake, who: &str, snapshot: &Teams) -> (Vec<&'static str>, bool) {
        let p = policy();
        let j = eligible_live(f, &request(&p, who), &p, snapshot, Some("x@acme.example"));
        (j.reasons.iter().map(|r| r.code).collect(), j.keeps_active)
    }

    #[test]
    fn gone_is_not_eligible_and_unreadable_keeps_only_what_it_cannot_read() {
        let none = Teams::Known(HashMap::new());
        // a member of either: eligible
        assert_eq!(
            judge(&fake(true, Some(true), Some(false)), "bob", &none),
            (vec![], false)
        );
        assert_eq!(
            judge(&fake(true, Some(false), Some(true)), "bob", &none),
            (vec![], false)
        );
        // gone from both: not eligible, not kept
        assert_eq!(
            judge(&fake(true, Some(false), Some(false)), "bob", &none),
            (vec!["no-longer-eligible", "requester-not-eligible"], false)
        );
        // the team cannot be read and the group says no: blocked, an active grant kept
        assert_eq!(
            judge(&fake(true, None, Some(false)), "bob", &none),
            (vec!["membership-unreadable"], true)
        );
        // neither can be read
        assert_eq!(
            judge(&fake(true, None, None), "bob", &none),
            (vec!["membership-unreadable"], true)
        );
        // a readable member wins over an unreadable other
        assert_eq!(judge(&fake(true, None, Some(true)), "bob", &none), (vec![], false));
    }

    #[test]
    fn offline_teams_come_from_the_snapshot() {
        let snapshot = Teams::of_login("bob", [(&"acme/platform-oncall".to_string(), &vec!["bob".to_string()])]);
        let f = fake(false, None, Some(false));
        assert_eq!(judge(&f, "bob", &snapshot), (vec![], false));
        assert!(f.reads.borrow().is_empty(), "the snapshot's team decides");
        let f = fake(false, Some(true), Some(false));
        let carol = Teams::of_login(
            "carol",
            [(&"acme/platform-oncall".to_string(), &vec!["bob".to_string()])],
        );
        assert_eq!(
            judge(&f, "carol", &carol),
            (vec!["no-longer-eligible", "requester-not-eligible"], false)
        );
        assert_eq!(
            *f.reads.borrow(),
            vec!["idc-group:SRE".to_string()],
            "teams are not read"
        );
        // a team the snapshot does not list stays unknown, as before: not kept
        let f = fake(false, None, Some(false));
        assert_eq!(
            judge(&f, "bob", &Teams::Known(HashMap::new())),
            (vec!["team-membership-unknown"], false)
        );
        // a group read that fails with a snapshot team also unknown: not kept either
        let f = fake(false, None, None);
        assert_eq!(
            judge(&f, "bob", &Teams::Known(HashMap::new())),
            (vec!["membership-unreadable"], false)
        );
    }

    #[test]
    fn a_rule_naming_the_requester_reads_nothing() {
        // `alice-sandbox-admin` names alice directly
        let p = policy();
        let text = "requester = \"alice\"\naccount = \"sandbox-alice\"\npermission_set = \"AdministratorAccess\"\nduration = \"2h\"\nreason = \"Trying the new VPC layout\"\n";
        let mut diags = Vec::new();
        let r = load::request(
            "requests/sandbox-alice/AdministratorAccess/vpc.toml",
            &Entry::File(text.as_bytes().to_vec()),
            Some(p.directory()),
            &mut diags,
        )
        .unwrap_or_else(|| panic!("{diags:?}"));
        let f = fake(true, None, None);
        let j = eligible_live(&f, &r, &p, &Teams::Known(HashMap::new()), Some("alice@acme.example"));
        assert!(j.reasons.is_empty(), "{:?}", j.reasons);
        assert!(f.reads.borrow().is_empty());
    }
}
