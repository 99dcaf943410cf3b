//! `fdcs-policy usage`: every tenant's usage against its quotas, read from
//! the engine (three label-filtered lists, whatever the number of tenants).

use anyhow::Context as _;
use clap::ValueEnum;
use fdcs_policy::policy::QuotasParams;
use fdcs_policy::rules::{quotas, resources};
use fdcs_policy::tenancy::usage::{Reservation, Tally};
use fdcs_policy::tenancy::OWNER_LABEL;
use fdcs_policy::{Policy, Tenant};
use fdcs_tower::{EngineAddr, Upstream};
use http_body_util::BodyExt;
use serde_json::{json, Value};

use super::policy_args::PolicyArgs;
use crate::Exit;

/// Largest list answer read from the engine.
const MAX_ANSWER: usize = 64 << 20;

/// Show every tenant's usage against its quotas, read from the engine.
///
/// `--policy`, `--tenants` and `--upstream` read `FDCS_POLICY`,
/// `FDCS_TENANTS` and `FDCS_UPSTREAM` as `serve` does, so that on the
/// proxy's host the command sees what the proxy enforces.
#[derive(Debug, clap::Args)]
#[command(
    mut_arg("policy", |a| a.env("FDCS_POLICY")),
    mut_arg("tenants", |a| a
        .env("FDCS_TENANTS")
        .help("Tenants file: whose usage to show, against their own quotas \
               (default: the embedded demo tenants alpha and beta)"))
)]
pub(crate) struct Args {
    /// The Docker engine: `unix:///PATH` or `tcp://HOST:PORT`.
    #[arg(
        long,
        env = "FDCS_UPSTREAM",
        default_value = "unix:///var/run/docker.sock"
    )]
    upstream: String,
    #[command(flatten)]
    source: PolicyArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// A table, one tenant per line.
    Text,
    /// One JSON object per tenant, one per line.
    Json,
}

pub(crate) fn run(args: Args) -> anyhow::Result<Exit> {
    let policy = args.source.load_policy()?;
    let tenants = args.source.tenants_or_demo()?;
    let addr: EngineAddr = args.upstream.parse()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let lists = rt.block_on(read_lists(&addr))?;
    let mut rows = Vec::new();
    for entry in &tenants.tenants {
        rows.push(row(&policy, &entry.tenant, &lists)?);
    }
    let mut out = String::new();
    match args.format {
        Format::Json => {
            for r in &rows {
                out.push_str(&r.to_json().to_string());
                out.push('\n');
            }
        }
        Format::Text => out = table(&rows),
    }
    super::emit(&out, Exit::Ok)
}

/// The engine's owner-labelled containers, volumes and networks.
pub(crate) struct Lists {
    pub(crate) containers: Value,
    pub(crate) volumes: Value,
    pub(crate) networks: Value,
}

pub(crate) async fn read_lists(addr: &EngineAddr) -> anyhow::Result<Lists> {
    let engine = Upstream::new(addr);
    let f = json!({ "label": [OWNER_LABEL] }).to_string();
    let q = format!("filters={}", fdcs_policy::query::percent_encode(&f));
    let get = |target: String| {
        let engine = engine.clone();
        async move {
            let req = http::Request::get(target.as_str())
                .body(fdcs_tower::empty())
                .context("building a request")?;
            let resp = tokio::time::timeout(
                std::time::Duration::from_secs(30),
                tower::Service::call(&mut engine.clone(), req),
            )
            .await
            .with_context(|| format!("the engine did not answer `{target}` in 30 s"))?
            .with_context(|| format!("cannot reach the engine for `{target}`"))?;
            let status = resp.status();
            let body = http_body_util::Limited::new(resp.into_body(), MAX_ANSWER)
                .collect()
                .await
                // a boxed error: anyhow! keeps it (and its sources) as the cause
                .map_err(|e| anyhow::anyhow!(e))
                .with_context(|| format!("reading the engine's answer to `{target}`"))?
                .to_bytes();
            if !status.is_success() {
                anyhow::bail!(
                    "the engine answered {status} to `{target}`: {}",
                    fdcs_policy::daemon_message(&body)
                );
            }
            serde_json::from_slice::<Value>(&body)
                .with_context(|| format!("the engine's answer to `{target}` is not JSON"))
        }
    };
    Ok(Lists {
        containers: get(format!("/containers/json?all=1&{q}")).await?,
        volumes: get(format!("/volumes?{q}")).await?,
        networks: get(format!("/networks?{q}")).await?,
    })
}

