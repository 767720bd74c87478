//! The app layer's error: why a use case could not answer (an operational failure, exit 2).
//! It wraps the adapters' typed errors and adds the use cases' own cases; the command line
//! turns it into one message and one exit code, in one place (`cli::main`).

use std::path::PathBuf;

use crate::adapters::actions::ActionsError;
use crate::adapters::aws::AwsError;
use crate::adapters::fs::FsError;
use crate::adapters::git::GitError;
use crate::adapters::github;
use crate::app::audit::AuditError;
use crate::core::gate::facts::FactsError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    GitHub(#[from] github::Error),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Actions(#[from] ActionsError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Facts(#[from] FactsError),
    /// The working tree's policy and request files could not be read.
    #[error("cannot read the repository: {0}")]
    Repository(#[from] FsError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot read `{}`: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot create `{}`: {source}", path.display())]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot write `{}`: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    #[error("cannot read snapshot `{}`: {source}", path.display())]
    ReadSnapshot { path: PathBuf, source: std::io::Error },
    #[error("snapshot `{}` is not valid: {source}", path.display())]
    BadSnapshot { path: PathBuf, source: serde_json::Error },
    #[error("snapshot field `pull_request/number` is missing or not a number")]
    SnapshotWithoutNumber,
    #[error("the event is a push to PR #{event} but the snapshot is of PR #{snapshot}")]
    PushOfOtherPr { event: u64, snapshot: u64 },
    #[error("cannot encode the snapshot: {0}")]
    EncodeSnapshot(serde_json::Error),
    #[error("cannot write the job summary `{}`: {source}", path.display())]
    JobSummary { path: PathBuf, source: std::io::Error },
    /// `init` writes only into a new or empty directory.
    #[error("`{}` is not empty; init writes only into a new or empty directory (or one holding only `.git`)", .0.display())]
    NotEmpty(PathBuf),
    #[error("no scenario file or folder at `{}`", .0.display())]
    NoScenario(PathBuf),
    /// `request`: the default branch's policy has errors, so nothing can be checked against it.
    #[error("the policy on `{base}` does not validate; run `gitgrant check`")]
    PolicyInvalid { base: String },
    #[error("account `{account}` is not in policies/directory.toml on `{base}`")]
    UnknownAccount { account: String, base: String },
    #[error("no request with id `{id}` on `{base}`")]
    NoSuchRequest { id: String, base: String },
    #[error("request id `{id}` is used by {} files: {}", .paths.len(), .paths.join(", "))]
    AmbiguousRequestId { id: String, paths: Vec<String> },
    #[error("cannot tell the GitHub repository: set GITHUB_REPOSITORY=owner/repo")]
    UnknownRepository,
    #[error("`{}` has no `origin` remote to push the branch to: clone the access repository, or pass --no-push", .0.display())]
    NoOrigin(std::path::PathBuf),
    #[error(
        "no GitHub token to open the pull request with: set GH_TOKEN or GITHUB_TOKEN, or log in with `gh auth login` (or pass --no-push)"
    )]
    NoUserToken,
    #[error(
        "the pull request would be opened by `{login}` (the token's user), but the request names `{requester}`: the gate refuses a request whose PR author is not its requester; drop --requester, or use {requester}'s token"
    )]
    RequesterNotTokenUser { requester: String, login: String },
    #[error("no requester: pass --requester LOGIN (with --no-push there is no token to learn it from)")]
    NoRequester,
    #[error(
        "--start {start} is in the past (now {now}): the gate refuses a start before the PR is opened; pass a later --start, or none to start at merge"
    )]
    StartInThePast { start: String, now: String },
    #[error(
        "cannot tell the pull request's base branch from `--base {0}`; pass the default branch as `refs/remotes/origin/<name>`"
    )]
    UnknownBaseBranch(String),
    /// An argument clap cannot check by itself (a kind name, a duration, a combination).
    #[error("{0}")]
    Usage(String),
    /// The reconciler's errors (still text: `app::reconcile` moves to typed errors next).
    #[error("{0}")]
    Reconcile(String),
    /// `pr --close-stale`: the policy or the API could not be read (still text).
    #[error("{0}")]
    Stale(String),
}
