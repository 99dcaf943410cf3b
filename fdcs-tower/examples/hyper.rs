//! fdcs in front of a Docker engine, served by plain hyper.
//!
//! ```text
//! cargo run -p fdcs-tower --example hyper -- \
//!     --listen 127.0.0.1:2375 \
//!     --engine unix:///var/run/docker.sock \
//!     --tenants policies/demo-tenants.yaml
//! DOCKER_HOST=tcp://127.0.0.1:2375 docker --config ~/.docker-alpha ps
//! ```
//!
//! Each flag may come from the environment instead: `FDCS_LISTEN`,
//! `FDCS_UPSTREAM`, `FDCS_TENANTS`. The policy is the embedded default
//! (the FDCS profile); tenants come from a tenants file
//! (`policies/demo-tenants.yaml` has alpha and beta). Audit lines go to
//! stderr (`RUST_LOG=fdcs::audit=info`, the default).
//!
//! This is the smallest complete server: `fdcs-policy serve` adds TLS, unix
//! sockets, Keystone, reloads, a connection bound and a graceful drain.

use fdcs_policy::{Policy, TenantsFile};
use fdcs_tower::{EngineAddr, FdcsLayer, Limits, SharedPolicy, TenantsAuth, Upstream};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
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

    // Only the application reads files; the crates take strings.
    let src = std::fs::read_to_string(&args.tenants)
        .map_err(|e| format!("reading tenants file `{}`: {e}", args.tenants))?;
    let tenants = TenantsFile::from_yaml(&src, &args.tenants)?;
    let auth = TenantsAuth::new(tenants.tenants)?;
    let policy = SharedPolicy::new(Policy::embedded_default()?);
    let engine: EngineAddr = args.engine.parse()?;

    // the default bounds, with a shorter deadline for a request body
    let limits = Limits::default().with_body_timeout(Duration::from_secs(10));
    let layer = FdcsLayer::new(policy, Arc::new(auth)).limits(limits);
    let service = layer.layer(Upstream::new(&engine));

    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    eprintln!(
        "fdcs: listening on {}, engine {}",
        listener.local_addr()?,
        args.engine
    );
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning
                eprintln!("fdcs: accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                // a client that never finishes its headers holds no task
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service)
                // attach and exec start hijack the connection
                .with_upgrades();
            if let Err(e) = conn.await {
                eprintln!("fdcs: connection: {e}");
            }
        });
    }
}

/// `--listen`, `--engine` and `--tenants`, each with an environment
/// fallback.
struct Args {
    listen: String,
    engine: String,
    tenants: String,
}

impl Args {
    fn parse() -> Result<Self, Error> {
        let mut listen = std::env::var("FDCS_LISTEN").ok();
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
                "--engine" => &mut engine,
                "--tenants" => &mut tenants,
                _ => return Err(format!("unknown argument `{flag}`; {USAGE}").into()),
            };
            *slot = Some(args.next().ok_or(format!("`{flag}` needs a value"))?);
        }
        Ok(Args {
            listen: listen.unwrap_or_else(|| "127.0.0.1:2375".into()),
            engine: engine.unwrap_or_else(|| "unix:///var/run/docker.sock".into()),
            tenants: tenants.ok_or(format!("no tenants file; {USAGE}"))?,
        })
    }
}

const USAGE: &str = "usage: hyper [--listen HOST:PORT] [--engine unix:///PATH|tcp://HOST:PORT] \
--tenants FILE (or FDCS_LISTEN, FDCS_UPSTREAM, FDCS_TENANTS)";
