//! Request files (`requests/<account-name>/<permission-set>/<id>.toml`): the canonical path
//! and the validated request, whose path must agree with its content.

use std::ops::Range;

use chrono::{DateTime, Utc};

use super::Ctx;
use super::directory::{Account, Directory};
use crate::core::files::duration::HumaneDuration;
use crate::core::files::lexical;
use crate::core::files::raw::{RawRequest, S};

pub const REASON_MAX: usize = 1000;
pub const TICKET_MAX: usize = 100;

/// The parts of a canonical request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPath {
    pub account: String,
    pub permission_set: String,
    pub id: String,
}

/// Why a path under `requests/` is not a canonical request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    NotToml,
    WrongDepth,
    BadId(String),
}

impl RequestPath {
    pub fn parse(path: &str) -> Result<RequestPath, PathProblem> {
        let Some(rest) = path.strip_prefix("requests/") else {
            return Err(PathProblem::WrongDepth);
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let file = parts.last().copied().unwrap_or("");
        let Some(stem) = file.strip_suffix(".toml") else {
            return Err(PathProblem::NotToml);
        };
        if parts.len() != 3 {
            return Err(PathProblem::WrongDepth);
        }
        if !lexical::is_slug_id(stem) {
            return Err(PathProblem::BadId(stem.to_string()));
        }
        Ok(RequestPath {
            account: parts[0].to_string(),
            permission_set: parts[1].to_string(),
            id: stem.to_string(),
        })
    }

    pub fn canonical(account_name: &str, permission_set: &str, id: &str) -> String {
        format!("requests/{account_name}/{permission_set}/{id}.toml")
    }
}

/// Where the fields of a request sit in its file, for later findings.
#[derive(Debug, Clone, Default)]
pub struct RequestSpans {
    pub requester: Range<usize>,
    pub account: Range<usize>,
    pub permission_set: Range<usize>,
    pub start: Option<Range<usize>>,
    pub duration: Range<usize>,
    pub ticket: Option<Range<usize>>,
    pub emergency: Option<Range<usize>>,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub id: String,
    pub requester: String,
    pub account_id: String,
    pub account_name: String,
    pub account_ou: String,
    pub permission_set: String,
    pub start: Option<DateTime<Utc>>,
    pub duration: HumaneDuration,
    pub reason: String,
    pub ticket: Option<String>,
    /// Break-glass (issue 13 item 2): `emergency = true` in the file.
    pub emergency: bool,
    pub spans: RequestSpans,
}

impl Request {
    /// Validates a raw request. Without a directory only the file's own rules are checked
    /// (what the schema checks too); with one, references and the canonical path as well.
    /// Returns `None` when the request is not usable.
    pub fn from_raw(
        raw: RawRequest,
        path: Option<&RequestPath>,
        file: &str,
        directory: Option<&Directory>,
        cx: &mut Ctx<'_>,
    ) -> Option<Request> {
        let errors_before = error_count(cx);
        check_names(&raw, cx);
        let start = parse_start(raw.start.as_ref(), cx);
        let duration = parse_duration(&raw.duration, cx);
        check_texts(&raw, cx);
        let account = directory.and_then(|d| resolve_in_directory(&raw, d, cx));
        let (account_id, account_name, account_ou) = match account {
            Some(a) => (a.id.clone(), a.name.clone(), a.ou.clone()),
            None => (String::new(), String::new(), String::new()),
        };
        if let Some(p) = path {
            check_path(&raw, p, &account_name, cx);
        }
        if error_count(cx) > errors_before {
            return None;
        }
        Some(Request {
            path: file.to_string(),
            id: path.map(|p| p.id.clone()).unwrap_or_default(),
            requester: raw.requester.get_ref().clone(),
            account_id,
            account_name,
            account_ou,
            permission_set: raw.permission_set.get_ref().clone(),
            start,
            duration: duration?,
            reason: raw.reason.get_ref().clone(),
            ticket: raw.ticket.as_ref().map(|t| t.get_ref().clone()),
            emergency: raw.emergency.as_ref().is_some_and(|e| *e.get_ref()),
            spans: RequestSpans::of(&raw),
        })
    }
}

impl RequestSpans {
    fn of(raw: &RawRequest) -> RequestSpans {
        RequestSpans {
            requester: raw.requester.span(),
            account: raw.account.span(),
            permission_set: raw.permission_set.span(),
            start: raw.start.as_ref().map(|s| s.span()),
            duration: raw.duration.span(),
            ticket: raw.ticket.as_ref().map(|t| t.span()),
            emergency: raw.emergency.as_ref().map(|e| e.span()),
        }
    }
}

fn error_count(cx: &Ctx<'_>) -> usize {
    cx.diags.iter().filter(|d| d.is_error()).count()
}

/// The requester's login, the account reference and the permission set name, each by its
/// own lexical rule.
fn check_names(raw: &RawRequest, cx: &mut Ctx<'_>) {
    let requester = raw.requester.get_ref();
    if !lexical::is_github_login(requester) {
        cx.error("invalid-login", raw.requester.span(), format!("`{requester}` is not a GitHub login"), "GitHub logins are letters, digits and single dashes, at most 39 characters, not starting or ending with a dash");
    }
    let account_ref = raw.account.get_ref();
    if !lexical::is_account_ref(account_ref) {
        cx.error(
            "invalid-account",
            raw.account.span(),
            format!("`{account_ref}` is neither a 12-digit account id nor an account name"),
            "use the account's name from policies/directory.toml, or its id of exactly 12 digits",
        );
    }
    cx.permission_set_name(raw.permission_set.span(), raw.permission_set.get_ref());
}

fn parse_start(start: Option<&S<toml::Value>>, cx: &mut Ctx<'_>) -> Option<DateTime<Utc>> {
    let v = start?;
    match lexical::parse_timestamp(v.get_ref()) {
        Ok(t) => Some(t),
        Err(why) => {
            cx.error(
                "invalid-timestamp",
                v.span(),
                format!("`start` is not a date and time with a time zone: {why}"),
                "write an RFC 3339 date-time with a zone, e.g. `2026-11-22T13:00:00Z`",
            );
            None
        }
    }
}

fn parse_duration(duration: &S<String>, cx: &mut Ctx<'_>) -> Option<HumaneDuration> {
    match HumaneDuration::parse(duration.get_ref()) {
        Ok(d) => Some(d),
        Err(e) => {
            cx.error(
                "invalid-duration",
                duration.span(),
                e.message(duration.get_ref()),
                e.help(),
            );
            None
        }
    }
}

/// The free-text fields: `reason` (required) and `ticket` (optional), within their lengths.
fn check_texts(raw: &RawRequest, cx: &mut Ctx<'_>) {
    if !lexical::is_text(raw.reason.get_ref(), REASON_MAX) {
        cx.error(
            "invalid-reason",
            raw.reason.span(),
            "`reason` is empty or too long".into(),
            "write between 1 and 1000 characters saying why access is needed",
        );
    }
    if let Some(t) = &raw.ticket
        && !lexical::is_text(t.get_ref(), TICKET_MAX)
    {
        cx.error(
            "invalid-ticket",
            t.span(),
            "`ticket` is empty or too long".into(),
            "write between 1 and 100 characters, or leave the field out",
        );
    }
}

/// The requested account and permission set must be in the directory; returns the account.
/// References that already failed their lexical rule are not reported again.
fn resolve_in_directory<'d>(raw: &RawRequest, d: &'d Directory, cx: &mut Ctx<'_>) -> Option<&'d Account> {
    let account_ref = raw.account.get_ref();
    let account = d.account(account_ref);
    if account.is_none() && lexical::is_account_ref(account_ref) {
        cx.error("unknown-account", raw.account.span(), format!("account `{account_ref}` is not in the directory"), "use an account name or 12-digit id from policies/directory.toml; if the account is new, run `gitgrant directory sync`");
    }
    let ps = raw.permission_set.get_ref();
    if lexical::is_permission_set_name(ps) && d.permission_set(ps).is_none() {
        cx.error(
            "unknown-permission-set",
            raw.permission_set.span(),
            format!("permission set `{ps}` is not in the directory"),
            "use a permission set name from policies/directory.toml",
        );
    }
    account
}

/// The file's path must name the request's account (by name, when the directory knows it)
/// and permission set: code owners are chosen by path.
fn check_path(raw: &RawRequest, p: &RequestPath, account_name: &str, cx: &mut Ctx<'_>) {
    let account_ref = raw.account.get_ref();
    let ps = raw.permission_set.get_ref();
    if !account_name.is_empty() && p.account != account_name {
        let canonical = RequestPath::canonical(account_name, ps, &p.id);
        let named = if account_ref == account_name {
            format!("account `{account_name}`")
        } else {
            format!("account `{account_ref}` (`{account_name}`)")
        };
        cx.error(
            "path-mismatch",
            raw.account.span(),
            format!("{named} does not match the path's account `{}`", p.account),
            &format!("move the file to `{canonical}`: code owners are chosen by path"),
        );
    }
    if &p.permission_set != ps {
        let path_account = if account_name.is_empty() {
            p.account.as_str()
        } else {
            account_name
        };
        let canonical = RequestPath::canonical(path_account, ps, &p.id);
        cx.error(
            "path-mismatch",
            raw.permission_set.span(),
            format!("permission set `{ps}` does not match the path's `{}`", p.permission_set),
            &format!("move the file to `{canonical}`: code owners are chosen by path"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_paths() {
        assert_eq!(
            RequestPath::parse("requests/payments-prod/AdministratorAccess/inc-1.toml"),
            Ok(RequestPath {
                account: "payments-prod".into(),
                permission_set: "AdministratorAccess".into(),
                id: "inc-1".into()
            })
        );
        assert_eq!(
            RequestPath::parse("requests/payments-prod/inc-1.toml"),
            Err(PathProblem::WrongDepth)
        );
        assert_eq!(
            RequestPath::parse("requests/a/b/c/inc-1.toml"),
            Err(PathProblem::WrongDepth)
        );
        assert_eq!(RequestPath::parse("requests/a/b/inc-1.yaml"), Err(PathProblem::NotToml));
        assert_eq!(
            RequestPath::parse("requests/a/b/Inc_1.toml"),
            Err(PathProblem::BadId("Inc_1".into()))
        );
    }
}
