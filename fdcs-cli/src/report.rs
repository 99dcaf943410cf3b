//! Findings and the formats they are printed in: `text` (rustc-like, with a
//! source snippet and a caret), `json`, SARIF 2.1.0 and JUnit XML.
//!
//! Rendering is pure (findings + sources → string); only the command prints.

mod json;
mod junit;
mod sarif;
mod text;

use fdcs_compose::load::Source;
use std::path::{Component, Path, PathBuf};

pub(crate) use fdcs_compose::{Finding, Severity};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// rustc-like text with a source snippet.
    Text,
    /// A JSON array of findings.
    Json,
    /// SARIF 2.1.0, as GitHub code scanning accepts it.
    Sarif,
    /// JUnit XML: one test case per file and service; findings at or above
    /// `--fail-on` are failures, input errors are errors.
    Junit,
}

/// A file that could not be linted (YAML syntax, not a mapping, unreadable):
/// the run failed for it, and CI reports must say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputError {
    /// The file, as named on the command line.
    pub(crate) path: String,
    /// 1-based line (0: not known).
    pub(crate) line: u32,
    /// 1-based column (0: not known).
    pub(crate) col: u32,
    /// What went wrong.
    pub(crate) message: String,
}

/// Everything a report is rendered from; rendering stays pure (no I/O).
#[derive(Debug)]
pub(crate) struct Run<'a> {
    /// Findings after the policy's `lint:` overrides, sorted.
    pub(crate) findings: &'a [Finding],
    /// The files read, indexed by `Finding::file`.
    pub(crate) sources: &'a [Source],
    /// Files that could not be linted.
    pub(crate) errors: &'a [InputError],
    /// The services (or `networks.x`) of each linted project, with the index
    /// of the file that declares the project: one JUnit test case each.
    pub(crate) subjects: &'a [(usize, String)],
    /// Absolute directory report paths are relative to (`--base`).
    pub(crate) base: &'a Path,
    /// Absolute directory relative source paths were named from.
    pub(crate) cwd: &'a Path,
    /// Lowest severity that fails the run.
    pub(crate) fail_on: Severity,
}

impl Run<'_> {
    /// The exit code this run ends with: 2 input error, 1 findings at or
    /// above `--fail-on`, else 0.
    pub(crate) fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() {
            2
        } else if self.findings.iter().any(|f| f.severity >= self.fail_on) {
            1
        } else {
            0
        }
    }

    /// A path as named (relative to `cwd`) made absolute and normalized
    /// lexically (no file system access).
    pub(crate) fn absolute(&self, path: &str) -> PathBuf {
        normalize(&self.cwd.join(path))
    }

    /// A path relative to `base`, with `/` separators, or `None` when it is
    /// outside `base`.
    pub(crate) fn relative(&self, path: &str) -> Option<String> {
        let abs = self.absolute(path);
        let rel = abs.strip_prefix(normalize(self.base)).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some(parts.join("/"))
    }

    /// The path shown in JUnit's `file` attribute: relative to the base,
    /// else absolute.
    pub(crate) fn shown(&self, path: &str) -> String {
        self.relative(path)
            .unwrap_or_else(|| self.absolute(path).display().to_string())
    }
}

/// Removes `.` and resolves `..` lexically.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Renders a run in a format. `color` only affects `text`.
pub(crate) fn render(format: Format, run: &Run<'_>, color: bool) -> String {
    match format {
        Format::Text => text::render(run.findings, run.sources, color),
        Format::Json => json::render(run.findings, run.sources),
        Format::Sarif => sarif::render(run),
        Format::Junit => junit::render(run),
    }
}

/// An input error (YAML syntax, not a mapping, unreadable file) in the
/// text style, with the line and a caret when the position is known.
pub(crate) fn render_error(
    path: &str,
    text: &str,
    line: u32,
    col: u32,
    message: &str,
    color: bool,
) -> String {
    text::render_error(path, text, line, col, message, color)
}

/// The path of a finding's file.
fn path_of(sources: &[Source], file: usize) -> &str {
    sources
        .get(file)
        .map(|s| s.path.as_str())
        .unwrap_or("<unknown>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<'a>(base: &'a Path, cwd: &'a Path) -> Run<'a> {
        Run {
            findings: &[],
            sources: &[],
            errors: &[],
            subjects: &[],
            base,
            cwd,
            fail_on: Severity::Error,
        }
    }

    #[test]
    fn paths_are_made_relative_to_the_base_lexically() {
        let r = run(Path::new("/repo"), Path::new("/repo/app/sub"));
        assert_eq!(
            r.relative("compose.yml").as_deref(),
            Some("app/sub/compose.yml")
        );
        assert_eq!(r.relative("./x/../c.yml").as_deref(), Some("app/sub/c.yml"));
        assert_eq!(r.relative("../../c.yml").as_deref(), Some("c.yml"));
        assert_eq!(r.relative("/elsewhere/c.yml"), None);
        assert_eq!(r.shown("/elsewhere/c.yml"), "/elsewhere/c.yml");
        // `/repository` is not under `/repo`
        assert_eq!(r.relative("/repository/c.yml"), None);
    }

    #[test]
    fn the_exit_code_says_input_errors_first() {
        let f = Finding {
            rule: fdcs_policy::RuleId::COMPOSE_MEMORY_UNSET,
            severity: Severity::Warning,
            message: String::new(),
            help: String::new(),
            file: 0,
            line: 1,
            col: 1,
            subject: "web".into(),
        };
        let findings = [f];
        let mut r = run(Path::new("/"), Path::new("/"));
        r.findings = &findings;
        assert_eq!(r.exit_code(), 0, "a warning below --fail-on error");
        r.fail_on = Severity::Warning;
        assert_eq!(r.exit_code(), 1);
        let errors = [InputError {
            path: "c.yml".into(),
            line: 0,
            col: 0,
            message: "bad".into(),
        }];
        r.errors = &errors;
        assert_eq!(r.exit_code(), 2);
    }
}
