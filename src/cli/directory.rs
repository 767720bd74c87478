//! `gitgrant directory sync [--check]`: print what the sync found (missing groups on
//! stderr, the loader's findings, one summary line); exit 1 when the new snapshot does not
//! load or, with `--check`, when the file is out of date.

use chrono::Utc;

use crate::app::directory_sync::{self, Counts, Options, Outcome};
use crate::app::error::AppError;
use crate::cli::{Exit, SyncArgs};
use crate::core::diag::render::{self, SingleSource};
use crate::core::files::tree::DIRECTORY;

pub fn sync(a: &SyncArgs) -> Result<Exit, AppError> {
    let synced = directory_sync::run(&Options {
        repo: &a.repo,
        instance_arn: a.instance_arn.as_deref(),
        at: a.at.unwrap_or_else(Utc::now),
        check: a.check,
    })?;
    for name in &synced.missing_groups {
        eprintln!("warning: Identity Center has no group `{name}` (named by the policy or the old snapshot)");
    }
    let summary = summary(&synced.counts);
    let source = SingleSource(&synced.text);
    Ok(match &synced.outcome {
        Outcome::UpToDate => {
            println!("{DIRECTORY} is up to date: {summary}");
            Exit::Success
        }
        Outcome::Invalid(diags) => {
            print!("{}", render::human(diags, &source));
            println!(
                "gitgrant directory sync: the organization read from AWS does not make a valid {DIRECTORY}; nothing written"
            );
            Exit::Findings
        }
        Outcome::OutOfDate => {
            println!("{DIRECTORY} is out of date: {summary}");
            Exit::Findings
        }
        Outcome::Written(warnings) => {
            print!("{}", render::human(warnings, &source));
            println!("wrote {DIRECTORY}: {summary}");
            Exit::Success
        }
    })
}

fn summary(c: &Counts) -> String {
    format!(
        "{} OU(s), {} account(s), {} permission set(s), {} group(s); {} AWS call(s)",
        c.ous, c.accounts, c.permission_sets, c.groups, c.api_calls
    )
}
