//! `tenet serve RULES`: decisions over HTTP, with receipts, a decision log, hot
//! reload, Prometheus metrics and a graceful shutdown.
//!
//! One tokio runtime; each connection is served by hyper (HTTP/1.1, keep-alive)
//! with a timeout on reading a request's head, so idle and slow connections are
//! closed; connections beyond `--max-connections` are closed at once. The rule set
//! in force sits behind an atomic pointer ([`rules::Current`]): a request takes it
//! once and finishes on it, a reload checks a new set off the request path and
//! swaps it in only if it checks clean. SIGTERM (or Ctrl-C) stops accepting,
//! lets the requests in flight finish, and closes the decision log.

mod api;
mod log;
mod metrics;
mod rules;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How the service is run (`tenet serve --help`).
pub struct Options {
    pub rules: PathBuf,
    pub addr: SocketAddr,
    pub decision_log: Option<PathBuf>,
    pub log_max_bytes: u64,
    pub log_keep: usize,
    pub log_sync: bool,
    pub limits: Limits,
    pub max_connections: usize,
    pub watch: bool,
    pub drain: Duration,
}

/// Bounds on one request.
#[derive(Clone, Copy)]
pub struct Limits {
    /// The largest body of `/v1/decide`.
    pub max_body: usize,
    /// The largest body of `/v1/decide/batch`.
    pub max_batch: usize,
    /// Evaluations at once; more wait up to `timeout`, then get 503.
    pub max_concurrency: usize,
    /// Reading a request's head, or its body.
    pub read_timeout: Duration,
    /// Evaluating a request (or a batch).
    pub timeout: Duration,
}

/// Runs the service until SIGTERM or Ctrl-C: exit status 0 after a clean
/// shutdown, 1 when the rules do not check or the address or log cannot be opened.
pub fn run(options: Options) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the service: {error}");
            return 1;
        }
    };
    runtime.block_on(serve(options))
}

async fn serve(options: Options) -> u8 {
    let first = match rules::RuleSet::load(&options.rules) {
        Ok(set) => set,
        Err(rejected) => {
            eprint!("{}", rejected.rendered);
            eprintln!("error: the rules do not check; nothing is served");
            return 1;
        }
    };
    for warning in &first.warnings {
        eprintln!("warning: {}", warning["message"].as_str().unwrap_or_default());
    }
    let log = match &options.decision_log {
        Some(path) => match log::DecisionLog::open(path, options.log_max_bytes, options.log_keep, options.log_sync) {
            Ok(log) => Some(log),
            Err(message) => {
                eprintln!("error: {message}");
                return 1;
            }
        },
        None => None,
    };
    let listener = match listen(options.addr) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("error: cannot listen on {}: {error}", options.addr);
            return 1;
        }
    };
    // The signals are handled from before the service says it listens: a TERM or
    // HUP sent the moment the address is printed is then handled, not fatal.
    let (shutdown, hangup) = match (Shutdown::register(), rules::Hangup::register()) {
        (Ok(shutdown), Ok(hangup)) => (shutdown, hangup),
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("error: cannot handle the shutdown and reload signals: {error}");
            return 1;
        }
    };
    let local = listener.local_addr().unwrap_or(options.addr);
    let metrics = metrics::Metrics::new();
    metrics.rules.set(first.loaded.program.rules.len() as i64);
    eprintln!(
        "tenet serve: listening on http://{local} with {} ({} rules, {})",
        options.rules.display(),
        first.loaded.program.rules.len(),
        first.hash
    );
    let service =
        Arc::new(api::Service::new(rules::Current::new(first), options.rules.clone(), log, metrics, options.limits));
    let (reload_sender, reload_receiver) = tokio::sync::mpsc::channel(1);
    let _watcher = if options.watch { rules::watch(&options.rules, reload_sender.clone()) } else { None };
    tokio::spawn(rules::reload_on_signal(service.clone(), reload_receiver, reload_sender, hangup));
    let (max, read_timeout, drain) = (options.max_connections, options.limits.read_timeout, options.drain);
    accept(listener, service.clone(), shutdown, max, read_timeout, drain).await;
    if let Some(log) = &service.log {
        log.close().await;
    }
    eprintln!("tenet serve: stopped");
    0
}

/// Accepts connections until a shutdown signal, then waits (at most `drain`) for
/// the connections to finish their requests.
async fn accept(
    listener: TcpListener,
    service: Arc<api::Service>,
    shutdown: Shutdown,
    max: usize,
    read_timeout: Duration,
    drain: Duration,
) {
    let router = api::router(service.clone());
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(max.max(1)));
    let shutdown = shutdown.recv();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // Out of file descriptors, most often: wait for connections to close.
                        eprintln!("tenet serve: cannot accept a connection: {error}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    service.metrics.refused.inc();
                    drop(stream);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(read_timeout)
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(router.clone()));
                let connection = graceful.watch(connection);
                let open = service.metrics.connections.clone();
                open.inc();
                tokio::spawn(async move {
                    let _ = connection.await;
                    open.dec();
                    drop(slot);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    service.draining.store(true, std::sync::atomic::Ordering::SeqCst);
    eprintln!("tenet serve: shutting down; finishing the requests in flight");
    if tokio::time::timeout(drain, graceful.shutdown()).await.is_err() {
        eprintln!("tenet serve: connections still open after {} s; closing them", drain.as_secs());
    }
}

/// A listener with a deep accept queue (as deep as the system allows), so that a
/// burst of connections waits to be accepted instead of being dropped and retried.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

/// SIGTERM or Ctrl-C, registered when made: a signal that comes before the
/// service waits for it is kept, not left to the default action (which ends the
/// process without closing the decision log).
#[cfg(unix)]
struct Shutdown {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Shutdown {
    fn register() -> std::io::Result<Shutdown> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Shutdown { terminate: signal(SignalKind::terminate())?, interrupt: signal(SignalKind::interrupt())? })
    }

    async fn recv(mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}

/// Ctrl-C.
#[cfg(not(unix))]
struct Shutdown;

#[cfg(not(unix))]
impl Shutdown {
    fn register() -> std::io::Result<Shutdown> {
        Ok(Shutdown)
    }

    async fn recv(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
