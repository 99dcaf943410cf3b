//! Loading a policy: parse the YAML, validate every value, compile the CEL.
//!
//! Omitted blocks and fields take the FDCS defaults (the secure choice);
//! anything present but wrong is an error at its line and column.

use super::cel_rule::{self, Limits};
use super::err::{Errs, Pos};
use super::quantity::Quantity;
use super::registries::{image_patterns, registry_hosts};
use super::schema::{RawLimit, RawPolicy};
use super::{
    ExecParams, ImagesParams, Limit, MountsParams, NamespacesParams, Policy, PolicyError,
    PortsParams, PrivilegesParams, ResourcesParams,
};
use crate::image::DEFAULT_DOMAIN;
use crate::route::{ApiVersion, MIN_API_VERSION};
use serde_saphyr::Spanned;

/// The only `apiVersion` this loader understands.
pub(crate) const API_VERSION: &str = "fdcs/v1";

/// Largest policy source accepted (the YAML parser has its own budget too).
pub(crate) const MAX_POLICY_BYTES: usize = 1 << 20;

/// The security options the FDCS profile allows when a policy names none:
/// they only take privileges away.
const DEFAULT_SECURITY_OPT: [&str; 4] = [
    "no-new-privileges",
    "no-new-privileges:true",
    "no-new-privileges=true",
    "no-new-privileges=1",
];

pub(super) fn load(src: &str, origin: &str) -> Result<Policy, PolicyError> {
    let errs = Errs { origin, src };
    if src.len() > MAX_POLICY_BYTES {
        return Err(errs.at(
            Pos { line: 1, column: 1 },
            format!(
                "policy is {} bytes; the limit is {MAX_POLICY_BYTES}",
                src.len()
            ),
        ));
    }
    let raw: RawPolicy =
        serde_saphyr::from_str_with_options(src, yaml_options()).map_err(|e| errs.yaml(&e))?;
    convert(raw, errs)
}

/// Strict YAML: only `true`/`false` are booleans (`no` is not `false`), and
/// duplicate keys are errors (the parser's defaults keep its budget limits).
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    let mut o = serde_saphyr::Options::default();
    o.strict_booleans = true;
    o.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    o
}

fn convert(raw: RawPolicy, errs: Errs<'_>) -> Result<Policy, PolicyError> {
    if raw.api_version.value != API_VERSION {
        return Err(errs.at(
            Pos::of(&raw.api_version),
            format!(
                "unsupported apiVersion `{}`: use `{API_VERSION}`",
                raw.api_version.value
            ),
        ));
    }
    if raw.kind.value != "Policy" {
        return Err(errs.at(
            Pos::of(&raw.kind),
            format!("unsupported kind `{}`: use `Policy`", raw.kind.value),
        ));
    }
    if raw.name.value.trim().is_empty() {
        return Err(errs.at(Pos::of(&raw.name), "name must not be empty"));
    }
    let min_api_version = match &raw.min_api_version {
        None => MIN_API_VERSION,
        Some(v) => api_version(v).map_err(|m| errs.at(Pos::of(v), m))?,
    };
    let r = raw.rules;
    let strings = |v: Option<Vec<Spanned<String>>>, default: &[&str]| -> Vec<String> {
        match v {
            Some(v) => v.into_iter().map(|s| s.value).collect(),
            None => default.iter().map(|s| s.to_string()).collect(),
        }
    };
    let ports = PortsParams {
        ephemeral_only: r.ports.ephemeral_only.unwrap_or(true),
    };
    if let Some(paths) = &r.mounts.allow_host_paths {
        for p in paths {
            if !p.value.starts_with('/') || p.value.split('/').any(|s| s == "..") {
                return Err(errs.at(
                    Pos::of(p),
                    format!(
                        "host path prefix `{}` must be absolute and contain no `..`",
                        p.value
                    ),
                ));
            }
        }
    }
    let mounts = MountsParams {
        allow_host_paths: strings(r.mounts.allow_host_paths, &[]),
        allow_volume_drivers: strings(r.mounts.allow_volume_drivers, &["local"]),
    };
    if let Some(caps) = &r.privileges.allow_cap_add {
        for c in caps {
            let ok = !c.value.is_empty()
                && c.value
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                && !c.value.starts_with("CAP_");
            if !ok || c.value == "ALL" {
                return Err(errs.at(
                    Pos::of(c),
                    format!(
                        "capability `{}` must be one upper-case name without `CAP_`, such as `NET_BIND_SERVICE` (`ALL` is not accepted)",
                        c.value
                    ),
                ));
            }
        }
    }
    let privileges = PrivilegesParams {
        allow_privileged: r.privileges.allow_privileged.unwrap_or(false),
        allow_cap_add: strings(r.privileges.allow_cap_add, &[]),
        allow_security_opt: strings(r.privileges.allow_security_opt, &DEFAULT_SECURITY_OPT),
        allow_runtimes: strings(r.privileges.allow_runtimes, &[]),
        allow_log_drivers: strings(r.privileges.allow_log_drivers, &["json-file", "local"]),
    };
    let namespaces = NamespacesParams {
        allow_host: r.namespaces.allow_host.unwrap_or(false),
    };
    let swarm = swarm(r.swarm, errs)?;
    let resources = ResourcesParams {
        memory: limit(
            &r.resources.memory,
            Quantity::bytes,
            256 << 20,
            1 << 30,
            "memory",
            errs,
        )?,
        nano_cpus: limit(
            &r.resources.cpus,
            Quantity::nano_cpus,
            500_000_000,
            2_000_000_000,
            "cpus",
            errs,
        )?,
        pids: limit(&r.resources.pids, Quantity::count, 256, 1024, "pids", errs)?,
    };
    let images = ImagesParams {
        allow: image_patterns(r.images.allow, errs)?.unwrap_or_default(),
        registries: registry_hosts(r.images.registries, errs)?
            .unwrap_or_else(|| vec![DEFAULT_DOMAIN.to_string()]),
        shared: registry_hosts(r.images.shared, errs)?
            .unwrap_or_else(|| vec![DEFAULT_DOMAIN.to_string()]),
        allow_pull: r.images.allow_pull.unwrap_or(true),
        allow_build: r.images.allow_build.unwrap_or(false),
        allow_push: r.images.allow_push.unwrap_or(false),
        allow_manage: r.images.allow_manage.unwrap_or(false),
    };
    let exec = ExecParams {
        allow_privileged: r.exec.allow_privileged.unwrap_or(false),
    };
    let bounds = super::bounds::bounds(r.bounds, &privileges.allow_log_drivers, errs)?;
    let volumes = super::bounds::volumes(r.volumes, errs)?;
    let quotas = super::quotas::quotas(r.quotas, super::quotas::FDCS_QUOTAS, None, errs)?;
    let custom = match raw.custom {
        None => Vec::new(),
        Some(list) => cel_rule::compile_all(list, &Limits::default(), errs)?,
    };
    // a custom rule is graded by the id lint reports: `custom.<id>`
    let is_custom = |id: &str| custom.iter().any(|c| c.id() == id);
    let lint = super::lint::lint(
        raw.lint,
        |id| crate::rules::catalog::lookup(id).is_some() || is_custom(id),
        errs,
    )?;
    let enforcement = super::enforcement::enforcement(
        raw.enforcement,
        |id| crate::RuleId::parse(id).filter(|r| !r.is_custom() || is_custom(id)),
        errs,
    )?;
    Ok(Policy {
        name: raw.name.value,
        min_api_version,
        ports,
        mounts,
        privileges,
        namespaces,
        swarm,
        resources,
        images,
        exec,
        bounds,
        volumes,
        quotas,
        custom,
        lint,
        enforcement,
    })
}

