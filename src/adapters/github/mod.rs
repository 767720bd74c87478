//! The GitHub REST adapter (octocrab over rustls): reads a pull request into a replay
//! `Snapshot`, reads team members, and reports back (one PR comment kept up to date, a check
//! run or a commit status). GitHub's JSON is kept raw.
//!
//! # API
//!
//! Every call is `async`; create the client inside a tokio runtime ([`runtime`] makes a
//! current-thread one for the CLI):
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use gitgrant::adapters::github::{runtime, GitHub, Repo};
//! use gitgrant::adapters::actions::RunEnvironment;
//! let rt = runtime()?;
//! let snapshot = rt.block_on(async {
//!     let gh = GitHub::from_env(&RunEnvironment::from_process())?;
//!     gh.fetch_pull_request(&Repo::parse("acme/access")?, 42).await
//! })?;
//! # Ok(()) }
//! ```
//!
//! - [`GitHub::from_env`] (the run's `GITHUB_TOKEN`, required; `GITHUB_API_URL`, default
//!   `https://api.github.com`), [`GitHub::new`]`(base_url, token)`,
//!   [`GitHub::with_retry_policy`].
//! - [`GitHub::fetch_pull_request`]`(&repo, number) -> Snapshot` (without `teams`): the PR,
//!   then all pages of its commits, reviews and files, then the PR again. A PR larger than
//!   GitHub lists (250 commits, 3,000 files) is an error, never a partial snapshot; so is a
//!   head that moved while reading.
//! - [`GitHub::fetch_team_members`]`(org, team_slug) -> Vec<login>`, and
//!   [`GitHub::fetch_teams`] for the snapshot's `teams`. A 403 or 404 is
//!   [`Error::TeamUnreadable`], never an empty team.
//! - [`GitHub::upsert_comment`]`(&repo, number, marker, body)`: edits the comment carrying
//!   `marker` (an HTML comment), or creates it; the body is fitted under GitHub's limit.
//! - [`GitHub::create_check_run`]`(&repo, &CheckRun)` or
//!   [`GitHub::set_commit_status`]`(&repo, &CommitStatus)`.
//! - [`GitHub::find_pull_for_commit`]`(&repo, sha) -> Option<number>`.
//! - [`GitHub::list_open_pulls`], [`GitHub::list_pull_files`] and [`GitHub::close_pull`],
//!   for closing stale request PRs (`gitgrant pr --close-stale`).
//!
//! Retries follow [`RetryPolicy`] (module `retry`). Requests carry no
//! `application/vnd.github+json` Accept header (GitHub answers its default JSON without it,
//! and OpenAPI validators such as Prism refuse it) and send `X-GitHub-Api-Version:
//! 2022-11-28` (octocrab's).

mod error;
pub mod retry;
pub mod text;
mod transport;

use std::collections::BTreeMap;
use std::fmt;

use http::{Method, Uri};
use serde::Serialize;
use serde_json::{Value, json};

use crate::adapters::actions::RunEnvironment;
use crate::core::gate::snapshot::Snapshot;
pub use error::Error;
pub use retry::{RetryPolicy, Verdict};
use transport::{Repeat, Transport};

/// GitHub lists at most this many commits of a pull request.
pub const MAX_PR_COMMITS: u64 = 250;
/// GitHub lists at most this many files of a pull request.
pub const MAX_PR_FILES: u64 = 3_000;

pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// A current-thread tokio runtime with I/O and timers, for calling the adapter from sync code.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

/// A repository, `owner/name`, with both parts checked so that they are safe in a URL path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    owner: String,
    name: String,
}

impl Repo {
    pub fn new(owner: &str, name: &str) -> Result<Repo, Error> {
        Ok(Repo {
            owner: segment("owner", owner)?.to_owned(),
            name: segment("repository name", name)?.to_owned(),
        })
    }

    /// `owner/name`, as in `GITHUB_REPOSITORY`.
    pub fn parse(full: &str) -> Result<Repo, Error> {
        match full.split_once('/') {
            Some((owner, name)) => Repo::new(owner, name),
            None => Err(Error::BadArgument {
                what: "repository (expected `owner/name`)",
                value: full.to_owned(),
            }),
        }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn path(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.name)
    }
}

