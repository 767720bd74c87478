//! Rendering a PR decision: the JSON of DESIGN 4.8, terminal text, and the PR comment (a
//! reviewer's view: a header, a section per request, long output folded, next steps, a
//! summary line), which also serves as the job summary.

use std::fmt::Write;

use serde_json::json;

use super::{Decision, ItemOutcome, PrOutcome};
use crate::core::diag::render::{self, Sources};

/// The hidden marker that finds the gate's comment again, so it is updated in place.
pub const COMMENT_MARKER: &str = "<!-- gitgrant:pr-gate -->";
/// GitHub refuses comments over 65,536 characters; stay well below.
pub const COMMENT_LIMIT: usize = 60_000;

pub fn json(outcome: &PrOutcome, sources: &dyn Sources) -> String {
    let diagnostics: Vec<_> = outcome.diagnostics.iter().map(|d| render::locate(d, sources)).collect();
    let v = json!({
        "decision": outcome.decision,
        "requests": outcome.requests,
        "removed": outcome.removed,
        "diagnostics": diagnostics,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

fn icon(d: Decision) -> &'static str {
    match d {
        Decision::Approved => "✅",
        Decision::Pending => "⏳",
        Decision::Rejected => "⛔",
        Decision::Invalid => "❌",
    }
}

/// One line a request: what the terminal shows.
pub fn human(outcome: &PrOutcome) -> String {
    let mut out = String::new();
    for item in &outcome.requests {
        let _ = writeln!(out, "{} {}", item.decision.as_str(), item.path);
        for r in item.reasons.iter().chain(&item.notes) {
            let _ = writeln!(out, "  [{}] {}", r.code, r.message);
        }
        if !item.approved_by.is_empty() {
            let _ = writeln!(out, "  approved by: {}", item.approved_by.join(", "));
        }
        if !item.can_approve.is_empty() {
            let _ = writeln!(out, "  can approve: {}", item.can_approve.join(", "));
        }
    }
    for p in &outcome.removed {
        let _ = writeln!(out, "revoked {p}");
    }
    let _ = writeln!(out, "{}", summary_line(outcome));
    out
}

pub fn summary_line(outcome: &PrOutcome) -> String {
    let count = |d| outcome.requests.iter().filter(|i| i.decision == d).count();
    format!(
        "gitgrant: {} ({} approved, {} pending, {} rejected, {} invalid; {} revoked)",
        outcome.decision.as_str(),
        count(Decision::Approved),
        count(Decision::Pending),
        count(Decision::Rejected),
        count(Decision::Invalid),
        outcome.removed.len()
    )
}

/// Escapes text from files and reviews for Markdown tables and prose.
fn md(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .take(300)
        .collect();
    one_line.replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;")
}

fn section(out: &mut String, item: &ItemOutcome) {
    let _ = writeln!(
        out,
        "### {} `{}`: {}\n",
        icon(item.decision),
        md(&item.path),
        item.decision.as_str()
    );
    if let Some(r) = &item.request {
        let window = match r.start {
            Some(s) => format!("{} for {}", s.format("%Y-%m-%d %H:%M UTC"), r.duration),
            None => format!("from merge, for {}", r.duration),
        };
        let _ = writeln!(out, "| | |\n|---|---|");
        let _ = writeln!(out, "| requester | `{}` |", md(&r.requester));
        let _ = writeln!(out, "| account | `{}` ({}) |", md(&r.account_name), r.account_id);
        let _ = writeln!(out, "| permission set | `{}` |", md(&r.permission_set));
        let _ = writeln!(out, "| window | {window} |");
        let _ = writeln!(out, "| reason | {} |", md(&r.reason));
        let _ = writeln!(
            out,
            "| ticket | {} |",
            r.ticket.as_deref().map_or("none".to_string(), md)
        );
        let approvals = if item.required_approvals == 0 {
            "none needed".to_string()
        } else {
            format!("{} of {}", item.approved_by.len(), item.required_approvals)
        };
        let _ = writeln!(out, "| approvals | {approvals} |");
        if !item.approved_by.is_empty() {
            let _ = writeln!(
                out,
                "| approved by | {} |",
                item.approved_by
                    .iter()
                    .map(|l| format!("@{l}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if !item.can_approve.is_empty() && item.decision != Decision::Approved {
            let shown: Vec<String> = item
                .can_approve
                .iter()
                .take(20)
                .map(|l| format!("`{}`", md(l)))
                .collect();
            let more = item.can_approve.len().saturating_sub(20);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let _ = writeln!(out, "| can approve | {}{more} |", shown.join(", "));
        }
        out.push('\n');
    }
    if !item.reasons.is_empty() {
        let fold = item.reasons.len() > 3;
        if fold {
            let _ = writeln!(out, "<details><summary>{} reasons</summary>\n", item.reasons.len());
        }
        for r in &item.reasons {
            let _ = writeln!(out, "- `{}`: {}", r.code, md(&r.message));
        }
        if fold {
            let _ = writeln!(out, "\n</details>");
        }
        for r in &item.notes {
            let _ = writeln!(out, "- note `{}`: {}", r.code, md(&r.message));
        }
        out.push('\n');
    }
}

/// The PR comment, never longer than `COMMENT_LIMIT` characters.
pub fn markdown(outcome: &PrOutcome, sources: &dyn Sources) -> String {
    markdown_for(outcome, sources, None)
}

/// As [`markdown`], for a PR that may be merged already (`merged_as`: its merge commit), so
/// that a merged PR's comment never says "Ready to merge".
pub fn markdown_for(outcome: &PrOutcome, sources: &dyn Sources, merged_as: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{COMMENT_MARKER}\n## {} gitgrant: {}\n",
        icon(outcome.decision),
        outcome.decision.as_str()
    );
    if outcome.requests.is_empty() && !outcome.removed.is_empty() {
        let _ = writeln!(out, "This PR only removes request files: revocations pass at once.\n");
    }
    for item in &outcome.requests {
        section(&mut out, item);
    }
    if !outcome.removed.is_empty() {
        let _ = writeln!(out, "### Revocations\n");
        for p in &outcome.removed {
            let _ = writeln!(out, "- `{}`", md(p));
        }
        out.push('\n');
    }
    if !outcome.diagnostics.is_empty() {
        let text = render::human(&outcome.diagnostics, sources);
        let _ = writeln!(
            out,
            "<details><summary>{} finding(s) in files</summary>\n\n```\n{}```\n</details>\n",
            outcome.diagnostics.len(),
            text.replace("```", "'''")
        );
    }
    let merged_line;
    let next = match (outcome.decision, merged_as) {
        (_, Some(commit)) => {
            merged_line = merged_next(outcome, commit);
            merged_line.as_str()
        }
        (Decision::Approved, None) => {
            "Ready to merge. Access starts at the requested start (or at merge) and ends on its own."
        }
        (Decision::Pending, None) => {
            "Next: a code owner listed under *can approve* reviews with **Approve** and a comment explaining the decision."
        }
        (Decision::Rejected, None) => {
            "A code owner requested changes. Address them, or close the PR to withdraw the request."
        }
        (Decision::Invalid, None) => "Fix the findings above and push; run `gitgrant check` locally to see them first.",
    };
    let _ = writeln!(out, "{next}\n");
    let _ = writeln!(out, "<sub>{}</sub>", summary_line(outcome));
    truncate(out)
}

/// The closing line of a merged PR's comment.
fn merged_next(outcome: &PrOutcome, commit: &str) -> String {
    let commit = md(commit.get(..12).unwrap_or(commit));
    match (outcome.decision, outcome.requests.is_empty()) {
        (Decision::Approved, true) => {
            format!("Merged as `{commit}`. The reconciler removes the revoked access at its next run.")
        }
        (Decision::Approved, false) => format!(
            "Merged as `{commit}`. The reconciler grants access at the requested start (or now) and removes it at the end."
        ),
        (d, _) => format!(
            "Merged as `{commit}` while `{}`: the reconciler re-verifies the approvals and grants nothing they do not prove.",
            d.as_str()
        ),
    }
}

fn truncate(mut s: String) -> String {
    if s.chars().count() <= COMMENT_LIMIT {
        return s;
    }
    let cut = s.char_indices().nth(COMMENT_LIMIT - 200).map_or(s.len(), |(i, _)| i);
    s.truncate(cut);
    s.push_str("\n\n… (truncated: the full decision is in the job summary and `gitgrant pr --format json`)\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::gate::facts::ReviewFacts;
    use crate::core::gate::facts::ReviewState;
    use crate::core::gate::tests::{Case, OLD, Req, approval, decide, review};

    /// The JSON, the PR comment and the terminal text of one outcome, as snapshots.
    fn renders(name: &str, case: Case, decision: Decision) {
        let outcome = decide(&case);
        assert_eq!(outcome.decision, decision, "{name}");
        insta::assert_snapshot!(format!("{name}.json"), json(&outcome, &case.head));
        insta::assert_snapshot!(format!("{name}.md"), markdown(&outcome, &case.head));
        insta::assert_snapshot!(format!("{name}.txt"), human(&outcome));
    }

    fn prod_admin() -> Case {
        Case::new("").requests(&Req::prod_admin("alice"))
    }

    #[test]
    fn an_approved_request() {
        renders(
            "approved",
            prod_admin().approved_by("dan").approved_by("heidi"),
            Decision::Approved,
        );
    }

    #[test]
    fn a_pending_request_with_reasons() {
        let stale = ReviewFacts {
            commit_id: Some(OLD.to_string()),
            ..approval("heidi")
        };
        renders(
            "pending",
            prod_admin().approved_by("dan").review(stale).approved_by("mallory"),
            Decision::Pending,
        );
    }

    #[test]
    fn a_rejected_request() {
        renders(
            "rejected",
            prod_admin()
                .approved_by("dan")
                .review(review("heidi", ReviewState::ChangesRequested)),
            Decision::Rejected,
        );
    }

    #[test]
    fn an_invalid_request_with_diagnostics() {
        let r = Req::prod_admin("alice").duration("9h");
        renders(
            "invalid",
            Case::new("").requests(&r).approved_by("dan"),
            Decision::Invalid,
        );
    }

    #[test]
    fn a_revocation_only_pr() {
        renders(
            "revocation",
            Case::new("").removes("requests/payments-prod/AdministratorAccess/inc-4821-rollback.toml"),
            Decision::Approved,
        );
    }
}
