//! The decision log (`--decision-log FILE`): one NDJSON line per decision.
//!
//! One writer thread owns the file. Requests hand it their lines and wait; it
//! writes what has gathered in one `write` (group commit), with `--log-sync`
//! also `fdatasync`, and only then are those requests answered. So:
//! - a decision is acknowledged only once its line is in the file (in the
//!   operating system's cache; with `--log-sync`, on disk): a crash of the
//!   service loses no acknowledged decision, a crash of the machine none with
//!   `--log-sync`;
//! - a crash in the middle of a write can leave a torn last line, never
//!   acknowledged; opening the log cuts it off (and says so), so the log always
//!   reads back as whole lines;
//! - a decision whose line cannot be written is not given (503).
//!
//! Rotation by size happens between writes: FILE becomes FILE.1 (FILE.1 becomes
//! FILE.2, and so on, `--log-keep` files kept), and a new FILE is started.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tokio::sync::{mpsc, oneshot};

/// Lines gathered into one write at most.
const GROUP: usize = 1024;

enum Message {
    /// Whole lines, each ending in a line break, and who waits for them.
    Lines(Vec<u8>, oneshot::Sender<Result<(), String>>),
    Close(oneshot::Sender<()>),
}

/// The handle requests write through.
pub struct DecisionLog {
    sender: mpsc::Sender<Message>,
}

struct Writer {
    path: PathBuf,
    file: File,
    size: u64,
    max_bytes: u64,
    keep: usize,
    sync: bool,
}

impl DecisionLog {
    /// Opens (or creates) the log at `path`, cutting off a torn last line, and
    /// starts its writer. `max_bytes` 0 never rotates.
    pub fn open(path: &Path, max_bytes: u64, keep: usize, sync: bool) -> Result<DecisionLog, String> {
        let file = open_whole(path)?;
        let size = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
        let writer = Writer { path: path.to_path_buf(), file, size, max_bytes, keep, sync };
        let (sender, receiver) = mpsc::channel(4096);
        std::thread::Builder::new()
            .name(String::from("decision-log"))
            .spawn(move || writer.run(receiver))
            .map_err(|error| format!("cannot start the decision log's writer: {error}"))?;
        Ok(DecisionLog { sender })
    }

    /// Appends whole lines; returns once they are written.
    pub async fn append(&self, lines: Vec<u8>) -> Result<(), String> {
        let (done, written) = oneshot::channel();
        self.sender.send(Message::Lines(lines, done)).await.map_err(|_| String::from("the decision log is closed"))?;
        written.await.map_err(|_| String::from("the decision log's writer stopped"))?
    }

    /// Writes what is pending, syncs the file and stops the writer.
    pub async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.sender.send(Message::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }
}

impl Writer {
    fn run(mut self, mut receiver: mpsc::Receiver<Message>) {
        let mut buffer = Vec::new();
        let mut waiting = Vec::new();
        while let Some(first) = receiver.blocking_recv() {
            let mut close = None;
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    Message::Lines(lines, done) => {
                        buffer.extend_from_slice(&lines);
                        waiting.push(done);
                    }
                    Message::Close(done) => close = Some(done),
                }
                if close.is_none() && waiting.len() < GROUP {
                    next = receiver.try_recv().ok();
                }
            }
            let result = self.write(&buffer);
            buffer.clear();
            for done in waiting.drain(..) {
                let _ = done.send(result.clone());
            }
            if let Some(done) = close {
                let _ = self.file.sync_all();
                let _ = done.send(());
                return;
            }
        }
        let _ = self.file.sync_all();
    }

    /// Writes whole lines, then rotates if the file has grown past its size. A
    /// failed write is cut back to the last whole line.
    fn write(&mut self, lines: &[u8]) -> Result<(), String> {
        if lines.is_empty() {
            return Ok(());
        }
        let written = self.file.write_all(lines).and_then(|()| if self.sync { self.file.sync_data() } else { Ok(()) });
        if let Err(error) = written {
            let _ = self.file.set_len(self.size);
            eprintln!("tenet serve: cannot write the decision log {}: {error}", self.path.display());
            return Err(format!("cannot write the decision log: {error}"));
        }
        self.size += lines.len() as u64;
        if self.max_bytes > 0 && self.size >= self.max_bytes {
            match rotate(&self.path, self.keep) {
                Ok(file) => {
                    self.file = file;
                    self.size = 0;
                }
                Err(message) => eprintln!("tenet serve: {message}; the log goes on growing"),
            }
        }
        Ok(())
    }
}

/// FILE → FILE.1 → FILE.2 … (the oldest beyond `keep` dropped), and a new FILE.
fn rotate(path: &Path, keep: usize) -> Result<File, String> {
    let numbered = |n: usize| {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    };
    if keep == 0 {
        let _ = std::fs::remove_file(path);
    } else {
        for n in (1..keep).rev() {
            let from = numbered(n);
            if from.exists() {
                std::fs::rename(&from, numbered(n + 1))
                    .map_err(|error| format!("cannot rotate {}: {error}", from.display()))?;
            }
        }
        std::fs::rename(path, numbered(1)).map_err(|error| format!("cannot rotate {}: {error}", path.display()))?;
    }
    open_whole(path)
}

/// Opens `path` for appending; a last line without its line break (a write cut
/// short by a crash, never acknowledged) is cut off.
fn open_whole(path: &Path) -> Result<File, String> {
    let cannot = |error: std::io::Error| format!("cannot open the decision log {}: {error}", path.display());
    let mut file = OpenOptions::new().read(true).append(true).create(true).open(path).map_err(cannot)?;
    let length = file.metadata().map_err(cannot)?.len();
    let whole = whole_length(&mut file, length).map_err(cannot)?;
    if whole < length {
        file.set_len(whole).map_err(cannot)?;
        eprintln!(
            "tenet serve: the decision log {} ended in a torn line ({} bytes, never acknowledged); cut it off",
            path.display(),
            length - whole
        );
    }
    Ok(file)
}

/// The length of the file up to and with its last line break.
fn whole_length(file: &mut File, length: u64) -> std::io::Result<u64> {
    let mut end = length;
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let part = chunk.get_mut(..(end - start) as usize).unwrap_or_default();
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(part)?;
        if let Some(position) = part.iter().rposition(|byte| *byte == b'\n') {
            return Ok(start + position as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}
