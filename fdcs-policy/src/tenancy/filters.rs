//! List, prune and events filters: the tenant's own filters checked and
//! scoped, and the ownership label filter forced in (invariant 8).
//!
//! The daemon reads only the first `filters` value and accepts two JSON
//! shapes: `{"label":{"a=b":true}}` and the legacy `{"label":["a=b"]}`. We
//! read either, refuse reserved labels and filters we cannot scope, and send
//! one canonical `filters` value that always holds the owner label.

use std::collections::BTreeMap;

use super::resolve::{resolve, Resolution};
use super::{engine_name, is_full_id, is_reserved_label, OWNER_LABEL};
use crate::{Denial, Facts, Obligation, ResourceKind, TenantId};

/// Where the filters are used; each list has its own allowed keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterScope {
    /// `GET /containers/json`.
    ContainerList,
    /// `GET /networks`.
    NetworkList,
    /// `GET /volumes`.
    VolumeList,
    /// `POST /{containers,networks,volumes}/prune`.
    Prune,
    /// `GET /events`.
    Events,
    /// `GET /images/json`, `POST /images/prune`: images are shared, no owner label.
    Images,
    /// `GET /services`.
    ServiceList,
    /// `GET /tasks` (a task's labels, to the daemon's filter, are its
    /// service's).
    TaskList,
    /// `GET /secrets`, `GET /configs`.
    SecretList,
    /// `GET /nodes`: nodes belong to no tenant (no owner label); the
    /// answer is cut to the tenant's pool.
    NodeList,
}

impl FilterScope {
    /// Swarm lists: the daemon matches `name` as a prefix of the
    /// engine-side name (and `names` exactly), so both go upstream scoped.
    fn is_swarm(self) -> bool {
        matches!(
            self,
            FilterScope::ServiceList | FilterScope::TaskList | FilterScope::SecretList
        )
    }
}

/// The outcome of scoping a `filters` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedFilters {
    /// The canonical `filters` JSON to send upstream.
    pub upstream: String,
    /// The tenant's `name` filters, applied by the response rewriter on the
    /// tenant's own names (the daemon would see engine-side names).
    pub name_filters: Vec<String>,
}

/// Parses either filters shape into key → values.
pub fn parse(raw: &str) -> Result<BTreeMap<String, Vec<String>>, Denial> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if raw.trim().is_empty() {
        return Ok(out);
    }
    let value: serde_json::Value =
        serde_json::from_str(raw).map_err(|_| bad_filter("the filters value is not valid JSON"))?;
    let serde_json::Value::Object(map) = value else {
        return Err(bad_filter("the filters value is not a JSON object"));
    };
    for (key, values) in map {
        let list = match values {
            serde_json::Value::Object(m) => {
                let mut v = Vec::new();
                for (val, on) in m {
                    match on {
                        serde_json::Value::Bool(true) => v.push(val),
                        serde_json::Value::Bool(false) => {}
                        _ => return Err(bad_filter("a filter map value is not a boolean")),
                    }
                }
                v
            }
            serde_json::Value::Array(a) => {
                let mut v = Vec::new();
                for item in a {
                    match item {
                        serde_json::Value::String(s) => v.push(s),
                        _ => return Err(bad_filter("a filter list item is not a string")),
                    }
                }
                v
            }
            _ => return Err(bad_filter("a filter is neither a list nor a map")),
        };
        out.insert(key, list);
    }
    Ok(out)
}

fn bad_filter(what: &str) -> Denial {
    Denial::malformed(
        crate::RuleId::TENANCY_FILTER,
        what,
        "send filters as the docker CLI does, e.g. --filter name=web",
    )
}