impl fmt::Display for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// A check run's conclusion (the run is created completed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    Success,
    Failure,
    Neutral,
    ActionRequired,
    Cancelled,
    Skipped,
    TimedOut,
}

/// A check run to create on `head_sha`. `summary` and `text` are Markdown, fitted under
/// GitHub's 65,535-character limit.
#[derive(Debug, Clone)]
pub struct CheckRun<'a> {
    pub name: &'a str,
    pub head_sha: &'a str,
    /// `None`: the run is `in_progress` (yellow, and a required check in progress blocks
    /// merging), for a decision still waiting on people; otherwise completed with it.
    pub conclusion: Option<Conclusion>,
    pub title: &'a str,
    pub summary: &'a str,
    pub text: Option<&'a str>,
    /// Where the full details are (e.g. the workflow run).
    pub details_url: Option<&'a str>,
}

/// A commit status's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusState {
    Pending,
    Success,
    Failure,
    Error,
}

/// A commit status to set on `sha`; `description` is cut to GitHub's 140 characters.
#[derive(Debug, Clone)]
pub struct CommitStatus<'a> {
    pub sha: &'a str,
    pub state: StatusState,
    pub context: &'a str,
    pub description: &'a str,
    pub target_url: Option<&'a str>,
}

/// What [`GitHub::upsert_comment`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
    /// The comment already said exactly this; nothing was sent.
    Unchanged,
}

/// The comment [`GitHub::upsert_comment`] wrote (or found).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentOutcome {
    pub id: u64,
    pub action: Upserted,
}

/// A GitHub REST client authenticated with one token.
pub struct GitHub {
    transport: Transport,
}

impl GitHub {
    /// From the run's `GITHUB_TOKEN` (required) and `GITHUB_API_URL` (default
    /// `https://api.github.com`).
    pub fn from_env(env: &RunEnvironment) -> Result<GitHub, Error> {
        GitHub::from_settings(env.github_token.as_deref(), env.github_api_url.as_deref())
    }

