//! Resolving a tenant's reference (name, full id, id prefix) to one of its
//! own resources, in the order the daemon resolves it — but only ever among
//! the tenant's own, so another tenant's resources cannot be named, guessed
//! by prefix, or even shown to exist (invariant 2).

use super::lookup::{Lookup, LookupBy};
use super::{engine_name, is_full_id};
use crate::{Denial, Facts, Obligation, Owned, ResourceKind, TenantId};

/// The outcome of resolving one reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution<'f> {
    /// The tenant owns it.
    Owned(&'f Owned),
    /// The facts to decide are not there yet.
    Need(Obligation),
    /// Not owned, or does not exist: the daemon's own 404 for a path
    /// reference. A body reference gets the daemon's answer for its field
    /// instead ([`BodyRef`], or the tenant's scoped name forwarded).
    NotFound(Denial),
    /// An id prefix two of the tenant's own resources share: the daemon's
    /// 400 (it can only ever reveal the tenant's own).
    Ambiguous(Denial),
}

/// A container named in a create body whose absence the daemon reports at
/// create time, each with its own status and wording (measured on dockerd
/// 20.10, API 1.41; `tests/tests/daemon_exact.rs` compares them with the
/// engine's). References the daemon only resolves when the container
/// starts (`NetworkMode`, `container:` UTS and cgroup modes, endpoint
/// networks, links and `NetworkID`) are forwarded as the tenant's scoped
/// name instead, which names nothing of anyone else's: the engine then
/// answers as it does for any missing name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRef {
    /// `HostConfig.VolumesFrom` (`name[:mode]`).
    VolumesFrom,
    /// `HostConfig.Links` (`name[:alias]`).
    Link,
    /// `HostConfig.PidMode` / `IpcMode` `container:<ref>`.
    NamespaceMode,
}

impl BodyRef {
    /// The daemon's answer when `reference` names no container: 400 (the
    /// docker CLI reads a 404 at create as "no such image" and pulls).
    pub fn missing(self, reference: &str) -> Denial {
        let message = match self {
            BodyRef::VolumesFrom | BodyRef::NamespaceMode => {
                format!("No such container: {reference}")
            }
            BodyRef::Link => {
                format!("could not get container for {reference}: No such container: {reference}")
            }
        };
        Denial::daemon(400, None, message)
    }
}

/// The daemon's wording for a missing resource of `kind`.
pub fn not_found(kind: ResourceKind, reference: &str) -> Denial {
    Denial::not_found(match kind {
        ResourceKind::Container => format!("No such container: {reference}"),
        ResourceKind::Network => format!("network {reference} not found"),
        ResourceKind::Volume => format!("get {reference}: no such volume"),
        // `daemon/cluster/helpers.go`: "service %s not found", and so on
        k => format!("{} {reference} not found", k.noun()),
    })
}

/// The daemon's 404 for a node that does not exist, or is outside the
/// tenant's pool.
pub fn not_found_node(reference: &str) -> Denial {
    Denial::not_found(format!("node {reference} not found"))
}

/// The daemon's 404 for a path reference of `endpoint` that names nothing:
/// [`not_found`], but with the prefix a few routes add (measured on dockerd
/// 20.10; `tests/tests/daemon_exact.rs` compares every container, network,
/// volume and exec route with the engine's own answer).
pub fn not_found_at(
    endpoint: crate::route::Endpoint,
    kind: ResourceKind,
    reference: &str,
) -> Denial {
    match (endpoint, kind) {
        (crate::route::Endpoint::ContainerKill, ResourceKind::Container) => Denial::not_found(
            format!("Cannot kill container: {reference}: No such container: {reference}"),
        ),
        _ => not_found(kind, reference),
    }
}

/// Resolves `reference` among the tenant's resources of `kind`.
///
/// Order, as the daemon's: exact full id, exact name, unique id prefix
/// (volumes: name only). Two own resources matching one prefix is the
/// daemon's "ambiguous" error; it can only ever reveal the tenant's own.
///
/// With the tenant's whole list in `facts` (an offline adapter that knows
/// everything), it is resolved there; otherwise each step asks one targeted
/// [`Lookup`], so that resolving costs one engine call per step, whatever
/// the number of resources.
pub fn resolve<'f>(
    facts: &'f Facts,
    tenant: &TenantId,
    kind: ResourceKind,
    reference: &str,
) -> Resolution<'f> {
    resolve_at(facts, tenant, kind, reference, "")
}

