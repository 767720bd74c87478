//! The retry policy of every AWS call, kept apart from what the calls do: which failures
//! are worth another attempt, and the settings of the jittered exponential backoff between
//! attempts and of the deadline after which an operation gives up (the schedule itself is
//! [`crate::adapters::backoff`]'s).

use std::future::Future;
use std::time::Duration;

use aws_sdk_ssoadmin::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_types::retry::ErrorKind;

use super::AwsError;
use super::calls::CallCounter;
use crate::adapters::backoff::{Backoff, Jitter, Random, Schedule};
use crate::adapters::progress::{Failed, StillTrying};

/// Backoff and deadline of one operation (all its attempts together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The backoff cap of the first retry; it doubles with every further attempt.
    pub initial_backoff: Duration,
    /// The backoff never exceeds this.
    pub max_backoff: Duration,
    /// No attempt starts after this much time since the first one.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
            deadline: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The schedule: "equal jitter", between half the capped exponential and all of it, so
    /// clients that failed together spread out without ever retrying at once.
    pub fn schedule(&self) -> Backoff {
        Backoff {
            base: self.initial_backoff,
            cap: self.max_backoff,
            jitter: Jitter::Equal,
            max_attempts: None,
            deadline: Some(self.deadline),
        }
    }
}

/// What to do about a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Throttling, conflicts, server errors, transport failures: try again later.
    Retry,
    /// The credentials expired: stop, and say so.
    Expired,
    /// Anything else (access denied, validation, not found…): fail at once.
    Fatal,
}

const RETRY_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ConflictException",
    "ConcurrentModificationException",
    "InternalServerException",
    "InternalFailure",
    "ServiceException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
];

const EXPIRED_CODES: &[&str] = &["ExpiredTokenException", "ExpiredToken", "TokenRefreshRequired"];

/// Classifies an answer from AWS by its error code and HTTP status.
pub fn classify(code: Option<&str>, status: Option<u16>) -> Class {
    if let Some(code) = code {
        if EXPIRED_CODES.contains(&code) {
            return Class::Expired;
        }
        if RETRY_CODES.contains(&code) {
            return Class::Retry;
        }
    }
    match status {
        Some(429) => Class::Retry,
        Some(s) if (500..600).contains(&s) => Class::Retry,
        _ => Class::Fatal,
    }
}

fn classify_sdk<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>, status: Option<u16>) -> Class {
    match err {
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => classify(err.code(), status),
        SdkError::TimeoutError(_) => Class::Retry,
        SdkError::DispatchFailure(d) => {
            let transient = matches!(
                d.as_other(),
                Some(ErrorKind::TransientError | ErrorKind::ThrottlingError | ErrorKind::ServerError)
            );
            if d.is_io() || d.is_timeout() || transient {
                Class::Retry
            } else {
                Class::Fatal
            }
        }
        _ => Class::Fatal,
    }
}

/// Runs one operation: every attempt counted under `operation`, retried by `policy`.
pub(super) async fn run<T, E, F, Fut>(
    policy: &RetryPolicy,
    counter: &CallCounter,
    operation: &'static str,
    mut attempt_fn: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let started = tokio::time::Instant::now();
    let mut schedule = Schedule::new(policy.schedule(), Random::from_entropy());
    let mut still_trying = StillTrying::default();
    loop {
        counter.admit(operation).await;
        let err = match attempt_fn().await {
            Ok(out) => return Ok(out),
            Err(err) => err,
        };
        let status = err.raw_response().map(|r| r.status().as_u16());
        let code = err.code().map(str::to_string);
        let message = describe(&err, status);
        match classify_sdk(&err, status) {
            Class::Expired => return Err(AwsError::CredentialsExpired { operation, message }),
            Class::Fatal => {
                return Err(AwsError::Api {
                    operation,
                    code,
                    message,
                });
            }
            Class::Retry => {
                let elapsed = started.elapsed();
                let attempts = schedule.attempts();
                match schedule.next_wait(elapsed, None) {
                    Ok(wait) => {
                        still_trying.note(&Failed {
                            call: operation,
                            elapsed,
                            attempts,
                            last: &message,
                            deadline: policy.deadline,
                        });
                        tokio::time::sleep(wait).await
                    }
                    Err(_) => {
                        return Err(AwsError::Deadline {
                            operation,
                            attempts: schedule.attempts(),
                            elapsed,
                            message,
                        });
                    }
                }
            }
        }
    }
}

/// One line about a failure: AWS's code and message when it answered, else the SDK's chain.
fn describe<E, R>(err: &SdkError<E, R>, status: Option<u16>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let http = status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
    match (err.code(), err.message()) {
        (Some(code), Some(msg)) => format!("{code}: {msg}{http}"),
        (Some(code), None) => format!("{code}{http}"),
        // an answer that is no AWS error (an HTML error page, a proxy's): its status, not
        // the SDK's dump of the body
        _ if matches!(err, SdkError::ServiceError(_) | SdkError::ResponseError(_)) => match status {
            Some(s) => format!(
                "HTTP {s} without an AWS error code (a proxy's or an emulator's error page; an endpoint that does not implement this call answers so)"
            ),
            None => "an answer without an AWS error code".into(),
        },
        _ => format!("{}{http}", DisplayErrorContext(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        let cases = [
            (Some("ThrottlingException"), Some(400), Class::Retry),
            (Some("TooManyRequestsException"), Some(400), Class::Retry),
            (Some("ConflictException"), Some(409), Class::Retry),
            (Some("InternalServerException"), Some(500), Class::Retry),
            (None, Some(500), Class::Retry),
            (None, Some(503), Class::Retry),
            (None, Some(429), Class::Retry),
            (Some("ExpiredTokenException"), Some(400), Class::Expired),
            (Some("AccessDeniedException"), Some(403), Class::Fatal),
            (Some("ValidationException"), Some(400), Class::Fatal),
            (Some("ResourceNotFoundException"), Some(404), Class::Fatal),
            (None, Some(400), Class::Fatal),
            (None, None, Class::Fatal),
        ];
        for (code, status, want) in cases {
            assert_eq!(classify(code, status), want, "{code:?} {status:?}");
        }
    }

    #[test]
    fn the_schedule_is_equal_jitter_within_the_deadline() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            deadline: Duration::from_secs(10),
        };
        let s = p.schedule();
        assert_eq!(s.jitter, Jitter::Equal);
        assert_eq!((s.base, s.cap), (p.initial_backoff, p.max_backoff));
        assert_eq!((s.deadline, s.max_attempts), (Some(p.deadline), None));
        // retry 3: 800 ms capped exponential, jittered into [400, 800] ms
        assert_eq!(s.delay(3, Duration::ZERO, 0.0), Duration::from_millis(400));
        assert_eq!(s.delay(3, Duration::ZERO, 1.0), Duration::from_millis(800));
    }
}
