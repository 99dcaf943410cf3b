//! Go-exact JSON decoding into typed models (DESIGN.md invariant 6).
//!
//! The daemon reads a body with Go's `encoding/json`; a proxy that reads it
//! any other way judges a different request than the one that runs. So a
//! body is parsed into a tree that keeps duplicate keys, then decoded by a
//! deserializer with Go's rules (case-folded field names, Kelvin sign and
//! long s included; merged duplicate objects; last duplicate scalar wins,
//! each earlier one still type-checked;
//! legacy top-level `HostConfig` fields), and anything the daemon would read
//! in a way we cannot judge is refused: unknown fields by name, `null` after
//! a value, repeated arrays of objects (or with a `null` element where an
//! earlier array has one), top-level and nested `HostConfig` together. The
//! forwarded body is [`encode`]d from the judged model.
//!
//! A lone `null` reads as Go reads it: absent for a field (nil pointer,
//! slice, map; an untouched scalar or struct), the zero value as a map
//! value or list element (`"Labels":{"a":null}` is `a=`), and a key no
//! field matches is dropped with a `null` value, as Go ignores it (docker-py
//! sends `NetworkingConfig: {"<network>": null}`); with any other value it
//! is still refused by name.
//!
//! A Go zero value of a non-pointer scalar field (`"Hostname":""`,
//! `"CpuShares":0`) reads as absent, as it does to the daemon, and is not
//! forwarded; pointer fields, slices and maps keep what was sent (see
//! `model::GoZero`).
//!
//! Where Go is lenient and we are not (each refusal fails closed, and no
//! client we captured sends these): trailing bytes after the body (Go's
//! `Decoder` ignores them), lone UTF-16 surrogate escapes and invalid UTF-8
//! (Go substitutes U+FFFD), `-0` for an integer (serde_json reads a float),
//! a `ConsoleSize` that is not exactly two numbers, and keys Go would ignore
//! (unknown fields with a value, the empty key).
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
mod registry_auth;
mod tree;

pub use err::{DecodeError, DecodeErrorKind};
pub use legacy::decode_container_create;
pub use model::*;
pub use registry_auth::{decode_registry_auth, decode_registry_config, encode_registry_auth};

use serde::de::DeserializeOwned;

use de::{Pass, Path, ValueDe};
use tree::Node;

/// Decodes a JSON object body into a model, exactly as the daemon's Go
/// decoder reads it, refusing what it cannot judge (see the module docs).
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    decode_streaming(body).or_else(|()| decode_tree(body))
}

/// The fast path: straight from the bytes, with Go's key matching, for the
/// common body in which no field is given twice. Any failure — a repeated
/// field, an unknown one, a type error — falls back to [`decode_tree`], which
/// gives the verdict and the precise error. Both read a body with no
/// repeated fields identically (tested on every captured body).
fn decode_streaming<T: DeserializeOwned>(body: &[u8]) -> Result<T, ()> {
    let first = body
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{') {
        return Err(());
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = T::deserialize(&mut de).map_err(|_| ())?;
    de.end().map_err(|_| ())?;
    Ok(value)
}

/// The full path: parse into a tree that keeps duplicates, then decode with
/// Go's merge rules.
fn decode_tree<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
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
    let pass = Pass::last();
    let value = T::deserialize(ValueDe::new(&root, &Path::Root(&pass)))?;
    // Go type-checks every value of a repeated field (see `de::Pass`)
    let mut widest = pass.widest();
    let mut k = 0;
    while k + 1 < widest {
        if widest > MAX_REPEATS {
            return Err(DecodeError::new(
                DecodeErrorKind::Ambiguous,
                String::new(),
                format!("a field given more than {MAX_REPEATS} times"),
            ));
        }
        let pass = Pass::pick(k);
        T::deserialize(ValueDe::new(&root, &Path::Root(&pass))).map_err(|e| {
            DecodeError::new(
                e.kind,
                e.path,
                format!(
                    "{} (an earlier value of a field given more than once: the daemon refuses the whole body)",
                    e.message
                ),
            )
        })?;
        widest = widest.max(pass.widest());
        k += 1;
    }
    Ok(value)
}

/// The most values one field may be given (each costs one more decoding
/// pass); no client repeats a field at all.
const MAX_REPEATS: usize = 16;

