//! A YAML document as a tree of nodes that remember where they came from.
//!
//! Compose files are merged, interpolated and read field by field, so a typed
//! model would lose the location of every key; this tree keeps a
//! [`Pos`] on every key and value (serde-saphyr `Spanned`), which is what
//! lets a finding point at `file:line:column`.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// Where a node starts: which source file, 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// Index into the list of loaded sources.
    pub file: usize,
    /// 1-based line (0: unknown).
    pub line: u32,
    /// 1-based column (0: unknown).
    pub col: u32,
}

/// One YAML node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node starts.
    pub pos: Pos,
    /// What it holds.
    pub kind: Kind,
}

/// The shape of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `~`, `null` or nothing.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order; keys are nodes so they keep their position.
    Map(Vec<(Node, Node)>),
}

/// A YAML syntax or structure error, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line (0 if unknown).
    pub line: u32,
    /// 1-based column (0 if unknown).
    pub col: u32,
    /// What went wrong.
    pub message: String,
}

/// Parses one YAML document into a [`Node`] tree tagged with `file`.
pub fn parse(src: &str, file: usize) -> Result<Node, YamlError> {
    if src.trim().is_empty() {
        return Ok(Node {
            pos: Pos {
                file,
                line: 1,
                col: 1,
            },
            kind: Kind::Null,
        });
    }
    // YAML 1.1 booleans as PyYAML (docker-compose 1.29) reads them: `yes`,
    // `on`, `true`... are read as text and turned into booleans only where a
    // field wants one (`Node::as_bool`), so a label `x: y` stays `"y"`, as
    // compose sends it. Duplicate keys: the last wins, as in PyYAML.
    // Numbers as YAML 1.1 reads them too: `0755` is octal, and a plain
    // `22:22` or `1:00:00` is a base-60 integer (1342, 3600) that compose
    // sends as such ([`sexagesimal`]).
    let options = serde_saphyr::options! {
        strict_booleans: true,
        legacy_octal_numbers: true,
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::LastWins,
    };
    match serde_saphyr::from_str_with_options::<Spanned<Kind>>(src, options) {
        Ok(sp) => {
            let mut node = Node::from(sp);
            node.set_file(file);
            let lines: Vec<&str> = src.lines().collect();
            node.read_base_60(&lines);
            Ok(node)
        }
        Err(e) => {
            let (line, col) = e
                .location()
                .map(|l| (l.line() as u32, l.column() as u32))
                .unwrap_or((0, 0));
            // the crate's Display renders a snippet; keep the first line only
            let message = e.to_string();
            let first = message
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid YAML")
                .trim();
            // the position is reported separately; drop the crate's own prefix
            let first = first.strip_prefix("error: ").unwrap_or(first);
            let first = match first.split_once(": ") {
                Some((head, rest)) if head.starts_with("line ") && head.contains(" column ") => {
                    rest
                }
                _ => first,
            };
            let message = first.to_string();
            Err(YamlError { line, col, message })
        }
    }
}

impl From<Spanned<Kind>> for Node {
    fn from(sp: Spanned<Kind>) -> Self {
        Node {
            pos: Pos {
                file: 0,
                line: sp.referenced.line() as u32,
                col: sp.referenced.column() as u32,
            },
            kind: sp.value,
        }
    }
}

/// A plain scalar in YAML 1.1's base-60 integer form (`[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`),
/// as PyYAML (docker-compose 1.29) resolves it: `22:22` is 1342, `1:00:00`
/// is 3600. The YAML 1.2 parser reads it as text, so a port mapping lint
/// saw as host port 22 was, to compose, container port 1342.
pub fn sexagesimal(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, s.get(1..)?),
        b'+' => (false, s.get(1..)?),
        _ => (false, s),
    };
    let mut parts = body.split(':');
    let head = parts.next()?.replace('_', "");
    if !head.starts_with(|c: char| ('1'..='9').contains(&c))
        || !head.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut value: i64 = head.parse().ok()?;
    let mut any = false;
    for part in parts {
        any = true;
        if part.is_empty() || part.len() > 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digit: i64 = part.parse().ok()?;
        if digit > 59 {
            return None;
        }
        value = value.checked_mul(60)?.checked_add(digit)?;
    }
    if !any {
        return None;
    }
    Some(if neg { -value } else { value })
}

