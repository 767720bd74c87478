//! `gitgrant check`: check every policy and request file of a working tree, print the
//! findings in the chosen format; exit 1 when any is an error.

use chrono::Utc;

use crate::app::error::AppError;
use crate::cli::{CheckArgs, Exit};
use crate::core::diag::render::{self, Format};
use crate::core::files::tree;

pub fn run(a: &CheckArgs) -> Result<Exit, AppError> {
    let tree = crate::adapters::fs::read_tree(&a.repo)?;
    let checked = crate::core::rules::check::check(&tree, a.at.unwrap_or_else(Utc::now));
    let diags = &checked.diagnostics.0;
    let sources: &dyn render::Sources = &tree;
    match a.format {
        Format::Human => {
            print!("{}", render::human(diags, sources));
            println!(
                "gitgrant check: {} error(s), {} warning(s) in {} request file(s) and {} policy file(s)",
                checked.diagnostics.error_count(),
                checked.diagnostics.warning_count(),
                checked.requests.len() + checked.invalid_requests,
                tree::TRUSTED_FILES.iter().filter(|p| tree.file(p).is_some()).count()
            );
        }
        Format::Json => println!("{}", render::json(diags, sources)),
        Format::Github => print!("{}", render::github(diags, sources)),
        Format::Markdown => println!("```\n{}```", render::human(diags, sources)),
    }
    Ok(Exit::findings_if(checked.diagnostics.has_errors()))
}
