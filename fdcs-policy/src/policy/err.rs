//! Policy load errors: every one points at a line and column of the file.
//!
//! A policy (or tenants file) that does not load is refused as a whole: the
//! adapters never run with a half-understood policy (invariant 9).

/// Why a policy or tenants file could not be loaded.
///
/// Rendered as `origin:line:column: message`, the shape editors and CI
/// annotations understand. `line` and `column` are 1-based; both are 0 only
/// when the YAML parser could not tell where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}:{column}: {message}")]
pub struct PolicyError {
    /// File or source name.
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, lowercase, user input in backticks.
    pub message: String,
}

/// A 1-based position in the YAML source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Pos {
    /// The position of a spanned YAML node.
    pub(crate) fn of<T>(s: &serde_saphyr::Spanned<T>) -> Pos {
        Pos::from_location(&s.referenced)
    }

    /// Converts a parser location (saturating: positions beyond `usize`
    /// cannot happen for a source held in memory).
    pub(crate) fn from_location(l: &serde_saphyr::Location) -> Pos {
        Pos {
            line: usize::try_from(l.line()).unwrap_or(usize::MAX),
            column: usize::try_from(l.column()).unwrap_or(usize::MAX),
        }
    }
}

/// Builds errors for one source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Errs<'o> {
    pub(crate) origin: &'o str,
    /// The whole source, to map positions inside a CEL expression back to
    /// the file.
    pub(crate) src: &'o str,
}

impl Errs<'_> {
    /// An error at `pos`.
    pub(crate) fn at(&self, pos: Pos, message: impl Into<String>) -> PolicyError {
        PolicyError {
            origin: self.origin.to_string(),
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }

    /// Converts a YAML parse or shape error, keeping the parser's location and
    /// dropping its rendered snippet (the CLI prints the location itself).
    pub(crate) fn yaml(&self, e: &serde_saphyr::Error) -> PolicyError {
        let pos = e
            .location()
            .map(|l| Pos::from_location(&l))
            .unwrap_or_default();
        let message = e.without_snippet().to_string();
        // The parser's rendering repeats the position and gives advice about
        // its own options; keep the first line without either.
        let mut first = message.lines().next().unwrap_or("invalid yaml").trim();
        if let Some(i) = first.rfind(" at line ") {
            first = &first[..i];
        }
        let first = first
            .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
            .replace("mapping key: ", "mapping key ");
        self.at(pos, format!("invalid yaml: {first}"))
    }

    /// Where line `line`, column `column` (1-based) of the scalar `text`,
    /// which starts at `start` in the source, is in the source.
    ///
    /// Exact for plain and quoted single-line scalars without escapes and
    /// for literal blocks (`|`); otherwise the start of the scalar, so an
    /// error never points at an unrelated place.
    pub(crate) fn inside(&self, start: Pos, text: &str, line: usize, column: usize) -> Pos {
        let src_line = |n: usize| n.checked_sub(1).and_then(|i| self.src.lines().nth(i));
        let Some(want) = text.lines().nth(line.saturating_sub(1)) else {
            return start;
        };
        if line == 1 {
            if let Some(l) = src_line(start.line) {
                let rest: String = l.chars().skip(start.column.saturating_sub(1)).collect();
                let quoted = rest.starts_with('"') || rest.starts_with('\'');
                let body = if quoted { &rest[1..] } else { rest.as_str() };
                if body.starts_with(want) {
                    return Pos {
                        line: start.line,
                        column: start.column + usize::from(quoted) + column.saturating_sub(1),
                    };
                }
            }
        }
        let n = start.line + line - 1;
        if let Some(l) = src_line(n) {
            if !want.is_empty() && l.trim_end().ends_with(want.trim_end()) {
                let indent = l.trim_end().chars().count() - want.trim_end().chars().count();
                return Pos {
                    line: n,
                    column: indent + column.max(1),
                };
            }
        }
        start
    }
}
