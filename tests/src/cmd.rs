//! Running a client command (docker, docker-compose) with a deadline and
//! keeping everything needed to explain a failure: the command line, the
//! exit status and both output streams.
//!
//! A deadline matters because a proxy bug on a hijacked route (attach, exec)
//! shows up as a client that never returns; the suite must report that, not
//! hang until CI kills it.

use std::fmt;
use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long any single client command may run before it is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(90);

/// The outcome of one command: what ran and what it said.
#[derive(Debug, Clone)]
pub struct Out {
    /// The command line as a shell would show it (for failure messages).
    pub command: String,
    /// The exit code; `None` when killed (timeout or signal).
    pub code: Option<i32>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// Whether the command was killed because it ran past its deadline.
    pub timed_out: bool,
}

impl fmt::Display for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$ {}\n  exit: {}{}\n  stdout: {}\n  stderr: {}",
            self.command,
            self.code
                .map_or_else(|| "killed".to_owned(), |c| c.to_string()),
            if self.timed_out { " (timed out)" } else { "" },
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

impl Out {
    /// Whether the command exited 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Asserts success and returns the trimmed standard output.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert!(self.success(), "command failed:\n{self}");
        self.stdout.trim()
    }

    /// Asserts failure and returns stdout and stderr joined, so that callers
    /// can check the message the user sees.
    #[track_caller]
    pub fn fails(&self) -> String {
        assert!(!self.success(), "command succeeded but must fail:\n{self}");
        assert!(!self.timed_out, "command hung instead of failing:\n{self}");
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Asserts failure with `needle` (case-insensitive) in what the user sees.
    #[track_caller]
    pub fn fails_with(&self, needle: &str) -> String {
        let all = self.fails();
        assert!(
            all.to_lowercase().contains(&needle.to_lowercase()),
            "command failed, but without `{needle}` in its output:\n{self}"
        );
        all
    }
}

/// Runs `cmd` to completion or until `timeout`, capturing both streams.
pub fn run(cmd: Command, timeout: Duration) -> Out {
    run_with_input(cmd, None, timeout)
}

/// Like [`run`], writing `input` to the command's stdin and then closing it
/// (for attach and exec with `-i`: the tunnel must carry both directions).
pub fn run_with_input(mut cmd: Command, input: Option<Vec<u8>>, timeout: Duration) -> Out {
    let command = render(&cmd);
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Out {
                command,
                code: None,
                stdout: String::new(),
                stderr: format!("cannot start: {e}"),
                timed_out: false,
            }
        }
    };
    if let (Some(mut stdin), Some(input)) = (child.stdin.take(), input) {
        thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&input);
        });
    }
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > timeout => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(_) => break None,
        }
    };
    let join =
        |h: Option<thread::JoinHandle<String>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
    Out {
        command,
        code: status.and_then(|s| s.code()),
        stdout: join(stdout),
        stderr: join(stderr),
        timed_out,
    }
}

fn drain<R: Read + Send + 'static>(mut r: R) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

fn render(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        let a = a.to_string_lossy();
        s.push(' ');
        if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"{}$".contains(c)) {
            s.push('\'');
            s.push_str(&a.replace('\'', r"'\''"));
            s.push('\'');
        } else {
            s.push_str(&a);
        }
    }
    s
}
