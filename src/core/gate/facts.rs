//! Typed facts read from a replay snapshot's GitHub JSON: the pull request, who wrote its
//! commits (authors, committers, `Co-authored-by` trailers), its reviews and files.
//! Missing or malformed fields are errors naming the JSON path, never guessed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::core::gate::changed::{self, FilesSource};
use crate::core::gate::snapshot::Snapshot;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// GitHub login, lowercased; `None` when GitHub could not link the e-mail to an account.
    pub login: Option<String>,
    pub email: Option<String>,
    pub is_bot: bool,
}

#[derive(Debug, Clone)]
pub struct CommitFacts {
    pub sha: String,
    pub author: Person,
    pub committer: Person,
    pub co_authors: Vec<Person>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
    Other(String),
}

#[derive(Debug, Clone)]
pub struct ReviewFacts {
    pub id: u64,
    /// Lowercased login; `None` for a deleted account ("ghost").
    pub login: Option<String>,
    pub is_bot: bool,
    pub state: ReviewState,
    pub commit_id: Option<String>,
    pub body: String,
    pub submitted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub filename: String,
    pub status: String,
    pub previous_filename: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PrFacts {
    pub number: u64,
    pub author: String,
    pub author_is_bot: bool,
    pub head_sha: String,
    pub base_sha: String,
    /// The branch the PR is into (`pull_request.base.ref`).
    pub base_ref: String,
    /// The repository's default branch (`pull_request.base.repo.default_branch`); `None`
    /// when the snapshot does not say, and then no request is decided (fail closed).
    pub default_branch: Option<String>,
    pub created_at: DateTime<Utc>,
    pub state: String,
    pub merged: bool,
    pub merge_commit_sha: Option<String>,
    pub commits: Vec<CommitFacts>,
    pub reviews: Vec<ReviewFacts>,
    /// The changed files the gate decides on: GitHub's list from the snapshot, replaced by
    /// the git diff when [`PrFacts::use_git_diff`] was given one (see `files_source`).
    pub files: Vec<FileChange>,
    pub files_source: FilesSource,
    /// `org/slug` (lowercased) -> member logins (lowercased).
    pub teams: BTreeMap<String, Vec<String>>,
    /// Logins (lowercased) GitHub authenticated as pushing a head of the PR.
    pub pushers: Vec<String>,
}

/// A snapshot field that is missing or of the wrong kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("snapshot field `{path}` {problem}")]
pub struct FactsError {
    pub path: String,
    pub problem: String,
}

fn err(path: impl Into<String>, problem: &str) -> FactsError {
    FactsError {
        path: path.into(),
        problem: problem.into(),
    }
}

fn str_at<'v>(v: &'v Value, pointer: &str, ctx: &str) -> Result<&'v str, FactsError> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| err(format!("{ctx}{pointer}"), "is missing or not a string"))
}

fn opt_str(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(Value::as_str).map(str::to_string)
}

fn time_at(v: &Value, pointer: &str, ctx: &str) -> Result<DateTime<Utc>, FactsError> {
    let s = str_at(v, pointer, ctx)?;
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| err(format!("{ctx}{pointer}"), "is not an RFC 3339 time"))
}

/// A GitHub user object (or null) as a person; bots are `type: "Bot"` or `login[bot]`.
fn user(v: Option<&Value>) -> (Option<String>, bool) {
    match v {
        Some(u) if u.is_object() => {
            let login = u.get("login").and_then(Value::as_str).map(str::to_ascii_lowercase);
            let is_bot = u.get("type").and_then(Value::as_str) == Some("Bot")
                || login.as_deref().is_some_and(|l| l.ends_with("[bot]"));
            (login, is_bot)
        }
        _ => (None, false),
    }
}

/// The login in a GitHub no-reply address (`123+login@users.noreply.github.com`).
pub fn login_from_noreply(email: &str) -> Option<String> {
    let local = email.strip_suffix("@users.noreply.github.com")?;
    let login = local.split_once('+').map_or(local, |(_, l)| l);
    crate::core::files::lexical::is_github_login(login).then(|| login.to_ascii_lowercase())
}

