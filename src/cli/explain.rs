//! `lexum explain CODE`: the long explanation of a diagnostic code.

use lexum::codes::Code;

use super::exit;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A code such as E005; without one, every code is listed.
    code: Option<String>,
}

pub fn run(args: Args) -> i32 {
    match args.code {
        None => {
            for c in Code::ALL {
                super::out(&format!("{c}  {}\n", c.title()));
            }
            exit::OK
        }
        Some(text) => match text.parse::<Code>() {
            Ok(code) => {
                super::out(code.explain());
                exit::OK
            }
            Err(()) => {
                super::fail(
                    Code::L002,
                    format!("unknown code `{text}`; run `lexum explain` to list every code"),
                );
                exit::USAGE
            }
        },
    }
}
