//! The subprocess effect binding (`--effect NAME=COMMAND`): each call runs
//! `sh -c COMMAND` with `{"call_id": N, "effect": NAME, "args": [...]}` on
//! stdin (values encoded as in traces) and reads the result, one JSON value
//! of the effect's return type, from stdout. A non-zero exit, unreadable
//! output or a result of the wrong type is an effect error: the handler's
//! transaction fails and the retry rules apply. The call id is also in the
//! environment (`LEXUM_CALL_ID`, with `LEXUM_EFFECT`) so that the command can
//! deduplicate: after a crash the same call can come again with the same id.
//!
//! A command is bounded: it must exit and print its result within the
//! timeout (`--effect-timeout`, [`DEFAULT_TIMEOUT`]), and print at most
//! [`OUTPUT_LIMIT`] bytes. Past either, the command and everything it
//! started (its process group) is killed, and the call is an effect error,
//! so the retry rules apply. A command that exits but leaves a child
//! holding its output open is waited for only until the timeout.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a command may take, unless `--effect-timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The most a command may print on stdout (its result).
pub const OUTPUT_LIMIT: u64 = 16 << 20;
/// The most of a command's stderr that is read (its first line is reported).
const STDERR_LIMIT: u64 = 64 << 10;

use super::effects::{EffectError, Effects};
use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::ir;
use crate::value::json::{from_json, to_json};
use crate::value::Value;

/// Effects bound to commands; the rest go to `fallback`.
pub struct Subprocess {
    pub commands: BTreeMap<String, String>,
    pub fallback: Box<dyn Effects>,
    /// How long one call may take.
    pub timeout: Duration,
}

/// Parses `NAME=COMMAND` flags, checking each name against the program.
pub fn parse_bindings(
    flags: &[String],
    program: &ir::Program,
) -> Result<BTreeMap<String, String>, Box<Diagnostic>> {
    let usage = |m: String| Err(Box::new(Diagnostic::plain(Code::L002, m)));
    let mut out = BTreeMap::new();
    for f in flags {
        let Some((name, cmd)) = f.split_once('=') else {
            return usage(format!("--effect takes NAME=COMMAND, found `{f}`"));
        };
        if !program.effects.iter().any(|e| e.name == name) {
            return usage(format!(
                "--effect names `{name}`, which the program does not declare"
            ));
        }
        if cmd.trim().is_empty() {
            return usage(format!("--effect {name}= has no command"));
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
    ) -> Result<Value, EffectError> {
        let input = serde_json::json!({
            "call_id": call_id,
            "effect": effect.name,
            "args": args.iter().map(to_json).collect::<Vec<_>>(),
        });
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(cmd)
            .env("LEXUM_CALL_ID", call_id.to_string())
            .env("LEXUM_EFFECT", &effect.name)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // Its own process group, so that everything it starts can be killed.
            command.process_group(0);
        }
        let mut child = command.spawn().map_err(|e| EffectError::Start {
            command: cmd.to_string(),
            error: e.to_string(),
        })?;
        let deadline = Instant::now() + self.timeout;
        let (tx, rx) = mpsc::channel::<(bool, Vec<u8>)>();
        if let Some(mut stdin) = child.stdin.take() {
            // In a thread: a command that does not read its input must not
            // block the run (and a closed pipe is not an error).
            let text = input.to_string();
            std::thread::spawn(move || {
                let _ = stdin.write_all(text.as_bytes());
            });
        }
        for (is_out, pipe, limit) in [
            (
                true,
                child
                    .stdout
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
                OUTPUT_LIMIT,
            ),
            (
                false,
                child
                    .stderr
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
                STDERR_LIMIT,
            ),
        ] {
            let tx = tx.clone();
            if let Some(pipe) = pipe {
                std::thread::spawn(move || {
                    let mut buf = Vec::new();
                    let _ = pipe.take(limit + 1).read_to_end(&mut buf);
                    let _ = tx.send((is_out, buf));
                });
            } else {
                let _ = tx.send((is_out, Vec::new()));
            }
        }
        drop(tx);
        let (mut stdout, mut stderr) = (None, None);
        let mut status = None;
        let mut pause = Duration::from_micros(200);
        let kill = |child: &mut std::process::Child| {
            #[cfg(unix)]
            // SAFETY: kill(2) on the child's process group; no memory is involved.
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            let _ = child.kill();
            let _ = child.wait();
        };
        loop {
            while let Ok((is_out, buf)) = rx.try_recv() {
                if is_out {
                    stdout = Some(buf);
                } else {
                    stderr = Some(buf);
                }
            }
            if stdout
                .as_ref()
                .is_some_and(|b| b.len() as u64 > OUTPUT_LIMIT)
            {
                kill(&mut child);
                return Err(EffectError::TooMuchOutput {
                    effect: effect.name.clone(),
                    limit: OUTPUT_LIMIT,
                });
            }
            if status.is_none() {
                status = child.try_wait().map_err(|e| EffectError::Command {
                    command: cmd.to_string(),
                    error: e.to_string(),
                })?;
            }
            if status.is_some() && stdout.is_some() && stderr.is_some() {
                break;
            }
            if Instant::now() >= deadline {
                kill(&mut child);
                return Err(EffectError::Timeout {
                    effect: effect.name.clone(),
                    ms: self.timeout.as_millis(),
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
        let (Some(code), Some(stdout), Some(stderr)) = (status, stdout, stderr) else {
            return Err(EffectError::Lost {
                effect: effect.name.clone(),
            });
        };
        let out = std::process::Output {
            status: code,
            stdout,
            stderr,
        };
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            let why = why.lines().next().unwrap_or("").trim();
            let effect = effect.name.clone();
            return Err(match out.status.code() {
                Some(status) => EffectError::Exit {
                    effect,
                    status,
                    why: why.to_string(),
                },
                None => EffectError::Signal { effect },
            });
        }
        let json: serde_json::Value =
            serde_json::from_slice(&out.stdout).map_err(|_| EffectError::NoJson {
                effect: effect.name.clone(),
            })?;
        let v = from_json(&json).ok_or_else(|| EffectError::NotAValue {
            effect: effect.name.clone(),
        })?;
        match (&v, &effect.ret) {
            (Value::Map(m), crate::types::Type::Set(_)) if m.is_empty() => {
                Ok(Value::set(im::OrdSet::new()))
            }
            _ if v.fits(&effect.ret) => Ok(v),
            _ => Err(EffectError::WrongType {
                effect: effect.name.clone(),
                value: v,
            }),
        }
    }
}

impl Effects for Subprocess {
    fn call(
        &mut self,
        call_id: u64,
        effect: &ir::Effect,
        args: &[Value],
    ) -> Result<Value, EffectError> {
        match self.commands.get(&effect.name) {
            Some(cmd) => self.run(cmd, call_id, effect, args),
            None => self.fallback.call(call_id, effect, args),
        }
    }
}
