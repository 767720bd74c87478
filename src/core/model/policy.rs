//! The access policy (`policies/access.toml`): settings, eligibility rules and approval
//! rules, validated against the directory so every reference resolves.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::Ctx;
use super::directory::Directory;
use crate::core::files::duration::HumaneDuration;
use crate::core::files::lexical;
use crate::core::files::raw::{RawAccess, RawApproval, RawEligibility, RawSettings, S};
use serde::Serialize;

/// Default for `max_start_ahead`: a request may start at most this far in the future.
pub const DEFAULT_MAX_START_AHEAD: u64 = 30 * 86_400;
pub const DEFAULT_PENDING_TIMEOUT: u64 = 86_400;
pub const DEFAULT_MAX_REMOVALS: u64 = 25;
/// Default for `emergency_review_within`: a break-glass grant is reviewed within a day.
pub const DEFAULT_EMERGENCY_REVIEW_WITHIN: u64 = 86_400;
/// The longest `emergency_review_within` allowed: a review a month later reviews nothing.
pub const MAX_EMERGENCY_REVIEW_WITHIN: u64 = 30 * 86_400;

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
    /// When the reconciler also ends the user's live sessions (issue 13 item 1).
    pub end_sessions: EndSessions,
    /// How long after its merge a break-glass grant must be reviewed (issue 13 item 2).
    pub emergency_review_within: HumaneDuration,
    /// Whether a break-glass request must carry a ticket (default true).
    pub emergency_require_ticket: bool,
}

/// When the reconciler ends live sessions (`settings.end_sessions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum EndSessions {
    /// When access is taken away before its end: revoked, no longer eligible, drift removed.
    #[default]
    OnRevoke,
    /// Also at every window's end, so access ends on time, session included.
    AtEnd,
    /// Never: a session outlives its assignment by up to the permission set's session length.
    Never,
}

impl EndSessions {
    pub fn parse(s: &str) -> Option<EndSessions> {
        match s {
            "on-revoke" => Some(EndSessions::OnRevoke),
            "at-end" => Some(EndSessions::AtEnd),
            "never" => Some(EndSessions::Never),
            _ => None,
        }
    }
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
    /// A set: a rule may name thousands of accounts, and every request asks it.
    pub account_ids: std::collections::BTreeSet<String>,
    pub ou_paths: Vec<String>,
    pub include_child_ous: bool,
    /// `None` means every permission set (approval rules without the key). An empty list
    /// covers nothing: a rule whose every entry failed to resolve must not match everything.
    pub permission_sets: Option<Vec<String>>,
}

impl Targets {
    pub fn covers_account(&self, account_id: &str, account_ou: &str) -> bool {
        self.account_ids.contains(account_id)
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
    /// Whether the rule may grant access to the organization's management account.
    pub allow_management_account: bool,
    /// A break-glass rule (issue 13 item 2): it allows only requests with `emergency = true`,
    /// without reviews before, with code owners' review after.
    pub emergency: bool,
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
    /// Where ledger events are announced (`[[notify]]`).
    pub notify: Vec<super::notify::NotifyTarget>,
    /// Which eligibility rules may cover an account, built with `eligibility`.
    covering: CoveringIndex,
}

/// The eligibility rules by the account ids they name, and those that name OUs: a policy of
/// hundreds of rules is not scanned whole for each of 20,000 requests (issue 10, `check`).
#[derive(Debug, Clone, Default)]
struct CoveringIndex {
    by_account: HashMap<String, Vec<usize>>,
    with_ous: Vec<usize>,
}

impl CoveringIndex {
    fn of(rules: &[EligibilityRule]) -> CoveringIndex {
        let mut index = CoveringIndex::default();
        for (i, rule) in rules.iter().enumerate() {
            for id in &rule.targets.account_ids {
                index.by_account.entry(id.clone()).or_default().push(i);
            }
            if !rule.targets.ou_paths.is_empty() {
                index.with_ous.push(i);
            }
        }
        index
    }
}

impl Policy {
    /// Validates the raw policy. References to accounts, OUs, permission sets and groups
    /// are checked when the directory is known; without it they are kept unresolved.
    pub fn from_raw(raw: RawAccess, directory: Option<&Directory>, cx: &mut Ctx<'_>) -> Policy {
        let settings = Settings::from_raw(raw.settings.into_inner(), directory, cx);
        let mut ids = HashSet::new();
        let eligibility: Vec<EligibilityRule> = raw
            .eligibility
            .into_iter()
            .map(|r| EligibilityRule::from_raw(r.into_inner(), directory, &settings, &mut ids, cx))
            .collect();
        let mut approval_ids = HashSet::new();
        let approval = raw
            .approval
            .into_iter()
            .map(|r| ApprovalRule::from_raw(r.into_inner(), directory, &settings, &mut approval_ids, cx))
            .collect();
        let notify = super::notify::targets(raw.notify, cx);
        Policy {
            settings,
            notify,
            covering: CoveringIndex::of(&eligibility),
            eligibility,
            approval,
        }
    }

