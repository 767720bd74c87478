//! CODEOWNERS (`.github/CODEOWNERS`): who may approve which paths, with GitHub's matching
//! semantics (gitignore-style patterns, last matching line wins) from `codeowners-rs`.

use std::ops::Range;

use codeowners_rs::RuleSet;

use super::Ctx;

/// An owner named on a CODEOWNERS line. Logins and teams are lowercased (GitHub compares
/// them case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    User(String),
    /// `org/slug`
    Team(String),
    Email(String),
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Owner::User(u) => write!(f, "@{u}"),
            Owner::Team(t) => write!(f, "@{t}"),
            Owner::Email(e) => write!(f, "{e}"),
        }
    }
}

/// One rule line: its pattern, owners and where it is.
#[derive(Debug, Clone)]
pub struct CodeOwnersRule {
    pub pattern: String,
    pub owners: Vec<Owner>,
    pub span: Range<usize>,
}

#[derive(Clone)]
pub struct CodeOwners {
    ruleset: RuleSet,
    pub rules: Vec<CodeOwnersRule>,
}

impl std::fmt::Debug for CodeOwners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeOwners").field("rules", &self.rules).finish()
    }
}

impl CodeOwners {
    /// Parses CODEOWNERS text; syntax errors and invalid owners become diagnostics.
    pub fn parse(text: &str, cx: &mut Ctx<'_>) -> CodeOwners {
        let parsed = codeowners_rs::parse(text);
        for e in &parsed.errors {
            let message = e.message.trim_end_matches('.').to_string();
            let (code, help) = if message.starts_with("invalid owner") {
                (
                    "codeowners-invalid-owner",
                    "owners are `@user`, `@org/team` or an e-mail address",
                )
            } else {
                (
                    "codeowners-syntax",
                    "see GitHub's CODEOWNERS syntax: a pattern followed by owners",
                )
            };
            cx.error(code, e.span.0..e.span.1.max(e.span.0), message, help);
        }
        let rules = parsed
            .rules
            .iter()
            .map(|r| CodeOwnersRule {
                pattern: r.pattern.0.clone(),
                owners: r.owners.iter().map(|o| convert(&o.0)).collect(),
                span: r.pattern.1.0..r.pattern.1.1,
            })
            .collect();
        CodeOwners {
            ruleset: parsed.into_ruleset(),
            rules,
        }
    }

    /// The owners of a repository-relative path (no leading `/`); empty when no line
    /// matches or the last matching line names nobody.
    pub fn owners_of(&self, path: &str) -> Vec<Owner> {
        self.ruleset
            .owners(path)
            .map(|o| o.iter().map(convert).collect())
            .unwrap_or_default()
    }

    /// The index of the line deciding a path's owners, if any.
    pub fn deciding_rule(&self, path: &str) -> Option<&CodeOwnersRule> {
        let r = self.ruleset.matching_rule(path)?;
        self.rules.iter().rev().find(|x| x.pattern == r.pattern)
    }
}

/// The crate validated each owner already; its kind enum is not exported, so the kind is
/// read back from the value's shape (`@org/team`, `@user`, e-mail).
fn convert(o: &codeowners_rs::Owner) -> Owner {
    match o.value.strip_prefix('@') {
        Some(rest) if rest.contains('/') => Owner::Team(rest.to_ascii_lowercase()),
        Some(rest) => Owner::User(rest.to_ascii_lowercase()),
        None => Owner::Email(o.value.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (CodeOwners, Vec<crate::core::diag::diagnostic::Diagnostic>) {
        let mut diags = vec![];
        let co = CodeOwners::parse(
            text,
            &mut Ctx {
                file: ".github/CODEOWNERS",
                diags: &mut diags,
            },
        );
        (co, diags)
    }

    #[test]
    fn last_matching_line_wins_and_paths_are_case_sensitive() {
        let (co, diags) = parse(
            "/requests/ @acme/security-admins\n/requests/payments-prod/ @acme/Payments-Leads @Carol\n/requests/payments-prod/ReadOnlyAccess/\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            co.owners_of("requests/data-dev/X/a.toml"),
            vec![Owner::Team("acme/security-admins".into())]
        );
        assert_eq!(
            co.owners_of("requests/payments-prod/AdministratorAccess/a.toml"),
            vec![Owner::Team("acme/payments-leads".into()), Owner::User("carol".into())]
        );
        // the last matching line names nobody: nobody owns it
        assert!(co.owners_of("requests/payments-prod/ReadOnlyAccess/a.toml").is_empty());
        assert_eq!(co.owners_of("Requests/payments-prod/X/a.toml"), vec![]);
    }

    #[test]
    fn invalid_owner_is_reported_at_its_line() {
        let (_, diags) = parse("/policies/ @acme/admins\n/requests/ not-an-owner\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "codeowners-invalid-owner");
        assert_eq!(diags[0].span.as_ref().unwrap().start, 35);
    }
}
