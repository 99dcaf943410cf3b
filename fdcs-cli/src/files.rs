//! The disk, as [`fdcs_compose`] reads a project's files: only this crate
//! does I/O.

use std::path::{Path, PathBuf};

/// Reads files from the local file system.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DiskFiles;

impl fdcs_compose::Files for DiskFiles {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        std::fs::canonicalize(path).ok()
    }
}
