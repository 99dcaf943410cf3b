//! The daemon's error answers as the tenant reads them: every route, every
//! status from 400 up, JSON or plain text.
//!
//! The daemon quotes engine-side names in its messages (`network with name
//! alpha_net already exists`, `remove alpha_vol: volume is in use`); they
//! are shown as the tenant's own names, and claims as the names it pulled.
//! A message may also quote ids the tenant never named: a name conflict
//! quotes the container that holds the name (which a container made on the
//! engine directly, outside fdcs, can hold), an image conflict the
//! containers of any tenant that use the image. The core cannot tell whose
//! an id is without asking the engine, so an id (a run of 12 or more
//! lower-case hex digits standing alone) passes only when the judged
//! request named it: a resolved reference, an id the tenant gave. Any other
//! becomes [`HIDDEN_ID`].

use serde_json::Value;

use super::{to_bytes, unscope_text};
use crate::tenancy::claims::unclaim_text;
use crate::{Forward, Tenant, TenantId};

/// What an id the judged request did not name is replaced with.
pub const HIDDEN_ID: &str = "<hidden id>";

/// The shortest hex run read as an id: the daemon's short ids have 12.
const MIN_ID: usize = 12;

/// Rewrites an error answer (status 400 and up) of any route for the
/// tenant: engine-side names and claims shown as the tenant's, ids the
/// request did not name hidden. A JSON body keeps its shape, every string
/// in it rewritten; any other body is rewritten as text.
pub fn rewrite_error(tenant: &Tenant, fwd: &Forward, body: &[u8]) -> Vec<u8> {
    let mut named = hex_runs(&fwd.path);
    if let Some(q) = &fwd.query {
        named.extend(hex_runs(q));
    }
    let text_body = fwd.body.as_ref().map(|b| b.to_string()).unwrap_or_default();
    named.extend(hex_runs(&text_body));
    rewrite_error_naming(&tenant.id, &named, body)
}

/// [`rewrite_error`] with the ids the request named given as a list.
pub(super) fn rewrite_error_naming(id: &TenantId, named: &[&str], body: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            strings_in(&mut v, &mut |s| *s = error_text(id, named, s));
            to_bytes(&v)
        }
        Err(_) => error_text(id, named, &String::from_utf8_lossy(body)).into_bytes(),
    }
}

/// One message: ids hidden first (a tenant's hex-looking name inside an
/// engine-side name is no id), then names and claims shown back.
pub(super) fn error_text(id: &TenantId, named: &[&str], text: &str) -> String {
    let hidden = hide_ids(&hide_host_paths(text), named);
    unclaim_text(id, &unscope_text(id, &hidden))
}

/// What a host path in a message is replaced with.
const HIDDEN_PATH: &str = "<host path>";

/// Where the engine and its runtime keep their state on the host (the
/// defaults): a path under one of them is the host's, never the tenant's.
const ENGINE_ROOTS: &[&str] = &[
    "/var/lib/docker",
    "/var/run/docker",
    "/run/docker",
    "/var/lib/containerd",
    "/var/run/containerd",
    "/run/containerd",
];

/// Hides every path under an engine root (invariant 11: host paths never
/// reach a tenant; a mount or start error quotes the overlay or volume
/// directory it failed on).
fn hide_host_paths(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = ENGINE_ROOTS
        .iter()
        .filter_map(|r| rest.find(r).map(|i| (i, r.len())))
        .filter(|(i, len)| {
            let after = rest.as_bytes().get(i + len).copied();
            after.is_none_or(|c| c == b'/' || !wordy(c))
        })
        .min()
    {
        let (i, _) = at;
        let end = rest
            .get(i..)
            .and_then(|t| t.find(|c: char| c.is_whitespace() || "\"'`:,;)]}".contains(c)))
            .map_or(rest.len(), |e| i + e);
        out.push_str(rest.get(..i).unwrap_or_default());
        out.push_str(HIDDEN_PATH);
        rest = rest.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

fn strings_in(v: &mut Value, f: &mut impl FnMut(&mut String)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter_mut().for_each(|x| strings_in(x, f)),
        Value::Object(m) => m.values_mut().for_each(|x| strings_in(x, f)),
        _ => {}
    }
}

/// Whether `c` may be part of a word (so that a hex run next to it is part
/// of a name, not an id).
fn wordy(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')
}

fn is_id_digit(c: u8) -> bool {
    c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
}

/// Every standalone run of at least [`MIN_ID`] lower-case hex digits in `s`,
/// with its byte range.
fn id_spans(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = b.get(i).copied().is_some_and(is_id_digit)
            && (i == 0 || b.get(i - 1).is_some_and(|c| !wordy(*c)));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while b.get(j).copied().is_some_and(is_id_digit) {
            j += 1;
        }
        let ends = b.get(j).is_none_or(|c| !wordy(*c));
        if ends && j - i >= MIN_ID {
            out.push((i, j));
        }
        i = j.max(i + 1);
    }
    out
}

