//! What the core answers: allow, rewrite, deny, or "I need these facts first".
//!
//! The answer is data. Adapters act on it: the tower layer forwards
//! [`Forward`] upstream, `check` prints it.

use serde::Serialize;

use crate::tenancy::lookup::Lookup;
use crate::RuleId;

/// The decision for one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "lowercase")]
pub enum Verdict {
    /// Forward the request; what is forwarded equals what was sent
    /// (modulo canonical re-serialisation of a JSON body).
    Allow(Forward),
    /// Forward a changed request (scoped names, injected labels, limits...).
    Rewrite(Forward),
    /// Refuse; nothing is forwarded.
    Deny(Denial),
    /// The core needs facts from the engine before it can decide. Answer
    /// every obligation in [`Facts`] and judge again.
    Need(Vec<Obligation>),
}

impl Verdict {
    /// The forward plan, when allowed or rewritten.
    pub fn forward(&self) -> Option<&Forward> {
        match self {
            Verdict::Allow(f) | Verdict::Rewrite(f) => Some(f),
            _ => None,
        }
    }

    /// The rules in `warn` or `audit` mode this request broke although it
    /// was allowed (none for a denial or a question): `lint` reports a
    /// `warn` rule's as warnings, the tower layer tells the client, the
    /// audit log and the metrics.
    pub fn warnings(&self) -> &[crate::Warning] {
        self.forward().map_or(&[], |f| f.warnings.as_slice())
    }

    /// Short lowercase name: `allow`, `rewrite`, `deny`, `need`.
    pub fn kind(&self) -> &'static str {
        match self {
            Verdict::Allow(_) => "allow",
            Verdict::Rewrite(_) => "rewrite",
            Verdict::Deny(_) => "deny",
            Verdict::Need(_) => "need",
        }
    }
}

/// A refusal: the rule that refused, an HTTP status, what was refused and
/// what to do instead, and the field path. Reaches the client as Docker's
/// `{"message": ...}`, rendered from those parts.
///
/// Built with [`Denial::policy`], [`Denial::malformed`] (the fdcs wording,
/// `fdcs: <what> (rule <id>); <instead>`) or [`Denial::not_found`] and
/// [`Denial::daemon`] (the daemon's own words, nothing of fdcs in them).
/// Adapters that print for another audience read the parts: `lint` prints
/// [`Denial::what`] and [`Denial::instead_compose`] at a compose key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denial {
    /// HTTP status: 403 policy, 404 not owned, 400 malformed, 413 too large.
    pub status: u16,
    /// The rule that refused (`RuleId::PORTS_EPHEMERAL_ONLY`); `None` for
    /// a plain not-found, which must look exactly like the daemon's own.
    pub rule: Option<RuleId>,
    /// The message the client prints, rendered from the parts.
    pub message: String,
    /// JSON path of the offending field, when there is one (`HostConfig.Binds[0]`).
    pub field: Option<String>,
    /// The parts the message is rendered from; boxed so that a `Result`
    /// carrying a denial stays small on the happy path.
    #[serde(skip)]
    parts: Box<Parts>,
}

/// What a [`Denial`]'s message is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parts {
    what: String,
    instead: Option<String>,
    instead_compose: Option<String>,
}

impl Denial {
    /// A policy denial (403). The message is prefixed with `fdcs: ` and
    /// carries the rule id, as DESIGN.md's error format shows.
    pub fn policy(rule: RuleId, what: impl AsRef<str>, instead: impl AsRef<str>) -> Self {
        let (what, instead) = (what.as_ref().to_string(), instead.as_ref().to_string());
        Denial {
            status: 403,
            message: format!("fdcs: {what} (rule {rule}); {instead}"),
            rule: Some(rule),
            field: None,
            parts: Box::new(Parts {
                what,
                instead: Some(instead),
                instead_compose: None,
            }),
        }
    }

    /// A malformed-input denial (400).
    pub fn malformed(rule: RuleId, what: impl AsRef<str>, instead: impl AsRef<str>) -> Self {
        Denial {
            status: 400,
            ..Denial::policy(rule, what, instead)
        }
    }

