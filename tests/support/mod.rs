//! Shared helpers for the end-to-end tests: run the real binary, compare
//! against golden files (regenerated with `LEXUM_BLESS=1`).

#![allow(dead_code)]

pub mod generate;
pub mod pty;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `lexum ARGS` from the repository root with colours off.
pub fn lexum(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lexum"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the lexum binary runs")
}

pub fn blessing() -> bool {
    std::env::var_os("LEXUM_BLESS").is_some()
}

/// Compares `actual` with the golden file, or rewrites it when blessing.
/// Returns a description of the mismatch, if any.
pub fn golden(path: &Path, actual: &str) -> Option<String> {
    if blessing() {
        std::fs::write(path, actual).expect("write golden file");
        return None;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected == actual {
        None
    } else {
        Some(format!(
            "--- {} (expected)\n{expected}\n+++ actual\n{actual}\n(rerun with LEXUM_BLESS=1 to accept)",
            path.display()
        ))
    }
}

/// Every file with the extension under `dir`, sorted.
pub fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
        .collect();
    v.sort();
    v
}

/// The ```lexum code blocks of a Markdown file.
pub fn lexum_snippets(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in markdown.lines() {
        match &mut cur {
            None if line.trim_start().starts_with("```lexum") => cur = Some(String::new()),
            Some(_) if line.trim_start().starts_with("```") => {
                out.push(cur.take().unwrap_or_default())
            }
            Some(s) => {
                s.push_str(line);
                s.push('\n');
            }
            None => {}
        }
    }
    out
}

/// Every file of a directory, by name, with its bytes: two calls compare
/// equal only if nothing in the directory was written in between.
pub fn dir_contents(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("the directory reads")
        .filter_map(|e| e.ok())
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).expect("the file reads"),
            )
        })
        .collect()
}

/// The journal tests' program: each repair calls an effect once, until
/// `made` results were used.
pub fn counter_program(made: u32) -> String {
    format!(
        "effect cloud.create_node(size: Str) -> Int
domain P retry 5 {{
  state made: Int = 0
  state sum: Int = 0
  goal done: made >= {made}
    repair {{
      let id = cloud.create_node(\"m5\")
      sum = (sum + id) % 1000003
      made += 1
    }}
}}
"
    )
}

/// `lexum run` on a program given as text (written to a scratch file named
/// after `name`): the exit code and stdout.
pub fn run_source(name: &str, src: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("lexum-src-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.lxm"));
    std::fs::write(&path, src).unwrap();
    let out = lexum(&["run", path.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(dir);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}
