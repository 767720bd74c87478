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

use super::desired::{self, Desired, EvidenceDir, EvidenceSource, NoEvidence};
use super::live::LiveMembership;
use super::membership::Sources;
use super::sessions::{self, SessionStep, SessionsInput};
use crate::adapters::aws::{AwsError, ChangeOutcome, ChangeStatus, IdentityCenter, PrincipalType};
use crate::adapters::git::Git;
use crate::core::ledger::{AssignmentKey, Event, Kind, Ledger, Owned};
use crate::core::model::policy::{EndSessions, Settings};
use crate::core::reconcile::observed;
use crate::core::reconcile::plan::{self, Actual, AssignmentAction, AssignmentChange, Candidate, Plan, PlanInput};
use crate::core::reconcile::sessions::session_length;

#[derive(Debug, Clone)]
pub struct Options {
    pub repo: PathBuf,
    /// The default branch: a full ref (`refs/remotes/origin/main`), `HEAD`, a commit id, or a
    /// short name that names exactly one branch (`Git::resolve_branch`).
    pub reference: String,
    pub evidence: Option<PathBuf>,
    pub instance_arn: Option<String>,
    /// The run's limit on AWS calls a second (`--aws-calls-per-second`).
    pub aws_calls_per_second: u32,
    pub force: bool,
    pub at: DateTime<Utc>,
    /// The run's environment (`GITHUB_TOKEN`, `GITHUB_REPOSITORY`, `GITHUB_API_URL`).
    pub env: crate::adapters::actions::RunEnvironment,
    /// How long the changes of one pass may take (`apply --deadline`): after it nothing new
    /// starts and what is still waiting for AWS is recorded `unknown` (issue 11 item 4).
    pub deadline: std::time::Duration,
    /// When the run started (monotonic): `at` plus the time since is the run's "now".
    pub started: std::time::Instant,
}

/// How a change ended, as the JSON output, the human output and the ledger commit message
/// spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeStatus {
    Succeeded,
    /// AWS reported FAILED, or rejected the call (a definitive answer).
    Failed,
    /// Still IN_PROGRESS when polling stopped: not done, re-read next run.
    InProgress,
    /// No definitive answer (errors past the retry deadline, a malformed answer): the
    /// change may have been made; recorded `unknown`, a create keeps its claim.
    Unknown,
}

impl OutcomeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Succeeded => "succeeded",
            OutcomeStatus::Failed => "failed",
            OutcomeStatus::InProgress => "in-progress",
            OutcomeStatus::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for OutcomeStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// What happened to one planned change.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub action: AssignmentAction,
    pub change: AssignmentChange,
    pub status: OutcomeStatus,
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
    /// Requests whose assignment an earlier run made without recording it (stopped, or its
    /// outcome never reached origin), found present and recorded as activated by this run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recorded_activations: Vec<String>,
    /// Requests whose owned assignment Identity Center no longer holds without an `ended`
    /// in the ledger (a lost outcome, a removal outside gitgrant): recorded as ended.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recorded_ends: Vec<String>,
    /// Things the run could not read (ledger lines, request files), reported and skipped.
    pub problems: Vec<String>,
    /// Why the run could not decide what to grant (the policy does not load, the ledger
    /// has lines that do not parse, ...), one line each naming the file and line: the
    /// run still removes what ended or was revoked, and the command exits 2.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecided: Vec<String>,
    /// Where "still eligible" read team and group memberships: `live` or `snapshot`.
    pub membership: Sources,
    /// What ending live sessions did (issue 13 item 1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<SessionStep>,
    /// What was announced to the `[[notify]]` targets (issue 13 item 3).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<crate::app::notify::Delivery>,
    /// Break-glass grants whose review after the fact is overdue (issue 13 item 2); `apply`
    /// records each once as `review_overdue` (and announces it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overdue_reviews: Vec<crate::core::emergency::EmergencyGrant>,
    /// The events this run appended to the ledger (announced after the run).
    #[serde(skip)]
    pub appended: Vec<Event>,
}

/// Evidence from GitHub's API: the PR that merged the commit adding a request file.
struct GitHubEvidence<'a> {
    rt: &'a Runtime,
    gh: crate::adapters::github::GitHub,
    repo: crate::adapters::github::Repo,
    git: &'a Git,
}

