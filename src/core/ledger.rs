//! The ledger (DESIGN 6): events appended as JSON lines to the orphan branch
//! `gitgrant-ledger`, one commit per run. This module is the pure model: event types,
//! parsing with per-line errors (a corrupt line is reported, never fatal), and the
//! indexes read from it (assignments gitgrant owns, revocations, which PR merged a path,
//! every request id ever seen).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const BRANCH: &str = "gitgrant-ledger";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Requested,
    Approved,
    ChangesRequested,
    ClosedUnmerged,
    Merged,
    Revoked,
    /// Written before an assignment is created, so that a run stopped between creating it
    /// and recording it still leaves gitgrant owning it (and so removing it on time).
    Assigning,
    Activated,
    Ended,
    Failed,
    /// A create or delete whose outcome is not known (still IN_PROGRESS when polling
    /// stopped, or the answer was lost to errors past the retry deadline): not a failure.
    /// A create's claim is kept (`Ledger::owned`) until AWS reports a definitive outcome.
    Unknown,
    Drift,
    /// GitHub authenticated `actor` as pushing `head_sha` to PR `pr` (the `sender` of a
    /// `pull_request` opened/synchronize/reopened event): a pusher cannot approve the PR.
    Pushed,
    /// The ledger as the index (DESIGN 11): the request paths of the default branch's
    /// first-parent commits after one marker through the next (`Event::index`).
    Indexed,
    /// Live sessions ended (issue 13 item 1): the permission set's inline policy denies the
    /// user in the account for tokens issued before `at`, until `ends_at`.
    SessionsEnded,
    /// That deny statement was taken out of the inline policy again (`reason` says why).
    SessionsReleased,
    /// Events announced to a `[[notify]]` target (`target`, `delivered`).
    Notified,
    /// Events a target could not be sent after retries (`reason`); a later run tries again.
    NotifyFailed,
    /// A break-glass grant reviewed after the fact (issue 13 item 2) by a code owner
    /// (`actor`): a `/reviewed [note]` comment, or an approving review (`review_id`);
    /// `reason` is the note.
    Reviewed,
    /// A break-glass grant's review is overdue (`ends_at` was the due time): written once,
    /// by the first reconciler run that finds it so.
    ReviewOverdue,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Requested => "requested",
            Kind::Approved => "approved",
            Kind::ChangesRequested => "changes_requested",
            Kind::ClosedUnmerged => "closed_unmerged",
            Kind::Merged => "merged",
            Kind::Revoked => "revoked",
            Kind::Assigning => "assigning",
            Kind::Activated => "activated",
            Kind::Ended => "ended",
            Kind::Failed => "failed",
            Kind::Unknown => "unknown",
            Kind::Drift => "drift",
            Kind::Pushed => "pushed",
            Kind::Indexed => "indexed",
            Kind::SessionsEnded => "sessions_ended",
            Kind::SessionsReleased => "sessions_released",
            Kind::Notified => "notified",
            Kind::NotifyFailed => "notify_failed",
            Kind::Reviewed => "reviewed",
            Kind::ReviewOverdue => "review_overdue",
        }
    }
}

/// A merge's evidence (the replay snapshot, DESIGN 4.8) as the ledger line holds it: JSON
/// text checked to be well formed but not parsed into a tree. Only a live request's
/// verification reads it (`parse`), so a run reading a ledger of many merges pays for the
/// few it needs (issue 10: "plan, nothing live").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Evidence(Box<serde_json::value::RawValue>);

impl Evidence {
    /// `value` as evidence; `None` when it does not serialize (plain data always does).
    pub fn of<T: Serialize>(value: &T) -> Option<Evidence> {
        serde_json::value::to_raw_value(value).ok().map(Evidence)
    }

    /// The evidence read as `T` (a snapshot, or only the parts a caller reads).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }

    /// The evidence's JSON text, as written.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for Evidence {
    fn eq(&self, other: &Evidence) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Evidence {}

/// One ledger event. Fields not relevant to a kind are absent from its JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Event {
    pub at: Option<DateTime<Utc>>,
    pub kind: Option<Kind>,
    /// Request file path on the default branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_set: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_set_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Activated: the assignment's end by the request's window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    /// Activated by observation (a run found the assignment present that the run which made
    /// it never recorded): the earliest it can have started, that run's intent; `at` is the
    /// latest (issue 11 item 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_after: Option<DateTime<Utc>>,
    /// Identity Center's request id for a create or delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment_request_id: Option<String>,
    /// Why: an end reason (expired, revoked, not-eligible, drift), a note, an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_commit: Option<String>,
    /// Pushed: the head commit the push made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Revoked: the git blob id of the request file that was deleted, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    /// Merged: the replay snapshot that approved it (DESIGN 4.8 shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// Merged: the approval record of each request the PR added and the gate approved at
    /// merge (DESIGN 10.3); what the reconciler grants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<crate::core::gate::record::ApprovalRecord>,
    /// Indexed: the first-parent commits it indexed (`core::index`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<crate::core::index::IndexDelta>,
    /// Notified, notify failed: the `[[notify]]` target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Notified, notify failed: the ids of the events (`core::notify::event_id`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivered: Vec<String>,
}

impl Event {
    pub fn new(kind: Kind, at: DateTime<Utc>) -> Event {
        Event {
            at: Some(at),
            kind: Some(kind),
            ..Event::default()
        }
    }

    pub fn to_line(&self) -> String {
        // serializing plain data cannot fail
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// User-controlled text (a path, a login, a reason, a note) made fit for one line of a
/// commit message (DESIGN 10.9): every control character (newlines, carriage returns, tabs,
/// escapes), Unicode line and paragraph separators and bidirectional overrides becomes a
/// space, so nothing a user writes can start a line (a fake trailer) or reorder the text.
pub fn one_line(text: &str) -> String {
    let is_unsafe = |c: char| {
        c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
    };
    text.chars().map(|c| if is_unsafe(c) { ' ' } else { c }).collect()
}

/// The longest a user's text runs in one line of a ledger commit message.
const MESSAGE_TEXT_CHARS: usize = 120;

/// `one_line`, cut to `MESSAGE_TEXT_CHARS` characters (the event itself keeps it whole).
fn message_text(text: &str) -> String {
    let line = one_line(text);
    match line.char_indices().nth(MESSAGE_TEXT_CHARS) {
        Some((i, _)) => format!("{}...", &line[..i]),
        None => line,
    }
}

impl Event {
    /// The event as one line of a ledger commit message: its kind, then what it is about,
    /// every user-controlled part through [`one_line`].
    pub fn message_line(&self) -> String {
        let mut line = format!("- {}", self.kind.map_or("?", Kind::as_str));
        let about = match (&self.request, self.paths.as_slice()) {
            (Some(r), _) => Some(r.clone()),
            (None, []) => None,
            (None, paths) => Some(paths.join(", ")),
        };
        if let Some(a) = about {
            line.push(' ');
            line.push_str(&message_text(&a));
        }
        if let Some(n) = self.pr {
            line.push_str(&format!(" (PR #{n})"));
        }
        if let (Some(ps), Some(acct)) = (&self.permission_set, &self.account_id) {
            line.push_str(&format!(" {} on {}", message_text(ps), message_text(acct)));
        }
        if let Some(who) = self.user_name.as_ref().or(self.actor.as_ref()) {
            line.push_str(&format!(" for {}", message_text(who)));
        }
        if let Some(r) = &self.reason {
            line.push_str(&format!(": {}", message_text(r)));
        }
        line
    }
}

/// The most event lines one ledger commit message lists (a `ledger index` run or a bulk
/// import appends far more events than anyone reads in `git log`).
pub const MESSAGE_EVENT_LINES: usize = 1000;

/// A ledger commit's message: `subject` on one line, a blank line, then one line per event
/// (up to [`MESSAGE_EVENT_LINES`], then one line counting the rest). The one place ledger
/// commit messages are built (the git adapter calls it).
pub fn commit_message(subject: &str, events: &[Event]) -> String {
    let mut message = one_line(subject);
    if !events.is_empty() {
        message.push('\n');
    }
    for e in events.iter().take(MESSAGE_EVENT_LINES) {
        message.push('\n');
        message.push_str(&e.message_line());
    }
    if events.len() > MESSAGE_EVENT_LINES {
        let more = events.len() - MESSAGE_EVENT_LINES;
        message.push_str(&format!("\n- ... and {more} more event(s), in the events files"));
    }
    message
}

/// A ledger line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub file: String,
    pub line: usize,
    pub error: String,
}

/// Every event of the ledger, in order, and the lines that could not be read.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub events: Vec<Event>,
    pub bad_lines: Vec<BadLine>,
}

