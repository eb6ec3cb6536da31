//! The write-ahead journal's storage layer (LEXUM.md §5): framed records in
//! numbered segment files. A record is `length (u32 LE) · crc32 of the payload
//! (u32 LE) · payload`. Reading checks every frame and classifies the end of
//! the log: clean, torn (the last record was cut short: a crash mid-write) or
//! corrupt (a checksum or length that cannot be right). A torn or corrupt
//! record is never returned.
//!
//! On top: `run` (what is journaled: effect results, external inputs, the
//! ending), `snapshot` (checkpoints on disk, written in the background, which
//! bound the log) and `session` (a journaled run, resumed from the newest
//! usable snapshot). Every file goes through `storage` (a directory, memory,
//! or memory that simulates a crash at its N-th sync).

pub mod frame;
pub mod run;
pub mod segment;
pub mod session;
pub mod snapshot;
pub mod storage;

pub use frame::{Frame, FrameError};
pub use segment::{inspect, Inspection, JournalError, Tail, Writer};
pub use storage::{FileStorage, MemStorage, Storage};
