//! Git adapter: reads the files gitgrant needs at a commit into a `Tree`, blobs, ancestry,
//! and whether a path ever existed in a commit's history, in process through libgit2
//! (`git2`, DESIGN 11). The git CLI is kept for fetch and push (the credentials
//! `actions/checkout` configures), for writing commits, and for `changed_files` (git's own
//! rename detection decides what a pull request changes, as GitHub's list is cross-checked).

pub mod cat_file;
pub mod history;
pub mod index;
pub mod ledger_branch;
pub mod objects;
pub mod refs;
pub mod shallow;

pub use refs::CommitId;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

use git2::{ObjectType, Repository, RepositoryOpenFlags};

use crate::core::files::document::{MAX_POLICY_BYTES, MAX_REQUEST_BYTES};
use crate::core::files::tree::{Entry, Tree};
use crate::core::gate::PathHistory;
use crate::core::gate::changed::from_name_status;
use crate::core::gate::facts::FileChange;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git in `{dir}`: {source}")]
    Spawn { dir: String, source: std::io::Error },
    #[error("`git {args}` failed in `{dir}`: {stderr}")]
    Failed { dir: String, args: String, stderr: String },
    #[error(
        "commit `{0}` is not in the repository; fetch it first (for a pull request: `git fetch origin refs/pull/N/head`)"
    )]
    MissingCommit(String),
    #[error(
        "commits `{base}` and `{head}` have no merge base (unrelated histories, even after fetching the whole history of a shallow clone)"
    )]
    NoMergeBase { base: String, head: String },
    #[error("unexpected output from git: {0}")]
    Parse(String),
    #[error("`{0}` is not a branch name git can be given")]
    BadName(String),
    #[error("cannot resolve `{name}`: {why}; name the default branch exactly, e.g. `refs/remotes/origin/main`")]
    UnknownRef { name: String, why: String },
    #[error(
        "[ambiguous-ref] `{name}` names more than one ref: {}; pass the full ref of the default branch (e.g. `refs/remotes/origin/main`) or a commit id",
        refs.join(" and ")
    )]
    AmbiguousRef { name: String, refs: Vec<String> },
    #[error("the clone is shallow and its history could not be fetched, so it cannot answer")]
    Shallow,
    /// origin refused the push itself (a hook, a branch protection): retrying cannot help
    #[error(
        "origin refused the push to `{branch}` (tried once, not retried): {remote}; this run's events are NOT on origin"
    )]
    Refused { branch: String, remote: String },
}

pub struct Git {
    dir: PathBuf,
    repo: Mutex<Repository>,
}

