//! Git reading for `gitgrant audit` and `status`, in process through libgit2: the
//! first-parent history of `requests/` in one walk (in `git log --raw -z` form, which is
//! also the form of its cache), blob contents, the files at a branch tip, which commits are
//! on the branch, and a session for `--verify`'s look-ups at many commits.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use chrono::{DateTime, Utc};
use git2::Repository;

use crate::adapters::git::objects::{self, error};
use crate::adapters::git::{Git, GitError};
use crate::core::audit::{ChangeKind, Commit, HistoryCommit, PathChange};

const RECORD: u8 = 0x1e;
/// Where the history walk is kept, under the git directory.
const CACHE: &str = "gitgrant/audit-history";
const CACHE_HEADER: &str = "gitgrant audit history v1 ";

/// Writes the walk's output atomically; a cache that cannot be written is no error.
fn write_cache(path: &std::path::Path, tip: &str, raw: &[u8]) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(mut f) = tempfile::NamedTempFile::new_in(dir) else {
        return;
    };
    if f.write_all(format!("{CACHE_HEADER}{tip}\n").as_bytes()).is_ok() && f.write_all(raw).is_ok() {
        let _ = f.persist(path);
    }
}

/// Reads a NUL-terminated field at `pos`, moving past its terminator.
fn field<'b>(buf: &'b [u8], pos: &mut usize) -> Option<&'b [u8]> {
    let rest = buf.get(*pos..)?;
    let end = rest.iter().position(|b| *b == 0)?;
    *pos += end + 1;
    Some(&rest[..end])
}

/// Parses `git log --format=%x1e%H%x00%ct%x00%an%x00%s --raw -z` output (newest first).
pub fn parse_log(out: &[u8]) -> Result<Vec<HistoryCommit>, GitError> {
    let bad = |what: &str, pos: usize| GitError::Parse(format!("`git log` output: {what} at byte {pos}"));
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut commits = Vec::new();
    let mut pos = 0;
    while pos < out.len() {
        match out[pos] {
            b'\n' | 0 => {
                pos += 1;
                continue;
            }
            RECORD => pos += 1,
            _ => return Err(bad("expected a commit record", pos)),
        }
        let sha = field(out, &mut pos).ok_or_else(|| bad("truncated commit", pos))?;
        let ct = field(out, &mut pos).ok_or_else(|| bad("truncated commit", pos))?;
        let author = field(out, &mut pos).ok_or_else(|| bad("truncated commit", pos))?;
        let subject = field(out, &mut pos).ok_or_else(|| bad("truncated commit", pos))?;
        let secs: i64 = text(ct).trim().parse().map_err(|_| bad("bad commit time", pos))?;
        let time = DateTime::<Utc>::from_timestamp(secs, 0).ok_or_else(|| bad("bad commit time", pos))?;
        let mut changes = Vec::new();
        loop {
            while out.get(pos) == Some(&b'\n') {
                pos += 1;
            }
            if out.get(pos) != Some(&b':') {
                break;
            }
            let meta = text(field(out, &mut pos).ok_or_else(|| bad("truncated change", pos))?);
            let path = text(field(out, &mut pos).ok_or_else(|| bad("truncated change", pos))?);
            let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
            let [_, _, _, new, status] = parts[..] else {
                return Err(bad("unexpected change line", pos));
            };
            let kind = match status.chars().next() {
                Some('A') => ChangeKind::Added,
                Some('D') => ChangeKind::Removed,
                _ => ChangeKind::Modified,
            };
            changes.push(PathChange {
                path,
                kind,
                blob: (kind != ChangeKind::Removed).then(|| new.to_string()),
            });
        }
        commits.push(HistoryCommit {
            commit: Commit {
                sha: text(sha),
                time,
                author: text(author),
                subject: text(subject),
            },
            changes,
        });
    }
    Ok(commits)
}

