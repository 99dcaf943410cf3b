//! The mix of requests one connection sends, and the check of every
//! answer against the ground truth in [`World`]:
//!
//! - no answer 500 or above;
//! - every 2xx answer names no engine-side name (`load<k>_...`) and no id
//!   another load tenant created;
//! - a list holds only the requester's objects (an id no tenant is known to
//!   have created yet is kept and checked when the round ends, since the
//!   creator may not have recorded it yet), under its own names, and holds
//!   its fixtures;
//! - an inspect by name or full id is the requester's own object;
//! - another tenant's object, by full id, by id prefix, or by its
//!   engine-side name, is answered 404 with the daemon's message for a
//!   reference nobody has.

use super::client::{Answer, Conn};
use super::world::{id_of, World};
use serde_json::{json, Value};
use std::time::Instant;

/// One request kind of the mix (a cycle sends several requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Ping,
    ContainerList,
    ContainerListByName,
    ContainerByName,
    ContainerById,
    NetworkList,
    NetworkByName,
    NetworkById,
    VolumeList,
    VolumeByName,
    ForeignContainerId,
    ForeignContainerPrefix,
    ForeignContainerName,
    ForeignLiveContainer,
    ForeignNetworkId,
    ForeignNetworkPrefix,
    ForeignNetworkName,
    ForeignVolumeName,
    ShortContainerPrefix,
    ShortNetworkPrefix,
    ForeignFilter,
    ReservedLabelFilter,
    ContainerCycle,
    VolumeCycle,
    NetworkCycle,
}

/// One pass of the mix: reads of every kind, the foreign references, and a
/// container and a volume cycle (4 and 3 requests), which a connection
/// sends only every [`CONTAINER_EVERY`] and [`VOLUME_EVERY`] passes.
/// Connections start at different points of it, so every kind is in
/// flight at any time.
const PASS: [Op; 25] = [
    Op::Ping,
    Op::ContainerList,
    Op::ContainerByName,
    Op::ForeignContainerPrefix,
    Op::NetworkList,
    Op::ContainerById,
    Op::ForeignContainerId,
    Op::VolumeList,
    Op::NetworkByName,
    Op::ForeignNetworkPrefix,
    Op::ContainerCycle,
    Op::Ping,
    Op::VolumeByName,
    Op::ForeignVolumeName,
    Op::NetworkById,
    Op::ForeignNetworkId,
    Op::ForeignContainerName,
    Op::ForeignLiveContainer,
    Op::ContainerListByName,
    Op::ForeignNetworkName,
    Op::ShortContainerPrefix,
    Op::VolumeCycle,
    Op::ShortNetworkPrefix,
    Op::ForeignFilter,
    Op::ReservedLabelFilter,
];

/// A connection's container cycle comes every this many passes: a
/// tenant's creates and starts are quota-checked, which one `serve` runs
/// one at a time per tenant until the engine answered (DESIGN.md,
/// "How far concurrent requests can overshoot"), so with every connection
/// cycling each pass the round measures that queue and little else.
const CONTAINER_EVERY: usize = 8;

/// A connection's volume cycle comes every this many passes (a volume
/// create is quota-checked too).
const VOLUME_EVERY: usize = 4;

/// A network cycle (one connection per tenant) every this many passes.
const NETWORK_EVERY: usize = 4;

/// What one connection did in one round.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) requests: u64,
    /// Microseconds from sending a request to having read its answer.
    pub(crate) latencies: Vec<u32>,
    pub(crate) reconnects: u32,
    /// (tenant, id) listed before any tenant recorded creating it.
    pub(crate) unknown: Vec<(usize, String)>,
    /// (tenant, prefix) answered "ambiguous": at least two of the
    /// tenant's own ids must start with it.
    pub(crate) ambiguous: Vec<(usize, String)>,
}

