//! Segments: `DIR/NNNNNNNNNNNNNNNNNNNN.wal`, numbered from 1, appended in
//! order; a new segment starts when the current one passes the size limit.
//! `Writer` appends (and syncs per policy); `inspect` reads everything back.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::frame::{self, FrameError};
use crate::codes::Code;

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

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            JournalError::Directory { path, error } => {
                write!(
                    f,
                    "error[{}]: cannot use the journal directory `{}`: {error}",
                    self.code(),
                    path.display()
                )
            }
            JournalError::Write { path, error } => {
                write!(
                    f,
                    "error[{}]: cannot write the journal segment `{}`: {error}",
                    self.code(),
                    path.display()
                )
            }
            JournalError::TooLarge { len } => write!(
                f,
                "error[{}]: a journal record of {len} bytes exceeds the limit of {} bytes",
                self.code(),
                frame::MAX_PAYLOAD
            ),
        }
    }
}

/// The name of segment `n`.
pub fn segment_name(n: u64) -> String {
    format!("{n:020}.wal")
}

fn segment_number(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    name.strip_suffix(".wal")?.parse().ok()
}

/// The segments in `dir`, in order.
pub fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, JournalError> {
    let entries = fs::read_dir(dir).map_err(|error| JournalError::Directory {
        path: dir.to_path_buf(),
        error,
    })?;
    let mut out: Vec<(u64, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| segment_number(&p).map(|n| (n, p)))
        .collect();
    out.sort();
    Ok(out)
}

/// Appends framed records to the newest segment, starting a new one past
/// `segment_bytes`. `sync` makes everything appended so far durable.
/// Makes the first record of segment `n` (a journal names its run and the
/// segment's place in every segment this way).
pub type Header = Box<dyn Fn(u64) -> Vec<u8> + Send>;

pub struct Writer {
    header: Option<Header>,
    dir: PathBuf,
    number: u64,
    file: File,
    size: u64,
    segment_bytes: u64,
    buf: Vec<u8>,
}

impl Writer {
    /// Opens (creating the directory if needed) and appends after the last
    /// segment's intact records. A torn tail is cut off first: it was never
    /// acknowledged, since a record counts only once synced whole.
    pub fn open(dir: &Path, segment_bytes: u64) -> Result<Writer, JournalError> {
        Self::open_with(dir, segment_bytes, None)
    }

    /// [`Writer::open`], starting every new segment (and an empty last one)
    /// with `header(n)`.
    pub fn open_with(
        dir: &Path,
        segment_bytes: u64,
        header: Option<Header>,
    ) -> Result<Writer, JournalError> {
        fs::create_dir_all(dir).map_err(|error| JournalError::Directory {
            path: dir.to_path_buf(),
            error,
        })?;
        let existing = segments(dir)?;
        let (number, path) = match existing.last() {
            Some((n, p)) => (*n, p.clone()),
            None => (1, dir.join(segment_name(1))),
        };
        let werr = |error| JournalError::Write {
            path: path.clone(),
            error,
        };
        let bytes = fs::read(&path).unwrap_or_default();
        let (frames, _) = frame::decode_all(&bytes);
        let good = frames
            .last()
            .map(|f| f.offset + (frame::HEADER + f.payload.len()) as u64)
            .unwrap_or(0);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(werr)?;
        file.set_len(good).map_err(werr)?;
        let mut w = Writer {
            header,
            dir: dir.to_path_buf(),
            number,
            file,
            size: good,
            segment_bytes,
            buf: Vec::new(),
        };
        if good == 0 {
            w.begin_segment()?;
        }
        Ok(w)
    }

    /// Writes the header of the current (empty) segment, if there is one, at
    /// once: positions handed out later (to snapshots) count it, so it must
    /// be in the file even if the process dies before the next record.
    fn begin_segment(&mut self) -> Result<(), JournalError> {
        if let Some(h) = &self.header {
            let payload = h(self.number);
            let held = std::mem::take(&mut self.buf);
            self.append(&payload)?;
            self.write_buffered()?;
            self.buf = held;
        }
        Ok(())
    }

    /// Appends one record (buffered until the next `sync`).
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

    fn path(&self) -> PathBuf {
        self.dir.join(segment_name(self.number))
    }

    /// Hands the buffered records to the operating system (no fsync): they
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
            let path = self.path();
            self.file
                .write_all(&self.buf)
                .map_err(|error| JournalError::Write { path, error })?;
            self.size += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes the buffered records and fsyncs the segment: after this returns,
    /// they survive a crash. Rolls to a new segment when the current is full.
    pub fn sync(&mut self) -> Result<(), JournalError> {
        self.write_buffered()?;
        let path = self.path();
        self.file
            .sync_data()
            .map_err(|error| JournalError::Write { path, error })?;
        if self.size >= self.segment_bytes {
            self.roll()?;
        }
        Ok(())
    }

    fn roll(&mut self) -> Result<(), JournalError> {
        let path = self.path();
        // The full segment is made durable before the next one starts, so
        // only the newest segment can ever end torn.
        self.file
            .sync_data()
            .map_err(|error| JournalError::Write { path, error })?;
        self.number += 1;
        let next = self.path();
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&next)
            .map_err(|error| JournalError::Write {
                path: next.clone(),
                error,
            })?;
        self.size = 0;
        // The new name must be durable too.
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
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

/// Reads every segment in order, stopping at the first bad record.
pub fn inspect(dir: &Path) -> Result<Inspection, JournalError> {
    let segs = segments(dir)?;
    let mut snapshots: Vec<String> = fs::read_dir(dir)
        .map_err(|error| JournalError::Directory {
            path: dir.to_path_buf(),
            error,
        })?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.ends_with(".snapshot.json"))
        .collect();
    snapshots.sort();
    let mut out = Inspection {
        segments: Vec::new(),
        snapshots,
        records: Vec::new(),
        positions: Vec::new(),
        tail: Tail::Clean,
    };
    let last = segs.last().map(|(n, _)| *n);
    for (n, path) in segs {
        let bytes = fs::read(&path).map_err(|error| JournalError::Directory {
            path: path.clone(),
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