/// A ledger's events looked up by path and by PR (`Ledger::lookup`), in ledger order.
#[derive(Debug, Default)]
pub struct Lookup<'a> {
    merges: std::collections::HashMap<&'a str, Vec<&'a Event>>,
    pushes: std::collections::HashMap<u64, Vec<&'a Event>>,
}

impl<'a> Lookup<'a> {
    /// The `merged` events that name `path` (in their paths or records), oldest first: what
    /// `Ledger::merges_of` yields.
    pub fn merges_of(&self, path: &str) -> &[&'a Event] {
        self.merges.get(path).map_or(&[], Vec::as_slice)
    }

    /// The `pushed` events of PR `pr`, oldest first.
    pub fn pushes_of(&self, pr: u64) -> &[&'a Event] {
        self.pushes.get(&pr).map_or(&[], Vec::as_slice)
    }
}

/// Where parsed ledger lines go: a reader keeps what it uses of each event, in its own form
/// (`Ledger` keeps them whole; the audit keeps what its rows read, `core::audit::compact`).
pub trait EventSink {
    /// How many lines the events files hold (an upper bound on the events to come).
    fn reserve(&mut self, _lines: usize) {}
    /// A good event (it has a `kind` and an `at`), in ledger order.
    fn event(&mut self, e: Event);
    /// A line that could not be read, or an events file that could not be.
    fn bad_line(&mut self, b: BadLine);
}

impl EventSink for Ledger {
    fn reserve(&mut self, lines: usize) {
        // one allocation for the events: growing by doubling would hold the old and the new
        // vector at once
        self.events.reserve_exact(lines);
    }
    fn event(&mut self, e: Event) {
        self.events.push(e);
    }
    fn bad_line(&mut self, b: BadLine) {
        self.bad_lines.push(b);
    }
}

/// A ledger whose reader passes each event through `keep` before it is stored.
pub struct Keeping<'a> {
    pub ledger: &'a mut Ledger,
    pub keep: &'a mut dyn FnMut(&mut Event),
}

impl EventSink for Keeping<'_> {
    fn reserve(&mut self, lines: usize) {
        self.ledger.reserve(lines);
    }
    fn event(&mut self, mut e: Event) {
        (self.keep)(&mut e);
        self.ledger.events.push(e);
    }
    fn bad_line(&mut self, b: BadLine) {
        self.ledger.bad_lines.push(b);
    }
}

/// Parses one JSON-lines file into `sink`: each good event, and each line that is not one
/// (with its number and why). Blank lines are skipped.
pub fn parse_into(sink: &mut dyn EventSink, name: &str, text: &str) {
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(e) if e.kind.is_some() && e.at.is_some() => sink.event(e),
            Ok(_) => sink.bad_line(BadLine {
                file: name.to_string(),
                line: i + 1,
                error: "event has no `kind` or `at`".into(),
            }),
            Err(e) => sink.bad_line(BadLine {
                file: name.to_string(),
                line: i + 1,
                error: e.to_string(),
            }),
        }
    }
}

/// The key of an Identity Center user assignment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AssignmentKey {
    pub account_id: String,
    pub permission_set_arn: String,
    pub user_id: String,
}

/// An assignment gitgrant created and has not ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub key: AssignmentKey,
    /// The requests it was created or kept for.
    pub requests: BTreeSet<String>,
    pub ends_at: Option<DateTime<Utc>>,
    pub user_name: Option<String>,
    pub permission_set: Option<String>,
    /// Whether an `activated` event confirms it (false: only an intent or an unknown outcome).
    pub activated: bool,
    /// The first intent (`assigning`) or unknown outcome of the current claim.
    pub claimed_at: Option<DateTime<Utc>>,
}

impl Ledger {
    /// Parses JSON-lines files (name, text) in order. Blank lines are skipped.
    pub fn parse<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Ledger {
        let mut l = Ledger::default();
        for (name, text) in files {
            l.extend_parsed(name, text, &mut |_| {});
        }
        l
    }

    /// Parses one JSON-lines file onto the ledger, passing each good event through `keep`
    /// before it is stored (a reader may drop what it does not use).
    pub fn extend_parsed(&mut self, name: &str, text: &str, keep: &mut dyn FnMut(&mut Event)) {
        parse_into(&mut Keeping { ledger: self, keep }, name, text);
    }

