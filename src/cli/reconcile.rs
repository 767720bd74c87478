//! `gitgrant plan` and `gitgrant apply [--watch]`: run the reconciler, print what it
//! planned or did, and map the outcome to exit codes.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::adapters::actions::RunEnvironment;
use crate::adapters::git::Git;
use crate::app::error::AppError;
use crate::app::reconcile::run::{Options, Report, reconcile};
use crate::cli::{Exit, ReconcileArgs, fail};
use crate::core::diag::render::Format;
use crate::core::files::duration::HumaneDuration;
use crate::core::reconcile::plan::{AssignmentChange, RemovalReason};

/// `plan`, or `apply` with its own flags.
pub enum Mode {
    Plan,
    Apply {
        force: bool,
        watch: Option<String>,
        deadline: String,
    },
}

/// `apply --deadline`'s default: one pass's changes end within it, well inside a scheduled
/// job's limits (docs/faults.md).
const DEFAULT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(600);

pub fn run(args: &ReconcileArgs, env: &RunEnvironment, mode: Mode) -> Result<Exit, AppError> {
    let (apply, force, watch, deadline) = match mode {
        Mode::Plan => (false, false, None, None),
        Mode::Apply { force, watch, deadline } => (true, force, watch, Some(deadline)),
    };
    let duration = |flag: &str, w: &str| {
        HumaneDuration::parse(w).map_err(|e| AppError::Usage(format!("{flag}: {}", e.message(w))))
    };
    let watch = watch.map(|w| duration("--watch", &w)).transpose()?;
    let deadline = match deadline {
        Some(d) => duration("--deadline", &d)?
            .to_chrono()
            .to_std()
            .unwrap_or(DEFAULT_DEADLINE),
        None => DEFAULT_DEADLINE,
    };
    if watch.is_some() && args.at.is_some() {
        return Err(AppError::Usage(
            "--watch runs on the clock; it cannot be combined with --at".into(),
        ));
    }
    // the default branch: `--ref`, else the event payload's, else the checkout's HEAD
    let reference = args.reference.clone().unwrap_or_else(|| {
        env.default_branch()
            .map(|b| crate::adapters::git::refs::remote_branch_ref(&b))
            .unwrap_or_else(|| "HEAD".into())
    });
    let mut opts = Options {
        repo: args.repo.clone(),
        reference,
        evidence: args.evidence.clone(),
        instance_arn: args.instance_arn.clone(),
        aws_calls_per_second: args.aws_calls_per_second,
        force,
        at: args.at.unwrap_or_else(Utc::now),
        env: env.clone(),
        deadline,
        started: std::time::Instant::now(),
    };
    let Some(watch) = watch else {
        let report = reconcile(&opts, apply).map_err(AppError::Reconcile)?;
        print(&report, args.format, apply);
        return Ok(exit(&report));
    };
    Ok(watch_until(
        &mut opts,
        args.format,
        apply,
        Utc::now() + watch.to_chrono(),
    ))
}

/// `--watch`: reconciles now, then again at each window boundary (and at least every
/// minute, to see merges and revocations) until `until`, but only while there is work for
/// it: a request in its window, a window starting before `until`, or a failure to retry.
/// With none of these it ends after the run (runner time tracks access, DESIGN 11; the
/// schedule picks up what merges later). The worst outcome of the runs.
fn watch_until(opts: &mut Options, format: Format, apply: bool, until: DateTime<Utc>) -> Exit {
    let mut worst = Exit::Success;
    loop {
        refetch(opts);
        opts.at = Utc::now();
        opts.started = std::time::Instant::now();
        let pause = match reconcile(opts, apply) {
            Ok(report) => {
                print_pass(&report, format, apply, opts.at);
                worst = worst.max(exit(&report));
                if !watch_has_work(&report, until) {
                    eprintln!(
                        "gitgrant: --watch: no grant is active and none starts before {}; done until the next scheduled run",
                        until.format("%Y-%m-%dT%H:%M:%SZ")
                    );
                    return worst;
                }
                let now = Utc::now();
                let mut wake = (now + chrono::TimeDelta::seconds(60)).min(until);
                if let Some(b) = report.plan.next_boundary {
                    wake = wake.min(b.max(now));
                }
                if format != Format::Json {
                    println!("{}", next_pass_line(wake, report.plan.next_boundary));
                }
                (wake - now).to_std().unwrap_or_default() + std::time::Duration::from_millis(200)
            }
            // one failed run does not end the watch: the next tick tries again
            Err(e) => {
                worst = worst.max(fail(&AppError::Reconcile(e)));
                std::time::Duration::from_secs(30)
            }
        };
        if Utc::now() >= until {
            return worst;
        }
        std::thread::sleep(pause);
    }
}

