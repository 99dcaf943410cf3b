//! `fdcs-policy serve`: the multi-tenant Docker endpoint.
//!
//! Listens on TCP or unix sockets (optionally TLS, optionally requiring
//! client certificates), authenticates tenants from a tenants file or
//! Keystone, and puts [`fdcs_tower::FdcsLayer`] in front of the engine.
//! SIGHUP reloads policy and tenants (a bad file keeps the old one);
//! SIGTERM/SIGINT stop accepting and drain in-flight requests.

mod admin;
mod engine_check;
mod gauges;
pub(crate) mod https;
mod listen;
mod load;
mod peers;
mod tls;

use super::policy_args::PolicyArgs;
use crate::Exit;
use anyhow::Context as _;
use fdcs_tower::{EngineAddr, FdcsLayer, Limits, Metrics, Upstream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower::Layer as _;

/// Arguments of `serve`.
///
/// Every flag can also be set from the environment variable `FDCS_` plus
/// the flag's name in capitals (`--max-body` from `FDCS_MAX_BODY`), as a
/// systemd `EnvironmentFile=` or a container's `-e` sets them; a flag on
/// the command line wins. Repeatable flags take a comma-separated list
/// (`FDCS_LISTEN=tcp://0.0.0.0:2376,unix:///run/fdcs/docker.sock`).
#[derive(Debug, clap::Args)]
#[command(
    mut_arg("policy", |a| a.env("FDCS_POLICY")),
    mut_arg("tenants", |a| a
        .env("FDCS_TENANTS")
        .help("Tenants file: tokens, ceilings, images and limits of each tenant \
               (default: the embedded demo tenants alpha and beta)"))
)]
pub(crate) struct Args {
    /// Where tenants connect: `tcp://HOST:PORT` or `unix:///PATH` (repeatable).
    #[arg(
        long,
        default_value = "tcp://127.0.0.1:2375",
        env = "FDCS_LISTEN",
        value_delimiter = ','
    )]
    listen: Vec<String>,
    #[command(flatten)]
    socket: listen::SocketArgs,
    /// The Docker engine: `unix:///PATH` or `tcp://HOST:PORT`.
    #[arg(
        long,
        default_value = "unix:///var/run/docker.sock",
        env = "FDCS_UPSTREAM"
    )]
    upstream: String,
    #[command(flatten)]
    source: PolicyArgs,
    /// Admin listener for /_fdcs/health (liveness), /_fdcs/ready (readiness:
    /// the engine answers) and /_fdcs/metrics (`tcp://HOST:PORT` or
    /// `unix:///PATH`); keep it off the tenants' network, the metrics show
    /// every tenant's usage.
    #[arg(long, env = "FDCS_ADMIN_LISTEN")]
    admin_listen: Option<String>,
    /// Largest JSON request body, in bytes.
    #[arg(long, default_value_t = 1 << 20, env = "FDCS_MAX_BODY")]
    max_body: usize,
    /// Most client connections served at once; more wait to be accepted.
    #[arg(long, default_value_t = 4096, env = "FDCS_MAX_CONNECTIONS")]
    max_connections: usize,
    /// Seconds the engine has to start answering a request (status and
    /// headers, after the request's body is sent) before the client gets
    /// 504, rule upstream.timeout (0: no bound). Streams (logs -f, events,
    /// wait, attach, exec) are bounded only until they start; a stop or
    /// restart with `-t N` gets N seconds more.
    #[arg(long, default_value_t = 60, env = "FDCS_UPSTREAM_HEADER_TIMEOUT")]
    upstream_header_timeout: u64,
    /// Seconds to wait on SIGTERM for in-flight requests, streamed answers
    /// and attach/exec tunnels to end (new connections are refused
    /// meanwhile); what is still open then is cut.
    #[arg(long, default_value_t = 30, env = "FDCS_DRAIN_TIMEOUT")]
    drain_timeout: u64,
    #[command(flatten)]
    fair: Box<FairArgs>,
    /// Log format: `text` for people, `json` for a log pipeline. Colours
    /// only on a terminal, and never when `NO_COLOR` is set.
    #[arg(long, value_enum, default_value = "text", env = "FDCS_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(flatten)]
    keystone: Box<KeystoneArgs>,
    #[command(flatten)]
    tls: Box<TlsArgs>,
}

