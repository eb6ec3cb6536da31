//! The subprocess effect binding (`--effect NAME=COMMAND`): each call runs
//! `sh -c COMMAND` with `{"call_id": N, "effect": NAME, "args": [...]}` on
//! stdin (values encoded as in traces) and reads the result, one JSON value
//! of the effect's return type, from stdout. A non-zero exit, unreadable
//! output or a result of the wrong type is an effect error: the handler's
//! transaction fails and the retry rules apply. The call id is also in the
//! environment (`LEXUM_CALL_ID`, with `LEXUM_EFFECT`) so that the command can
//! deduplicate: after a crash the same call can come again with the same id.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use super::eval::Effects;
use crate::ir;
use crate::trace::json::{from_json, to_json};
use crate::value::Value;

/// Effects bound to commands; the rest go to `fallback`.
pub struct Subprocess {
    pub commands: BTreeMap<String, String>,
    pub fallback: Box<dyn Effects>,
}

/// Parses `NAME=COMMAND` flags, checking each name against the program.
pub fn parse_bindings(
    flags: &[String],
    program: &ir::Program,
) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for f in flags {
        let Some((name, cmd)) = f.split_once('=') else {
            return Err(format!(
                "error[L002]: --effect takes NAME=COMMAND, found `{f}`"
            ));
        };
        if !program.effects.iter().any(|e| e.name == name) {
            return Err(format!(
                "error[L002]: --effect names `{name}`, which the program does not declare"
            ));
        }
        if cmd.trim().is_empty() {
            return Err(format!("error[L002]: --effect {name}= has no command"));
        }
        out.insert(name.to_string(), cmd.to_string());
    }
    Ok(out)
}

impl Subprocess {
    fn run(
        &self,
        cmd: &str,
        call_id: u64,
        effect: &ir::Effect,
        args: &[Value],
    ) -> Result<Value, String> {
        let input = serde_json::json!({
            "call_id": call_id,
            "effect": effect.name,
            "args": args.iter().map(to_json).collect::<Vec<_>>(),
        });
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .env("LEXUM_CALL_ID", call_id.to_string())
            .env("LEXUM_EFFECT", &effect.name)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start `{cmd}`: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A command that does not read its input closes the pipe: not an error.
            let _ = stdin.write_all(input.to_string().as_bytes());
        }
        let out = child
            .wait_with_output()
            .map_err(|e| format!("`{cmd}` failed: {e}"))?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            let why = why.lines().next().unwrap_or("").trim();
            return Err(match out.status.code() {
                Some(c) => format!(
                    "`{}` exited with status {c}{}{why}",
                    effect.name,
                    if why.is_empty() { "" } else { ": " }
                ),
                None => format!("`{}` was killed by a signal", effect.name),
            });
        }
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|_| format!("`{}` printed no JSON result", effect.name))?;
        let v = from_json(&json)
            .ok_or_else(|| format!("`{}` printed something that is not a value", effect.name))?;
        match (&v, &effect.ret) {
            (Value::Map(m), crate::types::Type::Set(_)) if m.is_empty() => {
                Ok(Value::set(im::OrdSet::new()))
            }
            _ if v.fits(&effect.ret) => Ok(v),
            _ => Err(format!(
                "`{}` returned {v}, which is not of its declared type",
                effect.name
            )),
        }
    }
}

impl Effects for Subprocess {
    fn call(&mut self, call_id: u64, effect: &ir::Effect, args: &[Value]) -> Result<Value, String> {
        match self.commands.get(&effect.name) {
            Some(cmd) => self.run(cmd, call_id, effect, args),
            None => self.fallback.call(call_id, effect, args),
        }
    }
}
