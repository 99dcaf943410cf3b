//! Legacy placement of `HostConfig` fields at the top level of a create body.
//!
//! 20.10's `runconfig.ContainerConfigWrapper` embeds `*container.HostConfig`
//! at the top level next to the `HostConfig` object, plus a top-level
//! `Cpuset`; `getHostConfig()` uses the top-level fields when there is no
//! `HostConfig` object, and otherwise keeps the object and copies a few
//! top-level fields into it only where the object leaves them zero. We move
//! top-level fields into `HostConfig` in the first case and refuse the
//! second: two places for one setting is an ambiguity a policy should not
//! have to reason about, and no current client sends it.

use super::err::{DecodeError, DecodeErrorKind};
use super::model::{ContainerCreate, Fields as _, LegacyContainerCreate};
use super::{decode, encode};

/// Decodes a `POST /containers/create` body, moving top-level (legacy)
/// `HostConfig` fields into [`ContainerCreate::host_config`] as the daemon does.
pub fn decode_container_create(body: &[u8]) -> Result<ContainerCreate, DecodeError> {
    let wrapper: LegacyContainerCreate = decode(body)?;
    let LegacyContainerCreate {
        cpuset,
        mut create,
        legacy,
    } = wrapper;
    if !legacy.is_unset() {
        if create.host_config.is_some() {
            let first = match encode(&legacy) {
                serde_json::Value::Object(m) => m.keys().next().cloned().unwrap_or_default(),
                _ => String::new(),
            };
            return Err(DecodeError::new(
                DecodeErrorKind::Ambiguous,
                first.clone(),
                format!(
                    "top-level `{first}` next to a `HostConfig` object; move it into `HostConfig`"
                ),
            ));
        }
        create.host_config = Some(legacy);
    }
    // Top-level `Cpuset` fills an empty `CpusetCpus`. With no host config
    // the daemon ignores it, but whether it has one depends on whether any
    // top-level host field is present, a `null` one too (Go allocates the
    // embedded `*HostConfig` for it), which we read as absent: so a
    // non-empty `Cpuset` with no host config is refused (found by the
    // daemon oracle, tests/oracle.rs; no client since API 1.24 sends it).
    match (cpuset, create.host_config.as_mut()) {
        (Some(cpuset), Some(hc)) => {
            let cpus = &mut hc.resources.cpuset_cpus;
            if !cpuset.is_empty() && cpus.as_deref().unwrap_or("").is_empty() {
                *cpus = Some(cpuset);
            }
        }
        (Some(cpuset), None) if !cpuset.is_empty() => {
            return Err(DecodeError::new(
                DecodeErrorKind::Ambiguous,
                "Cpuset".into(),
                "top-level `Cpuset` without a `HostConfig`: the daemon applies it only when another top-level host field (even `null`) is present; send `HostConfig.CpusetCpus`",
            ));
        }
        _ => {}
    }
    Ok(create)
}
