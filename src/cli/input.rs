//! `--input events.jsonl`: external messages for `lexum run`, one JSON object
//! per line: `{"after": N, "send": "Domain.handler", "args": [...]}`, delivered
//! once N cycles have run (arguments in the trace's value encoding).

use lexum::codes::Code;
use lexum::diag::Diagnostic;
use lexum::ir::{HandlerId, Program};
use lexum::runtime::queue::Args;
use lexum::value::json::from_json;
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
        let Some(h) = program
            .handlers
            .iter()
            .position(|h| h.qualified == line.send)
        else {
            return Err(bad(format!("no handler `{}`", line.send)));
        };
        let params = &program.handlers[h].params;
        if params.len() != line.args.len() {
            return Err(bad(format!(
                "`{}` takes {} arguments, found {}",
                line.send,
                params.len(),
                line.args.len()
            )));
        }
        let mut args = Args::new();
        for (j, ((pname, pty), a)) in params.iter().zip(&line.args).enumerate() {
            let v =
                from_json(a).ok_or_else(|| bad(format!("argument {} is not a value", j + 1)))?;
            if !v.fits(pty) {
                return Err(bad(format!("argument `{pname}` must be {pty}, found {v}")));
            }
            args.push(v);
        }
        out.push((line.after, h as HandlerId, args));
    }
    out.sort_by_key(|(after, ..)| *after);
    Ok(out)
}
