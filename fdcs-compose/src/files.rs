//! Where a project's files come from: the crate does no I/O of its own.
//!
//! Loading a project reads more than the files named on the command line:
//! `.env`, `env_file`s and `extends: {file: ...}` name others. The caller
//! hands in a [`Files`] that reads them (the CLI's reads the disk; a test's
//! or an embedding proxy's holds texts in memory), so the same project
//! model runs in CI, in `fdcs-policy test` suites and inside other programs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Read access to the files a project names.
pub trait Files {
    /// The whole text of a file.
    fn read(&self, path: &Path) -> std::io::Result<String>;

    /// Whether a regular file is there (compose file discovery).
    fn is_file(&self, path: &Path) -> bool;

    /// The absolute, symlink-free form of a directory, against which
    /// compose resolves relative host paths; `None` keeps it as given.
    fn canonical(&self, path: &Path) -> Option<PathBuf>;
}

/// Files held in memory, by path; nothing else exists.
#[derive(Debug, Clone, Default)]
pub struct MemFiles(BTreeMap<PathBuf, String>);

impl MemFiles {
    /// No files at all: a project given as texts that names no other file.
    pub fn new() -> Self {
        MemFiles::default()
    }

    /// Adds (or replaces) one file.
    pub fn with(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.0.insert(path.into(), text.into());
        self
    }
}

impl Files for MemFiles {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.0.get(path).cloned().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "No such file or directory (os error 2)",
            )
        })
    }

    fn is_file(&self, path: &Path) -> bool {
        self.0.contains_key(path)
    }

    fn canonical(&self, _path: &Path) -> Option<PathBuf> {
        None
    }
}
