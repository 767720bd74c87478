//! `gitgrant plan` and `gitgrant apply [--watch]`: run the reconciler, print what it
//! planned or did, and map the outcome to exit codes.

use std::fmt::Write;
use std::process::ExitCode;

use chrono::Utc;

use crate::app::reconcile::run::{Options, Report, reconcile};
use crate::cli::ReconcileArgs;
use crate::core::diag::render::Format;
use crate::core::files::duration::HumaneDuration;
use crate::core::reconcile::plan::RemovalReason;

pub fn run(args: &ReconcileArgs, apply: bool, force: bool, watch: Option<&str>) -> Result<ExitCode, String> {
    let watch = match watch {
        None => None,
        Some(w) => Some(HumaneDuration::parse(w).map_err(|e| format!("--watch: {}", e.message(w)))?),
    };
    if watch.is_some() && args.at.is_some() {
        return Err("--watch runs on the clock; it cannot be combined with --at".into());
    }
    let env = crate::adapters::actions::RunEnvironment::from_vars(|k| std::env::var(k).ok());
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
        force,
        at: args.at.unwrap_or_else(Utc::now),
        env,
    };
    let Some(watch) = watch else {
        let report = reconcile(&opts, apply)?;
        print(&report, args.format, apply);
        return Ok(exit(&report));
    };
    // --watch: reconcile now, then again at each window boundary (and at least every
    // minute, to see merges and revocations) until the duration is over
    let until = Utc::now() + watch.to_chrono();
    let mut worst = ExitCode::SUCCESS;
    loop {
        refetch(&opts);
        opts.at = Utc::now();
        match reconcile(&opts, apply) {
            Ok(report) => {
                print(&report, args.format, apply);
                if exit(&report) != ExitCode::SUCCESS {
                    worst = ExitCode::from(1);
                }
                let now = Utc::now();
                if now >= until {
                    return Ok(worst);
                }
                let mut wake = (now + chrono::TimeDelta::seconds(60)).min(until);
                if let Some(b) = report.plan.next_boundary {
                    wake = wake.min(b.max(now));
                }
                let pause = (wake - now).to_std().unwrap_or_default();
                std::thread::sleep(pause + std::time::Duration::from_millis(200));
            }
            // one failed run does not end the watch: the next tick tries again
            Err(e) => {
                eprintln!("gitgrant: error: {e}");
                worst = ExitCode::from(2);
                if Utc::now() >= until {
                    return Ok(worst);
                }
                std::thread::sleep(std::time::Duration::from_secs(30));
            }
        }
    }
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
    let fetched = crate::adapters::git::Git::open(&opts.repo).and_then(|g| g.fetch_remote_branch(branch));
    if let Err(e) = fetched {
        eprintln!("gitgrant: warning: cannot fetch `{branch}` from origin: {e}");
    }
}

fn exit(r: &Report) -> ExitCode {
    if r.failures > 0 || r.plan.halted.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print(r: &Report, format: Format, applied: bool) {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(r).unwrap_or_default()),
        _ => print!("{}", human(r, applied)),
    }
}

pub fn human(r: &Report, applied: bool) -> String {
    let mut out = String::new();
    if applied {
        for o in &r.outcomes {
            let _ = writeln!(
                out,
                "{:<11} {} {} on {} for {}{}",
                o.status,
                o.action,
                o.change.permission_set,
                o.change.account,
                o.change.who(),
                o.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
            );
        }
    } else {
        for c in &r.plan.create {
            let _ = writeln!(
                out,
                "create {} on {} for {} ({})",
                c.permission_set,
                c.account,
                c.who(),
                c.requests.join(", ")
            );
        }
        for c in &r.plan.delete {
            let _ = writeln!(
                out,
                "delete {} on {} for {} ({})",
                c.permission_set,
                c.account,
                c.who(),
                c.reason.map_or("", RemovalReason::as_str)
            );
        }
    }
    for c in &r.plan.drift {
        let _ = writeln!(
            out,
            "drift  {} on {} for {}: assigned by hand, not through gitgrant",
            c.permission_set,
            c.account,
            c.who()
        );
    }
    for b in &r.plan.blocked {
        for reason in &b.reasons {
            let _ = writeln!(out, "blocked {}: [{}] {}", b.request, reason.code, reason.message);
        }
    }
    for p in &r.problems {
        let _ = writeln!(out, "problem {p}");
    }
    if let Some(h) = &r.plan.halted {
        let _ = writeln!(out, "halted: {h}");
    }
    let calls: u64 = r.api_calls.values().sum();
    let _ = writeln!(
        out,
        "gitgrant {}: {} to create, {} to delete, {} drift, {} blocked, {} scheduled, {} failed; {calls} AWS API call(s)",
        if applied { "apply" } else { "plan" },
        r.plan.create.len(),
        r.plan.delete.len(),
        r.plan.drift.len(),
        r.plan.blocked.len(),
        r.plan.scheduled.len(),
        r.failures
    );
    out
}
