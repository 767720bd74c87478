//! The ledger (DESIGN 6): events appended as JSON lines to the orphan branch
//! `gitgrant-ledger`, one commit per run. This module is the pure model: event types,
//! parsing with per-line errors (a corrupt line is reported, never fatal), and the
//! indexes read from it (assignments gitgrant owns, revocations, which PR merged a path,
//! every request id ever seen).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const BRANCH: &str = "gitgrant-ledger";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Requested,
    Approved,
    ChangesRequested,
    ClosedUnmerged,
    Merged,
    Revoked,
    /// Written before an assignment is created, so that a run stopped between creating it
    /// and recording it still leaves gitgrant owning it (and so removing it on time).
    Assigning,
    Activated,
    Ended,
    Failed,
    Drift,
    /// GitHub authenticated `actor` as pushing `head_sha` to PR `pr` (the `sender` of a
    /// `pull_request` opened/synchronize/reopened event): a pusher cannot approve the PR.
    Pushed,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Requested => "requested",
            Kind::Approved => "approved",
            Kind::ChangesRequested => "changes_requested",
            Kind::ClosedUnmerged => "closed_unmerged",
            Kind::Merged => "merged",
            Kind::Revoked => "revoked",
            Kind::Assigning => "assigning",
            Kind::Activated => "activated",
            Kind::Ended => "ended",
            Kind::Failed => "failed",
            Kind::Drift => "drift",
            Kind::Pushed => "pushed",
        }
    }
}

/// One ledger event. Fields not relevant to a kind are absent from its JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Event {
    pub at: Option<DateTime<Utc>>,
    pub kind: Option<Kind>,
    /// Request file path on the default branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_set: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_set_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Activated: the assignment's end by the request's window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    /// Identity Center's request id for a create or delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment_request_id: Option<String>,
    /// Why: an end reason (expired, revoked, not-eligible, drift), a note, an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_commit: Option<String>,
    /// Pushed: the head commit the push made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Merged: the replay snapshot that approved it (DESIGN 4.8 shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<serde_json::Value>,
}

impl Event {
    pub fn new(kind: Kind, at: DateTime<Utc>) -> Event {
        Event {
            at: Some(at),
            kind: Some(kind),
            ..Event::default()
        }
    }

    pub fn to_line(&self) -> String {
        // serializing plain data cannot fail
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A ledger line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub file: String,
    pub line: usize,
    pub error: String,
}

/// Every event of the ledger, in order, and the lines that could not be read.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub events: Vec<Event>,
    pub bad_lines: Vec<BadLine>,
}

/// The key of an Identity Center user assignment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AssignmentKey {
    pub account_id: String,
    pub permission_set_arn: String,
    pub user_id: String,
}

/// An assignment gitgrant created and has not ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub key: AssignmentKey,
    /// The requests it was created or kept for.
    pub requests: BTreeSet<String>,
    pub ends_at: Option<DateTime<Utc>>,
    pub user_name: Option<String>,
    pub permission_set: Option<String>,
}

