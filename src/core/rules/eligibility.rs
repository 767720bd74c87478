//! Eligibility: may this requester ask for this account and permission set for this long?
//! A pure function of the policy, the directory, identities and what is known of the
//! requester's GitHub teams; the decision carries the rules and reasons behind it.

use std::collections::{HashMap, HashSet};

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
    /// A break-glass request: only emergency rules allow it, and emergency rules allow
    /// nothing else.
    pub emergency: bool,
}

impl<'a> Subject<'a> {
    /// The eligibility facts of a loaded request file.
    pub fn of(r: &'a crate::core::model::request::Request) -> Subject<'a> {
        Subject {
            requester: &r.requester,
            account_id: &r.account_id,
            account_ou: &r.account_ou,
            permission_set: &r.permission_set,
            duration: r.duration,
            emergency: r.emergency,
        }
    }
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
        /// Allowed as break-glass: approved without review, reviewed after the fact.
        emergency: bool,
    },
    /// Only rules naming GitHub teams (or, read live, Identity Center groups: spelled
    /// `idc-group:NAME`) could allow it, and membership is not known.
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

/// What is known of the requester's Identity Center group memberships.
#[derive(Debug, Clone, Copy)]
pub enum Groups<'a> {
    /// From `policies/directory.toml`'s group members (a synced snapshot).
    Directory,
    /// Read live (group name -> member?). A group that is not in the map is unknown.
    Read(&'a HashMap<String, bool>),
}

/// The requester's groups as the eligibility check looks them up.
enum GroupView<'a> {
    Listed(HashSet<&'a str>),
    Read(&'a HashMap<String, bool>),
}

/// How an unknown Identity Center group principal is spelled in `Undetermined`.
pub const IDC_GROUP_PREFIX: &str = "idc-group:";

fn principal_matches(p: &Principal, login: &str, teams: &Teams, idc_groups: &GroupView<'_>) -> Match {
    match p {
        Principal::User(u) => bool_match(u.eq_ignore_ascii_case(login)),
        Principal::Team(t) => match teams {
            Teams::Known(map) => match map.get(t) {
                Some(member) => bool_match(*member),
                None => Match::Unknown(format!("@{t}")),
            },
            Teams::Unknown => Match::Unknown(format!("@{t}")),
        },
        Principal::IdcGroup(g) => match idc_groups {
            GroupView::Listed(set) => bool_match(set.contains(g.as_str())),
            GroupView::Read(map) => match map.get(g) {
                Some(member) => bool_match(*member),
                None => Match::Unknown(format!("{IDC_GROUP_PREFIX}{g}")),
            },
        },
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
    directory.groups_of_member(&user).map(|g| g.name.as_str()).collect()
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
    evaluate_with(policy, identities, directory, teams, Groups::Directory, s)
}

/// [`evaluate`] with the Identity Center group memberships given: from the directory, or
/// as read live (a group principal that was not read is then unknown, like a team).
pub fn evaluate_with(
    policy: &Policy,
    identities: &Identities,
    directory: &Directory,
    teams: &Teams,
    groups: Groups<'_>,
    s: &Subject<'_>,
) -> Eligibility {
    let groups = match groups {
        Groups::Directory => GroupView::Listed(idc_groups(s.requester, identities, directory)),
        Groups::Read(map) => GroupView::Read(map),
    };
    let settings_max = policy.settings.max_duration;
    let mut findings = Findings::default();
    let covering = policy.eligibility_covering(s.account_id, s.account_ou);
    // the organization's management account: only rules that name it as allowed (issue 13 item 4)
    let management = directory.management_account.as_deref() == Some(s.account_id);
    for rule in covering
        .into_iter()
        .filter(|r| r.targets.covers_permission_set(s.permission_set))
    {
        if rule.emergency != s.emergency {
            findings.other_kind.push(rule.id.as_str());
            continue;
        }
        if management && !rule.allow_management_account {
            findings.management_refused.push(rule.id.as_str());
            continue;
        }
        findings.covering.push(rule.id.as_str());
        match judge_rule(rule, s, teams, &groups, settings_max) {
            Verdict::Allows(max) => {
                findings.allowing.push(rule);
                findings.best_max = findings.best_max.max(max);
            }
            Verdict::TooLong(max) => findings.too_long.push((rule.id.as_str(), max)),
            Verdict::TooLongThroughTeams(max) => findings.too_long_through_teams.push((rule.id.as_str(), max)),
            Verdict::MaybeThroughTeams(unknown) => {
                findings.unknown_teams.extend(unknown);
                findings.unknown_rules.push(rule.id.clone());
            }
            Verdict::NotNamed => {}
        }
    }
    findings.decide(s)
}

/// What one rule covering the target says about the request.
enum Verdict {
    /// It names the requester and allows the duration; the rule's maximum.
    Allows(HumaneDuration),
    /// It names the requester but allows at most this long.
    TooLong(HumaneDuration),
    /// It allows the duration and may name the requester through these teams, whose
    /// membership is unknown.
    MaybeThroughTeams(Vec<String>),
    /// It may name the requester through teams whose membership is unknown, but allows at
    /// most this long: the nearest reason, rather than "not a principal".
    TooLongThroughTeams(HumaneDuration),
    /// It does not name the requester.
    NotNamed,
}

/// Matches the rule's principals against the requester and its maximum (capped by the
/// settings' maximum) against the duration.
fn judge_rule(
    rule: &EligibilityRule,
    s: &Subject<'_>,
    teams: &Teams,
    groups: &GroupView<'_>,
    settings_max: HumaneDuration,
) -> Verdict {
    let mut matched = false;
    let mut unknown = Vec::new();
    for p in &rule.principals {
        match principal_matches(p, s.requester, teams, groups) {
            Match::Yes => matched = true,
            Match::Unknown(t) => unknown.push(t),
            Match::No => {}
        }
    }
    let max = rule.max_duration.map_or(settings_max, |m| m.min(settings_max));
    match (matched, s.duration <= max) {
        (true, true) => Verdict::Allows(max),
        (true, false) => Verdict::TooLong(max),
        (false, true) if !unknown.is_empty() => Verdict::MaybeThroughTeams(unknown),
        (false, false) if !unknown.is_empty() => Verdict::TooLongThroughTeams(max),
        (false, _) => Verdict::NotNamed,
    }
}

/// The verdicts of every rule covering the target, gathered.
struct Findings<'p> {
    allowing: Vec<&'p EligibilityRule>,
    /// The longest maximum among the allowing rules.
    best_max: HumaneDuration,
    covering: Vec<&'p str>,
    too_long: Vec<(&'p str, HumaneDuration)>,
    /// Rules that may name the requester through teams of unknown membership, too short.
    too_long_through_teams: Vec<(&'p str, HumaneDuration)>,
    unknown_teams: Vec<String>,
    unknown_rules: Vec<String>,
    /// Rules covering the management account without `allow_management_account = true`.
    management_refused: Vec<&'p str>,
    /// Covering rules of the other kind: emergency rules for a normal request, normal rules
    /// for a break-glass one.
    other_kind: Vec<&'p str>,
}

impl Default for Findings<'_> {
    fn default() -> Self {
        Findings {
            allowing: Vec::new(),
            best_max: HumaneDuration::from_seconds(0),
            covering: Vec::new(),
            too_long: Vec::new(),
            too_long_through_teams: Vec::new(),
            unknown_teams: Vec::new(),
            unknown_rules: Vec::new(),
            management_refused: Vec::new(),
            other_kind: Vec::new(),
        }
    }
}

impl Findings<'_> {
    /// Eligible if any rule allows; else undetermined if a rule may allow through unknown
    /// teams; else not eligible, with the reasons.
    fn decide(mut self, s: &Subject<'_>) -> Eligibility {
        if !self.allowing.is_empty() {
            return Eligibility::Eligible {
                rules: self.allowing.iter().map(|r| r.id.clone()).collect(),
                max_duration: self.best_max,
                approval_required: !s.emergency && self.allowing.iter().all(|r| r.approval == ApprovalMode::Required),
                emergency: s.emergency,
            };
        }
        if !self.unknown_rules.is_empty() {
            self.unknown_teams.sort();
            self.unknown_teams.dedup();
            return Eligibility::Undetermined {
                teams: self.unknown_teams,
                rules: self.unknown_rules,
            };
        }
        Eligibility::NotEligible {
            reasons: self.reasons_not_eligible(s),
        }
    }

    /// Nothing covers the target, or the requester is named by no covering rule, or
    /// (one reason per rule) the duration is longer than a rule naming the requester allows.
    fn reasons_not_eligible(&self, s: &Subject<'_>) -> Vec<Reason> {
        let mut reasons = Vec::new();
        if self.covering.is_empty() && self.management_refused.is_empty() && !self.other_kind.is_empty() {
            reasons.push(self.other_kind_reason(s));
        } else if self.covering.is_empty() && !self.management_refused.is_empty() {
            reasons.push(Reason {
                code: "management-account",
                message: format!(
                    "account `{}` is the organization's management account; rule(s) {} cover it but none says `allow_management_account = true`",
                    s.account_id,
                    self.management_refused.join(", ")
                ),
            });
        } else if self.covering.is_empty() {
            reasons.push(Reason {
                code: "no-rule-covers-target",
                message: format!(
                    "no eligibility rule covers permission set `{}` on account `{}`",
                    s.permission_set, s.account_id
                ),
            });
        } else if self.too_long.is_empty() && self.too_long_through_teams.is_empty() {
            reasons.push(Reason {
                code: "requester-not-eligible",
                message: format!(
                    "`{}` is not a principal of any rule covering this account and permission set ({})",
                    s.requester,
                    self.covering.join(", ")
                ),
            });
        }
        for (id, max) in &self.too_long {
            reasons.push(Reason {
                code: "duration-exceeds-maximum",
                message: format!(
                    "duration `{}` is longer than `{max}`, the maximum under rule `{id}`",
                    s.duration
                ),
            });
        }
        // only when nothing names the requester for sure: the rule they may reach through a team
        if self.too_long.is_empty() {
            for (id, max) in &self.too_long_through_teams {
                reasons.push(Reason {
                    code: "duration-exceeds-maximum",
                    message: format!(
                        "duration `{}` is longer than `{max}`, the maximum under rule `{id}` (which names `{}` if a member of one of its teams)",
                        s.duration, s.requester
                    ),
                });
            }
        }
        reasons
    }

    /// Only rules of the other kind cover the target: a break-glass request where no rule
    /// allows break-glass, or a normal request where only break-glass rules do.
    fn other_kind_reason(&self, s: &Subject<'_>) -> Reason {
        let rules = self.other_kind.join(", ");
        if s.emergency {
            Reason {
                code: "emergency-not-allowed",
                message: format!(
                    "no emergency rule covers permission set `{}` on account `{}`; rule(s) {rules} cover it for reviewed requests only",
                    s.permission_set, s.account_id
                ),
            }
        } else {
            Reason {
                code: "emergency-only",
                message: format!(
                    "only emergency rule(s) {rules} cover permission set `{}` on account `{}`: they allow break-glass requests (`emergency = true`), granted at once and reviewed after",
                    s.permission_set, s.account_id
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::diag::diagnostic::Diagnostic;
    use crate::core::files::raw::{RawAccess, RawDirectory};
    use crate::core::model::Ctx;

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
    fn the_covering_index_finds_what_scanning_every_rule_finds() {
        let (policy, _, dir) = fixture();
        let mut accounts: Vec<(String, String)> = dir.accounts.iter().map(|a| (a.id.clone(), a.ou.clone())).collect();
        accounts.push(("999999999999".into(), "Workloads/Prod/Other".into()));
        accounts.push(("999999999999".into(), "Elsewhere".into()));
        let mut covered = 0;
        for (id, ou) in &accounts {
            let scanned: Vec<&str> = policy
                .eligibility
                .iter()
                .filter(|r| r.targets.covers_account(id, ou))
                .map(|r| r.id.as_str())
                .collect();
            let indexed: Vec<&str> = policy
                .eligibility_covering(id, ou)
                .iter()
                .map(|r| r.id.as_str())
                .collect();
            assert_eq!(indexed, scanned, "{id} in {ou}");
            covered += scanned.len();
        }
        // payments-prod: by the nested OU rule and by name, not by the OU rule without children
        assert_eq!(
            policy
                .eligibility_covering("111122223333", "Workloads/Prod/Payments")
                .len(),
            2
        );
        assert!(covered >= 4, "the fixture covers accounts by id and by OU");
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
                emergency: false,
            };
            let got = match evaluate(&policy, &ids, &dir, &teams, &subject) {
                Eligibility::Eligible {
                    rules,
                    max_duration,
                    approval_required,
                    ..
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

    /// Groups read live decide instead of the directory's members; a group not read is
    /// unknown (like a team), never "not a member".
    #[test]
    fn groups_read_live() {
        let (policy, ids, dir) = fixture();
        let subject = Subject {
            requester: "grace",
            account_id: "111122223333",
            account_ou: "Workloads/Prod/Payments",
            permission_set: "ReadOnlyAccess",
            duration: HumaneDuration::parse("2h").unwrap(),
            emergency: false,
        };
        let with =
            |map: &HashMap<String, bool>| evaluate_with(&policy, &ids, &dir, &teams(&[]), Groups::Read(map), &subject);
        // the directory lists grace in SRE
        let listed = evaluate(&policy, &ids, &dir, &teams(&[]), &subject);
        assert!(matches!(listed, Eligibility::Eligible { .. }), "{listed:?}");
        let member = HashMap::from([("SRE".to_string(), true)]);
        assert!(matches!(with(&member), Eligibility::Eligible { .. }));
        let gone = HashMap::from([("SRE".to_string(), false)]);
        match with(&gone) {
            Eligibility::NotEligible { reasons } => assert_eq!(reasons[0].code, "requester-not-eligible"),
            other => panic!("{other:?}"),
        }
        match with(&HashMap::new()) {
            Eligibility::Undetermined { teams, rules } => {
                assert_eq!(teams, vec!["idc-group:SRE".to_string()]);
                assert_eq!(rules, vec!["read-nested".to_string()]);
            }
            other => panic!("{other:?}"),
        }
    }

    /// Rules that overlap on `core-prod` / AdministratorAccess, for how rules combine.
    const OVERLAPPING: &str = r#"
[settings]
max_duration = "8h"
managed_permission_sets = ["AdministratorAccess"]
[[eligibility]]
id = "oncall-short"
principals = ["alice", "@acme/oncall"]
accounts = ["core-prod"]
permission_sets = ["AdministratorAccess"]
max_duration = "2h"
[[eligibility]]
id = "alice-long"
principals = ["alice"]
ous = ["Workloads"]
include_child_ous = true
permission_sets = ["AdministratorAccess"]
max_duration = "6h"
approval = "none"
[[eligibility]]
id = "carol-only"
principals = ["carol"]
accounts = ["core-prod"]
permission_sets = ["AdministratorAccess"]
"#;

    /// `fixture()`'s directory and identities with the OVERLAPPING policy.
    fn overlapping() -> Policy {
        let (policy, codes) = with_policy(OVERLAPPING);
        assert!(codes.is_empty(), "{codes:?}");
        policy
    }

    enum Want {
        /// Allowing rules, their longest maximum, approval required.
        Eligible(&'static [&'static str], &'static str, bool),
        /// Unknown teams, the rules naming them.
        Undetermined(&'static [&'static str], &'static [&'static str]),
        /// Reason codes, in order.
        Not(&'static [&'static str]),
    }

    struct Row {
        rule: &'static str,
        login: &'static str,
        account_id: &'static str,
        account_ou: &'static str,
        permission_set: &'static str,
        duration: &'static str,
        teams: Teams,
        want: Want,
    }

    const CORE: (&str, &str) = ("444455556666", "Workloads/Prod");
    const PAYMENTS: (&str, &str) = ("111122223333", "Workloads/Prod/Payments");
    const ADMIN: &str = "AdministratorAccess";
    const READ: &str = "ReadOnlyAccess";

    fn row(
        rule: &'static str,
        login: &'static str,
        (account_id, account_ou): (&'static str, &'static str),
        permission_set: &'static str,
        duration: &'static str,
        teams: Teams,
        want: Want,
    ) -> Row {
        Row {
            rule,
            login,
            account_id,
            account_ou,
            permission_set,
            duration,
            teams,
            want,
        }
    }

    fn run_rows(policy: &Policy, rows: Vec<Row>) {
        let (_, ids, dir) = fixture();
        for r in rows {
            let subject = Subject {
                requester: r.login,
                account_id: r.account_id,
                account_ou: r.account_ou,
                permission_set: r.permission_set,
                duration: HumaneDuration::parse(r.duration).unwrap(),
                emergency: false,
            };
            let got = evaluate(policy, &ids, &dir, &r.teams, &subject);
            match (&got, &r.want) {
                (Eligibility::NotEligible { reasons }, Want::Not(codes)) => {
                    assert_eq!(reasons.iter().map(|r| r.code).collect::<Vec<_>>(), *codes, "{}", r.rule);
                }
                (_, Want::Eligible(rules, max, approval_required)) => assert_eq!(
                    got,
                    Eligibility::Eligible {
                        rules: rules.iter().map(|s| s.to_string()).collect(),
                        max_duration: HumaneDuration::parse(max).unwrap(),
                        approval_required: *approval_required,
                        emergency: false,
                    },
                    "{}",
                    r.rule
                ),
                (_, Want::Undetermined(teams, rules)) => assert_eq!(
                    got,
                    Eligibility::Undetermined {
                        teams: teams.iter().map(|s| s.to_string()).collect(),
                        rules: rules.iter().map(|s| s.to_string()).collect(),
                    },
                    "{}",
                    r.rule
                ),
                (_, Want::Not(_)) => panic!("{}: expected not eligible, got {got:?}", r.rule),
            }
        }
    }

    #[test]
    fn one_row_per_rule() {
        use Want::*;
        let (policy, _, _) = fixture();
        let rows = vec![
            row(
                "an account no rule names (not in the directory)",
                "alice",
                ("999988887777", ""),
                ADMIN,
                "1h",
                teams(&[]),
                Not(&["no-rule-covers-target"]),
            ),
            row(
                "include_child_ous false: an account in a child OU is not covered",
                "alice",
                ("777788889999", "Workloads/Prod/Data"),
                ADMIN,
                "1h",
                teams(&[]),
                Not(&["no-rule-covers-target"]),
            ),
            row(
                "include_child_ous false: the OU itself is covered",
                "alice",
                CORE,
                ADMIN,
                "1h",
                teams(&[]),
                Eligible(&["prod-direct"], "4h", true),
            ),
            row(
                "include_child_ous true: an OU two levels down is covered",
                "bob",
                PAYMENTS,
                READ,
                "1h",
                teams(&[]),
                Eligible(&["read-nested"], "8h", false),
            ),
            row(
                "OUs compare by segment: Workloads/Production is not Workloads/Prod",
                "alice",
                ("777788889999", "Workloads/Production"),
                ADMIN,
                "1h",
                teams(&[]),
                Not(&["no-rule-covers-target"]),
            ),
            row(
                "a permission set no rule on the account allows",
                "alice",
                CORE,
                "PowerUserAccess",
                "1h",
                teams(&[]),
                Not(&["no-rule-covers-target"]),
            ),
            row(
                "duration over the rule's max_duration",
                "alice",
                CORE,
                ADMIN,
                "5h",
                teams(&[]),
                Not(&["duration-exceeds-maximum"]),
            ),
            row(
                "duration over settings.max_duration, which caps a longer rule maximum",
                "carol",
                PAYMENTS,
                ADMIN,
                "9h",
                teams(&[]),
                Not(&["duration-exceeds-maximum"]),
            ),
            row(
                "duration at exactly the capped maximum",
                "carol",
                PAYMENTS,
                ADMIN,
                "8h",
                teams(&[]),
                Eligible(&["payments-admin"], "8h", true),
            ),
            row(
                "requester not among the principals of a covering rule",
                "dave",
                CORE,
                ADMIN,
                "1h",
                teams(&[]),
                Not(&["requester-not-eligible"]),
            ),
            row(
                "user principals compare case-insensitively",
                "ALICE",
                CORE,
                ADMIN,
                "1h",
                teams(&[]),
                Eligible(&["prod-direct"], "4h", true),
            ),
            row(
                "a member of a team principal",
                "dave",
                CORE,
                ADMIN,
                "1h",
                teams(&["acme/oncall"]),
                Eligible(&["prod-direct"], "4h", true),
            ),
            row(
                "a known non-member of every team principal",
                "dave",
                CORE,
                ADMIN,
                "1h",
                teams(&["acme/other"]),
                Not(&["requester-not-eligible"]),
            ),
            row(
                "team membership undetermined offline",
                "dave",
                CORE,
                ADMIN,
                "1h",
                Teams::Unknown,
                Undetermined(&["@acme/oncall"], &["prod-direct"]),
            ),
            row(
                "a team that was not read is unknown, not a non-member",
                "dave",
                CORE,
                ADMIN,
                "1h",
                Teams::Known(Default::default()),
                Undetermined(&["@acme/oncall"], &["prod-direct"]),
            ),
            row(
                "unknown team membership does not make a too-long request undetermined; the reason is the duration, the nearest one",
                "dave",
                CORE,
                ADMIN,
                "5h",
                Teams::Unknown,
                Not(&["duration-exceeds-maximum"]),
            ),
            row(
                "an Identity Center group member through identities.toml",
                "grace",
                PAYMENTS,
                READ,
                "1h",
                teams(&[]),
                Eligible(&["read-nested"], "8h", false),
            ),
            row(
                "a login with no Identity Center user is in no group",
                "heidi",
                PAYMENTS,
                READ,
                "1h",
                teams(&[]),
                Not(&["requester-not-eligible"]),
            ),
        ];
        run_rows(&policy, rows);
    }

    #[test]
    fn overlapping_rules_combine() {
        use Want::*;
        let rows = vec![
            row(
                "every allowing rule is cited, the longest maximum wins, one `approval = none` waives approval",
                "alice",
                CORE,
                ADMIN,
                "1h",
                teams(&[]),
                Eligible(&["oncall-short", "alice-long"], "6h", false),
            ),
            row(
                "approval is required when every allowing rule requires it",
                "dave",
                CORE,
                ADMIN,
                "1h",
                teams(&["acme/oncall"]),
                Eligible(&["oncall-short"], "2h", true),
            ),
            row(
                "a rule naming the requester wins over one that may name them through an unknown team",
                "carol",
                CORE,
                ADMIN,
                "1h",
                Teams::Unknown,
                Eligible(&["carol-only"], "8h", true),
            ),
            row(
                "one duration reason per rule naming the requester, and no not-a-principal reason",
                "alice",
                CORE,
                ADMIN,
                "7h",
                teams(&[]),
                Not(&["duration-exceeds-maximum", "duration-exceeds-maximum"]),
            ),
            row(
                "too long for the only rule naming the requester",
                "dave",
                CORE,
                ADMIN,
                "3h",
                teams(&["acme/oncall"]),
                Not(&["duration-exceeds-maximum"]),
            ),
            row(
                "too long for a rule that may name the requester through a team of unknown membership: the nearest reason",
                "dave",
                CORE,
                ADMIN,
                "3h",
                Teams::Unknown,
                Not(&["duration-exceeds-maximum"]),
            ),
        ];
        run_rows(&overlapping(), rows);
    }

    #[test]
    fn reasons_name_the_target_the_rules_and_the_capped_maximum() {
        let (policy, ids, dir) = fixture();
        let reasons = |login, (account_id, account_ou), permission_set, duration| {
            let subject = Subject {
                requester: login,
                account_id,
                account_ou,
                permission_set,
                duration: HumaneDuration::parse(duration).unwrap(),
                emergency: false,
            };
            match evaluate(&policy, &ids, &dir, &teams(&[]), &subject) {
                Eligibility::NotEligible { reasons } => reasons.into_iter().map(|r| r.message).collect::<Vec<_>>(),
                other => panic!("expected not eligible, got {other:?}"),
            }
        };
        assert_eq!(
            reasons("alice", CORE, "PowerUserAccess", "1h"),
            ["no eligibility rule covers permission set `PowerUserAccess` on account `444455556666`"]
        );
        assert_eq!(
            reasons("dave", PAYMENTS, READ, "1h"),
            ["`dave` is not a principal of any rule covering this account and permission set (read-nested)"]
        );
        assert_eq!(
            reasons("carol", PAYMENTS, ADMIN, "9h"),
            ["duration `9h` is longer than `8h`, the maximum under rule `payments-admin`"]
        );
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

    /// The fixture's directory with `policy`, and the codes of the diagnostics it gives.
    fn with_policy(policy: &str) -> (Policy, Vec<&'static str>) {
        let (_, _, dir) = fixture();
        let mut diags: Vec<Diagnostic> = vec![];
        let policy = Policy::from_raw(
            toml::from_str(policy).unwrap(),
            Some(&dir),
            &mut Ctx {
                file: "p",
                diags: &mut diags,
            },
        );
        (policy, diags.iter().map(|d| d.code).collect())
    }

    const BREAK_GLASS: &str = r#"
[settings]
max_duration = "8h"
managed_permission_sets = ["AdministratorAccess", "ReadOnlyAccess"]
[[eligibility]]
id = "break-glass"
principals = ["alice"]
accounts = ["core-prod"]
permission_sets = ["AdministratorAccess"]
max_duration = "1h"
emergency = true
[[eligibility]]
id = "read"
principals = ["alice"]
accounts = ["core-prod"]
permission_sets = ["ReadOnlyAccess"]
"#;

    #[test]
    fn emergency_rules_allow_only_break_glass_and_break_glass_only_under_them() {
        let (policy, codes) = with_policy(BREAK_GLASS);
        assert!(codes.is_empty(), "{codes:?}");
        let (_, ids, dir) = fixture();
        let judge = |ps: &'static str, duration: &str, emergency: bool| {
            let subject = Subject {
                requester: "alice",
                account_id: CORE.0,
                account_ou: CORE.1,
                permission_set: ps,
                duration: HumaneDuration::parse(duration).unwrap(),
                emergency,
            };
            evaluate(&policy, &ids, &dir, &teams(&[]), &subject)
        };
        let codes = |e: Eligibility| match e {
            Eligibility::NotEligible { reasons } => reasons.iter().map(|r| r.code).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            judge(ADMIN, "1h", true),
            Eligibility::Eligible {
                rules: vec!["break-glass".into()],
                max_duration: HumaneDuration::parse("1h").unwrap(),
                approval_required: false,
                emergency: true,
            }
        );
        assert_eq!(codes(judge(ADMIN, "2h", true)), ["duration-exceeds-maximum"]);
        assert_eq!(codes(judge(ADMIN, "1h", false)), ["emergency-only"]);
        assert_eq!(codes(judge(READ, "1h", true)), ["emergency-not-allowed"]);
        assert!(matches!(
            judge(READ, "1h", false),
            Eligibility::Eligible {
                approval_required: true,
                emergency: false,
                ..
            }
        ));
    }

    #[test]
    fn an_emergency_rule_needs_its_own_maximum_and_no_approval_before() {
        let without_max = BREAK_GLASS.replacen("max_duration = \"1h\"\n", "", 1);
        assert_eq!(with_policy(&without_max).1, ["emergency-rule-without-max-duration"]);
        let approval = BREAK_GLASS.replacen("emergency = true", "emergency = true\napproval = \"required\"", 1);
        assert_eq!(with_policy(&approval).1, ["emergency-rule-requires-approval"]);
        let too_long = BREAK_GLASS.replacen("[settings]", "[settings]\nemergency_review_within = \"31d\"", 1);
        assert_eq!(with_policy(&too_long).1, ["invalid-value"]);
        let (policy, _) = with_policy(BREAK_GLASS);
        assert_eq!(
            policy.settings.emergency_review_within,
            HumaneDuration::parse("24h").unwrap()
        );
        assert!(policy.settings.emergency_require_ticket);
    }
}
