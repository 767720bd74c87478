//! `gitgrant explain [CODE] [--markdown]`: print one code's explanation (what it means,
//! why gitgrant refuses, how to fix it, an example), or list every code with its summary
//! grouped by kind, or print the catalog as Markdown (`docs/diagnostics.md`).

use std::fmt::Write;

use crate::app::error::AppError;
use crate::cli::Exit;
use crate::core::diag::catalog::{self, Entry};
use crate::core::diag::codes::Kind;

/// The width explanations are wrapped to.
const WIDTH: usize = 92;
const INDENT: &str = "    ";

pub fn run(code: Option<&str>, markdown: bool) -> Result<Exit, AppError> {
    let text = match code {
        None if markdown => catalog::markdown(),
        None => listing(),
        Some(c) => {
            let entry = catalog::entry(c).ok_or_else(|| AppError::Usage(unknown(c)))?;
            if markdown {
                catalog::entry_markdown(&entry)
            } else {
                explanation(&entry)
            }
        }
    };
    print!("{text}");
    Ok(Exit::Success)
}

fn unknown(code: &str) -> String {
    let near: Vec<&str> = catalog::entries()
        .iter()
        .map(|e| e.code.code)
        .filter(|c| !code.is_empty() && (c.contains(code) || code.contains(c)))
        .take(5)
        .collect();
    let hint = if near.is_empty() {
        String::new()
    } else {
        format!(
            " (did you mean {}?)",
            near.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        )
    };
    format!("unknown code `{code}`{hint}; `gitgrant explain` lists every code")
}

/// Every code with its summary, under its kind and group.
pub fn listing() -> String {
    let entries = catalog::entries();
    let width = entries.iter().map(|e| e.code.code.len()).max().unwrap_or(0);
    let mut out = String::new();
    for kind in Kind::ALL {
        let _ = writeln!(out, "{}", kind.title());
        let mut group = "";
        for e in entries.iter().filter(|e| e.code.kind == kind) {
            if e.code.group != group {
                group = e.code.group;
                let _ = writeln!(out, "  {group}");
            }
            let _ = writeln!(
                out,
                "    {:<width$}  {:<8}  {}",
                e.code.code, e.code.effect, e.code.summary
            );
        }
        out.push('\n');
    }
    out.push_str("`gitgrant explain CODE` explains one; docs/diagnostics.md has every explanation.\n");
    out
}

/// One code, as `rustc --explain` would: the summary line, then the parts.
pub fn explanation(e: &Entry) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", e.code.code, e.code.summary);
    let _ = writeln!(out, "{} / {}; {}", e.code.kind.title(), e.code.group, e.code.effect);
    let [meaning, why, fix, (example_heading, example)] = e.parts();
    for (heading, text) in [meaning, why, fix] {
        let _ = writeln!(out, "\n{heading}\n{}", wrap(text));
    }
    let _ = writeln!(out, "\n{example_heading}");
    for line in example.lines() {
        let _ = writeln!(out, "{INDENT}{line}");
    }
    out
}

/// Words wrapped to `WIDTH`, each line indented.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && INDENT.len() + line.len() + 1 + word.len() > WIDTH {
            let _ = writeln!(out, "{INDENT}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = write!(out, "{INDENT}{line}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_every_word_and_the_width() {
        let text = "one two three four five six seven eight nine ten ".repeat(12);
        let wrapped = wrap(&text);
        assert!(
            wrapped.lines().all(|l| l.len() <= WIDTH && l.starts_with(INDENT)),
            "{wrapped}"
        );
        assert_eq!(
            wrapped.split_whitespace().collect::<Vec<_>>(),
            text.split_whitespace().collect::<Vec<_>>()
        );
    }

    #[test]
    fn an_unknown_code_is_named_with_near_codes() {
        let m = unknown("stale");
        assert!(m.contains("`stale`") && m.contains("`approval-stale`"), "{m}");
        assert!(!unknown("zzz").contains("did you mean"));
    }
}
