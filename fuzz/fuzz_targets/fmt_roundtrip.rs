//! Any text that parses formats to text that parses to the same syntax tree
//! (spans ignored), and formatting that text again changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenet::format::format;
use tenet::source::FileId;
use tenet::syntax::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (tree, diagnostics) = parse(FileId(0), text);
    let Ok(formatted) = format(FileId(0), text) else {
        assert!(diagnostics.iter().any(|diagnostic| diagnostic.is_error()), "a file that parses was refused");
        return;
    };
    let (again, problems) = parse(FileId(0), &formatted);
    assert!(!problems.iter().any(|problem| problem.is_error()), "formatted text does not parse:\n{formatted}");
    assert_eq!(tree, again, "formatting changed the meaning:\n{text}\n----\n{formatted}");
    assert_eq!(format(FileId(0), &formatted).ok().as_deref(), Some(formatted.as_str()), "not idempotent");
});
