//! The `audit` and `status` use cases: read the default branch's history (or tip), the
//! ledger and the branch's policy through the git adapter, join them with the pure `audit`
//! core, optionally re-verify decisions, filter; return the report (printing and exit
//! codes are the command line's, `cli::audit`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::rc::Rc;

use chrono::{DateTime, Utc};

use crate::adapters::git::history::{self, CatSession};
use crate::adapters::git::{Git, GitError};
use crate::core::audit::compact::AuditLedger;
use crate::core::audit::filter::Filter;
use crate::core::audit::{self, History, HistoryCommit, Input, Report, Row, status, verify};
use crate::core::files::load::{self, PolicySet};
use crate::core::files::tree::{Entry, Tree};
use crate::core::gate::PathHistory;
use crate::core::gate::evidence::{self, EvidenceCheck, MergeEvidence};
use crate::core::ledger::Kind;

pub struct AuditArgs<'a> {
    pub repo: &'a Path,
    pub reference: &'a str,
    pub filter: Filter,
    pub verify: bool,
    pub at: DateTime<Utc>,
}

/// Why `audit` or `status` could not answer (an operational failure).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("`{repo}` is not a git repository: {source}")]
    NotARepository { repo: String, source: GitError },
    #[error("cannot resolve `{reference}` in `{repo}`: {source}; name the default branch with `--ref`")]
    UnknownRef {
        reference: String,
        repo: String,
        source: GitError,
    },
    #[error("cannot read the history of `{reference}`: {source}")]
    History { reference: String, source: GitError },
    #[error("cannot read request files: {0}")]
    RequestFiles(GitError),
    #[error("reading the ledger failed unexpectedly")]
    LedgerReaderPanicked,
    #[error("cannot read the ledger: {0}")]
    Ledger(GitError),
    #[error("cannot list the commits of `{reference}`: {source}")]
    BranchCommits { reference: String, source: GitError },
    /// `--verify` could not read what it re-decides from.
    #[error("cannot read git objects for `--verify`: {0}")]
    GitObjects(GitError),
}

/// What was read from git, for the join and for `--verify`.
struct Gathered {
    tip: String,
    /// Where the history came from, when it was not the ledger's index.
    notice: Option<String>,
    report: Report,
    ledger: AuditLedger,
    history: Vec<HistoryCommit>,
    contents: HashMap<String, Vec<u8>>,
    on_branch: BTreeSet<String>,
}

/// The ledger and the policy files at the tip, read beside the history walk.
struct LedgerAndPolicy {
    ledger: AuditLedger,
    /// Whether a ledger branch was found at all.
    ledger_found: bool,
    /// The tip's policy, when every file of it loaded.
    policy: Option<PolicySet>,
}

/// Only what rows read is kept of each event (`audit::compact`); `evidence`: keep every
/// merge's evidence whole too (`--verify` re-decides from it).
fn gather(git: &Git, reference: &str, walk: bool, evidence: bool, at: DateTime<Utc>) -> Result<Gathered, AuditError> {
    let tip = git
        .resolve_branch(reference)
        .map_err(|source| AuditError::UnknownRef {
            reference: reference.to_string(),
            repo: git.dir().display().to_string(),
            source,
        })?
        .into_string();
    // the ledger first: its index is the history (DESIGN 11); the walk is the fallback
    let LedgerAndPolicy {
        mut ledger,
        ledger_found,
        policy,
    } = read_ledger_and_policy(git, &tip, evidence).map_err(AuditError::Ledger)?;
    let (history, contents, notice) = read_requests(git, reference, &tip, walk, &ledger)?;
    // the deltas are the history now
    ledger.deltas = Vec::new();
    let on_branch = ledger_merges_on_branch(git, reference, &tip, &history, &ledger)?;
    let mut report = audit::build(&Input {
        history: &history,
        contents: &contents,
        ledger: &ledger,
        on_branch: &on_branch,
        policy: policy.as_ref(),
        at,
    });
    note_missing_sources(&mut report, reference, ledger_found, policy.is_some());
    Ok(Gathered {
        tip,
        notice,
        report,
        ledger,
        history: match history {
            History::Log(c) => c,
            History::Tip(_) => Vec::new(),
        },
        contents,
        on_branch,
    })
}

fn read_ledger_and_policy(git: &Git, tip: &str, evidence: bool) -> Result<LedgerAndPolicy, GitError> {
    let mut ledger = AuditLedger::new(evidence);
    git.read_ledger_into(&mut ledger)?;
    let ledger_found = git.ledger_tip().is_some();
    let tree = git.read_tree(tip, &crate::core::files::tree::TRUSTED_FILES)?;
    let mut diags = Vec::new();
    let set = load::policy_set(&tree, &mut diags);
    Ok(LedgerAndPolicy {
        ledger,
        ledger_found,
        policy: set.ok(),
    })
}

