//! `--input events.jsonl`: external messages for `lexum run`, one JSON object
//! per line: `{"after": N, "send": "Domain.handler", "args": [...]}`, delivered
//! once N cycles have run (arguments in the trace's value encoding).

use lexum::codes::Code;
use lexum::diag::Diagnostic;
use lexum::ir::{HandlerId, Program};
use lexum::runtime::queue::Args;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    #[serde(default)]
    after: u64,
    send: String,
    #[serde(default)]
    args: Vec<serde_json::Value>,
}

pub type Inputs = Vec<(u64, HandlerId, Args)>;

/// Reads and checks an input file; errors name the line.
pub fn read(path: &str, program: &Program) -> Result<Inputs, Box<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Box::new(Diagnostic::plain(
            Code::L001,
            format!("cannot read `{path}`: {e}"),
        ))
    })?;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let bad =
            |why: String| Box::new(Diagnostic::plain(Code::L002, format!("{path}:{n}: {why}")));
        let line: Line = serde_json::from_str(raw).map_err(|e| {
            bad(format!(
                "{e}; a line is {{\"after\": N, \"send\": \"Domain.handler\", \"args\": [...]}}"
            ))
        })?;
        let (h, args) = lexum::runtime::drive::external_message(program, &line.send, &line.args)
            .map_err(|e| bad(e.to_string()))?;
        out.push((line.after, h, args));
    }
    out.sort_by_key(|(after, ..)| *after);
    Ok(out)
}
