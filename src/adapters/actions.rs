//! The GitHub Actions environment: every environment variable gitgrant reads is read here,
//! once, into [`RunEnvironment`]; and which pull request (or `/revoke` comment) a run is
//! about, from `GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH` and `GITHUB_REPOSITORY`.

use std::path::PathBuf;

use serde_json::Value;

use crate::core::gate::ledger_events::{Push, RevokeComment};

/// The environment variables of one run, as they were set (an empty value is kept as
/// given: each user decides what empty means). Built once, at the edge, from a lookup.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RunEnvironment {
    /// `GITHUB_TOKEN`: the token for the GitHub API.
    pub github_token: Option<String>,
    /// `GITHUB_API_URL`: the API root (GitHub Enterprise); `https://api.github.com` if unset.
    pub github_api_url: Option<String>,
    /// `GITHUB_REPOSITORY`: `owner/repo` of the run.
    pub github_repository: Option<String>,
    /// `GITHUB_EVENT_NAME`: the event that started the workflow.
    pub github_event_name: Option<String>,
    /// `GITHUB_EVENT_PATH`: the file holding the event's payload.
    pub github_event_path: Option<PathBuf>,
    /// `GITHUB_STEP_SUMMARY`: the file the job summary is appended to.
    pub github_step_summary: Option<PathBuf>,
    /// `GITGRANT_PR_NUMBER`: the pull request, for events that do not name one.
    pub pr_number: Option<String>,
    /// `GH_TOKEN`: the GitHub CLI's token variable, a person's token on a laptop.
    pub gh_token: Option<String>,
    /// The variables `[[notify]]` entries name (`url_env`, `secret_env`), read when the run
    /// is built: every variable named in capitals, digits and `_` (values never printed).
    pub named: std::collections::BTreeMap<String, String>,
}

/// The token of the GitHub CLI's login (`gh auth token`), if `gh` is installed and logged in.
fn gh_cli_token() -> Option<String> {
    let out = std::process::Command::new("gh")
        .args(["auth", "token"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let token = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !token.is_empty()).then_some(token)
}

/// Never prints the token.
impl std::fmt::Debug for RunEnvironment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunEnvironment")
            .field("github_token", &self.github_token.as_ref().map(|_| "<set>"))
            .field("github_api_url", &self.github_api_url)
            .field("github_repository", &self.github_repository)
            .field("github_event_name", &self.github_event_name)
            .field("github_event_path", &self.github_event_path)
            .field("github_step_summary", &self.github_step_summary)
            .field("gh_token", &self.gh_token.as_ref().map(|_| "<set>"))
            .field("pr_number", &self.pr_number)
            .field("named", &format!("<{} variable(s)>", self.named.len()))
            .finish()
    }
}

