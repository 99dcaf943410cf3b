//! The `fdcs-policy` binary: a thin shell over [`fdcs_cli`].
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    fdcs_cli::main()
}
