//! Announcing a run's ledger events to the `[[notify]]` targets (issue 13 item 3): the
//! events this run appended, and those an earlier run failed to send in the last 24 hours,
//! each sent once per target (by event id: the ledger's `notified` events say what was
//! sent), retried with backoff, the outcome recorded as `notified` / `notify_failed`. A
//! failure is reported and recorded; it never blocks or undoes a grant or a revocation.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::adapters::actions::RunEnvironment;
use crate::core::ledger::{Event, Kind, Ledger};
use crate::core::model::notify::{NotifyKind, NotifyTarget};
use crate::core::notify::{self, Announcement};

/// How long a failed notification is tried again by later runs.
pub const RETRY_FOR: TimeDelta = TimeDelta::hours(24);

/// One event sent (or not) to one target.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub target: String,
    pub event: &'static str,
    pub id: String,
    pub sent: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What announcing did: each delivery, and the ledger events that record them.
#[derive(Debug, Default)]
pub struct Announced {
    pub deliveries: Vec<Delivery>,
    pub records: Vec<Event>,
}

/// Ids each target was sent, and ids it failed within `RETRY_FOR` and was not sent since.
fn ledger_state(
    ledger: &Ledger,
    at: DateTime<Utc>,
) -> (BTreeMap<String, BTreeSet<String>>, BTreeMap<String, BTreeSet<String>>) {
    let mut sent: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut failed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in &ledger.events {
        let Some(target) = &e.target else { continue };
        match e.kind {
            Some(Kind::Notified) => sent
                .entry(target.clone())
                .or_default()
                .extend(e.delivered.iter().cloned()),
            Some(Kind::NotifyFailed) if e.at.is_some_and(|t| t > at - RETRY_FOR) => failed
                .entry(target.clone())
                .or_default()
                .extend(e.delivered.iter().cloned()),
            _ => {}
        }
    }
    for (target, ids) in &mut failed {
        if let Some(done) = sent.get(target) {
            ids.retain(|id| !done.contains(id));
        }
    }
    (sent, failed)
}

/// Sends the announcements of `new_events`, and retries earlier failures found in `ledger`.
pub fn announce(
    targets: &[NotifyTarget],
    env: &RunEnvironment,
    ledger: &Ledger,
    new_events: &[Event],
    at: DateTime<Utc>,
) -> Announced {
    let mut out = Announced::default();
    if targets.is_empty() {
        return out;
    }
    let (sent, failed) = ledger_state(ledger, at);
    // the events earlier failures name, looked up among the recent ones only
    let recent: BTreeMap<String, &Event> = ledger
        .events
        .iter()
        .filter(|e| e.at.is_some_and(|t| t > at - RETRY_FOR - TimeDelta::hours(24)))
        .filter(|e| notify::event_name(e).is_some())
        .map(|e| (notify::event_id(e), e))
        .collect();
    let Ok(rt) = crate::adapters::github::runtime() else {
        return out;
    };
    for t in targets {
        let done = sent.get(&t.id);
        let mut queue: Vec<(&Event, Announcement)> = Vec::new();
        let mut queued = BTreeSet::new();
        let retries = failed
            .get(&t.id)
            .into_iter()
            .flatten()
            .filter_map(|id| recent.get(id).copied());
        for e in retries.chain(new_events.iter()) {
            let Some(a) = notify::announcement(e) else { continue };
            if t.wants(a.event) && !done.is_some_and(|d| d.contains(&a.id)) && queued.insert(a.id.clone()) {
                queue.push((e, a));
            }
        }
        if queue.is_empty() {
            continue;
        }
        let results = rt.block_on(send_all(t, env, &queue));
        record(t, results, at, &mut out);
    }
    out
}

/// Sends each queued announcement to `t`, in order.
async fn send_all(t: &NotifyTarget, env: &RunEnvironment, queue: &[(&Event, Announcement)]) -> Vec<Delivery> {
    let url = env.named_var(&t.url_env);
    let secret = t.secret_env.as_deref().and_then(|s| env.named_var(s));
    let missing_secret = t.secret_env.is_some() && secret.is_none();
    let repository = env.github_repository.as_deref();
    let mut deliveries = Vec::new();
    for (e, a) in queue {
        let result = match url {
            None => Err(format!("the variable `{}` that holds the URL is not set", t.url_env)),
            Some(_) if missing_secret => Err(format!(
                "the variable `{}` that holds the signing secret is not set: nothing is sent unsigned",
                t.secret_env.as_deref().unwrap_or_default()
            )),
            Some(url) => {
                let (body, headers) = message(t.kind, a, e, repository, secret);
                crate::adapters::notify::post(url, body, &headers).await.map(|_| ())
            }
        };
        deliveries.push(Delivery {
            target: t.id.clone(),
            event: a.event,
            id: a.id.clone(),
            sent: result.is_ok(),
            error: result.err(),
        });
    }
    deliveries
}

