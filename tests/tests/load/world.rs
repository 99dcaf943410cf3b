//! What every worker shares: the four tenants with their fixtures (the
//! same names for all: container `ldweb`, network `ldnet`, volume
//! `ldvol`), the owner of every id a tenant created (the ground truth each
//! answer is checked against), the daemon's own not-found wording, and the
//! failures found so far.

use super::client::Conn;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The tenant ids; none is a prefix of another, and `load` is this suite's
/// alone (every engine object it makes is named `load<k>_...`).
pub(crate) const TENANTS: [&str; 4] = ["load1", "load2", "load3", "load4"];

/// Containers each tenant creates at setup, all at once, besides `ldweb`:
/// the first containers of a tenant race to create its default network.
pub(crate) const FIRST: usize = 3;

/// One tenant and the ids of its fixtures.
#[derive(Debug, Clone)]
pub(crate) struct Side {
    pub(crate) id: &'static str,
    pub(crate) token: String,
    /// Container `ldweb` (running `sleep`).
    pub(crate) web: String,
    /// Network `ldnet`.
    pub(crate) net: String,
    /// The tenant's default network (`bridge` to it).
    pub(crate) bridge: String,
    /// Containers `ldfirst-1..FIRST` (created, never started).
    pub(crate) first: Vec<String>,
}

/// The daemon's not-found messages, each with `{}` where the reference goes.
#[derive(Debug, Clone)]
pub(crate) struct Wording {
    pub(crate) container: String,
    pub(crate) network: String,
    pub(crate) volume: String,
}

impl Wording {
    /// Asks the engine itself, on its own socket, for a reference nobody
    /// has: nothing here is a hard-coded message.
    pub(crate) fn from_engine(upstream: &str) -> Result<Wording, String> {
        let nobody = "ldnobody0x";
        let ask = |path: &str| -> Result<String, String> {
            let (status, body) = engine_get(upstream, path)?;
            let msg = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v.get("message")?.as_str().map(str::to_owned))
                .ok_or_else(|| format!("engine GET {path}: {status} {body:?}"))?;
            if status != 404 || !msg.contains(nobody) {
                return Err(format!("engine GET {path}: {status} {msg:?}"));
            }
            Ok(msg.replace(nobody, "{}"))
        };
        Ok(Wording {
            container: ask(&format!("/containers/{nobody}/json"))?,
            network: ask(&format!("/networks/{nobody}"))?,
            volume: ask(&format!("/volumes/{nobody}"))?,
        })
    }
}

/// One `GET /v1.41<path>` to the engine directly (`unix://` or `tcp://`).
fn engine_get(upstream: &str, path: &str) -> Result<(u16, String), String> {
    let req = format!("GET /v1.41{path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n");
    let mut text = String::new();
    if let Some(sock) = upstream.strip_prefix("unix://") {
        let mut s =
            std::os::unix::net::UnixStream::connect(sock).map_err(|e| format!("{sock}: {e}"))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
        s.read_to_string(&mut text).map_err(|e| e.to_string())?;
    } else {
        let addr = upstream.strip_prefix("tcp://").unwrap_or(upstream);
        let mut s = std::net::TcpStream::connect(addr).map_err(|e| format!("{addr}: {e}"))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
        s.read_to_string(&mut text).map_err(|e| e.to_string())?;
    }
    let r = fdcs_e2e::http::parse(&text).ok_or_else(|| format!("not HTTP: {text:?}"))?;
    Ok((r.status, r.body))
}

/// Everything the workers share.
pub(crate) struct World {
    pub(crate) port: u16,
    pub(crate) sides: Vec<Side>,
    pub(crate) wording: Wording,
    /// Full id (container or network) → index of the tenant that created it.
    owners: Mutex<HashMap<String, usize>>,
    /// Each tenant's latest container of a create/start/remove cycle, for
    /// the others to name while it lives (or just after it is gone).
    latest: Mutex<[Option<String>; 4]>,
    failures: Mutex<Vec<String>>,
    failed: AtomicU64,
    /// Answers 500 and above, whatever their op.
    pub(crate) server_errors: AtomicU64,
    /// Short prefixes whose own object vanished between resolving and
    /// inspecting: 404 quoting the full id instead of the prefix.
    pub(crate) vanished: AtomicU64,
    /// Containers each tenant started in its cycles (answered 204).
    pub(crate) started: [AtomicU64; 4],
}

/// Failures kept with their full text; the rest are only counted.
const KEEP: usize = 40;

impl World {
    pub(crate) fn new(port: u16, sides: Vec<Side>, wording: Wording) -> World {
        let mut owners = HashMap::new();
        for (k, s) in sides.iter().enumerate() {
            for id in [&s.web, &s.net, &s.bridge].into_iter().chain(&s.first) {
                owners.insert(id.clone(), k);
            }
        }
        World {
            port,
            sides,
            wording,
            owners: Mutex::new(owners),
            latest: Mutex::new([None, None, None, None]),
            failures: Mutex::new(Vec::new()),
            failed: AtomicU64::new(0),
            server_errors: AtomicU64::new(0),
            vanished: AtomicU64::new(0),
            started: Default::default(),
        }
    }