fn hex_runs(s: &str) -> Vec<&str> {
    // in a path or query an id stands between `/`, `=`, `&` or quotes
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let mut j = i;
        while b.get(j).copied().is_some_and(is_id_digit) {
            j += 1;
        }
        if j - i >= MIN_ID {
            if let Some(run) = s.get(i..j) {
                out.push(run);
            }
        }
        i = j + 1;
    }
    out
}

/// Whether the request named the id `run` (or an id it is a prefix of, or
/// a prefix of it: the tenant may give a short id, the daemon quote a full).
fn is_named(named: &[&str], run: &str) -> bool {
    named
        .iter()
        .any(|n| n.starts_with(run) || run.starts_with(n))
}

fn hide_ids(text: &str, named: &[&str]) -> String {
    let spans = id_spans(text);
    if spans.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (i, j) in spans {
        let run = text.get(i..j).unwrap_or_default();
        out.push_str(text.get(at..i).unwrap_or_default());
        if is_named(named, run) {
            out.push_str(run);
        } else {
            out.push_str(HIDDEN_ID);
        }
        at = j;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alpha() -> TenantId {
        TenantId::new("alpha").unwrap_or_else(|_| unreachable!())
    }

    fn id(c: char) -> String {
        std::iter::repeat_n(c, 64).collect()
    }

    #[test]
    fn messages_of_every_shape_show_the_tenants_names() {
        let a = alpha();
        for (engine, shown) in [
            (
                "network with name alpha_net already exists",
                "network with name net already exists",
            ),
            (
                "endpoint with name alpha_a already exists in network alpha_net",
                "endpoint with name a already exists in network net",
            ),
            (
                "remove alpha_vol: volume is in use",
                "remove vol: volume is in use",
            ),
            (
                "No such image: fdcs.invalid/alpha/reg__5000/app:1",
                "No such image: reg:5000/app:1",
            ),
        ] {
            let json = serde_json::json!({ "message": engine }).to_string();
            let out: Value =
                serde_json::from_slice(&rewrite_error_naming(&a, &[], json.as_bytes()))
                    .unwrap_or_default();
            assert_eq!(out["message"], shown, "{engine}");
            // text/plain, as the daemon answers API versions before 1.24
            let out = rewrite_error_naming(&a, &[], engine.as_bytes());
            assert_eq!(String::from_utf8_lossy(&out), shown, "{engine}");
        }
    }

    #[test]
    fn ids_the_request_did_not_name_are_hidden() {
        let a = alpha();
        let (mine, theirs) = (id('a'), id('b'));
        let text = format!(
            "network alpha_net id {mine} has active endpoints; in use by container \"{theirs}\" and {}",
            &theirs[..12]
        );
        let out = error_text(&a, &[mine.as_str()], &text);
        assert!(out.contains(&mine), "{out}");
        assert!(!out.contains("bbbbbbbbbbbb"), "{out}");
        assert_eq!(out.matches(HIDDEN_ID).count(), 2, "{out}");
        // a short id the tenant gave vouches for the full one the daemon quotes
        let out = error_text(
            &a,
            &[&mine[..12]],
            &format!("Container {mine} is not running"),
        );
        assert_eq!(out, format!("Container {mine} is not running"));
        // a hex-looking name is a name, not an id
        let out = error_text(&a, &[], "No such container: alpha_deadbeefcafe12");
        assert_eq!(out, "No such container: deadbeefcafe12");
    }

    #[test]
    fn a_forward_names_the_ids_of_its_path_query_and_body() {
        let t = Tenant::new(alpha());
        let (net, ctr) = (id('c'), id('d'));
        let fwd = Forward {
            method: "POST".into(),
            path: format!("/v1.41/networks/{net}/connect"),
            query: None,
            body: Some(serde_json::json!({ "Container": ctr })),
            stream_body: false,
            registry_auth: None,
            registry_config: None,
            prelude: Vec::new(),
            postlude: Vec::new(),
            response: crate::ResponsePlan::PassThrough,
            warnings: Vec::new(),
            warnings_field: None,
        };
        let body = format!(r#"{{"message":"{ctr} on {net}, not {}"}}"#, id('e'));
        let out = String::from_utf8(rewrite_error(&t, &fwd, body.as_bytes())).unwrap_or_default();
        assert!(out.contains(&ctr) && out.contains(&net), "{out}");
        assert!(!out.contains("eeeeeeeeeeee"), "{out}");
    }
}
