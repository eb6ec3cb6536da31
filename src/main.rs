//! The `lexum` command: one subcommand per capability, each in `cli/`.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
