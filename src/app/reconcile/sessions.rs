//! Ending live sessions in one apply run (issue 13 item 1): after the deletes, each removal
//! that `settings.end_sessions` covers becomes a deny in its permission set's inline policy
//! for the user's tokens issued before now; denies whose session length has passed (the
//! ledger says which permission sets hold one) are taken out again. Per permission set:
//! read the inline policy, edit it (`core::reconcile::sessions`), write it, provision it
//! to each account the edit touched, and record every step in the ledger. A failure is
//! reported and recorded, and never undoes or blocks a deletion.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::run::{Outcome, OutcomeStatus};
use crate::adapters::aws::{ChangeStatus, IdentityCenter};
use crate::core::ledger::{Event, Kind};
use crate::core::model::policy::EndSessions;
use crate::core::reconcile::plan::{AssignmentAction, AssignmentChange, RemovalReason};
use crate::core::reconcile::sessions::{self, Release, SessionDeny};

/// Identity Center's longest session: the session length assumed when the directory
/// snapshot does not say (the deny then stays longer, never shorter).
pub const LONGEST_SESSION: TimeDelta = TimeDelta::hours(12);

/// One step the run took on a permission set's inline policy, as the output shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionStep {
    /// `deny` (sessions ended) or `release` (the deny taken out again).
    pub action: &'static str,
    pub permission_set: String,
    pub account: String,
    pub user_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Tokens issued before this are denied.
    pub before: DateTime<Utc>,
    /// Deny: when it is taken out again. Release: why it was.
    pub detail: String,
    pub status: OutcomeStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What ending sessions needs to know about the policy and the run.
pub struct SessionsInput<'a> {
    pub mode: EndSessions,
    /// Permission set ARN -> its session length (from the directory snapshot).
    pub session_lengths: &'a BTreeMap<String, TimeDelta>,
    /// Permission set ARNs whose gitgrant denies are due for release (the ledger).
    pub due: &'a BTreeSet<String>,
    /// Managed permission set name -> ARN, as Identity Center has them (names for output).
    pub names: &'a BTreeMap<String, String>,
    /// Removals this run did not make that end sessions too: owned assignments found gone
    /// (removed by hand, or by a run whose deny never came), and denies earlier runs could
    /// not write or provision (the ledger's `failed` events `end sessions: …`).
    pub extra: &'a [AssignmentChange],
    /// The time of the deny: tokens issued before it stop working.
    pub now: DateTime<Utc>,
}

/// Whether the removal of `change` ends the user's sessions under `mode`. A delete that
/// did not definitively succeed counts too: its sessions end either way (fail closed).
fn ends_sessions(mode: EndSessions, o: &Outcome) -> bool {
    let covered = match o.change.reason {
        Some(RemovalReason::Revoked | RemovalReason::NoLongerEligible | RemovalReason::Drift) => {
            mode != EndSessions::Never
        }
        Some(RemovalReason::Expired) => mode == EndSessions::AtEnd,
        None => false,
    };
    covered && o.action == AssignmentAction::Delete
}

/// A permission set's work: the removals to deny, and its name.
#[derive(Default)]
struct Work {
    name: String,
    removals: Vec<AssignmentChange>,
}

impl Work {
    /// The removal a deny is for (none for a deny being released).
    fn removal_of(&self, d: &SessionDeny) -> Option<&AssignmentChange> {
        self.removals
            .iter()
            .find(|c| c.account == d.account_id && c.user_id == d.user_id)
    }
}

