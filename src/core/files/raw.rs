//! Raw file types: what serde reads from each TOML file kind, unknown fields refused,
//! values kept with their source spans. Validation turns these into the `model` types.

use serde::Deserialize;
use toml::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    pub requester: S<String>,
    pub account: S<String>,
    pub permission_set: S<String>,
    /// A TOML datetime, or a string holding an RFC 3339 date-time.
    #[serde(default)]
    pub start: Option<S<toml::Value>>,
    pub duration: S<String>,
    pub reason: S<String>,
    #[serde(default)]
    pub ticket: Option<S<String>>,
    /// Break-glass (issue 13 item 2): granted at once under an emergency rule, reviewed after.
    #[serde(default)]
    pub emergency: Option<S<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccess {
    pub settings: S<RawSettings>,
    #[serde(default)]
    pub eligibility: Vec<S<RawEligibility>>,
    #[serde(default)]
    pub approval: Vec<S<RawApproval>>,
    #[serde(default)]
    pub notify: Vec<S<RawNotify>>,
}

/// `[[notify]]`: where ledger events are announced (issue 13 item 3).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    pub id: S<String>,
    pub kind: S<String>,
    pub url_env: S<String>,
    #[serde(default)]
    pub secret_env: Option<S<String>>,
    #[serde(default)]
    pub events: Option<Vec<S<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub max_duration: S<String>,
    #[serde(default)]
    pub require_ticket: Option<bool>,
    #[serde(default)]
    pub require_approval_note: Option<bool>,
    #[serde(default)]
    pub pending_timeout: Option<S<String>>,
    #[serde(default)]
    pub max_start_ahead: Option<S<String>>,
    pub managed_permission_sets: Vec<S<String>>,
    #[serde(default)]
    pub max_removals_per_run: Option<S<i64>>,
    #[serde(default)]
    pub remove_drift: Option<bool>,
    #[serde(default)]
    pub apply_concurrency: Option<S<i64>>,
    #[serde(default)]
    pub end_sessions: Option<S<String>>,
    #[serde(default)]
    pub emergency_review_within: Option<S<String>>,
    #[serde(default)]
    pub emergency_require_ticket: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEligibility {
    pub id: S<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub principals: Vec<S<String>>,
    #[serde(default)]
    pub accounts: Option<Vec<S<String>>>,
    #[serde(default)]
    pub ous: Option<Vec<S<String>>>,
    #[serde(default)]
    pub include_child_ous: Option<bool>,
    pub permission_sets: Vec<S<String>>,
    #[serde(default)]
    pub max_duration: Option<S<String>>,
    #[serde(default)]
    pub approval: Option<S<String>>,
    #[serde(default)]
    pub allow_management_account: Option<bool>,
    /// Whether the rule allows only break-glass requests (`emergency = true`).
    #[serde(default)]
    pub emergency: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApproval {
    pub id: S<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub accounts: Option<Vec<S<String>>>,
    #[serde(default)]
    pub ous: Option<Vec<S<String>>>,
    #[serde(default)]
    pub permission_sets: Option<Vec<S<String>>>,
    pub min_approvals: S<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIdentities {
    #[serde(default)]
    pub user_name_template: Option<S<String>>,
    #[serde(default)]
    pub users: std::collections::BTreeMap<S<String>, S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDirectory {
    pub synced_at: S<toml::Value>,
    pub instance_arn: S<String>,
    pub identity_store_id: S<String>,
    /// The organization's management account (`gitgrant directory sync` writes it).
    #[serde(default)]
    pub management_account: Option<S<String>>,
    #[serde(default)]
    pub ou: Vec<S<RawOu>>,
    #[serde(default)]
    pub account: Vec<S<RawAccount>>,
    #[serde(default)]
    pub permission_set: Vec<S<RawPermissionSet>>,
    #[serde(default)]
    pub group: Vec<S<RawGroup>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOu {
    pub id: S<String>,
    pub path: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccount {
    pub id: S<String>,
    pub name: S<String>,
    pub ou: S<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPermissionSet {
    pub name: S<String>,
    pub arn: S<String>,
    #[serde(default)]
    pub session_duration: Option<S<String>>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub name: S<String>,
    #[serde(default)]
    pub id: Option<String>,
    pub members: Vec<S<String>>,
}
