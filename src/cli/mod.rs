//! The command line: the clap types of every command, the dispatch to one file per command,
//! and the one place where an outcome becomes an exit code (0 success, 1 findings, 2
//! operational failure) and an error becomes a message.

pub mod activity;
pub mod audit;
pub mod check;
pub mod directory;
pub mod explain;
pub mod init;
pub mod ledger;
pub mod pr;
pub mod reconcile;
pub mod request;
pub mod scenarios;
pub mod schema;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand};

use crate::adapters::actions::RunEnvironment;
use crate::app::error::AppError;
use crate::core::audit::Status;
use crate::core::diag::render::Format;
use crate::core::gate::merge::MergeMethod;

#[derive(Parser, Debug)]
#[command(
    name = "gitgrant",
    version,
    about = "Temporary elevated access to AWS accounts through IAM Identity Center, requested and approved in pull requests",
    long_about = "gitgrant checks access requests (TOML files under requests/) against the access \
policy (policies/), so that temporary AWS access is asked for, approved and audited in git.\n\n\
Exit codes: 0 success, 1 findings (errors in files), 2 operational failure."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check every policy and request file of an access repository
    Check(CheckArgs),
    /// Decide a pull request: one decision per request it adds (approved, pending, rejected,
    /// invalid) with reasons. Exit 0 only when the PR's decision is `approved`
    Pr(PrArgs),
    /// Export every request with its decisions, activation and end: the history of
    /// `requests/` on the default branch joined with the ledger, one row per request.
    /// Exit 1 when `--verify` finds a recorded decision its evidence does not support
    Audit(AuditArgs),
    /// Show open requests (and who can approve them), scheduled and active grants with the
    /// time left, and what ended in the last 24 hours
    Status(StatusArgs),
    /// Run scenario files (PR facts + expected decision) against the repository's policy
    Test(TestArgs),
    /// Print the JSON Schema of a file kind (request, access, identities, directory)
    Schema(SchemaArgs),
    /// Write a new access repository with commented templates into DIR
    Init(InitArgs),
    /// Show what the reconciler would change in IAM Identity Center now (create, delete,
    /// drift, blocked), without changing anything. Exit 2 when it cannot decide (a policy
    /// file that does not load, an unreadable ledger line)
    Plan(ReconcileArgs),
    /// Make IAM Identity Center match what git says now: create and delete assignments,
    /// end the live sessions of grants taken away (`end_sessions`, docs/sessions.md),
    /// record every outcome in the ledger and announce it to the `[[notify]]` targets.
    /// Exit 1 when a change failed or was left unknown, a session deny failed, or the brake
    /// held; exit 2 when it cannot decide (what ended is still removed)
    Apply(ApplyArgs),
    /// Ask for access: write the canonical request file, check it against the default
    /// branch's policy, commit it on a new branch, push, and open the pull request
    Request(RequestArgs),
    /// End access early: a branch deleting the request file, pushed, pull request opened
    Revoke(RevokeArgs),
    /// The directory snapshot (policies/directory.toml) and AWS
    Directory {
        #[command(subcommand)]
        command: DirectoryCommand,
    },
    /// Explain a code (a file diagnostic or a decision, plan or removal reason), or list them all
    Explain(ExplainArgs),
    /// What the user of one grant did in its account during the grant (plus a margin): the
    /// CloudTrail events of their session, read through a read-only role assumed in that
    /// account (docs/activity.md)
    Activity(ActivityArgs),
    /// The ledger branch (`gitgrant-ledger`)
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// Index the default branch's request paths into the ledger (DESIGN 11): which
    /// first-parent commit added, changed and deleted each. The first run walks the whole
    /// history once (a progress line on stderr); later runs, and every `apply` and
    /// `pr --ledger`, index only the commits since the ledger's "indexed through" marker
    Index(LedgerIndexArgs),
}

