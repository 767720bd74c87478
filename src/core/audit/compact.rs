//! The audit's own form of the ledger (issue 10 item 5): each event as it is parsed becomes
//! an `AuditEvent` holding only what the join and the rows read (kind, time, request, PR,
//! actor, reason, review id, paths; a merge's commit, counted approvers and the approvals of
//! its evidence; an activation's user, account and end), so the audit's memory follows its
//! rows, not the ledger's bytes. Events no row reads (drift, intents, unknown outcomes,
//! pushes, the index) are not kept; the index deltas are, apart (they are the history the
//! audit reads, docs/decisions/0019), without their verdicts. `--verify` keeps each merge's
//! evidence whole (it re-decides from it).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::types::Review;
use crate::core::gate::record::{ApprovalRecord, RecordApprover};
use crate::core::index::IndexDelta;
use crate::core::ledger::{BadLine, Event, EventSink, Evidence, Kind, Ledger};

/// One ledger event as the audit reads it. The fields are the ledger event's, of the same
/// meaning; those of a merge and of an activation are held apart (most events have none).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditEvent {
    pub at: Option<DateTime<Utc>>,
    pub kind: Option<Kind>,
    pub request: Option<String>,
    pub pr: Option<u64>,
    pub actor: Option<String>,
    /// A review's note, why a PR was closed, an end's, a revocation's or a failure's reason.
    pub reason: Option<String>,
    pub review_id: Option<u64>,
    /// The paths a merge or a PR closed unmerged names.
    pub paths: Vec<String>,
    pub merge: Option<Box<MergeFacts>>,
    pub assignment: Option<Box<AssignmentFacts>>,
}

/// What a `merged` event says that rows read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MergeFacts {
    pub merge_commit: Option<String>,
    /// Each approval record's path and counted approvers (DESIGN 10.3).
    pub records: Vec<CountedApprovers>,
    /// The approving reviews of the evidence, latest per reviewer (what a row shows when the
    /// ledger recorded no review events); empty without evidence.
    pub evidence_approvals: Vec<Review>,
    /// The whole evidence, kept for `--verify` only.
    pub evidence: Option<Evidence>,
}

/// The approvers an approval record counted for one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedApprovers {
    pub path: String,
    pub approvers: Vec<RecordApprover>,
    /// A break-glass grant: when its review after the fact is due.
    pub emergency_review_due: Option<DateTime<Utc>>,
}

/// What an `activated` or `failed` event says of the assignment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AssignmentFacts {
    pub account_id: Option<String>,
    pub user_name: Option<String>,
    pub ends_at: Option<DateTime<Utc>>,
    /// An activation a later run recorded: the earliest it can have started.
    pub started_after: Option<DateTime<Utc>>,
}

impl AuditEvent {
    pub fn merge_commit(&self) -> Option<&String> {
        self.merge.as_ref().and_then(|m| m.merge_commit.as_ref())
    }

    pub fn records(&self) -> &[CountedApprovers] {
        self.merge.as_ref().map_or(&[], |m| m.records.as_slice())
    }

    /// The merge's whole evidence (kept with `--verify` only).
    pub fn evidence(&self) -> Option<&Evidence> {
        self.merge.as_ref().and_then(|m| m.evidence.as_ref())
    }

    pub fn account_id(&self) -> Option<&String> {
        self.assignment.as_ref().and_then(|a| a.account_id.as_ref())
    }

    pub fn user_name(&self) -> Option<&String> {
        self.assignment.as_ref().and_then(|a| a.user_name.as_ref())
    }

    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.assignment.as_ref().and_then(|a| a.ends_at)
    }

    pub fn started_after(&self) -> Option<DateTime<Utc>> {
        self.assignment.as_ref().and_then(|a| a.started_after)
    }
}

/// Whether rows read events of `kind` at all (`join::sort_ledger_events` places no other).
fn placed(kind: Kind) -> bool {
    match kind {
        Kind::Requested
        | Kind::Approved
        | Kind::ChangesRequested
        | Kind::Merged
        | Kind::ClosedUnmerged
        | Kind::Revoked
        | Kind::Activated
        | Kind::Ended
        | Kind::Failed
        | Kind::Reviewed => true,
        Kind::ReviewOverdue
        | Kind::Drift
        | Kind::Assigning
        | Kind::Unknown
        | Kind::Pushed
        | Kind::Indexed
        | Kind::SessionsEnded
        | Kind::SessionsReleased
        | Kind::Notified
        | Kind::NotifyFailed => false,
    }
}