/// The history of `requests/` (`walk`) or the files at the tip, the request files' bytes by
/// blob id, and a notice when the history had to be walked (no usable index in the ledger).
fn read_requests(
    git: &Git,
    reference: &str,
    tip: &str,
    walk: bool,
    ledger: &AuditLedger,
) -> Result<(History, HashMap<String, Vec<u8>>, Option<String>), AuditError> {
    let failed = |source| AuditError::History {
        reference: reference.to_string(),
        source,
    };
    let mut notice = None;
    let history = if walk {
        match from_index(git, ledger, tip) {
            Ok(h) => History::Log(h),
            Err(problem) => {
                notice = Some(format!("the history of `{reference}` was walked: {problem}"));
                History::Log(git.request_history(tip).map_err(failed)?)
            }
        }
    } else {
        History::Tip(git.request_files(tip).map_err(failed)?)
    };
    let blob_ids: Vec<String> = match &history {
        History::Log(c) => c
            .iter()
            .flat_map(|c| c.changes.iter().filter_map(|x| x.blob.clone()))
            .collect(),
        History::Tip(f) => f.iter().map(|(_, b)| b.clone()).collect(),
    };
    let contents = history::blobs(git, blob_ids).map_err(AuditError::RequestFiles)?;
    Ok((history, contents, notice))
}

/// The history of `requests/` read from the ledger's index, extended through `tip` (the
/// commits after its marker only), with the commits' headers read from git. `Err` when the
/// ledger has no usable index (the caller walks the history instead).
fn from_index(
    git: &Git,
    ledger: &AuditLedger,
    tip: &str,
) -> Result<Vec<HistoryCommit>, crate::app::index::IndexProblem> {
    let (chain, _) =
        crate::core::index::chain_of(ledger.deltas.iter().collect()).ok_or(crate::app::index::IndexProblem::Missing)?;
    let marker = chain.last().map(|d| d.through.as_str()).unwrap_or_default();
    let tail = crate::app::index::delta_since(git, marker, tip)?;
    let changes = crate::core::index::changes_of(chain.into_iter().chain(tail.as_ref()));
    let shas: Vec<&str> = changes.iter().map(|(sha, _)| sha.as_str()).collect();
    let headers = match git.commit_headers(&shas) {
        Ok(h) => h,
        Err(e) => {
            return Err(crate::app::index::IndexProblem::Damaged(format!(
                "a commit it lists cannot be read: {e}"
            )));
        }
    };
    Ok(headers
        .into_iter()
        .zip(changes)
        .map(|(commit, (_, changes))| HistoryCommit { commit, changes })
        .collect())
}

/// Ledger merge commits that the walk did not see: which are on the branch (the rest were
/// rewritten away).
fn ledger_merges_on_branch(
    git: &Git,
    reference: &str,
    tip: &str,
    history: &History,
    ledger: &AuditLedger,
) -> Result<BTreeSet<String>, AuditError> {
    let History::Log(c) = history else {
        return Ok(BTreeSet::new());
    };
    let seen: BTreeSet<&str> = c.iter().map(|c| c.commit.sha.as_str()).collect();
    let unknown: BTreeSet<String> = ledger
        .events
        .iter()
        .filter(|e| e.kind == Some(Kind::Merged))
        .filter_map(|e| e.merge_commit().cloned())
        .filter(|m| !seen.contains(m.as_str()))
        .collect();
    git.ancestors_among(tip, &unknown)
        .map_err(|source| AuditError::BranchCommits {
            reference: reference.to_string(),
            source,
        })
}

fn note_missing_sources(report: &mut Report, reference: &str, ledger_found: bool, policy_loaded: bool) {
    if !ledger_found {
        report.problems.insert(
            0,
            format!(
                "no `{}` branch found (fetched from `origin`, or local): rows come from the history of `{reference}` alone",
                crate::core::ledger::BRANCH
            ),
        );
    }
    if !policy_loaded {
        report.problems.push(format!(
            "the policy files on `{reference}` do not load: account ids, approvals required and code owners are not shown"
        ));
    }
}

fn git_objects(e: GitError) -> AuditError {
    AuditError::GitObjects(e)
}

/// Where each commit of the default branch's history sits, and which commits added a path.
struct HistoryIndex<'g> {
    position: HashMap<&'g str, usize>,
    adds: HashMap<&'g str, Vec<(usize, &'g str)>>,
}

