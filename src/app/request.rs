//! `gitgrant request` and `gitgrant revoke`: write (or delete) a canonical request file,
//! check it against the default branch's policy before anything leaves the machine, commit
//! it on a new branch without touching the work tree, push, and open the pull request.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use crate::core::rules::check;
use crate::core::rules::eligibility::Teams;
use crate::adapters::git::Git;
use crate::core::files::load;
use crate::core::model::request::RequestPath;
use crate::core::diag::render;
use crate::core::files::tree::{Entry, Tree};

pub struct Common {
    pub repo: PathBuf,
    /// The default branch's revision the new branch starts from.
    pub base: String,
    pub no_push: bool,
    pub at: DateTime<Utc>,
    /// The run's environment (`GITHUB_REPOSITORY`, `GITHUB_TOKEN`, `GITHUB_API_URL`).
    pub env: crate::adapters::actions::RunEnvironment,
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

pub fn request(c: &Common, r: &NewRequest) -> Result<ExitCode, String> {
    let git = Git::open(&c.repo).map_err(|e| e.to_string())?;
    let base = git.rev_parse(&c.base).map_err(|e| e.to_string())?;
    let mut tree = git
        .read_tree(&base, &crate::core::files::tree::TRUSTED_FILES)
        .map_err(|e| e.to_string())?;
    let mut diags = Vec::new();
    let Ok(set) = load::policy_set(&tree, &mut diags) else {
        return Err(format!(
            "the policy on `{}` does not validate; run `gitgrant check`",
            c.base
        ));
    };
    let dir = set.directory();
    let account_name = dir.account(&r.account).map(|a| a.name.clone()).ok_or_else(|| {
        format!(
            "account `{}` is not in policies/directory.toml on `{}`",
            r.account, c.base
        )
    })?;
    let id = r.id.clone().unwrap_or_else(|| generated_id(r, c.at));
    let path = RequestPath::canonical(&account_name, &r.permission_set, &id);
    let text = render_request(r, &account_name);
    tree.insert(path.clone(), Entry::File(text.clone().into_bytes()));

    // check before anything leaves the machine
    let mut found = Vec::new();
    if let Some(req) = load::request(
        &path,
        tree.file(&path).unwrap_or(&Entry::Symlink),
        Some(set.directory()),
        &mut found,
    ) {
        check::check_request(&req, set.view(), c.at, &Teams::Unknown, &mut found);
    }
    if let crate::core::gate::PathHistory::Existed(commit) = git.path_history(&base, &path) {
        found.push(
            crate::core::diag::diagnostic::Diagnostic::error(
                "request-path-reused",
                format!("`{path}` existed before (commit {commit}); request ids are never reused"),
            )
            .in_file(path.as_str())
            .help("pass another --id"),
        );
    }
    let errors = found.iter().any(|d| d.is_error());
    print!("{}", render::human(&found, &tree));
    if errors {
        println!(
            "not filed: fix the findings above (the policy is read from `{}`)",
            c.base
        );
        return Ok(ExitCode::from(1));
    }
    let branch = format!("gitgrant/{id}");
    let title = format!(
        "Request {} on {} for {} ({})",
        r.permission_set, account_name, r.duration, r.requester
    );
    let message = format!("{title}\n\n{}", r.reason);
    let commit = git
        .commit_change(Some(&base), &[(path.clone(), Some(text.into_bytes()))], &message, &[])
        .map_err(|e| e.to_string())?;
    git.set_branch(&branch, &commit).map_err(|e| e.to_string())?;
    println!("wrote {path} and committed it on branch {branch}");
    finish(
        &git,
        c,
        &branch,
        &title,
        &format!(
            "{}\n\n{}",
            r.reason,
            r.ticket.as_deref().map(|t| format!("Ticket: {t}")).unwrap_or_default()
        ),
    )
}

pub fn revoke(c: &Common, id: &str, reason: Option<&str>) -> Result<ExitCode, String> {
    let git = Git::open(&c.repo).map_err(|e| e.to_string())?;
    let base = git.rev_parse(&c.base).map_err(|e| e.to_string())?;
    let tree: Tree = git.read_tree(&base, &["requests"]).map_err(|e| e.to_string())?;
    let matches: Vec<String> = tree
        .requests()
        .filter(|(p, _)| RequestPath::parse(p).is_ok_and(|r| r.id == id))
        .map(|(p, _)| p.clone())
        .collect();
    let path = match matches.as_slice() {
        [one] => one.clone(),
        [] => return Err(format!("no request with id `{id}` on `{}`", c.base)),
        _ => {
            return Err(format!(
                "request id `{id}` is used by {} files: {}",
                matches.len(),
                matches.join(", ")
            ));
        }
    };
    let branch = format!("gitgrant/revoke-{id}");
    let title = format!("Revoke {id}");
    let why = reason.unwrap_or("no longer needed");
    let commit = git
        .commit_change(Some(&base), &[(path.clone(), None)], &format!("{title}\n\n{why}"), &[])
        .map_err(|e| e.to_string())?;
    git.set_branch(&branch, &commit).map_err(|e| e.to_string())?;
    println!("deleted {path} on branch {branch}");
    finish(
        &git,
        c,
        &branch,
        &title,
        &format!(
            "Revokes `{path}`: {why}\n\nDeletion-only pull requests pass the gitgrant gate at once; access ends when this is merged (or at once with a `/revoke` comment on the request's PR)."
        ),
    )
}

/// Pushes the branch and opens the pull request (unless `--no-push`).
fn finish(git: &Git, c: &Common, branch: &str, title: &str, body: &str) -> Result<ExitCode, String> {
    if c.no_push {
        println!("not pushed (--no-push): `git push origin {branch}`, then open a pull request");
        return Ok(ExitCode::SUCCESS);
    }
    git.push_branch(branch).map_err(|e| e.to_string())?;
    let full = c
        .env
        .github_repository
        .clone()
        .or_else(|| git.origin_repository())
        .ok_or("cannot tell the GitHub repository: set GITHUB_REPOSITORY=owner/repo")?;
    let repo = crate::adapters::github::Repo::parse(&full).map_err(|e| e.to_string())?;
    let base_branch = c.base.strip_prefix("origin/").unwrap_or("main");
    let rt = crate::adapters::github::runtime().map_err(|e| e.to_string())?;
    let number = rt.block_on(async {
        let gh = crate::adapters::github::GitHub::from_env(&c.env).map_err(|e| e.to_string())?;
        gh.create_pull(&repo, title, branch, base_branch, body)
            .await
            .map_err(|e| e.to_string())
    })?;
    println!("opened pull request #{number} on {full}");
    Ok(ExitCode::SUCCESS)
}
