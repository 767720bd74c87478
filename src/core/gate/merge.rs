//! Whether the gate merges a pull request itself (issue 12 item 4, decision 0026): only a
//! PR the gate approved, open, into the default branch, whose changed files are all request
//! files it adds or all request files it deletes, with a changed-file list git confirmed.
//! Deletions only when the PR's author is the requester of every file it deletes: anyone
//! else's revocation of someone's access waits for a code owner's review.
//! The merge is pinned to the head commit that was decided, so a push after the decision
//! makes GitHub refuse it. Pure: the facts and the outcome are parameters.

use std::collections::BTreeMap;

use serde::Serialize;

use super::changed::FilesSource;
use super::facts::PrFacts;
use super::{Decision, FileRole, PrOutcome, classify};

/// How the gate merges (`pr --merge-method`): the reconciler verifies both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum MergeMethod {
    /// A squashed commit on the default branch (the default).
    Squash,
    /// A merge commit whose second parent is the PR's head.
    Merge,
}

impl MergeMethod {
    /// The value of GitHub's `merge_method` field.
    pub fn as_str(self) -> &'static str {
        match self {
            MergeMethod::Squash => "squash",
            MergeMethod::Merge => "merge",
        }
    }
}

/// What the PR does, as far as merging it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MergeKind {
    /// It only adds request files, every one approved.
    Requests,
    /// It only deletes request files: revocations.
    Revocations,
}

/// A merge the gate is to make: PR `number` at exactly `head_sha`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergePlan {
    pub number: u64,
    pub head_sha: String,
    pub method: MergeMethod,
    pub kind: MergeKind,
    /// The merge commit's title: what it grants or revokes, for `git log`.
    pub title: String,
}

/// Why the gate leaves a PR for people to merge (or not merge). `code` tells the cases apart
/// for callers and tests; the log prints `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotMerged {
    pub code: &'static str,
    pub message: String,
}

fn not(code: &'static str, message: impl Into<String>) -> NotMerged {
    NotMerged {
        code,
        message: message.into(),
    }
}

/// The merge to make for this decision, or why there is none. `deleted`: the requester of
/// each request file the PR deletes, as the base holds it.
pub fn plan(
    facts: &PrFacts,
    outcome: &PrOutcome,
    method: MergeMethod,
    deleted: &BTreeMap<String, Option<String>>,
) -> Result<MergePlan, NotMerged> {
    if outcome.decision != Decision::Approved {
        return Err(not(
            "not-approved",
            format!("the decision is `{}`", outcome.decision.as_str()),
        ));
    }
    if facts.merged {
        return Err(not("already-merged", "the pull request is already merged"));
    }
    if facts.state != "open" {
        return Err(not(
            "not-open",
            format!("the pull request is `{}`, not open", facts.state),
        ));
    }
    if !super::into_default_branch(facts) {
        return Err(not("not-default-branch", super::not_default_branch(facts).message));
    }
    if facts.files_source != FilesSource::GitDiff {
        return Err(not(
            "files-not-confirmed",
            "the changed files were not confirmed from git, so the gate does not merge",
        ));
    }
    let kind = kind_of(&classify(&facts.files))?;
    if kind == MergeKind::Revocations {
        own_revocations(facts, deleted)?;
    }
    Ok(MergePlan {
        number: facts.number,
        head_sha: facts.head_sha.clone(),
        method,
        kind,
        title: title(facts.number, kind, outcome),
    })
}

/// Requests-only or deletion-only; anything else (a policy file, another file, an altered
/// request, a mix of additions and deletions) is left to people.
fn kind_of(roles: &[FileRole]) -> Result<MergeKind, NotMerged> {
    let adds = roles.iter().all(|r| matches!(r, FileRole::AddedRequest(_)));
    let removes = roles.iter().all(|r| matches!(r, FileRole::RemovedRequest(_)));
    match (roles.is_empty(), adds, removes) {
        (true, _, _) => Err(not("no-files", "the pull request changes no files")),
        (false, true, _) => Ok(MergeKind::Requests),
        (false, _, true) => Ok(MergeKind::Revocations),
        _ => Err(not(
            "not-requests-only",
            "the pull request changes more than request files it adds, or more than request files it deletes: people merge it",
        )),
    }
}

/// Every deleted request is the PR author's own.
fn own_revocations(facts: &PrFacts, deleted: &BTreeMap<String, Option<String>>) -> Result<(), NotMerged> {
    for f in &facts.files {
        let own = deleted
            .get(&f.filename)
            .and_then(Option::as_deref)
            .is_some_and(|r| r.eq_ignore_ascii_case(&facts.author));
        if !own {
            return Err(not(
                "revocation-not-own",
                format!(
                    "`{}` is not a request of the PR's author `{}`: a code owner reviews the revocation",
                    f.filename, facts.author
                ),
            ));
        }
    }
    Ok(())
}