    fn key_of(e: &Event) -> Option<AssignmentKey> {
        Some(AssignmentKey {
            account_id: e.account_id.clone()?,
            permission_set_arn: e.permission_set_arn.clone()?,
            user_id: e.user_id.clone()?,
        })
    }

    /// Assignments gitgrant created (or was about to create: `assigning`; or asked to create
    /// with an `unknown` outcome) and has not ended since. Only a create that failed
    /// definitively (`failed`) gives up a claim that was only an intent: an unknown outcome
    /// may complete later, and must then still end on time (issue 11 item 1).
    pub fn owned(&self) -> BTreeMap<AssignmentKey, Owned> {
        let mut owned: BTreeMap<AssignmentKey, Owned> = BTreeMap::new();
        let mut confirmed: BTreeSet<AssignmentKey> = BTreeSet::new();
        let create = |e: &Event| e.reason.as_deref().is_some_and(|r| r.starts_with("create:"));
        for e in &self.events {
            let Some(key) = Self::key_of(e) else { continue };
            match e.kind {
                Some(Kind::Failed) if create(e) && !confirmed.contains(&key) => {
                    owned.remove(&key);
                }
                Some(Kind::Unknown) if !create(e) => {}
                Some(Kind::Activated | Kind::Assigning | Kind::Unknown) => {
                    if e.kind == Some(Kind::Activated) {
                        confirmed.insert(key.clone());
                    }
                    let entry = owned.entry(key.clone()).or_insert_with(|| Owned {
                        key,
                        requests: BTreeSet::new(),
                        ends_at: None,
                        user_name: e.user_name.clone(),
                        permission_set: e.permission_set.clone(),
                        activated: false,
                        claimed_at: None,
                    });
                    if e.kind == Some(Kind::Activated) {
                        entry.activated = true;
                    } else if entry.claimed_at.is_none() {
                        entry.claimed_at = e.at;
                    }
                    if let Some(r) = &e.request {
                        entry.requests.insert(r.clone());
                    }
                    entry.ends_at = match (entry.ends_at, e.ends_at) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                }
                Some(Kind::Ended) => {
                    owned.remove(&key);
                    confirmed.remove(&key);
                }
                _ => {}
            }
        }
        owned
    }

    /// Permission set ARNs holding a session deny of gitgrant's whose time to go has come
    /// by `at`: a `sessions_ended` with no later `sessions_released` for the same user,
    /// account and permission set, and its `ends_at` passed.
    pub fn session_denies_due(&self, at: DateTime<Utc>) -> BTreeSet<String> {
        let mut open: BTreeMap<AssignmentKey, Option<DateTime<Utc>>> = BTreeMap::new();
        for e in &self.events {
            let Some(key) = Self::key_of(e) else { continue };
            match e.kind {
                Some(Kind::SessionsEnded) => {
                    open.insert(key, e.ends_at);
                }
                Some(Kind::SessionsReleased) => {
                    open.remove(&key);
                }
                _ => {}
            }
        }
        open.into_iter()
            .filter(|(_, until)| until.is_none_or(|u| u <= at))
            .map(|(k, _)| k.permission_set_arn)
            .collect()
    }

    /// Denies of live sessions that did not reach their account (a `failed` event whose
    /// reason starts `end sessions:`, not followed by a `sessions_ended` without failure for
    /// the same user, account and permission set), failed after `since`: the next run tries
    /// again. The failed events, one per key, latest first in their key.
    pub fn session_denies_to_retry(&self, since: DateTime<Utc>) -> Vec<&Event> {
        let mut last: BTreeMap<AssignmentKey, &Event> = BTreeMap::new();
        for e in &self.events {
            let Some(key) = Self::key_of(e) else { continue };
            let failed =
                e.kind == Some(Kind::Failed) && e.reason.as_deref().is_some_and(|r| r.starts_with("end sessions:"));
            match e.kind {
                _ if failed => {
                    last.insert(key, e);
                }
                Some(Kind::SessionsEnded | Kind::SessionsReleased) => {
                    last.insert(key, e);
                }
                _ => {}
            }
        }
        last.into_values()
            .filter(|e| e.kind == Some(Kind::Failed) && e.at.is_some_and(|t| t >= since))
            .collect()
    }

    /// Request paths revoked through the ledger (`/revoke` comments, deleting PRs, deletions
    /// the reconciler saw): final, whatever content comes back at the path.
    pub fn revoked(&self) -> BTreeMap<String, &Event> {
        self.events
            .iter()
            .filter(|e| e.kind == Some(Kind::Revoked))
            .filter_map(|e| Some((e.request.clone()?, e)))
            .collect()
    }

