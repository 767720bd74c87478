//! The `pr` subcommand's flow: snapshot from a file or from GitHub, evaluate, print,
//! optionally record and report; exit 0 approved, 1 not approved, 2 operational failure.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::adapters::actions::RunEnvironment;
use crate::adapters::github::{self, CheckRun, Conclusion, GitHub};
use crate::app::error::AppError;
use crate::app::pr::{self, Evaluated, EvaluatedSources};
use crate::cli::{Exit, PrArgs};
use crate::core::diag::render::{self, Format};
use crate::core::gate::snapshot::Snapshot;
use crate::core::gate::{Decision, report};

/// The GitHub client of an online run, kept to post the decision.
struct Online {
    rt: tokio::runtime::Runtime,
    gh: GitHub,
    repo: github::Repo,
    number: u64,
}

pub fn run(a: &PrArgs, env: &RunEnvironment) -> Result<Exit, AppError> {
    let at = a.at.unwrap_or_else(Utc::now);
    let push = env.push_event()?;
    let (mut snap, online) = match &a.snapshot {
        Some(path) => (pr::load_snapshot(path)?, None),
        None => {
            let (snap, online) = fetch(&a.repo, env)?;
            (snap, Some(online))
        }
    };
    // who pushed: the ledger (always online; for a replay when recording to it) and this event
    let read = match online.is_some() || a.ledger {
        true => Some(pr::read_ledger_at_tip(&a.repo)?),
        false => None,
    };
    let known = read.as_ref().map(|(ledger, _)| ledger);
    pr::add_pushers(&mut snap, known, push.as_ref())?;
    if let Some(path) = &a.record {
        let text = serde_json::to_string_pretty(&snap).map_err(AppError::EncodeSnapshot)?;
        std::fs::write(path, text).map_err(|source| AppError::Write {
            path: path.clone(),
            source,
        })?;
    }
    let evaluated = pr::evaluate(&a.repo, &snap, known, at)?;
    print_decision(&evaluated, a.format);
    // the ledger first: a run cancelled after it has lost only the comment
    let refused = match a.ledger {
        true => record_in_ledger(&a.repo, &snap, &evaluated, read.as_ref(), at, env)?,
        false => None,
    };
    let merged = match (&online, a.merge && env.revoke_comment().is_none()) {
        (Some(o), true) => self_merge(a, o, &evaluated, env, at)?,
        _ => None,
    };
    if a.report {
        post(
            merged.as_ref().map_or(&evaluated, |m| &m.evaluated),
            online.as_ref(),
            env,
        )?;
    }
    if let Some(m) = &merged
        && let Some(why) = &m.failed
    {
        eprintln!("gitgrant: {why}");
        return Ok(Exit::Failure);
    }
    if let Some(why) = refused {
        eprintln!("gitgrant: {why}");
        return Ok(Exit::Findings);
    }
    // with --report the check run carries the decision: a pending one stays in progress
    // there, and the job is not red while people have yet to review
    if a.report && evaluated.outcome.decision == Decision::Pending {
        eprintln!("gitgrant: pending: the `gitgrant` check stays in progress until the request is approved");
        return Ok(Exit::Success);
    }
    Ok(Exit::findings_if(evaluated.outcome.decision != Decision::Approved))
}

/// What `--merge` did: the PR as it stands afterwards, decided again (merged: with its
/// approval records), and what went wrong, if anything did.
struct SelfMerged {
    evaluated: Evaluated,
    failed: Option<String>,
}

