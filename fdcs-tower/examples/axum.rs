//! fdcs in front of a Docker engine, as the fallback of an axum router.
//!
//! ```text
//! cargo run -p fdcs-tower --example axum -- \
//!     --listen 127.0.0.1:2375 --admin 127.0.0.1:2376 \
//!     --engine unix:///var/run/docker.sock \
//!     --tenants policies/demo-tenants.yaml
//! curl http://127.0.0.1:2375/_fdcs/health
//! curl http://127.0.0.1:2376/_fdcs/metrics
//! DOCKER_HOST=tcp://127.0.0.1:2375 docker --config ~/.docker-alpha ps
//! ```
//!
//! Each flag may come from the environment instead: `FDCS_LISTEN`,
//! `FDCS_ADMIN_LISTEN`, `FDCS_UPSTREAM`, `FDCS_TENANTS`.
//!
//! The layer wraps the engine, so in axum it is the router's fallback
//! service: the router answers its own routes (here a health check) and
//! hands everything else to fdcs. Two things to keep in mind:
//!
//! - a route of the router is answered without authentication or policy:
//!   never add one that shadows an engine path (`/containers/...`, or any
//!   of them behind a `/v1.xx` prefix);
//! - put nothing in front of the fallback that buffers or rewrites bodies:
//!   streamed answers (logs, events, pull progress) and hijacked
//!   connections (attach, exec start) must reach the client as they come.
//!   `axum::serve` supports the upgrades that hijacks need.
//!
//! The metrics are served on a second listener, as `fdcs-policy serve`
//! does, so that tenants never see them.

use axum::routing::get;
use axum::Router;
use fdcs_policy::{Policy, TenantsFile};
use fdcs_tower::{EngineAddr, FdcsLayer, Metrics, SharedPolicy, TenantsAuth, Upstream};
use std::future::IntoFuture as _;
use std::sync::Arc;
use tower::Layer as _;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse()?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("fdcs::audit=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();

    let src = std::fs::read_to_string(&args.tenants)
        .map_err(|e| format!("reading tenants file `{}`: {e}", args.tenants))?;
    let tenants = TenantsFile::from_yaml(&src, &args.tenants)?;
    let auth = TenantsAuth::new(tenants.tenants)?;
    let policy = SharedPolicy::new(Policy::embedded_default()?);
    let engine: EngineAddr = args.engine.parse()?;
    let metrics = Arc::new(Metrics::default());

    let fdcs = FdcsLayer::new(policy, Arc::new(auth))
        .metrics(Arc::clone(&metrics))
        .layer(Upstream::new(&engine));
    let app = Router::new()
        .route("/_fdcs/health", get(|| async { "ok\n" }))
        .fallback_service(fdcs);
    let admin = Router::new().route(
        "/_fdcs/metrics",
        get(move || {
            let metrics = Arc::clone(&metrics);
            async move { metrics.render() }
        }),
    );

    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let admin_listener = tokio::net::TcpListener::bind(&args.admin).await?;
    eprintln!(
        "fdcs: listening on {} (admin {}), engine {}",
        listener.local_addr()?,
        admin_listener.local_addr()?,
        args.engine
    );
    tokio::try_join!(
        axum::serve(listener, app).into_future(),
        axum::serve(admin_listener, admin).into_future(),
    )?;
    Ok(())
}

/// `--listen`, `--admin`, `--engine` and `--tenants`, each with an
/// environment fallback.
struct Args {
    listen: String,
    admin: String,
    engine: String,
    tenants: String,
}

impl Args {
    fn parse() -> Result<Self, Error> {
        let mut listen = std::env::var("FDCS_LISTEN").ok();
        let mut admin = std::env::var("FDCS_ADMIN_LISTEN").ok();
        let mut engine = std::env::var("FDCS_UPSTREAM").ok();
        let mut tenants = std::env::var("FDCS_TENANTS").ok();
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let slot = match flag.as_str() {
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                "--listen" => &mut listen,
                "--admin" => &mut admin,
                "--engine" => &mut engine,
                "--tenants" => &mut tenants,
                _ => return Err(format!("unknown argument `{flag}`; {USAGE}").into()),
            };
            *slot = Some(args.next().ok_or(format!("`{flag}` needs a value"))?);
        }
        Ok(Args {
            listen: listen.unwrap_or_else(|| "127.0.0.1:2375".into()),
            admin: admin.unwrap_or_else(|| "127.0.0.1:2376".into()),
            engine: engine.unwrap_or_else(|| "unix:///var/run/docker.sock".into()),
            tenants: tenants.ok_or(format!("no tenants file; {USAGE}"))?,
        })
    }
}

const USAGE: &str = "usage: axum [--listen HOST:PORT] [--admin HOST:PORT] \
[--engine unix:///PATH|tcp://HOST:PORT] --tenants FILE \
(or FDCS_LISTEN, FDCS_ADMIN_LISTEN, FDCS_UPSTREAM, FDCS_TENANTS)";
