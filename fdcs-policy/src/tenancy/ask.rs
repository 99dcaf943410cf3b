//! How each question of the core is asked of the engine, and how the
//! engine's answer reads as facts.
//!
//! The core owns both sides so that no adapter decides what an answer
//! means: the tower only sends the GET [`Obligation::engine_query`] names
//! (and the one [`EngineQuery::instead`] names after it) and hands the
//! status and body to [`Facts::learn`]. An answer the core cannot read is
//! an error, never "the tenant owns nothing" (fail closed).

use serde_json::Value;

use super::lookup::Lookup;
use super::usage::Usage;
use super::OWNER_LABEL;
use crate::query::percent_encode;
use crate::{Facts, ImageFacts, Obligation, Owned, ResourceKind, TenantId};

/// The request that answers a question: a GET of this path and query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineQuery {
    /// Path and query (`/containers/alpha_web/json`).
    pub target: String,
    /// Whether the answer is a list (a filtered list) or one object (an
    /// inspect, where 404 means "none").
    pub list: bool,
    /// What to ask instead when the engine answers 400 (an id prefix that
    /// is ambiguous among all the engine's objects): one list filtered by
    /// the owner label and the prefix.
    pub on_ambiguous: Option<String>,
}

impl EngineQuery {
    fn one(target: String) -> Self {
        EngineQuery {
            target,
            list: false,
            on_ambiguous: None,
        }
    }

    /// The answer to this call is not what the engine sends for it.
    fn misread(&self) -> UnreadableAnswer {
        UnreadableAnswer::Misread {
            target: self.target.clone(),
        }
    }

    /// The engine refused this call with `status` and `body`.
    fn refused(&self, status: u16, body: &[u8]) -> UnreadableAnswer {
        UnreadableAnswer::Refused {
            target: self.target.clone(),
            status,
            message: daemon_message(body),
        }
    }

    /// The call to make instead, after the engine answered `status` to this
    /// one: an id prefix the inspect did not answer is asked again, as a
    /// list. Ambiguity is 400 for networks but 500 for containers on dockerd
    /// 20.10, and any error about the object it found may be about another
    /// tenant's: only the owner-filtered list may decide (no oracle).
    pub fn instead(&self, status: u16) -> Option<EngineQuery> {
        let list = self
            .on_ambiguous
            .as_ref()
            .filter(|_| status >= 400 && status != 404)?;
        Some(EngineQuery {
            target: list.clone(),
            list: true,
            on_ambiguous: None,
        })
    }
}

/// Why an engine answer could not be read as facts; the adapter fails the
/// request (the engine, not the tenant, is at fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnreadableAnswer {
    /// The engine refused the question.
    #[error("fdcs: the Docker engine answered {status} to `{target}`: {message}")]
    Refused {
        /// What was asked.
        target: String,
        /// The engine's status.
        status: u16,
        /// The engine's own message.
        message: String,
    },
    /// The answer is not what the engine sends for this question.
    #[error("fdcs: the Docker engine's answer to `{target}` was not understood")]
    Misread {
        /// What was asked.
        target: String,
    },
}

