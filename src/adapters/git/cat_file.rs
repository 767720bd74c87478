//! The one parser of `git cat-file --batch` and `--batch-check` output: the header line
//! (`<oid> <type> <size>`, or `<name> missing` / `<name> ambiguous`) and the batch's
//! objects, each `<header>\n<size bytes>\n`. Output git did not write as documented
//! (truncated, a lying size, a missing line break, an answer for another object, bytes
//! after the last answer) is a `GitError::Parse`, never a panic.

use crate::adapters::git::GitError;

/// What `cat-file` answered for one object name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The object exists: its id, type (`blob`, `tree`, `commit`, `tag`) and size in bytes.
    Found { oid: String, kind: String, size: usize },
    /// The name is not an object of the repository (`missing`) or names several
    /// (`ambiguous`).
    Absent,
}

const KINDS: [&str; 4] = ["blob", "tree", "commit", "tag"];

fn is_object_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn bad(name: &str, what: &str) -> GitError {
    GitError::Parse(format!("`git cat-file` answer for `{}`: {what}", name.escape_debug()))
}

/// Parses one header line (without its line break) that answers `name`.
pub fn parse_header(line: &[u8], name: &str) -> Result<Answer, GitError> {
    let shown = || String::from_utf8_lossy(line).escape_debug().to_string();
    let text = std::str::from_utf8(line).map_err(|_| bad(name, &format!("header `{}` is not UTF-8", shown())))?;
    if let Some(echoed) = text
        .strip_suffix(" missing")
        .or_else(|| text.strip_suffix(" ambiguous"))
    {
        if echoed != name {
            return Err(bad(name, &format!("header `{}` names another object", shown())));
        }
        return Ok(Answer::Absent);
    }
    let parts: Vec<&str> = text.split(' ').collect();
    let [oid, kind, size] = parts[..] else {
        return Err(bad(name, &format!("header `{}` is not `<oid> <type> <size>`", shown())));
    };
    if !is_object_id(oid) || !KINDS.contains(&kind) {
        return Err(bad(name, &format!("header `{}` is not `<oid> <type> <size>`", shown())));
    }
    // a full object id is answered with itself; other names (`rev:path`) resolve to any id
    if is_object_id(name) && !oid.eq_ignore_ascii_case(name) {
        return Err(bad(name, &format!("header `{}` names another object", shown())));
    }
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(name, &format!("header `{}` has no readable size", shown())));
    }
    let size: usize = size
        .parse()
        .map_err(|_| bad(name, &format!("header `{}` has a size too large to hold", shown())))?;
    Ok(Answer::Found {
        oid: oid.to_string(),
        kind: kind.to_string(),
        size,
    })
}

/// The bytes of one object after its header: exactly `size` bytes, then a line break.
/// Returns the contents and the position after the line break.
pub fn object_body<'b>(out: &'b [u8], start: usize, size: usize, name: &str) -> Result<(&'b [u8], usize), GitError> {
    let end = start
        .checked_add(size)
        .filter(|end| *end <= out.len())
        .ok_or_else(|| bad(name, &format!("output truncated: {size} bytes announced, fewer sent")))?;
    match out.get(end) {
        Some(b'\n') => Ok((&out[start..end], end + 1)),
        Some(_) => Err(bad(name, &format!("the object is not {size} bytes long as announced"))),
        None => Err(bad(name, "output truncated: no line break after the object")),
    }
}

/// Parses the whole `git cat-file --batch` output for `names`, asked in that order:
/// each object's bytes, or `None` for a missing or ambiguous name.
pub fn parse_batch(out: &[u8], names: &[String]) -> Result<Vec<Option<Vec<u8>>>, GitError> {
    let mut pos = 0;
    let mut result = Vec::with_capacity(names.len());
    for name in names {
        let rest = out.get(pos..).unwrap_or_default();
        let nl = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| bad(name, "output truncated: no header line"))?;
        let header = parse_header(&rest[..nl], name)?;
        pos += nl + 1;
        match header {
            Answer::Absent => result.push(None),
            Answer::Found { size, .. } => {
                let (body, next) = object_body(out, pos, size, name)?;
                result.push(Some(body.to_vec()));
                pos = next;
            }
        }
    }
    if pos != out.len() {
        return Err(GitError::Parse(format!(
            "`git cat-file` output: {} unexpected byte(s) after the answer for the last of {} object(s)",
            out.len() - pos,
            names.len()
        )));
    }
    Ok(result)
}