/// A fair share for every client and tenant (DESIGN.md "Fair sharing").
#[derive(Debug, clap::Args)]
pub(crate) struct FairArgs {
    /// Seconds a new connection has to finish TLS and send its first
    /// request's headers (later requests: 30 s).
    #[arg(long, default_value_t = 5, env = "FDCS_FIRST_REQUEST_TIMEOUT")]
    first_request_timeout: u64,
    /// Most connections open at once from one client address (IPv6: one
    /// /64); more are refused with 503 (0: no limit).
    #[arg(long, default_value_t = 256, env = "FDCS_MAX_CONNECTIONS_PER_ADDRESS")]
    max_connections_per_address: usize,
    /// Requests one tenant may have in flight at once, streams until they
    /// end (rule fair.concurrency; 0: no limit).
    #[arg(long, default_value_t = 64, env = "FDCS_TENANT_CONCURRENCY")]
    tenant_concurrency: usize,
    /// Requests per second one tenant may send, sustained (rule fair.rate;
    /// 0: no limit).
    #[arg(long, default_value_t = 200, env = "FDCS_TENANT_RATE")]
    tenant_rate: u32,
    /// Requests one tenant may send at once above --tenant-rate.
    #[arg(long, default_value_t = 400, env = "FDCS_TENANT_BURST")]
    tenant_burst: u32,
    /// Attach and exec streams one tenant may have open at once (rule
    /// fair.streams; 0: no limit).
    #[arg(long, default_value_t = 32, env = "FDCS_TENANT_STREAMS")]
    tenant_streams: usize,
    /// Bytes of engine answers held for one tenant at once while they are
    /// read whole (rule fair.memory; 0: no limit).
    #[arg(long, default_value_t = 256 << 20, env = "FDCS_TENANT_BUFFERED")]
    tenant_buffered: usize,
    /// Seconds an attach or exec stream may carry nothing either way before
    /// it is closed (0: never; an interactive shell may idle for hours).
    #[arg(long, default_value_t = 0, env = "FDCS_STREAM_IDLE_TIMEOUT")]
    stream_idle_timeout: u64,
}

impl FairArgs {
    fn limits(&self, limits: Limits) -> Limits {
        limits
            .with_tenant_concurrency(self.tenant_concurrency)
            .with_tenant_rate(self.tenant_rate)
            .with_tenant_burst(self.tenant_burst)
            .with_tenant_streams(self.tenant_streams)
            .with_tenant_buffered(self.tenant_buffered)
            .with_stream_idle_timeout(
                (self.stream_idle_timeout > 0)
                    .then(|| Duration::from_secs(self.stream_idle_timeout)),
            )
    }

    fn anonymous(&self) -> listen::Anonymous {
        listen::Anonymous {
            first_request: Duration::from_secs(self.first_request_timeout.max(1)),
            peers: peers::Peers::new(self.max_connections_per_address),
        }
    }
}

