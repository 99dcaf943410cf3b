//! A serde `Deserializer` over [`Node`] trees with Go's `encoding/json`
//! semantics:
//!
//! - struct fields match keys exactly first, then case-insensitively with
//!   Unicode simple folding ([`fold_eq`]); map keys are never folded;
//! - a key that matches no field is an error (`decode.unknown-field`);
//! - a field given several times: every value is kept in a *group*; objects
//!   of a group are concatenated and decoded again, which merges structs
//!   (Go decodes the second object into the first) and maps (Go reuses the
//!   map) by the very same rules; for scalars and arrays the last wins,
//!   and every earlier value must still be of the field's type ([`Pass`]);
//! - `null` alone is absent: an `Option` field is `None`, a struct, map or
//!   list where the model has no option is empty, a string, number or bool
//!   is its zero value (Go leaves the zero value there), and a key no field
//!   matches is dropped when its value is `null` (Go ignores it); `null`
//!   after a value is refused
//!   (`decode.ambiguous`): Go keeps the value for non-pointer fields and
//!   clears it for pointers, slices and maps — a distinction our models do
//!   not carry, so we refuse rather than guess;
//! - an array field repeated where an earlier array holds an object at an
//!   index the last one also has is refused too: Go decodes the later
//!   element *into* the earlier one (golang/go#21092), merging fields of
//!   two `Mounts` entries, and how far depends on slice capacities.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Write as _;

use serde::de::{Deserializer, Visitor};

use super::err::{DecodeError, DecodeErrorKind};
use super::tree::{Entry, Node};

mod access;

use access::{RawMap, Seq, StructMap};

/// Which value of a field given several times a decoding pass reads.
///
/// Go decodes *every* value of a repeated field into it, in order: the last
/// one stays, but an earlier one of the wrong type (`-1` for a `uint16`,
/// `1e20` for an `int64`, a string for a number) makes the whole `Decode`
/// fail, and the daemon refuses the body. So after the pass that reads the
/// last values (the model), [`super::decode`] runs one more pass per earlier
/// position (`pick: Some(k)`: the k-th value of every group, or its last
/// when shorter), each type-checking the values it picks; any error refuses
/// the body.
pub(crate) struct Pass {
    pick: Option<usize>,
    /// The most values any one group had in this pass.
    widest: Cell<usize>,
}

impl Pass {
    /// The pass that reads what the daemon ends with.
    pub(crate) fn last() -> Self {
        Pass {
            pick: None,
            widest: Cell::new(1),
        }
    }

    /// The pass that reads value `k` of every repeated field.
    pub(crate) fn pick(k: usize) -> Self {
        Pass {
            pick: Some(k),
            widest: Cell::new(1),
        }
    }

    /// The most values one field got (1: no field was repeated).
    pub(crate) fn widest(&self) -> usize {
        self.widest.get()
    }

    fn choose<'t, 'de>(&self, all: &[&'t Node<'de>]) -> Option<&'t Node<'de>> {
        self.widest.set(self.widest.get().max(all.len()));
        match self.pick {
            None => all.last().copied(),
            Some(k) => all.get(k.min(all.len().saturating_sub(1))).copied(),
        }
    }
}