impl RunEnvironment {
    /// Reads every variable through `lookup` (`|k| std::env::var(k).ok()`, or a map in tests).
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> RunEnvironment {
        RunEnvironment {
            github_token: lookup("GITHUB_TOKEN"),
            github_api_url: lookup("GITHUB_API_URL"),
            github_repository: lookup("GITHUB_REPOSITORY"),
            github_event_name: lookup("GITHUB_EVENT_NAME"),
            github_event_path: lookup("GITHUB_EVENT_PATH").map(PathBuf::from),
            github_step_summary: lookup("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            pr_number: lookup("GITGRANT_PR_NUMBER"),
            gh_token: lookup("GH_TOKEN"),
            named: Default::default(),
        }
    }

    /// A variable a `[[notify]]` entry names, when it is set and not empty.
    pub fn named_var(&self, name: &str) -> Option<&str> {
        self.named
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// A person's GitHub token, for `request` and `revoke` on a laptop: `GH_TOKEN`, then
    /// `GITHUB_TOKEN`, then what `gh auth token` prints (the GitHub CLI's login); empty
    /// values are skipped. `None` when there is none of the three.
    pub fn user_token(&self) -> Option<String> {
        let set = |t: &Option<String>| t.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        set(&self.gh_token)
            .or_else(|| set(&self.github_token))
            .or_else(gh_cli_token)
    }

    /// The process's own environment.
    pub fn from_process() -> RunEnvironment {
        let mut env = RunEnvironment::from_vars(|name| std::env::var(name).ok());
        let notify_name = |k: &str| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        };
        env.named = std::env::vars().filter(|(k, _)| notify_name(k)).collect();
        env
    }

    /// The event payload (`GITHUB_EVENT_PATH`), read and parsed; what is wrong says where.
    fn payload(&self) -> Result<Value, ActionsError> {
        let path = self.github_event_path.as_ref().ok_or(ActionsError::NoEventPath)?;
        let text = std::fs::read_to_string(path).map_err(|source| ActionsError::ReadPayload {
            path: path.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| ActionsError::PayloadNotJson {
            path: path.clone(),
            source,
        })
    }

    /// The pull request this run is about, from its event.
    pub fn pr_ref(&self) -> Result<PrRef, ActionsError> {
        let name = self.github_event_name.as_deref().ok_or(ActionsError::NoEventName)?;
        let payload = self.payload()?;
        pr_from_event(
            name,
            &payload,
            self.github_repository.as_deref(),
            self.pr_number.as_deref(),
        )
    }

    /// The repository's default branch as the event payload names it
    /// (`repository.default_branch`: push, schedule, workflow_dispatch, pull_request ...);
    /// `None` outside Actions or when the payload does not say.
    pub fn default_branch(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.github_event_path.as_ref()?).ok()?;
        default_branch_from_payload(&serde_json::from_str(&text).ok()?)
    }

    /// The push of a `pull_request`/`pull_request_target` opened, synchronize or reopened
    /// event, when this run is one. An unreadable payload, or one without the sender or
    /// head, is an error: who pushed must not silently go unrecorded.
    pub fn push_event(&self) -> Result<Option<Push>, ActionsError> {
        let Some(name) = self.github_event_name.as_deref() else {
            return Ok(None);
        };
        if !matches!(name, "pull_request" | "pull_request_target") {
            return Ok(None);
        }
        push_from_payload(name, &self.payload()?)
    }

    /// The comment of an `issue_comment` event, when this run is one.
    pub fn revoke_comment(&self) -> Option<RevokeComment> {
        if self.github_event_name.as_deref()? != "issue_comment" {
            return None;
        }
        let text = std::fs::read_to_string(self.github_event_path.as_ref()?).ok()?;
        comment_from_payload(&serde_json::from_str(&text).ok()?)
    }
}

/// `repository.default_branch` of an event payload, when it is a plausible branch name.
pub fn default_branch_from_payload(payload: &Value) -> Option<String> {
    let name = payload.pointer("/repository/default_branch")?.as_str()?;
    let plausible = !name.is_empty()
        && !name.starts_with('-')
        && !name.starts_with("refs/")
        && !name.contains(|c: char| c.is_control() || c == ' ' || c == ':' || c == '~' || c == '^');
    plausible.then(|| name.to_string())
}

/// Why the pull request of a run could not be told.
#[derive(Debug, thiserror::Error)]
pub enum ActionsError {
    #[error("GITHUB_EVENT_NAME is not set: run inside GitHub Actions, or pass --snapshot FILE")]
    NoEventName,
    #[error("GITHUB_EVENT_PATH is not set")]
    NoEventPath,
    #[error("cannot read the event payload `{}`: {source}", path.display())]
    ReadPayload { path: PathBuf, source: std::io::Error },
    #[error("the event payload `{}` is not JSON: {source}", path.display())]
    PayloadNotJson { path: PathBuf, source: serde_json::Error },
    #[error("the repository is unknown: set GITHUB_REPOSITORY=owner/repo")]
    UnknownRepository,
    #[error("`{0}` is not `owner/repo`")]
    NotOwnerRepo(String),
    #[error("GITGRANT_PR_NUMBER `{0}` is not a number")]
    BadPrNumber(String),
    #[error("this issue_comment event is on an issue, not a pull request")]
    CommentOnIssue,
    #[error("event `{0}` does not concern a pull request; use --snapshot FILE or set GITGRANT_PR_NUMBER")]
    NotAboutAPullRequest(String),
    #[error("the `{event}` event payload has no `{field}`")]
    MissingField { event: String, field: String },
}

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
) -> Result<PrRef, ActionsError> {
    let full_name = repository
        .map(str::to_string)
        .or_else(|| {
            payload
                .pointer("/repository/full_name")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .ok_or(ActionsError::UnknownRepository)?;
    let (owner, repo) = full_name
        .split_once('/')
        .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
        .ok_or_else(|| ActionsError::NotOwnerRepo(full_name.clone()))?;
    let number = if let Some(n) = pr_number_override.filter(|s| !s.is_empty()) {
        n.parse::<u64>().map_err(|_| ActionsError::BadPrNumber(n.to_owned()))?
    } else {
        let pointer = match name {
            "pull_request" | "pull_request_target" | "pull_request_review" | "pull_request_review_comment" => {
                "/pull_request/number"
            }
            "issue_comment" => {
                if payload.pointer("/issue/pull_request").is_none() {
                    return Err(ActionsError::CommentOnIssue);
                }
                "/issue/number"
            }
            "workflow_run" => "/workflow_run/pull_requests/0/number",
            other => return Err(ActionsError::NotAboutAPullRequest(other.to_owned())),
        };
        payload
            .pointer(pointer)
            .and_then(Value::as_u64)
            .ok_or_else(|| ActionsError::MissingField {
                event: name.to_owned(),
                field: pointer.trim_start_matches('/').replace('/', "."),
            })?
    };
    Ok(PrRef {
        owner: owner.to_string(),
        repo: repo.to_string(),
        number,
    })
}

/// The push a `pull_request`/`pull_request_target` event reports: for actions opened,
/// synchronize and reopened, its `sender` (the login GitHub authenticated), the PR number
/// and the head sha; `None` for any other event or action.
pub fn push_from_payload(name: &str, payload: &Value) -> Result<Option<Push>, ActionsError> {
    if !matches!(name, "pull_request" | "pull_request_target") {
        return Ok(None);
    }
    let action = payload.get("action").and_then(Value::as_str).unwrap_or("");
    if !matches!(action, "opened" | "synchronize" | "reopened") {
        return Ok(None);
    }
    let field = |pointer: &str| ActionsError::MissingField {
        event: format!("{name}.{action}"),
        field: pointer.trim_start_matches('/').replace('/', "."),
    };
    let pr = payload
        .pointer("/pull_request/number")
        .and_then(Value::as_u64)
        .ok_or_else(|| field("/pull_request/number"))?;
    let text = |pointer: &str| {
        payload
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| field(pointer))
    };
    Ok(Some(Push {
        pr,
        login: text("/sender/login")?,
        head_sha: text("/pull_request/head/sha")?,
        at: payload
            .pointer("/pull_request/updated_at")
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&chrono::Utc)),
    }))
}

