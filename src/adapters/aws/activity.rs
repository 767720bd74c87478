//! Session activity (issue 13 item 5): what an Identity Center user did in one account
//! during a grant. A read-only role in that account is assumed (`sts:AssumeRole`), and
//! CloudTrail's `LookupEvents` there lists the events whose user name is the user's, in the
//! window; only events of the grant's permission set's role (`AWSReservedSSO_<name>_…`) are
//! kept. LookupEvents allows two calls a second per account and region, so pages are read
//! at most two a second, retried like every AWS call.

use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::AwsError;
use super::calls::CallCounter;
use super::retry::{self, RetryPolicy};

/// One CloudTrail event of the user's session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityEvent {
    pub time: DateTime<Utc>,
    pub event_source: String,
    pub event_name: String,
    pub region: String,
    pub source_ip: String,
    /// `true` for a read-only call, when CloudTrail says.
    pub read_only: Option<bool>,
    /// The resources CloudTrail names: `TYPE NAME`.
    pub resources: Vec<String>,
    /// The error code of a call AWS refused (`AccessDenied`, …).
    pub error_code: Option<String>,
    pub event_id: String,
}

/// What to look up.
#[derive(Debug, Clone)]
pub struct ActivityQuery<'a> {
    pub user_name: &'a str,
    pub permission_set: &'a str,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// Credentials of the role assumed in the account (`AssumeRole`), for one hour at most.
pub async fn assume_role(
    sts: &aws_sdk_sts::Client,
    role_arn: &str,
    session_name: &str,
) -> Result<aws_sdk_cloudtrail::config::Credentials, AwsError> {
    let counter = CallCounter::default();
    let out = retry::run(&RetryPolicy::default(), &counter, "AssumeRole", || {
        sts.assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name)
            .duration_seconds(900)
            .send()
    })
    .await?;
    let c = out.credentials.ok_or_else(|| AwsError::Malformed {
        operation: "AssumeRole",
        message: "the answer has no credentials".into(),
    })?;
    Ok(aws_sdk_cloudtrail::config::Credentials::new(
        c.access_key_id,
        c.secret_access_key,
        Some(c.session_token),
        None,
        "gitgrant-activity",
    ))
}

/// The events of the query, oldest first, from every page of `LookupEvents`.
pub async fn lookup_activity(
    ct: &aws_sdk_cloudtrail::Client,
    q: &ActivityQuery<'_>,
) -> Result<Vec<ActivityEvent>, AwsError> {
    let counter = CallCounter::with_rate(2);
    let attribute = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::Username)
        .attribute_value(q.user_name)
        .build()
        .map_err(|e| AwsError::Malformed {
            operation: "LookupEvents",
            message: e.to_string(),
        })?;
    let time = |t: DateTime<Utc>| aws_smithy_types::DateTime::from_secs(t.timestamp());
    let role = format!("/AWSReservedSSO_{}_", q.permission_set);
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = retry::run(&RetryPolicy::default(), &counter, "LookupEvents", || {
            ct.lookup_events()
                .lookup_attributes(attribute.clone())
                .start_time(time(q.from))
                .end_time(time(q.until))
                .max_results(50)
                .set_next_token(token.clone())
                .send()
        })
        .await?;
        for e in page.events.unwrap_or_default() {
            let detail: Value = e
                .cloud_trail_event
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(Value::Null);
            let arn = detail
                .pointer("/userIdentity/arn")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !is_role_of(arn, &role) {
                continue;
            }
            found.push(event_of(&e, &detail));
        }
        match page.next_token {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => break,
        }
    }
    found.sort_by(|a, b| (a.time, &a.event_id).cmp(&(b.time, &b.event_id)));
    Ok(found)
}

/// Whether `arn` is a session of the permission set's role: `…/AWSReservedSSO_<name>_<16
/// hex digits>/…`, so `Admin` does not match the role of `Admin_Prod`.
fn is_role_of(arn: &str, prefix: &str) -> bool {
    let Some(at) = arn.find(prefix) else { return false };
    let rest = &arn[at + prefix.len()..];
    let suffix = rest.split('/').next().unwrap_or("");
    suffix.len() == 16 && suffix.chars().all(|c| c.is_ascii_hexdigit()) && rest.len() > 16
}

fn event_of(e: &aws_sdk_cloudtrail::types::Event, detail: &Value) -> ActivityEvent {
    let text = |p: &str| detail.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
    ActivityEvent {
        time: e
            .event_time
            .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
            .unwrap_or_default(),
        event_source: e.event_source.clone().unwrap_or_else(|| text("/eventSource")),
        event_name: e.event_name.clone().unwrap_or_else(|| text("/eventName")),
        region: text("/awsRegion"),
        source_ip: text("/sourceIPAddress"),
        read_only: e.read_only.as_deref().map(|r| r == "true"),
        resources: e
            .resources
            .iter()
            .flatten()
            .map(|r| {
                format!(
                    "{} {}",
                    r.resource_type.as_deref().unwrap_or("?"),
                    r.resource_name.as_deref().unwrap_or("?")
                )
            })
            .collect(),
        error_code: detail.get("errorCode").and_then(Value::as_str).map(str::to_string),
        event_id: e.event_id.clone().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_role_of;

    #[test]
    fn only_the_permission_sets_own_role_matches() {
        let p = "/AWSReservedSSO_Admin_";
        assert!(is_role_of(
            "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@acme.example",
            p
        ));
        assert!(!is_role_of(
            "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_Prod_0123456789abcdef/alice@acme.example",
            p
        ));
        assert!(!is_role_of(
            "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/alice",
            p
        ));
        assert!(!is_role_of("", p));
    }
}
