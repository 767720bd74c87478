//! The one verifier of approval evidence (DESIGN 5, 10): given a merged PR's replay snapshot
//! and what git says about it, is the request file on the default branch exactly what that
//! PR's gate approved? Used by the reconciler before it grants and by `audit --verify`, so
//! the two can never disagree. Pure: the adapters read git; this only judges.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::approvals::short;
use super::facts::PrFacts;
use super::record::{ApprovalRecord, RecordInput};
use super::snapshot::Snapshot;
use super::{Decision, FileRole, GateInput, PathHistory, PrOutcome, classify, decide, reason};
use crate::core::files::load::BasePolicy;
use crate::core::files::tree::{Entry, Tree};
use crate::core::rules::eligibility::Reason;

/// A merged PR's evidence, parsed: its facts and when it was merged.
#[derive(Debug, Clone)]
pub struct MergeEvidence {
    pub facts: PrFacts,
    pub merged_at: Option<DateTime<Utc>>,
}

/// Parses a replay snapshot into evidence; an unreadable one is `evidence-unreadable`.
pub fn parse_snapshot(snap: &Snapshot) -> Result<MergeEvidence, Reason> {
    let facts = PrFacts::from_snapshot(snap)
        .map_err(|e| reason("evidence-unreadable", format!("the evidence is unreadable: {e}")))?;
    let merged_at = snap
        .pull_request
        .get("merged_at")
        .and_then(|v| v.as_str())
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc));
    Ok(MergeEvidence { facts, merged_at })
}

/// Parses the evidence a ledger `merged` event carries (a replay snapshot as JSON).
pub fn parse_ledger_evidence(value: &crate::core::ledger::Evidence) -> Result<MergeEvidence, Reason> {
    let snap: Snapshot = value.parse().map_err(|e| {
        reason(
            "evidence-unreadable",
            format!("the ledger's evidence is not a replay snapshot: {e}"),
        )
    })?;
    parse_snapshot(&snap)
}