/// `git log --first-parent --diff-merges=first-parent --root --raw --no-renames -z
/// --format=%x1e%H%x00%ct%x00%an%x00%s <tip> [^stop] -- requests/`, in process: each
/// first-parent commit that changed `requests/` against its first parent, newest first.
fn log_raw(repo: &Repository, tip: &str, stop: Option<&str>) -> Result<Vec<u8>, GitError> {
    let tip = objects::commit(repo, tip).ok_or_else(|| GitError::MissingCommit(tip.to_string()))?;
    let stop = stop.and_then(|s| git2::Oid::from_str(s).ok());
    let requests = |c: &git2::Commit<'_>| -> Result<Option<git2::Tree<'_>>, GitError> {
        let tree = c.tree().map_err(error)?;
        let Some(entry) = tree
            .get_name("requests")
            .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
        else {
            return Ok(None);
        };
        repo.find_tree(entry.id()).map(Some).map_err(error)
    };
    let mut out = Vec::new();
    let mut chain = objects::first_parent_chain(tip, stop).into_iter().peekable();
    // the parent's `requests/` tree is the next commit's: read once, kept for the next step
    let mut new = match chain.peek() {
        Some(c) => requests(c)?,
        None => None,
    };
    while let Some(c) = chain.next() {
        let old = match c.parent(0) {
            Ok(p) => requests(&p)?,
            Err(_) => None,
        };
        let this = std::mem::replace(&mut new, old.clone());
        if chain.peek().is_some_and(|n| Some(n.id()) != c.parent_id(0).ok()) {
            new = match chain.peek() {
                Some(n) => requests(n)?,
                None => None,
            };
        }
        if this.as_ref().map(git2::Tree::id) == old.as_ref().map(git2::Tree::id) {
            continue;
        }
        let changes = objects::diff(repo, "requests", old, this)?;
        if changes.is_empty() {
            continue;
        }
        out.push(RECORD);
        out.extend_from_slice(c.id().to_string().as_bytes());
        out.push(0);
        out.extend_from_slice(c.time().seconds().to_string().as_bytes());
        out.push(0);
        out.extend(c.author().name_bytes().iter().filter(|b| **b != 0));
        out.push(0);
        out.extend(c.summary_bytes().unwrap_or_default().iter().filter(|b| **b != 0));
        out.extend_from_slice(b"\0\n");
        out.extend_from_slice(&changes);
    }
    Ok(out)
}

impl Git {
    /// Whether `old` is on the first-parent chain of `tip`.
    pub(crate) fn first_parent_chain_has(&self, tip: &str, old: &str) -> Result<bool, GitError> {
        let repo = self.repo();
        let tip = objects::commit(&repo, tip).ok_or_else(|| GitError::MissingCommit(tip.to_string()))?;
        Ok(objects::first_parent_chain(tip, None)
            .iter()
            .any(|c| c.id().to_string() == old))
    }

    /// The first-parent commit of `tip` that last changed `path` (compared with its first
    /// parent): for a file present at `tip`, the commit that introduced its current
    /// content. `None` when no first-parent commit touched it.
    pub fn introducing_commit(&self, tip: &str, path: &str) -> Result<Option<String>, GitError> {
        let repo = self.repo();
        let tip = objects::commit(&repo, tip).ok_or_else(|| GitError::MissingCommit(tip.to_string()))?;
        let mut chain = objects::first_parent_chain(tip, None).into_iter().peekable();
        while let Some(c) = chain.next() {
            let mine = objects::slot(&c.tree().map_err(error)?, path);
            let parent = match chain.peek() {
                Some(p) => objects::slot(&p.tree().map_err(error)?, path),
                None => None,
            };
            if mine != parent {
                return Ok(Some(c.id().to_string()));
            }
        }
        Ok(None)
    }

    /// The raw walk of `requests/` along `tip`'s first-parent chain, newest first, stopping
    /// before `stop` (`stop..tip`) or from the root.
    pub(crate) fn requests_log(&self, tip: &str, stop: Option<&str>) -> Result<Vec<u8>, GitError> {
        log_raw(&self.repo(), tip, stop)
    }

    fn cache_path(&self) -> Option<std::path::PathBuf> {
        Some(self.repo().path().join(CACHE))
    }

