//! `fdcs-policy completions bash|zsh|fish`: the completion script for a
//! shell, generated from the same clap definition the binary parses with,
//! so it never falls behind a new flag.
//!
//! Install, for example: `fdcs-policy completions bash >
//! /usr/share/bash-completion/completions/fdcs-policy`, `... zsh >
//! "${fpath[1]}/_fdcs-policy"`, `... fish >
//! ~/.config/fish/completions/fdcs-policy.fish`.

use crate::Exit;
use clap::CommandFactory as _;

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

/// The shells with a script (the ones operators use; clap_complete has
/// more, add them here when asked).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

pub(crate) fn run(a: Args) -> anyhow::Result<Exit> {
    // clap_complete panics when its writer fails: generate, then write
    let mut script = Vec::new();
    write(a.shell, &mut script);
    super::emit(&String::from_utf8_lossy(&script), Exit::Ok)
}

fn write(shell: Shell, out: &mut dyn std::io::Write) {
    use clap_complete::Shell as S;
    let shell = match shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
    };
    let mut cmd = super::Cli::command();
    clap_complete::generate(shell, &mut cmd, "fdcs-policy", out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(shell: Shell) -> String {
        let mut buf = Vec::new();
        write(shell, &mut buf);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn every_script_knows_the_serve_flags() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let s = script(shell);
            for flag in ["serve", "listen-mode", "keystone-password-file"] {
                assert!(s.contains(flag), "{shell:?} script lacks {flag}");
            }
        }
    }

    /// `bash -n` parses the script (skipped where there is no bash).
    #[test]
    fn the_bash_script_parses() {
        let path = std::env::temp_dir().join(format!("fdcs-complete-{}.bash", std::process::id()));
        std::fs::write(&path, script(Shell::Bash)).unwrap();
        let out = std::process::Command::new("bash")
            .arg("-n")
            .arg(&path)
            .output();
        let _ = std::fs::remove_file(&path);
        let Ok(out) = out else {
            eprintln!("skipped: no bash");
            return;
        };
        assert!(
            out.status.success(),
            "bash -n: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