/// Keystone settings (boxed: they are rarely used and large).
#[derive(Debug, clap::Args)]
pub(crate) struct KeystoneArgs {
    /// Keystone v3 URL (`http://HOST:5000`); tokens are then validated there.
    #[arg(long, env = "FDCS_KEYSTONE_URL")]
    keystone_url: Option<String>,
    /// Keystone service user.
    #[arg(long, env = "FDCS_KEYSTONE_USER", requires = "keystone_url")]
    keystone_user: Option<String>,
    /// Keystone service password. Prefer --keystone-password-file: a value
    /// on the command line is visible to every user of the host in `ps`.
    #[arg(
        long,
        env = "FDCS_KEYSTONE_PASSWORD",
        hide_env_values = true,
        requires = "keystone_url",
        conflicts_with = "keystone_password_file"
    )]
    keystone_password: Option<String>,
    /// File holding the Keystone service password (one trailing newline is
    /// ignored), so the secret is in neither `ps` nor the environment:
    /// a systemd credential, a container secret, a root-only file.
    #[arg(long, env = "FDCS_KEYSTONE_PASSWORD_FILE", requires = "keystone_url")]
    keystone_password_file: Option<PathBuf>,
    /// Keystone project of the service user.
    #[arg(long, env = "FDCS_KEYSTONE_PROJECT", requires = "keystone_url")]
    keystone_project: Option<String>,
    /// Keystone domain id of the service user and project.
    #[arg(long, env = "FDCS_KEYSTONE_DOMAIN", default_value = "default")]
    keystone_domain: String,
    /// CA certificates (PEM) that an https:// Keystone must chain to
    /// (default: the system bundle).
    #[arg(long, env = "FDCS_KEYSTONE_CA", requires = "keystone_url")]
    keystone_ca: Option<PathBuf>,
    /// Seconds a validated Keystone token is trusted before asking again.
    #[arg(long, default_value_t = 60, env = "FDCS_KEYSTONE_CACHE_TTL")]
    keystone_cache_ttl: u64,
    /// Seconds before Keystone counts as down (503).
    #[arg(long, default_value_t = 5, env = "FDCS_KEYSTONE_TIMEOUT")]
    keystone_timeout: u64,
    /// Seconds a token Keystone refused is refused without asking again
    /// (0: ask every time).
    #[arg(long, default_value_t = 5, env = "FDCS_KEYSTONE_NEGATIVE_TTL")]
    keystone_negative_ttl: u64,
    /// Most token validations in flight at Keystone at once.
    #[arg(long, default_value_t = 16, env = "FDCS_KEYSTONE_MAX_CONCURRENT")]
    keystone_max_concurrent: usize,
    /// Keystone roles that may only read (lists, inspects, logs, stats,
    /// events); comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "reader",
        env = "FDCS_KEYSTONE_READ_ROLES"
    )]
    keystone_read_roles: Vec<String>,
    /// Keystone roles that may do everything the policy allows;
    /// comma-separated. A token with none of these nor of the read roles on
    /// its project is refused (403, rule auth.role).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "member,admin",
        env = "FDCS_KEYSTONE_WRITE_ROLES"
    )]
    keystone_write_roles: Vec<String>,
}

/// TLS settings.
#[derive(Debug, clap::Args)]
pub(crate) struct TlsArgs {
    /// TLS certificate chain (PEM); enables TLS on every --listen.
    #[arg(long, requires = "tls_key", env = "FDCS_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert", env = "FDCS_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// CA (PEM) that client certificates must chain to; makes them required.
    #[arg(long, requires = "tls_cert", env = "FDCS_TLS_CLIENT_CA")]
    tls_client_ca: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

pub(crate) fn run(args: Args) -> anyhow::Result<Exit> {
    init_tracing(args.log_format);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(serve(args))?;
    Ok(Exit::Ok)
}

fn init_tracing(format: LogFormat) {
    // FDCS_LOG, else RUST_LOG, else info (audit lines are info)
    let filter = tracing_subscriber::EnvFilter::try_from_env("FDCS_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colours(
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
            std::env::var_os("NO_COLOR").as_deref(),
        ))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => b.try_init(),
        LogFormat::Json => b.json().try_init(),
    };
}