    /// Every first-parent commit of `tip` that touched `requests/`, oldest first, with the
    /// paths it added, removed or modified (merges against their first parent). One walk
    /// of the history, kept in `.git/gitgrant/` so that the next run walks only the
    /// commits added since, as long as the old tip is still on the first-parent chain
    /// (after a force-push the whole history is walked again).
    pub fn request_history(&self, tip: &str) -> Result<Vec<HistoryCommit>, GitError> {
        let cache = self.cache_path();
        let cached = cache.as_deref().and_then(|p| std::fs::read(p).ok()).and_then(|bytes| {
            let nl = bytes.iter().position(|b| *b == b'\n')?;
            let header = std::str::from_utf8(&bytes[..nl]).ok()?;
            let old_tip = header.strip_prefix(CACHE_HEADER)?.to_string();
            Some((old_tip, bytes[nl + 1..].to_vec()))
        });
        let walk = |stop: Option<&str>| log_raw(&self.repo(), tip, stop);
        let from_cache = |old_tip: &str, raw: Vec<u8>| -> Result<Option<Vec<u8>>, GitError> {
            if old_tip == tip {
                return Ok(Some(raw));
            }
            if !self.first_parent_chain_has(tip, old_tip)? {
                return Ok(None);
            }
            let mut out = walk(Some(old_tip))?;
            out.extend_from_slice(&raw);
            Ok(Some(out))
        };
        let (raw, fresh) = match cached {
            Some((old_tip, raw)) => match from_cache(&old_tip, raw)? {
                Some(r) => (r, false),
                None => (walk(None)?, true),
            },
            None => (walk(None)?, true),
        };
        let mut commits = match parse_log(&raw) {
            Ok(c) => c,
            // a damaged cache: walk again
            Err(_) if !fresh => parse_log(&walk(None)?)?,
            Err(e) => return Err(e),
        };
        if let Some(p) = cache {
            write_cache(&p, tip, &raw);
        }
        commits.reverse();
        Ok(commits)
    }

    /// The headers of commits (committer time, author name, subject), in the history walk's
    /// form; a commit that is missing is an error.
    pub fn commit_headers(&self, shas: &[&str]) -> Result<Vec<Commit>, GitError> {
        let repo = self.repo();
        let clean = |b: &[u8]| {
            String::from_utf8_lossy(&b.iter().copied().filter(|b| *b != 0).collect::<Vec<u8>>()).into_owned()
        };
        shas.iter()
            .map(|sha| {
                let c = git2::Oid::from_str(sha)
                    .ok()
                    .and_then(|id| repo.find_commit(id).ok())
                    .ok_or_else(|| GitError::MissingCommit(sha.to_string()))?;
                let time = DateTime::<Utc>::from_timestamp(c.time().seconds(), 0)
                    .ok_or_else(|| GitError::Parse(format!("commit {sha}: bad commit time")))?;
                Ok(Commit {
                    sha: sha.to_string(),
                    time,
                    author: clean(c.author().name_bytes()),
                    subject: clean(c.summary_bytes().unwrap_or_default()),
                })
            })
            .collect()
    }