/// The request paths a PR adds: what the gate decides, and what git must be read for.
pub fn added_requests(facts: &PrFacts) -> Vec<String> {
    classify(&facts.files)
        .into_iter()
        .filter_map(|role| match role {
            FileRole::AddedRequest(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// What the adapters read from git for one request file and its evidence.
pub struct EvidenceCheck<'a> {
    /// The request file on the default branch.
    pub path: &'a str,
    /// The PR the history says added the file, when known (audit); must match the evidence.
    pub expected_pr: Option<u64>,
    pub evidence: &'a MergeEvidence,
    /// Whether the evidence's merge commit is on the default branch.
    pub merge_on_branch: bool,
    /// The file's bytes on the default branch.
    pub branch_file: Option<&'a [u8]>,
    /// The PR's head commit with the request files it adds; `None` when the commit is missing.
    pub head: Option<&'a Tree>,
    /// The policy of the PR's base commit; `None` when the commit is missing.
    pub base: Option<&'a BasePolicy>,
    /// For each added path, whether it existed before, in the base commit's history.
    pub history: &'a BTreeMap<String, PathHistory>,
    /// The default branch's policy at the merge's first parent (DESIGN 10.3).
    pub merge_parent: MergeParent<'a>,
}

/// The policy of the default branch just before the merge, which also decides.
#[derive(Clone, Copy)]
pub enum MergeParent<'a> {
    /// Not applied (audit's re-decision of a merge against its base alone).
    NotChecked,
    /// The merge's first parent is not in the repository: unverifiable.
    Missing(&'a str),
    Policy {
        commit: &'a str,
        policy: &'a BasePolicy,
    },
}

/// The verifier's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceVerdict {
    /// The file is what the PR's gate approved, and the PR was merged onto the default branch.
    Verified {
        merged_at: DateTime<Utc>,
        /// Counted code-owner approvals (empty when auto-approved).
        approved_by: Vec<String>,
    },
    /// The evidence contradicts the grant: never granted, a finding in the audit.
    Refused {
        /// The re-decided decision, when the PR could be re-decided.
        decision: Option<Decision>,
        reasons: Vec<Reason>,
    },
    /// The evidence cannot be checked here (a commit is missing): never granted.
    Unverifiable(Vec<Reason>),
}

fn refused(code: &'static str, message: String) -> EvidenceVerdict {
    EvidenceVerdict::Refused {
        decision: None,
        reasons: vec![reason(code, message)],
    }
}

/// Verifies one request's evidence: each check in turn, the first that fails decides.
pub fn verify(c: &EvidenceCheck<'_>) -> EvidenceVerdict {
    let p = match prepare(c) {
        Ok(p) => p,
        Err(v) => return v,
    };
    match decide_at_merge(c, &p) {
        Ok(outcome) => judge(c, &outcome, p.merged_at),
        Err(v) => v,
    }
}

/// What the checks before re-deciding established.
struct Prepared<'a> {
    head: &'a Tree,
    base: &'a BasePolicy,
    merged_at: DateTime<Utc>,
    /// The evidence's facts as they were at the merge: reviews submitted later dropped.
    facts: PrFacts,
}

/// The PR as it stood when it was merged (DESIGN 10.3: decided at merge): a review submitted
/// after the merge (GitHub accepts reviews on merged PRs), or with no time, is not evidence.
pub fn at_merge_time(facts: &PrFacts, merged_at: DateTime<Utc>) -> PrFacts {
    let mut f = facts.clone();
    f.reviews.retain(|r| r.submitted_at.is_some_and(|t| t <= merged_at));
    f
}

/// The checks that need no decision: the merge, its time, the head file, the base commit.
fn prepare<'a>(c: &EvidenceCheck<'a>) -> Result<Prepared<'a>, EvidenceVerdict> {
    let f = &c.evidence.facts;
    if let Some(fail) = check_merge(c) {
        return Err(fail);
    }
    let Some(merged_at) = c.evidence.merged_at else {
        return Err(refused(
            "evidence-unreadable",
            format!("the evidence of PR #{} has no `merged_at`", f.number),
        ));
    };
    let Some(head) = c.head else {
        return Err(EvidenceVerdict::Unverifiable(vec![reason(
            "head-commit-missing",
            format!(
                "head commit {} of PR #{} is not in the repository (fetch `refs/pull/{}/head`)",
                short(&f.head_sha),
                f.number,
                f.number
            ),
        )]));
    };
    if let Some(fail) = check_file(c, head) {
        return Err(fail);
    }
    let Some(base) = c.base else {
        return Err(EvidenceVerdict::Unverifiable(vec![reason(
            "base-commit-missing",
            format!(
                "base commit {} of PR #{} is not in the repository",
                short(&f.base_sha),
                f.number
            ),
        )]));
    };
    Ok(Prepared {
        head,
        base,
        merged_at,
        facts: at_merge_time(f, merged_at),
    })
}

/// The PR is the one that added the file, was merged, and its merge is on the default branch.
fn check_merge(c: &EvidenceCheck<'_>) -> Option<EvidenceVerdict> {
    let f = &c.evidence.facts;
    let n = f.number;
    if let Some(p) = c.expected_pr
        && p != n
    {
        return Some(refused(
            "evidence-for-other-pr",
            format!("the evidence is for PR #{n}, but PR #{p} added this file"),
        ));
    }
    if !f.merged {
        return Some(refused(
            "evidence-not-merged",
            format!("pull request #{n} was not merged"),
        ));
    }
    if !super::into_default_branch(f) {
        let why = super::not_default_branch(f);
        return Some(EvidenceVerdict::Refused {
            decision: None,
            reasons: vec![why],
        });
    }
    match &f.merge_commit_sha {
        None => Some(refused(
            "merge-not-on-default-branch",
            format!("pull request #{n} has no merge commit"),
        )),
        Some(m) if !c.merge_on_branch => Some(refused(
            "merge-not-on-default-branch",
            format!("merge commit {} of PR #{n} is not on the default branch", short(m)),
        )),
        Some(_) => None,
    }
}

