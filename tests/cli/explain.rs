//! `gitgrant explain` and the code registry: every code the source can emit is registered,
//! every registered code has a real explanation, `docs/diagnostics.md` is exactly what
//! `gitgrant explain --markdown` prints, and the command's three forms.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use gitgrant::core::diag::catalog;
use gitgrant::core::diag::codes::{self, Kind};

use crate::support::bin;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The non-test part of a source file: up to its `#[cfg(test)]` module (test modules
/// close the files of this crate), nothing of a file that is a test module itself.
fn non_test_text(path: &Path) -> String {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return String::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Every code literal the source passes to a diagnostic or reason constructor:
/// `Diagnostic::error("c"`, `cx.warning("c"`, `reason("c"`, `Reason { code: "c"`,
/// `Some(("c", message))` (approval notes), `reason: Some("c"` and the literals of a
/// `let why = if ... { "c" } else ...;` chain (plan removals). Code -> files using it.
fn emitted_codes() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let constructors = regex::Regex::new(
        r#"(?:Diagnostic::(?:error|warning)|\bcx\.(?:error|warning)|\breason)\(\s*"([^"]*)"|\bcode:\s*"([^"]*)"|Some\(\(\s*"([^"]*)",|\breason:\s*Some\(\s*"([^"]*)""#,
    )
    .unwrap();
    let literal = regex::Regex::new(r#""([^"]*)""#).unwrap();
    let kebab = regex::Regex::new(r"^[a-z]+(?:-[a-z]+)*$").unwrap();
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(root).unwrap().display().to_string();
        if rel.starts_with("src/core/diag/") {
            continue; // the registry itself
        }
        let text = non_test_text(&f);
        let mut add = |code: &str| {
            found.entry(code.to_string()).or_default().insert(rel.clone());
        };
        for c in constructors.captures_iter(&text) {
            if let Some(m) = (1..=4).find_map(|i| c.get(i)) {
                add(m.as_str());
            }
        }
        for (start, _) in text.match_indices("let why = if") {
            let chain = &text[start..];
            let chain = &chain[..chain.find(';').unwrap_or(chain.len())];
            for l in literal.captures_iter(chain) {
                if kebab.is_match(&l[1]) {
                    add(&l[1]);
                }
            }
        }
    }
    found
}

#[test]
fn every_code_the_source_emits_is_registered() {
    let found = emitted_codes();
    // the scan itself sees each way codes are written (else it could pass by finding nothing)
    for known in [
        "missing-file",
        "invalid-value",
        "approval-stale",
        "requester-not-author",
        "no-rule-covers-target",
        "no-approved-pr",
        "user-not-found",
        // the removal reasons are the serde names of plan::RemovalReason (tested there)
        "internal",
    ] {
        assert!(found.contains_key(known), "the source scan no longer finds `{known}`");
    }
    let missing: Vec<String> = found
        .iter()
        .filter(|(code, _)| codes::find(code).is_none())
        .map(|(code, files)| format!("`{code}` (in {})", files.iter().cloned().collect::<Vec<_>>().join(", ")))
        .collect();
    assert!(
        missing.is_empty(),
        "codes emitted but not registered in src/core/diag/codes.rs (add each, with its explanation in explain.rs): {}",
        missing.join("; ")
    );
}

#[test]
fn codes_are_unique_and_every_one_is_explained() {
    let mut seen = BTreeSet::new();
    for c in codes::every() {
        assert!(seen.insert(c.code), "`{}` is registered twice", c.code);
        assert!(
            !c.summary.is_empty() && !c.group.is_empty() && !c.effect.is_empty(),
            "{c:?}"
        );
    }
    let (unexplained, unregistered) = catalog::gaps();
    assert!(
        unexplained.is_empty(),
        "registered codes without an explanation: {unexplained:?}"
    );
    assert!(
        unregistered.is_empty(),
        "explanations of codes not registered: {unregistered:?}"
    );
    // the diagnostic table the schema and the fixtures use is the registry's
    let diagnostics: Vec<&str> = codes::DIAGNOSTICS.iter().map(|c| c.code).collect();
    assert_eq!(diagnostics, codes::ALL);
    assert!(codes::every().all(|c| (c.kind == Kind::FileDiagnostic) == codes::ALL.contains(&c.code)));
}

/// How the code shows in its example: as gitgrant prints a diagnostic, a gate reason, a
/// blocked request, or a plan removal.
fn printed_form(e: &catalog::Entry) -> Vec<String> {
    let c = e.code.code;
    match e.code.kind {
        Kind::FileDiagnostic => vec![format!("{}[{c}]: ", e.code.effect)],
        Kind::GateDecision => vec![format!("  [{c}] ")],
        Kind::Reconcile => vec![format!(": [{c}] ")],
        Kind::Removal => vec![format!("({c})\n"), format!("{c}  ")],
    }
}

#[test]
fn every_explanation_has_four_distinctive_parts() {
    let entries = catalog::entries();
    let mut seen: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for e in &entries {
        let code = e.code.code;
        let parts = e.parts();
        for (heading, text) in &parts[..3] {
            assert!(
                text.len() >= 20 && text.ends_with(['.', ')']),
                "`{code}`: `{heading}` is not a sentence: {text:?}"
            );
            assert!(
                !text.contains(e.code.summary),
                "`{code}`: `{heading}` only repeats the summary"
            );
        }
        let example = parts[3].1;
        let shown = format!("{example}\n");
        assert!(
            printed_form(e).iter().any(|f| shown.contains(f.as_str())),
            "`{code}`: the example does not show the code as gitgrant prints it ({:?}):\n{example}",
            printed_form(e)
        );
        for (heading, text) in parts {
            if let Some(other) = seen.insert((heading, text), code) {
                panic!("`{code}` and `{other}` share the same `{heading}` text: a template, not an explanation");
            }
        }
    }
}

#[test]
fn docs_diagnostics_md_is_the_generated_catalog() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md");
    let docs = std::fs::read_to_string(&path).unwrap();
    let generated = catalog::markdown();
    if docs != generated {
        let first = docs
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or("its length".to_string(), |i| format!("line {}", i + 1));
        panic!(
            "docs/diagnostics.md differs from the registry at {first}; regenerate it: \
             cargo run -- explain --markdown > docs/diagnostics.md"
        );
    }
    for e in catalog::entries() {
        assert!(
            docs.contains(&format!("#### `{}`\n", e.code.code)),
            "no section for `{}`",
            e.code.code
        );
    }
    let (code, out, _) = run(&["explain", "--markdown"]);
    assert_eq!(code, 0);
    assert_eq!(out, docs, "`gitgrant explain --markdown` is not docs/diagnostics.md");
}

