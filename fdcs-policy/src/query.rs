//! The query string as the daemon's Go `net/http` reads it.
//!
//! Go's `url.ParseQuery` splits on `&`, refuses `;`, unescapes `+` and `%XX`,
//! and `Form.Get` returns the FIRST value of a key. We parse the same way,
//! refuse what Go refuses, and forward a rebuilt query holding exactly the
//! first value of each key — so the daemon can only ever read what we judged.

use crate::Denial;

/// A parsed query: keys and values decoded, in order, first value per key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (without `?`).
    pub fn parse(raw: Option<&str>) -> Result<Query, Denial> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let Some(raw) = raw else {
            return Ok(Query { pairs });
        };
        for part in raw.split('&') {
            if part.is_empty() {
                continue;
            }
            if part.contains(';') {
                return Err(bad_query("a `;` in the query string"));
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let k = unescape(k).ok_or_else(|| bad_query("an invalid %-escape"))?;
            let v = unescape(v).ok_or_else(|| bad_query("an invalid %-escape"))?;
            if pairs.iter().any(|(pk, _)| *pk == k) {
                // The daemon reads the first value only; later ones are dropped
                // from what we forward, so they cannot matter.
                continue;
            }
            pairs.push((k, v));
        }
        Ok(Query { pairs })
    }

    /// The first value of `key`, as the daemon's `r.Form.Get` returns it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `key` is present with a value the daemon's `BoolValue` reads as true.
    pub fn flag(&self, key: &str) -> bool {
        match self.get(key) {
            Some(v) => {
                let v = v.trim().to_ascii_lowercase();
                !(v.is_empty() || v == "0" || v == "no" || v == "false" || v == "none")
            }
            None => false,
        }
    }

    /// Sets (or replaces) a key's value.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        match self.pairs.iter_mut().find(|(k, _)| k == key) {
            Some(pair) => pair.1 = value,
            None => self.pairs.push((key.to_string(), value)),
        }
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) {
        self.pairs.retain(|(k, _)| k != key);
    }

    /// All pairs.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The rebuilt raw query, or `None` when empty.
    pub fn encode(&self) -> Option<String> {
        if self.pairs.is_empty() {
            return None;
        }
        let mut out = String::new();
        for (i, (k, v)) in self.pairs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            escape_into(k, &mut out);
            out.push('=');
            escape_into(v, &mut out);
        }
        Some(out)
    }
}

fn bad_query(what: &str) -> Denial {
    Denial::malformed(
        crate::RuleId::ROUTE_AMBIGUOUS,
        format!("the query string holds {what}"),
        "send a plain `key=value&key=value` query, as Docker clients do",
    )
}

/// Go's `QueryUnescape`: `+` is a space, `%XX` a byte, anything else literal.
/// Returns `None` for a bad escape or bytes that are not UTF-8.
pub(crate) fn unescape(s: &str) -> Option<String> {
    if !s.contains(['%', '+']) {
        return Some(s.to_string());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16))?;
                let lo = bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16))?;
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes everything but RFC 3986 unreserved characters: safe in
/// a path segment and in a query value alike (the engine calls adapters
/// make for the core).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes a query component (Go's `QueryEscape` set).
pub(crate) fn escape_into(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_wins_and_later_duplicates_are_not_forwarded() {
        let q = Query::parse(Some("filters=a&filters=b&all=1")).unwrap();
        assert_eq!(q.get("filters"), Some("a"));
        assert_eq!(q.encode().unwrap(), "filters=a&all=1");
    }

    #[test]
    fn semicolons_and_bad_escapes_are_refused() {
        assert!(Query::parse(Some("a=1;b=2")).is_err());
        assert!(Query::parse(Some("a=%zz")).is_err());
        assert!(Query::parse(Some("a=%ff")).is_err());
    }

    #[test]
    fn round_trip_of_json_values() {
        let raw = r#"{"label":["x=y"],"name":{"web":true}}"#;
        let mut q = Query::default();
        q.set("filters", raw);
        let again = Query::parse(q.encode().as_deref()).unwrap();
        assert_eq!(again.get("filters"), Some(raw));
    }

    #[test]
    fn go_bool_values() {
        let q = Query::parse(Some("a=1&b=0&c=false&d=true&e=")).unwrap();
        assert!(q.flag("a") && !q.flag("b") && !q.flag("c") && q.flag("d") && !q.flag("e"));
    }
}
