//! Counting approvals (DESIGN 4.4 and 4.5): only a code owner's latest review, approving
//! the current head commit, with a note where policy wants one, from someone who neither
//! asked for the access nor wrote, committed or co-authored any commit of the PR, and is
//! not a bot. A code owner's standing "changes requested" rejects.

use std::collections::{BTreeMap, BTreeSet};

use super::facts::{PrFacts, ReviewFacts, ReviewState};
use crate::core::rules::eligibility::Reason;
use crate::core::model::codeowners::Owner;

/// The people whose approval never counts on this PR, and the identities that could not be
/// tied to a GitHub account (which make every approval uncountable: fail closed).
#[derive(Debug, Clone, Default)]
pub struct Excluded {
    pub logins: BTreeSet<String>,
    pub unresolved: Vec<String>,
}

impl Excluded {
    /// The requester, the PR author, and every commit's author, committer and co-author.
    /// GitHub's `web-flow` committer (web edits, merges from the UI) is GitHub itself.
    pub fn for_pr(facts: &PrFacts, requester: &str) -> Excluded {
        let mut ex = Excluded::default();
        ex.logins.insert(requester.to_ascii_lowercase());
        ex.logins.insert(facts.author.to_ascii_lowercase());
        for c in &facts.commits {
            for (role, p) in [("author", &c.author), ("committer", &c.committer)] {
                match &p.login {
                    Some(l) if l == "web-flow" && role == "committer" => {}
                    Some(l) => {
                        ex.logins.insert(l.clone());
                    }
                    None if role == "committer" && p.email.as_deref() == Some("noreply@github.com") => {}
                    None => ex.unresolved.push(format!(
                        "{role} `{}` of commit {}",
                        p.email.as_deref().unwrap_or("unknown"),
                        short(&c.sha)
                    )),
                }
            }
            for p in &c.co_authors {
                match &p.login {
                    Some(l) => {
                        ex.logins.insert(l.clone());
                    }
                    None => ex.unresolved.push(format!(
                        "co-author `{}` of commit {}",
                        p.email.as_deref().unwrap_or("unknown"),
                        short(&c.sha)
                    )),
                }
            }
        }
        ex
    }
}

pub fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// The outcome of counting.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub approved_by: Vec<String>,
    pub rejected_by: Vec<String>,
    pub can_approve: Vec<String>,
    /// Why reviews did not count, for the reviewer's view.
    pub notes: Vec<Reason>,
}

/// Whether `login` is among `owners`: `Some(true/false)`, or `None` when only teams whose
/// members were not read could say.
fn is_owner(login: &str, owners: &[Owner], facts: &PrFacts) -> Option<bool> {
    let mut unknown = false;
    for o in owners {
        match o {
            Owner::User(u) if u == login => return Some(true),
            Owner::Team(t) => match facts.teams.get(t) {
                Some(members) if members.iter().any(|m| m == login) => return Some(true),
                Some(_) => {}
                None => unknown = true,
            },
            _ => {}
        }
    }
    if unknown { None } else { Some(false) }
}

/// Each reviewer's latest deciding review (approve, request changes, dismissed); comments
/// and pending reviews do not change a decision.
pub fn latest_reviews(facts: &PrFacts) -> BTreeMap<String, &ReviewFacts> {
    let mut ordered: Vec<&ReviewFacts> = facts.reviews.iter().collect();
    ordered.sort_by_key(|r| (r.submitted_at, r.id));
    let mut latest = BTreeMap::new();
    for r in ordered {
        let Some(login) = &r.login else { continue };
        if matches!(
            r.state,
            ReviewState::Approved | ReviewState::ChangesRequested | ReviewState::Dismissed
        ) {
            latest.insert(login.clone(), r);
        }
    }
    latest
}

/// Counts a PR's reviews for one path: who approved (and counts), who rejected, who else
/// could approve, and why each review that does not count does not.
pub fn tally(owners: &[Owner], facts: &PrFacts, excluded: &Excluded, require_note: bool) -> Tally {
    let mut t = Tally::default();
    for r in &facts.reviews {
        if let ReviewState::Other(s) = &r.state {
            t.notes.push(Reason {
                code: "unknown-review-state",
                message: format!("review {} has state `{s}`, which is not counted", r.id),
            });
        }
    }
    let counting_blocked = !excluded.unresolved.is_empty();
    if counting_blocked {
        t.notes.push(Reason {
            code: "unresolved-commit-identity",
            message: format!(
                "approvals cannot be counted: {} is not linked to a GitHub account, so it cannot be told apart from the reviewers",
                excluded.unresolved.join(", ")
            ),
        });
    }
    for (login, r) in latest_reviews(facts) {
        let owner = is_owner(&login, owners, facts);
        match r.state {
            ReviewState::ChangesRequested if owner == Some(true) => t.rejected_by.push(login.clone()),
            ReviewState::Approved => match uncounted_approval(&login, r, owner, facts, excluded, require_note) {
                Some((code, message)) => t.notes.push(Reason { code, message }),
                None if counting_blocked => {}
                None => t.approved_by.push(login.clone()),
            },
            _ => {}
        }
    }
    t.can_approve = could_approve(owners, facts)
        .into_iter()
        .filter(|c| !excluded.logins.contains(c) && !t.approved_by.contains(c) && !c.ends_with("[bot]"))
        .collect();
    t
}

/// Why an approving review does not count, if it does not: the first rule it breaks.
fn uncounted_approval(
    login: &str,
    r: &ReviewFacts,
    owner: Option<bool>,
    facts: &PrFacts,
    excluded: &Excluded,
    require_note: bool,
) -> Option<(&'static str, String)> {
    if r.is_bot {
        Some(("approval-by-bot", format!("`{login}` is a bot or app")))
    } else if excluded.logins.contains(login) {
        Some((
            "self-approval",
            format!("`{login}` asked for this access or wrote, committed or co-authored a commit of this PR"),
        ))
    } else if owner == Some(false) {
        Some((
            "approval-not-code-owner",
            format!("`{login}` is not a code owner of this path"),
        ))
    } else if owner.is_none() {
        Some((
            "team-not-read",
            format!("`{login}` may be a code owner only through a team whose members were not read"),
        ))
    } else if r.commit_id.as_deref() != Some(facts.head_sha.as_str()) {
        Some((
            "approval-stale",
            format!(
                "`{login}` approved commit {}, not the current head {}",
                r.commit_id.as_deref().map_or("?", short),
                short(&facts.head_sha)
            ),
        ))
    } else if require_note && r.body.trim().is_empty() {
        Some((
            "approval-without-note",
            format!("`{login}` approved without a comment; this repository requires a note explaining the decision"),
        ))
    } else {
        None
    }
}

/// Everyone the owners name: users, members of teams that were read, and `@team` for a
/// team whose members were not.
fn could_approve(owners: &[Owner], facts: &PrFacts) -> BTreeSet<String> {
    let mut candidates = BTreeSet::new();
    for o in owners {
        match o {
            Owner::User(u) => {
                candidates.insert(u.clone());
            }
            Owner::Team(team) => match facts.teams.get(team) {
                Some(members) => candidates.extend(members.iter().cloned()),
                None => {
                    candidates.insert(format!("@{team}"));
                }
            },
            Owner::Email(_) => {}
        }
    }
    candidates
}
