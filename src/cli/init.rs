//! `gitgrant init DIR`: write a new access repository from the templates and say what next.

use std::path::Path;

use crate::app::error::AppError;
use crate::cli::Exit;

pub fn run(dir: &Path) -> Result<Exit, AppError> {
    for path in crate::app::init::write(dir)? {
        println!("wrote {}", dir.join(path).display());
    }
    println!(
        "next: edit policies/, then run `gitgrant check --repo {}`",
        dir.display()
    );
    Ok(Exit::Success)
}
