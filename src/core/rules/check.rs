//! `gitgrant check`: every policy and request file of a tree, each on its own and against
//! each other (references, canonical paths, eligibility, code owners). Pure: the tree and
//! the time are parameters.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::core::diag::diagnostic::{Diagnostic, Diagnostics};
use crate::core::files::load::{self, PolicyFiles, PolicyView};
use crate::core::files::tree::{self, Tree};
use crate::core::model::codeowners::CodeOwners;
use crate::core::model::directory::Directory;
use crate::core::model::identities::Identities;
use crate::core::model::policy::{ApprovalMode, Policy, Settings};
use crate::core::model::request::{Request, RequestPath};
use crate::core::rules::eligibility::{self, Eligibility, Reason, Subject, Teams};

/// What `check` found, and what it loaded (for callers that go on to decide things).
#[derive(Debug, Default)]
pub struct Checked {
    pub diagnostics: Diagnostics,
    pub policy_files: PolicyFiles,
    pub requests: Vec<Request>,
    /// Request files that failed to load.
    pub invalid_requests: usize,
}

/// Paths that only admins may change: CODEOWNERS must name an owner for each.
pub const PROTECTED_PATHS: [&str; 5] = [
    tree::ACCESS,
    tree::IDENTITIES,
    tree::DIRECTORY,
    tree::CODEOWNERS,
    ".github/workflows/gitgrant.yml",
];

/// When the approval records say a request's window ended (a request file without `start`
/// starts at its merge, so only its record knows its end). Asked only for such requests, so
/// that a reader behind it (the ledger) is read only when one exists.
pub trait RecordedEnds: Sync {
    fn end_of(&self, path: &str) -> Option<DateTime<Utc>>;
}

/// Recorded ends by request path.
impl RecordedEnds for HashMap<String, DateTime<Utc>> {
    fn end_of(&self, path: &str) -> Option<DateTime<Utc>> {
        self.get(path).copied()
    }
}

pub fn check(tree: &Tree, at: DateTime<Utc>) -> Checked {
    check_with(tree, at, &HashMap::new())
}

/// `check`, where a request whose window ended before `at` (from its `start` and `duration`,
/// else from `ends`) is history: its syntax, canonical path and id are checked, not today's
/// eligibility or whether its account and permission set still exist (issue 12 item 3).
pub fn check_with(tree: &Tree, at: DateTime<Utc>, ends: &dyn RecordedEnds) -> Checked {
    check_on(tree, at, ends, 1)
}

/// [`check_with`], the request files shared among `workers` threads (the result is the same
/// for any number: each file is checked on its own, in path order, and the findings are
/// joined in that order).
pub fn check_on(tree: &Tree, at: DateTime<Utc>, ends: &dyn RecordedEnds, workers: usize) -> Checked {
    let mut diags = Vec::new();
    let set = load::policy_files(tree, &mut diags);
    super::workflows::check_placeholders(tree, &mut diags);
    if let Some(co) = &set.codeowners {
        check_protected(co, &mut diags);
        if let Some(ids) = &set.identities {
            check_email_owners(co, ids, tree.codeowners_path(), &mut diags);
        }
        if let (Some(policy), Some(dir)) = (&set.policy, &set.directory) {
            check_rules_approvable(policy, dir, co, &mut diags);
        }
    }

    // README and .gitkeep files of `requests/` are neither requests nor invalid ones
    let files: Vec<(&String, &tree::Entry)> = tree
        .requests()
        .filter(|(p, e)| !(load::is_ignorable(p) && **e != tree::Entry::Symlink))
        .collect();
    let duplicates = duplicate_ids(&files);
    let checked = crate::core::parallel::map_chunks(&files, workers, |i, (path, entry)| {
        let mut found = Vec::new();
        let (loaded, ended) = load_request(path, entry, &set, at, ends, &mut found);
        found.extend(duplicates.get(&i).cloned());
        let valid = match loaded {
            Some(r) if !found.iter().any(Diagnostic::is_error) => {
                if !ended && let Some(view) = set.view() {
                    check_request(&r, view, at, &Teams::Unknown, &mut found);
                }
                Some(r)
            }
            _ => None,
        };
        (valid, found)
    });
    let mut requests = Vec::with_capacity(files.len());
    let mut invalid = 0;
    // chunk by chunk, so that each chunk's results are freed once moved
    for (valid, found) in checked.into_iter().flatten() {
        match valid {
            Some(r) => requests.push(r),
            None => invalid += 1,
        }
        diags.extend(found);
    }
    let mut diagnostics = Diagnostics(diags);
    diagnostics.sort();
    Checked {
        diagnostics,
        policy_files: set,
        requests,
        invalid_requests: invalid,
    }
}

