//! Which changed files the gate decides on (DESIGN 10.7): the git diff of the PR (merge base
//! to head), computed from the commits themselves, with GitHub's `files` list cross-checked
//! against it. A disagreement, or a diff that cannot be computed, fails closed. Pure: both
//! lists are parameters.

use std::collections::BTreeSet;

use super::facts::FileChange;

/// Where the list of changed files in [`super::facts::PrFacts::files`] came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FilesSource {
    /// GitHub's `files` list alone: a replay without git (scenarios, and the evidence the
    /// reconciler re-verifies from a snapshot).
    #[default]
    Api,
    /// The git diff, which GitHub's list agrees with.
    GitDiff,
    /// The git diff and GitHub's list disagree: `(path, what differs)` for each difference.
    Disagree(Vec<(String, String)>),
    /// The git diff could not be computed (why); the list is GitHub's, and is not trusted.
    Unavailable(String),
}

/// What a change does to one path, the part both lists must agree on. A rename is a removal
/// of the old path and an addition of the new one, a copy an addition, so that GitHub and
/// git detecting renames differently is no disagreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Touch {
    Added,
    Removed,
    Modified,
}

impl Touch {
    fn as_str(self) -> &'static str {
        match self {
            Touch::Added => "adds",
            Touch::Removed => "removes",
            Touch::Modified => "modifies",
        }
    }
}

fn touches(files: &[FileChange]) -> BTreeSet<(String, Touch)> {
    let mut out = BTreeSet::new();
    for f in files {
        match (f.status.as_str(), &f.previous_filename) {
            ("renamed", Some(old)) => {
                out.insert((old.clone(), Touch::Removed));
                out.insert((f.filename.clone(), Touch::Added));
            }
            ("copied", _) | ("added", _) => {
                out.insert((f.filename.clone(), Touch::Added));
            }
            ("removed", _) => {
                out.insert((f.filename.clone(), Touch::Removed));
            }
            _ => {
                out.insert((f.filename.clone(), Touch::Modified));
            }
        }
    }
    out
}

/// The differences between the git diff and GitHub's list, in path order; empty when they
/// agree.
pub fn differences(git: &[FileChange], api: &[FileChange]) -> Vec<(String, String)> {
    let (g, a) = (touches(git), touches(api));
    let mut out: Vec<(String, String)> = g
        .difference(&a)
        .map(|(p, t)| {
            (
                p.clone(),
                format!("the git diff {} `{p}`, GitHub's list does not", t.as_str()),
            )
        })
        .chain(a.difference(&g).map(|(p, t)| {
            (
                p.clone(),
                format!("GitHub's list {} `{p}`, the git diff does not", t.as_str()),
            )
        }))
        .collect();
    out.sort();
    out
}

/// One sentence naming the first few differences.
pub fn summary(diffs: &[(String, String)]) -> String {
    let shown: Vec<&str> = diffs.iter().take(3).map(|(_, d)| d.as_str()).collect();
    let more = match diffs.len() {
        0..=3 => String::new(),
        n => format!(" (and {} more)", n - 3),
    };
    format!("{}{more}", shown.join("; "))
}

/// A git diff entry from `git diff --name-status` letters: `A`, `D`, `M`, `T`, `R<score>`,
/// `C<score>` (old and new path), in GitHub's status words.
pub fn from_name_status(letter: &str, path: &str, old: Option<&str>) -> FileChange {
    let status = match letter.chars().next() {
        Some('A') => "added",
        Some('D') => "removed",
        Some('R') => "renamed",
        Some('C') => "copied",
        Some('T') => "changed",
        _ => "modified",
    };
    FileChange {
        filename: path.to_string(),
        status: status.to_string(),
        previous_filename: old.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(status: &str, path: &str, old: Option<&str>) -> FileChange {
        FileChange {
            filename: path.into(),
            status: status.into(),
            previous_filename: old.map(str::to_string),
        }
    }

    #[test]
    fn lists_agree_whatever_rename_detection_said() {
        let git = [f("renamed", "b", Some("a")), f("modified", "c", None)];
        let api = [f("added", "b", None), f("removed", "a", None), f("changed", "c", None)];
        assert!(differences(&git, &api).is_empty());
        assert!(differences(&[], &[]).is_empty());
    }

    #[test]
    fn every_difference_is_named() {
        let git = [f("added", "requests/x.toml", None), f("modified", "CODEOWNERS", None)];
        let api = [f("added", "requests/x.toml", None), f("added", "docs/a.md", None)];
        let d = differences(&git, &api);
        assert_eq!(
            d.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
            ["CODEOWNERS", "docs/a.md"]
        );
        assert_eq!(
            summary(&d),
            "the git diff modifies `CODEOWNERS`, GitHub's list does not; GitHub's list adds `docs/a.md`, the git diff does not"
        );
        let many: Vec<FileChange> = (0..5).map(|i| f("added", &format!("f{i}"), None)).collect();
        assert!(summary(&differences(&many, &[])).ends_with("(and 2 more)"));
        // the same path, added on one side and modified on the other, is a difference
        assert_eq!(
            differences(&[f("added", "p", None)], &[f("modified", "p", None)]).len(),
            2
        );
    }

    #[test]
    fn name_status_letters_become_githubs_words() {
        assert_eq!(
            from_name_status("R087", "new", Some("old")),
            f("renamed", "new", Some("old"))
        );
        assert_eq!(from_name_status("A", "p", None).status, "added");
        assert_eq!(from_name_status("D", "p", None).status, "removed");
        assert_eq!(from_name_status("T", "p", None).status, "changed");
        assert_eq!(from_name_status("C100", "n", Some("o")).status, "copied");
        assert_eq!(from_name_status("M", "p", None).status, "modified");
    }
}
