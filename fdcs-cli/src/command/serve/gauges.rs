//! Per-tenant usage gauges for `/_fdcs/metrics`: containers by state, what
//! they reserve, volumes and networks, each next to its quota.
//!
//! Refreshed from the engine in the background (three owner-label-filtered
//! lists every [`REFRESH`]), never per request, and bounded in cardinality:
//! at most [`MAX_TENANTS`] tenant label values, the rest counted in
//! `fdcs_usage_tenants_dropped`.

use super::super::usage::{read_lists, row, Row};
use fdcs_policy::{Tenant, TenantId};
use fdcs_tower::{EngineAddr, SharedPolicy, TenantsAuth};
use std::fmt::Write;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How often the gauges are read from the engine.
pub(super) const REFRESH: Duration = Duration::from_secs(30);

/// Most tenants with their own gauges (label values).
pub(super) const MAX_TENANTS: usize = 1000;

/// The last rendered gauges.
#[derive(Debug, Default)]
pub(super) struct Gauges {
    text: RwLock<String>,
}

impl Gauges {
    /// The exposition text of the last refresh ("" before the first).
    pub(super) fn render(&self) -> String {
        match self.text.read() {
            Ok(t) => t.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set(&self, text: String) {
        match self.text.write() {
            Ok(mut t) => *t = text,
            Err(poisoned) => *poisoned.into_inner() = text,
        }
    }
}

/// Refreshes `gauges` every [`REFRESH`] until the process ends.
pub(super) async fn refresh_forever(
    gauges: Arc<Gauges>,
    engine: EngineAddr,
    policy: SharedPolicy,
    tenants: Arc<TenantsAuth>,
) {
    let mut errors: u64 = 0;
    loop {
        match refresh(&engine, &policy, &tenants).await {
            Ok(text) => gauges.set(format!("{text}{}", footer(errors, true))),
            Err(e) => {
                errors += 1;
                tracing::warn!(target: "fdcs::serve", error = %e, "reading tenants' usage for metrics failed");
                // keep the last figures, but say that they are stale
                let last = gauges.render();
                let body = last
                    .split("# HELP fdcs_usage_refresh_errors_total")
                    .next()
                    .unwrap_or("")
                    .to_string();
                gauges.set(format!("{body}{}", footer(errors, false)));
            }
        }
        tokio::time::sleep(REFRESH).await;
    }
}

fn footer(errors: u64, ok: bool) -> String {
    format!(
        "# HELP fdcs_usage_refresh_errors_total Failed reads of the tenants' usage from the engine.\n\
         # TYPE fdcs_usage_refresh_errors_total counter\n\
         fdcs_usage_refresh_errors_total {errors}\n\
         # HELP fdcs_usage_fresh Whether the last read of the tenants' usage succeeded.\n\
         # TYPE fdcs_usage_fresh gauge\n\
         fdcs_usage_fresh {}\n",
        u8::from(ok)
    )
}

async fn refresh(
    engine: &EngineAddr,
    policy: &SharedPolicy,
    tenants: &TenantsAuth,
) -> anyhow::Result<String> {
    let lists = read_lists(engine).await?;
    let policy = policy.load();
    let owners = lists.owners();
    let dropped = owners.len().saturating_sub(MAX_TENANTS);
    let mut rows = Vec::new();
    for id in owners.iter().take(MAX_TENANTS) {
        // an owner label that is not a tenant id was not written by fdcs
        let Ok(id) = TenantId::new(id) else { continue };
        let tenant = tenants.tenant(&id).unwrap_or_else(|| Tenant::new(id));
        rows.push(row(&policy, &tenant, &lists)?);
    }
    Ok(exposition(&rows, dropped))
}

/// The gauges, in the Prometheus text format.
fn exposition(rows: &[Row], dropped: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# HELP fdcs_tenant_containers A tenant's containers by state."
    );
    let _ = writeln!(s, "# TYPE fdcs_tenant_containers gauge");
    for r in rows {
        let c = r.tally.containers;
        for (state, n) in [
            ("running", c.running),
            ("paused", c.paused),
            ("stopped", c.stopped),
        ] {
            let _ = writeln!(
                s,
                "fdcs_tenant_containers{{tenant=\"{}\",state=\"{state}\"}} {n}",
                r.tenant
            );
        }
    }
    let _ = writeln!(
        s,
        "# HELP fdcs_tenant_usage What a tenant holds: containers and volumes and networks (counts), memory_bytes, cpus, pids and published_ports (reserved by its running containers)."
    );
    let _ = writeln!(s, "# TYPE fdcs_tenant_usage gauge");
    let _ = writeln!(
        s,
        "# HELP fdcs_tenant_quota A tenant's quota for each resource of fdcs_tenant_usage (absent: none)."
    );
    let _ = writeln!(s, "# TYPE fdcs_tenant_quota gauge");
    for r in rows {
        let (t, q) = (&r.tally, &r.quotas);
        let cpus = |n: i64| n as f64 / 1e9;
        let figures: [(&str, f64, Option<f64>); 7] = [
            (
                "containers",
                t.containers.total as f64,
                q.containers.map(|v| v as f64),
            ),
            (
                "memory_bytes",
                t.reserved.memory as f64,
                q.memory.map(|v| v as f64),
            ),
            ("cpus", cpus(t.reserved.nano_cpus), q.nano_cpus.map(cpus)),
            ("pids", t.reserved.pids as f64, q.pids.map(|v| v as f64)),
            (
                "published_ports",
                t.reserved.ports as f64,
                q.published_ports.map(|v| v as f64),
            ),
            ("volumes", t.volumes as f64, q.volumes.map(|v| v as f64)),
            ("networks", t.networks as f64, q.networks.map(|v| v as f64)),
        ];
        for (resource, used, quota) in figures {
            let labels = format!("tenant=\"{}\",resource=\"{resource}\"", r.tenant);
            let _ = writeln!(s, "fdcs_tenant_usage{{{labels}}} {used}");
            if let Some(q) = quota {
                let _ = writeln!(s, "fdcs_tenant_quota{{{labels}}} {q}");
            }
        }
    }
    let _ = writeln!(
        s,
        "# HELP fdcs_usage_tenants_dropped Tenants without gauges of their own (more than {MAX_TENANTS})."
    );
    let _ = writeln!(s, "# TYPE fdcs_usage_tenants_dropped gauge");
    let _ = writeln!(s, "fdcs_usage_tenants_dropped {dropped}");
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use fdcs_policy::policy::QuotasParams;
    use fdcs_policy::tenancy::usage::Tally;

    #[test]
    fn each_tenant_gets_its_usage_next_to_its_quota() {
        let mut tally = Tally::default();
        tally.containers.running = 2;
        tally.containers.total = 3;
        tally.reserved.memory = 1 << 30;
        let rows = [Row {
            tenant: "alpha".into(),
            tally,
            quotas: QuotasParams {
                memory: Some(4 << 30),
                ..QuotasParams::default()
            },
        }];
        let text = exposition(&rows, 0);
        for line in [
            "fdcs_tenant_containers{tenant=\"alpha\",state=\"running\"} 2",
            "fdcs_tenant_usage{tenant=\"alpha\",resource=\"memory_bytes\"} 1073741824",
            "fdcs_tenant_quota{tenant=\"alpha\",resource=\"memory_bytes\"} 4294967296",
            "fdcs_tenant_usage{tenant=\"alpha\",resource=\"containers\"} 3",
            "fdcs_usage_tenants_dropped 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
        }
        assert!(!text.contains("fdcs_tenant_quota{tenant=\"alpha\",resource=\"containers\"}"));
    }
}