/// The body and headers of one announcement for a kind of target.
fn message(
    kind: NotifyKind,
    a: &Announcement,
    e: &Event,
    repository: Option<&str>,
    secret: Option<&str>,
) -> (String, Vec<(&'static str, String)>) {
    match kind {
        NotifyKind::Slack => (notify::slack_body(a, repository), Vec::new()),
        NotifyKind::Teams => (notify::teams_body(a, repository), Vec::new()),
        NotifyKind::Webhook => {
            let body = notify::webhook_body(a, e, repository);
            let mut headers = vec![
                ("x-gitgrant-event", a.event.to_string()),
                ("x-gitgrant-delivery", a.id.clone()),
            ];
            if let Some(s) = secret {
                headers.push(("x-gitgrant-signature-256", notify::signature(s, &body)));
            }
            (body, headers)
        }
    }
}

/// One `notified` and one `notify_failed` event per target (when it has any).
fn record(t: &NotifyTarget, deliveries: Vec<Delivery>, at: DateTime<Utc>, out: &mut Announced) {
    let ids = |ok: bool| -> Vec<String> {
        deliveries
            .iter()
            .filter(|d| d.sent == ok)
            .map(|d| d.id.clone())
            .collect()
    };
    let (sent, failed) = (ids(true), ids(false));
    if !sent.is_empty() {
        let mut e = Event::new(Kind::Notified, at);
        e.target = Some(t.id.clone());
        e.delivered = sent;
        out.records.push(e);
    }
    if !failed.is_empty() {
        let mut e = Event::new(Kind::NotifyFailed, at);
        e.target = Some(t.id.clone());
        e.delivered = failed;
        e.reason = deliveries.iter().find_map(|d| d.error.clone());
        out.records.push(e);
    }
    out.deliveries.extend(deliveries);
}

/// One line per delivery, for stderr: what was sent where, and what was not and why.
pub fn lines(a: &Announced) -> Vec<String> {
    a.deliveries
        .iter()
        .map(|d| match &d.error {
            None => format!("gitgrant: notified {}: {} (event {})", d.target, d.event, d.id),
            Some(e) => format!(
                "gitgrant: warning: notify {} failed: {} (event {}): {e}; recorded, a later run tries again",
                d.target, d.event, d.id
            ),
        })
        .collect()
}

/// The gate's side: announces the events a PR run appended, with the targets of the PR's
/// base policy (trusted: a PR cannot add a target for itself), and records the outcome.
/// A review is announced only when it counts: an approval by a counted code owner, a
/// "request changes" by a code owner it rejects for (anyone's review is in the ledger, not
/// in the security channel).
pub fn announce_pr_events(
    git: &crate::adapters::git::Git,
    targets: &[crate::core::model::notify::NotifyTarget],
    outcome: &crate::core::gate::PrOutcome,
    ledger: &Ledger,
    events: &[Event],
    env: &RunEnvironment,
    at: DateTime<Utc>,
) -> Announced {
    let counted = |list: fn(&crate::core::gate::ItemOutcome) -> &Vec<String>, who: &Option<String>| {
        outcome
            .requests
            .iter()
            .any(|i| who.as_ref().is_some_and(|w| list(i).contains(w)))
    };
    let events: Vec<Event> = events
        .iter()
        .filter(|e| match e.kind {
            Some(Kind::Approved) => counted(|i| &i.approved_by, &e.actor),
            Some(Kind::ChangesRequested) => counted(|i| &i.rejected_by, &e.actor),
            _ => true,
        })
        .cloned()
        .collect();
    let mut announced = announce(targets, env, ledger, &events, at);
    if !announced.records.is_empty()
        && let Err(e) = git.append_ledger(
            &announced.records,
            &format!("gitgrant: notifications at {}", at.to_rfc3339()),
        )
    {
        announced.deliveries.iter_mut().for_each(|d| {
            if d.sent {
                d.error = Some(format!("sent, but not recorded in the ledger: {e}"));
            }
        });
    }
    announced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ledger_event_at_the_end_of_time_does_not_stop_the_run() {
        let far: DateTime<Utc> = "+262142-12-31T23:59:59Z".parse().unwrap();
        let mut approved = Event::new(Kind::Approved, far);
        approved.actor = Some("dan".into());
        let mut failed = Event::new(Kind::NotifyFailed, far);
        failed.target = Some("siem".into());
        failed.delivered = vec![crate::core::notify::event_id(&approved)];
        let ledger = Ledger {
            events: vec![approved.clone(), failed],
            bad_lines: Vec::new(),
        };
        let target = NotifyTarget {
            id: "siem".into(),
            kind: NotifyKind::Webhook,
            url_env: "GITGRANT_TEST_UNSET_URL".into(),
            secret_env: None,
            events: vec!["approved".into()],
        };
        let at: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let out = announce(&[target], &RunEnvironment::default(), &ledger, &[approved], at);
        // the URL variable is unset: recorded as failed, nothing sent, no panic
        assert_eq!(out.deliveries.len(), 1);
        assert!(
            out.deliveries[0]
                .error
                .as_deref()
                .unwrap()
                .contains("GITGRANT_TEST_UNSET_URL")
        );
    }
}
