//! The `--state` file: the engine's world, so `check` can answer the
//! judge's obligations offline.
//!
//! Names are written as the tenant knows them (`web`, not `alpha_web`); the
//! engine-side names are derived here with the same function the core uses
//! ([`fdcs_policy::tenancy::engine_name`]), so a state file can never
//! disagree with the scoping it is meant to test.
//!
//! ```json
//! {"containers":[{"id":"<64 hex>","tenant":"beta","name":"db"}],
//!  "networks":[{"id":"<64 hex>","tenant":"beta","name":"backnet"}],
//!  "volumes":[{"tenant":"beta","name":"secrets"}],
//!  "execs":[{"id":"<64 hex>","container":"<container id>"}],
//!  "images":[{"id":"sha256:<64 hex>","repo_tags":["busybox:latest"],"repo_digests":[],
//!             "exposed_ports":["80/tcp"],"volumes":["/data"]}]}
//! ```
//!
//! An image says what its config declares (`exposed_ports`, `volumes`;
//! default none). Without an `images` list the file says nothing of
//! images: a container create is judged on its body alone, as without a
//! state file (an image named by id is then not found). A volume whose
//! name is 64 hex is one the daemon named (an anonymous volume, or one
//! created without a name), owned by label and not scoped; a container
//! may list where it mounts things (`"mounts":["/data"]`, for
//! `--volumes-from` it).
//!
//! For quotas a container may say its `state` (`running`, `exited`, ...;
//! default stopped) and what it `reserve`s
//! (`{"memory":1073741824,"nano_cpus":500000000,"pids":256,"ports":0}`;
//! default the per-container ceilings):
//!
//! ```json
//! {"id":"<64 hex>","tenant":"alpha","name":"web","state":"running","reserve":{"memory":1073741824,"nano_cpus":500000000,"pids":256,"ports":1}}
//! ```

use anyhow::{bail, Context};
use fdcs_policy::image::Reference;
use fdcs_policy::tenancy::usage::{ContainerUsage, Reservation, RunState, Usage};
use fdcs_policy::tenancy::{engine_name, is_full_id};
use fdcs_policy::{Facts, Obligation, Owned, ResourceKind, TenantId};
use serde::Deserialize;

/// The whole engine, every tenant's resources.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct State {
    #[serde(default)]
    containers: Vec<Resource>,
    #[serde(default)]
    networks: Vec<Resource>,
    #[serde(default)]
    volumes: Vec<Volume>,
    #[serde(default)]
    execs: Vec<Exec>,
    /// `None`: the file says nothing of images.
    #[serde(default)]
    images: Option<Vec<Image>>,
}

