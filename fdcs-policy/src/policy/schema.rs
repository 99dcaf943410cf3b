//! The policy file as written: serde shapes with source spans.
//!
//! Every struct denies unknown keys, so a typo (`allowPrivilege:`) is a load
//! error at its line and column instead of a silently ignored setting.
//! Values are validated and converted in `load.rs`.

use super::quantity::Quantity;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawPolicy {
    pub(crate) api_version: Spanned<String>,
    pub(crate) kind: Spanned<String>,
    pub(crate) name: Spanned<String>,
    #[serde(default)]
    pub(crate) min_api_version: Option<Spanned<Quantity>>,
    #[serde(default)]
    pub(crate) rules: RawRules,
    #[serde(default)]
    pub(crate) custom: Option<Spanned<Vec<RawCustom>>>,
    /// Read by `fdcs-policy lint` only; part of the schema so one file
    /// drives every command.
    #[serde(default)]
    pub(crate) lint: RawLint,
    /// Rule id → `deny`, `warn` or `audit` (`enforcement.rs`).
    #[serde(default)]
    pub(crate) enforcement: Option<BTreeMap<String, Spanned<String>>>,
}

/// `lint:`; an omitted block keeps every rule's built-in severity.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawLint {
    /// Rule id → `error`, `warning`, `info` or `off`.
    pub(crate) rules: Option<BTreeMap<String, Spanned<String>>>,
}

/// `rules:`; an omitted block keeps the FDCS defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawRules {
    #[serde(default)]
    pub(crate) ports: RawPorts,
    #[serde(default)]
    pub(crate) mounts: RawMounts,
    #[serde(default)]
    pub(crate) privileges: RawPrivileges,
    #[serde(default)]
    pub(crate) namespaces: RawNamespaces,
    #[serde(default)]
    pub(crate) resources: RawResources,
    #[serde(default)]
    pub(crate) images: RawImages,
    #[serde(default)]
    pub(crate) exec: RawExec,
    #[serde(default)]
    pub(crate) bounds: RawBounds,
    #[serde(default)]
    pub(crate) volumes: RawVolumes,
    #[serde(default)]
    pub(crate) quotas: RawQuotas,
    #[serde(default)]
    pub(crate) swarm: RawSwarm,
}

/// `rules.swarm`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawSwarm {
    pub(crate) enabled: Option<bool>,
    pub(crate) node_labels: Option<BTreeMap<String, Spanned<String>>>,
    pub(crate) allow_managers: Option<bool>,
}

/// `rules.quotas`, and a tenant's `quotas` in the tenants file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawQuotas {
    pub(crate) containers: Option<Spanned<Quantity>>,
    pub(crate) memory: Option<Spanned<Quantity>>,
    pub(crate) cpus: Option<Spanned<Quantity>>,
    pub(crate) pids: Option<Spanned<Quantity>>,
    pub(crate) published_ports: Option<Spanned<Quantity>>,
    pub(crate) volumes: Option<Spanned<Quantity>>,
    pub(crate) networks: Option<Spanned<Quantity>>,
}

/// `rules.ports`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawPorts {
    pub(crate) ephemeral_only: Option<bool>,
}

/// `rules.mounts`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawMounts {
    pub(crate) allow_host_paths: Option<Vec<Spanned<String>>>,
    pub(crate) allow_volume_drivers: Option<Vec<Spanned<String>>>,
}

/// `rules.privileges`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawPrivileges {
    pub(crate) allow_privileged: Option<bool>,
    pub(crate) allow_cap_add: Option<Vec<Spanned<String>>>,
    pub(crate) allow_security_opt: Option<Vec<Spanned<String>>>,
    pub(crate) allow_runtimes: Option<Vec<Spanned<String>>>,
    pub(crate) allow_log_drivers: Option<Vec<Spanned<String>>>,
}

/// `rules.namespaces`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawNamespaces {
    pub(crate) allow_host: Option<bool>,
}

/// `rules.resources`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawResources {
    pub(crate) memory: Option<Spanned<RawLimit>>,
    pub(crate) cpus: Option<Spanned<RawLimit>>,
    pub(crate) pids: Option<Spanned<RawLimit>>,
}

