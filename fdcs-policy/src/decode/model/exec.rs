//! `POST /containers/{id}/exec`.

use super::model;

model! {
    /// The body of `POST /containers/{id}/exec` (20.10 `types.ExecConfig`,
    /// current `container.ExecCreateRequest`).
    pub struct ExecCreate {
        /// `User`.
        user: String = "User",
        /// `Privileged` (`false` kept: forwarded as judged).
        privileged: bool = "Privileged" as explicit,
        /// `Tty`.
        tty: bool = "Tty",
        /// `ConsoleSize`: `[height, width]` (API 1.42, Go `*[2]uint`).
        console_size: [u64; 2] = "ConsoleSize" as pointer,
        /// `AttachStdin`.
        attach_stdin: bool = "AttachStdin",
        /// `AttachStderr`.
        attach_stderr: bool = "AttachStderr",
        /// `AttachStdout`.
        attach_stdout: bool = "AttachStdout",
        /// `Detach` (20.10).
        detach: bool = "Detach",
        /// `DetachKeys`.
        detach_keys: String = "DetachKeys",
        /// `Env`.
        env: Vec<String> = "Env",
        /// `WorkingDir`.
        working_dir: String = "WorkingDir",
        /// `Cmd`.
        cmd: Vec<String> = "Cmd",
        /// `Container`: docker-py sends the container id again here; the
        /// daemon ignores it (the path names the container), and so does
        /// fdcs: it is never forwarded.
        container: String = "Container",
    }
}