/// The PR adds this file, and the file on the default branch is byte-identical to its head's.
fn check_file(c: &EvidenceCheck<'_>, head: &Tree) -> Option<EvidenceVerdict> {
    let f = &c.evidence.facts;
    if !added_requests(f).iter().any(|p| p == c.path) {
        return Some(refused(
            "file-not-in-pr",
            format!("pull request #{} does not add this file", f.number),
        ));
    }
    let approved = match head.file(c.path) {
        Some(Entry::File(bytes)) => Some(bytes.as_slice()),
        _ => None,
    };
    if approved.is_none() || approved != c.branch_file {
        return Some(refused(
            "file-changed-after-approval",
            format!(
                "the file on the default branch differs from the one approved in PR #{} (head {})",
                f.number,
                short(&f.head_sha)
            ),
        ));
    }
    None
}

/// Re-decides the PR with the gate at its merge time, against its base commit's policy and
/// (when checked) the default branch's policy at the merge's first parent: the stricter wins.
fn decide_at_merge(c: &EvidenceCheck<'_>, p: &Prepared<'_>) -> Result<PrOutcome, EvidenceVerdict> {
    let f = &p.facts;
    let at_base = decide(&GateInput {
        base: p.base,
        head: p.head,
        facts: f,
        history: c.history,
        at: p.merged_at,
    });
    match &c.merge_parent {
        MergeParent::NotChecked => Ok(at_base),
        MergeParent::Missing(sha) => Err(EvidenceVerdict::Unverifiable(vec![reason(
            "base-commit-missing",
            format!(
                "the first parent {} of PR #{}'s merge is not in the repository, so the default branch's policy at the merge cannot be read",
                short(sha),
                f.number
            ),
        )])),
        MergeParent::Policy { policy, .. } => {
            let at_merge = decide(&GateInput {
                base: policy,
                head: p.head,
                facts: f,
                history: c.history,
                at: p.merged_at,
            });
            Ok(super::record::stricter(at_base, at_merge))
        }
    }
}

/// The verdict on a re-decided PR for the request at `c.path`.
fn judge(c: &EvidenceCheck<'_>, outcome: &PrOutcome, merged_at: DateTime<Utc>) -> EvidenceVerdict {
    let f = &c.evidence.facts;
    let item = outcome.requests.iter().find(|i| i.path == c.path);
    let decision = item.map_or(Decision::Invalid, |i| i.decision).max(outcome.decision);
    if decision == Decision::Approved
        && let Some(item) = item
    {
        return EvidenceVerdict::Verified {
            merged_at,
            approved_by: item.approved_by.clone(),
        };
    }
    let mut reasons = vec![reason(
        "not-approved",
        format!(
            "re-deciding PR #{} against its base commit {} gives `{}`, but it was merged",
            f.number,
            short(&f.base_sha),
            decision.as_str()
        ),
    )];
    for it in &outcome.requests {
        for r in it.reasons.iter().filter(|r| r.code != "approved") {
            let message = if it.path == c.path {
                r.message.clone()
            } else {
                format!("{}: {}", it.path, r.message)
            };
            reasons.push(Reason { code: r.code, message });
        }
    }
    EvidenceVerdict::Refused {
        decision: Some(decision),
        reasons,
    }
}

/// What binds a request file on the default branch to an approval record (DESIGN 10.4).
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub path: &'a str,
    /// The object id of the file on the default branch.
    pub blob: &'a str,
    /// The first-parent commit of the default branch that introduced the file's current
    /// content. A path deleted and pushed back since the record's merge has a later one.
    pub introduced_by: &'a str,
    /// The default branch's name.
    pub default_branch: &'a str,
}

