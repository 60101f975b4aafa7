#![allow(clippy::panic, reason = "a test fails by panicking")]

//! The flagship rule set against its cases: every file in `rules/cases` must
//! pass, and the explanation of each is a snapshot, so a reviewer sees how the
//! reasoning changes, not only the decision.

use tenet::cases::{Runner, Verdict};

#[test]
fn flagship_cases() {
    let mut runner = Runner::default();
    insta::glob!("../rules/cases", "**/*.{json,yaml}", |path| {
        let result = runner.run(path);
        let relative = path.strip_prefix(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap_or(path);
        match &result.verdict {
            Verdict::Pass => {}
            Verdict::Fail(mismatches) => {
                let details: Vec<String> = mismatches.iter().map(|m| format!("{}: {}", m.field, m.detail)).collect();
                panic!("{} ({}) failed:\n{}", result.id, relative.display(), details.join("\n"));
            }
            Verdict::Error(problems) => {
                panic!("{} ({}) could not run:\n{}", result.id, relative.display(), problems.join("\n"))
            }
        }
        let explanation = result.explanation.unwrap_or_default();
        insta::assert_snapshot!(format!("{} {}\n\n{explanation}", result.id, result.title));
    });
}
