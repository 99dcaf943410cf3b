//! `--format junit`: one `<testsuite>` per file, one `<testcase>` per
//! service (or `networks.x`, `volumes.x`) in it, so CI systems that read
//! JUnit (GitLab, Jenkins, Azure) show each service as a check.
//!
//! A case fails (`<failure>`, listing every finding of it at or above
//! `--fail-on`) only when the run would fail for it; findings below
//! `--fail-on` are listed in `<system-out>` and the case passes. A file that
//! could not be read or parsed is a case with an `<error>`. The `tests`,
//! `failures` and `errors` totals count cases, and every case has a `file`
//! attribute relative to the base directory (`--base`).

use super::{Finding, Run};
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

/// One `<testcase>`.
struct Case<'a> {
    name: String,
    file: String,
    failing: Vec<&'a Finding>,
    passing: Vec<&'a Finding>,
    error: Option<String>,
}

/// One `<testsuite>`: a file.
struct Suite<'a> {
    name: String,
    cases: Vec<Case<'a>>,
}

impl Suite<'_> {
    fn failures(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.error.is_none() && !c.failing.is_empty())
            .count()
    }

    fn errors(&self) -> usize {
        self.cases.iter().filter(|c| c.error.is_some()).count()
    }
}

fn line(f: &Finding, path: &str) -> String {
    format!(
        "{}:{}:{}: {}[{}]: {}\nhelp: {}",
        path,
        f.line,
        f.col,
        f.severity.as_str(),
        f.rule,
        f.message,
        f.help
    )
}

fn suites<'a>(run: &'a Run<'a>) -> Vec<Suite<'a>> {
    let mut suites = Vec::new();
    for (i, src) in run.sources.iter().enumerate() {
        let shown = run.shown(&src.path);
        if run.errors.iter().any(|e| run.shown(&e.path) == shown) {
            // read but not parsed: its `<error>` case below stands for it
            continue;
        }
        let mut names: Vec<&str> = run
            .subjects
            .iter()
            .filter(|(f, _)| *f == i)
            .map(|(_, s)| s.as_str())
            .chain(
                run.findings
                    .iter()
                    .filter(|f| f.file == i)
                    .map(|f| f.subject.as_str()),
            )
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut cases: Vec<Case<'_>> = names
            .into_iter()
            .map(|name| {
                let (failing, passing) = run
                    .findings
                    .iter()
                    .filter(|f| f.file == i && f.subject == name)
                    .partition(|f| f.severity >= run.fail_on);
                Case {
                    name: name.to_string(),
                    file: shown.clone(),
                    failing,
                    passing,
                    error: None,
                }
            })
            .collect();
        if cases.is_empty() {
            // a file with nothing of its own (an `extends` base): still a check
            cases.push(Case {
                name: "(file)".to_string(),
                file: shown.clone(),
                failing: Vec::new(),
                passing: Vec::new(),
                error: None,
            });
        }
        suites.push(Suite { name: shown, cases });
    }
    for e in run.errors {
        let shown = run.shown(&e.path);
        let at = if e.line > 0 {
            format!("{shown}:{}:{}: ", e.line, e.col)
        } else {
            format!("{shown}: ")
        };
        suites.push(Suite {
            name: shown.clone(),
            cases: vec![Case {
                name: "(file)".to_string(),
                file: shown,
                failing: Vec::new(),
                passing: Vec::new(),
                error: Some(format!("{at}{}", e.message)),
            }],
        });
    }
    suites
}

pub(super) fn render(run: &Run<'_>) -> String {
    let suites = suites(run);
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(Suite::failures).sum();
    let errors: usize = suites.iter().map(Suite::errors).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"fdcs-policy lint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">"
    );
    for s in &suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
            esc(&s.name),
            s.cases.len(),
            s.failures(),
            s.errors()
        );
        for c in &s.cases {
            let _ = writeln!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\">",
                esc(&c.name),
                esc(&c.file),
                esc(&c.file)
            );
            if let Some(e) = &c.error {
                let _ = writeln!(
                    out,
                    "      <error type=\"input-error\" message=\"{}\">{}</error>",
                    esc(e),
                    esc(e)
                );
            }
            if let Some(first) = c.failing.first() {
                let message = if c.failing.len() == 1 {
                    format!("{}: {}", first.rule, first.message)
                } else {
                    format!(
                        "{} findings at or above {}; first {}: {}",
                        c.failing.len(),
                        run.fail_on.as_str(),
                        first.rule,
                        first.message
                    )
                };
                let body: Vec<String> = c.failing.iter().map(|f| line(f, &c.file)).collect();
                let worst = c.failing.iter().map(|f| f.severity).max();
                let _ = writeln!(
                    out,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    worst.unwrap_or(first.severity).as_str(),
                    esc(&message),
                    esc(&body.join("\n"))
                );
            }
            if !c.passing.is_empty() {
                let body: Vec<String> = c.passing.iter().map(|f| line(f, &c.file)).collect();
                let _ = writeln!(
                    out,
                    "      <system-out>{}</system-out>",
                    esc(&body.join("\n"))
                );
            }
            let _ = writeln!(out, "    </testcase>");
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}