/// An image as the engine holds it (tags engine-side, claims included).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Image {
    id: String,
    #[serde(default)]
    repo_tags: Vec<String>,
    #[serde(default)]
    repo_digests: Vec<String>,
    #[serde(default)]
    exposed_ports: Vec<String>,
    #[serde(default)]
    volumes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Resource {
    id: String,
    tenant: String,
    name: String,
    /// A container's state (`running`, `exited`, ...); without one it
    /// counts as stopped (holding nothing, counted in the container quota).
    #[serde(default)]
    state: Option<RunState>,
    /// What a container reserves (memory, nano_cpus, pids, ports); without
    /// it, quotas count the per-container ceilings.
    #[serde(default)]
    reserve: Option<Reservation>,
    /// Where a container mounts things (`Mounts[].Destination`).
    #[serde(default)]
    mounts: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Volume {
    tenant: String,
    name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exec {
    id: String,
    container: String,
}

impl State {
    /// Parses and validates a state file's text; `origin` names it in
    /// errors (`origin:line:column: message` for JSON errors).
    pub(crate) fn from_json(src: &str, origin: &str) -> anyhow::Result<State> {
        let state: State = serde_json::from_str(src).map_err(|e| {
            let text = e.to_string();
            // serde_json appends " at line L column C": say it once, up front
            let msg = text
                .rfind(" at line ")
                .and_then(|i| text.get(..i))
                .unwrap_or(&text);
            anyhow::anyhow!("{origin}:{}:{}: {msg}", e.line(), e.column())
        })?;
        state
            .validate()
            .with_context(|| format!("invalid state file {origin}"))?;
        Ok(state)
    }

    fn validate(&self) -> anyhow::Result<()> {
        for (what, list) in [("container", &self.containers), ("network", &self.networks)] {
            for r in list {
                check_id(what, &r.id)?;
                TenantId::new(&r.tenant).with_context(|| format!("{what} `{}`", r.name))?;
                check_name(what, &r.name)?;
            }
        }
        for v in &self.volumes {
            TenantId::new(&v.tenant).with_context(|| format!("volume `{}`", v.name))?;
            check_name("volume", &v.name)?;
        }
        for x in &self.execs {
            check_id("exec", &x.id)?;
            check_id("exec container", &x.container)?;
        }
        Ok(())
    }

    /// Whether the file lists the engine's images (else a create is judged
    /// without what its image declares: [`Facts::images_unknown`]).
    pub(crate) fn knows_images(&self) -> bool {
        self.images.is_some()
    }

    /// Answers one obligation for `tenant` into `facts`. Returns whether a
    /// fact was added (false: it was already answered).
    pub(crate) fn answer(&self, tenant: &TenantId, ob: &Obligation, facts: &mut Facts) -> bool {
        match ob {
            Obligation::Owned { kind } => {
                if facts.owned(*kind).is_some() {
                    return false;
                }
                facts.set_owned(*kind, self.owned(tenant, *kind));
                true
            }
            Obligation::ExecContainer { exec } => {
                if facts.execs.contains_key(exec) {
                    return false;
                }
                // the daemon finds an exec by its full id only
                let owner = self
                    .execs
                    .iter()
                    .find(|x| &x.id == exec)
                    .map(|x| x.container.clone());
                facts.execs.insert(exec.clone(), owner);
                true
            }
            Obligation::Lookup(lookup) => {
                if facts.lookups.contains_key(lookup) {
                    return false;
                }
                let found = lookup.answer_from(&self.owned(tenant, lookup.kind));
                facts.lookups.insert(lookup.clone(), found);
                true
            }
            Obligation::Image { reference } => {
                if facts.images.contains_key(reference) {
                    return false;
                }
                facts
                    .images
                    .insert(reference.clone(), self.image(reference));
                true
            }
            Obligation::Usage => {
                if facts.usage.is_some() {
                    return false;
                }
                facts.usage = Some(self.usage(tenant));
                true
            }
            Obligation::NamedImages => {
                if facts.named_images.is_some() {
                    return false;
                }
                let named = self
                    .images
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .filter(|i| !i.repo_tags.is_empty())
                    .map(image_facts)
                    .collect();
                facts.named_images = Some(named);
                true
            }
            Obligation::ContainerMounts { id } => {
                if facts.container_mounts.contains_key(id) {
                    return false;
                }
                let mounts = self
                    .containers
                    .iter()
                    .find(|r| &r.id == id && r.tenant == tenant.as_str())
                    .map(|r| r.mounts.clone());
                facts.container_mounts.insert(id.clone(), mounts);
                true
            }
            // a state file lists no services
            Obligation::ServiceSpec { id } => {
                if facts.services.contains_key(id) {
                    return false;
                }
                facts.services.insert(id.clone(), None);
                true
            }
        }
    }

    /// The image the daemon resolves a reference to: by name, read as the
    /// daemon reads names (`busybox` is `busybox:latest`), then by id or id
    /// prefix.
    fn image(&self, reference: &str) -> Option<fdcs_policy::ImageFacts> {
        let facts = image_facts;
        let images = self.images.as_deref().unwrap_or_default();
        let hex = reference.strip_prefix("sha256:").unwrap_or(reference);
        let want = normal(reference);
        images
            .iter()
            .find(|i| {
                i.repo_tags
                    .iter()
                    .chain(&i.repo_digests)
                    .any(|t| t == reference || (want.is_some() && normal(t) == want))
            })
            .or_else(|| {
                let mut by_id = images.iter().filter(|i| {
                    !hex.is_empty() && i.id.trim_start_matches("sha256:").starts_with(hex)
                });
                match (by_id.next(), by_id.next()) {
                    (Some(one), None) => Some(one),
                    _ => None,
                }
            })
            .map(facts)
    }

    /// What the engine lists for the tenant's ownership label.
    /// The tenant's containers as quotas count them.
    fn usage(&self, tenant: &TenantId) -> Usage {
        let containers = self
            .containers
            .iter()
            .filter(|r| r.tenant == tenant.as_str())
            .map(|r| ContainerUsage {
                id: r.id.clone(),
                state: r.state.unwrap_or(RunState::Exited),
                reserved: r.reserve,
                published: r.reserve.map_or(0, |x| x.ports),
            })
            .collect();
        Usage {
            containers,
            offline: false,
        }
    }

    fn owned(&self, tenant: &TenantId, kind: ResourceKind) -> Vec<Owned> {
        let mine = |t: &str| t == tenant.as_str();
        match kind {
            ResourceKind::Container | ResourceKind::Network => {
                let list = if kind == ResourceKind::Container {
                    &self.containers
                } else {
                    &self.networks
                };
                list.iter()
                    .filter(|r| mine(&r.tenant))
                    .map(|r| Owned {
                        id: r.id.clone(),
                        name: engine_name(tenant, &r.name),
                    })
                    .collect()
            }
            ResourceKind::Volume => self
                .volumes
                .iter()
                .filter(|v| mine(&v.tenant))
                .map(|v| {
                    // a 64-hex name is the daemon's own, owned by label
                    let name = if is_full_id(&v.name) {
                        v.name.clone()
                    } else {
                        engine_name(tenant, &v.name)
                    };
                    Owned {
                        id: name.clone(),
                        name,
                    }
                })
                .collect(),
            // a state file lists no swarm objects: the tenant has none
            _ => Vec::new(),
        }
    }
}

/// A name reference in canonical form with its default tag; `None` for
/// what is not one (an id).
fn normal(s: &str) -> Option<String> {
    Reference::parse(s)
        .ok()
        .map(|r| r.with_default_tag().canonical())
}

fn check_id(what: &str, id: &str) -> anyhow::Result<()> {
    if id.len() != 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        bail!("{what} id `{id}` is not 64 lowercase hex digits");
    }
    Ok(())
}

fn check_name(what: &str, name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.starts_with('/') {
        bail!("{what} name `{name}` must be the tenant's own name, without a leading `/`");
    }
    Ok(())
}

/// An image of the file as the engine's inspect answer reads.
fn image_facts(i: &Image) -> fdcs_policy::ImageFacts {
    fdcs_policy::ImageFacts {
        id: i.id.clone(),
        repo_tags: i.repo_tags.clone(),
        repo_digests: i.repo_digests.clone(),
        exposed_ports: i.exposed_ports.clone(),
        volumes: i.volumes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const X: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    fn state() -> State {
        State::from_json(
            &format!(
            r#"{{"containers":[{{"id":"{A}","tenant":"alpha","name":"web"}},{{"id":"{B}","tenant":"beta","name":"db"}}],
                "networks":[{{"id":"{X}","tenant":"beta","name":"backnet"}}],
                "volumes":[{{"tenant":"alpha","name":"data"}}],
                "execs":[{{"id":"{X}","container":"{B}"}}]}}"#
        ),
            "state.json",
        )
        .unwrap()
    }

    #[test]
    fn owned_lists_only_the_tenants_own_with_engine_side_names() {
        let alpha = TenantId::new("alpha").unwrap();
        let mut f = Facts::default();
        let s = state();
        for kind in [
            ResourceKind::Container,
            ResourceKind::Network,
            ResourceKind::Volume,
        ] {
            assert!(s.answer(&alpha, &Obligation::Owned { kind }, &mut f));
        }
        assert_eq!(
            f.containers.unwrap(),
            vec![Owned {
                id: A.into(),
                name: "alpha_web".into()
            }]
        );
        assert_eq!(f.networks.unwrap(), vec![]);
        assert_eq!(
            f.volumes.unwrap(),
            vec![Owned {
                id: "alpha_data".into(),
                name: "alpha_data".into()
            }]
        );
    }

    #[test]
    fn execs_answer_by_full_id_and_unknown_is_none() {
        let alpha = TenantId::new("alpha").unwrap();
        let s = state();
        let mut f = Facts::default();
        assert!(s.answer(
            &alpha,
            &Obligation::ExecContainer { exec: X.into() },
            &mut f
        ));
        assert!(s.answer(
            &alpha,
            &Obligation::ExecContainer { exec: "ccc".into() },
            &mut f
        ));
        assert!(!s.answer(
            &alpha,
            &Obligation::ExecContainer { exec: X.into() },
            &mut f
        ));
        assert_eq!(f.execs.get(X), Some(&Some(B.to_string())));
        assert_eq!(f.execs.get("ccc"), Some(&None));
    }

    #[test]
    fn images_answer_by_name_as_the_daemon_reads_it_with_their_config() {
        let alpha = TenantId::new("alpha").unwrap();
        let s = State::from_json(
            &format!(
                r#"{{"images":[{{"id":"sha256:{A}","repo_tags":["busybox:latest"],
                    "exposed_ports":["80/tcp"],"volumes":["/data"]}}],
                   "containers":[{{"id":"{A}","tenant":"alpha","name":"web","mounts":["/data"]}}],
                   "volumes":[{{"tenant":"alpha","name":"{B}"}}]}}"#
            ),
            "s.json",
        )
        .unwrap();
        assert!(s.knows_images() && !state().knows_images());
        let mut f = Facts::default();
        for reference in ["busybox", "docker.io/library/busybox:latest", "nginx"] {
            let o = Obligation::Image {
                reference: reference.into(),
            };
            assert!(s.answer(&alpha, &o, &mut f));
        }
        let img = f.images["busybox"].clone().unwrap();
        assert_eq!(
            (img.exposed_ports, img.volumes),
            (vec!["80/tcp".into()], vec!["/data".into()])
        );
        assert!(f.images["docker.io/library/busybox:latest"].is_some());
        assert_eq!(f.images["nginx"], None);
        let o = Obligation::ContainerMounts { id: A.into() };
        assert!(s.answer(&alpha, &o, &mut f));
        assert_eq!(f.container_mounts[A], Some(vec!["/data".to_string()]));
        // a volume the daemon named is not scoped
        let o = Obligation::Owned {
            kind: ResourceKind::Volume,
        };
        assert!(s.answer(&alpha, &o, &mut f));
        assert_eq!(f.volumes.unwrap()[0].name, B);
    }

    #[test]
    fn bad_state_files_are_errors() {
        for bad in [
            r#"{"containers":[{"id":"abc","tenant":"alpha","name":"web"}]}"#.to_string(),
            format!(r#"{{"containers":[{{"id":"{A}","tenant":"Alpha","name":"web"}}]}}"#),
            format!(r#"{{"containers":[{{"id":"{A}","tenant":"alpha","name":"/web"}}]}}"#),
            r#"{"volumes":[{"tenant":"alpha","name":"x","driver":"local"}]}"#.to_string(),
            r#"{"services":[]}"#.to_string(),
            "{".to_string(),
        ] {
            assert!(State::from_json(&bad, "s.json").is_err(), "{bad}");
        }
    }
}
