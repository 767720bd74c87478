//! Eligibility: may this requester ask for this account and permission set for this long?
//! A pure function of the policy, the directory, identities and what is known of the
//! requester's GitHub teams; the decision carries the rules and reasons behind it.

use std::collections::HashSet;

use serde::Serialize;

use crate::core::files::duration::HumaneDuration;
use crate::core::model::directory::Directory;
use crate::core::model::identities::Identities;
use crate::core::model::policy::{ApprovalMode, EligibilityRule, Policy, Principal};

/// What is known of the requester's GitHub team memberships.
#[derive(Debug, Clone)]
pub enum Teams {
    /// Membership of the teams that were read (`org/slug`, lowercased -> member?). A team
    /// that was not read is unknown, never "not a member" and never "a member".
    Known(std::collections::HashMap<String, bool>),
    /// Offline (no API): team principals can neither be confirmed nor ruled out.
    Unknown,
}

impl Teams {
    /// The membership of `login` in every team of a `org/slug -> members` listing.
    pub fn of_login<'a>(login: &str, teams: impl IntoIterator<Item = (&'a String, &'a Vec<String>)>) -> Teams {
        Teams::Known(
            teams
                .into_iter()
                .map(|(team, members)| {
                    (
                        team.to_ascii_lowercase(),
                        members.iter().any(|m| m.eq_ignore_ascii_case(login)),
                    )
                })
                .collect(),
        )
    }
}

/// The facts about one request that eligibility depends on.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub requester: &'a str,
    pub account_id: &'a str,
    pub account_ou: &'a str,
    pub permission_set: &'a str,
    pub duration: HumaneDuration,
}

/// A reason with a stable code, as decisions carry them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eligibility {
    Eligible {
        /// Ids of the rules that allow the request.
        rules: Vec<String>,
        /// The longest duration any allowing rule permits.
        max_duration: HumaneDuration,
        approval_required: bool,
    },
    /// Only rules naming GitHub teams could allow it, and membership is not known.
    Undetermined {
        teams: Vec<String>,
        rules: Vec<String>,
    },
    NotEligible {
        reasons: Vec<Reason>,
    },
}

enum Match {
    Yes,
    No,
    Unknown(String),
}

fn principal_matches(p: &Principal, login: &str, teams: &Teams, idc_groups: &HashSet<&str>) -> Match {
    match p {
        Principal::User(u) => bool_match(u.eq_ignore_ascii_case(login)),
        Principal::Team(t) => match teams {
            Teams::Known(map) => match map.get(t) {
                Some(member) => bool_match(*member),
                None => Match::Unknown(format!("@{t}")),
            },
            Teams::Unknown => Match::Unknown(format!("@{t}")),
        },
        Principal::IdcGroup(g) => bool_match(idc_groups.contains(g.as_str())),
    }
}

fn bool_match(b: bool) -> Match {
    if b { Match::Yes } else { Match::No }
}

/// Identity Center groups the requester belongs to, through identities.toml and the
/// directory's group members (user names compare case-insensitively, as Identity Center's do).
pub fn idc_groups<'d>(login: &str, identities: &Identities, directory: &'d Directory) -> HashSet<&'d str> {
    let Some(user) = identities.user_name(login) else {
        return HashSet::new();
    };
    directory
        .groups
        .iter()
        .filter(|g| g.members.iter().any(|m| m.eq_ignore_ascii_case(&user)))
        .map(|g| g.name.as_str())
        .collect()
}