/// One connection of one tenant: `slot` names its cycle objects
/// (`ldc-<slot>`, `ldv-<slot>`, `ldn-<slot>`), the same for every tenant,
/// so the four tenants use the same names at the same time.
pub(crate) struct Worker<'w> {
    world: &'w World,
    me: usize,
    slot: usize,
    conn: Conn,
    tally: Tally,
}

impl<'w> Worker<'w> {
    pub(crate) fn new(world: &'w World, me: usize, slot: usize) -> Worker<'w> {
        let side = world.sides.get(me).map(|s| (s.id, s.token.clone()));
        let (id, token) = side.unwrap_or(("", String::new()));
        Worker {
            world,
            me,
            slot,
            conn: Conn::new(world.port, id, &token),
            tally: Tally::default(),
        }
    }

    /// Opens the connection (before the round's start signal).
    pub(crate) fn open(&mut self) -> Result<(), String> {
        self.conn.open().map_err(|e| format!("connect: {e}"))
    }

    /// Sends about `budget` requests of the mix and returns the tally.
    pub(crate) fn run(mut self, budget: u64) -> Tally {
        let mut i = self.slot.wrapping_mul(7);
        let mut pass = 0usize;
        while self.tally.requests < budget {
            let op = PASS.get(i % PASS.len()).copied().unwrap_or(Op::Ping);
            i += 1;
            if i.is_multiple_of(PASS.len()) {
                pass += 1;
            }
            // The other tenant this request names: each of the three in turn.
            let other = (self.me + 1 + (i / PASS.len() + i) % 3) % 4;
            let due = |every: usize| (pass + self.slot).is_multiple_of(every);
            match op {
                Op::ContainerCycle if !due(CONTAINER_EVERY) => {}
                Op::VolumeCycle if !due(VOLUME_EVERY) => {}
                _ => self.op(op, other),
            }
            // One network cycle per tenant at a time (networks take address
            // space of the shared engine): slot 0 only.
            if self.slot == 0 && op == Op::Ping && pass % NETWORK_EVERY == 1 {
                self.op(Op::NetworkCycle, other);
            }
        }
        self.tally.reconnects = self.conn.reconnects;
        self.tally
    }

    fn who(&self) -> &'static str {
        self.world.sides.get(self.me).map_or("?", |s| s.id)
    }