    /// Records that tenant `k` created `id`.
    pub(crate) fn created(&self, k: usize, id: &str) {
        if let Ok(mut o) = self.owners.lock() {
            o.insert(id.to_owned(), k);
        }
    }

    /// Which tenant created `id`, if a load tenant did.
    pub(crate) fn owner(&self, id: &str) -> Option<usize> {
        self.owners.lock().ok()?.get(id).copied()
    }

    /// How many ids tenant `k` created that start with `prefix`.
    pub(crate) fn own_with_prefix(&self, k: usize, prefix: &str) -> usize {
        self.owners.lock().map_or(0, |o| {
            o.iter()
                .filter(|(id, owner)| **owner == k && id.starts_with(prefix))
                .count()
        })
    }

    pub(crate) fn set_latest(&self, k: usize, id: &str) {
        if let Ok(mut l) = self.latest.lock() {
            if let Some(slot) = l.get_mut(k) {
                *slot = Some(id.to_owned());
            }
        }
    }

    pub(crate) fn latest(&self, k: usize) -> Option<String> {
        self.latest.lock().ok()?.get(k).cloned().flatten()
    }

    /// Records a failure (the first [`KEEP`] with their text).
    pub(crate) fn fail(&self, what: String) {
        let n = self.failed.fetch_add(1, Ordering::Relaxed);
        if n < KEEP as u64 {
            if let Ok(mut f) = self.failures.lock() {
                f.push(what);
            }
        }
    }

    /// How many failures, and the text of the first ones.
    pub(crate) fn failures(&self) -> (u64, Vec<String>) {
        let kept = self.failures.lock().map(|f| f.clone()).unwrap_or_default();
        (self.failed.load(Ordering::Relaxed), kept)
    }
}

/// Creates tenant `k`'s fixtures through the proxy: network `ldnet`,
/// volume `ldvol`, and — all at once, the tenant's first containers, so
/// that they race to create its default network — `ldweb` and
/// `ldfirst-1..FIRST`; then starts `ldweb`.
pub(crate) fn make_side(port: u16, id: &'static str) -> Result<Side, String> {
    let token = format!("{id}-token");
    let mut c = Conn::new(port, id, &token);
    let created = |c: &mut Conn, path: &str, body: Value, want: u16| -> Result<Value, String> {
        let a = c
            .send("POST", path, Some(&body.to_string()))
            .map_err(|e| format!("{id} POST {path}: {e}"))?;
        if a.status != want {
            return Err(format!("{id} POST {path}: {} {}", a.status, a.body));
        }
        serde_json::from_str(&a.body).map_err(|e| format!("{id} POST {path}: {e}: {}", a.body))
    };
    let net = created(&mut c, "/networks/create", json!({ "Name": "ldnet" }), 201)?;
    created(&mut c, "/volumes/create", json!({ "Name": "ldvol" }), 201)?;
    let names: Vec<String> = std::iter::once("ldweb".to_owned())
        .chain((1..=FIRST).map(|i| format!("ldfirst-{i}")))
        .collect();
    let ids: Vec<Result<String, String>> = std::thread::scope(|s| {
        let hs: Vec<_> = names
            .iter()
            .map(|name| {
                let token = &token;
                s.spawn(move || {
                    let mut c = Conn::new(port, id, token);
                    let cmd = if name == "ldweb" {
                        json!(["sleep", "3600"])
                    } else {
                        json!(["true"])
                    };
                    let body = json!({ "Image": "busybox", "Cmd": cmd });
                    let a = c
                        .send(
                            "POST",
                            &format!("/containers/create?name={name}"),
                            Some(&body.to_string()),
                        )
                        .map_err(|e| format!("{id} create {name}: {e}"))?;
                    if a.status != 201 {
                        return Err(format!(
                            "{id} create {name} (its first containers at once): {} {}",
                            a.status, a.body
                        ));
                    }
                    id_of(&a.body).ok_or_else(|| format!("{id} create {name}: no Id in {}", a.body))
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a create thread panicked".to_owned()))
            })
            .collect()
    });
    let mut ids = ids.into_iter();
    let web = ids.next().ok_or("no ldweb")??;
    let first = ids.collect::<Result<Vec<String>, String>>()?;
    let a = c
        .send("POST", "/containers/ldweb/start", None)
        .map_err(|e| format!("{id} start ldweb: {e}"))?;
    if a.status != 204 {
        return Err(format!("{id} start ldweb: {} {}", a.status, a.body));
    }
    let a = c
        .send("GET", "/networks/bridge", None)
        .map_err(|e| format!("{id} GET /networks/bridge: {e}"))?;
    let bridge = id_of(&a.body)
        .ok_or_else(|| format!("{id} GET /networks/bridge: {} {}", a.status, a.body))?;
    let net = net
        .get("Id")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{id} network create: no Id"))?
        .to_owned();
    Ok(Side {
        id,
        token,
        web,
        net,
        bridge,
        first,
    })
}

/// The `Id` of a JSON answer.
pub(crate) fn id_of(body: &str) -> Option<String> {
    serde_json::from_str::<Value>(body)
        .ok()?
        .get("Id")?
        .as_str()
        .map(str::to_owned)
}