/// The commenter, body and time of an `issue_comment` payload. Only a `created` comment
/// counts: an `edited` one would be attributed to its original author whoever edited it
/// (and its body may have changed since anyone read it), a `deleted` one says nothing.
pub fn comment_from_payload(payload: &Value) -> Option<RevokeComment> {
    if payload.get("action").and_then(Value::as_str) != Some("created") {
        return None;
    }
    let c = payload.get("comment")?;
    let at = c.get("created_at").and_then(Value::as_str)?;
    Some(RevokeComment {
        login: c.pointer("/user/login")?.as_str()?.to_string(),
        body: c.get("body")?.as_str()?.to_string(),
        at: chrono::DateTime::parse_from_rfc3339(at)
            .ok()?
            .with_timezone(&chrono::Utc),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> RunEnvironment {
        let vars: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        RunEnvironment::from_vars(|k| vars.get(k).cloned())
    }

    #[test]
    fn from_vars_reads_every_variable_into_its_field() {
        let e = env(&[
            ("GITHUB_TOKEN", "ghs_secret"),
            ("GITHUB_API_URL", "https://ghe.example/api/v3"),
            ("GITHUB_REPOSITORY", "acme/access"),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", "/run/event.json"),
            ("GITHUB_STEP_SUMMARY", "/run/summary.md"),
            ("GITGRANT_PR_NUMBER", "42"),
            ("GH_TOKEN", "ghp_person"),
            ("UNRELATED", "x"),
        ]);
        assert_eq!(
            e,
            RunEnvironment {
                github_token: Some("ghs_secret".into()),
                github_api_url: Some("https://ghe.example/api/v3".into()),
                github_repository: Some("acme/access".into()),
                github_event_name: Some("pull_request".into()),
                github_event_path: Some("/run/event.json".into()),
                github_step_summary: Some("/run/summary.md".into()),
                pr_number: Some("42".into()),
                gh_token: Some("ghp_person".into()),
                named: Default::default(),
            }
        );
        assert!(!format!("{e:?}").contains("ghs_secret"), "{e:?}");
        assert!(!format!("{e:?}").contains("ghp_person"), "{e:?}");
        assert_eq!(e.user_token().as_deref(), Some("ghp_person"), "GH_TOKEN first");
        assert_eq!(env(&[]), RunEnvironment::default());
        // An empty value is kept as set.
        assert_eq!(env(&[("GITHUB_TOKEN", "")]).github_token.as_deref(), Some(""));
    }

    #[test]
    fn the_pr_comes_from_the_event_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("event.json");
        std::fs::write(
            &path,
            r#"{"pull_request":{"number":7},"repository":{"full_name":"acme/access"}}"#,
        )
        .unwrap();
        let path_text = path.to_str().unwrap();
        let e = env(&[("GITHUB_EVENT_NAME", "pull_request"), ("GITHUB_EVENT_PATH", path_text)]);
        let pr = e.pr_ref().unwrap();
        assert_eq!((pr.owner.as_str(), pr.repo.as_str(), pr.number), ("acme", "access", 7));
        assert!(e.revoke_comment().is_none());

        assert_eq!(
            env(&[]).pr_ref().unwrap_err().to_string(),
            "GITHUB_EVENT_NAME is not set: run inside GitHub Actions, or pass --snapshot FILE"
        );
        assert_eq!(
            env(&[("GITHUB_EVENT_NAME", "pull_request")])
                .pr_ref()
                .unwrap_err()
                .to_string(),
            "GITHUB_EVENT_PATH is not set"
        );
        let missing = dir.path().join("missing.json");
        let err = env(&[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", missing.to_str().unwrap()),
        ])
        .pr_ref()
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with(&format!("cannot read the event payload `{}`: ", missing.display())),
            "{err}"
        );
    }

    #[test]
    fn an_issue_comment_run_yields_its_comment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("event.json");
        std::fs::write(
            &path,
            r#"{"action":"created","comment":{"body":"/revoke","user":{"login":"alice"},"created_at":"2026-01-02T03:04:05Z"}}"#,
        )
        .unwrap();
        let e = env(&[
            ("GITHUB_EVENT_NAME", "issue_comment"),
            ("GITHUB_EVENT_PATH", path.to_str().unwrap()),
        ]);
        let c = e.revoke_comment().unwrap();
        assert_eq!((c.login.as_str(), c.body.as_str()), ("alice", "/revoke"));
        assert_eq!(c.at.to_rfc3339(), "2026-01-02T03:04:05+00:00");
    }

    #[test]
    fn only_a_created_comment_counts() {
        let body = |action: &str| {
            serde_json::json!({
                "action": action,
                "changes": {"body": {"from": "looks good"}},
                "comment": {"body": "/revoke", "user": {"login": "alice"},
                    "created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-03T03:04:05Z"},
            })
        };
        assert!(comment_from_payload(&body("created")).is_some());
        assert!(comment_from_payload(&body("edited")).is_none());
        assert!(comment_from_payload(&body("deleted")).is_none());
        assert!(comment_from_payload(&serde_json::json!({"comment": {"body": "/revoke"}})).is_none());
    }
}