    /// The daemon's own "not found" (404), used for resources the tenant does
    /// not own so that their existence is not revealed.
    pub fn not_found(message: impl Into<String>) -> Self {
        Denial::daemon(404, None, message)
    }

    /// An answer in the daemon's own words and status (`No such container`,
    /// `multiple IDs found`, `is a pre-defined network`): the client sees
    /// exactly what the engine would say. `rule` names the rule for the
    /// audit line only (`None`: the daemon's plain answer); the message
    /// never shows it.
    pub fn daemon(status: u16, rule: Option<RuleId>, message: impl Into<String>) -> Self {
        let message = message.into();
        Denial {
            status,
            rule,
            parts: Box::new(Parts {
                what: message.clone(),
                instead: None,
                instead_compose: None,
            }),
            message,
            field: None,
        }
    }

    /// Attaches the JSON path of the offending field.
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Attaches what to do instead in a compose file's terms
    /// (`ports: ["80"]` where the message says `-p 80`), for adapters that
    /// report at a compose key; the client's message is unchanged.
    pub fn compose(mut self, instead: impl Into<String>) -> Self {
        self.parts.instead_compose = Some(instead.into());
        self
    }

    /// The rule that refused; `None` for the daemon's plain not-found.
    pub fn rule_id(&self) -> Option<&RuleId> {
        self.rule.as_ref()
    }

    /// What was refused, without the `fdcs: ` prefix and the rule id
    /// (`host port 8080 is not allowed`); for an answer in the daemon's
    /// words, that answer.
    pub fn what(&self) -> &str {
        &self.parts.what
    }

    /// What to do instead, in the docker CLI's and the API's terms
    /// (`publish with -P or -p 80 ...`); `None` for an answer in the
    /// daemon's words, which says nothing of the kind.
    pub fn instead(&self) -> Option<&str> {
        self.parts.instead.as_deref()
    }

    /// What to do instead in a compose file's terms, where the rule has a
    /// wording for it (`ports: ["80"]`); `None` where [`Denial::instead`]
    /// reads as well for compose users, or the rule is rarely hit from
    /// compose.
    pub fn instead_compose(&self) -> Option<&str> {
        self.parts.instead_compose.as_deref()
    }

    /// The body Docker clients expect: `{"message": "..."}`.
    pub fn to_json(&self) -> String {
        serde_json::json!({ "message": self.message }).to_string()
    }
}

/// Exactly what goes upstream, and how to treat the answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forward {
    /// HTTP method.
    pub method: String,
    /// Path to send, percent-encoded as it goes on the wire.
    pub path: String,
    /// Raw query string to send (without `?`), if any.
    pub query: Option<String>,
    /// Canonical JSON body re-serialised from the judged model, or `None`
    /// when the request has no JSON body.
    pub body: Option<serde_json::Value>,
    /// Whether the raw request body (a tar upload, for instance) streams
    /// through unchanged. Only ever true for routes whose body is not judged.
    pub stream_body: bool,
    /// The `X-Registry-Auth` header to send: the judged credentials,
    /// re-encoded; `None` sends none (the client's never passes as it is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_auth: Option<String>,
    /// The `X-Registry-Config` header to send (builds), judged likewise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_config: Option<String>,
    /// Requests to send first (create the tenant's default network, create a
    /// named volume with the tenant's labels). A 409 Conflict answer to one of
    /// these means "already exists" and is fine.
    pub prelude: Vec<Prelude>,
    /// Requests to send after a successful answer (remove what a tenant's
    /// last claim on a private image kept); their failures are ignored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub postlude: Vec<Prelude>,
    /// How to treat the engine's response.
    pub response: ResponsePlan,
    /// The refusals of rules in `warn` or `audit` mode that let this
    /// request through (`enforcement:`), in the order the rules ran.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<crate::Warning>,
    /// Where a successful answer has room for the `warn`-mode ones
    /// ([`crate::add_warnings`]); `None`: nowhere (audit log and metrics
    /// only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings_field: Option<crate::WarningsField>,
}

