//! The `pr` subcommand's flow: snapshot from a file or from GitHub, evaluate, print,
//! optionally record and report; exit 0 approved, 1 not approved, 2 operational failure.

use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use crate::core::gate::{Decision, report};
use crate::adapters::github::{self, CheckRun, Conclusion};
use crate::app::pr::{self, EvaluatedSources};
use crate::core::diag::render::{self, Format};

pub fn run(
    repo: &Path,
    snapshot: Option<&Path>,
    record: Option<&Path>,
    at: DateTime<Utc>,
    format: Format,
    post: bool,
    ledger: bool,
) -> Result<ExitCode, String> {
    let env = crate::adapters::actions::RunEnvironment::from_vars(|k| std::env::var(k).ok());
    let push = env.push_event().map_err(|e| e.to_string())?;
    let mut online = None;
    let mut snap = match snapshot {
        Some(path) => pr::read_snapshot(path)?,
        None => {
            let pr_ref = env.pr_ref().map_err(|e| e.to_string())?;
            let rt = github::runtime().map_err(|e| format!("cannot start the async runtime: {e}"))?;
            let repo_ref = github::Repo::new(&pr_ref.owner, &pr_ref.repo).map_err(|e| e.to_string())?;
            let (gh, snap) = rt.block_on(async {
                let gh = github::GitHub::from_env(&env).map_err(|e| e.to_string())?;
                let mut snap = gh
                    .fetch_pull_request(&repo_ref, pr_ref.number)
                    .await
                    .map_err(|e| e.to_string())?;
                let teams = teams_for(repo, &snap, &env)?;
                snap.teams = gh
                    .fetch_teams(teams.iter().map(String::as_str))
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>((gh, snap))
            })?;
            online = Some((rt, gh, repo_ref, pr_ref.number));
            snap
        }
    };
    // who pushed: the ledger (always online; for a replay when recording to it) and this event
    let known = match online.is_some() || ledger {
        true => Some(pr::read_ledger(repo)?),
        false => None,
    };
    pr::add_pushers(&mut snap, known.as_ref(), push.as_ref())?;
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
        let body = report::markdown(outcome, &sources);
        match &online {
            Some((rt, gh, repo_ref, number)) => {
                let conclusion = if outcome.decision == Decision::Approved {
                    Conclusion::Success
                } else {
                    Conclusion::Failure
                };
                let title = report::summary_line(outcome);
                rt.block_on(async {
                    gh.create_check_run(
                        repo_ref,
                        &CheckRun {
                            name: "gitgrant",
                            head_sha: &evaluated.facts.head_sha,
                            conclusion,
                            title: &title,
                            summary: &body,
                            text: None,
                            details_url: None,
                        },
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                    gh.upsert_comment(repo_ref, *number, report::COMMENT_MARKER, &body)
                        .await
                        .map_err(|e| e.to_string())
                })?;
            }
            None => eprintln!("gitgrant: --report with --snapshot writes only the job summary (no API client)"),
        }
        if let Some(summary) = &env.github_step_summary {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&summary)
                .map_err(|e| format!("cannot write the job summary `{}`: {e}", summary.display()))?;
            writeln!(f, "{body}").map_err(|e| e.to_string())?;
        }
    }
    if ledger {
        let refused = record_in_ledger(repo, &snap, &evaluated, at, &env)?;
        if let Some(why) = refused {
            eprintln!("gitgrant: {why}");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(if outcome.decision == Decision::Approved {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The teams to read for a fetched PR: decided from the base commit's policy.
fn teams_for(
    repo: &Path,
    snap: &crate::core::gate::snapshot::Snapshot,
    env: &crate::adapters::actions::RunEnvironment,
) -> Result<Vec<String>, String> {
    let facts = crate::core::gate::facts::PrFacts::from_snapshot(snap).map_err(|e| e.to_string())?;
    let git = crate::adapters::git::Git::open(repo).map_err(|e| e.to_string())?;
    let base = git
        .read_tree(&facts.base_sha, &crate::core::files::tree::TRUSTED_FILES)
        .map_err(|e| e.to_string())?;
    let mut diags = Vec::new();
    let set = crate::core::files::load::policy_files(&base, &mut diags);
    let mut teams = pr::teams_needed(&set, &facts.files);
    // a `/revoke` by an admin is authorized through the owners of the access policy
    if env.revoke_comment().is_some()
        && let Some(co) = &set.codeowners
    {
        for o in co.owners_of(crate::core::files::tree::ACCESS) {
            if let crate::core::model::codeowners::Owner::Team(t) = o {
                teams.insert(t);
            }
        }
    }
    Ok(teams.into_iter().collect())
}

/// Appends the PR's new events (and a `/revoke` comment's revocations) to the ledger.
/// Returns why a `/revoke` was refused, if it was.
fn record_in_ledger(
    repo: &Path,
    snap: &crate::core::gate::snapshot::Snapshot,
    evaluated: &pr::Evaluated,
    at: DateTime<Utc>,
    env: &crate::adapters::actions::RunEnvironment,
) -> Result<Option<String>, String> {
    use crate::core::gate::ledger_events;
    let git = crate::adapters::git::Git::open(repo).map_err(|e| e.to_string())?;
    git.fetch_ledger().map_err(|e| e.to_string())?;
    let existing = git.read_ledger().map_err(|e| e.to_string())?;
    let mut events: Vec<_> = match env.push_event().map_err(|e| e.to_string())? {
        Some(push) => ledger_events::pushed_event(&push, &existing, at).into_iter().collect(),
        None => vec![],
    };
    events.extend(ledger_events::pr_events(
        &evaluated.facts,
        snap,
        &evaluated.outcome,
        &existing,
        at,
    ));
    let mut refused = None;
    if let Some(comment) = env.revoke_comment() {
        let mut diags = Vec::new();
        let base = crate::core::files::load::policy_files(&evaluated.base, &mut diags);
        let requesters: Vec<(String, String)> = evaluated
            .outcome
            .requests
            .iter()
            .map(|i| {
                let who = evaluated
                    .head
                    .text(&i.path)
                    .and_then(|t| toml::from_str::<toml::Table>(t).ok())
                    .and_then(|t| t.get("requester").and_then(|v| v.as_str()).map(str::to_string))
                    .unwrap_or_default();
                (i.path.clone(), who)
            })
            .collect();
        match base
            .codeowners
            .as_ref()
            .map(|co| ledger_events::revoke_events(&evaluated.facts, &comment, co, &requesters))
        {
            Some(Ok(mut revoked)) => events.append(&mut revoked),
            Some(Err(why)) => refused = Some(why),
            None => refused = Some("the base CODEOWNERS did not load; nobody can be authorized to revoke".into()),
        }
    }
    let lines: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "- {} {}",
                e.kind.map_or("?", |k| k.as_str()),
                e.request.as_deref().unwrap_or("")
            )
        })
        .collect();
    let message = format!(
        "gitgrant: PR #{} {} ({} event(s))\n\n{}",
        evaluated.facts.number,
        evaluated.outcome.decision.as_str(),
        events.len(),
        lines.join("\n")
    );
    git.append_ledger(&events, &message).map_err(|e| e.to_string())?;
    Ok(refused)
}
