//! Loading file kinds from a tree: decode, parse, schema, raw types, validated types. Each
//! stage's findings are collected; a file that fails a stage goes no further.

use crate::core::diag::diagnostic::Diagnostic;
use crate::core::files::document::{self, MAX_POLICY_BYTES, MAX_REQUEST_BYTES, TomlDocument};
use crate::core::model::Ctx;
use crate::core::model::codeowners::CodeOwners;
use crate::core::model::directory::Directory;
use crate::core::model::identities::Identities;
use crate::core::model::policy::Policy;
use crate::core::model::request::{PathProblem, Request, RequestPath};
use crate::core::files::raw::{RawAccess, RawDirectory, RawIdentities, RawRequest};
use crate::core::files::schema::{self, FileKind};
use crate::core::files::tree::{self, Entry, Tree};

/// The trusted files of a tree: what decides who may request and approve what.
#[derive(Debug, Default)]
pub struct PolicySet {
    pub directory: Option<Directory>,
    pub identities: Option<Identities>,
    pub policy: Option<Policy>,
    pub codeowners: Option<CodeOwners>,
}

impl PolicySet {
    /// True when every policy file loaded; the gate and the reconciler refuse to decide
    /// anything on a partial policy.
    pub fn is_complete(&self) -> bool {
        self.directory.is_some() && self.identities.is_some() && self.policy.is_some() && self.codeowners.is_some()
    }
}

/// Runs a TOML file through decode, parse, schema and serde. Returns the raw value.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    kind: FileKind,
    path: &str,
    bytes: &[u8],
    limit: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    let text = document::decode(path, bytes, limit, diags)?;
    let mut doc = match TomlDocument::parse(path, text) {
        Ok(doc) => doc,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let schema_findings = schema::validate(kind, &doc);
    if !schema_findings.is_empty() {
        diags.extend(schema_findings);
        return None;
    }
    match doc.deserialize::<T>() {
        Ok(raw) => Some(raw),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

fn read<'t>(tree: &'t Tree, path: &str, required: bool, diags: &mut Vec<Diagnostic>) -> Option<&'t [u8]> {
    match tree.file(path) {
        Some(Entry::File(bytes)) => Some(bytes),
        Some(Entry::Large(size)) => {
            diags.push(
                Diagnostic::error(
                    "file-too-large",
                    format!("file is {size} bytes, over the limit of {MAX_POLICY_BYTES} bytes"),
                )
                .in_file(path),
            );
            None
        }
        Some(Entry::Symlink) => {
            diags.push(
                Diagnostic::error("symlink", "policy files must not be symbolic links")
                    .in_file(path)
                    .help("replace the link by the file itself; links can point outside the reviewed tree"),
            );
            None
        }
        None if required => {
            diags.push(
                Diagnostic::error("missing-file", format!("`{path}` is missing"))
                    .in_file(path)
                    .help("run `gitgrant init DIR` to see a complete access repository"),
            );
            None
        }
        None => None,
    }
}

/// Loads the four trusted files. References are validated against the directory when it
/// loaded; without it, only each file's own rules are checked.
pub fn policy_set(tree: &Tree, diags: &mut Vec<Diagnostic>) -> PolicySet {
    let mut set = PolicySet::default();
    if let Some(bytes) = read(tree, tree::DIRECTORY, true, diags)
        && let Some(raw) =
            parse_toml::<RawDirectory>(FileKind::Directory, tree::DIRECTORY, bytes, MAX_POLICY_BYTES, diags)
    {
        set.directory = Some(Directory::from_raw(
            raw,
            &mut Ctx {
                file: tree::DIRECTORY,
                diags,
            },
        ));
    }
    if let Some(bytes) = read(tree, tree::IDENTITIES, true, diags)
        && let Some(raw) =
            parse_toml::<RawIdentities>(FileKind::Identities, tree::IDENTITIES, bytes, MAX_POLICY_BYTES, diags)
    {
        set.identities = Some(Identities::from_raw(
            raw,
            &mut Ctx {
                file: tree::IDENTITIES,
                diags,
            },
        ));
    }
    if let Some(bytes) = read(tree, tree::ACCESS, true, diags)
        && let Some(raw) = parse_toml::<RawAccess>(FileKind::Access, tree::ACCESS, bytes, MAX_POLICY_BYTES, diags)
    {
        set.policy = Some(Policy::from_raw(
            raw,
            set.directory.as_ref(),
            &mut Ctx {
                file: tree::ACCESS,
                diags,
            },
        ));
    }
    if let Some(bytes) = read(tree, tree::CODEOWNERS, true, diags)
        && let Some(text) = document::decode(tree::CODEOWNERS, bytes, MAX_POLICY_BYTES, diags)
    {
        set.codeowners = Some(CodeOwners::parse(
            text,
            &mut Ctx {
                file: tree::CODEOWNERS,
                diags,
            },
        ));
    }
    set
}

/// Loads one entry under `requests/`: path rules first, then the file.
pub fn request(
    path: &str,
    entry: &Entry,
    directory: Option<&Directory>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Request> {
    if *entry == Entry::Symlink {
        diags.push(
            Diagnostic::error("symlink", "entries under `requests/` must not be symbolic links")
                .in_file(path)
                .help("replace the link by the file itself; a link's target is not what reviewers approved"),
        );
        return None;
    }
    let request_path = match RequestPath::parse(path) {
        Ok(p) => p,
        Err(PathProblem::NotToml) => {
            if !is_ignorable(path) {
                diags.push(
                    Diagnostic::error("unexpected-file", "only `.toml` request files may be under `requests/`")
                        .in_file(path)
                        .help("move other files out of `requests/`; every file there is read as a request"),
                );
            }
            return None;
        }
        Err(PathProblem::WrongDepth) => {
            diags.push(Diagnostic::error("non-canonical-path", "request files live at `requests/<account-name>/<permission-set>/<id>.toml`").in_file(path).help("move the file; code owners are chosen by path, so the path must name the account and permission set"));
            return None;
        }
        Err(PathProblem::BadId(id)) => {
            diags.push(
                Diagnostic::error(
                    "invalid-request-id",
                    format!("request id `{id}` is not lowercase letters, digits and single dashes"),
                )
                .in_file(path)
                .help("rename the file, e.g. `inc-4821-rollback.toml` (at most 64 characters)"),
            );
            return None;
        }
    };
    let bytes = match entry {
        Entry::File(b) => b,
        Entry::Large(size) => {
            diags.push(
                Diagnostic::error(
                    "file-too-large",
                    format!("file is {size} bytes, over the limit of {MAX_REQUEST_BYTES} bytes"),
                )
                .in_file(path)
                .help("request files are small; a file this large is refused unread"),
            );
            return None;
        }
        Entry::Symlink => return None,
    };
    let raw = parse_toml::<RawRequest>(FileKind::Request, path, bytes, MAX_REQUEST_BYTES, diags)?;
    Request::from_raw(
        raw,
        Some(&request_path),
        path,
        directory,
        &mut Ctx { file: path, diags },
    )
}

/// `.gitkeep` and README files may sit in `requests/` folders.
fn is_ignorable(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    matches!(name, ".gitkeep" | "README.md")
}