/// The `duplicate-request-id` error of each file (by its place in `files`, in path order)
/// whose id an earlier file already uses.
fn duplicate_ids(files: &[(&String, &tree::Entry)]) -> HashMap<usize, Diagnostic> {
    let mut ids: HashMap<String, &String> = HashMap::new();
    let mut found = HashMap::new();
    for (i, (path, _)) in files.iter().enumerate() {
        let Ok(p) = RequestPath::parse(path) else { continue };
        match ids.get(&p.id) {
            Some(first) => {
                let d = Diagnostic::error(
                    "duplicate-request-id",
                    format!("request id `{}` is also used by `{first}`", p.id),
                )
                .in_file(path.as_str())
                .help("request ids are unique across the repository and never reused; rename this file");
                found.insert(i, d);
            }
            None => {
                ids.insert(p.id, path);
            }
        }
    }
    found
}

/// Loads one request file; the flag says its window ended before `at` (history). A request
/// that is history and names an account or permission set the directory no longer has is
/// loaded without the directory: its syntax and the path's permission set are still
/// checked, and it is never granted again (the reconciler re-decides from its approval).
fn load_request(
    path: &str,
    entry: &tree::Entry,
    set: &PolicyFiles,
    at: DateTime<Utc>,
    ends: &dyn RecordedEnds,
    diags: &mut Vec<Diagnostic>,
) -> (Option<Request>, bool) {
    let ended = |r: &Request| {
        let end = match r.start {
            Some(start) => Some(start + r.duration.to_chrono()),
            None => ends.end_of(path),
        };
        end.is_some_and(|end| end <= at)
    };
    let mut full = Vec::new();
    let loaded = load::request(path, entry, set.directory.as_ref(), &mut full);
    let gone = |d: &Diagnostic| matches!(d.code, "unknown-account" | "unknown-permission-set");
    if loaded.is_none() && full.iter().any(gone) {
        let mut bare = Vec::new();
        let syntax = load::request(path, entry, None, &mut bare);
        if syntax.as_ref().is_some_and(ended) {
            diags.extend(bare);
            return (syntax, true);
        }
    }
    let is_ended = loaded.as_ref().is_some_and(ended);
    diags.extend(full);
    (loaded, is_ended)
}

/// Rules about one valid request against the policy: limits, ticket, start window,
/// identity, eligibility (teams unknown offline) and who can approve it.
pub fn check_request(
    r: &Request,
    set: PolicyView<'_>,
    at: DateTime<Utc>,
    teams: &Teams,
    diags: &mut Vec<Diagnostic>,
) -> Option<Eligibility> {
    let PolicyView {
        policy,
        directory: dir,
        identities: ids,
        codeowners: co,
    } = set;
    let settings = &policy.settings;
    if !duration_within_maximum(r, settings, diags) {
        return None;
    }
    check_ticket(r, settings, diags);
    check_start_window(r, settings, at, diags);
    check_identity(r, ids, diags);
    let subject = Subject::of(r);
    let decision = eligibility::evaluate(policy, ids, dir, teams, &subject);
    let approval_required = match &decision {
        Eligibility::Eligible { approval_required, .. } => *approval_required,
        Eligibility::Undetermined { .. } => true,
        Eligibility::NotEligible { reasons } => {
            diags.push(not_eligible(r, reasons));
            return Some(decision);
        }
    };
    // a break-glass request is reviewed after the fact, by the same code owners
    if approval_required || r.emergency {
        check_code_owner(r, co, diags);
    }
    Some(decision)
}