impl Obligation {
    /// The one engine call that answers this question for `tenant`; `None`
    /// when no object can match (an exec id or image reference with
    /// characters no engine object has: it must not reach a path), whose
    /// answer is then [`Facts::learn_absent`].
    pub fn engine_query(&self, tenant: &TenantId) -> Option<EngineQuery> {
        match self {
            Obligation::Owned { kind } => {
                let f =
                    serde_json::json!({ "label": [format!("{OWNER_LABEL}={tenant}")] }).to_string();
                let filter = format!("filters={}", percent_encode(&f));
                let target = match kind {
                    ResourceKind::Container => format!("/containers/json?all=1&{filter}"),
                    ResourceKind::Network => format!("/networks?{filter}"),
                    k => format!("/{}?{filter}", k.path()),
                };
                Some(EngineQuery {
                    target,
                    list: true,
                    on_ambiguous: None,
                })
            }
            Obligation::Lookup(l) => Some(l.engine_query(tenant)),
            Obligation::Usage => Some(EngineQuery {
                target: format!("/containers/json?all=1&{}", owner_filter(tenant)),
                list: true,
                on_ambiguous: None,
            }),
            Obligation::NamedImages => {
                let f = serde_json::json!({ "dangling": ["false"] }).to_string();
                Some(EngineQuery {
                    target: format!("/images/json?filters={}", percent_encode(&f)),
                    list: true,
                    on_ambiguous: None,
                })
            }
            Obligation::ExecContainer { exec } => {
                // an exec id is hex; anything else cannot exist
                let plausible = !exec.is_empty()
                    && exec.len() <= 128
                    && exec.bytes().all(|b| b.is_ascii_alphanumeric());
                plausible.then(|| EngineQuery::one(format!("/exec/{exec}/json")))
            }
            Obligation::Image { reference } => {
                // the core asks only for references its grammar read; keep
                // the path to the characters a reference may hold
                let safe = |b: u8| {
                    b.is_ascii_alphanumeric()
                        || matches!(b, b'.' | b'_' | b'-' | b':' | b'/' | b'@')
                };
                let plausible =
                    !reference.is_empty() && reference.len() <= 512 && reference.bytes().all(safe);
                plausible.then(|| EngineQuery::one(format!("/images/{reference}/json")))
            }
            Obligation::ContainerMounts { id } => {
                super::is_full_id(id).then(|| EngineQuery::one(format!("/containers/{id}/json")))
            }
            Obligation::ServiceSpec { id } => {
                // a swarm id is base 36; anything else cannot exist
                let plausible = !id.is_empty()
                    && id.len() <= 64
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
                plausible.then(|| EngineQuery::one(format!("/services/{id}")))
            }
        }
    }
}

impl Facts {
    /// Records the engine's answer (`status`, `body`) to `question`, asked
    /// with `query` (the last call made for it).
    ///
    /// Gives back the parsed object of a lookup that found the tenant's own
    /// resource by one inspect: that answer is the very call an inspect
    /// request makes, which the adapter may serve without asking again.
    pub fn learn(
        &mut self,
        tenant: &TenantId,
        question: &Obligation,
        query: &EngineQuery,
        status: u16,
        body: &[u8],
    ) -> Result<Option<Value>, UnreadableAnswer> {
        let misread = || query.misread();
        let refused = || query.refused(status, body);
        let json = || serde_json::from_slice::<Value>(body).map_err(|_| misread());
        match question {
            Obligation::Owned { kind } => {
                if status != 200 {
                    return Err(refused());
                }
                let list = parse_owned(*kind, &json()?).ok_or_else(misread)?;
                self.set_owned(*kind, list);
                Ok(None)
            }
            Obligation::Lookup(lookup) => self.learn_lookup(tenant, lookup, query, status, body),
            Obligation::Usage => {
                if status != 200 {
                    return Err(refused());
                }
                self.usage = Some(Usage::from_list(tenant, &json()?).ok_or_else(misread)?);
                Ok(None)
            }
            Obligation::NamedImages => {
                if status != 200 {
                    return Err(refused());
                }
                let list = json()?
                    .as_array()
                    .ok_or_else(misread)?
                    .iter()
                    .map(parse_image)
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(misread)?;
                self.named_images = Some(list);
                Ok(None)
            }
            Obligation::ExecContainer { exec } => {
                let container = match status {
                    200 => json()?
                        .get("ContainerID")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    404 => None,
                    _ => return Err(refused()),
                };
                self.execs.insert(exec.clone(), container);
                Ok(None)
            }
            Obligation::Image { reference } => {
                let image = match status {
                    200 => Some(parse_image(&json()?).ok_or_else(misread)?),
                    // 400: a reference the engine's own grammar refuses
                    404 | 400 => None,
                    _ => return Err(refused()),
                };
                self.images.insert(reference.clone(), image);
                Ok(None)
            }
            Obligation::ContainerMounts { id } => {
                let mounts = match status {
                    200 => {
                        let v = json()?;
                        if container_owner(&v) == Some(tenant.as_str()) {
                            Some(mount_destinations(&v).ok_or_else(misread)?)
                        } else {
                            None
                        }
                    }
                    404 => None,
                    _ => return Err(refused()),
                };
                self.container_mounts.insert(id.clone(), mounts);
                Ok(None)
            }
            Obligation::ServiceSpec { id } => {
                let facts = match status {
                    200 => service_facts(tenant, &json()?),
                    404 => None,
                    _ => return Err(refused()),
                };
                self.services.insert(id.clone(), facts);
                Ok(None)
            }
        }
    }

