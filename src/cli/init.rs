//! `gitgrant init DIR`: write a new access repository from the templates and say what next.

use std::path::Path;

use crate::app::error::AppError;
use crate::cli::Exit;

pub fn run(dir: &Path, action_ref: Option<&str>) -> Result<Exit, AppError> {
    use crate::app::init::{ACTION_PLACEHOLDER, parse_action_ref};
    let action_ref = match action_ref {
        Some(text) => match parse_action_ref(text) {
            Some(r) => Some(r),
            None => {
                eprintln!(
                    "gitgrant: --action-ref `{text}` is not OWNER/REPO@SHA with a full 40-hex-digit commit id; nothing written"
                );
                return Ok(Exit::Failure);
            }
        },
        None => None,
    };
    for path in crate::app::init::write(dir, action_ref.as_deref())? {
        println!("wrote {}", dir.join(path).display());
    }
    if action_ref.is_none() {
        println!(
            "note: the workflows use `{ACTION_PLACEHOLDER}`, which does not exist: they fail until you replace it (or run `gitgrant init --action-ref OWNER/REPO@SHA`)"
        );
    }
    let d = dir.display();
    println!("next, in {d} (docs/getting-started.md of gitgrant walks each step):");
    println!("  1. `gitgrant directory sync` with AWS credentials: policies/directory.toml from your organization");
    println!(
        "  2. policies/identities.toml (GitHub login -> Identity Center user), policies/access.toml (who may ask for what)"
    );
    println!("  3. .github/CODEOWNERS: your approvers in place of @example-org/...; scenarios/: your names");
    println!(
        "  4. `gitgrant check` and `gitgrant test`, then push, and set up GitHub and AWS per docs/branch-protection.md"
    );
    Ok(Exit::Success)
}
