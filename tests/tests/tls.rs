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

/// A CA, a server certificate for 127.0.0.1 and, for each of `clients`, a
/// client certificate with that CN in `<dir>/<client>/` (ca.pem, cert.pem,
/// key.pem: what `DOCKER_CERT_PATH` holds) and its key's SHA-256 in
/// `<dir>/<client>.spki`. `false` (the test skips) when openssl cannot;
/// in CI that fails instead.
fn certs(dir: &Path, clients: &[&str]) -> bool {
    let script = r#"set -e
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=fdcs-e2e-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' > client.ext
for who in "$@"; do
  mkdir -p "$who"
  cp ca.pem "$who/ca.pem"
  openssl req -newkey rsa:2048 -nodes -keyout "$who/key.pem" -out "$who.csr" -subj "/CN=$who" 2>/dev/null
  openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out "$who/cert.pem" -days 2 -extfile client.ext 2>/dev/null
  openssl x509 -in "$who/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1 > "$who.spki"
done
"#;
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(script)
        .arg("certs")
        .args(clients)
        .current_dir(dir);
    let out = cmd::run(c, Duration::from_secs(120));
    if !out.success() {
        eprintln!("skipped: cannot make certificates with openssl:\n{out}");
        assert!(
            !fdcs_e2e::engine_required(),
            "CI needs openssl for the TLS test:\n{out}"
        );
    }
    out.success()
}

