//! `lexum journal inspect DIR`: segments, snapshots, records, and whether the
//! log's tail is clean, torn or corrupt.

use std::path::Path;

use lexum::codes::Code;
use lexum::journal::{inspect, Tail};

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
    if found.snapshots.is_empty() {
        s.push_str("snapshots: none\n");
    } else {
        s.push_str(&format!("snapshots: {}\n", found.snapshots.join(", ")));
    }
    for (n, bytes, records) in &found.segments {
        s.push_str(&format!(
            "segment {n}: {bytes} bytes, {records} intact records\n"
        ));
    }
    s.push_str(&format!("records: {}\n", found.records.len()));
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