    fn learn_lookup(
        &mut self,
        tenant: &TenantId,
        lookup: &Lookup,
        query: &EngineQuery,
        status: u16,
        body: &[u8],
    ) -> Result<Option<Value>, UnreadableAnswer> {
        let misread = || query.misread();
        let answer: Option<Value> = match status {
            200 => Some(serde_json::from_slice(body).map_err(|_| misread())?),
            404 if !query.list => None,
            _ => return Err(query.refused(status, body)),
        };
        let found = lookup
            .read_answer(tenant, answer.as_ref())
            .ok_or_else(misread)?;
        // a container found by one inspect: where it mounts things is in
        // the same answer, so `--volumes-from` it costs no second call
        if let (ResourceKind::Container, Some(v), [own]) = (lookup.kind, &answer, found.as_slice())
        {
            if !query.list {
                if let Some(dests) = mount_destinations(v) {
                    self.container_mounts.insert(own.id.clone(), Some(dests));
                }
            }
        }
        // a service found by one inspect: what a rollback would restore is
        // in the same answer
        if let (ResourceKind::Service, Some(v), [own]) = (lookup.kind, &answer, found.as_slice()) {
            if !query.list {
                self.services
                    .insert(own.id.clone(), service_facts(tenant, v));
            }
        }
        let served = answer.filter(|_| !query.list && !found.is_empty());
        self.lookups.insert(lookup.clone(), found);
        Ok(served)
    }

    /// Records the answer to a question no engine object can match (see
    /// [`Obligation::engine_query`]).
    pub fn learn_absent(&mut self, tenant: &TenantId, question: &Obligation) {
        match question {
            Obligation::Owned { kind } => self.set_owned(*kind, Vec::new()),
            Obligation::Lookup(l) => {
                let found = l.read_answer(tenant, None).unwrap_or_default();
                self.lookups.insert(l.clone(), found);
            }
            Obligation::ExecContainer { exec } => {
                self.execs.insert(exec.clone(), None);
            }
            Obligation::Image { reference } => {
                self.images.insert(reference.clone(), None);
            }
            Obligation::Usage => self.usage = Some(Usage::default()),
            Obligation::NamedImages => self.named_images = Some(Vec::new()),
            Obligation::ContainerMounts { id } => {
                self.container_mounts.insert(id.clone(), None);
            }
            Obligation::ServiceSpec { id } => {
                self.services.insert(id.clone(), None);
            }
        }
    }
}

/// `filters={"label":["fdcs.tenant=<id>"]}`, percent-encoded.
fn owner_filter(tenant: &TenantId) -> String {
    let f = serde_json::json!({ "label": [format!("{OWNER_LABEL}={tenant}")] }).to_string();
    format!("filters={}", percent_encode(&f))
}

/// The daemon's own `{"message": ...}`, or the start of the raw text: what
/// an adapter quotes when the engine refused something fdcs asked.
pub fn daemon_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_string))
        .unwrap_or_else(|| {
            String::from_utf8_lossy(body)
                .trim()
                .chars()
                .take(500)
                .collect()
        })
}

