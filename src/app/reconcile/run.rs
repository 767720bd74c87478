//! One reconcile run (DESIGN 5), the adapters around the pure plan: read the ledger and the
//! default branch from git, the live assignments from Identity Center, plan, and (for
//! `apply`) make the changes with bounded concurrency, polling each to SUCCEEDED or FAILED,
//! and record every outcome in the ledger in one commit. A run stopped half-way is finished
//! by the next: the plan is recomputed from what exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::runtime::Runtime;

use super::desired::{self, EvidenceDir, EvidenceSource, NoEvidence};
use crate::core::reconcile::plan::{self, Actual, Change, Plan, PlanInput};
use crate::adapters::aws::{ChangeStatus, IdentityCenter, PrincipalType};
use crate::adapters::git::Git;
use crate::core::ledger::{Event, Kind};

#[derive(Debug, Clone)]
pub struct Options {
    pub repo: PathBuf,
    /// The default branch's revision (`HEAD`, `origin/main`).
    pub reference: String,
    pub evidence: Option<PathBuf>,
    pub instance_arn: Option<String>,
    pub force: bool,
    pub at: DateTime<Utc>,
    /// The run's environment (`GITHUB_TOKEN`, `GITHUB_REPOSITORY`, `GITHUB_API_URL`).
    pub env: crate::adapters::actions::RunEnvironment,
}

/// What happened to one planned change.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub action: &'static str,
    pub change: Change,
    /// succeeded, failed, in-progress
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment_request_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    #[serde(flatten)]
    pub plan: Plan,
    pub outcomes: Vec<Outcome>,
    pub failures: usize,
    /// AWS API calls made, by operation.
    pub api_calls: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_commit: Option<String>,
    /// Things the run could not read (ledger lines, request files), reported and skipped.
    pub problems: Vec<String>,
}

/// Evidence from GitHub's API: the PR that merged the commit adding a request file.
struct GitHubEvidence<'a> {
    rt: &'a Runtime,
    gh: crate::adapters::github::GitHub,
    repo: crate::adapters::github::Repo,
    git: &'a Git,
}

impl EvidenceSource for GitHubEvidence<'_> {
    fn snapshot_for(&self, _path: &str, commit: Option<&str>) -> Result<Option<crate::core::gate::snapshot::Snapshot>, String> {
        let Some(commit) = commit else { return Ok(None) };
        self.rt.block_on(async {
            let Some(number) = self
                .gh
                .find_pull_for_commit(&self.repo, commit)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok(None);
            };
            let mut snap = self
                .gh
                .fetch_pull_request(&self.repo, number)
                .await
                .map_err(|e| e.to_string())?;
            let facts = crate::core::gate::facts::PrFacts::from_snapshot(&snap).map_err(|e| e.to_string())?;
            let base = self
                .git
                .read_tree(&facts.base_sha, &crate::app::pr::POLICY_PATHS)
                .map_err(|e| e.to_string())?;
            let mut diags = Vec::new();
            let set = crate::core::files::load::policy_set(&base, &mut diags);
            let teams = crate::app::pr::teams_needed(&set, &facts.files);
            snap.teams = self
                .gh
                .fetch_teams(teams.iter().map(String::as_str))
                .await
                .map_err(|e| e.to_string())?;
            Ok(Some(snap))
        })
    }
}

