//! # fdcs-tower — the fdcs policy as tower middleware
//!
//! [`FdcsLayer`] puts the fdcs policy in front of any service that reaches a
//! Docker engine. For each request it
//!
//! 1. authenticates the tenant from `X-Auth-Token` / `X-Auth-TenantId`
//!    ([`Authenticate`]: [`TenantsAuth`] or [`KeystoneAuth`]) — or from a
//!    verified [`ClientCertificate`] the TLS listener put in the request's
//!    extensions, when the tenants file names tenants by certificate — and admits
//!    the request within the tenant's fair share — requests in flight, per
//!    second, hijacked streams, bytes of answers buffered ([`Limits`];
//!    over it: 429 or 503 with `Retry-After`, rules `fair.*`, [`Limited`]);
//! 2. reads the body with a bound ([`Limits::max_json_body`], 413 above);
//!    uploads (archive PUT) wait for the verdict and then stream;
//! 3. asks [`fdcs_policy::judge`], answering its obligations by asking the
//!    engine (fresh for every request) and judging again;
//! 4. sends the core's preludes, then exactly the judged request — canonical
//!    body, allow-listed headers, never the credentials;
//! 5. rewrites the answer as planned: buffered JSON rewrites, `/events` line
//!    by line (and `docker stats` lines, to show the tenant its own name),
//!    everything else streamed untouched, hijacks tunnelled after the
//!    daemon's `101`.
//!
//! Every refusal is Docker's own `{"message": ...}` shape, and each request
//! leaves one audit line (`tracing` target `fdcs::audit`) and one count in
//! [`Metrics`] — also when its client goes away before the answer
//! (`outcome="client-gone"`). Each answer carries the line's request id as
//! `X-Request-Id` (made here; a client's own is ignored); put a
//! [`PeerAddr`] in the request's extensions and the line names the client.
//!
//! ## In a plain hyper server
//!
//! ```no_run
//! use std::sync::Arc;
//! use fdcs_policy::{Policy, TenantsFile};
//! use fdcs_tower::{EngineAddr, FdcsLayer, SharedPolicy, TenantsAuth, Upstream};
//! use hyper_util::rt::{TokioIo, TokioTimer};
//! use hyper_util::service::TowerToHyperService;
//! use tower::Layer;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // the application reads the file; the crates take strings
//! let tenants = TenantsFile::from_yaml(
//!     "tenants:\n  - id: alpha\n    tokens: [alpha-token]\n",
//!     "tenants.yaml",
//! )?;
//! let auth = TenantsAuth::new(tenants.tenants)?;
//! let layer = FdcsLayer::new(SharedPolicy::new(Policy::embedded_default()?), Arc::new(auth));
//! let engine = Upstream::new(&"unix:///var/run/docker.sock".parse::<EngineAddr>()?);
//! let service = layer.layer(engine);
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:2375").await?;
//! loop {
//!     let (stream, _) = listener.accept().await?;
//!     let service = TowerToHyperService::new(service.clone());
//!     tokio::spawn(async move {
//!         let _ = hyper::server::conn::http1::Builder::new()
//!             .timer(TokioTimer::new())
//!             .header_read_timeout(std::time::Duration::from_secs(10))
//!             .serve_connection(TokioIo::new(stream), service)
//!             .with_upgrades() // attach and exec start need it
//!             .await;
//!     });
//! }
//! # }
//! ```
//!
//! ## In axum
//!
//! The layer wraps the engine, so in axum it is the fallback service of a
//! router whose own routes (health, metrics) are answered by axum:
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use fdcs_policy::{Policy, TenantsFile};
//! # use fdcs_tower::{EngineAddr, FdcsLayer, SharedPolicy, TenantsAuth, Upstream};
//! use tower::Layer;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! # let tenants = TenantsFile::from_yaml("tenants:\n  - id: alpha\n    tokens: [t]\n", "t.yaml")?;
//! # let auth = Arc::new(TenantsAuth::new(tenants.tenants)?);
//! # let policy = SharedPolicy::new(Policy::embedded_default()?);
//! let engine: EngineAddr = "unix:///var/run/docker.sock".parse()?;
//! let fdcs = FdcsLayer::new(policy, auth).layer(Upstream::new(&engine));
//! let app = axum::Router::new()
//!     .route("/_fdcs/health", axum::routing::get(|| async { "ok" }))
//!     .fallback_service(fdcs);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:2375").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```
//!
//! A route of the router is answered without authentication or policy:
//! never add one that shadows an engine path.
//!
//! Note that `axum::serve` supports upgrades, but put nothing in front of the
//! layer that buffers or rewrites bodies: hijacked and streamed answers must
//! reach the client as they come.
//!
//! ## Security caveats
//!
//! - The layer must be the only way to the engine: anyone who can reach the
//!   docker socket bypasses it.
//! - Clients that hijack without `Upgrade: tcp` get the output as a body but
//!   cannot write to stdin through fdcs.
//! - A Keystone token stays trusted for up to [`KeystoneConfig::cache_ttl`]
//!   after it is revoked. [`KeystoneAuth::new`] speaks plain HTTP; pass an
//!   HTTPS connector to [`KeystoneAuth::with_connector`] (the `serve`
//!   command does, with rustls) for anything but loopback.
//! - Hijacked tunnels are not drained on shutdown. A tunnel ends at once
//!   when its client errors, resets or fails a write; a client that
//!   half-closed and then vanished is found by probing it with empty frames
//!   on a multiplexed (non-TTY) stream. One that vanished from a silent TTY
//!   stream holds its tenant's stream slot until
//!   [`Limits::stream_idle_timeout`] (off by default) or the container ends.
//! - The fair-share counts live in the process: N replicas give a tenant N
//!   shares. Connections that never send a request are the server's to
//!   bound (`serve` does: a first-request deadline, a cap per address).
//!
//! ## Examples
//!
//! Runnable servers, with arguments for the listener, the engine and the
//! tenants file: `cargo run -p fdcs-tower --example hyper -- --help` and
//! `--example axum` (`fdcs-tower/examples/`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(unreachable_pub)]

mod audit;
mod auth;
mod body;
mod config;
mod deadline;
mod engine;
mod error;
mod fair;
mod forward;
mod hijack;
mod layer;
mod metrics;
mod pull;
mod resolve;
mod rewrite;
mod serial;
mod service;
mod tunnels;
mod upstream;

pub use audit::PeerAddr;
pub use auth::{
    credentials, Access, AuthFuture, Authenticate, CertificateError, CertificateIdentity,
    ClientCertificate, Credentials, KeystoneAuth, KeystoneConfig, Roles, ServiceCredentials,
    TenantCredentials, TenantsAuth, TenantsError, TENANT_HEADER, TOKEN_HEADER,
};
pub use body::{boxed, empty, full, read_bounded, BoxError, FdcsBody, ReadError};
pub use config::{Limits, SharedPolicy};
pub use engine::EngineService;
pub use error::Rejection;
pub use fair::{Limited, MAX_TENANTS};
pub use layer::FdcsLayer;
pub use metrics::{IdentityMetrics, Metrics, IDENTITY_FAILURES, VERDICTS};
pub use service::{Fdcs, ResponseFuture};
pub use tunnels::Tunnels;
pub use upstream::{EngineAddr, InvalidEngineAddr, Upstream};
