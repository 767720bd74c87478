//! GitHub Actions event adapter: which pull request this run is about, from
//! `GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH` and `GITHUB_REPOSITORY`.

use serde_json::Value;

/// The pull request a workflow run concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrRef {
    pub owner: String,
    pub repo: String,
    pub number: u64,
}

/// Finds the PR from an event payload. `pr_number_override` (`GITGRANT_PR_NUMBER`) wins for
/// events that do not carry one reliably (`workflow_run` from a fork has no PR list).
pub fn pr_from_event(
    name: &str,
    payload: &Value,
    repository: Option<&str>,
    pr_number_override: Option<&str>,
) -> Result<PrRef, String> {
    let full_name = repository
        .map(str::to_string)
        .or_else(|| {
            payload
                .pointer("/repository/full_name")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .ok_or("the repository is unknown: set GITHUB_REPOSITORY=owner/repo")?;
    let (owner, repo) = full_name
        .split_once('/')
        .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
        .ok_or_else(|| format!("`{full_name}` is not `owner/repo`"))?;
    let number = if let Some(n) = pr_number_override.filter(|s| !s.is_empty()) {
        n.parse::<u64>()
            .map_err(|_| format!("GITGRANT_PR_NUMBER `{n}` is not a number"))?
    } else {
        let pointer = match name {
            "pull_request" | "pull_request_target" | "pull_request_review" | "pull_request_review_comment" => {
                "/pull_request/number"
            }
            "issue_comment" => {
                if payload.pointer("/issue/pull_request").is_none() {
                    return Err("this issue_comment event is on an issue, not a pull request".into());
                }
                "/issue/number"
            }
            "workflow_run" => "/workflow_run/pull_requests/0/number",
            other => {
                return Err(format!(
                    "event `{other}` does not concern a pull request; use --snapshot FILE or set GITGRANT_PR_NUMBER"
                ));
            }
        };
        payload.pointer(pointer).and_then(Value::as_u64).ok_or_else(|| {
            format!(
                "the `{name}` event payload has no `{}`",
                pointer.trim_start_matches('/').replace('/', ".")
            )
        })?
    };
    Ok(PrRef {
        owner: owner.to_string(),
        repo: repo.to_string(),
        number,
    })
}

/// Reads the event from the Actions environment.
pub fn pr_from_env() -> Result<PrRef, String> {
    let name = std::env::var("GITHUB_EVENT_NAME")
        .map_err(|_| "GITHUB_EVENT_NAME is not set: run inside GitHub Actions, or pass --snapshot FILE".to_string())?;
    let path = std::env::var("GITHUB_EVENT_PATH").map_err(|_| "GITHUB_EVENT_PATH is not set".to_string())?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read the event payload `{path}`: {e}"))?;
    let payload: Value =
        serde_json::from_str(&text).map_err(|e| format!("the event payload `{path}` is not JSON: {e}"))?;
    pr_from_event(
        &name,
        &payload,
        std::env::var("GITHUB_REPOSITORY").ok().as_deref(),
        std::env::var("GITGRANT_PR_NUMBER").ok().as_deref(),
    )
}

/// The comment of an `issue_comment` event, when this run is one.
pub fn comment_from_env() -> Option<crate::core::gate::ledger_events::RevokeComment> {
    if std::env::var("GITHUB_EVENT_NAME").ok()? != "issue_comment" {
        return None;
    }
    let text = std::fs::read_to_string(std::env::var("GITHUB_EVENT_PATH").ok()?).ok()?;
    comment_from_payload(&serde_json::from_str(&text).ok()?)
}

/// The commenter, body and time of an `issue_comment` payload (created or edited).
pub fn comment_from_payload(payload: &Value) -> Option<crate::core::gate::ledger_events::RevokeComment> {
    if payload.get("action").and_then(Value::as_str) == Some("deleted") {
        return None;
    }
    let c = payload.get("comment")?;
    let at = c
        .get("updated_at")
        .or_else(|| c.get("created_at"))
        .and_then(Value::as_str)?;
    Some(crate::core::gate::ledger_events::RevokeComment {
        login: c.pointer("/user/login")?.as_str()?.to_string(),
        body: c.get("body")?.as_str()?.to_string(),
        at: chrono::DateTime::parse_from_rfc3339(at)
            .ok()?
            .with_timezone(&chrono::Utc),
    })
}