impl Ledger {
    /// Parses JSON-lines files (name, text) in order. Blank lines are skipped.
    pub fn parse<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Ledger {
        let mut l = Ledger::default();
        for (name, text) in files {
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Event>(line) {
                    Ok(e) if e.kind.is_some() && e.at.is_some() => l.events.push(e),
                    Ok(_) => l.bad_lines.push(BadLine {
                        file: name.to_string(),
                        line: i + 1,
                        error: "event has no `kind` or `at`".into(),
                    }),
                    Err(e) => l.bad_lines.push(BadLine {
                        file: name.to_string(),
                        line: i + 1,
                        error: e.to_string(),
                    }),
                }
            }
        }
        l
    }

    fn key_of(e: &Event) -> Option<AssignmentKey> {
        Some(AssignmentKey {
            account_id: e.account_id.clone()?,
            permission_set_arn: e.permission_set_arn.clone()?,
            user_id: e.user_id.clone()?,
        })
    }

    /// Assignments gitgrant created (or was about to create: `assigning`) and has not ended
    /// since. A create that failed outright gives up a claim that was only an intent.
    pub fn owned(&self) -> BTreeMap<AssignmentKey, Owned> {
        let mut owned: BTreeMap<AssignmentKey, Owned> = BTreeMap::new();
        let mut confirmed: BTreeSet<AssignmentKey> = BTreeSet::new();
        for e in &self.events {
            let Some(key) = Self::key_of(e) else { continue };
            match e.kind {
                Some(Kind::Failed)
                    if e.reason.as_deref().is_some_and(|r| r.starts_with("create:")) && !confirmed.contains(&key) =>
                {
                    owned.remove(&key);
                }
                Some(Kind::Activated | Kind::Assigning) => {
                    if e.kind == Some(Kind::Activated) {
                        confirmed.insert(key.clone());
                    }
                    let entry = owned.entry(key.clone()).or_insert_with(|| Owned {
                        key,
                        requests: BTreeSet::new(),
                        ends_at: None,
                        user_name: e.user_name.clone(),
                        permission_set: e.permission_set.clone(),
                    });
                    if let Some(r) = &e.request {
                        entry.requests.insert(r.clone());
                    }
                    entry.ends_at = match (entry.ends_at, e.ends_at) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                }
                Some(Kind::Ended) => {
                    owned.remove(&key);
                    confirmed.remove(&key);
                }
                _ => {}
            }
        }
        owned
    }

    /// Request paths revoked through the ledger (`/revoke` comments): final.
    pub fn revoked(&self) -> BTreeMap<String, &Event> {
        self.events
            .iter()
            .filter(|e| e.kind == Some(Kind::Revoked))
            .filter_map(|e| Some((e.request.clone()?, e)))
            .collect()
    }

    /// Which PR merged each request path (the latest merge wins).
    pub fn merged_by(&self) -> BTreeMap<String, &Event> {
        let mut out = BTreeMap::new();
        for e in self.events.iter().filter(|e| e.kind == Some(Kind::Merged)) {
            for p in &e.paths {
                out.insert(p.clone(), e);
            }
        }
        out
    }

    /// Every request id the ledger has seen.
    pub fn request_ids(&self) -> BTreeSet<String> {
        self.events.iter().filter_map(|e| e.request_id.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn corrupt_lines_are_reported_and_the_rest_is_read() {
        let text = "{\"at\":\"2026-11-22T12:00:00Z\",\"kind\":\"activated\",\"account_id\":\"1\",\"permission_set_arn\":\"a\",\"user_id\":\"u\",\"request\":\"r1\"}\n{\"at\": \"2026-11\n\n{\"kind\":\"ended\"}\n";
        let l = Ledger::parse([("events/2026-11.jsonl", text)]);
        assert_eq!(l.events.len(), 1);
        assert_eq!(l.bad_lines.iter().map(|b| b.line).collect::<Vec<_>>(), vec![2, 4]);
        assert_eq!(l.owned().len(), 1);
    }

    #[test]
    fn ownership_follows_activations_and_ends() {
        let mut a = Event::new(Kind::Activated, t("2026-11-22T12:00:00Z"));
        a.account_id = Some("111122223333".into());
        a.permission_set_arn = Some("arn".into());
        a.user_id = Some("u-1".into());
        a.request = Some("requests/x/P/a.toml".into());
        a.ends_at = Some(t("2026-11-22T14:00:00Z"));
        let mut b = a.clone();
        b.request = Some("requests/x/P/b.toml".into());
        b.ends_at = Some(t("2026-11-22T16:00:00Z"));
        let mut end = a.clone();
        end.kind = Some(Kind::Ended);
        let lines = [a.to_line(), b.to_line()].join("\n");
        let l = Ledger::parse([("f", lines.as_str())]);
        let owned = l.owned();
        let o = owned.values().next().unwrap();
        assert_eq!(o.requests.len(), 2);
        assert_eq!(o.ends_at, Some(t("2026-11-22T16:00:00Z")));
        let lines = [a.to_line(), b.to_line(), end.to_line()].join("\n");
        assert!(Ledger::parse([("f", lines.as_str())]).owned().is_empty());
    }
}
