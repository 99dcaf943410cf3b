//! Variable interpolation as docker-compose does it: `$VAR`, `${VAR}`,
//! `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}` and
//! `$$` for a literal `$`, in string values (never in keys).
//!
//! What could not be resolved is recorded with its position and the key
//! path it sits under, so the checks can tell a harmless unset label from an
//! unset host path or port (which compose would silently turn into `""`).

use super::node::{Kind, Node, Pos};
use std::collections::BTreeMap;

/// The variables visible to a project: the shell's, then `.env`'s.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    map: BTreeMap<String, String>,
    /// The shell's part alone: an included project reads its own `.env`
    /// under the same shell ([`Vars::with_dotenv`]).
    shell: BTreeMap<String, String>,
}

impl Vars {
    /// Shell environment over the `.env` file contents (the shell wins, as in compose).
    pub fn new(env: impl IntoIterator<Item = (String, String)>, dotenv: Option<&str>) -> Self {
        let shell: BTreeMap<String, String> = env.into_iter().collect();
        let mut map = BTreeMap::new();
        if let Some(text) = dotenv {
            map.extend(parse_dotenv(text));
        }
        map.extend(shell.clone());
        Vars { map, shell }
    }

    /// The same shell over another `.env` (an `include:`d project's own).
    pub fn with_dotenv(&self, dotenv: Option<&str>) -> Self {
        Vars::new(self.shell.clone(), dotenv)
    }

    /// The value of a variable, if set.
    pub fn lookup(&self, k: &str) -> Option<&str> {
        self.map.get(k).map(String::as_str)
    }
}

/// Parses a `.env` file: `KEY=VALUE` lines, `#` comments, optional quotes,
/// optional `export ` prefix.
pub fn parse_dotenv(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        // a line python-dotenv cannot read is skipped, as 1.29 skips it
        let Some(v) = dotenv_value(v) else {
            continue;
        };
        out.push((k.trim().to_string(), v));
    }
    out
}

/// A `.env` value as python-dotenv (docker-compose 1.29's reader) takes
/// it: `"..."` with escapes or `'...'`, each optionally followed by a
/// `# comment` and nothing else (`SRC="/etc" # note` is `/etc`;
/// `'/e'tc` is no value at all), else the text up to a ` #` comment.
fn dotenv_value(v: &str) -> Option<String> {
    let v = v.trim();
    let Some(quote) = v.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return Some(v.split(" #").next().unwrap_or(v).trim_end().to_string());
    };
    let mut out = String::new();
    let mut chars = v.char_indices().skip(1);
    let mut end = None;
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            let Some((_, n)) = chars.next() else { break };
            match (quote, n) {
                ('"', 'n') => out.push('\n'),
                ('"', 't') => out.push('\t'),
                ('"', 'r') => out.push('\r'),
                (_, '\\') => out.push('\\'),
                (q, n) if n == q => out.push(n),
                (_, n) => {
                    out.push('\\');
                    out.push(n);
                }
            }
            continue;
        }
        if c == quote {
            end = Some(i);
            break;
        }
        out.push(c);
    }
    let after = v.get(end? + 1..).unwrap_or("").trim_start();
    (after.is_empty() || after.starts_with('#')).then_some(out)
}

/// How a variable failed to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// Unset and no default: compose substitutes an empty string.
    Missing,
    /// `${VAR:?msg}` / `${VAR?msg}` with the variable unset: compose refuses.
    Required(String),
    /// A `${` without its `}` or an invalid name: compose refuses.
    Invalid,
}

/// One variable that did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    /// Position of the string value holding it.
    pub pos: Pos,
    /// Key path from the document root (`services`, `web`, `ports`, `0`).
    pub path: Vec<String>,
    /// Variable name (or the raw text for [`Unresolved::Invalid`]).
    pub var: String,
    /// Why.
    pub why: Unresolved,
}

/// Interpolates every string value of `node` in place; returns what was unresolved.
pub fn interpolate(node: &mut Node, vars: &Vars) -> Vec<Miss> {
    let mut misses = Vec::new();
    let mut path = Vec::new();
    walk(node, vars, &mut path, &mut misses);
    misses
}

fn walk(node: &mut Node, vars: &Vars, path: &mut Vec<String>, misses: &mut Vec<Miss>) {
    let pos = node.pos;
    match &mut node.kind {
        Kind::Str(s) if s.contains('$') => {
            let (out, errs) = substitute(s, vars);
            for (var, why) in errs {
                misses.push(Miss {
                    pos,
                    path: path.clone(),
                    var,
                    why,
                });
            }
            *s = out;
        }
        Kind::Seq(items) => {
            for (i, it) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                walk(it, vars, path, misses);
                path.pop();
            }
        }
        Kind::Map(entries) => {
            for (k, v) in entries.iter_mut() {
                path.push(k.as_scalar().unwrap_or_default());
                walk(v, vars, path, misses);
                path.pop();
            }
        }
        _ => {}
    }
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Substitutes variables in one string.
pub fn substitute(s: &str, vars: &Vars) -> (String, Vec<(String, Unresolved)>) {
    let mut out = String::with_capacity(s.len());
    let mut errs = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 1..).unwrap_or("");
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(end) = find_close(body) else {
                errs.push((rest.get(i..).unwrap_or("").to_string(), Unresolved::Invalid));
                out.push_str(rest.get(i..).unwrap_or(""));
                return (out, errs);
            };
            let inner = body.get(..end).unwrap_or("");
            rest = body.get(end + 1..).unwrap_or("");
            braced(inner, vars, &mut out, &mut errs);
        } else if after.chars().next().is_some_and(is_name_start) {
            let n = after.find(|c: char| !is_name(c)).unwrap_or(after.len());
            let name = after.get(..n).unwrap_or("");
            match vars.lookup(name) {
                Some(v) => out.push_str(v),
                None => errs.push((name.to_string(), Unresolved::Missing)),
            }
            rest = after.get(n..).unwrap_or("");
        } else {
            // a lone `$` stays as it is (compose 1.29 does the same)
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    (out, errs)
}