/// Plans (and with `apply`, makes) the changes. Operational failures are `Err`.
pub fn reconcile(opts: &Options, apply: bool) -> Result<Report, String> {
    let rt = crate::adapters::github::runtime().map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let git = Git::open(&opts.repo).map_err(|e| e.to_string())?;
    git.fetch_ledger().map_err(|e| e.to_string())?;
    let ledger = git.read_ledger().map_err(|e| e.to_string())?;
    let mut report = Report::default();
    for b in &ledger.bad_lines {
        report
            .problems
            .push(format!("ledger {}:{}: {}", b.file, b.line, b.error));
    }
    let main = git.rev_parse(&opts.reference).map_err(|e| e.to_string())?;

    let github = match (&opts.env.github_token, &opts.env.github_repository) {
        (Some(_), Some(full)) if opts.evidence.is_none() => {
            let repo = crate::adapters::github::Repo::parse(&full).map_err(|e| e.to_string())?;
            let gh = rt
                .block_on(async { crate::adapters::github::GitHub::from_env(&opts.env) })
                .map_err(|e| e.to_string())?;
            Some(GitHubEvidence {
                rt: &rt,
                gh,
                repo,
                git: &git,
            })
        }
        _ => None,
    };
    let dir_source;
    let evidence: &dyn EvidenceSource = match (&opts.evidence, &github) {
        (Some(dir), _) => {
            dir_source = EvidenceDir::open(dir)?;
            &dir_source
        }
        (None, Some(g)) => g,
        (None, None) => &NoEvidence,
    };
    let d = desired::desired(&git, &main, &ledger, evidence, opts.at);
    for diag in d.diagnostics.iter().filter(|x| x.is_error()) {
        report.problems.push(format!(
            "{}: [{}] {}",
            diag.file.as_deref().unwrap_or("-"),
            diag.code,
            diag.message
        ));
    }
    let settings = d.policy.policy.as_ref().map(|p| p.settings.clone());
    let owned = ledger.owned();
    let revoked: BTreeSet<String> = ledger.revoked().into_keys().collect();

    let instance = opts
        .instance_arn
        .clone()
        .or_else(|| d.policy.directory.as_ref().map(|x| x.instance_arn.clone()));
    let ic = rt
        .block_on(IdentityCenter::from_env(instance.as_deref()))
        .map_err(|e| format!("cannot reach IAM Identity Center: {e}"))?;
    let live_sets = rt.block_on(ic.read_permission_sets()).map_err(|e| e.to_string())?;
    let managed: BTreeSet<String> = match &settings {
        Some(s) => s.managed_permission_sets.iter().cloned().collect(),
        None => owned.values().filter_map(|o| o.permission_set.clone()).collect(),
    };
    let permission_sets: BTreeMap<String, String> = live_sets
        .iter()
        .filter(|p| managed.contains(&p.name))
        .map(|p| (p.name.clone(), p.arn.clone()))
        .collect();
    let managed_arns: Vec<String> = permission_sets.values().cloned().collect();

    let active: Vec<&plan::Candidate> = d
        .candidates
        .iter()
        .filter(|c| c.blocked.is_empty() && c.start <= opts.at && opts.at < c.end)
        .collect();
    let names: Vec<String> = active
        .iter()
        .filter_map(|c| c.user_name.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let user_ids = rt.block_on(ic.user_ids(&names)).map_err(|e| e.to_string())?;
    let mut in_use: BTreeSet<(String, String)> = owned
        .keys()
        .map(|k| (k.account_id.clone(), k.permission_set_arn.clone()))
        .collect();
    for c in &active {
        if let Some(arn) = permission_sets.get(&c.permission_set) {
            in_use.insert((c.account_id.clone(), arn.clone()));
        }
    }
    let in_use: Vec<(String, String)> = in_use.into_iter().collect();
    let actual: Vec<Actual> = rt
        .block_on(ic.actual_assignments_with(&managed_arns, &in_use))
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|a| a.principal_type == PrincipalType::User && managed_arns.contains(&a.permission_set_arn))
        .map(|a| Actual {
            account_id: a.account_id,
            permission_set_arn: a.permission_set_arn,
            user_id: a.principal_id,
        })
        .collect();

    let plan = plan::plan(&PlanInput {
        candidates: &d.candidates,
        desired_readable: d.readable,
        user_ids: &user_ids,
        permission_sets: &permission_sets,
        actual: &actual,
        owned: &owned,
        revoked: &revoked,
        remove_drift: settings.as_ref().is_some_and(|s| s.remove_drift),
        max_removals: settings
            .as_ref()
            .map_or(crate::core::model::policy::DEFAULT_MAX_REMOVALS, |s| s.max_removals_per_run),
        force: opts.force,
        at: opts.at,
    });
    report.plan = plan;
    if !apply || report.plan.halted.is_some() {
        report.api_calls = ic.api_calls();
        return Ok(report);
    }

    // write the intent first: a run stopped after creating leaves gitgrant owning what it made
    let intents: Vec<Event> = report
        .plan
        .create
        .iter()
        .flat_map(|c| {
            c.requests.iter().map(move |r| {
                let mut e = Event::new(Kind::Assigning, opts.at);
                e.request = Some(r.clone());
                e.account_id = Some(c.account.clone());
                e.permission_set = Some(c.permission_set.clone());
                e.permission_set_arn = Some(c.permission_set_arn.clone());
                e.user_name = Some(c.user.clone());
                e.user_id = Some(c.user_id.clone());
                e.ends_at = c.ends_at;
                e
            })
        })
        .collect();
    git.append_ledger(
        &intents,
        &format!(
            "gitgrant apply at {}: assigning {} grant(s)",
            opts.at.to_rfc3339(),
            report.plan.create.len()
        ),
    )
    .map_err(|e| format!("the ledger could not be written, so nothing was changed: {e}"))?;

    let concurrency = settings.as_ref().map_or(4, |s| s.apply_concurrency);
    let mut work: Vec<(&'static str, Change)> = report.plan.create.iter().cloned().map(|c| ("create", c)).collect();
    work.extend(report.plan.delete.iter().cloned().map(|c| ("delete", c)));
    let outcomes = rt.block_on(async {
        let mut out = Vec::new();
        let mut tasks = tokio::task::JoinSet::new();
        let mut queue = work.into_iter();
        loop {
            while tasks.len() < concurrency {
                let Some((action, change)) = queue.next() else { break };
                let ic = ic.clone();
                tasks.spawn(async move {
                    let r = if action == "create" {
                        ic.create_assignment(&change.account, &change.permission_set_arn, &change.user_id)
                            .await
                    } else {
                        ic.delete_assignment(&change.account, &change.permission_set_arn, &change.user_id)
                            .await
                    };
                    (action, change, r)
                });
            }
            match tasks.join_next().await {
                None => break,
                Some(Ok(done)) => out.push(done),
                Some(Err(e)) => return Err(format!("an assignment change stopped unexpectedly: {e}")),
            }
        }
        Ok(out)
    })?;

    let mut events = Vec::new();
    for (action, change, result) in outcomes {
        let (status, error, request_id) = match result {
            Ok(o) => match o.status {
                ChangeStatus::Succeeded => ("succeeded".to_string(), None, Some(o.request_id)),
                ChangeStatus::Failed(why) => ("failed".to_string(), Some(why), Some(o.request_id)),
                ChangeStatus::InProgress => (
                    "in-progress".to_string(),
                    Some("still IN_PROGRESS when polling stopped; re-read next run".to_string()),
                    Some(o.request_id),
                ),
            },
            Err(e) => ("failed".to_string(), Some(e.to_string()), None),
        };
        let succeeded = status == "succeeded";
        if !succeeded {
            report.failures += 1;
        }
        let requests: Vec<Option<String>> = if change.requests.is_empty() {
            vec![None]
        } else {
            change.requests.iter().cloned().map(Some).collect()
        };
        for request in requests {
            let kind = match (succeeded, action) {
                (true, "create") => Kind::Activated,
                (true, _) => Kind::Ended,
                (false, _) => Kind::Failed,
            };
            let mut e = Event::new(kind, opts.at);
            e.request = request.clone();
            e.request_id = request
                .as_deref()
                .and_then(|p| crate::core::model::request::RequestPath::parse(p).ok())
                .map(|p| p.id);
            e.account_id = Some(change.account.clone());
            e.permission_set = Some(change.permission_set.clone());
            e.permission_set_arn = Some(change.permission_set_arn.clone());
            e.user_name = (!change.user.is_empty()).then(|| change.user.clone());
            e.user_id = Some(change.user_id.clone());
            e.assignment_request_id = request_id.clone();
            e.ends_at = change.ends_at;
            e.reason = match kind {
                Kind::Failed => Some(format!("{action}: {}", error.clone().unwrap_or_default())),
                _ => change.reason.clone(),
            };
            events.push(e);
        }
        report.outcomes.push(Outcome {
            action,
            change,
            status,
            error,
            assignment_request_id: request_id,
        });
    }
    // requests newly covered by an assignment gitgrant already owns extend its recorded end
    for c in &active {
        let (Some(arn), Some(Some(uid))) = (
            permission_sets.get(&c.permission_set),
            c.user_name.as_ref().and_then(|u| user_ids.get(u)),
        ) else {
            continue;
        };
        let key = crate::core::ledger::AssignmentKey {
            account_id: c.account_id.clone(),
            permission_set_arn: arn.clone(),
            user_id: uid.clone(),
        };
        if let Some(o) = owned.get(&key)
            && !o.requests.contains(&c.path)
            && !revoked.contains(&c.path)
        {
            let mut e = Event::new(Kind::Activated, opts.at);
            e.request = Some(c.path.clone());
            e.request_id = Some(c.id.clone());
            e.account_id = Some(key.account_id.clone());
            e.permission_set = Some(c.permission_set.clone());
            e.permission_set_arn = Some(key.permission_set_arn.clone());
            e.user_name = c.user_name.clone();
            e.user_id = Some(key.user_id.clone());
            e.ends_at = Some(c.end);
            e.reason = Some("already assigned; this request extends it".into());
            events.push(e);
        }
    }
    let count = |k: Kind| events.iter().filter(|e| e.kind == Some(k)).count();
    let mut message = format!(
        "gitgrant apply at {}: {} activated, {} ended, {} failed",
        opts.at.to_rfc3339(),
        count(Kind::Activated),
        count(Kind::Ended),
        count(Kind::Failed)
    );
    message.push('\n');
    for o in &report.outcomes {
        message.push_str(&format!(
            "\n- {} {} {} on {} for {}{}",
            o.status,
            o.action,
            o.change.permission_set,
            o.change.account,
            if o.change.user.is_empty() {
                &o.change.user_id
            } else {
                &o.change.user
            },
            o.change
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
    }
    report.ledger_commit = git
        .append_ledger(&events, &message)
        .map_err(|e| format!("the changes were made but the ledger could not be written: {e}"))?;
    report.api_calls = ic.api_calls();
    Ok(report)
}
