//! The ledger branch in git: reads `events/*.jsonl` from `gitgrant-ledger` (in process), and
//! appends a run's events as one commit built with git plumbing (never touching the work
//! tree), pushed to `origin` and retried on a non-fast-forward by re-applying the append on
//! the new tip. Fetch and push stay with the git CLI for `actions/checkout`'s credentials.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use crate::adapters::backoff::{Backoff, Jitter, Random, Schedule};
use crate::adapters::git::{Git, GitError};
use crate::core::files::tree::Entry;
use crate::core::ledger::{BRANCH, Event, EventSink, Ledger};

const REMOTE_REF: &str = "refs/remotes/origin/gitgrant-ledger";
const LOCAL_REF: &str = "refs/heads/gitgrant-ledger";
const MAX_ATTEMPTS: u32 = 12;

/// The waits between pushes rejected because another run appended first: 25 ms × 2^attempt
/// (capped at 2 s), scaled by a jitter in [0.5, 1.5), so racing runs stop colliding.
const PUSH_BACKOFF: Backoff = Backoff {
    base: std::time::Duration::from_millis(50),
    cap: std::time::Duration::from_secs(2),
    jitter: Jitter::Spread,
    max_attempts: Some(MAX_ATTEMPTS),
    deadline: None,
};

/// A push origin declined itself (`! [remote rejected] ... (pre-receive hook declined)`,
/// a protected branch), as opposed to one that lost a race.
/// A racing push that updated the ref first makes origin answer `[remote rejected] ... (failed
/// to update ref)` / `cannot lock ref`: that is a race, not a refusal.
fn is_refused(stderr: &str) -> bool {
    let lost_lock = stderr.contains("failed to update ref") || stderr.contains("cannot lock ref");
    stderr.contains("hook declined") || (stderr.contains("[remote rejected]") && !lost_lock)
}

/// A push rejected because origin's tip moved on (another run appended first).
fn is_race(stderr: &str) -> bool {
    !is_refused(stderr)
        && (stderr.contains("rejected") || stderr.contains("non-fast-forward") || stderr.contains("fetch first"))
}

/// The remote's own lines (`remote: ...`) and git's `[remote rejected]` line, joined on one line.
fn remote_message(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("remote:") || l.contains("[remote rejected]"))
        .map(|l| l.strip_prefix("remote:").map_or(l, str::trim))
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        stderr.lines().map(str::trim).collect::<Vec<_>>().join(" / ")
    } else {
        lines.join(" / ")
    }
}

/// Parses an events file's bytes (invalid UTF-8 replaced, so the bad lines are reported).
fn parse_bytes(sink: &mut dyn EventSink, path: &str, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => crate::core::ledger::parse_into(sink, path, text),
        Err(_) => crate::core::ledger::parse_into(sink, path, &String::from_utf8_lossy(bytes)),
    }
}

impl Git {
    fn has_origin(&self) -> bool {
        let repo = self.repo();
        repo.config()
            .and_then(|mut c| c.snapshot())
            .is_ok_and(|c| c.get_bytes("remote.origin.url").is_ok())
    }

    /// The commit an exact ref names (in process).
    fn resolve(&self, r: &str) -> Option<String> {
        let repo = self.repo();
        let reference = repo.find_reference(r).ok()?;
        Some(reference.peel_to_commit().ok()?.id().to_string())
    }