/// The canonical JSON of a judged model: what is forwarded upstream.
/// Serialising our models cannot fail (string keys, no floats); should it
/// ever, the result is `null`, which no route accepts as a body.
pub fn encode<T: serde::Serialize>(model: &T) -> serde_json::Value {
    serde_json::to_value(model).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn corpus() -> Vec<(String, Vec<u8>)> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/bodies");
        let mut out = Vec::new();
        for client in ["cli28", "cli20", "compose129", "dockerpy72"] {
            for f in std::fs::read_dir(format!("{root}/{client}")).unwrap() {
                let p = f.unwrap().path();
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
        assert!(out.len() >= 30);
        out
    }

    /// Rewrites every key (map keys too: both paths must still agree).
    fn rekey(v: &Value, f: &dyn Fn(&str) -> String) -> Value {
        match v {
            Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (f(k), rekey(v, f))).collect()),
            Value::Array(a) => Value::Array(a.iter().map(|v| rekey(v, f)).collect()),
            o => o.clone(),
        }
    }

    /// Both paths agree; returns whether the fast path took the body.
    fn same<T: DeserializeOwned + PartialEq + std::fmt::Debug>(name: &str, body: &[u8]) -> bool {
        let fast = decode_streaming::<T>(body);
        let full = decode_tree::<T>(body);
        match (fast, full) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "{name}");
                true
            }
            (Ok(a), Err(e)) => panic!("{name}: fast path accepted {a:?}, tree refused: {e}"),
            (Err(()), _) => false,
        }
    }

    fn check(name: &str, body: &[u8]) -> bool {
        let kind = name.rsplit('/').next().unwrap_or_default();
        if kind.starts_with("container-create") {
            same::<model::LegacyContainerCreate>(name, body)
        } else if kind.starts_with("container-update") {
            same::<ContainerUpdate>(name, body)
        } else if kind.starts_with("exec-create") {
            same::<ExecCreate>(name, body)
        } else if kind.starts_with("network-create") {
            same::<NetworkCreate>(name, body)
        } else if kind.starts_with("network-connect") {
            same::<NetworkConnect>(name, body)
        } else if kind.starts_with("network-disconnect") {
            same::<NetworkDisconnect>(name, body)
        } else if kind.starts_with("volume-create") {
            same::<VolumeCreate>(name, body)
        } else {
            panic!("{name}: unknown family");
        }
    }

    #[test]
    fn fast_path_takes_every_captured_body_and_agrees_with_the_tree() {
        for (name, body) in corpus() {
            assert!(
                check(&name, &body),
                "{name}: the fast path must take real bodies"
            );
            let v: Value = serde_json::from_slice(&body).unwrap();
            let folds: [&dyn Fn(&str) -> String; 3] = [
                &|k: &str| k.to_lowercase(),
                &|k: &str| k.to_uppercase(),
                &|k: &str| {
                    k.replace(['k', 'K'], "\u{212A}")
                        .replace(['s', 'S'], "\u{17F}")
                },
            ];
            for f in folds {
                assert!(check(&name, rekey(&v, f).to_string().as_bytes()), "{name}");
            }
        }
    }

    #[test]
    fn fast_path_gives_up_on_repeated_fields() {
        for body in [
            r#"{"HostConfig":{"Privileged":true},"HostConfig":{"Memory":1}}"#,
            r#"{"HostConfig":{"Privileged":true,"privileged":false}}"#,
            r#"{"Labels":{"a":"1"},"labels":{"b":"2"}}"#,
            r#"{"Image":"x","Image":null}"#,
        ] {
            assert!(
                decode_streaming::<model::LegacyContainerCreate>(body.as_bytes()).is_err(),
                "{body}"
            );
            assert!(
                decode_streaming::<ContainerCreate>(body.as_bytes()).is_err(),
                "{body}"
            );
        }
        // while the tree merges the first one
        let c = decode_container_create(
            br#"{"HostConfig":{"Privileged":true},"HostConfig":{"Memory":1}}"#,
        )
        .unwrap();
        assert_eq!(c.host_config.unwrap().privileged, Some(true));
    }

    #[test]
    fn every_value_of_a_repeated_field_is_type_checked_as_go_does() {
        // Go decodes each value in turn; a type error in an earlier one
        // fails the whole Decode, so the daemon refuses the body
        for body in [
            r#"{"HostConfig":{"BlkioWeight":-1,"BlkioWeight":1}}"#,
            r#"{"HostConfig":{"BlkioWeight":-1},"hostconfig":{"BlkioWeight":1}}"#,
            r#"{"HostConfig":{"Memory":1e20,"memory":1}}"#,
            r#"{"HostConfig":{"Memory":"1","Memory":1}}"#,
            r#"{"Cmd":[1],"Cmd":["ls"]}"#,
            r#"{"Image":"a","Image":"b","Image":7,"Image":"c"}"#,
        ] {
            let e = decode_container_create(body.as_bytes()).unwrap_err();
            assert_eq!(e.kind, DecodeErrorKind::Malformed, "{body}: {e}");
            assert!(e.message.contains("earlier value"), "{body}: {e}");
        }
        // well-typed repeats still read as the last one
        let c = decode_container_create(
            br#"{"Image":"a","image":"b","HostConfig":{"Memory":2,"Memory":3}}"#,
        )
        .unwrap();
        assert_eq!(c.image.as_deref(), Some("b"));
        assert_eq!(c.host_config.unwrap().resources.memory, Some(3));
        let many = format!(
            "{{{}\"Image\":\"a\"}}",
            "\"Image\":\"a\",".repeat(MAX_REPEATS)
        );
        assert_eq!(
            decode_container_create(many.as_bytes()).unwrap_err().kind,
            DecodeErrorKind::Ambiguous
        );
    }

    #[test]
    fn fast_path_refuses_what_is_not_an_object() {
        for body in ["", "[]", "null", " [\"Image\"]", "{} x"] {
            assert!(
                decode_streaming::<ContainerCreate>(body.as_bytes()).is_err(),
                "{body:?}"
            );
        }
    }
}
