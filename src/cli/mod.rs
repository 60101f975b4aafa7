//! Commands of the `tenet` binary that have a module of their own.

pub mod analyze;
pub mod batch;
pub mod check;
pub mod diff;
pub mod eval;
pub mod fmt;
pub mod git;
#[cfg(feature = "lsp")]
pub mod lsp;
pub mod new;
#[cfg(feature = "replay")]
pub mod replay;
pub mod schema;
#[cfg(feature = "serve")]
pub mod serve;
pub mod test;

/// How a command prints diagnostics: in the format and colours the user chose.
pub type Reporter<'a> = &'a dyn Fn(&[tenet::diag::Diagnostic], &tenet::source::Sources);
