//! Every AWS call of a run passes here before it is sent (each attempt, retries included):
//! it is counted by operation name, and it waits for its turn under one rate limit shared by
//! every clone of an adapter (issue 11 item 5): a token bucket of `CALLS_PER_SECOND` tokens
//! a second and a burst of as many, under IAM Identity Center's collective 20 TPS (the
//! account access API's documented throttle) with room for the console and other tools
//! sharing the quota, so that one run never throttles itself.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use super::Shared;

/// Calls a second, and the burst, of the shared limit.
pub const CALLS_PER_SECOND: u32 = 15;

#[derive(Debug, Clone)]
pub(super) struct CallCounter {
    counts: Shared<BTreeMap<&'static str, u64>>,
    pace: Shared<Bucket>,
}

/// The token bucket: `tokens` available at `at`, refilled at `rate` a second up to `burst`.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Option<Instant>,
    rate: f64,
    burst: f64,
}

impl Default for CallCounter {
    fn default() -> Self {
        CallCounter::with_rate(CALLS_PER_SECOND)
    }
}

impl CallCounter {
    /// A counter whose calls share a limit of `per_second` calls a second (and burst).
    pub(super) fn with_rate(per_second: u32) -> Self {
        let rate = f64::from(per_second.max(1));
        CallCounter {
            counts: Shared::default(),
            pace: std::sync::Arc::new(std::sync::Mutex::new(Bucket {
                tokens: rate,
                at: None,
                rate,
                burst: rate,
            })),
        }
    }

    /// Sets the shared limit (and burst) to `per_second` calls a second, for every clone.
    pub(super) fn set_rate(&self, per_second: u32) {
        let rate = f64::from(per_second.max(1));
        let mut b = self.pace.lock().unwrap_or_else(|e| e.into_inner());
        b.tokens = b.tokens.min(rate);
        b.rate = rate;
        b.burst = rate;
    }

    /// Counts one attempt of `operation` and waits until the shared limit lets it go.
    pub(super) async fn admit(&self, operation: &'static str) {
        self.add(operation);
        let wait = self.take_token(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes a token at `now` (possibly one not yet refilled): how long to wait for it.
    fn take_token(&self, now: Instant) -> Duration {
        // a poisoned lock only means another task panicked while pacing; the bucket is intact
        let mut b = self.pace.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = b.at {
            let refill = now.saturating_duration_since(at).as_secs_f64() * b.rate;
            b.tokens = (b.tokens + refill).min(b.burst);
        }
        b.at = Some(now);
        b.tokens -= 1.0;
        match b.tokens {
            t if t >= 0.0 => Duration::ZERO,
            t => Duration::from_secs_f64(-t / b.rate),
        }
    }

    pub(super) fn add(&self, operation: &'static str) {
        // a poisoned lock only means another task panicked while counting; the map is intact
        let mut map = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(operation).or_insert(0) += 1;
    }

    pub(super) fn snapshot(&self) -> BTreeMap<String, u64> {
        let map = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        map.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_beyond_the_burst_wait_their_turn_and_clones_share_the_limit() {
        let counter = CallCounter::with_rate(10);
        let other = counter.clone();
        let start = Instant::now();
        for i in 0..30 {
            let c = if i % 2 == 0 { &counter } else { &other };
            c.admit("ListAccountAssignments").await;
        }
        // 10 at once (the burst), then 10 a second: the 30th goes at 2 s
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(1990) && took < Duration::from_millis(2100),
            "{took:?}"
        );
        assert_eq!(counter.snapshot()["ListAccountAssignments"], 30);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_are_spread_over_time() {
        let counter = CallCounter::with_rate(10);
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..25 {
            let c = counter.clone();
            tasks.spawn(async move {
                c.admit("CreateAccountAssignment").await;
                Instant::now()
            });
        }
        let mut times = Vec::new();
        while let Some(t) = tasks.join_next().await {
            times.push(t.unwrap() - start);
        }
        times.sort();
        // never more than the burst plus the refill in any first second
        let in_first_second = times.iter().filter(|t| **t < Duration::from_secs(1)).count();
        assert!(in_first_second <= 20, "{times:?}");
        assert!(times[24] >= Duration::from_millis(1490), "{times:?}");
    }

    #[test]
    fn an_idle_bucket_refills_to_its_burst_only() {
        let counter = CallCounter::with_rate(10);
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(counter.take_token(t0), Duration::ZERO);
        }
        assert!(counter.take_token(t0) > Duration::ZERO);
        let later = t0 + Duration::from_secs(60);
        for _ in 0..10 {
            assert_eq!(counter.take_token(later), Duration::ZERO);
        }
        assert!(counter.take_token(later) > Duration::ZERO, "refilled to 10, not 600");
    }
}