/// `Co-authored-by: Name <email>` trailers of a commit message.
pub fn co_author_emails(message: &str) -> Vec<String> {
    message
        .lines()
        .filter_map(|line| {
            let (key, rest) = line.trim().split_once(':')?;
            if !key.trim().eq_ignore_ascii_case("co-authored-by") {
                return None;
            }
            let start = rest.find('<')?;
            let end = rest[start..].find('>')? + start;
            Some(rest[start + 1..end].trim().to_string())
        })
        .collect()
}

impl PrFacts {
    /// Reads the pull request, its commits, reviews, files and teams; the first missing or
    /// malformed field is the error.
    pub fn from_snapshot(s: &Snapshot) -> Result<PrFacts, FactsError> {
        let pr = &s.pull_request;
        let ctx = "pull_request";
        let number = pr
            .get("number")
            .and_then(Value::as_u64)
            .ok_or_else(|| err("pull_request/number", "is missing or not a number"))?;
        let (author, author_is_bot) = user(pr.get("user"));
        let author = author.ok_or_else(|| err("pull_request/user/login", "is missing"))?;
        let mut commits = commits_of(s)?;
        link_co_authors(&mut commits);
        let reviews = reviews_of(s)?;
        let files = files_of(s)?;
        Ok(PrFacts {
            number,
            author,
            author_is_bot,
            head_sha: str_at(pr, "/head/sha", ctx)?.to_string(),
            base_sha: str_at(pr, "/base/sha", ctx)?.to_string(),
            base_ref: str_at(pr, "/base/ref", ctx)?.to_string(),
            default_branch: opt_str(pr, "/base/repo/default_branch"),
            created_at: time_at(pr, "/created_at", ctx)?,
            state: str_at(pr, "/state", ctx)?.to_string(),
            merged: pr.get("merged").and_then(Value::as_bool).unwrap_or(false),
            merge_commit_sha: opt_str(pr, "/merge_commit_sha"),
            commits,
            reviews,
            files,
            files_source: FilesSource::Api,
            teams: teams_of(s),
            pushers: pushers_of(s),
        })
    }

    /// Decides on the git diff of the PR (merge base to head) instead of GitHub's list,
    /// cross-checking the two: any difference, or a diff that could not be computed, is
    /// recorded in `files_source` and makes every request `invalid`.
    pub fn use_git_diff(&mut self, git: Result<Vec<FileChange>, String>) {
        match git {
            Ok(list) => {
                let diffs = changed::differences(&list, &self.files);
                self.files_source = if diffs.is_empty() {
                    FilesSource::GitDiff
                } else {
                    FilesSource::Disagree(diffs)
                };
                self.files = list;
            }
            Err(why) => self.files_source = FilesSource::Unavailable(why),
        }
    }
}

fn commits_of(s: &Snapshot) -> Result<Vec<CommitFacts>, FactsError> {
    s.commits
        .iter()
        .enumerate()
        .map(|(i, c)| commit_facts(c, &format!("commits/{i}")))
        .collect()
}

/// One commit: its sha, author and committer, and the people its trailers name.
fn commit_facts(c: &Value, ctx: &str) -> Result<CommitFacts, FactsError> {
    let sha = str_at(c, "/sha", ctx)?.to_string();
    let (a_login, a_bot) = user(c.get("author"));
    let (c_login, c_bot) = user(c.get("committer"));
    let message = opt_str(c, "/commit/message").unwrap_or_default();
    Ok(CommitFacts {
        sha,
        author: Person {
            login: a_login,
            email: opt_str(c, "/commit/author/email"),
            is_bot: a_bot,
        },
        committer: Person {
            login: c_login,
            email: opt_str(c, "/commit/committer/email"),
            is_bot: c_bot,
        },
        co_authors: co_author_emails(&message)
            .into_iter()
            .map(|e| Person {
                login: login_from_noreply(&e),
                email: Some(e),
                is_bot: false,
            })
            .collect(),
    })
}

