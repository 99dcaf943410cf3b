//! The request body as a lazy CEL value.
//!
//! Converting the docker CLI's `run` body (about 150 JSON values) into CEL's
//! own maps and lists costs about 8 µs, most of the judge's whole budget;
//! a rule reads a handful of fields. So JSON objects and arrays are wrapped,
//! not converted: `object.HostConfig.Memory` looks two keys up in the JSON
//! and boxes one integer. Scalars become CEL's built-in values (strings
//! borrowed). A wrapped list materializes its elements, and a wrapped map
//! its keys, only when a comprehension or `in` iterates them.
//!
//! CEL's built-in `==` only knows its own maps and lists; the compiler puts
//! literals on the right of `==` and `!=` so that `{} == object.Labels`
//! holds like `object.Labels == {}`. (Membership of a body map or list in a
//! literal list, `object.Labels in [{}]`, still compares with the literal's
//! own `==` and is false: test `size()` instead.)

use cel::common::traits::{Container, Indexer, Iterable, Iterator, Sizer};
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelNull, CelString, CelUInt, Type,
};
use cel::common::value::{CowVal, Val};
use cel::ExecutionError;
use serde_json::{Map, Value as Json};
use std::sync::OnceLock;

/// Wraps one JSON value.
pub(crate) fn json_val<'a>(v: &'a Json) -> Box<dyn Val + 'a> {
    match v {
        Json::Null => Box::new(CelNull),
        Json::Bool(b) => Box::new(CelBool::from(*b)),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Box::new(CelInt::from(i))
            } else if let Some(u) = n.as_u64() {
                Box::new(CelUInt::from(u))
            } else {
                Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN)))
            }
        }
        Json::String(s) => Box::new(CelString::from(s.as_str())),
        Json::Array(a) => Box::new(JsonList {
            list: a,
            items: OnceLock::new(),
        }),
        Json::Object(m) => Box::new(JsonMap {
            map: m,
            keys: OnceLock::new(),
        }),
    }
}

/// A JSON object seen as a CEL `map(string, dyn)`.
pub(crate) struct JsonMap<'a> {
    map: &'a Map<String, Json>,
    /// The keys as CEL strings, built when first iterated.
    keys: OnceLock<CelList<'a>>,
}

/// A JSON array seen as a CEL `list(dyn)`.
pub(crate) struct JsonList<'a> {
    list: &'a [Json],
    /// The elements as CEL values, built when first iterated.
    items: OnceLock<CelList<'a>>,
}

impl std::fmt::Debug for JsonMap<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JsonMap({} keys)", self.map.len())
    }
}

impl std::fmt::Debug for JsonList<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JsonList({} items)", self.list.len())
    }
}

impl<'a> JsonMap<'a> {
    fn keys(&self) -> &CelList<'a> {
        self.keys.get_or_init(|| {
            let keys: Vec<Box<dyn Val + 'a>> = self
                .map
                .keys()
                .map(|k| Box::new(CelString::from(k.as_str())) as Box<dyn Val + 'a>)
                .collect();
            CelList::from(keys)
        })
    }
}

impl<'a> JsonList<'a> {
    fn items(&self) -> &CelList<'a> {
        self.items
            .get_or_init(|| CelList::from(self.list.iter().map(json_val).collect::<Vec<_>>()))
    }
}

fn len_int(n: usize) -> CelInt {
    CelInt::from(i64::try_from(n).unwrap_or(i64::MAX))
}

