//! Receipts: what pins a decision so that it can be reproduced exactly.
//!
//! A decision is reproducible from three things: the rule set that made it, the
//! request it was made on, and the date of evaluation. The rule set is named by a
//! content hash over its *canonical* text ([`crate::format`]), so reformatting a file
//! or moving its comments' indentation does not change it, while any change of
//! meaning or wording does; file names count, relative to the rule directory, so
//! the same rules checked out anywhere hash alike. The request is named by the
//! hash of its bytes as received.

use std::fmt::Write as _;
use std::path::Path;

use jiff::civil::Date;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::load::Loaded;

/// The engine that decides: `tenet` and its version.
pub const ENGINE: &str = concat!("tenet ", env!("CARGO_PKG_VERSION"));

/// What pins one decision.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Receipt {
    /// The rule set's content hash ([`rule_set_hash`]).
    pub rules: String,
    /// The date of evaluation used.
    #[serde(serialize_with = "date")]
    pub as_of: Date,
    /// The engine and its version ([`ENGINE`]).
    pub engine: &'static str,
    /// The hash of the request's bytes ([`request_hash`]).
    pub request: String,
}

/// `sha256:` and the hex digest of `bytes`.
pub fn request_hash(bytes: &[u8]) -> String {
    hex(Sha256::digest(bytes).as_slice())
}

/// The content hash of a loaded rule set: SHA-256 over each file's name (relative
/// to `root`, `/`-separated) and canonical text, in name order, each part
/// preceded by its length. A file that does not format (a rule set with errors)
/// counts with its text as written.
pub fn rule_set_hash(loaded: &Loaded, root: &Path) -> String {
    let mut files: Vec<(String, String)> = loaded
        .sources
        .iter()
        .map(|(id, source)| {
            let text = crate::format::format(id, &source.text).unwrap_or_else(|_| source.text.to_string());
            (relative_name(&source.name, root), text)
        })
        .collect();
    files.sort();
    let mut hasher = Sha256::new();
    for (name, text) in &files {
        for part in [name.as_bytes(), text.as_bytes()] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
    }
    hex(hasher.finalize().as_slice())
}

/// A source's name relative to the rule directory `root` (the file's own name when
/// `root` is the file), with `/` between parts.
pub fn relative_name(name: &str, root: &Path) -> String {
    let path = Path::new(name);
    let relative = match path.strip_prefix(root) {
        Ok(inside) if !inside.as_os_str().is_empty() => inside,
        _ => path.file_name().map_or(path, Path::new),
    };
    relative.components().map(|part| part.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn date<S: serde::Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(date)
}

fn hex(digest: &[u8]) -> String {
    let mut out = String::with_capacity(7 + 2 * digest.len());
    out.push_str("sha256:");
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}
