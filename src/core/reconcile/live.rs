//! Only live work costs (DESIGN 11): which requests on the default branch the reconciler
//! examines. A request whose window ended more than the longest session length ago, and that
//! backs no assignment gitgrant owns, is not verified at all (it costs an index read); one
//! whose window is unknown is examined (fail towards looking, never towards granting).

use chrono::{DateTime, Duration, Utc};

use crate::core::model::policy::Policy;

/// The longest session the policy allows (settings and every rule), the grace after a
/// window's end during which the request is still examined.
pub fn longest_session(policy: &Policy) -> Duration {
    let rules = policy.eligibility.iter().filter_map(|r| r.max_duration);
    let longest = rules.fold(policy.settings.max_duration, |a, b| if b > a { b } else { a });
    longest.to_chrono()
}

/// Whether a request with window `window` (start, end; `None` when it cannot be told without
/// verifying) is live work at `at`: its window meets [at - longest, +inf). Requests that start
/// in the future stay live: `max_start_ahead` bounds how many there are.
pub fn is_live(
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    owned: bool,
    at: DateTime<Utc>,
    longest: Duration,
) -> bool {
    match window {
        _ if owned => true,
        None => true,
        Some((_, end)) => end + longest >= at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn only_windows_meeting_now_minus_the_longest_session_are_live() {
        let at = t("2027-06-01T00:00:00Z");
        let hours = Duration::hours(8);
        let ended_long_ago = Some((t("2026-11-22T12:00:00Z"), t("2026-11-22T14:00:00Z")));
        assert!(!is_live(ended_long_ago, false, at, hours));
        assert!(
            is_live(ended_long_ago, true, at, hours),
            "an owned assignment is examined"
        );
        let ended_just_now = Some((t("2027-05-31T20:00:00Z"), t("2027-05-31T22:00:00Z")));
        assert!(is_live(ended_just_now, false, at, hours));
        let future = Some((t("2027-07-01T00:00:00Z"), t("2027-07-01T02:00:00Z")));
        assert!(is_live(future, false, at, hours));
        assert!(is_live(None, false, at, hours), "an unknown window is examined");
    }
}
