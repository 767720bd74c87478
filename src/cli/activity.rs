//! `gitgrant activity ID`: the CloudTrail events of one grant's session, as an aligned
//! table (with a header saying what was looked at), JSON, or CSV (RFC 4180). Exit 0 when
//! the lookup ran (whatever it found), 2 when it could not.

use chrono::Utc;

use crate::app::activity::{self, Activity};
use crate::app::error::AppError;
use crate::cli::{ActivityArgs, ActivityFormat, Exit};
use crate::core::audit::render::{csv_field, printable};
use crate::core::files::duration::HumaneDuration;

pub fn run(a: &ActivityArgs) -> Result<Exit, AppError> {
    let margin = HumaneDuration::parse(&a.margin)
        .map_err(|e| AppError::Usage(format!("--margin: {}", e.message(&a.margin))))?
        .to_chrono();
    let found = activity::run(&activity::ActivityArgs {
        repo: &a.repo,
        reference: &a.reference,
        id: &a.id,
        role_name: &a.role_name,
        margin,
        at: a.at.unwrap_or_else(Utc::now),
    })?;
    match a.format {
        ActivityFormat::Json => println!("{}", serde_json::to_string_pretty(&found).unwrap_or_default()),
        ActivityFormat::Csv => print!("{}", csv(&found)),
        ActivityFormat::Table => print!("{}", table(&found)),
    }
    Ok(Exit::Success)
}

fn time(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn cells(e: &crate::adapters::aws::activity::ActivityEvent) -> [String; 7] {
    [
        time(e.time),
        e.event_source.clone(),
        e.event_name.clone(),
        e.region.clone(),
        e.source_ip.clone(),
        e.error_code.clone().unwrap_or_default(),
        e.resources.join("; "),
    ]
}

const HEADERS: [&str; 7] = ["TIME", "SOURCE", "EVENT", "REGION", "SOURCE IP", "ERROR", "RESOURCES"];

/// The header lines and the aligned table; user-controlled text made printable.
pub fn table(f: &Activity) -> String {
    let mut out = format!(
        "{}: {} on {} ({}), held {} to {}\nlooked at {} to {} through {}: {} event(s)\n",
        f.request,
        f.user,
        f.account_id,
        f.permission_set,
        time(f.activated_at),
        f.ended_at.map_or("now (still active)".to_string(), time),
        time(f.from),
        time(f.until),
        f.role_arn,
        f.events.len()
    );
    if f.events.is_empty() {
        return out;
    }
    let rows: Vec<[String; 7]> = f.events.iter().map(|e| cells(e).map(|c| printable(&c))).collect();
    let mut widths = HEADERS.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: Vec<&str>| -> String {
        let padded: Vec<String> = cols.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    out.push('\n');
    out.push_str(&line(HEADERS.to_vec()));
    for r in &rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

/// RFC 4180, one line per event, text exact.
pub fn csv(f: &Activity) -> String {
    let mut out =
        String::from("time,event_source,event_name,region,source_ip,error_code,resources,event_id,read_only\r\n");
    for e in &f.events {
        let mut fields: Vec<String> = cells(e).iter().map(|c| csv_field(c)).collect();
        fields.push(csv_field(&e.event_id));
        fields.push(e.read_only.map(|r| r.to_string()).unwrap_or_default());
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::aws::activity::ActivityEvent;

    fn t(s: &str) -> chrono::DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_table_says_what_was_looked_at_and_csv_quotes_what_needs_it() {
        let found = Activity {
            request: "requests/payments-prod/AdministratorAccess/on-call.toml".into(),
            user: "alice@acme.example".into(),
            account_id: "111122223333".into(),
            permission_set: "AdministratorAccess".into(),
            activated_at: t("2026-11-22T11:00:00Z"),
            ended_at: Some(t("2026-11-22T11:40:00Z")),
            from: t("2026-11-22T10:45:00Z"),
            until: t("2026-11-22T11:55:00Z"),
            role_arn: "arn:aws:iam::111122223333:role/gitgrant-activity-reader".into(),
            events: vec![ActivityEvent {
                time: t("2026-11-22T11:06:00Z"),
                event_source: "ec2.amazonaws.com".into(),
                event_name: "TerminateInstances".into(),
                region: "eu-west-1".into(),
                source_ip: "192.0.2.10".into(),
                read_only: Some(false),
                resources: vec!["AWS::EC2::Instance i-0abc".into(), "AWS::EC2::Instance i-0def".into()],
                error_code: Some("AccessDenied".into()),
                event_id: "e2".into(),
            }],
        };
        let text = table(&found);
        assert!(
            text.contains("held 2026-11-22T11:00:00Z to 2026-11-22T11:40:00Z"),
            "{text}"
        );
        assert!(
            text.contains("through arn:aws:iam::111122223333:role/gitgrant-activity-reader: 1 event(s)"),
            "{text}"
        );
        assert!(
            text.contains(
                "2026-11-22T11:06:00Z  ec2.amazonaws.com  TerminateInstances  eu-west-1  192.0.2.10  AccessDenied"
            ),
            "{text}"
        );
        let csv = csv(&found);
        assert_eq!(csv.lines().count(), 2);
        assert!(
            csv.contains("AccessDenied,AWS::EC2::Instance i-0abc; AWS::EC2::Instance i-0def,e2,false\r\n"),
            "{csv}"
        );
    }
}
