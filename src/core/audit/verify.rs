//! `gitgrant audit --verify`, pure: each merged row's evidence (the replay snapshot the
//! ledger stored with its merge, DESIGN 4.8) judged by the one evidence verifier the
//! reconciler uses (`core::gate::evidence`), rendered as the row's verification.

use super::{Row, Verdict, Verification};
use crate::core::gate::evidence::{self, EvidenceCheck, EvidenceVerdict, MergeEvidence};
use crate::core::rules::eligibility::Reason;

/// Parses a ledger event's evidence; the error is the row's reason.
pub fn parse(value: &crate::core::ledger::Evidence) -> Result<MergeEvidence, String> {
    evidence::parse_ledger_evidence(value).map_err(|r| format!("[{}] {}", r.code, r.message))
}

fn verdict(verdict: Verdict, decision: Option<&str>, reasons: Vec<String>) -> Verification {
    Verification {
        verdict,
        decision: decision.map(str::to_string),
        reasons,
    }
}

fn lines(reasons: &[Reason]) -> Vec<String> {
    reasons.iter().map(|r| format!("[{}] {}", r.code, r.message)).collect()
}

pub fn no_evidence() -> Verification {
    verdict(
        Verdict::Unverifiable,
        None,
        vec!["[no-approved-pr] the ledger holds no evidence for this merge".into()],
    )
}

pub fn unreadable(why: String) -> Verification {
    verdict(Verdict::Unverifiable, None, vec![why])
}

/// Verifies one row's evidence and says it as the audit does.
pub fn reverify(check: &EvidenceCheck<'_>) -> Verification {
    match evidence::verify(check) {
        EvidenceVerdict::Verified { approved_by, .. } => {
            let why = if approved_by.is_empty() {
                "auto-approved by policy".to_string()
            } else {
                format!("approved by {}", approved_by.join(", "))
            };
            verdict(Verdict::Ok, Some("approved"), vec![why])
        }
        EvidenceVerdict::Refused { decision, reasons } => {
            verdict(Verdict::Mismatch, decision.map(|d| d.as_str()), lines(&reasons))
        }
        EvidenceVerdict::Unverifiable(reasons) => verdict(Verdict::Unverifiable, None, lines(&reasons)),
    }
}

/// Whether a row's verification is a finding (exit 1): a mismatch, access that was granted
/// without evidence that can be re-decided, or a break-glass grant whose review after the
/// fact is overdue.
pub fn is_finding(r: &Row) -> bool {
    if r.emergency
        .as_ref()
        .is_some_and(|e| e.state == crate::core::emergency::ReviewState::Overdue)
    {
        return true;
    }
    match &r.verify {
        Some(v) => v.verdict == Verdict::Mismatch || (v.verdict == Verdict::Unverifiable && r.activated_at.is_some()),
        None => false,
    }
}
