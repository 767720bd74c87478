//! `gitgrant pr --close-stale` (DESIGN 10.8): the scheduled gate run closes every open PR
//! that adds request files and was opened longer than the default branch's
//! `pending_timeout` ago, each with a comment saying why. Such a PR can never be approved
//! (`stale`); closing it keeps the queue honest and tells the requester to file anew.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::adapters::actions::RunEnvironment;
use crate::adapters::git::Git;
use crate::adapters::github::{self, GitHub, Repo};
use crate::core::files::duration::HumaneDuration;
use crate::core::files::load;

/// The hidden marker of the stale comment: one per PR, edited in place on a re-run.
pub const STALE_MARKER: &str = "<!-- gitgrant:stale -->";

/// A PR the run closed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ClosedPr {
    pub number: u64,
    pub opened: DateTime<Utc>,
    /// The request files it added.
    pub requests: Vec<String>,
}

/// Reads `pending_timeout` from the policy at `rev` of the local clone (the default branch's
/// checkout), then closes the stale request PRs through the API of the run's environment.
pub fn close_stale(
    repo_dir: &Path,
    rev: &str,
    env: &RunEnvironment,
    at: DateTime<Utc>,
) -> Result<Vec<ClosedPr>, String> {
    let git = Git::open(repo_dir).map_err(|e| e.to_string())?;
    let tree = git
        .read_tree(rev, &crate::core::files::tree::TRUSTED_FILES)
        .map_err(|e| e.to_string())?;
    let policy = load::policy_set(&tree, &mut Vec::new()).map_err(|e| {
        format!(
            "the policy at `{rev}` does not validate, so what is stale cannot be told ({}); run `gitgrant check`",
            e.summary()
        )
    })?;
    let timeout = policy.policy().settings.pending_timeout;
    let full = env
        .github_repository
        .as_deref()
        .ok_or("GITHUB_REPOSITORY is not set: which repository's PRs to close is unknown")?;
    let repo = Repo::parse(full).map_err(|e| e.to_string())?;
    let rt = github::runtime().map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async {
        let gh = GitHub::from_env(env).map_err(|e| e.to_string())?;
        close_stale_prs(&gh, &repo, timeout, at).await
    })
}

/// Closes, with a comment, every open PR adding request files that was opened more than
/// `timeout` before `at`. A PR the API lists without a number or an opening time is an
/// error (nothing is guessed).
pub async fn close_stale_prs(
    gh: &GitHub,
    repo: &Repo,
    timeout: HumaneDuration,
    at: DateTime<Utc>,
) -> Result<Vec<ClosedPr>, String> {
    let mut closed = Vec::new();
    for pull in gh.list_open_pulls(repo).await.map_err(|e| e.to_string())? {
        let (number, opened) = number_and_opened(&pull)?;
        if at - opened <= timeout.to_chrono() {
            continue;
        }
        let files = gh.list_pull_files(repo, number).await.map_err(|e| e.to_string())?;
        let requests = added_requests(&files);
        if requests.is_empty() {
            continue; // a policy or other PR: not a request, never stale
        }
        let body = comment(opened, timeout, at);
        gh.upsert_comment(repo, number, STALE_MARKER, &body)
            .await
            .map_err(|e| e.to_string())?;
        gh.close_pull(repo, number).await.map_err(|e| e.to_string())?;
        closed.push(ClosedPr {
            number,
            opened,
            requests,
        });
    }
    Ok(closed)
}

fn number_and_opened(pull: &Value) -> Result<(u64, DateTime<Utc>), String> {
    let number = pull
        .get("number")
        .and_then(Value::as_u64)
        .ok_or("an open pull request without a numeric `number`")?;
    let opened = pull
        .get("created_at")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .ok_or_else(|| format!("pull request #{number} has no valid `created_at`"))?;
    Ok((number, opened.with_timezone(&Utc)))
}

/// The request files a PR's file list adds.
fn added_requests(files: &[Value]) -> Vec<String> {
    files
        .iter()
        .filter(|f| f.get("status").and_then(Value::as_str) == Some("added"))
        .filter_map(|f| f.get("filename").and_then(Value::as_str))
        .filter(|p| p.starts_with("requests/"))
        .map(str::to_string)
        .collect()
}

fn comment(opened: DateTime<Utc>, timeout: HumaneDuration, at: DateTime<Utc>) -> String {
    format!(
        "{STALE_MARKER}\n**gitgrant**: closed as `stale`. This pull request was opened {} and is still not merged {} later, longer than `pending_timeout` ({timeout}) allows; its approvals no longer count.\n\nIf you still need access, file a new request with a new id (`gitgrant request`) and ask for fresh approvals. See `gitgrant explain stale`.",
        opened.to_rfc3339(),
        humane(at - opened)
    )
}

/// A time span rounded down to whole hours (or minutes when under an hour).
fn humane(d: chrono::TimeDelta) -> String {
    if d.num_hours() >= 1 {
        format!("{}h", d.num_hours())
    } else {
        format!("{}m", d.num_minutes().max(0))
    }
}
