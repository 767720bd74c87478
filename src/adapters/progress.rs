//! Progress lines of long operations: an AWS or GitHub call that keeps being retried says
//! so ("still trying") 10 s after its first attempt and every 30 s after that, naming the
//! call, the attempts so far, the last failure and when it gives up, so a run that looks
//! stuck is seen to be waiting, and on what. The adapters report; the CLI decides where the
//! lines go (stderr). Without a reporter (library use) nothing is printed.

use std::sync::OnceLock;
use std::time::Duration;

static REPORTER: OnceLock<fn(&str)> = OnceLock::new();

/// Where progress lines go for the rest of the process; only the first call takes effect
/// (false for later ones).
pub fn set_reporter(report: fn(&str)) -> bool {
    REPORTER.set(report).is_ok()
}

fn report(line: &str) {
    if let Some(r) = REPORTER.get() {
        r(line);
    }
}

/// The first "still trying" line comes this long after the first attempt...
pub const FIRST_NOTICE: Duration = Duration::from_secs(10);
/// ...and the next ones this often.
pub const NOTICE_EVERY: Duration = Duration::from_secs(30);

/// When an operation that keeps failing next says that it is still trying.
#[derive(Debug, Clone)]
pub struct StillTrying {
    next: Duration,
}

impl Default for StillTrying {
    fn default() -> Self {
        StillTrying { next: FIRST_NOTICE }
    }
}

/// A failed attempt of a retried call, as the notice describes it.
pub struct Failed<'a> {
    /// The call: `ListAccountAssignments`, `GET /repos/acme/access/pulls/42`.
    pub call: &'a str,
    /// Time since the first attempt.
    pub elapsed: Duration,
    pub attempts: u32,
    /// The last failure, one line.
    pub last: &'a str,
    /// No attempt starts after this much time since the first.
    pub deadline: Duration,
}

impl StillTrying {
    /// The notice due after `failed`, if one is: at most one per interval, however many
    /// attempts fail within it.
    pub fn line(&mut self, failed: &Failed) -> Option<String> {
        if failed.elapsed < self.next {
            return None;
        }
        while self.next <= failed.elapsed {
            self.next += NOTICE_EVERY;
        }
        Some(format!(
            "gitgrant: still trying {}: {} attempt(s) in {}s, last: {}; gives up {}s after the first attempt",
            failed.call,
            failed.attempts,
            failed.elapsed.as_secs(),
            failed.last,
            failed.deadline.as_secs()
        ))
    }

    /// Reports the notice due after `failed`, if one is.
    pub fn note(&mut self, failed: &Failed) {
        if let Some(line) = self.line(failed) {
            report(&line);
        }
    }
}

/// Tests: every progress line of this process, from now on (the reporter is set once).
#[cfg(test)]
pub(crate) fn capture() -> &'static std::sync::Mutex<Vec<String>> {
    static LINES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    set_reporter(|line| LINES.lock().unwrap().push(line.to_string()));
    &LINES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(secs: u64, attempts: u32) -> Failed<'static> {
        Failed {
            call: "ListAccountAssignments",
            elapsed: Duration::from_secs(secs),
            attempts,
            last: "ThrottlingException: Rate exceeded (HTTP 400)",
            deadline: Duration::from_secs(120),
        }
    }

    #[test]
    fn a_notice_after_ten_seconds_then_one_every_thirty() {
        let mut s = StillTrying::default();
        let due: Vec<u64> = (0..=75u64).filter(|t| s.line(&failed(*t, 1)).is_some()).collect();
        assert_eq!(due, vec![10, 40, 70]);
        // a long wait between attempts does not make a burst of notices
        let mut s = StillTrying::default();
        assert!(s.line(&failed(100, 3)).is_some());
        assert!(s.line(&failed(101, 4)).is_none());
        assert!(s.line(&failed(130, 5)).is_some());
    }

    #[test]
    fn the_notice_names_the_call_the_attempts_the_last_failure_and_the_deadline() {
        let line = StillTrying::default().line(&failed(12, 5)).unwrap();
        assert_eq!(
            line,
            "gitgrant: still trying ListAccountAssignments: 5 attempt(s) in 12s, last: ThrottlingException: Rate exceeded (HTTP 400); gives up 120s after the first attempt"
        );
    }
}