/// Client request headers that may reach the engine as the client sent
/// them. `User-Agent` only feeds the engine's logs and `Accept` changes no
/// behaviour of the daemon's; everything else is left behind: credentials
/// (`X-Auth-*`), `Host`, hop-by-hop and proxy headers, and the registry
/// headers, which pass only as the core re-encoded them
/// ([`Forward::registry_auth`]).
pub const FORWARDED_HEADERS: &[&str] = &["user-agent", "accept"];

/// [`FORWARDED_HEADERS`] and `Content-Type`, for a body that streams as the
/// client sent it: the daemon reads a build context's or an import's type
/// from it.
const STREAMED_BODY_HEADERS: &[&str] = &["user-agent", "accept", "content-type"];

impl Forward {
    /// The client headers an adapter may copy onto the judged request, by
    /// lower-case name; any other header of the client's is not sent.
    pub fn client_headers(&self) -> &'static [&'static str] {
        if self.stream_body && self.body.is_none() {
            STREAMED_BODY_HEADERS
        } else {
            FORWARDED_HEADERS
        }
    }
}

/// What `docker info` shows a tenant of its own: its container counts, and
/// its quotas where the engine would show the host's capacity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InfoView {
    /// The tenant's containers by state.
    pub containers: crate::tenancy::usage::Counts,
    /// `NCPU`: the CPU quota, rounded up to whole CPUs (`None`: the host's).
    pub ncpu: Option<i64>,
    /// `MemTotal`: the memory quota in bytes (`None`: the host's).
    pub mem_total: Option<i64>,
    /// `Images`: the images the tenant may see (shared names and its own
    /// claims), as `docker images` lists them for it.
    pub images: i64,
    /// Whether the policy lets tenants use the swarm: `Swarm` then keeps
    /// the node's state and `ControlAvailable` (`docker stack deploy`
    /// checks it), never addresses or the cluster's details.
    pub swarm: bool,
}

/// A request the adapter sends before the judged one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prelude {
    /// HTTP method.
    pub method: String,
    /// Path (already canonical).
    pub path: String,
    /// JSON body (`null`: none).
    pub body: serde_json::Value,
}

/// How the adapter must treat the engine's response.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResponsePlan {
    /// Pass the response through as it is (also for streams: logs, stats, pull).
    PassThrough,
    /// The connection may be hijacked (attach, exec start): tunnel both ways.
    Hijack,
    /// Buffer the JSON response (bounded) and hand it to
    /// [`crate::rewrite_response`] with this rewrite.
    Rewrite(ResponseRewrite),
    /// Newline-delimited JSON events: hand each line to
    /// [`crate::rewrite_event`].
    Events,
    /// A `docker stats` answer (one JSON object, or a stream of them): each
    /// line shows the tenant's own names (the adapter's stats rewriter).
    Stats,
    /// A pull's progress stream: pass it through and, when it ends without
    /// an error line, record the tenant's claim on the private image it
    /// pulled (`None`: a shared image, nothing to record).
    Pull {
        /// The claim to tag.
        claim: Option<PullClaim>,
    },
    /// Nothing is forwarded: the core answers the request itself, `200`
    /// with this JSON body. An image or build-cache prune of a tenant that
    /// owns nothing such a prune may remove gets the daemon's own empty
    /// report this way, so that `docker system prune` completes, while a
    /// prune of the shared store never reaches the engine.
    Answer {
        /// The answer, in the daemon's shape.
        body: serde_json::Value,
    },
}

/// The claim tag to write after a successful pull of a private image
/// ([`crate::tenancy::claims`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullClaim {
    /// The `/vX.Y` prefix for the tag request ("" for none).
    pub prefix: String,
    /// The repository that was pulled (`127.0.0.1:5000/priv/app`).
    pub name: String,
    /// The reference that was pulled (`127.0.0.1:5000/priv/app:1`): what to
    /// tag when the stream names no digest.
    pub reference: String,
    /// The claim's repository (`fdcs.invalid/beta/127.0.0.1__5000/priv/app`).
    pub repo: String,
    /// The claim's tag.
    pub tag: String,
}

