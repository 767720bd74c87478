//! The access policy (`policies/access.toml`): settings, eligibility rules and approval
//! rules, validated against the directory so every reference resolves.

use std::collections::HashSet;
use std::ops::Range;

use super::Ctx;
use super::directory::Directory;
use crate::core::files::duration::HumaneDuration;
use crate::core::files::lexical;
use crate::core::files::raw::{RawAccess, S};

/// Default for `max_start_ahead`: a request may start at most this far in the future.
pub const DEFAULT_MAX_START_AHEAD: u64 = 30 * 86_400;
pub const DEFAULT_PENDING_TIMEOUT: u64 = 86_400;
pub const DEFAULT_MAX_REMOVALS: u64 = 25;

#[derive(Debug, Clone)]
pub struct Settings {
    pub max_duration: HumaneDuration,
    pub require_ticket: bool,
    pub require_approval_note: bool,
    pub pending_timeout: HumaneDuration,
    pub max_start_ahead: HumaneDuration,
    pub managed_permission_sets: Vec<String>,
    pub max_removals_per_run: u64,
    /// Remove hand-made user assignments of managed permission sets (default: report them).
    pub remove_drift: bool,
    /// Assignment changes made at once by the reconciler.
    pub apply_concurrency: usize,
}

/// Who a rule names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// GitHub user, lowercased.
    User(String),
    /// GitHub team as `org/slug`, lowercased.
    Team(String),
    /// Identity Center group display name.
    IdcGroup(String),
}

impl Principal {
    pub fn parse(s: &str) -> Option<Principal> {
        if let Some(g) = s.strip_prefix("idc-group:") {
            return lexical::is_group_name(g).then(|| Principal::IdcGroup(g.to_string()));
        }
        if s.starts_with('@') {
            return lexical::is_team(s).then(|| Principal::Team(s[1..].to_ascii_lowercase()));
        }
        lexical::is_github_login(s).then(|| Principal::User(s.to_ascii_lowercase()))
    }
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Principal::User(u) => write!(f, "{u}"),
            Principal::Team(t) => write!(f, "@{t}"),
            Principal::IdcGroup(g) => write!(f, "idc-group:{g}"),
        }
    }
}

/// Which accounts and permission sets a rule covers. Accounts are held by id and OUs by
/// path, whichever way the file named them.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub account_ids: Vec<String>,
    pub ou_paths: Vec<String>,
    pub include_child_ous: bool,
    /// `None` means every permission set (approval rules without the key). An empty list
    /// covers nothing: a rule whose every entry failed to resolve must not match everything.
    pub permission_sets: Option<Vec<String>>,
}

impl Targets {
    pub fn covers_account(&self, account_id: &str, account_ou: &str) -> bool {
        self.account_ids.iter().any(|a| a == account_id)
            || self
                .ou_paths
                .iter()
                .any(|ou| super::directory::ou_contains(ou, account_ou, self.include_child_ous))
    }