/// `"1.24"` → v1.24, within what the route table knows. A bare YAML float
/// (`1.40`) would lose its trailing zero, so it must be quoted.
fn api_version(v: &Spanned<Quantity>) -> Result<ApiVersion, String> {
    let Quantity::Text(s) = &v.value else {
        return Err(format!(
            "minApiVersion `{}` must be a quoted string such as \"1.24\" (YAML reads 1.40 as 1.4)",
            v.value
        ));
    };
    let parsed = s.split_once('.').and_then(|(a, b)| {
        let all_digits =
            |x: &str| !x.is_empty() && x.len() <= 4 && x.bytes().all(|c| c.is_ascii_digit());
        if all_digits(a) && all_digits(b) {
            Some(ApiVersion::new(a.parse().ok()?, b.parse().ok()?))
        } else {
            None
        }
    });
    match parsed {
        Some(ver) if ver >= MIN_API_VERSION && ver.major == 1 => Ok(ver),
        Some(_) => Err(format!(
            "minApiVersion `{s}` is below {MIN_API_VERSION}, the oldest version fdcs judges"
        )),
        None => Err(format!(
            "minApiVersion `{s}` is not a version such as \"1.24\""
        )),
    }
}

/// Validates `{default, max}`: both positive, `default <= max`.
pub(super) fn limit(
    raw: &Option<Spanned<RawLimit>>,
    parse: fn(&Quantity) -> Result<i64, String>,
    default: i64,
    max: i64,
    what: &str,
    errs: Errs<'_>,
) -> Result<Limit, PolicyError> {
    let Some(raw) = raw else {
        return Ok(Limit { default, max });
    };
    let d = parse(&raw.value.default.value).map_err(|m| errs.at(Pos::of(&raw.value.default), m))?;
    let m = parse(&raw.value.max.value).map_err(|m| errs.at(Pos::of(&raw.value.max), m))?;
    if d <= 0 {
        return Err(errs.at(
            Pos::of(&raw.value.default),
            format!("{what} default `{}` must be positive (a limit of 0 or -1 means unlimited to the daemon)", raw.value.default.value),
        ));
    }
    if m <= 0 {
        return Err(errs.at(
            Pos::of(&raw.value.max),
            format!("{what} max `{}` must be positive (a limit of 0 or -1 means unlimited to the daemon)", raw.value.max.value),
        ));
    }
    if d > m {
        return Err(errs.at(
            Pos::of(&raw.value.default),
            format!(
                "{what} default `{}` is above max `{}`",
                raw.value.default.value, raw.value.max.value
            ),
        ));
    }
    Ok(Limit { default: d, max: m })
}

/// `rules.swarm`: off unless enabled; node pool labels become placement
/// constraints, so each key and value must read as one constraint term.
fn swarm(raw: super::schema::RawSwarm, errs: Errs<'_>) -> Result<super::SwarmParams, PolicyError> {
    let mut node_labels = std::collections::BTreeMap::new();
    let term = |s: &str| {
        !s.is_empty()
            && s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
    };
    for (key, value) in raw.node_labels.unwrap_or_default() {
        if !term(&key) || !term(&value.value) {
            return Err(errs.at(
                Pos::of(&value),
                format!(
                    "node label `{key}={}` must be a key and a value of letters, digits and `._-/` (they become the constraint node.labels.KEY==VALUE)",
                    value.value
                ),
            ));
        }
        node_labels.insert(key, value.value);
    }
    Ok(super::SwarmParams {
        enabled: raw.enabled.unwrap_or(false),
        node_labels,
        allow_managers: raw.allow_managers.unwrap_or(false),
    })
}