/// Whether `--watch` has a reason to stay after a run: a request in its window, a window
/// boundary before `until`, or a failed change (tried again at the next tick).
fn watch_has_work(report: &Report, until: DateTime<Utc>) -> bool {
    report.plan.active > 0 || report.failures > 0 || report.plan.next_boundary.is_some_and(|b| b <= until)
}

/// Before each `--watch` tick: when the default branch is `origin`'s, fetch exactly that
/// branch (no tags) into its remote-tracking ref, so merges and reverts are seen. The run
/// then resolves the ref once and reads only that commit.
fn refetch(opts: &Options) {
    let remote = opts
        .reference
        .strip_prefix("refs/remotes/origin/")
        .or_else(|| opts.reference.strip_prefix("origin/"));
    let Some(branch) = remote else { return };
    let fetched = Git::open(&opts.repo).and_then(|g| g.fetch_remote_branch(branch));
    if let Err(e) = fetched {
        eprintln!("gitgrant: warning: cannot fetch `{branch}` from origin: {e}");
    }
}

/// 2 when the run could not decide what to grant (DESIGN 5: fail loud), else 1 for a
/// failed change or the brake, else 0.
fn exit(r: &Report) -> Exit {
    if !r.undecided.is_empty() {
        return Exit::Failure;
    }
    Exit::findings_if(r.failures > 0 || r.plan.halted.is_some())
}

/// One `--watch` pass: the human report under the pass's time, or the report as one JSON
/// line (JSON lines, one per pass).
fn print_pass(r: &Report, format: Format, applied: bool, at: DateTime<Utc>) {
    match format {
        Format::Json => {
            for u in &r.undecided {
                eprintln!("gitgrant: cannot decide: {u}");
            }
            println!("{}", serde_json::to_string(r).unwrap_or_default());
        }
        _ => {
            println!("--- {} ---", at.format("%Y-%m-%dT%H:%M:%SZ"));
            print(r, format, applied);
        }
    }
}

/// When the watch runs next, and the window boundary that decides it, if any.
fn next_pass_line(wake: DateTime<Utc>, boundary: Option<DateTime<Utc>>) -> String {
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    match boundary {
        Some(b) => format!("next pass at {} (next window boundary {})", fmt(wake), fmt(b)),
        None => format!("next pass at {}", fmt(wake)),
    }
}

/// The report on stdout; each reason the run could not decide on one stderr line, in
/// either format (a scheduled job's log shows it whatever the output is piped to).
fn print(r: &Report, format: Format, applied: bool) {
    for u in &r.undecided {
        eprintln!("gitgrant: cannot decide: {u}");
    }
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(r).unwrap_or_default()),
        _ => print!("{}", human(r, applied)),
    }
}

/// `<permission set> on <account id> (<account name>) for <who>`, as every line of the
/// human output says it (no name when the directory does not list the id).
fn target(c: &AssignmentChange) -> String {
    let name = c.account_name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
    format!("{} on {}{name} for {}", c.permission_set, c.account, c.who())
}

/// What this run recorded of earlier runs: activations and ends they never recorded.
fn recorded_lines(r: &Report) -> String {
    let mut out = String::new();
    for path in &r.recorded_activations {
        let _ = writeln!(
            out,
            "recorded    activation of {path}: made by an earlier run that stopped before recording it"
        );
    }
    for path in &r.recorded_ends {
        let _ = writeln!(
            out,
            "recorded    end of {path}: Identity Center no longer holds it and no run had recorded its end"
        );
    }
    out
}

/// One line per break-glass grant whose review after the fact is overdue.
fn overdue_lines(r: &Report) -> String {
    let mut out = String::new();
    for g in &r.overdue_reviews {
        let _ = writeln!(
            out,
            "overdue {} (PR #{}, {}): break-glass grant not reviewed by {}; `/reviewed [note]` on the PR",
            g.path,
            g.pr,
            g.requester,
            g.due.format("%Y-%m-%dT%H:%M:%SZ")
        );
    }
    out
}