fn allowed_keys(scope: FilterScope) -> &'static [&'static str] {
    match scope {
        FilterScope::ContainerList => &[
            "ancestor",
            "before",
            "expose",
            "exited",
            "health",
            "id",
            "isolation",
            "is-task",
            "label",
            "name",
            "network",
            "publish",
            "since",
            "status",
            "volume",
        ],
        FilterScope::NetworkList => &["dangling", "driver", "id", "label", "name", "scope", "type"],
        FilterScope::VolumeList => &["dangling", "driver", "label", "name"],
        FilterScope::Prune => &["until", "label", "label!"],
        FilterScope::Events => &[
            "container",
            "event",
            "image",
            "label",
            "network",
            "scope",
            "type",
            "volume",
        ],
        FilterScope::ServiceList => &["id", "label", "mode", "name"],
        FilterScope::TaskList => &[
            "_up-to-date",
            "desired-state",
            "id",
            "label",
            "name",
            "node",
            "service",
        ],
        FilterScope::SecretList => &["id", "label", "name", "names"],
        // a node's hostname and labels are hidden from tenants: a filter on
        // them would be an oracle for what the answer hides
        FilterScope::NodeList => &["id", "membership", "role"],
        FilterScope::Images => &[
            "before",
            "dangling",
            "label",
            "reference",
            "since",
            "until",
            "label!",
        ],
    }
}

