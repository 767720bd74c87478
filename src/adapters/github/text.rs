//! Fitting text into GitHub's size limits: comment and check-run bodies, commit status
//! descriptions. Pure; cuts only on character boundaries and says when it cut.

/// GitHub rejects comment bodies over 65,536 characters (and check-run summaries and texts
/// over 65,535). gitgrant keeps bodies at or under this many UTF-8 bytes, which are never
/// fewer than characters or UTF-16 units, so the body fits however GitHub counts.
pub const BODY_LIMIT_BYTES: usize = 65_000;

/// GitHub's limit for a commit status description, in characters.
pub const STATUS_DESCRIPTION_LIMIT: usize = 140;

/// Appended where a body was cut.
pub const TRUNCATION_NOTE: &str = "\n\n---\n*gitgrant truncated this text to fit GitHub's size \
limit; the full report is in the workflow run's job summary.*\n";

/// `text` cut to at most `limit` UTF-8 bytes, on a character boundary.
pub fn cut_at_boundary(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `text` if it fits in `limit` bytes; otherwise its start followed by `TRUNCATION_NOTE`, the
/// whole at most `limit` bytes.
pub fn fit(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let kept = cut_at_boundary(text, limit.saturating_sub(TRUNCATION_NOTE.len()));
    let mut out = String::with_capacity(kept.len() + TRUNCATION_NOTE.len());
    out.push_str(kept);
    out.push_str(TRUNCATION_NOTE);
    out
}

/// A comment body that carries `marker` and fits GitHub's limit. The marker is put first when
/// the body lacks it or when cutting the body would lose it, so the next run finds the
/// comment again.
pub fn comment_body(marker: &str, body: &str) -> String {
    if body.len() <= BODY_LIMIT_BYTES && body.contains(marker) {
        return body.to_owned();
    }
    let fitted = fit(body, BODY_LIMIT_BYTES.saturating_sub(marker.len() + 1));
    format!("{marker}\n{fitted}")
}

/// A commit status description: at most 140 characters (counted as UTF-16 units, which are
/// never fewer than characters), ending in `…` when cut.
pub fn status_description(text: &str) -> String {
    let text = text.trim();
    if text.encode_utf16().count() <= STATUS_DESCRIPTION_LIMIT {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut units = 0;
    for c in text.chars() {
        if units + c.len_utf16() > STATUS_DESCRIPTION_LIMIT - 1 {
            break;
        }
        units += c.len_utf16();
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKER: &str = "<!-- gitgrant:pr-gate -->";

    #[test]
    fn short_bodies_are_kept_and_marked() {
        let body = format!("{MARKER}\nall approved");
        assert_eq!(comment_body(MARKER, &body), body);
        assert_eq!(comment_body(MARKER, "hello"), format!("{MARKER}\nhello"));
    }

    #[test]
    fn long_bodies_are_cut_on_a_char_boundary_with_a_note() {
        // Two-byte characters so that the cut point falls inside one.
        let body = format!("{MARKER}\n{}", "é".repeat(40_000));
        let out = comment_body(MARKER, &body);
        assert!(out.len() <= BODY_LIMIT_BYTES, "{}", out.len());
        assert!(out.starts_with(MARKER));
        assert!(out.ends_with(TRUNCATION_NOTE));
        // A marker at the end of a long body is lost by the cut, so it moves to the front.
        let body = format!("{}{MARKER}", "x".repeat(70_000));
        let out = comment_body(MARKER, &body);
        assert!(out.len() <= BODY_LIMIT_BYTES);
        assert!(out.starts_with(MARKER));
    }

    #[test]
    fn descriptions_fit_140_units() {
        assert_eq!(status_description(" ok "), "ok");
        let long = "a".repeat(200);
        let d = status_description(&long);
        assert_eq!(d.chars().count(), 140);
        assert!(d.ends_with('…'));
        let emoji = "😀".repeat(100); // two UTF-16 units each
        let d = status_description(&emoji);
        assert!(d.encode_utf16().count() <= 140);
        assert!(d.ends_with('…'));
    }
}
