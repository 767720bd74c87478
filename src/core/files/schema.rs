//! The JSON Schemas of every TOML file kind (the files in `schemas/`, embedded), and the
//! first validation stage: a parsed document checked against its schema, every violation
//! turned into a diagnostic at the offending key or value.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::core::diag::diagnostic::Diagnostic;
use crate::core::files::document::{TomlDocument, escape_segment};

/// The kinds of TOML file gitgrant reads, each with a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Request,
    Access,
    Identities,
    Directory,
}

impl FileKind {
    pub const ALL: [FileKind; 4] = [
        FileKind::Request,
        FileKind::Access,
        FileKind::Identities,
        FileKind::Directory,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FileKind::Request => "request",
            FileKind::Access => "access",
            FileKind::Identities => "identities",
            FileKind::Directory => "directory",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Where files of this kind live (requests: one pattern for many files).
    pub fn location(self) -> &'static str {
        match self {
            FileKind::Request => "requests/<account-name>/<permission-set>/<id>.toml",
            FileKind::Access => "policies/access.toml",
            FileKind::Identities => "policies/identities.toml",
            FileKind::Directory => "policies/directory.toml",
        }
    }

    /// The schema's text, as in `schemas/<kind>.schema.json`.
    pub fn schema_text(self) -> &'static str {
        match self {
            FileKind::Request => include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/request.schema.json")),
            FileKind::Access => include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/access.schema.json")),
            FileKind::Identities => {
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/identities.schema.json"))
            }
            FileKind::Directory => include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/directory.schema.json")),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

struct Compiled {
    schema: Value,
    validator: jsonschema::Validator,
}

fn compiled(kind: FileKind) -> &'static Compiled {
    static CELLS: [OnceLock<Compiled>; 4] = [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];
    CELLS[kind.index()].get_or_init(|| {
        // The schemas are part of the binary and covered by tests, so failing here is a
        // build defect, not a user input problem.
        let schema: Value = serde_json::from_str(kind.schema_text()).expect("embedded schema is JSON");
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("embedded schema compiles");
        Compiled { schema, validator }
    })
}

/// True when the JSON value satisfies the kind's schema.
pub fn is_valid(kind: FileKind, value: &Value) -> bool {
    compiled(kind).validator.is_valid(value)
}

/// Validates a document against its kind's schema; one diagnostic per violation.
pub fn validate(kind: FileKind, doc: &TomlDocument<'_>) -> Vec<Diagnostic> {
    let c = compiled(kind);
    let mut out = Vec::new();
    for error in c.validator.iter_errors(&doc.json) {
        let pointer = error.instance_path().as_str().to_string();
        let schema_path = error.schema_path().as_str().to_string();
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let allowed = allowed_keys(&c.schema, &schema_path);
                for key in unexpected {
                    let at = format!("{pointer}/{}", escape_segment(key));
                    let mut d = Diagnostic::error("unknown-field", format!("unknown field `{key}`"))
                        .at(&doc.path, doc.key_span(&at))
                        .label("not a field of this table");
                    if !allowed.is_empty() {
                        let suggestion = closest(key, &allowed)
                            .map(|s| format!("did you mean `{s}`? "))
                            .unwrap_or_default();
                        d = d.help(format!("{suggestion}expected one of: {}", allowed.join(", ")));
                    }
                    out.push(d);
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or("?");
                let where_ = if pointer.is_empty() {
                    "the file".to_string()
                } else {
                    format!("`{}`", display_pointer(&pointer))
                };
                out.push(
                    Diagnostic::error("missing-field", format!("missing field `{name}` in {where_}"))
                        .at(&doc.path, doc.key_span(&pointer))
                        .help(format!("add `{name} = ...`; see `gitgrant schema {}`", kind.name())),
                );
            }
            ValidationErrorKind::Type { .. } => {
                let expected = expected_type(&c.schema, &schema_path);
                out.push(
                    Diagnostic::error(
                        "wrong-type",
                        format!(
                            "`{}` must be {expected}, found {}",
                            display_pointer(&pointer),
                            json_type_name(error.instance())
                        ),
                    )
                    .at(&doc.path, doc.value_span(&pointer))
                    .help(format!("see `gitgrant schema {}`", kind.name())),
                );
            }
            ValidationErrorKind::PropertyNames { error: inner } => {
                let key = inner.instance().as_str().unwrap_or("").to_string();
                let at = format!("{pointer}/{}", escape_segment(&key));
                let custom = custom_message(&c.schema, &schema_path, &key);
                out.push(custom_or(custom, &key, "invalid-value").at(&doc.path, doc.key_span(&at)));
            }
            ValidationErrorKind::MinItems { limit } => {
                out.push(
                    Diagnostic::error(
                        "empty-list",
                        format!("`{}` needs at least {limit} item(s)", display_pointer(&pointer)),
                    )
                    .at(&doc.path, doc.value_span(&pointer))
                    .help(format!("see `gitgrant schema {}`", kind.name())),
                );
            }
            _ => {
                let shown = match error.instance().as_ref() {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let custom = custom_message(&c.schema, &schema_path, &shown);
                let fallback = format!("{} ({})", error.kind().keyword(), display_pointer(&pointer));
                out.push(custom_or(custom, &fallback, "invalid-value").at(&doc.path, doc.value_span(&pointer)));
            }
        }
    }
    out
}

fn custom_or(custom: Option<Diagnostic>, shown: &str, code: &'static str) -> Diagnostic {
    custom.unwrap_or_else(|| Diagnostic::error(code, format!("invalid value `{shown}`")))
}

/// Looks up the `x-gitgrant` annotation next to the failing keyword: the schema's own
/// diagnostic code, message (with `{value}`) and help for that field.
fn custom_message(schema: &Value, schema_path: &str, value: &str) -> Option<Diagnostic> {
    let parent = schema_path.rsplit_once('/').map_or("", |(p, _)| p);
    let node = schema.pointer(parent)?;
    let x = node.get("x-gitgrant")?;
    let code = leak_code(x.get("code")?.as_str()?)?;
    let shown: String = value.chars().take(80).collect();
    let message = x.get("message")?.as_str()?.replace("{value}", &shown);
    let mut d = Diagnostic::error(code, message);
    if let Some(h) = x.get("help").and_then(Value::as_str) {
        d = d.help(h);
    }
    Some(d)
}

/// Diagnostic codes are `&'static str`; schema codes are mapped onto the known set so
/// that nothing is leaked and unknown codes are caught by tests.
fn leak_code(code: &str) -> Option<&'static str> {
    crate::core::diag::codes::ALL.iter().copied().find(|c| *c == code)
}