impl Val for JsonMap<'_> {
    fn get_type(&self) -> &Type {
        <CelMap as Val>::cel_type()
    }

    fn cel_type() -> &'static Type {
        <CelMap as Val>::cel_type()
    }

    fn as_container(&self) -> Option<&dyn Container> {
        Some(self)
    }

    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn Indexer + 'v)>
    where
        Self: 'v,
    {
        Some(self)
    }

    fn as_iterable<'b, 'v>(&'b self) -> Option<&'b (dyn Iterable + 'v)>
    where
        Self: 'v,
    {
        Some(self)
    }

    fn as_sizer(&self) -> Option<&dyn Sizer> {
        Some(self)
    }

    fn equals(&self, other: &dyn Val) -> bool {
        let (Some(size), Some(idx)) = (other.as_sizer(), other.as_indexer()) else {
            return false;
        };
        other.get_type() == self.get_type()
            && size.size() == len_int(self.map.len())
            && self.map.iter().all(|(k, v)| {
                idx.get(&CelString::from(k.as_str()))
                    .is_ok_and(|ov| json_val(v).equals(ov.as_ref()))
            })
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v>
    where
        Self: 'v,
    {
        Box::new(JsonMap {
            map: self.map,
            keys: OnceLock::new(),
        })
    }
}

impl Indexer for JsonMap<'_> {
    fn get<'b, 'v>(&'b self, idx: &dyn Val) -> Result<CowVal<'b, 'v>, ExecutionError>
    where
        Self: 'v,
    {
        let Some(key) = idx.downcast_ref::<CelString>() else {
            return Err(ExecutionError::UnexpectedType {
                got: idx.get_type().name().to_owned(),
                want: "string key".to_owned(),
            });
        };
        match self.map.get(key.inner()) {
            Some(v) => Ok(CowVal::Owned(json_val(v))),
            None => Err(ExecutionError::no_such_key(key.inner())),
        }
    }

    fn steal<'v>(self: Box<Self>, idx: &dyn Val) -> Result<Box<dyn Val + 'v>, ExecutionError>
    where
        Self: 'v,
    {
        self.get(idx).map(CowVal::into_owned)
    }
}

impl Iterable for JsonMap<'_> {
    fn iter<'b, 'v>(&'b self) -> Box<dyn Iterator<'b, 'v> + 'b>
    where
        Self: 'v,
    {
        Iterable::iter(self.keys())
    }
}

impl Sizer for JsonMap<'_> {
    fn size(&self) -> CelInt {
        len_int(self.map.len())
    }
}

impl Container for JsonMap<'_> {
    fn contains(&self, value: &dyn Val) -> Result<bool, ExecutionError> {
        Ok(value
            .downcast_ref::<CelString>()
            .is_some_and(|k| self.map.contains_key(k.inner())))
    }
}

impl Val for JsonList<'_> {
    fn get_type(&self) -> &Type {
        <CelList as Val>::cel_type()
    }

    fn cel_type() -> &'static Type {
        <CelList as Val>::cel_type()
    }

    fn as_container(&self) -> Option<&dyn Container> {
        Some(self)
    }

    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn Indexer + 'v)>
    where
        Self: 'v,
    {
        Some(self)
    }

    fn as_iterable<'b, 'v>(&'b self) -> Option<&'b (dyn Iterable + 'v)>
    where
        Self: 'v,
    {
        Some(self)
    }

    fn as_sizer(&self) -> Option<&dyn Sizer> {
        Some(self)
    }

    fn equals(&self, other: &dyn Val) -> bool {
        let (Some(size), Some(iter)) = (other.as_sizer(), other.as_iterable()) else {
            return false;
        };
        if other.get_type() != self.get_type() || size.size() != len_int(self.list.len()) {
            return false;
        }
        let mut theirs = iter.iter();
        self.list
            .iter()
            .all(|v| theirs.next().is_some_and(|o| json_val(v).equals(o)))
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v>
    where
        Self: 'v,
    {
        Box::new(JsonList {
            list: self.list,
            items: OnceLock::new(),
        })
    }
}

impl Indexer for JsonList<'_> {
    fn get<'b, 'v>(&'b self, idx: &dyn Val) -> Result<CowVal<'b, 'v>, ExecutionError>
    where
        Self: 'v,
    {
        let i = if let Some(i) = idx.downcast_ref::<CelInt>() {
            usize::try_from(*i.inner()).ok()
        } else if let Some(u) = idx.downcast_ref::<CelUInt>() {
            usize::try_from(*u.inner()).ok()
        } else {
            return Err(ExecutionError::UnexpectedType {
                got: idx.get_type().name().to_owned(),
                want: "int index".to_owned(),
            });
        };
        match i.and_then(|i| self.list.get(i)) {
            Some(v) => Ok(CowVal::Owned(json_val(v))),
            None => Err(ExecutionError::function_error(
                "_[_]",
                format!("index out of bounds: list has {} elements", self.list.len()),
            )),
        }
    }

    fn steal<'v>(self: Box<Self>, idx: &dyn Val) -> Result<Box<dyn Val + 'v>, ExecutionError>
    where
        Self: 'v,
    {
        self.get(idx).map(CowVal::into_owned)
    }
}

impl Iterable for JsonList<'_> {
    fn iter<'b, 'v>(&'b self) -> Box<dyn Iterator<'b, 'v> + 'b>
    where
        Self: 'v,
    {
        Iterable::iter(self.items())
    }
}

impl Sizer for JsonList<'_> {
    fn size(&self) -> CelInt {
        len_int(self.list.len())
    }
}

impl Container for JsonList<'_> {
    fn contains(&self, value: &dyn Val) -> Result<bool, ExecutionError> {
        Ok(self.list.iter().any(|v| json_val(v).equals(value)))
    }
}
