//! Segments: `NNNNNNNNNNNNNNNNNNNN.wal` in the journal's storage, numbered
//! from 1, appended in order; a new segment starts when the current one
//! passes the size limit. `Writer` appends (and syncs per policy);
//! `inspect_in` reads everything back.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::frame::{self, FrameError};
use super::storage::{FileStorage, Storage};
use crate::codes::Code;
use crate::diag::{render::render_line, Diagnostic};

/// Errors of the journal's storage, each with its stable code.
#[derive(Debug)]
pub enum JournalError {
    /// The directory is missing or cannot be created or read.
    Directory { path: PathBuf, error: io::Error },
    /// A segment cannot be written or synced (a read-only directory, a full disk).
    Write { path: PathBuf, error: io::Error },
    /// A record is larger than the frame allows.
    TooLarge { len: usize },
}

impl JournalError {
    pub fn code(&self) -> Code {
        match self {
            JournalError::Directory { .. } => Code::J001,
            JournalError::Write { .. } => Code::J002,
            JournalError::TooLarge { .. } => Code::J002,
        }
    }
}

impl JournalError {
    /// The error as data.
    pub fn diagnostic(&self) -> Diagnostic {
        let message = match self {
            JournalError::Directory { path, error } => {
                format!(
                    "cannot use the journal directory `{}`: {error}",
                    path.display()
                )
            }
            JournalError::Write { path, error } => {
                format!(
                    "cannot write the journal segment `{}`: {error}",
                    path.display()
                )
            }
            JournalError::TooLarge { len } => format!(
                "a journal record of {len} bytes exceeds the limit of {} bytes",
                frame::MAX_PAYLOAD
            ),
        };
        Diagnostic::plain(self.code(), message)
    }
}

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&render_line(&self.diagnostic()))
    }
}

/// The name of segment `n`.
pub fn segment_name(n: u64) -> String {
    format!("{n:020}.wal")
}

fn segment_number(name: &str) -> Option<u64> {
    name.strip_suffix(".wal")?.parse().ok()
}

fn dir_error(storage: &dyn Storage, error: io::Error) -> JournalError {
    JournalError::Directory {
        path: storage.location(""),
        error,
    }
}

/// The segments in the storage, in order: (number, name).
pub fn segments(storage: &dyn Storage) -> Result<Vec<(u64, String)>, JournalError> {
    let mut out: Vec<(u64, String)> = storage
        .list()
        .map_err(|e| dir_error(storage, e))?
        .into_iter()
        .filter_map(|n| segment_number(&n).map(|k| (k, n)))
        .collect();
    out.sort();
    Ok(out)
}

/// Makes the first record of segment `n` (a journal names its run and the
/// segment's place in every segment this way).
pub type Header = Box<dyn Fn(u64) -> Vec<u8> + Send>;

/// Appends framed records to the newest segment, starting a new one past
/// `segment_bytes`. `sync` makes everything appended so far durable.
pub struct Writer {
    header: Option<Header>,
    storage: Arc<dyn Storage>,
    number: u64,
    size: u64,
    segment_bytes: u64,
    buf: Vec<u8>,
}

impl Writer {
    /// A writer on the directory `dir` (see [`Writer::open_with`]).
    pub fn open(dir: &Path, segment_bytes: u64) -> Result<Writer, JournalError> {
        Self::open_with(Arc::new(FileStorage::new(dir)), segment_bytes, None)
    }

    /// Opens (creating the storage if needed) and appends after the last
    /// segment's intact records. A torn tail is cut off first: it was never
    /// acknowledged, since a record counts only once synced whole. Every new
    /// segment (and an empty last one) starts with `header(n)`.
    pub fn open_with(
        storage: Arc<dyn Storage>,
        segment_bytes: u64,
        header: Option<Header>,
    ) -> Result<Writer, JournalError> {
        storage.create().map_err(|e| dir_error(&*storage, e))?;
        let existing = segments(&*storage)?;
        let number = existing.last().map_or(1, |(n, _)| *n);
        let name = segment_name(number);
        let bytes = storage.read(&name).unwrap_or_default();
        let (frames, _) = frame::decode_all(&bytes);
        let good = frames
            .last()
            .map(|f| f.offset + (frame::HEADER + f.payload.len()) as u64)
            .unwrap_or(0);
        storage
            .truncate(&name, good)
            .map_err(|error| JournalError::Write {
                path: storage.location(&name),
                error,
            })?;
        let mut w = Writer {
            header,
            storage,
            number,
            size: good,
            segment_bytes,
            buf: Vec::new(),
        };
        if good == 0 {
            w.begin_segment()?;
        }
        Ok(w)
    }

