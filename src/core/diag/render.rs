//! Rendering diagnostics: one model, three outputs (terminal text with the offending text
//! underlined, JSON, GitHub workflow-command annotations). Spans become line and column here.

use std::fmt::Write;

use serde::Serialize;

use crate::core::diag::diagnostic::{Diagnostic, line_col};

/// Output formats of commands that report diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
    Markdown,
}

/// Gives the text of a file, for line numbers and excerpts.
pub trait Sources {
    fn text(&self, path: &str) -> Option<&str>;
}

/// File texts of a tree (UTF-8 files only, BOM stripped so offsets agree).
impl Sources for crate::core::files::tree::Tree {
    fn text(&self, path: &str) -> Option<&str> {
        crate::core::files::tree::Tree::text(self, path)
    }
}

/// One text for every path (tests, single-file callers).
pub struct SingleSource<'a>(pub &'a str);

impl Sources for SingleSource<'_> {
    fn text(&self, _path: &str) -> Option<&str> {
        Some(self.0)
    }
}

/// A diagnostic with its position resolved.
#[derive(Debug, Serialize)]
pub struct Located<'a> {
    pub code: &'a str,
    pub severity: &'a str,
    pub message: &'a str,
    pub file: Option<&'a str>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub help: Option<&'a str>,
}

pub fn locate<'a>(d: &'a Diagnostic, sources: &dyn Sources) -> Located<'a> {
    let pos = match (&d.file, &d.span) {
        (Some(f), Some(span)) => sources.text(f).map(|t| line_col(t, span.start)),
        (Some(_), None) => Some((1, 1)),
        _ => None,
    };
    Located {
        code: d.code,
        severity: d.severity.as_str(),
        message: &d.message,
        file: d.file.as_deref(),
        line: pos.map(|p| p.0),
        column: pos.map(|p| p.1),
        help: d.help.as_deref(),
    }
}

pub fn json(diags: &[Diagnostic], sources: &dyn Sources) -> String {
    let located: Vec<Located<'_>> = diags.iter().map(|d| locate(d, sources)).collect();
    serde_json::to_string_pretty(&located).unwrap_or_else(|_| "[]".into())
}

/// GitHub workflow commands: `::error file=F,line=L,col=C,title=T::message`.
pub fn github(diags: &[Diagnostic], sources: &dyn Sources) -> String {
    let mut out = String::new();
    for d in diags {
        let l = locate(d, sources);
        let mut props = Vec::new();
        if let Some(f) = l.file {
            props.push(format!("file={}", escape_property(f)));
        }
        if let Some(line) = l.line {
            props.push(format!("line={line}"));
        }
        if let Some(col) = l.column {
            props.push(format!("col={col}"));
        }
        props.push(format!("title={}", escape_property(&format!("gitgrant {}", d.code))));
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        let _ = writeln!(out, "::{} {}::{}", l.severity, props.join(","), escape_data(&message));
    }
    out
}

/// Escaping of a workflow command's message.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escaping of a workflow command's property values.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Terminal text: a header, the location, the line with the span underlined, the help.
pub fn human(diags: &[Diagnostic], sources: &dyn Sources) -> String {
    let mut out = String::new();
    for d in diags {
        let _ = writeln!(out, "{}[{}]: {}", d.severity.as_str(), d.code, d.message);
        let text = d.file.as_deref().and_then(|f| sources.text(f));
        match (&d.file, &d.span, text) {
            (Some(f), Some(span), Some(text)) => {
                let (line, col) = line_col(text, span.start);
                let _ = writeln!(out, "  --> {f}:{line}:{col}");
                excerpt(&mut out, text, span.clone(), line, col, d.label.as_deref());
            }
            (Some(f), _, _) => {
                let _ = writeln!(out, "  --> {f}");
            }
            _ => {}
        }
        if let Some(h) = &d.help {
            let _ = writeln!(out, "  = help: {h}");
        }
        out.push('\n');
    }
    out
}

fn excerpt(out: &mut String, text: &str, span: std::ops::Range<usize>, line: usize, col: usize, label: Option<&str>) {
    let Some(line_text) = text.split('\n').nth(line - 1) else {
        return;
    };
    let line_text = line_text.trim_end_matches('\r');
    let gutter = line.to_string().len();
    // underline to the end of the span or of the line, whichever comes first, at least one
    let span_chars = text
        .get(span.clone())
        .map_or(1, |s| s.split('\n').next().unwrap_or("").chars().count());
    let line_rest = line_text.chars().count().saturating_sub(col - 1);
    let width = span_chars.min(line_rest).max(1);
    let shown: String = line_text.chars().take(200).collect();
    let _ = writeln!(out, "{:gutter$} |", "");
    let _ = writeln!(out, "{line} | {shown}");
    let pad: String = line_text
        .chars()
        .take(col - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let mut underline = format!("{:gutter$} | {pad}{}", "", "^".repeat(width));
    if let Some(l) = label {
        underline.push(' ');
        underline.push_str(l);
    }
    let _ = writeln!(out, "{underline}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping() {
        assert_eq!(escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn human_underlines_the_span() {
        let text = "a = 1\nduraton = \"2h\"\n";
        let d = Diagnostic::error("unknown-field", "unknown field `duraton`")
            .at("r.toml", 6..13)
            .label("here")
            .help("h");
        let out = human(&[d], &SingleSource(text));
        assert_eq!(
            out,
            "error[unknown-field]: unknown field `duraton`\n  --> r.toml:2:1\n  |\n2 | duraton = \"2h\"\n  | ^^^^^^^ here\n  = help: h\n\n"
        );
    }
}
