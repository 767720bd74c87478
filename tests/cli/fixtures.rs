//! The bad-input corpus (tests/fixtures/cases): each case's diagnostics are snapshotted so
//! wording and positions are reviewed, and each must carry the code its folder names.

use gitgrant::adapters::fs;
use gitgrant::core::diag::render;
use gitgrant::core::rules::check;

use crate::support::{at, fixtures, repo_with_case};

fn run_case(dir: &std::path::Path) -> (Vec<&'static str>, String) {
    let tree = fs::read_tree(dir).unwrap();
    let checked = check::check(&tree, at());
    let codes = checked.diagnostics.0.iter().map(|d| d.code).collect();
    (codes, render::human(&checked.diagnostics.0, &tree))
}

#[test]
fn base_repository_is_clean() {
    let repo = repo_with_case(None);
    let (codes, out) = run_case(repo.path());
    assert!(codes.is_empty(), "{out}");
}

#[test]
fn every_case_reports_its_code_and_matches_its_snapshot() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(
        names.iter().filter(|n| !n.starts_with("ok--")).count() >= 40,
        "the corpus has at least 40 broken inputs"
    );
    for name in names {
        let (expected, _) = name.split_once("--").expect("case folders are named <code>--<variant>");
        let repo = repo_with_case(Some(&fixtures().join("cases").join(&name)));
        let (codes, out) = run_case(repo.path());
        if expected == "ok" {
            assert!(codes.is_empty(), "{name}: expected no diagnostics, got:\n{out}");
            continue;
        }
        assert!(!codes.is_empty(), "{name}: expected `{expected}`, got nothing");
        assert!(
            codes.iter().all(|c| *c == expected),
            "{name}: expected only `{expected}`, got:\n{out}"
        );
        assert!(
            gitgrant::core::diag::codes::ALL.contains(&expected),
            "{name}: `{expected}` is not a known code"
        );
        insta::assert_snapshot!(name.clone(), out);
    }
}

/// Cases that cannot be stored in git as plain files are made here.
#[test]
fn symlinks_and_oversized_requests_are_refused_unread() {
    let repo = repo_with_case(None);
    let dir = repo.path().join("requests/payments-prod/AdministratorAccess");
    std::os::unix::fs::symlink("/etc/passwd", dir.join("link.toml")).unwrap();
    let (codes, out) = run_case(repo.path());
    assert_eq!(codes, vec!["symlink"], "{out}");
    insta::assert_snapshot!("symlink--request", out);

    std::fs::remove_file(dir.join("link.toml")).unwrap();
    let mut big = String::from("requester = \"alice\"\n");
    while big.len() <= 64 * 1024 {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(dir.join("big.toml"), big).unwrap();
    let (codes, out) = run_case(repo.path());
    assert_eq!(codes, vec!["file-too-large"], "{out}");

    // a symlinked folder inside requests/ is refused too
    std::fs::remove_file(dir.join("big.toml")).unwrap();
    std::os::unix::fs::symlink("/tmp", repo.path().join("requests/payments-prod/ReadOnlyAccess")).unwrap();
    let (codes, out) = run_case(repo.path());
    assert_eq!(codes, vec!["symlink"], "{out}");
}
