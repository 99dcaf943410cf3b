//! Every command that prints answers a failed stdout the same way
//! (ripgrep's rule): a reader that went away (`| head`) is exit 0 with
//! nothing on stderr, any other write error (a full disk) is exit 2 with
//! `cannot write to stdout: ...`. `test`, `explain` and `completions`
//! printed with `println!` or clap_complete's writer before, which panic
//! (exit 101 and a backtrace) on both. `serve` prints nothing to stdout;
//! `usage` needs an engine and writes through the same function as
//! `explain`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test loudly"
)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Each printing command, with arguments that make it print.
const COMMANDS: &[&[&str]] = &[
    &[
        "check",
        "--tenant",
        "alpha",
        "fdcs-policy/tests/corpus/cli28/run-web.http",
    ],
    &["lint", "--format", "sarif", "tests/compose/cadvisor"],
    &["test", "policies/tests"],
    &["explain", "--list"],
    &["explain", "ports.ephemeral-only"],
    &["completions", "bash"],
];

fn run(args: &[&str], stdout: impl Into<Stdio>) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fdcs-policy"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args(args)
        .stdout(stdout)
        .output()
        .expect("run fdcs-policy")
}

#[test]
fn a_closed_stdout_pipe_is_exit_0_with_nothing_on_stderr() {
    for args in COMMANDS {
        // the read end is closed before the command writes: every write
        // meets a broken pipe, whatever the output's size
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = run(args, writer);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert_eq!(err, "", "{args:?}");
    }
}

#[test]
fn a_full_disk_is_exit_2_with_the_write_error() {
    for args in COMMANDS {
        let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
            return; // no /dev/full on this system
        };
        let o = run(args, full);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(
            err.trim_end(),
            "fdcs-policy: error: cannot write to stdout: No space left on device (os error 28)",
            "{args:?}"
        );
    }
}