#[derive(clap::Args, Debug)]
pub struct LedgerIndexArgs {
    /// The access repository (a full clone; the ledger branch is fetched from `origin`)
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The default branch: a full ref, `HEAD`, a commit id, or a short name that names
    /// exactly one branch
    #[arg(long = "ref", value_name = "REF", default_value = "HEAD")]
    pub reference: String,
    /// Walk the whole history again, even when the ledger's index is usable
    #[arg(long)]
    pub rebuild: bool,
}

// `gitgrant check`
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The access repository's root
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// Act as of this time (RFC 3339), instead of now
    #[arg(long, value_parser = parse_at)]
    pub at: Option<DateTime<Utc>>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

// `gitgrant pr`
#[derive(clap::Args, Debug)]
pub struct PrArgs {
    /// The access repository (a git clone holding the PR's base and head commits and
    /// their history back to the merge base: the changed files are its git diff)
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// Decide offline from a replay snapshot instead of GitHub's API
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Save the inputs read from GitHub as a replay snapshot
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Act as of this time (RFC 3339), instead of now
    #[arg(long, value_parser = parse_at)]
    pub at: Option<DateTime<Utc>>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Post the decision to the PR: a `gitgrant` check run, one comment kept up to date,
    /// and the job summary (GITHUB_STEP_SUMMARY)
    #[arg(long)]
    pub report: bool,
    /// Append what this run learned to the ledger branch (who GitHub authenticated as
    /// pushing, on opened/synchronize/reopened events; requested, reviews with their
    /// notes, merged with the snapshot as evidence and the approval records, closed
    /// unmerged, `/revoke` comments, `revoked` for each request file a merged PR deletes,
    /// `reviewed` for a code owner's `/reviewed [note]` or approval of a break-glass grant)
    #[arg(long)]
    pub ledger: bool,
    /// Scheduled run: close, with a comment, every open PR adding requests that was
    /// opened longer than `pending_timeout` (policy at --repo's HEAD) ago. Needs
    /// GITHUB_TOKEN and GITHUB_REPOSITORY
    #[arg(long, conflicts_with_all = ["snapshot", "record", "report", "ledger"])]
    pub close_stale: bool,
    /// Merge the PR when it is approved and only adds request files, or only deletes its
    /// author's own
    /// (online runs; the App needs a ruleset bypass for pull requests,
    /// docs/branch-protection.md). Pinned to the decided head: a later push is refused
    #[arg(long, conflicts_with = "snapshot")]
    pub merge: bool,
    /// How `--merge` merges
    #[arg(long, value_enum, default_value_t = MergeMethod::Squash, requires = "merge")]
    pub merge_method: MergeMethod,
    /// After `--merge` merged, start this workflow (a file in .github/workflows) on the
    /// default branch, e.g. gitgrant-reconcile.yml, so access begins without waiting for
    /// its schedule
    #[arg(long, value_name = "WORKFLOW_FILE", requires = "merge")]
    pub start_reconciler: Option<String>,
}

// `gitgrant audit`
#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// The access repository (a clone with the default branch's full history)
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The default branch: a full ref (`refs/remotes/origin/main`), a commit id, or a
    /// short name that names exactly one branch (a name that is also a tag is refused)
    #[arg(long = "ref", value_name = "REF", default_value = "main")]
    pub reference: String,
    /// Only rows whose window or events fall at or after this time (RFC 3339 or a date)
    #[arg(long, value_parser = parse_time)]
    pub since: Option<DateTime<Utc>>,
    /// Only rows whose window or events fall before this time (RFC 3339 or a date)
    #[arg(long, value_parser = parse_time)]
    pub until: Option<DateTime<Utc>>,
    /// Only requests by this GitHub login
    #[arg(long, value_name = "LOGIN")]
    pub user: Option<String>,
    /// Only requests for this account (name or 12-digit id)
    #[arg(long, value_name = "NAME|ID")]
    pub account: Option<String>,
    /// Only rows with these statuses (comma-separated; see docs/audit.md)
    #[arg(long, value_name = "STATUS", value_delimiter = ',', value_parser = parse_status)]
    pub status: Vec<Status>,
    /// Output format
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// Re-decide every merge from the evidence in the ledger against its base commit's
    /// policy, and flag rows where it does not hold
    #[arg(long)]
    pub verify: bool,
    /// Statuses as of this time (RFC 3339), instead of now; later events are ignored
    #[arg(long, value_parser = parse_at)]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Table,
    Csv,
    Json,
    Markdown,
    /// One self-contained page: the table with filters and a timeline of grants
    Html,
}

