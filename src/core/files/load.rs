//! Loading file kinds from a tree: decode, parse, schema, raw types, validated types. Each
//! stage's findings are collected; a file that fails a stage goes no further.

use crate::core::diag::diagnostic::Diagnostic;
use crate::core::files::document::{self, MAX_POLICY_BYTES, MAX_REQUEST_BYTES, TomlDocument};
use crate::core::files::raw::{RawAccess, RawDirectory, RawIdentities, RawRequest};
use crate::core::files::schema::{self, FileKind};
use crate::core::files::tree::{self, Entry, Tree};
use crate::core::model::Ctx;
use crate::core::model::codeowners::CodeOwners;
use crate::core::model::directory::Directory;
use crate::core::model::identities::Identities;
use crate::core::model::policy::Policy;
use crate::core::model::request::{PathProblem, Request, RequestPath};

/// The trusted files of a tree as far as each loaded: what `check` reports on. Nothing is
/// decided from this type; deciding needs a [`PolicySet`], which exists only when valid.
#[derive(Debug, Default)]
pub struct PolicyFiles {
    pub directory: Option<Directory>,
    pub identities: Option<Identities>,
    pub policy: Option<Policy>,
    pub codeowners: Option<CodeOwners>,
}

impl PolicyFiles {
    /// True when every policy file loaded (possibly with errors in it).
    pub fn is_complete(&self) -> bool {
        self.view().is_some()
    }

    /// The four files, when each loaded: for `check`, which reports on a policy with errors.
    pub fn view(&self) -> Option<PolicyView<'_>> {
        Some(PolicyView {
            directory: self.directory.as_ref()?,
            identities: self.identities.as_ref()?,
            policy: self.policy.as_ref()?,
            codeowners: self.codeowners.as_ref()?,
        })
    }
}

/// The four trusted files, every one loaded and without a single error: what the gate, the
/// reconciler and `audit --verify` decide against. Only [`policy_set`] makes one, so a
/// policy with validation errors cannot be decided against by mistake.
#[derive(Debug)]
pub struct PolicySet {
    directory: Directory,
    identities: Identities,
    policy: Policy,
    codeowners: CodeOwners,
}

impl PolicySet {
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    pub fn identities(&self) -> &Identities {
        &self.identities
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn codeowners(&self) -> &CodeOwners {
        &self.codeowners
    }

    pub fn view(&self) -> PolicyView<'_> {
        PolicyView {
            directory: &self.directory,
            identities: &self.identities,
            policy: &self.policy,
            codeowners: &self.codeowners,
        }
    }
}

/// Borrowed access to four loaded policy files, valid or not (see [`PolicyFiles::view`]).
#[derive(Debug, Clone, Copy)]
pub struct PolicyView<'a> {
    pub directory: &'a Directory,
    pub identities: &'a Identities,
    pub policy: &'a Policy,
    pub codeowners: &'a CodeOwners,
}

/// A policy that did not validate: its error diagnostics (at least one).
#[derive(Debug, Clone)]
pub struct InvalidPolicy {
    pub errors: Vec<Diagnostic>,
}

impl InvalidPolicy {
    /// One line naming the first error and where it is, for messages and reasons.
    pub fn summary(&self) -> String {
        match self.errors.first() {
            Some(d) => {
                let more = match self.errors.len() {
                    1 => String::new(),
                    n => format!(" (and {} more)", n - 1),
                };
                format!(
                    "{}: [{}] {}{more}",
                    d.file.as_deref().unwrap_or("policy"),
                    d.code,
                    d.message
                )
            }
            None => "the policy files did not load".to_string(),
        }
    }
}

/// The policy a decision is made against: valid, or why not.
pub type BasePolicy = Result<PolicySet, InvalidPolicy>;

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

/// Loads the four trusted files to decide against: every finding goes to `diags`, and the
/// result is a [`PolicySet`] only when no file is missing and none has an error.
pub fn policy_set(tree: &Tree, diags: &mut Vec<Diagnostic>) -> BasePolicy {
    let mut found = Vec::new();
    let files = policy_files(tree, &mut found);
    let errors: Vec<Diagnostic> = found.iter().filter(|d| d.is_error()).cloned().collect();
    diags.extend(found);
    match files {
        PolicyFiles {
            directory: Some(directory),
            identities: Some(identities),
            policy: Some(policy),
            codeowners: Some(codeowners),
        } if errors.is_empty() => Ok(PolicySet {
            directory,
            identities,
            policy,
            codeowners,
        }),
        _ => Err(InvalidPolicy { errors }),
    }
}

/// Loads the four trusted files as far as each goes, for reporting. References are
/// validated against the directory when it loaded; without it, only each file's own rules
/// are checked.
pub fn policy_files(tree: &Tree, diags: &mut Vec<Diagnostic>) -> PolicyFiles {
    let mut set = PolicyFiles::default();
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
    // GitHub's precedence: `.github/CODEOWNERS`, then `CODEOWNERS`, then `docs/CODEOWNERS`
    let codeowners = tree.codeowners_path();
    if let Some(bytes) = read(tree, codeowners, true, diags)
        && let Some(text) = document::decode(codeowners, bytes, MAX_POLICY_BYTES, diags)
    {
        set.codeowners = Some(CodeOwners::parse(
            text,
            &mut Ctx {
                file: codeowners,
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

/// `.gitkeep` and README files may sit in `requests/` folders: not requests, never rows.
pub fn is_ignorable(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    matches!(name, ".gitkeep" | "README.md")
}
