//! Git reading for `gitgrant audit` and `status`: the first-parent history of `requests/`
//! in one `git log` pass, blob contents through one `git cat-file --batch`, the files at a
//! branch tip, which commits are on the branch, and a long-lived `cat-file` session for
//! `--verify`'s look-ups at many commits (never one process per request).

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use chrono::{DateTime, Utc};

use crate::adapters::git::cat_file::{self, Answer};
use crate::adapters::git::{Git, GitError};
use crate::core::audit::{ChangeKind, Commit, HistoryCommit, PathChange};

const RECORD: u8 = 0x1e;
/// Where the history walk is kept, under the git directory.
const CACHE: &str = "gitgrant/audit-history";
const CACHE_HEADER: &str = "gitgrant audit history v1 ";
/// Chains at least this long are walked in two halves at once.
const SPLIT_AT: usize = 2000;

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

fn spawn_err(git: &Git, source: std::io::Error) -> GitError {
    GitError::Spawn {
        dir: git.dir().display().to_string(),
        source,
    }
}

fn failed(git: &Git, args: &[&str], stderr: &[u8]) -> GitError {
    GitError::Failed {
        dir: git.dir().display().to_string(),
        args: args.join(" "),
        stderr: String::from_utf8_lossy(stderr).trim().to_string(),
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

impl Git {
    /// Runs git, returning stdout; stdin may be fed from a second thread.
    pub(crate) fn run_with_input(&self, args: &[&str], input: Option<Vec<u8>>) -> Result<Vec<u8>, GitError> {
        let mut child = self
            .command(args)
            .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| spawn_err(self, e))?;
        let writer = match (input, child.stdin.take()) {
            (Some(data), Some(mut pipe)) => Some(std::thread::spawn(move || pipe.write_all(&data))),
            _ => None,
        };
        let mut stderr = child.stderr.take();
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(e) = stderr.as_mut() {
                let _ = e.read_to_end(&mut buf);
            }
            buf
        });
        let mut out = Vec::new();
        if let Some(mut o) = child.stdout.take() {
            o.read_to_end(&mut out).map_err(|e| spawn_err(self, e))?;
        }
        if let Some(w) = writer {
            let _ = w.join();
        }
        let status = child.wait().map_err(|e| spawn_err(self, e))?;
        let err = err_reader.join().unwrap_or_default();
        if !status.success() {
            return Err(failed(self, args, &err));
        }
        Ok(out)
    }

    /// `git log` of `requests/` along the first-parent chain, raw and NUL-separated, newest
    /// first, for a revision range.
    pub(crate) fn log_raw(&self, range: &str) -> Result<Vec<u8>, GitError> {
        let args = [
            "log",
            "--first-parent",
            "--diff-merges=first-parent",
            "--root",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "-z",
            "--format=%x1e%H%x00%ct%x00%an%x00%s",
            range,
            "--",
            "requests/",
        ];
        self.run_with_input(&args, None)
    }

    /// The first-parent chain of `tip`, newest first.
    fn first_parents(&self, tip: &str) -> Result<Vec<String>, GitError> {
        let out = self.run_with_input(&["rev-list", "--first-parent", tip], None)?;
        Ok(String::from_utf8_lossy(&out).lines().map(str::to_string).collect())
    }

    /// The first-parent commit of `tip` that last changed `path` (compared with its first
    /// parent): for a file present at `tip`, the commit that introduced its current
    /// content. `None` when no first-parent commit touched it.
    pub fn introducing_commit(&self, tip: &str, path: &str) -> Result<Option<String>, GitError> {
        let args = ["log", "--first-parent", "-1", "--format=%H", tip, "--", path];
        let out = self.run_with_input(&args, None)?;
        let sha = String::from_utf8_lossy(&out).trim().to_string();
        Ok((!sha.is_empty()).then_some(sha))
    }

    /// The whole walk, in two halves of the first-parent chain read by two `git log`
    /// processes at once when the chain is long (git's tree diffs are the cost).
    pub(crate) fn log_raw_split(&self, tip: &str) -> Result<Vec<u8>, GitError> {
        let chain = self.first_parents(tip)?;
        if chain.len() < SPLIT_AT {
            return self.log_raw(tip);
        }
        let mid = &chain[chain.len() / 2];
        let (newer, older) = std::thread::scope(|s| {
            let newer = s.spawn(|| self.log_raw(&format!("{mid}..{tip}")));
            let older = self.log_raw(mid);
            (newer.join(), older)
        });
        let mut out = newer.map_err(|_| GitError::Parse("the history walk failed unexpectedly".into()))??;
        out.extend_from_slice(&older?);
        Ok(out)
    }

    fn cache_path(&self) -> Option<std::path::PathBuf> {
        let out = self.run_with_input(&["rev-parse", "--git-path", CACHE], None).ok()?;
        let p = std::path::PathBuf::from(String::from_utf8_lossy(&out).trim());
        Some(if p.is_relative() { self.dir().join(p) } else { p })
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
        let from_cache = |old_tip: &str, raw: Vec<u8>| -> Result<Option<Vec<u8>>, GitError> {
            if old_tip == tip {
                return Ok(Some(raw));
            }
            if !self.first_parents(tip)?.iter().any(|c| c == old_tip) {
                return Ok(None);
            }
            let mut out = self.log_raw(&format!("{old_tip}..{tip}"))?;
            out.extend_from_slice(&raw);
            Ok(Some(out))
        };
        let (raw, fresh) = match cached {
            Some((old_tip, raw)) => match from_cache(&old_tip, raw)? {
                Some(r) => (r, false),
                None => (self.log_raw_split(tip)?, true),
            },
            None => (self.log_raw_split(tip)?, true),
        };
        let mut commits = match parse_log(&raw) {
            Ok(c) => c,
            // a damaged cache: walk again
            Err(_) if !fresh => parse_log(&self.log_raw_split(tip)?)?,
            Err(e) => return Err(e),
        };
        if let Some(p) = cache {
            write_cache(&p, tip, &raw);
        }
        commits.reverse();
        Ok(commits)
    }

    /// The contents of objects (blob ids or `rev:path`) through one `git cat-file --batch`;
    /// `None` for a missing object.
    pub fn cat_many(&self, names: &[String]) -> Result<Vec<Option<Vec<u8>>>, GitError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut input = Vec::new();
        for n in names {
            if n.contains('\n') {
                return Err(GitError::Parse(format!(
                    "object name `{}` holds a line break",
                    n.escape_debug()
                )));
            }
            input.extend_from_slice(n.as_bytes());
            input.push(b'\n');
        }
        let out = self.run_with_input(&["cat-file", "--batch"], Some(input))?;
        cat_file::parse_batch(&out, names)
    }

    /// The request files at `rev`'s tip, as (path, blob id).
    pub fn request_files(&self, rev: &str) -> Result<Vec<(String, String)>, GitError> {
        let out = self.run_with_input(&["ls-tree", "-r", "-z", "--full-tree", rev, "--", "requests/"], None)?;
        let mut files = Vec::new();
        for rec in out.split(|b| *b == 0).filter(|r| !r.is_empty()) {
            let rec = String::from_utf8_lossy(rec);
            let Some((meta, path)) = rec.split_once('\t') else {
                return Err(GitError::Parse(rec.to_string()));
            };
            let parts: Vec<&str> = meta.split(' ').collect();
            if let [_, "blob", oid] = parts[..] {
                files.push((path.to_string(), oid.to_string()));
            }
        }
        Ok(files)
    }

    /// Which of `shas` are `rev` or its ancestors (one `git rev-list`).
    pub fn ancestors_among(&self, rev: &str, shas: &BTreeSet<String>) -> Result<BTreeSet<String>, GitError> {
        if shas.is_empty() {
            return Ok(BTreeSet::new());
        }
        let out = self.run_with_input(&["rev-list", rev], None)?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .filter(|l| shas.contains(*l))
            .map(str::to_string)
            .collect())
    }

    /// A `git cat-file --batch` and `--batch-check` pair kept open for many look-ups.
    pub fn cat_session(&self) -> Result<CatSession, GitError> {
        let open = |flag: &str| -> Result<(Child, ChildStdin, BufReader<ChildStdout>), GitError> {
            let mut child = self
                .command(&["cat-file", flag])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| spawn_err(self, e))?;
            let stdin = child.stdin.take().ok_or_else(|| GitError::Parse("no stdin".into()))?;
            let stdout = child.stdout.take().ok_or_else(|| GitError::Parse("no stdout".into()))?;
            Ok((child, stdin, BufReader::new(stdout)))
        };
        Ok(CatSession {
            check: open("--batch-check")?,
            batch: open("--batch")?,
        })
    }
}

