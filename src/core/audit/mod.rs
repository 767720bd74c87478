//! The audit join (DESIGN 6), pure: the history of `requests/` on the default branch and
//! the ledger's events become one row per request, with its decisions, activation, end
//! and a status (docs/audit.md). Nothing is dropped: what cannot be read or joined is a
//! problem on its row or in the report, never a missing row. No I/O, no clock.
//!
//! `types` holds the data, `history` turns the branch's history into stays of each path,
//! `join` places the ledger's events on them, `row` builds each row.

pub mod compact;
pub mod filter;
mod history;
pub mod html;
mod join;
pub mod render;
mod row;
pub mod status;
mod types;
pub mod verify;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

pub use history::pr_from_subject;
pub use join::build;
pub use types::{
    ChangeKind, Commit, Failure, History, HistoryCommit, Input, PathChange, Report, Review, Row, Status, Verdict,
    Verification,
};

pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A commit id shortened to 7 characters, for messages.
pub fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// Time left until `end`, as `1h30m`.
pub fn humane(d: TimeDelta) -> String {
    let mut s = d.num_seconds().max(0);
    if s == 0 {
        return "0m".into();
    }
    let mut out = String::new();
    for (unit, n) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if s >= n {
            out.push_str(&format!("{}{unit}", s / n));
            s %= n;
        }
    }
    if out.is_empty() {
        out = format!("{s}s");
    }
    out
}

#[cfg(test)]
mod tests;
