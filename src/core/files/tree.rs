//! A repository tree held in memory: the files gitgrant reads (policies, CODEOWNERS,
//! requests), whether they came from the working tree or a git commit. The core reads
//! only this, never the file system.

use std::collections::BTreeMap;

pub const ACCESS: &str = "policies/access.toml";
pub const IDENTITIES: &str = "policies/identities.toml";
pub const DIRECTORY: &str = "policies/directory.toml";
pub const CODEOWNERS: &str = ".github/CODEOWNERS";
pub const ROOT_CODEOWNERS: &str = "CODEOWNERS";
pub const DOCS_CODEOWNERS: &str = "docs/CODEOWNERS";
pub const REQUESTS_DIR: &str = "requests/";

/// Where GitHub looks for CODEOWNERS, in its order: the first that exists is the one used.
pub const CODEOWNERS_LOCATIONS: [&str; 3] = [CODEOWNERS, ROOT_CODEOWNERS, DOCS_CODEOWNERS];

/// The trusted files a decision reads from the base commit: the three policy files and
/// every place CODEOWNERS may be.
pub const TRUSTED_FILES: [&str; 6] = [
    ACCESS,
    IDENTITIES,
    DIRECTORY,
    CODEOWNERS,
    ROOT_CODEOWNERS,
    DOCS_CODEOWNERS,
];

/// What a policy PR's head is read as: the policy files, every CODEOWNERS and the requests.
pub const POLICY_TREE: [&str; 5] = ["policies", CODEOWNERS, ROOT_CODEOWNERS, DOCS_CODEOWNERS, "requests"];

/// The paths that decide who gets what (DESIGN 10.7). A PR touching one of them is a policy
/// change. Entries ending in `/` are folders; the others are files at exactly that path.
pub const POLICY_PATHS: [&str; 7] = [
    ".github/",
    ROOT_CODEOWNERS,
    DOCS_CODEOWNERS,
    "policies/",
    "schemas/",
    "action.yml",
    "action.yaml",
];

/// Whether a repository-relative path is one of [`POLICY_PATHS`] or inside one.
pub fn is_policy_path(path: &str) -> bool {
    POLICY_PATHS.iter().any(|p| match p.strip_suffix('/') {
        Some(_) => path.starts_with(p),
        None => path == *p,
    })
}

/// What sits at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    File(Vec<u8>),
    /// A file over the size limit, recorded with its size but not read.
    Large(u64),
    Symlink,
}

#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// Repository-relative paths with `/` separators, sorted.
    pub entries: BTreeMap<String, Entry>,
}

impl Tree {
    pub fn insert(&mut self, path: impl Into<String>, entry: Entry) {
        self.entries.insert(path.into(), entry);
    }

    pub fn file(&self, path: &str) -> Option<&Entry> {
        self.entries.get(path)
    }

    /// A file's text, when it is UTF-8 (a leading BOM stripped, so spans agree).
    pub fn text(&self, path: &str) -> Option<&str> {
        match self.file(path)? {
            Entry::File(b) => std::str::from_utf8(b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)).ok(),
            _ => None,
        }
    }

    /// The CODEOWNERS GitHub would use: the first of [`CODEOWNERS_LOCATIONS`] present in
    /// the tree (whatever it is: a link or an oversized file there is refused, not skipped);
    /// `.github/CODEOWNERS` when there is none.
    pub fn codeowners_path(&self) -> &'static str {
        CODEOWNERS_LOCATIONS
            .into_iter()
            .find(|p| self.entries.contains_key(*p))
            .unwrap_or(CODEOWNERS)
    }

    /// Everything under `requests/`, in path order.
    pub fn requests(&self) -> impl Iterator<Item = (&String, &Entry)> {
        self.entries
            .range(REQUESTS_DIR.to_string()..)
            .take_while(|(p, _)| p.starts_with(REQUESTS_DIR))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_paths_are_the_folders_and_files_that_decide_access() {
        for p in [
            ".github/workflows/gitgrant.yml",
            ".github/CODEOWNERS",
            "CODEOWNERS",
            "docs/CODEOWNERS",
            "policies/access.toml",
            "schemas/request.schema.json",
            "action.yml",
            "action.yaml",
        ] {
            assert!(is_policy_path(p), "{p}");
        }
        for p in [
            "README.md",
            "docs/audit.md",
            "sub/CODEOWNERS",
            "CODEOWNERS.md",
            "action.yml.bak",
            "requests/a/B/c.toml",
            "policiesx/a",
        ] {
            assert!(!is_policy_path(p), "{p}");
        }
    }

    #[test]
    fn codeowners_precedence_is_githubs() {
        let mut t = Tree::default();
        assert_eq!(t.codeowners_path(), CODEOWNERS);
        t.insert(DOCS_CODEOWNERS, Entry::File(vec![]));
        assert_eq!(t.codeowners_path(), DOCS_CODEOWNERS);
        t.insert(ROOT_CODEOWNERS, Entry::File(vec![]));
        assert_eq!(t.codeowners_path(), ROOT_CODEOWNERS);
        t.insert(CODEOWNERS, Entry::Symlink);
        assert_eq!(t.codeowners_path(), CODEOWNERS);
    }
}