/// Which pure rewriter applies to a buffered JSON response.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum ResponseRewrite {
    /// `GET /containers/json`; name filters the tenant gave are applied here,
    /// on the tenant's own names.
    ContainerList {
        /// Regexes of the tenant's `name` filters (any must match).
        name_filters: Vec<String>,
    },
    /// `GET /containers/{id}/json`.
    ContainerInspect,
    /// `POST /containers/create` answer (warnings only; ids are fine).
    ContainerCreate,
    /// `GET /networks`.
    NetworkList {
        /// The tenant's `name` filters (substring match, as the daemon does).
        name_filters: Vec<String>,
    },
    /// `GET /networks/{id}` and `POST /networks/create`.
    NetworkInspect,
    /// `GET /volumes`.
    VolumeList {
        /// The tenant's `name` filters.
        name_filters: Vec<String>,
    },
    /// `GET /volumes/{name}` and `POST /volumes/create`.
    VolumeInspect,
    /// `GET /exec/{id}/json`.
    ExecInspect,
    /// `GET /info`: only tenant-safe fields, and the tenant's own world
    /// where the engine would show the host's.
    Info(InfoView),
    /// `GET /system/df`: only the tenant's containers and volumes.
    SystemDf {
        /// The policy's shared registries (which images the tenant sees).
        shared: Vec<String>,
    },
    /// Prune answers list deleted names.
    Prune,
    /// `GET /images/json`: only the images the tenant may see, with the
    /// names it may see.
    ImageList {
        /// The policy's shared registries.
        shared: Vec<String>,
    },
    /// `GET /images/{name}/json` and `/history`: an image the tenant may not
    /// see is answered as the daemon answers a missing one.
    ImageInspect {
        /// The name as the tenant gave it (for the not-found message).
        reference: String,
        /// The policy's shared registries.
        shared: Vec<String>,
        /// Whether this is `/history` (a list of layers) rather than inspect.
        history: bool,
    },
    /// `DELETE /images/{name}` of a tenant's claim: the daemon's answer
    /// with the claim shown as the name the tenant pulled.
    ImageDelete,
    /// `GET /services`: the tenant's services with its own names.
    ServiceList,
    /// `GET /services/{id}`.
    ServiceInspect,
    /// `POST /services/create` and `/update` answers (`ID`, `Warnings`).
    ServiceCreate,
    /// `GET /tasks`.
    TaskList,
    /// `GET /tasks/{id}`.
    TaskInspect,
    /// `GET /secrets` and `GET /configs`.
    SecretList,
    /// `GET /secrets/{id}`, `GET /configs/{id}`.
    SecretInspect,
    /// `GET /nodes`: the pool's nodes, sanitised.
    NodeList {
        /// Which nodes the tenant may see.
        pool: NodePool,
    },
    /// `GET /nodes/{id}`: a node outside the pool is not found.
    NodeInspect {
        /// The reference as the tenant gave it (for the not-found message).
        reference: String,
        /// Which nodes the tenant may see.
        pool: NodePool,
    },
}

/// The nodes a tenant's tasks may land on, and so the nodes it sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodePool {
    /// Labels a node must carry (all of them).
    pub labels: std::collections::BTreeMap<String, String>,
    /// Whether managers are in the pool.
    pub managers: bool,
}

