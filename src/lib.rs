//! cadence: a compiler and simulator for sales cadences and pipeline rules.
//!
//! Stages (see ARCHITECTURE.md): source → pest pairs → spanned AST ([`syntax`]) → checked
//! model ([`check`] produces [`model`]) → outputs. [`calendar`] is the business-time engine.
//!
//! ```
//! use cadence::project::Project;
//!
//! let text = r#"
//! pipeline sales {
//!   events signed
//!   stage lead { exit to won when signed }
//!   stage won { outcome won }
//! }
//! cadence hello {
//!   pipeline sales stage lead
//!   exit replied on reply
//!   exit bounced on bounce
//!   step intro emial "Hello" immediately
//!     on opened -> set signed
//! }
//! "#;
//! let checked = cadence::check::check(&Project::from_texts(&[("sales.cadence", text)]));
//! let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.code).collect();
//! // a misspelt channel; it does not cascade into other findings about that step
//! assert_eq!(codes, ["E0211"]);
//! assert_eq!(checked.diagnostics[0].help.as_deref(), Some("did you mean `email`?"));
//!
//! // spelt right, the step emails, and the missing unsubscribe exit is an error
//! let fixed = text.replace("emial", "email");
//! let checked = cadence::check::check(&Project::from_texts(&[("sales.cadence", &fixed)]));
//! let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.code).collect();
//! assert_eq!(codes, ["E0501"]);
//! ```
pub mod calendar;
pub mod calibrate;
pub mod check;
pub mod cli;
pub mod diagnostics;
pub mod diff;
pub mod fmt;
pub mod fsio;
pub mod model;
pub mod project;
pub mod schedule;
pub mod selfcheck;
pub mod simulate;
pub mod source;
pub mod syntax;
pub mod targets;
pub mod testing;
pub mod words;
