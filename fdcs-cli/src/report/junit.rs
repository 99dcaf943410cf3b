//! `--format junit`: one `<testsuite>` per file, one `<testcase>` per
//! finding (a `<failure>`) or a single passing case for a clean file, so CI
//! systems that read JUnit show each finding as a failed check.

use super::{path_of, Finding};
use crate::compose::load::Source;
use std::fmt::Write;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => o.push(c),
        }
    }
    o
}

pub(super) fn render(findings: &[Finding], sources: &[Source]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"fdcs-policy lint\" tests=\"{}\" failures=\"{}\">",
        findings.len().max(sources.len()),
        findings.len()
    );
    for (i, src) in sources.iter().enumerate() {
        let mine: Vec<&Finding> = findings.iter().filter(|f| f.file == i).collect();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">",
            esc(&src.path),
            mine.len().max(1),
            mine.len()
        );
        if mine.is_empty() {
            let _ = writeln!(
                out,
                "    <testcase name=\"no findings\" classname=\"{}\"/>",
                esc(&src.path)
            );
        }
        for f in mine {
            let _ = writeln!(
                out,
                "    <testcase name=\"{}:{}:{} {}\" classname=\"{}\">",
                esc(path_of(sources, f.file)),
                f.line,
                f.col,
                esc(&f.rule),
                esc(&f.subject)
            );
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}: {}\nhelp: {}</failure>",
                f.severity.as_str(),
                esc(&f.message),
                esc(&f.rule),
                esc(&f.message),
                esc(&f.help)
            );
            let _ = writeln!(out, "    </testcase>");
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}
