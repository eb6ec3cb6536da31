//! `lexum repl [FILE]`: rustyline on a terminal (multi-line input until
//! brackets balance, history, completion, highlighting, hints); plain
//! line-by-line reading otherwise, so sessions can be scripted.

use std::borrow::Cow;
use std::io::{BufRead, IsTerminal};

use lexum::repl::{balanced, Session, HELP};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};

use super::exit;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A program to load first.
    file: Option<String>,
}

const PROMPT: &str = "lexum> ";

pub fn run(args: Args) -> i32 {
    let mut session = Session::new();
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    session.color = tty && std::env::var_os("NO_COLOR").is_none();
    session.interactive = tty;
    if tty {
        session.progress = Some(Box::new(|c| {
            super::err(&format!("\r\x1b[2K… cycle {c}"));
        }));
    }
    if let Some(f) = &args.file {
        super::out(&session.load(f));
    }
    if tty {
        interactive(session)
    } else {
        scripted(session)
    }
}

/// Reads stdin line by line, echoing each complete input after the prompt.
/// An input is complete when its brackets balance, or at an empty line.
/// Bytes that are not UTF-8 are replaced, never fatal.
fn scripted(mut session: Session) -> i32 {
    let stdin = std::io::stdin();
    let mut lock = stdin.lock();
    let mut pending = String::new();
    let mut raw = Vec::new();
    loop {
        raw.clear();
        match lock.read_until(b'\n', &mut raw) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim_end_matches(['\n', '\r']);
        let blank = line.trim().is_empty();
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(line);
        if !balanced(&pending) && !blank {
            continue;
        }
        if pending.trim().is_empty() {
            pending.clear();
            continue;
        }
        let input = std::mem::take(&mut pending);
        let shown = input.replace('\n', "\n.....> ");
        super::out(&format!("{PROMPT}{shown}\n"));
        let trimmed = input.trim();
        if trimmed == ":quit" || trimmed == ":exit" {
            return exit::OK;
        }
        super::out(&session.eval(&input));
    }
    if !pending.trim().is_empty() {
        super::out(&format!("{PROMPT}{pending}\n"));
        super::out(&session.eval(&pending));
    }
    exit::OK
}

const KEYWORDS: &[&str] = &[
    "domain",
    "priority",
    "retry",
    "state",
    "goal",
    "repair",
    "invariant",
    "on",
    "effect",
    "let",
    "if",
    "else",
    "for",
    "in",
    "send",
    "after",
    "fail",
    "assert",
    "true",
    "false",
    "tick",
];

struct LexumHelper {
    names: Vec<String>,
}

impl Completer for LexumHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == ':'))
            .map(|i| i + 1)
            .unwrap_or(0);
        let word = &line[start..pos];
        let mut out: Vec<Pair> = Vec::new();
        let commands = HELP
            .iter()
            .filter_map(|(c, _)| c.split_whitespace().next())
            .filter(|c| c.starts_with(':'));
        for cand in commands
            .map(str::to_string)
            .chain(self.names.iter().cloned())
            .chain(KEYWORDS.iter().map(|k| k.to_string()))
        {
            if cand.starts_with(word)
                && !word.is_empty()
                && !out.iter().any(|p| p.replacement == cand)
            {
                out.push(Pair {
                    display: cand.clone(),
                    replacement: cand,
                });
            }
        }
        Ok((start, out))
    }
}

impl Hinter for LexumHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, _: &Context<'_>) -> Option<String> {
        if pos != line.len() || !line.starts_with(':') || line.contains(' ') {
            return None;
        }
        HELP.iter()
            .find(|(c, _)| c.split_whitespace().next() == Some(line))
            .and_then(|(c, _)| c.split_once(' ').map(|(_, args)| format!(" {args}")))
    }
}

impl Highlighter for LexumHelper {
    fn highlight<'l>(&self, line: &'l str, _: usize) -> Cow<'l, str> {
        let mut out = String::with_capacity(line.len() + 16);
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            if KEYWORDS.contains(&word.as_str()) {
                out.push_str(&format!("\x1b[1;35m{word}\x1b[0m"));
            } else if word.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                out.push_str(&format!("\x1b[36m{word}\x1b[0m"));
            } else {
                out.push_str(word);
            }
            word.clear();
        };
        for c in line.chars() {
            if c.is_ascii_alphanumeric() || c == '_' {
                word.push(c);
            } else {
                flush(&mut word, &mut out);
                out.push(c);
            }
        }
        flush(&mut word, &mut out);
        Cow::Owned(out)
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
    }

    fn highlight_char(&self, _: &str, _: usize, _: CmdKind) -> bool {
        true
    }
}

impl Validator for LexumHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if balanced(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

impl Helper for LexumHelper {}

fn history_path() -> Option<std::path::PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/share"))
        })?;
    Some(base.join("lexum").join("history"))
}

fn interactive(mut session: Session) -> i32 {
    let mut rl: Editor<LexumHelper, rustyline::history::DefaultHistory> = match Editor::new() {
        Ok(rl) => rl,
        Err(e) => {
            super::fail(
                lexum::codes::Code::L001,
                format!("cannot start the line editor: {e}"),
            );
            return exit::USAGE;
        }
    };
    rl.set_helper(Some(LexumHelper {
        names: session.names(),
    }));
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    super::out("Lexum REPL. :help lists the commands; Ctrl-D quits.\n");
    loop {
        match rl.readline(PROMPT) {
            Ok(input) => {
                if !input.trim().is_empty() {
                    let _ = rl.add_history_entry(input.as_str());
                }
                let t = input.trim();
                if t == ":quit" || t == ":exit" {
                    break;
                }
                let out = session.eval(&input);
                super::err("\r\x1b[2K");
                super::out(&out);
                if let Some(h) = rl.helper_mut() {
                    h.names = session.names();
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                super::fail(lexum::codes::Code::L001, format!("{e}"));
                break;
            }
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.save_history(h);
    }
    exit::OK
}
