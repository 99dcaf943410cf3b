//! The `/events` stream as one tenant sees it: its own container (exec
//! included), network, volume and image events, with its own names; none
//! of anyone else's.
//!
//! What dockerd 20.10 writes into an event decides how its owner is told
//! (measured; `docker events --format '{{json .}}'`):
//!
//! | type | actor | attributes | owner |
//! |---|---|---|---|
//! | `container` (`create`, `start`, `die`, `exec_create: CMD`, `exec_start: CMD`, `exec_die`, `rename`, ...) | container id | the container's labels, `name`, `image`, `execID`, `exitCode`, `oldName` | the owner label |
//! | `network` (`create`, `connect`, `disconnect`, `destroy`) | network id | `name`, `type`; `container` (an id) for connect and disconnect | the network's name |
//! | `volume` (`create`, `mount`, `unmount`, `destroy`) | the volume's name | `driver`; `container`, `destination`, `read/write`, `propagation` for mount | the volume's name |
//! | `image` (`pull`, `tag`, `untag`, `delete`, ...) | image id or reference | `name`, the image's labels | the tenant's claim as `name` |
//!
//! Network and volume events carry no labels, so their owner is read from
//! the engine-side name: `<tenant>_<name>` is `tenant`'s and no one
//! else's. That holds because the mapping is injective (DESIGN.md
//! invariant 7): a tenant id is `[a-z0-9]{1,64}`, so the first `_` of an
//! engine-side name ends the tenant id, and one name reads back to one
//! tenant at most (`alpha_net` is `alpha`'s, never `al`'s: `al` would need
//! `al_` in front); and every name a tenant gives is scoped to its own
//! prefix (`tenancy::scoped_name`: tenant `a` naming `b_x` makes
//! `a_b_x`, still `a`'s), so no tenant can make a name in another's scope.
//! The container a connect or mount names never decides: an event is about
//! its network or volume. Volumes the daemon names (64 hex digits, owned by
//! label alone) show no owner in their events and are dropped, as are the
//! predefined networks' events (`bridge`, `host`, `none` of the engine).
//! An image event is the tenant's only when it names one of its claims (the
//! tag fdcs writes after the tenant's pull of a private image); pulls,
//! untags and deletes name no tenant and are dropped.

use serde_json::Value;

use super::{to_bytes, unclaim_image, unscope_segments_value, unscope_string};
use crate::tenancy::claims::parse_claim;
use crate::tenancy::{is_reserved_label, tenant_name, OWNER_LABEL};
use crate::{Tenant, TenantId};

/// Rewrites one line of the `/events` stream; `None` drops it (not the
/// tenant's, or not readable).
pub fn rewrite_event(tenant: &Tenant, line: &[u8]) -> Option<Vec<u8>> {
    let id = &tenant.id;
    let mut v: Value = serde_json::from_slice(line).ok()?;
    let kind = v.get("Type").and_then(Value::as_str)?.to_string();
    let shown = match kind.as_str() {
        "container" => container(id, &mut v),
        "network" => network(id, &mut v),
        "volume" => volume(id, &mut v),
        "image" => image(id, &mut v),
        // daemon, plugin and swarm events are the engine's
        _ => None,
    };
    shown?;
    let mut out = to_bytes(&v);
    out.push(b'\n');
    Some(out)
}

fn attributes(v: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
    v.get_mut("Actor")?.get_mut("Attributes")?.as_object_mut()
}

fn container(id: &TenantId, v: &mut Value) -> Option<()> {
    let attrs = attributes(v)?;
    if attrs.get(OWNER_LABEL).and_then(Value::as_str) != Some(id.as_str()) {
        return None;
    }
    attrs.retain(|k, _| !is_reserved_label(k));
    if let Some(s) = attrs.get_mut("name") {
        unscope_string(id, s);
    }
    if let Some(s) = attrs.get_mut("oldName") {
        unscope_segments_value(id, s);
    }
    unclaim_image(id, attrs.get_mut("image"));
    unclaim_image(id, v.get_mut("from"));
    Some(())
}

