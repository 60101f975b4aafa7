#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

//! `tenet new jurisdiction` on a copy of the shipped rules: the files it writes
//! check, are in canonical layout and pass `tenet test`; a second run and a
//! name that is not a code are refused with help. The files and messages are
//! snapshotted (today's date shown as `{today}`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn tenet(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tenet")).args(args).env("NO_COLOR", "1").output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[test]
fn new_jurisdiction() {
    let root: PathBuf = std::env::temp_dir().join(format!("tenet-new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    copy(Path::new("rules"), &root);
    let rules = root.to_str().unwrap();
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
    let shown = |text: &str| text.replace(rules, "{rules}").replace(&today, "{today}");

    let (made, said) = tenet(&["new", "jurisdiction", "SG", "Singapore", "--rules", rules]);
    assert!(made, "{said}");
    let file = std::fs::read_to_string(root.join("jurisdictions/sg.tenet")).unwrap();
    let case = std::fs::read_to_string(root.join("cases/sg/SG-1.json")).unwrap();
    for (args, what) in [
        (vec!["check", rules], "the rules with the new file check"),
        (vec!["fmt", "--check", rules], "the new file is in canonical layout"),
        (vec!["test", &format!("{rules}/cases/sg")], "the new case passes"),
    ] {
        let (ok, output) = tenet(&args);
        assert!(ok, "{what}: {output}");
    }
    let (again, refused) = tenet(&["new", "jurisdiction", "SG", "Singapore", "--rules", rules]);
    assert!(!again);
    let (named, by_name) = tenet(&["new", "jurisdiction", "Singapore", "Singapore", "--rules", rules]);
    assert!(!named);
    let _ = std::fs::remove_dir_all(&root);
    insta::assert_snapshot!(shown(&format!(
        "$ tenet new jurisdiction SG Singapore\n{said}\n---- jurisdictions/sg.tenet ----\n{file}\n---- cases/sg/SG-1.json ----\n{case}\n$ tenet new jurisdiction SG Singapore (again)\n{refused}\n$ tenet new jurisdiction Singapore Singapore\n{by_name}"
    )));
}