/// Checks and scopes the tenant's `filters`, forcing the owner label in.
/// `shared` (the policy's shared registries) bounds the images an image
/// list filter may name.
///
/// Returns `Err(Ok(obligation))` when a filter refers to a resource that
/// must be resolved first, `Err(Err(denial))` when refused.
pub fn scope(
    raw: Option<&str>,
    scope: FilterScope,
    tenant: &TenantId,
    facts: &Facts,
    shared: &[String],
) -> Result<ScopedFilters, Result<Obligation, Denial>> {
    let parsed = parse(raw.unwrap_or("")).map_err(Err)?;
    let allowed = allowed_keys(scope);
    let mut upstream: BTreeMap<String, BTreeMap<String, bool>> = BTreeMap::new();
    let mut name_filters = Vec::new();
    for (key, values) in parsed {
        if !allowed.contains(&key.as_str()) {
            return Err(Err(Denial::malformed(
                crate::RuleId::TENANCY_FILTER,
                format!("the filter `{key}` is not supported here"),
                format!("use one of: {}", allowed.join(", ")),
            )));
        }
        let mut out_values = Vec::with_capacity(values.len());
        for v in values {
            match key.as_str() {
                "label" | "label!" => {
                    let k = v.split_once('=').map(|(k, _)| k).unwrap_or(&v);
                    if is_reserved_label(k) {
                        return Err(Err(Denial::policy(
                            crate::RuleId::TENANCY_RESERVED_LABEL,
                            format!(
                                "the label `{k}` is reserved for fdcs and cannot be filtered on"
                            ),
                            "filter on your own labels",
                        )));
                    }
                    out_values.push(v);
                }
                "name" | "names" if scope.is_swarm() => {
                    out_values.push(engine_name(tenant, &v));
                }
                "node" if scope == FilterScope::TaskList => {
                    // the daemon resolves it among every node, by hostname
                    // too: only a node's full id (what tenants are shown)
                    let id = v.len() == 25
                        && v.bytes()
                            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
                    if !id {
                        return Err(Err(Denial::malformed(
                            crate::RuleId::TENANCY_FILTER,
                            format!("the task filter `node={v}` must be a node's full id"),
                            "filter on a node id as `docker node ls` shows it",
                        )));
                    }
                    out_values.push(v);
                }
                "service" if scope == FilterScope::TaskList => {
                    // the daemon resolves it (by id, name or id prefix)
                    // among every service: only the tenant's own may be
                    // named
                    out_values.push(resolved_id(facts, tenant, ResourceKind::Service, &v)?);
                }
                "name"
                    if matches!(
                        scope,
                        FilterScope::ContainerList
                            | FilterScope::NetworkList
                            | FilterScope::VolumeList
                            | FilterScope::Prune
                    ) =>
                {
                    name_filters.push(v);
                }
                "reference" if scope == FilterScope::Images => {
                    // a pattern the daemon matches against names (the answer
                    // is then cut to what the tenant may see); only fdcs's
                    // own records may not be matched on
                    if v.to_ascii_lowercase()
                        .contains(crate::tenancy::claims::CLAIM_DOMAIN)
                    {
                        return Err(Err(Denial::policy(
                            crate::RuleId::IMAGES_RESERVED,
                            format!("the image filter `{key}={v}` names fdcs's records"),
                            "filter on the names you pulled images by",
                        )));
                    }
                    out_values.push(v);
                }
                "before" | "since" if scope == FilterScope::Images => {
                    // the daemon resolves this image, and says when it does
                    // not exist: a private name or an id would make the list
                    // an oracle of what others pulled
                    if !crate::tenancy::claims::is_shared_name(shared, &v) {
                        return Err(Err(Denial::malformed(
                            crate::RuleId::TENANCY_FILTER,
                            format!("the image filter `{key}={v}` is not supported here"),
                            "filter on images of the shared registries by name, or on labels",
                        )));
                    }
                    out_values.push(v);
                }
                "before" | "since" if scope == FilterScope::ContainerList => {
                    out_values.push(resolved_id(facts, tenant, ResourceKind::Container, &v)?);
                }
                "network" if scope == FilterScope::ContainerList => {
                    out_values.push(resolved_id(facts, tenant, ResourceKind::Network, &v)?);
                }
                "volume" if scope == FilterScope::ContainerList => {
                    // A mount destination (`/data`) or a volume name.
                    if v.starts_with('/') {
                        out_values.push(v);
                    } else {
                        out_values.push(engine_name(tenant, &v));
                    }
                }
                "container" | "network" | "volume" if scope == FilterScope::Events => {
                    // Events filters only narrow (the stream is cut to the
                    // tenant's by the rewriter); names are shown to the
                    // engine in their scoped form, and an id or id prefix
                    // as it is (the daemon matches both as prefixes).
                    let hex = !v.is_empty()
                        && v.bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                    if !is_full_id(&v) {
                        out_values.push(engine_name(tenant, &v));
                    }
                    if hex {
                        out_values.push(v);
                    }
                }
                _ => out_values.push(v),
            }
        }
        if !out_values.is_empty() {
            let entry = upstream.entry(key).or_default();
            for v in out_values {
                entry.insert(v, true);
            }
        }
    }
    // Network and volume events carry no labels: the owner label would
    // let only container events through, so the events rewriter alone
    // decides whose an event is (`rewrite::events`).
    if !matches!(
        scope,
        FilterScope::Images | FilterScope::Events | FilterScope::NodeList
    ) {
        upstream
            .entry("label".to_string())
            .or_default()
            .insert(format!("{OWNER_LABEL}={tenant}"), true);
    }
    let upstream = serde_json::to_string(&upstream).unwrap_or_default();
    Ok(ScopedFilters {
        upstream,
        name_filters,
    })
}

fn resolved_id(
    facts: &Facts,
    tenant: &TenantId,
    kind: ResourceKind,
    reference: &str,
) -> Result<String, Result<Obligation, Denial>> {
    match resolve(facts, tenant, kind, reference) {
        Resolution::Owned(o) => Ok(o.id.clone()),
        Resolution::Need(o) => Err(Ok(o)),
        // as the engine answers for a name nobody has ("no such container
        // x" for `before`/`since`, an empty list for `network`): the
        // tenant's scoped name, which is nobody else's
        Resolution::NotFound(_) => Ok(engine_name(
            tenant,
            reference.strip_prefix('/').unwrap_or(reference),
        )),
        Resolution::Ambiguous(d) => Err(Err(d)),
    }
}

/// The tenant's `name` filters, compiled once per answer: each value is a
/// regular expression, as the daemon treats it; one that does not compile
/// matches as a plain substring.
pub struct NameFilter {
    patterns: Vec<Result<regex::Regex, String>>,
}