    /// Fetches the ledger branch from `origin` when there is one. A missing branch is not
    /// an error (the first run creates it).
    pub fn fetch_ledger(&self) -> Result<(), GitError> {
        if !self.has_origin() {
            return Ok(());
        }
        let refspec = format!("+{LOCAL_REF}:{REMOTE_REF}");
        // no tags: a tag that points into the ledger must not come into the clone, where a
        // tag named like the default branch would shadow it (DESIGN 10.1)
        match self.output(&["fetch", "-q", "--no-tags", "origin", &refspec]) {
            Ok(_) => Ok(()),
            Err(GitError::Failed { stderr, .. }) if stderr.contains("couldn't find remote ref") => {
                let _ = self.output(&["update-ref", "-d", REMOTE_REF]);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The ledger's tip: origin's when there is a remote, else the local branch.
    pub fn ledger_tip(&self) -> Option<String> {
        if self.has_origin() {
            self.resolve(REMOTE_REF)
        } else {
            self.resolve(LOCAL_REF)
        }
    }

    /// Reads every event of the ledger at its tip (empty when there is no ledger yet).
    pub fn read_ledger(&self) -> Result<Ledger, GitError> {
        self.read_ledger_with(&mut |_| {})
    }

    /// Reads the ledger like `read_ledger`, passing each event through `keep` as soon as it
    /// is parsed.
    pub fn read_ledger_with(&self, keep: &mut dyn FnMut(&mut Event)) -> Result<Ledger, GitError> {
        let mut ledger = Ledger::default();
        self.read_ledger_into(&mut crate::core::ledger::Keeping {
            ledger: &mut ledger,
            keep,
        })?;
        Ok(ledger)
    }

    /// Reads every event of the ledger at its tip into `sink` as soon as it is parsed, one
    /// file at a time (`audit` keeps only what its rows read, so a large ledger is never
    /// held whole). No ledger yet: nothing.
    pub fn read_ledger_into(&self, sink: &mut dyn EventSink) -> Result<(), GitError> {
        let Some(tip) = self.ledger_tip() else {
            return Ok(());
        };
        let tree = self.read_tree(&tip, &["events"])?;
        // a line is at most an event
        let lines: usize = tree
            .entries
            .values()
            .map(|e| match e {
                Entry::File(b) => b.iter().filter(|c| **c == b'\n').count() + 1,
                _ => 0,
            })
            .sum();
        sink.reserve(lines);
        let mut unread = Vec::new();
        // the entries are sorted by path: consumed one by one, each file's text is freed
        // once its events are parsed
        for (p, e) in tree.entries {
            let bytes = match e {
                Entry::File(b) if p.ends_with(".jsonl") => b,
                // a month of events may outgrow the policy-file limit: read it all the same
                Entry::Large(_) if p.ends_with(".jsonl") => {
                    if !self.parse_large(&tip, &p, sink)? {
                        unread.push((p, "could not be read"));
                    }
                    continue;
                }
                _ => {
                    unread.push((p, "is not an events file (`events/*.jsonl`) and was not read"));
                    continue;
                }
            };
            parse_bytes(sink, &p, &bytes);
        }
        for (file, why) in unread {
            sink.bad_line(crate::core::ledger::BadLine {
                file,
                line: 0,
                error: why.to_string(),
            });
        }
        Ok(())
    }

    /// Parses the events file `path` of the ledger commit `tip` where git holds its bytes (a
    /// copy would hold a large month twice). `false` when it is not there.
    fn parse_large(&self, tip: &str, path: &str, sink: &mut dyn EventSink) -> Result<bool, GitError> {
        if path.contains('\n') {
            return Err(GitError::Parse(format!(
                "object name `{}` holds a line break",
                format!("{tip}:{path}").escape_debug()
            )));
        }
        let repo = self.repo();
        let Some(obj) = super::objects::object(&repo, &format!("{tip}:{path}")) else {
            return Ok(false);
        };
        let reserve =
            |sink: &mut dyn EventSink, bytes: &[u8]| sink.reserve(bytes.iter().filter(|c| **c == b'\n').count() + 1);
        match obj.as_blob() {
            Some(blob) => {
                reserve(sink, blob.content());
                parse_bytes(sink, path, blob.content());
            }
            None => {
                let bytes = super::objects::contents(&repo, &obj)?;
                reserve(sink, &bytes);
                parse_bytes(sink, path, &bytes);
            }
        }
        Ok(true)
    }

    /// Appends events (one commit; a file per month) and pushes. Returns the commit. Its
    /// message is `subject` and one line per event, user text made single-line
    /// (`core::ledger::commit_message`).
    pub fn append_ledger(&self, events: &[Event], subject: &str) -> Result<Option<String>, GitError> {
        if events.is_empty() {
            return Ok(None);
        }
        let message = crate::core::ledger::commit_message(subject, events);
        let message = message.as_str();
        let mut by_file: BTreeMap<String, String> = BTreeMap::new();
        for e in events {
            let month =
                e.at.map(|t| t.format("%Y-%m").to_string())
                    .unwrap_or_else(|| "undated".into());
            let text = by_file.entry(format!("events/{month}.jsonl")).or_default();
            text.push_str(&e.to_line());
            text.push('\n');
        }
        let mut schedule = Schedule::new(PUSH_BACKOFF, Random::from_entropy());
        loop {
            self.fetch_ledger()?;
            let parent = self.ledger_tip();
            let commit = self.commit_append(parent.as_deref(), &by_file, message)?;
            if !self.has_origin() {
                self.output(&["update-ref", LOCAL_REF, &commit])?;
                return Ok(Some(commit));
            }
            match self.output(&["push", "-q", "origin", &format!("{commit}:{LOCAL_REF}")]) {
                Ok(_) => {
                    self.output(&["update-ref", REMOTE_REF, &commit])?;
                    self.output(&["update-ref", LOCAL_REF, &commit])?;
                    return Ok(Some(commit));
                }
                // origin itself declined (a pre-receive hook, a protection): not a race, so
                // it is attempted once and the remote's own words are shown
                Err(GitError::Failed { stderr, .. }) if is_refused(&stderr) => {
                    return Err(GitError::Refused {
                        branch: BRANCH.to_string(),
                        remote: remote_message(&stderr),
                    });
                }
                // someone else appended first: fetch their tip and append again on it
                Err(GitError::Failed { stderr, .. }) if is_race(&stderr) => {
                    match schedule.next_wait(std::time::Duration::ZERO, None) {
                        Ok(wait) => std::thread::sleep(wait),
                        Err(_) => {
                            return Err(GitError::Parse(format!(
                                "the push to `{BRANCH}` lost the race to other runs {MAX_ATTEMPTS} times; this run's events are NOT on origin"
                            )));
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn commit_append(
        &self,
        parent: Option<&str>,
        additions: &BTreeMap<String, String>,
        message: &str,
    ) -> Result<String, GitError> {
        let mut files = Vec::new();
        for (path, added) in additions {
            let mut content = match parent.and_then(|p| self.blob_at(p, path)) {
                Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                None => String::new(),
            };
            if !content.is_empty() && !content.ends_with('\n') {
                content.push('\n');
            }
            content.push_str(added);
            files.push((path.clone(), Some(content.into_bytes())));
        }
        let identity = [
            ("GIT_AUTHOR_NAME", "gitgrant"),
            ("GIT_AUTHOR_EMAIL", "gitgrant@users.noreply.github.com"),
            ("GIT_COMMITTER_NAME", "gitgrant"),
            ("GIT_COMMITTER_EMAIL", "gitgrant@users.noreply.github.com"),
        ];
        self.commit_change(parent, &files, message, &identity)
    }

    /// Makes a commit on `parent` (or a root commit) that writes (`Some`) or deletes
    /// (`None`) the given files, without touching the work tree or the real index. The
    /// identity comes from `env` pairs, else from git's configuration.
    pub fn commit_change(
        &self,
        parent: Option<&str>,
        files: &[(String, Option<Vec<u8>>)],
        message: &str,
        env: &[(&str, &str)],
    ) -> Result<String, GitError> {
        let index = tempfile::NamedTempFile::new().map_err(|e| GitError::Parse(format!("temporary index: {e}")))?;
        let index_path = index.path().to_path_buf();
        let with_index = |args: &[&str]| -> Result<String, GitError> {
            self.output_env(args, &[("GIT_INDEX_FILE", index_path.to_str().unwrap_or(""))], None)
        };
        match parent {
            Some(p) => with_index(&["read-tree", p])?,
            None => with_index(&["read-tree", "--empty"])?,
        };
        for (path, content) in files {
            match content {
                Some(bytes) => {
                    let blob = self.output_env(&["hash-object", "-w", "--stdin"], &[], Some(bytes))?;
                    with_index(&[
                        "update-index",
                        "--add",
                        "--cacheinfo",
                        &format!("100644,{},{path}", blob.trim()),
                    ])?;
                }
                None => {
                    with_index(&["update-index", "--force-remove", path])?;
                }
            }
        }
        let tree = with_index(&["write-tree"])?;
        // the message on stdin, not argv: a run's message has a line per event
        let mut args = vec!["commit-tree", tree.trim()];
        if let Some(p) = parent {
            args.push("-p");
            args.push(p);
        }
        Ok(self
            .output_env(&args, env, Some(message.as_bytes()))?
            .trim()
            .to_string())
    }

    /// Points a local branch at a commit.
    pub fn set_branch(&self, branch: &str, commit: &str) -> Result<(), GitError> {
        self.output(&["update-ref", &format!("refs/heads/{branch}"), commit])
            .map(|_| ())
    }

    /// Pushes a local branch to `origin`.
    pub fn push_branch(&self, branch: &str) -> Result<(), GitError> {
        self.output(&[
            "push",
            "-q",
            "origin",
            &format!("refs/heads/{branch}:refs/heads/{branch}"),
        ])
        .map(|_| ())
    }

    /// `owner/repo` from `origin`'s URL when it is a GitHub-style URL.
    pub fn origin_repository(&self) -> Option<String> {
        let url = self.output(&["config", "--get", "remote.origin.url"]).ok()?;
        let url = url.trim().trim_end_matches('/').trim_end_matches(".git");
        let mut parts = url.rsplit(['/', ':']);
        let repo = parts.next()?;
        let owner = parts.next()?;
        (!owner.is_empty() && !repo.is_empty()).then(|| format!("{owner}/{repo}"))
    }

    fn output(&self, args: &[&str]) -> Result<String, GitError> {
        self.output_env(args, &[], None)
    }

    fn output_env(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Result<String, GitError> {
        let mut c = Command::new("git");
        c.arg("-C")
            .arg(self.dir())
            .args(args)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE");
        for (k, v) in env {
            c.env(k, v);
        }
        c.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().map_err(|source| GitError::Spawn {
            dir: self.dir().display().to_string(),
            source,
        })?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input).map_err(|e| GitError::Parse(e.to_string()))?;
        }
        let out = child.wait_with_output().map_err(|source| GitError::Spawn {
            dir: self.dir().display().to_string(),
            source,
        })?;
        if !out.status.success() {
            return Err(GitError::Failed {
                dir: self.dir().display().to_string(),
                args: args.join(" "),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}
