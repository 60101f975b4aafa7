//! tenet: a rules language for law, and its engine.
//!
//! The pipeline, one module per stage:
//! - [`syntax`]: text → [`ast::File`] plus diagnostics (pest grammar, logos tokens);
//! - [`check`]: syntax trees → a resolved, typed [`check::Program`] plus diagnostics;
//! - [`facts`]: a request's JSON → typed [`facts::Facts`], or located errors;
//! - [`eval`]: program + facts + date → [`eval::Outcome`]: [`eval::decide`] through the
//!   rule index, [`eval::evaluate`] (every rule, for explanations);
//! - [`render`]: outcomes as JSON and as text a lawyer reads.
//!
//! Around it: [`load`] reads rule files, [`format`](mod@format) prints them in canonical layout,
//! [`cases`] runs case files (`tenet test`), [`diff`] compares two versions of a rule
//! set by meaning and by impact (`tenet diff`), [`analysis`] proves properties over every
//! request (`tenet analyze`), [`ide`] answers an editor (`tenet lsp`).
//!
//! Embedding the engine: check a rule set once, then evaluate requests against it.
//!
//! ```
//! let rules = r#"
//! enum Decision { disclose, refuse }
//! fact as_of : date
//! fact warrant : bool
//! outcome decision : one of Decision
//!
//! rule R-1 "Disclose on a warrant" {
//!   cite "Act s. 1"
//!   when warrant
//!   then set decision to disclose
//! }
//! "#;
//! let loaded = tenet::load::load_texts(&[(String::from("rules.tenet"), rules.to_string())]);
//! assert!(!loaded.has_errors());
//! let schema = tenet::facts::Schema::new(&loaded.program);
//! let request = br#"{ "as_of": "2025-01-01", "warrant": true }"#;
//! let facts = tenet::facts::from_text(&loaded.program, &schema, request, false, None)
//!     .map_err(|errors| format!("{errors:?}"))?;
//! // The rule index, built once: each request then tries only the rules it can fire.
//! let index = tenet::eval::Index::new(&loaded.program);
//! let outcome = tenet::eval::decide(&loaded.program, &index, &facts);
//! let report = tenet::render::Report::new(&loaded.program, &facts, &outcome);
//! assert_eq!(report.json(false)["decision"], "disclose");
//! // An explanation says how every rule fared: it comes from the tree walker.
//! let outcome = tenet::eval::evaluate(&loaded.program, &facts);
//! let explained = tenet::render::Report::new(&loaded.program, &facts, &outcome).json(true);
//! assert_eq!(explained["explanation"]["fired"][0]["id"], "R-1");
//! # Ok::<(), String>(())
//! ```
//!
//! The language server comes in with the default `lsp` feature (lsp-server, lsp-types);
//! `default-features = false` leaves the library without it.

// The parser pest derives without its `std` feature names `alloc` from the crate root.
extern crate alloc;

pub mod analysis;
pub mod ast;
pub mod cases;
pub mod check;
pub mod diag;
pub mod diff;
pub mod eval;
pub mod facts;
pub mod format;
pub mod ide;
pub mod load;
pub mod receipt;
pub mod render;
pub mod schema;
pub mod source;
pub mod syntax;
pub mod value;