    /// Which PR merged each request path (the latest merge wins).
    pub fn merged_by(&self) -> BTreeMap<String, &Event> {
        let mut out = BTreeMap::new();
        for e in self.events.iter().filter(|e| e.kind == Some(Kind::Merged)) {
            for p in &e.paths {
                out.insert(p.clone(), e);
            }
        }
        out
    }

    /// The `merged` events that name `path` (in their paths or records), oldest first.
    pub fn merges_of<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events.iter().filter(move |e| {
            e.kind == Some(Kind::Merged)
                && (e.paths.iter().any(|p| p == path) || e.records.iter().any(|r| r.path == path))
        })
    }

    /// The `merged` events by the paths they name and the `pushed` events by PR, gathered
    /// in one pass: a run that looks up hundreds of live requests does not scan every event
    /// for each (issue 10).
    pub fn lookup(&self) -> Lookup<'_> {
        let mut out = Lookup::default();
        for e in &self.events {
            match e.kind {
                Some(Kind::Merged) => {
                    let mut named: Vec<&str> = e.paths.iter().map(String::as_str).collect();
                    named.extend(e.records.iter().map(|r| r.path.as_str()));
                    named.sort_unstable();
                    named.dedup();
                    for p in named {
                        out.merges.entry(p).or_default().push(e);
                    }
                }
                Some(Kind::Pushed) => {
                    if let Some(pr) = e.pr {
                        out.pushes.entry(pr).or_default().push(e);
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Request paths gitgrant has acted on: merged through a recorded PR, or assigned
    /// (`assigning`, `activated`). One of these missing from the default branch was deleted.
    pub fn used_paths(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for e in &self.events {
            match e.kind {
                Some(Kind::Merged) => {
                    out.extend(e.paths.iter().cloned());
                    out.extend(e.records.iter().map(|r| r.path.clone()));
                }
                Some(Kind::Assigning | Kind::Activated) => out.extend(e.request.clone()),
                _ => {}
            }
        }
        out
    }

    /// Every request id the ledger has seen.
    pub fn request_ids(&self) -> BTreeSet<String> {
        self.events.iter().filter_map(|e| e.request_id.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// DESIGN 10.9: a file name or a note with a newline cannot forge a line (a trailer,
    /// another event) in the ledger's commit message.
    #[test]
    fn commit_messages_have_one_line_per_event_whatever_users_write() {
        let mut merged = Event::new(Kind::Merged, t("2026-11-22T12:00:00Z"));
        merged.pr = Some(7);
        merged.paths = vec!["requests/payments-prod/Admin/x\nSigned-off-by: admin <admin@acme.example>.toml".into()];
        let mut approved = Event::new(Kind::Approved, t("2026-11-22T12:00:00Z"));
        approved.pr = Some(7);
        approved.actor = Some("dan".into());
        approved.reason =
            Some("ok\r\n\n- revoked requests/x.toml\tCo-authored-by: eve <eve@acme.example>\u{1b}[2J\u{202e}".into());
        let message = commit_message("gitgrant: PR #7 approved\nInjected: yes", &[merged, approved]);
        let lines: Vec<&str> = message.split('\n').collect();
        assert_eq!(lines.len(), 4, "{message:?}");
        assert_eq!(lines[0], "gitgrant: PR #7 approved Injected: yes");
        assert_eq!(lines[1], "");
        assert_eq!(
            lines[2],
            "- merged requests/payments-prod/Admin/x Signed-off-by: admin <admin@acme.example>.toml (PR #7)"
        );
        assert!(
            lines[3].starts_with("- approved (PR #7) for dan: ok   - revoked"),
            "{}",
            lines[3]
        );
        assert!(!message.chars().any(|c| c.is_control() && c != '\n'), "{message:?}");
        assert!(!message.contains('\u{202e}'));
        // no line but the subject and the event lines; none starts like a trailer
        assert!(lines[2..].iter().all(|l| l.starts_with("- ")));
        // long text is cut in the message (the event keeps it whole)
        let mut long = Event::new(Kind::Revoked, t("2026-11-22T12:00:00Z"));
        long.reason = Some("x".repeat(500));
        assert!(long.message_line().len() < 200);
        assert_eq!(commit_message("s", &[]), "s");
        // a huge run lists the first events, then counts the rest
        let many = vec![long.clone(); MESSAGE_EVENT_LINES + 5];
        let message = commit_message("s", &many);
        assert_eq!(message.lines().count(), 2 + MESSAGE_EVENT_LINES + 1);
        assert!(message.ends_with("- ... and 5 more event(s), in the events files"));
    }

    #[test]
    fn corrupt_lines_are_reported_and_the_rest_is_read() {
        let text = "{\"at\":\"2026-11-22T12:00:00Z\",\"kind\":\"activated\",\"account_id\":\"1\",\"permission_set_arn\":\"a\",\"user_id\":\"u\",\"request\":\"r1\"}\n{\"at\": \"2026-11\n\n{\"kind\":\"ended\"}\n";
        let l = Ledger::parse([("events/2026-11.jsonl", text)]);
        assert_eq!(l.events.len(), 1);
        assert_eq!(l.bad_lines.iter().map(|b| b.line).collect::<Vec<_>>(), vec![2, 4]);
        assert_eq!(l.owned().len(), 1);
    }

    #[test]
    fn ownership_follows_activations_and_ends() {
        let mut a = Event::new(Kind::Activated, t("2026-11-22T12:00:00Z"));
        a.account_id = Some("111122223333".into());
        a.permission_set_arn = Some("arn".into());
        a.user_id = Some("u-1".into());
        a.request = Some("requests/x/P/a.toml".into());
        a.ends_at = Some(t("2026-11-22T14:00:00Z"));
        let mut b = a.clone();
        b.request = Some("requests/x/P/b.toml".into());
        b.ends_at = Some(t("2026-11-22T16:00:00Z"));
        let mut end = a.clone();
        end.kind = Some(Kind::Ended);
        let lines = [a.to_line(), b.to_line()].join("\n");
        let l = Ledger::parse([("f", lines.as_str())]);
        let owned = l.owned();
        let o = owned.values().next().unwrap();
        assert_eq!(o.requests.len(), 2);
        assert_eq!(o.ends_at, Some(t("2026-11-22T16:00:00Z")));
        let lines = [a.to_line(), b.to_line(), end.to_line()].join("\n");
        assert!(Ledger::parse([("f", lines.as_str())]).owned().is_empty());
    }

    /// Issue 11 item 1: a create whose outcome is unknown keeps the claim its `assigning`
    /// made (so an assignment AWS completes later still ends on time); only a definitive
    /// `failed` create gives it up, and an unknown delete claims nothing new.
    #[test]
    fn an_unknown_create_keeps_ownership_and_only_a_definitive_failure_gives_it_up() {
        let mut intent = Event::new(Kind::Assigning, t("2026-11-22T12:00:00Z"));
        intent.account_id = Some("111122223333".into());
        intent.permission_set_arn = Some("arn".into());
        intent.user_id = Some("u-1".into());
        intent.request = Some("requests/x/P/a.toml".into());
        intent.ends_at = Some(t("2026-11-22T14:00:00Z"));
        let mut unknown = intent.clone();
        unknown.kind = Some(Kind::Unknown);
        unknown.reason = Some("create: still IN_PROGRESS when polling stopped".into());
        let mut failed = intent.clone();
        failed.kind = Some(Kind::Failed);
        failed.reason = Some("create: AWS reported FAILED".into());
        let owned = |events: &[&Event]| {
            let lines: Vec<String> = events.iter().map(|e| e.to_line()).collect();
            let lines = lines.join("\n");
            Ledger::parse([("f", lines.as_str())]).owned()
        };
        let kept = owned(&[&intent, &unknown]);
        let o = kept.values().next().expect("an unknown outcome keeps the claim");
        assert_eq!(o.ends_at, Some(t("2026-11-22T14:00:00Z")));
        assert!(o.requests.contains("requests/x/P/a.toml"));
        // a later run's definitive answer releases it
        assert!(owned(&[&intent, &unknown, &failed]).is_empty());
        assert!(owned(&[&intent, &failed]).is_empty());
        // the line reads back as `unknown`
        assert!(unknown.to_line().contains("\"kind\":\"unknown\""));
        // an unknown delete (of drift, with no intent) does not make gitgrant own it
        let mut delete = unknown.clone();
        delete.reason = Some("delete: past the retry deadline".into());
        delete.request = None;
        assert!(owned(&[&delete]).is_empty());
    }
}
