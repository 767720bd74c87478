//! `gitgrant init DIR`: writes a new access repository from commented templates, with the
//! schemas editors use to complete and check the files.

use std::path::Path;

use crate::app::error::AppError;
use crate::core::files::schema::FileKind;

/// A template file of `templates/init/`, built into the binary.
macro_rules! template {
    ($file:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/init/", $file))
    };
}

/// (where `init` writes it, template) of every templated file.
const TEMPLATES: [(&str, &str); 12] = [
    ("policies/access.toml", template!("access.toml")),
    ("policies/identities.toml", template!("identities.toml")),
    ("policies/directory.toml", template!("directory.toml")),
    (".github/CODEOWNERS", template!("CODEOWNERS")),
    ("requests/README.md", template!("requests-README.md")),
    ("README.md", template!("README.md")),
    (".github/workflows/gitgrant.yml", template!("workflows/gitgrant.yml")),
    (
        ".github/workflows/gitgrant-review-trigger.yml",
        template!("workflows/gitgrant-review-trigger.yml"),
    ),
    (
        ".github/workflows/gitgrant-reconcile.yml",
        template!("workflows/gitgrant-reconcile.yml"),
    ),
    (
        ".github/workflows/gitgrant-check.yml",
        template!("workflows/gitgrant-check.yml"),
    ),
    (
        ".github/workflows/gitgrant-directory-sync.yml",
        template!("workflows/gitgrant-directory-sync.yml"),
    ),
    ("scenarios/example-auto-approved.toml", template!("scenario.toml")),
];

/// The reference every workflow template carries until it is given a real one: an all-zero
/// commit that does not exist, so an unedited workflow fails instead of running something.
pub const ACTION_PLACEHOLDER: &str = "gitgrant/gitgrant@0000000000000000000000000000000000000000";

/// `--action-ref OWNER/REPO@SHA`: where the workflows get the gitgrant action, pinned to a
/// full commit id. `None` when it is not of that form (or is the placeholder).
pub fn parse_action_ref(text: &str) -> Option<String> {
    let (repo, sha) = text.split_once('@')?;
    let (owner, name) = repo.split_once('/')?;
    let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    let commit = sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()) && sha.chars().any(|c| c != '0');
    (word(owner) && word(name) && commit).then(|| format!("{owner}/{name}@{}", sha.to_ascii_lowercase()))
}

/// (path, contents) of every file `init` writes: the templates (with `action_ref` in place
/// of the placeholder when given) and the schemas.
pub fn files(action_ref: Option<&str>) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = TEMPLATES
        .iter()
        .map(|(path, text)| {
            let text = match action_ref {
                Some(r) => text.replace(ACTION_PLACEHOLDER, r),
                None => text.to_string(),
            };
            (path.to_string(), text)
        })
        .collect();
    for kind in FileKind::ALL {
        files.push((
            format!("schemas/{}.schema.json", kind.name()),
            kind.schema_text().into(),
        ));
    }
    files
}

/// Writes the templates into `dir`, which must be missing, empty, or hold only `.git` (a
/// fresh clone of an empty repository, or `git init .`). Returns the paths.
pub fn write(dir: &Path, action_ref: Option<&str>) -> Result<Vec<String>, AppError> {
    if dir.exists() {
        let entries = std::fs::read_dir(dir).map_err(|source| AppError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut others = entries.filter(|e| e.as_ref().map_or(true, |e| e.file_name() != ".git"));
        if others.next().is_some() {
            return Err(AppError::NotEmpty(dir.to_path_buf()));
        }
    }
    let mut written = Vec::new();
    for (path, contents) in files(action_ref) {
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