/// Index of the `}` closing a `${`: the first one, as docker-compose 1.29
/// reads it (`\{(?P<braced>[^}]*)\}`): `${A:-${B:-x}}` is `A` with the
/// default `${B:-x`, then a literal `}`; compose v2's nested defaults would
/// expand it, but 1.29 sends the text.
fn find_close(body: &str) -> Option<usize> {
    body.find('}')
}

fn braced(inner: &str, vars: &Vars, out: &mut String, errs: &mut Vec<(String, Unresolved)>) {
    let n = inner.find(|c: char| !is_name(c)).unwrap_or(inner.len());
    let name = inner.get(..n).unwrap_or("");
    let op = inner.get(n..).unwrap_or("");
    if name.is_empty() || !name.chars().next().is_some_and(is_name_start) {
        errs.push((format!("${{{inner}}}"), Unresolved::Invalid));
        return;
    }
    let val = vars.lookup(name);
    let (colon, op) = match op.strip_prefix(':') {
        Some(r) => (true, r),
        None => (false, op),
    };
    let unset = match val {
        None => true,
        Some(v) => colon && v.is_empty(),
    };
    let mut nested = |text: &str, out: &mut String| {
        let (v, e) = substitute(text, vars);
        out.push_str(&v);
        errs.extend(e);
    };
    if op.is_empty() && !colon {
        match val {
            Some(v) => out.push_str(v),
            None => errs.push((name.to_string(), Unresolved::Missing)),
        }
    } else if let Some(default) = op.strip_prefix('-') {
        // the default is text: 1.29 substitutes once, not inside it
        match val {
            Some(v) if !unset => out.push_str(v),
            _ => out.push_str(default),
        }
    } else if let Some(msg) = op.strip_prefix('?') {
        match val {
            Some(v) if !unset => out.push_str(v),
            _ => errs.push((name.to_string(), Unresolved::Required(msg.to_string()))),
        }
    } else if let Some(alt) = op.strip_prefix('+') {
        // compose-spec `${VAR:+alt}`: alt when set (and non-empty with `:`)
        if !unset {
            nested(alt, out);
        }
    } else {
        errs.push((format!("${{{inner}}}"), Unresolved::Invalid));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars::new(
            [("A".into(), "a".into()), ("E".into(), String::new())],
            Some("B=from-dotenv\nA=loses\n# c\nQ=\"quoted v\"\n"),
        )
    }

    #[test]
    fn every_form_resolves_like_compose() {
        let v = vars();
        let cases = [
            ("$A", "a"),
            ("${A}", "a"),
            ("x${A}y$A-z", "xaya-z"),
            ("$$A", "$A"),
            ("${B}", "from-dotenv"),
            ("${Q}", "quoted v"),
            ("${U:-d}", "d"),
            ("${E:-d}", "d"),
            ("${E-d}", ""),
            ("${U-d}", "d"),
            // 1.29 reads up to the first `}` and does not substitute in a default
            ("${U:-${A}}", "${A}"),
            ("${A:-${U}}", "a}"),
            ("${A:?boom}", "a"),
            ("${A:+alt}", "alt"),
            ("${U:+alt}", ""),
            ("cost $5", "cost $5"),
        ];
        for (input, want) in cases {
            let (got, errs) = substitute(input, &v);
            assert_eq!(got, want, "{input}");
            assert!(errs.is_empty(), "{input}: {errs:?}");
        }
    }

    #[test]
    fn unresolved_and_required_are_reported() {
        let v = vars();
        let (got, errs) = substitute("/srv/${DATA}:/d", &v);
        assert_eq!(got, "/srv/:/d");
        assert_eq!(errs, vec![("DATA".to_string(), Unresolved::Missing)]);
        let (_, errs) = substitute("${E:?must be set}", &v);
        assert_eq!(
            errs,
            vec![("E".to_string(), Unresolved::Required("must be set".into()))]
        );
        let (_, errs) = substitute("${E?must be set}", &v);
        assert!(errs.is_empty(), "set-but-empty satisfies `?` without colon");
        let (_, errs) = substitute("${OOPS", &v);
        assert_eq!(errs.first().map(|e| &e.1), Some(&Unresolved::Invalid));
    }

    #[test]
    fn misses_carry_their_key_path() {
        let mut n =
            super::super::node::parse("services:\n  w:\n    ports: [\"${P}:80\"]\n", 0).unwrap();
        let m = interpolate(&mut n, &Vars::default());
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].path, ["services", "w", "ports", "0"]);
        assert_eq!((m[0].pos.line, m[0].pos.col), (3, 13));
    }

    #[test]
    fn dotenv_lines_read_as_python_dotenv_reads_them() {
        let env = parse_dotenv(
            "A=\"/etc\" # the host's config\nB='/e'tc\nC=plain # note\nD='it''s'\nE=\"a\\\"b\"\nF=\"unterminated\nG='x'#c\n",
        );
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("A"), Some("/etc"));
        assert_eq!(get("B"), None, "text after the closing quote: skipped");
        assert_eq!(get("C"), Some("plain"));
        assert_eq!(get("D"), None);
        assert_eq!(get("E"), Some("a\"b"));
        assert_eq!(get("F"), None);
        assert_eq!(get("G"), Some("x"));
    }
}
