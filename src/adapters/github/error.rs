//! The GitHub adapter's errors: each names the request (method and path) it came from, and
//! none carries the token.

use std::time::Duration;

/// Everything that can go wrong talking to GitHub. Operational failures, never findings.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "`GITHUB_TOKEN` is not set; set it to a token that can read the pull request (team \
         membership needs a GitHub App installation token with Members: read)"
    )]
    MissingToken,

    #[error("`{url}` is not a usable GitHub API URL: {reason}")]
    BadBaseUrl { url: String, reason: String },

    #[error("`{value}` is not a valid GitHub {what}")]
    BadArgument { what: &'static str, value: String },

    #[error("the GitHub client must be created inside a tokio runtime (see `github::runtime`)")]
    NoRuntime,

    #[error("cannot set up the GitHub client: {0}")]
    Client(String),

    /// GitHub answered with a status that is not retried (or no longer retried).
    #[error("`{method} {path}` answered {}: {message}", status_text(*status))]
    Status {
        method: &'static str,
        path: String,
        status: u16,
        /// GitHub's `message` field, or the start of the body.
        message: String,
    },

    /// Rate limited, and the wait GitHub asks for does not fit in the deadline.
    #[error(
        "`{method} {path}` is rate limited by GitHub, which asks to wait {}s; that is past the \
         {}s deadline, so gitgrant stopped (re-run later)",
        wait.as_secs_f64().ceil(), deadline.as_secs_f64()
    )]
    RateLimited {
        method: &'static str,
        path: String,
        wait: Duration,
        deadline: Duration,
    },

    /// Retryable failures until the deadline ran out.
    #[error(
        "`{method} {path}` still failed after {attempts} attempt(s) within the {}s deadline; \
         last: {last}",
        deadline.as_secs_f64()
    )]
    DeadlineExceeded {
        method: &'static str,
        path: String,
        attempts: u32,
        deadline: Duration,
        last: String,
    },

    /// No answer: connection refused, reset, TLS failure... (not retried for unsafe requests).
    #[error("`{method} {path}` failed: {reason}")]
    Transport {
        method: &'static str,
        path: String,
        reason: String,
    },

    #[error("`{method} {path}` answered with JSON gitgrant cannot use: {reason}")]
    Decode {
        method: &'static str,
        path: String,
        reason: String,
    },

    #[error("`{method} {path}`: the next-page link `{link}` {reason}")]
    BadLink {
        method: &'static str,
        path: String,
        link: String,
        reason: &'static str,
    },

    /// GitHub listed fewer items than the pull request has: never verify a partial PR.
    #[error(
        "pull request #{number} is too large to verify: it has {expected} {what} but GitHub \
         lists {listed} (it lists at most {limit}); split it into smaller pull requests"
    )]
    TooLarge {
        number: u64,
        what: &'static str,
        listed: usize,
        expected: u64,
        limit: u64,
    },

    /// GitHub listed more items than the pull request says it has.
    #[error(
        "pull request #{number} changed while reading: it reports {expected} {what} but GitHub \
         listed {listed}; re-run"
    )]
    Inconsistent {
        number: u64,
        what: &'static str,
        listed: usize,
        expected: u64,
    },

    /// A push (or force-push) happened between the first and the last read of the PR.
    #[error("pull request #{number}: head changed from {from} to {to} while reading; re-run")]
    HeadChanged { number: u64, from: String, to: String },

    /// DESIGN 7: never a silent "not a member".
    #[error(
        "the token cannot read the members of team `@{org}/{team}` (`GET {path}` answered {}); \
         team membership needs a GitHub App installation token with the Members: read \
         organization permission (the workflow's default GITHUB_TOKEN cannot read teams)",
        status_text(*status)
    )]
    TeamUnreadable {
        org: String,
        team: String,
        path: String,
        status: u16,
    },
}

impl Error {
    /// The HTTP status GitHub answered, when the error is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } | Error::TeamUnreadable { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// `404 Not Found`, or just the number for codes `http` does not name.
pub(crate) fn status_text(status: u16) -> String {
    match http::StatusCode::from_u16(status) {
        Ok(s) => s.to_string(),
        Err(_) => status.to_string(),
    }
}
