//! Policies: the YAML file, its built-in rule parameters, and custom CEL rules.
//!
//! A [`Policy`] is immutable once loaded; CEL is compiled at load time, so a
//! policy that does not compile never reaches a request.
//!
//! The file (`apiVersion: fdcs/v1`, `kind: Policy`), shaped after Kubernetes
//! ValidatingAdmissionPolicy; `policies/default.yaml` documents every field:
//!
//! ```yaml
//! apiVersion: fdcs/v1
//! kind: Policy
//! name: fdcs-default
//! minApiVersion: "1.24"
//! rules:
//!   ports: { ephemeralOnly: true }
//!   mounts: { allowHostPaths: [], allowVolumeDrivers: [local] }
//!   privileges: { allowPrivileged: false, allowCapAdd: [], allowSecurityOpt: [no-new-privileges],
//!                 allowRuntimes: [], allowLogDrivers: [json-file, local] }
//!   namespaces: { allowHost: false }
//!   resources: { memory: { default: 256Mi, max: 1Gi }, cpus: { default: 0.5, max: 2 },
//!                pids: { default: 256, max: 1024 } }
//!   images: { allow: ["*"], registries: [docker.io], shared: [docker.io],
//!             allowPull: true, allowBuild: false, allowPush: false, allowManage: false }
//!   exec: { allowPrivileged: false }
//!   bounds: { ports: { maxPublished: 10, maxExposed: 32 },
//!             tmpfs: { size: { default: 64Mi, max: 512Mi }, shmSize: { default: 64Mi, max: 512Mi } },
//!             logs: { driver: json-file, maxSize: { default: 10m, max: 50m },
//!                     maxFile: { default: 3, max: 5 }, maxBufferSize: 1m },
//!             cpuWeight: { maxCpuShares: 1024, maxBlkioWeight: 19 }, realtime: { allow: false },
//!             healthcheck: { minInterval: 1s, minTimeout: 1s, minStartPeriod: 1s, maxRetries: 10 } }
//!   volumes: { tmpfs: { allow: true, size: { default: 64Mi, max: 256Mi } } }
//! custom:
//!   - id: labels.owner-required            # denials name it `custom.labels.owner-required`
//!     match: { endpoints: [ContainerCreate] }   # `Endpoint::name()`s, or `*`
//!     variables: [ { name: labels, expression: "has(object.Labels) ? object.Labels : {}" } ]
//!     expression: "'owner' in variables.labels"  # true = allowed
//!     message: "an owner label is required; add --label owner=<you>"   # or messageExpression
//! lint:                                     # read by `fdcs-policy lint` only
//!   rules: { compose.memory-unset: error, compose.healthcheck-unset: off }
//! enforcement:                              # deny (default), warn or audit
//!   { privileges.capabilities: warn, custom.labels.owner-required: audit }
//! ```
//!
//! Unknown keys, YAML 1.1 booleans (`yes`), duplicate keys, invalid values and
//! CEL that does not compile or exceeds [`Limits`] are errors with the line
//! and column in the file. Omitted blocks and fields keep the FDCS defaults.

mod bounds;
mod cel_bounds;
mod cel_json;
mod cel_rule;
mod cel_value;
mod enforcement;
mod err;
mod lint;
mod load;
pub(crate) mod quantity;
mod quotas;
mod registries;
pub(crate) mod schema;

pub use bounds::{
    BoundsParams, CpuWeightBounds, HealthBounds, LogBounds, NfsBackend, PortBounds, TmpfsBounds,
    VolumesParams,
};
pub use cel_rule::{CelRule, Limits, ENDPOINT_NAMES};
pub use cel_value::{CelContext, CelInput, MAX_OBJECT_DEPTH, MAX_OBJECT_NODES};
pub use enforcement::{downgradable, EnforcementMode, EnforcementParams};
pub use err::PolicyError;
pub(crate) use err::{Errs, Pos}; // shared with the tenants file loader
pub use lint::{LintLevel, LintParams};
pub(crate) use load::yaml_options;
pub(crate) use quotas::quotas as read_quotas;
pub use quotas::{QuotasParams, FDCS_QUOTAS};
pub(crate) use registries::{image_patterns, registry_hosts};

use crate::image::ImagePattern;
use crate::route::ApiVersion;

/// The FDCS profile, embedded so that the binary works with no file at all
/// (`policies/default.yaml`, through the `fdcs-policy/default.yaml` link, so
/// that the packaged crate holds it too).
pub const DEFAULT_POLICY_YAML: &str = include_str!("../default.yaml");

