//! The `audit` and `status` subcommands' flow: read the default branch's history (or tip),
//! the ledger and the branch's policy through the git adapter, join them with the pure
//! `audit` core, optionally re-verify decisions, filter, print; exit 0, 1 (verification
//! findings) or 2 (operational failure).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::ExitCode;
use std::rc::Rc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::adapters::git::history::{self, CatSession};
use crate::adapters::git::{Git, GitError};
use crate::core::audit::filter::Filter;
use crate::core::audit::{self, History, HistoryCommit, Input, Report, Row, Status, render, status, verify};
use crate::core::files::load::{self, PolicySet};
use crate::core::files::tree::{Entry, Tree};
use crate::core::gate::PathHistory;
use crate::core::gate::evidence::{self, EvidenceCheck, MergeEvidence};
use crate::core::ledger::{Kind, Ledger};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Table,
    Csv,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    Human,
    Json,
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

pub fn parse_status(s: &str) -> Result<Status, String> {
    Status::parse(s).ok_or_else(|| {
        format!(
            "unknown status `{s}`; statuses: {}",
            Status::ALL.map(Status::as_str).join(", ")
        )
    })
}

pub struct AuditArgs<'a> {
    pub repo: &'a Path,
    pub reference: &'a str,
    pub filter: Filter,
    pub format: AuditFormat,
    pub verify: bool,
    pub at: DateTime<Utc>,
}

/// What was read from git, for the join and for `--verify`.
struct Gathered {
    tip: String,
    report: Report,
    ledger: Ledger,
    history: Vec<HistoryCommit>,
    contents: HashMap<String, Vec<u8>>,
    on_branch: BTreeSet<String>,
}

