//! `tenet fmt`: rewrite rule files in canonical layout, or `--check` that they are.

use std::path::PathBuf;

use tenet::diag::Diagnostic;
use tenet::source::Sources;

/// `tenet fmt`: (0 or 1, diagnostics, the sources they point into).
pub fn run(paths: &[PathBuf], check: bool) -> (u8, Vec<Diagnostic>, Sources) {
    let (files, mut diagnostics) = tenet::load::rule_files(paths);
    let mut sources = Sources::default();
    let mut failed = !diagnostics.is_empty();
    for file in files {
        let text = match std::fs::read(&file).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            _ => {
                diagnostics.push(Diagnostic::error(
                    "tenet::fmt::io",
                    format!("cannot read `{}` as UTF-8 text", file.display()),
                ));
                failed = true;
                continue;
            }
        };
        let id = sources.add(file.display().to_string(), text.as_str());
        match tenet::format::format(id, &text) {
            Err(mut problems) => {
                diagnostics.append(&mut problems);
                failed = true;
            }
            Ok(formatted) if formatted == text => {}
            Ok(_) if check => {
                println!("would reformat {}", file.display());
                failed = true;
            }
            Ok(formatted) => match std::fs::write(&file, formatted) {
                Ok(()) => println!("formatted {}", file.display()),
                Err(error) => {
                    diagnostics.push(Diagnostic::error(
                        "tenet::fmt::io",
                        format!("cannot write `{}`: {error}", file.display()),
                    ));
                    failed = true;
                }
            },
        }
    }
    (u8::from(failed), diagnostics, sources)
}
