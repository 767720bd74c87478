//! Scenario files for `gitgrant test`: a pull request's facts (author, files it adds or
//! removes, commits, reviews, team members) and the time, with the decision and reason
//! codes expected from the gate under the repository's policy. Like `opa test`, for your
//! own policies; the project's gate scenarios use the same format. A scenario is turned
//! into a replay snapshot in GitHub's JSON shapes, so it runs the same code as replay.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::core::files::tree::{Entry, Tree};
use crate::core::gate::facts::PrFacts;
use crate::core::gate::snapshot::Snapshot;
use crate::core::gate::{self, PathHistory, PrOutcome};

pub const HEAD_SHA: &str = "1111111111111111111111111111111111111111";
pub const OLD_SHA: &str = "2222222222222222222222222222222222222222";
pub const BASE_SHA: &str = "3333333333333333333333333333333333333333";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub description: String,
    /// When the gate runs.
    pub at: toml::value::Datetime,
    /// Files laid over the repository's base (e.g. a policy variant), path -> content.
    #[serde(default)]
    pub base_files: BTreeMap<String, String>,
    pub pr: ScenarioPr,
    /// `org/team` -> member logins, as read from GitHub.
    #[serde(default)]
    pub teams: BTreeMap<String, Vec<String>>,
    pub expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioPr {
    pub author: String,
    #[serde(default)]
    pub author_type: Option<String>,
    pub created_at: toml::value::Datetime,
    /// The branch the PR is into (`base.ref`); default `main`.
    #[serde(default)]
    pub base_ref: Option<String>,
    /// The repository's default branch (`base.repo.default_branch`); default `main`.
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Files the PR adds: path -> content.
    #[serde(default)]
    pub add: BTreeMap<String, String>,
    /// Files the PR deletes.
    #[serde(default)]
    pub remove: Vec<String>,
    /// Files the PR modifies: path -> new content.
    #[serde(default)]
    pub modify: BTreeMap<String, String>,
    /// Request paths that existed earlier in the base history.
    #[serde(default)]
    pub used_before: Vec<String>,
    /// Commits; when absent, one commit by the author.
    #[serde(default)]
    pub commits: Vec<ScenarioCommit>,
    #[serde(default)]
    pub reviews: Vec<ScenarioReview>,
    /// Logins GitHub authenticated as pushing to the PR (the ledger's `pushed` events).
    #[serde(default)]
    pub pushers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioCommit {
    /// Login, or an e-mail for an author GitHub could not link to an account.
    pub author: String,
    #[serde(default)]
    pub committer: Option<String>,
    #[serde(default)]
    pub co_authors: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioReview {
    pub user: String,
    pub state: String,
    #[serde(default)]
    pub body: String,
    /// `head` (default) or `old` (a commit before the latest push).
    #[serde(default)]
    pub on: Option<String>,
    #[serde(default)]
    pub user_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub decision: String,
    /// Reason codes that must appear (on any item).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Reason codes that must not appear.
    #[serde(default)]
    pub not_reasons: Vec<String>,
    #[serde(default)]
    pub approved_by: Option<Vec<String>>,
    #[serde(default)]
    pub can_approve: Option<Vec<String>>,
}

fn time(d: &toml::value::Datetime, what: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(&d.to_string())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{what}` needs a date, time and zone"))
}

fn user_json(login_or_email: &str, kind: Option<&str>) -> Value {
    if login_or_email.contains('@') {
        Value::Null
    } else {
        json!({"login": login_or_email, "id": 1, "type": kind.unwrap_or("User")})
    }
}

fn email_of(login_or_email: &str) -> String {
    if login_or_email.contains('@') {
        login_or_email.to_string()
    } else {
        format!("{login_or_email}@users.noreply.github.com")
    }
}

/// The scenario's pull request as a replay snapshot in GitHub's shapes.
pub fn to_snapshot(s: &Scenario) -> Result<Snapshot, String> {
    let created = time(&s.pr.created_at, "pr.created_at")?;
    let mut files = Vec::new();
    for p in s.pr.add.keys() {
        files.push(json!({"filename": p, "status": "added"}));
    }
    for p in &s.pr.remove {
        files.push(json!({"filename": p, "status": "removed"}));
    }
    for p in s.pr.modify.keys() {
        files.push(json!({"filename": p, "status": "modified"}));
    }
    let commits = scenario_commits(s);
    let reviews =
        s.pr.reviews
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let commit = match r.on.as_deref() {
                    None | Some("head") => Ok(HEAD_SHA),
                    Some("old") => Ok(OLD_SHA),
                    Some(other) => Err(format!("review `on` must be `head` or `old`, not `{other}`")),
                }?;
                Ok(json!({
                    "id": 1000 + i,
                    "user": user_json(&r.user, r.user_type.as_deref()),
                    "body": r.body,
                    "state": r.state,
                    "commit_id": commit,
                    "submitted_at": (created + chrono::TimeDelta::minutes(10 + i as i64)).to_rfc3339(),
                    "author_association": "MEMBER",
                }))
            })
            .collect::<Result<Vec<_>, String>>()?;
    Ok(Snapshot {
        pull_request: json!({
            "number": 1,
            "state": "open",
            "user": user_json(&s.pr.author, s.pr.author_type.as_deref()),
            "created_at": created.to_rfc3339(),
            "head": {"sha": HEAD_SHA, "ref": "request"},
            "base": {
                "sha": BASE_SHA,
                "ref": s.pr.base_ref.as_deref().unwrap_or("main"),
                "repo": {"default_branch": s.pr.default_branch.as_deref().unwrap_or("main")},
            },
            "merged": false,
            "merge_commit_sha": null,
        }),
        commits,
        reviews,
        files,
        teams: s
            .teams
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
        pushers: s.pr.pushers.clone(),
    })
}

/// The scenario's commits as GitHub lists them; the last one is the PR's head.
fn scenario_commits(s: &Scenario) -> Vec<Value> {
    if s.pr.commits.is_empty() {
        vec![commit_json(&s.pr.author, &s.pr.author, &[], HEAD_SHA)]
    } else {
        let n = s.pr.commits.len();
        s.pr.commits
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let sha = if i + 1 == n {
                    HEAD_SHA.to_string()
                } else {
                    format!("{:040x}", i + 0xa0)
                };
                commit_json(
                    &c.author,
                    c.committer.as_deref().unwrap_or(&c.author),
                    &c.co_authors,
                    &sha,
                )
            })
            .collect()
    }
}

fn commit_json(author: &str, committer: &str, co_authors: &[String], sha: &str) -> Value {
    let trailers: String = co_authors
        .iter()
        .map(|c| format!("\nCo-authored-by: {c} <{}>", email_of(c)))
        .collect();
    json!({
        "sha": sha,
        "commit": {
            "author": {"name": author, "email": email_of(author), "date": "2026-11-22T10:00:00Z"},
            "committer": {"name": committer, "email": email_of(committer), "date": "2026-11-22T10:00:00Z"},
            "message": format!("Request access\n{trailers}"),
        },
        "author": user_json(author, None),
        "committer": user_json(committer, None),
    })
}

/// Runs one scenario against a base tree; returns the outcome and the mismatches.
pub fn run(base: &Tree, s: &Scenario) -> Result<(PrOutcome, Vec<String>), String> {
    let at = time(&s.at, "at")?;
    let mut base = base.clone();
    for (p, c) in &s.base_files {
        base.insert(p.clone(), Entry::File(c.clone().into_bytes()));
    }
    let mut head = base.clone();
    for (p, c) in s.pr.add.iter().chain(s.pr.modify.iter()) {
        head.insert(p.clone(), Entry::File(c.clone().into_bytes()));
    }
    for p in &s.pr.remove {
        head.entries.remove(p);
    }
    let snapshot = to_snapshot(s)?;
    let facts = PrFacts::from_snapshot(&snapshot).map_err(|e| e.to_string())?;
    let history: BTreeMap<String, PathHistory> =
        s.pr.add
            .keys()
            .map(|p| {
                let h = if s.pr.used_before.contains(p) {
                    PathHistory::Existed(OLD_SHA.to_string())
                } else {
                    PathHistory::Never
                };
                (p.clone(), h)
            })
            .collect();
    let outcome = gate::decide_on_base_files(&base, &head, &facts, &history, at);
    let problems = unmet_expectations(&outcome, &s.expect);
    Ok((outcome, problems))
}

/// How the outcome differs from what the scenario expects, one line each.
fn unmet_expectations(outcome: &PrOutcome, expect: &Expect) -> Vec<String> {
    let s = expect;
    let mut problems = Vec::new();
    if outcome.decision.as_str() != s.decision {
        problems.push(format!(
            "decision: expected `{}`, got `{}`",
            s.decision,
            outcome.decision.as_str()
        ));
    }
    let codes: Vec<&str> = outcome
        .requests
        .iter()
        .flat_map(|i| i.reasons.iter().map(|r| r.code))
        .collect();
    for want in &s.reasons {
        if !codes.contains(&want.as_str()) {
            problems.push(format!("reason `{want}` expected, got [{}]", codes.join(", ")));
        }
    }
    for unwanted in &s.not_reasons {
        if codes.contains(&unwanted.as_str()) {
            problems.push(format!("reason `{unwanted}` not expected"));
        }
    }
    let all = |f: fn(&gate::ItemOutcome) -> &Vec<String>| -> Vec<String> {
        let mut v: Vec<String> = outcome.requests.iter().flat_map(|i| f(i).iter().cloned()).collect();
        v.sort();
        v.dedup();
        v
    };
    if let Some(want) = &s.approved_by {
        let mut want = want.clone();
        want.sort();
        let got = all(|i| &i.approved_by);
        if got != want {
            problems.push(format!("approved_by: expected {want:?}, got {got:?}"));
        }
    }
    if let Some(want) = &s.can_approve {
        let mut want = want.clone();
        want.sort();
        let got = all(|i| &i.can_approve);
        if got != want {
            problems.push(format!("can_approve: expected {want:?}, got {got:?}"));
        }
    }
    problems
}
