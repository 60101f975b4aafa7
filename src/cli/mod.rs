//! Commands of the `tenet` binary that have a module of their own.

pub mod analyze;
pub mod batch;
pub mod schema;
pub mod test;
