//! Traces: the record of a run that `lexum replay` verifies and `lexum debug`
//! opens. `record` writes one while a run goes; `load` reads one back with a
//! coded error for every way a file can be bad; `replay` re-executes it.

pub mod format;
pub mod history;
pub mod load;
pub mod record;
pub mod replay;
pub mod wire;

use sha2::{Digest, Sha256};

/// sha256 of some bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
