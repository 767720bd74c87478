//! Humane durations (`30m`, `2h`, `1h30m`, `1d`): the one syntax every file kind uses.
//! The grammar is checked here; the arithmetic is humantime's.

use std::fmt;

/// The longest duration any field may hold: one year. Longer values are typos, and the
/// bound keeps every `start + duration` far from chrono's limits.
pub const MAX_SECONDS: u64 = 366 * 24 * 3600;

/// A positive whole number of seconds written as digits and units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumaneDuration {
    seconds: u64,
}

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    Syntax,
    Zero,
    TooLong,
}

impl DurationError {
    pub fn message(&self, text: &str) -> String {
        match self {
            DurationError::Syntax => format!("`{text}` is not a duration"),
            DurationError::Zero => format!("duration `{text}` is zero"),
            DurationError::TooLong => format!("duration `{text}` is longer than a year"),
        }
    }

    pub fn help(&self) -> &'static str {
        match self {
            DurationError::Syntax => {
                "write digits followed by a unit (d, h, m, s), repeated without spaces: `30m`, `2h`, `1h30m`, `1d`"
            }
            DurationError::Zero => "a duration must be longer than zero",
            DurationError::TooLong => "durations are limited to 366d",
        }
    }
}

impl HumaneDuration {
    pub fn from_seconds(seconds: u64) -> Self {
        HumaneDuration { seconds }
    }

    pub fn seconds(self) -> u64 {
        self.seconds
    }

    pub fn to_chrono(self) -> chrono::TimeDelta {
        // bounded by MAX_SECONDS, so the conversion cannot overflow
        chrono::TimeDelta::seconds(self.seconds as i64)
    }

    pub fn parse(text: &str) -> Result<Self, DurationError> {
        if !is_well_formed(text) {
            return Err(DurationError::Syntax);
        }
        let parsed = humantime::parse_duration(text).map_err(|_| DurationError::TooLong)?;
        if parsed.subsec_nanos() != 0 {
            return Err(DurationError::Syntax);
        }
        match parsed.as_secs() {
            0 => Err(DurationError::Zero),
            s if s > MAX_SECONDS => Err(DurationError::TooLong),
            s => Ok(HumaneDuration { seconds: s }),
        }
    }
}

/// `([0-9]+[dhms])+`, each unit at most once and in the order d, h, m, s.
fn is_well_formed(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > 32 {
        return false;
    }
    let mut i = 0;
    let mut last_unit = 0usize;
    while i < bytes.len() {
        let digits_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits_start || i == bytes.len() {
            return false;
        }
        let rank = match bytes[i] {
            b'd' => 1,
            b'h' => 2,
            b'm' => 3,
            b's' => 4,
            _ => return false,
        };
        if rank <= last_unit {
            return false;
        }
        last_unit = rank;
        i += 1;
    }
    true
}

/// Serialized as it is written in the files (`24h`, `1h30m`).
impl serde::Serialize for HumaneDuration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for HumaneDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.seconds;
        let mut wrote = false;
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if rest >= size {
                write!(f, "{}{}", rest / size, unit)?;
                rest %= size;
                wrote = true;
            }
        }
        if !wrote {
            write!(f, "0s")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let cases = [
            ("30m", Ok(1800)),
            ("2h", Ok(7200)),
            ("1h30m", Ok(5400)),
            ("1d", Ok(86400)),
            ("90s", Ok(90)),
            ("0m", Err(DurationError::Zero)),
            ("0h0m", Err(DurationError::Zero)),
            ("-2h", Err(DurationError::Syntax)),
            ("2", Err(DurationError::Syntax)),
            ("h", Err(DurationError::Syntax)),
            ("1h 30m", Err(DurationError::Syntax)),
            ("30m1h", Err(DurationError::Syntax)),
            ("1h1h", Err(DurationError::Syntax)),
            ("2 hours", Err(DurationError::Syntax)),
            ("", Err(DurationError::Syntax)),
            ("1.5h", Err(DurationError::Syntax)),
            ("367d", Err(DurationError::TooLong)),
            ("99999999999999999999d", Err(DurationError::TooLong)),
        ];
        for (text, want) in cases {
            let got = HumaneDuration::parse(text).map(HumaneDuration::seconds);
            assert_eq!(got, want, "parsing `{text}`");
        }
    }

    #[test]
    fn displays_canonically() {
        assert_eq!(HumaneDuration::from_seconds(5400).to_string(), "1h30m");
        assert_eq!(HumaneDuration::from_seconds(86400 + 60).to_string(), "1d1m");
    }
}
