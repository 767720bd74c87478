//! `gitgrant directory sync`: reads the organization, permission sets and the Identity Center
//! groups the policy names from AWS, and rewrites `policies/directory.toml` when something
//! changed. The new file must pass the same loader `gitgrant check` uses before it is written.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::adapters::aws::{self, AwsError, Group, IdentityCenter, OrgSnapshot};
use crate::app::error::AppError;
use crate::app::init::write_file;
use crate::core::diag::diagnostic::Diagnostic;
use crate::core::files::document::MAX_POLICY_BYTES;
use crate::core::files::load::parse_toml;
use crate::core::files::raw::{RawAccess, RawDirectory};
use crate::core::files::schema::FileKind;
use crate::core::files::tree::{self, Tree};
use crate::core::model::Ctx;
use crate::core::model::directory::Directory;
use crate::core::model::policy::Principal;

pub struct Options<'a> {
    pub repo: &'a Path,
    pub instance_arn: Option<&'a str>,
    pub at: DateTime<Utc>,
    /// Report whether the file is out of date (exit 1) without writing it.
    pub check: bool,
}

/// The groups to read: those the current snapshot lists and those `idc-group:` principals
/// of the policy name (the policy is read leniently: a broken policy names no groups).
pub fn wanted_groups(tree: &Tree) -> Vec<String> {
    let mut names = BTreeSet::new();
    let mut ignored = Vec::new();
    if let Some(text) = tree.text(tree::DIRECTORY)
        && let Some(raw) = parse_toml::<RawDirectory>(
            FileKind::Directory,
            tree::DIRECTORY,
            text.as_bytes(),
            MAX_POLICY_BYTES,
            &mut ignored,
        )
    {
        names.extend(raw.group.into_iter().map(|g| g.into_inner().name.into_inner()));
    }
    if let Some(text) = tree.text(tree::ACCESS)
        && let Some(raw) = parse_toml::<RawAccess>(
            FileKind::Access,
            tree::ACCESS,
            text.as_bytes(),
            MAX_POLICY_BYTES,
            &mut ignored,
        )
    {
        for rule in raw.eligibility {
            for p in &rule.get_ref().principals {
                if let Some(Principal::IdcGroup(g)) = Principal::parse(p.get_ref()) {
                    names.insert(g);
                }
            }
        }
    }
    names.into_iter().collect()
}

/// The findings of the project's loader on a directory snapshot text.
pub fn validate(text: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    if let Some(raw) = parse_toml::<RawDirectory>(
        FileKind::Directory,
        tree::DIRECTORY,
        text.as_bytes(),
        MAX_POLICY_BYTES,
        &mut diags,
    ) {
        Directory::from_raw(
            raw,
            &mut Ctx {
                file: tree::DIRECTORY,
                diags: &mut diags,
            },
        );
    }
    diags
}

/// What AWS said, read in one go.
pub struct Read {
    pub org: OrgSnapshot,
    pub groups: Vec<Group>,
    pub api_calls: u64,
}

pub async fn read(instance_arn: Option<&str>, group_names: &[String]) -> Result<Read, AwsError> {
    let ic = IdentityCenter::from_env(instance_arn).await?;
    let org = ic.read_organization().await?;
    let groups = ic.read_groups(group_names).await?;
    Ok(Read {
        org,
        groups,
        api_calls: ic.api_calls().values().sum(),
    })
}

/// What a sync does with a freshly rendered snapshot.
#[derive(Debug, PartialEq)]
pub enum Decision {
    /// Same content as the current file: leave it (and its `synced_at`) alone.
    UpToDate,
    /// The new text fails the loader: write nothing, show why.
    Invalid(Vec<Diagnostic>),
    /// Write the new text (warnings, if any, shown).
    Write(Vec<Diagnostic>),
}

/// Decides between keeping the old file, refusing the new one, and writing it.
pub fn decide(old: Option<&str>, new: &str) -> Decision {
    if old.is_some_and(|old| aws::same_content(old, new)) {
        return Decision::UpToDate;
    }
    let diags = validate(new);
    if diags.iter().any(Diagnostic::is_error) {
        Decision::Invalid(diags)
    } else {
        Decision::Write(diags)
    }
}

