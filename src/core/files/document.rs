//! Reading one TOML file: bytes -> text (size, UTF-8, BOM rules) -> spanned TOML tree ->
//! JSON value plus an index from JSON pointer to source span, for schema validation and
//! for pointing diagnostics at the right line.

use std::collections::HashMap;
use std::ops::Range;

use serde_json::{Map, Value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::core::diag::diagnostic::Diagnostic;

/// Request files larger than this are refused unread: a request is a few hundred bytes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Policy files may be large (a directory of thousands of accounts) but not unbounded.
pub const MAX_POLICY_BYTES: usize = 64 * 1024 * 1024;

/// Where a value and its key sit in the source.
#[derive(Debug, Clone, Default)]
pub struct Spans {
    pub key: Option<Range<usize>>,
    pub value: Range<usize>,
}

/// A parsed TOML file: its text, its tree as JSON, and where each JSON pointer came from.
#[derive(Debug)]
pub struct TomlDocument<'t> {
    pub path: String,
    pub text: &'t str,
    pub json: Value,
    pub spans: HashMap<String, Spans>,
    tree: Option<Spanned<DeTable<'t>>>,
}

/// Decodes a file's bytes as UTF-8 text, refusing files over `limit` bytes and
/// stripping a leading byte-order mark (reported as a warning).
pub fn decode<'b>(path: &str, bytes: &'b [u8], limit: usize, diags: &mut Vec<Diagnostic>) -> Option<&'b str> {
    if bytes.len() > limit {
        diags.push(
            Diagnostic::error(
                "file-too-large",
                format!("file is {} bytes, over the limit of {} bytes", bytes.len(), limit),
            )
            .in_file(path)
            .help("request files are small; a file this large is refused unread"),
        );
        return None;
    }
    let (bytes, had_bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            if had_bom {
                diags.push(
                    Diagnostic::warning("byte-order-mark", "file starts with a UTF-8 byte-order mark")
                        .at(path, 0..0)
                        .help("the mark is ignored; save the file as UTF-8 without BOM to silence this"),
                );
            }
            Some(text)
        }
        Err(e) => {
            let good = e.valid_up_to();
            // The valid prefix is text, so line and column can be shown for the bad byte.
            let prefix = std::str::from_utf8(&bytes[..good]).unwrap_or("");
            let (line, col) = crate::core::diag::diagnostic::line_col(prefix, good);
            diags.push(
                Diagnostic::error(
                    "not-utf8",
                    format!(
                        "file is not valid UTF-8 (byte 0x{:02x} at line {line}, column {col})",
                        bytes[good]
                    ),
                )
                .in_file(path)
                .help("save the file as UTF-8"),
            );
            None
        }
    }
}

impl<'t> TomlDocument<'t> {
    /// Parses TOML text. A syntax error becomes a `toml-syntax` diagnostic.
    pub fn parse(path: &str, text: &'t str) -> Result<Self, Diagnostic> {
        let tree = DeTable::parse(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            Diagnostic::error("toml-syntax", first_line(e.message()))
                .at(path, span)
                .help("fix the TOML syntax; see https://toml.io/en/v1.0.0")
        })?;
        let mut spans = HashMap::new();
        let root_span = tree.span();
        spans.insert(
            String::new(),
            Spans {
                key: None,
                value: root_span.start..root_span.start,
            },
        );
        let json = table_to_json(tree.get_ref(), "", &mut spans);
        Ok(TomlDocument {
            path: path.to_string(),
            text,
            json,
            spans,
            tree: Some(tree),
        })
    }

    /// Deserializes the tree into a raw serde type (consumes the tree).
    pub fn deserialize<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, Diagnostic> {
        let Some(tree) = self.tree.take() else {
            return Err(Diagnostic::error("internal", "document deserialized twice").in_file(&self.path));
        };
        T::deserialize(toml::de::Deserializer::from(tree)).map_err(|e| {
            Diagnostic::error("invalid-structure", first_line(e.message()))
                .at(&self.path, e.span().unwrap_or(0..0))
                .help("compare the file with its schema: `gitgrant schema`")
        })
    }

    /// The span of the value at a JSON pointer, falling back to its nearest parent.
    pub fn value_span(&self, pointer: &str) -> Range<usize> {
        self.lookup(pointer).value.clone()
    }

    /// The span of the key at a JSON pointer (its header for tables), else of the value.
    pub fn key_span(&self, pointer: &str) -> Range<usize> {
        let s = self.lookup(pointer);
        s.key.clone().unwrap_or_else(|| s.value.clone())
    }

    fn lookup(&self, pointer: &str) -> &Spans {
        let mut p = pointer;
        loop {
            if let Some(s) = self.spans.get(p) {
                return s;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return &self.spans[""],
            }
        }
    }
}

fn first_line(message: &str) -> String {
    let line = message.lines().find(|l| !l.trim().is_empty()).unwrap_or(message).trim();
    let mut line = line.to_string();
    if let Some(first) = line.get(..1) {
        let lower = first.to_lowercase();
        line.replace_range(..1, &lower);
    }
    line.trim_end_matches('.').to_string()
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn table_to_json(table: &DeTable<'_>, pointer: &str, spans: &mut HashMap<String, Spans>) -> Value {
    let mut map = Map::new();
    for (key, value) in table.iter() {
        let child = format!("{pointer}/{}", escape_segment(key.get_ref()));
        let json = value_to_json(value.get_ref(), &child, spans);
        spans.insert(
            child,
            Spans {
                key: Some(key.span()),
                value: value.span(),
            },
        );
        map.insert(key.get_ref().to_string(), json);
    }
    Value::Object(map)
}

fn value_to_json(value: &DeValue<'_>, pointer: &str, spans: &mut HashMap<String, Spans>) -> Value {
    match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
            Ok(n) => Value::from(n),
            Err(_) => Value::String(i.as_str().to_string()),
        },
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let child = format!("{pointer}/{i}");
                out.push(value_to_json(item.get_ref(), &child, spans));
                spans.insert(
                    child,
                    Spans {
                        key: None,
                        value: item.span(),
                    },
                );
            }
            Value::Array(out)
        }
        DeValue::Table(t) => table_to_json(t, pointer, spans),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "a = 1\n[[rule]]\nid = \"x\"\n[[rule]]\nid = \"y\"\n";
        let doc = TomlDocument::parse("f.toml", text).unwrap();
        assert_eq!(&text[doc.value_span("/a")], "1");
        assert_eq!(&text[doc.key_span("/rule/1/id")], "id");
        assert_eq!(&text[doc.value_span("/rule/1/id")], "\"y\"");
        assert_eq!(doc.json["rule"][0]["id"], "x");
        // unknown pointers fall back to the nearest parent
        assert_eq!(doc.value_span("/rule/1/nope"), doc.value_span("/rule/1"));
    }

    #[test]
    fn decode_refuses_large_and_non_utf8_and_strips_bom() {
        let mut d = vec![];
        assert!(decode("f", &[b'a'; 10], 5, &mut d).is_none());
        assert_eq!(d.pop().unwrap().code, "file-too-large");
        assert!(decode("f", b"a = \"\xff\"", 100, &mut d).is_none());
        assert_eq!(d.pop().unwrap().code, "not-utf8");
        assert_eq!(decode("f", b"\xEF\xBB\xBFa = 1", 100, &mut d), Some("a = 1"));
        assert_eq!(d.pop().unwrap().code, "byte-order-mark");
    }
}
