//! The explicit allowances: where fdcs and the 20.10 daemon differ on
//! purpose, each with why. Everything not listed here must agree.
//!
//! fdcs refusing what the daemon accepts is safe (nothing is forwarded);
//! those refusals are listed by reason so that a route fdcs forgot still
//! shows up. Where fdcs accepts, the only differences allowed are those
//! where the 20.10 daemon refuses or ignores what fdcs knows from newer
//! API versions, and the daemon's own defaults.

use base64::Engine as _;
use fdcs_policy::route::{Endpoint, RouteMatch, MAX_API_VERSION};
use serde_json::Value;

use super::daemon::Answer;

/// The newest API version the 20.10 daemon serves.
const DAEMON_MAX: (u32, u32) = (1, 41);

/// Why fdcs may refuse a request the daemon routes (`None`: it may not).
pub(crate) fn fdcs_refusal(rule: &str, method: &str, template: &str) -> Option<&'static str> {
    match rule {
        // invariant 1: one canonical spelling; the daemon's router also
        // takes encoded letters, `/` inside `{name:.*}`, trailing slashes...
        "route.ambiguous" => Some("ambiguous spelling (invariant 1)"),
        // fdcs serves API 1.24..1.51; the daemon 1.12..1.41
        "route.version" => Some("API version below 1.24"),
        "route.unknown" => match (method, template) {
            // CORS preflight for any path: nothing a Docker client needs
            ("OPTIONS", "/{anyroute:.*}") => Some("OPTIONS (CORS preflight) is not forwarded"),
            // deprecated since 1.8, an error since 1.12 in the daemon itself
            ("POST", "/containers/{name:.*}/copy") => {
                Some("POST /containers/{name}/copy (removed API)")
            }
            // createMux registers the debug routes for every method; fdcs
            // routes only GET (to an administration group, denied by default)
            ("", t) if t.starts_with("/debug/") => Some("/debug/* with a method other than GET"),
            _ => None,
        },
        _ => None,
    }
}

/// fdcs routes an endpoint the 20.10 daemon does not have (newer API).
pub(crate) fn unrouted(e: Endpoint, d: &Answer) -> Option<&'static str> {
    if d.outcome != "not_found" {
        return None;
    }
    match e {
        Endpoint::VolumeUpdate => Some("PUT /volumes/{name} is API 1.42 (swarm CSI volumes)"),
        Endpoint::ImageAttestations => Some("GET /images/{name}/attestations is API 1.55"),
        _ => None,
    }
}

/// fdcs routes a version above the 20.10 daemon's: that daemon refuses it
/// itself ("client version ... is too new"); a newer engine serves it.
pub(crate) fn newer_version(m: &RouteMatch) -> Option<&'static str> {
    let v = m.version?;
    ((v.major, v.minor) > DAEMON_MAX && v <= MAX_API_VERSION)
        .then_some("API version 1.42..1.51: refused by the 20.10 daemon itself")
}

/// The daemon refuses the original body and the body fdcs would forward:
/// fdcs judged it, the daemon refuses it anyway (its validations).
pub(crate) const DAEMON_REFUSES_BOTH: &str = "the daemon refuses the original and fdcs's forward";

/// A value the daemon sets itself where fdcs leaves the field out.
pub(crate) fn daemon_default(decoder: &str, path: &str, go: &Value) -> bool {
    if decoder != "container-create" {
        return false;
    }
    match path {
        // runconfig's getHostConfig: SetDefaultNetModeIfBlank
        "/HostConfig/NetworkMode" => go == "default",
        // a top-level HostConfig key with `null` allocates the embedded
        // *HostConfig: a zero one, with that default (see `nil_or_zero`)
        "/HostConfig" => {
            nil_or_zero(&serde_json::json!({ "HostConfig": go }))["HostConfig"].is_null()
        }
        _ => false,
    }
}

/// A field fdcs's model has (from newer API versions, or docker-py's
/// extras) that the 20.10 struct lacks: that daemon ignores it.
pub(crate) fn field_unknown_to_20_10(decoder: &str, shape: &str) -> bool {
    matches!(
        (decoder, shape),
        // docker-py repeats the container; the judge drops it
        ("exec-create", "/Container")
            // API 1.42
            | ("exec-create", "/ConsoleSize")
            | ("volume-create", "/ClusterVolumeSpec")
            // API 1.44
            | ("container-create", "/Healthcheck/StartInterval")
    ) || (
        // API 1.48, an endpoint's gateway priority
        matches!(decoder, "network-connect" | "container-create") && shape.ends_with("/GwPriority")
    )
}

/// Two spellings of one value.
pub(crate) fn same_value(decoder: &str, path: &str, go: &Value, ours: &Value) -> bool {
    match (decoder, path, go, ours) {
        // `[]byte`: Go decodes base64 (ignoring line breaks) and re-encodes
        // it canonically; fdcs keeps the text it forwards, which the daemon
        // decodes to the same bytes
        ("secret-spec" | "config-spec", "/Data", Value::String(g), Value::String(o)) => {
            // Go's StdEncoding does not check the trailing bits
            let go = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
            );
            let b64 = |s: &str| {
                let s: String = s.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
                go.decode(s).ok()
            };
            b64(g).is_some() && b64(g) == b64(o)
        }
        // a Go float32: the daemon holds the value rounded to single
        // precision, and so does it when it reads fdcs's float64
        ("service-spec", p, Value::Number(g), Value::Number(o))
            if p.ends_with("/MaxFailureRatio") =>
        {
            g.as_f64().map(|g| g as f32) == o.as_f64().map(|o| o as f32)
        }
        _ => false,
    }
}

/// Two readings of one body the daemon treats alike.
pub(crate) fn same_reading(decoder: &str, original: &Value, forward: &Value) -> bool {
    decoder == "container-create" && nil_or_zero(original) == nil_or_zero(forward)
}

/// A create body's reading with a nil `*Config` or `*HostConfig` written as
/// the zero struct: Go allocates them for any key of theirs (`null` too),
/// fdcs forwards only what holds a value. The daemon's create treats a nil
/// HostConfig as the zero one; a nil Config it refuses ("Config cannot be
/// empty") where a zero one fails later for want of an image: fdcs's judge
/// always forwards an image, labels and a host config, so it never sends
/// either nil.
fn nil_or_zero(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        let config_keys: Vec<String> = m
            .keys()
            .filter(|k| !matches!(k.as_str(), "HostConfig" | "NetworkingConfig"))
            .cloned()
            .collect();
        // runconfig initialises `Volumes` to `{}` when there is a host
        // config (always, in what the judge forwards)
        if m.get("Volumes")
            .is_some_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
        {
            m.insert("Volumes".into(), Value::Null);
        }
        if config_keys.iter().all(|k| super::is_zero(&m[k])) {
            for k in config_keys {
                m.remove(&k);
            }
        }
        if let Some(hc) = m.get_mut("HostConfig") {
            if let Some(h) = hc.as_object_mut() {
                if h.get("NetworkMode").is_some_and(|n| n == "default") {
                    h.remove("NetworkMode");
                }
            }
            if super::is_zero(hc) {
                *hc = Value::Null;
            }
        }
    }
    v
}

/// The daemon refuses the original but accepts what fdcs forwards.
pub(crate) fn repaired(decoder: &str, error: &str) -> Option<&'static str> {
    let _ = (decoder, error);
    None
}