// `gitgrant status`
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The access repository
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The default branch: a full ref (`refs/remotes/origin/main`), a commit id, or a
    /// short name that names exactly one branch (a name that is also a tag is refused)
    #[arg(long = "ref", value_name = "REF", default_value = "main")]
    pub reference: String,
    /// Act as of this time (RFC 3339), instead of now
    #[arg(long, value_parser = parse_at)]
    pub at: Option<DateTime<Utc>>,
    /// Output format
    #[arg(long, value_enum, default_value_t = StatusFormat::Human)]
    pub format: StatusFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    Human,
    Json,
}

// `gitgrant test`
#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// The access repository whose policy is tested
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// Scenario files or folders of them (relative paths are looked up in the repository first)
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
}

// `gitgrant schema`
#[derive(clap::Args, Debug)]
pub struct SchemaArgs {
    /// The file kind; without it, list the kinds
    pub kind: Option<String>,
}

// `gitgrant activity`
#[derive(clap::Args, Debug)]
pub struct ActivityArgs {
    /// The request id (the file name without `.toml`)
    pub id: String,
    /// The access repository (a clone with the default branch and the ledger)
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The default branch, as for `audit`
    #[arg(long = "ref", value_name = "REF", default_value = "main")]
    pub reference: String,
    /// The read-only role assumed in the grant's account (CloudTrail LookupEvents)
    #[arg(long, value_name = "NAME", default_value = "gitgrant-activity-reader")]
    pub role_name: String,
    /// Also look this long before the activation and after the end
    #[arg(long, value_name = "DURATION", default_value = "15m")]
    pub margin: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = ActivityFormat::Table)]
    pub format: ActivityFormat,
    /// As of this time (RFC 3339), instead of now
    #[arg(long, value_parser = parse_at)]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ActivityFormat {
    Table,
    Json,
    Csv,
}

// `gitgrant init`
#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// Where to write it (created if missing; must be empty, or a fresh clone holding only `.git`)
    pub dir: PathBuf,
    /// Where the workflows get the gitgrant action, pinned to a full commit id
    /// (`your-org/gitgrant@<40 hex digits>`); without it they carry an all-zero placeholder
    /// that fails until replaced
    #[arg(long, value_name = "OWNER/REPO@SHA")]
    pub action_ref: Option<String>,
}

// `gitgrant apply`
#[derive(clap::Args, Debug)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub args: ReconcileArgs,
    /// Remove more assignments than settings.max_removals_per_run allows
    #[arg(long)]
    pub force: bool,
    /// Keep running for up to this long (e.g. `55m`), reconciling again at each window
    /// start or end and at least every minute, so access ends on time between scheduled
    /// runs; ends early once no grant is active and none starts within this horizon
    #[arg(long, value_name = "DURATION")]
    pub watch: Option<String>,
    /// Bound each pass's assignment changes (default 10m): after this long since the pass
    /// began, no new change starts (recorded `failed`: not started) and changes still waiting
    /// for AWS are recorded `unknown` (a create keeps its claim); the run then exits 1
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub deadline: String,
}

