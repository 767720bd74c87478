//! `gitgrant request` and `gitgrant revoke`: write (or delete) a canonical request file,
//! check it against the default branch's policy before anything leaves the machine, commit
//! it on a new branch without touching the work tree; then, as a second step the caller
//! may skip (`--no-push`), push and open the pull request. Each step returns what it did.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::adapters::actions::RunEnvironment;
use crate::adapters::git::Git;
use crate::app::error::AppError;
use crate::core::diag::diagnostic::Diagnostic;
use crate::core::files::load::{self, PolicySet};
use crate::core::files::tree::{Entry, Tree};
use crate::core::model::request::RequestPath;
use crate::core::rules::check;
use crate::core::rules::eligibility::Teams;

pub struct Common<'a> {
    pub repo: PathBuf,
    /// The default branch's revision the new branch starts from.
    pub base: String,
    pub at: DateTime<Utc>,
    /// The run's environment (`GITHUB_REPOSITORY`, `GITHUB_TOKEN`, `GITHUB_API_URL`).
    pub env: &'a RunEnvironment,
}

pub struct NewRequest {
    pub requester: String,
    pub account: String,
    pub permission_set: String,
    pub duration: String,
    pub reason: String,
    pub ticket: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub id: Option<String>,
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The request file's text, in the canonical field order.
pub fn render_request(r: &NewRequest, account_name: &str) -> String {
    let mut t = String::from("#:schema ../../../schemas/request.schema.json\n");
    t.push_str(&format!("requester = {}\n", toml_string(&r.requester)));
    t.push_str(&format!("account = {}\n", toml_string(account_name)));
    t.push_str(&format!("permission_set = {}\n", toml_string(&r.permission_set)));
    if let Some(s) = r.start {
        t.push_str(&format!("start = {}\n", s.format("%Y-%m-%dT%H:%M:%SZ")));
    }
    t.push_str(&format!("duration = {}\n", toml_string(&r.duration)));
    t.push_str(&format!("reason = {}\n", toml_string(&r.reason)));
    if let Some(ticket) = &r.ticket {
        t.push_str(&format!("ticket = {}\n", toml_string(ticket)));
    }
    t
}

/// A fresh id: the ticket (or `req`) and the time, lowercase letters, digits and dashes.
fn generated_id(r: &NewRequest, at: DateTime<Utc>) -> String {
    let stem: String = r
        .ticket
        .as_deref()
        .unwrap_or("req")
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let stem = stem.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    let stem: String = stem.chars().take(40).collect();
    format!(
        "{}-{}",
        if stem.is_empty() { "req".to_string() } else { stem },
        at.format("%Y%m%d-%H%M%S")
    )
}

/// A branch made for a pull request: the request file it adds or deletes, and the pull
/// request to open for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    pub path: String,
    pub branch: String,
    pub title: String,
    pub body: String,
}

/// What `request` did: the findings of the check, and the branch when it passed.
pub struct Filed {
    pub findings: Vec<Diagnostic>,
    /// The policy files and the new request file, for rendering the findings.
    pub tree: Tree,
    /// `None` when a finding is an error: nothing was committed.
    pub branch: Option<Branch>,
}

/// The pull request opened for a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub number: u64,
    /// The pull request's web address, when GitHub gave one.
    pub url: Option<String>,
    /// `owner/repo`.
    pub repository: String,
}

/// Writes the request file, checks it against the base's policy and, when no finding is
/// an error, commits it on a new branch `gitgrant/<id>` (the work tree is not touched).
pub fn request(c: &Common, r: &NewRequest) -> Result<Filed, AppError> {
    let git = Git::open(&c.repo)?;
    let base = git.resolve_branch(&c.base)?.into_string();
    let mut tree = git.read_tree(&base, &crate::core::files::tree::TRUSTED_FILES)?;
    let mut diags = Vec::new();
    let Ok(set) = load::policy_set(&tree, &mut diags) else {
        return Err(AppError::PolicyInvalid { base: c.base.clone() });
    };
    let account_name = set
        .directory()
        .account(&r.account)
        .map(|a| a.name.clone())
        .ok_or_else(|| AppError::UnknownAccount {
            account: r.account.clone(),
            base: c.base.clone(),
        })?;
    let id = r.id.clone().unwrap_or_else(|| generated_id(r, c.at));
    let path = RequestPath::canonical(&account_name, &r.permission_set, &id);
    let text = render_request(r, &account_name);
    tree.insert(path.clone(), Entry::File(text.clone().into_bytes()));
    // check before anything leaves the machine
    let findings = check_new(&git, &base, &set, &tree, &path, c.at);
    if findings.iter().any(Diagnostic::is_error) {
        return Ok(Filed {
            findings,
            tree,
            branch: None,
        });
    }
    let title = format!(
        "Request {} on {} for {} ({})",
        r.permission_set, account_name, r.duration, r.requester
    );
    let branch = Branch {
        path: path.to_string(),
        branch: format!("gitgrant/{id}"),
        body: format!(
            "{}\n\n{}",
            r.reason,
            r.ticket.as_deref().map(|t| format!("Ticket: {t}")).unwrap_or_default()
        ),
        title,
    };
    let message = format!("{}\n\n{}", branch.title, r.reason);
    commit_on_branch(&git, &base, &branch, Some(text.into_bytes()), &message)?;
    Ok(Filed {
        findings,
        tree,
        branch: Some(branch),
    })
}

