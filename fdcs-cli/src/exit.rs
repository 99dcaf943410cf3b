//! Exit codes, as a type so every subcommand agrees on them.

/// What the process tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything allowed / nothing at or above the threshold.
    Ok = 0,
    /// Something denied, a finding, or a failed test case.
    Found = 1,
    /// Usage or input error.
    Error = 2,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}
