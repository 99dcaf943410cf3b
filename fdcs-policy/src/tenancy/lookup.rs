//! Targeted ownership questions: which of the tenant's own resources a
//! reference names, asked one exact question at a time, so that answering
//! costs one engine call whatever the number of containers the tenant or
//! the engine has (DESIGN.md, "Performance budgets").
//!
//! The core also says how each question is asked of the engine and how the
//! engine's answer reads as facts, so that every adapter asks and reads it
//! the same way (the tower over HTTP; `check` from a state file, through
//! [`Lookup::answer_from`]).

use serde::Serialize;
use serde_json::Value;

use super::ask::EngineQuery;
use super::OWNER_LABEL;
use crate::query::percent_encode;
use crate::{Owned, ResourceKind, TenantId};

/// One question about the tenant's resources of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Lookup {
    /// Which kind.
    pub kind: ResourceKind,
    /// By what.
    #[serde(flatten)]
    pub by: LookupBy,
    /// The `/vX.Y` prefix to ask with ("" for none): the request's own, so
    /// that an inspect lookup is the very call the request makes and its
    /// answer can serve as the request's.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api: String,
}

/// What a lookup goes by, in the order the daemon resolves a reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum LookupBy {
    /// A full 64-hex id.
    Id(String),
    /// The engine-side name (`alpha_web`; for a volume the daemon named,
    /// its 64-hex name).
    Name(String),
    /// An id prefix (hex).
    Prefix(String),
}

impl Lookup {
    /// The one engine call that answers this lookup for `tenant`.
    ///
    /// A name or a full id is one inspect (the owner label is checked on
    /// the answer); a prefix is one list filtered by the owner label and the
    /// prefix (the daemon's `id` filter), so its cost is bounded by the
    /// tenant's own matches.
    pub fn engine_query(&self, tenant: &TenantId) -> EngineQuery {
        let api = &self.api;
        let one = |v: &str| match self.kind {
            ResourceKind::Container => format!("{api}/containers/{v}/json"),
            k => format!("{api}/{}/{v}", k.path()),
        };
        match &self.by {
            LookupBy::Id(v) | LookupBy::Name(v) => EngineQuery {
                target: one(&percent_encode(v)),
                list: false,
                on_ambiguous: None,
            },
            // An id prefix is first one inspect: the engine finds the one
            // object with that prefix among all of them (if it is another
            // tenant's, the tenant has none), in time that does not grow
            // with their number. Only an ambiguous prefix needs the list.
            LookupBy::Prefix(p) => {
                let filters = serde_json::json!({
                    "label": [format!("{OWNER_LABEL}={tenant}")],
                    "id": [p],
                })
                .to_string();
                let q = format!("filters={}", percent_encode(&filters));
                let target = match self.kind {
                    ResourceKind::Container => format!("{api}/containers/json?all=1&{q}"),
                    // volumes have no ids; never asked. Swarm lists take
                    // the same `id` (a prefix) and `label` filters; a task's
                    // labels there are its service's.
                    k => format!("{api}/{}?{q}", k.path()),
                };
                EngineQuery {
                    target: one(&percent_encode(p)),
                    list: false,
                    on_ambiguous: Some(target),
                }
            }
        }
    }

    /// Reads the engine's answer (`None` body: it answered 404) as the
    /// tenant's matching resources; `None` when the answer is not what the
    /// engine sends (the adapter fails closed).
    pub fn read_answer(&self, tenant: &TenantId, body: Option<&Value>) -> Option<Vec<Owned>> {
        let Some(v) = body else {
            return Some(Vec::new());
        };
        let items: Vec<&Value> = match (&self.by, v) {
            (LookupBy::Prefix(_), Value::Array(a)) => a.iter().collect(),
            (_, Value::Object(_)) => vec![v],
            _ => return None,
        };
        let mut out = Vec::new();
        for item in items {
            let o = read_one(self.kind, item)?;
            if owner_of(self.kind, item) == Some(tenant.as_str()) {
                out.push(o);
            }
        }
        Some(self.answer_from(&out))
    }

    /// The answer, from a complete list of the tenant's own resources (the
    /// state file of `check`, or a list answer): exactly what the engine
    /// call would find among them.
    pub fn answer_from(&self, owned: &[Owned]) -> Vec<Owned> {
        owned
            .iter()
            .filter(|o| match &self.by {
                LookupBy::Id(id) => self.kind != ResourceKind::Volume && &o.id == id,
                // a task has no name of its own (its `name` is its id)
                LookupBy::Name(n) => self.kind != ResourceKind::Task && &o.name == n,
                LookupBy::Prefix(p) => {
                    self.kind != ResourceKind::Volume && o.id.starts_with(p.as_str())
                }
            })
            .cloned()
            .collect()
    }
}

