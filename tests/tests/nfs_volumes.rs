//! `rules.volumes.nfs` on a real engine (issue 14 item 8): through `serve`
//! with a policy that names an operator's NFS export, a tenant's named
//! volume — `docker volume create`, and the one `docker run -v` creates —
//! is created on the engine as a `local` volume of type `nfs` in the
//! tenant's own directory of the export, with the options fdcs wrote; a
//! tenant's own NFS options stay refused. This machine's kernel has no NFS
//! client, so nothing is mounted: the engine only records the options
//! (DEPLOY.md, section 8, has the mount side).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{case, scratch_dir, Engine, Proxy, Tenant};
use std::path::Path;

fn policy_file(dir: &Path) -> String {
    let p = dir.join("policy-nfs.yaml");
    std::fs::write(
        &p,
        "apiVersion: fdcs/v1\nkind: Policy\nname: nfs\nrules:\n  volumes:\n    nfs: { server: 192.0.2.10, export: /srv/fdcs, options: 'nfsvers=4.1,soft' }\n",
    )
    .unwrap();
    p.display().to_string()
}

fn tenants_file(dir: &Path) -> String {
    let p = dir.join("tenants-nfs.yaml");
    std::fs::write(
        &p,
        "tenants:\n  - id: nfsa\n    tokens: [nfsa-token]\n  - id: nfsb\n    tokens: [nfsb-token]\n",
    )
    .unwrap();
    p.display().to_string()
}

/// The engine's record of a volume's driver options.
fn options(engine: &Engine, name: &str) -> serde_json::Value {
    let out = engine.docker(&["volume", "inspect", name, "--format", "{{json .Options}}"]);
    serde_json::from_str(out.ok().trim()).unwrap()
}

struct Cleanup<'a>(&'a Engine, Vec<String>);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        for v in &self.1 {
            let _ = self.0.docker(&["volume", "rm", "-f", v]);
        }
    }
}

#[test]
fn a_tenants_named_volumes_live_in_its_directory_of_the_export() {
    let Some(c) = case() else { return };
    let dir = scratch_dir("nfs");
    let proxy = Proxy::start(
        &c.env.engine.host,
        &[
            "--policy",
            &policy_file(&dir),
            "--tenants",
            &tenants_file(&dir),
        ],
        &dir,
    )
    .unwrap();
    let a = Tenant::new("nfsa", "nfsa-token", &proxy.host(), &dir);
    let b = Tenant::new("nfsb", "nfsb-token", &proxy.host(), &dir);
    let engine = &c.env.engine;
    let data = c.name("data");
    let _cleanup = Cleanup(engine, vec![format!("nfsa_{data}"), format!("nfsb_{data}")]);

    a.docker(&["volume", "create", &data]).ok();
    let o = options(engine, &format!("nfsa_{data}"));
    assert_eq!(o["type"], "nfs", "{o}");
    assert_eq!(o["o"], "addr=192.0.2.10,nfsvers=4.1,soft", "{o}");
    assert_eq!(o["device"], format!(":/srv/fdcs/nfsa/{data}"), "{o}");

    // the volume `docker create -v` makes first (created, never started:
    // there is no NFS client to mount it)
    let out = b.docker(&["create", "-v", &format!("{data}:/d"), "busybox", "true"]);
    let id = out.ok().trim().to_owned();
    let _ = engine.docker(&["rm", "-f", &id]);
    let o = options(engine, &format!("nfsb_{data}"));
    assert_eq!(o["device"], format!(":/srv/fdcs/nfsb/{data}"), "{o}");

    // a tenant's own NFS options: refused, nothing created
    let own = c.name("own");
    let out = a.docker(&[
        "volume",
        "create",
        "-o",
        "type=nfs",
        "-o",
        "o=addr=192.0.2.99",
        "-o",
        "device=:/",
        &own,
    ]);
    assert!(
        out.fails().contains("rule mounts.no-host-path"),
        "not refused by fdcs:\n{out}"
    );
    let listed = engine.docker(&["volume", "ls", "-q"]);
    assert!(
        !listed.ok().contains(&format!("nfsa_{own}")),
        "a refused volume was created"
    );
}