type Pipe = (Child, ChildStdin, BufReader<ChildStdout>);

pub struct CatSession {
    check: Pipe,
    batch: Pipe,
}

/// Asks one object of a session's `cat-file` and reads its header line.
fn ask(pipe: &mut Pipe, name: &str) -> Result<Answer, GitError> {
    if name.contains('\n') {
        return Ok(Answer::Absent);
    }
    let io = |e: std::io::Error| GitError::Parse(format!("cat-file: {e}"));
    pipe.1.write_all(format!("{name}\n").as_bytes()).map_err(io)?;
    pipe.1.flush().map_err(io)?;
    let mut header = Vec::new();
    pipe.2.read_until(b'\n', &mut header).map_err(io)?;
    if header.pop() != Some(b'\n') {
        return Err(GitError::Parse(format!(
            "cat-file ended early, answering `{}`",
            name.escape_debug()
        )));
    }
    cat_file::parse_header(&header, name)
}

impl CatSession {
    /// The object id `name` (`rev:path`, `sha^{commit}`) names, if it exists.
    pub fn oid(&mut self, name: &str) -> Result<Option<String>, GitError> {
        Ok(match ask(&mut self.check, name)? {
            Answer::Found { oid, .. } => Some(oid),
            Answer::Absent => None,
        })
    }

    /// The contents of an object, if it exists.
    pub fn contents(&mut self, name: &str) -> Result<Option<Vec<u8>>, GitError> {
        let Answer::Found { size, .. } = ask(&mut self.batch, name)? else {
            return Ok(None);
        };
        let mut buf = Vec::new();
        (&mut self.batch.2)
            .take((size as u64).saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| GitError::Parse(format!("cat-file: {e}")))?;
        let (body, _) = cat_file::object_body(&buf, 0, size, name)?;
        let len = body.len();
        buf.truncate(len);
        Ok(Some(buf))
    }
}

impl Drop for CatSession {
    fn drop(&mut self) {
        for p in [&mut self.check, &mut self.batch] {
            let _ = p.0.kill();
            let _ = p.0.wait();
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