impl<'g> HistoryIndex<'g> {
    fn new(history: &'g [HistoryCommit]) -> Self {
        let position = history
            .iter()
            .enumerate()
            .map(|(i, c)| (c.commit.sha.as_str(), i))
            .collect();
        let mut adds: HashMap<&str, Vec<(usize, &str)>> = HashMap::new();
        for (i, c) in history.iter().enumerate() {
            for ch in c.changes.iter().filter(|x| x.kind == audit::ChangeKind::Added) {
                adds.entry(ch.path.as_str())
                    .or_default()
                    .push((i, c.commit.sha.as_str()));
            }
        }
        HistoryIndex { position, adds }
    }

    /// Whether each path existed before the commit at `at` (the row's adding commit).
    fn path_histories(&self, paths: &[String], at: Option<usize>) -> BTreeMap<String, PathHistory> {
        paths
            .iter()
            .map(|path| {
                let h = match at {
                    None => PathHistory::Unknown("the request is not in the default branch's history".into()),
                    Some(at) => match self
                        .adds
                        .get(path.as_str())
                        .and_then(|v| v.iter().rev().find(|(i, _)| *i < at))
                    {
                        Some((_, sha)) => PathHistory::Existed(sha.to_string()),
                        None => PathHistory::Never,
                    },
                };
                (path.clone(), h)
            })
            .collect()
    }
}

/// Base-commit policies read once per commit, and loaded once per distinct set of blobs.
#[derive(Default)]
struct BasePolicies {
    by_blobs: HashMap<Vec<Option<String>>, Rc<load::BasePolicy>>,
    by_commit: HashMap<String, Option<Rc<load::BasePolicy>>>,
}

impl BasePolicies {
    fn at(&mut self, session: &mut CatSession, base_sha: &str) -> Result<Option<Rc<load::BasePolicy>>, AuditError> {
        if let Some(b) = self.by_commit.get(base_sha) {
            return Ok(b.clone());
        }
        let found = if session
            .oid(&format!("{base_sha}^{{commit}}"))
            .map_err(git_objects)?
            .is_some()
        {
            Some(self.load(session, base_sha)?)
        } else {
            None
        };
        self.by_commit.insert(base_sha.to_string(), found.clone());
        Ok(found)
    }

    fn load(&mut self, session: &mut CatSession, base_sha: &str) -> Result<Rc<load::BasePolicy>, AuditError> {
        let mut key = Vec::new();
        for path in crate::core::files::tree::TRUSTED_FILES {
            key.push(session.oid(&format!("{base_sha}:{path}")).map_err(git_objects)?);
        }
        if let Some(set) = self.by_blobs.get(&key) {
            return Ok(set.clone());
        }
        let mut tree = Tree::default();
        for (path, oid) in crate::core::files::tree::TRUSTED_FILES.iter().zip(&key) {
            if let Some(oid) = oid
                && let Some(bytes) = session.contents(oid).map_err(git_objects)?
            {
                tree.insert(*path, Entry::File(bytes));
            }
        }
        let set = Rc::new(load::policy_set(&tree, &mut Vec::new()));
        self.by_blobs.insert(key, set.clone());
        Ok(set)
    }
}

/// The PR head's added request files, or `None` when the head commit is not here.
fn head_tree(session: &mut CatSession, head_sha: &str, added: &[String]) -> Result<Option<Tree>, AuditError> {
    if session
        .oid(&format!("{head_sha}^{{commit}}"))
        .map_err(git_objects)?
        .is_none()
    {
        return Ok(None);
    }
    let mut tree = Tree::default();
    for path in added {
        if let Some(bytes) = session.contents(&format!("{head_sha}:{path}")).map_err(git_objects)? {
            tree.insert(path, Entry::File(bytes));
        }
    }
    Ok(Some(tree))
}

/// Merge commits named by evidence that are on the default branch but not in the walked
/// history (e.g. merges of other paths): asked of git once for all rows.
fn merges_on_branch(
    git: &Git,
    g: &Gathered,
    index: &HistoryIndex<'_>,
    parsed: &[Option<Result<MergeEvidence, String>>],
) -> Result<BTreeSet<String>, AuditError> {
    let unknown: BTreeSet<String> = parsed
        .iter()
        .flatten()
        .flatten()
        .filter_map(|p| p.facts.merge_commit_sha.clone())
        .filter(|m| !index.position.contains_key(m.as_str()) && !g.on_branch.contains(m))
        .collect();
    git.ancestors_among(&g.tip, &unknown).map_err(git_objects)
}