/// A co-author whose e-mail is not a no-reply address may still be known: the same
/// e-mail authored a commit that GitHub linked to a login.
fn link_co_authors(commits: &mut [CommitFacts]) {
    let known: BTreeMap<String, String> = commits
        .iter()
        .flat_map(|c| [&c.author, &c.committer])
        .filter_map(|p| Some((p.email.clone()?.to_ascii_lowercase(), p.login.clone()?)))
        .collect();
    for c in commits {
        for p in &mut c.co_authors {
            if p.login.is_none() {
                p.login = p
                    .email
                    .as_ref()
                    .and_then(|e| known.get(&e.to_ascii_lowercase()).cloned());
            }
        }
    }
}

fn reviews_of(s: &Snapshot) -> Result<Vec<ReviewFacts>, FactsError> {
    s.reviews
        .iter()
        .enumerate()
        .map(|(i, r)| review_facts(r, &format!("reviews/{i}")))
        .collect()
}

fn review_facts(r: &Value, ctx: &str) -> Result<ReviewFacts, FactsError> {
    let id = r
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| err(format!("{ctx}/id"), "is missing or not a number"))?;
    let (login, is_bot) = user(r.get("user"));
    let state = review_state(str_at(r, "/state", ctx)?);
    let submitted_at = match r.get("submitted_at") {
        Some(Value::String(_)) => Some(time_at(r, "/submitted_at", ctx)?),
        _ => None,
    };
    Ok(ReviewFacts {
        id,
        login,
        is_bot,
        state,
        commit_id: opt_str(r, "/commit_id"),
        body: opt_str(r, "/body").unwrap_or_default(),
        submitted_at,
    })
}

fn review_state(state: &str) -> ReviewState {
    match state {
        "APPROVED" => ReviewState::Approved,
        "CHANGES_REQUESTED" => ReviewState::ChangesRequested,
        "COMMENTED" => ReviewState::Commented,
        "DISMISSED" => ReviewState::Dismissed,
        "PENDING" => ReviewState::Pending,
        other => ReviewState::Other(other.to_string()),
    }
}

fn files_of(s: &Snapshot) -> Result<Vec<FileChange>, FactsError> {
    s.files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let ctx = format!("files/{i}");
            Ok(FileChange {
                filename: str_at(f, "/filename", &ctx)?.to_string(),
                status: str_at(f, "/status", &ctx)?.to_string(),
                previous_filename: opt_str(f, "/previous_filename"),
            })
        })
        .collect()
}

/// The snapshot's pushers, lowercased, sorted, without repeats.
fn pushers_of(s: &Snapshot) -> Vec<String> {
    let mut p: Vec<String> = s.pushers.iter().map(|l| l.to_ascii_lowercase()).collect();
    p.sort();
    p.dedup();
    p
}

/// Team listings with team names and member logins lowercased.
fn teams_of(s: &Snapshot) -> BTreeMap<String, Vec<String>> {
    s.teams
        .iter()
        .map(|(t, members)| {
            (
                t.to_ascii_lowercase(),
                members.iter().map(|m| m.to_ascii_lowercase()).collect(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn co_author_trailers_and_noreply_logins() {
        let msg = "Fix\n\nCo-authored-by: Mallory <12345+Mallory@users.noreply.github.com>\nco-authored-by: Eve <eve@acme.example>\n";
        assert_eq!(
            co_author_emails(msg),
            vec!["12345+Mallory@users.noreply.github.com", "eve@acme.example"]
        );
        assert_eq!(
            login_from_noreply("12345+Mallory@users.noreply.github.com").as_deref(),
            Some("mallory")
        );
        assert_eq!(
            login_from_noreply("mallory@users.noreply.github.com").as_deref(),
            Some("mallory")
        );
        assert_eq!(login_from_noreply("eve@acme.example"), None);
    }
}