/// Ends sessions for the run's removals and releases due denies; the steps and the ledger
/// events to append.
pub async fn end_sessions(
    ic: &IdentityCenter,
    outcomes: &[Outcome],
    input: &SessionsInput<'_>,
) -> (Vec<SessionStep>, Vec<Event>) {
    let mut work: BTreeMap<String, Work> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| ends_sessions(input.mode, o)) {
        let w = work.entry(o.change.permission_set_arn.clone()).or_default();
        w.name = o.change.permission_set.clone();
        w.removals.push(o.change.clone());
    }
    if input.mode != EndSessions::Never {
        for c in input.extra {
            let w = work.entry(c.permission_set_arn.clone()).or_default();
            if w.name.is_empty() {
                w.name = c.permission_set.clone();
            }
            if w.removal_of(&SessionDeny {
                account_id: c.account.clone(),
                user_id: c.user_id.clone(),
                before: input.now,
            })
            .is_none()
            {
                w.removals.push(c.clone());
            }
        }
        for arn in input.due {
            let w = work.entry(arn.clone()).or_default();
            if w.name.is_empty() {
                let name = input.names.iter().find(|(_, a)| *a == arn).map(|(n, _)| n.clone());
                w.name = name.unwrap_or_default();
            }
        }
    }
    let (mut steps, mut events) = (Vec::new(), Vec::new());
    for (arn, w) in work {
        let length = input.session_lengths.get(&arn).copied().unwrap_or(LONGEST_SESSION);
        let (s, e) = one_permission_set(ic, &arn, &w, length, input.now).await;
        steps.extend(s);
        events.extend(e);
    }
    (steps, events)
}

/// Read, edit, write and provision one permission set's inline policy. Every removal's
/// account is provisioned, also when its deny was already there (a retry after a
/// provisioning that failed), and a deny that did not reach its account is a `failed`
/// event, which the next runs try again.
async fn one_permission_set(
    ic: &IdentityCenter,
    arn: &str,
    w: &Work,
    length: TimeDelta,
    now: DateTime<Utc>,
) -> (Vec<SessionStep>, Vec<Event>) {
    let add: Vec<SessionDeny> = w
        .removals
        .iter()
        .map(|c| SessionDeny {
            account_id: c.account.clone(),
            user_id: c.user_id.clone(),
            before: now,
        })
        .collect();
    let edit = match ic.inline_policy(arn).await {
        Ok(doc) => sessions::edit(&doc, &add, now, length).map_err(|e| e.to_string()),
        Err(e) => Err(format!("cannot read the inline policy: {e}")),
    };
    let edit = match edit {
        Ok(edit) if !edit.changes_anything() && add.is_empty() => return (Vec::new(), Vec::new()),
        Ok(edit) => edit,
        Err(error) => return refused(w, arn, &add, &error, now),
    };
    if edit.changes_anything() {
        let written = match &edit.document {
            Some(doc) => ic.put_inline_policy(arn, doc).await,
            None => ic.delete_inline_policy(arn).await,
        };
        if let Err(e) = written {
            return refused(w, arn, &add, &format!("cannot write the inline policy: {e}"), now);
        }
    }
    let touched: BTreeSet<&str> = add
        .iter()
        .chain(edit.released.iter().map(|(d, _)| d))
        .map(|d| d.account_id.as_str())
        .collect();
    let mut provisioned: BTreeMap<String, (OutcomeStatus, Option<String>)> = BTreeMap::new();
    for account in touched {
        provisioned.insert(account.to_string(), provision(ic, arn, account).await);
    }
    let mut out = (Vec::new(), Vec::new());
    for d in &add {
        // the statement the policy holds for this user and account (a later one may be there)
        let held = edit
            .held
            .iter()
            .find(|h| h.account_id == d.account_id && h.user_id == d.user_id)
            .unwrap_or(d);
        denied(w, arn, held, length, &provisioned[&d.account_id], now, &mut out);
    }
    for (d, why) in &edit.released {
        let (status, error) = provisioned[&d.account_id].clone();
        let why = match why {
            Release::SessionLengthPassed => "session-length-passed",
            Release::MadeRoom => "made-room-for-a-newer-deny",
        };
        out.0.push(step("release", w, d, None, why.into(), status, error));
        let mut e = event(Kind::SessionsReleased, now, w, arn, d);
        e.reason = Some(why.into());
        out.1.push(e);
    }
    out
}

/// The step and events of one deny: `sessions_ended`, and `failed` when it did not reach
/// its account (the next runs provision it again).
fn denied(
    w: &Work,
    arn: &str,
    d: &SessionDeny,
    length: TimeDelta,
    provisioned: &(OutcomeStatus, Option<String>),
    now: DateTime<Utc>,
    out: &mut (Vec<SessionStep>, Vec<Event>),
) {
    let (status, error) = provisioned.clone();
    let until = sessions::release_time(d.before, length);
    let change = w.removal_of(d);
    let detail = until.map_or("until the release can be computed".into(), |u| {
        format!("until {}", u.to_rfc3339())
    });
    out.0.push(step("deny", w, d, change, detail, status, error.clone()));
    out.1.push(denied_event(w, arn, d, change, until, error.clone()));
    if let Some(err) = error {
        let mut e = event(Kind::Failed, now, w, arn, d);
        e.request = change.and_then(|c| c.request.clone());
        e.reason = Some(format!("end sessions: {err}"));
        out.1.push(e);
    }
}