fn allowed_keys(schema: &Value, schema_path: &str) -> Vec<String> {
    let parent = schema_path.rsplit_once('/').map_or("", |(p, _)| p);
    schema
        .pointer(&format!("{parent}/properties"))
        .and_then(Value::as_object)
        .map(|m| {
            // sorted, so the message does not depend on serde_json's `preserve_order`,
            // which a dependency may switch on (aws-smithy-mocks does, in test builds)
            let mut keys: Vec<String> = m.keys().cloned().collect();
            keys.sort();
            keys
        })
        .unwrap_or_default()
}

fn expected_type(schema: &Value, schema_path: &str) -> String {
    let t = schema
        .pointer(schema_path)
        .and_then(Value::as_str)
        .unwrap_or("another type");
    match t {
        "string" => "a string".into(),
        "integer" => "a whole number".into(),
        "boolean" => "`true` or `false`".into(),
        "array" => "a list `[...]`".into(),
        "object" => "a table".into(),
        other => format!("a {other}"),
    }
}

fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a float",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

/// `/eligibility/0/id` -> `eligibility[0].id`, the way a TOML reader thinks of it.
pub fn display_pointer(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.parse::<usize>().is_ok() {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

/// The allowed key closest to a misspelt one, when it is close enough to be a typo.
fn closest<'a>(key: &str, allowed: &'a [String]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (edit_distance(key, a), a))
        .filter(|(d, a)| *d <= 2.max(a.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_compiles_and_every_custom_code_is_known() {
        for kind in FileKind::ALL {
            let c = compiled(kind);
            let mut stack = vec![&c.schema];
            while let Some(v) = stack.pop() {
                if let Some(code) = v.pointer("/x-gitgrant/code").and_then(Value::as_str) {
                    assert!(
                        leak_code(code).is_some(),
                        "{} schema uses unknown code {code}",
                        kind.name()
                    );
                }
                match v {
                    Value::Object(m) => stack.extend(m.values()),
                    Value::Array(a) => stack.extend(a.iter()),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn display_pointer_reads_like_toml() {
        assert_eq!(display_pointer("/eligibility/0/id"), "eligibility[0].id");
        assert_eq!(display_pointer(""), "");
    }

    #[test]
    fn closest_suggests_typos_only() {
        let allowed = vec!["duration".to_string(), "reason".to_string()];
        assert_eq!(closest("duraton", &allowed), Some("duration"));
        assert_eq!(closest("colour", &allowed), None);
    }
}
