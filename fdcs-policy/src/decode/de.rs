//! A serde `Deserializer` over [`Node`] trees with Go's `encoding/json`
//! semantics:
//!
//! - struct fields match keys exactly first, then case-insensitively with
//!   Unicode simple folding ([`fold_eq`]); map keys are never folded;
//! - a key that matches no field is an error (`decode.unknown-field`);
//! - a field given several times: every value is kept in a *group*; objects
//!   of a group are concatenated and decoded again, which merges structs
//!   (Go decodes the second object into the first) and maps (Go reuses the
//!   map) by the very same rules; for scalars and arrays the last wins;
//! - `null` alone is absent; `null` after a value is refused
//!   (`decode.ambiguous`): Go keeps the value for non-pointer fields and
//!   clears it for pointers, slices and maps — a distinction our models do
//!   not carry, so we refuse rather than guess;
//! - an array field repeated where an earlier array holds an object at an
//!   index the last one also has is refused too: Go decodes the later
//!   element *into* the earlier one (golang/go#21092), merging fields of
//!   two `Mounts` entries, and how far depends on slice capacities.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::err::{DecodeError, DecodeErrorKind};
use super::fold::fold_eq;
use super::tree::{Entry, Node};

/// Where a value sits, as a stack-allocated list; rendered only on error.
#[derive(Clone, Copy)]
pub(crate) enum Path<'p> {
    Root,
    Field(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    pub(crate) fn render(&self) -> String {
        let mut s = String::new();
        self.render_into(&mut s);
        s
    }
    fn render_into(&self, s: &mut String) {
        match self {
            Path::Root => {}
            Path::Field(p, name) => {
                p.render_into(s);
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(name);
            }
            Path::Index(p, i) => {
                p.render_into(s);
                let _ = write!(s, "[{i}]");
            }
        }
    }
}

/// All values one field received, `null`s before the first value removed.
enum Group<'t, 'de> {
    One(&'t Node<'de>),
    Many(Vec<&'t Node<'de>>),
}

impl<'t, 'de> Group<'t, 'de> {
    fn from_iter(nodes: impl Iterator<Item = &'t Node<'de>>, path: &Path<'_>) -> Result<Self, DecodeError> {
        let mut values: Vec<&'t Node<'de>> = Vec::new();
        let mut null: Option<&'t Node<'de>> = None;
        for n in nodes {
            if n.is_null() {
                if !values.is_empty() {
                    return Err(DecodeError::new(
                        DecodeErrorKind::Ambiguous,
                        path.render(),
                        "`null` after a value for the same field; the daemon keeps or clears the value depending on the field's Go type",
                    ));
                }
                null = Some(n);
            } else {
                values.push(n);
            }
        }
        match (values.len(), null) {
            (0, Some(n)) => Ok(Group::One(n)),
            (1, _) => Ok(values.first().map_or(Group::Many(Vec::new()), |n| Group::One(n))),
            _ => Ok(Group::Many(values)),
        }
    }

    fn last(&self) -> Option<&'t Node<'de>> {
        match self {
            Group::One(n) => Some(n),
            Group::Many(v) => v.last().copied(),
        }
    }
}

/// The deserializer for one field's value (or one element, one map value).
pub(crate) struct ValueDe<'p, 't, 'de> {
    group: Group<'t, 'de>,
    path: &'p Path<'p>,
}

impl<'p, 't, 'de> ValueDe<'p, 't, 'de> {
    pub(crate) fn new(node: &'t Node<'de>, path: &'p Path<'p>) -> Self {
        ValueDe {
            group: Group::One(node),
            path,
        }
    }

    fn err_at(&self, kind: DecodeErrorKind, msg: impl Into<String>) -> DecodeError {
        DecodeError::new(kind, self.path.render(), msg)
    }

    /// The entries of all objects in the group, in order; `Err(node)` if a
    /// member is not an object (it then decodes as a type error).
    fn object_entries(&self) -> Result<Entries<'t, 'de>, &'t Node<'de>> {
        match &self.group {
            Group::One(Node::Object(e)) => Ok(Entries::One(e)),
            Group::One(n) => Err(n),
            Group::Many(v) => {
                let mut all = Vec::new();
                for n in v {
                    match n {
                        Node::Object(e) => all.extend(e.iter()),
                        other => return Err(other),
                    }
                }
                Ok(Entries::Many(all))
            }
        }
    }