/// Provisions `arn` to `account`: the step's status and error.
async fn provision(ic: &IdentityCenter, arn: &str, account: &str) -> (OutcomeStatus, Option<String>) {
    match ic.provision_to_account(arn, account).await {
        Ok(o) => match o.status {
            ChangeStatus::Succeeded => (OutcomeStatus::Succeeded, None),
            ChangeStatus::Failed(reason) => (OutcomeStatus::Failed, Some(format!("provisioning failed: {reason}"))),
            ChangeStatus::InProgress => (
                OutcomeStatus::InProgress,
                Some("provisioning still IN_PROGRESS when polling stopped; the deny reaches the account when it completes".into()),
            ),
        },
        Err(e) => (OutcomeStatus::Unknown, Some(format!("provisioning: {e}"))),
    }
}

fn event(kind: Kind, at: DateTime<Utc>, w: &Work, arn: &str, d: &SessionDeny) -> Event {
    let mut e = Event::new(kind, at);
    e.account_id = Some(d.account_id.clone());
    e.permission_set = Some(w.name.clone()).filter(|n| !n.is_empty());
    e.permission_set_arn = Some(arn.to_string());
    e.user_id = Some(d.user_id.clone());
    e
}

fn denied_event(
    w: &Work,
    arn: &str,
    d: &SessionDeny,
    change: Option<&AssignmentChange>,
    until: Option<DateTime<Utc>>,
    error: Option<String>,
) -> Event {
    let mut e = event(Kind::SessionsEnded, d.before, w, arn, d);
    e.ends_at = until;
    if let Some(c) = change {
        e.request = c.request.clone();
        e.user_name = Some(c.user.clone()).filter(|u| !u.is_empty());
    }
    let why = change.and_then(|c| c.reason).map_or("", RemovalReason::as_str);
    e.reason = Some(match error {
        None => format!("{why}: tokens issued before {} denied", d.before.to_rfc3339()),
        Some(err) => format!("{why}: deny written, {err}"),
    });
    e
}

fn step(
    action: &'static str,
    w: &Work,
    d: &SessionDeny,
    change: Option<&AssignmentChange>,
    detail: String,
    status: OutcomeStatus,
    error: Option<String>,
) -> SessionStep {
    SessionStep {
        action,
        permission_set: w.name.clone(),
        account: d.account_id.clone(),
        user_id: d.user_id.clone(),
        user: change.map(|c| c.user.clone()).unwrap_or_default(),
        before: d.before,
        detail,
        status,
        error,
    }
}

/// Nothing could be written: each removal's sessions stay until they expire; recorded as
/// failed, and reported.
fn refused(
    w: &Work,
    arn: &str,
    add: &[SessionDeny],
    error: &str,
    now: DateTime<Utc>,
) -> (Vec<SessionStep>, Vec<Event>) {
    let mut steps = Vec::new();
    let mut events = Vec::new();
    for d in add {
        let change = w.removal_of(d);
        steps.push(step(
            "deny",
            w,
            d,
            change,
            "live sessions were not ended".into(),
            OutcomeStatus::Failed,
            Some(error.to_string()),
        ));
        let mut e = event(Kind::Failed, now, w, arn, d);
        e.request = change.and_then(|c| c.request.clone());
        e.reason = Some(format!("end sessions: {error}"));
        events.push(e);
    }
    if add.is_empty() {
        steps.push(SessionStep {
            action: "release",
            permission_set: w.name.clone(),
            account: String::new(),
            user_id: String::new(),
            user: String::new(),
            before: now,
            detail: "denies due for release were not taken out".into(),
            status: OutcomeStatus::Failed,
            error: Some(error.to_string()),
        });
    }
    (steps, events)
}
