//! `--input events.jsonl`: external messages for `lexum run`, one JSON object
//! per line: `{"after": N, "send": "Domain.handler", "args": [...]}`, delivered
//! once N cycles have run (arguments in the trace's value encoding).
//! `lexum explore --inputs` reads the same lines, where `"until": M` widens
//! an input's arrival to any cycle from N to M.

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
    #[serde(default)]
    until: Option<Until>,
    send: String,
    #[serde(default)]
    args: Vec<serde_json::Value>,
}

/// `"until": M`, or `"until": "any"` for an input that may arrive at any
/// time after `after`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Until {
    Cycle(u64),
    Word(String),
}

pub type Inputs = Vec<(u64, HandlerId, Args)>;

/// Reads and checks an input file for `lexum run` (no windows); errors name
/// the line.
pub fn read(path: &str, program: &Program) -> Result<Inputs, Box<Diagnostic>> {
    let windows = read_windows(path, program)?;
    if let Some((n, ..)) = windows.iter().find(|(_, a)| a.until != a.after) {
        return Err(Box::new(Diagnostic::plain(
            Code::L002,
            format!("{path}:{n}: `until` is for `lexum explore`; `lexum run` delivers each input at one cycle"),
        )));
    }
    let mut out: Inputs = windows
        .into_iter()
        .map(|(_, a)| (a.after, a.handler, a.args))
        .collect();
    out.sort_by_key(|(after, ..)| *after);
    Ok(out)
}

/// Reads and checks an input file with arrival windows, in file order, each
/// with its line number.
pub fn read_windows(
    path: &str,
    program: &Program,
) -> Result<Vec<(usize, lexum::explore::Arrival)>, Box<Diagnostic>> {
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
        let until = match line.until {
            None => line.after,
            Some(Until::Cycle(n)) if n < lexum::explore::ANY_TIME => n,
            Some(Until::Word(w)) if w == "any" => lexum::explore::ANY_TIME,
            Some(_) => {
                return Err(bad(format!(
                    "`until` is a cycle count below {} or \"any\"",
                    lexum::explore::ANY_TIME
                )))
            }
        };
        if until < line.after {
            return Err(bad(format!(
                "`until` ({until}) is before `after` ({})",
                line.after
            )));
        }
        out.push((
            n,
            lexum::explore::Arrival {
                handler: h,
                args,
                after: line.after,
                until,
            },
        ));
    }
    Ok(out)
}
