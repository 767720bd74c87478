//! What the audit keeps of each ledger event (issue 10 item 5): rows read a merge's PR,
//! merge commit, paths, approval records' counted approvers and, failing those, the
//! reviews of its evidence; the rest of the replay snapshot (files, contents, the PR's
//! body, check runs...) is dropped as each event is parsed, so the audit's memory follows its
//! rows, not the ledger's bytes. The index deltas are kept: they are the history the audit
//! reads (docs/decisions/0019). `--verify` keeps the evidence.

use serde_json::{Map, Value};

use crate::core::ledger::{Event, Kind};

/// The review fields the audit's rows read (`row::evidence_approvals`).
const REVIEW_FIELDS: [&str; 4] = ["state", "submitted_at", "body", "id"];

/// Drops from `e` what no audit row reads.
pub fn for_rows(e: &mut Event) {
    if let Some(d) = e.index.as_mut() {
        d.verdicts = Vec::new();
    }
    if e.kind != Some(Kind::Merged) {
        e.evidence = None;
        return;
    }
    e.evidence = e.evidence.take().map(|v| reviews_only(&v));
}

/// The evidence's `reviews`, each with only its reviewer's login, state, time, body and id.
fn reviews_only(evidence: &Value) -> Value {
    let Some(reviews) = evidence.get("reviews").and_then(Value::as_array) else {
        return Value::Object(Map::new());
    };
    let kept: Vec<Value> = reviews
        .iter()
        .map(|r| {
            let mut out = Map::new();
            if let Some(login) = r.pointer("/user/login") {
                let mut user = Map::new();
                user.insert("login".into(), login.clone());
                out.insert("user".into(), Value::Object(user));
            }
            for f in REVIEW_FIELDS {
                if let Some(v) = r.get(f) {
                    out.insert(f.into(), v.clone());
                }
            }
            Value::Object(out)
        })
        .collect();
    let mut out = Map::new();
    out.insert("reviews".into(), Value::Array(kept));
    Value::Object(out)
}
