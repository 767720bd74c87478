//! Exact resolution of the default branch (DESIGN 10.1, `Git::resolve_branch`) in real git
//! repositories: full ids, `HEAD`, full refs, unique short names; a name that is a tag and a
//! branch, or branches at different commits, is refused naming both refs.

use std::path::Path;

use gitgrant::adapters::git::{Git, GitError};

use crate::support::git_as as git;

/// A bare `origin` with `main`, a clone of it, and a second commit that only a tag names.
struct Repos {
    _tmp: tempfile::TempDir,
    clone: std::path::PathBuf,
    main: String,
    other: String,
}

fn repos() -> Repos {
    let tmp = tempfile::tempdir().unwrap();
    let (_origin, clone) = crate::support::bare_origin_and_clone(tmp.path(), "clone");
    std::fs::write(clone.join("a"), "a").unwrap();
    git(&clone, &["add", "a"], "admin");
    git(&clone, &["commit", "-q", "-m", "a"], "admin");
    git(&clone, &["push", "-q", "origin", "HEAD:main"], "admin");
    let main = git(&clone, &["rev-parse", "HEAD"], "admin");
    std::fs::write(clone.join("b"), "b").unwrap();
    git(&clone, &["add", "b"], "mallory");
    git(&clone, &["commit", "-q", "-m", "b"], "mallory");
    let other = git(&clone, &["rev-parse", "HEAD"], "mallory");
    git(&clone, &["reset", "-q", "--hard", &main], "admin");
    Repos {
        _tmp: tmp,
        clone,
        main,
        other,
    }
}

fn resolve(dir: &Path, name: &str) -> Result<String, GitError> {
    Git::open(dir).unwrap().resolve_branch(name).map(|c| c.into_string())
}

#[test]
fn exact_names_resolve_to_their_commit() {
    let r = repos();
    for name in [
        "refs/remotes/origin/main",
        "refs/heads/main",
        "origin/main",
        "main",
        "HEAD",
    ] {
        assert_eq!(resolve(&r.clone, name).unwrap(), r.main, "{name}");
    }
    assert_eq!(resolve(&r.clone, &r.other).unwrap(), r.other);
    assert_eq!(resolve(&r.clone, &r.other.to_ascii_uppercase()).unwrap(), r.other);
}

#[test]
fn a_tag_beside_a_branch_is_refused_naming_both() {
    let r = repos();
    git(&r.clone, &["tag", "origin/main", &r.other], "mallory");
    // what git itself would read
    assert_eq!(git(&r.clone, &["rev-parse", "origin/main"], "admin"), r.other);
    let e = resolve(&r.clone, "origin/main").unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, GitError::AmbiguousRef { .. }), "{text}");
    assert!(text.starts_with("[ambiguous-ref] `origin/main`"), "{text}");
    assert!(
        text.contains(&format!("refs/remotes/origin/main ({})", &r.main[..7]))
            && text.contains(&format!("refs/tags/origin/main ({})", &r.other[..7])),
        "{text}"
    );
    // the full ref is exact; an annotated tag at the same commit as the branch is refused too
    assert_eq!(resolve(&r.clone, "refs/remotes/origin/main").unwrap(), r.main);
    git(&r.clone, &["tag", "-a", "-m", "t", "main", &r.main], "mallory");
    assert!(matches!(resolve(&r.clone, "main"), Err(GitError::AmbiguousRef { .. })));
    // a tag alone is a unique short name, peeled to its commit
    assert_eq!(resolve(&r.clone, "refs/tags/main").unwrap(), r.main);
}

#[test]
fn branches_that_disagree_are_refused_and_unknown_names_are_errors() {
    let r = repos();
    git(&r.clone, &["checkout", "-q", "--detach", &r.main], "admin");
    git(&r.clone, &["branch", "-f", "main", &r.other], "admin");
    let e = resolve(&r.clone, "main").unwrap_err().to_string();
    assert!(
        e.contains("refs/heads/main (") && e.contains("refs/remotes/origin/main ("),
        "{e}"
    );
    assert_eq!(resolve(&r.clone, "refs/heads/main").unwrap(), r.other);
    for bad in ["trunk", "refs/remotes/origin/trunk", "-n", "", &"0".repeat(40)] {
        assert!(
            matches!(resolve(&r.clone, bad), Err(GitError::UnknownRef { .. })),
            "{bad}: {:?}",
            resolve(&r.clone, bad)
        );
    }
    // a prefix of a ref is not the ref
    assert!(resolve(&r.clone, "refs/remotes/origin").is_err());
}

/// DESIGN 10.1 in the workflows `gitgrant init` writes: every checkout with
/// `fetch-tags: false`, every `git fetch` with `--no-tags`, and the default branch passed to
/// gitgrant as a full ref, never a short name a tag could shadow.
#[test]
fn the_workflow_templates_read_the_default_branch_exactly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/init/workflows");
    let mut checkouts = 0;
    let mut refs = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.display();
        // each checkout step: `fetch-tags: false` among its `with:` lines, before the next step
        for (i, _) in text.match_indices("uses: actions/checkout@") {
            let step = &text[i..];
            let step = &step[..step.find("\n      - ").unwrap_or(step.len())];
            assert!(
                step.contains("fetch-tags: false"),
                "{name}: a checkout fetches tags:\n{step}"
            );
            checkouts += 1;
        }
        for line in text.lines().filter(|l| l.contains("git fetch ")) {
            assert!(line.contains("--no-tags"), "{name}: {line}");
        }
        for (i, _) in text.match_indices("--ref ") {
            let value = text[i + 6..].trim_start_matches('"');
            assert!(
                value.starts_with("refs/"),
                "{name}: `--ref {}`",
                &value[..20.min(value.len())]
            );
            refs += 1;
        }
        assert!(!text.contains("origin/main "), "{name} names `origin/main`");
    }
    assert!(checkouts >= 3 && refs >= 1, "{checkouts} checkouts, {refs} --ref");
}

/// Issue 9 attack (DESIGN 10.1): the workflows delete the checkout's tags, but fetching the
/// ledger followed tags again: a tag `origin/main` pushed onto a ledger commit came back into
/// the clone with every run. The ledger fetch takes no tags.
#[test]
fn fetching_the_ledger_brings_no_tags_into_the_clone() {
    let r = repos();
    let tmp = tempfile::tempdir().unwrap();
    let origin = r.clone.parent().unwrap().join("origin.git");
    let writer = tmp.path().join("writer");
    git(
        tmp.path(),
        &["clone", "-q", origin.to_str().unwrap(), writer.to_str().unwrap()],
        "mallory",
    );
    git(&writer, &["checkout", "-q", "--orphan", "gitgrant-ledger"], "mallory");
    git(&writer, &["commit", "-q", "--allow-empty", "-m", "ledger"], "mallory");
    git(&writer, &["tag", "origin/main"], "mallory");
    git(
        &writer,
        &["push", "-q", "origin", "gitgrant-ledger", "refs/tags/origin/main"],
        "mallory",
    );
    Git::open(&r.clone).unwrap().fetch_ledger().unwrap();
    assert_eq!(git(&r.clone, &["tag", "-l"], "admin"), "");
    assert_eq!(resolve(&r.clone, "origin/main").unwrap(), r.main);
}
