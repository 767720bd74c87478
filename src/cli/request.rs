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
        at: Utc::now(),
        env,
    }
}

pub fn request(a: RequestArgs, env: &RunEnvironment) -> Result<Exit, AppError> {
    let c = common(&a.common, env);
    let filed = request::request(
        &c,
        &NewRequest {
            requester: a.requester,
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
    let c = common(&a.common, env);
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
    println!("opened pull request #{} on {}", opened.number, opened.repository);
    Ok(Exit::Success)
}
