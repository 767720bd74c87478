//! The `audit` and `status` subcommands' output: render the report the app layer returns
//! in the chosen format, write it (a reader that stopped early is no failure), note the
//! report's problems on stderr, and map the outcome to an exit code: 0, 1 (verification
//! findings) or 2 (operational failure).

use std::io::Write;

use chrono::Utc;

use crate::app::audit;
use crate::app::error::AppError;
use crate::cli::{AuditArgs, AuditFormat, Exit, StatusArgs, StatusFormat};
use crate::core::audit::filter::Filter;
use crate::core::audit::{Report, html, render, status};

pub fn run_audit(a: AuditArgs) -> Result<Exit, AppError> {
    let verified = a.verify;
    let format = a.format;
    let at = a.at.unwrap_or_else(Utc::now);
    let found = audit::run_audit(audit::AuditArgs {
        repo: &a.repo,
        reference: &a.reference,
        filter: Filter {
            since: a.since,
            until: a.until,
            user: a.user,
            account: a.account,
            statuses: a.status,
        },
        verify: a.verify,
        at,
    })?;
    if let Some(n) = &found.notice {
        eprintln!("gitgrant audit: note: {n}");
    }
    let report = &found.report;
    // table, csv and json are written as they render, not built whole first
    emit_with(&mut |out| match format {
        AuditFormat::Table => render::write_table(report, verified, out),
        AuditFormat::Csv => render::write_csv(report, verified, out),
        AuditFormat::Json => render::write_json(report, out),
        AuditFormat::Markdown => out.write_all(render::markdown(report, verified).as_bytes()),
        AuditFormat::Html => out.write_all(html::html(report, verified, at).as_bytes()),
    })?;
    // json, markdown and html carry the problems in their output
    if matches!(format, AuditFormat::Table | AuditFormat::Csv) {
        note_problems(report);
    }
    if verified {
        eprintln!(
            "gitgrant audit: {} row(s), {} verification finding(s)",
            report.rows.len(),
            found.findings
        );
    }
    let code = Exit::findings_if(found.findings > 0);
    // the process ends here: freeing a 100,000-event ledger piece by piece only costs time
    found.leak();
    Ok(code)
}

pub fn run_status(a: &StatusArgs) -> Result<Exit, AppError> {
    let view = audit::run_status(&a.repo, &a.reference, a.at.unwrap_or_else(Utc::now))?;
    emit(&match a.format {
        StatusFormat::Human => status::human(&view, &a.reference),
        StatusFormat::Json => status::json(&view) + "\n",
    })?;
    Ok(Exit::Success)
}

/// Writes the output; a reader that stopped early (`| head`) is not a failure.
fn emit(text: &str) -> Result<(), AppError> {
    emit_with(&mut |out| out.write_all(text.as_bytes()))
}

/// Writes the output `write` renders, buffered; a reader that stopped early is not a failure.
fn emit_with(write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>) -> Result<(), AppError> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(AppError::Output(e)),
        _ => Ok(()),
    }
}

fn note_problems(report: &Report) {
    for p in &report.problems {
        eprintln!("gitgrant: note: {}", render::printable(p));
    }
    let with = report.rows.iter().filter(|r| !r.problems.is_empty()).count();
    if with > 0 {
        eprintln!("gitgrant: note: {with} row(s) have problems: see their `problems` column (csv, json)");
    }
}