/// Colours on a terminal, unless `NO_COLOR` is set to anything but the
/// empty string (<https://no-color.org>).
fn colours(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(std::ffi::OsStr::is_empty)
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let engine: EngineAddr = args.upstream.parse()?;
    let sources = load::Sources::from_args(&args);
    let loaded = load::Loaded::load(&sources)?;
    if loaded.tenants.maps_certificates() && args.tls.tls_client_ca.is_none() {
        anyhow::bail!(
            "the tenants file names tenants by client certificate (`certificates:`), \
             but no --tls-client-ca verifies certificates: add --tls-cert, --tls-key and \
             --tls-client-ca, or remove the `certificates:` entries"
        );
    }
    let metrics = Arc::new(Metrics::default());
    let auth = load::authenticator(&args.keystone, &loaded, metrics.identity())?;
    let limits = args.fair.limits(
        Limits::default()
            .with_max_json_body(args.max_body)
            .with_upstream_header_timeout(
                (args.upstream_header_timeout > 0)
                    .then(|| Duration::from_secs(args.upstream_header_timeout)),
            ),
    );
    let layer = FdcsLayer::new(loaded.policy.clone(), auth.clone())
        .limits(limits)
        .metrics(Arc::clone(&metrics));
    let tunnels = layer.tunnels();
    let service = layer.layer(Upstream::new(&engine));
    let tls = tls::acceptor(&args.tls)?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let conns = listen::Connections::new(args.max_connections);
    let anonymous = args.fair.anonymous();
    let perms = listen::SocketPerms::resolve(&args.socket)?;
    let mut servers = Vec::new();
    for addr in &args.listen {
        let l = listen::Listener::bind(addr, perms).await?;
        tracing::info!(target: "fdcs::serve", listen = %addr, tls = tls.is_some(), upstream = %args.upstream, "listening");
        servers.push(tokio::spawn(listen::accept_loop(
            l,
            service.clone(),
            tls.clone(),
            stop_rx.clone(),
            conns.clone(),
            anonymous.clone(),
        )));
    }
    tokio::spawn({
        let engine = engine.clone();
        async move { engine_check::warn_about(&engine).await }
    });
    if let Some(addr) = &args.admin_listen {
        // the admin socket keeps the umask's mode: it is the operator's
        let l = listen::Listener::bind(addr, listen::SocketPerms::default()).await?;
        tracing::info!(target: "fdcs::serve", admin = %addr, "admin listener");
        // per-tenant usage gauges, read from the engine in the background
        let usage = Arc::new(gauges::Gauges::default());
        tokio::spawn(gauges::refresh_forever(
            Arc::clone(&usage),
            engine.clone(),
            loaded.policy.clone(),
            Arc::clone(&loaded.tenants),
        ));
        let state = admin::State {
            metrics: Arc::clone(&metrics),
            usage,
            engine: engine.clone(),
            upstream: args.upstream.clone(),
            policy: loaded.policy.clone(),
        };
        tokio::spawn(admin::serve(l, state, stop_rx.clone()));
    }

    signals(&sources, &loaded, &metrics).await?;
    // listeners close now (new clients are refused); in-flight requests,
    // streamed answers and attach/exec tunnels get the drain time, together
    let drain = Duration::from_secs(args.drain_timeout);
    let _ = stop_tx.send(true);
    for s in servers {
        let _ = s.await;
    }
    let (drained, tunnels_closed) = tokio::join!(conns.drained(drain), tunnels.closed(drain));
    tracing::info!(
        target: "fdcs::serve",
        drained,
        tunnels_closed,
        tunnels_cut = tunnels.open(),
        "stopped"
    );
    Ok(())
}

/// Waits for SIGTERM/SIGINT, reloading on SIGHUP meanwhile.
async fn signals(
    sources: &load::Sources,
    loaded: &load::Loaded,
    metrics: &Metrics,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    loop {
        tokio::select! {
            _ = hup.recv() => {
                let ok = loaded.reload(sources);
                metrics.reloaded(ok);
            }
            _ = term.recv() => { tracing::info!(target: "fdcs::serve", "SIGTERM: draining"); return Ok(()) }
            _ = int.recv() => { tracing::info!(target: "fdcs::serve", "SIGINT: draining"); return Ok(()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    /// Operators configure serve from an environment file: no flag may be
    /// left without its variable, and the names follow one rule.
    #[test]
    fn every_serve_flag_has_its_fdcs_variable() {
        let cli = crate::command::Cli::command();
        let serve = cli
            .get_subcommands()
            .find(|c| c.get_name() == "serve")
            .unwrap();
        let mut seen = 0;
        for arg in serve.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            let want = format!("FDCS_{}", long.to_uppercase().replace('-', "_"));
            let env = arg.get_env().and_then(|e| e.to_str());
            assert_eq!(env, Some(want.as_str()), "--{long}");
            seen += 1;
        }
        assert!(seen > 25, "only {seen} flags found");
    }

    #[test]
    fn no_color_turns_colours_off_and_an_empty_one_does_not() {
        use std::ffi::OsStr;
        assert!(colours(true, None));
        assert!(!colours(true, Some(OsStr::new("1"))));
        assert!(colours(true, Some(OsStr::new(""))));
        assert!(!colours(false, None));
    }
}
