//! Every stable code Lexum reports, with its one-line title and long explanation.
//! Codes never change meaning; `lexum explain CODE` prints the long text, which
//! lives in `docs/codes/CODE.md` so the reference and the binary say the same.

use std::fmt;
use std::str::FromStr;

/// A stable diagnostic code. The variant name is the code users see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    E001,
    E002,
    E003,
    E004,
    E005,
    E006,
    E007,
    E008,
    E009,
    W101,
    L001,
    L002,
    T001,
    T002,
    T003,
    T004,
    T005,
    T006,
    J001,
    J002,
    J003,
    J004,
    J005,
    J006,
    J007,
    S001,
    S002,
    S003,
    S004,
    S005,
    S006,
}

impl Code {
    pub const ALL: [Code; 31] = [
        Code::E001,
        Code::E002,
        Code::E003,
        Code::E004,
        Code::E005,
        Code::E006,
        Code::E007,
        Code::E008,
        Code::E009,
        Code::W101,
        Code::L001,
        Code::L002,
        Code::T001,
        Code::T002,
        Code::T003,
        Code::T004,
        Code::T005,
        Code::T006,
        Code::J001,
        Code::J002,
        Code::J003,
        Code::J004,
        Code::J005,
        Code::J006,
        Code::J007,
        Code::S001,
        Code::S002,
        Code::S003,
        Code::S004,
        Code::S005,
        Code::S006,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::E001 => "E001",
            Code::E002 => "E002",
            Code::E003 => "E003",
            Code::E004 => "E004",
            Code::E005 => "E005",
            Code::E006 => "E006",
            Code::E007 => "E007",
            Code::E008 => "E008",
            Code::E009 => "E009",
            Code::W101 => "W101",
            Code::L001 => "L001",
            Code::L002 => "L002",
            Code::T001 => "T001",
            Code::T002 => "T002",
            Code::T003 => "T003",
            Code::T004 => "T004",
            Code::T005 => "T005",
            Code::T006 => "T006",
            Code::J001 => "J001",
            Code::J002 => "J002",
            Code::J003 => "J003",
            Code::J004 => "J004",
            Code::J005 => "J005",
            Code::J006 => "J006",
            Code::J007 => "J007",
            Code::S001 => "S001",
            Code::S002 => "S002",
            Code::S003 => "S003",
            Code::S004 => "S004",
            Code::S005 => "S005",
            Code::S006 => "S006",
        }
    }

    /// Warnings do not reject a program (unless `--deny-warnings`).
    /// Warnings: reported, and the run or check goes on (a torn last
    /// record, a skipped snapshot, a possible livelock).
    pub fn is_warning(self) -> bool {
        matches!(self, Code::W101 | Code::J003 | Code::J006)
    }

    pub fn title(self) -> &'static str {
        match self {
            Code::E001 => "syntax error",
            Code::E002 => "unknown name, wrong arity or wrong type",
            Code::E003 => "impure goal or invariant",
            Code::E004 => "write to state another domain owns",
            Code::E005 => "oscillation: the run provably loops forever",
            Code::E006 => "stuck or out of budget",
            Code::E007 => "retries exhausted",
            Code::E008 => "the initial state breaks an invariant",
            Code::E009 => "a goal's predicate fails",
            Code::W101 => "possible livelock between equal-priority goals",
            Code::L001 => "cannot read an input file",
            Code::L002 => "invalid command-line usage",
            Code::T001 => "the trace is not valid JSON (malformed or truncated)",
            Code::T002 => "the trace has an unknown format or version",
            Code::T003 => "the trace's program does not check, or its hash does not match",
            Code::T004 => "replay diverges from the trace",
            Code::T005 => "the trace's result or run hash does not match the replay",
            Code::T006 => "no such cycle in the trace",
            Code::J001 => "the journal directory is missing or unreadable",
            Code::J002 => "the journal cannot be written",
            Code::J003 => "the journal's last record is torn",
            Code::J004 => "a journal record is corrupt",
            Code::J005 => "the journal belongs to another program or other settings",
            Code::J006 => "a snapshot is unusable",
            Code::J007 => "the journal is in use by another process",
            Code::S001 => "a request to the server is invalid",
            Code::S002 => "a request to the server lacks the right token",
            Code::S003 => "the server is stopping",
            Code::S004 => "this node is not the cluster's leader, or the write was not committed",
            Code::S005 => "a peer of another cluster, or a node that runs another program",
            Code::S006 => "the nodes of a cluster diverged",
        }
    }

    /// The long explanation, with a wrong and a right example.
    pub fn explain(self) -> &'static str {
        match self {
            Code::E001 => include_str!("../docs/codes/E001.md"),
            Code::E002 => include_str!("../docs/codes/E002.md"),
            Code::E003 => include_str!("../docs/codes/E003.md"),
            Code::E004 => include_str!("../docs/codes/E004.md"),
            Code::E005 => include_str!("../docs/codes/E005.md"),
            Code::E006 => include_str!("../docs/codes/E006.md"),
            Code::E007 => include_str!("../docs/codes/E007.md"),
            Code::E008 => include_str!("../docs/codes/E008.md"),
            Code::E009 => include_str!("../docs/codes/E009.md"),
            Code::W101 => include_str!("../docs/codes/W101.md"),
            Code::L001 => include_str!("../docs/codes/L001.md"),
            Code::L002 => include_str!("../docs/codes/L002.md"),
            Code::T001 => include_str!("../docs/codes/T001.md"),
            Code::T002 => include_str!("../docs/codes/T002.md"),
            Code::T003 => include_str!("../docs/codes/T003.md"),
            Code::T004 => include_str!("../docs/codes/T004.md"),
            Code::T005 => include_str!("../docs/codes/T005.md"),
            Code::T006 => include_str!("../docs/codes/T006.md"),
            Code::J001 => include_str!("../docs/codes/J001.md"),
            Code::J002 => include_str!("../docs/codes/J002.md"),
            Code::J003 => include_str!("../docs/codes/J003.md"),
            Code::J004 => include_str!("../docs/codes/J004.md"),
            Code::J005 => include_str!("../docs/codes/J005.md"),
            Code::J006 => include_str!("../docs/codes/J006.md"),
            Code::J007 => include_str!("../docs/codes/J007.md"),
            Code::S001 => include_str!("../docs/codes/S001.md"),
            Code::S002 => include_str!("../docs/codes/S002.md"),
            Code::S003 => include_str!("../docs/codes/S003.md"),
            Code::S004 => include_str!("../docs/codes/S004.md"),
            Code::S005 => include_str!("../docs/codes/S005.md"),
            Code::S006 => include_str!("../docs/codes/S006.md"),
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Code {
    type Err = ();
    fn from_str(s: &str) -> Result<Code, ()> {
        let up = s.trim().to_ascii_uppercase();
        Code::ALL.into_iter().find(|c| c.as_str() == up).ok_or(())
    }
}