/// Decides eligibility. Any rule that covers the target, names the requester and allows
/// the duration makes the request eligible; approval is required unless one such rule
/// says `approval = "none"`.
pub fn evaluate(
    policy: &Policy,
    identities: &Identities,
    directory: &Directory,
    teams: &Teams,
    s: &Subject<'_>,
) -> Eligibility {
    let groups = idc_groups(s.requester, identities, directory);
    let settings_max = policy.settings.max_duration;
    let mut allowing: Vec<&EligibilityRule> = Vec::new();
    let mut best_max = HumaneDuration::from_seconds(0);
    let mut covering = Vec::new();
    let mut too_long = Vec::new();
    let mut unknown_teams = Vec::new();
    let mut unknown_rules = Vec::new();
    for rule in &policy.eligibility {
        if !(rule.targets.covers_account(s.account_id, s.account_ou)
            && rule.targets.covers_permission_set(s.permission_set))
        {
            continue;
        }
        covering.push(rule.id.as_str());
        let mut matched = false;
        let mut unknown = Vec::new();
        for p in &rule.principals {
            match principal_matches(p, s.requester, teams, &groups) {
                Match::Yes => matched = true,
                Match::Unknown(t) => unknown.push(t),
                Match::No => {}
            }
        }
        let max = rule.max_duration.map_or(settings_max, |m| m.min(settings_max));
        if matched {
            if s.duration <= max {
                allowing.push(rule);
                best_max = best_max.max(max);
            } else {
                too_long.push((rule.id.as_str(), max));
            }
        } else if !unknown.is_empty() && s.duration <= max {
            unknown_teams.extend(unknown);
            unknown_rules.push(rule.id.clone());
        }
    }
    if !allowing.is_empty() {
        return Eligibility::Eligible {
            rules: allowing.iter().map(|r| r.id.clone()).collect(),
            max_duration: best_max,
            approval_required: allowing.iter().all(|r| r.approval == ApprovalMode::Required),
        };
    }
    if !unknown_rules.is_empty() {
        unknown_teams.sort();
        unknown_teams.dedup();
        return Eligibility::Undetermined {
            teams: unknown_teams,
            rules: unknown_rules,
        };
    }
    let mut reasons = Vec::new();
    if covering.is_empty() {
        reasons.push(Reason {
            code: "no-rule-covers-target",
            message: format!(
                "no eligibility rule covers permission set `{}` on account `{}`",
                s.permission_set, s.account_id
            ),
        });
    } else if too_long.is_empty() {
        reasons.push(Reason {
            code: "requester-not-eligible",
            message: format!(
                "`{}` is not a principal of any rule covering this account and permission set ({})",
                s.requester,
                covering.join(", ")
            ),
        });
    }
    for (id, max) in too_long {
        reasons.push(Reason {
            code: "duration-exceeds-maximum",
            message: format!(
                "duration `{}` is longer than `{max}`, the maximum under rule `{id}`",
                s.duration
            ),
        });
    }
    Eligibility::NotEligible { reasons }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::diag::diagnostic::Diagnostic;
    use crate::core::model::Ctx;
    use crate::core::files::raw::{RawAccess, RawDirectory};

    const DIRECTORY: &str = r#"
synced_at = 2026-11-22T00:00:00Z
instance_arn = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
identity_store_id = "d-1234567890"
[[ou]]
id = "ou-ab12-work0001"
path = "Workloads"
[[ou]]
id = "ou-ab12-prod0001"
path = "Workloads/Prod"
[[ou]]
id = "ou-ab12-paym0001"
path = "Workloads/Prod/Payments"
[[account]]
id = "111122223333"
name = "payments-prod"
ou = "Workloads/Prod/Payments"
[[account]]
id = "444455556666"
name = "core-prod"
ou = "Workloads/Prod"
[[permission_set]]
name = "AdministratorAccess"
arn = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef"
[[permission_set]]
name = "ReadOnlyAccess"
arn = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-2234567890abcdef"
[[group]]
name = "SRE"
members = ["Grace@acme.example"]
"#;

    const POLICY: &str = r#"
[settings]
max_duration = "8h"
managed_permission_sets = ["AdministratorAccess", "ReadOnlyAccess"]
[[eligibility]]
id = "prod-direct"
principals = ["alice", "@acme/oncall"]
ous = ["Workloads/Prod"]
permission_sets = ["AdministratorAccess"]
max_duration = "4h"
[[eligibility]]
id = "read-nested"
principals = ["idc-group:SRE", "Bob"]
ous = ["ou-ab12-work0001"]
include_child_ous = true
permission_sets = ["ReadOnlyAccess"]
approval = "none"
[[eligibility]]
id = "payments-admin"
principals = ["carol"]
accounts = ["payments-prod"]
permission_sets = ["AdministratorAccess"]
max_duration = "12h"
"#;

    fn fixture() -> (Policy, Identities, Directory) {
        let mut diags: Vec<Diagnostic> = vec![];
        let d: RawDirectory = toml::from_str(DIRECTORY).unwrap();
        let dir = Directory::from_raw(
            d,
            &mut Ctx {
                file: "d",
                diags: &mut diags,
            },
        );
        let p: RawAccess = toml::from_str(POLICY).unwrap();
        let policy = Policy::from_raw(
            p,
            Some(&dir),
            &mut Ctx {
                file: "p",
                diags: &mut diags,
            },
        );
        // `payments-admin` allows 12h against a settings maximum of 8h: one warning
        assert_eq!(
            diags.iter().map(|d| d.code).collect::<Vec<_>>(),
            vec!["rule-max-exceeds-settings"]
        );
        let ids = Identities::from_pairs([("grace", "grace@acme.example")], None);
        (policy, ids, dir)
    }

    /// The requester is in `list`; the other teams the policy names were read too.
    fn teams(list: &[&str]) -> Teams {
        let mut map: std::collections::HashMap<String, bool> = ["acme/oncall", "acme/other"]
            .iter()
            .map(|t| (t.to_string(), false))
            .collect();
        for t in list {
            map.insert(t.to_string(), true);
        }
        Teams::Known(map)
    }

    #[test]
    fn table() {
        let (policy, ids, dir) = fixture();
        let h = |s: &str| HumaneDuration::parse(s).unwrap();
        // (requester, account id, account ou, permission set, duration, teams, expected)
        let cases: Vec<(&str, &str, &str, &str, &str, Teams, &str)> = vec![
            // direct user, OU without children: core-prod sits directly in Workloads/Prod
            (
                "alice",
                "444455556666",
                "Workloads/Prod",
                "AdministratorAccess",
                "2h",
                teams(&[]),
                "eligible prod-direct 4h approval",
            ),
            // logins compare case-insensitively
            (
                "ALICE",
                "444455556666",
                "Workloads/Prod",
                "AdministratorAccess",
                "2h",
                teams(&[]),
                "eligible prod-direct 4h approval",
            ),
            // payments-prod is in a child OU; prod-direct does not include children
            (
                "alice",
                "111122223333",
                "Workloads/Prod/Payments",
                "AdministratorAccess",
                "2h",
                teams(&[]),
                "not requester-not-eligible",
            ),
            (
                "alice",
                "444455556666",
                "Workloads/Prod",
                "AdministratorAccess",
                "5h",
                teams(&[]),
                "not duration-exceeds-maximum",
            ),
            (
                "dave",
                "444455556666",
                "Workloads/Prod",
                "AdministratorAccess",
                "1h",
                teams(&["acme/oncall"]),
                "eligible prod-direct 4h approval",
            ),
            (
                "dave",
                "444455556666",
                "Workloads/Prod",
                "AdministratorAccess",
                "1h",
                teams(&["acme/other"]),
                "not requester-not-eligible",
            ),
            (
                "dave",
                "444455556666",
                "Workloads/Prod",
                "AdministratorAccess",
                "1h",
                Teams::Unknown,
                "undetermined @acme/oncall",
            ),
            // nested OU by id, idc group through identities, no approval
            (
                "grace",
                "111122223333",
                "Workloads/Prod/Payments",
                "ReadOnlyAccess",
                "8h",
                teams(&[]),
                "eligible read-nested 8h none",
            ),
            (
                "bob",
                "111122223333",
                "Workloads/Prod/Payments",
                "ReadOnlyAccess",
                "8h",
                teams(&[]),
                "eligible read-nested 8h none",
            ),
            (
                "bob",
                "111122223333",
                "Workloads/Prod/Payments",
                "ReadOnlyAccess",
                "9h",
                teams(&[]),
                "not duration-exceeds-maximum",
            ),
            // the rule says 12h but settings cap it at 8h
            (
                "carol",
                "111122223333",
                "Workloads/Prod/Payments",
                "AdministratorAccess",
                "9h",
                teams(&[]),
                "not duration-exceeds-maximum",
            ),
            (
                "carol",
                "111122223333",
                "Workloads/Prod/Payments",
                "AdministratorAccess",
                "8h",
                teams(&[]),
                "eligible payments-admin 8h approval",
            ),
            // nobody covers this permission set on this account
            (
                "alice",
                "444455556666",
                "Workloads/Prod",
                "BillingReadOnly",
                "1h",
                teams(&[]),
                "not no-rule-covers-target",
            ),
        ];
        for (login, account, ou, ps, dur, teams, want) in cases {
            let subject = Subject {
                requester: login,
                account_id: account,
                account_ou: ou,
                permission_set: ps,
                duration: h(dur),
            };
            let got = match evaluate(&policy, &ids, &dir, &teams, &subject) {
                Eligibility::Eligible {
                    rules,
                    max_duration,
                    approval_required,
                } => {
                    format!(
                        "eligible {} {max_duration} {}",
                        rules.join(","),
                        if approval_required { "approval" } else { "none" }
                    )
                }
                Eligibility::Undetermined { teams, .. } => {
                    format!("undetermined {}", teams.join(","))
                }
                Eligibility::NotEligible { reasons } => {
                    format!("not {}", reasons.iter().map(|r| r.code).collect::<Vec<_>>().join(","))
                }
            };
            assert_eq!(got, want, "{login} {account} {ps} {dur}");
        }
    }

    #[test]
    fn quorum_takes_the_largest_matching_rule() {
        let (mut policy, _, _) = fixture();
        let extra: RawAccess = toml::from_str(
            "[settings]\nmax_duration = \"8h\"\nmanaged_permission_sets = [\"AdministratorAccess\"]\n[[approval]]\nid = \"all-one\"\nmin_approvals = 1\n[[approval]]\nid = \"prod-two\"\nous = [\"Workloads/Prod\"]\npermission_sets = [\"AdministratorAccess\"]\nmin_approvals = 2\n",
        )
        .unwrap();
        let mut diags = vec![];
        policy.approval = Policy::from_raw(
            extra,
            None,
            &mut Ctx {
                file: "p",
                diags: &mut diags,
            },
        )
        .approval;
        assert_eq!(
            policy.required_approvals("111122223333", "Workloads/Prod/Payments", "AdministratorAccess"),
            (2, vec!["prod-two"])
        );
        assert_eq!(
            policy.required_approvals("111122223333", "Workloads/Prod/Payments", "ReadOnlyAccess"),
            (1, vec!["all-one"])
        );
        assert_eq!(
            policy.required_approvals("999988887777", "Sandbox", "AdministratorAccess"),
            (1, vec!["all-one"])
        );
    }
}
