//! The auditor's page, `audit --format html`: one self-contained HTML document with a
//! summary, the table of every row with filters (status, requester, account, free text),
//! and a timeline of who held which access when: a lane per requester and account, a bar
//! per grant from its activation to its end, approvers, notes and the reason on hover.
//! Everything from files and reviews is user input and is escaped; the page loads nothing
//! and runs only its own script and style (a Content-Security-Policy naming their hashes).
//! Pure: the time the page calls "now" is given.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use super::render::short_columns;
use super::{Report, Review, Row, Status, fmt_time};

const STYLE: &str = include_str!("html/page.css");
const SCRIPT: &str = include_str!("html/page.js");

/// The timeline's geometry, in SVG user units.
const LABEL_WIDTH: f64 = 300.0;
const CHART_WIDTH: f64 = 880.0;
const AXIS_HEIGHT: f64 = 34.0;
const LANE_HEIGHT: f64 = 24.0;
const TICKS: i32 = 5;

/// Text made safe for element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The CSP source expression for an inline script or style: `'sha256-…'`.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// The page for `report`; `now` ends the bars of grants still active.
pub fn html(report: &Report, with_verify: bool, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let csp = format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; form-action 'none'; base-uri 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>gitgrant audit, {now}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        now = fmt_time(now)
    );
    summary(&mut out, report, now);
    filters(&mut out, report);
    timeline(&mut out, report, now);
    table(&mut out, report, with_verify);
    let _ = write!(
        out,
        "<div id=\"tip\" role=\"tooltip\" hidden></div>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    );
    out
}

fn summary(out: &mut String, report: &Report, now: DateTime<Utc>) {
    let mut counts: BTreeMap<Status, usize> = BTreeMap::new();
    for r in &report.rows {
        *counts.entry(r.status).or_default() += 1;
    }
    let _ = write!(
        out,
        "<header>\n<h1>Access audit</h1>\n<p>{} request(s) as of <time>{}</time>, from the access repository's history and the gitgrant ledger.</p>\n<ul class=\"counts\">",
        report.rows.len(),
        fmt_time(now)
    );
    for (status, n) in &counts {
        let s = status.as_str();
        let _ = write!(out, "<li class=\"s-{s}\">{s}: {n}</li>");
    }
    out.push_str("</ul>\n");
    if !report.problems.is_empty() {
        out.push_str("<section id=\"problems\"><h2>Problems</h2><ul>");
        for p in &report.problems {
            let _ = write!(out, "<li>{}</li>", escape(p));
        }
        out.push_str("</ul></section>\n");
    }
    out.push_str("</header>\n");
}

/// A `<select>` of the values rows carry, `all` first.
fn select<'v>(out: &mut String, id: &str, label: &str, values: impl IntoIterator<Item = &'v String>) {
    let _ = write!(
        out,
        "<label>{label} <select id=\"{id}\"><option value=\"\">all</option>"
    );
    for v in values {
        let v = escape(v);
        let _ = write!(out, "<option value=\"{v}\">{v}</option>");
    }
    out.push_str("</select></label>\n");
}

fn filters(out: &mut String, report: &Report) {
    // in the order of the state machine, not of the alphabet
    let present: BTreeSet<Status> = report.rows.iter().map(|r| r.status).collect();
    let statuses: Vec<String> = present.iter().map(|s| s.as_str().to_string()).collect();
    let users: BTreeSet<String> = report.rows.iter().map(user_of).collect();
    let accounts: BTreeSet<String> = report.rows.iter().map(account_of).collect();
    out.push_str("<form id=\"filters\" role=\"search\">\n");
    select(out, "f-status", "Status", &statuses);
    select(out, "f-user", "Requester", &users);
    select(out, "f-account", "Account", &accounts);
    out.push_str(
        "<label>Text <input id=\"q\" type=\"search\" placeholder=\"id, reason, ticket, approver…\"></label>\n",
    );
    let _ = write!(
        out,
        "<output id=\"shown\">{n} of {n} request(s)</output>\n</form>\n",
        n = report.rows.len()
    );
}

fn user_of(r: &Row) -> String {
    r.requester
        .clone()
        .or_else(|| r.user_name.clone())
        .unwrap_or_else(|| "(unknown)".into())
}