/// Where a value sits, as a stack-allocated list; rendered only on error.
/// The root holds the [`Pass`].
#[derive(Clone, Copy)]
pub(crate) enum Path<'p> {
    Root(&'p Pass),
    Field(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn pass(&self) -> &Pass {
        let mut p = self;
        loop {
            match p {
                Path::Root(pass) => return pass,
                Path::Field(up, _) | Path::Index(up, _) => p = up,
            }
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut s = String::new();
        self.render_into(&mut s);
        s
    }
    fn render_into(&self, s: &mut String) {
        match self {
            Path::Root(_) => {}
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
    fn from_iter(
        nodes: impl Iterator<Item = &'t Node<'de>>,
        path: &Path<'_>,
    ) -> Result<Self, DecodeError> {
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
            (1, _) => Ok(values
                .first()
                .map_or(Group::Many(Vec::new()), |n| Group::One(n))),
            _ => Ok(Group::Many(values)),
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

    /// Whether this value is a lone `null` (a `null` after a value is
    /// refused when the group is built).
    fn is_null(&self) -> bool {
        matches!(self.group, Group::One(Node::Null))
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

    fn any_node<V: Visitor<'de>>(
        node: &'t Node<'de>,
        path: &'p Path<'p>,
        v: V,
    ) -> Result<V::Value, DecodeError> {
        match node {
            Node::Null => v.visit_unit(),
            Node::Bool(b) => v.visit_bool(*b),
            Node::U64(n) => v.visit_u64(*n),
            Node::I64(n) => v.visit_i64(*n),
            Node::F64(n) => v.visit_f64(*n),
            Node::Str(Cow::Borrowed(s)) => v.visit_borrowed_str(s),
            Node::Str(Cow::Owned(s)) => v.visit_str(s),
            Node::Array(items) => v.visit_seq(Seq::new(items, path)),
            Node::Object(e) => v.visit_map(RawMap::new(Entries::One(e), path)),
        }
    }
}

/// Whether a node is an object or an array with an object in it.
fn holds_object(n: &Node<'_>) -> bool {
    match n {
        Node::Object(_) => true,
        Node::Array(items) => items.iter().any(holds_object),
        _ => false,
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

/// A scalar where the model has no option (a map value, a list element):
/// Go leaves the zero value where `null` stands (`"Labels":{"a":null}` is
/// the label `a=`), and so do we; anything else decodes as usual.
macro_rules! null_is_zero {
    ($($method:ident => $visit:ident($zero:expr),)*) => {
        $(fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
            if self.is_null() {
                let path = self.path;
                return v.$visit::<DecodeError>($zero).map_err(|e| e.or_path(|| path.render()));
            }
            self.deserialize_any(v)
        })*
    };
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
                // Scalars and arrays of scalars (`StrSlice`): the last wins.
                // Objects, or arrays holding them, only reach here for
                // free-form fields (`serde_json::Value`); Go would merge
                // those into a struct we do not model, so we refuse.
                if all.iter().any(|n| holds_object(n)) {
                    return Err(self.err_at(
                        DecodeErrorKind::Ambiguous,
                        "free-form field given more than once",
                    ));
                }
                match self.path.pass().choose(all) {
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
            Err(node) => {
                return Self::any_node(node, path, v).map_err(|e| e.or_path(|| path.render()))
            }
        };
        let access = StructMap::new(entries, fields, path)?;
        v.visit_map(access).map_err(|e| e.or_path(|| path.render()))
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        let path = self.path;
        if self.is_null() {
            // Go's nil map, read as an empty one
            return v
                .visit_map(RawMap::new(Entries::One(&[]), path))
                .map_err(|e| e.or_path(|| path.render()));
        }
        let entries = match self.object_entries() {
            Ok(e) => e,
            Err(node) => {
                return Self::any_node(node, path, v).map_err(|e| e.or_path(|| path.render()))
            }
        };
        v.visit_map(RawMap::new(entries, path))
            .map_err(|e| e.or_path(|| path.render()))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DecodeError> {
        let path = self.path;
        if let Group::Many(all) = &self.group {
            if let Some(Node::Array(last)) = all.last() {
                let earlier = &all[..all.len().saturating_sub(1)];
                let merges = earlier.iter().any(|n| match n {
                    Node::Array(items) => items
                        .iter()
                        .take(last.len())
                        .any(|i| matches!(i, Node::Object(_))),
                    _ => false,
                });
                if merges {
                    return Err(self.err_at(
                        DecodeErrorKind::Ambiguous,
                        "array of objects given more than once; the daemon would merge the elements",
                    ));
                }
                // Go decodes a later array into the earlier one's storage,
                // and a `null` element leaves a string or number there as
                // it was: `"Binds":["/etc:/x"],"binds":[null]` is the first
                // bind to the daemon, not `""`.
                let shows_through = last.iter().enumerate().any(|(i, n)| {
                    n.is_null()
                        && earlier
                            .iter()
                            .any(|e| matches!(e, Node::Array(items) if items.len() > i))
                });
                if shows_through {
                    return Err(self.err_at(
                        DecodeErrorKind::Ambiguous,
                        "array given more than once with a `null` element; the daemon would keep the earlier element there",
                    ));
                }
            }
        }
        if self.is_null() {
            // a `null` list where the model has no option (an element of
            // a list of lists): Go's nil slice, which the engine reads as
            // an empty one
            return v
                .visit_seq(Seq::new(&[], path))
                .map_err(|e| e.or_path(|| path.render()));
        }
        let node = match &self.group {
            Group::One(n) => Some(*n),
            Group::Many(all) => path.pass().choose(all),
        };
        match node {
            Some(node) => Self::any_node(node, path, v).map_err(|e| e.or_path(|| path.render())),
            None => v.visit_unit(),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        v: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _n: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _n: &'static str,
        v: V,
    ) -> Result<V::Value, DecodeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _n: &'static str,
        _variants: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, DecodeError> {
        Err(self.err_at(
            DecodeErrorKind::Malformed,
            "enums are not part of the engine API models",
        ))
    }

    null_is_zero! {
        deserialize_bool => visit_bool(false),
        deserialize_i8 => visit_i64(0), deserialize_i16 => visit_i64(0),
        deserialize_i32 => visit_i64(0), deserialize_i64 => visit_i64(0),
        deserialize_u8 => visit_u64(0), deserialize_u16 => visit_u64(0),
        deserialize_u32 => visit_u64(0), deserialize_u64 => visit_u64(0),
        deserialize_f32 => visit_f64(0.0), deserialize_f64 => visit_f64(0.0),
        deserialize_str => visit_borrowed_str(""), deserialize_string => visit_borrowed_str(""),
    }

    forward_to_any! {
        deserialize_char deserialize_bytes
        deserialize_byte_buf deserialize_unit deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _n: &'static str,
        v: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_any(v)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;
    use crate::decode::tree::parse;

    fn run<T: for<'a> Deserialize<'a>>(body: &str) -> Result<T, DecodeError> {
        let root = parse(body.as_bytes()).unwrap();
        let pass = Pass::last();
        let path = Path::Root(&pass);
        T::deserialize(ValueDe::new(&root, &path))
    }

    #[test]
    fn path_renders_fields_indices_and_keys() {
        let pass = Pass::last();
        let r = Path::Root(&pass);
        let a = Path::Field(&r, "HostConfig");
        let b = Path::Field(&a, "Binds");
        let c = Path::Index(&b, 3);
        assert_eq!(c.render(), "HostConfig.Binds[3]");
        assert_eq!(r.render(), "");
    }

    #[test]
    fn raw_maps_keep_case_and_last_duplicate() {
        let m: BTreeMap<String, String> = run(r#"{"A":"1","a":"2","A":"3"}"#).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m["A"], "3");
    }

    #[test]
    fn free_form_values_refuse_repeated_objects() {
        #[derive(Deserialize)]
        struct W {
            #[serde(rename = "V")]
            _v: Option<serde_json::Value>,
        }
        let e = run::<W>(r#"{"V":{"a":1},"V":{"b":2}}"#).err().unwrap();
        assert_eq!(e.kind, DecodeErrorKind::Ambiguous);
        assert_eq!(e.path, "V");
        let e = run::<W>(r#"{"V":[{"a":1}],"V":[1]}"#).err().unwrap();
        assert_eq!(e.kind, DecodeErrorKind::Ambiguous);
        assert!(run::<W>(r#"{"V":[1],"V":"x"}"#).is_ok());
    }

    #[test]
    fn holds_object_looks_inside_arrays() {
        let n = parse(br#"[[1],[{"a":1}]]"#).unwrap();
        assert!(holds_object(&n));
        let n = parse(br#"[[1],["x"]]"#).unwrap();
        assert!(!holds_object(&n));
    }

    #[test]
    fn arrays_of_objects_repeated_beyond_the_last_length_are_fine() {
        // The earlier array's objects sit at indices the last array does not
        // reach: Go truncates them away.
        let v: Vec<BTreeMap<String, i64>> =
            run::<Wv>(r#"{"V":[{"a":1}],"V":[]}"#).unwrap().v.unwrap();
        assert!(v.is_empty());
        let e = run::<Wv>(r#"{"V":[{"a":1}],"V":[{"b":2}]}"#).err().unwrap();
        assert_eq!(e.kind, DecodeErrorKind::Ambiguous);
    }

    #[derive(Deserialize)]
    struct Wv {
        #[serde(rename = "V")]
        v: Option<Vec<BTreeMap<String, i64>>>,
    }
}
