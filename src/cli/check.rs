//! `lexum check FILE...`: parse and check, print every diagnostic.

use std::io::Write;

use lexum::check::check_diagnostics;
use lexum::diag::render;
use serde_json::json;

use super::{exit, source, ColorChoice, Format};

/// At most this many reports per file are printed; the rest are counted.
const MAX_REPORTS: usize = 100;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Program files to check.
    #[arg(required = true)]
    files: Vec<String>,
    /// `text` (ariadne reports on stderr) or `json` (one document on stdout).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// When to colour reports.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

pub fn run(args: Args) -> i32 {
    let color = source::use_color(args.color);
    let mut errors = 0usize;
    let mut warnings = 0usize;
    let mut json_diags = Vec::new();
    let mut io_failed = false;
    let stderr = std::io::stderr();
    for path in &args.files {
        let file = match source::read(path) {
            Ok(f) => f,
            Err(d) => {
                super::report(&d);
                io_failed = true;
                continue;
            }
        };
        let mut diags = match &file.encoding_error {
            Some(d) => vec![d.clone()],
            None => check_diagnostics(&file.text),
        };
        let e = diags.iter().filter(|d| d.is_error()).count();
        errors += e;
        warnings += diags.len() - e;
        let hidden = diags.len().saturating_sub(MAX_REPORTS);
        diags.truncate(MAX_REPORTS);
        match args.format {
            Format::Json => json_diags.extend(render::to_json(&diags, &file.name, &file.text)),
            Format::Text => {
                let mut out = stderr.lock();
                let _ = out.write_all(
                    render::render_text(&diags, &file.name, &file.text, color).as_bytes(),
                );
                if hidden > 0 {
                    let _ = writeln!(out, "... and {hidden} more reports for `{}`", file.name);
                }
            }
        }
    }
    let failed = errors > 0 || (args.deny_warnings && warnings > 0);
    match args.format {
        Format::Json => {
            let doc = json!({
                "diagnostics": json_diags,
                "errors": errors,
                "warnings": warnings,
                "ok": !failed && !io_failed,
            });
            super::out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            ));
        }
        Format::Text => {
            let files = args.files.len();
            let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
            super::err(&format!(
                "{}: {} checked, {}, {}\n",
                if failed || io_failed { "failed" } else { "ok" },
                plural(files, "file"),
                plural(errors, "error"),
                plural(warnings, "warning")
            ));
        }
    }
    if io_failed {
        exit::USAGE
    } else if failed {
        exit::REJECTED
    } else {
        exit::OK
    }
}
