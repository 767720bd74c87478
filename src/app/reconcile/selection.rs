//! Which requests one reconcile run verifies (DESIGN 11, "only live work costs"): the
//! window of each request on the default branch from its file, or from the approval record
//! of the same blob when the file names no start; the paths behind assignments gitgrant
//! owns always. A file whose blob's approval record already says its window is long over is
//! not even read. The rule itself is `core::reconcile::live`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};

use crate::core::ledger::{Kind, Ledger};
use crate::core::model::policy::Policy;
use crate::core::model::request::Request;
use crate::core::reconcile::live;

/// What the selection reads, gathered from the ledger once per run.
pub struct Selection {
    owned: BTreeSet<String>,
    /// (path, blob) -> the recorded window.
    recorded: BTreeMap<(String, String), (DateTime<Utc>, DateTime<Utc>)>,
    at: DateTime<Utc>,
    longest: Duration,
}

impl Selection {
    pub fn new(ledger: &Ledger, policy: &Policy, at: DateTime<Utc>) -> Selection {
        let owned = ledger.owned().into_values().flat_map(|o| o.requests).collect();
        let mut recorded = BTreeMap::new();
        for e in ledger.events.iter().filter(|e| e.kind == Some(Kind::Merged)) {
            for r in &e.records {
                recorded.insert((r.path.clone(), r.blob.clone()), (r.start, r.end));
            }
        }
        Selection {
            owned,
            recorded,
            at,
            longest: live::longest_session(policy),
        }
    }

    /// Whether `path` holding `blob` may be live before its file is read: `false` only when
    /// the approval record of that very blob gives a window long over and no assignment the
    /// run owns is behind the path. A forged record can only make the run skip a request
    /// (never grant one): skipping is not granting.
    pub fn may_examine(&self, path: &str, blob: &str) -> bool {
        let window = self.recorded.get(&(path.to_string(), blob.to_string())).copied();
        live::is_live(window, self.owned.contains(path), self.at, self.longest)
    }

    /// Whether the run verifies `path` (holding `blob`, parsed as `request`).
    pub fn examines(&self, path: &str, blob: Option<&str>, request: &Request) -> bool {
        let window = match request.start {
            Some(start) => Some((start, start + request.duration.to_chrono())),
            None => blob.and_then(|b| self.recorded.get(&(path.to_string(), b.to_string())).copied()),
        };
        live::is_live(window, self.owned.contains(path), self.at, self.longest)
    }
}
