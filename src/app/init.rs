//! `gitgrant init DIR`: writes a new access repository from commented templates, with the
//! schemas editors use to complete and check the files.

use std::path::Path;

use crate::app::error::AppError;
use crate::core::files::schema::FileKind;

/// (path, contents) of every file `init` writes.
pub fn files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = vec![
        (
            "policies/access.toml".into(),
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/init/access.toml")).into(),
        ),
        (
            "policies/identities.toml".into(),
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/init/identities.toml")).into(),
        ),
        (
            "policies/directory.toml".into(),
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/init/directory.toml")).into(),
        ),
        (
            ".github/CODEOWNERS".into(),
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/init/CODEOWNERS")).into(),
        ),
        (
            "requests/README.md".into(),
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/init/requests-README.md")).into(),
        ),
        ("README.md".into(), include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/init/README.md")).into()),
        (
            ".github/workflows/gitgrant.yml".into(),
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/init/workflows/gitgrant.yml")).into(),
        ),
        (
            ".github/workflows/gitgrant-review-trigger.yml".into(),
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/init/workflows/gitgrant-review-trigger.yml")).into(),
        ),
        (
            ".github/workflows/gitgrant-reconcile.yml".into(),
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/init/workflows/gitgrant-reconcile.yml")).into(),
        ),
        (
            ".github/workflows/gitgrant-check.yml".into(),
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/init/workflows/gitgrant-check.yml")).into(),
        ),
        (
            "scenarios/example-auto-approved.toml".into(),
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/init/scenario.toml")).into(),
        ),
    ];
    for kind in FileKind::ALL {
        files.push((
            format!("schemas/{}.schema.json", kind.name()),
            kind.schema_text().into(),
        ));
    }
    files
}

/// Writes the templates into `dir`, which must be missing or empty. Returns the paths.
pub fn write(dir: &Path) -> Result<Vec<String>, AppError> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|source| AppError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        if entries.next().is_some() {
            return Err(AppError::NotEmpty(dir.to_path_buf()));
        }
    }
    let mut written = Vec::new();
    for (path, contents) in files() {
        write_file(&dir.join(&path), contents.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// Writes one file, creating its folder first (also `directory sync`'s write).
pub(crate) fn write_file(target: &Path, contents: &[u8]) -> Result<(), AppError> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|source| AppError::CreateDir {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(target, contents).map_err(|source| AppError::Write {
        path: target.to_path_buf(),
        source,
    })
}
