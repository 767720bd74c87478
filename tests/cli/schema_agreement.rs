//! The JSON Schemas in schemas/ and the Rust types accept and reject the same files.
//!
//! "The Rust types" means serde's raw types plus each file's own value rules (validation
//! without the directory). Rules that relate several values or files are Rust-only by
//! design and are listed in `RUST_ONLY`; the schema cannot express them.

use gitgrant::core::diag::diagnostic::Diagnostic;
use gitgrant::core::files::document::TomlDocument;
use gitgrant::core::files::raw::{RawAccess, RawDirectory, RawIdentities, RawRequest};
use gitgrant::core::files::schema::{self, FileKind};
use gitgrant::core::model::Ctx;
use gitgrant::core::model::directory::Directory;
use gitgrant::core::model::identities::Identities;
use gitgrant::core::model::policy::Policy;
use gitgrant::core::model::request::Request;

use crate::support::fixtures;

/// Rust-only rules: uniqueness, one value against another, and ranges regexes cannot state.
const RUST_ONLY: &[&str] = &[
    "duplicate-rule-id",
    "duplicate-login",
    "duplicate-entry",
    "duplicate-account",
    "duplicate-ou",
    "duplicate-permission-set",
    "duplicate-group",
    "permission-set-not-managed",
    "rule-without-targets",
    "rule-max-exceeds-settings",
    "unknown-ou",
];

fn kind_of(path: &str) -> Option<FileKind> {
    match path {
        "policies/access.toml" => Some(FileKind::Access),
        "policies/identities.toml" => Some(FileKind::Identities),
        "policies/directory.toml" => Some(FileKind::Directory),
        p if p.starts_with("requests/") && p.ends_with(".toml") => Some(FileKind::Request),
        _ => None,
    }
}

/// Whether serde and the file's own rules accept the text.
fn rust_accepts(kind: FileKind, text: &str) -> bool {
    let mut diags: Vec<Diagnostic> = Vec::new();
    let mut cx = Ctx {
        file: "f",
        diags: &mut diags,
    };
    let ok = match kind {
        FileKind::Request => toml::from_str::<RawRequest>(text)
            .map(|r| Request::from_raw(r, None, "f", None, &mut cx).is_some())
            .unwrap_or(false),
        FileKind::Access => toml::from_str::<RawAccess>(text)
            .map(|r| drop(Policy::from_raw(r, None, &mut cx)))
            .is_ok(),
        FileKind::Identities => toml::from_str::<RawIdentities>(text)
            .map(|r| drop(Identities::from_raw(r, &mut cx)))
            .is_ok(),
        FileKind::Directory => toml::from_str::<RawDirectory>(text)
            .map(|r| drop(Directory::from_raw(r, &mut cx)))
            .is_ok(),
    };
    ok && !diags.iter().any(|d| d.is_error() && !RUST_ONLY.contains(&d.code))
}

fn collect(dir: &std::path::Path, rel: &str, out: &mut Vec<(String, std::path::PathBuf)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        let r = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if e.file_type().unwrap().is_dir() {
            collect(&e.path(), &r, out);
        } else {
            out.push((r, e.path()));
        }
    }
}

#[test]
fn schemas_and_rust_types_agree_on_every_fixture() {
    let mut files = Vec::new();
    collect(&fixtures().join("base"), "", &mut files);
    for case in std::fs::read_dir(fixtures().join("cases")).unwrap() {
        collect(&case.unwrap().path(), "", &mut files);
    }
    let mut compared = 0;
    let mut rejected = 0;
    for (rel, path) in files {
        let Some(kind) = kind_of(&rel) else { continue };
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        // TOML syntax errors stop both before either applies
        let Ok(doc) = TomlDocument::parse(&rel, text) else {
            continue;
        };
        let by_schema = schema::is_valid(kind, &doc.json);
        let by_rust = rust_accepts(kind, text);
        // Durations over a year pass the schema's pattern; Rust refuses them (a range).
        if text.contains("\"400d\"") {
            assert!(by_schema && !by_rust);
            continue;
        }
        assert_eq!(
            by_schema,
            by_rust,
            "{} ({}): schema says {by_schema}, Rust says {by_rust}",
            path.display(),
            kind.name()
        );
        compared += 1;
        rejected += usize::from(!by_schema);
    }
    assert!(
        compared > 60 && rejected > 25,
        "compared {compared}, rejected {rejected}"
    );
}

#[test]
fn schemas_in_the_repository_are_the_embedded_ones() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for kind in FileKind::ALL {
        let on_disk = std::fs::read_to_string(root.join(format!("schemas/{}.schema.json", kind.name()))).unwrap();
        assert_eq!(on_disk, kind.schema_text());
    }
}
