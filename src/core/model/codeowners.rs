//! CODEOWNERS (`.github/CODEOWNERS`, else `CODEOWNERS`, else `docs/CODEOWNERS`): who may
//! approve which paths, with GitHub's matching semantics (gitignore-style patterns, last
//! matching line wins) from `codeowners-rs`, and e-mail owners tied to logins through
//! `policies/identities.toml`.

use std::collections::HashMap;
use std::ops::Range;

use codeowners_rs::RuleSet;

use super::Ctx;
use super::identities::Identities;

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
    /// Placeholder the crate saw -> the e-mail address written (see [`mask_emails`]).
    masked: HashMap<String, String>,
    /// Every e-mail owner and where it is written, in file order.
    emails: Vec<(String, Range<usize>)>,
}

impl std::fmt::Debug for CodeOwners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeOwners").field("rules", &self.rules).finish()
    }
}

impl CodeOwners {
    /// Parses CODEOWNERS text; syntax errors and invalid owners become diagnostics.
    pub fn parse(text: &str, cx: &mut Ctx<'_>) -> CodeOwners {
        let (masked_text, masked) = mask_emails(text);
        let parsed = codeowners_rs::parse(&masked_text);
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
                owners: r.owners.iter().map(|o| convert(&o.0, &masked)).collect(),
                span: r.pattern.1.0..r.pattern.1.1,
            })
            .collect();
        let emails = parsed
            .rules
            .iter()
            .flat_map(|r| &r.owners)
            .filter_map(|o| match convert(&o.0, &masked) {
                Owner::Email(e) => Some((e, o.1.0..o.1.1)),
                _ => None,
            })
            .collect();
        CodeOwners {
            ruleset: parsed.into_ruleset(),
            rules,
            masked,
            emails,
        }
    }

    /// The owners of a repository-relative path (no leading `/`); empty when no line
    /// matches or the last matching line names nobody.
    pub fn owners_of(&self, path: &str) -> Vec<Owner> {
        self.ruleset
            .owners(path)
            .map(|o| o.iter().map(|o| convert(o, &self.masked)).collect())
            .unwrap_or_default()
    }

    /// Every e-mail owner on any line and where it is written, in file order.
    pub fn email_owners(&self) -> impl Iterator<Item = (&str, Range<usize>)> {
        self.emails.iter().map(|(e, span)| (e.as_str(), span.clone()))
    }

    /// The index of the line deciding a path's owners, if any.
    pub fn deciding_rule(&self, path: &str) -> Option<&CodeOwnersRule> {
        let r = self.ruleset.matching_rule(path)?;
        self.rules.iter().rev().find(|x| x.pattern == r.pattern)
    }
}

/// The crate validated each owner already; its kind enum is not exported, so the kind is
/// read back from the value's shape (`@org/team`, `@user`, e-mail; a masked address is
/// given back as written).
fn convert(o: &codeowners_rs::Owner, masked: &HashMap<String, String>) -> Owner {
    match o.value.strip_prefix('@') {
        Some(rest) if rest.contains('/') => Owner::Team(rest.to_ascii_lowercase()),
        Some(rest) => Owner::User(rest.to_ascii_lowercase()),
        None => Owner::Email(masked.get(&o.value).unwrap_or(&o.value).clone()),
    }
}

/// Whether an owner is an e-mail address as GitHub takes them: `local@domain`, the local
/// part letters, digits and `._%+'-`, the domain dot-separated labels of letters, digits and
/// `-`, the last one at least two letters.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty() && local.chars().all(|c| c.is_ascii_alphanumeric() || "._%+'-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let labels_ok = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let tld = labels.last().copied().unwrap_or("");
    local_ok && labels_ok && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
}

/// codeowners-rs refuses addresses whose top-level domain is longer than six letters
/// (`carol@acme.example`), which GitHub accepts. Such an owner is replaced, before the
/// crate parses the text, by a placeholder of the same length that it accepts (so every
/// span stays where it was); the map gives the placeholders back.
fn mask_emails(text: &str) -> (String, HashMap<String, String>) {
    let mut out = String::with_capacity(text.len());
    let mut masked = HashMap::new();
    for line in text.split_inclusive('\n') {
        let owners_at = owners_start(line);
        out.push_str(&line[..owners_at]);
        let mut rest = &line[owners_at..];
        while !rest.is_empty() {
            let end = rest
                .find([' ', '\t', '\r', '\n', '#'])
                .map_or(rest.len(), |i| if i == 0 { 1 } else { i });
            let token = &rest[..end];
            if token.starts_with('#') {
                out.push_str(rest);
                break;
            }
            let tld_len = token.rsplit('.').next().map_or(0, str::len);
            let placeholder = format!("{}@g.zz", masked.len());
            if is_email(token) && tld_len > 6 && token.len() >= placeholder.len() {
                let padded = format!("{}{placeholder}", "x".repeat(token.len() - placeholder.len()));
                masked.insert(padded.clone(), token.to_string());
                out.push_str(&padded);
            } else {
                out.push_str(token);
            }
            rest = &rest[end..];
        }
    }
    (out, masked)
}

