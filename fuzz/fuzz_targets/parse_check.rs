//! Any bytes as a rule file: parse and check never panic, and every diagnostic
//! is rendered in every format with its place inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenet::diag::{ErrorFormat, render};
use tenet::load::load_texts;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let loaded = load_texts(&[(String::from("fuzz.tenet"), text.to_string())]);
    for diagnostic in &loaded.diagnostics {
        assert!(!diagnostic.message.is_empty(), "a diagnostic without a message: {}", diagnostic.code);
        if let Some((span, _)) = &diagnostic.primary {
            assert!(
                span.start <= span.end && span.end as usize <= text.len(),
                "a span outside the text: {diagnostic:?}"
            );
        }
    }
    for format in [ErrorFormat::Human, ErrorFormat::Plain, ErrorFormat::Json] {
        let rendered = render(&loaded.diagnostics, &loaded.sources, format, false);
        assert_eq!(rendered.is_empty(), loaded.diagnostics.is_empty());
    }
});