fn account_of(r: &Row) -> String {
    match (&r.account, &r.account_id) {
        (Some(name), Some(id)) if name != id => format!("{name} ({id})"),
        (Some(a), _) | (None, Some(a)) => a.clone(),
        (None, None) => "(unknown)".into(),
    }
}

/// The filter keys a row's table line and its timeline bar both carry.
fn data_keys(r: &Row) -> String {
    format!(
        "data-status=\"{}\" data-user=\"{}\" data-account=\"{}\"",
        r.status.as_str(),
        escape(&user_of(r)),
        escape(&account_of(r))
    )
}

/// One grant as the timeline draws it: when access was held.
struct Bar<'a> {
    row: &'a Row,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// No end is recorded: the bar runs to the planned end, or to now while active.
    open_end: bool,
}

fn bar_of(row: &Row, now: DateTime<Utc>) -> Option<Bar<'_>> {
    let from = row.activated_at?;
    let recorded = row.ended_at.or(row.revoked_at.filter(|t| *t >= from));
    let to = match recorded {
        Some(t) => t,
        None if row.status == Status::Active => now,
        None => row.ends_at.or(row.end).unwrap_or(now).min(now),
    };
    Some(Bar {
        row,
        from,
        to: to.max(from),
        open_end: row.ended_at.is_none(),
    })
}

fn review_lines(kind: &str, list: &[Review]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let items: Vec<String> = list
        .iter()
        .map(|r| {
            let at = r.at.map(|t| format!(" at {}", fmt_time(t))).unwrap_or_default();
            if r.note.is_empty() {
                format!("{}{at}", r.by)
            } else {
                format!("{}{at}: \u{201c}{}\u{201d}", r.by, r.note)
            }
        })
        .collect();
    format!("\n{kind}: {}", items.join("; "))
}

/// The hover text of a bar: what, when, who approved it and why.
fn bar_tip(b: &Bar) -> String {
    let r = b.row;
    let until = if b.open_end && r.status == Status::Active {
        "still active".to_string()
    } else {
        fmt_time(b.to)
    };
    let mut tip = format!(
        "{} \u{b7} {} on {}\n{} \u{2192} {until}",
        r.id,
        r.permission_set.as_deref().unwrap_or("?"),
        account_of(r),
        fmt_time(b.from)
    );
    if let Some(why) = &r.end_reason {
        let _ = write!(tip, " ({why})");
    }
    match review_lines("approved by", &r.approvals) {
        s if s.is_empty() => tip.push_str("\napproved by: no recorded approval"),
        s => tip.push_str(&s),
    }
    if let Some(reason) = &r.reason {
        let _ = write!(tip, "\nreason: {reason}");
    }
    if let Some(t) = &r.ticket {
        let _ = write!(tip, "\nticket: {t}");
    }
    if let Some(n) = r.pr {
        let _ = write!(tip, "\nPR #{n}");
    }
    tip
}

/// The x coordinate of `t` on an axis from `t0` spanning `span`.
fn x_of(t: DateTime<Utc>, t0: DateTime<Utc>, span: TimeDelta) -> f64 {
    let part = (t - t0).num_seconds() as f64 / span.num_seconds().max(1) as f64;
    LABEL_WIDTH + part.clamp(0.0, 1.0) * CHART_WIDTH
}