pub fn human(r: &Report, applied: bool) -> String {
    let mut out = recorded_lines(r);
    if applied {
        for o in &r.outcomes {
            let _ = writeln!(
                out,
                "{:<11} {} {}{}",
                o.status,
                o.action,
                target(&o.change),
                o.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
            );
        }
        for s in &r.sessions {
            let _ = writeln!(out, "{}", session_line(s));
        }
        for n in &r.notifications {
            let _ = match &n.error {
                None => writeln!(out, "notified    {}: {} (event {})", n.target, n.event, n.id),
                Some(e) => writeln!(
                    out,
                    "notify-failed {}: {} (event {}): {e}; recorded, a later run tries again",
                    n.target, n.event, n.id
                ),
            };
        }
    } else {
        for c in &r.plan.create {
            let _ = writeln!(out, "create {} ({})", target(c), c.requests.join(", "));
        }
        for c in &r.plan.delete {
            let _ = writeln!(
                out,
                "delete {} ({})",
                target(c),
                c.reason.map_or("", RemovalReason::as_str)
            );
        }
    }
    for c in &r.plan.drift {
        let _ = writeln!(out, "drift  {}: assigned by hand, not through gitgrant", target(c));
    }
    out.push_str(&overdue_lines(r));
    for b in &r.plan.blocked {
        for reason in &b.reasons {
            let _ = writeln!(out, "blocked {}: [{}] {}", b.request, reason.code, reason.message);
        }
    }
    for k in &r.plan.kept {
        let _ = writeln!(
            out,
            "kept   {k}: its active assignment stays until membership can be read"
        );
    }
    for p in &r.problems {
        let _ = writeln!(out, "problem {p}");
    }
    let _ = writeln!(
        out,
        "membership: teams {}, Identity Center groups {}",
        r.membership.teams.as_str(),
        r.membership.groups.as_str()
    );
    if let Some(h) = &r.plan.halted {
        let _ = writeln!(out, "halted: {h}");
    }
    summary(&mut out, r, applied);
    out
}

/// One step of ending live sessions: what was denied (or released) for whom, and how the
/// provisioning ended.
fn session_line(s: &crate::app::reconcile::sessions::SessionStep) -> String {
    let who = if s.user.is_empty() { &s.user_id } else { &s.user };
    let what = match s.action {
        "deny" => format!(
            "end sessions of {who} on {} ({}): tokens issued before {} denied, {}",
            s.account,
            s.permission_set,
            s.before.format("%Y-%m-%dT%H:%M:%SZ"),
            s.detail
        ),
        _ => format!(
            "release session deny of {who} on {} ({}): {}",
            s.account, s.permission_set, s.detail
        ),
    };
    let error = s.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
    format!("{:<11} {what}{error}", s.status)
}

/// The closing lines: the counts of the plan (or apply), then an apply's terraform line.
fn summary(out: &mut String, r: &Report, applied: bool) {
    let calls: u64 = r.api_calls.values().sum();
    let _ = writeln!(
        *out,
        "gitgrant {}: {} to create, {} to delete, {} drift, {} blocked, {} scheduled, {} failed; {calls} AWS API call(s)",
        if applied { "apply" } else { "plan" },
        r.plan.create.len(),
        r.plan.delete.len(),
        r.plan.drift.len(),
        r.plan.blocked.len(),
        r.plan.scheduled.len(),
        r.failures
    );
    if applied {
        let ended = r
            .sessions
            .iter()
            .filter(|s| s.action == "deny" && s.status == crate::app::reconcile::run::OutcomeStatus::Succeeded)
            .count();
        let mut line = apply_complete(&r.outcomes);
        if !r.sessions.is_empty() {
            line = format!("{} {ended} user session(s) ended.", line);
        }
        let _ = writeln!(*out, "{line}");
    }
}

/// The closing line of an apply, as terraform ends one: what was made, counted from the
/// outcomes (a change not definitively done is never counted as made).
fn apply_complete(outcomes: &[crate::app::reconcile::run::Outcome]) -> String {
    use crate::app::reconcile::run::OutcomeStatus;
    use crate::core::reconcile::plan::AssignmentAction;
    let count = |action: Option<AssignmentAction>, status: OutcomeStatus| {
        outcomes
            .iter()
            .filter(|o| o.status == status && action.is_none_or(|a| o.action == a))
            .count()
    };
    let created = count(Some(AssignmentAction::Create), OutcomeStatus::Succeeded);
    let deleted = count(Some(AssignmentAction::Delete), OutcomeStatus::Succeeded);
    let failed = count(None, OutcomeStatus::Failed);
    let open = count(None, OutcomeStatus::InProgress) + count(None, OutcomeStatus::Unknown);
    format!("Apply complete: {created} created, {deleted} deleted, {failed} failed, {open} not yet known.")
}
