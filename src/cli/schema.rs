//! `gitgrant schema [KIND]`: print a file kind's JSON Schema, or list the kinds.

use crate::app::error::AppError;
use crate::cli::Exit;
use crate::core::files::schema::FileKind;

pub fn run(kind: Option<&str>) -> Result<Exit, AppError> {
    let Some(name) = kind else {
        for k in FileKind::ALL {
            println!("{:<11} {}", k.name(), k.location());
        }
        return Ok(Exit::Success);
    };
    let k = FileKind::from_name(name).ok_or_else(|| {
        AppError::Usage(format!(
            "unknown file kind `{name}`; kinds: request, access, identities, directory"
        ))
    })?;
    print!("{}", k.schema_text());
    Ok(Exit::Success)
}
