//! Validated domain types: what the raw files mean once every rule of their kind holds.

pub mod codeowners;
pub mod directory;
pub mod identities;
pub mod policy;
pub mod request;

use std::ops::Range;

use crate::diagnostic::Diagnostic;

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

    pub fn warning(&mut self, code: &'static str, span: Range<usize>, message: String, help: &str) {
        self.diags
            .push(Diagnostic::warning(code, message).at(self.file, span).help(help));
    }
}
