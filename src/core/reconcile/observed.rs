//! Outcomes re-derived from what Identity Center holds (issue 11 items 2 and 3): a run that
//! stopped, or whose outcome commit never reached origin, after making an assignment leaves
//! only its intent (`assigning`) or an `unknown` outcome in the ledger. The next run that
//! finds such an assignment present records its activation: started after the intent, no
//! later than the observation. Pure: the caller gives the ledger's claims, the assignments
//! AWS listed and the time.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::core::ledger::{AssignmentKey, Event, Kind, Owned};

/// The reason an observed activation carries (audit shows it).
pub const OBSERVED: &str = "observed present by a later run: the run that made it stopped before recording it";

/// The reason an observed end carries.
pub const OBSERVED_ABSENT: &str = "observed absent by a later run: it ended without being recorded (a stopped run, a lost outcome, or removed outside gitgrant)";

/// How long an intent or unknown create that AWS does not show is still given to appear
/// (a create can stay IN_PROGRESS past the run's poll deadline) before its claim is let go.
pub const UNCONFIRMED_GRACE: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// One `ended` event per request behind each claim AWS no longer holds and this run does
/// not create again (`creating`): confirmed claims at once, unconfirmed ones (an intent, an
/// unknown outcome) once `UNCONFIRMED_GRACE` has passed since the claim.
pub fn unrecorded_ends(
    owned: &BTreeMap<AssignmentKey, Owned>,
    present: &BTreeSet<AssignmentKey>,
    creating: &BTreeSet<AssignmentKey>,
    at: DateTime<Utc>,
) -> Vec<Event> {
    let settled = |o: &Owned| o.activated || o.claimed_at.is_some_and(|c| c + UNCONFIRMED_GRACE <= at);
    owned
        .values()
        .filter(|o| !present.contains(&o.key) && !creating.contains(&o.key) && settled(o))
        .flat_map(|o| {
            o.requests
                .iter()
                .map(move |r| observation(o, r, Kind::Ended, OBSERVED_ABSENT, at))
        })
        .collect()
}

/// An event of `kind` for request `r` of claim `o`, observed at `at`.
fn observation(o: &Owned, r: &str, kind: Kind, why: &str, at: DateTime<Utc>) -> Event {
    let mut e = Event::new(kind, at);
    e.request = Some(r.to_string());
    e.account_id = Some(o.key.account_id.clone());
    e.permission_set_arn = Some(o.key.permission_set_arn.clone());
    e.user_id = Some(o.key.user_id.clone());
    e.permission_set = o.permission_set.clone();
    e.user_name = o.user_name.clone();
    e.reason = Some(why.into());
    e
}