/// A full object id (SHA-1 or SHA-256, hex): what may be passed to git as one.
fn is_object_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Git {
    /// Opens the repository at `dir` or above it (as `git -C dir` finds it); `GIT_DIR` and
    /// the like in the environment are ignored.
    pub fn open(dir: &Path) -> Result<Git, GitError> {
        let repo = open_repository(dir)?;
        Ok(Git {
            dir: dir.to_path_buf(),
            repo: Mutex::new(repo),
        })
    }

    /// The in-process repository (a poisoned lock still holds a usable handle).
    pub(crate) fn repo(&self) -> MutexGuard<'_, Repository> {
        self.repo.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens the repository again (after a fetch: new packs, a new shallow boundary).
    pub(crate) fn reopen(&self) -> Result<(), GitError> {
        let fresh = open_repository(&self.dir)?;
        *self.repo() = fresh;
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("git");
        c.arg("-C").arg(&self.dir).args(args);
        // never let the environment redirect or page git
        c.env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env("GIT_PAGER", "cat");
        c
    }

    fn run(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let out = self.command(args).output().map_err(|source| GitError::Spawn {
            dir: self.dir.display().to_string(),
            source,
        })?;
        if !out.status.success() {
            return Err(GitError::Failed {
                dir: self.dir.display().to_string(),
                args: args.join(" "),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(out.stdout)
    }

    pub fn has_commit(&self, sha: &str) -> bool {
        objects::commit(&self.repo(), sha).is_some()
    }

    pub fn is_shallow(&self) -> Result<bool, GitError> {
        Ok(self.repo().is_shallow())
    }

    /// Reads the entries at `commit` under the given paths (files or folders, matched
    /// literally as `git ls-tree` does) into a tree. Symbolic links and oversized files are
    /// recorded without reading them; submodules are left out.
    pub fn read_tree(&self, commit: &str, paths: &[&str]) -> Result<Tree, GitError> {
        let repo = self.repo();
        let c = objects::commit(&repo, commit).ok_or_else(|| GitError::MissingCommit(commit.to_string()))?;
        let mut tree = Tree::default();
        if paths.is_empty() {
            return Ok(tree);
        }
        let root = c.tree().map_err(objects::error)?;
        let odb = repo.odb().map_err(objects::error)?;
        let mut add = |item: objects::Item| -> Result<(), GitError> {
            if item.kind != Some(ObjectType::Blob) {
                return Ok(());
            }
            if item.mode == 0o120000 {
                tree.insert(item.path, Entry::Symlink);
                return Ok(());
            }
            let missing = || {
                GitError::Parse(format!(
                    "blob {} of `{}` is missing from the repository",
                    item.id,
                    item.path.escape_debug()
                ))
            };
            let (size, _) = odb.read_header(item.id).map_err(|_| missing())?;
            let limit = if item.path.starts_with("requests/") {
                MAX_REQUEST_BYTES
            } else {
                MAX_POLICY_BYTES
            };
            if size > limit {
                tree.insert(item.path, Entry::Large(size as u64));
                return Ok(());
            }
            let blob = repo.find_blob(item.id).map_err(|_| missing())?;
            tree.insert(item.path, Entry::File(blob.content().to_vec()));
            Ok(())
        };
        for p in paths {
            let p = p.trim_end_matches('/');
            let Some((id, mode)) = objects::slot(&root, p) else {
                continue;
            };
            match repo.find_object(id, None).map(|o| o.kind()) {
                Ok(Some(ObjectType::Tree)) => {
                    let sub = repo.find_tree(id).map_err(objects::error)?;
                    objects::walk(&repo, sub, p, &mut add)?;
                }
                Ok(kind) => add(objects::Item {
                    path: p.to_string(),
                    id,
                    mode,
                    kind,
                })?,
                // a gitlink names a commit of another repository: not an entry to read
                Err(_) if mode == 0o160000 => {}
                Err(e) => return Err(objects::error(e)),
            }
        }
        Ok(tree)
    }

    /// The files a pull request changes, as GitHub lists them: the diff from the merge base
    /// of `base` and `head` to `head` (`git diff --name-status -M base...head`). A missing
    /// commit is fetched by id, else [`GitError::MissingCommit`]; a shallow clone is deepened
    /// until the merge base is in it; no merge base at all (unrelated histories) is
    /// [`GitError::NoMergeBase`].
    pub fn changed_files(&self, base: &str, head: &str) -> Result<Vec<FileChange>, GitError> {
        for c in [base, head] {
            if !self.ensure_commit(c) {
                return Err(GitError::MissingCommit(c.to_string()));
            }
        }
        self.deepen_until(&[base, head], &|g| g.merge_base(base, head).is_some())?;
        let merge_base = self.merge_base(base, head).ok_or_else(|| GitError::NoMergeBase {
            base: base.to_string(),
            head: head.to_string(),
        })?;
        let out = self.run(&[
            "diff",
            "--name-status",
            "-z",
            "-M",
            "--no-ext-diff",
            "--no-textconv",
            &merge_base,
            head,
            "--",
        ])?;
        parse_name_status(&out)
    }

    /// The merge base of two commits in the history the clone has (`git merge-base`).
    fn merge_base(&self, a: &str, b: &str) -> Option<String> {
        let out = self.run(&["merge-base", a, b]).ok()?;
        let id = String::from_utf8_lossy(&out).trim().to_string();
        (!id.is_empty()).then_some(id)
    }

    /// Whether `ancestor` is `commit` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: &str, commit: &str) -> bool {
        let repo = self.repo();
        let (Some(a), Some(c)) = (objects::commit(&repo, ancestor), objects::commit(&repo, commit)) else {
            return false;
        };
        a.id() == c.id() || repo.graph_descendant_of(c.id(), a.id()).unwrap_or(false)
    }

    /// Whether `sha` names a commit in the repository (a shallow clone may lack it).
    pub fn commit_exists(&self, sha: &str) -> bool {
        self.has_commit(sha)
    }

    /// The bytes of `path` at `commit`, if it is a file there.
    pub fn blob_at(&self, commit: &str, path: &str) -> Option<Vec<u8>> {
        let repo = self.repo();
        let tree = objects::object(&repo, commit)?.peel_to_tree().ok()?;
        let (id, _) = objects::slot(&tree, path)?;
        Some(repo.find_blob(id).ok()?.content().to_vec())
    }

    /// The object id of `path` at `commit`, if it is there.
    pub fn blob_id(&self, commit: &str, path: &str) -> Option<String> {
        let repo = self.repo();
        let tree = objects::object(&repo, commit)?.peel_to_tree().ok()?;
        objects::slot(&tree, path).map(|(id, _)| id.to_string())
    }

    /// The contents of a blob by its object id, if the repository has it.
    pub fn blob(&self, id: &str) -> Option<Vec<u8>> {
        if !is_object_id(id) {
            return None;
        }
        let repo = self.repo();
        let oid = git2::Oid::from_str(id).ok()?;
        Some(repo.find_blob(oid).ok()?.content().to_vec())
    }

    /// The first parent of `commit` (the default branch before a merge), if it is present.
    pub fn first_parent(&self, commit: &str) -> Option<String> {
        if !is_object_id(commit) {
            return None;
        }
        let repo = self.repo();
        let parent = objects::commit(&repo, commit)?.parent(0).ok()?;
        Some(parent.id().to_string())
    }

    /// The branch a symbolic ref (`HEAD`, `refs/remotes/origin/HEAD`) points at, short
    /// (`main`, `origin/main`); `None` for a detached or missing ref.
    pub fn symbolic_branch(&self, name: &str) -> Option<String> {
        let out = self.run(&["symbolic-ref", "-q", "--short", name]).ok()?;
        let b = String::from_utf8_lossy(&out).trim().to_string();
        (!b.is_empty()).then_some(b)
    }

    /// Fetches a pull request's head (`refs/pull/N/head`) from `origin` when its commit is
    /// missing, as after a squash or rebase merge in a fresh clone. Whether it is there now.
    pub fn ensure_pull_head(&self, number: u64, head_sha: &str) -> bool {
        if self.commit_exists(head_sha) {
            return true;
        }
        // in a shallow clone the head alone: without a depth, its whole history would come
        let depth: &[&str] = match self.is_shallow() {
            Ok(false) => &[],
            _ => &["--depth=1"],
        };
        let refspec = format!("refs/pull/{number}/head");
        let mut args = vec!["fetch", "-q", "--no-tags", "--no-write-fetch-head"];
        args.extend_from_slice(depth);
        args.extend(["origin", refspec.as_str()]);
        let _ = self.run(&args);
        let _ = self.reopen();
        self.commit_exists(head_sha)
    }

    /// The latest commit reachable from `commit` that deleted the file `path`, if any (a
    /// path once deleted is never granted again): `git log -1 --diff-filter=D <commit> --
    /// <path>` for a file path, in process (a folder counts only when it goes as a whole). A shallow clone cannot tell: an error (fail closed).
    pub fn deleted_in(&self, commit: &str, path: &str) -> Result<Option<String>, GitError> {
        if self.is_shallow()? {
            return Err(GitError::Shallow);
        }
        let repo = self.repo();
        let tip = objects::commit(&repo, commit).ok_or_else(|| GitError::MissingCommit(commit.to_string()))?;
        let mut found = None;
        objects::simplified_log(&repo, &tip, path, &mut |c, mine, theirs| {
            // git log shows no diff for a merge, so `--diff-filter` never picks one
            if theirs.len() == 1 && mine.is_none() && theirs[0].is_some() {
                found = Some(c.id().to_string());
                return false;
            }
            true
        })?;
        Ok(found)
    }

    /// Whether `path` existed in `commit` or any of its ancestors (the newest commit that
    /// changed it, as `git log -1 <commit> -- <path>` finds it). Needs full history: a
    /// shallow clone answers `Unknown` (fail closed).
    pub fn path_history(&self, commit: &str, path: &str) -> PathHistory {
        match self.is_shallow() {
            Ok(false) => {}
            Ok(true) => {
                return PathHistory::Unknown(GitError::Shallow.to_string());
            }
            Err(e) => return PathHistory::Unknown(e.to_string()),
        }
        let repo = self.repo();
        let Some(tip) = objects::commit(&repo, commit) else {
            return PathHistory::Unknown(GitError::MissingCommit(commit.to_string()).to_string());
        };
        let mut found = None;
        let walked = objects::simplified_log(&repo, &tip, path, &mut |c, _, _| {
            found = Some(c.id().to_string());
            false
        });
        match (walked, found) {
            (Err(e), _) => PathHistory::Unknown(e.to_string()),
            (Ok(()), Some(sha)) => PathHistory::Existed(sha),
            (Ok(()), None) => PathHistory::Never,
        }
    }
}

/// Opens a repository as `git -C dir` would find it, ignoring `GIT_DIR` and the like.
fn open_repository(dir: &Path) -> Result<Repository, GitError> {
    // libgit2 re-hashes every object it reads (`strict_hash_verification`); git does not,
    // and the objects came in through `git fetch`, whose index-pack names each object by
    // the hash of its content. Re-hashing 20,000 request blobs was 7% of a reconcile run.
    static NO_REHASH: std::sync::Once = std::sync::Once::new();
    NO_REHASH.call_once(|| git2::opts::strict_hash_verification(false));
    Repository::open_ext(
        dir,
        RepositoryOpenFlags::empty(),
        std::iter::empty::<&std::ffi::OsStr>(),
    )
    .map_err(|e| GitError::Failed {
        dir: dir.display().to_string(),
        args: "rev-parse --git-dir".into(),
        stderr: format!("not a git repository (or cannot be opened): {}", e.message()),
    })
}

/// `git diff --name-status -z` records: a status, then one path (two for renames and copies).
fn parse_name_status(out: &[u8]) -> Result<Vec<FileChange>, GitError> {
    let mut fields = out
        .split(|b| *b == 0)
        .filter(|f| !f.is_empty())
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let mut files = Vec::new();
    while let Some(status) = fields.next() {
        let missing = || GitError::Parse(format!("diff status `{status}` without its path"));
        let first = fields.next().ok_or_else(missing)?;
        if status.starts_with(['R', 'C']) {
            let second = fields.next().ok_or_else(missing)?;
            files.push(from_name_status(&status, &second, Some(&first)));
        } else {
            files.push(from_name_status(&status, &first, None));
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_status_records_parse_with_renames_and_odd_names() {
        let out = b"A\0requests/a b.toml\0R092\0old\0new\nline\0D\0gone\0";
        let files = parse_name_status(out).unwrap();
        let got: Vec<(&str, &str, Option<&str>)> = files
            .iter()
            .map(|f| (f.status.as_str(), f.filename.as_str(), f.previous_filename.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("added", "requests/a b.toml", None),
                ("renamed", "new\nline", Some("old")),
                ("removed", "gone", None)
            ]
        );
        assert!(parse_name_status(b"R100\0only-one\0").is_err());
    }
}
