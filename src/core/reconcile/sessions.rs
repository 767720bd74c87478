//! Ending live sessions when access ends (issue 13 item 1), pure: the edit of a permission
//! set's inline policy that denies everything to one Identity Center user in one account
//! for role sessions whose token was issued before the revocation, and that removes such a
//! statement once the permission set's session length has passed. gitgrant owns only the
//! statements whose `Sid` starts with [`SID_PREFIX`] and that it can read back; every other
//! statement of the administrator's is kept byte for byte. The result must fit IAM's limit
//! on a role's inline policy ([`MAX_POLICY_CHARS`] characters without white space): the
//! oldest of gitgrant's own statements give way first, and when even the new one cannot fit
//! the edit is refused. No I/O, no clock.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

/// The `Sid` prefix of every statement gitgrant writes (IAM allows only letters and digits).
pub const SID_PREFIX: &str = "GitgrantEndSessions";
/// IAM's limit on the inline policy of a role (the permission set's inline policy becomes
/// one in every account), counted without white space.
pub const MAX_POLICY_CHARS: usize = 10_240;
/// Kept past the session length: clocks and IAM's propagation are not exact.
pub const RELEASE_MARGIN: TimeDelta = TimeDelta::minutes(5);

/// One user's sessions in one account: tokens issued before `before` are denied.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SessionDeny {
    pub account_id: String,
    pub user_id: String,
    pub before: DateTime<Utc>,
}

impl SessionDeny {
    /// One statement per user and account; a later revocation moves its time.
    pub fn sid(&self) -> String {
        let digest = Sha256::digest(format!("{}\n{}", self.account_id, self.user_id).as_bytes());
        let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        format!("{SID_PREFIX}{}{hex}", self.account_id)
    }

    fn key(&self) -> (String, String) {
        (self.account_id.clone(), self.user_id.clone())
    }

    /// The IAM statement, compact.
    pub fn statement(&self) -> String {
        serde_json::json!({
            "Sid": self.sid(),
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "identitystore:userId": self.user_id,
                    "aws:PrincipalAccount": self.account_id,
                },
                "DateLessThan": {
                    "aws:TokenIssueTime": self.before.to_rfc3339_opts(SecondsFormat::Secs, true),
                },
            },
        })
        .to_string()
    }

    /// Reads back a statement gitgrant wrote; `None` for anything else.
    fn read(statement: &Value) -> Option<SessionDeny> {
        let sid = statement.get("Sid")?.as_str()?;
        let c = statement.get("Condition")?;
        let deny = SessionDeny {
            account_id: c.pointer("/StringEquals/aws:PrincipalAccount")?.as_str()?.to_string(),
            user_id: c.pointer("/StringEquals/identitystore:userId")?.as_str()?.to_string(),
            before: c.pointer("/DateLessThan/aws:TokenIssueTime")?.as_str()?.parse().ok()?,
        };
        // exactly the statement gitgrant writes for it, nothing added or changed
        let exact = sid == deny.sid() && serde_json::from_str::<Value>(&deny.statement()).ok()? == *statement;
        exact.then_some(deny)
    }
}

/// When a deny for tokens issued before `before` can go: the session length and a margin
/// later; `None` when that is past the end of time (never released).
pub fn release_time(before: DateTime<Utc>, session_length: TimeDelta) -> Option<DateTime<Utc>> {
    before
        .checked_add_signed(session_length)?
        .checked_add_signed(RELEASE_MARGIN)
}

/// Why a statement of gitgrant's was taken out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Release {
    /// Every session issued before it has expired.
    SessionLengthPassed,
    /// The policy had no room for a newer one (the oldest goes first).
    MadeRoom,
}

/// What one edit of a permission set's inline policy does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// The new inline policy; `None` when no statement is left (delete the inline policy).
    pub document: Option<String>,
    /// Statements added or moved to a later time.
    pub added: Vec<SessionDeny>,
    pub released: Vec<(SessionDeny, Release)>,
    /// gitgrant's statements the new policy holds.
    pub held: Vec<SessionDeny>,
}

impl Edit {
    pub fn changes_anything(&self) -> bool {
        !self.added.is_empty() || !self.released.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("the permission set's inline policy is not a JSON policy document ({0}); gitgrant changes nothing in it")]
    NotAPolicy(String),
    #[error(
        "the permission set's inline policy has no room for a statement that ends sessions: {needed} characters without white space, IAM allows {MAX_POLICY_CHARS}; shorten the administrator's statements or use `end_sessions = \"never\"`"
    )]
    TooLarge { needed: usize },
}