fn network(id: &TenantId, v: &mut Value) -> Option<()> {
    let attrs = attributes(v)?;
    let name = attrs.get_mut("name")?;
    tenant_name(id, name.as_str()?)?;
    unscope_string(id, name);
    attrs.retain(|k, _| !is_reserved_label(k));
    Some(())
}

fn volume(id: &TenantId, v: &mut Value) -> Option<()> {
    let actor = v.get_mut("Actor")?;
    let name = actor.get_mut("ID")?;
    tenant_name(id, name.as_str()?)?;
    unscope_string(id, name);
    if let Some(attrs) = actor.get_mut("Attributes").and_then(Value::as_object_mut) {
        attrs.retain(|k, _| !is_reserved_label(k));
    }
    Some(())
}

fn image(id: &TenantId, v: &mut Value) -> Option<()> {
    let attrs = attributes(v)?;
    let name = attrs.get("name").and_then(Value::as_str)?;
    let (owner, _) = parse_claim(name)?;
    if owner != id.as_str() {
        return None;
    }
    attrs.retain(|k, _| !is_reserved_label(k));
    unclaim_image(id, attrs.get_mut("name"));
    // a reference as the actor (a pull's) could be the claim too
    if let Some(actor) = v.get_mut("Actor") {
        unclaim_image(id, actor.get_mut("ID"));
    }
    unclaim_image(id, v.get_mut("id"));
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tenant(id: &str) -> Tenant {
        Tenant::new(TenantId::new(id).unwrap_or_else(|_| unreachable!()))
    }

    fn seen(t: &str, line: &Value) -> Option<Value> {
        rewrite_event(&tenant(t), line.to_string().as_bytes())
            .and_then(|b| serde_json::from_slice(&b).ok())
    }

    fn cid(c: char) -> String {
        std::iter::repeat_n(c, 64).collect()
    }

    #[test]
    fn network_events_are_the_owners_by_name_with_its_names() {
        for action in ["create", "connect", "disconnect", "destroy"] {
            let line = json!({"Type": "network", "Action": action, "Actor": {"ID": cid('a'),
                "Attributes": {"name": "alpha_net", "type": "bridge", "container": cid('b')}},
                "scope": "local"});
            let out = seen("alpha", &line).unwrap_or_default();
            assert_eq!(out["Actor"]["Attributes"]["name"], "net", "{action}");
            assert_eq!(out["Actor"]["ID"], cid('a'));
            // `al` is not `alpha`, nor is `alph` or `alpha2`
            for other in ["al", "alph", "alpha2", "beta"] {
                assert!(seen(other, &line).is_none(), "{other} saw {line}");
            }
        }
        // the tenant's default network shows as `bridge`; the engine's own does not show
        let default = json!({"Type": "network", "Action": "connect", "Actor": {"ID": "n",
            "Attributes": {"name": "alpha_bridge", "type": "bridge", "container": cid('c')}}});
        assert_eq!(
            seen("alpha", &default).unwrap_or_default()["Actor"]["Attributes"]["name"],
            "bridge"
        );
        for engine in ["bridge", "host", "none", "alpha"] {
            let line = json!({"Type": "network", "Action": "connect", "Actor": {"ID": "n",
                "Attributes": {"name": engine, "container": cid('c')}}});
            assert!(seen("alpha", &line).is_none(), "{line}");
        }
    }

    #[test]
    fn a_connect_of_the_tenants_container_to_anothers_network_is_not_its() {
        // decided from the network, never from the container
        let line = json!({"Type": "network", "Action": "connect", "Actor": {"ID": "n",
            "Attributes": {"name": "beta_net", "container": cid('a'), "fdcs.tenant": "alpha"}}});
        assert!(seen("alpha", &line).is_none());
        let line = json!({"Type": "volume", "Action": "mount", "Actor": {"ID": "beta_data",
            "Attributes": {"container": cid('a'), "driver": "local", "fdcs.tenant": "alpha"}}});
        assert!(seen("alpha", &line).is_none());
        // no name at all: nobody's
        let line = json!({"Type": "network", "Action": "create", "Actor": {"ID": "n",
            "Attributes": {"fdcs.tenant": "alpha"}}});
        assert!(seen("alpha", &line).is_none());
    }

    #[test]
    fn volume_events_are_the_owners_by_name() {
        for action in ["create", "mount", "unmount", "destroy"] {
            let line = json!({"Type": "volume", "Action": action, "Actor": {"ID": "alpha_data",
                "Attributes": {"driver": "local", "container": cid('d'), "destination": "/data"}}});
            let out = seen("alpha", &line).unwrap_or_default();
            assert_eq!(out["Actor"]["ID"], "data", "{action}");
            assert_eq!(out["Actor"]["Attributes"]["destination"], "/data");
            assert!(seen("al", &line).is_none());
        }
        // a daemon-named volume names no tenant
        let line = json!({"Type": "volume", "Action": "create", "Actor": {"ID": cid('e'),
            "Attributes": {"driver": "local"}}});
        assert!(seen("alpha", &line).is_none());
    }

    #[test]
    fn container_and_exec_events_show_the_tenants_names_without_reserved_labels() {
        for action in [
            "create",
            "exec_create: sh -c true",
            "exec_start: sh -c true",
            "exec_die",
            "rename",
        ] {
            let line = json!({"status": action, "id": cid('f'), "from": "fdcs.invalid/alpha/reg__5000/app:1",
                "Type": "container", "Action": action, "Actor": {"ID": cid('f'),
                "Attributes": {"fdcs.tenant": "alpha", "fdcs.reserve": "1,2,3,4", "name": "alpha_web",
                    "oldName": "/alpha_old", "execID": cid('9'), "image": "fdcs.invalid/alpha/reg__5000/app:1"}}});
            let out = seen("alpha", &line).unwrap_or_default();
            let attrs = &out["Actor"]["Attributes"];
            assert_eq!(attrs["name"], "web", "{action}");
            assert_eq!(attrs["oldName"], "/old");
            assert_eq!(attrs["image"], "reg:5000/app:1");
            assert_eq!(out["from"], "reg:5000/app:1");
            assert!(attrs.get("fdcs.tenant").is_none() && attrs.get("fdcs.reserve").is_none());
            assert!(seen("beta", &line).is_none());
            assert!(seen("al", &line).is_none());
        }
    }

    #[test]
    fn image_events_pass_only_for_the_tenants_own_claims() {
        let tag = |name: &str| {
            json!({"status": "tag", "id": "sha256:1", "Type": "image",
            "Action": "tag", "Actor": {"ID": "sha256:1", "Attributes": {"name": name}}})
        };
        let out = seen("alpha", &tag("fdcs.invalid/alpha/reg__5000/app:1")).unwrap_or_default();
        assert_eq!(out["Actor"]["Attributes"]["name"], "reg:5000/app:1");
        assert!(seen("beta", &tag("fdcs.invalid/alpha/reg__5000/app:1")).is_none());
        assert!(seen("al", &tag("fdcs.invalid/alpha/reg__5000/app:1")).is_none());
        for name in [
            "busybox:latest",
            "sha256:1",
            "alpha_x",
            "fdcs.invalid/alpha",
        ] {
            assert!(seen("alpha", &tag(name)).is_none(), "{name}");
        }
        // an image label naming the tenant is no claim
        let labelled = json!({"Type": "image", "Action": "pull", "Actor": {"ID": "evil:1",
            "Attributes": {"name": "evil:1", "fdcs.tenant": "alpha"}}});
        assert!(seen("alpha", &labelled).is_none());
    }

    #[test]
    fn engine_events_and_garbage_are_dropped() {
        for line in [
            json!({"Type": "daemon", "Action": "reload", "Actor": {"ID": "d", "Attributes": {"name": "alpha_x"}}}),
            json!({"Type": "plugin", "Action": "enable", "Actor": {"ID": "p", "Attributes": {"name": "alpha_x"}}}),
            json!({"Action": "create", "Actor": {"ID": "alpha_x", "Attributes": {"name": "alpha_x"}}}),
            json!({"Type": "volume", "Action": "create", "Actor": {"ID": 7}}),
        ] {
            assert!(seen("alpha", &line).is_none(), "{line}");
        }
        assert!(rewrite_event(&tenant("alpha"), b"{\"Type\":").is_none());
    }
}
