//! Commands of the `tenet` binary that have a module of their own.

pub mod analyze;
pub mod batch;
#[cfg(feature = "lsp")]
pub mod lsp;
pub mod new;
pub mod schema;
pub mod test;