/// [`resolve`], asking its lookups with the `/vX.Y` prefix `api` (the
/// request's own, so that an inspect lookup can answer the request).
pub fn resolve_at<'f>(
    facts: &'f Facts,
    tenant: &TenantId,
    kind: ResourceKind,
    reference: &str,
    api: &str,
) -> Resolution<'f> {
    let name = reference.strip_prefix('/').unwrap_or(reference);
    if name.is_empty() {
        return Resolution::NotFound(not_found(kind, reference));
    }
    if let Some(owned) = facts.owned(kind) {
        return resolve_in(owned, tenant, kind, reference, name);
    }
    let ask = |by: LookupBy| -> Result<&'f [Owned], Obligation> {
        let lookup = Lookup {
            kind,
            by,
            api: api.to_string(),
        };
        facts
            .lookups
            .get(&lookup)
            .map(Vec::as_slice)
            .ok_or(Obligation::Lookup(lookup))
    };
    if kind != ResourceKind::Volume && is_id(kind, name) {
        match ask(LookupBy::Id(name.to_string())) {
            Err(o) => return Resolution::Need(o),
            Ok([o, ..]) => return Resolution::Owned(o),
            Ok([]) => {}
        }
    }
    // A volume created without a name got a random 64-hex name from the
    // daemon; it is the tenant's only if the owner label says so.
    let engine = if kind == ResourceKind::Volume && is_full_id(name) {
        name.to_string()
    } else {
        engine_name(tenant, name)
    };
    // a task has no name of its own: only its id finds it
    if kind != ResourceKind::Task {
        match ask(LookupBy::Name(engine)) {
            Err(o) => return Resolution::Need(o),
            Ok([o, ..]) => return Resolution::Owned(o),
            Ok([]) => {}
        }
    }
    if kind != ResourceKind::Volume && is_prefix(kind, name) {
        let matches = match ask(LookupBy::Prefix(name.to_string())) {
            Err(o) => return Resolution::Need(o),
            Ok(m) => m,
        };
        return by_prefix(
            matches.iter().filter(|o| o.id.starts_with(name)),
            kind,
            reference,
        );
    }
    Resolution::NotFound(not_found(kind, reference))
}

/// Whether `s` is a whole id of `kind`: 64 hex for the engine's own
/// objects, 25 base-36 characters for swarm's (`identity.NewID`).
/// A network is either: a swarm-scoped network (an overlay) has a swarm
/// id.
fn is_id(kind: ResourceKind, s: &str) -> bool {
    let swarm_id = s.len() == 25 && is_base36(s);
    match kind {
        ResourceKind::Network => is_full_id(s) || swarm_id,
        k if k.is_swarm() => swarm_id,
        _ => is_full_id(s),
    }
}

