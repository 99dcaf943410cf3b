//! `serve --tls-cert --tls-key --tls-client-ca`: the docker CLI's own
//! `--tlsverify` works against it, and a client without a certificate from
//! that CA is turned away. Certificates are made with `openssl` for the run.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{case, cmd, scratch_dir, Proxy, Tenant};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// A CA, a server certificate for 127.0.0.1 and a client certificate.
fn make_certs(dir: &Path) -> Result<(), String> {
    let script = r#"set -e
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=fdcs-e2e-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=alpha 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2 -extfile client.ext 2>/dev/null
"#;
    let mut c = Command::new("sh");
    c.arg("-c").arg(script).current_dir(dir);
    let out = cmd::run(c, Duration::from_secs(60));
    if out.success() {
        Ok(())
    } else {
        Err(out.to_string())
    }
}

#[test]
fn docker_cli_tlsverify_works_and_clients_without_a_certificate_are_refused() {
    let Some(c) = case() else { return };
    let dir = scratch_dir("tls");
    if let Err(why) = make_certs(&dir) {
        eprintln!("skipped: cannot make certificates with openssl:\n{why}");
        assert!(
            !fdcs_e2e::engine_required(),
            "CI needs openssl for the TLS test:\n{why}"
        );
        return;
    }
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    let proxy = Proxy::start(
        &c.env.engine.host,
        &[
            "--tls-cert",
            &p("server.pem"),
            "--tls-key",
            &p("server-key.pem"),
            "--tls-client-ca",
            &p("ca.pem"),
        ],
        &dir,
    )
    .unwrap();
    let alpha = Tenant::new("alpha", "alpha-token", &proxy.host(), &dir);
    let ca = p("ca.pem");
    let (cert, key) = (p("cert.pem"), p("key.pem"));
    let ps = alpha.docker(&[
        "--tlsverify",
        "--tlscacert",
        &ca,
        "--tlscert",
        &cert,
        "--tlskey",
        &key,
        "ps",
    ]);
    ps.ok();

    // The client certificate is required: a verifying client without one fails.
    let no_cert = alpha.docker(&["--tlsverify", "--tlscacert", &ca, "ps"]);
    no_cert.fails_with("certificate required");
    // Plain HTTP on the TLS port is not served.
    let plain = alpha.docker(&["ps"]);
    plain.fails();
    // A valid certificate does not replace the tenant headers.
    let nobody = Tenant::with_headers("tls-nobody", "nobody", "", &[], &proxy.host(), &dir);
    nobody
        .docker(&[
            "--tlsverify",
            "--tlscacert",
            &ca,
            "--tlscert",
            &cert,
            "--tlskey",
            &key,
            "ps",
        ])
        .fails_with("HttpHeaders");
    drop(proxy);
    c.finish();
}