/// A fact the core needs from the engine.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "need", rename_all = "snake_case")]
pub enum Obligation {
    /// List every resource of this kind that carries the tenant's ownership
    /// label (ids and engine-side names); answered in [`Facts`]. Only asked
    /// when a whole list is what the answer needs; a reference is resolved
    /// with [`Obligation::Lookup`].
    Owned {
        /// Which kind.
        kind: ResourceKind,
    },
    /// One targeted question: which of the tenant's own resources has this
    /// id, engine-side name or id prefix. [`Lookup::engine_query`] is the
    /// one engine call that answers it, [`Lookup::read_answer`] reads it.
    Lookup(Lookup),
    /// Which container does this exec belong to (`GET /exec/{id}/json`).
    ExecContainer {
        /// The exec id as given in the path.
        exec: String,
    },
    /// Which image does the daemon resolve this reference to
    /// (`GET /images/{reference}/json`): asked when a reference may be an
    /// image id or id prefix, which names no registry.
    Image {
        /// The reference as the tenant gave it.
        reference: String,
    },
    /// What the tenant's containers hold: their states and reservations
    /// (one owner-filtered list, [`crate::tenancy::usage::Usage`]); asked by
    /// the requests quotas check and by `docker info`.
    Usage,
    /// Which named images the engine holds (one list of the images that
    /// have a tag: `GET /images/json?filters={"dangling":["false"]}`):
    /// `docker info` counts those the tenant may see. An image without a
    /// tag has no name the tenant could see it by.
    NamedImages,
    /// Where one of the tenant's containers mounts things (`Mounts[].Destination`
    /// of `GET /containers/{id}/json`, owner label checked): a create with
    /// `--volumes-from` that container gets them, and needs no volume of
    /// its own there. Asked only for a container a reference already
    /// resolved to, and only when the create has volumes it would
    /// otherwise make.
    ContainerMounts {
        /// The container's full id.
        id: String,
    },
    /// What the engine keeps of one of the tenant's services
    /// (`GET /services/{id}`, owner label checked): the spec a rollback
    /// would restore. Asked only for a service a reference resolved to
    /// through a list; an inspect that resolved it answered this too.
    ServiceSpec {
        /// The service's full id.
        id: String,
    },
}

/// What the engine keeps of a service (from its inspect answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ServiceFacts {
    /// `PreviousSpec`, as the engine holds it: what `rollback=previous`
    /// would restore.
    pub previous_spec: Option<serde_json::Value>,
    /// What the service holds now: its replicas times what each task
    /// reserves (quotas count an update's difference).
    pub holds: crate::tenancy::usage::Reservation,
    /// Its replicas now (the container quota counts what an update adds).
    pub replicas: u64,
}

/// An image as the engine reports it (from its inspect answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ImageFacts {
    /// Full id (`sha256:<64 hex>`).
    pub id: String,
    /// `RepoTags`, engine-side (claims included).
    pub repo_tags: Vec<String>,
    /// `RepoDigests`.
    pub repo_digests: Vec<String>,
    /// The keys of `Config.ExposedPorts` (`80/tcp`): what `-P` publishes
    /// besides the body's own.
    #[serde(default)]
    pub exposed_ports: Vec<String>,
    /// The keys of `Config.Volumes` (`/data`): where the daemon would make
    /// an anonymous volume for a container that mounts nothing there.
    #[serde(default)]
    pub volumes: Vec<String>,
}

/// The kinds of tenant-owned resources.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    /// Containers.
    Container,
    /// Networks.
    Network,
    /// Volumes (no ids: name only).
    Volume,
    /// Swarm services.
    Service,
    /// Swarm secrets.
    Secret,
    /// Swarm configs.
    Config,
    /// Swarm tasks (no names: id only; owned through their service).
    Task,
}

impl ResourceKind {
    /// The daemon's word for it in "No such X" messages.
    pub fn noun(self) -> &'static str {
        match self {
            ResourceKind::Container => "container",
            ResourceKind::Network => "network",
            ResourceKind::Volume => "volume",
            ResourceKind::Service => "service",
            ResourceKind::Secret => "secret",
            ResourceKind::Config => "config",
            ResourceKind::Task => "task",
        }
    }

    /// The first path segment of its routes (`/services/{id}`).
    pub fn path(self) -> &'static str {
        match self {
            ResourceKind::Container => "containers",
            ResourceKind::Network => "networks",
            ResourceKind::Volume => "volumes",
            ResourceKind::Service => "services",
            ResourceKind::Secret => "secrets",
            ResourceKind::Config => "configs",
            ResourceKind::Task => "tasks",
        }
    }

    /// Whether swarm keeps it: 25-character base-36 ids, `ID` and
    /// `Spec.Name`/`Spec.Labels` in its JSON, and the daemon's
    /// "<kind> X not found" wording.
    pub fn is_swarm(self) -> bool {
        matches!(
            self,
            ResourceKind::Service
                | ResourceKind::Secret
                | ResourceKind::Config
                | ResourceKind::Task
        )
    }
}

