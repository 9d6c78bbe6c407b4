//! `crew-host`: compile, inspect and run CREW packages. Exit codes: 0 ok, 1 device/runtime
//! error, 2 model/package/build error (and usage errors), 3 environment problem.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