    /// Sends one request and applies the checks every answer gets; `None`
    /// when there was no answer (already recorded as a failure).
    fn send(&mut self, method: &str, path: &str, body: Option<&str>) -> Option<Answer> {
        let start = Instant::now();
        let r = self.conn.send(method, path, body);
        let us = u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX);
        self.tally.requests += 1;
        self.tally.latencies.push(us);
        let a = match r {
            Ok(a) => a,
            Err(e) => {
                self.world
                    .fail(format!("{} {method} {path}: no answer: {e}", self.who()));
                return None;
            }
        };
        if a.status >= 500 {
            self.world
                .server_errors
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.world.fail(format!(
                "{} {method} {path}: {} {}",
                self.who(),
                a.status,
                a.body
            ));
        } else if (200..300).contains(&a.status) {
            self.clean_body(method, path, &a.body);
        }
        Some(a)
    }

    /// A 2xx body names no engine-side name and no other tenant's id.
    fn clean_body(&self, method: &str, path: &str, body: &str) {
        if let Some(at) = scoped_mention(body) {
            let around = body.get(at.saturating_sub(60)..(at + 60).min(body.len()));
            self.world.fail(format!(
                "{} {method} {path}: the answer shows an engine-side name: ...{}...",
                self.who(),
                around.unwrap_or_default()
            ));
        }
        for id in hex64(body) {
            if let Some(k) = self.world.owner(id) {
                if k != self.me {
                    self.world.fail(format!(
                        "LEAK: {} {method} {path}: the answer holds {id}, created by {}",
                        self.who(),
                        self.name_of(k)
                    ));
                }
            }
        }
    }

    fn name_of(&self, k: usize) -> &'static str {
        self.world.sides.get(k).map_or("?", |s| s.id)
    }

    /// Checks an id a list or inspect shows: the requester's, or unknown
    /// yet (checked when the round ends).
    fn own_id(&mut self, what: &str, id: &str, path: &str) {
        match self.world.owner(id) {
            Some(k) if k == self.me => {}
            Some(k) => self.world.fail(format!(
                "LEAK: {} GET {path}: lists {what} {id} of {}",
                self.who(),
                self.name_of(k)
            )),
            None => self.tally.unknown.push((self.me, id.to_owned())),
        }
    }

    fn expect(&self, what: &str, a: &Answer, want: u16) -> bool {
        if a.status == want {
            return true;
        }
        if a.status < 500 {
            self.world.fail(format!(
                "{} {what}: {} (want {want}) {}",
                self.who(),
                a.status,
                a.body
            ));
        }
        false
    }

    fn json(&self, what: &str, a: &Answer) -> Option<Value> {
        match serde_json::from_str(&a.body) {
            Ok(v) => Some(v),
            Err(e) => {
                self.world
                    .fail(format!("{} {what}: not JSON ({e}): {}", self.who(), a.body));
                None
            }
        }
    }

    /// GET `path` expecting 200 and JSON.
    fn get_json(&mut self, path: &str) -> Option<Value> {
        let a = self.send("GET", path, None)?;
        if !self.expect(&format!("GET {path}"), &a, 200) {
            return None;
        }
        self.json(&format!("GET {path}"), &a)
    }

    /// A one- or two-digit prefix of another tenant's id, which is
    /// ambiguous engine-wide: the answer may depend on the requester's own
    /// objects only — its one match (200), "ambiguous" (400, when two of
    /// its own ids start with it) or not found (404 in the daemon's words).
    fn short_prefix(&mut self, kind: &str, path: &str, template: &str, reference: &str) {
        let Some(a) = self.send("GET", path, None) else {
            return;
        };
        let message = serde_json::from_str::<Value>(&a.body)
            .ok()
            .and_then(|v| v.get("message")?.as_str().map(str::to_owned));
        match a.status {
            200 => match id_of(&a.body) {
                Some(id) if id.starts_with(reference) => self.own_id(kind, &id, path),
                other => self
                    .world
                    .fail(format!("{} GET {path}: 200 with Id {other:?}", self.who())),
            },
            404 if message.as_deref() == Some(template.replace("{}", reference).as_str()) => {}
            // The prefix resolved to the tenant's own object, which its
            // cycle removed before the forwarded inspect: the engine's
            // 404 then quotes the full id, where the daemon would quote
            // the prefix. Not another tenant's (that fails), but not the
            // daemon's words either: counted and printed, not failed.
            404 if message.as_deref().is_some_and(|m| {
                hex64(m).any(|id| {
                    id.starts_with(reference)
                        && self.world.owner(id) == Some(self.me)
                        && m == template.replace("{}", id)
                })
            }) =>
            {
                self.world
                    .vanished
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            400 if message.as_deref().is_some_and(|m| m.contains(reference)) => {
                for id in hex64(&a.body) {
                    if self.world.owner(id).is_some_and(|k| k != self.me) {
                        self.world.fail(format!(
                            "LEAK: {} GET {path}: 400 names {id} of another tenant",
                            self.who()
                        ));
                    }
                }
                self.tally.ambiguous.push((self.me, reference.to_owned()));
            }
            s if s >= 500 => {}
            _ => self.world.fail(format!(
                "{} GET {path}: {} {}",
                self.who(),
                a.status,
                a.body
            )),
        }
    }

    /// A reference to what the requester does not own: the daemon's 404.
    fn not_found(&mut self, path: &str, template: &str, reference: &str) {
        let Some(a) = self.send("GET", path, None) else {
            return;
        };
        let want = template.replace("{}", reference);
        let got = serde_json::from_str::<Value>(&a.body)
            .ok()
            .and_then(|v| v.get("message")?.as_str().map(str::to_owned));
        if a.status == 200 {
            self.world.fail(format!(
                "LEAK: {} GET {path} (another tenant's object) answered 200: {}",
                self.who(),
                a.body.get(..300).unwrap_or(&a.body)
            ));
        } else if (a.status != 404 || got.as_deref() != Some(want.as_str())) && a.status < 500 {
            self.world.fail(format!(
                "{} GET {path}: {} {} (want 404 {want:?})",
                self.who(),
                a.status,
                a.body
            ));
        }
    }

    fn op(&mut self, op: Op, other: usize) {
        let w = self.world;
        let (Some(mine), Some(theirs)) = (w.sides.get(self.me), w.sides.get(other)) else {
            return;
        };
        let (mine, theirs) = (mine.clone(), theirs.clone());
        match op {
            Op::Ping => {
                if let Some(a) = self.send("GET", "/_ping", None) {
                    if self.expect("GET /_ping", &a, 200) && a.body != "OK" {
                        w.fail(format!("{} GET /_ping: body {:?}", self.who(), a.body));
                    }
                }
            }
            Op::ContainerList => self.container_list("/containers/json?all=1", false),
            Op::ContainerListByName => self.container_list(
                "/containers/json?all=1&filters=%7B%22name%22%3A%5B%22ldweb%22%5D%7D",
                true,
            ),
            Op::ContainerByName => {
                self.container_inspect("/containers/ldweb/json", &mine.web, "/ldweb")
            }
            Op::ContainerById => self.container_inspect(
                &format!("/containers/{}/json", mine.web),
                &mine.web,
                "/ldweb",
            ),
            Op::NetworkList => self.network_list(),
            Op::NetworkByName => self.network_inspect("/networks/ldnet", &mine.net, "ldnet"),
            Op::NetworkById => {
                self.network_inspect(&format!("/networks/{}", mine.net), &mine.net, "ldnet")
            }
            Op::VolumeList => self.volume_list(),
            Op::VolumeByName => {
                if let Some(v) = self.get_json("/volumes/ldvol") {
                    if v.get("Name").and_then(Value::as_str) != Some("ldvol") {
                        w.fail(format!("{} GET /volumes/ldvol: {v}", self.who()));
                    }
                }
            }
            Op::ForeignContainerId => {
                let r = theirs.web.clone();
                self.not_found(&format!("/containers/{r}/json"), &w.wording.container, &r);
            }
            Op::ForeignContainerPrefix => {
                let r = theirs.web.get(..12).unwrap_or_default().to_owned();
                self.not_found(&format!("/containers/{r}/json"), &w.wording.container, &r);
            }
            Op::ForeignContainerName => {
                let r = format!("{}_ldweb", theirs.id);
                self.not_found(&format!("/containers/{r}/json"), &w.wording.container, &r);
            }
            Op::ForeignLiveContainer => {
                if let Some(id) = w.latest(other) {
                    // Alternately the full id and a 12-digit prefix.
                    let r = if self.tally.requests.is_multiple_of(2) {
                        id
                    } else {
                        id.get(..12).unwrap_or_default().to_owned()
                    };
                    self.not_found(&format!("/containers/{r}/json"), &w.wording.container, &r);
                }
            }
            Op::ForeignNetworkId => {
                let r = theirs.net.clone();
                self.not_found(&format!("/networks/{r}"), &w.wording.network, &r);
            }
            Op::ForeignNetworkPrefix => {
                let r = theirs.bridge.get(..12).unwrap_or_default().to_owned();
                self.not_found(&format!("/networks/{r}"), &w.wording.network, &r);
            }
            Op::ForeignNetworkName => {
                let r = format!("{}_ldnet", theirs.id);
                self.not_found(&format!("/networks/{r}"), &w.wording.network, &r);
            }
            Op::ForeignVolumeName => {
                let r = format!("{}_ldvol", theirs.id);
                self.not_found(&format!("/volumes/{r}"), &w.wording.volume, &r);
            }
            Op::ShortContainerPrefix => {
                // Of its container of the moment: a new prefix each cycle.
                let n = 1 + self.tally.requests as usize % 2;
                let id = w.latest(other).unwrap_or_else(|| theirs.web.clone());
                let r = id.get(..n).unwrap_or_default().to_owned();
                let path = format!("/containers/{r}/json");
                self.short_prefix("container", &path, &w.wording.container, &r);
            }
            Op::ShortNetworkPrefix => {
                let n = 1 + self.tally.requests as usize % 2;
                let id = if self.tally.requests % 4 < 2 {
                    &theirs.bridge
                } else {
                    &theirs.net
                };
                let r = id.get(..n).unwrap_or_default().to_owned();
                let path = format!("/networks/{r}");
                self.short_prefix("network", &path, &w.wording.network, &r);
            }
            Op::ForeignFilter => {
                // A list filtered on another tenant's id or engine-side
                // name is empty: the filter narrows the tenant's own list.
                let k = self.tally.requests % 3;
                let (path, empty) = match k {
                    0 => (
                        format!(
                            "/containers/json?all=1&filters={}",
                            encode(&json!({ "id": [theirs.web] }).to_string())
                        ),
                        "[]",
                    ),
                    1 => (
                        format!(
                            "/networks?filters={}",
                            encode(&json!({ "name": [format!("{}_", theirs.id)] }).to_string())
                        ),
                        "[]",
                    ),
                    _ => (
                        format!(
                            "/volumes?filters={}",
                            encode(
                                &json!({ "name": [format!("{}_ldvol", theirs.id)] }).to_string()
                            )
                        ),
                        r#"{"Volumes":[],"Warnings":null}"#,
                    ),
                };
                if let Some(v) = self.get_json(&path) {
                    if serde_json::from_str::<Value>(empty).ok().as_ref() != Some(&v) {
                        w.fail(format!("LEAK: {} GET {path}: {v}", self.who()));
                    }
                }
            }
            Op::ReservedLabelFilter => {
                let path = format!(
                    "/containers/json?all=1&filters={}",
                    encode(&json!({ "label": [format!("fdcs.tenant={}", theirs.id)] }).to_string())
                );
                if let Some(a) = self.send("GET", &path, None) {
                    if a.status != 403 || !a.body.contains("tenancy.reserved-label") {
                        w.fail(format!(
                            "{} GET {path}: {} {} (want 403 tenancy.reserved-label)",
                            self.who(),
                            a.status,
                            a.body
                        ));
                    }
                }
            }
            Op::ContainerCycle => self.container_cycle(),
            Op::VolumeCycle => self.volume_cycle(),
            Op::NetworkCycle => self.network_cycle(),
        }
    }

    fn container_list(&mut self, path: &str, only_web: bool) {
        let Some(v) = self.get_json(path) else {
            return;
        };
        let Some(items) = v.as_array() else {
            self.world
                .fail(format!("{} GET {path}: not a list: {v}", self.who()));
            return;
        };
        let web = self
            .world
            .sides
            .get(self.me)
            .map(|s| s.web.clone())
            .unwrap_or_default();
        let mut saw_web = false;
        for c in items {
            let id = c.get("Id").and_then(Value::as_str).unwrap_or_default();
            self.own_id("container", id, path);
            let names: Vec<&str> = c
                .get("Names")
                .and_then(Value::as_array)
                .map(|n| n.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if names.is_empty() || names.iter().any(|n| !n.starts_with("/ld")) {
                self.world.fail(format!(
                    "{} GET {path}: container {id} named {names:?}",
                    self.who()
                ));
            }
            if only_web && names != ["/ldweb"] {
                self.world.fail(format!(
                    "{} GET {path}: the name filter let {names:?} through",
                    self.who()
                ));
            }
            saw_web |= id == web && names == ["/ldweb"];
            let nets: Vec<String> = c
                .pointer("/NetworkSettings/Networks")
                .and_then(Value::as_object)
                .map(|m| {
                    m.values()
                        .filter_map(|n| n.get("NetworkID")?.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            for n in nets.iter().filter(|n| !n.is_empty()) {
                self.own_id("network", n, path);
            }
        }
        if !saw_web {
            self.world.fail(format!(
                "{} GET {path}: its own ldweb ({web}) is missing: {v}",
                self.who()
            ));
        }
    }

    fn container_inspect(&mut self, path: &str, want: &str, name: &str) {
        let Some(v) = self.get_json(path) else {
            return;
        };
        let bridge = self
            .world
            .sides
            .get(self.me)
            .map(|s| s.bridge.clone())
            .unwrap_or_default();
        let id = v.get("Id").and_then(Value::as_str);
        let got_name = v.get("Name").and_then(Value::as_str);
        let net = v
            .pointer("/NetworkSettings/Networks/bridge/NetworkID")
            .and_then(Value::as_str);
        let mode = v.pointer("/HostConfig/NetworkMode").and_then(Value::as_str);
        if id != Some(want)
            || got_name != Some(name)
            || net != Some(bridge.as_str())
            || mode != Some("bridge")
        {
            self.world.fail(format!(
                "{} GET {path}: Id {id:?} Name {got_name:?} NetworkMode {mode:?} bridge {net:?} \
                 (want {want}, {name}, bridge {bridge})",
                self.who()
            ));
        }
    }

    fn network_list(&mut self) {
        let path = "/networks";
        let Some(v) = self.get_json(path) else {
            return;
        };
        let Some(items) = v.as_array() else {
            self.world
                .fail(format!("{} GET {path}: not a list: {v}", self.who()));
            return;
        };
        let (net, bridge) = self
            .world
            .sides
            .get(self.me)
            .map(|s| (s.net.clone(), s.bridge.clone()))
            .unwrap_or_default();
        let (mut saw_net, mut saw_bridge) = (false, false);
        for n in items {
            let id = n.get("Id").and_then(Value::as_str).unwrap_or_default();
            let name = n.get("Name").and_then(Value::as_str).unwrap_or_default();
            self.own_id("network", id, path);
            if !(name == "bridge" || name.starts_with("ld")) {
                self.world.fail(format!(
                    "{} GET {path}: network {id} named {name:?}",
                    self.who()
                ));
            }
            saw_net |= id == net && name == "ldnet";
            saw_bridge |= id == bridge && name == "bridge";
            let members: Vec<String> = n
                .get("Containers")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            for c in members {
                self.own_id("container", &c, path);
            }
        }
        if !(saw_net && saw_bridge) {
            self.world.fail(format!(
                "{} GET {path}: its own ldnet ({net}) or bridge ({bridge}) is missing: {v}",
                self.who()
            ));
        }
    }

    fn network_inspect(&mut self, path: &str, want: &str, name: &str) {
        let Some(v) = self.get_json(path) else {
            return;
        };
        let id = v.get("Id").and_then(Value::as_str);
        let got = v.get("Name").and_then(Value::as_str);
        if id != Some(want) || got != Some(name) {
            self.world.fail(format!(
                "{} GET {path}: Id {id:?} Name {got:?} (want {want}, {name})",
                self.who()
            ));
        }
    }

    fn volume_list(&mut self) {
        let path = "/volumes";
        let Some(v) = self.get_json(path) else {
            return;
        };
        let names: Vec<String> = v
            .get("Volumes")
            .and_then(Value::as_array)
            .map(|vs| {
                vs.iter()
                    .filter_map(|x| x.get("Name")?.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mine = |n: &str| n == "ldvol" || n.strip_prefix("ldv-").is_some();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        let one_ldvol = names.iter().filter(|n| *n == "ldvol").count() == 1;
        if !one_ldvol || unique.len() != names.len() || !names.iter().all(|n| mine(n)) {
            self.world.fail(format!(
                "{} GET {path}: volumes {names:?} (want ldvol once, and ldv-*, each once)",
                self.who()
            ));
        }
    }

    fn container_cycle(&mut self) {
        let name = format!("ldc-{}", self.slot);
        let body = json!({ "Image": "busybox", "Cmd": ["true"] }).to_string();
        let path = format!("/containers/create?name={name}");
        let Some(a) = self.send("POST", &path, Some(&body)) else {
            return;
        };
        if !self.expect(&format!("POST {path}"), &a, 201) {
            return;
        }
        let Some(id) = id_of(&a.body) else {
            self.world
                .fail(format!("{} POST {path}: no Id: {}", self.who(), a.body));
            return;
        };
        self.world.created(self.me, &id);
        self.world.set_latest(self.me, &id);
        let start = format!("/containers/{name}/start");
        if let Some(a) = self.send("POST", &start, None) {
            if self.expect(&format!("POST {start}"), &a, 204) {
                if let Some(n) = self.world.started.get(self.me) {
                    n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
        let inspect = format!("/containers/{name}/json");
        if let Some(v) = self.get_json(&inspect) {
            let got = v.get("Id").and_then(Value::as_str);
            let n = v.get("Name").and_then(Value::as_str);
            if got != Some(id.as_str()) || n != Some(format!("/{name}").as_str()) {
                self.world.fail(format!(
                    "{} GET {inspect}: Id {got:?} Name {n:?} (want {id})",
                    self.who()
                ));
            }
        }
        let rm = format!("/containers/{name}?force=1");
        if let Some(a) = self.send("DELETE", &rm, None) {
            self.expect(&format!("DELETE {rm}"), &a, 204);
        }
    }

    fn volume_cycle(&mut self) {
        let name = format!("ldv-{}", self.slot);
        let body = json!({ "Name": name }).to_string();
        let Some(a) = self.send("POST", "/volumes/create", Some(&body)) else {
            return;
        };
        if !self.expect("POST /volumes/create", &a, 201) {
            return;
        }
        let path = format!("/volumes/{name}");
        if let Some(v) = self.get_json(&path) {
            if v.get("Name").and_then(Value::as_str) != Some(name.as_str()) {
                self.world.fail(format!("{} GET {path}: {v}", self.who()));
            }
        }
        if let Some(a) = self.send("DELETE", &path, None) {
            self.expect(&format!("DELETE {path}"), &a, 204);
        }
    }

    fn network_cycle(&mut self) {
        let name = format!("ldn-{}", self.slot);
        let body = json!({ "Name": name }).to_string();
        let Some(a) = self.send("POST", "/networks/create", Some(&body)) else {
            return;
        };
        if !self.expect("POST /networks/create", &a, 201) {
            return;
        }
        let Some(id) = id_of(&a.body) else {
            self.world.fail(format!(
                "{} POST /networks/create: no Id: {}",
                self.who(),
                a.body
            ));
            return;
        };
        self.world.created(self.me, &id);
        let path = format!("/networks/{name}");
        self.network_inspect(&path, &id, &name);
        if let Some(a) = self.send("DELETE", &path, None) {
            self.expect(&format!("DELETE {path}"), &a, 204);
        }
    }
}

/// Percent-encodes a query value (every byte but unreserved ones).
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where `text` names an engine-side name of any `load<k>` tenant.
pub(crate) fn scoped_mention(text: &str) -> Option<usize> {
    text.match_indices("load").find_map(|(at, _)| {
        let rest = text.get(at + 4..)?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        (digits > 0 && rest.as_bytes().get(digits) == Some(&b'_')).then_some(at)
    })
}

/// Every run of exactly 64 lower-case hex digits in `text` (ids).
pub(crate) fn hex64(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !matches!(c, '0'..='9' | 'a'..='f'))
        .filter(|t| t.len() == 64)
}