impl Node {
    /// Base-60 integers in plain scalars (not quoted, not keys: PyYAML
    /// resolves keys too, but no compose key is numeric), read as 1.29 reads
    /// them. A scalar's position is where its text starts, so a quote there
    /// means it was quoted.
    fn read_base_60(&mut self, lines: &[&str]) {
        match &mut self.kind {
            Kind::Str(text) => {
                let first = lines
                    .get(self.pos.line.saturating_sub(1) as usize)
                    .and_then(|l| l.chars().nth(self.pos.col.saturating_sub(1) as usize));
                if !matches!(first, Some('\'' | '"' | '|' | '>')) {
                    if let Some(n) = sexagesimal(text) {
                        self.kind = Kind::Int(n);
                    }
                }
            }
            Kind::Seq(items) => items.iter_mut().for_each(|n| n.read_base_60(lines)),
            Kind::Map(entries) => entries.iter_mut().for_each(|(_, v)| v.read_base_60(lines)),
            _ => {}
        }
    }

    /// A node with no position (synthesised values).
    pub fn synthetic(kind: Kind, pos: Pos) -> Self {
        Node { pos, kind }
    }

    fn set_file(&mut self, file: usize) {
        self.pos.file = file;
        match &mut self.kind {
            Kind::Seq(items) => items.iter_mut().for_each(|n| n.set_file(file)),
            Kind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                k.set_file(file);
                v.set_file(file);
            }),
            _ => {}
        }
    }

    /// The value under `key` in a mapping, with its key node.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .rev() // YAML forbids duplicates; if present, the last wins as in PyYAML
                .find(|(k, _)| k.as_scalar().as_deref() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The value under `key` in a mapping, mutable.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.kind {
            Kind::Map(entries) => entries
                .iter_mut()
                .rev()
                .find(|(k, _)| k.as_scalar().as_deref() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Mapping entries (empty for anything else).
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            Kind::Map(e) => e,
            _ => &[],
        }
    }

    /// Sequence items (empty for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq(s) => s,
            _ => &[],
        }
    }

    /// Whether this is a null node.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    /// A scalar rendered as compose would read it as a string.
    pub fn as_scalar(&self) -> Option<String> {
        match &self.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Int(i) => Some(i.to_string()),
            Kind::Float(f) => Some(f.to_string()),
            Kind::Bool(b) => Some(b.to_string()),
            Kind::Null => None,
            Kind::Seq(_) | Kind::Map(_) => None,
        }
    }

    /// A boolean, also from the strings compose accepts (`"true"`, `"yes"`...).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Bool(b) => Some(*b),
            Kind::Str(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "on" | "1" => Some(true),
                "false" | "no" | "n" | "off" | "0" => Some(false),
                _ => None,
            },
            Kind::Int(i) => Some(*i != 0),
            _ => None,
        }
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        Kind::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Kind, E> {
        Ok(Kind::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Kind, E> {
        Ok(Kind::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Kind, E> {
        Ok(i64::try_from(v).map_or_else(|_| Kind::Str(v.to_string()), Kind::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Kind, E> {
        Ok(i64::try_from(v).map_or_else(|_| Kind::Str(v.to_string()), Kind::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Kind, E> {
        Ok(i64::try_from(v).map_or_else(|_| Kind::Str(v.to_string()), Kind::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Kind, E> {
        Ok(Kind::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Kind, E> {
        Ok(Kind::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Kind, E> {
        Ok(Kind::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Kind>>()? {
            out.push(Node::from(item));
        }
        Ok(Kind::Seq(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut out = Vec::new();
        while let Some(k) = map.next_key::<Spanned<KeyStr>>()? {
            let v = map.next_value::<Spanned<Kind>>()?;
            let key = Spanned::new(Kind::Str(k.value.0), k.referenced, k.defined);
            out.push((Node::from(key), Node::from(v)));
        }
        Ok(Kind::Map(out))
    }
}

/// A mapping key, always read as the text written: compose keys are strings,
/// and YAML 1.1 would otherwise turn an environment key `Y` or `on` into a bool.
struct KeyStr(String);

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = KeyStr;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyStr, E> {
        Ok(KeyStr(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyStr, E> {
        Ok(KeyStr(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyStr, E> {
        Ok(KeyStr(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyStr, E> {
        Ok(KeyStr(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyStr, E> {
        Ok(KeyStr(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<KeyStr, E> {
        Ok(KeyStr(String::new()))
    }
}

impl<'de> Deserialize<'de> for KeyStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_carry_line_and_column() {
        let src = "services:\n  web:\n    image: busybox\n    ports:\n      - \"80:80\"\n";
        let n = parse(src, 3).unwrap();
        let (k, web) = n.get("services").unwrap().entry("web").unwrap();
        assert_eq!((k.pos.file, k.pos.line, k.pos.col), (3, 2, 3));
        let (pk, ports) = web.entry("ports").unwrap();
        assert_eq!((pk.pos.line, pk.pos.col), (4, 5));
        let item = &ports.items()[0];
        assert_eq!((item.pos.line, item.pos.col), (5, 9));
        assert_eq!(item.as_scalar().as_deref(), Some("80:80"));
    }

    #[test]
    fn duplicate_keys_last_wins_like_pyyaml() {
        let n = parse("privileged: false\nprivileged: true\n", 0).unwrap();
        assert_eq!(n.get("privileged").and_then(Node::as_bool), Some(true));
    }

    #[test]
    fn yaml11_words_stay_text_until_a_field_wants_a_bool() {
        let n = parse("a: y\nb: yes\nc: true\n", 0).unwrap();
        assert_eq!(n.get("a").unwrap().as_scalar().as_deref(), Some("y"));
        assert_eq!(n.get("b").and_then(Node::as_bool), Some(true));
        assert_eq!(n.get("c").unwrap().kind, Kind::Bool(true));
    }

    #[test]
    fn syntax_error_has_a_position_and_no_panic() {
        let e = parse("services:\n  web: [unclosed\n", 0).unwrap_err();
        assert!(e.line >= 2, "{e:?}");
    }

    #[test]
    fn anchors_and_merge_keys_resolve() {
        let src = "x: &d {mem_limit: 1g}\nservices:\n  a:\n    <<: *d\n    image: i\n";
        let n = parse(src, 0).unwrap();
        let k = parse("environment:\n  Y: \"1\"\n  on: x\n  8080: y\n", 0).unwrap();
        let keys: Vec<_> = k
            .get("environment")
            .unwrap()
            .entries()
            .iter()
            .map(|(k, _)| k.as_scalar().unwrap())
            .collect();
        assert_eq!(keys, ["Y", "on", "8080"]);
        let a = n.get("services").unwrap().get("a").unwrap();
        assert_eq!(
            a.get("mem_limit").unwrap().as_scalar().as_deref(),
            Some("1g")
        );
    }

    #[test]
    fn numbers_read_as_yaml_1_1_reads_them_where_compose_1_29_does() {
        let src = "a: 22:22\nb: '22:22'\nc: \"1:00:00\"\nd: 1:00:00\ne: 0755\nf: 8080:80/udp\ng: 1:60\nh: [3:10, '3:10']\ni: 127.0.0.1:80:80\nj: -1:30\n";
        let n = parse(src, 0).unwrap();
        let k = |key: &str| n.get(key).unwrap().kind.clone();
        assert_eq!(k("a"), Kind::Int(1342));
        assert_eq!(k("b"), Kind::Str("22:22".into()), "quoted stays text");
        assert_eq!(k("c"), Kind::Str("1:00:00".into()));
        assert_eq!(k("d"), Kind::Int(3600));
        assert_eq!(k("e"), Kind::Int(0o755), "legacy octal");
        assert_eq!(k("f"), Kind::Str("8080:80/udp".into()));
        assert_eq!(
            k("g"),
            Kind::Str("1:60".into()),
            "a base-60 digit is 0 to 59"
        );
        assert_eq!(
            n.get("h")
                .unwrap()
                .items()
                .iter()
                .map(|i| i.kind.clone())
                .collect::<Vec<_>>(),
            [Kind::Int(190), Kind::Str("3:10".into())]
        );
        assert_eq!(k("i"), Kind::Str("127.0.0.1:80:80".into()));
        assert_eq!(k("j"), Kind::Int(-90));
    }
}