/// Where a rule line's owners start: after its pattern (backslash escapes a character);
/// the whole line for a comment or blank line.
fn owners_start(line: &str) -> usize {
    let trimmed = line.trim_start_matches([' ', '\t']);
    let start = line.len() - trimmed.len();
    if trimmed.starts_with('#') {
        return line.len();
    }
    let mut escaped = false;
    for (i, c) in trimmed.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            ' ' | '\t' | '#' | '\r' | '\n' if !escaped => return start + i,
            _ => escaped = false,
        }
    }
    line.len()
}

/// A path's owners with each e-mail owner replaced by the logins `policies/identities.toml`
/// lists with that address as their Identity Center user name (the `user_name_template` is
/// a guess, not a mapping, so it does not count); the addresses nobody is listed with are
/// returned apart: they cannot be tied to a GitHub account, so they cannot approve.
pub fn resolve_emails(owners: Vec<Owner>, identities: &Identities) -> (Vec<Owner>, Vec<String>) {
    let mut resolved = Vec::new();
    let mut unverified = Vec::new();
    for o in owners {
        match o {
            Owner::Email(e) => {
                let logins = identities.logins_with_user_name(&e);
                if logins.is_empty() {
                    unverified.push(e);
                }
                resolved.extend(logins.into_iter().map(Owner::User));
            }
            other => resolved.push(other),
        }
    }
    resolved.dedup();
    (resolved, unverified)
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
    fn email_owners_with_long_top_level_domains_parse_and_keep_their_spans() {
        let text = "/requests/ carol@acme.example @acme/leads dan@acme.io # admins\n/docs/\\ x  e@x.engineering\n/policies/ bad@\n";
        let (co, diags) = parse(text);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].code, "codeowners-invalid-owner");
        assert_eq!(&text[diags[0].span.clone().unwrap()], "bad@");
        assert_eq!(
            co.owners_of("requests/a/B/c.toml"),
            vec![
                Owner::Email("carol@acme.example".into()),
                Owner::Team("acme/leads".into()),
                Owner::Email("dan@acme.io".into()),
            ]
        );
        assert_eq!(
            co.owners_of("docs/ x/a.md"),
            vec![Owner::Email("e@x.engineering".into())]
        );
        assert_eq!(
            co.email_owners().map(|(e, _)| e).collect::<Vec<_>>(),
            ["carol@acme.example", "dan@acme.io", "e@x.engineering"]
        );
        let (_, span) = co.email_owners().nth(2).unwrap();
        assert_eq!(&text[span], "e@x.engineering");
        assert!(is_email("a.b+c@d-e.example") && !is_email("@carol") && !is_email("a@b") && !is_email("a@b.c1"));
    }

    #[test]
    fn email_owners_resolve_through_listed_identities_only() {
        let ids = Identities::from_pairs(
            [("Carol", "Carol@Acme.Example"), ("carol-alt", "carol@acme.example")],
            Some("{login}@acme.example"),
        );
        let owners = vec![
            Owner::Email("carol@acme.example".into()),
            Owner::Email("dan@acme.example".into()),
            Owner::User("erin".into()),
        ];
        let (resolved, unverified) = resolve_emails(owners, &ids);
        assert_eq!(
            resolved,
            vec![
                Owner::User("carol".into()),
                Owner::User("carol-alt".into()),
                Owner::User("erin".into())
            ]
        );
        // dan@acme.example is what the template would give `dan`, but nobody is listed with it
        assert_eq!(unverified, ["dan@acme.example"]);
    }

    #[test]
    fn invalid_owner_is_reported_at_its_line() {
        let (_, diags) = parse("/policies/ @acme/admins\n/requests/ not-an-owner\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "codeowners-invalid-owner");
        assert_eq!(diags[0].span.as_ref().unwrap().start, 35);
    }
}