/// What AWS returned, counted for the summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub ous: usize,
    pub accounts: usize,
    pub permission_sets: usize,
    pub groups: usize,
    pub api_calls: u64,
}

/// What a sync found and did.
#[derive(Debug)]
pub struct Synced {
    /// Groups the policy or the old snapshot names that Identity Center does not have.
    pub missing_groups: Vec<String>,
    pub counts: Counts,
    /// The snapshot rendered from what AWS said (written only on [`Outcome::Written`]).
    pub text: String,
    pub outcome: Outcome,
}

#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// The file has the same content: left alone.
    UpToDate,
    /// The new text fails the loader: nothing written.
    Invalid(Vec<Diagnostic>),
    /// `--check`: the file differs from what AWS says; nothing written.
    OutOfDate,
    /// The new text was written (with these warnings).
    Written(Vec<Diagnostic>),
}

/// Reads AWS, renders the snapshot, and writes it when it changed (and loads) and
/// `opts.check` is off.
pub fn run(opts: &Options<'_>) -> Result<Synced, AppError> {
    let tree = crate::adapters::fs::read_tree(opts.repo)?;
    let group_names = wanted_groups(&tree);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(AppError::Runtime)?;
    let read = runtime.block_on(read(opts.instance_arn, &group_names))?;
    let missing_groups = group_names
        .into_iter()
        .filter(|name| !read.groups.iter().any(|g| &g.name == name))
        .collect();
    let text = aws::render_directory_toml(&read.org, &read.groups, opts.at);
    let counts = Counts {
        ous: read.org.ous.len(),
        accounts: read.org.accounts.len(),
        permission_sets: read.org.permission_sets.len(),
        groups: read.groups.len(),
        api_calls: read.api_calls,
    };
    let outcome = match decide(tree.text(tree::DIRECTORY), &text) {
        Decision::UpToDate => Outcome::UpToDate,
        Decision::Invalid(diags) => Outcome::Invalid(diags),
        Decision::Write(_) if opts.check => Outcome::OutOfDate,
        Decision::Write(warnings) => {
            write_file(&opts.repo.join(tree::DIRECTORY), text.as_bytes())?;
            Outcome::Written(warnings)
        }
    };
    Ok(Synced {
        missing_groups,
        counts,
        text,
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/directory.toml"));

    #[test]
    fn unchanged_content_is_kept_changed_content_is_checked_before_writing() {
        assert_eq!(decide(Some(EXAMPLE), EXAMPLE), Decision::UpToDate);
        let later = EXAMPLE.replace("synced_at = 2026-11-22T00:00:00Z", "synced_at = 2026-12-01T00:00:00Z");
        assert_ne!(later, EXAMPLE);
        assert_eq!(decide(Some(EXAMPLE), &later), Decision::UpToDate);
        let renamed = EXAMPLE.replace("name = \"data-dev\"", "name = \"data-development\"");
        assert_eq!(decide(Some(EXAMPLE), &renamed), Decision::Write(vec![]));
        assert_eq!(decide(None, EXAMPLE), Decision::Write(vec![]));
        // moto's spelling of a permission set ARN is taken verbatim (docs/decisions/0022)
        let moto = EXAMPLE.replace(":sso:::permissionSet/", ":sso:::instance/");
        assert_ne!(moto, EXAMPLE);
        assert_eq!(decide(Some(EXAMPLE), &moto), Decision::Write(vec![]));
        let broken = EXAMPLE.replace("arn:aws:sso:::permissionSet/", "arn:aws:iam:::permissionSet/");
        let Decision::Invalid(diags) = decide(Some(EXAMPLE), &broken) else {
            panic!("a permission set ARN of another service must not be written")
        };
        assert!(diags.iter().all(|d| d.code == "invalid-arn"), "{diags:?}");
    }

    #[test]
    fn groups_come_from_the_snapshot_and_the_policy() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let tree = crate::adapters::fs::read_tree(root).unwrap();
        let groups = wanted_groups(&tree);
        assert!(
            groups.contains(&"SRE".to_string()) && groups.contains(&"DBA".to_string()),
            "{groups:?}"
        );
    }
}