/// `{ default: X, max: Y }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimit {
    pub(crate) default: Spanned<Quantity>,
    pub(crate) max: Spanned<Quantity>,
}

/// `rules.images`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawImages {
    pub(crate) allow: Option<Vec<Spanned<String>>>,
    pub(crate) registries: Option<Vec<Spanned<String>>>,
    pub(crate) shared: Option<Vec<Spanned<String>>>,
    pub(crate) allow_pull: Option<bool>,
    pub(crate) allow_build: Option<bool>,
    pub(crate) allow_push: Option<bool>,
    pub(crate) allow_manage: Option<bool>,
}

/// `rules.exec`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawExec {
    pub(crate) allow_privileged: Option<bool>,
}

/// `rules.bounds`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawBounds {
    #[serde(default)]
    pub(crate) ports: RawPortBounds,
    #[serde(default)]
    pub(crate) tmpfs: RawTmpfsBounds,
    #[serde(default)]
    pub(crate) logs: RawLogBounds,
    #[serde(default)]
    pub(crate) cpu_weight: RawCpuWeight,
    #[serde(default)]
    pub(crate) realtime: RawAllow,
    #[serde(default)]
    pub(crate) healthcheck: RawHealth,
}

/// `rules.bounds.ports`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawPortBounds {
    pub(crate) max_published: Option<Spanned<Quantity>>,
    pub(crate) max_exposed: Option<Spanned<Quantity>>,
}

/// `rules.bounds.tmpfs`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawTmpfsBounds {
    pub(crate) size: Option<Spanned<RawLimit>>,
    pub(crate) shm_size: Option<Spanned<RawLimit>>,
}

/// `rules.bounds.logs`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawLogBounds {
    pub(crate) driver: Option<Spanned<String>>,
    pub(crate) max_size: Option<Spanned<RawLimit>>,
    pub(crate) max_file: Option<Spanned<RawLimit>>,
    pub(crate) max_buffer_size: Option<Spanned<Quantity>>,
}

/// `rules.bounds.cpuWeight`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawCpuWeight {
    pub(crate) max_cpu_shares: Option<Spanned<Quantity>>,
    pub(crate) max_blkio_weight: Option<Spanned<Quantity>>,
}

/// `{ allow: bool }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawAllow {
    pub(crate) allow: Option<bool>,
}

/// `rules.bounds.healthcheck`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawHealth {
    pub(crate) min_interval: Option<Spanned<Quantity>>,
    pub(crate) min_timeout: Option<Spanned<Quantity>>,
    pub(crate) min_start_period: Option<Spanned<Quantity>>,
    pub(crate) max_retries: Option<Spanned<Quantity>>,
}

/// `rules.volumes`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawVolumes {
    #[serde(default)]
    pub(crate) tmpfs: RawVolumeTmpfs,
    pub(crate) nfs: Option<Spanned<RawNfs>>,
}

/// `rules.volumes.nfs`: the operator's shared backend.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawNfs {
    pub(crate) server: String,
    pub(crate) export: String,
    pub(crate) options: Option<String>,
}

/// `rules.volumes.tmpfs`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawVolumeTmpfs {
    pub(crate) allow: Option<bool>,
    pub(crate) size: Option<Spanned<RawLimit>>,
}

/// One `custom:` entry, after Kubernetes ValidatingAdmissionPolicy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawCustom {
    pub(crate) id: Spanned<String>,
    #[serde(rename = "match")]
    pub(crate) matcher: Spanned<RawMatch>,
    #[serde(default)]
    pub(crate) variables: Option<Spanned<Vec<RawVariable>>>,
    pub(crate) expression: Spanned<String>,
    #[serde(default)]
    pub(crate) message: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) message_expression: Option<Spanned<String>>,
}

/// `match:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawMatch {
    pub(crate) endpoints: Spanned<Vec<Spanned<String>>>,
}

/// One `variables:` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawVariable {
    pub(crate) name: Spanned<String>,
    pub(crate) expression: Spanned<String>,
}
