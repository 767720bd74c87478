//! Lexical rules shared by every file kind (logins, ids, names, principals, timestamps).
//! They mirror the patterns of `schemas/*.schema.json`; a test keeps the two in step.

use chrono::{DateTime, Utc};

/// GitHub login: letters, digits and single inner dashes, 1 to 39 characters.
pub fn is_github_login(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 39
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !s.contains("--")
}

/// `@org/team` with a valid org login and a team slug.
pub fn is_team(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('@') else {
        return false;
    };
    let Some((org, team)) = rest.split_once('/') else {
        return false;
    };
    is_github_login(org)
        && !team.is_empty()
        && team.len() <= 100
        && team.as_bytes()[0].is_ascii_alphanumeric()
        && team
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// Identity Center group names after `idc-group:`: 1 to 128 characters, not starting or
/// ending with white space.
pub fn is_group_name(s: &str) -> bool {
    let n = s.chars().count();
    (1..=128).contains(&n)
        && !s.starts_with(char::is_whitespace)
        && !s.ends_with(char::is_whitespace)
        && !s.contains(['\n', '\r'])
}

/// Rule ids and request ids: lowercase letters, digits and single dashes, at most 64.
pub fn is_slug_id(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !s.contains("--")
}

/// Permission set names as AWS allows them: `[\w+=,.@-]{1,32}`.
pub fn is_permission_set_name(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'+' | b'=' | b',' | b'.' | b'@' | b'-'))
}

/// A 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|c| c.is_ascii_digit())
}

/// A reference to an account in a request or rule: a 12-digit id, or a name usable as a
/// path segment (not all digits, so a mistyped id is never read as a name).
pub fn is_account_ref(s: &str) -> bool {
    is_account_id(s) || is_account_name_segment(s)
}

pub fn is_account_name_segment(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 50
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        && !b.iter().all(|c| c.is_ascii_digit())
}

/// Free text fields (reason, ticket): 1 to `max` characters, not only white space.
pub fn is_text(s: &str, max: usize) -> bool {
    let n = s.chars().count();
    (1..=max).contains(&n) && !s.trim().is_empty()
}

fn regex(cell: &'static std::sync::OnceLock<regex::Regex>, pattern: &str) -> &'static regex::Regex {
    // the patterns are constants covered by tests, so compiling cannot fail at run time
    cell.get_or_init(|| regex::Regex::new(pattern).expect("constant pattern compiles"))
}

macro_rules! pattern_fn {
    ($(#[$doc:meta])* $name:ident, $pattern:literal) => {
        $(#[$doc])*
        pub fn $name(s: &str) -> bool {
            static CELL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
            regex(&CELL, $pattern).is_match(s)
        }
    };
}

pattern_fn!(
    /// Identity Center instance ARN.
    is_instance_arn, r"^arn:aws[a-z-]*:sso:::instance/(?:sso)?ins-[A-Za-z0-9.-]{16}$"
);
pattern_fn!(
    /// Permission set ARN: an identifier AWS hands back, so only the partition and the
    /// service prefix are checked (AWS spells `…:permissionSet/ssoins-…/ps-…`, moto
    /// `…:instance/ssoins-…/ps-…`); the rest is printable ASCII without spaces, kept and
    /// sent verbatim (docs/decisions/0022).
    is_permission_set_arn, r"^arn:aws[a-z-]*:sso:::[!-~]+$"
);
pattern_fn!(
    /// Identity store id such as `d-1234567890`.
    is_identity_store_id, r"^[A-Za-z0-9-]{1,64}$"
);
pattern_fn!(
    /// OU id (`ou-…`) or root id (`r-…`).
    is_ou_id, r"^(?:ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$"
);
pattern_fn!(
    /// OU path: names separated by `/`, none empty.
    is_ou_path, r"^[^/]+(?:/[^/]+)*$"
);
pattern_fn!(
    /// ISO 8601 session duration as permission sets use it (`PT1H`).
    is_session_duration, r"^PT(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+S)?$"
);
pattern_fn!(
    /// Identity Center user name: 1 to 128 characters without white space.
    is_user_name, r"^\S{1,128}$"
);

/// Parses a TOML datetime or string as an instant; a date-time without a zone, a bare
/// date or a bare time is refused (it would mean different instants on different runners).
pub fn parse_timestamp(value: &toml::Value) -> Result<DateTime<Utc>, &'static str> {
    let text = match value {
        toml::Value::Datetime(d) => {
            if d.date.is_none() || d.time.is_none() {
                return Err("a date and a time are both needed");
            }
            if d.offset.is_none() {
                return Err("the time zone is missing");
            }
            d.to_string()
        }
        toml::Value::String(s) => {
            if !s.contains(['T', 't']) {
                return Err("a date and a time joined by `T` are needed");
            }
            s.clone()
        }
        _ => return Err("a date-time is needed"),
    };
    DateTime::parse_from_rfc3339(&text)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| "the time zone is missing or the date-time is malformed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins() {
        for ok in ["alice", "Bob-Ops", "a", "a1-b2", &"x".repeat(39)] {
            assert!(is_github_login(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "al ice", "аlice", "a_b", &"x".repeat(40)] {
            assert!(!is_github_login(bad), "{bad}");
        }
    }

    #[test]
    fn teams_and_groups() {
        assert!(is_team("@acme/platform-oncall"));
        assert!(!is_team("@acme/"));
        assert!(!is_team("acme/sre"));
        assert!(is_group_name("SRE team"));
        assert!(!is_group_name(" SRE"));
        assert!(!is_group_name(""));
    }

    #[test]
    fn account_refs() {
        assert!(is_account_ref("111122223333"));
        assert!(is_account_ref("payments-prod"));
        assert!(!is_account_ref("11112222333"));
        assert!(!is_account_ref("1111222233334"));
        assert!(!is_account_ref("payments/prod"));
    }

    #[test]
    fn timestamps_need_a_zone() {
        let v: toml::Table = toml::from_str(
            "a = 2026-11-22T13:00:00Z\nb = 2026-11-22T13:00:00\nc = 2026-11-22\nd = \"2026-11-22T13:00:00+01:00\"",
        )
        .unwrap();
        assert_eq!(
            parse_timestamp(&v["a"]).unwrap().to_rfc3339(),
            "2026-11-22T13:00:00+00:00"
        );
        assert!(parse_timestamp(&v["b"]).is_err());
        assert!(parse_timestamp(&v["c"]).is_err());
        assert_eq!(
            parse_timestamp(&v["d"]).unwrap().to_rfc3339(),
            "2026-11-22T12:00:00+00:00"
        );
    }
}