/// Id and engine-side name of one engine object.
fn read_one(kind: ResourceKind, v: &Value) -> Option<Owned> {
    let name = match kind {
        ResourceKind::Container => {
            // inspect has `Name`, a list has `Names`
            let n = match v.get("Name") {
                Some(n) => n.as_str()?,
                None => v.get("Names")?.as_array()?.first()?.as_str()?,
            };
            n.strip_prefix('/').unwrap_or(n).to_string()
        }
        ResourceKind::Task => v.get("ID")?.as_str()?.to_string(),
        k if k.is_swarm() => v.get("Spec")?.get("Name")?.as_str()?.to_string(),
        _ => v.get("Name")?.as_str()?.to_string(),
    };
    let id = match kind {
        ResourceKind::Volume => name.clone(),
        k if k.is_swarm() => v.get("ID")?.as_str()?.to_string(),
        _ => v.get("Id")?.as_str()?.to_string(),
    };
    Some(Owned { id, name })
}

/// The owner label of one engine object, wherever its kind keeps labels.
fn owner_of(kind: ResourceKind, v: &Value) -> Option<&str> {
    let labels = match kind {
        ResourceKind::Container => v
            .get("Config")
            .and_then(|c| c.get("Labels"))
            .or_else(|| v.get("Labels")),
        // fdcs writes the owner label onto the task template's container
        // labels; every task of the tenant's services carries it
        ResourceKind::Task => v.get("Spec")?.get("ContainerSpec")?.get("Labels"),
        k if k.is_swarm() => v.get("Spec")?.get("Labels"),
        _ => v.get("Labels"),
    };
    labels?.get(OWNER_LABEL)?.as_str()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use serde_json::json;

    fn alpha() -> TenantId {
        TenantId::new("alpha").unwrap()
    }

    fn lookup(kind: ResourceKind, by: LookupBy) -> Lookup {
        Lookup {
            kind,
            by,
            api: String::new(),
        }
    }

    #[test]
    fn each_lookup_is_one_cheap_engine_call() {
        let l = lookup(ResourceKind::Container, LookupBy::Name("alpha_web".into()));
        assert_eq!(
            l.engine_query(&alpha()).target,
            "/containers/alpha_web/json"
        );
        let l = lookup(ResourceKind::Network, LookupBy::Id("a".repeat(64)));
        assert_eq!(
            l.engine_query(&alpha()).target,
            format!("/networks/{}", "a".repeat(64))
        );
        let l = lookup(ResourceKind::Container, LookupBy::Prefix("ab".into()));
        let q = l.engine_query(&alpha());
        assert_eq!(q.target, "/containers/ab/json");
        assert_eq!(
            q.on_ambiguous.as_deref(),
            Some("/containers/json?all=1&filters=%7B%22id%22%3A%5B%22ab%22%5D%2C%22label%22%3A%5B%22fdcs.tenant%3Dalpha%22%5D%7D")
        );
    }

    #[test]
    fn an_answer_counts_only_what_carries_the_tenants_label() {
        let l = lookup(ResourceKind::Container, LookupBy::Name("alpha_web".into()));
        let mine = json!({"Id": "c1", "Name": "/alpha_web", "Config": {"Labels": {"fdcs.tenant": "alpha"}}});
        let theirs = json!({"Id": "c1", "Name": "/alpha_web", "Config": {"Labels": {"fdcs.tenant": "beta"}}});
        let unlabelled = json!({"Id": "c1", "Name": "/alpha_web", "Config": {"Labels": {}}});
        assert_eq!(l.read_answer(&alpha(), Some(&mine)).unwrap().len(), 1);
        assert!(l.read_answer(&alpha(), Some(&theirs)).unwrap().is_empty());
        assert!(l
            .read_answer(&alpha(), Some(&unlabelled))
            .unwrap()
            .is_empty());
        assert!(l.read_answer(&alpha(), None).unwrap().is_empty());
        assert!(l
            .read_answer(&alpha(), Some(&json!({"message": "boom"})))
            .is_none());
    }

    #[test]
    fn a_prefix_answer_is_filtered_again_by_the_core() {
        let l = lookup(ResourceKind::Container, LookupBy::Prefix("ab".into()));
        let list = json!([
            {"Id": "ab1", "Names": ["/alpha_web"], "Labels": {"fdcs.tenant": "alpha"}},
            {"Id": "cd2", "Names": ["/alpha_db"], "Labels": {"fdcs.tenant": "alpha"}},
            {"Id": "ab3", "Names": ["/beta_db"], "Labels": {"fdcs.tenant": "beta"}}
        ]);
        let got = l.read_answer(&alpha(), Some(&list)).unwrap();
        assert_eq!(
            got,
            vec![Owned {
                id: "ab1".into(),
                name: "alpha_web".into()
            }]
        );
    }

    #[test]
    fn names_cannot_change_the_path() {
        let l = lookup(ResourceKind::Volume, LookupBy::Name("alpha_../x?y".into()));
        assert_eq!(l.engine_query(&alpha()).target, "/volumes/alpha_..%2Fx%3Fy");
    }
}
