//! Counting approvals (DESIGN 4.4, 4.5 and 10.6): only a code owner's latest review,
//! approving the current head commit, with a note where policy wants one, from someone who
//! neither asked for the access nor wrote, committed, co-authored or pushed any commit of the
//! PR, and is not a bot. A code owner's standing "changes requested" rejects.

use std::collections::{BTreeMap, BTreeSet};

use super::facts::{PrFacts, ReviewFacts, ReviewState};
use crate::core::model::codeowners::Owner;
use crate::core::rules::eligibility::Reason;

/// The people whose approval never counts on this PR, and the identities that could not be
/// tied to a GitHub account (which make every approval uncountable: fail closed).
#[derive(Debug, Clone, Default)]
pub struct Excluded {
    pub logins: BTreeSet<String>,
    pub unresolved: Vec<String>,
    /// Who GitHub authenticated as pushing to the PR (commit metadata is forgeable; this is not).
    pub pushers: BTreeSet<String>,
}

impl Excluded {
    /// The requester, the PR author, and every commit's author, committer and co-author.
    /// GitHub's `web-flow` committer (web edits, merges from the UI) is GitHub itself.
    pub fn for_pr(facts: &PrFacts, requester: &str) -> Excluded {
        let mut ex = Excluded {
            pushers: facts.pushers.iter().map(|l| l.to_ascii_lowercase()).collect(),
            ..Excluded::default()
        };
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
        .filter(|c| {
            !excluded.logins.contains(c)
                && !excluded.pushers.contains(c)
                && !t.approved_by.contains(c)
                && !c.ends_with("[bot]")
        })
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
    } else if excluded.pushers.contains(login) {
        Some((
            "pusher-cannot-approve",
            format!("`{login}` pushed to this PR (GitHub authenticated the push), so cannot approve it"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::gate::tests::{HEAD, OLD, approval, commit, person, pr_facts, review, time, unlinked};

    /// One counting: the code owners, the reviews in the order GitHub lists them, who is
    /// excluded, and what must come out.
    struct Row {
        name: &'static str,
        owners: Vec<Owner>,
        reviews: Vec<ReviewFacts>,
        excluded: &'static [&'static str],
        pushers: &'static [&'static str],
        unresolved: bool,
        require_note: bool,
        approved_by: &'static [&'static str],
        rejected_by: &'static [&'static str],
        can_approve: &'static [&'static str],
        notes: &'static [&'static str],
    }

    fn user(login: &str) -> Owner {
        Owner::User(login.to_string())
    }

    fn team(slug: &str) -> Owner {
        Owner::Team(slug.to_string())
    }

    /// A review submitted `minute` minutes after 11:00.
    fn at(minute: u32, id: u64, r: ReviewFacts) -> ReviewFacts {
        ReviewFacts {
            id,
            submitted_at: Some(time(&format!("2026-11-22T11:{minute:02}:00Z"))),
            ..r
        }
    }

    fn row(name: &'static str, owners: Vec<Owner>, reviews: Vec<ReviewFacts>) -> Row {
        Row {
            name,
            owners,
            reviews,
            excluded: &["alice"],
            pushers: &[],
            unresolved: false,
            require_note: true,
            approved_by: &[],
            rejected_by: &[],
            can_approve: &[],
            notes: &[],
        }
    }

    #[test]
    fn tally_counts_only_what_every_rule_allows() {
        let leads = || vec![team("acme/platform-leads")];
        let carol_and_leads = || vec![user("carol"), team("acme/platform-leads")];
        let changes = |l| review(l, ReviewState::ChangesRequested);
        let rows = vec![
            Row {
                approved_by: &["dan", "heidi"],
                ..row(
                    "team members approve",
                    leads(),
                    vec![at(1, 1, approval("heidi")), at(2, 2, approval("dan"))],
                )
            },
            Row {
                approved_by: &["carol"],
                can_approve: &["dan", "heidi"],
                ..row(
                    "a user owner approves",
                    carol_and_leads(),
                    vec![at(1, 1, approval("carol"))],
                )
            },
            Row {
                can_approve: &["dan", "heidi"],
                notes: &["approval-not-code-owner"],
                ..row("not an owner", leads(), vec![at(1, 1, approval("mallory"))])
            },
            Row {
                can_approve: &[],
                notes: &["approval-not-code-owner"],
                ..row(
                    "an e-mail owner is no GitHub account",
                    vec![Owner::Email("carol@acme.example".to_string())],
                    vec![at(1, 1, approval("carol"))],
                )
            },
            Row {
                can_approve: &["@acme/unread"],
                notes: &["team-not-read"],
                ..row(
                    "an owner team that was not read",
                    vec![team("acme/unread")],
                    vec![at(1, 1, approval("dan"))],
                )
            },
            Row {
                excluded: &["alice", "heidi"],
                approved_by: &["dan"],
                notes: &["self-approval"],
                ..row(
                    "an excluded owner",
                    leads(),
                    vec![at(1, 1, approval("heidi")), at(2, 2, approval("dan"))],
                )
            },
            Row {
                pushers: &["heidi"],
                approved_by: &["dan"],
                notes: &["pusher-cannot-approve"],
                ..row(
                    "a pusher's approval does not count, and a pusher is not offered",
                    leads(),
                    vec![at(1, 1, approval("heidi")), at(2, 2, approval("dan"))],
                )
            },
            Row {
                pushers: &["dan"],
                can_approve: &["heidi"],
                ..row("a pusher is never offered as an approver", leads(), vec![])
            },
            Row {
                excluded: &["alice", "carol"],
                can_approve: &["dan", "heidi"],
                ..row(
                    "an excluded owner is never offered as an approver",
                    carol_and_leads(),
                    vec![],
                )
            },
            Row {
                can_approve: &["carol", "dan", "heidi"],
                notes: &["approval-by-bot"],
                ..row("a bot", carol_and_leads(), vec![at(1, 1, approval("carol[bot]"))])
            },
            Row {
                can_approve: &["dan", "heidi"],
                notes: &["approval-stale"],
                ..row(
                    "an approval of an older commit",
                    leads(),
                    vec![at(
                        1,
                        1,
                        ReviewFacts {
                            commit_id: Some(OLD.to_string()),
                            ..approval("heidi")
                        },
                    )],
                )
            },
            Row {
                can_approve: &["dan", "heidi"],
                notes: &["approval-without-note"],
                ..row(
                    "no note where one is required",
                    leads(),
                    vec![at(
                        1,
                        1,
                        ReviewFacts {
                            body: " ".to_string(),
                            ..approval("heidi")
                        },
                    )],
                )
            },
            Row {
                require_note: false,
                approved_by: &["heidi"],
                can_approve: &["dan"],
                ..row(
                    "no note where none is required",
                    leads(),
                    vec![at(
                        1,
                        1,
                        ReviewFacts {
                            body: String::new(),
                            ..approval("heidi")
                        },
                    )],
                )
            },
            Row {
                rejected_by: &["heidi"],
                approved_by: &["dan"],
                can_approve: &["heidi"],
                ..row(
                    "the latest review wins, whatever order GitHub lists them in",
                    leads(),
                    vec![
                        at(5, 3, changes("heidi")),
                        at(2, 2, approval("dan")),
                        at(1, 1, approval("heidi")),
                    ],
                )
            },
            Row {
                approved_by: &["dan", "heidi"],
                ..row(
                    "same second: the later id wins",
                    leads(),
                    vec![
                        at(1, 2, approval("heidi")),
                        at(1, 1, changes("heidi")),
                        at(1, 3, approval("dan")),
                    ],
                )
            },
            Row {
                approved_by: &["heidi"],
                can_approve: &["dan"],
                ..row(
                    "comments and pending reviews change nothing",
                    leads(),
                    vec![
                        at(1, 1, approval("heidi")),
                        at(2, 2, review("heidi", ReviewState::Commented)),
                        ReviewFacts {
                            id: 3,
                            ..review("heidi", ReviewState::Pending)
                        },
                    ],
                )
            },
            Row {
                can_approve: &["dan", "heidi"],
                ..row(
                    "a dismissed approval",
                    leads(),
                    vec![
                        at(1, 1, approval("heidi")),
                        at(2, 2, review("heidi", ReviewState::Dismissed)),
                    ],
                )
            },
            Row {
                can_approve: &["dan", "heidi"],
                ..row(
                    "a deleted account's review is ignored",
                    leads(),
                    vec![at(
                        1,
                        1,
                        ReviewFacts {
                            login: None,
                            ..approval("heidi")
                        },
                    )],
                )
            },
            Row {
                can_approve: &["dan", "heidi"],
                ..row(
                    "a non-owner's changes-requested",
                    leads(),
                    vec![at(1, 1, changes("mallory"))],
                )
            },
            Row {
                can_approve: &["@acme/unread"],
                ..row(
                    "changes requested by someone who may be an owner through an unread team",
                    vec![team("acme/unread")],
                    vec![at(1, 1, changes("dan"))],
                )
            },
            Row {
                unresolved: true,
                rejected_by: &["heidi"],
                can_approve: &["dan", "heidi"],
                notes: &["unresolved-commit-identity"],
                ..row(
                    "an unresolved commit identity blocks approvals, not rejections",
                    leads(),
                    vec![at(1, 1, approval("dan")), at(2, 2, changes("heidi"))],
                )
            },
            Row {
                approved_by: &["dan"],
                can_approve: &["heidi"],
                notes: &["unknown-review-state"],
                ..row(
                    "an unknown state is noted",
                    leads(),
                    vec![
                        at(1, 1, approval("dan")),
                        at(2, 2, review("heidi", ReviewState::Other("NEW".to_string()))),
                    ],
                )
            },
        ];
        let mut failures = Vec::new();
        for r in &rows {
            let mut facts = pr_facts("alice");
            facts.reviews = r.reviews.clone();
            facts.teams.insert(
                "acme/platform-leads".to_string(),
                vec!["dan".to_string(), "heidi".to_string()],
            );
            let excluded = Excluded {
                pushers: r.pushers.iter().map(|l| l.to_string()).collect(),
                logins: r.excluded.iter().map(|l| l.to_string()).collect(),
                unresolved: if r.unresolved {
                    vec!["author `x@example.com` of commit 1111111".to_string()]
                } else {
                    vec![]
                },
            };
            let t = tally(&r.owners, &facts, &excluded, r.require_note);
            let notes: Vec<&str> = t.notes.iter().map(|n| n.code).collect();
            let got = (&t.approved_by, &t.rejected_by, &t.can_approve, &notes);
            let want = (
                &strings(r.approved_by),
                &strings(r.rejected_by),
                &strings(r.can_approve),
                &r.notes.to_vec(),
            );
            if got != want {
                failures.push(format!("{}:\n  want {want:?}\n  got  {got:?}", r.name));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} rows failed:\n{}",
            failures.len(),
            rows.len(),
            failures.join("\n")
        );
    }

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn excluded_are_the_requester_the_author_and_every_commit_identity() {
        let mut facts = pr_facts("alice");
        facts.commits = vec![
            commit("a1", person("bob"), person("web-flow"), vec![person("carol")]),
            commit(
                "a2",
                person("alice"),
                unlinked("noreply@github.com"),
                vec![unlinked("eve@example.com")],
            ),
            commit(HEAD, unlinked("mallory@example.com"), person("dan"), vec![]),
        ];
        let ex = Excluded::for_pr(&facts, "Erin");
        assert_eq!(
            strings(&["alice", "bob", "carol", "dan", "erin"]),
            ex.logins.into_iter().collect::<Vec<_>>()
        );
        assert_eq!(
            ex.unresolved,
            [
                "co-author `eve@example.com` of commit a2",
                "author `mallory@example.com` of commit 1111111"
            ]
        );
    }
}