impl NameFilter {
    /// Compiles the filters.
    pub fn new(filters: &[String]) -> Self {
        NameFilter {
            patterns: filters
                .iter()
                .map(|f| regex::Regex::new(f).map_err(|_| f.clone()))
                .collect(),
        }
    }

    /// Whether a tenant-side name passes (any filter matches; no filter: all pass).
    pub fn matches(&self, name: &str) -> bool {
        self.patterns.is_empty()
            || self.patterns.iter().any(|p| match p {
                Ok(re) => re.is_match(name),
                Err(plain) => name.contains(plain.as_str()),
            })
    }
}

/// Whether a tenant-side name passes the tenant's `name` filters.
pub fn name_matches(filters: &[String], name: &str) -> bool {
    NameFilter::new(filters).matches(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alpha() -> TenantId {
        TenantId::new("alpha").unwrap()
    }

    fn run(raw: Option<&str>, s: FilterScope) -> Result<ScopedFilters, Result<Obligation, Denial>> {
        scope(
            raw,
            s,
            &alpha(),
            &Facts::default(),
            &["docker.io".to_string()],
        )
    }

    #[test]
    fn owner_label_is_forced_in_both_shapes() {
        for raw in [
            None,
            Some(r#"{"label":["app=web"]}"#),
            Some(r#"{"label":{"app=web":true}}"#),
        ] {
            let s = run(raw, FilterScope::ContainerList).unwrap();
            let v: serde_json::Value = serde_json::from_str(&s.upstream).unwrap();
            assert_eq!(v["label"]["fdcs.tenant=alpha"], true, "{raw:?}");
        }
    }

    #[test]
    fn reserved_label_filters_are_refused_in_every_form() {
        for raw in [
            r#"{"label":["fdcs.tenant=beta"]}"#,
            r#"{"label":{"fdcs.tenant=beta":true}}"#,
            r#"{"label":{"FDCS.tenant":true}}"#,
            r#"{"label!":["fdcs.tenant=alpha"]}"#,
        ] {
            let s = if raw.contains("label!") {
                FilterScope::Prune
            } else {
                FilterScope::ContainerList
            };
            let err = run(Some(raw), s).unwrap_err().unwrap_err();
            assert_eq!(err.rule.as_deref(), Some("tenancy.reserved-label"), "{raw}");
        }
    }

    #[test]
    fn name_filters_are_applied_by_us_on_tenant_names() {
        // the docker CLI 28 sends the legacy map shape
        let s = run(Some(r#"{"name":{"web":true}}"#), FilterScope::ContainerList).unwrap();
        assert_eq!(s.name_filters, vec!["web".to_string()]);
        assert!(!s.upstream.contains("\"name\""));
        assert!(name_matches(&s.name_filters, "web"));
        assert!(!name_matches(&["^db$".into()], "web"));
    }

    #[test]
    fn unknown_filter_keys_and_garbage_are_refused() {
        assert!(run(Some(r#"{"nope":["x"]}"#), FilterScope::ContainerList).is_err());
        assert!(run(Some("not json"), FilterScope::ContainerList).is_err());
        assert!(run(Some(r#"{"label":[1]}"#), FilterScope::ContainerList).is_err());
        assert!(run(Some(r#"["label"]"#), FilterScope::ContainerList).is_err());
    }

    #[test]
    fn references_in_filters_need_ownership_facts() {
        let r = run(Some(r#"{"since":["web"]}"#), FilterScope::ContainerList);
        assert_eq!(
            r.unwrap_err().unwrap(),
            Obligation::Lookup(crate::tenancy::lookup::Lookup {
                kind: ResourceKind::Container,
                by: crate::tenancy::lookup::LookupBy::Name("alpha_web".into()),
                api: String::new(),
            })
        );
    }
}
