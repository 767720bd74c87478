//! A repository tree held in memory: the files gitgrant reads (policies, CODEOWNERS,
//! requests), whether they came from the working tree or a git commit. The core reads
//! only this, never the file system.

use std::collections::BTreeMap;

pub const ACCESS: &str = "policies/access.toml";
pub const IDENTITIES: &str = "policies/identities.toml";
pub const DIRECTORY: &str = "policies/directory.toml";
pub const CODEOWNERS: &str = ".github/CODEOWNERS";
pub const REQUESTS_DIR: &str = "requests/";

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

    /// Everything under `requests/`, in path order.
    pub fn requests(&self) -> impl Iterator<Item = (&String, &Entry)> {
        self.entries
            .range(REQUESTS_DIR.to_string()..)
            .take_while(|(p, _)| p.starts_with(REQUESTS_DIR))
    }
}
