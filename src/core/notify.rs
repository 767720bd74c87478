//! Notifications from ledger events (issue 13 item 3), pure: which events are announced and
//! under which name, each event's stable id (so a receiver, and gitgrant, sends it once), one
//! line a person reads, and the three bodies: a Slack incoming-webhook message with blocks,
//! a Microsoft Teams workflow-webhook Adaptive Card, and gitgrant's generic JSON with its
//! HMAC-SHA256 signature. Text from requests and reviews is user input: Slack's control
//! sequences (`<!channel>`, links) are escaped.

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::core::ledger::{Event, Kind};

/// An event as it is announced.
#[derive(Debug, Clone, PartialEq)]
pub struct Announcement {
    /// The event's id ([`event_id`]).
    pub id: String,
    /// The name `events = [...]` uses: `approved`, `activated`, ...
    pub event: &'static str,
    pub at: DateTime<Utc>,
    /// One line a person reads.
    pub title: String,
    /// (label, value) pairs, in order; only those the event has.
    pub facts: Vec<(&'static str, String)>,
}

/// The name of the announced event for a ledger event, or `None` when it is not announced.
pub fn event_name(e: &Event) -> Option<&'static str> {
    Some(match e.kind? {
        Kind::Requested => "requested",
        Kind::Approved => "approved",
        Kind::ChangesRequested => "rejected",
        Kind::Activated => "activated",
        Kind::Ended => "ended",
        Kind::Revoked => "revoked",
        Kind::Failed => "failed",
        Kind::SessionsEnded => "sessions_ended",
        Kind::ReviewOverdue => "review_overdue",
        // a merge is announced only when it grants break-glass (approved without review)
        Kind::Merged if e.records.iter().any(|r| r.emergency_review_due.is_some()) => "emergency",
        _ => return None,
    })
}

/// A break-glass merge's grants, for its announcement: path, requester, review due.
fn emergency_facts(e: &Event) -> Option<(String, String, DateTime<Utc>)> {
    let r = e.records.iter().find(|r| r.emergency_review_due.is_some())?;
    Some((r.path.clone(), r.requester.clone(), r.emergency_review_due?))
}

/// A ledger event's id: the first 16 hex digits of the SHA-256 of its ledger line, the
/// same in every run that reads it.
pub fn event_id(e: &Event) -> String {
    Sha256::digest(e.to_line().as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn title(name: &str, e: &Event) -> String {
    let who = e.actor.as_deref().unwrap_or("someone");
    let request = e.request.as_deref().or(e.request_id.as_deref()).unwrap_or("a request");
    let target = format!(
        "{} on {} for {}",
        e.permission_set.as_deref().unwrap_or("a permission set"),
        e.account_id.as_deref().unwrap_or("an account"),
        e.user_name.as_deref().or(e.user_id.as_deref()).unwrap_or("a user")
    );
    match name {
        "requested" => format!("{who} requested access: {request}"),
        "approved" => format!("{who} approved {request}"),
        "rejected" => format!("{who} requested changes to {request}"),
        "activated" => format!("Access granted: {target}"),
        "ended" => format!("Access ended ({}): {target}", e.reason.as_deref().unwrap_or("ended")),
        "revoked" => format!("Revoked: {request}"),
        "sessions_ended" => format!("Live sessions ended: {target}"),
        "emergency" => match emergency_facts(e) {
            Some((path, who, due)) => format!(
                "Break-glass: {who} granted {path} without review; code owners review it by {}",
                time(due)
            ),
            None => "Break-glass access granted without review".to_string(),
        },
        "review_overdue" => format!(
            "Break-glass review overdue: {request} (due {})",
            e.ends_at.map(time).unwrap_or_default()
        ),
        _ => format!("Failed: {}", e.reason.as_deref().unwrap_or("an AWS change failed")),
    }
}

/// The announcement of `e`, when its kind is announced.
pub fn announcement(e: &Event) -> Option<Announcement> {
    let event = event_name(e)?;
    let mut facts = Vec::new();
    let mut fact = |label, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            facts.push((label, v));
        }
    };
    let emergency = emergency_facts(e).filter(|_| event == "emergency");
    fact("Request", e.request.clone().or(emergency.as_ref().map(|g| g.0.clone())));
    fact("Requester", emergency.as_ref().map(|g| g.1.clone()));
    fact("Review due", emergency.as_ref().map(|g| time(g.2)));
    fact("PR", e.pr.map(|n| format!("#{n}")));
    fact("By", e.actor.clone());
    fact("Account", e.account_id.clone());
    fact("Permission set", e.permission_set.clone());
    fact("User", e.user_name.clone().or(e.user_id.clone()));
    fact(
        if event == "review_overdue" { "Due" } else { "Until" },
        e.ends_at.map(time),
    );
    fact(
        if event == "approved" || event == "rejected" {
            "Note"
        } else {
            "Reason"
        },
        e.reason.clone(),
    );
    Some(Announcement {
        id: event_id(e),
        event,
        at: e.at?,
        title: title(event, e),
        facts,
    })
}

/// Text for Slack's mrkdwn: `&`, `<` and `>` escaped, so user text cannot mention
/// `<!channel>` or hide a link.
pub fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// User text on one line: line breaks and control characters become spaces (a note cannot
/// fake further lines of the message).
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// A fact's value for Slack: escaped, and text people wrote (notes, reasons, paths) as inline
/// code, where Slack neither formats nor links.
fn slack_value(label: &str, v: &str) -> String {
    let v = slack_escape(&one_line(v));
    if matches!(label, "Note" | "Reason" | "Request") {
        format!("`{}`", v.replace('`', "'"))
    } else {
        v
    }
}

