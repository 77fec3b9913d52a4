//! Stage 1: source text → spanned AST.
pub mod ast;
pub mod comments;
mod parser;

pub use parser::{parse_duration, parse_expr, parse_file, MAX_FILE_BYTES, MAX_NESTING};