/// The request's duration must not exceed settings.max_duration; reports and returns false
/// when it does.
fn duration_within_maximum(r: &Request, settings: &Settings, diags: &mut Vec<Diagnostic>) -> bool {
    if r.duration <= settings.max_duration {
        return true;
    }
    diags.push(
        Diagnostic::error(
            "duration-exceeds-maximum",
            format!(
                "duration `{}` is longer than settings.max_duration `{}`",
                r.duration, settings.max_duration
            ),
        )
        .at(r.path.as_str(), r.spans.duration.clone())
        .help("ask for less time; a longer window needs a new request later"),
    );
    false
}

fn check_ticket(r: &Request, settings: &Settings, diags: &mut Vec<Diagnostic>) {
    if r.ticket.is_some() {
        return;
    }
    if settings.require_ticket {
        diags.push(
            Diagnostic::error("missing-ticket", "this repository requires a ticket on every request")
                .at(r.path.as_str(), 0..0)
                .help("add `ticket = \"INC-1234\"` with the incident or change reference"),
        );
    } else if r.emergency && settings.emergency_require_ticket {
        diags.push(
            Diagnostic::error(
                "missing-ticket",
                "this repository requires a ticket on every break-glass request",
            )
            .at(r.path.as_str(), r.spans.emergency.clone().unwrap_or(0..0))
            .help("add `ticket = \"INC-1234\"` with the incident the emergency access is for"),
        );
    }
}

/// A start time may lie at most settings.max_start_ahead after `at`.
fn check_start_window(r: &Request, settings: &Settings, at: DateTime<Utc>, diags: &mut Vec<Diagnostic>) {
    if let Some(start) = r.start
        && start > at + settings.max_start_ahead.to_chrono()
    {
        diags.push(
            Diagnostic::error(
                "start-too-far-ahead",
                format!(
                    "start {} is more than {} ahead",
                    start.to_rfc3339(),
                    settings.max_start_ahead
                ),
            )
            .at(r.path.as_str(), r.spans.start.clone().unwrap_or(0..0))
            .help("request access closer to when it is needed (settings.max_start_ahead)"),
        );
    }
}

/// The requester must map to an Identity Center user.
fn check_identity(r: &Request, ids: &Identities, diags: &mut Vec<Diagnostic>) {
    if ids.user_name(&r.requester).is_none() {
        diags.push(
            Diagnostic::error(
                "unknown-identity",
                format!(
                    "`{}` has no Identity Center user in policies/identities.toml",
                    r.requester
                ),
            )
            .at(r.path.as_str(), r.spans.requester.clone())
            .help("add the login under [users], or set user_name_template"),
        );
    }
}

/// The first reason as the error (at the duration when it is about the duration, else at
/// the requester); the other reasons as its help.
fn not_eligible(r: &Request, reasons: &[Reason]) -> Diagnostic {
    let first = &reasons[0];
    let (code, span) = if first.code == "duration-exceeds-maximum" {
        ("duration-exceeds-maximum", r.spans.duration.clone())
    } else if first.code == "emergency-not-allowed" || first.code == "emergency-only" {
        let span = r.spans.emergency.clone().unwrap_or(r.spans.permission_set.clone());
        (first.code, span)
    } else {
        ("requester-not-eligible", r.spans.requester.clone())
    };
    let rest: Vec<&str> = reasons[1..].iter().map(|r| r.message.as_str()).collect();
    Diagnostic::error(code, first.message.clone())
        .at(r.path.as_str(), span)
        .help(if rest.is_empty() {
            "see policies/access.toml for who may request what; team membership is checked on the pull request"
                .to_string()
        } else {
            rest.join("; ")
        })
}

