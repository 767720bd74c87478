//! Files as gitgrant reads them: the in-memory tree, one TOML document with its spans, the
//! lexical rules, durations, the JSON Schemas, the raw serde types, and loading each file
//! kind into validated types.

pub mod document;
pub mod duration;
pub mod lexical;
pub mod load;
pub mod raw;
pub mod schema;
pub mod tree;
