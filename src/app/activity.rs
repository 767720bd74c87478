//! `gitgrant activity ID` (issue 13 item 5): what the user of one grant did in its account
//! during the grant's window, plus a margin. The grant (user, account, permission set and
//! when access was held) comes from the audit join of git and the ledger; the events come
//! from CloudTrail in that account, through a read-only role assumed there.

use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::adapters::aws::activity::{self, ActivityEvent, ActivityQuery};
use crate::app::error::AppError;
use crate::core::audit::filter::Filter;

pub struct ActivityArgs<'a> {
    pub repo: &'a Path,
    pub reference: &'a str,
    pub id: &'a str,
    /// The role assumed in the grant's account.
    pub role_name: &'a str,
    /// Looked at before the activation and after the end.
    pub margin: TimeDelta,
    pub at: DateTime<Utc>,
}

/// The grant looked at, and what its user did.
#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    pub request: String,
    pub user: String,
    pub account_id: String,
    pub permission_set: String,
    /// When access was held (ended: `None` while active).
    pub activated_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The window looked at: the grant's, widened by the margin.
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub role_arn: String,
    pub events: Vec<ActivityEvent>,
}

/// The grant of request `id`: what `activity` looks at, or why there is nothing to look at.
pub fn grant_of(a: &ActivityArgs<'_>) -> Result<Activity, AppError> {
    let found = crate::app::audit::run_audit(crate::app::audit::AuditArgs {
        repo: a.repo,
        reference: a.reference,
        filter: Filter::default(),
        verify: false,
        at: a.at,
    })?;
    let rows: Vec<_> = found.report.rows.iter().filter(|r| r.id == a.id).collect();
    // a grant is a row that was activated: a PR reusing the id elsewhere hides nothing
    let granted: Vec<_> = rows.iter().filter(|r| r.activated_at.is_some()).collect();
    let row = match (rows.as_slice(), granted.as_slice()) {
        ([], _) => {
            return Err(AppError::Usage(format!(
                "no request with id `{}` in the audit of `{}`",
                a.id, a.reference
            )));
        }
        (_, [one]) => **one,
        (all, []) => all[all.len() - 1],
        (_, many) => {
            let paths: Vec<&str> = many.iter().map(|r| r.path.as_str()).collect();
            return Err(AppError::Usage(format!(
                "request id `{}` names {} grants ({}); gitgrant does not guess which",
                a.id,
                many.len(),
                paths.join(", ")
            )));
        }
    };
    let missing = |what: &str| {
        AppError::Usage(format!(
            "request `{}` has no {what} in the ledger, so there is no session to look at",
            a.id
        ))
    };
    let activated_at = row
        .activated_at
        .ok_or_else(|| missing("activation (it was never granted)"))?;
    let user = row.user_name.clone().ok_or_else(|| missing("Identity Center user"))?;
    let account_id = row.account_id.clone().ok_or_else(|| missing("account id"))?;
    let permission_set = row.permission_set.clone().ok_or_else(|| missing("permission set"))?;
    let ended_at = row.ended_at;
    let until = ended_at.unwrap_or(a.at).min(a.at) + a.margin;
    Ok(Activity {
        request: row.path.clone(),
        role_arn: format!("arn:aws:iam::{account_id}:role/{}", a.role_name),
        user,
        account_id,
        permission_set,
        activated_at,
        ended_at,
        from: activated_at - a.margin,
        until,
        events: Vec::new(),
    })
}

/// Looks up the grant's activity with these clients (STS where the reconciler runs, and a
/// CloudTrail client made from the assumed role's credentials).
pub async fn look_up(
    mut grant: Activity,
    sts: &aws_sdk_sts::Client,
    cloudtrail_for: impl FnOnce(aws_sdk_cloudtrail::config::Credentials) -> aws_sdk_cloudtrail::Client,
) -> Result<Activity, AppError> {
    let session = format!("gitgrant-activity-{}", grant.account_id);
    let credentials = activity::assume_role(sts, &grant.role_arn, &session).await?;
    let ct = cloudtrail_for(credentials);
    let q = ActivityQuery {
        user_name: &grant.user,
        permission_set: &grant.permission_set,
        from: grant.from,
        until: grant.until,
    };
    grant.events = activity::lookup_activity(&ct, &q).await?;
    Ok(grant)
}

/// `activity` end to end: the grant, then AWS from the standard environment.
pub fn run(a: &ActivityArgs<'_>) -> Result<Activity, AppError> {
    let grant = grant_of(a)?;
    let rt = crate::adapters::github::runtime().map_err(AppError::Runtime)?;
    rt.block_on(async {
        let config = crate::adapters::aws::config_loader().load().await;
        if config.region().is_none_or(|r| r.as_ref().trim().is_empty()) {
            return Err(AppError::Aws(crate::adapters::aws::AwsError::NoRegion));
        }
        let sts = aws_sdk_sts::Client::new(&config);
        let cloudtrail_for = |c: aws_sdk_cloudtrail::config::Credentials| {
            let conf = aws_sdk_cloudtrail::config::Builder::from(&config)
                .credentials_provider(c)
                .build();
            aws_sdk_cloudtrail::Client::from_conf(conf)
        };
        look_up(grant, &sts, cloudtrail_for).await
    })
}
