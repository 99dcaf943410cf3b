//! `--format text`: rustc/clippy style.
//!
//! ```text
//! error[privileges.privileged]: privileged mode is not allowed (POST /v1.41/containers/create?name=app_web_1)
//!   --> docker-compose.yml:7:5
//!    |
//!  7 |     privileged: true
//!    |     ^^^^^^^^^^
//!    = help: drop `privileged`; add only the capabilities it needs
//! ```

use super::{path_of, Finding, Severity};
use fdcs_compose::load::Source;
use std::fmt::Write;

struct Paint(bool);

impl Paint {
    fn s(&self, code: &str, t: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{t}\x1b[0m")
        } else {
            t.to_string()
        }
    }
}

pub(super) fn render(findings: &[Finding], sources: &[Source], color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    for f in findings {
        let (label, code) = match f.severity {
            Severity::Error => ("error", "1;31"),
            Severity::Warning => ("warning", "1;33"),
            Severity::Info => ("info", "1;36"),
        };
        let _ = writeln!(
            out,
            "{}{} {}",
            p.s(code, &format!("{label}[{}]", f.rule)),
            p.s("1", ":"),
            p.s("1", &f.message)
        );
        let line_txt = sources
            .get(f.file)
            .and_then(|s| s.text.lines().nth(f.line.saturating_sub(1) as usize))
            .unwrap_or("");
        let num = f.line.to_string();
        let pad = " ".repeat(num.len());
        let _ = writeln!(
            out,
            "{pad}{} {}:{}:{}",
            p.s("1;34", "-->"),
            path_of(sources, f.file),
            f.line,
            f.col
        );
        if f.line > 0 {
            let bar = p.s("1;34", "|");
            let _ = writeln!(out, "{pad} {bar}");
            let (line_txt, col) = clip(line_txt, f.col);
            let _ = writeln!(out, "{} {bar} {line_txt}", p.s("1;34", &num));
            let start = col.saturating_sub(1) as usize;
            let rest: String = line_txt.chars().skip(start).collect();
            let width = token_width(&rest).max(1);
            let lead: String = line_txt
                .chars()
                .take(start)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "{pad} {bar} {lead}{}", p.s(code, &"^".repeat(width)));
        }
        let _ = writeln!(out, "{pad} {} help: {}", p.s("1;34", "="), f.help);
        out.push('\n');
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let infos = findings.len() - errors - warnings;
    let _ = writeln!(
        out,
        "{errors} error(s), {warnings} warning(s), {infos} info"
    );
    out
}

/// Width of the key or scalar under the caret: up to `:` of a key, or the
/// whole token.
fn token_width(rest: &str) -> usize {
    let rest = rest.trim_start_matches("- ");
    if rest.starts_with("${") {
        // a variable: the whole `${...}`
        return rest.find('}').map_or(rest.chars().count(), |i| {
            rest.get(..=i).map_or(1, |t| t.chars().count())
        });
    }
    let quoted = rest.starts_with('"') || rest.starts_with('\'');
    if quoted {
        let q = rest.chars().next().unwrap_or('"');
        return rest
            .chars()
            .skip(1)
            .position(|c| c == q)
            .map_or(rest.chars().count(), |i| i + 2);
    }
    let end = rest
        .char_indices()
        .find(|&(i, c)| {
            (c == ':'
                && rest
                    .get(i + 1..)
                    .is_none_or(|r| r.is_empty() || r.starts_with(' ')))
                || c == '#'
                || c == ','
                || c == ']'
                || c == '}'
        })
        .map_or(rest.len(), |(i, _)| i);
    rest.get(..end).unwrap_or(rest).trim_end().chars().count()
}

pub(super) fn render_error(
    path: &str,
    text: &str,
    line: u32,
    col: u32,
    message: &str,
    color: bool,
) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}{} {}",
        p.s("1;31", "error"),
        p.s("1", ":"),
        p.s("1", message)
    );
    if line == 0 {
        let _ = writeln!(out, " {} {path}", p.s("1;34", "-->"));
        return out;
    }
    let num = line.to_string();
    let pad = " ".repeat(num.len());
    let bar = p.s("1;34", "|");
    let src = text
        .lines()
        .nth(line.saturating_sub(1) as usize)
        .unwrap_or("");
    let _ = writeln!(out, "{pad}{} {path}:{line}:{col}", p.s("1;34", "-->"));
    let _ = writeln!(out, "{pad} {bar}");
    let (src, col) = clip(src, col);
    let _ = writeln!(out, "{} {bar} {src}", p.s("1;34", &num));
    let lead = " ".repeat(col.saturating_sub(1) as usize);
    let _ = writeln!(out, "{pad} {bar} {lead}{}", p.s("1;31", "^"));
    out
}

/// Longest source line shown whole; longer ones (minified YAML, an attack)
/// are cut around the column so the report stays readable.
const MAX_SHOWN: usize = 160;

/// The part of `line` to show and the column within it.
fn clip(line: &str, col: u32) -> (String, u32) {
    let n = line.chars().count();
    if n <= MAX_SHOWN {
        return (line.to_string(), col);
    }
    let c = col.saturating_sub(1) as usize;
    let from = c.saturating_sub(MAX_SHOWN / 2);
    let shown: String = line.chars().skip(from).take(MAX_SHOWN).collect();
    let (prefix, shift) = if from > 0 { ("…", 1) } else { ("", 0) };
    let suffix = if from + MAX_SHOWN < n { "…" } else { "" };
    (
        format!("{prefix}{shown}{suffix}"),
        (c - from + 1 + shift) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_clipped_around_the_column() {
        let line = "x".repeat(1000);
        let (shown, col) = clip(&line, 500);
        assert!(shown.chars().count() <= MAX_SHOWN + 2);
        assert_eq!(shown.chars().nth(col as usize - 1), Some('x'));
        assert_eq!(clip("short", 3), ("short".to_string(), 3));
    }

    #[test]
    fn caret_covers_a_key_a_quoted_scalar_or_a_variable() {
        assert_eq!(token_width("privileged: true"), 10);
        assert_eq!(token_width("\"80:80\"]"), 7);
        assert_eq!(token_width("${DATA_DIR}/pg:/x"), 11);
        assert_eq!(token_width("- /etc:/x"), 7, "the whole item");
    }
}