// `gitgrant request`
#[derive(clap::Args, Debug)]
pub struct RequestArgs {
    /// Your GitHub login; default: the login of the token the pull request is opened with
    /// (it must be that login: the gate refuses a request its PR author did not make)
    #[arg(long)]
    pub requester: Option<String>,
    /// Account name or 12-digit id
    #[arg(long)]
    pub account: String,
    /// The permission set's name, as policies/access.toml's rules name it
    #[arg(long)]
    pub permission_set: String,
    /// How long: 30m, 2h, 1h30m, 1d
    #[arg(long)]
    pub duration: String,
    /// Why access is needed (shown to approvers, kept in the audit log)
    #[arg(long)]
    pub reason: String,
    /// A change or incident ticket, when policy asks for one (kept in the audit log)
    #[arg(long)]
    pub ticket: Option<String>,
    /// When access starts (RFC 3339); default: when the pull request is merged
    #[arg(long, value_parser = parse_at)]
    pub start: Option<DateTime<Utc>>,
    /// The request id (file name); default: from the ticket and the time
    #[arg(long)]
    pub id: Option<String>,
    #[command(flatten)]
    pub common: BranchArgs,
}

// `gitgrant revoke`
#[derive(clap::Args, Debug)]
pub struct RevokeArgs {
    /// The request id (its file name without `.toml`)
    pub id: String,
    /// Why access ends early (the PR's description, kept in the audit log)
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub common: BranchArgs,
}

/// Arguments shared by `request` and `revoke`.
#[derive(clap::Args, Debug)]
pub struct BranchArgs {
    /// The access repository (a clone with `origin`)
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The default branch the new branch starts from: a full ref, or a short name that
    /// names exactly one branch (a name that is also a tag is refused)
    #[arg(long, default_value = "refs/remotes/origin/main", value_name = "REF")]
    pub base: String,
    /// Stop after the commit: do not push or open a pull request
    #[arg(long)]
    pub no_push: bool,
    /// Act as of this time (RFC 3339), instead of now: the policy's time checks and a
    /// start in the past are judged against it
    #[arg(long, value_parser = parse_at)]
    pub at: Option<DateTime<Utc>>,
}

/// Arguments shared by `plan` and `apply`.
#[derive(clap::Args, Debug)]
pub struct ReconcileArgs {
    /// The access repository (a full clone; the ledger branch is fetched from `origin`)
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The default branch to grant from: a full ref (`refs/remotes/origin/main`), `HEAD`,
    /// a commit id, or a short name that names exactly one branch (a name that is also a
    /// tag, like a pushed tag `origin/main`, is refused). Resolved once per run. Default:
    /// `refs/remotes/origin/<repository.default_branch>` when the GitHub event payload
    /// names it, else `HEAD`
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// Approval evidence for offline runs: a folder of replay snapshots `<pr-number>.json`.
    /// Without it, evidence comes from the ledger and (with GITHUB_TOKEN and
    /// GITHUB_REPOSITORY) from GitHub's API
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,
    /// The IAM Identity Center instance; default: the directory snapshot's
    #[arg(long, value_name = "ARN")]
    pub instance_arn: Option<String>,
    /// At most this many AWS calls a second, shared by the whole run. The default stays
    /// under Identity Center's documented 20 calls a second; raise it only where AWS raised
    /// your quota
    #[arg(long, value_name = "N", default_value_t = crate::adapters::aws::CALLS_PER_SECOND,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub aws_calls_per_second: u32,
    /// Act as of this time (RFC 3339), instead of now
    #[arg(long, value_parser = parse_at)]
    pub at: Option<DateTime<Utc>>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Subcommand, Debug)]
pub enum DirectoryCommand {
    /// Read the organization, permission sets and Identity Center groups from AWS and rewrite
    /// policies/directory.toml if anything changed. AWS access comes from the standard
    /// credential chain and environment (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...)
    Sync(SyncArgs),
}

// `gitgrant directory sync`
#[derive(clap::Args, Debug)]
pub struct SyncArgs {
    /// The access repository's root
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The IAM Identity Center instance; without it, the only instance visible
    #[arg(long, value_name = "ARN")]
    pub instance_arn: Option<String>,
    /// Record this time as `synced_at` (RFC 3339), instead of now
    #[arg(long, value_parser = parse_at)]
    pub at: Option<DateTime<Utc>>,
    /// Only report whether the file is out of date (exit 1 if it is); write nothing
    #[arg(long)]
    pub check: bool,
}