    /// As [`GitHub::from_env`], reading variables through `var` (for tests); the names are
    /// [`RunEnvironment`]'s.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<GitHub, Error> {
        GitHub::from_env(&RunEnvironment::from_vars(var))
    }

    /// From a token (required, not blank) and an API root (blank or absent: the default).
    pub fn from_settings(token: Option<&str>, api_url: Option<&str>) -> Result<GitHub, Error> {
        let token = token.filter(|t| !t.trim().is_empty()).ok_or(Error::MissingToken)?;
        let url = api_url.filter(|u| !u.trim().is_empty()).unwrap_or(DEFAULT_API_URL);
        GitHub::new(url, token)
    }

    /// A client for the API at `base_url` (`https://api.github.com`, a GitHub Enterprise
    /// Server `https://HOST/api/v3`, or `http://127.0.0.1:PORT` for tests: plain http is
    /// accepted only for loopback addresses, so the token never travels unencrypted).
    pub fn new(base_url: &str, token: &str) -> Result<GitHub, Error> {
        let base = parse_base_url(base_url)?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        let token = token.trim();
        if token.is_empty() {
            return Err(Error::MissingToken);
        }
        if token.chars().any(|c| c.is_control() || c.is_whitespace()) {
            // The token itself never goes into a message.
            return Err(Error::BadArgument {
                what: "token: it has spaces or control characters",
                value: "GITHUB_TOKEN".to_owned(),
            });
        }
        let octo = octocrab::Octocrab::builder()
            .base_uri(base.clone())
            .map_err(|e| Error::Client(e.to_string()))?
            .personal_token(token.to_owned())
            .build()
            .map_err(|e| Error::Client(e.to_string()))?;
        Ok(GitHub {
            transport: Transport {
                octo,
                base,
                policy: RetryPolicy::default(),
            },
        })
    }

    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> GitHub {
        self.transport.policy = policy;
        self
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.transport.policy
    }

    /// Reads a pull request and everything the PR gate evaluates, as a replay snapshot
    /// without `teams`. Errors rather than return a partial or torn snapshot.
    pub async fn fetch_pull_request(&self, repo: &Repo, number: u64) -> Result<Snapshot, Error> {
        let number = pr_number(number)?;
        let path = format!("{}/pulls/{number}", repo.path());
        let pull_request = self.transport.get_json(&path).await?;
        let head = head_sha(&pull_request, &path)?;
        let commit_count = count(&pull_request, "commits", &path)?;
        let file_count = count(&pull_request, "changed_files", &path)?;
        // Known to be over GitHub's listing caps: say so before reading dozens of pages.
        let too_large = |what, listed, expected, limit| Error::TooLarge {
            number,
            what,
            listed,
            expected,
            limit,
        };
        if commit_count > MAX_PR_COMMITS {
            return Err(too_large(
                "commits",
                MAX_PR_COMMITS as usize,
                commit_count,
                MAX_PR_COMMITS,
            ));
        }
        if file_count > MAX_PR_FILES {
            return Err(too_large(
                "changed files",
                MAX_PR_FILES as usize,
                file_count,
                MAX_PR_FILES,
            ));
        }
        let commits = self.transport.get_all(&format!("{path}/commits")).await?;
        let reviews = self.transport.get_all(&format!("{path}/reviews")).await?;
        let files = self.transport.get_all(&format!("{path}/files")).await?;

        let again = self.transport.get_json(&path).await?;
        let head_again = head_sha(&again, &path)?;
        if head_again != head {
            return Err(Error::HeadChanged {
                number,
                from: head,
                to: head_again,
            });
        }
        for (what, listed, expected, limit) in [
            ("commits", commits.len(), commit_count, MAX_PR_COMMITS),
            ("changed files", files.len(), file_count, MAX_PR_FILES),
        ] {
            if (listed as u64) < expected {
                return Err(too_large(what, listed, expected, limit));
            }
            if listed as u64 > expected {
                return Err(Error::Inconsistent {
                    number,
                    what,
                    listed,
                    expected,
                });
            }
        }
        Ok(Snapshot {
            pull_request,
            commits,
            reviews,
            files,
            teams: BTreeMap::new(),
            pushers: vec![],
        })
    }

    /// The logins of a team's members (child teams' members included, as GitHub lists them).
    /// A token that cannot read the team gets [`Error::TeamUnreadable`], never an empty list.
    pub async fn fetch_team_members(&self, org: &str, team_slug: &str) -> Result<Vec<String>, Error> {
        let org = segment("organization", org)?;
        let team = segment("team slug", team_slug)?;
        let path = format!("/orgs/{org}/teams/{team}/members");
        let members = match self.transport.get_all(&path).await {
            Ok(m) => m,
            Err(Error::Status {
                status: status @ (403 | 404),
                ..
            }) => {
                return Err(Error::TeamUnreadable {
                    org: org.to_owned(),
                    team: team.to_owned(),
                    path,
                    status,
                });
            }
            Err(e) => return Err(e),
        };
        members
            .iter()
            .map(|m| {
                m["login"].as_str().map(str::to_owned).ok_or_else(|| Error::Decode {
                    method: "GET",
                    path: path.clone(),
                    reason: "a member without a `login`".to_owned(),
                })
            })
            .collect()
    }

    /// Members of each `org/team-slug`, keyed by the lowercased name: the snapshot's `teams`.
    pub async fn fetch_teams<'a>(
        &self,
        teams: impl IntoIterator<Item = &'a str>,
    ) -> Result<BTreeMap<String, Vec<String>>, Error> {
        let mut out = BTreeMap::new();
        for full in teams {
            let key = full.trim_start_matches('@').to_ascii_lowercase();
            if out.contains_key(&key) {
                continue;
            }
            let Some((org, team)) = key.split_once('/') else {
                return Err(Error::BadArgument {
                    what: "team (expected `org/team-slug`)",
                    value: full.to_owned(),
                });
            };
            let members = self.fetch_team_members(org, team).await?;
            out.insert(key, members);
        }
        Ok(out)
    }

    /// Keeps one comment on issue or PR `number` up to date: the one whose body contains
    /// `marker` (a hidden HTML comment such as `<!-- gitgrant:pr-gate -->`) is edited, or a
    /// new one is created. Where several carry the marker, one written by a bot (GitHub Apps
    /// and `github-actions`) is preferred, then the oldest. The body gets the marker if it
    /// lacks it and is cut (with a note) to fit GitHub's limit. Creating is not retried on
    /// server errors (it may have happened); the next run finds and edits it.
    pub async fn upsert_comment(
        &self,
        repo: &Repo,
        number: u64,
        marker: &str,
        body: &str,
    ) -> Result<CommentOutcome, Error> {
        let number = pr_number(number)?;
        if marker.trim().is_empty() || marker.len() > 200 {
            return Err(Error::BadArgument {
                what: "comment marker (1 to 200 bytes)",
                value: marker.to_owned(),
            });
        }
        let body = text::comment_body(marker, body);
        let list = format!("{}/issues/{number}/comments", repo.path());
        let comments = self.transport.get_all(&list).await?;
        let marked: Vec<&Value> = comments
            .iter()
            .filter(|c| c["body"].as_str().is_some_and(|b| b.contains(marker)))
            .collect();
        let existing = marked
            .iter()
            .find(|c| c["user"]["type"] == "Bot")
            .or_else(|| marked.first());
        let payload = json!({ "body": body });
        if let Some(c) = existing {
            let id = c["id"].as_u64().ok_or_else(|| Error::Decode {
                method: "GET",
                path: list.clone(),
                reason: "a comment without a numeric `id`".to_owned(),
            })?;
            if c["body"].as_str() == Some(body.as_str()) {
                return Ok(CommentOutcome {
                    id,
                    action: Upserted::Unchanged,
                });
            }
            let path = format!("{}/issues/comments/{id}", repo.path());
            self.transport
                .write_json(Method::PATCH, &path, &payload, Repeat::Safe)
                .await?;
            return Ok(CommentOutcome {
                id,
                action: Upserted::Updated,
            });
        }
        let created = self
            .transport
            .write_json(Method::POST, &list, &payload, Repeat::Unsafe)
            .await?;
        let id = created["id"].as_u64().ok_or_else(|| Error::Decode {
            method: "POST",
            path: list.clone(),
            reason: "the new comment has no numeric `id`".to_owned(),
        })?;
        Ok(CommentOutcome {
            id,
            action: Upserted::Created,
        })
    }

    /// Creates a check run (completed, or in progress without a conclusion); returns its id. Needs a GitHub App token (Checks:
    /// write); with other tokens use [`GitHub::set_commit_status`].
    pub async fn create_check_run(&self, repo: &Repo, run: &CheckRun<'_>) -> Result<u64, Error> {
        let sha = commit_sha(run.head_sha)?;
        let mut output = json!({
            "title": run.title,
            "summary": text::fit(run.summary, text::BODY_LIMIT_BYTES),
        });
        if let Some(t) = run.text {
            output["text"] = json!(text::fit(t, text::BODY_LIMIT_BYTES));
        }
        let mut payload = json!({
            "name": run.name,
            "head_sha": sha,
            "status": "in_progress",
            "output": output,
        });
        if let Some(c) = run.conclusion {
            payload["status"] = json!("completed");
            payload["conclusion"] = json!(c);
        }
        if let Some(url) = run.details_url {
            payload["details_url"] = json!(url);
        }
        let path = format!("{}/check-runs", repo.path());
        let created = self
            .transport
            .write_json(Method::POST, &path, &payload, Repeat::Safe)
            .await?;
        created["id"].as_u64().ok_or_else(|| Error::Decode {
            method: "POST",
            path,
            reason: "the check run has no numeric `id`".to_owned(),
        })
    }

    /// Sets a commit status (the latest status of a context wins, so repeating is harmless).
    pub async fn set_commit_status(&self, repo: &Repo, status: &CommitStatus<'_>) -> Result<(), Error> {
        let sha = commit_sha(status.sha)?;
        let mut payload = json!({
            "state": status.state,
            "context": status.context,
            "description": text::status_description(status.description),
        });
        if let Some(url) = status.target_url {
            payload["target_url"] = json!(url);
        }
        let path = format!("{}/statuses/{sha}", repo.path());
        self.transport
            .write_json(Method::POST, &path, &payload, Repeat::Safe)
            .await?;
        Ok(())
    }

    /// The login of the token's user (`GET /user`).
    pub async fn authenticated_login(&self) -> Result<String, Error> {
        let me = self.transport.get_json("/user").await?;
        me["login"]
            .as_str()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| Error::Decode {
                method: "GET",
                path: "/user".to_owned(),
                reason: "the user has no `login`".to_owned(),
            })
    }

    /// Opens a pull request from branch `head` into `base`; returns its number and web
    /// address (`html_url`, when GitHub gives one). Not repeated
    /// after an uncertain failure (a second attempt would fail on the existing PR anyway).
    pub async fn create_pull(
        &self,
        repo: &Repo,
        title: &str,
        head: &str,
        base: &str,
        body: &str,
    ) -> Result<(u64, Option<String>), Error> {
        let payload =
            json!({ "title": title, "head": head, "base": base, "body": text::fit(body, text::BODY_LIMIT_BYTES) });
        let path = format!("{}/pulls", repo.path());
        let created = self
            .transport
            .write_json(Method::POST, &path, &payload, Repeat::Unsafe)
            .await?;
        let url = created["html_url"].as_str().map(str::to_owned);
        let number = created["number"].as_u64().ok_or_else(|| Error::Decode {
            method: "POST",
            path,
            reason: "the pull request has no numeric `number`".to_owned(),
        })?;
        Ok((number, url))
    }

    /// The open pull requests of the repository, every page, in GitHub's shape
    /// (`GET /repos/{o}/{r}/pulls?state=open`).
    pub async fn list_open_pulls(&self, repo: &Repo) -> Result<Vec<Value>, Error> {
        self.transport
            .get_all(&format!("{}/pulls?state=open", repo.path()))
            .await
    }

    /// The changed files of a pull request, every page, in GitHub's shape.
    pub async fn list_pull_files(&self, repo: &Repo, number: u64) -> Result<Vec<Value>, Error> {
        let number = pr_number(number)?;
        self.transport
            .get_all(&format!("{}/pulls/{number}/files", repo.path()))
            .await
    }

    /// Closes a pull request without merging it (`PATCH .../pulls/{n}`, `state: closed`);
    /// repeating it is harmless.
    pub async fn close_pull(&self, repo: &Repo, number: u64) -> Result<(), Error> {
        let number = pr_number(number)?;
        let path = format!("{}/pulls/{number}", repo.path());
        self.transport
            .write_json(Method::PATCH, &path, &json!({ "state": "closed" }), Repeat::Safe)
            .await?;
        Ok(())
    }

    /// Merges pull request `number` exactly at head `sha` (`PUT .../pulls/{n}/merge`) with
    /// `method` (`squash` or `merge`) and `title`; returns the merge commit. GitHub refuses
    /// (409) when the head moved since `sha` was decided, and (405) when the PR cannot be
    /// merged. Not repeated after an uncertain failure: the caller re-reads the PR.
    pub async fn merge_pull(
        &self,
        repo: &Repo,
        number: u64,
        sha: &str,
        method: &str,
        title: &str,
    ) -> Result<String, Error> {
        let number = pr_number(number)?;
        let sha = commit_sha(sha)?;
        let payload = json!({ "sha": sha, "merge_method": method, "commit_title": text::fit(title, 250) });
        let path = format!("{}/pulls/{number}/merge", repo.path());
        let merged = self
            .transport
            .write_json(Method::PUT, &path, &payload, Repeat::Unsafe)
            .await?;
        match (merged["merged"].as_bool(), merged["sha"].as_str()) {
            (Some(true), Some(commit)) => Ok(commit.to_owned()),
            _ => Err(Error::Decode {
                method: "PUT",
                path,
                reason: format!(
                    "the answer does not say the pull request merged: {}",
                    merged["message"].as_str().unwrap_or("no message")
                ),
            }),
        }
    }

    /// Starts the workflow in `.github/workflows/{file}` on branch `reference`
    /// (`POST .../actions/workflows/{file}/dispatches`, answered 204 with no body).
    pub async fn dispatch_workflow(&self, repo: &Repo, file: &str, reference: &str) -> Result<(), Error> {
        let file = segment("workflow file name", file)?;
        let path = format!("{}/actions/workflows/{file}/dispatches", repo.path());
        self.transport
            .send(Method::POST, &path, Some(&json!({ "ref": reference })), Repeat::Safe)
            .await?;
        Ok(())
    }

    /// The merged pull request that produced commit `sha`: the one whose `merge_commit_sha`
    /// is `sha`, else the first merged one listed (rebase merges); `None` when no merged PR
    /// is associated (e.g. a push straight to the branch).
    pub async fn find_pull_for_commit(&self, repo: &Repo, sha: &str) -> Result<Option<u64>, Error> {
        let sha = commit_sha(sha)?;
        let path = format!("{}/commits/{sha}/pulls", repo.path());
        let pulls = self.transport.get_all(&path).await?;
        let merged = |p: &&Value| !p["merged_at"].is_null();
        let chosen = pulls
            .iter()
            .filter(merged)
            .find(|p| {
                p["merge_commit_sha"]
                    .as_str()
                    .is_some_and(|m| m.eq_ignore_ascii_case(sha))
            })
            .or_else(|| pulls.iter().find(merged));
        match chosen {
            None => Ok(None),
            Some(p) => p["number"].as_u64().map(Some).ok_or_else(|| Error::Decode {
                method: "GET",
                path,
                reason: "a pull request without a numeric `number`".to_owned(),
            }),
        }
    }
}

