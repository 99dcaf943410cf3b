//! Go-exact JSON decoding into typed models (DESIGN.md invariant 6).
//!
//! The daemon reads a body with Go's `encoding/json`; a proxy that reads it
//! any other way judges a different request than the one that runs. So a
//! body is parsed into a tree that keeps duplicate keys, then decoded by a
//! deserializer with Go's rules (case-folded field names, Kelvin sign and
//! long s included; merged duplicate objects; last duplicate scalar wins;
//! legacy top-level `HostConfig` fields), and anything the daemon would read
//! in a way we cannot judge is refused: unknown fields by name, `null` after
//! a value, repeated arrays of objects, top-level and nested `HostConfig`
//! together. The forwarded body is [`encode`]d from the judged model.
//!
//! Where Go is lenient and we are not (each refusal fails closed, and no
//! client we captured sends these): trailing bytes after the body (Go's
//! `Decoder` ignores them), lone UTF-16 surrogate escapes and invalid UTF-8
//! (Go substitutes U+FFFD), `-0` for an integer (serde_json reads a float),
//! `null` as a string map value or string array element (Go stores `""`),
//! a `ConsoleSize` that is not exactly two numbers, and keys Go would ignore
//! (unknown fields, the empty key).
//!
//! ```
//! use fdcs_policy::decode::{decode_container_create, encode};
//!
//! let body = br#"{"Image":"busybox","HostConfig":{"Privileged":false},"hostconfig":{"PRIVILEGED":true}}"#;
//! let create = decode_container_create(body).unwrap();
//! let hc = create.host_config.as_ref().unwrap();
//! assert_eq!(hc.privileged, Some(true)); // as the daemon reads it
//! assert_eq!(encode(&create)["HostConfig"]["Privileged"], true);
//! ```

mod de;
mod err;
mod fold;
mod legacy;
pub mod model;
mod tree;

pub use err::{DecodeError, DecodeErrorKind};
pub use legacy::decode_container_create;
pub use model::*;

use serde::de::DeserializeOwned;

use de::{Path, ValueDe};
use tree::Node;

/// Decodes a JSON object body into a model, exactly as the daemon's Go
/// decoder reads it, refusing what it cannot judge (see the module docs).
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    let root = tree::parse(body).map_err(|e| {
        DecodeError::new(
            DecodeErrorKind::Malformed,
            String::new(),
            format!("invalid JSON: {e}"),
        )
    })?;
    if !matches!(root, Node::Object(_)) {
        return Err(DecodeError::new(
            DecodeErrorKind::Malformed,
            String::new(),
            "the body must be a JSON object",
        ));
    }
    let path = Path::Root;
    T::deserialize(ValueDe::new(&root, &path))
}

/// The canonical JSON of a judged model: what is forwarded upstream.
/// Serialising our models cannot fail (string keys, no floats); should it
/// ever, the result is `null`, which no route accepts as a body.
pub fn encode<T: serde::Serialize>(model: &T) -> serde_json::Value {
    serde_json::to_value(model).unwrap_or(serde_json::Value::Null)
}
