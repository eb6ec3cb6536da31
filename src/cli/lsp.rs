//! `lexum lsp`: the language server over standard input and output
//! (`lexum::lsp`; docs/editors.md).

use super::exit;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Accepted for editors that pass it; standard input and output are
    /// the only transport.
    #[arg(long)]
    stdio: bool,
}

pub fn run(_args: Args) -> i32 {
    match lexum::lsp::serve() {
        Ok(()) => exit::OK,
        Err(e) => {
            super::fail(
                lexum::Code::L001,
                format!("the language server stopped: {e}"),
            );
            exit::USAGE
        }
    }
}