/// What the engine keeps of a service, if it is the tenant's.
fn service_facts(tenant: &TenantId, v: &Value) -> Option<crate::ServiceFacts> {
    let owner = v.get("Spec")?.get("Labels")?.get(OWNER_LABEL)?.as_str()?;
    (owner == tenant.as_str()).then(|| crate::ServiceFacts {
        previous_spec: v.get("PreviousSpec").filter(|p| !p.is_null()).cloned(),
        holds: service_holds(v.get("Spec")),
        replicas: service_replicas(v.get("Spec")),
    })
}

/// A spec's replicas as the engine reports it (one when not replicated).
fn service_replicas(spec: Option<&Value>) -> u64 {
    spec.and_then(|s| s.get("Mode")?.get("Replicated")?.get("Replicas")?.as_u64())
        .unwrap_or(1)
}

/// Replicas times each task's limits and published ports, from a spec as
/// the engine reports it (a global service counts one task per node; as
/// one here, see DESIGN.md "Swarm").
fn service_holds(spec: Option<&Value>) -> crate::tenancy::usage::Reservation {
    let get = |v: Option<&Value>, key: &str| {
        v.and_then(|v| v.get(key))
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .max(0)
    };
    let limits = spec.and_then(|s| s.get("TaskTemplate")?.get("Resources")?.get("Limits"));
    let ports = spec
        .and_then(|s| s.get("EndpointSpec")?.get("Ports")?.as_array())
        .map_or(0, Vec::len);
    let replicas = service_replicas(spec);
    crate::tenancy::usage::Reservation {
        memory: get(limits, "MemoryBytes"),
        nano_cpus: get(limits, "NanoCPUs"),
        pids: get(limits, "Pids"),
        ports: i64::try_from(ports).unwrap_or(i64::MAX),
    }
    .times(replicas)
}

/// Reads the engine's owner-filtered list answer; `None` when it is not the
/// expected shape.
fn parse_owned(kind: ResourceKind, v: &Value) -> Option<Vec<Owned>> {
    let items = match kind {
        ResourceKind::Volume => match v.get("Volumes")? {
            Value::Null => return Some(Vec::new()),
            other => other.as_array()?,
        },
        _ => v.as_array()?,
    };
    let mut out = Vec::with_capacity(items.len());
    for it in items {
        let (id, name) = match kind {
            ResourceKind::Container => {
                let id = it.get("Id")?.as_str()?;
                let name = it
                    .get("Names")
                    .and_then(|n| n.as_array())
                    .and_then(|n| n.first())
                    .and_then(|n| n.as_str())
                    .unwrap_or("");
                (id, name.strip_prefix('/').unwrap_or(name))
            }
            ResourceKind::Network => (it.get("Id")?.as_str()?, it.get("Name")?.as_str()?),
            ResourceKind::Volume => {
                let n = it.get("Name")?.as_str()?;
                (n, n)
            }
            ResourceKind::Task => {
                let id = it.get("ID")?.as_str()?;
                (id, id)
            }
            _ => (
                it.get("ID")?.as_str()?,
                it.get("Spec")?.get("Name")?.as_str()?,
            ),
        };
        out.push(Owned {
            id: id.to_string(),
            name: name.to_string(),
        });
    }
    Some(out)
}