fn gather(git: &Git, reference: &str, walk: bool, at: DateTime<Utc>) -> Result<Gathered, String> {
    let tip = git.rev_parse(reference).map_err(|e| {
        format!(
            "cannot resolve `{reference}` in `{}`: {e}; name the default branch with `--ref`",
            git.dir().display()
        )
    })?;
    // the history walk and the request files are git's work; read the ledger and the
    // policy meanwhile
    let (history, side) = std::thread::scope(|s| {
        let side = s.spawn(|| -> Result<(Ledger, bool, Option<PolicySet>), GitError> {
            let ledger = git.read_ledger()?;
            let found = git.ledger_tip().is_some();
            let tree = git.read_tree(&tip, &crate::app::pr::POLICY_PATHS)?;
            let mut diags = Vec::new();
            let set = load::policy_set(&tree, &mut diags);
            Ok((ledger, found, set.ok()))
        });
        let history = if walk {
            git.request_history(&tip).map(History::Log)
        } else {
            git.request_files(&tip).map(History::Tip)
        }
        .map_err(|e| format!("cannot read the history of `{reference}`: {e}"))
        .and_then(|history| {
            let blob_ids: Vec<String> = match &history {
                History::Log(c) => c
                    .iter()
                    .flat_map(|c| c.changes.iter().filter_map(|x| x.blob.clone()))
                    .collect(),
                History::Tip(f) => f.iter().map(|(_, b)| b.clone()).collect(),
            };
            let contents = history::blobs(git, blob_ids).map_err(|e| format!("cannot read request files: {e}"))?;
            Ok((history, contents))
        });
        (history, side.join())
    });
    let (history, contents) = history?;
    let (ledger, ledger_found, policy) = side
        .map_err(|_| "reading the ledger failed unexpectedly".to_string())?
        .map_err(|e| format!("cannot read the ledger: {e}"))?;
    // ledger merge commits that the walk did not see: on the branch, or rewritten away?
    let on_branch = match &history {
        History::Log(c) => {
            let seen: BTreeSet<&str> = c.iter().map(|c| c.commit.sha.as_str()).collect();
            let unknown: BTreeSet<String> = ledger
                .events
                .iter()
                .filter(|e| e.kind == Some(Kind::Merged))
                .filter_map(|e| e.merge_commit.clone())
                .filter(|m| !seen.contains(m.as_str()))
                .collect();
            git.ancestors_among(&tip, &unknown)
                .map_err(|e| format!("cannot list the commits of `{reference}`: {e}"))?
        }
        History::Tip(_) => BTreeSet::new(),
    };
    let mut report = audit::build(&Input {
        history: &history,
        contents: &contents,
        ledger: &ledger,
        on_branch: &on_branch,
        policy: policy.as_ref(),
        at,
    });
    if !ledger_found {
        report.problems.insert(
            0,
            format!(
                "no `{}` branch found (fetched from `origin`, or local): rows come from the history of `{reference}` alone",
                crate::core::ledger::BRANCH
            ),
        );
    }
    if policy.is_none() {
        report.problems.push(format!(
            "the policy files on `{reference}` do not load: account ids, approvals required and code owners are not shown"
        ));
    }
    Ok(Gathered {
        tip,
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

fn git_objects(e: GitError) -> String {
    format!("cannot read git objects for `--verify`: {e}")
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
    fn at(&mut self, session: &mut CatSession, base_sha: &str) -> Result<Option<Rc<load::BasePolicy>>, String> {
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

    fn load(&mut self, session: &mut CatSession, base_sha: &str) -> Result<Rc<load::BasePolicy>, String> {
        let mut key = Vec::new();
        for path in crate::app::pr::POLICY_PATHS {
            key.push(session.oid(&format!("{base_sha}:{path}")).map_err(git_objects)?);
        }
        if let Some(set) = self.by_blobs.get(&key) {
            return Ok(set.clone());
        }
        let mut tree = Tree::default();
        for (path, oid) in crate::app::pr::POLICY_PATHS.iter().zip(&key) {
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
fn head_tree(session: &mut CatSession, head_sha: &str, added: &[String]) -> Result<Option<Tree>, String> {
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
) -> Result<BTreeSet<String>, String> {
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
fn verify_rows(git: &Git, g: &Gathered, rows: &mut [Row]) -> Result<(), String> {
    let index = HistoryIndex::new(&g.history);
    let parsed: Vec<Option<Result<MergeEvidence, String>>> = rows
        .iter()
        .map(|r| {
            r.merge_event
                .and_then(|i| g.ledger.events.get(i))
                .and_then(|e| e.evidence.as_ref())
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
        }));
    }
    Ok(())
}

pub fn run_audit(a: AuditArgs<'_>) -> Result<ExitCode, String> {
    let git = Git::open(a.repo).map_err(|e| format!("`{}` is not a git repository: {e}", a.repo.display()))?;
    let mut g = gather(&git, a.reference, true, a.at)?;
    let mut report = Report {
        rows: a.filter.apply(std::mem::take(&mut g.report.rows)),
        problems: std::mem::take(&mut g.report.problems),
    };
    if a.verify {
        verify_rows(&git, &g, &mut report.rows)?;
    }
    let findings = report.rows.iter().filter(|r| verify::is_finding(r)).count();
    emit(&match a.format {
        AuditFormat::Table => render::table(&report, a.verify),
        AuditFormat::Csv => render::csv(&report, a.verify),
        AuditFormat::Json => render::json(&report) + "\n",
        AuditFormat::Markdown => render::markdown(&report, a.verify),
    })?;
    if matches!(a.format, AuditFormat::Table | AuditFormat::Csv) {
        note_problems(&report);
    }
    if a.verify {
        eprintln!(
            "gitgrant audit: {} row(s), {} verification finding(s)",
            report.rows.len(),
            findings
        );
    }
    // the process ends here: freeing a 100,000-event ledger piece by piece only costs time
    std::mem::forget(g);
    std::mem::forget(report);
    Ok(if findings > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes the output; a reader that stopped early (`| head`) is not a failure.
fn emit(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write the output: {e}")),
        _ => Ok(()),
    }
}

fn note_problems(report: &Report) {
    for p in &report.problems {
        eprintln!("gitgrant: note: {}", render::printable(p));
    }
    let with = report.rows.iter().filter(|r| !r.problems.is_empty()).count();
    if with > 0 {
        eprintln!("gitgrant: note: {with} row(s) have problems: see their `problems` column (csv, json)");
    }
}

pub fn run_status(repo: &Path, reference: &str, at: DateTime<Utc>, format: StatusFormat) -> Result<ExitCode, String> {
    let git = Git::open(repo).map_err(|e| format!("`{}` is not a git repository: {e}", repo.display()))?;
    let g = gather(&git, reference, false, at)?;
    let view = status::view(&g.report, at);
    emit(&match format {
        StatusFormat::Human => status::human(&view, reference),
        StatusFormat::Json => status::json(&view) + "\n",
    })?;
    Ok(ExitCode::SUCCESS)
}
