//! The `audit` and `status` subcommands' output: render the report the app layer returns
//! in the chosen format, write it (a reader that stopped early is no failure), note the
//! report's problems on stderr, and map the outcome to an exit code: 0, 1 (verification
//! findings) or 2 (operational failure).

use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use crate::app::audit::{self, AuditArgs, AuditFormat, StatusFormat};
use crate::core::audit::{Report, render, status};

pub fn run_audit(args: AuditArgs<'_>, format: AuditFormat) -> Result<ExitCode, String> {
    let verified = args.verify;
    let found = audit::run_audit(args).map_err(|e| e.to_string())?;
    let report = &found.report;
    emit(&match format {
        AuditFormat::Table => render::table(report, verified),
        AuditFormat::Csv => render::csv(report, verified),
        AuditFormat::Json => render::json(report) + "\n",
        AuditFormat::Markdown => render::markdown(report, verified),
    })?;
    // json and markdown carry the problems in their output
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
    let code = if found.findings > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // the process ends here: freeing a 100,000-event ledger piece by piece only costs time
    found.leak();
    Ok(code)
}

pub fn run_status(repo: &Path, reference: &str, at: DateTime<Utc>, format: StatusFormat) -> Result<ExitCode, String> {
    let view = audit::run_status(repo, reference, at).map_err(|e| e.to_string())?;
    emit(&match format {
        StatusFormat::Human => status::human(&view, reference),
        StatusFormat::Json => status::json(&view) + "\n",
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the output; a reader that stopped early (`| head`) is not a failure.
fn emit(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write the output: {e}")),
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