/// Reads an image inspect answer: its names, and what its `Config`
/// declares (`ExposedPorts`, `Volumes`: objects whose keys are what counts,
/// `null` when the image declares none).
fn parse_image(v: &Value) -> Option<ImageFacts> {
    let list = |key: &str| -> Option<Vec<String>> {
        match v.get(key) {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(a)) => a.iter().map(|s| s.as_str().map(str::to_string)).collect(),
            Some(_) => None,
        }
    };
    let config = match v.get("Config") {
        None | Some(Value::Null) => None,
        Some(c @ Value::Object(_)) => Some(c),
        Some(_) => return None,
    };
    let keys = |key: &str| -> Option<Vec<String>> {
        match config.and_then(|c| c.get(key)) {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Object(m)) => Some(m.keys().cloned().collect()),
            Some(_) => None,
        }
    };
    Some(ImageFacts {
        id: v.get("Id")?.as_str()?.to_string(),
        repo_tags: list("RepoTags")?,
        repo_digests: list("RepoDigests")?,
        exposed_ports: keys("ExposedPorts")?,
        volumes: keys("Volumes")?,
    })
}

/// The owner label of a container inspect answer.
fn container_owner(v: &Value) -> Option<&str> {
    v.get("Config")?.get("Labels")?.get(OWNER_LABEL)?.as_str()
}

