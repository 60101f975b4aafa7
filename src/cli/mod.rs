//! Commands of the `tenet` binary that have a module of their own.

pub mod analyze;
pub mod batch;
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
