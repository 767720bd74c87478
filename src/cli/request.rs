//! `gitgrant request` and `gitgrant revoke`: print what the app layer did (the findings,
//! the branch, the pull request opened) and map it to an exit code.

use chrono::Utc;

use crate::adapters::actions::RunEnvironment;
use crate::app::error::AppError;
use crate::app::request::{self, Branch, Common, NewRequest};
use crate::cli::{BranchArgs, Exit, RequestArgs, RevokeArgs};
use crate::core::diag::render;

fn common<'a>(b: &BranchArgs, env: &'a RunEnvironment) -> Common<'a> {
    Common {
        repo: b.repo.clone(),
        base: b.base.clone(),
        at: b.at.unwrap_or_else(Utc::now),
        env,
    }
}

/// Before anything is written, when the branch is to be pushed: the origin and the token
/// (`request::ready_to_publish`); the environment to go on with, and the token's login.
fn publishing(a: &BranchArgs, env: &RunEnvironment) -> Result<(RunEnvironment, Option<String>), AppError> {
    if a.no_push {
        return Ok((env.clone(), None));
    }
    let (env, login) = request::ready_to_publish(&common(a, env))?;
    Ok((env, Some(login)))
}

/// The request's requester: `--requester`, which must be the token's login when there is
/// one, else that login.
fn requester(given: Option<String>, login: Option<&String>) -> Result<String, AppError> {
    match (given, login) {
        (Some(r), Some(l)) if !r.eq_ignore_ascii_case(l) => Err(AppError::RequesterNotTokenUser {
            requester: r,
            login: l.clone(),
        }),
        (Some(r), _) => Ok(r),
        (None, Some(l)) => Ok(l.clone()),
        (None, None) => Err(AppError::NoRequester),
    }
}

pub fn request(a: RequestArgs, env: &RunEnvironment) -> Result<Exit, AppError> {
    request::check_start(a.start, a.common.at.unwrap_or_else(Utc::now))?;
    let (env, login) = publishing(&a.common, env)?;
    let requester = requester(a.requester, login.as_ref())?;
    let c = common(&a.common, &env);
    let filed = request::request(
        &c,
        &NewRequest {
            requester,
            account: a.account,
            permission_set: a.permission_set,
            duration: a.duration,
            reason: a.reason,
            ticket: a.ticket,
            start: a.start,
            id: a.id,
        },
    )?;
    print!("{}", render::human(&filed.findings, &filed.tree));
    let Some(branch) = filed.branch else {
        println!(
            "not filed: fix the findings above (the policy is read from `{}`)",
            c.base
        );
        return Ok(Exit::Findings);
    };
    println!("wrote {} and committed it on branch {}", branch.path, branch.branch);
    publish(&c, &branch, a.common.no_push)
}

pub fn revoke(a: RevokeArgs, env: &RunEnvironment) -> Result<Exit, AppError> {
    let (env, _) = publishing(&a.common, env)?;
    let c = common(&a.common, &env);
    let branch = request::revoke(&c, &a.id, a.reason.as_deref())?;
    println!("deleted {} on branch {}", branch.path, branch.branch);
    publish(&c, &branch, a.common.no_push)
}

/// Pushes the branch and opens the pull request, unless `--no-push`.
fn publish(c: &Common<'_>, branch: &Branch, no_push: bool) -> Result<Exit, AppError> {
    if no_push {
        println!(
            "not pushed (--no-push): `git push origin {}`, then open a pull request",
            branch.branch
        );
        return Ok(Exit::Success);
    }
    let opened = request::open_pull_request(c, branch)?;
    match &opened.url {
        Some(url) => println!("opened pull request #{} on {}: {url}", opened.number, opened.repository),
        None => println!("opened pull request #{} on {}", opened.number, opened.repository),
    }
    Ok(Exit::Success)
}
