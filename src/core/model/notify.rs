//! `[[notify]]` entries of policies/access.toml (issue 13 item 3), validated: where ledger
//! events are announced (Slack, Microsoft Teams, a generic signed webhook), which events,
//! and the names of the environment variables that hold the URL and the signing secret
//! (secrets, never in the repository).

use std::collections::HashSet;

use serde::Serialize;

use super::Ctx;
use crate::core::files::raw::{RawNotify, S};

/// How a target is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyKind {
    /// A Slack incoming webhook: JSON with `text` and `blocks`.
    Slack,
    /// A Microsoft Teams workflow webhook: an Adaptive Card message.
    Teams,
    /// Any HTTPS endpoint: gitgrant's JSON, HMAC-SHA256-signed when a secret is set.
    Webhook,
}

/// The events a target can ask for, as `events = [...]` names them.
pub const NOTIFY_EVENTS: [&str; 10] = [
    "requested",
    "approved",
    "rejected",
    "activated",
    "ended",
    "revoked",
    "emergency",
    "failed",
    "review_overdue",
    "sessions_ended",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotifyTarget {
    pub id: String,
    pub kind: NotifyKind,
    /// The environment variable holding the URL.
    pub url_env: String,
    /// Webhook only: the environment variable holding the HMAC key.
    pub secret_env: Option<String>,
    /// The events sent; every event when the entry names none.
    pub events: Vec<String>,
}

impl NotifyTarget {
    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

fn env_name(cx: &mut Ctx<'_>, v: &S<String>) -> bool {
    let name = v.get_ref();
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !ok {
        cx.error(
            "invalid-value",
            v.span(),
            format!("`{name}` is not an environment variable name"),
            "name the variable that holds the value, e.g. GITGRANT_SLACK_WEBHOOK (capitals, digits, _); never the URL itself",
        );
    }
    ok
}

/// Validates the `[[notify]]` entries; an invalid entry is reported and left out.
pub fn targets(raw: Vec<S<RawNotify>>, cx: &mut Ctx<'_>) -> Vec<NotifyTarget> {
    let mut ids = HashSet::new();
    raw.into_iter()
        .filter_map(|r| target(r.into_inner(), &mut ids, cx))
        .collect()
}

fn target(r: RawNotify, ids: &mut HashSet<String>, cx: &mut Ctx<'_>) -> Option<NotifyTarget> {
    let kind = match r.kind.get_ref().as_str() {
        "slack" => Some(NotifyKind::Slack),
        "teams" => Some(NotifyKind::Teams),
        "webhook" => Some(NotifyKind::Webhook),
        other => {
            cx.error(
                "invalid-value",
                r.kind.span(),
                format!("`{other}` is not a kind of notification"),
                "use \"slack\", \"teams\" or \"webhook\"",
            );
            None
        }
    };
    super::policy::unique_id(cx, ids, &r.id, "notify");
    let url_ok = env_name(cx, &r.url_env);
    let secret_ok = r.secret_env.as_ref().is_none_or(|s| env_name(cx, s));
    if let (Some(s), Some(k)) = (&r.secret_env, kind)
        && k != NotifyKind::Webhook
    {
        cx.error(
            "invalid-value",
            s.span(),
            "`secret_env` signs generic webhooks only".into(),
            "remove it, or use kind = \"webhook\"",
        );
    }
    let mut events = Vec::new();
    for e in r.events.iter().flatten() {
        if NOTIFY_EVENTS.contains(&e.get_ref().as_str()) {
            events.push(e.get_ref().clone());
        } else {
            cx.error(
                "invalid-value",
                e.span(),
                format!("`{}` is not an event gitgrant announces", e.get_ref()),
                "use requested, approved, rejected, activated, ended, revoked, emergency, failed, review_overdue or sessions_ended",
            );
        }
    }
    if r.events.is_none() {
        events = NOTIFY_EVENTS.iter().map(|e| e.to_string()).collect();
    }
    Some(NotifyTarget {
        id: r.id.into_inner(),
        kind: kind?,
        url_env: r.url_env.into_inner(),
        secret_env: r.secret_env.map(S::into_inner),
        events,
    })
    .filter(|_| url_ok && secret_ok)
}