    /// The eligibility rules whose targets cover this account, in policy order: what
    /// filtering `eligibility` by `Targets::covers_account` gives, through the index.
    pub fn eligibility_covering(&self, account_id: &str, account_ou: &str) -> Vec<&EligibilityRule> {
        let named = self.covering.by_account.get(account_id).map_or(&[][..], Vec::as_slice);
        let mut found: Vec<usize> = named.to_vec();
        found.extend(
            self.covering
                .with_ous
                .iter()
                .copied()
                .filter(|&i| self.eligibility[i].targets.covers_account(account_id, account_ou)),
        );
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &self.eligibility[i]).collect()
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

impl Settings {
    /// Validates `[settings]`; a value that fails its check falls back to its default.
    fn from_raw(s: RawSettings, directory: Option<&Directory>, cx: &mut Ctx<'_>) -> Settings {
        let max_duration = duration(cx, &s.max_duration).unwrap_or(HumaneDuration::from_seconds(0));
        let pending_timeout = optional_duration(cx, &s.pending_timeout, DEFAULT_PENDING_TIMEOUT);
        let max_start_ahead = optional_duration(cx, &s.max_start_ahead, DEFAULT_MAX_START_AHEAD);
        let managed_permission_sets = managed_permission_sets(cx, directory, &s.managed_permission_sets);
        let max_removals_per_run = max_removals_per_run(cx, &s.max_removals_per_run);
        let apply_concurrency = apply_concurrency(cx, &s.apply_concurrency);
        let end_sessions = end_sessions(cx, &s.end_sessions);
        let emergency_review_within = emergency_review_within(cx, &s.emergency_review_within);
        Settings {
            max_duration,
            require_ticket: s.require_ticket.unwrap_or(false),
            require_approval_note: s.require_approval_note.unwrap_or(true),
            pending_timeout,
            max_start_ahead,
            managed_permission_sets,
            max_removals_per_run,
            remove_drift: s.remove_drift.unwrap_or(false),
            apply_concurrency,
            end_sessions,
            emergency_review_within,
            emergency_require_ticket: s.emergency_require_ticket.unwrap_or(true),
        }
    }
}

/// `settings.emergency_review_within`: a positive duration of at most 30 days (default 24h).
fn emergency_review_within(cx: &mut Ctx<'_>, v: &Option<S<String>>) -> HumaneDuration {
    let default = HumaneDuration::from_seconds(DEFAULT_EMERGENCY_REVIEW_WITHIN);
    let Some(raw) = v else { return default };
    let Some(d) = duration(cx, raw) else { return default };
    if d.seconds() > MAX_EMERGENCY_REVIEW_WITHIN {
        cx.error(
            "invalid-value",
            raw.span(),
            format!("`{d}` is too long to wait for the review of a break-glass grant"),
            "use at most `30d`; a day (`24h`, the default) is usual",
        );
        return default;
    }
    d
}

fn optional_duration(cx: &mut Ctx<'_>, v: &Option<S<String>>, default: u64) -> HumaneDuration {
    v.as_ref()
        .and_then(|v| duration(cx, v))
        .unwrap_or(HumaneDuration::from_seconds(default))
}

/// `settings.managed_permission_sets`: valid names, each once, known to the directory when
/// it is given. An unknown name is reported but kept.
fn managed_permission_sets(cx: &mut Ctx<'_>, directory: Option<&Directory>, names: &[S<String>]) -> Vec<String> {
    let mut managed: Vec<String> = Vec::new();
    for p in names {
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
    managed
}

fn max_removals_per_run(cx: &mut Ctx<'_>, v: &Option<S<i64>>) -> u64 {
    match v {
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
    }
}

/// IAM Identity Center's quota of outstanding asynchronous assignment writes (issue 11
/// item 5): each change the reconciler makes at once is one until it is polled to an end.
pub const MAX_APPLY_CONCURRENCY: i64 = 10;

fn apply_concurrency(cx: &mut Ctx<'_>, v: &Option<S<i64>>) -> usize {
    match v {
        Some(n) if (1..=MAX_APPLY_CONCURRENCY).contains(n.get_ref()) => *n.get_ref() as usize,
        Some(n) => {
            cx.error(
                "invalid-value",
                n.span(),
                format!("`{}` is not a concurrency", n.get_ref()),
                "use a whole number from 1 to 10 (IAM Identity Center allows at most 10 outstanding assignment changes)",
            );
            4
        }
        None => 4,
    }
}

fn end_sessions(cx: &mut Ctx<'_>, v: &Option<S<String>>) -> EndSessions {
    let Some(v) = v else { return EndSessions::default() };
    EndSessions::parse(v.get_ref()).unwrap_or_else(|| {
        cx.error(
            "invalid-value",
            v.span(),
            format!("`{}` is not a way to end sessions", v.get_ref()),
            "use \"on-revoke\" (the default), \"at-end\" or \"never\"",
        );
        EndSessions::default()
    })
}

impl EligibilityRule {
    /// Validates one `[[eligibility]]` rule; `ids` holds the ids of the rules before it.
    fn from_raw(
        r: RawEligibility,
        directory: Option<&Directory>,
        settings: &Settings,
        ids: &mut HashSet<String>,
        cx: &mut Ctx<'_>,
    ) -> EligibilityRule {
        unique_id(cx, ids, &r.id, "eligibility");
        let principals = principals(cx, directory, &r.principals);
        let targets = targets(
            cx,
            directory,
            &r.accounts,
            &r.ous,
            r.include_child_ous,
            Some(&r.permission_sets),
            settings,
        );
        if r.accounts.as_ref().is_none_or(Vec::is_empty) && r.ous.as_ref().is_none_or(Vec::is_empty) {
            cx.error(
                "rule-without-targets",
                r.id.span(),
                format!("eligibility rule `{}` names no accounts and no OUs", r.id.get_ref()),
                "add `accounts = [...]` or `ous = [...]`; a rule covering nothing grants nothing",
            );
        }
        let max_duration = rule_max_duration(cx, &r.max_duration, settings);
        let approval = approval_mode(cx, &r.approval, &r.id);
        let emergency = r.emergency.unwrap_or(false);
        if emergency {
            emergency_rule_terms(cx, &r, max_duration.is_some());
        }
        EligibilityRule {
            id: r.id.get_ref().clone(),
            principals,
            targets,
            max_duration,
            approval,
            allow_management_account: r.allow_management_account.unwrap_or(false),
            emergency,
            span: r.id.span(),
        }
    }
}

/// A break-glass rule says how long its grants last, and is approved without reviews by
/// definition: `approval = "required"` on it contradicts what it is.
fn emergency_rule_terms(cx: &mut Ctx<'_>, r: &RawEligibility, has_max: bool) {
    if !has_max && r.max_duration.is_none() {
        cx.error(
            "emergency-rule-without-max-duration",
            r.id.span(),
            format!(
                "emergency rule `{}` has no max_duration of its own",
                r.id.get_ref()
            ),
            "add a short `max_duration` (e.g. \"1h\"): break-glass access is granted without review, so it must not last",
        );
    }
    if let Some(a) = r.approval.as_ref().filter(|a| a.get_ref() == "required") {
        cx.error(
            "emergency-rule-requires-approval",
            a.span(),
            format!(
                "emergency rule `{}` says `approval = \"required\"`, but break-glass requests are granted before any review",
                r.id.get_ref()
            ),
            "remove `approval` from the rule (its requests are reviewed after the fact), or remove `emergency = true`",
        );
    }
}

/// A rule's principals; unparsable ones and groups the directory lacks are reported and left out.
fn principals(cx: &mut Ctx<'_>, directory: Option<&Directory>, raw: &[S<String>]) -> Vec<Principal> {
    let mut principals = Vec::new();
    for p in raw {
        match Principal::parse(p.get_ref()) {
            Some(Principal::IdcGroup(g)) if directory.is_some_and(|d| d.group(&g).is_none()) => {
                cx.error(
                    "unknown-group",
                    p.span(),
                    format!("Identity Center group `{g}` is not in the directory"),
                    "add the group to policies/directory.toml (`gitgrant directory sync` writes groups used by rules)",
                );
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
    principals
}

/// A rule's own `max_duration`, warned about when it is longer than the settings' maximum.
fn rule_max_duration(cx: &mut Ctx<'_>, raw: &Option<S<String>>, settings: &Settings) -> Option<HumaneDuration> {
    let rule_max = raw.as_ref().and_then(|m| duration(cx, m));
    if let (Some(m), Some(raw_m)) = (rule_max, raw)
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
    rule_max
}

/// A rule's `approval` key: `required` (the default) or `none`.
fn approval_mode(cx: &mut Ctx<'_>, raw: &Option<S<String>>, id: &S<String>) -> ApprovalMode {
    match raw.as_ref().map(|a| a.get_ref().as_str()) {
        None | Some("required") => ApprovalMode::Required,
        Some("none") => ApprovalMode::None,
        Some(other) => {
            let span = raw.as_ref().map(|a| a.span()).unwrap_or(id.span());
            cx.error(
                "invalid-approval-mode",
                span,
                format!("`{other}` is not an approval mode"),
                "use `required` or `none`",
            );
            ApprovalMode::Required
        }
    }
}

impl ApprovalRule {
    /// Validates one `[[approval]]` rule; `ids` holds the ids of the approval rules before it.
    fn from_raw(
        r: RawApproval,
        directory: Option<&Directory>,
        settings: &Settings,
        ids: &mut HashSet<String>,
        cx: &mut Ctx<'_>,
    ) -> ApprovalRule {
        unique_id(cx, ids, &r.id, "approval");
        let targets = targets(
            cx,
            directory,
            &r.accounts,
            &r.ous,
            Some(true),
            r.permission_sets.as_ref(),
            settings,
        );
        let min_approvals = min_approvals(cx, &r.min_approvals);
        let all_accounts = r.accounts.as_ref().is_none_or(Vec::is_empty) && r.ous.as_ref().is_none_or(Vec::is_empty);
        ApprovalRule {
            id: r.id.get_ref().clone(),
            all_accounts,
            targets,
            min_approvals,
            span: r.id.span(),
        }
    }
}

fn min_approvals(cx: &mut Ctx<'_>, raw: &S<i64>) -> u32 {
    let n = *raw.get_ref();
    if (1..=10).contains(&n) {
        n as u32
    } else {
        cx.error(
            "invalid-min-approvals",
            raw.span(),
            format!("`{n}` is not a valid number of approvals"),
            "use a whole number from 1 to 10",
        );
        1
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

pub(super) fn unique_id(cx: &mut Ctx<'_>, seen: &mut HashSet<String>, id: &S<String>, kind: &str) {
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

/// Which accounts, OUs and permission sets a rule covers, resolved against the directory
/// when it is given. Entries that fail their checks are reported and left out.
fn targets(
    cx: &mut Ctx<'_>,
    directory: Option<&Directory>,
    accounts: &Option<Vec<S<String>>>,
    ous: &Option<Vec<S<String>>>,
    include_child_ous: Option<bool>,
    permission_sets: Option<&Vec<S<String>>>,
    settings: &Settings,
) -> Targets {
    let account_ids = target_accounts(cx, directory, accounts.iter().flatten());
    let ou_paths = target_ous(cx, directory, ous.iter().flatten());
    let permission_sets = permission_sets.map(|sets| target_permission_sets(cx, directory, sets, settings));
    Targets {
        account_ids,
        ou_paths,
        include_child_ous: include_child_ous.unwrap_or(false),
        permission_sets,
    }
}

/// Account references (names or ids) as account ids.
fn target_accounts<'a>(
    cx: &mut Ctx<'_>,
    directory: Option<&Directory>,
    accounts: impl Iterator<Item = &'a S<String>>,
) -> std::collections::BTreeSet<String> {
    let mut ids = std::collections::BTreeSet::new();
    for a in accounts {
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
                Some(acct) => {
                    ids.insert(acct.id.clone());
                }
                None => cx.error(
                    "unknown-account",
                    a.span(),
                    format!("account `{}` is not in the directory", a.get_ref()),
                    "use an account name or id from policies/directory.toml",
                ),
            },
            None => {
                ids.insert(a.get_ref().clone());
            }
        }
    }
    ids
}

/// OU references (paths or ids) as OU paths.
fn target_ous<'a>(
    cx: &mut Ctx<'_>,
    directory: Option<&Directory>,
    ous: impl Iterator<Item = &'a S<String>>,
) -> Vec<String> {
    let mut paths = Vec::new();
    for o in ous {
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
                Some(ou) => paths.push(ou.path.clone()),
                None => cx.error(
                    "unknown-ou",
                    o.span(),
                    format!("OU `{}` is not in the directory", o.get_ref()),
                    "use an OU path (`Workloads/Prod`) or id from policies/directory.toml",
                ),
            },
            None => paths.push(o.get_ref().clone()),
        }
    }
    paths
}

/// Permission set names a rule lists: valid, known to the directory when it is given, and
/// managed (an unmanaged one is reported but kept).
fn target_permission_sets(
    cx: &mut Ctx<'_>,
    directory: Option<&Directory>,
    permission_sets: &[S<String>],
    settings: &Settings,
) -> Vec<String> {
    let mut sets = Vec::new();
    for p in permission_sets {
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
        sets.push(p.get_ref().clone());
    }
    sets
}
