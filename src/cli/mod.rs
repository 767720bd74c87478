//! The command line: parses arguments, calls adapters and the core, prints, and maps the
//! outcome to exit codes (0 success, 1 findings, 2 operational failure).

pub mod audit;
pub mod explain;
pub mod pr;
pub mod reconcile;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

use crate::core::diag::render::{self, Format};
use crate::core::files::schema::FileKind;
use crate::core::files::tree;

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
    Check {
        /// The access repository's root
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// Act as of this time (RFC 3339), instead of now
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<Utc>>,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Decide a pull request: one decision per request it adds (approved, pending, rejected,
    /// invalid) with reasons. Exit 0 only when the PR's decision is `approved`
    Pr {
        /// The access repository (a git clone holding the PR's base and head commits and
        /// their history back to the merge base: the changed files are its git diff)
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// Decide offline from a replay snapshot instead of GitHub's API
        #[arg(long, value_name = "FILE")]
        snapshot: Option<PathBuf>,
        /// Save the inputs read from GitHub as a replay snapshot
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
        /// Act as of this time (RFC 3339), instead of now
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<Utc>>,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Post the decision to the PR: a `gitgrant` check run, one comment kept up to date,
        /// and the job summary (GITHUB_STEP_SUMMARY)
        #[arg(long)]
        report: bool,
        /// Append what this run learned to the ledger branch (who GitHub authenticated as
        /// pushing, on opened/synchronize/reopened events; requested, reviews with their
        /// notes, merged with the snapshot as evidence, closed unmerged, `/revoke` comments)
        #[arg(long)]
        ledger: bool,
    },
    /// Export every request with its decisions, activation and end: the history of
    /// `requests/` on the default branch joined with the ledger, one row per request.
    /// Exit 1 when `--verify` finds a recorded decision its evidence does not support
    Audit {
        /// The access repository (a clone with the default branch's full history)
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// The default branch
        #[arg(long = "ref", value_name = "REF", default_value = "main")]
        reference: String,
        /// Only rows whose window or events fall at or after this time (RFC 3339 or a date)
        #[arg(long, value_parser = crate::app::audit::parse_time)]
        since: Option<DateTime<Utc>>,
        /// Only rows whose window or events fall before this time (RFC 3339 or a date)
        #[arg(long, value_parser = crate::app::audit::parse_time)]
        until: Option<DateTime<Utc>>,
        /// Only requests by this GitHub login
        #[arg(long, value_name = "LOGIN")]
        user: Option<String>,
        /// Only requests for this account (name or 12-digit id)
        #[arg(long, value_name = "NAME|ID")]
        account: Option<String>,
        /// Only rows with these statuses (comma-separated; see docs/audit.md)
        #[arg(long, value_name = "STATUS", value_delimiter = ',', value_parser = crate::app::audit::parse_status)]
        status: Vec<crate::core::audit::Status>,
        /// Output format
        #[arg(long, value_enum, default_value_t = crate::app::audit::AuditFormat::Table)]
        format: crate::app::audit::AuditFormat,
        /// Re-decide every merge from the evidence in the ledger against its base commit's
        /// policy, and flag rows where it does not hold
        #[arg(long)]
        verify: bool,
        /// Statuses as of this time (RFC 3339), instead of now; later events are ignored
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<Utc>>,
    },
    /// Show open requests (and who can approve them), scheduled and active grants with the
    /// time left, and what ended in the last 24 hours
    Status {
        /// The access repository
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// The default branch
        #[arg(long = "ref", value_name = "REF", default_value = "main")]
        reference: String,
        /// Act as of this time (RFC 3339), instead of now
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<Utc>>,
        /// Output format
        #[arg(long, value_enum, default_value_t = crate::app::audit::StatusFormat::Human)]
        format: crate::app::audit::StatusFormat,
    },
    /// Run scenario files (PR facts + expected decision) against the repository's policy
    Test {
        /// The access repository whose policy is tested
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// Scenario files or folders of them (relative paths are looked up in the repository first)
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
    },
    /// Print the JSON Schema of a file kind (request, access, identities, directory)
    Schema {
        /// The file kind; without it, list the kinds
        kind: Option<String>,
    },
    /// Write a new access repository with commented templates into DIR
    Init {
        /// Where to write it (created if missing; must be empty)
        dir: PathBuf,
    },
    /// Show what the reconciler would change in IAM Identity Center now (create, delete,
    /// drift, blocked), without changing anything
    Plan {
        #[command(flatten)]
        args: ReconcileArgs,
    },
    /// Make IAM Identity Center match what git says now: create and delete assignments,
    /// record every outcome in the ledger. Exit 1 when a change failed or the brake held
    Apply {
        #[command(flatten)]
        args: ReconcileArgs,
        /// Remove more assignments than settings.max_removals_per_run allows
        #[arg(long)]
        force: bool,
        /// Keep running for this long (e.g. `55m`), reconciling again at each window start
        /// or end and at least every minute, so access ends on time between scheduled runs
        #[arg(long, value_name = "DURATION")]
        watch: Option<String>,
    },
    /// Ask for access: write the canonical request file, check it against the default
    /// branch's policy, commit it on a new branch, push, and open the pull request
    Request {
        /// Your GitHub login
        #[arg(long)]
        requester: String,
        /// Account name or 12-digit id
        #[arg(long)]
        account: String,
        #[arg(long)]
        permission_set: String,
        /// How long: 30m, 2h, 1h30m, 1d
        #[arg(long)]
        duration: String,
        /// Why access is needed (shown to approvers, kept in the audit log)
        #[arg(long)]
        reason: String,
        #[arg(long)]
        ticket: Option<String>,
        /// When access starts (RFC 3339); default: when the pull request is merged
        #[arg(long, value_parser = parse_at)]
        start: Option<DateTime<Utc>>,
        /// The request id (file name); default: from the ticket and the time
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        common: BranchArgs,
    },
    /// End access early: a branch deleting the request file, pushed, pull request opened
    Revoke {
        /// The request id (its file name without `.toml`)
        id: String,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        common: BranchArgs,
    },
    /// The directory snapshot (policies/directory.toml) and AWS
    Directory {
        #[command(subcommand)]
        command: DirectoryCommand,
    },
    /// Explain a code (a file diagnostic or a decision, plan or removal reason), or list them all
    Explain {
        /// A code such as `path-mismatch` or `approval-stale`
        code: Option<String>,
        /// Print Markdown instead: the whole catalog (docs/diagnostics.md), or the one code
        #[arg(long)]
        markdown: bool,
    },
}

/// Arguments shared by `request` and `revoke`.
#[derive(clap::Args, Debug)]
pub struct BranchArgs {
    /// The access repository (a clone with `origin`)
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The default branch the new branch starts from
    #[arg(long, default_value = "origin/main", value_name = "REV")]
    pub base: String,
    /// Stop after the commit: do not push or open a pull request
    #[arg(long)]
    pub no_push: bool,
}

impl BranchArgs {
    fn common(self) -> crate::app::request::Common {
        crate::app::request::Common {
            repo: self.repo,
            base: self.base,
            no_push: self.no_push,
            at: Utc::now(),
            env: crate::adapters::actions::RunEnvironment::from_vars(|k| std::env::var(k).ok()),
        }
    }
}

/// Arguments shared by `plan` and `apply`.
#[derive(clap::Args, Debug)]
pub struct ReconcileArgs {
    /// The access repository (a full clone; the ledger branch is fetched from `origin`)
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The default branch's revision to grant from
    #[arg(long = "ref", default_value = "HEAD", value_name = "REV")]
    pub reference: String,
    /// Approval evidence for offline runs: a folder of replay snapshots `<pr-number>.json`.
    /// Without it, evidence comes from the ledger and (with GITHUB_TOKEN and
    /// GITHUB_REPOSITORY) from GitHub's API
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,
    /// The IAM Identity Center instance; default: the directory snapshot's
    #[arg(long, value_name = "ARN")]
    pub instance_arn: Option<String>,
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
    Sync {
        /// The access repository's root
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// The IAM Identity Center instance; without it, the only instance visible
        #[arg(long, value_name = "ARN")]
        instance_arn: Option<String>,
        /// Record this time as `synced_at` (RFC 3339), instead of now
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<Utc>>,
        /// Only report whether the file is out of date (exit 1 if it is); write nothing
        #[arg(long)]
        check: bool,
    },
}

fn parse_at(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| format!("`{s}` is not an RFC 3339 date-time with a zone ({e}), e.g. 2026-11-22T13:00:00Z"))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("gitgrant: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Check { repo, at, format } => {
            let tree = crate::adapters::fs::read_tree(&repo).map_err(|e| format!("cannot read the repository: {e}"))?;
            let at = at.unwrap_or_else(Utc::now);
            let checked = crate::core::rules::check::check(&tree, at);
            let diags = &checked.diagnostics.0;
            let sources: &dyn render::Sources = &tree;
            match format {
                Format::Human => {
                    print!("{}", render::human(diags, sources));
                    println!(
                        "gitgrant check: {} error(s), {} warning(s) in {} request file(s) and {} policy file(s)",
                        checked.diagnostics.error_count(),
                        checked.diagnostics.warning_count(),
                        checked.requests.len() + checked.invalid_requests,
                        tree::TRUSTED_FILES
                            .iter()
                            .filter(|p| tree.file(p).is_some())
                            .count()
                    );
                }
                Format::Json => println!("{}", render::json(diags, sources)),
                Format::Github => print!("{}", render::github(diags, sources)),
                Format::Markdown => println!("```\n{}```", render::human(diags, sources)),
            }
            Ok(if checked.diagnostics.has_errors() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Pr {
            repo,
            snapshot,
            record,
            at,
            format,
            report,
            ledger,
        } => crate::cli::pr::run(
            &repo,
            snapshot.as_deref(),
            record.as_deref(),
            at.unwrap_or_else(Utc::now),
            format,
            report,
            ledger,
        ),
        Command::Audit {
            repo,
            reference,
            since,
            until,
            user,
            account,
            status,
            format,
            verify,
            at,
        } => crate::cli::audit::run_audit(
            crate::app::audit::AuditArgs {
                repo: &repo,
                reference: &reference,
                filter: crate::core::audit::filter::Filter {
                    since,
                    until,
                    user,
                    account,
                    statuses: status,
                },
                verify,
                at: at.unwrap_or_else(Utc::now),
            },
            format,
        ),
        Command::Status {
            repo,
            reference,
            at,
            format,
        } => crate::cli::audit::run_status(&repo, &reference, at.unwrap_or_else(Utc::now), format),
        Command::Test { repo, paths } => run_scenarios(&repo, &paths),
        Command::Schema { kind } => match kind {
            None => {
                for k in FileKind::ALL {
                    println!("{:<11} {}", k.name(), k.location());
                }
                Ok(ExitCode::SUCCESS)
            }
            Some(name) => match FileKind::from_name(&name) {
                Some(k) => {
                    print!("{}", k.schema_text());
                    Ok(ExitCode::SUCCESS)
                }
                None => Err(format!(
                    "unknown file kind `{name}`; kinds: request, access, identities, directory"
                )),
            },
        },
        Command::Init { dir } => {
            let written = crate::app::init::write(&dir)?;
            for path in &written {
                println!("wrote {}", dir.join(path).display());
            }
            println!(
                "next: edit policies/, then run `gitgrant check --repo {}`",
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Directory {
            command:
                DirectoryCommand::Sync {
                    repo,
                    instance_arn,
                    at,
                    check,
                },
        } => crate::app::directory_sync::run(&crate::app::directory_sync::Options {
            repo: &repo,
            instance_arn: instance_arn.as_deref(),
            at: at.unwrap_or_else(Utc::now),
            check,
        }),
        Command::Request {
            requester,
            account,
            permission_set,
            duration,
            reason,
            ticket,
            start,
            id,
            common,
        } => crate::app::request::request(
            &common.common(),
            &crate::app::request::NewRequest {
                requester,
                account,
                permission_set,
                duration,
                reason,
                ticket,
                start,
                id,
            },
        ),
        Command::Revoke { id, reason, common } => {
            crate::app::request::revoke(&common.common(), &id, reason.as_deref())
        }
        Command::Plan { args } => crate::cli::reconcile::run(&args, false, false, None),
        Command::Apply { args, force, watch } => crate::cli::reconcile::run(&args, true, force, watch.as_deref()),
        Command::Explain { code, markdown } => crate::cli::explain::run(code.as_deref(), markdown),
    }
}

fn run_scenarios(repo: &std::path::Path, paths: &[PathBuf]) -> Result<ExitCode, String> {
    let tree = crate::adapters::fs::read_tree(repo).map_err(|e| format!("cannot read the repository: {e}"))?;
    let mut files = Vec::new();
    for p in paths {
        let p = if p.is_relative() && repo.join(p).exists() {
            repo.join(p)
        } else {
            p.clone()
        };
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&p)
                .map_err(|e| format!("cannot read `{}`: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                .collect();
            found.sort();
            files.extend(found);
        } else if p.is_file() {
            files.push(p);
        } else {
            return Err(format!("no scenario file or folder at `{}`", p.display()));
        }
    }
    let (mut passed, mut failed) = (0, 0);
    for f in &files {
        let name = f.display();
        let text = std::fs::read_to_string(f).map_err(|e| format!("cannot read `{name}`: {e}"))?;
        let outcome = toml::from_str::<crate::core::gate::scenario::Scenario>(&text)
            .map_err(|e| {
                let line = e
                    .span()
                    .map(|s| crate::core::diag::diagnostic::line_col(&text, s.start).0)
                    .unwrap_or(1);
                format!("{name}:{line}: {}", e.message().trim())
            })
            .and_then(|s| crate::core::gate::scenario::run(&tree, &s).map_err(|e| format!("{name}: {e}")));
        match outcome {
            Ok((_, problems)) if problems.is_empty() => {
                passed += 1;
                println!("ok   {name}");
            }
            Ok((_, problems)) => {
                failed += 1;
                println!("FAIL {name}");
                for p in problems {
                    println!("     {p}");
                }
            }
            Err(e) => {
                failed += 1;
                println!("FAIL {e}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
