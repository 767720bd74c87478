//! Rendering audit rows: an aligned text table, CSV (RFC 4180), JSON and a Markdown table.
//! Text from files and reviews is user input: the table and Markdown neutralise control
//! characters and Markdown syntax; CSV and JSON keep it exact (quoted or escaped). The
//! table, CSV and JSON are also written row by row to a writer (`write_*`), never whole.

use std::io::{self, Write};

use super::{Report, Review, Row, fmt_time};

/// A column: its header and how a row renders in it.
pub(super) struct Column {
    pub(super) header: &'static str,
    pub(super) cell: fn(&Row) -> String,
    /// Table only: the longest cell shown (longer text is cut with `…`).
    max: Option<usize>,
}

fn t(v: Option<chrono::DateTime<chrono::Utc>>) -> String {
    v.map(fmt_time).unwrap_or_default()
}

fn s(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn reviews(list: &[Review]) -> String {
    list.iter()
        .map(|r| {
            if r.note.is_empty() {
                r.by.clone()
            } else {
                format!("{}: {}", r.by, r.note)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn verify(r: &Row) -> String {
    match &r.verify {
        None => String::new(),
        Some(v) => {
            let verdict = match v.verdict {
                super::Verdict::Ok => "ok",
                super::Verdict::Mismatch => "MISMATCH",
                super::Verdict::Unverifiable => "unverifiable",
            };
            if v.reasons.is_empty() {
                verdict.to_string()
            } else {
                format!("{verdict}: {}", v.reasons.join("; "))
            }
        }
    }
}

macro_rules! col {
    ($h:expr, $f:expr) => {
        Column {
            header: $h,
            cell: $f,
            max: None,
        }
    };
    ($h:expr, $f:expr, $max:expr) => {
        Column {
            header: $h,
            cell: $f,
            max: Some($max),
        }
    };
}

/// Every column, in CSV order.
fn all_columns(with_verify: bool) -> Vec<Column> {
    let mut c = vec![
        col!("id", |r| r.id.clone()),
        col!("status", |r| r.status.as_str().to_string()),
        col!("requester", |r| s(&r.requester)),
        col!("account", |r| s(&r.account)),
        col!("account_id", |r| s(&r.account_id)),
        col!("permission_set", |r| s(&r.permission_set)),
        col!("start", |r| t(r.start)),
        col!("duration", |r| s(&r.duration)),
        col!("end", |r| t(r.end)),
        col!("reason", |r| s(&r.reason)),
        col!("ticket", |r| s(&r.ticket)),
        col!("pr", |r| r.pr.map(|n| n.to_string()).unwrap_or_default()),
        col!("approvers", |r| reviews(&r.approvals)),
        col!("rejected_by", |r| reviews(&r.rejections)),
        col!("approvals_required", |r| r
            .approvals_required
            .map(|n| n.to_string())
            .unwrap_or_default()),
        col!("requested_at", |r| t(r.requested_at)),
        col!("merged_at", |r| t(r.merged_at)),
        col!("added_commit", |r| s(&r.added_commit)),
        col!("removed_commit", |r| s(&r.removed_commit)),
        col!("closed_at", |r| t(r.closed_at)),
        col!("revoked_at", |r| t(r.revoked_at)),
        col!("revoked_by", |r| s(&r.revoked_by)),
        col!("revoke_reason", |r| s(&r.revoke_reason)),
        col!("user_name", |r| s(&r.user_name)),
        col!("activated_at", |r| t(r.activated_at)),
        col!("ended_at", |r| t(r.ended_at)),
        col!("end_reason", |r| s(&r.end_reason)),
        col!("failures", |r| r
            .failures
            .iter()
            .map(|f| format!("{}: {}", fmt_time(f.at), f.reason))
            .collect::<Vec<_>>()
            .join("; ")),
        col!("break_glass_review", |r| r
            .emergency
            .as_ref()
            .map(|e| e.state.as_str().to_string())
            .unwrap_or_default()),
        col!("review_due", |r| t(r.emergency.as_ref().map(|e| e.due))),
        col!("reviewed_by", |r| s(&r
            .emergency
            .as_ref()
            .and_then(|e| e.reviewed_by.clone()))),
        col!("reviewed_at", |r| t(r.emergency.as_ref().and_then(|e| e.reviewed_at))),
        col!("review_note", |r| s(&r
            .emergency
            .as_ref()
            .and_then(|e| e.review_note.clone()))),
    ];
    if with_verify {
        c.push(col!("verify", verify));
    }
    c.push(col!("problems", |r| r.problems.join("; ")));
    c.push(col!("path", |r| r.path.clone()));
    c
}

/// A break-glass grant's review after the fact, in one cell; empty for other rows.
fn break_glass(r: &Row) -> String {
    use crate::core::emergency::ReviewState;
    let Some(e) = &r.emergency else { return String::new() };
    let by = e.reviewed_by.as_deref().unwrap_or("");
    let note = match e.review_note.as_deref() {
        Some(n) if !n.is_empty() => format!(": {n}"),
        _ => String::new(),
    };
    match e.state {
        ReviewState::Awaiting => format!("awaiting review (due {})", fmt_time(e.due)),
        ReviewState::Overdue => format!("review overdue (due {})", fmt_time(e.due)),
        ReviewState::Reviewed => format!("reviewed by {by}{note}"),
        ReviewState::ReviewedLate => format!("reviewed late by {by}{note}"),
    }
}

/// The columns of the table and Markdown views: what an auditor reads first.
pub(super) fn short_columns(with_verify: bool) -> Vec<Column> {
    let mut c = vec![
        col!("ID", |r| r.id.clone()),
        col!("STATUS", |r| r.status.as_str().to_string()),
        col!("REQUESTER", |r| s(&r.requester)),
        col!("ACCOUNT", |r| s(&r.account)),
        col!("PERMISSION SET", |r| s(&r.permission_set)),
        col!("START", |r| t(r.start)),
        col!("DURATION", |r| s(&r.duration)),
        col!("END", |r| t(r.end)),
        col!("REASON", |r| s(&r.reason), 40),
        col!("TICKET", |r| s(&r.ticket), 20),
        col!("PR", |r| r.pr.map(|n| format!("#{n}")).unwrap_or_default()),
        col!("APPROVERS", |r| reviews(&r.approvals), 40),
        col!("ACTIVATED", |r| t(r.activated_at)),
        col!("ENDED", |r| t(r.ended_at)),
        col!("END REASON", |r| s(&r.end_reason)),
        col!("BREAK-GLASS", break_glass, 40),
    ];
    if with_verify {
        c.push(col!("VERIFY", verify, 40));
    }
    c.push(col!("PROBLEMS", |r| if r.problems.is_empty() {
        String::new()
    } else {
        r.problems.len().to_string()
    }));
    c
}

/// Control characters (terminal escapes, line breaks) of user text become visible marks.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

fn cut(text: String, max: Option<usize>) -> String {
    match max {
        Some(m) if text.chars().count() > m => {
            let mut out: String = text.chars().take(m.saturating_sub(1)).collect();
            out.push('…');
            out
        }
        _ => text,
    }
}

/// An aligned text table, columns separated by two spaces.
pub fn table(report: &Report, with_verify: bool) -> String {
    let mut out = Vec::new();
    // writing to memory cannot fail
    let _ = write_table(report, with_verify, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// `table`, written row by row: a first pass measures the columns, the second renders each
/// row as it is written, so no row's cells are held beyond its line.
pub fn write_table(report: &Report, with_verify: bool, out: &mut dyn Write) -> io::Result<()> {
    let cols = short_columns(with_verify);
    let cells = |r: &Row| -> Vec<String> { cols.iter().map(|c| cut(printable(&(c.cell)(r)), c.max)).collect() };
    let mut widths: Vec<usize> = cols.iter().map(|c| c.header.chars().count()).collect();
    for r in &report.rows {
        for (w, cell) in widths.iter_mut().zip(cells(r)) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |row: Vec<String>| -> String {
        let mut out = String::new();
        let last = row.len() - 1;
        for (i, (cell, w)) in row.into_iter().zip(&widths).enumerate() {
            out.push_str(&cell);
            if i < last {
                let pad = w - cell.chars().count() + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    out.write_all(line(cols.iter().map(|c| c.header.to_string()).collect()).as_bytes())?;
    for r in &report.rows {
        out.write_all(line(cells(r)).as_bytes())?;
    }
    Ok(())
}

pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// RFC 4180: a header line, CRLF line ends, fields with commas, quotes or line breaks
/// quoted with quotes doubled. Every column, text exact.
pub fn csv(report: &Report, with_verify: bool) -> String {
    let mut out = Vec::new();
    // writing to memory cannot fail
    let _ = write_csv(report, with_verify, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// `csv`, written row by row.
pub fn write_csv(report: &Report, with_verify: bool, out: &mut dyn Write) -> io::Result<()> {
    let cols = all_columns(with_verify);
    let header = cols.iter().map(|c| csv_field(c.header)).collect::<Vec<_>>().join(",");
    out.write_all(header.as_bytes())?;
    out.write_all(b"\r\n")?;
    for r in &report.rows {
        let line = cols
            .iter()
            .map(|c| csv_field(&(c.cell)(r)))
            .collect::<Vec<_>>()
            .join(",");
        out.write_all(line.as_bytes())?;
        out.write_all(b"\r\n")?;
    }
    Ok(())
}

/// `{"rows": [...], "problems": [...]}`.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default()
}

/// `json` and a line end, serialized straight to `out` (never whole in memory).
pub fn write_json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // serde_json hands back the writer's own error (a closed pipe stays `BrokenPipe`)
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Markdown special characters of user text are escaped, so a reason cannot add links,
/// images, HTML or break the table (`#N` still links to the pull request).
pub fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in printable(text).chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A Markdown table of the table's columns (text not cut), then the problems.
pub fn markdown(report: &Report, with_verify: bool) -> String {
    let cols = short_columns(with_verify);
    let mut out = format!(
        "| {} |\n|{}|\n",
        cols.iter().map(|c| c.header).collect::<Vec<_>>().join(" | "),
        cols.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in &report.rows {
        out.push_str(&format!(
            "| {} |\n",
            cols.iter()
                .map(|c| md_escape(&(c.cell)(r)))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    let row_problems: Vec<String> = report
        .rows
        .iter()
        .flat_map(|r| {
            r.problems
                .iter()
                .map(move |p| format!("`{}`: {}", r.path.replace('`', ""), md_escape(p)))
        })
        .collect();
    if !report.problems.is_empty() || !row_problems.is_empty() {
        out.push_str("\n**Problems**\n\n");
        for p in report.problems.iter().map(|p| md_escape(p)).chain(row_problems) {
            out.push_str(&format!("- {p}\n"));
        }
    }
    out
}