/// `Mounts[].Destination` of a container inspect answer (`null`: none).
fn mount_destinations(v: &Value) -> Option<Vec<String>> {
    match v.get("Mounts") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|m| m.get("Destination")?.as_str().map(str::to_string))
            .collect(),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use serde_json::json;

    fn alpha() -> TenantId {
        TenantId::new("alpha").unwrap()
    }

    fn learn(
        o: &Obligation,
        status: u16,
        body: &Value,
    ) -> (Facts, Result<Option<Value>, UnreadableAnswer>) {
        let mut f = Facts::default();
        let q = o.engine_query(&alpha()).unwrap();
        let r = f.learn(&alpha(), o, &q, status, body.to_string().as_bytes());
        (f, r)
    }

    #[test]
    fn the_owner_filter_is_encoded_for_a_query() {
        let q = Obligation::Owned {
            kind: ResourceKind::Container,
        }
        .engine_query(&alpha())
        .unwrap();
        assert_eq!(
            q.target,
            "/containers/json?all=1&filters=%7B%22label%22%3A%5B%22fdcs.tenant%3Dalpha%22%5D%7D"
        );
    }

    #[test]
    fn engine_lists_are_read_per_kind() {
        let c = json!([{"Id": "abc", "Names": ["/alpha_web"]}]);
        assert_eq!(
            parse_owned(ResourceKind::Container, &c).unwrap(),
            vec![Owned {
                id: "abc".into(),
                name: "alpha_web".into()
            }]
        );
        let n = json!([{"Id": "n1", "Name": "alpha_net"}]);
        assert_eq!(
            parse_owned(ResourceKind::Network, &n).unwrap()[0].name,
            "alpha_net"
        );
        let v = json!({"Volumes": [{"Name": "alpha_data"}], "Warnings": null});
        assert_eq!(
            parse_owned(ResourceKind::Volume, &v).unwrap()[0].id,
            "alpha_data"
        );
        let none = json!({"Volumes": null});
        assert!(parse_owned(ResourceKind::Volume, &none).unwrap().is_empty());
    }

    #[test]
    fn an_unexpected_answer_is_not_an_empty_list() {
        // an error object must not read as "owns nothing"... nor as anything
        let err = json!({"message": "boom"});
        assert!(parse_owned(ResourceKind::Container, &err).is_none());
        assert!(parse_owned(ResourceKind::Volume, &json!([])).is_none());
        assert!(parse_owned(ResourceKind::Network, &json!([{"Id": 1}])).is_none());
        let owned = Obligation::Owned {
            kind: ResourceKind::Network,
        };
        let (f, r) = learn(&owned, 200, &err);
        assert!(matches!(r, Err(UnreadableAnswer::Misread { .. })));
        assert!(f.networks.is_none());
        let (f, r) = learn(&owned, 500, &json!({"message": "disk full"}));
        assert_eq!(
            r.unwrap_err().to_string(),
            "fdcs: the Docker engine answered 500 to `/networks?filters=%7B%22label%22%3A%5B%22fdcs.tenant%3Dalpha%22%5D%7D`: disk full"
        );
        assert!(f.networks.is_none());
    }

    #[test]
    fn an_exec_or_image_that_cannot_exist_is_never_asked() {
        for exec in ["", "../../containers/x", "a b", "a/b"] {
            let o = Obligation::ExecContainer { exec: exec.into() };
            assert!(o.engine_query(&alpha()).is_none(), "{exec}");
        }
        for reference in ["", "a?b", "x#y", "a b", "%2e%2e"] {
            let o = Obligation::Image {
                reference: reference.into(),
            };
            assert!(o.engine_query(&alpha()).is_none(), "{reference}");
        }
        let o = Obligation::ExecContainer { exec: "zz".into() };
        let mut f = Facts::default();
        f.learn_absent(&alpha(), &o);
        assert_eq!(f.execs.get("zz"), Some(&None));
    }

    #[test]
    fn exec_and_image_answers_read_as_facts() {
        let o = Obligation::ExecContainer { exec: "e1".into() };
        let (f, r) = learn(&o, 200, &json!({"ContainerID": "c1"}));
        assert!(r.unwrap().is_none());
        assert_eq!(f.execs["e1"].as_deref(), Some("c1"));
        let (f, _) = learn(&o, 404, &json!({"message": "No such exec instance"}));
        assert_eq!(f.execs["e1"], None);
        let (_, r) = learn(&o, 500, &json!({"message": "boom"}));
        assert!(r.is_err());

        let o = Obligation::Image {
            reference: "abc".into(),
        };
        let (f, _) = learn(
            &o,
            200,
            &json!({"Id": "sha256:abc", "RepoTags": ["busybox:latest"], "RepoDigests": null}),
        );
        assert_eq!(
            f.images["abc"].as_ref().unwrap().repo_tags,
            ["busybox:latest"]
        );
        let (f, _) = learn(&o, 400, &json!({"message": "invalid reference format"}));
        assert_eq!(f.images["abc"], None);
        let (_, r) = learn(&o, 200, &json!({"Id": 7}));
        assert!(matches!(r, Err(UnreadableAnswer::Misread { .. })));
    }

    #[test]
    fn only_an_ambiguous_prefix_is_asked_again_as_a_list() {
        let l = Lookup {
            kind: ResourceKind::Container,
            by: super::super::lookup::LookupBy::Prefix("ab".into()),
            api: String::new(),
        };
        let q = Obligation::Lookup(l.clone())
            .engine_query(&alpha())
            .unwrap();
        assert!(q.instead(404).is_none());
        assert!(q.instead(200).is_none());
        let list = q.instead(400).unwrap();
        assert!(list.list && list.instead(400).is_none());
        assert!(list.target.starts_with("/containers/json?all=1&filters="));
        // a list that fails is an error, not "none"
        let mut f = Facts::default();
        let o = Obligation::Lookup(l);
        assert!(f.learn(&alpha(), &o, &list, 404, b"{}").is_err());
    }

    #[test]
    fn an_inspect_found_is_given_back_to_serve_and_another_tenants_is_not() {
        let l = Lookup {
            kind: ResourceKind::Container,
            by: super::super::lookup::LookupBy::Name("alpha_web".into()),
            api: String::new(),
        };
        let o = Obligation::Lookup(l.clone());
        let mine = json!({"Id": "c1", "Name": "/alpha_web", "Config": {"Labels": {"fdcs.tenant": "alpha"}}});
        let (f, r) = learn(&o, 200, &mine);
        assert_eq!(r.unwrap(), Some(mine));
        assert_eq!(f.lookups[&l].len(), 1);
        let theirs = json!({"Id": "c1", "Name": "/alpha_web", "Config": {"Labels": {"fdcs.tenant": "beta"}}});
        let (f, r) = learn(&o, 200, &theirs);
        assert_eq!(r.unwrap(), None);
        assert!(f.lookups[&l].is_empty());
    }
}