/// A loaded, compiled policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Human name from the file.
    pub name: String,
    /// Requests with a `/vX.Y` prefix below this are denied.
    pub min_api_version: ApiVersion,
    /// Ports rule parameters.
    pub ports: PortsParams,
    /// Mounts rule parameters.
    pub mounts: MountsParams,
    /// Privileges rule parameters.
    pub privileges: PrivilegesParams,
    /// Namespaces rule parameters.
    pub namespaces: NamespacesParams,
    /// Resources rule parameters.
    pub resources: ResourcesParams,
    /// Images rule parameters.
    pub images: ImagesParams,
    /// Exec rule parameters.
    pub exec: ExecParams,
    /// Bounds on host resources a container can take (`bounds.*`).
    pub bounds: BoundsParams,
    /// Volume rule parameters (`volumes.*`).
    pub volumes: VolumesParams,
    /// A tenant's share of the host as a whole (`quota.*`).
    pub quotas: QuotasParams,
    /// Swarm services, tasks, secrets and configs (`swarm.*`).
    pub swarm: SwarmParams,
    /// Custom CEL rules, compiled.
    pub custom: Vec<CelRule>,
    /// How `fdcs-policy lint` grades findings (`lint:`); the engine ignores it.
    pub lint: LintParams,
    /// Rules in `warn` or `audit` mode (`enforcement:`); every other rule
    /// denies.
    pub enforcement: EnforcementParams,
}

impl Policy {
    /// Loads and compiles a policy from YAML. `origin` names the source in errors.
    pub fn from_yaml(src: &str, origin: &str) -> Result<Policy, PolicyError> {
        load::load(src, origin)
    }

    /// The embedded default policy (`policies/default.yaml`).
    pub fn embedded_default() -> Result<Policy, PolicyError> {
        Policy::from_yaml(DEFAULT_POLICY_YAML, "policies/default.yaml")
    }

    /// How a violation of `rule` is enforced: `deny` unless the policy's
    /// `enforcement:` block says `warn` or `audit`. `lint` grades a `warn`
    /// rule's findings as warnings with it.
    pub fn mode(&self, rule: &crate::RuleId) -> EnforcementMode {
        self.enforcement.mode(rule)
    }
}

/// `ports.ephemeral-only`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortsParams {
    /// When false, explicit host ports are allowed (not recommended).
    pub ephemeral_only: bool,
}

/// `mounts.no-host-path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountsParams {
    /// Host path prefixes that may be bind-mounted (empty: none).
    pub allow_host_paths: Vec<String>,
    /// Volume drivers a tenant may use (default `local`).
    pub allow_volume_drivers: Vec<String>,
}

/// `privileges.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivilegesParams {
    /// Allow `--privileged`.
    pub allow_privileged: bool,
    /// Capabilities that may be added (upper case, without `CAP_`).
    pub allow_cap_add: Vec<String>,
    /// Security options that may be set (`no-new-privileges`, ...).
    pub allow_security_opt: Vec<String>,
    /// Runtimes that may be chosen (empty: only the daemon default).
    pub allow_runtimes: Vec<String>,
    /// Log drivers that may be chosen (empty: only the daemon default).
    pub allow_log_drivers: Vec<String>,
}

/// `swarm.*`: whether tenants may run services on the engine's Swarm, and
/// where their tasks may land.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwarmParams {
    /// Services, tasks, secrets and configs are refused unless set.
    pub enabled: bool,
    /// The node pool: node labels every tenant task must land on, added to
    /// each service as `node.labels.K==V` constraints.
    pub node_labels: std::collections::BTreeMap<String, String>,
    /// Whether tasks may land on managers (`node.role==worker` is added
    /// otherwise).
    pub allow_managers: bool,
}

/// `namespaces.no-host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespacesParams {
    /// Allow `host` network/pid/ipc/uts/userns/cgroupns modes.
    pub allow_host: bool,
}

/// One resource: the default injected when absent and the ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Injected when the request sets none (or sets "unlimited").
    pub default: i64,
    /// Anything above is denied.
    pub max: i64,
}

/// `resources.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcesParams {
    /// Memory in bytes.
    pub memory: Limit,
    /// CPU in nano-CPUs.
    pub nano_cpus: Limit,
    /// Pids.
    pub pids: Limit,
}

/// `images.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagesParams {
    /// Image reference patterns a container may use and a tenant may pull;
    /// empty: any (from an allowed registry).
    pub allow: Vec<ImagePattern>,
    /// Registry hosts the daemon may contact on a tenant's behalf (pull,
    /// login, search, distribution inspect), as [`crate::image::registry_key`]s:
    /// the daemon sits on the host's network, so a registry nobody listed is
    /// a way into it (invariant 10).
    pub registries: Vec<String>,
    /// Registries whose images every tenant shares. An image from any other
    /// registry exists only for the tenants that pulled it themselves
    /// (invariant 11).
    pub shared: Vec<String>,
    /// Allow pulling (`POST /images/create?fromImage=`).
    pub allow_pull: bool,
    /// Allow `docker build`.
    pub allow_build: bool,
    /// Allow `docker push`.
    pub allow_push: bool,
    /// Allow tag, commit, import, load, save, delete, prune.
    pub allow_manage: bool,
}

/// `exec.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecParams {
    /// Allow privileged exec.
    pub allow_privileged: bool,
}
