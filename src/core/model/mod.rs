//! Validated domain types: what the raw files mean once every rule of their kind holds.

pub mod codeowners;
pub mod directory;
pub mod identities;
pub mod notify;
pub mod policy;
pub mod request;

use std::ops::Range;

use crate::core::diag::diagnostic::Diagnostic;

/// A file being validated: its repository-relative path and where findings go.
pub struct Ctx<'a> {
    pub file: &'a str,
    pub diags: &'a mut Vec<Diagnostic>,
}

impl Ctx<'_> {
    pub fn error(&mut self, code: &'static str, span: Range<usize>, message: String, help: &str) {
        self.diags
            .push(Diagnostic::error(code, message).at(self.file, span).help(help));
    }

    /// Checks a permission set name (AWS: `[\w+=,.@-]{1,32}`); reports and returns false
    /// when it is not one.
    pub fn permission_set_name(&mut self, span: Range<usize>, name: &str) -> bool {
        let ok = crate::core::files::lexical::is_permission_set_name(name);
        if !ok {
            self.error(
                "invalid-permission-set-name",
                span,
                format!("`{name}` is not a permission set name"),
                "permission set names are 1 to 32 characters of letters, digits and `_+=,.@-`",
            );
        }
        ok
    }

    pub fn warning(&mut self, code: &'static str, span: Range<usize>, message: String, help: &str) {
        self.diags
            .push(Diagnostic::warning(code, message).at(self.file, span).help(help));
    }
}
