//! Operational failures of the AWS adapter, each naming the operation that failed.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error(
        "no IAM Identity Center instance is visible to these credentials; enable Identity Center or use credentials of its management or delegated administrator account"
    )]
    NoInstance,
    #[error("{} IAM Identity Center instances are visible ({}); pass the instance ARN to use", .0.len(), list(.0))]
    ManyInstances(Vec<String>),
    #[error("the IAM Identity Center instance `{wanted}` is not visible to these credentials (visible: {})", list(.visible))]
    UnknownInstance { wanted: String, visible: Vec<String> },
    #[error("no AWS region is configured (unset or empty); set `AWS_REGION` (or a region in the AWS profile)")]
    NoRegion,
    #[error(
        "aws credentials expired during `{operation}`: {message}; renew them (re-run the role or login step) and run again"
    )]
    CredentialsExpired { operation: &'static str, message: String },
    #[error("`{operation}` failed: {message}")]
    Api {
        operation: &'static str,
        /// The AWS error code (`AccessDeniedException`, …) when AWS answered with one.
        code: Option<String>,
        message: String,
    },
    #[error(
        "`{operation}` still failing after {attempts} attempt(s) in {:.1}s, past the retry deadline: {message}",
        .elapsed.as_secs_f64()
    )]
    Deadline {
        operation: &'static str,
        attempts: u32,
        elapsed: Duration,
        message: String,
    },
    #[error("unexpected answer from `{operation}`: {message}")]
    Malformed { operation: &'static str, message: String },
    #[error("the OU `{name}` (`{id}`) has a `/` in its name, which gitgrant uses between OU names in paths")]
    OuNameWithSlash { id: String, name: String },
}

impl AwsError {
    /// The AWS error code of an API failure.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.code() == Some("ResourceNotFoundException")
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}