impl EvidenceSource for GitHubEvidence<'_> {
    fn snapshot_for(
        &self,
        _path: &str,
        commit: Option<&str>,
    ) -> Result<Option<crate::core::gate::snapshot::Snapshot>, String> {
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
                .read_tree(&facts.base_sha, &crate::core::files::tree::TRUSTED_FILES)
                .map_err(|e| e.to_string())?;
            let mut diags = Vec::new();
            let set = crate::core::files::load::policy_files(&base, &mut diags);
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
    ledger_problems(&ledger, &mut report);
    // resolved once: every later read of this run uses the commit id, never the name
    let main = git
        .resolve_branch(&opts.reference)
        .map_err(|e| e.to_string())?
        .into_string();

    let github = match (&opts.env.github_token, &opts.env.github_repository) {
        (Some(_), Some(full)) if opts.evidence.is_none() => {
            let repo = crate::adapters::github::Repo::parse(full).map_err(|e| e.to_string())?;
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
    let name = default_branch_name(&git, &opts.reference);
    let branch = desired::Branch {
        tip: &main,
        name: &name,
    };
    let indexed = index_for_run(&git, &ledger, &main, opts.at, &mut report.problems)?;
    let live = LiveMembership::new(
        &rt,
        membership_github(&rt, opts)?,
        opts.instance_arn.clone(),
        opts.aws_calls_per_second,
    );
    let d = desired::desired_indexed(&git, branch, &ledger, &indexed.index, evidence, Some(&live), opts.at);
    report.membership = live.sources();
    report.problems.extend(diagnostic_problems(&d));
    report.undecided.extend(d.undecided.iter().cloned());
    let settings = d.policy.as_ref().map(|p| p.policy().settings.clone());
    let (ic, known_users) = live.into_parts();
    let mut observed = observe(opts, &rt, &d, &ledger, settings.as_ref(), ic, known_users)?;
    match vanished_paths(&git, &main, &ledger, &indexed.index, opts.at) {
        Ok(events) => {
            observed.revoked.extend(events.iter().filter_map(|e| e.request.clone()));
            observed.vanished = events;
        }
        Err(e) => report.undecided.push(format!(
            "cannot list the default branch's request files, so deletions are not seen: {e}"
        )),
    }
    report.plan = plan_run(opts, &d, &observed, settings.as_ref());
    let grants = crate::core::emergency::grants(ledger.events.iter().chain(d.records.iter()));
    observed.review_overdue = crate::core::emergency::overdue_events(&grants, opts.at);
    report.overdue_reviews = grants
        .into_iter()
        .filter(|g| g.state(opts.at) == crate::core::emergency::ReviewState::Overdue)
        .collect();
    if apply && report.plan.halted.is_none() {
        observed.index_event = crate::app::index::with_verdicts(&indexed, &d.verdicts, opts.at);
        apply_plan(opts, &rt, &git, &d, &observed, settings.as_ref(), &mut report)?;
        announce(opts, &git, &d, &ledger, &mut report);
    }
    report.api_calls = observed.ic.api_calls();
    Ok(report)
}

/// The ledger's unreadable lines, as problems, and the first as why the run cannot decide
/// (one may be a revocation: nothing new is granted, DESIGN 10.5).
fn ledger_problems(ledger: &Ledger, report: &mut Report) {
    for b in &ledger.bad_lines {
        report
            .problems
            .push(format!("ledger {}:{}: {}", b.file, b.line, b.error));
    }
    if let Some(b) = ledger.bad_lines.first() {
        report.undecided.push(format!(
            "ledger `{}` {}:{}: [ledger-unreadable] {} ({} unreadable line(s)); nothing new is granted until it is repaired",
            crate::core::ledger::BRANCH,
            b.file,
            b.line,
            b.error,
            ledger.bad_lines.len()
        ));
    }
}

/// The GitHub client team memberships are read live with: whenever the run has a GitHub
/// token and repository (with `--evidence DIR` too); `None` reads teams from the snapshots.
fn membership_github(rt: &Runtime, opts: &Options) -> Result<Option<crate::adapters::github::GitHub>, String> {
    let token = opts.env.github_token.as_deref().filter(|t| !t.trim().is_empty());
    if token.is_none() || opts.env.github_repository.is_none() {
        return Ok(None);
    }
    rt.block_on(async { crate::adapters::github::GitHub::from_env(&opts.env) })
        .map(Some)
        .map_err(|e| format!("cannot read team membership from GitHub: {e}"))
}

/// The default branch's name for the revision the run was given; for `HEAD`, the branch it
/// is on, else the branch `origin/HEAD` names.
fn default_branch_name(git: &Git, reference: &str) -> String {
    if reference == "HEAD"
        && let Some(b) = git
            .symbolic_branch("HEAD")
            .or_else(|| git.symbolic_branch("refs/remotes/origin/HEAD"))
    {
        return branch_name(&b);
    }
    branch_name(reference)
}

/// The default branch's name from the revision the run was given (`origin/main`,
/// `refs/remotes/origin/main`, `refs/heads/main`, `main`): what approval records' base ref
/// must be. Anything else (`HEAD`, a commit id) is taken as given, and binds nothing.
fn branch_name(reference: &str) -> String {
    crate::adapters::git::refs::branch_name(reference)
        .unwrap_or(reference)
        .to_string()
}

/// The default branch's error diagnostics, as report problems.
fn diagnostic_problems(d: &Desired) -> Vec<String> {
    d.diagnostics
        .iter()
        .filter(|x| x.is_error())
        .map(|diag| {
            format!(
                "{}: [{}] {}",
                diag.file.as_deref().unwrap_or("-"),
                diag.code,
                diag.message
            )
        })
        .collect()
}

/// The ledger as the index: extended by the commits since its marker, rebuilt from the
/// whole history only when it is missing or damaged (reported; then written by `apply`).
fn index_for_run(
    git: &Git,
    ledger: &Ledger,
    main: &str,
    at: DateTime<Utc>,
    problems: &mut Vec<String>,
) -> Result<crate::app::index::Indexed, String> {
    match crate::app::index::extend(git, ledger, main, at) {
        Ok(i) => Ok(i),
        Err(p) => {
            if p != crate::app::index::IndexProblem::Missing {
                problems.push(format!("{p}: rebuilt from the default branch's history"));
            }
            crate::app::index::rebuild(git, main, at, p.to_string())
        }
    }
}

/// What the run read besides the wanted grants: what the ledger says gitgrant owns and
/// revoked, and what Identity Center has.
struct Observed {
    ic: IdentityCenter,
    owned: BTreeMap<AssignmentKey, Owned>,
    /// Request paths revoked in the ledger, and those that vanished from the default branch.
    revoked: BTreeSet<String>,
    /// `revoked` events for request paths the ledger knows that are gone from the default
    /// branch and not yet revoked in the ledger: written by `apply`.
    vanished: Vec<Event>,
    /// The `indexed` event of the commits this run indexed: written by `apply` first.
    index_event: Option<Event>,
    /// Managed permission set name -> ARN, as Identity Center has them.
    permission_sets: BTreeMap<String, String>,
    /// Identity Center user name -> user id of the active requests' users.
    user_ids: BTreeMap<String, Option<String>>,
    /// The USER assignments of the managed permission sets.
    actual: Vec<Actual>,
    /// Permission set ARNs holding a session deny due for release (the ledger).
    session_denies_due: BTreeSet<String>,
    /// Session denies earlier runs could not write or provision: tried again (the ledger).
    session_retries: Vec<AssignmentChange>,
    /// `review_overdue` events for break-glass grants found overdue: written by `apply`.
    review_overdue: Vec<Event>,
}

/// Reads the ledger's indexes and, from Identity Center, the managed permission sets, the
/// active (and kept) requests' users and the actual assignments (in that order). `ic` is the
/// client the membership check made, if it made one, and `known_users` the user ids it read.
fn observe(
    opts: &Options,
    rt: &Runtime,
    d: &Desired,
    ledger: &Ledger,
    settings: Option<&Settings>,
    ic: Option<IdentityCenter>,
    mut known_users: BTreeMap<String, Option<String>>,
) -> Result<Observed, String> {
    let owned = ledger.owned();
    let revoked: BTreeSet<String> = ledger.revoked().into_keys().collect();
    let instance = opts
        .instance_arn
        .clone()
        .or_else(|| d.policy.as_ref().map(|x| x.directory().instance_arn.clone()));
    let ic = match ic {
        Some(ic) => ic,
        None => rt
            .block_on(IdentityCenter::from_env(instance.as_deref()))
            .map_err(|e| format!("cannot reach IAM Identity Center: {e}"))?
            .with_call_rate(opts.aws_calls_per_second),
    };
    let permission_sets = managed_permission_sets(rt, &ic, settings, &owned)?;
    let active = active_candidates(&d.candidates, opts.at);
    // a request kept because its membership could not be read needs its user's id too
    let kept = d
        .candidates
        .iter()
        .filter(|c| c.keeps_active && c.start <= opts.at && opts.at < c.end);
    let names: Vec<String> = active
        .iter()
        .copied()
        .chain(kept)
        .filter_map(|c| c.user_name.clone())
        .filter(|n| !known_users.contains_key(n))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    known_users.extend(rt.block_on(ic.user_ids(&names)).map_err(|e| e.to_string())?);
    let user_ids = known_users;
    let actual = actual_assignments(rt, &ic, &permission_sets, &owned, &active)?;
    Ok(Observed {
        ic,
        owned,
        revoked,
        vanished: Vec::new(),
        index_event: None,
        permission_sets,
        user_ids,
        actual,
        session_denies_due: ledger.session_denies_due(opts.at),
        session_retries: ledger
            .session_denies_to_retry(opts.at - super::sessions::LONGEST_SESSION - chrono::TimeDelta::hours(1))
            .into_iter()
            .filter_map(removal_of_event)
            .collect(),
        review_overdue: Vec::new(),
    })
}

/// The removal an `ended` or `failed` event names, as ending sessions takes it: revoked,
/// so every mode but `never` ends its sessions (fail closed).
fn removal_of_event(e: &Event) -> Option<AssignmentChange> {
    Some(AssignmentChange {
        requests: e.request.iter().cloned().collect(),
        request: e.request.clone(),
        user: e.user_name.clone().unwrap_or_default(),
        user_id: e.user_id.clone()?,
        account: e.account_id.clone()?,
        account_name: None,
        permission_set: e.permission_set.clone().unwrap_or_default(),
        permission_set_arn: e.permission_set_arn.clone()?,
        reason: Some(plan::RemovalReason::Revoked),
        ends_at: None,
    })
}

/// The requests whose evidence verified and whose window is open at `at`.
fn active_candidates(candidates: &[Candidate], at: DateTime<Utc>) -> Vec<&Candidate> {
    candidates
        .iter()
        .filter(|c| c.blocked.is_empty() && c.start <= at && at < c.end)
        .collect()
}

/// The permission sets gitgrant manages (by the policy's settings, else those it owns
/// assignments of), name -> ARN, as Identity Center has them.
fn managed_permission_sets(
    rt: &Runtime,
    ic: &IdentityCenter,
    settings: Option<&Settings>,
    owned: &BTreeMap<AssignmentKey, Owned>,
) -> Result<BTreeMap<String, String>, String> {
    let live_sets = rt.block_on(ic.read_permission_sets()).map_err(|e| e.to_string())?;
    let managed: BTreeSet<String> = match settings {
        Some(s) => s.managed_permission_sets.iter().cloned().collect(),
        None => owned.values().filter_map(|o| o.permission_set.clone()).collect(),
    };
    Ok(live_sets
        .iter()
        .filter(|p| managed.contains(&p.name))
        .map(|p| (p.name.clone(), p.arn.clone()))
        .collect())
}

/// The USER assignments of the managed permission sets, also read in every (account,
/// permission set) pair gitgrant owns or an active request wants.
fn actual_assignments(
    rt: &Runtime,
    ic: &IdentityCenter,
    permission_sets: &BTreeMap<String, String>,
    owned: &BTreeMap<AssignmentKey, Owned>,
    active: &[&Candidate],
) -> Result<Vec<Actual>, String> {
    let managed_arns: Vec<String> = permission_sets.values().cloned().collect();
    let mut in_use: BTreeSet<(String, String)> = owned
        .keys()
        .map(|k| (k.account_id.clone(), k.permission_set_arn.clone()))
        .collect();
    for c in active {
        if let Some(arn) = permission_sets.get(&c.permission_set) {
            in_use.insert((c.account_id.clone(), arn.clone()));
        }
    }
    let in_use: Vec<(String, String)> = in_use.into_iter().collect();
    Ok(rt
        .block_on(ic.actual_assignments_with(&managed_arns, &in_use))
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|a| a.principal_type == PrincipalType::User && managed_arns.contains(&a.permission_set_arn))
        .map(|a| Actual {
            account_id: a.account_id,
            permission_set_arn: a.permission_set_arn,
            user_id: a.principal_id,
        })
        .collect())
}

/// The pure plan over what the run read.
fn plan_run(opts: &Options, d: &Desired, observed: &Observed, settings: Option<&Settings>) -> Plan {
    let mut planned = plan::plan(&PlanInput {
        candidates: &d.candidates,
        desired_readable: d.readable,
        user_ids: &observed.user_ids,
        permission_sets: &observed.permission_sets,
        actual: &observed.actual,
        owned: &observed.owned,
        revoked: &observed.revoked,
        remove_drift: settings.is_some_and(|s| s.remove_drift),
        max_removals: settings.map_or(crate::core::model::policy::DEFAULT_MAX_REMOVALS, |s| {
            s.max_removals_per_run
        }),
        force: opts.force,
        at: opts.at,
    });
    name_accounts(&mut planned, d);
    planned
}

/// Puts the directory snapshot's account names next to the ids of the planned changes.
fn name_accounts(planned: &mut Plan, d: &Desired) {
    let Some(policy) = &d.policy else { return };
    let directory = policy.directory();
    let changes = planned
        .create
        .iter_mut()
        .chain(&mut planned.delete)
        .chain(&mut planned.drift);
    for c in changes {
        c.account_name = directory.account(&c.account).map(|a| a.name.clone());
    }
}

/// Makes the planned changes: records the intent to create in the ledger, makes the
/// creates and deletes, then records every outcome (and the requests that extend an owned
/// assignment) in one ledger commit.
fn apply_plan(
    opts: &Options,
    rt: &Runtime,
    git: &Git,
    d: &Desired,
    observed: &Observed,
    settings: Option<&Settings>,
    report: &mut Report,
) -> Result<(), String> {
    // write the index's new commits, the records and the intent first: the ledger shows who
    // approved a grant before it exists, and a run stopped after creating leaves gitgrant
    // owning what it made
    let mut first: Vec<Event> = observed.index_event.iter().cloned().collect();
    first.extend(d.records.iter().cloned());
    // what an earlier run made or ended and never recorded, before this run changes anything
    first.extend(unrecorded_outcomes(observed, opts.at, report));
    first.extend(intent_events(&report.plan, opts.at));
    git.append_ledger(
        &first,
        &format!(
            "gitgrant apply at {}: {} approval record(s), assigning {} grant(s)",
            opts.at.to_rfc3339(),
            d.records.len(),
            report.plan.create.len()
        ),
    )
    .map_err(|e| format!("the ledger could not be written, so nothing was changed: {e}"))?;

    // never more outstanding assignment writes than Identity Center allows (issue 11 item 5)
    let most = crate::core::model::policy::MAX_APPLY_CONCURRENCY as usize;
    let concurrency = settings.map_or(4, |s| s.apply_concurrency).clamp(1, most);
    let changes = rt.block_on(make_changes(&observed.ic, &report.plan, concurrency, opts.deadline))?;
    let mut events = observed.vanished.clone();
    events.extend(observed.review_overdue.iter().cloned());
    let answered = changes.done.into_iter().map(|(a, c, r)| Outcome::of(a, c, r));
    let cut = changes
        .cut
        .into_iter()
        .map(|(a, c, cut)| Outcome::cut(a, c, cut, opts.deadline));
    for outcome in answered.chain(cut) {
        if outcome.status != OutcomeStatus::Succeeded {
            report.failures += 1;
        }
        events.extend(outcome_events(&outcome, opts.at));
        report.outcomes.push(outcome);
    }
    // owned assignments found gone end their sessions too: removed by hand, or by a run
    // that stopped before its deny
    let mut extra: Vec<AssignmentChange> = first
        .iter()
        .filter(|e| e.kind == Some(Kind::Ended))
        .filter_map(removal_of_event)
        .collect();
    extra.extend(observed.session_retries.iter().cloned());
    let (steps, ended) = end_sessions(opts, rt, d, observed, settings, &report.outcomes, &extra);
    report.failures += steps.iter().filter(|s| s.status != OutcomeStatus::Succeeded).count();
    report.sessions = steps;
    events.extend(ended);
    let active = active_candidates(&d.candidates, opts.at);
    events.extend(extension_events(&active, observed, opts.at));
    let message = ledger_message(opts.at, &events);
    report.appended = first.into_iter().chain(events.iter().cloned()).collect();
    report.ledger_commit = git
        .append_ledger(&events, &message)
        .map_err(|e| {
            format!(
                "the changes were made but the ledger could not be written: {e}; the next run that can push records them from what Identity Center holds (activations present, ends absent), with the intent's time as the earliest start"
            )
        })?;
    Ok(())
}

/// Announces the run's events to the policy's `[[notify]]` targets and records what was
/// sent; a failure is reported, never a reason to fail the run.
fn announce(opts: &Options, git: &Git, d: &Desired, ledger: &Ledger, report: &mut Report) {
    let Some(policy) = d.policy.as_ref() else { return };
    let targets = &policy.policy().notify;
    let announced = crate::app::notify::announce(targets, &opts.env, ledger, &report.appended, opts.at);
    if !announced.records.is_empty()
        && let Err(e) = git.append_ledger(
            &announced.records,
            &format!("gitgrant: notifications at {}", opts.at.to_rfc3339()),
        )
    {
        report
            .problems
            .push(format!("notifications were sent but not recorded in the ledger: {e}"));
    }
    report.notifications = announced.deliveries;
}

/// Ends the live sessions of this run's removals and releases due denies (issue 13 item 1).
/// The deny's time is the run's time plus how long it has run: sessions issued while the
/// deletes were being made are denied too.
fn end_sessions(
    opts: &Options,
    rt: &Runtime,
    d: &Desired,
    observed: &Observed,
    settings: Option<&Settings>,
    outcomes: &[Outcome],
    extra: &[AssignmentChange],
) -> (Vec<SessionStep>, Vec<Event>) {
    let lengths: BTreeMap<String, chrono::TimeDelta> = d
        .policy
        .as_ref()
        .map(|p| {
            p.directory()
                .permission_sets
                .iter()
                .filter_map(|ps| Some((ps.arn.clone(), session_length(ps.session_duration.as_deref()?)?)))
                .collect()
        })
        .unwrap_or_default();
    let elapsed = chrono::TimeDelta::from_std(opts.started.elapsed()).unwrap_or_default();
    let input = SessionsInput {
        mode: settings.map_or(EndSessions::default(), |s| s.end_sessions),
        session_lengths: &lengths,
        due: &observed.session_denies_due,
        names: &observed.permission_sets,
        extra,
        now: whole_second_after(opts.at + elapsed),
    };
    rt.block_on(sessions::end_sessions(&observed.ic, outcomes, &input))
}

/// `t` rounded up to a whole second: the deny's time as IAM compares it (tokens issued in
/// the same second are denied too).
fn whole_second_after(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{DurationRound, TimeDelta};
    let down = t.duration_trunc(TimeDelta::seconds(1)).unwrap_or(t);
    if down == t { t } else { down + TimeDelta::seconds(1) }
}

/// Outcomes earlier runs never recorded, re-derived from what Identity Center holds (issue
/// 11 items 2 and 3): owned assignments present with no `activated`, and owned assignments
/// of managed permission sets gone with no `ended` that this run does not create again.
fn unrecorded_outcomes(observed: &Observed, at: DateTime<Utc>, report: &mut Report) -> Vec<Event> {
    let present: BTreeSet<AssignmentKey> = observed.actual.iter().map(Actual::key).collect();
    let mut events = observed::unrecorded_activations(&observed.owned, &present, at);
    report.recorded_activations = events.iter().filter_map(|e| e.request.clone()).collect();
    let creating: BTreeSet<AssignmentKey> = report.plan.create.iter().map(AssignmentChange::key).collect();
    // absence is known only where every assignment was listed: managed permission sets
    let managed: BTreeSet<&String> = observed.permission_sets.values().collect();
    let listed: BTreeMap<AssignmentKey, Owned> = observed
        .owned
        .iter()
        .filter(|(k, _)| managed.contains(&k.permission_set_arn))
        .map(|(k, o)| (k.clone(), o.clone()))
        .collect();
    let ends = observed::unrecorded_ends(&listed, &present, &creating, at);
    report.recorded_ends = ends.iter().filter_map(|e| e.request.clone()).collect();
    events.extend(ends);
    events
}

/// One `assigning` event per request behind each planned create.
fn intent_events(plan: &Plan, at: DateTime<Utc>) -> Vec<Event> {
    plan.create
        .iter()
        .flat_map(|c| {
            c.requests.iter().map(move |r| {
                let mut e = Event::new(Kind::Assigning, at);
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
        .collect()
}

/// A planned change and what Identity Center answered to it.
type ChangeResult = (AssignmentAction, AssignmentChange, Result<ChangeOutcome, AwsError>);

/// A change the pass's deadline cut short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// Never sent to AWS.
    NotStarted,
    /// Sent, and still waiting for an answer or a final status.
    InFlight,
}

/// What `make_changes` did: the changes AWS answered, and those the deadline cut.
#[derive(Default)]
struct Changes {
    done: Vec<ChangeResult>,
    cut: Vec<(AssignmentAction, AssignmentChange, Cut)>,
}

/// Makes the plan's creates, then its deletes, at most `concurrency` at a time; the results
/// in the order they finish. The adapter retries and polls each change. After `deadline`
/// nothing new starts and what is still running is stopped (issue 11 item 4).
async fn make_changes(
    ic: &IdentityCenter,
    plan: &Plan,
    concurrency: usize,
    deadline: std::time::Duration,
) -> Result<Changes, String> {
    let until = tokio::time::Instant::now() + deadline;
    let creates = plan.create.iter().map(|c| (AssignmentAction::Create, c.clone()));
    let deletes = plan.delete.iter().map(|c| (AssignmentAction::Delete, c.clone()));
    let mut queue = creates.chain(deletes);
    let mut out = Changes::default();
    let mut tasks = tokio::task::JoinSet::new();
    let mut running = std::collections::HashMap::new();
    loop {
        while tasks.len() < concurrency && tokio::time::Instant::now() < until {
            let Some((action, change)) = queue.next() else { break };
            let handle = tasks.spawn(one_change(ic.clone(), action, change.clone()));
            running.insert(handle.id(), (action, change));
        }
        match tokio::time::timeout_at(until, tasks.join_next_with_id()).await {
            Ok(None) => break,
            Ok(Some(Ok((id, done)))) => {
                running.remove(&id);
                out.done.push(done);
            }
            Ok(Some(Err(e))) => return Err(format!("an assignment change stopped unexpectedly: {e}")),
            Err(_) => {
                tasks.abort_all();
                // what finished at the deadline still counts; the rest was stopped
                while let Some(r) = tasks.join_next_with_id().await {
                    match r {
                        Ok((id, done)) => {
                            running.remove(&id);
                            out.done.push(done);
                        }
                        Err(e) => {
                            if let Some((action, change)) = running.remove(&e.id()) {
                                out.cut.push((action, change, Cut::InFlight));
                            }
                        }
                    }
                }
                break;
            }
        }
    }
    out.cut.extend(queue.map(|(a, c)| (a, c, Cut::NotStarted)));
    Ok(out)
}

/// One create or delete, polled to its end by the adapter.
async fn one_change(ic: IdentityCenter, action: AssignmentAction, change: AssignmentChange) -> ChangeResult {
    let r = match action {
        AssignmentAction::Create => {
            ic.create_assignment(&change.account, &change.permission_set_arn, &change.user_id)
                .await
        }
        AssignmentAction::Delete => {
            ic.delete_assignment(&change.account, &change.permission_set_arn, &change.user_id)
                .await
        }
    };
    (action, change, r)
}

impl Outcome {
    /// A change the deadline cut: not started is a definitive "not made" (`failed`); one
    /// still waiting for AWS may have been made (`unknown`: a create keeps its claim).
    fn cut(action: AssignmentAction, change: AssignmentChange, cut: Cut, deadline: std::time::Duration) -> Outcome {
        let secs = deadline.as_secs();
        let (status, error) = match cut {
            Cut::NotStarted => (
                OutcomeStatus::Failed,
                format!("not started: the run's deadline ({secs} s, --deadline) passed first"),
            ),
            Cut::InFlight => (
                OutcomeStatus::Unknown,
                format!("the run's deadline ({secs} s, --deadline) passed while waiting for AWS; re-read next run"),
            ),
        };
        Outcome {
            action,
            change,
            status,
            error: Some(error),
            assignment_request_id: None,
        }
    }

    /// The outcome of a change from Identity Center's answer: only SUCCEEDED succeeded.
    fn of(action: AssignmentAction, change: AssignmentChange, result: Result<ChangeOutcome, AwsError>) -> Outcome {
        let (status, error, assignment_request_id) = match result {
            Ok(o) => match o.status {
                ChangeStatus::Succeeded => (OutcomeStatus::Succeeded, None, Some(o.request_id)),
                ChangeStatus::Failed(why) => (OutcomeStatus::Failed, Some(why), Some(o.request_id)),
                ChangeStatus::InProgress => (
                    OutcomeStatus::InProgress,
                    Some("still IN_PROGRESS when polling stopped; re-read next run".to_string()),
                    Some(o.request_id),
                ),
            },
            Err(e) if definitive(action, &e) => (OutcomeStatus::Failed, Some(e.to_string()), None),
            Err(e) => (OutcomeStatus::Unknown, Some(e.to_string()), None),
        };
        Outcome {
            action,
            change,
            status,
            error,
            assignment_request_id,
        }
    }
}

/// The AWS error codes with which Identity Center rejects a create or delete call itself:
/// the change was not made. Anything else (throttling or 5xx past the retry deadline, a
/// lost or malformed answer, an error while polling, a conflict with an operation still in
/// progress, which may be this assignment's own earlier create) leaves the outcome unknown.
const REJECTED: [&str; 4] = [
    "AccessDeniedException",
    "ValidationException",
    "ResourceNotFoundException",
    "ServiceQuotaExceededException",
];

/// Whether an error answering a change is a definitive "not made": the create or delete
/// call itself was rejected with one of [`REJECTED`].
fn definitive(action: AssignmentAction, e: &AwsError) -> bool {
    let call = match action {
        AssignmentAction::Create => "CreateAccountAssignment",
        AssignmentAction::Delete => "DeleteAccountAssignment",
    };
    matches!(e, AwsError::Api { operation, code: Some(code), .. } if *operation == call && REJECTED.contains(&code.as_str()))
}

/// The ledger events of one outcome, one per request behind the change (one without a
/// request for drift): `activated` or `ended` when it succeeded, `failed` when AWS said it
/// failed or rejected it, else `unknown` (issue 11 item 1: not a failure).
fn outcome_events(o: &Outcome, at: DateTime<Utc>) -> Vec<Event> {
    let change = &o.change;
    let kind = match (o.status, o.action) {
        (OutcomeStatus::Succeeded, AssignmentAction::Create) => Kind::Activated,
        (OutcomeStatus::Succeeded, AssignmentAction::Delete) => Kind::Ended,
        (OutcomeStatus::Failed, _) => Kind::Failed,
        (OutcomeStatus::InProgress | OutcomeStatus::Unknown, _) => Kind::Unknown,
    };
    let requests: Vec<Option<String>> = if change.requests.is_empty() {
        vec![None]
    } else {
        change.requests.iter().cloned().map(Some).collect()
    };
    requests
        .into_iter()
        .map(|request| {
            let mut e = Event::new(kind, at);
            e.request_id = request
                .as_deref()
                .and_then(|p| crate::core::model::request::RequestPath::parse(p).ok())
                .map(|p| p.id);
            e.request = request;
            e.account_id = Some(change.account.clone());
            e.permission_set = Some(change.permission_set.clone());
            e.permission_set_arn = Some(change.permission_set_arn.clone());
            e.user_name = (!change.user.is_empty()).then(|| change.user.clone());
            e.user_id = Some(change.user_id.clone());
            e.assignment_request_id = o.assignment_request_id.clone();
            e.ends_at = change.ends_at;
            e.reason = match kind {
                Kind::Failed | Kind::Unknown => Some(format!("{}: {}", o.action, o.error.clone().unwrap_or_default())),
                _ => change.reason.map(|r| r.as_str().to_string()),
            };
            e
        })
        .collect()
}

/// Revocation is final (DESIGN 10.5): a `revoked` event for every request path the ledger
/// has a merge or an assignment for that the default branch's history shows deleted and
/// that is not on it now nor revoked yet, with the deleting commit and the deleted blob. A
/// path this checkout never had (a merge recorded after it was fetched, a PR into another
/// branch) has no deletion in its history and is left alone.
fn vanished_paths(
    git: &Git,
    main: &str,
    ledger: &Ledger,
    index: &crate::core::index::Index,
    at: DateTime<Utc>,
) -> Result<Vec<Event>, String> {
    let present: BTreeSet<String> = git
        .request_files(main)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    let revoked = ledger.revoked();
    let mut events = Vec::new();
    for path in ledger.used_paths() {
        if present.contains(&path) || revoked.contains_key(&path) {
            continue;
        }
        let Some((commit, blob)) = index.deleted(&path) else {
            continue;
        };
        let mut e = Event::new(Kind::Revoked, at);
        e.request_id = crate::core::model::request::RequestPath::parse(&path)
            .ok()
            .map(|r| r.id);
        e.blob = blob.clone();
        e.reason = Some(format!("deleted from the default branch in commit {commit}"));
        e.request = Some(path);
        events.push(e);
    }
    Ok(events)
}

/// `activated` events for active requests newly covered by an assignment gitgrant already
/// owns: they extend its recorded end.
fn extension_events(active: &[&Candidate], observed: &Observed, at: DateTime<Utc>) -> Vec<Event> {
    let mut events = Vec::new();
    for c in active {
        let (Some(arn), Some(Some(uid))) = (
            observed.permission_sets.get(&c.permission_set),
            c.user_name.as_ref().and_then(|u| observed.user_ids.get(u)),
        ) else {
            continue;
        };
        let key = AssignmentKey {
            account_id: c.account_id.clone(),
            permission_set_arn: arn.clone(),
            user_id: uid.clone(),
        };
        if let Some(o) = observed.owned.get(&key)
            && !o.requests.contains(&c.path)
            && !observed.revoked.contains(&c.path)
        {
            let mut e = Event::new(Kind::Activated, at);
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
    events
}

/// The subject of the ledger commit of an apply: the counts. The git adapter adds one line
/// per event (`core::ledger::commit_message`).
fn ledger_message(at: DateTime<Utc>, events: &[Event]) -> String {
    let count = |k: Kind| events.iter().filter(|e| e.kind == Some(k)).count();
    let mut subject = format!(
        "gitgrant apply at {}: {} activated, {} ended, {} failed",
        at.to_rfc3339(),
        count(Kind::Activated),
        count(Kind::Ended),
        count(Kind::Failed)
    );
    if count(Kind::Unknown) > 0 {
        // changes that may or may not have been made; the next run settles them
        subject.push_str(&format!(", {} unknown", count(Kind::Unknown)));
    }
    if count(Kind::Revoked) > 0 {
        // paths vanished from the default branch; each is a line of the message
        subject.push_str(&format!(", {} revoked", count(Kind::Revoked)));
    }
    subject
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::reconcile::plan::RemovalReason;

    fn change(requests: &[&str], reason: Option<RemovalReason>) -> AssignmentChange {
        AssignmentChange {
            requests: requests.iter().map(|s| s.to_string()).collect(),
            request: requests.first().map(|s| s.to_string()),
            user: if requests.is_empty() {
                String::new()
            } else {
                "alice@acme.example".into()
            },
            user_id: "u-alice".into(),
            account: "111122223333".into(),
            account_name: None,
            permission_set: "AdministratorAccess".into(),
            permission_set_arn: "arn:aws:sso:::permissionSet/ssoins-1/ps-1".into(),
            reason,
            ends_at: None,
        }
    }

    fn answered(status: ChangeStatus) -> Result<ChangeOutcome, AwsError> {
        Ok(ChangeOutcome {
            request_id: "req-1".into(),
            status,
        })
    }

    fn at() -> DateTime<Utc> {
        "2026-11-22T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn statuses_serialize_as_they_print() {
        for s in [
            OutcomeStatus::Succeeded,
            OutcomeStatus::Failed,
            OutcomeStatus::InProgress,
            OutcomeStatus::Unknown,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(OutcomeStatus::InProgress.as_str(), "in-progress");
        assert_eq!(format!("{:<11}|", OutcomeStatus::Failed), "failed     |");
    }

    #[test]
    fn a_created_change_activates_each_request_behind_it() {
        let o = Outcome::of(
            AssignmentAction::Create,
            change(&["a", "b"], None),
            answered(ChangeStatus::Succeeded),
        );
        assert_eq!(o.status, OutcomeStatus::Succeeded);
        let events = outcome_events(&o, at());
        let requests: Vec<_> = events.iter().map(|e| (e.kind, e.request.as_deref())).collect();
        assert_eq!(
            requests,
            [(Some(Kind::Activated), Some("a")), (Some(Kind::Activated), Some("b"))]
        );
        assert_eq!(events[0].assignment_request_id.as_deref(), Some("req-1"));
        assert_eq!(events[0].reason, None);
    }

    #[test]
    fn a_deleted_change_ends_with_its_reason() {
        let o = Outcome::of(
            AssignmentAction::Delete,
            change(&["a"], Some(RemovalReason::Expired)),
            answered(ChangeStatus::Succeeded),
        );
        let events = outcome_events(&o, at());
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, Some(Kind::Ended));
        assert_eq!(events[0].reason.as_deref(), Some("expired"));
        // drift has no request: one event without one
        let o = Outcome::of(
            AssignmentAction::Delete,
            change(&[], Some(RemovalReason::Drift)),
            answered(ChangeStatus::Succeeded),
        );
        let events = outcome_events(&o, at());
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].request, None);
        assert_eq!(events[0].user_name, None);
        assert_eq!(events[0].reason.as_deref(), Some("drift"));
    }

    #[test]
    fn only_a_definitive_answer_is_a_failed_event_the_rest_is_unknown() {
        let o = Outcome::of(
            AssignmentAction::Create,
            change(&["a"], None),
            answered(ChangeStatus::InProgress),
        );
        assert_eq!(o.status, OutcomeStatus::InProgress);
        let events = outcome_events(&o, at());
        assert_eq!(events[0].kind, Some(Kind::Unknown));
        assert!(
            events[0]
                .reason
                .as_deref()
                .is_some_and(|r| r.starts_with("create: still IN_PROGRESS")),
            "{:?}",
            events[0].reason
        );
        let o = Outcome::of(
            AssignmentAction::Delete,
            change(&["a"], Some(RemovalReason::Revoked)),
            Err(AwsError::Malformed {
                operation: "DeleteAccountAssignment",
                message: "no status".into(),
            }),
        );
        assert_eq!(o.status, OutcomeStatus::Unknown);
        assert_eq!(o.assignment_request_id, None);
        let events = outcome_events(&o, at());
        assert_eq!(events[0].kind, Some(Kind::Unknown));
        assert!(events[0].reason.as_deref().is_some_and(|r| r.starts_with("delete: ")));
        // 5xx past the retry deadline: the create may have been made
        let deadline = AwsError::Deadline {
            operation: "CreateAccountAssignment",
            attempts: 8,
            elapsed: std::time::Duration::from_secs(120),
            message: "InternalServerException".into(),
        };
        let o = Outcome::of(AssignmentAction::Create, change(&["a"], None), Err(deadline));
        assert_eq!(o.status, OutcomeStatus::Unknown);
        assert_eq!(outcome_events(&o, at())[0].kind, Some(Kind::Unknown));
        // AWS reported FAILED, or rejected the call: definitive
        let o = Outcome::of(
            AssignmentAction::Create,
            change(&["a"], None),
            answered(ChangeStatus::Failed("no such user".into())),
        );
        assert_eq!(outcome_events(&o, at())[0].kind, Some(Kind::Failed));
        let rejected = |operation, code: &str| AwsError::Api {
            operation,
            code: Some(code.into()),
            message: "no".into(),
        };
        let o = Outcome::of(
            AssignmentAction::Create,
            change(&["a"], None),
            Err(rejected("CreateAccountAssignment", "AccessDeniedException")),
        );
        assert_eq!(o.status, OutcomeStatus::Failed);
        assert_eq!(outcome_events(&o, at())[0].kind, Some(Kind::Failed));
        // denied while polling: the create was accepted, its outcome is unknown
        let o = Outcome::of(
            AssignmentAction::Create,
            change(&["a"], None),
            Err(rejected(
                "DescribeAccountAssignmentCreationStatus",
                "AccessDeniedException",
            )),
        );
        assert_eq!(o.status, OutcomeStatus::Unknown);
        let o = Outcome::of(
            AssignmentAction::Create,
            change(&["a"], None),
            Err(rejected("CreateAccountAssignment", "InternalServerException")),
        );
        assert_eq!(o.status, OutcomeStatus::Unknown);
    }

    #[test]
    fn the_ledger_message_counts_events_and_lists_each_event() {
        let o = Outcome::of(
            AssignmentAction::Delete,
            change(&["a"], Some(RemovalReason::Expired)),
            answered(ChangeStatus::Succeeded),
        );
        let events = outcome_events(&o, at());
        let subject = ledger_message(at(), &events);
        assert_eq!(
            subject,
            "gitgrant apply at 2026-11-22T12:00:00+00:00: 0 activated, 1 ended, 0 failed"
        );
        let message = crate::core::ledger::commit_message(&subject, &events);
        assert_eq!(message.lines().count(), 2 + events.len(), "{message}");
        assert!(message.ends_with(": expired"), "{message}");
    }
}
