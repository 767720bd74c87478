//! Row filters of `gitgrant audit`: a time range that a row's window or any of its events
//! falls in, the requester, the account (name or id) and the status. Pure.

use chrono::{DateTime, Utc};

use super::{Row, Status};

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Rows whose window or events fall in `[since, until)`.
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// The requester's GitHub login (case-insensitive).
    pub user: Option<String>,
    /// Account name or 12-digit id.
    pub account: Option<String>,
    /// Any of these statuses (empty: all).
    pub statuses: Vec<Status>,
}

/// Every instant recorded for a row: its events and commits.
fn instants(r: &Row) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    [
        r.requested_at,
        r.merged_at,
        r.added_at,
        r.removed_at,
        r.closed_at,
        r.revoked_at,
        r.activated_at,
        r.ended_at,
    ]
    .into_iter()
    .flatten()
    .chain(r.approvals.iter().chain(&r.rejections).filter_map(|a| a.at))
    .chain(r.failures.iter().map(|f| f.at))
}

impl Filter {
    fn in_range(&self, t: DateTime<Utc>) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }

    fn window_overlaps(&self, r: &Row) -> bool {
        match (r.start, r.end) {
            (Some(s), Some(e)) => self.since.is_none_or(|since| e > since) && self.until.is_none_or(|until| s < until),
            (Some(s), None) => self.in_range(s),
            _ => false,
        }
    }

    pub fn keeps(&self, r: &Row) -> bool {
        let time_ok = (self.since.is_none() && self.until.is_none())
            || self.window_overlaps(r)
            || instants(r).any(|t| self.in_range(t));
        let user_ok = self
            .user
            .as_deref()
            .is_none_or(|u| r.requester.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(u)));
        let account_ok = self.account.as_deref().is_none_or(|a| {
            r.account.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(a)) || r.account_id.as_deref() == Some(a)
        });
        let status_ok = self.statuses.is_empty() || self.statuses.contains(&r.status);
        time_ok && user_ok && account_ok && status_ok
    }

    pub fn apply(&self, rows: Vec<Row>) -> Vec<Row> {
        rows.into_iter().filter(|r| self.keeps(r)).collect()
    }
}