    fn any_node<V: Visitor<'de>>(node: &'t Node<'de>, path: &'p Path<'p>, v: V) -> Result<V::Value, DecodeError> {
        match node {
            Node::Null => v.visit_unit(),
            Node::Bool(b) => v.visit_bool(*b),
            Node::U64(n) => v.visit_u64(*n),
            Node::I64(n) => v.visit_i64(*n),
            Node::F64(n) => v.visit_f64(*n),
            Node::Str(Cow::Borrowed(s)) => v.visit_borrowed_str(s),
            Node::Str(Cow::Owned(s)) => v.visit_str(s),
            Node::Array(items) => v.visit_seq(Seq { items: items.iter(), index: 0, path }),
            Node::Object(e) => v.visit_map(RawMap::new(Entries::One(e), path)),
        }
    }
}

/// Object entries: one object's, or several objects' concatenated.
enum Entries<'t, 'de> {
    One(&'t [Entry<'de>]),
    Many(Vec<&'t Entry<'de>>),
}

impl<'t, 'de> Entries<'t, 'de> {
    fn len(&self) -> usize {
        match self {
            Entries::One(e) => e.len(),
            Entries::Many(e) => e.len(),
        }
    }
    fn get(&self, i: usize) -> Option<&'t Entry<'de>> {
        match self {
            Entries::One(e) => e.get(i),
            Entries::Many(e) => e.get(i).copied(),
        }
    }
}

macro_rules! forward_to_any {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
            self.deserialize_any(v)
        })*
    };
}

impl<'de> Deserializer<'de> for ValueDe<'_, '_, 'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        let node = match &self.group {
            Group::One(n) => n,
            Group::Many(all) => {
                // Only free-form fields (`serde_json::Value`) get here with
                // objects or arrays; Go would merge those, we refuse.
                if all.iter().any(|n| matches!(n, Node::Object(_) | Node::Array(_))) {
                    return Err(self.err_at(DecodeErrorKind::Ambiguous, "free-form field given more than once"));
                }
                match all.last() {
                    Some(n) => n,
                    None => return v.visit_unit(),
                }
            }
        };
        let path = self.path;
        Self::any_node(node, path, v).map_err(|e| e.or_path(|| path.render()))
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        match &self.group {
            Group::One(Node::Null) => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DecodeError> {
        let path = self.path;
        let entries = match self.object_entries() {
            Ok(e) => e,
            Err(node) => return Self::any_node(node, path, v).map_err(|e| e.or_path(|| path.render())),
        };
        let access = StructMap::new(entries, fields, path)?;
        v.visit_map(access).map_err(|e| e.or_path(|| path.render()))
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        let path = self.path;
        let entries = match self.object_entries() {
            Ok(e) => e,
            Err(node) => return Self::any_node(node, path, v).map_err(|e| e.or_path(|| path.render())),
        };
        v.visit_map(RawMap::new(entries, path)).map_err(|e| e.or_path(|| path.render()))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        let path = self.path;
        if let Group::Many(all) = &self.group {
            if let Some(Node::Array(last)) = all.last() {
                let earlier = &all[..all.len().saturating_sub(1)];
                let merges = earlier.iter().any(|n| match n {
                    Node::Array(items) => items.iter().take(last.len()).any(|i| matches!(i, Node::Object(_))),
                    _ => false,
                });
                if merges {
                    return Err(self.err_at(
                        DecodeErrorKind::Ambiguous,
                        "array of objects given more than once; the daemon would merge the elements",
                    ));
                }
            }
        }
        match self.group.last() {
            Some(node) => Self::any_node(node, path, v).map_err(|e| e.or_path(|| path.render())),
            None => v.visit_unit(),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _n: &'static str, _len: usize, v: V) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _n: &'static str, v: V) -> Result<V::Value, DecodeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _n: &'static str,
        _variants: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, DecodeError> {
        Err(self.err_at(DecodeErrorKind::Malformed, "enums are not part of the engine API models"))
    }

    forward_to_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32
        deserialize_f64 deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_unit deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _n: &'static str, v: V) -> Result<V::Value, DecodeError> {
        self.deserialize_any(v)
    }
}

/// Struct fields: entries matched to field indices up front (so unknown keys
/// fail before anything is decoded), then yielded one group per field.
struct StructMap<'p, 't, 'de> {
    entries: Entries<'t, 'de>,
    /// `(field index, entry index)` in body order.
    matched: Vec<(u32, u32)>,
    /// Set when some field is given twice; then `emitted` tracks fields done.
    dups: bool,
    emitted: Vec<bool>,
    pos: usize,
    current: Option<(usize, usize)>,
    fields: &'static [&'static str],
    path: &'p Path<'p>,
}