    pub fn covers_permission_set(&self, name: &str) -> bool {
        self.permission_sets
            .as_ref()
            .is_none_or(|list| list.iter().any(|p| p == name))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalMode {
    Required,
    None,
}

#[derive(Debug, Clone)]
pub struct EligibilityRule {
    pub id: String,
    pub principals: Vec<Principal>,
    pub targets: Targets,
    pub max_duration: Option<HumaneDuration>,
    pub approval: ApprovalMode,
    /// Byte span of the rule's `id` value in access.toml, for diagnostics.
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub struct ApprovalRule {
    pub id: String,
    /// Approval rules with no accounts and no OUs cover every account.
    pub all_accounts: bool,
    pub targets: Targets,
    pub min_approvals: u32,
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub settings: Settings,
    pub eligibility: Vec<EligibilityRule>,
    pub approval: Vec<ApprovalRule>,
}

impl Policy {
    /// Validates the raw policy. References to accounts, OUs, permission sets and groups
    /// are checked when the directory is known; without it they are kept unresolved.
    pub fn from_raw(raw: RawAccess, directory: Option<&Directory>, cx: &mut Ctx<'_>) -> Policy {
        let s = raw.settings.into_inner();
        let max_duration = duration(cx, &s.max_duration).unwrap_or(HumaneDuration::from_seconds(0));
        let optional = |cx: &mut Ctx<'_>, v: &Option<S<String>>, default: u64| {
            v.as_ref()
                .and_then(|v| duration(cx, v))
                .unwrap_or(HumaneDuration::from_seconds(default))
        };
        let pending_timeout = optional(cx, &s.pending_timeout, DEFAULT_PENDING_TIMEOUT);
        let max_start_ahead = optional(cx, &s.max_start_ahead, DEFAULT_MAX_START_AHEAD);
        let mut managed = Vec::new();
        for p in &s.managed_permission_sets {
            if !cx.permission_set_name(p.span(), p.get_ref()) {
                continue;
            }
            if managed.contains(p.get_ref()) {
                cx.warning(
                    "duplicate-entry",
                    p.span(),
                    format!("`{}` is listed twice", p.get_ref()),
                    "remove the repeated entry",
                );
                continue;
            }
            if let Some(d) = directory
                && d.permission_set(p.get_ref()).is_none()
            {
                cx.error(
                    "unknown-permission-set",
                    p.span(),
                    format!("permission set `{}` is not in the directory", p.get_ref()),
                    "use a permission set from policies/directory.toml, or run `gitgrant directory sync`",
                );
            }
            managed.push(p.get_ref().clone());
        }
        let max_removals = match s.max_removals_per_run {
            Some(n) if *n.get_ref() < 0 => {
                cx.error(
                    "invalid-value",
                    n.span(),
                    format!("`{}` is not a number of removals", n.get_ref()),
                    "use a whole number, 0 or more",
                );
                DEFAULT_MAX_REMOVALS
            }
            Some(n) => *n.get_ref() as u64,
            None => DEFAULT_MAX_REMOVALS,
        };
        let settings = Settings {
            max_duration,
            require_ticket: s.require_ticket.unwrap_or(false),
            require_approval_note: s.require_approval_note.unwrap_or(true),
            pending_timeout,
            max_start_ahead,
            managed_permission_sets: managed,
            max_removals_per_run: max_removals,
            remove_drift: s.remove_drift.unwrap_or(false),
            apply_concurrency: match &s.apply_concurrency {
                Some(n) if (1..=32).contains(n.get_ref()) => *n.get_ref() as usize,
                Some(n) => {
                    cx.error(
                        "invalid-value",
                        n.span(),
                        format!("`{}` is not a concurrency", n.get_ref()),
                        "use a whole number from 1 to 32",
                    );
                    4
                }
                None => 4,
            },
        };

        let mut ids = HashSet::new();
        let mut eligibility = Vec::new();
        for r in raw.eligibility {
            let r = r.into_inner();
            unique_id(cx, &mut ids, &r.id, "eligibility");
            let mut principals = Vec::new();
            for p in &r.principals {
                match Principal::parse(p.get_ref()) {
                    Some(Principal::IdcGroup(g)) if directory.is_some_and(|d| d.group(&g).is_none()) => {
                        cx.error("unknown-group", p.span(), format!("Identity Center group `{g}` is not in the directory"), "add the group to policies/directory.toml (`gitgrant directory sync` writes groups used by rules)");
                    }
                    Some(pr) => principals.push(pr),
                    None => cx.error(
                        "invalid-principal",
                        p.span(),
                        format!("`{}` is not a principal", p.get_ref()),
                        "write `@org/team`, `login` or `idc-group:Name`",
                    ),
                }
            }
            let targets = targets(
                cx,
                directory,
                &r.accounts,
                &r.ous,
                r.include_child_ous,
                Some(&r.permission_sets),
                &settings,
            );
            if r.accounts.as_ref().is_none_or(Vec::is_empty) && r.ous.as_ref().is_none_or(Vec::is_empty) {
                cx.error(
                    "rule-without-targets",
                    r.id.span(),
                    format!("eligibility rule `{}` names no accounts and no OUs", r.id.get_ref()),
                    "add `accounts = [...]` or `ous = [...]`; a rule covering nothing grants nothing",
                );
            }
            let rule_max = r.max_duration.as_ref().and_then(|m| duration(cx, m));
            if let (Some(m), Some(raw_m)) = (rule_max, &r.max_duration)
                && m > settings.max_duration
                && settings.max_duration.seconds() > 0
            {
                cx.warning(
                    "rule-max-exceeds-settings",
                    raw_m.span(),
                    format!(
                        "rule maximum `{m}` is longer than settings.max_duration `{}`",
                        settings.max_duration
                    ),
                    "the shorter of the two applies; lower the rule's max_duration to say so",
                );
            }
            let approval = match r.approval.as_ref().map(|a| a.get_ref().as_str()) {
                None | Some("required") => ApprovalMode::Required,
                Some("none") => ApprovalMode::None,
                Some(other) => {
                    let span = r.approval.as_ref().map(|a| a.span()).unwrap_or(r.id.span());
                    cx.error(
                        "invalid-approval-mode",
                        span,
                        format!("`{other}` is not an approval mode"),
                        "use `required` or `none`",
                    );
                    ApprovalMode::Required
                }
            };
            eligibility.push(EligibilityRule {
                id: r.id.get_ref().clone(),
                principals,
                targets,
                max_duration: rule_max,
                approval,
                span: r.id.span(),
            });
        }

        let mut approval_ids = HashSet::new();
        let mut approval = Vec::new();
        for r in raw.approval {
            let r = r.into_inner();
            unique_id(cx, &mut approval_ids, &r.id, "approval");
            let targets = targets(
                cx,
                directory,
                &r.accounts,
                &r.ous,
                Some(true),
                r.permission_sets.as_ref(),
                &settings,
            );
            let n = *r.min_approvals.get_ref();
            let min_approvals = if (1..=10).contains(&n) {
                n as u32
            } else {
                cx.error(
                    "invalid-min-approvals",
                    r.min_approvals.span(),
                    format!("`{n}` is not a valid number of approvals"),
                    "use a whole number from 1 to 10",
                );
                1
            };
            let all_accounts =
                r.accounts.as_ref().is_none_or(Vec::is_empty) && r.ous.as_ref().is_none_or(Vec::is_empty);
            approval.push(ApprovalRule {
                id: r.id.get_ref().clone(),
                all_accounts,
                targets,
                min_approvals,
                span: r.id.span(),
            });
        }
        Policy {
            settings,
            eligibility,
            approval,
        }
    }

    /// Code-owner approvals a request on this account and permission set needs, and the
    /// approval rules that set the number (the largest `min_approvals` wins; 1 by default).
    pub fn required_approvals(&self, account_id: &str, account_ou: &str, permission_set: &str) -> (u32, Vec<&str>) {
        let matching: Vec<&ApprovalRule> = self
            .approval
            .iter()
            .filter(|r| {
                (r.all_accounts || r.targets.covers_account(account_id, account_ou))
                    && r.targets.covers_permission_set(permission_set)
            })
            .collect();
        let n = matching.iter().map(|r| r.min_approvals).max().unwrap_or(1);
        (
            n,
            matching
                .iter()
                .filter(|r| r.min_approvals == n)
                .map(|r| r.id.as_str())
                .collect(),
        )
    }
}

fn duration(cx: &mut Ctx<'_>, v: &S<String>) -> Option<HumaneDuration> {
    match HumaneDuration::parse(v.get_ref()) {
        Ok(d) => Some(d),
        Err(e) => {
            cx.error("invalid-duration", v.span(), e.message(v.get_ref()), e.help());
            None
        }
    }
}

fn unique_id(cx: &mut Ctx<'_>, seen: &mut HashSet<String>, id: &S<String>, kind: &str) {
    if !lexical::is_slug_id(id.get_ref()) {
        cx.error(
            "invalid-rule-id",
            id.span(),
            format!("`{}` is not a valid rule id", id.get_ref()),
            "rule ids are lowercase letters, digits and single dashes, at most 64 characters",
        );
    }
    if !seen.insert(id.get_ref().clone()) {
        cx.error(
            "duplicate-rule-id",
            id.span(),
            format!("{kind} rule id `{}` is used twice", id.get_ref()),
            "give every rule its own id; decisions cite rules by id",
        );
    }
}

fn targets(
    cx: &mut Ctx<'_>,
    directory: Option<&Directory>,
    accounts: &Option<Vec<S<String>>>,
    ous: &Option<Vec<S<String>>>,
    include_child_ous: Option<bool>,
    permission_sets: Option<&Vec<S<String>>>,
    settings: &Settings,
) -> Targets {
    let mut t = Targets {
        include_child_ous: include_child_ous.unwrap_or(false),
        ..Targets::default()
    };
    for a in accounts.iter().flatten() {
        if !lexical::is_account_ref(a.get_ref()) {
            cx.error(
                "invalid-account",
                a.span(),
                format!("`{}` is neither a 12-digit account id nor an account name", a.get_ref()),
                "use the account's name from policies/directory.toml, or its id of exactly 12 digits",
            );
            continue;
        }
        match directory {
            Some(d) => match d.account(a.get_ref()) {
                Some(acct) => t.account_ids.push(acct.id.clone()),
                None => cx.error(
                    "unknown-account",
                    a.span(),
                    format!("account `{}` is not in the directory", a.get_ref()),
                    "use an account name or id from policies/directory.toml",
                ),
            },
            None => t.account_ids.push(a.get_ref().clone()),
        }
    }
    for o in ous.iter().flatten() {
        if o.get_ref().is_empty() {
            cx.error(
                "invalid-value",
                o.span(),
                "OU reference is empty".into(),
                "write an OU path like `Workloads/Prod` or an OU id",
            );
            continue;
        }
        match directory {
            Some(d) => match d.ou(o.get_ref()) {
                Some(ou) => t.ou_paths.push(ou.path.clone()),
                None => cx.error(
                    "unknown-ou",
                    o.span(),
                    format!("OU `{}` is not in the directory", o.get_ref()),
                    "use an OU path (`Workloads/Prod`) or id from policies/directory.toml",
                ),
            },
            None => t.ou_paths.push(o.get_ref().clone()),
        }
    }
    let mut sets = permission_sets.map(|_| Vec::new());
    for p in permission_sets.into_iter().flatten() {
        if !cx.permission_set_name(p.span(), p.get_ref()) {
            continue;
        }
        if let Some(d) = directory
            && d.permission_set(p.get_ref()).is_none()
        {
            cx.error(
                "unknown-permission-set",
                p.span(),
                format!("permission set `{}` is not in the directory", p.get_ref()),
                "use a permission set name from policies/directory.toml",
            );
            continue;
        }
        if !settings.managed_permission_sets.contains(p.get_ref()) {
            cx.error(
                "permission-set-not-managed",
                p.span(),
                format!(
                    "permission set `{}` is not in settings.managed_permission_sets",
                    p.get_ref()
                ),
                "add it to managed_permission_sets; the reconciler only grants and revokes managed permission sets",
            );
        }
        if let Some(sets) = sets.as_mut() {
            sets.push(p.get_ref().clone());
        }
    }
    t.permission_sets = sets;
    t
}
