//! `lexum fmt [FILE...] [--check]`: formats programs in place (or standard
//! input to standard output), in the one layout of `lexum::format`.

use std::io::Read;

use lexum::diag::render;

use super::{exit, source, ColorChoice};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Program files to format in place (standard input to standard
    /// output when none is given).
    files: Vec<String>,
    /// Change nothing: list the files that are not formatted, and exit 1
    /// if there is one (for CI).
    #[arg(long)]
    check: bool,
    /// When to colour reports.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

pub fn run(args: Args) -> i32 {
    let color = source::use_color(args.color);
    if args.files.is_empty() {
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            super::fail(
                lexum::Code::L001,
                format!("cannot read standard input: {e}"),
            );
            return exit::USAGE;
        }
        return match lexum::format::format_source(&text) {
            Ok(out) if args.check && out != text => {
                super::out("<stdin>\n");
                exit::REJECTED
            }
            Ok(_) if args.check => exit::OK,
            Ok(out) => {
                super::out(&out);
                exit::OK
            }
            Err(diags) => {
                super::err(&render::render_text(&diags, "<stdin>", &text, color));
                exit::REJECTED
            }
        };
    }
    let mut code = exit::OK;
    for path in &args.files {
        let file = match source::read(path) {
            Ok(f) => f,
            Err(d) => {
                super::report(&d);
                code = exit::USAGE;
                continue;
            }
        };
        if let Some(d) = &file.encoding_error {
            super::err(&render::render_text(
                std::slice::from_ref(d),
                &file.name,
                &file.text,
                color,
            ));
            code = code.max(exit::REJECTED);
            continue;
        }
        let formatted = match lexum::format::format_source(&file.text) {
            Ok(f) => f,
            Err(diags) => {
                super::err(&render::render_text(&diags, &file.name, &file.text, color));
                code = code.max(exit::REJECTED);
                continue;
            }
        };
        if formatted == file.text {
            continue;
        }
        if args.check {
            super::out(&format!("{path}\n"));
            code = code.max(exit::REJECTED);
        } else if let Err(e) = std::fs::write(path, formatted) {
            super::fail(lexum::Code::L001, format!("cannot write `{path}`: {e}"));
            code = exit::USAGE;
        }
    }
    code
}