impl<'p, 't, 'de> StructMap<'p, 't, 'de> {
    fn new(entries: Entries<'t, 'de>, fields: &'static [&'static str], path: &'p Path<'p>) -> Result<Self, DecodeError> {
        let n = entries.len();
        let mut matched = Vec::with_capacity(n);
        let mut seen = vec![false; fields.len()];
        let mut dups = false;
        // Go-generated bodies list fields in struct order: start each search
        // where the last match ended, so the common case is one comparison.
        let mut cursor = 0usize;
        for ei in 0..n {
            let Some((key, _)) = entries.get(ei) else { break };
            let fi = match find_exact(fields, key, cursor).or_else(|| find_folded(fields, key)) {
                Some(fi) => fi,
                None => {
                    let p = Path::Field(path, key);
                    return Err(DecodeError::new(
                        DecodeErrorKind::UnknownField,
                        p.render(),
                        format!("unknown field `{key}`"),
                    ));
                }
            };
            cursor = fi + 1;
            if let Some(s) = seen.get_mut(fi) {
                dups |= *s;
                *s = true;
            }
            matched.push((fi as u32, ei as u32));
        }
        Ok(StructMap {
            entries,
            matched,
            dups,
            emitted: if dups { vec![false; fields.len()] } else { Vec::new() },
            pos: 0,
            current: None,
            fields,
            path,
        })
    }
}

fn find_exact(fields: &[&str], key: &str, cursor: usize) -> Option<usize> {
    let n = fields.len();
    (0..n).map(|k| (cursor + k) % n).find(|&i| fields.get(i).is_some_and(|f| *f == key))
}

fn find_folded(fields: &[&str], key: &str) -> Option<usize> {
    fields.iter().position(|f| fold_eq(key, f))
}

impl<'de> MapAccess<'de> for StructMap<'_, '_, 'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DecodeError> {
        while let Some(&(fi, ei)) = self.matched.get(self.pos) {
            self.pos += 1;
            let (fi, ei) = (fi as usize, ei as usize);
            if self.dups {
                match self.emitted.get_mut(fi) {
                    Some(done) if *done => continue,
                    Some(done) => *done = true,
                    None => continue,
                }
            }
            self.current = Some((fi, ei));
            return seed.deserialize((fi as u64).into_deserializer()).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DecodeError> {
        let Some((fi, ei)) = self.current.take() else {
            return Err(de::Error::custom("value requested before key"));
        };
        let name = self.fields.get(fi).copied().unwrap_or("?");
        let path = Path::Field(self.path, name);
        let group = if self.dups {
            let entries = &self.entries;
            let nodes = self.matched[self.pos - 1..]
                .iter()
                .filter(|(f, _)| *f as usize == fi)
                .filter_map(|(_, e)| entries.get(*e as usize).map(|(_, n)| n));
            Group::from_iter(nodes, &path)?
        } else {
            match self.entries.get(ei) {
                Some((_, n)) => Group::One(n),
                None => return Err(de::Error::custom("entry out of range")),
            }
        };
        seed.deserialize(ValueDe { group, path: &path })
    }
}

/// A map (`Labels`, `PortBindings`...): keys as sent, never folded; a repeated
/// key overwrites (Go zeroes the element and stores it again).
struct RawMap<'p, 't, 'de> {
    entries: Entries<'t, 'de>,
    pos: usize,
    path: &'p Path<'p>,
}

impl<'p, 't, 'de> RawMap<'p, 't, 'de> {
    fn new(entries: Entries<'t, 'de>, path: &'p Path<'p>) -> Self {
        RawMap { entries, pos: 0, path }
    }
}

impl<'de> MapAccess<'de> for RawMap<'_, '_, 'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DecodeError> {
        let Some((key, _)) = self.entries.get(self.pos) else {
            return Ok(None);
        };
        let r = match key {
            Cow::Borrowed(s) => seed.deserialize(de::value::BorrowedStrDeserializer::new(s)),
            Cow::Owned(s) => seed.deserialize(de::value::StrDeserializer::new(s)),
        };
        r.map(Some).map_err(|e: DecodeError| e.or_path(|| Path::Field(self.path, key).render()))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DecodeError> {
        let Some((key, node)) = self.entries.get(self.pos) else {
            return Err(de::Error::custom("value requested before key"));
        };
        self.pos += 1;
        let path = Path::Field(self.path, key);
        seed.deserialize(ValueDe::new(node, &path))
    }
}

/// Array elements, each with its index in the path.
struct Seq<'p, 't, 'de> {
    items: std::slice::Iter<'t, Node<'de>>,
    index: usize,
    path: &'p Path<'p>,
}

impl<'de> SeqAccess<'de> for Seq<'_, '_, 'de> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DecodeError> {
        let Some(node) = self.items.next() else {
            return Ok(None);
        };
        let path = Path::Index(self.path, self.index);
        self.index += 1;
        seed.deserialize(ValueDe::new(node, &path)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}