/// The new request file's findings: the file's own checks, and a path used before.
fn check_new(git: &Git, base: &str, set: &PolicySet, tree: &Tree, path: &str, at: DateTime<Utc>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if let Some(req) = load::request(
        path,
        tree.file(path).unwrap_or(&Entry::Symlink),
        Some(set.directory()),
        &mut found,
    ) {
        check::check_request(&req, set.view(), at, &Teams::Unknown, &mut found);
    }
    if let crate::core::gate::PathHistory::Existed(commit) = git.path_history(base, path) {
        found.push(
            Diagnostic::error(
                "request-path-reused",
                format!("`{path}` existed before (commit {commit}); request ids are never reused"),
            )
            .in_file(path)
            .help("pass another --id"),
        );
    }
    found
}

/// Commits the change of `b.path` (new contents, or `None` to delete it) on top of `base`
/// and points `b.branch` at it.
fn commit_on_branch(
    git: &Git,
    base: &str,
    b: &Branch,
    contents: Option<Vec<u8>>,
    message: &str,
) -> Result<(), AppError> {
    let commit = git.commit_change(Some(base), &[(b.path.clone(), contents)], message, &[])?;
    git.set_branch(&b.branch, &commit)?;
    Ok(())
}

/// Commits the deletion of the request file with this id on a new branch
/// `gitgrant/revoke-<id>`.
pub fn revoke(c: &Common, id: &str, reason: Option<&str>) -> Result<Branch, AppError> {
    let git = Git::open(&c.repo)?;
    let base = git.resolve_branch(&c.base)?.into_string();
    let tree: Tree = git.read_tree(&base, &["requests"])?;
    let mut matches: Vec<String> = tree
        .requests()
        .filter(|(p, _)| RequestPath::parse(p).is_ok_and(|r| r.id == id))
        .map(|(p, _)| p.clone())
        .collect();
    let path = match matches.len() {
        1 => matches.remove(0),
        0 => {
            return Err(AppError::NoSuchRequest {
                id: id.to_string(),
                base: c.base.clone(),
            });
        }
        _ => {
            return Err(AppError::AmbiguousRequestId {
                id: id.to_string(),
                paths: matches,
            });
        }
    };
    let why = reason.unwrap_or("no longer needed");
    let branch = Branch {
        branch: format!("gitgrant/revoke-{id}"),
        title: format!("Revoke {id}"),
        body: format!(
            "Revokes `{path}`: {why}\n\nDeletion-only pull requests pass the gitgrant gate at once; access ends when this is merged (or at once with a `/revoke` comment on the request's PR)."
        ),
        path,
    };
    commit_on_branch(&git, &base, &branch, None, &format!("{}\n\n{why}", branch.title))?;
    Ok(branch)
}

/// A start the gate would refuse (`start` more than `START_GRACE` before the PR is opened,
/// which is about now): refused before anything is written or pushed.
pub fn check_start(start: Option<DateTime<Utc>>, at: DateTime<Utc>) -> Result<(), AppError> {
    match start {
        Some(s) if s + crate::core::gate::START_GRACE < at => Err(AppError::StartInThePast {
            start: s.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            now: at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        }),
        _ => Ok(()),
    }
}

/// Before anything is written: a repository with an `origin` to push to, and a person's
/// GitHub token to open the pull request with (`RunEnvironment::user_token`); the
/// environment to publish with (that token as its `GITHUB_TOKEN`), and the token's login.
pub fn ready_to_publish(c: &Common) -> Result<(RunEnvironment, String), AppError> {
    let git = Git::open(&c.repo)?;
    if git.origin_repository().is_none() {
        return Err(AppError::NoOrigin(c.repo.clone()));
    }
    let token = c.env.user_token().ok_or(AppError::NoUserToken)?;
    let env = RunEnvironment {
        github_token: Some(token),
        ..c.env.clone()
    };
    let rt = crate::adapters::github::runtime().map_err(AppError::Runtime)?;
    let login = rt.block_on(async {
        crate::adapters::github::GitHub::from_env(&env)?
            .authenticated_login()
            .await
    })?;
    Ok((env, login))
}

/// Pushes the branch to `origin` and opens its pull request into the base branch.
pub fn open_pull_request(c: &Common, b: &Branch) -> Result<Opened, AppError> {
    let git = Git::open(&c.repo)?;
    git.push_branch(&b.branch)?;
    let full = c
        .env
        .github_repository
        .clone()
        .or_else(|| git.origin_repository())
        .ok_or(AppError::UnknownRepository)?;
    let repo = crate::adapters::github::Repo::parse(&full)?;
    let base_branch =
        crate::adapters::git::refs::branch_name(&c.base).ok_or_else(|| AppError::UnknownBaseBranch(c.base.clone()))?;
    let rt = crate::adapters::github::runtime().map_err(AppError::Runtime)?;
    let (number, url) = rt.block_on(async {
        let gh = crate::adapters::github::GitHub::from_env(c.env)?;
        gh.create_pull(&repo, &b.title, &b.branch, base_branch, &b.body).await
    })?;
    Ok(Opened {
        number,
        url,
        repository: full,
    })
}