/// Whether `s` could begin an id of `kind` (hex, or base 36 for swarm's).
/// A network's prefix is hex only: base 36 would make every name a tenant
/// does not have (`default`, on each `docker run`) cost one more engine
/// call, for the rare overlay network named by a partial swarm id.
fn is_prefix(kind: ResourceKind, s: &str) -> bool {
    if kind.is_swarm() {
        is_base36(s)
    } else {
        s.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

fn is_base36(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

/// The unique match of a prefix, the daemon's "ambiguous" error, or none.
fn by_prefix<'f>(
    mut matches: impl Iterator<Item = &'f Owned>,
    kind: ResourceKind,
    reference: &str,
) -> Resolution<'f> {
    match (matches.next(), matches.next()) {
        (Some(one), None) => Resolution::Owned(one),
        (Some(_), Some(_)) if kind.is_swarm() => Resolution::Ambiguous(Denial::daemon(
            400,
            None,
            format!(
                "{} {reference} is ambiguous ({} matches found)",
                kind.noun(),
                2 + matches.count()
            ),
        )),
        (Some(_), Some(_)) => Resolution::Ambiguous(Denial::daemon(
            400,
            None,
            format!("multiple IDs found with provided prefix: {reference}"),
        )),
        _ => Resolution::NotFound(not_found(kind, reference)),
    }
}

/// Resolution in a complete list of the tenant's own resources.
fn resolve_in<'f>(
    owned: &'f [Owned],
    tenant: &TenantId,
    kind: ResourceKind,
    reference: &str,
    name: &str,
) -> Resolution<'f> {
    if kind != ResourceKind::Volume && is_id(kind, name) {
        if let Some(o) = owned.iter().find(|o| o.id == name) {
            return Resolution::Owned(o);
        }
    }
    if kind == ResourceKind::Volume && is_full_id(name) {
        if let Some(o) = owned.iter().find(|o| o.name == name) {
            return Resolution::Owned(o);
        }
    }
    let scoped = engine_name(tenant, name);
    if let Some(o) = owned
        .iter()
        .find(|o| kind != ResourceKind::Task && o.name == scoped)
    {
        return Resolution::Owned(o);
    }
    if kind != ResourceKind::Volume && is_prefix(kind, name) {
        return by_prefix(
            owned.iter().filter(|o| o.id.starts_with(name)),
            kind,
            reference,
        );
    }
    Resolution::NotFound(not_found(kind, reference))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            containers: Some(vec![
                Owned {
                    id: format!("ab{}", "1".repeat(62)),
                    name: "alpha_web".into(),
                },
                Owned {
                    id: format!("ac{}", "2".repeat(62)),
                    name: "alpha_db".into(),
                },
            ]),
            ..Facts::default()
        }
    }

    fn alpha() -> TenantId {
        TenantId::new("alpha").unwrap()
    }

    #[test]
    fn name_full_id_and_prefix_resolve_to_own() {
        let f = facts();
        for r in ["web", "/web", "ab1", &format!("ab{}", "1".repeat(62))] {
            match resolve(&f, &alpha(), ResourceKind::Container, r) {
                Resolution::Owned(o) => assert_eq!(o.name, "alpha_web", "{r}"),
                other => panic!("{r}: {other:?}"),
            }
        }
    }

    #[test]
    fn engine_side_names_and_foreign_refs_are_not_found() {
        let f = facts();
        for r in ["alpha_web", "beta_web", "ff", "", "/", "zz"] {
            match resolve(&f, &alpha(), ResourceKind::Container, r) {
                Resolution::NotFound(d) => {
                    assert_eq!(d.status, 404, "{r}");
                    assert_eq!(d.message, format!("No such container: {r}"));
                }
                other => panic!("{r}: {other:?}"),
            }
        }
    }

    #[test]
    fn path_and_body_references_get_the_daemons_wording_per_route_and_field() {
        use crate::route::Endpoint;
        let kill = not_found_at(Endpoint::ContainerKill, ResourceKind::Container, "x");
        assert_eq!(
            (kill.status, kill.message.as_str()),
            (404, "Cannot kill container: x: No such container: x")
        );
        let stop = not_found_at(Endpoint::ContainerStop, ResourceKind::Container, "x");
        assert_eq!(stop.message, "No such container: x");
        let link = BodyRef::Link.missing("db");
        assert_eq!(
            (link.status, link.message.as_str()),
            (400, "could not get container for db: No such container: db")
        );
        for f in [BodyRef::VolumesFrom, BodyRef::NamespaceMode] {
            let d = f.missing("db");
            assert_eq!(
                (d.status, d.message.as_str()),
                (400, "No such container: db")
            );
            assert_eq!(d.rule, None);
        }
    }

    #[test]
    fn ambiguous_prefix_among_own_only() {
        let f = facts();
        match resolve(&f, &alpha(), ResourceKind::Container, "a") {
            Resolution::Ambiguous(d) => assert!(d.message.contains("multiple IDs")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unanswered_facts_become_one_targeted_lookup() {
        let mut f = Facts::default();
        let by_name = Lookup {
            kind: ResourceKind::Network,
            by: LookupBy::Name("alpha_net".into()),
            api: String::new(),
        };
        assert_eq!(
            resolve(&f, &alpha(), ResourceKind::Network, "net"),
            Resolution::Need(Obligation::Lookup(by_name.clone()))
        );
        // a hex reference that is no name goes on to one prefix lookup
        let abc = Lookup {
            kind: ResourceKind::Container,
            by: LookupBy::Name("alpha_abc".into()),
            api: String::new(),
        };
        f.lookups.insert(abc, Vec::new());
        let prefix = Lookup {
            kind: ResourceKind::Container,
            by: LookupBy::Prefix("abc".into()),
            api: String::new(),
        };
        assert_eq!(
            resolve(&f, &alpha(), ResourceKind::Container, "abc"),
            Resolution::Need(Obligation::Lookup(prefix.clone()))
        );
        let two = vec![
            Owned {
                id: "abc1".into(),
                name: "alpha_a".into(),
            },
            Owned {
                id: "abc2".into(),
                name: "alpha_b".into(),
            },
        ];
        f.lookups.insert(prefix, two);
        assert!(matches!(
            resolve(&f, &alpha(), ResourceKind::Container, "abc"),
            Resolution::Ambiguous(d) if d.status == 400
        ));
        f.lookups.insert(
            by_name,
            vec![Owned {
                id: "n1".into(),
                name: "alpha_net".into(),
            }],
        );
        assert!(matches!(
            resolve(&f, &alpha(), ResourceKind::Network, "net"),
            Resolution::Owned(o) if o.id == "n1"
        ));
    }
}
