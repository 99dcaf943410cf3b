//! Resource limits of a service → `HostConfig` (`Memory`, `NanoCpus`,
//! `PidsLimit`, ...), from the service keys or `deploy.resources`.

use super::units::{bytes, nano_cpus};
use super::PathMap;
use crate::node::Node;
use serde_json::{json, Map, Value};

/// `mem_limit`, `cpus`, `pids_limit` and their `deploy.resources` forms
/// (compose 1.29 applies `deploy.resources.limits` without `--compatibility`).
pub(super) fn resources(svc: &Node, hc: &mut Map<String, Value>, p: &mut PathMap) {
    let limits = svc
        .get("deploy")
        .and_then(|d| d.get("resources"))
        .and_then(|r| r.get("limits"));
    let reservations = svc
        .get("deploy")
        .and_then(|d| d.get("resources"))
        .and_then(|r| r.get("reservations"));
    let pick = |field: &str, deploy: Option<&Node>, dfield: &str| -> Option<(Node, String)> {
        svc.entry(field)
            .or_else(|| deploy.and_then(|d| d.entry(dfield)))
            .and_then(|(k, v)| v.as_scalar().map(|s| (k.clone(), s)))
    };
    if let Some((k, s)) = pick("mem_limit", limits, "memory") {
        hc.insert("Memory".into(), json!(bytes(&s).unwrap_or(-1)));
        p.set("HostConfig.Memory", k.pos);
    }
    if let Some((k, s)) = pick("memswap_limit", None, "") {
        hc.insert(
            "MemorySwap".into(),
            json!(bytes(&s).or_else(|| s.parse().ok()).unwrap_or(-1)),
        );
        p.set("HostConfig.MemorySwap", k.pos);
    }
    if let Some((k, s)) = pick("mem_reservation", reservations, "memory") {
        hc.insert("MemoryReservation".into(), json!(bytes(&s).unwrap_or(0)));
        p.set("HostConfig.MemoryReservation", k.pos);
    }
    if let Some((k, s)) = pick("cpus", limits, "cpus") {
        hc.insert("NanoCpus".into(), json!(nano_cpus(&s).unwrap_or(-1)));
        p.set("HostConfig.NanoCpus", k.pos);
    }
    for (field, json_name) in [
        ("cpu_shares", "CpuShares"),
        ("cpu_quota", "CpuQuota"),
        ("cpu_period", "CpuPeriod"),
    ] {
        if let Some((k, s)) = pick(field, None, "") {
            hc.insert(json_name.into(), json!(s.parse::<i64>().unwrap_or(0)));
            p.set(format!("HostConfig.{json_name}"), k.pos);
        }
    }
    if let Some((k, s)) = pick("cpuset", None, "") {
        hc.insert("CpusetCpus".into(), json!(s));
        p.set("HostConfig.CpusetCpus", k.pos);
    }
    if let Some((k, s)) = pick("pids_limit", limits, "pids") {
        hc.insert("PidsLimit".into(), json!(s.parse::<i64>().unwrap_or(0)));
        p.set("HostConfig.PidsLimit", k.pos);
    }
    if let Some((k, s)) = pick("shm_size", None, "") {
        hc.insert("ShmSize".into(), json!(bytes(&s).unwrap_or(0)));
        p.set("HostConfig.ShmSize", k.pos);
    }
}