/// A request that needs approval needs a code owner for its path.
fn check_code_owner(r: &Request, co: &CodeOwners, diags: &mut Vec<Diagnostic>) {
    if co.owners_of(&r.path).is_empty() {
        diags.push(
            Diagnostic::error("no-code-owner", "no code owner can approve this request")
                .in_file(r.path.as_str())
                .help(format!(
                    "add a `.github/CODEOWNERS` line covering `/requests/{}/{}/`",
                    r.account_name, r.permission_set
                )),
        );
    }
}

fn check_protected(co: &CodeOwners, diags: &mut Vec<Diagnostic>) {
    for path in PROTECTED_PATHS {
        if co.owners_of(path).is_empty() {
            diags.push(
                Diagnostic::warning("unprotected-policy-path", format!("no code owner protects `{path}`"))
                    .in_file(tree::CODEOWNERS)
                    .help(format!("add a line such as `/{} @org/security-admins`: without it anyone with write access can approve changes to who may access what", path.rsplit_once('/').map_or(path, |(dir, _)| dir))),
            );
        }
    }
}

/// An e-mail owner counts only when `policies/identities.toml` lists a login with that
/// address; otherwise nobody can be verified as that owner (a warning: the other owners of
/// the line still count, and the file is not invalid for it).
fn check_email_owners(co: &CodeOwners, ids: &Identities, file: &str, diags: &mut Vec<Diagnostic>) {
    let mut seen = HashSet::new();
    for (email, span) in co.email_owners() {
        if ids.logins_with_user_name(email).is_empty() && seen.insert(email.to_ascii_lowercase()) {
            diags.push(
                Diagnostic::warning(
                    "codeowners-email-unverified",
                    format!("e-mail owner `{email}` cannot be verified: no login in policies/identities.toml has this address, so nobody can approve as this owner"),
                )
                .at(file, span)
                .help(format!("list the owner's GitHub login under [users] in policies/identities.toml as `login = \"{email}\"`, or name them as `@login`")),
            );
        }
    }
}

