//! A JSON tree that keeps what `serde_json::Value` throws away: duplicate
//! keys, in order. Go's decoder sees every duplicate, so we must too.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One object entry: the key as sent (unescaped) and its value.
pub(crate) type Entry<'de> = (Cow<'de, str>, Node<'de>);

/// A parsed JSON value; strings borrow from the body when they hold no escapes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'de> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'de, str>),
    Array(Vec<Node<'de>>),
    /// Entries in body order, duplicates kept.
    Object(Vec<Entry<'de>>),
}

impl Node<'_> {
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }
}

/// Parses `body` strictly: one JSON value, UTF-8, nothing after it.
pub(crate) fn parse(body: &[u8]) -> Result<Node<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let node = Node::deserialize(&mut de)?;
    de.end()?;
    Ok(node)
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node<'de>, E> {
        Ok(Node::U64(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node<'de>, E> {
        Ok(Node::I64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node<'de>, E> {
        Ok(Node::F64(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(n) = seq.next_element()? {
            items.push(n);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(Key(k)) = map.next_key()? {
            let v = map.next_value()?;
            entries.push((k, v));
        }
        Ok(Node::Object(entries))
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// An object key that borrows when it can (serde's own `Cow` never does).
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_duplicate_keys_in_order() {
        let n = parse(br#"{"a":1,"a":2}"#).unwrap();
        let Node::Object(e) = n else { panic!() };
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].1, Node::U64(2));
    }

    #[test]
    fn rejects_trailing_garbage_and_bad_utf8() {
        assert!(parse(b"{} x").is_err());
        assert!(parse(b"{}{}").is_err());
        assert!(parse(b"{\"a\":\"\xff\"}").is_err());
        assert!(parse(b"").is_err());
    }

    #[test]
    fn borrows_plain_strings() {
        let n = parse(br#"{"k":"v"}"#).unwrap();
        let Node::Object(e) = n else { panic!() };
        assert!(matches!(e[0].0, Cow::Borrowed(_)));
        assert!(matches!(e[0].1, Node::Str(Cow::Borrowed(_))));
    }
}
