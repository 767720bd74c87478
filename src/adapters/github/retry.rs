//! When to retry a GitHub request and how long to wait: a pure policy (no I/O, the clock is a
//! parameter), kept apart from the client that applies it.
//!
//! Retried: 5xx answers and answers that did not arrive (with jittered exponential backoff),
//! and rate limits, which are 403 or 429 answers carrying `retry-after`, or
//! `x-ratelimit-remaining: 0` with `x-ratelimit-reset`, or (secondary limits) a message that
//! says so; those wait as long as GitHub asks. Never retried: 401, 404, 422 and every other
//! 4xx. Everything happens within a deadline: a wait that would end past it is not started.
//! The schedule itself is [`crate::adapters::backoff`]'s.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;

use crate::adapters::backoff::{Backoff, Jitter};

/// How long and how often to retry one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// All attempts of one request, and the waits between them, end within this.
    pub deadline: Duration,
    /// One attempt (connect, send, read the answer) may take at most this.
    pub attempt_timeout: Duration,
    /// The first backoff; each later one doubles, up to `max_backoff`, then is jittered.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// How the backoff is jittered (`Jitter::Equal`; `Jitter::None` to test a schedule).
    pub jitter: Jitter,
    /// The wait for a rate limit that does not say how long (GitHub asks for at least 1 min).
    pub unspecified_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            deadline: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(30),
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            jitter: Jitter::Equal,
            unspecified_rate_limit_wait: Duration::from_secs(60),
        }
    }
}

/// What to do after an answer that is not a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Do not retry (401, 404, 422, a 403 that is not a rate limit, other 4xx).
    Fail,
    /// A transient failure (5xx, no answer): retry after `RetryPolicy::backoff`.
    Backoff,
    /// A rate limit: retry no sooner than after this wait.
    RateLimited(Duration),
}

/// A margin added to `x-ratelimit-reset`, which has one-second resolution.
const RESET_MARGIN: Duration = Duration::from_millis(500);

impl RetryPolicy {
    /// Classifies a non-2xx answer. `now` is only used to turn `x-ratelimit-reset` (epoch
    /// seconds) into a wait.
    pub fn classify(&self, status: u16, headers: &HeaderMap, body: &str, now: SystemTime) -> Verdict {
        match status {
            500..=599 => Verdict::Backoff,
            403 | 429 => {
                if let Some(secs) = header_u64(headers, "retry-after") {
                    return Verdict::RateLimited(Duration::from_secs(secs));
                }
                if header_u64(headers, "x-ratelimit-remaining") == Some(0) {
                    let wait = match header_u64(headers, "x-ratelimit-reset") {
                        Some(reset) => until_epoch(reset, now) + RESET_MARGIN,
                        None => self.unspecified_rate_limit_wait,
                    };
                    return Verdict::RateLimited(wait);
                }
                if status == 429 || body.to_ascii_lowercase().contains("rate limit") {
                    return Verdict::RateLimited(self.unspecified_rate_limit_wait);
                }
                // A 403 that is not a rate limit: the token may not do this.
                Verdict::Fail
            }
            _ => Verdict::Fail,
        }
    }

    /// The schedule of one request's attempts: after the n-th transient failure
    /// `initial * 2^(n-1)`, capped, then jittered; rate-limit waits as GitHub asks; all
    /// within the deadline.
    pub fn schedule(&self) -> Backoff {
        Backoff {
            base: self.initial_backoff,
            cap: self.max_backoff,
            jitter: self.jitter,
            max_attempts: None,
            deadline: Some(self.deadline),
        }
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn until_epoch(epoch_secs: u64, now: SystemTime) -> Duration {
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    Duration::from_secs(epoch_secs).saturating_sub(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn classifies_answers() {
        let p = RetryPolicy::default();
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let none = HeaderMap::new();
        for status in [400, 401, 404, 409, 410, 422] {
            assert_eq!(p.classify(status, &none, "", now), Verdict::Fail, "{status}");
        }
        for status in [500, 502, 503, 504] {
            assert_eq!(p.classify(status, &none, "", now), Verdict::Backoff, "{status}");
        }
        // A 403 that is a permission problem is not retried.
        let msg = r#"{"message":"Resource not accessible by integration"}"#;
        assert_eq!(p.classify(403, &none, msg, now), Verdict::Fail);
        assert_eq!(
            p.classify(403, &headers(&[("retry-after", "7")]), "", now),
            Verdict::RateLimited(Duration::from_secs(7))
        );
        let primary = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1010")]);
        assert_eq!(
            p.classify(403, &primary, "", now),
            Verdict::RateLimited(Duration::from_secs(10) + RESET_MARGIN)
        );
        // A reset already past (clock skew) still waits the margin, never a negative time.
        let past = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "990")]);
        assert_eq!(p.classify(429, &past, "", now), Verdict::RateLimited(RESET_MARGIN));
        // Remaining requests left: a 403 is not a rate limit.
        let left = headers(&[("x-ratelimit-remaining", "12"), ("x-ratelimit-reset", "1010")]);
        assert_eq!(p.classify(403, &left, "", now), Verdict::Fail);
        let secondary = r#"{"message":"You have exceeded a secondary rate limit."}"#;
        assert_eq!(
            p.classify(403, &none, secondary, now),
            Verdict::RateLimited(Duration::from_secs(60))
        );
        assert_eq!(
            p.classify(429, &none, "", now),
            Verdict::RateLimited(Duration::from_secs(60))
        );
    }

    #[test]
    fn the_schedule_doubles_is_capped_and_jittered() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1_000),
            ..RetryPolicy::default()
        };
        let s = p.schedule();
        assert_eq!((s.deadline, s.max_attempts), (Some(p.deadline), None));
        // The first retry (after one transient failure), equal jitter: [50, 100] ms.
        assert_eq!(s.delay(0, Duration::ZERO, 0.0), Duration::from_millis(50));
        assert_eq!(s.delay(0, Duration::ZERO, 1.0), Duration::from_millis(100));
        assert_eq!(s.delay(2, Duration::ZERO, 0.5), Duration::from_millis(300));
        assert_eq!(s.delay(u32::MAX, Duration::ZERO, 1.0), Duration::from_millis(1_000));
    }
}
