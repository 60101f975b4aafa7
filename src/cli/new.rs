//! `tenet new jurisdiction CODE NAME`: a jurisdiction file, its case folder and a
//! first case, in the layout of the shipped rules, checked before anything is written.

use std::path::{Path, PathBuf};

use jiff::civil::Date;

use tenet::diag::Diagnostic;
use tenet::load::{Loaded, load, load_texts, rule_files};

/// What was made, or why nothing was: the problems, and the rule set they point into.
pub enum Made {
    Files(Vec<PathBuf>),
    Refused(Vec<Diagnostic>, Box<Loaded>),
}

fn refuse(message: String, help: &str) -> Diagnostic {
    Diagnostic::error("tenet::new::refused", message).help(help.to_string())
}

/// Writes `jurisdictions/<code>.tenet` (or `<code>.tenet` where the rules have no
/// `jurisdictions/` folder) and `cases/<code>/<CODE>-1.json` under `rules`, dated `today`.
pub fn jurisdiction(rules: &Path, code: &str, name: &str, today: Date) -> Made {
    let loaded = load(&[rules.to_path_buf()]);
    if loaded.has_errors() {
        return Made::Refused(loaded.diagnostics.clone(), Box::new(loaded));
    }
    let mut problems = Vec::new();
    let valid_code = !code.is_empty() && code.chars().all(|char| char.is_ascii_uppercase() || char.is_ascii_digit());
    if !valid_code {
        problems.push(refuse(
            format!("`{code}` is not a jurisdiction id"),
            "use the country code in capitals, e.g. `SG` (rule ids will be `SG-1`, `SG-2`, ...)",
        ));
    }
    // Where the vocabulary declares countries, the code must be one of them.
    if let Some(countries) = loaded.program.enums.iter().find(|def| def.name == "Country")
        && !countries.values.iter().any(|value| value == code)
    {
        problems.push(refuse(format!("`{code}` is not a value of `Country`"), &countries.suggestion(code, "`")));
    }
    if loaded.program.blocks.iter().any(|block| block.id.eq_ignore_ascii_case(code)) {
        problems.push(refuse(
            format!("the rule set already has a block `{code}`"),
            "add rules to its file instead, or choose another id",
        ));
    }
    let lower = code.to_ascii_lowercase();
    let folder = if rules.join("jurisdictions").is_dir() { rules.join("jurisdictions") } else { rules.to_path_buf() };
    let file = folder.join(format!("{lower}.tenet"));
    let cases = rules.join("cases").join(&lower);
    let case = cases.join(format!("{code}-1.json"));
    for path in [&file, &case] {
        if path.exists() {
            problems.push(refuse(format!("{} already exists", path.display()), "nothing was written"));
        }
    }
    if !problems.is_empty() {
        return Made::Refused(problems, Box::new(loaded));
    }
    // In canonical layout, as `tenet fmt` would write it.
    let text = template(code, name, today);
    let text = tenet::format::format(tenet::source::FileId(0), &text).unwrap_or(text);
    // The new file must check with the rest of the set before it is written.
    let (paths, _) = rule_files(&[rules.to_path_buf()]);
    let mut texts: Vec<(String, String)> = paths
        .iter()
        .map(|path| (path.display().to_string(), std::fs::read_to_string(path).unwrap_or_default()))
        .collect();
    texts.push((file.display().to_string(), text.clone()));
    let checked = load_texts(&texts);
    if checked.has_errors() {
        let diagnostics = checked.diagnostics.clone();
        return Made::Refused(
            vec![refuse(
                String::from("the template does not check with this rule set's vocabulary"),
                "the template uses the shipped rules' terms (`demand`, `requester`); write the file by hand",
            )]
            .into_iter()
            .chain(diagnostics)
            .collect(),
            Box::new(checked),
        );
    }
    let facts = serde_json::json!({
        "kind": "government_demand",
        "as_of": today.to_string(),
        "request": {
            "date": today.to_string(),
            "authority": { "country": code, "type": "law_enforcement", "level": "national" },
            "instrument": { "type": "national_production_order", "judicial_authorisation": true, "served_on_entity_country": code },
        },
        "target": { "customer_type": "consumer" },
        "data": { "categories": ["subscriber"], "storage_countries": [code] },
    });
    // The case expects what the rules give today, so that it passes as written; the
    // reviewer corrects `expected` and `why` as the provision is encoded.
    let schema = tenet::facts::Schema::new(&checked.program);
    let decision = tenet::facts::from_value(&checked.program, &schema, &facts, None).ok().and_then(|parsed| {
        let outcome = tenet::eval::evaluate(&checked.program, &parsed);
        let report = tenet::render::Report::new(&checked.program, &parsed, &outcome);
        report.json(false).get("decision").cloned()
    });
    let mut expected = serde_json::Map::new();
    if let Some(decision) = decision.filter(|decision| !decision.is_null()) {
        expected.insert(String::from("decision"), decision);
    }
    expected.insert(String::from("rules"), serde_json::json!([format!("{code}-1")]));
    let document = serde_json::json!({
        "id": format!("{code}-1"),
        "title": format!("A domestic production order in {name} (template)"),
        "facts": facts,
        "expected": expected,
        "why": format!("Template case for {code}-1: replace the facts with a request the provision decides, `expected` with what the law gives, and this text with why."),
    });
    let written = std::fs::create_dir_all(&cases)
        .and_then(|()| std::fs::write(&file, &text))
        .and_then(|()| std::fs::write(&case, serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"));
    match written {
        Ok(()) => Made::Files(vec![file, case]),
        Err(error) => Made::Refused(
            vec![Diagnostic::error("tenet::new::io", format!("cannot write the files: {error}"))],
            Box::new(checked),
        ),
    }
}

fn template(code: &str, name: &str, today: Date) -> String {
    format!(
        r#"// {name}: what this file encodes, and from which source (brief section, statute).

jurisdiction {code} "{name}" {{
  applies when requester is {code}
    or {code} in data.storage_countries
    or transfer.exporter.country is {code}

  // One rule per provision: the provision's id, its citation, the date it is in force,
  // how settled it is (confidence high, medium or low), and what it requires or forbids.
  rule {code}-1 "A domestic production order reaches data held in {name}" {{
    cite "Replace with the provision, e.g. Criminal Procedure Code s. 20"
    effective {today}
    confidence low
    when demand and requester is {code} and {code} in data.storage_countries
    then add legal_review to actions
  }}
}}
"#
    )
}
