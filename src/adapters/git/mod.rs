//! Git adapter (the git CLI): reads the files gitgrant needs at a commit into a `Tree`,
//! and answers whether a path ever existed in a commit's history. The CLI is used rather
//! than libgit2 because it reads commit-graph changed-path filters (DESIGN 4, Scale).

pub mod cat_file;
pub mod history;
pub mod index;
pub mod ledger_branch;
pub mod refs;

pub use refs::CommitId;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
        "commits `{base}` and `{head}` have no merge base in the repository (a shallow clone? check out with `fetch-depth: 0`)"
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
    #[error("the clone is shallow, so its history cannot answer; check out with `fetch-depth: 0`")]
    Shallow,
}

pub struct Git {
    dir: PathBuf,
}

/// A full object id (SHA-1 or SHA-256, hex): what may be passed to git as one.
fn is_object_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Git {
    pub fn open(dir: &Path) -> Result<Git, GitError> {
        let git = Git { dir: dir.to_path_buf() };
        git.run(&["rev-parse", "--git-dir"])?;
        Ok(git)
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
        self.run(&["cat-file", "-e", &format!("{sha}^{{commit}}")]).is_ok()
    }

    pub fn is_shallow(&self) -> Result<bool, GitError> {
        Ok(String::from_utf8_lossy(&self.run(&["rev-parse", "--is-shallow-repository"])?).trim() == "true")
    }

    /// Reads the entries at `commit` under the given paths (files or folders) into a tree.
    /// Symbolic links and oversized files are recorded without reading them.
    pub fn read_tree(&self, commit: &str, paths: &[&str]) -> Result<Tree, GitError> {
        if !self.has_commit(commit) {
            return Err(GitError::MissingCommit(commit.to_string()));
        }
        let mut tree = Tree::default();
        if paths.is_empty() {
            return Ok(tree);
        }
        let mut args = vec!["ls-tree", "-r", "-z", "--long", "--full-tree", commit, "--"];
        args.extend(paths);
        let listing = self.run(&args)?;
        let mut blobs: Vec<(String, String)> = Vec::new();
        for record in listing.split(|b| *b == 0).filter(|r| !r.is_empty()) {
            let record = String::from_utf8_lossy(record);
            let (meta, path) = record
                .split_once('\t')
                .ok_or_else(|| GitError::Parse(record.to_string()))?;
            let fields: Vec<&str> = meta.split_whitespace().collect();
            let [mode, kind, oid, size] = fields[..] else {
                return Err(GitError::Parse(record.to_string()));
            };
            if kind != "blob" {
                continue;
            }
            if mode == "120000" {
                tree.insert(path, Entry::Symlink);
                continue;
            }
            let size: u64 = size.parse().map_err(|_| GitError::Parse(record.to_string()))?;
            let limit = if path.starts_with("requests/") {
                MAX_REQUEST_BYTES
            } else {
                MAX_POLICY_BYTES
            };
            if size > limit as u64 {
                tree.insert(path, Entry::Large(size));
                continue;
            }
            blobs.push((oid.to_string(), path.to_string()));
        }
        for (path, bytes) in self.read_blobs(&blobs)? {
            tree.insert(path, Entry::File(bytes));
        }
        Ok(tree)
    }

    /// Reads blobs through one `git cat-file --batch`.
    fn read_blobs(&self, blobs: &[(String, String)]) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        if blobs.is_empty() {
            return Ok(Vec::new());
        }
        let mut child = self
            .command(&["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| GitError::Spawn {
                dir: self.dir.display().to_string(),
                source,
            })?;
        let mut stdin = child.stdin.take().ok_or_else(|| GitError::Parse("no stdin".into()))?;
        let input: String = blobs.iter().map(|(oid, _)| format!("{oid}\n")).collect();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let mut out = Vec::new();
        child
            .stdout
            .take()
            .ok_or_else(|| GitError::Parse("no stdout".into()))?
            .read_to_end(&mut out)
            .map_err(|e| GitError::Parse(e.to_string()))?;
        let _ = writer.join();
        let _ = child.wait();
        let names: Vec<String> = blobs.iter().map(|(oid, _)| oid.clone()).collect();
        let contents = cat_file::parse_batch_all(&out, &names)?;
        Ok(blobs.iter().map(|(_, path)| path.clone()).zip(contents).collect())
    }

    /// The files a pull request changes, as GitHub lists them: the diff from the merge base
    /// of `base` and `head` to `head` (`git diff --name-status -M base...head`). A missing
    /// commit is [`GitError::MissingCommit`]; no merge base (a shallow clone, unrelated
    /// histories) is [`GitError::NoMergeBase`].
    pub fn changed_files(&self, base: &str, head: &str) -> Result<Vec<FileChange>, GitError> {
        for c in [base, head] {
            if !self.has_commit(c) {
                return Err(GitError::MissingCommit(c.to_string()));
            }
        }
        let no_merge_base = || GitError::NoMergeBase {
            base: base.to_string(),
            head: head.to_string(),
        };
        let merge_base = String::from_utf8_lossy(&self.run(&["merge-base", base, head]).map_err(|_| no_merge_base())?)
            .trim()
            .to_string();
        if merge_base.is_empty() {
            return Err(no_merge_base());
        }
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

    /// Whether `ancestor` is `commit` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: &str, commit: &str) -> bool {
        self.command(&["merge-base", "--is-ancestor", ancestor, commit])
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// Whether `sha` names a commit in the repository (a shallow clone may lack it).
    pub fn commit_exists(&self, sha: &str) -> bool {
        self.command(&["cat-file", "-e", &format!("{sha}^{{commit}}")])
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// The bytes of `path` at `commit`, if it is a file there.
    pub fn blob_at(&self, commit: &str, path: &str) -> Option<Vec<u8>> {
        self.run(&["cat-file", "blob", &format!("{commit}:{path}")]).ok()
    }

    /// The object id of `path` at `commit`, if it is there.
    pub fn blob_id(&self, commit: &str, path: &str) -> Option<String> {
        let out = self
            .run(&["rev-parse", "--verify", "-q", &format!("{commit}:{path}")])
            .ok()?;
        let id = String::from_utf8_lossy(&out).trim().to_string();
        (!id.is_empty()).then_some(id)
    }

    /// The contents of a blob by its object id, if the repository has it.
    pub fn blob(&self, id: &str) -> Option<Vec<u8>> {
        if !is_object_id(id) {
            return None;
        }
        self.run(&["cat-file", "blob", id]).ok()
    }

    /// The first parent of `commit` (the default branch before a merge), if it is present.
    pub fn first_parent(&self, commit: &str) -> Option<String> {
        if !is_object_id(commit) {
            return None;
        }
        let out = self.run(&["rev-parse", "--verify", "-q", &format!("{commit}^1^{{commit}}")]).ok()?;
        let id = String::from_utf8_lossy(&out).trim().to_string();
        (!id.is_empty()).then_some(id)
    }

    /// The branch a symbolic ref (`HEAD`, `refs/remotes/origin/HEAD`) points at, short
    /// (`main`, `origin/main`); `None` for a detached or missing ref.
    pub fn symbolic_branch(&self, name: &str) -> Option<String> {
        let out = self.run(&["symbolic-ref", "-q", "--short", name]).ok()?;
        let b = String::from_utf8_lossy(&out).trim().to_string();
        (!b.is_empty()).then_some(b)
    }

    /// Fetches a commit by id from `origin` when it is missing (a merge commit the checkout
    /// does not have yet). Whether it is there now.
    pub fn ensure_commit(&self, sha: &str) -> bool {
        if !is_object_id(sha) {
            return false;
        }
        if self.commit_exists(sha) {
            return true;
        }
        let _ = self.run(&["fetch", "-q", "--no-tags", "origin", sha]);
        self.commit_exists(sha)
    }

    /// Fetches a pull request's head (`refs/pull/N/head`) from `origin` when its commit is
    /// missing, as after a squash or rebase merge in a fresh clone. Whether it is there now.
    pub fn ensure_pull_head(&self, number: u64, head_sha: &str) -> bool {
        if self.commit_exists(head_sha) {
            return true;
        }
        let _ = self.run(&[
            "fetch",
            "-q",
            "--no-tags",
            "origin",
            &format!("refs/pull/{number}/head"),
        ]);
        self.commit_exists(head_sha)
    }

    /// The latest commit reachable from `commit` that deleted `path`, if any (a path once
    /// deleted is never granted again). A shallow clone cannot tell: an error (fail closed).
    pub fn deleted_in(&self, commit: &str, path: &str) -> Result<Option<String>, GitError> {
        if self.is_shallow()? {
            return Err(GitError::Shallow);
        }
        let out = self.run(&["log", "-1", "--diff-filter=D", "--format=%H", commit, "--", path])?;
        let sha = String::from_utf8_lossy(&out).trim().to_string();
        Ok((!sha.is_empty()).then_some(sha))
    }

    /// Whether `path` existed in `commit` or any of its ancestors. Needs full history: a
    /// shallow clone answers `Unknown` (fail closed). Fast with commit-graph changed-path
    /// filters (`git commit-graph write --reachable --changed-paths`).
    pub fn path_history(&self, commit: &str, path: &str) -> PathHistory {
        match self.is_shallow() {
            Ok(false) => {}
            Ok(true) => {
                return PathHistory::Unknown("the clone is shallow; check out with `fetch-depth: 0`".into());
            }
            Err(e) => return PathHistory::Unknown(e.to_string()),
        }
        match self.run(&["log", "-1", "--format=%H", commit, "--", path]) {
            Ok(out) => {
                let sha = String::from_utf8_lossy(&out).trim().to_string();
                if sha.is_empty() {
                    PathHistory::Never
                } else {
                    PathHistory::Existed(sha)
                }
            }
            Err(e) => PathHistory::Unknown(e.to_string()),
        }
    }
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