/// Text for a Teams card: one line, Markdown's characters escaped, links not made.
pub fn teams_escape(text: &str) -> String {
    let mut out = String::new();
    for c in one_line(text).chars() {
        if "\\`*_{}[]()#+-.!|>~<".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out.replace("://", ":\\/\\/")
}

/// A Slack incoming-webhook message: `text` (notifications, screen readers) and blocks.
pub fn slack_body(a: &Announcement, repository: Option<&str>) -> String {
    let facts: Vec<Value> = a
        .facts
        .iter()
        .map(|(k, v)| json!({"type": "mrkdwn", "text": format!("*{k}*\n{}", slack_value(k, v))}))
        .collect();
    let title = slack_escape(&one_line(&a.title));
    let mut blocks = vec![json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("*{title}*")}})];
    // a section holds at most 10 fields
    for chunk in facts.chunks(10) {
        blocks.push(json!({"type": "section", "fields": chunk}));
    }
    let context = format!(
        "gitgrant {} · {} · event {}{}",
        a.event,
        time(a.at),
        a.id,
        repository
            .map(|r| format!(" · {}", slack_escape(r)))
            .unwrap_or_default()
    );
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]}));
    json!({"text": title, "blocks": blocks}).to_string()
}

/// A Microsoft Teams workflow-webhook message: one Adaptive Card.
pub fn teams_body(a: &Announcement, repository: Option<&str>) -> String {
    let facts: Vec<Value> = a
        .facts
        .iter()
        .map(|(k, v)| json!({"title": k, "value": teams_escape(v)}))
        .collect();
    let footer = format!(
        "gitgrant {} · {} · event {}{}",
        a.event,
        time(a.at),
        a.id,
        repository.map(|r| format!(" · {r}")).unwrap_or_default()
    );
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "TextBlock", "text": teams_escape(&a.title), "weight": "Bolder", "size": "Medium", "wrap": true},
                    {"type": "FactSet", "facts": facts},
                    {"type": "TextBlock", "text": footer, "isSubtle": true, "size": "Small", "wrap": true}
                ]
            }
        }]
    })
    .to_string()
}

/// gitgrant's generic webhook body: the announcement and the ledger event as recorded.
pub fn webhook_body(a: &Announcement, e: &Event, repository: Option<&str>) -> String {
    json!({
        "id": a.id,
        "event": a.event,
        "at": time(a.at),
        "title": a.title,
        "repository": repository,
        "ledger_event": e,
    })
    .to_string()
}

/// `sha256=<hex>`: the HMAC-SHA256 of `body` under `secret`, as the
/// `X-Gitgrant-Signature-256` header carries it.
pub fn signature(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body.as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approved() -> Event {
        let mut e = Event::new(Kind::Approved, "2026-11-22T07:30:00Z".parse().unwrap());
        e.request = Some("requests/payments-prod/AdministratorAccess/inc-1.toml".into());
        e.pr = Some(7);
        e.actor = Some("dan".into());
        e.reason = Some("ok <!channel> & <https://evil.example|click>".into());
        e
    }

    #[test]
    fn only_the_events_people_act_on_are_announced_and_ids_are_stable() {
        assert_eq!(event_name(&approved()), Some("approved"));
        assert_eq!(
            event_name(&Event::new(Kind::Indexed, "2026-11-22T07:30:00Z".parse().unwrap())),
            None
        );
        assert_eq!(
            event_name(&Event::new(Kind::Notified, "2026-11-22T07:30:00Z".parse().unwrap())),
            None
        );
        assert_eq!(event_id(&approved()), event_id(&approved()));
        assert_eq!(event_id(&approved()).len(), 16);
        let mut other = approved();
        other.actor = Some("heidi".into());
        assert_ne!(event_id(&approved()), event_id(&other));
    }

    #[test]
    fn slack_text_cannot_mention_the_channel_or_hide_a_link() {
        let a = announcement(&approved()).unwrap();
        let body: Value = serde_json::from_str(&slack_body(&a, Some("acme/access"))).unwrap();
        let all = body.to_string();
        assert!(!all.contains("<!channel>") && !all.contains("<https://evil"), "{all}");
        assert!(
            all.contains("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"),
            "{all}"
        );
        assert_eq!(
            body["text"],
            "dan approved requests/payments-prod/AdministratorAccess/inc-1.toml"
        );
        assert_eq!(body["blocks"][0]["type"], "section");
        assert_eq!(body["blocks"][1]["fields"][1]["text"], "*PR*\n#7");
        // a note is inline code on one line: no formatting, no link, no fake line
        let note = body["blocks"][1]["fields"][3]["text"].as_str().unwrap();
        assert!(note.starts_with("*Note*\n`ok &lt;!channel&gt;"), "{note}");
        assert!(!note[7..].contains('\n'), "{note}");
    }

    #[test]
    fn teams_gets_an_adaptive_card_and_webhooks_a_signed_body() {
        let a = announcement(&approved()).unwrap();
        let card: Value = serde_json::from_str(&teams_body(&a, None)).unwrap();
        let content = &card["attachments"][0]["content"];
        assert_eq!(
            card["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(
            (content["type"].as_str(), content["version"].as_str()),
            (Some("AdaptiveCard"), Some("1.4"))
        );
        assert_eq!(content["body"][1]["facts"][0]["title"], "Request");
        let note = content["body"][1]["facts"][3]["value"].as_str().unwrap();
        assert!(note.contains("\\<https:\\/\\/evil\\.example\\|click\\>"), "{note}");
        // RFC 4231 test case 2
        assert_eq!(
            signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let body: Value = serde_json::from_str(&webhook_body(&a, &approved(), Some("acme/access"))).unwrap();
        assert_eq!(body["id"], a.id.as_str());
        assert_eq!(body["ledger_event"]["kind"], "approved");
    }
}
