//! `lexum journal inspect DIR`: segments, snapshots, records, and whether the
//! log's tail is clean, torn or corrupt.

use std::path::Path;

use lexum::codes::Code;
use lexum::journal::{inspect, snapshot, Tail};

use super::exit;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// List snapshots and segments, count records, and check the tail.
    Inspect {
        /// The journal directory.
        dir: String,
    },
}

pub fn run(cmd: Command) -> i32 {
    let Command::Inspect { dir } = cmd;
    let found = match inspect(Path::new(&dir)) {
        Ok(i) => i,
        Err(e) => {
            super::err(&format!("{e}\n"));
            return exit::USAGE;
        }
    };
    let mut s = format!("journal {dir}\n");
    let storage = lexum::journal::FileStorage::new(Path::new(&dir));
    let mut latest = None;
    if found.snapshots.is_empty() {
        s.push_str("snapshots: none\n");
    } else {
        s.push_str("snapshots:\n");
        for f in &found.snapshots {
            match snapshot::read_header(&storage, f) {
                Ok((h, _)) => {
                    s.push_str(&format!(
                        "  {f}: cycle {}, run hash {}, covers the log to segment {} offset {}, {} detector records\n",
                        h.cycle, h.run_hash, h.mailbox.segment, h.mailbox.offset, h.detector.records
                    ));
                    latest = Some(h.mailbox);
                }
                Err(e) => s.push_str(&format!(
                    "  {f}: unusable ({}: {})\n",
                    Code::J006,
                    e.reason()
                )),
            }
        }
    }
    for (n, bytes, records) in &found.segments {
        s.push_str(&format!(
            "segment {n}: {bytes} bytes, {records} intact records\n"
        ));
    }
    match latest {
        Some(m) => {
            let after = found
                .positions
                .iter()
                .filter(|p| **p >= (m.segment, m.offset))
                .count();
            s.push_str(&format!(
                "records: {} ({after} after the latest usable snapshot)\n",
                found.records.len()
            ));
        }
        None => s.push_str(&format!("records: {}\n", found.records.len())),
    }
    let code = match found.tail {
        Tail::Clean => {
            s.push_str("tail: clean\n");
            exit::OK
        }
        Tail::Torn { segment, offset } => {
            s.push_str(&format!(
                "tail: torn (error[{}]: segment {segment} ends inside the record at offset {offset}; it was never acknowledged and is ignored)\n",
                Code::J003
            ));
            exit::REJECTED
        }
        Tail::Corrupt { segment, offset } => {
            s.push_str(&format!(
                "tail: corrupt (error[{}]: the record at offset {offset} of segment {segment} fails its checksum or length; it and everything after it are ignored)\n",
                Code::J004
            ));
            exit::REJECTED
        }
    };
    super::out(&s);
    code
}