/// Whether a record binds the file: its merge introduced the current content, its blob is
/// the file's, and its PR was merged into the default branch. The first that fails decides.
pub fn check_binding(r: &ApprovalRecord, b: &Binding<'_>) -> Option<Reason> {
    if r.path != b.path || r.merge_commit != b.introduced_by {
        return Some(reason(
            "record-not-introducing-merge",
            format!(
                "the approval of PR #{} is bound to merge {}, but the file's current content on the default branch came from commit {}",
                r.pr,
                short(&r.merge_commit),
                short(b.introduced_by)
            ),
        ));
    }
    if r.blob != b.blob {
        return Some(reason(
            "record-blob-mismatch",
            format!(
                "PR #{} approved blob {}, but the file on the default branch is blob {}",
                r.pr,
                short(&r.blob),
                short(b.blob)
            ),
        ));
    }
    if r.base_ref != b.default_branch {
        return Some(reason(
            "base-not-default-branch",
            format!(
                "PR #{} was merged into `{}`, not the default branch `{}`",
                r.pr, r.base_ref, b.default_branch
            ),
        ));
    }
    None
}

/// Whether a ledger record says what the record re-made from its own evidence says, on every
/// fact a grant or its checks use (`record-disagrees-with-evidence` on the first that
/// differs): a record is never trusted beyond what its evidence proves.
pub fn check_agreement(recorded: &ApprovalRecord, proven: &ApprovalRecord) -> Option<Reason> {
    let due = |r: &ApprovalRecord| r.emergency_review_due.map_or("none".to_string(), |d| d.to_rfc3339());
    let facts: [(&str, String, String); 14] = [
        ("path", recorded.path.clone(), proven.path.clone()),
        ("blob", recorded.blob.clone(), proven.blob.clone()),
        ("account id", recorded.account_id.clone(), proven.account_id.clone()),
        (
            "permission set",
            recorded.permission_set.clone(),
            proven.permission_set.clone(),
        ),
        ("user", recorded.user_name.clone(), proven.user_name.clone()),
        ("requester", recorded.requester.clone(), proven.requester.clone()),
        ("start", recorded.start.to_rfc3339(), proven.start.to_rfc3339()),
        ("end", recorded.end.to_rfc3339(), proven.end.to_rfc3339()),
        ("PR", recorded.pr.to_string(), proven.pr.to_string()),
        ("base ref", recorded.base_ref.clone(), proven.base_ref.clone()),
        ("head", recorded.head_sha.clone(), proven.head_sha.clone()),
        (
            "merge commit",
            recorded.merge_commit.clone(),
            proven.merge_commit.clone(),
        ),
        (
            "merge time",
            recorded.merged_at.to_rfc3339(),
            proven.merged_at.to_rfc3339(),
        ),
        ("break-glass review due", due(recorded), due(proven)),
    ];
    let (what, said, proved) = facts.into_iter().find(|(_, a, b)| a != b)?;
    Some(reason(
        "record-disagrees-with-evidence",
        format!(
            "the ledger's record of PR #{} says {what} {}, but its evidence proves {}",
            recorded.pr,
            crate::core::ledger::one_line(&said),
            crate::core::ledger::one_line(&proved)
        ),
    ))
}

/// What the current policy says of a recorded request: it may only narrow a grant.
#[derive(Debug, Clone, Copy)]
pub struct Current<'a> {
    /// The account id the request's account name resolves to in today's directory.
    pub account_id: &'a str,
    /// The user the requester's login maps to in today's identities.
    pub user_name: Option<&'a str>,
}

