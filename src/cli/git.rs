//! Rule files at a git revision, for `tenet diff --git` and `tenet replay --git`.

use std::path::{Path, PathBuf};

/// The files under `path` at git revision `rev`, written to a scratch directory:
/// (the scratch root, the path of the copy). Uses `git ls-tree` and `git show`.
pub fn tree(rev: &str, path: &Path) -> Result<(PathBuf, PathBuf), String> {
    let git = |args: &[&str]| -> Result<Vec<u8>, String> {
        let output = std::process::Command::new("git")
            .args(args)
            .output()
            .map_err(|error| format!("cannot run `git`: {error}"))?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(format!("`git {}` failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
        }
    };
    let prefix = String::from_utf8_lossy(&git(&["rev-parse", "--show-prefix"])?).trim().to_string();
    let relative = path.to_string_lossy().trim_start_matches("./").trim_end_matches('/').to_string();
    let full = format!("{prefix}{relative}");
    let listing = git(&["ls-tree", "-r", "--name-only", "--full-tree", rev, "--", &full])?;
    let files: Vec<String> = String::from_utf8_lossy(&listing).lines().map(str::to_string).collect();
    if files.is_empty() {
        return Err(format!("there is nothing at `{relative}` in revision `{rev}`"));
    }
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_nanos());
    let root = std::env::temp_dir().join(format!("tenet-diff-{}-{nanos}", std::process::id()));
    for file in &files {
        let bytes = git(&["show", &format!("{rev}:{file}")])?;
        let inside = file.strip_prefix(&prefix).unwrap_or(file);
        let target = root.join(inside);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|error| format!("cannot write {}: {error}", parent.display()))?;
        }
        std::fs::write(&target, bytes).map_err(|error| format!("cannot write {}: {error}", target.display()))?;
    }
    Ok((root.clone(), root.join(relative)))
}