#[test]
fn explain_prints_every_part_of_a_reason_and_of_a_diagnostic() {
    let (code, out, err) = run(&["explain", "approval-stale"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("approval-stale: an approval of an earlier commit, not the PR's current head\n"),
        "{out}"
    );
    for heading in [
        "What it means",
        "Why the review does not count",
        "How to fix it",
        "Example",
    ] {
        assert!(out.contains(&format!("\n{heading}\n")), "no `{heading}` in:\n{out}");
    }
    assert!(
        out.contains("    [approval-stale] `carol` approved commit 4b8e7a1"),
        "{out}"
    );
    assert!(out.contains("approve again"), "{out}");

    let (code, out, _) = run(&["explain", "duplicate-login"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("File diagnostics / References and uniqueness; error"),
        "{out}"
    );
    assert!(out.contains("\nWhy gitgrant refuses\n"), "{out}");
    assert!(
        out.contains("    error[duplicate-login]: login `alice` is listed twice"),
        "{out}"
    );
}

#[test]
fn explain_without_a_code_lists_every_code_by_kind() {
    let (code, out, _) = run(&["explain"]);
    assert_eq!(code, 0);
    let mut at = 0;
    for kind in Kind::ALL {
        let pos = out
            .find(&format!("{}\n", kind.title()))
            .unwrap_or_else(|| panic!("no `{}`", kind.title()));
        assert!(pos >= at, "kinds out of order:\n{out}");
        at = pos;
    }
    for c in codes::every() {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(c.code))
            .unwrap_or_else(|| panic!("`{}` is not listed", c.code));
        assert!(line.ends_with(c.summary), "{line}");
    }
    // a reason sits under its kind: after "Reconcile and plan reasons", before "Removal reasons"
    let reconcile = out.find("Reconcile and plan reasons\n").unwrap();
    let removal = out.find("Removal reasons\n").unwrap();
    let pos = out.find("    no-approved-pr ").unwrap();
    assert!(reconcile < pos && pos < removal);
}

#[test]
fn explain_refuses_an_unknown_code_naming_it() {
    let (code, out, err) = run(&["explain", "approval-old"]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("unknown code `approval-old`"), "{err}");
    let (code, _, err) = run(&["explain", "approval-stal"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `approval-stale`?"), "{err}");
}
