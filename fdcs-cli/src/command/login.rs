//! `fdcs-policy login`: obtain a project-scoped Keystone token and write it
//! into the docker CLI's configuration (`HttpHeaders`), as the original
//! service's `set_docker_conf.bash` did, without curl and jq.
//!
//! The password comes from `OS_PASSWORD` or a prompt (never a flag, which
//! would show in `ps` and shell history); application credentials
//! (`--application-credential-id/-secret`, or `OS_APPLICATION_CREDENTIAL_*`)
//! are the way for CI users. The configuration is merged (every other key
//! and header kept), written to a temporary file and renamed over the old
//! one, with mode 0600.

use crate::Exit;
use anyhow::{bail, Context};
use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `fdcs-policy login` options.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Keystone URL (`http://HOST:5000` or `.../v3`).
    #[arg(long, env = "OS_AUTH_URL")]
    keystone: String,
    /// User name (not with application credentials).
    #[arg(long, env = "OS_USERNAME")]
    user: Option<String>,
    /// Project name the token is scoped to (not with application
    /// credentials, which carry their project).
    #[arg(long, env = "OS_PROJECT_NAME")]
    project: Option<String>,
    /// Domain name of the user.
    #[arg(long, env = "OS_USER_DOMAIN_NAME", default_value = "Default")]
    user_domain: String,
    /// Domain name of the project.
    #[arg(long, env = "OS_PROJECT_DOMAIN_NAME", default_value = "Default")]
    project_domain: String,
    /// Application credential id (the secret comes from
    /// --application-credential-secret or OS_APPLICATION_CREDENTIAL_SECRET).
    #[arg(long, env = "OS_APPLICATION_CREDENTIAL_ID")]
    application_credential_id: Option<String>,
    /// Application credential secret.
    #[arg(
        long,
        env = "OS_APPLICATION_CREDENTIAL_SECRET",
        hide_env_values = true,
        requires = "application_credential_id"
    )]
    application_credential_secret: Option<String>,
    /// The docker configuration directory (default: $DOCKER_CONFIG, else
    /// ~/.docker).
    #[arg(long)]
    config: Option<PathBuf>,
    /// CA certificates (PEM) an https:// Keystone must chain to.
    #[arg(long, env = "OS_CACERT")]
    cacert: Option<PathBuf>,
}

pub(crate) fn run(a: Args) -> anyhow::Result<Exit> {
    let body = auth_body(&a)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let timeout = Duration::from_secs(30);
    let got = if a.keystone.starts_with("https://") {
        let https = super::serve::https::HttpsConnector::new(a.cacert.as_deref(), timeout)?;
        rt.block_on(issue(&a.keystone, body, https))?
    } else if a.keystone.starts_with("http://") {
        rt.block_on(issue(&a.keystone, body, HttpConnector::new()))?
    } else {
        bail!("--keystone `{}`: use http:// or https://", a.keystone)
    };
    let dir = match (&a.config, std::env::var_os("DOCKER_CONFIG")) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(std::env::var_os("HOME").context("HOME is not set; pass --config")?)
            .join(".docker"),
    };
    let path = dir.join("config.json");
    write_config(&path, &got.token, &got.project)?;
    crate::command::emit(
        &format!(
            "Logged in to project {} ({}); token written to {}, it expires at {}\n",
            got.project_name,
            got.project,
            path.display(),
            got.expires
        ),
        Exit::Ok,
    )
}

/// The token request's body.
fn auth_body(a: &Args) -> anyhow::Result<serde_json::Value> {
    if let Some(id) = &a.application_credential_id {
        let secret = match &a.application_credential_secret {
            Some(s) => s.clone(),
            None => prompt("Application credential secret: ")?,
        };
        return Ok(serde_json::json!({"auth": {"identity": {
            "methods": ["application_credential"],
            "application_credential": {"id": id, "secret": secret}}}}));
    }
    let user = a.user.as_ref().context("give --user (or OS_USERNAME)")?;
    let project = a
        .project
        .as_ref()
        .context("give --project (or OS_PROJECT_NAME): fdcs needs a project-scoped token")?;
    let password = match std::env::var("OS_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => prompt(&format!("Password for {user}: "))?,
    };
    Ok(serde_json::json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": a.user_domain}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": a.project_domain}}}}}))
}

