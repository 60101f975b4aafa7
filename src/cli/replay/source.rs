//! NDJSON archives as a streamed table `(source, request)`.
//!
//! Each file is cut into byte ranges at line boundaries, one partition each (so a
//! single large file still uses every core), and each partition reads its range in
//! record batches of lines: memory holds a batch per partition, never the file. A
//! line of a decision log (`{"time": …, "request": {…}, "outcome": …, "receipt":
//! …}`) gives its `request`; any other line is the request itself. `source` is
//! `file:line`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::streaming::StreamingTable;
use datafusion::common::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;

/// Lines per record batch.
const BATCH: usize = 4096;

/// One range of one file: bytes `[start, end)`, whose first line is line `first_line`.
#[derive(Debug, Clone)]
struct Range {
    path: PathBuf,
    name: String,
    start: u64,
    end: u64,
    first_line: u64,
}

/// The archive's files, cut into ranges; `.json` files (one request, or an array of
/// them) read whole.
pub struct NdjsonTable {
    schema: SchemaRef,
    ranges: Vec<Range>,
    documents: Vec<(String, String)>,
}

/// The largest `.json` archive file, read whole (NDJSON streams without a bound).
const MAX_DOCUMENT_BYTES: u64 = 1024 * 1024 * 1024;

/// The requests of a `.json` file: its elements if it is an array, else itself.
fn documents(path: &std::path::Path, out: &mut Vec<(String, String)>) -> std::io::Result<()> {
    let invalid = |message: String| std::io::Error::new(std::io::ErrorKind::InvalidData, message);
    if std::fs::metadata(path)?.len() > MAX_DOCUMENT_BYTES {
        return Err(invalid(format!(
            "`{}` is larger than 1 GiB; give it as NDJSON, one request per line",
            path.display()
        )));
    }
    let text = std::fs::read(path)?;
    let name = path.display().to_string();
    match serde_json::from_slice::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Array(items)) => {
            out.extend(items.iter().enumerate().map(|(index, item)| (format!("{name}[{index}]"), item.to_string())));
        }
        Ok(document) => out.push((name, document.to_string())),
        Err(error) => return Err(invalid(format!("`{name}` is not JSON: {error}"))),
    }
    Ok(())
}

pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("request", DataType::Utf8, false),
    ]))
}

impl NdjsonTable {
    /// About `partitions` ranges over all the files, each ending at a line break.
    pub fn new(files: &[PathBuf], partitions: usize) -> std::io::Result<NdjsonTable> {
        let mut documents_read = Vec::new();
        let (whole, files): (Vec<&PathBuf>, Vec<&PathBuf>) =
            files.iter().partition(|path| path.extension().is_some_and(|extension| extension == "json"));
        for path in whole {
            documents(path, &mut documents_read)?;
        }
        let sizes: Vec<u64> =
            files.iter().map(|path| std::fs::metadata(path).map(|meta| meta.len())).collect::<Result<_, _>>()?;
        let total: u64 = sizes.iter().sum::<u64>().max(1);
        let mut ranges = Vec::new();
        for (path, size) in files.iter().zip(&sizes) {
            let parts = ((partitions as u64 * size).div_ceil(total)).max(1);
            let mut cuts = vec![0u64];
            let mut file = File::open(path)?;
            for part in 1..parts {
                let cut = next_line_start(&mut file, size * part / parts)?;
                if cut > *cuts.last().unwrap_or(&0) && cut < *size {
                    cuts.push(cut);
                }
            }
            cuts.push(*size);
            let name = path.display().to_string();
            let mut first_line = 1;
            for window in cuts.windows(2) {
                let &[start, end] = window else { continue };
                ranges.push(Range { path: (*path).clone(), name: name.clone(), start, end, first_line });
                first_line += count_lines(&mut file, start, end)?;
            }
        }
        Ok(NdjsonTable { schema: schema(), ranges, documents: documents_read })
    }

    pub fn into_provider(self) -> Result<StreamingTable> {
        let schema = self.schema.clone();
        let mut partitions: Vec<Arc<dyn PartitionStream>> = self
            .ranges
            .into_iter()
            .map(|range| Arc::new(Partition { schema: schema.clone(), range }) as Arc<dyn PartitionStream>)
            .collect();
        if !self.documents.is_empty() {
            let (mut sources, mut requests) = (StringBuilder::new(), StringBuilder::new());
            for (source, request) in &self.documents {
                sources.append_value(source);
                requests.append_value(request);
            }
            let columns: Vec<ArrayRef> = vec![Arc::new(sources.finish()), Arc::new(requests.finish())];
            let batch = RecordBatch::try_new(schema.clone(), columns)?;
            partitions.push(Arc::new(Documents { schema: schema.clone(), batch }));
        }
        StreamingTable::try_new(schema, partitions)
    }
}

