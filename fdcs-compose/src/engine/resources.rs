//! Resource limits of a service → `HostConfig` (`Memory`, `NanoCpus`,
//! `PidsLimit`, `CPURealtimeRuntime`, ...), from the service keys or `deploy.resources`, and
//! `blkio_config` → `BlkioWeight` and the per-device `Blkio*` lists.

use super::units::{bytes, micros, nano_cpus};
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
    if let Some((k, s)) = pick("cpu_shares", None, "") {
        hc.insert("CpuShares".into(), json!(s.parse::<i64>().unwrap_or(0)));
        p.set("HostConfig.CpuShares", k.pos);
    }
    // compose's `to_microseconds`: a number as it is, a string a duration
    // (`cpu_rt_runtime: 400ms` → 400000; captured, project h1capa). The
    // realtime pair goes out spelled as docker-py spells it
    // (`CPURealtimeRuntime`); the daemon's decoder folds case.
    for (field, json_name) in [
        ("cpu_quota", "CpuQuota"),
        ("cpu_period", "CpuPeriod"),
        ("cpu_rt_runtime", "CPURealtimeRuntime"),
        ("cpu_rt_period", "CPURealtimePeriod"),
    ] {
        if let Some((k, v)) = svc.entry(field) {
            // a string that is no duration makes compose fail before it sends anything
            if let Some(n) = micros(v) {
                hc.insert(json_name.into(), json!(n));
                p.set(format!("HostConfig.{json_name}"), k.pos);
            }
        }
    }
    if let Some((k, v)) = svc.entry("mem_swappiness") {
        if let Some(n) = v.as_scalar().and_then(|s| s.trim().parse::<i64>().ok()) {
            hc.insert("MemorySwappiness".into(), json!(n));
            p.set("HostConfig.MemorySwappiness", k.pos);
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

/// `blkio_config` as docker-compose 1.29 sends it (captured, project
/// `hcapcblk`): `weight` → `BlkioWeight`; each per-device list → its
/// `Blkio*` field, every item's keys capitalised (`path` → `Path`, `rate` →
/// `Rate`, `weight` → `Weight`, compose's `convert_blkio_config`), `bps`
/// rates in bytes (`12mb` → 12582912, compose's `parse_bytes`), `iops`
/// rates as integers (`"30"` → 30). docker-py leaves out a zero weight and
/// empty lists.
pub(super) fn blkio(svc: &Node, hc: &mut Map<String, Value>, p: &mut PathMap) {
    let Some(b) = svc.get("blkio_config") else {
        return;
    };
    if let Some((k, w)) = b.entry("weight") {
        let n = w.as_scalar().and_then(|s| s.trim().parse::<i64>().ok());
        if n != Some(0) && !w.is_null() {
            hc.insert(
                "BlkioWeight".into(),
                n.map_or_else(|| json!(w.as_scalar()), |n| json!(n)),
            );
            p.set("HostConfig.BlkioWeight", k.pos);
        }
    }
    for (field, json_name) in [
        ("weight_device", "BlkioWeightDevice"),
        ("device_read_bps", "BlkioDeviceReadBps"),
        ("device_read_iops", "BlkioDeviceReadIOps"),
        ("device_write_bps", "BlkioDeviceWriteBps"),
        ("device_write_iops", "BlkioDeviceWriteIOps"),
    ] {
        let Some((k, list)) = b.entry(field) else {
            continue;
        };
        let items: Vec<Value> = list
            .items()
            .iter()
            .enumerate()
            .map(|(i, it)| {
                p.set(format!("HostConfig.{json_name}[{i}]"), it.pos);
                let m: Map<String, Value> = it
                    .entries()
                    .iter()
                    .map(|(ik, iv)| {
                        let key = ik.as_scalar().unwrap_or_default();
                        let raw = iv.as_scalar().unwrap_or_default();
                        let num = if key == "rate" && field.ends_with("_bps") {
                            bytes(&raw)
                        } else {
                            raw.trim().parse::<i64>().ok()
                        };
                        let v = match (key.as_str(), num) {
                            ("path", _) | (_, None) => json!(raw),
                            (_, Some(n)) => json!(n),
                        };
                        (capitalize(&key), v)
                    })
                    .collect();
                Value::Object(m)
            })
            .collect();
        if !items.is_empty() {
            hc.insert(json_name.into(), Value::Array(items));
            p.set(format!("HostConfig.{json_name}"), k.pos);
        }
    }
}

/// Python's `str.capitalize`: first letter upper, the rest lower.
fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f
            .to_uppercase()
            .chain(c.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}
