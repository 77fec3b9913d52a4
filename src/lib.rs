//! cadence: a compiler and simulator for sales cadences and pipeline rules.
//!
//! Stages (see ARCHITECTURE.md): source → pest pairs → spanned AST ([`syntax`]) → checked
//! model ([`check`] produces [`model`]) → outputs. [`calendar`] is the business-time engine.
pub mod calendar;
pub mod check;
pub mod cli;
pub mod diagnostics;
pub mod fmt;
pub mod model;
pub mod project;
pub mod source;
pub mod syntax;
