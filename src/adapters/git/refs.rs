//! Exact ref resolution (DESIGN 10.1): what "the default branch" names, resolved once to a
//! commit id. Never git's own short-name search, where a pushed tag `origin/main` wins over
//! the remote branch `refs/remotes/origin/main`: a full commit id, a full ref, `HEAD`, or a
//! short name that names exactly one branch (a name that is a tag and a branch is refused).

use crate::adapters::git::{Git, GitError};

/// A commit id (40 or 64 lowercase hex digits) that names a commit in the repository.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitId(String);

impl CommitId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for CommitId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a short name may live, in the order git searches them.
const SHORT_NAME_PREFIXES: [&str; 4] = ["refs/heads/", "refs/remotes/", "refs/remotes/origin/", "refs/tags/"];

/// Whether `s` is a full object id (SHA-1 or SHA-256), in any case.
pub fn is_full_object_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The default branch's ref in a clone: `refs/remotes/origin/<name>` (what a CI checkout
/// has), for a branch name taken from the event payload or the API.
pub fn remote_branch_ref(name: &str) -> String {
    format!("refs/remotes/origin/{}", name.trim_start_matches("refs/heads/"))
}

/// The branch name a default-branch ref spells (`refs/remotes/origin/main`, `origin/main`,
/// `refs/heads/main`, `main` -> `main`); `None` for `HEAD`, a commit id or another ref.
pub fn branch_name(reference: &str) -> Option<&str> {
    if reference == "HEAD" || is_full_object_id(reference) {
        return None;
    }
    for prefix in ["refs/remotes/origin/", "refs/heads/", "origin/"] {
        if let Some(rest) = reference.strip_prefix(prefix) {
            return (!rest.is_empty()).then_some(rest);
        }
    }
    (!reference.starts_with("refs/")).then_some(reference)
}

impl Git {
    /// Resolves what a command was told is the default branch to one commit id: a full
    /// commit id, `HEAD`, a full ref (`refs/remotes/origin/main`, `refs/heads/main`), or a
    /// short name found under exactly one of `refs/heads/`, `refs/remotes/`,
    /// `refs/remotes/origin/` and `refs/tags/`. A short name that is both a tag and a
    /// branch is refused (`ambiguous-ref`), as is one that names branches at different
    /// commits (a stale local `main` beside `origin/main`).
    pub fn resolve_branch(&self, name: &str) -> Result<CommitId, GitError> {
        if name.is_empty() || name.starts_with('-') || name.contains(char::is_control) {
            return Err(GitError::UnknownRef {
                name: name.to_string(),
                why: "it is not a ref name".into(),
            });
        }
        if is_full_object_id(name) {
            return self.peel(&name.to_ascii_lowercase(), name);
        }
        if name == "HEAD" {
            // `$GIT_DIR/HEAD` itself: git reads it before any ref, so no ref can shadow it
            return self.peel("HEAD", name);
        }
        let candidates: Vec<String> = if name.starts_with("refs/") {
            vec![name.to_string()]
        } else {
            SHORT_NAME_PREFIXES.iter().map(|p| format!("{p}{name}")).collect()
        };
        let found = self.exact_refs(&candidates)?;
        match found.as_slice() {
            [] => Err(GitError::UnknownRef {
                name: name.to_string(),
                why: format!("no such ref (looked for {})", candidates.join(", ")),
            }),
            [(_, oid)] => self.peel(oid, name),
            many => self.one_of(name, many),
        }
    }

    /// Several refs match a short name: refused when a tag is among them or when they do not
    /// all name the same commit.
    fn one_of(&self, name: &str, many: &[(String, String)]) -> Result<CommitId, GitError> {
        let mut commits = Vec::new();
        for (r, oid) in many {
            commits.push((r.clone(), self.peel(oid, r)?));
        }
        let has_tag = commits.iter().any(|(r, _)| r.starts_with("refs/tags/"));
        let agree = commits.iter().all(|(_, c)| c == &commits[0].1);
        if has_tag || !agree {
            return Err(GitError::AmbiguousRef {
                name: name.to_string(),
                refs: commits
                    .iter()
                    .map(|(r, c)| format!("{r} ({})", &c.as_str()[..7]))
                    .collect(),
            });
        }
        Ok(commits.swap_remove(0).1)
    }

    /// The refs among `names` that exist exactly (not as a prefix), with the object ids
    /// they resolve to (a symbolic ref to its target's), in the order of `names`.
    fn exact_refs(&self, names: &[String]) -> Result<Vec<(String, String)>, GitError> {
        let repo = self.repo();
        let mut found = Vec::new();
        for n in names {
            let Ok(r) = repo.find_reference(n) else { continue };
            if let Some(oid) = r.resolve().ok().and_then(|r| r.target()) {
                found.push((n.clone(), oid.to_string()));
            }
        }
        Ok(found)
    }

    /// The commit an object id (or `HEAD`) names, peeling annotated tags.
    fn peel(&self, rev: &str, name: &str) -> Result<CommitId, GitError> {
        let unknown = || GitError::UnknownRef {
            name: name.to_string(),
            why: "it does not name a commit in this repository".into(),
        };
        let repo = self.repo();
        let commit = if rev == "HEAD" {
            repo.head().ok().and_then(|h| h.peel_to_commit().ok())
        } else if is_full_object_id(rev) {
            super::objects::commit(&repo, rev)
        } else {
            None
        };
        let id = commit.ok_or_else(unknown)?.id().to_string().to_ascii_lowercase();
        if !is_full_object_id(&id) {
            return Err(GitError::Parse(format!("libgit2 gave `{id}` for `{name}`")));
        }
        Ok(CommitId(id))
    }

    /// Fetches one branch of `origin` into its remote-tracking ref, forced, without tags:
    /// what `apply --watch` does at each tick before resolving the ref again.
    pub fn fetch_remote_branch(&self, branch: &str) -> Result<(), GitError> {
        if branch.starts_with('-') {
            return Err(GitError::BadName(branch.to_string()));
        }
        let spec = format!("+refs/heads/{branch}:refs/remotes/origin/{branch}");
        self.run(&["fetch", "-q", "--no-tags", "origin", &spec]).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_object_ids_and_remote_refs() {
        assert!(is_full_object_id(&"a".repeat(40)));
        assert!(is_full_object_id(&"A".repeat(64)));
        assert!(!is_full_object_id(&"a".repeat(39)));
        assert!(!is_full_object_id(&"g".repeat(40)));
        assert_eq!(remote_branch_ref("main"), "refs/remotes/origin/main");
        assert_eq!(remote_branch_ref("refs/heads/trunk"), "refs/remotes/origin/trunk");
        for (r, want) in [
            ("refs/remotes/origin/main", Some("main")),
            ("origin/main", Some("main")),
            ("refs/heads/trunk", Some("trunk")),
            ("main", Some("main")),
            ("HEAD", None),
            ("refs/tags/main", None),
        ] {
            assert_eq!(branch_name(r), want, "{r}");
        }
    }
}