#[test]
fn docker_cli_tlsverify_works_and_clients_without_a_certificate_are_refused() {
    let Some(c) = case() else { return };
    let dir = scratch_dir("tls");
    if !certs(&dir, &["alpha"]) {
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
    let (cert, key) = (p("alpha/cert.pem"), p("alpha/key.pem"));
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

/// Issue 12 item 4: with the tenants file naming tenants by certificate
/// (certa by its CN, certb by its key's SHA-256), an unmodified docker CLI
/// set up the docker way (`DOCKER_TLS_VERIFY=1`, `DOCKER_CERT_PATH` holding
/// ca.pem, cert.pem, key.pem; no HttpHeaders) is its tenant: the two reuse
/// one container name and see only their own. From the attacker's side: a
/// certificate of the right CA that names no tenant, and a tenant's
/// certificate carrying the other tenant's valid headers, get nothing.
#[test]
fn a_client_certificate_is_the_tenant_with_no_headers() {
    let Some(c) = case() else { return };
    let dir = scratch_dir("tls-identity");
    // certa and certb are tenants, mallory is signed by the same CA and
    // named by no tenant
    if !certs(&dir, &["certa", "certb", "mallory"]) {
        return;
    }
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    let spki = std::fs::read_to_string(dir.join("certb.spki")).unwrap();
    let tenants = dir.join("tenants.yaml");
    std::fs::write(
        &tenants,
        format!(
            "tenants:\n  - id: certa\n    certificates: [{{cn: certa}}]\n  - id: certb\n    tokens: [certb-token]\n    certificates: [{{spkiSha256: {}}}]\n",
            spki.trim()
        ),
    )
    .unwrap();
    // without a client CA, certificate tenants could never connect
    let refused = Proxy::start(&c.env.engine.host, &["--tenants", &p("tenants.yaml")], &dir);
    let why = refused.err().unwrap_or_default();
    assert!(
        why.contains("no --tls-client-ca verifies certificates"),
        "{why}"
    );
    let proxy = Proxy::start(
        &c.env.engine.host,
        &[
            "--tenants",
            &p("tenants.yaml"),
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
    let host = proxy.host();
    // no fdcs headers at all: an empty HttpHeaders
    let client = |who: &str| Tenant::with_headers(who, who, "", &[], &host, &dir);
    let tls_env = |who: &str| {
        vec![
            ("DOCKER_TLS_VERIFY".to_owned(), "1".to_owned()),
            ("DOCKER_CERT_PATH".to_owned(), p(who)),
        ]
    };
    let run = |t: &Tenant, who: &str, args: &[&str]| {
        let env = tls_env(who);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        t.docker_env(&env, args)
    };
    let (a, b) = (client("certa"), client("certb"));
    let web = c.name("web");
    let ida = run(
        &a,
        "certa",
        &["run", "-d", "--name", &web, "busybox", "sleep", "300"],
    )
    .ok()
    .trim()
    .to_owned();
    let idb = run(
        &b,
        "certb",
        &["run", "-d", "--name", &web, "busybox", "sleep", "300"],
    )
    .ok()
    .trim()
    .to_owned();
    assert_ne!(ida, idb);
    for (t, who, own, other) in [(&a, "certa", &ida, &idb), (&b, "certb", &idb, &ida)] {
        let ps = run(t, who, &["ps", "-q", "--no-trunc"]);
        let ps = ps.ok();
        assert!(
            ps.contains(own.as_str()),
            "{who} does not see its own: {ps}"
        );
        assert!(!ps.contains(other.as_str()), "{who} sees the other's: {ps}");
        run(t, who, &["inspect", other]).fails_with("No such");
        let name = run(t, who, &["inspect", "-f", "{{.Name}}", &web]);
        assert_eq!(name.ok().trim(), format!("/{web}"));
    }
    // the engine holds both under their tenants' scoped names
    let names = c.env.engine.docker(&["ps", "--format", "{{.Names}}"]);
    let names = names.ok();
    assert!(
        names.contains(&format!("certa_{web}")) && names.contains(&format!("certb_{web}")),
        "{names}"
    );

    // a certificate of the CA that names no tenant, even with a valid token
    let mallory = Tenant::with_headers(
        "mallory",
        "certb",
        "certb-token",
        &[
            ("X-Auth-Token", "certb-token"),
            ("X-Auth-TenantId", "certb"),
        ],
        &host,
        &dir,
    );
    run(&mallory, "mallory", &["ps"]).fails_with("is not any tenant's");
    // certa's certificate with certb's own valid headers
    let riding = Tenant::with_headers(
        "riding",
        "certb",
        "certb-token",
        &[
            ("X-Auth-Token", "certb-token"),
            ("X-Auth-TenantId", "certb"),
        ],
        &host,
        &dir,
    );
    run(&riding, "certa", &["ps"]).fails_with("names `certb`");
    // and certa's certificate with headers that agree: certa
    let agreeing = Tenant::with_headers(
        "agreeing",
        "certa",
        "",
        &[("X-Auth-TenantId", "certa")],
        &host,
        &dir,
    );
    let ps = run(&agreeing, "certa", &["ps", "-q", "--no-trunc"]);
    assert!(ps.ok().contains(ida.as_str()));

    // docker-compose (docker-py's DOCKER_TLS_VERIFY/DOCKER_CERT_PATH) as
    // both, one project name and one service name
    let project = c.name("proj");
    std::fs::write(
        dir.join("docker-compose.yml"),
        "version: '2.4'\nservices:\n  app:\n    image: busybox\n    command: sleep 300\n",
    )
    .unwrap();
    for (t, who) in [(&a, "certa"), (&b, "certb")] {
        let env = tls_env(who);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let compose = |args: &[&str]| {
            let mut all = vec!["-p", project.as_str()];
            all.extend_from_slice(args);
            t.compose_env(&dir, &env, &all)
        };
        compose(&["up", "-d"]).ok();
        let ps = compose(&["ps", "-q"]);
        let ps = ps.ok().trim().to_owned();
        assert_eq!(ps.lines().count(), 1, "{who}: {ps}");
        let own = run(t, who, &["ps", "-q", "--no-trunc"]);
        assert!(
            own.ok().contains(ps.as_str()),
            "{who} does not see its compose container"
        );
        compose(&["down"]).ok();
    }

    for (t, who) in [(&a, "certa"), (&b, "certb")] {
        run(t, who, &["rm", "-f", &web]).ok();
    }
    for n in ["certa_default", "certb_default"] {
        let _ = c.env.engine.docker(&["network", "rm", n]);
    }
    drop(proxy);
    c.finish();
}