impl Lists {
    /// Every tenant id in the lists' owner labels, sorted.
    pub(crate) fn owners(&self) -> Vec<String> {
        let mut ids = std::collections::BTreeSet::new();
        let items = [
            self.containers.as_array(),
            self.volumes.get("Volumes").and_then(Value::as_array),
            self.networks.as_array(),
        ];
        for o in items.into_iter().flatten().flatten() {
            if let Some(id) = o
                .get("Labels")
                .and_then(|l| l.get(OWNER_LABEL))
                .and_then(Value::as_str)
            {
                ids.insert(id.to_string());
            }
        }
        ids.into_iter().collect()
    }
}

/// One tenant's line.
pub(crate) struct Row {
    pub(crate) tenant: String,
    pub(crate) tally: Tally,
    pub(crate) quotas: QuotasParams,
}

pub(crate) fn row(policy: &Policy, tenant: &Tenant, lists: &Lists) -> anyhow::Result<Row> {
    let lim = resources::effective(&policy.resources, tenant);
    let unknown = Reservation {
        memory: lim.memory.max,
        nano_cpus: lim.nano_cpus.max,
        pids: lim.pids.max,
        ports: policy.bounds.ports.max_published,
    };
    let tally = Tally::from_lists(
        &tenant.id,
        &lists.containers,
        &lists.volumes,
        &lists.networks,
        unknown,
    )
    .context("the engine's list answers were not understood")?;
    Ok(Row {
        tenant: tenant.id.to_string(),
        tally,
        quotas: quotas::effective(&policy.quotas, tenant),
    })
}

impl Row {
    fn to_json(&self) -> Value {
        let t = &self.tally;
        let q = &self.quotas;
        json!({
            "tenant": self.tenant,
            "containers": {"total": t.containers.total, "running": t.containers.running,
                "paused": t.containers.paused, "stopped": t.containers.stopped, "quota": q.containers},
            "memory": {"reserved": t.reserved.memory, "quota": q.memory},
            "nano_cpus": {"reserved": t.reserved.nano_cpus, "quota": q.nano_cpus},
            "pids": {"reserved": t.reserved.pids, "quota": q.pids},
            "published_ports": {"reserved": t.reserved.ports, "quota": q.published_ports},
            "volumes": {"count": t.volumes, "quota": q.volumes},
            "networks": {"count": t.networks, "quota": q.networks},
        })
    }
}

fn of(used: String, quota: Option<String>) -> String {
    format!("{used}/{}", quota.unwrap_or_else(|| "-".into()))
}

fn table(rows: &[Row]) -> String {
    let head = [
        "TENANT",
        "CONTAINERS",
        "RUNNING",
        "MEMORY",
        "CPUS",
        "PIDS",
        "PORTS",
        "VOLUMES",
        "NETWORKS",
    ];
    let mut lines: Vec<Vec<String>> = vec![head.iter().map(|s| s.to_string()).collect()];
    for r in rows {
        let (t, q) = (&r.tally, &r.quotas);
        let n = |v: i64| v.to_string();
        lines.push(vec![
            r.tenant.clone(),
            of(n(t.containers.total), q.containers.map(n)),
            n(t.containers.running + t.containers.paused),
            of(
                quotas::bytes(t.reserved.memory),
                q.memory.map(quotas::bytes),
            ),
            of(
                quotas::cpus(t.reserved.nano_cpus),
                q.nano_cpus.map(quotas::cpus),
            ),
            of(n(t.reserved.pids), q.pids.map(n)),
            of(n(t.reserved.ports), q.published_ports.map(n)),
            of(n(t.volumes), q.volumes.map(n)),
            of(n(t.networks), q.networks.map(n)),
        ]);
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|i| lines.iter().map(|l| l[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for l in &lines {
        let cells: Vec<String> = l
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    #[test]
    fn the_table_shows_usage_next_to_each_quota() {
        let policy = Policy::embedded_default().unwrap();
        let alpha = Tenant::new(fdcs_policy::TenantId::new("alpha").unwrap());
        let lists = Lists {
            containers: json!([{"Id": "a", "State": "running",
                "Labels": {"fdcs.tenant": "alpha", "fdcs.reserve": "1073741824,500000000,256,1"}}]),
            volumes: json!({"Volumes": null}),
            networks: json!([{"Name": "alpha_bridge", "Labels": {"fdcs.tenant": "alpha"}}]),
        };
        let out = table(&[row(&policy, &alpha, &lists).unwrap()]);
        let line = out.lines().nth(1).unwrap();
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "alpha", "1/20", "1", "1", "GiB/4", "GiB", "0.5/4", "256/2048", "1/20", "0/20",
                "1/5"
            ]
        );
    }
}
