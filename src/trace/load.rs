//! Reading a trace back: every way a file can be bad has its own code
//! (T001 malformed or truncated, T002 unknown format or version, T003 a
//! program that does not check or does not match its hash).

use serde::Deserialize;

use super::format::{TraceFile, FORMAT, VERSION};
use crate::check::check_source;
use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::ir::Program;
use crate::value::json::from_json;

#[derive(Debug)]
pub struct TraceError {
    pub code: Code,
    pub message: String,
    /// The checker's reports, for T003.
    pub diagnostics: Vec<Diagnostic>,
}

impl TraceError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        TraceError {
            code,
            message: message.into(),
            diagnostics: Vec::new(),
        }
    }
}

impl TraceError {
    /// The error as data.
    pub fn diagnostic(&self) -> Diagnostic {
        Diagnostic::plain(self.code, self.message.clone())
    }
}

impl std::fmt::Display for TraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&crate::diag::render::render_line(&self.diagnostic()))
    }
}

/// A trace together with its program, checked again.
pub struct Loaded {
    pub trace: TraceFile,
    pub program: Program,
}

#[derive(Deserialize)]
struct Head {
    format: Option<String>,
    version: Option<u64>,
}

pub fn load(bytes: &[u8]) -> Result<Loaded, TraceError> {
    let trace: TraceFile = match serde_json::from_slice(bytes) {
        Ok(t) => t,
        Err(e) => {
            if let Ok(head) = serde_json::from_slice::<Head>(bytes) {
                if head.format.as_deref() != Some(FORMAT) || head.version != Some(VERSION) {
                    return Err(TraceError::new(
                        Code::T002,
                        format!(
                            "not a readable trace: format {:?}, version {:?} (this lexum reads format \"{FORMAT}\", version {VERSION})",
                            head.format.unwrap_or_default(),
                            head.version
                        ),
                    ));
                }
            }
            let what = if e.is_eof() {
                "the trace is truncated"
            } else {
                "the trace is not valid"
            };
            let mut msg = format!("{what}: {e}");
            if !bytes.trim_ascii_start().starts_with(b"{") {
                msg.push_str(" (a trace is the JSON file `lexum run FILE --trace trace.json` writes; to debug a program directly, `lexum debug FILE.lxm`)");
            }
            return Err(TraceError::new(Code::T001, msg));
        }
    };
    if trace.format != FORMAT || trace.version != VERSION {
        return Err(TraceError::new(
            Code::T002,
            format!(
                "not a readable trace: format {:?}, version {} (this lexum reads format \"{FORMAT}\", version {VERSION})",
                trace.format, trace.version
            ),
        ));
    }
    let hash = super::sha256_hex(trace.program.source.as_bytes());
    if hash != trace.program.hash {
        return Err(TraceError::new(
            Code::T003,
            format!(
                "the trace's program does not match its hash (recorded {}, computed {hash})",
                trace.program.hash
            ),
        ));
    }
    let checked = check_source(&trace.program.source);
    let Some(program) = checked.program else {
        let mut e = TraceError::new(Code::T003, "the trace's program does not check");
        e.diagnostics = checked.diagnostics;
        return Err(e);
    };
    well_typed(&trace, &program)?;
    Ok(Loaded { trace, program })
}

/// Refuses (T001) a trace whose values could not have come from its
/// program: an `initial` value missing or of the wrong type, an input to an
/// unknown handler or with ill-typed arguments. A replay never runs them.
fn well_typed(trace: &TraceFile, program: &Program) -> Result<(), TraceError> {
    let bad = |what: String| {
        Err(TraceError::new(
            Code::T001,
            format!("the trace is not valid: {what}"),
        ))
    };
    if trace.initial.len() != program.vars.len() {
        return bad(format!(
            "`initial` holds {} values for {} variables",
            trace.initial.len(),
            program.vars.len()
        ));
    }
    for (var, j) in program.vars.iter().zip(&trace.initial) {
        match from_json(j) {
            Some(v) if v.fits(&var.ty) => {}
            _ => {
                return bad(format!(
                    "the initial value of `{}` is {j}, not a {}",
                    var.qualified, var.ty
                ))
            }
        }
    }
    for (i, input) in trace.inputs.iter().enumerate() {
        let Some(h) = program.handlers.get(input.handler as usize) else {
            return bad(format!(
                "input {i} names handler {}, which the program lacks",
                input.handler
            ));
        };
        let fits = input.args.len() == h.params.len()
            && input
                .args
                .iter()
                .zip(&h.params)
                .all(|(a, (_, t))| from_json(a).is_some_and(|v| v.fits(t)));
        if !fits {
            return bad(format!(
                "input {i} to `{}` has arguments that do not fit its parameters",
                h.qualified
            ));
        }
    }
    Ok(())
}