    /// The contents of objects (blob ids or `rev:path`), as `git cat-file --batch` gives
    /// them; `None` for a missing object.
    pub fn cat_many(&self, names: &[String]) -> Result<Vec<Option<Vec<u8>>>, GitError> {
        let repo = self.repo();
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            if n.contains('\n') {
                return Err(GitError::Parse(format!(
                    "object name `{}` holds a line break",
                    n.escape_debug()
                )));
            }
            out.push(match objects::object(&repo, n) {
                Some(obj) => Some(objects::contents(&repo, &obj)?),
                None => None,
            });
        }
        Ok(out)
    }

    /// The request files at `rev`'s tip, as (path, blob id), in `git ls-tree -r` order.
    pub fn request_files(&self, rev: &str) -> Result<Vec<(String, String)>, GitError> {
        let repo = self.repo();
        let c = objects::commit(&repo, rev).ok_or_else(|| GitError::MissingCommit(rev.to_string()))?;
        let root = c.tree().map_err(error)?;
        let mut files = Vec::new();
        let Some((id, mode)) = objects::slot(&root, "requests") else {
            return Ok(files);
        };
        let mut add = |item: objects::Item| {
            if item.kind == Some(git2::ObjectType::Blob) {
                files.push((item.path, item.id.to_string()));
            }
            Ok(())
        };
        if mode == 0o040000 {
            let tree = repo.find_tree(id).map_err(error)?;
            objects::walk(&repo, tree, "requests", &mut add)?;
        }
        Ok(files)
    }

    /// Which of `shas` are `rev` or its ancestors (one walk).
    pub fn ancestors_among(&self, rev: &str, shas: &BTreeSet<String>) -> Result<BTreeSet<String>, GitError> {
        if shas.is_empty() {
            return Ok(BTreeSet::new());
        }
        let repo = self.repo();
        let tip = objects::commit(&repo, rev).ok_or_else(|| GitError::MissingCommit(rev.to_string()))?;
        let mut walk = repo.revwalk().map_err(error)?;
        walk.push(tip.id()).map_err(error)?;
        let mut found = BTreeSet::new();
        for id in walk {
            let id = id.map_err(error)?.to_string();
            if shas.contains(&id) {
                found.insert(id);
            }
        }
        Ok(found)
    }

    /// A session for many look-ups by object name (`rev:path`, `sha^{commit}`).
    pub fn cat_session(&self) -> Result<CatSession, GitError> {
        Ok(CatSession {
            repo: super::open_repository(self.dir())?,
        })
    }
}

pub struct CatSession {
    repo: Repository,
}

impl CatSession {
    /// The object id `name` (`rev:path`, `sha^{commit}`) names, if it exists.
    pub fn oid(&mut self, name: &str) -> Result<Option<String>, GitError> {
        Ok(objects::object(&self.repo, name).map(|o| o.id().to_string()))
    }

    /// The contents of an object, if it exists.
    pub fn contents(&mut self, name: &str) -> Result<Option<Vec<u8>>, GitError> {
        match objects::object(&self.repo, name) {
            Some(obj) => objects::contents(&self.repo, &obj).map(Some),
            None => Ok(None),
        }
    }
}

/// Blob contents by id, for the blobs a history or tip names.
pub fn blobs(git: &Git, ids: impl IntoIterator<Item = String>) -> Result<HashMap<String, Vec<u8>>, GitError> {
    let unique: Vec<String> = ids.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
    let got = git.cat_many(&unique)?;
    Ok(unique
        .into_iter()
        .zip(got)
        .filter_map(|(id, b)| Some((id, b?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_records_parse_with_merges_deletions_and_odd_subjects() {
        let out = b"\x1eaaa\x001795316297\x00Alice\x00Revert (#3)\x00\n:100644 000000 f1 0000 D\x00requests/b/P/two.toml\x00\x1ebbb\x001795316290\x00web-flow\x00Merge pull request #1 from a/b\x00\n:000000 100644 0000 f2 A\x00requests/a/P/one.toml\x00:100644 100644 f3 f4 M\x00requests/a/P/x.toml\x00\x1eccc\x001795316200\x00Bob\x00subject with \x1e inside\x00\n";
        let c = parse_log(out).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].changes[0].kind, ChangeKind::Removed);
        assert_eq!(c[0].changes[0].blob, None);
        assert_eq!(c[1].commit.subject, "Merge pull request #1 from a/b");
        assert_eq!(
            c[1].changes
                .iter()
                .map(|x| (x.kind, x.blob.as_deref()))
                .collect::<Vec<_>>(),
            vec![(ChangeKind::Added, Some("f2")), (ChangeKind::Modified, Some("f4"))]
        );
        assert_eq!(c[2].commit.subject, "subject with \x1e inside");
        assert!(c[2].changes.is_empty());
        assert!(parse_log(b"\x1eaaa\x00123").is_err());
        // every truncation of the output is an answer or an error, never a panic
        for n in 0..out.len() {
            let _ = parse_log(&out[..n]);
        }
        assert!(parse_log(b"garbage").is_err());
    }
}
