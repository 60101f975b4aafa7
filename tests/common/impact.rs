//! The impact of a rule change counted two ways, for `tests/replay.rs` and
//! `benches/replay.rs`: from `tenet replay --format json`, and from two runs of
//! `tenet eval --batch` over the same archive.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

/// The shipped rules with one change of policy: customers are told of a demand even
/// under a gag order (which then conflicts with the gag).
pub fn changed_rules(dir: &Path) -> PathBuf {
    let new = dir.join("rules");
    copy_dir(Path::new("rules"), &new);
    let file = new.join("principles.tenet");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let from = "when demand and enterprise_customer and not gag_covers_customer";
    assert_eq!(text.matches(from).count(), 1, "the shipped rules changed: adapt the edit");
    std::fs::write(&file, text.replace(from, "when demand and enterprise_customer")).unwrap_or_default();
    new
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_default();
    for entry in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "cases") {
                copy_dir(&path, &to.join(entry.file_name()));
            }
        } else if path.extension().is_some_and(|extension| extension == "tenet") {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap_or_default();
        }
    }
}

/// A field's value as the replay shows it.
pub fn shown(value: Option<&Json>) -> String {
    match value {
        None => String::from("(no such outcome)"),
        Some(Json::Null) => String::from("none"),
        Some(Json::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// (field, old, new) → requests, from two runs of `tenet eval --batch`.
pub fn from_batches(old: &[u8], new: &[u8], fields: &[String]) -> BTreeMap<(String, String, String), u64> {
    let parse = |bytes: &[u8]| -> Vec<Json> {
        String::from_utf8_lossy(bytes).lines().map(|line| serde_json::from_str(line).unwrap_or_default()).collect()
    };
    let (old, new) = (parse(old), parse(new));
    assert_eq!(old.len(), new.len());
    let summarized = |outcome: &Json, key: &str, name: &str| -> Json {
        let mut names: Vec<String> = outcome[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| item[name].as_str().map_or_else(|| item[name].to_string(), str::to_string))
            .collect();
        names.sort();
        Json::from(names)
    };
    let value = |outcome: &Json, field: &str| match (outcome.get("errors"), field) {
        (None, "conflicts") => summarized(outcome, "conflicts", "about").to_string(),
        (None, "violations") => summarized(outcome, "violations", "id").to_string(),
        (Some(errors), "error") => errors[0]["code"].as_str().unwrap_or_default().to_string(),
        (Some(_), _) => String::from("(error)"),
        (None, "error") => String::from("none"),
        (None, field) => shown(outcome.get(field)),
    };
    let mut counts = BTreeMap::new();
    for (old, new) in old.iter().zip(&new) {
        let mut changed = false;
        for field in fields {
            let (before, after) = (value(old, field), value(new, field));
            changed |= before != after;
            *counts.entry((field.clone(), before, after)).or_insert(0) += 1;
        }
        let whole = if changed { "changed" } else { "same" };
        *counts.entry((String::from("(request)"), whole.to_string(), whole.to_string())).or_insert(0) += 1;
    }
    counts
}

/// (field, old, new) → requests, from `tenet replay --format json`.
pub fn from_replay(report: &Json) -> BTreeMap<(String, String, String), u64> {
    let mut counts = BTreeMap::new();
    for field in report["fields"].as_array().into_iter().flatten() {
        let name = field["field"].as_str().unwrap_or_default();
        for transition in field["transitions"].as_array().into_iter().flatten() {
            let key = (
                name.to_string(),
                transition["old"].as_str().unwrap_or_default().to_string(),
                transition["new"].as_str().unwrap_or_default().to_string(),
            );
            counts.insert(key, transition["requests"].as_u64().unwrap_or(0));
        }
    }
    let requests = report["requests"].as_u64().unwrap_or(0);
    let changed = report["changed"].as_u64().unwrap_or(0);
    for (whole, count) in [("same", requests - changed), ("changed", changed)] {
        if count > 0 {
            counts.insert((String::from("(request)"), whole.to_string(), whole.to_string()), count);
        }
    }
    counts
}