fn parse_base_url(url: &str) -> Result<Uri, Error> {
    let bad = |reason: &str| Error::BadBaseUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = url.trim().trim_end_matches('/');
    let uri: Uri = trimmed
        .parse()
        .map_err(|_| bad("expected e.g. https://api.github.com"))?;
    let host = uri.host().ok_or_else(|| bad("it has no host"))?;
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if is_loopback(host) => {}
        Some("http") => {
            return Err(bad(
                "plain http would send the token unencrypted; use https (http is accepted only for loopback test servers)",
            ));
        }
        _ => return Err(bad("expected an https URL")),
    }
    if uri.query().is_some() {
        return Err(bad("it has a query"));
    }
    Ok(uri)
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A path segment that needs no escaping: ASCII letters, digits, `-`, `_`, `.`; not `.`/`..`.
fn segment<'s>(what: &'static str, s: &'s str) -> Result<&'s str, Error> {
    let ok = !s.is_empty()
        && s.len() <= 100
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(s)
    } else {
        Err(Error::BadArgument {
            what,
            value: s.to_owned(),
        })
    }
}

fn commit_sha(s: &str) -> Result<&str, Error> {
    if (4..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s)
    } else {
        Err(Error::BadArgument {
            what: "commit SHA",
            value: s.to_owned(),
        })
    }
}