/// An inline policy as gitgrant edits it: the administrator's parts kept as written.
struct Parsed {
    version: Option<Box<RawValue>>,
    /// Top-level members other than Version and Statement (`Id`), as written.
    other: Vec<(String, Box<RawValue>)>,
    foreign: Vec<Box<RawValue>>,
    ours: Vec<SessionDeny>,
}

fn parse(document: &str) -> Result<Parsed, EditError> {
    let mut parsed = Parsed {
        version: None,
        other: Vec::new(),
        foreign: Vec::new(),
        ours: Vec::new(),
    };
    if document.trim().is_empty() {
        return Ok(parsed);
    }
    let not = |e: serde_json::Error| EditError::NotAPolicy(e.to_string());
    let top: BTreeMap<String, Box<RawValue>> = serde_json::from_str(document).map_err(not)?;
    for (key, raw) in top {
        match key.as_str() {
            "Version" => parsed.version = Some(raw),
            "Statement" => {
                let statements: Vec<Box<RawValue>> = if raw.get().trim_start().starts_with('[') {
                    serde_json::from_str(raw.get()).map_err(not)?
                } else {
                    vec![raw]
                };
                for s in statements {
                    let value: Value = serde_json::from_str(s.get()).map_err(not)?;
                    match SessionDeny::read(&value) {
                        Some(deny) => parsed.ours.push(deny),
                        None => parsed.foreign.push(s),
                    }
                }
            }
            _ => parsed.other.push((key, raw)),
        }
    }
    Ok(parsed)
}

fn render(p: &Parsed, ours: &[SessionDeny]) -> Option<String> {
    if p.foreign.is_empty() && ours.is_empty() {
        return None;
    }
    let version = p.version.as_ref().map_or("\"2012-10-17\"", |v| v.get());
    let mut out = format!("{{\"Version\":{version}");
    for (key, raw) in &p.other {
        out.push_str(&format!(",{}:{}", Value::String(key.clone()), raw.get()));
    }
    let statements: Vec<String> = p
        .foreign
        .iter()
        .map(|s| s.get().to_string())
        .chain(ours.iter().map(SessionDeny::statement))
        .collect();
    out.push_str(&format!(",\"Statement\":[{}]}}", statements.join(",")));
    Some(out)
}