/// The audit's form of `e`, `None` for an event no row reads. `evidence`: keep a merge's
/// evidence whole (`--verify`).
pub fn audit_event(e: Event, evidence: bool) -> Option<AuditEvent> {
    let kind = e.kind?;
    if !placed(kind) {
        return None;
    }
    let merge = (kind == Kind::Merged).then(|| Box::new(merge_facts(e.merge_commit, e.records, e.evidence, evidence)));
    let assignment = matches!(kind, Kind::Activated | Kind::Failed).then(|| {
        Box::new(AssignmentFacts {
            account_id: e.account_id,
            user_name: e.user_name,
            ends_at: e.ends_at,
            started_after: e.started_after,
        })
    });
    let reads_reason = !matches!(kind, Kind::Requested | Kind::Merged | Kind::Activated);
    let reads_paths = matches!(kind, Kind::Merged | Kind::ClosedUnmerged);
    Some(AuditEvent {
        at: e.at,
        kind: e.kind,
        request: e.request,
        pr: e.pr,
        actor: e.actor,
        reason: if reads_reason { e.reason } else { None },
        review_id: e.review_id,
        paths: if reads_paths { e.paths } else { Vec::new() },
        merge,
        assignment,
    })
}

fn merge_facts(
    merge_commit: Option<String>,
    records: Vec<ApprovalRecord>,
    evidence: Option<Evidence>,
    keep_evidence: bool,
) -> MergeFacts {
    MergeFacts {
        merge_commit,
        records: records
            .into_iter()
            .map(|r| CountedApprovers {
                path: r.path,
                approvers: r.approvers,
                emergency_review_due: r.emergency_review_due,
            })
            .collect(),
        evidence_approvals: evidence.as_ref().map(evidence_approvals).unwrap_or_default(),
        evidence: if keep_evidence { evidence } else { None },
    }
}

/// The one part of a merge's evidence a row reads: its reviews (GitHub's review JSON).
#[derive(serde::Deserialize)]
struct EvidenceReviews {
    #[serde(default)]
    reviews: Value,
}

/// Approving reviews in a merge's evidence, latest per reviewer. Evidence that does not
/// read as an object has none.
fn evidence_approvals(evidence: &Evidence) -> Vec<Review> {
    let reviews = evidence
        .parse::<EvidenceReviews>()
        .map(|e| e.reviews)
        .unwrap_or_default();
    let mut latest: BTreeMap<String, Review> = BTreeMap::new();
    let mut states: BTreeMap<String, String> = BTreeMap::new();
    for r in reviews.as_array().into_iter().flatten() {
        let Some(login) = r.pointer("/user/login").and_then(|v| v.as_str()) else {
            continue;
        };
        let state = r.get("state").and_then(|v| v.as_str()).unwrap_or("");
        if state == "COMMENTED" || state == "PENDING" {
            continue;
        }
        let at = r
            .get("submitted_at")
            .and_then(|v| v.as_str())
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc));
        let key = login.to_ascii_lowercase();
        states.insert(key.clone(), state.to_string());
        latest.insert(
            key,
            Review {
                by: login.to_string(),
                at,
                note: r.get("body").and_then(|v| v.as_str()).unwrap_or("").to_string(),
                review_id: r.get("id").and_then(|v| v.as_u64()),
            },
        );
    }
    let mut out: Vec<Review> = latest
        .into_iter()
        .filter(|(k, _)| states.get(k).map(String::as_str) == Some("APPROVED"))
        .map(|(_, r)| r)
        .collect();
    out.sort_by(|a, b| a.at.cmp(&b.at).then(a.by.cmp(&b.by)));
    // held for every merge: no spare capacity
    out.shrink_to_fit();
    out
}

/// The ledger as the audit holds it: its events in ledger order (those rows read), the
/// lines that could not be read, and the index deltas in ledger order.
#[derive(Debug, Clone, Default)]
pub struct AuditLedger {
    pub events: Vec<AuditEvent>,
    pub bad_lines: Vec<BadLine>,
    /// The delta of every event that carries one, in ledger order, without its verdicts.
    pub deltas: Vec<IndexDelta>,
    /// Keep each merge's evidence whole (`--verify`).
    pub keep_evidence: bool,
}

impl AuditLedger {
    /// An empty ledger to read into; `keep_evidence` for `--verify`.
    pub fn new(keep_evidence: bool) -> Self {
        AuditLedger {
            keep_evidence,
            ..AuditLedger::default()
        }
    }

    /// The audit's form of a ledger already parsed.
    pub fn of(ledger: Ledger, keep_evidence: bool) -> Self {
        let mut l = AuditLedger::new(keep_evidence);
        l.reserve(ledger.events.len());
        for e in ledger.events {
            l.event(e);
        }
        l.bad_lines = ledger.bad_lines;
        l
    }
}

impl EventSink for AuditLedger {
    fn reserve(&mut self, lines: usize) {
        self.events.reserve_exact(lines);
    }

    fn event(&mut self, mut e: Event) {
        if let Some(mut d) = e.index.take() {
            d.verdicts = Vec::new();
            self.deltas.push(d);
        }
        if let Some(a) = audit_event(e, self.keep_evidence) {
            self.events.push(a);
        }
    }

    fn bad_line(&mut self, b: BadLine) {
        self.bad_lines.push(b);
    }
}