/// Reads a secret: from the terminal without echo, or a line of stdin when
/// it is not a terminal.
fn prompt(what: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    if tty {
        eprint!("{what}");
        let _ = std::io::stderr().flush();
        let _ = std::process::Command::new("stty").arg("-echo").status();
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if tty {
        let _ = std::process::Command::new("stty").arg("echo").status();
        eprintln!();
    }
    read.context("reading the secret")?;
    let s = line.trim_end_matches(['\n', '\r']).to_string();
    if s.is_empty() {
        bail!("no secret given (set OS_PASSWORD or type it at the prompt)");
    }
    Ok(s)
}

struct Issued {
    token: String,
    project: String,
    project_name: String,
    expires: String,
}

async fn issue<C>(url: &str, body: serde_json::Value, connector: C) -> anyhow::Result<Issued>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let base = url.trim_end_matches('/');
    let base = base.strip_suffix("/v3").unwrap_or(base);
    let client: Client<C, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let req = Request::post(format!("{base}/v3/auth/tokens"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .context("building the Keystone request")?;
    let resp = tokio::time::timeout(Duration::from_secs(30), client.request(req))
        .await
        .context("Keystone did not answer within 30s")?
        .with_context(|| format!("cannot reach Keystone at {base}"))?;
    let status = resp.status();
    let token = resp
        .headers()
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = Limited::new(resp.into_body(), 1 << 20)
        .collect()
        .await
        .map_err(|e| anyhow::anyhow!("reading Keystone's answer: {e}"))?
        .to_bytes();
    if status == StatusCode::UNAUTHORIZED {
        bail!("Keystone refused the credentials (401)");
    }
    if status != StatusCode::CREATED && status != StatusCode::OK {
        bail!(
            "Keystone answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
    }
    let token = token.context("Keystone sent no X-Subject-Token")?;
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).context("Keystone's answer is not JSON")?;
    let project = v["token"]["project"]["id"]
        .as_str()
        .context("the token is not scoped to a project")?
        .to_string();
    Ok(Issued {
        token,
        project,
        project_name: v["token"]["project"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        expires: v["token"]["expires_at"]
            .as_str()
            .unwrap_or("(unknown)")
            .to_string(),
    })
}

/// Merges the two headers into `path` (keeping everything else), atomically
/// and with mode 0600.
fn write_config(path: &Path, token: &str, project: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut cfg: serde_json::Value = match std::fs::read(path) {
        Ok(b) if b.iter().all(u8::is_ascii_whitespace) => serde_json::json!({}),
        Ok(b) => serde_json::from_slice(&b)
            .with_context(|| format!("`{}` is not JSON; fix or move it", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => serde_json::json!({}),
        Err(e) => return Err(e).with_context(|| format!("reading `{}`", path.display())),
    };
    let obj = cfg
        .as_object_mut()
        .with_context(|| format!("`{}` is not a JSON object", path.display()))?;
    let headers = obj
        .entry("HttpHeaders")
        .or_insert_with(|| serde_json::json!({}));
    let headers = headers
        .as_object_mut()
        .context("HttpHeaders in the docker configuration is not an object")?;
    // one spelling per header: drop other capitalisations of ours
    headers.retain(|k, _| {
        !k.eq_ignore_ascii_case("x-auth-token") && !k.eq_ignore_ascii_case("x-auth-tenantid")
    });
    headers.insert("X-Auth-Token".into(), token.into());
    headers.insert("X-Auth-TenantId".into(), project.into());
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
    let tmp = dir.join(format!(".config.json.fdcs-{}", std::process::id()));
    let text = serde_json::to_string_pretty(&cfg).context("encoding the configuration")?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("creating `{}`", tmp.display()))?;
    let written = f
        .write_all(text.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .and_then(|()| f.sync_all());
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing `{}`", path.display()));
    }
    Ok(())
}