/// Re-verifies every merged row from its evidence with the one evidence verifier.
fn verify_rows(git: &Git, g: &Gathered, rows: &mut [Row]) -> Result<(), AuditError> {
    let index = HistoryIndex::new(&g.history);
    let parsed: Vec<Option<Result<MergeEvidence, String>>> = rows
        .iter()
        .map(|r| {
            r.merge_event
                .and_then(|i| g.ledger.events.get(i))
                .and_then(|e| e.evidence())
                .map(verify::parse)
        })
        .collect();
    let extra = merges_on_branch(git, g, &index, &parsed)?;
    let mut session: CatSession = git.cat_session().map_err(git_objects)?;
    let mut bases = BasePolicies::default();
    for (row, p) in rows.iter_mut().zip(parsed) {
        if row.added_commit.is_none() && row.merged_at.is_none() {
            continue;
        }
        let p = match p {
            None => {
                row.verify = Some(verify::no_evidence());
                continue;
            }
            Some(Err(why)) => {
                row.verify = Some(verify::unreadable(why));
                continue;
            }
            Some(Ok(p)) => p,
        };
        let f = &p.facts;
        let base = bases.at(&mut session, &f.base_sha)?;
        let added = evidence::added_requests(f);
        let head = head_tree(&mut session, &f.head_sha, &added)?;
        let row_index = row.added_commit.as_deref().and_then(|s| index.position.get(s).copied());
        let history = index.path_histories(&added, row_index);
        let merge_on_branch = f
            .merge_commit_sha
            .as_deref()
            .is_some_and(|m| index.position.contains_key(m) || g.on_branch.contains(m) || extra.contains(m));
        // the default branch's policy at the merge's first parent decides too (DESIGN 10.3)
        let merge = f.merge_commit_sha.as_deref();
        let parent = match merge {
            Some(m) => session.oid(&format!("{m}^1")).map_err(git_objects)?,
            None => None,
        };
        let parent_policy = match &parent {
            Some(p) => bases.at(&mut session, p)?,
            None => None,
        };
        let merge_parent = match (merge, &parent, &parent_policy) {
            (_, Some(commit), Some(policy)) => evidence::MergeParent::Policy { commit, policy },
            (Some(m), _, _) => evidence::MergeParent::Missing(m),
            (None, _, _) => evidence::MergeParent::NotChecked,
        };
        let branch_file = row
            .added_blob
            .as_ref()
            .and_then(|b| g.contents.get(b))
            .map(Vec::as_slice);
        row.verify = Some(verify::reverify(&EvidenceCheck {
            path: &row.path,
            expected_pr: row.pr,
            evidence: &p,
            merge_on_branch,
            branch_file,
            head: head.as_ref(),
            base: base.as_deref(),
            history: &history,
            merge_parent,
        }));
    }
    Ok(())
}

/// What `gitgrant audit` found: the filtered rows (re-verified with `--verify`) and the
/// problems of the report.
pub struct Audit {
    pub report: Report,
    /// Set when the history was walked rather than read from the ledger's index, and why.
    pub notice: Option<String>,
    /// Rows whose re-verified decision is a finding (`--verify`).
    pub findings: usize,
    /// What the report was joined from, kept so that the caller decides when (whether) to
    /// free it: a 100,000-event ledger takes time to free piece by piece.
    read: Gathered,
}

impl Audit {
    /// Leaves the rows and what they were read from unfreed, for a process about to end.
    pub fn leak(self) {
        std::mem::forget(self.read);
        std::mem::forget(self.report);
    }
}

fn open_repository(repo: &Path) -> Result<Git, AuditError> {
    Git::open(repo).map_err(|source| AuditError::NotARepository {
        repo: repo.display().to_string(),
        source,
    })
}

pub fn run_audit(a: AuditArgs<'_>) -> Result<Audit, AuditError> {
    let git = open_repository(a.repo)?;
    let mut g = gather(&git, a.reference, true, a.verify, a.at)?;
    let mut report = Report {
        rows: a.filter.apply(std::mem::take(&mut g.report.rows)),
        problems: std::mem::take(&mut g.report.problems),
    };
    if a.verify {
        verify_rows(&git, &g, &mut report.rows)?;
    }
    let findings = match a.verify {
        true => report.rows.iter().filter(|r| verify::is_finding(r)).count(),
        false => 0,
    };
    Ok(Audit {
        report,
        notice: g.notice.clone(),
        findings,
        read: g,
    })
}

/// The status view of the requests at the tip of `reference`, as of `at`: from the same
/// history as `audit` (the ledger's index, else a walk), so that both say the same of every
/// request (one pushed straight to the branch is `blocked` in both).
pub fn run_status(repo: &Path, reference: &str, at: DateTime<Utc>) -> Result<status::View, AuditError> {
    let git = open_repository(repo)?;
    let g = gather(&git, reference, true, false, at)?;
    Ok(status::view(&g.report, at))
}