/// IAM's measure of a policy: its characters other than white space.
pub fn policy_chars(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

/// The edit of `document` (the inline policy as Identity Center returns it, empty for none)
/// that adds `add`, and releases gitgrant's statements whose sessions have all expired at
/// `at` given the permission set's `session_length`.
pub fn edit(
    document: &str,
    add: &[SessionDeny],
    at: DateTime<Utc>,
    session_length: TimeDelta,
) -> Result<Edit, EditError> {
    let parsed = parse(document)?;
    let mut held: BTreeMap<(String, String), SessionDeny> = BTreeMap::new();
    let mut released = Vec::new();
    for deny in &parsed.ours {
        if release_time(deny.before, session_length).is_some_and(|t| t <= at) {
            released.push((deny.clone(), Release::SessionLengthPassed));
        } else {
            held.insert(deny.key(), deny.clone());
        }
    }
    let mut added = Vec::new();
    for deny in add {
        match held.get(&deny.key()) {
            Some(h) if h.before >= deny.before => {}
            _ => {
                held.insert(deny.key(), deny.clone());
                added.push(deny.clone());
            }
        }
    }
    // oldest first: when the policy is full, the oldest of gitgrant's statements goes
    let mut ours: Vec<SessionDeny> = held.into_values().collect();
    ours.sort_by(|a, b| (a.before, &a.account_id, &a.user_id).cmp(&(b.before, &b.account_id, &b.user_id)));
    loop {
        let document = render(&parsed, &ours);
        let needed = document.as_deref().map_or(0, policy_chars);
        if needed <= MAX_POLICY_CHARS {
            return Ok(Edit {
                document,
                added,
                released,
                held: ours,
            });
        }
        match ours.iter().position(|d| !added.contains(d)) {
            Some(i) => released.push((ours.remove(i), Release::MadeRoom)),
            None => return Err(EditError::TooLarge { needed }),
        }
    }
}

/// `PT1H`, `PT12H`, `PT1H30M` (the directory snapshot's `session_duration`) as a length.
pub fn session_length(iso: &str) -> Option<TimeDelta> {
    let rest = iso.strip_prefix("PT")?;
    let mut total = 0i64;
    let mut number = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => number.push(c),
            'H' | 'M' | 'S' => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                let unit = match c {
                    'H' => 3600,
                    'M' => 60,
                    _ => 1,
                };
                total = total.checked_add(n.checked_mul(unit)?)?;
            }
            _ => return None,
        }
    }
    // at most Identity Center's 12 hours: a longer value is not a session length AWS has
    (number.is_empty() && total > 0 && total <= 12 * 3600).then(|| TimeDelta::seconds(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn deny(account: &str, user: &str, before: &str) -> SessionDeny {
        SessionDeny {
            account_id: account.into(),
            user_id: user.into(),
            before: t(before),
        }
    }

    const ADMIN: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Sid": "ReadOnlyBilling",  "Effect": "Allow", "Action": ["aws-portal:View*"], "Resource": "*" }
  ]
}"#;

    #[test]
    fn a_revocation_adds_one_statement_and_keeps_the_administrators_byte_for_byte() {
        let d = deny("111122223333", "u-alice", "2026-11-22T14:00:00Z");
        let e = edit(
            ADMIN,
            std::slice::from_ref(&d),
            t("2026-11-22T14:00:00Z"),
            TimeDelta::hours(1),
        )
        .unwrap();
        let doc = e.document.unwrap();
        assert!(
            doc.contains(
                r#"{ "Sid": "ReadOnlyBilling",  "Effect": "Allow", "Action": ["aws-portal:View*"], "Resource": "*" }"#
            ),
            "{doc}"
        );
        let v: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(v["Version"], "2012-10-17");
        let ours = &v["Statement"][1];
        assert_eq!(ours["Effect"], "Deny");
        assert_eq!(ours["Action"], "*");
        assert_eq!(ours["Condition"]["StringEquals"]["identitystore:userId"], "u-alice");
        assert_eq!(
            ours["Condition"]["StringEquals"]["aws:PrincipalAccount"],
            "111122223333"
        );
        assert_eq!(
            ours["Condition"]["DateLessThan"]["aws:TokenIssueTime"],
            "2026-11-22T14:00:00Z"
        );
        assert!(
            ours["Sid"]
                .as_str()
                .unwrap()
                .starts_with("GitgrantEndSessions111122223333")
        );
        assert_eq!(e.added, vec![d.clone()]);
        // the same edit again changes nothing
        let again = edit(&doc, &[d], t("2026-11-22T14:01:00Z"), TimeDelta::hours(1)).unwrap();
        assert!(!again.changes_anything());
        assert_eq!(again.document.as_deref(), Some(doc.as_str()));
    }

    #[test]
    fn a_later_revocation_moves_the_time_and_an_expired_statement_is_released() {
        let first = deny("111122223333", "u-alice", "2026-11-22T10:00:00Z");
        let other = deny("444455556666", "u-bob", "2026-11-22T12:30:00Z");
        let doc = edit(
            "",
            &[first.clone(), other.clone()],
            t("2026-11-22T12:30:00Z"),
            TimeDelta::hours(1),
        )
        .unwrap()
        .document
        .unwrap();
        let later = deny("111122223333", "u-alice", "2026-11-22T13:00:00Z");
        let e = edit(
            &doc,
            std::slice::from_ref(&later),
            t("2026-11-22T13:00:00Z"),
            TimeDelta::hours(1),
        )
        .unwrap();
        assert_eq!(e.added, vec![later.clone()]);
        assert_eq!(e.held, vec![other.clone(), later.clone()]);
        // 13:30 + 1 h + 5 min: bob's statement is released, then alice's
        let e = edit(
            e.document.as_deref().unwrap(),
            &[],
            t("2026-11-22T13:40:00Z"),
            TimeDelta::hours(1),
        )
        .unwrap();
        assert_eq!(e.released, vec![(other, Release::SessionLengthPassed)]);
        let e = edit(
            e.document.as_deref().unwrap(),
            &[],
            t("2026-11-22T14:05:00Z"),
            TimeDelta::hours(1),
        )
        .unwrap();
        assert_eq!(e.released, vec![(later, Release::SessionLengthPassed)]);
        assert_eq!(e.document, None, "nothing left: the inline policy is deleted");
    }

    #[test]
    fn a_statement_that_only_looks_like_ours_is_the_administrators() {
        let forged = r#"{"Version":"2012-10-17","Statement":{"Sid":"GitgrantEndSessionsX","Effect":"Allow","Action":"*","Resource":"*"}}"#;
        let e = edit(forged, &[], t("2030-01-01T00:00:00Z"), TimeDelta::hours(1)).unwrap();
        assert!(!e.changes_anything());
        assert!(
            e.document
                .unwrap()
                .contains(r#"{"Sid":"GitgrantEndSessionsX","Effect":"Allow","Action":"*","Resource":"*"}"#)
        );
    }

    #[test]
    fn a_full_policy_gives_up_the_oldest_of_ours_and_refuses_when_the_new_one_cannot_fit() {
        let mut doc = String::new();
        let mut all = Vec::new();
        for i in 0..60 {
            let d = deny(
                "111122223333",
                &format!("u-{i:03}"),
                &format!("2026-11-22T12:{i:02}:00Z"),
            );
            let e = edit(
                &doc,
                std::slice::from_ref(&d),
                t("2026-11-22T13:00:00Z"),
                TimeDelta::hours(12),
            )
            .unwrap();
            assert!(policy_chars(e.document.as_deref().unwrap()) <= MAX_POLICY_CHARS);
            doc = e.document.unwrap();
            all.push((d, e.released));
        }
        let made_room: Vec<&SessionDeny> = all
            .iter()
            .flat_map(|(_, r)| r.iter().filter(|(_, why)| *why == Release::MadeRoom).map(|(d, _)| d))
            .collect();
        assert!(!made_room.is_empty());
        assert_eq!(made_room[0].user_id, "u-000", "the oldest goes first");
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}/*"}}]}}"#,
            "b".repeat(10_100)
        );
        let d = deny("111122223333", "u-alice", "2026-11-22T14:00:00Z");
        assert!(matches!(
            edit(&big, &[d], t("2026-11-22T14:00:00Z"), TimeDelta::hours(1)),
            Err(EditError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_statement_dated_at_the_end_of_time_or_altered_is_not_ours_to_release() {
        let far = deny("111122223333", "u-far", "2026-11-22T14:00:00Z");
        let mut v: Value = serde_json::from_str(&far.statement()).unwrap();
        v["Condition"]["DateLessThan"]["aws:TokenIssueTime"] = "+262142-12-31T23:59:59Z".into();
        let mut altered: Value =
            serde_json::from_str(&deny("111122223333", "u-alt", "2026-11-22T14:00:00Z").statement()).unwrap();
        altered["Action"] = "s3:*".into();
        let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{v},{altered}]}}"#);
        // no overflow, no panic; the altered one is the administrator's, kept as written
        let e = edit(&doc, &[], t("2030-01-01T00:00:00Z"), TimeDelta::hours(12)).unwrap();
        assert!(e.document.as_deref().unwrap().contains(r#""Action":"s3:*""#));
        assert!(e.held.iter().all(|d| d.user_id != "u-alt"));
    }

    #[test]
    fn an_inline_policy_that_is_not_json_is_never_overwritten() {
        let d = deny("111122223333", "u-alice", "2026-11-22T14:00:00Z");
        assert!(matches!(
            edit("{not json", &[d], t("2026-11-22T14:00:00Z"), TimeDelta::hours(1)),
            Err(EditError::NotAPolicy(_))
        ));
    }

    #[test]
    fn session_lengths_as_identity_center_writes_them() {
        assert_eq!(session_length("PT1H"), Some(TimeDelta::hours(1)));
        assert_eq!(session_length("PT1H30M"), Some(TimeDelta::minutes(90)));
        assert_eq!(session_length("PT900S"), Some(TimeDelta::minutes(15)));
        assert_eq!(session_length("PT"), None);
        assert_eq!(session_length("1h"), None);
        assert_eq!(session_length("PT1H5"), None);
        assert_eq!(session_length("PT12H"), Some(TimeDelta::hours(12)));
        assert_eq!(session_length("PT13H"), None, "longer than Identity Center allows");
        assert_eq!(session_length("PT1147797409030816545H"), None, "no overflow");
        assert_eq!(session_length("PT9999999999999999999999S"), None);
    }
}
