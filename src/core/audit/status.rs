//! `gitgrant status`, pure: from the audit rows, what is open (with who can still
//! approve), scheduled, active (with the time left) and what ended in the last 24 hours,
//! as of a given time; rendered for people or as JSON.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::Value;

use super::render::printable;
use super::{Report, Row, Status, fmt_time, humane};

pub const RECENT: TimeDelta = TimeDelta::hours(24);

#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub at: DateTime<Utc>,
    pub open: Vec<Value>,
    pub scheduled: Vec<Value>,
    pub active: Vec<Value>,
    /// On the default branch but never granted (no approved PR, no longer eligible, ...),
    /// window not yet over: what `audit` calls `blocked`.
    pub blocked: Vec<Value>,
    pub recently_ended: Vec<Value>,
    /// Break-glass grants whose code owners' review after the fact is not in yet, not due.
    pub emergency_awaiting_review: Vec<Value>,
    /// Break-glass grants not reviewed by their due time (`audit --verify` findings).
    pub emergency_review_overdue: Vec<Value>,
    pub problems: Vec<String>,
}

fn is_open(r: &Row) -> bool {
    matches!(r.status, Status::Pending | Status::Approved | Status::Rejected)
        && r.closed_at.is_none()
        && r.added_commit.is_none()
        && r.merged_at.is_none()
}

/// When a row's access ended (or its grant failed), if it did.
pub fn ended_at(r: &Row) -> Option<DateTime<Utc>> {
    match r.status {
        Status::Expired | Status::Revoked | Status::Blocked | Status::Failed => r
            .ended_at
            .or(r.revoked_at)
            .or(if r.status == Status::Failed {
                r.failures.last().map(|f| f.at)
            } else {
                None
            })
            .or(if r.status == Status::Expired { r.end } else { None }),
        _ => None,
    }
}

fn with(r: &Row, extra: &[(&str, Value)]) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        for (k, x) in extra {
            m.insert(k.to_string(), x.clone());
        }
    }
    v
}

pub fn view(report: &Report, at: DateTime<Utc>) -> View {
    let mut v = View {
        at,
        open: vec![],
        scheduled: vec![],
        active: vec![],
        blocked: vec![],
        recently_ended: vec![],
        emergency_awaiting_review: vec![],
        emergency_review_overdue: vec![],
        problems: report.problems.clone(),
    };
    for r in &report.rows {
        emergency_review(r, at, &mut v);
        if is_open(r) {
            v.open.push(with(r, &[]));
        } else if r.status == Status::Scheduled {
            // a window already open and not yet granted says since when, never "in 0m"
            let starts_in = r.start.filter(|s| *s > at).map(|s| humane(s - at));
            let opened_ago = r.start.filter(|s| *s <= at).map(|s| humane(at - s));
            let value = |x: Option<String>| x.map(Value::from).unwrap_or(Value::Null);
            v.scheduled.push(with(
                r,
                &[("starts_in", value(starts_in)), ("opened_ago", value(opened_ago))],
            ));
        } else if r.status == Status::Active {
            let end = r.ends_at.or(r.end);
            let left = end.map(|e| (e - at).num_seconds().max(0));
            v.active.push(with(
                r,
                &[
                    ("seconds_left", left.map(Value::from).unwrap_or(Value::Null)),
                    (
                        "time_left",
                        end.map(|e| Value::from(humane(e - at))).unwrap_or(Value::Null),
                    ),
                ],
            ));
        } else if r.status == Status::Blocked && r.end.is_none_or(|e| e > at) {
            v.blocked.push(with(r, &[]));
        } else if let Some(t) = ended_at(r)
            && t <= at
            && t > at - RECENT
        {
            v.recently_ended.push(with(r, &[("ended", Value::from(fmt_time(t)))]));
        }
    }
    v
}

/// Lists a break-glass grant that still waits for its review after the fact, or is overdue.
fn emergency_review(r: &Row, at: DateTime<Utc>, v: &mut View) {
    use crate::core::emergency::ReviewState;
    let Some(e) = &r.emergency else { return };
    let due = Value::from(fmt_time(e.due));
    match e.state {
        ReviewState::Awaiting => v.emergency_awaiting_review.push(with(
            r,
            &[("review_due", due), ("due_in", Value::from(humane(e.due - at)))],
        )),
        ReviewState::Overdue => v.emergency_review_overdue.push(with(
            r,
            &[("review_due", due), ("overdue_by", Value::from(humane(at - e.due)))],
        )),
        ReviewState::Reviewed | ReviewState::ReviewedLate => {}
    }
}