/// A record whose account or user today's policy would resolve differently is refused
/// (`record-retargeted`): a rename never moves an approved grant.
pub fn check_narrowing(r: &ApprovalRecord, c: &Current<'_>) -> Option<Reason> {
    if r.account_id != c.account_id {
        return Some(reason(
            "record-retargeted",
            format!(
                "PR #{} approved account {}, but the request's account now names {} in `policies/directory.toml`: renames never retarget a grant",
                r.pr, r.account_id, c.account_id
            ),
        ));
    }
    if c.user_name != Some(r.user_name.as_str()) {
        return Some(reason(
            "record-retargeted",
            format!(
                "PR #{} approved user `{}`, but `{}` now maps to {} in `policies/identities.toml`: renames never retarget a grant",
                r.pr,
                r.user_name,
                r.requester,
                c.user_name.map_or("no user".to_string(), |u| format!("`{u}`"))
            ),
        ));
    }
    None
}

/// Verifies evidence for the request file `b` binds and builds its approval record (what the
/// gate would have written at merge); the refusal when it does not verify or bind.
pub fn verify_record(c: &EvidenceCheck<'_>, b: &Binding<'_>) -> Result<ApprovalRecord, EvidenceVerdict> {
    let p = prepare(c)?;
    let outcome = decide_at_merge(c, &p)?;
    let verdict = judge(c, &outcome, p.merged_at);
    if !matches!(verdict, EvidenceVerdict::Verified { .. }) {
        return Err(verdict);
    }
    let base = p
        .base
        .as_ref()
        .map_err(|_| refused("not-approved", "the base policy is invalid".into()))?;
    let f = &p.facts;
    let mut policy_commits = vec![f.base_sha.clone()];
    if let MergeParent::Policy { commit, .. } = &c.merge_parent {
        policy_commits.push(commit.to_string());
    }
    let blobs = BTreeMap::from([(b.path.to_string(), b.blob.to_string())]);
    let record = super::record::records(&RecordInput {
        facts: f,
        outcome: &outcome_for(&outcome, b.path),
        blobs: &blobs,
        identities: base.identities(),
        merged_at: p.merged_at,
        policy_commits: &policy_commits,
    })
    .into_iter()
    .find(|r| r.path == b.path);
    let Some(record) = record else {
        return Err(refused(
            "no-approval-record",
            format!(
                "PR #{}'s evidence verifies, but no approval record can be made for this file (its requester maps to no Identity Center user)",
                f.number
            ),
        ));
    };
    match check_binding(&record, b) {
        Some(why) => Err(EvidenceVerdict::Refused {
            decision: None,
            reasons: vec![why],
        }),
        None => Ok(record),
    }
}

/// The outcome narrowed to one request, as approved (the judge said so).
fn outcome_for(outcome: &PrOutcome, path: &str) -> PrOutcome {
    PrOutcome {
        decision: Decision::Approved,
        requests: outcome.requests.iter().filter(|i| i.path == path).cloned().collect(),
        removed: vec![],
        diagnostics: vec![],
    }
}

#[cfg(test)]
mod tests {
    //! One row per check of the verifier, each built from an approved, merged PR by changing
    //! exactly one fact.
    use super::*;
    use crate::core::files::load;
    use crate::core::files::tree::{self, Entry, Tree};
    use crate::core::gate::scenario::{self, Scenario};

    const PATH: &str = "requests/payments-prod/AdministratorAccess/inc-9000-rollback.toml";
    const MERGE: &str = "4444444444444444444444444444444444444444";