/// An eligibility rule that requires approval on paths nobody owns lets people ask for
/// access that nobody can ever approve: an error at the rule.
fn check_rules_approvable(policy: &Policy, dir: &Directory, co: &CodeOwners, diags: &mut Vec<Diagnostic>) {
    let mut owned: HashMap<(usize, &str), bool> = HashMap::new();
    let index: HashMap<&str, usize> = dir
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), i))
        .collect();
    for rule in &policy.eligibility {
        // an emergency rule's grants are reviewed after the fact: they need owners too
        if rule.approval == ApprovalMode::None && !rule.emergency {
            continue;
        }
        let mut accounts: HashSet<usize> = rule
            .targets
            .account_ids
            .iter()
            .filter_map(|id| index.get(id.as_str()).copied())
            .collect();
        for ou in &rule.targets.ou_paths {
            for (i, a) in dir.accounts.iter().enumerate() {
                if crate::core::model::directory::ou_contains(ou, &a.ou, rule.targets.include_child_ous) {
                    accounts.insert(i);
                }
            }
        }
        let mut unowned = Vec::new();
        let mut sorted: Vec<usize> = accounts.into_iter().collect();
        sorted.sort_unstable();
        for i in sorted {
            for ps in rule.targets.permission_sets.iter().flatten() {
                let ok = *owned.entry((i, ps.as_str())).or_insert_with(|| {
                    let example = RequestPath::canonical(&dir.accounts[i].name, ps, "example");
                    !co.owners_of(&example).is_empty()
                });
                if !ok {
                    unowned.push(format!("requests/{}/{ps}/", dir.accounts[i].name));
                }
            }
        }
        if !unowned.is_empty() {
            let shown: Vec<&str> = unowned.iter().take(3).map(String::as_str).collect();
            let more = if unowned.len() > 3 {
                format!(" and {} more", unowned.len() - 3)
            } else {
                String::new()
            };
            diags.push(
                Diagnostic::error("unapprovable-rule", format!("eligibility rule `{}` requires {}, but no code owner covers {}{more}", rule.id, if rule.emergency { "review after the fact" } else { "approval" }, shown.join(", ")))
                    .at(tree::ACCESS, rule.span.clone())
                    .help("add CODEOWNERS lines for these request paths, or set `approval = \"none\"` if auto-approval is intended"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::files::tree::Entry;

    fn base_with_codeowners(path: &str, text: &str) -> Tree {
        let mut tree = Tree::default();
        for (p, t) in [
            (
                tree::ACCESS,
                include_str!("../../../tests/fixtures/base/policies/access.toml"),
            ),
            (
                tree::IDENTITIES,
                include_str!("../../../tests/fixtures/base/policies/identities.toml"),
            ),
            (
                tree::DIRECTORY,
                include_str!("../../../tests/fixtures/base/policies/directory.toml"),
            ),
            (path, text),
        ] {
            tree.insert(p, Entry::File(t.as_bytes().to_vec()));
        }
        tree
    }

    /// Many request files (valid, invalid, with a reused id, history) come out the same,
    /// in the same order, on one thread and on several.
    #[test]
    fn the_findings_are_the_same_on_one_thread_and_on_several() {
        let co = include_str!("../../../tests/fixtures/base/.github/CODEOWNERS");
        let mut tree = base_with_codeowners(tree::CODEOWNERS, co);
        let file = |start: &str, extra: &str| {
            format!(
                "requester = \"dave\"\naccount = \"777788889999\"\npermission_set = \"DatabaseAdmin\"\nstart = {start}\nduration = \"1h\"\nreason = \"Maintenance\"\n{extra}"
            )
        };
        for i in 0..1500 {
            let (start, extra) = match i % 5 {
                0 => ("2026-11-22T13:00:00Z", ""),
                1 => ("2026-11-22T13:00:00Z", "colour = \"red\"\n"),
                2 => ("2026-10-01T00:00:00Z", ""),
                3 => ("2026-11-22T13:00:00Z", "duration = \"1h\"\n"),
                _ => ("2026-11-22T13:00:00Z", "ticket = \"CHG-1\"\n"),
            };
            // every 7th file reuses an id of another account's folder
            let dir = if i % 7 == 0 { "data-dev" } else { "data-prod" };
            let id = if i % 7 == 0 { i + 1 } else { i };
            tree.insert(
                format!("requests/{dir}/DatabaseAdmin/req-{id}.toml"),
                Entry::File(file(start, extra).into_bytes()),
            );
        }
        let at: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let one = check_on(&tree, at, &HashMap::new(), 1);
        let text = |c: &Checked| format!("{:?}|{:?}|{}", c.diagnostics.0, c.requests, c.invalid_requests);
        assert!(
            one.invalid_requests > 0 && one.requests.len() > 500,
            "{}",
            one.invalid_requests
        );
        assert!(one.diagnostics.0.iter().any(|d| d.code == "duplicate-request-id"));
        for workers in [2, 3, 8] {
            assert_eq!(
                text(&check_on(&tree, at, &HashMap::new(), workers)),
                text(&one),
                "{workers} threads"
            );
        }
    }

    #[test]
    fn an_unlisted_email_owner_is_a_warning_at_the_owner_in_the_codeowners_github_reads() {
        let co = include_str!("../../../tests/fixtures/base/.github/CODEOWNERS");
        let text = format!("{co}/requests/data-dev/ @carol zoe@acme.example carol@acme.example\n");
        let at = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let checked = check(&base_with_codeowners(tree::ROOT_CODEOWNERS, &text), at);
        let found: Vec<(&str, Option<&str>, bool)> = checked
            .diagnostics
            .0
            .iter()
            .map(|d| (d.code, d.file.as_deref(), d.is_error()))
            .collect();
        assert_eq!(found, [("codeowners-email-unverified", Some("CODEOWNERS"), false)]);
        let span = checked.diagnostics.0[0].span.clone().unwrap();
        assert_eq!(&text[span], "zoe@acme.example");
        assert!(checked.policy_files.is_complete());
    }
}