fn timeline(out: &mut String, report: &Report, now: DateTime<Utc>) {
    let bars: Vec<Bar> = report.rows.iter().filter_map(|r| bar_of(r, now)).collect();
    out.push_str("<section id=\"timeline\">\n<h2>Who held which access when</h2>\n");
    let (Some(t0), Some(t1)) = (bars.iter().map(|b| b.from).min(), bars.iter().map(|b| b.to).max()) else {
        out.push_str("<p class=\"empty\">No access was held by any of these requests.</p>\n</section>\n");
        return;
    };
    let span = (t1 - t0).max(TimeDelta::hours(1));
    let mut lanes: BTreeMap<(String, String), Vec<&Bar>> = BTreeMap::new();
    for b in &bars {
        lanes.entry((user_of(b.row), account_of(b.row))).or_default().push(b);
    }
    let height = AXIS_HEIGHT + LANE_HEIGHT * lanes.len() as f64 + 4.0;
    let _ = write!(
        out,
        "<svg viewBox=\"0 0 {w} {height}\" width=\"100%\" role=\"img\" aria-label=\"Timeline of {n} grant(s) in {l} lane(s)\">\n",
        w = LABEL_WIDTH + CHART_WIDTH + 20.0,
        n = bars.len(),
        l = lanes.len()
    );
    axis(out, t0, span, height);
    for (i, ((user, account), lane)) in lanes.iter().enumerate() {
        let y = AXIS_HEIGHT + LANE_HEIGHT * i as f64;
        let _ = write!(
            out,
            "<g class=\"lane\"><text x=\"4\" y=\"{ty}\" class=\"lane-label\">{} \u{b7} {}</text>",
            escape(user),
            escape(account),
            ty = y + 16.0
        );
        for b in lane {
            draw_bar(out, b, y, t0, span);
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n</section>\n");
}

fn axis(out: &mut String, t0: DateTime<Utc>, span: TimeDelta, height: f64) {
    out.push_str("<g class=\"axis\">");
    for i in 0..=TICKS {
        let t = t0 + span * i / TICKS;
        let x = x_of(t, t0, span);
        let anchor = match i {
            0 => "start",
            TICKS => "end",
            _ => "middle",
        };
        let _ = write!(
            out,
            "<line x1=\"{x:.1}\" y1=\"22\" x2=\"{x:.1}\" y2=\"{height}\"></line><text x=\"{x:.1}\" y=\"16\" text-anchor=\"{anchor}\">{}</text>",
            t.format("%Y-%m-%d %H:%M")
        );
    }
    out.push_str("</g>\n");
}

fn draw_bar(out: &mut String, b: &Bar, y: f64, t0: DateTime<Utc>, span: TimeDelta) {
    let x = x_of(b.from, t0, span);
    let width = (x_of(b.to, t0, span) - x).max(3.0);
    let open = if b.open_end { " open-end" } else { "" };
    let _ = write!(
        out,
        "<g class=\"bar s-{status}{open}\" tabindex=\"0\" {keys} data-id=\"{id}\" data-tip=\"{tip}\"><rect x=\"{x:.1}\" y=\"{ry}\" width=\"{width:.1}\" height=\"16\" rx=\"3\"></rect></g>",
        status = b.row.status.as_str(),
        keys = data_keys(b.row),
        id = escape(&b.row.id),
        tip = escape(&bar_tip(b)),
        ry = y + 4.0
    );
}

fn table(out: &mut String, report: &Report, with_verify: bool) {
    let columns = short_columns(with_verify);
    out.push_str("<section id=\"requests\">\n<h2>Requests</h2>\n<table>\n<thead><tr>");
    for c in &columns {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(c.header));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &report.rows {
        let _ = write!(out, "<tr {} data-id=\"{}\">", data_keys(r), escape(&r.id));
        for c in &columns {
            let text = escape(&(c.cell)(r));
            match c.header {
                "STATUS" => {
                    let _ = write!(out, "<td class=\"status s-{text}\">{text}</td>");
                }
                "APPROVERS" => {
                    let tip = review_lines("approved by", &r.approvals) + &review_lines("rejected by", &r.rejections);
                    let _ = write!(out, "<td data-tip=\"{}\">{text}</td>", escape(tip.trim_start()));
                }
                "PROBLEMS" if !r.problems.is_empty() => {
                    let _ = write!(out, "<td data-tip=\"{}\">{text}</td>", escape(&r.problems.join("\n")));
                }
                _ => {
                    let _ = write!(out, "<td>{text}</td>");
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_in_text_and_attributes() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("a\u{1b}[31mb"), "a\u{fffd}[31mb");
    }

    #[test]
    fn the_policy_names_the_hashes_of_the_page_own_script_and_style() {
        let page = html(&Report::default(), false, "2026-11-22T12:00:00Z".parse().unwrap());
        assert!(page.contains(&csp_hash(SCRIPT)) && page.contains(&csp_hash(STYLE)));
        assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
        assert!(page.contains("No access was held"));
        assert_ne!(csp_hash(SCRIPT), csp_hash(STYLE));
    }
}