    fn base_tree() -> Tree {
        let mut t = Tree::default();
        for (p, text) in [
            (
                tree::ACCESS,
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/fixtures/base/policies/access.toml"
                )),
            ),
            (
                tree::IDENTITIES,
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/fixtures/base/policies/identities.toml"
                )),
            ),
            (
                tree::DIRECTORY,
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/fixtures/base/policies/directory.toml"
                )),
            ),
            (
                tree::CODEOWNERS,
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/fixtures/base/.github/CODEOWNERS"
                )),
            ),
        ] {
            t.insert(p, Entry::File(text.as_bytes().to_vec()));
        }
        t
    }

    fn scenario() -> Scenario {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/approve-two-code-owners.toml"
        ));
        toml::from_str(text).unwrap()
    }

    /// The merged PR's evidence, with `edit` applied to its snapshot JSON first.
    fn evidence(s: &Scenario, edit: impl Fn(&mut serde_json::Value)) -> MergeEvidence {
        let snap = scenario::to_snapshot(s).unwrap();
        let mut v = serde_json::to_value(&snap).unwrap();
        v["pull_request"]["merged"] = true.into();
        v["pull_request"]["merge_commit_sha"] = MERGE.into();
        v["pull_request"]["merged_at"] = "2026-11-22T12:30:00Z".into();
        edit(&mut v);
        parse_ledger_evidence(&crate::core::ledger::Evidence::of(&v).unwrap()).unwrap()
    }

    struct Case {
        name: &'static str,
        edit: fn(&mut serde_json::Value),
        expected_pr: Option<u64>,
        merge_on_branch: bool,
        branch_file: Option<&'static str>,
        head_present: bool,
        base: Option<&'static str>,
        want: &'static str,
    }

    const OK: Case = Case {
        name: "approved and merged",
        edit: |_| {},
        expected_pr: None,
        merge_on_branch: true,
        branch_file: None,
        head_present: true,
        base: Some("valid"),
        want: "verified",
    };

    fn run(c: &Case) -> EvidenceVerdict {
        let s = scenario();
        let ev = evidence(&s, c.edit);
        let approved = s.pr.add[PATH].clone();
        let mut head = Tree::default();
        head.insert(PATH, Entry::File(approved.clone().into_bytes()));
        let mut base = base_tree();
        if c.base == Some("invalid") {
            let text = base
                .text(tree::ACCESS)
                .unwrap()
                .replace("[settings]", "[settings]\nmax_duration = \"9x\"");
            base.insert(tree::ACCESS, Entry::File(text.into_bytes()));
        }
        let policy = load::policy_set(&base, &mut Vec::new());
        let history: BTreeMap<String, PathHistory> = [(PATH.to_string(), PathHistory::Never)].into();
        let branch_file = c.branch_file.map(str::to_string).unwrap_or(approved);
        verify(&EvidenceCheck {
            path: PATH,
            expected_pr: c.expected_pr,
            evidence: &ev,
            merge_on_branch: c.merge_on_branch,
            branch_file: Some(branch_file.as_bytes()),
            head: c.head_present.then_some(&head),
            base: c.base.map(|_| &policy),
            history: &history,
            merge_parent: MergeParent::NotChecked,
        })
    }

    fn codes(v: &EvidenceVerdict) -> String {
        match v {
            EvidenceVerdict::Verified { approved_by, .. } => format!("verified by {}", approved_by.join(",")),
            EvidenceVerdict::Refused { reasons, .. } => {
                format!(
                    "refused {}",
                    reasons.iter().map(|r| r.code).collect::<Vec<_>>().join(",")
                )
            }
            EvidenceVerdict::Unverifiable(reasons) => {
                format!(
                    "unverifiable {}",
                    reasons.iter().map(|r| r.code).collect::<Vec<_>>().join(",")
                )
            }
        }
    }

    #[test]
    fn each_check_refuses_exactly_its_case() {
        let cases = [
            Case {
                want: "verified by dan,heidi",
                ..OK
            },
            Case {
                name: "not merged",
                edit: |v| v["pull_request"]["merged"] = false.into(),
                want: "refused evidence-not-merged",
                ..OK
            },
            Case {
                name: "no merge commit",
                edit: |v| v["pull_request"]["merge_commit_sha"] = serde_json::Value::Null,
                want: "refused merge-not-on-default-branch",
                ..OK
            },
            Case {
                name: "merge elsewhere",
                merge_on_branch: false,
                want: "refused merge-not-on-default-branch",
                ..OK
            },
            Case {
                name: "merged into a side branch",
                edit: |v| v["pull_request"]["base"]["ref"] = "release".into(),
                want: "refused base-not-default-branch",
                ..OK
            },
            Case {
                name: "default branch not in the evidence",
                edit: |v| v["pull_request"]["base"]["repo"] = serde_json::Value::Null,
                want: "refused base-not-default-branch",
                ..OK
            },
            Case {
                name: "another PR added the file",
                expected_pr: Some(7),
                want: "refused evidence-for-other-pr",
                ..OK
            },
            Case {
                name: "no merge time",
                edit: |v| v["pull_request"]["merged_at"] = serde_json::Value::Null,
                want: "refused evidence-unreadable",
                ..OK
            },
            Case {
                name: "head commit missing",
                head_present: false,
                want: "unverifiable head-commit-missing",
                ..OK
            },
            Case {
                name: "file edited after approval",
                branch_file: Some("requester = \"alice\"\n"),
                want: "refused file-changed-after-approval",
                ..OK
            },
            Case {
                name: "base commit missing",
                base: None,
                want: "unverifiable base-commit-missing",
                ..OK
            },
            Case {
                name: "base policy invalid",
                base: Some("invalid"),
                want: "refused not-approved,base-policy-invalid",
                ..OK
            },
            Case {
                name: "one approval of two",
                edit: |v| {
                    let reviews = v["reviews"].as_array_mut().unwrap();
                    reviews.truncate(1);
                },
                want: "refused not-approved,awaiting-approval",
                ..OK
            },
            Case {
                name: "the PR does not add this file",
                edit: |v| v["files"][0]["filename"] = "requests/payments-prod/AdministratorAccess/other.toml".into(),
                want: "refused file-not-in-pr",
                ..OK
            },
        ];
        for c in &cases {
            assert_eq!(codes(&run(c)), c.want, "{}", c.name);
        }
    }

    #[test]
    fn a_refusal_after_re_deciding_carries_the_decision() {
        let c = Case {
            base: Some("invalid"),
            ..OK
        };
        match run(&c) {
            EvidenceVerdict::Refused { decision, .. } => assert_eq!(decision, Some(Decision::Invalid)),
            other => panic!("{other:?}"),
        }
    }

    fn record() -> ApprovalRecord {
        ApprovalRecord {
            path: PATH.into(),
            blob: "b".repeat(40),
            account_id: "111122223333".into(),
            permission_set: "AdministratorAccess".into(),
            user_name: "alice@acme.example".into(),
            requester: "alice".into(),
            start: "2026-11-22T13:00:00Z".parse().unwrap(),
            end: "2026-11-22T15:00:00Z".parse().unwrap(),
            approvers: vec![],
            pushers: vec![],
            pr: 12,
            base_ref: "main".into(),
            base_sha: "1".repeat(40),
            head_sha: "2".repeat(40),
            merge_commit: MERGE.into(),
            merged_at: "2026-11-22T12:30:00Z".parse().unwrap(),
            policy_commits: vec![],
            emergency_review_due: None,
        }
    }

    #[test]
    fn a_record_that_drops_or_moves_its_break_glass_review_disagrees_with_its_evidence() {
        let due = "2026-11-23T12:30:00Z".parse().ok();
        let proven = ApprovalRecord {
            emergency_review_due: due,
            ..record()
        };
        assert_eq!(check_agreement(&proven, &proven), None);
        let dropped = check_agreement(&record(), &proven).map(|r| r.code);
        assert_eq!(dropped, Some("record-disagrees-with-evidence"));
        let later = ApprovalRecord {
            emergency_review_due: "2026-12-30T00:00:00Z".parse().ok(),
            ..record()
        };
        let moved = check_agreement(&later, &proven).unwrap();
        assert!(moved.message.contains("break-glass review due"), "{}", moved.message);
    }

    #[test]
    fn a_record_binds_only_its_merge_its_blob_and_the_default_branch() {
        let blob = "b".repeat(40);
        let ok = Binding {
            path: PATH,
            blob: &blob,
            introduced_by: MERGE,
            default_branch: "main",
        };
        let code = |r: &ApprovalRecord, b: &Binding<'_>| check_binding(r, b).map(|r| r.code);
        assert_eq!(code(&record(), &ok), None);
        let later = "5".repeat(40);
        let pushed_back = Binding {
            introduced_by: &later,
            ..ok
        };
        assert_eq!(code(&record(), &pushed_back), Some("record-not-introducing-merge"));
        let other = "c".repeat(40);
        let edited = Binding { blob: &other, ..ok };
        assert_eq!(code(&record(), &edited), Some("record-blob-mismatch"));
        let side = ApprovalRecord {
            base_ref: "release".into(),
            ..record()
        };
        assert_eq!(code(&side, &ok), Some("base-not-default-branch"));
    }

    #[test]
    fn the_current_policy_narrows_but_never_retargets() {
        let now = |account_id, user_name| Current { account_id, user_name };
        let code = |c: Current<'_>| check_narrowing(&record(), &c).map(|r| r.code);
        assert_eq!(code(now("111122223333", Some("alice@acme.example"))), None);
        assert_eq!(
            code(now("333344445555", Some("alice@acme.example"))),
            Some("record-retargeted")
        );
        assert_eq!(
            code(now("111122223333", Some("grace@acme.example"))),
            Some("record-retargeted")
        );
        assert_eq!(code(now("111122223333", None)), Some("record-retargeted"));
    }

    #[test]
    fn a_stricter_policy_at_the_merge_refuses_the_record() {
        // approved against the base; the default branch at the merge needs three approvals
        let s = scenario();
        let ev = evidence(&s, |_| {});
        let approved = s.pr.add[PATH].clone();
        let mut head = Tree::default();
        head.insert(PATH, Entry::File(approved.clone().into_bytes()));
        let base = load::policy_set(&base_tree(), &mut Vec::new());
        let mut raised = base_tree();
        let text = raised
            .text(tree::ACCESS)
            .unwrap()
            .replacen("min_approvals = 2", "min_approvals = 3", 1);
        raised.insert(tree::ACCESS, Entry::File(text.into_bytes()));
        let raised = load::policy_set(&raised, &mut Vec::new());
        let history: BTreeMap<String, PathHistory> = [(PATH.to_string(), PathHistory::Never)].into();
        let blob = "b".repeat(40);
        let binding = Binding {
            path: PATH,
            blob: &blob,
            introduced_by: MERGE,
            default_branch: "main",
        };
        let check = |merge_parent| EvidenceCheck {
            path: PATH,
            expected_pr: None,
            evidence: &ev,
            merge_on_branch: true,
            branch_file: Some(approved.as_bytes()),
            head: Some(&head),
            base: Some(&base),
            history: &history,
            merge_parent,
        };
        let same = MergeParent::Policy {
            commit: "1111111111111111111111111111111111111111",
            policy: &base,
        };
        let made = verify_record(&check(same), &binding).unwrap();
        assert_eq!((made.blob.as_str(), made.merge_commit.as_str()), (blob.as_str(), MERGE));
        assert_eq!(
            made.approvers.iter().map(|a| a.login.as_str()).collect::<Vec<_>>(),
            ["dan", "heidi"]
        );
        let stricter = MergeParent::Policy {
            commit: "1111111111111111111111111111111111111111",
            policy: &raised,
        };
        match verify_record(&check(stricter), &binding) {
            Err(EvidenceVerdict::Refused { decision, .. }) => assert_eq!(decision, Some(Decision::Pending)),
            other => panic!("{other:?}"),
        }
        match verify_record(&check(MergeParent::Missing(MERGE)), &binding) {
            Err(EvidenceVerdict::Unverifiable(r)) => assert_eq!(r[0].code, "base-commit-missing"),
            other => panic!("{other:?}"),
        }
    }
}