/// One `activated` event per request behind each claim that no `activated` confirms and
/// whose assignment is present now.
pub fn unrecorded_activations(
    owned: &BTreeMap<AssignmentKey, Owned>,
    present: &BTreeSet<AssignmentKey>,
    at: DateTime<Utc>,
) -> Vec<Event> {
    owned
        .values()
        .filter(|o| !o.activated && present.contains(&o.key))
        .flat_map(|o| {
            o.requests.iter().map(move |r| {
                let mut e = observation(o, r, Kind::Activated, OBSERVED, at);
                e.ends_at = o.ends_at;
                e.started_after = o.claimed_at;
                e
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ledger::Ledger;

    fn t(h: u32) -> DateTime<Utc> {
        format!("2026-11-22T{h:02}:00:00Z").parse().unwrap()
    }

    fn claim(kind: Kind, at: u32, request: &str, reason: Option<&str>) -> Event {
        let mut e = Event::new(kind, t(at));
        e.request = Some(request.into());
        e.account_id = Some("111122223333".into());
        e.permission_set_arn = Some("arn:aws:sso:::permissionSet/ssoins-1/ps-1".into());
        e.user_id = Some("u-alice".into());
        e.user_name = Some("alice@acme.example".into());
        e.ends_at = Some(t(15));
        e.reason = reason.map(str::to_string);
        e
    }

    #[test]
    fn an_intent_without_activation_is_recorded_once_present_and_only_then() {
        let ledger = Ledger {
            events: vec![claim(Kind::Assigning, 12, "requests/a.toml", None)],
            ..Ledger::default()
        };
        let owned = ledger.owned();
        let key = owned.keys().next().unwrap().clone();
        assert!(
            unrecorded_activations(&owned, &BTreeSet::new(), t(13)).is_empty(),
            "absent: nothing"
        );
        let events = unrecorded_activations(&owned, &BTreeSet::from([key.clone()]), t(13));
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(
            (e.kind, e.at, e.started_after),
            (Some(Kind::Activated), Some(t(13)), Some(t(12)))
        );
        assert_eq!(
            (e.request.as_deref(), e.ends_at),
            (Some("requests/a.toml"), Some(t(15)))
        );
        // once recorded, confirmed: nothing more
        let mut l2 = ledger.clone();
        l2.events.extend(events);
        assert!(unrecorded_activations(&l2.owned(), &BTreeSet::from([key.clone()]), t(14)).is_empty());
        // an unknown create outcome after the intent: still the intent's time
        let mut l3 = ledger.clone();
        l3.events
            .push(claim(Kind::Unknown, 13, "requests/a.toml", Some("create: timed out")));
        let e = unrecorded_activations(&l3.owned(), &BTreeSet::from([key]), t(14));
        assert_eq!(e[0].started_after, Some(t(12)));
    }

    #[test]
    fn a_claim_aws_no_longer_holds_ends_once_settled() {
        let ledger = Ledger {
            events: vec![
                claim(Kind::Assigning, 10, "requests/a.toml", None),
                claim(Kind::Activated, 10, "requests/a.toml", None),
            ],
            ..Ledger::default()
        };
        let owned = ledger.owned();
        let key = owned.keys().next().unwrap().clone();
        let none = BTreeSet::new();
        assert!(
            unrecorded_ends(&owned, &BTreeSet::from([key.clone()]), &none, t(12)).is_empty(),
            "present"
        );
        assert!(
            unrecorded_ends(&owned, &none, &BTreeSet::from([key.clone()]), t(12)).is_empty(),
            "created again"
        );
        let e = unrecorded_ends(&owned, &none, &none, t(12));
        assert_eq!(
            (e.len(), e[0].kind, e[0].reason.as_deref()),
            (1, Some(Kind::Ended), Some(OBSERVED_ABSENT))
        );
        // an intent alone is given an hour to appear (a create still in progress)
        let intent = Ledger {
            events: vec![claim(Kind::Assigning, 10, "requests/a.toml", None)],
            ..Ledger::default()
        };
        let owned = intent.owned();
        let mut at = t(10);
        at += chrono::TimeDelta::minutes(59);
        assert!(unrecorded_ends(&owned, &none, &none, at).is_empty());
        assert_eq!(unrecorded_ends(&owned, &none, &none, t(11)).len(), 1);
    }

    #[test]
    fn a_claim_after_an_end_starts_again() {
        let mut ended = claim(Kind::Ended, 13, "requests/a.toml", None);
        ended.reason = Some("expired".into());
        let ledger = Ledger {
            events: vec![
                claim(Kind::Assigning, 10, "requests/a.toml", None),
                claim(Kind::Activated, 10, "requests/a.toml", None),
                ended,
                claim(Kind::Assigning, 14, "requests/b.toml", None),
            ],
            ..Ledger::default()
        };
        let owned = ledger.owned();
        let key = owned.keys().next().unwrap().clone();
        let e = unrecorded_activations(&owned, &BTreeSet::from([key]), t(15));
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            (e[0].request.as_deref(), e[0].started_after),
            (Some("requests/b.toml"), Some(t(14)))
        );
    }
}
