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

/// Every non-test function longer than `max` lines, as `file:line: name (N lines)`: counted
/// from the `fn` line to the closing brace at the same indent.
fn long_functions(src: &Path, max: usize) -> Vec<String> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().take_while(|l| l.trim() != "#[cfg(test)]").collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(name) = fn_name(line) else { continue };
            let indent = &line[..line.len() - line.trim_start().len()];
            // a declaration without a body (a trait method) ends with `;` before any `{`
            let Some(open) = (i..lines.len()).find(|&j| lines[j].contains('{') || lines[j].trim_end().ends_with(';'))
            else {
                continue;
            };
            if !lines[open].contains('{') || (open == i && line.trim_end().ends_with('}')) {
                continue;
            }
            let close = (open..lines.len()).find(|&j| lines[j] == format!("{indent}}}"));
            let length = close.map_or(lines.len() - i, |c| c - i + 1);
            if length > max {
                let rel = file.strip_prefix(src).unwrap().display();
                found.push(format!("src/{rel}:{}: {name} ({length} lines)", i + 1));
            }
        }
    }
    found
}

/// The function a line declares, if it starts one (`pub(crate) async fn name(`...).
fn fn_name(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    while let Some(r) = ["pub(crate) ", "pub(super) ", "pub ", "const ", "async ", "unsafe "]
        .iter()
        .find_map(|p| rest.strip_prefix(p))
    {
        rest = r;
    }
    let rest = rest.strip_prefix("fn ")?;
    rest.split(['(', '<']).next().filter(|n| !n.is_empty())
}

#[test]
fn no_function_is_longer_than_80_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = long_functions(&src, 80);
    assert!(found.is_empty(), "functions over 80 lines:\n{}", found.join("\n"));
}

#[test]
fn the_length_check_counts_from_fn_to_its_closing_brace() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let body = |n: usize| "    let _x = 1;\n".repeat(n);
    std::fs::write(
        src.join("a.rs"),
        format!(
            "//! a\nimpl A {{\n    pub(crate) async fn long(\n        x: u8,\n    ) {{\n{}    }}\n}}\nfn ok() {{\n{}}}\ntrait T {{\n    fn decl(&self);\n}}\nfn one() {{ 1 }}\n#[cfg(test)]\nmod tests {{\n    fn t() {{\n{}    }}\n}}\n",
            body(78),
            body(78),
            body(100)
        ),
    )
    .unwrap();
    // `long`: 3 signature lines, 78 body lines, the closing brace: 82; `ok`: 80
    assert_eq!(long_functions(src, 80), ["src/a.rs:3: long (82 lines)"]);
    assert_eq!(
        long_functions(src, 79),
        ["src/a.rs:3: long (82 lines)", "src/a.rs:86: ok (80 lines)"]
    );
}

#[test]
fn every_source_file_says_what_it_is_for() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let bare: Vec<String> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().starts_with("//!"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(bare.is_empty(), "files without a leading //! comment: {bare:?}");
}

/// Lines of `src/<under>` (non-test code) that contain one of `needles`, except in `allowed`.
fn uses(src: &Path, under: &str, needles: &[&str], allowed: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    sources(&src.join(under), &mut files);
    let mut found = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap().to_string_lossy().replace('\\', "/");
        if allowed.contains(&rel.as_str()) {
            continue;
        }
        for (n, line) in code_lines(&file) {
            if needles.iter().any(|x| line.contains(x)) {
                found.push(format!("src/{rel}:{n}: {}", line.trim()));
            }
        }
    }
    found
}

#[test]
fn the_app_layer_returns_data_and_never_prints() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let printing = [
        "println!",
        "print!(",
        "eprintln!",
        "eprint!(",
        "io::stdout",
        "io::stderr",
        "ExitCode",
    ];
    let found = uses(&src, "app", &printing, &[]);
    assert!(
        found.is_empty(),
        "the app layer prints or picks exit codes:\n{}",
        found.join("\n")
    );
}

#[test]
fn environment_variables_are_read_in_one_adapter() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let reads = ["env::var(", "env::var_os(", "env::vars("];
    let found = uses(&src, "", &reads, &["adapters/actions.rs"]);
    assert!(
        found.is_empty(),
        "environment read outside adapters/actions.rs:\n{}",
        found.join("\n")
    );
    // the process environment is read once, at the edge, and passed in
    let edges = uses(
        &src,
        "",
        &["RunEnvironment::from_"],
        &["adapters/actions.rs", "adapters/github/mod.rs"],
    );
    assert_eq!(edges.len(), 1, "{edges:#?}");
    assert!(edges[0].starts_with("src/cli/mod.rs:"), "{edges:#?}");
}
