//! The rule set in force, and reloading it: a new set is read and checked off the
//! request path and swapped in atomically only if it checks clean; a broken edit
//! leaves the old set serving and is reported in `/v1/rules` and on standard error.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use jiff::Timestamp;
use serde_json::{Value as Json, json};
use tokio::sync::mpsc::{Receiver, Sender};

use tenet::diag::{Diagnostic, ErrorFormat};
use tenet::eval::Index;
use tenet::facts::Schema;
use tenet::load::{Loaded, load};
use tenet::render::Quoted;

use super::api::Service;

/// A checked rule set, ready to decide: the program, its schema and rule index,
/// and its identity.
pub struct RuleSet {
    pub loaded: Loaded,
    pub schema: Schema,
    pub index: Index,
    /// The rules' texts as JSON, for explained responses (`render::Quoted`).
    pub quoted: Option<Quoted>,
    /// The content hash over the canonical rule text (`tenet::receipt`).
    pub hash: String,
    /// The files, relative to the rule directory.
    pub files: Vec<String>,
    pub loaded_at: Timestamp,
    /// Its warnings, as JSON diagnostics.
    pub warnings: Vec<Json>,
}

/// A rule set that did not check: when, its hash, and every diagnostic.
pub struct Rejected {
    pub at: Timestamp,
    pub hash: String,
    pub diagnostics: Vec<Json>,
    /// The diagnostics as a person reads them.
    pub rendered: String,
}

impl RuleSet {
    /// Reads and checks the rules at `path`.
    pub fn load(path: &Path) -> Result<RuleSet, Rejected> {
        let loaded = load(&[path.to_path_buf()]);
        let hash = tenet::receipt::rule_set_hash(&loaded, path);
        let json = |diagnostics: &[&Diagnostic]| -> Vec<Json> {
            diagnostics.iter().map(|diagnostic| tenet::diag::json(diagnostic, &loaded.sources)).collect()
        };
        if loaded.has_errors() || loaded.files == 0 {
            let mut diagnostics = loaded.diagnostics.clone();
            if loaded.files == 0 {
                diagnostics.push(Diagnostic::error(
                    "tenet::serve::no_rules",
                    format!("there are no rule files at `{}`", path.display()),
                ));
            }
            let listed: Vec<&Diagnostic> = diagnostics.iter().collect();
            return Err(Rejected {
                at: Timestamp::now(),
                hash,
                diagnostics: json(&listed),
                rendered: tenet::diag::render(&diagnostics, &loaded.sources, ErrorFormat::Human, false),
            });
        }
        let warnings = json(&loaded.diagnostics.iter().collect::<Vec<_>>());
        let files =
            loaded.sources.iter().map(|(_, source)| tenet::receipt::relative_name(&source.name, path)).collect();
        let schema = Schema::new(&loaded.program);
        let index = Index::new(&loaded.program);
        let quoted = Quoted::new(&loaded.program);
        Ok(RuleSet { loaded, schema, index, quoted, hash, files, loaded_at: Timestamp::now(), warnings })
    }

    /// `GET /v1/rules`: the set's identity and its warnings.
    pub fn identity(&self) -> Json {
        json!({
            "hash": self.hash,
            "files": self.files,
            "rules": self.loaded.program.rules.len(),
            "loaded_at": self.loaded_at.to_string(),
            "diagnostics": self.warnings,
        })
    }
}

/// The rule set in force, swapped atomically; and what the last reloads did.
pub struct Current {
    set: ArcSwap<RuleSet>,
    history: Mutex<History>,
}

#[derive(Default)]
struct History {
    loaded: u64,
    rejected: u64,
    last_rejected: Option<Rejected>,
}

/// What one reload did.
pub enum Reloaded {
    Loaded(Arc<RuleSet>),
    /// The same content as the set in force: nothing swapped.
    Unchanged(Arc<RuleSet>),
    Rejected {
        hash: String,
        diagnostics: Vec<Json>,
    },
}

impl Current {
    pub fn new(set: RuleSet) -> Current {
        Current { set: ArcSwap::from_pointee(set), history: Mutex::new(History::default()) }
    }

    /// The set in force: a request holds it until it is answered.
    pub fn get(&self) -> Arc<RuleSet> {
        self.set.load_full()
    }