/// One owned resource, as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Owned {
    /// Full engine id (64 hex); for volumes, the engine-side name.
    pub id: String,
    /// Engine-side name (`alpha_web`), without a leading `/`.
    pub name: String,
}

/// Answers to obligations. `None` means "not asked yet".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The tenant's containers.
    pub containers: Option<Vec<Owned>>,
    /// The tenant's networks.
    pub networks: Option<Vec<Owned>>,
    /// The tenant's volumes.
    pub volumes: Option<Vec<Owned>>,
    /// The tenant's swarm objects of a kind (services, secrets, configs,
    /// tasks), where an adapter knows them all (`check`'s state file).
    pub swarm: std::collections::BTreeMap<ResourceKind, Vec<Owned>>,
    /// Exec id → its container's full id (`None`: no such exec).
    pub execs: std::collections::BTreeMap<String, Option<String>>,
    /// Image reference → the image it resolves to (`None`: no such image).
    pub images: std::collections::BTreeMap<String, Option<ImageFacts>>,
    /// Answers to targeted lookups: the tenant's resources that match.
    pub lookups: std::collections::BTreeMap<Lookup, Vec<Owned>>,
    /// What the tenant's containers hold, if asked.
    pub usage: Option<crate::tenancy::usage::Usage>,
    /// The engine's named images ([`Obligation::NamedImages`]), if asked:
    /// ids and names only.
    pub named_images: Option<Vec<ImageFacts>>,
    /// Service id → what the engine keeps of it (`None`: not the
    /// tenant's, or gone); see [`Obligation::ServiceSpec`].
    pub services: std::collections::BTreeMap<String, Option<ServiceFacts>>,
    /// Container id → where it mounts things (`None`: not the tenant's, or
    /// gone); see [`Obligation::ContainerMounts`].
    pub container_mounts: std::collections::BTreeMap<String, Option<Vec<String>>>,
    /// Whether there is no image store to ask ([`Facts::offline`]; `check`
    /// with a state file that lists no images): a container create is then
    /// judged on its body alone, without what its image declares (`EXPOSE`,
    /// `VOLUME`). An image named by id is still asked for.
    pub images_unknown: bool,
}

impl Facts {
    /// What an adapter without an engine knows (`lint`, `test`, `check`
    /// without a state file): nothing, except that usage counts as empty,
    /// so that quotas judge the request on its own (a 5 GiB container is
    /// over a 4 GiB quota whatever else runs) instead of leaving every
    /// create undecided, and that images are unknown
    /// ([`Facts::images_unknown`]).
    pub fn offline() -> Facts {
        Facts {
            usage: Some(crate::tenancy::usage::Usage {
                containers: Vec::new(),
                offline: true,
            }),
            images_unknown: true,
            ..Facts::default()
        }
    }

    /// The owned list for a kind, if answered.
    pub fn owned(&self, kind: ResourceKind) -> Option<&[Owned]> {
        match kind {
            ResourceKind::Container => self.containers.as_deref(),
            ResourceKind::Network => self.networks.as_deref(),
            ResourceKind::Volume => self.volumes.as_deref(),
            _ => self.swarm.get(&kind).map(Vec::as_slice),
        }
    }

    /// The owned list for a kind, to add to: answered (empty) from now on.
    pub fn owned_mut(&mut self, kind: ResourceKind) -> &mut Vec<Owned> {
        match kind {
            ResourceKind::Container => self.containers.get_or_insert_with(Vec::new),
            ResourceKind::Network => self.networks.get_or_insert_with(Vec::new),
            ResourceKind::Volume => self.volumes.get_or_insert_with(Vec::new),
            _ => self.swarm.entry(kind).or_default(),
        }
    }

    /// Records the answer for a kind.
    pub fn set_owned(&mut self, kind: ResourceKind, list: Vec<Owned>) {
        match kind {
            ResourceKind::Container => self.containers = Some(list),
            ResourceKind::Network => self.networks = Some(list),
            ResourceKind::Volume => self.volumes = Some(list),
            _ => {
                self.swarm.insert(kind, list);
            }
        }
    }
}
