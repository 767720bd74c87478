//! The one retry schedule every adapter uses (GitHub requests, AWS calls, the ledger push):
//! how long to wait before the next attempt and when to give up. Pure: the time already spent
//! and the random source are parameters, so a fixed seed gives a fixed schedule. Which
//! failures are worth a retry stays with each adapter.
//!
//! The wait before retry `n` (0 for the first) is `base * 2^n`, capped, then jittered. A
//! server's own wait (`Retry-After`, a rate-limit reset) replaces the exponential one and is
//! honoured as asked, without jitter. An attempt that would start at or after the deadline,
//! or past the attempt limit, is not started.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How a capped exponential wait `d` is spread, so clients that failed together do not
/// retry together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Exactly `d` (for tests that assert a schedule).
    None,
    /// Anywhere in `[0, d)`.
    Full,
    /// Half of `d` fixed, the other half random: `[d/2, d)`.
    Equal,
    /// `d` scaled by a factor in `[0.5, 1.5)`.
    Spread,
    /// "Decorrelated": anywhere in `[base, 3 × the previous wait)`, capped.
    Decorrelated,
}

/// The schedule of one operation's retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The exponential wait before the first retry; it doubles with each further one.
    pub base: Duration,
    /// The exponential wait never exceeds this (before `Jitter::Spread` scales it).
    pub cap: Duration,
    pub jitter: Jitter,
    /// At most this many attempts, the first included.
    pub max_attempts: Option<u32>,
    /// No attempt starts at or after this much time since the first one.
    pub deadline: Option<Duration>,
}

/// Why no further attempt is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// `max_attempts` were made.
    Attempts,
    /// The wait would end at or past the deadline.
    Deadline,
}

impl Backoff {
    /// The un-jittered wait before retry `retry` (0-based): `base * 2^retry`, capped.
    pub fn exponential(&self, retry: u32) -> Duration {
        self.base.saturating_mul(1u32 << retry.min(30)).min(self.cap)
    }

    /// The jittered wait before retry `retry`, `previous` being the wait before the last one
    /// (only `Jitter::Decorrelated` uses it) and `unit` a uniform random value in `[0, 1)`.
    pub fn delay(&self, retry: u32, previous: Duration, unit: f64) -> Duration {
        let unit = unit.clamp(0.0, 1.0);
        let d = self.exponential(retry);
        match self.jitter {
            Jitter::None => d,
            Jitter::Full => d.mul_f64(unit),
            Jitter::Equal => d / 2 + (d / 2).mul_f64(unit),
            Jitter::Spread => d.mul_f64(0.5 + unit),
            Jitter::Decorrelated => {
                let high = previous.max(self.base).saturating_mul(3);
                (self.base + (high - self.base).mul_f64(unit)).min(self.cap)
            }
        }
    }
}

/// One operation's way through a [`Backoff`]: counts the retries and keeps the last wait.
#[derive(Debug, Clone)]
pub struct Schedule {
    backoff: Backoff,
    random: Random,
    attempts: u32,
    retries: u32,
    previous: Duration,
}

impl Schedule {
    pub fn new(backoff: Backoff, random: Random) -> Schedule {
        Schedule {
            backoff,
            random,
            attempts: 1,
            retries: 0,
            previous: Duration::ZERO,
        }
    }

    /// Attempts made so far (the first included).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// After a failed attempt, `elapsed` since the first one: how long to wait before the
    /// next, or why there is none. `server_wait` is a wait the server asked for; it is taken
    /// as given and does not count as a backoff step.
    pub fn next_wait(&mut self, elapsed: Duration, server_wait: Option<Duration>) -> Result<Duration, GiveUp> {
        if self.backoff.max_attempts.is_some_and(|max| self.attempts >= max) {
            return Err(GiveUp::Attempts);
        }
        let wait = match server_wait {
            Some(wait) => wait,
            None => self.backoff.delay(self.retries, self.previous, self.random.unit()),
        };
        if self.backoff.deadline.is_some_and(|deadline| elapsed + wait >= deadline) {
            return Err(GiveUp::Deadline);
        }
        if server_wait.is_none() {
            self.retries += 1;
            self.previous = wait;
        }
        self.attempts += 1;
        Ok(wait)
    }
}

/// A small pseudo-random source (SplitMix64) for jitter: seeded for tests, from the standard
/// library's per-process random keys otherwise. Not for anything secret.
#[derive(Debug, Clone)]
pub struct Random {
    state: u64,
}

impl Random {
    pub fn seeded(seed: u64) -> Random {
        Random { state: seed }
    }

    pub fn from_entropy() -> Random {
        use std::hash::BuildHasher;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Random::seeded(std::collections::hash_map::RandomState::new().hash_one(now))
    }

