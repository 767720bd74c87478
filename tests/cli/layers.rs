//! The layers of DESIGN 12, enforced on the source: dependencies point inward only
//! (cli -> app -> adapters and core; adapters -> core), and the core does no I/O, reads no
//! clock and no environment. Test code (`#[cfg(test)]` sections, `tests.rs` files) is exempt.

use std::path::{Path, PathBuf};

const LAYERS: [&str; 4] = ["core", "adapters", "app", "cli"];

/// Layers each layer may name (`crate::<layer>`), besides itself.
fn allowed(layer: &str) -> &'static [&'static str] {
    match layer {
        "core" => &[],
        "adapters" => &["core"],
        "app" => &["core", "adapters"],
        _ => &["core", "adapters", "app"],
    }
}

/// What the pure core must never do.
const IMPURE: [&str; 12] = [
    "std::fs",
    "std::env",
    "std::process",
    "std::net",
    "std::io::stdin",
    "Utc::now",
    "Local::now",
    "SystemTime::now",
    "Instant::now",
    "tokio::",
    "println!",
    "eprintln!",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") && path.file_name().is_some_and(|n| n != "tests.rs") {
            out.push(path);
        }
    }
}

/// The non-test code of a file, comment lines dropped, with line numbers.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

/// Every violation in the tree as `file:line: what`.
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap().to_string_lossy().replace('\\', "/");
        let Some(layer) = LAYERS.iter().find(|l| rel.starts_with(&format!("{l}/"))) else {
            continue;
        };
        for (n, line) in code_lines(&file) {
            for other in LAYERS.iter().filter(|o| *o != layer && !allowed(layer).contains(o)) {
                if line.contains(&format!("crate::{other}::")) || line.contains(&format!("crate::{other};")) {
                    found.push(format!("src/{rel}:{n}: {layer} depends on {other}: {}", line.trim()));
                }
            }
            if *layer == "core" {
                for bad in IMPURE.iter().filter(|b| line.contains(*b)) {
                    found.push(format!("src/{rel}:{n}: the core uses `{bad}`: {}", line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn dependencies_point_inward_and_the_core_is_pure() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(found.is_empty(), "layer violations:\n{}", found.join("\n"));
}

#[test]
fn the_check_catches_an_outward_dependency_and_an_impure_core() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("core")).unwrap();
    std::fs::create_dir_all(src.join("adapters")).unwrap();
    std::fs::write(
        src.join("core/a.rs"),
        "//! a\nuse crate::adapters::git::Git;\nfn f() { let _ = chrono::Utc::now(); }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("adapters/b.rs"),
        "//! b\nuse crate::core::x;\nuse crate::cli::Common;\n",
    )
    .unwrap();
    std::fs::write(
        src.join("core/c.rs"),
        "//! c\n#[cfg(test)]\nmod tests { fn t() { std::fs::read(\"x\"); } }\n",
    )
    .unwrap();
    let mut found = violations(src);
    found.sort();
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found[0].starts_with("src/adapters/b.rs:3: adapters depends on cli"),
        "{found:#?}"
    );
    assert!(
        found[1].starts_with("src/core/a.rs:2: core depends on adapters"),
        "{found:#?}"
    );
    assert!(
        found[2].starts_with("src/core/a.rs:3: the core uses `Utc::now`"),
        "{found:#?}"
    );
}

#[test]
fn tests_do_not_use_the_cli_module() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let mut bad = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            if line.contains(concat!("gitgrant", "::cli")) {
                bad.push(format!("{}:{}", path.display(), i + 1));
            }
        }
    }
    assert!(bad.is_empty(), "tests import the CLI module: {bad:?}");
}
