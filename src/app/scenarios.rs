//! `gitgrant test`: find the scenario files (files or folders of `*.toml`), run each against
//! the repository's policy with the core's scenario runner, and return one result per file.

use std::path::{Path, PathBuf};

use crate::app::error::AppError;
use crate::core::diag::diagnostic::line_col;
use crate::core::files::tree::Tree;
use crate::core::gate::scenario::{self, Scenario};

/// How one scenario file came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// It ran, and these expectations were not met.
    Failed(Vec<String>),
    /// It could not run (unreadable, not a scenario): `file:line: why` or `file: why`.
    Broken(String),
}

/// One scenario file and its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioResult {
    pub file: PathBuf,
    pub verdict: Verdict,
}

/// Runs every scenario file `paths` name; relative paths are looked up in `repo` first.
pub fn run(repo: &Path, paths: &[PathBuf]) -> Result<Vec<ScenarioResult>, AppError> {
    let tree = crate::adapters::fs::read_tree(repo)?;
    let files = scenario_files(repo, paths)?;
    files
        .into_iter()
        .map(|file| {
            let verdict = run_one(&tree, &file)?;
            Ok(ScenarioResult { file, verdict })
        })
        .collect()
}

/// The scenario files: each file named, and the `*.toml` files of each folder, sorted.
pub fn scenario_files(repo: &Path, paths: &[PathBuf]) -> Result<Vec<PathBuf>, AppError> {
    let mut files = Vec::new();
    for p in paths {
        let p = if p.is_relative() && repo.join(p).exists() {
            repo.join(p)
        } else {
            p.clone()
        };
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&p)
                .map_err(|source| AppError::Read {
                    path: p.clone(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                .collect();
            found.sort();
            files.extend(found);
        } else if p.is_file() {
            files.push(p);
        } else {
            return Err(AppError::NoScenario(p));
        }
    }
    Ok(files)
}

/// Runs one file; only a file that cannot be read at all is an operational failure.
fn run_one(tree: &Tree, file: &Path) -> Result<Verdict, AppError> {
    let name = file.display();
    let text = std::fs::read_to_string(file).map_err(|source| AppError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let parsed = toml::from_str::<Scenario>(&text).map_err(|e| {
        let line = e.span().map(|s| line_col(&text, s.start).0).unwrap_or(1);
        format!("{name}:{line}: {}", e.message().trim())
    });
    Ok(
        match parsed.and_then(|s| scenario::run(tree, &s).map_err(|e| format!("{name}: {e}"))) {
            Ok((_, problems)) if problems.is_empty() => Verdict::Passed,
            Ok((_, problems)) => Verdict::Failed(problems),
            Err(e) => Verdict::Broken(e),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_gets_a_verdict_and_a_missing_path_is_an_error() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let passing = std::fs::read_to_string(root.join("scenarios/approval-not-code-owner.toml")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a-pass.toml"), &passing).unwrap();
        let expect_approved = passing.replace("decision = \"pending\"", "decision = \"approved\"");
        assert_ne!(expect_approved, passing);
        std::fs::write(dir.path().join("b-fail.toml"), expect_approved).unwrap();
        std::fs::write(dir.path().join("c-broken.toml"), "description = \"x\"\nat = 3\n").unwrap();
        std::fs::write(dir.path().join("notes.md"), "not a scenario").unwrap();

        let results = run(root, &[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = results.iter().map(|r| r.file.file_name().unwrap().to_owned()).collect();
        assert_eq!(names, ["a-pass.toml", "b-fail.toml", "c-broken.toml"]);
        assert_eq!(results[0].verdict, Verdict::Passed);
        assert_eq!(
            results[1].verdict,
            Verdict::Failed(vec!["decision: expected `approved`, got `pending`".into()])
        );
        let Verdict::Broken(why) = &results[2].verdict else {
            panic!("{:?}", results[2])
        };
        assert!(why.starts_with(&format!("{}:2: ", results[2].file.display())), "{why}");

        let missing = dir.path().join("missing.toml");
        let err = run(root, std::slice::from_ref(&missing)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("no scenario file or folder at `{}`", missing.display())
        );
    }
}