fn pr_number(n: u64) -> Result<u64, Error> {
    if n == 0 {
        Err(Error::BadArgument {
            what: "pull request number",
            value: n.to_string(),
        })
    } else {
        Ok(n)
    }
}

fn head_sha(pr: &Value, path: &str) -> Result<String, Error> {
    pr["head"]["sha"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::Decode {
            method: "GET",
            path: path.to_owned(),
            reason: "the pull request has no `head.sha`".to_owned(),
        })
}

fn count(pr: &Value, field: &str, path: &str) -> Result<u64, Error> {
    pr[field].as_u64().ok_or_else(|| Error::Decode {
        method: "GET",
        path: path.to_owned(),
        reason: format!("the pull request has no numeric `{field}`"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_names_and_urls() {
        assert!(Repo::parse("acme/access").is_ok());
        assert!(Repo::parse("acme/access.github.io").is_ok());
        for bad in ["acme", "acme/..", "acme/a/b", "/x", "acme/a b", "acme/a%2F"] {
            assert!(Repo::parse(bad).is_err(), "{bad}");
        }
        assert!(parse_base_url("https://api.github.com").is_ok());
        assert!(parse_base_url("https://ghe.example/api/v3/").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_base_url("http://[::1]:8080").is_ok());
        assert!(parse_base_url("http://localhost:8080").is_ok());
        let e = parse_base_url("http://ghe.example").unwrap_err().to_string();
        assert!(e.contains("unencrypted"), "{e}");
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("not a url").is_err());
        assert!(commit_sha("0123abcdef").is_ok());
        assert!(commit_sha("../../x").is_err());
    }
}
