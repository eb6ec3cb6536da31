//! Reading a program file: bytes that are not UTF-8 become an E001 report,
//! an unreadable path an L001 error.

use lexum::codes::Code;
use lexum::diag::Diagnostic;
use lexum::syntax::span::span;

/// A program's text as read from disk, with the diagnostic for a bad encoding.
pub struct SourceFile {
    pub name: String,
    pub text: String,
    pub encoding_error: Option<Diagnostic>,
}

pub fn read(path: &str) -> Result<SourceFile, Box<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|e| {
        Box::new(Diagnostic::plain(
            Code::L001,
            format!("cannot read `{path}`: {e}"),
        ))
    })?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => SourceFile {
            name: path.to_string(),
            text,
            encoding_error: None,
        },
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // Lossy decoding keeps everything before the first bad byte in place.
            let end = text[at..]
                .chars()
                .next()
                .map(|c| at + c.len_utf8())
                .unwrap_or(at);
            SourceFile {
                name: path.to_string(),
                encoding_error: Some(
                    Diagnostic::new(Code::E001, span(at, end), "the file is not valid UTF-8")
                        .with_label(format!("invalid byte at offset {at}"))
                        .with_help("Lexum programs are UTF-8 text"),
                ),
                text,
            }
        }
    })
}

/// Reads and checks a program file for the commands that run it: its
/// diagnostics go to stderr and the exit code comes back (USAGE when it
/// cannot be read, REJECTED when it does not check).
pub fn checked(path: &str, color: bool) -> Result<(SourceFile, lexum::ir::Program), i32> {
    use crate::cli::exit;
    use lexum::diag::render;
    let file = read(path).map_err(|d| {
        crate::cli::report(&d);
        exit::USAGE
    })?;
    let checked = match &file.encoding_error {
        Some(d) => {
            crate::cli::err(&render::render_text(
                std::slice::from_ref(d),
                &file.name,
                &file.text,
                color,
            ));
            return Err(exit::REJECTED);
        }
        None => lexum::check::check_source(&file.text),
    };
    match checked.program {
        Some(program) => Ok((file, program)),
        None => {
            crate::cli::err(&render::render_text(
                &checked.diagnostics,
                &file.name,
                &file.text,
                color,
            ));
            Err(exit::REJECTED)
        }
    }
}

/// Colour only when asked, or when writing to a terminal and `NO_COLOR` is unset.
pub fn use_color(choice: crate::cli::ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        crate::cli::ColorChoice::Always => true,
        crate::cli::ColorChoice::Never => false,
        crate::cli::ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
        }
    }
}
