//! The `pr` subcommand's flow: snapshot from a file or from GitHub, evaluate, print,
//! optionally record and report; exit 0 approved, 1 not approved, 2 operational failure.

use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use crate::gate::{Decision, report};
use crate::pr::{self, EvaluatedSources};
use crate::render::{self, Format};

pub fn run(
    repo: &Path,
    snapshot: Option<&Path>,
    record: Option<&Path>,
    at: DateTime<Utc>,
    format: Format,
    post: bool,
) -> Result<ExitCode, String> {
    let snap = match snapshot {
        Some(path) => pr::read_snapshot(path)?,
        None => {
            let pr_ref = crate::event::pr_from_env()?;
            return Err(format!(
                "reading pull request #{} of {}/{} from GitHub's API is not available in this build; pass --snapshot FILE",
                pr_ref.number, pr_ref.owner, pr_ref.repo
            ));
        }
    };
    if let Some(path) = record {
        let text = serde_json::to_string_pretty(&snap).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    let evaluated = pr::evaluate(repo, &snap, at)?;
    let sources = EvaluatedSources(&evaluated);
    let outcome = &evaluated.outcome;
    match format {
        Format::Human => print!("{}", report::human(outcome)),
        Format::Json => println!("{}", report::json(outcome, &sources)),
        Format::Github => {
            print!("{}", render::github(&outcome.diagnostics, &sources));
            println!("{}", report::summary_line(outcome));
        }
        Format::Markdown => print!("{}", report::markdown(outcome, &sources)),
    }
    if post {
        if let Ok(summary) = std::env::var("GITHUB_STEP_SUMMARY") {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&summary)
                .map_err(|e| format!("cannot write the job summary `{summary}`: {e}"))?;
            writeln!(f, "{}", report::markdown(outcome, &sources)).map_err(|e| e.to_string())?;
        }
    }
    Ok(if outcome.decision == Decision::Approved {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
