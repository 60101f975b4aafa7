//! tenet: a rules language for law, and its engine.
//!
//! The pipeline, one module per stage:
//! - [`syntax`]: text → [`ast::File`] plus diagnostics (pest grammar, logos tokens);
//! - [`check`]: syntax trees → a resolved, typed [`check::Program`] plus diagnostics;
//! - [`facts`]: a request's JSON → typed [`facts::Facts`], or located errors;
//! - [`eval`]: program + facts + date → [`eval::Outcome`] with its explanation;
//! - [`render`]: outcomes as JSON and as text a lawyer reads.
//!
//! Around it: [`load`] reads rule files, [`format`] prints them in canonical layout,
//! [`cases`] runs case files (`tenet test`), [`diff`] compares two versions of a rule
//! set by meaning and by impact (`tenet diff`).

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
pub mod render;
pub mod schema;
pub mod source;
pub mod syntax;
pub mod value;