    /// A uniform value in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn policy(jitter: Jitter) -> Backoff {
        Backoff {
            base: ms(100),
            cap: ms(1_000),
            jitter,
            max_attempts: None,
            deadline: None,
        }
    }

    #[test]
    fn the_exponential_doubles_and_is_capped() {
        let p = policy(Jitter::None);
        let waits: Vec<u64> = (0..6).map(|r| p.exponential(r).as_millis() as u64).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(p.exponential(u32::MAX), ms(1_000));
    }

    #[test]
    fn each_jitter_stays_in_its_range() {
        let cases = [
            (Jitter::None, 0.0, 400),
            (Jitter::None, 0.9, 400),
            (Jitter::Full, 0.0, 0),
            (Jitter::Full, 0.5, 200),
            (Jitter::Equal, 0.0, 200),
            (Jitter::Equal, 0.5, 300),
            (Jitter::Equal, 1.0, 400),
            (Jitter::Spread, 0.0, 200),
            (Jitter::Spread, 1.0, 600),
            // from base (100) to 3 × previous (300 × 3 = 900)
            (Jitter::Decorrelated, 0.0, 100),
            (Jitter::Decorrelated, 0.5, 500),
        ];
        for (jitter, unit, want) in cases {
            assert_eq!(policy(jitter).delay(2, ms(300), unit), ms(want), "{jitter:?} {unit}");
        }
        // Decorrelated never exceeds the cap, and starts from base with no previous wait.
        assert_eq!(policy(Jitter::Decorrelated).delay(9, ms(900), 0.99), ms(1_000));
        assert_eq!(policy(Jitter::Decorrelated).delay(0, Duration::ZERO, 0.5), ms(200));
    }

    #[test]
    fn a_fixed_seed_gives_a_fixed_schedule() {
        let run = |seed| {
            let mut s = Schedule::new(policy(Jitter::Equal), Random::seeded(seed));
            (0..6)
                .map(|_| s.next_wait(Duration::ZERO, None).unwrap())
                .collect::<Vec<_>>()
        };
        let a = run(42);
        assert_eq!(a, run(42));
        assert_ne!(a, run(43));
        for (retry, wait) in a.iter().enumerate() {
            let d = policy(Jitter::None).exponential(retry as u32);
            assert!(
                *wait >= d / 2 && *wait <= d,
                "retry {retry}: {wait:?} outside [{:?}, {d:?}]",
                d / 2
            );
        }
        let mut r = Random::seeded(7);
        for _ in 0..1_000 {
            assert!((0.0..1.0).contains(&r.unit()));
        }
        assert!((0.0..1.0).contains(&Random::from_entropy().unit()));
    }

    #[test]
    fn max_attempts_counts_the_first() {
        let mut s = Schedule::new(
            Backoff {
                max_attempts: Some(3),
                ..policy(Jitter::None)
            },
            Random::seeded(1),
        );
        assert_eq!(s.next_wait(Duration::ZERO, None), Ok(ms(100)));
        assert_eq!(s.next_wait(Duration::ZERO, None), Ok(ms(200)));
        assert_eq!(s.next_wait(Duration::ZERO, None), Err(GiveUp::Attempts));
        assert_eq!(s.attempts(), 3);
    }

    #[test]
    fn no_attempt_starts_at_or_after_the_deadline() {
        let mut s = Schedule::new(
            Backoff {
                deadline: Some(ms(1_000)),
                ..policy(Jitter::None)
            },
            Random::seeded(1),
        );
        assert_eq!(s.next_wait(ms(0), None), Ok(ms(100)));
        assert_eq!(s.next_wait(ms(699), None), Ok(ms(200)));
        // 600 + 400 ends at the deadline: not started.
        assert_eq!(s.next_wait(ms(600), None), Err(GiveUp::Deadline));
        assert_eq!(s.attempts(), 3);
    }

    #[test]
    fn a_servers_wait_is_honoured_and_is_not_a_backoff_step() {
        let mut s = Schedule::new(
            Backoff {
                deadline: Some(ms(10_000)),
                ..policy(Jitter::None)
            },
            Random::seeded(1),
        );
        assert_eq!(s.next_wait(ms(0), None), Ok(ms(100)));
        assert_eq!(s.next_wait(ms(0), Some(ms(7_000))), Ok(ms(7_000)));
        // The exponential goes on where it was.
        assert_eq!(s.next_wait(ms(0), None), Ok(ms(200)));
        assert_eq!(s.next_wait(ms(0), Some(ms(10_000))), Err(GiveUp::Deadline));
        assert_eq!(s.attempts(), 4);
    }
}
