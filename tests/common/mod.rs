//! Helpers shared by the tests that run the `tenet` binary.

use std::process::{Command, Output};

/// Runs `tenet` from the repository root, without colour.
pub fn tenet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tenet"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|error| panic!("cannot run tenet: {error}"))
}