fn field<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn line(v: &Value) -> String {
    let pr = v
        .get("pr")
        .and_then(Value::as_u64)
        .map(|n| format!("  #{n}"))
        .unwrap_or_default();
    format!(
        "{}  {}  {}/{}{}",
        field(v, "id"),
        field(v, "requester"),
        field(v, "account"),
        field(v, "permission_set"),
        pr
    )
}

fn names(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| {
                    x.get("by")
                        .and_then(Value::as_str)
                        .or(x.as_str())
                        .unwrap_or("")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

type Section<'a> = dyn FnMut(&str, &[Value], &dyn Fn(&Value) -> String) + 'a;

/// The two break-glass sections of `status`: awaiting review, and overdue.
fn break_glass_sections(view: &View, section: &mut Section<'_>) {
    section("Break-glass awaiting review", &view.emergency_awaiting_review, &|v| {
        format!(
            "granted without review; code owners review by {} (in {}): `/reviewed [note]` on the PR",
            field(v, "review_due"),
            field(v, "due_in")
        )
    });
    section("Break-glass review overdue", &view.emergency_review_overdue, &|v| {
        format!(
            "not reviewed by {} ({} overdue): a finding of `audit --verify`",
            field(v, "review_due"),
            field(v, "overdue_by")
        )
    });
}

pub fn human(view: &View, branch: &str) -> String {
    let mut out = format!("gitgrant status of `{branch}` at {}\n", fmt_time(view.at));
    let mut section = |title: &str, items: &[Value], detail: &dyn Fn(&Value) -> String| {
        out.push_str(&format!("\n{title} ({})\n", items.len()));
        if items.is_empty() {
            out.push_str("  none\n");
        }
        for v in items {
            out.push_str(&format!("  {}  {}\n", printable(&line(v)), printable(&detail(v))));
        }
    };
    section("Open requests", &view.open, &|v| {
        let approved = names(v, "approvals");
        let rejected = names(v, "rejections");
        let mut parts = vec![field(v, "status").to_string()];
        match v.get("approvals_required").and_then(Value::as_u64) {
            Some(n) => parts.push(format!("{} of {n} approval(s)", approved.len())),
            None => parts.push(format!("{} approval(s)", approved.len())),
        }
        if !approved.is_empty() {
            parts.push(format!("approved by {}", approved.join(", ")));
        }
        if !rejected.is_empty() {
            parts.push(format!("changes requested by {}", rejected.join(", ")));
        }
        let can = names(v, "can_approve");
        if !can.is_empty() {
            parts.push(format!("can approve: {}", can.join(" ")));
        }
        parts.join("; ")
    });
    section("Scheduled", &view.scheduled, &|v| match field(v, "start") {
        "" => format!("start unknown, for {}", field(v, "duration")),
        start if !field(v, "opened_ago").is_empty() => format!(
            "window opened {start} ({} ago) for {}; not granted yet: waiting for the reconciler's next run",
            field(v, "opened_ago"),
            field(v, "duration")
        ),
        start => format!(
            "starts {start} (in {}) for {}",
            field(v, "starts_in"),
            field(v, "duration")
        ),
    });
    section("Blocked: on the branch, never granted", &view.blocked, &|v| {
        let problems: Vec<&str> = v
            .get("problems")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match problems.first() {
            Some(p) => format!("blocked: {p}"),
            None => "blocked".to_string(),
        }
    });
    section("Active", &view.active, &|v| {
        let until = v.get("ends_at").and_then(Value::as_str).unwrap_or(field(v, "end"));
        format!("until {until} ({} left)", field(v, "time_left"))
    });
    // the break-glass sections only where there is break-glass to review
    if !view.emergency_awaiting_review.is_empty() || !view.emergency_review_overdue.is_empty() {
        break_glass_sections(view, &mut section);
    }
    section("Ended in the last 24 hours", &view.recently_ended, &|v| {
        let why = match field(v, "end_reason") {
            "" => field(v, "status"),
            r => r,
        };
        format!("{} at {}", why, field(v, "ended"))
    });
    if !view.problems.is_empty() {
        out.push_str(&format!("\nProblems ({})\n", view.problems.len()));
        for p in &view.problems {
            out.push_str(&format!("  {}\n", printable(p)));
        }
    }
    out
}

pub fn json(view: &View) -> String {
    serde_json::to_string_pretty(view).unwrap_or_default()
}