fn title(number: u64, kind: MergeKind, outcome: &PrOutcome) -> String {
    match kind {
        MergeKind::Requests => format!(
            "gitgrant: grant {} approved request(s) (#{number})",
            outcome.requests.len()
        ),
        MergeKind::Revocations => format!("gitgrant: revoke {} request(s) (#{number})", outcome.removed.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::gate::facts::FileChange;
    use crate::core::gate::{ItemOutcome, PrOutcome};

    fn facts(files: &[(&str, &str)]) -> PrFacts {
        PrFacts {
            number: 7,
            author: "alice".into(),
            head_sha: "a".repeat(40),
            base_ref: "main".into(),
            default_branch: Some("main".into()),
            state: "open".into(),
            files: files
                .iter()
                .map(|(name, status)| FileChange {
                    filename: name.to_string(),
                    status: status.to_string(),
                    previous_filename: None,
                })
                .collect(),
            files_source: FilesSource::GitDiff,
            ..PrFacts::default()
        }
    }

    fn approved(requests: usize) -> PrOutcome {
        PrOutcome {
            decision: Decision::Approved,
            requests: (0..requests)
                .map(|i| ItemOutcome {
                    path: format!("requests/a/b/r{i}.toml"),
                    id: format!("r{i}"),
                    decision: Decision::Approved,
                    reasons: vec![],
                    approved_by: vec![],
                    can_approve: vec![],
                    required_approvals: 0,
                    notes: Vec::new(),
                    emergency_review_within: None,
                    rejected_by: Vec::new(),
                    request: None,
                })
                .collect(),
            removed: vec![],
            diagnostics: vec![],
        }
    }

    const REQ: &str = "requests/payments-prod/ReadOnly/inc-1.toml";

    #[test]
    fn an_approved_requests_only_pr_is_merged_at_its_decided_head() {
        let p = plan(&facts(&[(REQ, "added")]), &approved(1), MergeMethod::Squash, &none()).unwrap();
        assert_eq!(p.kind, MergeKind::Requests);
        assert_eq!(p.head_sha, "a".repeat(40));
        assert_eq!(p.number, 7);
        assert_eq!(p.title, "gitgrant: grant 1 approved request(s) (#7)");
    }

    #[test]
    fn a_deletion_only_pr_is_merged_as_revocations_only_of_the_authors_own_requests() {
        let mut o = approved(0);
        o.removed = vec![REQ.into()];
        let by = |who: Option<&str>| BTreeMap::from([(REQ.to_string(), who.map(str::to_string))]);
        let p = plan(&facts(&[(REQ, "removed")]), &o, MergeMethod::Merge, &by(Some("Alice"))).unwrap();
        assert_eq!(p.kind, MergeKind::Revocations);
        assert_eq!(p.method.as_str(), "merge");
        // someone else's access, or a file whose requester is unknown: people decide
        for who in [Some("bob"), None] {
            let why = plan(&facts(&[(REQ, "removed")]), &o, MergeMethod::Merge, &by(who)).unwrap_err();
            assert_eq!(why.code, "revocation-not-own");
        }
        assert_eq!(
            plan(&facts(&[(REQ, "removed")]), &o, MergeMethod::Merge, &none())
                .unwrap_err()
                .code,
            "revocation-not-own"
        );
    }

    fn none() -> BTreeMap<String, Option<String>> {
        BTreeMap::new()
    }

    #[test]
    fn nothing_else_is_merged() {
        let mixed = [(REQ, "added"), ("requests/x/y/old.toml", "removed")];
        let cases: Vec<(PrFacts, PrOutcome, &str)> = vec![
            (
                facts(&[(REQ, "added")]),
                PrOutcome {
                    decision: Decision::Pending,
                    ..approved(1)
                },
                "not-approved",
            ),
            (
                facts(&[(REQ, "added"), ("policies/access.toml", "modified")]),
                approved(1),
                "not-requests-only",
            ),
            (
                facts(&[(REQ, "added"), ("README.md", "modified")]),
                approved(1),
                "not-requests-only",
            ),
            (facts(&mixed), approved(1), "not-requests-only"),
            (facts(&[(REQ, "modified")]), approved(1), "not-requests-only"),
            (facts(&[(REQ, "renamed")]), approved(1), "not-requests-only"),
            (facts(&[]), approved(0), "no-files"),
            (
                PrFacts {
                    merged: true,
                    ..facts(&[(REQ, "added")])
                },
                approved(1),
                "already-merged",
            ),
            (
                PrFacts {
                    state: "closed".into(),
                    ..facts(&[(REQ, "added")])
                },
                approved(1),
                "not-open",
            ),
            (
                PrFacts {
                    base_ref: "release".into(),
                    ..facts(&[(REQ, "added")])
                },
                approved(1),
                "not-default-branch",
            ),
            (
                PrFacts {
                    default_branch: None,
                    ..facts(&[(REQ, "added")])
                },
                approved(1),
                "not-default-branch",
            ),
            (
                PrFacts {
                    files_source: FilesSource::Api,
                    ..facts(&[(REQ, "added")])
                },
                approved(1),
                "files-not-confirmed",
            ),
            (
                PrFacts {
                    files_source: FilesSource::Unavailable("no history".into()),
                    ..facts(&[(REQ, "added")])
                },
                approved(1),
                "files-not-confirmed",
            ),
        ];
        for (f, o, code) in cases {
            assert_eq!(
                plan(&f, &o, MergeMethod::Squash, &none()).unwrap_err().code,
                code,
                "{:?}",
                f.files
            );
        }
    }
}