    /// Writes the header of the current (empty) segment, if there is one,
    /// and makes it durable at once (with the segment's name): positions
    /// handed out later (to snapshots) count it, so no crash may lose it.
    fn begin_segment(&mut self) -> Result<(), JournalError> {
        if let Some(h) = &self.header {
            let payload = h(self.number);
            let held = std::mem::take(&mut self.buf);
            self.append(&payload)?;
            self.write_buffered()?;
            self.buf = held;
            self.storage
                .sync(&self.name())
                .map_err(|e| self.write_error(e))?;
        }
        Ok(())
    }

    /// Appends one record (buffered until the next `flush` or `sync`).
    pub fn append(&mut self, payload: &[u8]) -> Result<(), JournalError> {
        if payload.len() > frame::MAX_PAYLOAD {
            return Err(JournalError::TooLarge { len: payload.len() });
        }
        frame::encode(&mut self.buf, payload);
        Ok(())
    }

    /// Where the next record goes: (segment, byte offset), counting records
    /// appended but not yet written.
    pub fn position(&self) -> (u64, u64) {
        (self.number, self.size + self.buf.len() as u64)
    }

    fn name(&self) -> String {
        segment_name(self.number)
    }

    fn write_error(&self, error: io::Error) -> JournalError {
        JournalError::Write {
            path: self.storage.location(&self.name()),
            error,
        }
    }

    /// Hands the buffered records to the storage (no sync): on disk they
    /// survive the process being killed, not the machine losing power.
    /// Rolls to a new segment when the current one is full.
    pub fn flush(&mut self) -> Result<(), JournalError> {
        self.write_buffered()?;
        if self.size >= self.segment_bytes {
            self.roll()?;
        }
        Ok(())
    }

    fn write_buffered(&mut self) -> Result<(), JournalError> {
        if !self.buf.is_empty() {
            let name = self.name();
            self.storage
                .append(&name, &self.buf)
                .map_err(|e| self.write_error(e))?;
            self.size += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes the buffered records and syncs the segment: after this returns,
    /// they survive a crash. Rolls to a new segment when the current is full.
    pub fn sync(&mut self) -> Result<(), JournalError> {
        self.write_buffered()?;
        self.storage
            .sync(&self.name())
            .map_err(|e| self.write_error(e))?;
        if self.size >= self.segment_bytes {
            self.roll()?;
        }
        Ok(())
    }

    fn roll(&mut self) -> Result<(), JournalError> {
        // The full segment is made durable before the next one starts, so
        // only the newest segment can ever end torn.
        self.storage
            .sync(&self.name())
            .map_err(|e| self.write_error(e))?;
        self.number += 1;
        self.size = 0;
        self.begin_segment()
    }
}

/// The state of the log's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    Clean,
    /// The last record was cut short (in segment `segment`, at `offset`).
    Torn {
        segment: u64,
        offset: u64,
    },
    /// A record cannot be trusted; everything from it on is ignored.
    Corrupt {
        segment: u64,
        offset: u64,
    },
}

/// What `lexum journal inspect` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// (number, bytes, intact records) per segment.
    pub segments: Vec<(u64, u64, usize)>,
    pub snapshots: Vec<String>,
    pub records: Vec<Vec<u8>>,
    /// Where each record starts: (segment, offset), parallel to `records`.
    pub positions: Vec<(u64, u64)>,
    pub tail: Tail,
}

/// Reads every segment of the directory `dir` in order (see [`inspect_in`]).
pub fn inspect(dir: &Path) -> Result<Inspection, JournalError> {
    inspect_in(&FileStorage::new(dir))
}

/// Reads every segment in order, stopping at the first bad record.
pub fn inspect_in(storage: &dyn Storage) -> Result<Inspection, JournalError> {
    let segs = segments(storage)?;
    let snapshots = super::snapshot::list(storage);
    let mut out = Inspection {
        segments: Vec::new(),
        snapshots,
        records: Vec::new(),
        positions: Vec::new(),
        tail: Tail::Clean,
    };
    let last = segs.last().map(|(n, _)| *n);
    for (n, name) in segs {
        let bytes = storage
            .read(&name)
            .map_err(|error| JournalError::Directory {
                path: storage.location(&name),
                error,
            })?;
        let (frames, err) = frame::decode_all(&bytes);
        out.segments.push((n, bytes.len() as u64, frames.len()));
        out.positions.extend(frames.iter().map(|f| (n, f.offset)));
        out.records.extend(frames.into_iter().map(|f| f.payload));
        match err {
            None => {}
            // A torn record can only be the very end of the log; anywhere else
            // the log lost bytes it had acknowledged: corruption.
            Some(FrameError::Torn { offset }) if Some(n) == last => {
                out.tail = Tail::Torn { segment: n, offset };
                break;
            }
            Some(FrameError::Torn { offset }) | Some(FrameError::Corrupt { offset }) => {
                out.tail = Tail::Corrupt { segment: n, offset };
                break;
            }
        }
    }
    Ok(out)
}
