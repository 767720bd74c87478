//! Workflow files of the access repository (`.github/workflows/*.yml`, `*.yaml`): a `uses:`
//! still holding the templates' all-zero commit (`gitgrant init` without `--action-ref`)
//! cannot resolve, so the gate and the reconciler would fail on their first run. `check`
//! says so at the line, before anything is pushed (issue 12 item 1).

use crate::core::diag::diagnostic::Diagnostic;
use crate::core::files::tree::{Entry, Tree};

/// The placeholder's commit part: `@` and 40 zeros.
const ZERO_COMMIT: &str = "@0000000000000000000000000000000000000000";

/// Whether `path` is a workflow file GitHub runs.
pub fn is_workflow(path: &str) -> bool {
    path.strip_prefix(".github/workflows/")
        .is_some_and(|name| !name.contains('/') && (name.ends_with(".yml") || name.ends_with(".yaml")))
}

/// One error per `uses:` whose reference is the all-zero placeholder commit.
pub fn check_placeholders(tree: &Tree, diags: &mut Vec<Diagnostic>) {
    for (path, entry) in &tree.entries {
        let (true, Entry::File(bytes)) = (is_workflow(path), entry) else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(bytes) else { continue };
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            if let Some(span) = placeholder_in(line) {
                let span = offset + span.start..offset + span.end;
                diags.push(
                    Diagnostic::error(
                        "action-placeholder",
                        format!("`{}` is the template's placeholder: this workflow cannot run", &text[span.clone()]),
                    )
                    .at(path.as_str(), span)
                    .help("pin the gitgrant action to the repository and full commit SHA of the release you reviewed (`uses: OWNER/REPO@<40-hex SHA>`), or write the workflows again with `gitgrant init --action-ref OWNER/REPO@SHA`"),
                );
            }
            offset += line.len();
        }
    }
}

/// The span of `OWNER/REPO@000…0` in a `uses:` line (comments aside), if there is one.
fn placeholder_in(line: &str) -> Option<std::ops::Range<usize>> {
    let code = line.split(" #").next().unwrap_or(line);
    let uses = code.find("uses:")?;
    let at = code[uses..].find(ZERO_COMMIT)? + uses;
    let end = at + ZERO_COMMIT.len();
    if code[end..].chars().next().is_some_and(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let start = code[..at].rfind(|c: char| c.is_whitespace() || c == ':' || c == '"' || c == '\'')? + 1;
    Some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Tree {
        let mut t = Tree::default();
        for (p, c) in files {
            t.insert(*p, Entry::File(c.as_bytes().to_vec()));
        }
        t
    }

    #[test]
    fn the_placeholder_is_found_at_its_line_and_a_pinned_reference_is_not() {
        let zero = "0".repeat(40);
        let wf = format!(
            "jobs:\n  gate:\n    steps:\n      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5\n      - uses: gitgrant/gitgrant@{zero} # vX.Y.Z\n"
        );
        let t = tree(&[
            (".github/workflows/gitgrant.yml", &wf),
            (
                ".github/workflows/other.yaml",
                "steps:\n  - uses: acme/tool@1111111111111111111111111111111111111111\n",
            ),
            ("docs/example.yml", &wf),
        ]);
        let mut diags = Vec::new();
        check_placeholders(&t, &mut diags);
        assert_eq!(diags.len(), 1, "{diags:?}");
        let d = &diags[0];
        assert_eq!(d.code, "action-placeholder");
        assert_eq!(d.file.as_deref(), Some(".github/workflows/gitgrant.yml"));
        let span = d.span.clone().unwrap();
        assert_eq!(&wf[span], format!("gitgrant/gitgrant@{zero}"));
    }

    #[test]
    fn a_quoted_placeholder_or_a_longer_id_is_handled() {
        let zero = "0".repeat(40);
        assert!(placeholder_in(&format!("  - uses: \"gitgrant/gitgrant@{zero}\"\n")).is_some());
        assert!(placeholder_in(&format!("  - uses: gitgrant/gitgrant@{zero}0\n")).is_none());
        assert!(
            placeholder_in(&format!("  # uses: gitgrant/gitgrant@{zero}\n")).is_none(),
            "a comment"
        );
        assert!(placeholder_in(&format!("  name: gitgrant/gitgrant@{zero}\n")).is_none());
    }
}