/// The offset of the first line that starts at or after `offset`.
fn next_line_start(file: &mut File, offset: u64) -> std::io::Result<u64> {
    if offset == 0 {
        return Ok(0);
    }
    file.seek(SeekFrom::Start(offset - 1))?;
    let mut reader = BufReader::new(file);
    let mut skipped = Vec::new();
    let read = reader.read_until(b'\n', &mut skipped)?;
    Ok(offset - 1 + read as u64)
}

fn count_lines(file: &mut File, start: u64, end: u64) -> std::io::Result<u64> {
    file.seek(SeekFrom::Start(start))?;
    let mut reader = BufReader::with_capacity(1 << 20, (&*file).take(end - start));
    let mut lines = 0;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(lines);
        }
        lines += buffer.iter().filter(|byte| **byte == b'\n').count() as u64;
        let length = buffer.len();
        reader.consume(length);
    }
}

#[derive(Debug)]
struct Partition {
    schema: SchemaRef,
    range: Range,
}

impl PartitionStream for Partition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _context: Arc<TaskContext>) -> SendableRecordBatchStream {
        let batches = Batches::open(&self.range, self.schema.clone());
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), futures::stream::iter(batches)))
    }
}

/// The requests of the `.json` files, held in one batch.
#[derive(Debug)]
struct Documents {
    schema: SchemaRef,
    batch: RecordBatch,
}

impl PartitionStream for Documents {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _context: Arc<TaskContext>) -> SendableRecordBatchStream {
        let batch = self.batch.clone();
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), futures::stream::iter([Ok(batch)])))
    }
}

/// The record batches of one range, read as they are asked for.
struct Batches {
    schema: SchemaRef,
    reader: Option<Box<dyn BufRead + Send>>,
    name: String,
    line: u64,
    failed: Option<std::io::Error>,
}

impl Batches {
    fn open(range: &Range, schema: SchemaRef) -> Batches {
        let opened = File::open(&range.path).and_then(|mut file| {
            file.seek(SeekFrom::Start(range.start))?;
            Ok(Box::new(BufReader::with_capacity(1 << 20, file.take(range.end - range.start)))
                as Box<dyn BufRead + Send>)
        });
        let (reader, failed) = match opened {
            Ok(reader) => (Some(reader), None),
            Err(error) => (None, Some(error)),
        };
        Batches { schema, reader, name: range.name.clone(), line: range.first_line, failed }
    }
}

impl Iterator for Batches {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(error) = self.failed.take() {
            self.reader = None;
            return Some(Err(datafusion::error::DataFusionError::IoError(error)));
        }
        let reader = self.reader.as_mut()?;
        let (mut sources, mut requests) = (StringBuilder::new(), StringBuilder::new());
        let mut rows = 0;
        let mut line = Vec::new();
        while rows < BATCH {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => {
                    self.reader = None;
                    break;
                }
                Ok(_) => {}
                Err(error) => return Some(Err(datafusion::error::DataFusionError::IoError(error))),
            }
            let number = self.line;
            self.line += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            // A line that is not UTF-8 is not a request: it is passed on empty, so that
            // it counts as unreadable (`tenet::facts::syntax`), never as something else.
            let text = std::str::from_utf8(&line).map_or("", str::trim);
            sources.append_value(format!("{}:{number}", self.name));
            requests.append_value(request_of(text));
            rows += 1;
        }
        if rows == 0 {
            return None;
        }
        let columns: Vec<ArrayRef> = vec![Arc::new(sources.finish()), Arc::new(requests.finish())];
        Some(RecordBatch::try_new(self.schema.clone(), columns).map_err(Into::into))
    }
}

/// The request of a line: a decision log's `request`, or the line itself.
fn request_of(line: &str) -> &str {
    #[derive(serde::Deserialize)]
    struct Logged<'a> {
        #[serde(borrow)]
        request: &'a serde_json::value::RawValue,
        /// Its presence marks a decision log's line.
        #[serde(rename = "receipt")]
        _receipt: serde::de::IgnoredAny,
    }
    if !line.starts_with("{\"time\":") {
        return line;
    }
    match serde_json::from_str::<Logged>(line) {
        Ok(logged) => logged.request.get(),
        Err(_) => line,
    }
}