/// `--merge`: merges an approved requests-only or deletion-only PR at its decided head,
/// then reads it back, records the merge (with `--ledger`) and starts the reconciler.
/// `None` when the gate leaves the PR to people (said on stdout).
fn self_merge(
    a: &PrArgs,
    o: &Online,
    evaluated: &Evaluated,
    env: &RunEnvironment,
    at: DateTime<Utc>,
) -> Result<Option<SelfMerged>, AppError> {
    use crate::core::gate::merge;
    let git = crate::adapters::git::Git::open(&a.repo)?;
    let deleted = pr::deleted_requesters(&git, &evaluated.facts);
    let plan = match merge::plan(&evaluated.facts, &evaluated.outcome, a.merge_method, &deleted) {
        Ok(p) => p,
        Err(why) => {
            println!("not merged by gitgrant: {}", why.message);
            return Ok(None);
        }
    };
    let answer =
        o.rt.block_on(o.gh.merge_pull(&o.repo, plan.number, &plan.head_sha, plan.method.as_str(), &plan.title));
    let mut failed = None;
    match &answer {
        Ok(commit) => println!(
            "merged PR #{} at head {} as {} ({})",
            plan.number,
            short(&plan.head_sha),
            short(commit),
            plan.method.as_str()
        ),
        Err(e) => failed = Some(format!("approved, but the merge of PR #{} failed: {e}", plan.number)),
    }
    // read back whatever happened: an answer lost on the way may still have merged
    let (snap, _) = fetch(&a.repo, env)?;
    let mut snap = snap;
    let known = pr::read_ledger(&a.repo)?;
    pr::add_pushers(&mut snap, Some(&known), None)?;
    let after = pr::evaluate(&a.repo, &snap, Some(&known), at)?;
    if !after.facts.merged {
        return Ok(Some(SelfMerged {
            evaluated: after,
            failed: failed.or_else(|| Some(format!("PR #{} does not read as merged after the merge", plan.number))),
        }));
    }
    if a.ledger {
        record_pr_events(&git, &known, &snap, &after, at, env)?;
    }
    if let (Some(file), Some(branch)) = (&a.start_reconciler, &after.facts.default_branch) {
        match o.rt.block_on(o.gh.dispatch_workflow(&o.repo, file, branch)) {
            Ok(()) => println!("started {file} on {branch}"),
            Err(e) => {
                failed = Some(format!(
                    "merged, but {file} could not be started (the scheduled run will grant): {e}"
                ))
            }
        }
    }
    Ok(Some(SelfMerged {
        evaluated: after,
        failed,
    }))
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// Appends a PR's events (a merge with its approval records) and the index it extended, to
/// the ledger as `existing` was just fetched and read.
fn record_pr_events(
    git: &crate::adapters::git::Git,
    existing: &crate::core::ledger::Ledger,
    snap: &Snapshot,
    evaluated: &Evaluated,
    at: DateTime<Utc>,
    env: &RunEnvironment,
) -> Result<(), AppError> {
    let mut events = pr_events(snap, evaluated, existing, at);
    if !events.is_empty() {
        events.extend(evaluated.index_event.iter().cloned());
    }
    git.append_ledger(&events, &ledger_subject(evaluated, &events))?;
    announce(git, evaluated, existing, &events, env, at);
    Ok(())
}

/// Announces the events just recorded to the base policy's `[[notify]]` targets; what was
/// sent and what failed goes to stderr (a failure never changes the decision or the exit).
fn announce(
    git: &crate::adapters::git::Git,
    evaluated: &Evaluated,
    ledger: &crate::core::ledger::Ledger,
    events: &[crate::core::ledger::Event],
    env: &RunEnvironment,
    at: DateTime<Utc>,
) {
    let announced =
        crate::app::notify::announce_pr_events(git, &evaluated.notify, &evaluated.outcome, ledger, events, env, at);
    for line in crate::app::notify::lines(&announced) {
        eprintln!("{line}");
    }
}

/// The ledger events the PR's state adds to `existing`, approval records attached.
fn pr_events(
    snap: &Snapshot,
    evaluated: &Evaluated,
    existing: &crate::core::ledger::Ledger,
    at: DateTime<Utc>,
) -> Vec<crate::core::ledger::Event> {
    use crate::core::gate::ledger_events;
    let mut events = ledger_events::pr_events(&evaluated.facts, snap, &evaluated.outcome, existing, at);
    ledger_events::attach_records(&mut events, &evaluated.records);
    events
}

/// The ledger commit's subject: what happened to the PR (merged, closed) when the events say
/// so, else the gate's decision, so `git log gitgrant-ledger` reads as the PR's history.
fn ledger_subject(evaluated: &Evaluated, events: &[crate::core::ledger::Event]) -> String {
    use crate::core::ledger::Kind;
    let has = |k: Kind| events.iter().any(|e| e.kind == Some(k));
    let what = if has(Kind::Merged) {
        format!("merged ({})", evaluated.outcome.decision.as_str())
    } else if has(Kind::ClosedUnmerged) {
        "closed unmerged".to_string()
    } else {
        evaluated.outcome.decision.as_str().to_string()
    };
    // the adapter adds one line per event to the subject
    format!(
        "gitgrant: PR #{} {what} ({} event(s))",
        evaluated.facts.number,
        events.len()
    )
}

/// Reads the run's pull request from GitHub's API, with the teams its decision needs.
fn fetch(repo: &Path, env: &RunEnvironment) -> Result<(Snapshot, Online), AppError> {
    let pr_ref = env.pr_ref()?;
    let rt = github::runtime().map_err(AppError::Runtime)?;
    let repo_ref = github::Repo::new(&pr_ref.owner, &pr_ref.repo)?;
    let (gh, snap) = rt.block_on(async {
        let gh = GitHub::from_env(env)?;
        let mut snap = gh.fetch_pull_request(&repo_ref, pr_ref.number).await?;
        let teams = teams_for(repo, &snap, env)?;
        snap.teams = gh.fetch_teams(teams.iter().map(String::as_str)).await?;
        Ok::<_, AppError>((gh, snap))
    })?;
    let online = Online {
        rt,
        gh,
        repo: repo_ref,
        number: pr_ref.number,
    };
    Ok((snap, online))
}

fn print_decision(evaluated: &Evaluated, format: Format) {
    let sources = EvaluatedSources(evaluated);
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
}

/// `--report`: the check run and the comment (online runs), and the job summary.
fn post(evaluated: &Evaluated, online: Option<&Online>, env: &RunEnvironment) -> Result<(), AppError> {
    let outcome = &evaluated.outcome;
    let merged_as = evaluated
        .facts
        .merge_commit_sha
        .as_deref()
        .filter(|_| evaluated.facts.merged);
    let body = report::markdown_for(outcome, &EvaluatedSources(evaluated), merged_as);
    match online {
        Some(o) => {
            // pending waits on people: in progress (never a red failure, never a pass)
            let conclusion = match outcome.decision {
                Decision::Approved => Some(Conclusion::Success),
                Decision::Pending => None,
                Decision::Rejected | Decision::Invalid => Some(Conclusion::Failure),
            };
            let title = report::summary_line(outcome);
            let check = CheckRun {
                name: "gitgrant",
                head_sha: &evaluated.facts.head_sha,
                conclusion,
                title: &title,
                summary: &body,
                text: None,
                details_url: None,
            };
            o.rt.block_on(async {
                o.gh.create_check_run(&o.repo, &check).await?;
                o.gh.upsert_comment(&o.repo, o.number, report::COMMENT_MARKER, &body)
                    .await
            })?;
        }
        None => eprintln!("gitgrant: --report with --snapshot writes only the job summary (no API client)"),
    }
    if let Some(summary) = &env.github_step_summary {
        append_summary(summary, &body)?;
    }
    Ok(())
}

/// Appends the decision to the job summary file (`GITHUB_STEP_SUMMARY`).
fn append_summary(path: &Path, body: &str) -> Result<(), AppError> {
    use std::io::Write;
    let failed = |source| AppError::JobSummary {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(failed)?;
    writeln!(f, "{body}").map_err(failed)
}

/// `pr --close-stale`: closes the stale request PRs and lists them; exit 0, or 2 when the
/// policy or the API cannot be read.
pub fn close_stale(a: &PrArgs, env: &RunEnvironment) -> Result<Exit, AppError> {
    let at = a.at.unwrap_or_else(Utc::now);
    let closed = crate::app::stale::close_stale(&a.repo, "HEAD", env, at).map_err(AppError::Stale)?;
    match a.format {
        Format::Json => println!("{}", serde_json::json!({ "closed": closed })),
        _ if closed.is_empty() => println!("no stale request pull requests"),
        _ => {
            for c in &closed {
                println!(
                    "closed #{} as stale (opened {}): {}",
                    c.number,
                    c.opened.to_rfc3339(),
                    c.requests.join(", ")
                );
            }
        }
    }
    Ok(Exit::Success)
}

/// The teams to read for a fetched PR: decided from the base commit's policy.
fn teams_for(repo: &Path, snap: &Snapshot, env: &RunEnvironment) -> Result<Vec<String>, AppError> {
    let facts = crate::core::gate::facts::PrFacts::from_snapshot(snap)?;
    let git = crate::adapters::git::Git::open(repo)?;
    let base = git.read_tree(&facts.base_sha, &crate::core::files::tree::TRUSTED_FILES)?;
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
/// `read` is the ledger the decision read and its tip: reused when origin's tip is still
/// that one, read again when another run appended since. Returns why a `/revoke` was
/// refused, if it was.
fn record_in_ledger(
    repo: &Path,
    snap: &Snapshot,
    evaluated: &Evaluated,
    read: Option<&(crate::core::ledger::Ledger, Option<String>)>,
    at: DateTime<Utc>,
    env: &RunEnvironment,
) -> Result<Option<String>, AppError> {
    use crate::core::gate::ledger_events;
    let git = crate::adapters::git::Git::open(repo)?;
    git.fetch_ledger()?;
    let tip = git.ledger_tip();
    let reread;
    let existing = match read {
        Some((ledger, read_at)) if *read_at == tip => ledger,
        _ => {
            reread = git.read_ledger()?;
            &reread
        }
    };
    let mut events: Vec<_> = match env.push_event()? {
        Some(push) => ledger_events::pushed_event(&push, &existing, at).into_iter().collect(),
        None => vec![],
    };
    events.extend(pr_events(snap, evaluated, &existing, at));
    let comment = env.revoke_comment();
    // break-glass reviews after the fact: approving reviews, and a `/reviewed` comment
    let (mut reviewed, mut refused) = pr::post_reviews(&git, snap, evaluated, existing, comment.as_ref(), at);
    events.append(&mut reviewed);
    if let Some(comment) = comment.filter(|c| ledger_events::parse_revoke(&c.body).is_some()) {
        // authority from the merged request and the default branch's CODEOWNERS, never from
        // this PR's head or base (DESIGN 10.5)
        let requesters = pr::merged_requesters(&git, snap, &evaluated.facts, &existing);
        match pr::revoke_codeowners(&git, snap)
            .as_ref()
            .map(|co| ledger_events::revoke_events(&evaluated.facts, &comment, co, &requesters))
        {
            Some(Ok(mut revoked)) => events.append(&mut revoked),
            Some(Err(why)) => refused = Some(why),
            None => {
                refused =
                    Some("the default branch's CODEOWNERS did not load; nobody can be authorized to revoke".into())
            }
        }
    }
    // the commits the gate indexed ride along with its events (never a commit of their own)
    if !events.is_empty() {
        events.extend(evaluated.index_event.iter().cloned());
    }
    git.append_ledger(&events, &ledger_subject(evaluated, &events))?;
    announce(&git, evaluated, &existing, &events, env, at);
    Ok(refused)
}