    /// `GET /v1/rules`.
    pub fn report(&self, path: &Path) -> Json {
        let mut report = self.get().identity();
        let history = self.history.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        report["path"] = Json::from(path.display().to_string());
        report["reloads"] = json!({ "loaded": history.loaded, "rejected": history.rejected });
        if let Some(rejected) = &history.last_rejected {
            report["last_rejected"] = json!({
                "at": rejected.at.to_string(),
                "hash": rejected.hash,
                "diagnostics": rejected.diagnostics,
            });
        }
        report
    }

    /// Loads the set at `path` (on a blocking thread) and swaps it in if it checks clean.
    pub async fn reload(&self, path: &Path) -> Reloaded {
        let owned = path.to_path_buf();
        let loaded = tokio::task::spawn_blocking(move || RuleSet::load(&owned)).await;
        let mut history = self.history.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match loaded {
            Ok(Ok(set)) if set.hash == self.get().hash => Reloaded::Unchanged(self.get()),
            Ok(Ok(set)) => {
                let set = Arc::new(set);
                self.set.store(set.clone());
                history.loaded += 1;
                eprintln!(
                    "tenet serve: reloaded {} ({} rules, {})",
                    path.display(),
                    set.loaded.program.rules.len(),
                    set.hash
                );
                Reloaded::Loaded(set)
            }
            Ok(Err(rejected)) => {
                history.rejected += 1;
                eprint!("{}", rejected.rendered);
                eprintln!(
                    "tenet serve: the rules at {} do not check ({}); still serving {}",
                    path.display(),
                    rejected.hash,
                    self.get().hash
                );
                let reloaded =
                    Reloaded::Rejected { hash: rejected.hash.clone(), diagnostics: rejected.diagnostics.clone() };
                history.last_rejected = Some(rejected);
                reloaded
            }
            Err(error) => {
                history.rejected += 1;
                let diagnostics = vec![json!({
                    "code": "tenet::serve::reload",
                    "severity": "error",
                    "message": format!("reloading stopped unexpectedly: {error}"),
                })];
                Reloaded::Rejected { hash: String::new(), diagnostics }
            }
        }
    }
}

/// Watches the rule files (inotify and the like): each change asks for a reload.
/// Bursts of events (an editor saving, `git checkout`) become one reload, since
/// the channel holds one request and the reload waits for the burst to settle. A
/// single rule file is watched through its directory, so that an editor that saves
/// by writing a new file and renaming it over the old one is still seen.
pub fn watch(path: &Path, reload: Sender<()>) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher as _;
    let file = path.is_file().then(|| path.file_name().map(std::ffi::OsStr::to_os_string)).flatten();
    let watched_file = file.clone();
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let about_the_file = watched_file
            .as_ref()
            .is_none_or(|name| event.paths.iter().any(|changed| changed.file_name() == Some(name.as_os_str())));
        if about_the_file && !event.kind.is_access() && !event.kind.is_other() {
            let _ = reload.try_send(());
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(watcher) => watcher,
        Err(error) => {
            eprintln!(
                "tenet serve: cannot watch the rules for changes ({error}); reload with SIGHUP or POST /v1/reload"
            );
            return None;
        }
    };
    let (target, mode) = match (&file, path.parent()) {
        (Some(_), Some(parent)) => {
            let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
            (parent, notify::RecursiveMode::NonRecursive)
        }
        _ => (path, notify::RecursiveMode::Recursive),
    };
    if let Err(error) = watcher.watch(target, mode) {
        eprintln!("tenet serve: cannot watch {} ({error}); reload with SIGHUP or POST /v1/reload", path.display());
        return None;
    }
    Some(watcher)
}

/// SIGHUP, registered when made (before the service says it listens): a HUP that
/// comes before the reload task waits for it is kept, not left to the default
/// action, which ends the process.
pub struct Hangup {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Hangup {
    pub fn register() -> std::io::Result<Hangup> {
        #[cfg(unix)]
        return Ok(Hangup { signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())? });
        #[cfg(not(unix))]
        Ok(Hangup {})
    }
}

/// Reloads on each change seen by [`watch`] and on each SIGHUP.
pub async fn reload_on_signal(service: Arc<Service>, mut requests: Receiver<()>, sender: Sender<()>, hangup: Hangup) {
    #[cfg(unix)]
    {
        let mut hangup = hangup.signal;
        tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                let _ = sender.send(()).await;
            }
        });
    }
    #[cfg(not(unix))]
    drop((sender, hangup));
    while requests.recv().await.is_some() {
        // Let a burst of file events settle before reading the files.
        tokio::time::sleep(Duration::from_millis(100)).await;
        while requests.try_recv().is_ok() {}
        let reloaded = service.reload().await;
        service.metrics.reloaded(&reloaded);
    }
}
