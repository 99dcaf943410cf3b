//! An HTTPS connector for the Keystone client, built on rustls (which the
//! binary already carries for its own TLS): Keystone is usually served over
//! HTTPS, and the library stays free of a TLS stack.

use anyhow::Context as _;
use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The system's CA bundle, used when no `--keystone-ca` is given.
const SYSTEM_CAS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Connects over TCP, then TLS, verifying the server against `roots`.
#[derive(Clone)]
pub(crate) struct HttpsConnector {
    http: HttpConnector,
    tls: TlsConnector,
}

impl HttpsConnector {
    /// Trusts the CAs in `ca` (PEM), or the system bundle.
    pub(crate) fn new(ca: Option<&Path>, timeout: Duration) -> anyhow::Result<Self> {
        let path = ca.unwrap_or(Path::new(SYSTEM_CAS));
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(path)
            .with_context(|| format!("reading Keystone CAs `{}`", path.display()))?
        {
            let c = c.with_context(|| format!("reading Keystone CAs `{}`", path.display()))?;
            // the system bundle may hold certificates webpki rejects; skip those
            let _ = roots.add(c);
        }
        if roots.is_empty() {
            anyhow::bail!("no usable CA certificate in `{}`", path.display());
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("choosing TLS versions")?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        http.set_nodelay(true);
        Ok(HttpsConnector {
            http,
            tls: TlsConnector::from(Arc::new(cfg)),
        })
    }
}

impl tower::Service<Uri> for HttpsConnector {
    type Response = TokioIo<HttpsStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let mut http = self.http.clone();
        let tls = self.tls.clone();
        Box::pin(async move {
            if uri.scheme_str() != Some("https") {
                return Err("the Keystone URL must be https:// for this connector".into());
            }
            let host = uri.host().ok_or("the Keystone URL has no host")?;
            let host = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let name = ServerName::try_from(host)?;
            let tcp = tower::Service::call(&mut http, uri).await?.into_inner();
            let stream = tls.connect(name, tcp).await?;
            Ok(TokioIo::new(HttpsStream(stream)))
        })
    }
}

/// A TLS stream the hyper client can pool.
pub(crate) struct HttpsStream(TlsStream<TcpStream>);

impl Connection for HttpsStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl AsyncRead for HttpsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for HttpsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}
