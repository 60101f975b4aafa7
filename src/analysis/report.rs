//! The report of `tenet analyze` for people: text for a terminal, Markdown for
//! a pull-request comment (JSON is the serialized [`Analysis`]).

use std::fmt::Write as _;

use super::analyze::{Analysis, Finding, Severity};

fn header(analysis: &Analysis) -> String {
    let dates = match analysis.dates.as_slice() {
        [one] => format!("as of {one}"),
        many => format!(
            "on {} dates ({} to {})",
            many.len(),
            many.first().map_or("", String::as_str),
            many.last().map_or("", String::as_str)
        ),
    };
    let mut line = format!("Analysed every request class {dates}: {} classes per date.", analysis.classes);
    if analysis.sampled.is_empty() {
        line.push_str(" Exhaustive: every fact's classes are exact.");
    } else {
        let _ = write!(
            line,
            " Exhaustive over the classes; these facts are compared with other facts or computed with, so only their representative values are covered: {}.",
            analysis.sampled.join(", ")
        );
    }
    line
}

fn counts(analysis: &Analysis) -> String {
    let notes = analysis
        .findings
        .iter()
        .filter(|finding| finding.severity == Severity::Note && finding.kind != "date_change")
        .count();
    let changes = analysis.findings.iter().filter(|finding| finding.kind == "date_change").count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "{}, {}, {}",
        plural(analysis.errors(), "error"),
        plural(analysis.warnings(), "warning"),
        plural(notes, "note")
    );
    if changes > 0 {
        let _ = write!(line, ", {}", plural(changes, "date change"));
    }
    if analysis.disagreements() > 0 {
        let _ =
            write!(line, "; {} witnesses where the evaluator disagrees (a defect of tenet)", analysis.disagreements());
    }
    line
}

/// "1 request class", "12 request classes".
pub fn classes(count: &str) -> String {
    if count == "1" { String::from("1 request class") } else { format!("{count} request classes") }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// The report for a terminal: errors and warnings with their witnesses, then
/// notes one line each, then the days on which decisions change.
pub fn text(analysis: &Analysis) -> String {
    let mut out = header(analysis);
    out.push('\n');
    for why in &analysis.unsupported {
        let _ = writeln!(out, "warning: not followed by the analysis (treated as unknown): {why}");
    }
    let mut findings: Vec<&Finding> =
        analysis.findings.iter().filter(|finding| finding.kind != "date_change").collect();
    findings.sort_by_key(|finding| finding.severity);
    for finding in findings {
        let _ = writeln!(out, "\n{}[{}]: {}", severity_word(finding.severity), finding.kind, finding.message);
        if finding.region.is_empty() {
            continue;
        }
        let on = if finding.as_of.is_empty() { String::new() } else { format!(" on {}", finding.as_of) };
        let _ = writeln!(out, "  {}{on}", classes(&finding.classes));
        // Notes show one example; errors and warnings every alternative.
        let shown = if finding.severity == Severity::Note { 1 } else { finding.region.len() };
        for (index, region) in finding.region.iter().take(shown).enumerate() {
            alternative(&mut out, index, region);
        }
        if finding.more > 0 || shown < finding.region.len() {
            let _ = writeln!(out, "  ... and more (--format json lists every alternative shown here with its witness)");
        }
    }
    let mut day = "";
    for finding in analysis.findings.iter().filter(|finding| finding.kind == "date_change") {
        if finding.as_of != day {
            day = &finding.as_of;
            let _ = writeln!(out, "\nchanges on {day}:");
        }
        let change = finding.message.split_once(": ").map_or(finding.message.as_str(), |(_, change)| change);
        let _ = writeln!(out, "  {change}: {}", classes(&finding.classes));
        if let Some(region) = finding.region.first() {
            let _ = writeln!(out, "    e.g. when {}", region.description);
            if let Some(witness) = &region.witness {
                let _ = writeln!(out, "    witness: {witness}");
            }
            if !region.confirmed {
                let _ = writeln!(
                    out,
                    "    evaluated: {}  ← DISAGREES WITH THE ANALYSIS: a defect of tenet, please report it",
                    region.evaluated
                );
            }
        }
    }
    let _ = writeln!(out, "\n{}", counts(analysis));
    out
}

fn alternative(out: &mut String, index: usize, region: &super::analyze::Region) {
    let _ = writeln!(out, "  {}. when {}", index + 1, region.description);
    if let Some(witness) = &region.witness {
        let _ = writeln!(out, "     witness: {witness}");
    }
    let mark =
        if region.confirmed { "" } else { "  ← DISAGREES WITH THE ANALYSIS: a defect of tenet, please report it" };
    let _ = writeln!(out, "     evaluated: {}{mark}", region.evaluated);
}

/// The report for a pull-request comment.
pub fn markdown(analysis: &Analysis) -> String {
    let mut out = String::from("## tenet analyze\n\n");
    let _ = writeln!(out, "{}\n\n**{}**\n", header(analysis), counts(analysis));
    for why in &analysis.unsupported {
        let _ = writeln!(out, "- ⚠️ not followed by the analysis: {why}");
    }
    let mut findings: Vec<&Finding> = analysis.findings.iter().collect();
    findings.sort_by_key(|finding| finding.severity);
    for finding in findings {
        let _ = writeln!(out, "### {} `{}`: {}\n", severity_word(finding.severity), finding.kind, finding.message);
        if finding.region.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{}. For example:\n", classes(&finding.classes));
        for region in &finding.region {
            let _ = writeln!(out, "- when {} → {}", region.description, region.evaluated);
            if let Some(witness) = &region.witness {
                let _ = writeln!(out, "  ```json\n  {witness}\n  ```");
            }
        }
        if finding.more > 0 {
            let _ = writeln!(out, "- … and {} more alternatives", finding.more);
        }
        out.push('\n');
    }
    out
}
