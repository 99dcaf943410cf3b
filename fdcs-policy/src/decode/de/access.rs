//! The three ways serde walks into a node: struct fields (matched as Go
//! matches them), maps (keys as sent) and arrays.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess};

use super::{Entries, Group, Path, ValueDe};
use crate::decode::err::{DecodeError, DecodeErrorKind};
use crate::decode::fold::find_field;
use crate::decode::tree::Node;

/// Struct fields: entries matched to field indices up front (so unknown keys
/// fail before anything is decoded), then yielded one group per field.
pub(super) struct StructMap<'p, 't, 'de> {
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
    pub(super) fn new(
        entries: Entries<'t, 'de>,
        fields: &'static [&'static str],
        path: &'p Path<'p>,
    ) -> Result<Self, DecodeError> {
        let n = entries.len();
        let mut matched = Vec::with_capacity(n);
        let mut seen = vec![false; fields.len()];
        let mut dups = false;
        // Go-generated bodies list fields in struct order: start each search
        // where the last match ended, so the common case is one comparison.
        let mut cursor = 0usize;
        for ei in 0..n {
            let Some((key, node)) = entries.get(ei) else {
                break;
            };
            let fi = match find_field(fields, key, cursor) {
                Some(fi) => fi,
                // Go ignores a key no field matches; we refuse one with a
                // value (a newer engine might read it), but a `null` means
                // "absent" to every Go type a newer engine could give it
                // (pointer, slice, map, interface: nil; a scalar or struct:
                // left as it is, the zero value). docker-py sends
                // `NetworkingConfig: {"<network>": null}`. Not forwarded.
                None if node.is_null() => continue,
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
            emitted: if dups {
                vec![false; fields.len()]
            } else {
                Vec::new()
            },
            pos: 0,
            current: None,
            fields,
            path,
        })
    }
}

impl<'de> MapAccess<'de> for StructMap<'_, '_, 'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
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

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
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
pub(super) struct RawMap<'p, 't, 'de> {
    entries: Entries<'t, 'de>,
    pos: usize,
    path: &'p Path<'p>,
}

impl<'p, 't, 'de> RawMap<'p, 't, 'de> {
    pub(super) fn new(entries: Entries<'t, 'de>, path: &'p Path<'p>) -> Self {
        RawMap {
            entries,
            pos: 0,
            path,
        }
    }
}

impl<'de> MapAccess<'de> for RawMap<'_, '_, 'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some((key, _)) = self.entries.get(self.pos) else {
            return Ok(None);
        };
        let r = match key {
            Cow::Borrowed(s) => seed.deserialize(de::value::BorrowedStrDeserializer::new(s)),
            Cow::Owned(s) => seed.deserialize(de::value::StrDeserializer::new(s)),
        };
        r.map(Some)
            .map_err(|e: DecodeError| e.or_path(|| Path::Field(self.path, key).render()))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let Some((key, node)) = self.entries.get(self.pos) else {
            return Err(de::Error::custom("value requested before key"));
        };
        self.pos += 1;
        let path = Path::Field(self.path, key);
        seed.deserialize(ValueDe::new(node, &path))
    }
}

/// Array elements, each with its index in the path.
pub(super) struct Seq<'p, 't, 'de> {
    items: std::slice::Iter<'t, Node<'de>>,
    index: usize,
    path: &'p Path<'p>,
}

impl<'p, 't, 'de> Seq<'p, 't, 'de> {
    pub(super) fn new(items: &'t [Node<'de>], path: &'p Path<'p>) -> Self {
        Seq {
            items: items.iter(),
            index: 0,
            path,
        }
    }
}

impl<'de> SeqAccess<'de> for Seq<'_, '_, 'de> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
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
