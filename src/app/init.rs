//! `gitgrant init DIR`: writes a new access repository from commented templates, with the
//! schemas editors use to complete and check the files.

use std::path::Path;

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
pub fn write(dir: &Path) -> Result<Vec<String>, String> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
        if entries.next().is_some() {
            return Err(format!(
                "`{}` is not empty; init writes only into a new or empty directory",
                dir.display()
            ));
        }
    }
    let mut written = Vec::new();
    for (path, contents) in files() {
        let target = dir.join(&path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
        }
        std::fs::write(&target, contents).map_err(|e| format!("cannot write `{}`: {e}", target.display()))?;
        written.push(path);
    }
    Ok(written)
}
