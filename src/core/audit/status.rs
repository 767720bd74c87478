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
        problems: report.problems.clone(),
    };
    for r in &report.rows {
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