/// Like `parse_batch`, for names that must all exist (blob ids a tree listing gave).
pub fn parse_batch_all(out: &[u8], names: &[String]) -> Result<Vec<Vec<u8>>, GitError> {
    parse_batch(out, names)?
        .into_iter()
        .zip(names)
        .map(|(bytes, name)| bytes.ok_or_else(|| bad(name, "the object is missing from the repository")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn cat(parts: &[&str]) -> Vec<u8> {
        parts.concat().into_bytes()
    }

    #[test]
    fn batch_output_parses_or_fails_as_documented() {
        type Want = Result<Vec<Option<&'static [u8]>>, &'static str>;
        let cases: Vec<(&str, Vec<&str>, Vec<u8>, Want)> = vec![
            (
                "two blobs",
                vec![A, B],
                cat(&[A, " blob 3\nxyz\n", B, " blob 0\n\n"]),
                Ok(vec![Some(b"xyz"), Some(b"")]),
            ),
            (
                "a missing and an ambiguous name",
                vec!["HEAD:nope", A, "ab"],
                cat(&["HEAD:nope missing\n", A, " blob 1\n\n\n", "ab ambiguous\n"]),
                Ok(vec![None, Some(b"\n"), None]),
            ),
            (
                "a rev:path name answered with its blob id",
                vec!["HEAD:requests/x.toml"],
                cat(&[A, " blob 2\nhi\n"]),
                Ok(vec![Some(b"hi")]),
            ),
            ("no names, no output", vec![], vec![], Ok(vec![])),
            ("empty output", vec![A], vec![], Err("no header line")),
            ("truncated header", vec![A], cat(&[A, " blob"]), Err("no header line")),
            ("truncated object", vec![A], cat(&[A, " blob 9\nxy"]), Err("truncated")),
            (
                "no line break after the last object",
                vec![A],
                cat(&[A, " blob 3\nxyz"]),
                Err("no line break after the object"),
            ),
            (
                "a size smaller than the object",
                vec![A, B],
                cat(&[A, " blob 2\nxyz\n", B, " blob 0\n\n"]),
                Err("not 2 bytes long"),
            ),
            (
                "a size larger than the output",
                vec![A],
                cat(&[A, " blob 99999999999999\nxyz\n"]),
                Err("truncated"),
            ),
            (
                "a size past the address space",
                vec![A],
                cat(&[A, " blob 99999999999999999999999\nx\n"]),
                Err("too large"),
            ),
            (
                "a negative size",
                vec![A],
                cat(&[A, " blob -1\nx\n"]),
                Err("no readable size"),
            ),
            (
                "a header for another object",
                vec![A],
                cat(&[B, " blob 1\nx\n"]),
                Err("another object"),
            ),
            (
                "missing names another object",
                vec![A],
                cat(&[B, " missing\n"]),
                Err("another object"),
            ),
            (
                "an unknown type",
                vec![A],
                cat(&[A, " sausage 1\nx\n"]),
                Err("not `<oid> <type> <size>`"),
            ),
            (
                "a short header",
                vec![A],
                cat(&[A, " 1\nx\n"]),
                Err("not `<oid> <type> <size>`"),
            ),
            (
                "an error line",
                vec![A],
                b"fatal: bad object\n".to_vec(),
                Err("not `<oid> <type> <size>`"),
            ),
            (
                "bytes after the last answer",
                vec![A],
                cat(&[A, " blob 1\nx\nextra"]),
                Err("unexpected byte"),
            ),
            (
                "fewer answers than names",
                vec![A, B],
                cat(&[A, " blob 1\nx\n"]),
                Err("no header line"),
            ),
            (
                "a header not in UTF-8",
                vec![A],
                b"\xff blob 1\nx\n".to_vec(),
                Err("not UTF-8"),
            ),
        ];
        for (what, list, out, want) in cases {
            let got = parse_batch(&out, &names(&list));
            match (got, want) {
                (Ok(got), Ok(want)) => {
                    let want: Vec<Option<Vec<u8>>> = want.into_iter().map(|w| w.map(<[u8]>::to_vec)).collect();
                    assert_eq!(got, want, "{what}");
                }
                (Err(e), Err(fragment)) => assert!(e.to_string().contains(fragment), "{what}: {e}"),
                (got, want) => panic!("{what}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn every_truncation_is_an_error_never_a_panic() {
        let list = names(&[A, "HEAD:gone", B]);
        let out = cat(&[A, " blob 3\nxyz\n", "HEAD:gone missing\n", B, " blob 2\nab\n"]);
        assert!(parse_batch(&out, &list).is_ok());
        for n in 0..out.len() {
            assert!(parse_batch(&out[..n], &list).is_err(), "truncated to {n} bytes");
        }
    }

    #[test]
    fn names_that_must_exist_fail_on_a_missing_object() {
        let list = names(&[A, B]);
        let out = cat(&[A, " blob 1\nx\n", B, " missing\n"]);
        let e = parse_batch_all(&out, &list).unwrap_err().to_string();
        assert!(e.contains(B) && e.contains("missing"), "{e}");
        let out = cat(&[A, " blob 1\nx\n", B, " blob 1\ny\n"]);
        assert_eq!(
            parse_batch_all(&out, &list).unwrap(),
            vec![b"x".to_vec(), b"y".to_vec()]
        );
    }

    #[test]
    fn headers_of_a_check_session() {
        assert_eq!(
            parse_header(format!("{A} commit 250").as_bytes(), "HEAD^{commit}").unwrap(),
            Answer::Found {
                oid: A.into(),
                kind: "commit".into(),
                size: 250
            }
        );
        assert_eq!(parse_header(b"x:y missing", "x:y").unwrap(), Answer::Absent);
        assert!(parse_header(b"", A).is_err());
        assert!(parse_header(format!("{A} blob 1 extra").as_bytes(), A).is_err());
    }
}