// `gitgrant explain`
#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// A code such as `path-mismatch` or `approval-stale`
    pub code: Option<String>,
    /// Print Markdown instead: the whole catalog (docs/diagnostics.md), or the one code
    #[arg(long)]
    pub markdown: bool,
}

fn parse_at(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| format!("`{s}` is not an RFC 3339 date-time with a zone ({e}), e.g. 2026-11-22T13:00:00Z"))
}

/// `--since` / `--until`: an RFC 3339 date-time, or a date (midnight UTC).
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Ok(d.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    Err(format!(
        "`{s}` is neither an RFC 3339 date-time with a zone nor a date, e.g. 2026-11-22T13:00:00Z or 2026-11-22"
    ))
}

/// `--status`: one of the audit statuses.
pub fn parse_status(s: &str) -> Result<Status, String> {
    Status::parse(s).ok_or_else(|| {
        format!(
            "unknown status `{s}`; statuses: {}",
            Status::ALL.map(Status::as_str).join(", ")
        )
    })
}

/// How a command ended; [`Exit::code`] is the one map to the process's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// 0: done, nothing found.
    Success,
    /// 1: findings (errors in files, a decision other than approved, a failed change).
    Findings,
    /// 2: an operational failure, already reported with [`fail`].
    Failure,
}

impl Exit {
    /// `Findings` when `found`, else `Success`.
    pub fn findings_if(found: bool) -> Exit {
        if found { Exit::Findings } else { Exit::Success }
    }

    pub fn code(self) -> ExitCode {
        match self {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Findings => ExitCode::from(1),
            Exit::Failure => ExitCode::from(2),
        }
    }
}

/// Reports an operational failure: the one place an error becomes a message.
pub fn fail(e: &AppError) -> Exit {
    eprintln!("gitgrant: error: {e}");
    Exit::Failure
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // the only read of the process environment: every command gets this value
    let env = RunEnvironment::from_process();
    // calls that keep being retried say so, on stderr
    crate::adapters::progress::set_reporter(|line| eprintln!("{line}"));
    run(cli.command, &env).unwrap_or_else(|e| fail(&e)).code()
}

fn run(command: Command, env: &RunEnvironment) -> Result<Exit, AppError> {
    match command {
        Command::Check(a) => check::run(&a),
        Command::Pr(a) if a.close_stale => pr::close_stale(&a, env),
        Command::Pr(a) => pr::run(&a, env),
        Command::Audit(a) => audit::run_audit(a),
        Command::Status(a) => audit::run_status(&a),
        Command::Test(a) => scenarios::run(&a),
        Command::Schema(a) => schema::run(a.kind.as_deref()),
        Command::Init(a) => init::run(&a.dir, a.action_ref.as_deref()),
        Command::Activity(a) => activity::run(&a),
        Command::Plan(a) => reconcile::run(&a, env, reconcile::Mode::Plan),
        Command::Apply(a) => reconcile::run(
            &a.args,
            env,
            reconcile::Mode::Apply {
                force: a.force,
                watch: a.watch,
                deadline: a.deadline,
            },
        ),
        Command::Request(a) => request::request(a, env),
        Command::Revoke(a) => request::revoke(a, env),
        Command::Directory {
            command: DirectoryCommand::Sync(a),
        } => directory::sync(&a),
        Command::Explain(a) => explain::run(a.code.as_deref(), a.markdown),
        Command::Ledger {
            command: LedgerCommand::Index(a),
        } => ledger::index(&a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_map_to_0_1_2_and_the_worst_wins() {
        assert_eq!(Exit::Success.code(), ExitCode::SUCCESS);
        assert_eq!(Exit::Findings.code(), ExitCode::from(1));
        assert_eq!(Exit::Failure.code(), ExitCode::from(2));
        assert_eq!(Exit::findings_if(true), Exit::Findings);
        assert_eq!(Exit::findings_if(false), Exit::Success);
        // `apply --watch`: a failed run is not hidden by a later run with findings
        assert_eq!(Exit::Failure.max(Exit::Findings), Exit::Failure);
        assert_eq!(Exit::Success.max(Exit::Findings), Exit::Findings);
    }
}
