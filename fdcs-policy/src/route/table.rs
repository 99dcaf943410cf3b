//! The table itself: every route of moby's Engine API router, v1.24 onwards.
//!
//! Matching works on the segments [`super::normalize::split`] produced: the
//! first segment picks a resource, the segment count and the last segment
//! pick the operation. No regex, no allocation except the parameters.
//!
//! Where the daemon's pattern is `{name:.*}` (containers, exec, networks,
//! volumes, images, plugins, distribution — see moby's
//! `daemon/server/router/*/*.go`), gorilla/mux matches greedily, so a name may
//! span segments: the last segment is the action and everything between is
//! the name. Image, plugin and distribution names legitimately contain `/`,
//! so they span segments here too. Container, exec, network and volume
//! references never contain `/`; a path that would need one is denied as
//! ambiguous. Swarm objects use plain `{id}` (one segment).
//!
//! HEAD is routed only where the daemon registers it (`HEAD /_ping`,
//! `HEAD /containers/{name}/archive`): gorilla/mux matches the method exactly
//! (`route.go` `methodMatcher`, methods upper-cased at registration, the
//! request's method compared as sent), it does not answer HEAD for GET routes.
//! For the same reason `get` is not `GET`.
//!
//! Checked against the dockerd 20.10 of the CI machine (curl on the socket):
//! `HEAD /_ping` 200, `HEAD /version` and `HEAD /containers/json` 404,
//! `get /_ping` 404, `GET /containers/a/b/json` → "No such container: a/b",
//! `GET /containers/x%2Fy/json` → "No such container: x/y".

use super::endpoint::{Endpoint, Group};
use super::normalize::{self, Malformed, Segments, MAX_API_VERSION};
use super::{ApiVersion, RouteMatch};
use crate::Denial;

use Endpoint as E;

/// Which path segments are the parameters of a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Params {
    None,
    /// One segment.
    One(usize),
    /// Two single segments (container and checkpoint).
    Two(usize, usize),
    /// Segments `from..to`, joined with `/` (image and plugin names).
    Span(usize, usize),
}

/// The outcome of looking a path up.
enum Lookup {
    Found(Endpoint, Params),
    /// The daemon would route it, but only with a `/` inside a reference
    /// that can never contain one.
    SlashInReference(&'static str),
    Unknown,
}

use Lookup::{Found, SlashInReference, Unknown};

/// Matches a raw method and path (no query) the way the daemon's router
/// would, or refuses: unknown route (403 `route.unknown`), a path the daemon
/// might read differently (400 `route.ambiguous`), or an API version outside
/// `min_version..=MAX_API_VERSION` (400 `route.version`).
pub fn route(method: &str, raw_path: &str, min_version: ApiVersion) -> Result<RouteMatch, Denial> {
    let segs = normalize::split(raw_path).map_err(|m| ambiguous(raw_path, m))?;
    if let Some(v) = segs.version {
        if v < min_version {
            return Err(Denial::malformed(
                crate::RuleId::ROUTE_VERSION,
                format!("requested API version {v} is older than the minimum this service allows ({min_version})"),
                format!(
                    "use API version {min_version} or newer: upgrade the client, or set DOCKER_API_VERSION={min_version}"
                ),
            ));
        }
        if v > MAX_API_VERSION {
            return Err(Denial::malformed(
                crate::RuleId::ROUTE_VERSION,
                format!("requested API version {v} is newer than fdcs knows ({MAX_API_VERSION})"),
                format!(
                    "let the client negotiate the version, or set DOCKER_API_VERSION={MAX_API_VERSION}"
                ),
            ));
        }
    }
    match lookup(method, &segs) {
        Found(endpoint, params) => Ok(RouteMatch {
            endpoint,
            version: segs.version,
            params: collect(&segs, params),
        }),
        SlashInReference(kind) => Err(Denial::malformed(
            crate::RuleId::ROUTE_AMBIGUOUS,
            format!(
                "{} {} would name a {kind} with `/` in it, which no {kind} has",
                shown(method, 16),
                shown(raw_path, 200)
            ),
            format!("name the {kind} by its name or id, without `/`"),
        )),
        Unknown => Err(Denial::policy(
            crate::RuleId::ROUTE_UNKNOWN,
            format!(
                "{} {} is not a Docker Engine API route fdcs allows",
                shown(method, 16),
                shown(raw_path, 200)
            ),
            "use the docker CLI, docker-compose or an SDK; unknown routes are never forwarded",
        )),
    }
}

/// The 400 for a path the daemon might read differently from us.
fn ambiguous(raw_path: &str, why: Malformed) -> Denial {
    Denial::malformed(
        crate::RuleId::ROUTE_AMBIGUOUS,
        format!("path `{}` {}", shown(raw_path, 200), why.reason()),
        "send the canonical path the docker client sends (`/vX.Y/containers/NAME/json`), without encoded or duplicate separators",
    )
}

/// User input for a message: escaped, truncated.
fn shown(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).flat_map(char::escape_default).collect();
    if s.chars().nth(max).is_some() {
        out.push_str("...");
    }
    out
}

fn collect(segs: &Segments<'_>, params: Params) -> Vec<String> {
    match params {
        Params::None => Vec::new(),
        Params::One(i) => vec![normalize::decode(segs.get(i))],
        Params::Two(i, j) => vec![
            normalize::decode(segs.get(i)),
            normalize::decode(segs.get(j)),
        ],
        Params::Span(from, to) => vec![normalize::decode(segs.span(from, to))],
    }
}

fn lookup(method: &str, s: &Segments<'_>) -> Lookup {
    let n = s.len();
    let found = |e| Found(e, Params::None);
    match (s.get(0), n) {
        ("_ping", 1) => match method {
            "GET" => found(E::SystemPing),
            "HEAD" => found(E::SystemPingHead),
            _ => Unknown,
        },
        ("auth", 1) if method == "POST" => found(E::SystemAuth),
        ("info", 1) if method == "GET" => found(E::SystemInfo),
        ("version", 1) if method == "GET" => found(E::SystemVersion),
        ("events", 1) if method == "GET" => found(E::SystemEvents),
        ("system", 2) if method == "GET" && s.get(1) == "df" => found(E::SystemDataUsage),
        ("session", 1) if method == "POST" => found(E::Session),
        ("grpc", 1) if method == "POST" => found(E::Admin(Group::Grpc)),
        ("commit", 1) if method == "POST" => found(E::ImageCommit),
        ("build", 1) if method == "POST" => found(E::ImageBuild),
        ("build", 2) if method == "POST" => match s.get(1) {
            "prune" => found(E::BuildPrune),
            // not in swagger; cancels a BuildKit build by id
            "cancel" => found(E::Admin(Group::Other)),
            _ => Unknown,
        },
        // served only when the daemon runs with debug enabled; not in swagger;
        // registered without the version prefix (`createMux`: "/debug" +
        // path), so `/v1.41/debug/...` is the daemon's 404 (found by the
        // daemon oracle, tests/oracle.rs)
        ("debug", 2..) if method == "GET" && s.version.is_none() => found(E::Admin(Group::Other)),
        ("containers", _) => containers(method, s),
        ("exec", _) => exec(method, s),
        ("images", _) => images(method, s),
        ("distribution", 3..) if method == "GET" && s.last() == "json" => {
            Found(E::DistributionInspect, Params::Span(1, n - 1))
        }
        ("networks", _) => networks(method, s),
        ("volumes", _) => volumes(method, s),
        ("plugins", _) => plugins(method, s),
        ("swarm", _) => swarm(method, s),
        ("services", _) => swarm_objects(method, s, &SERVICES),
        ("tasks", _) => swarm_objects(method, s, &TASKS),
        ("nodes", _) => swarm_objects(method, s, &NODES),
        ("secrets", _) => swarm_objects(method, s, &SECRETS),
        ("configs", _) => swarm_objects(method, s, &CONFIGS),
        _ => Unknown,
    }
}

/// `/containers/{name}/<action>` for one method.
fn container_action(method: &str, action: &str) -> Option<Endpoint> {
    Some(match (method, action) {
        ("GET", "json") => E::ContainerInspect,
        ("GET", "top") => E::ContainerTop,
        ("GET", "logs") => E::ContainerLogs,
        ("GET", "changes") => E::ContainerChanges,
        ("GET", "export") => E::ContainerExport,
        ("GET", "stats") => E::ContainerStats,
        ("GET", "archive") => E::ContainerArchive,
        ("HEAD", "archive") => E::ContainerArchiveInfo,
        ("PUT", "archive") => E::PutContainerArchive,
        ("POST", "start") => E::ContainerStart,
        ("POST", "stop") => E::ContainerStop,
        ("POST", "restart") => E::ContainerRestart,
        ("POST", "kill") => E::ContainerKill,
        ("POST", "update") => E::ContainerUpdate,
        ("POST", "rename") => E::ContainerRename,
        ("POST", "pause") => E::ContainerPause,
        ("POST", "unpause") => E::ContainerUnpause,
        ("POST", "attach") => E::ContainerAttach,
        ("POST", "wait") => E::ContainerWait,
        ("POST", "resize") => E::ContainerResize,
        ("POST", "exec") => E::ContainerExec,
        // experimental checkpoint routes (`{name:.*}/checkpoints`)
        ("GET" | "POST", "checkpoints") => E::Admin(Group::Checkpoint),
        _ => return None,
    })
}

fn containers(method: &str, s: &Segments<'_>) -> Lookup {
    let n = s.len();
    let direct = match n {
        2 => match (method, s.get(1)) {
            ("GET", "json") => Some((E::ContainerList, Params::None)),
            ("POST", "create") => Some((E::ContainerCreate, Params::None)),
            ("POST", "prune") => Some((E::ContainerPrune, Params::None)),
            ("DELETE", _) => Some((E::ContainerDelete, Params::One(1))),
            _ => None,
        },
        3 => container_action(method, s.get(2)).map(|e| (e, Params::One(1))),
        4 if method == "GET" && s.get(2) == "attach" && s.get(3) == "ws" => {
            Some((E::ContainerAttachWebsocket, Params::One(1)))
        }
        // the checkpoint router is registered before the container router
        // (moby `daemon/command/daemon.go`), so this wins over DELETE
        // `/containers/{name:.*}`.
        4 if method == "DELETE" && s.get(2) == "checkpoints" => {
            Some((E::Admin(Group::Checkpoint), Params::Two(1, 3)))
        }
        _ => None,
    };
    if let Some((e, p)) = direct {
        return Found(e, p);
    }
    // what the daemon's `{name:.*}` patterns would still match, with a `/`
    // inside the name
    let tail_ws =
        n >= 4 && method == "GET" && s.get(n.saturating_sub(2)) == "attach" && s.last() == "ws";
    if n >= 3 && (method == "DELETE" || tail_ws || container_action(method, s.last()).is_some()) {
        SlashInReference("container")
    } else {
        Unknown
    }
}

fn exec_action(method: &str, action: &str) -> Option<Endpoint> {
    match (method, action) {
        ("GET", "json") => Some(E::ExecInspect),
        ("POST", "start") => Some(E::ExecStart),
        ("POST", "resize") => Some(E::ExecResize),
        _ => None,
    }
}

fn exec(method: &str, s: &Segments<'_>) -> Lookup {
    match (s.len(), exec_action(method, s.last())) {
        (3, Some(e)) => Found(e, Params::One(1)),
        (4.., Some(_)) => SlashInReference("exec instance"),
        _ => Unknown,
    }
}

fn images(method: &str, s: &Segments<'_>) -> Lookup {
    let n = s.len();
    if n == 2 {
        return match (method, s.get(1)) {
            ("GET", "json") => Found(E::ImageList, Params::None),
            ("GET", "search") => Found(E::ImageSearch, Params::None),
            ("GET", "get") => Found(E::ImageGetAll, Params::None),
            ("POST", "load") => Found(E::ImageLoad, Params::None),
            ("POST", "create") => Found(E::ImageCreate, Params::None),
            ("POST", "prune") => Found(E::ImagePrune, Params::None),
            ("DELETE", _) => Found(E::ImageDelete, Params::Span(1, 2)),
            _ => Unknown,
        };
    }
    if n < 3 {
        return Unknown;
    }
    let name = Params::Span(1, n - 1);
    match (method, s.last()) {
        ("GET", "json") => Found(E::ImageInspect, name),
        ("GET", "history") => Found(E::ImageHistory, name),
        ("GET", "get") => Found(E::ImageGet, name),
        ("GET", "attestations") => Found(E::ImageAttestations, name),
        ("POST", "push") => Found(E::ImagePush, name),
        ("POST", "tag") => Found(E::ImageTag, name),
        ("DELETE", _) => Found(E::ImageDelete, Params::Span(1, n)),
        _ => Unknown,
    }
}

fn networks(method: &str, s: &Segments<'_>) -> Lookup {
    match (s.len(), method, s.get(1), s.get(2)) {
        (1, "GET", _, _) => Found(E::NetworkList, Params::None),
        (2, "POST", "create", _) => Found(E::NetworkCreate, Params::None),
        (2, "POST", "prune", _) => Found(E::NetworkPrune, Params::None),
        (2, "GET", _, _) => Found(E::NetworkInspect, Params::One(1)),
        (2, "DELETE", _, _) => Found(E::NetworkDelete, Params::One(1)),
        (3, "POST", _, "connect") => Found(E::NetworkConnect, Params::One(1)),
        (3, "POST", _, "disconnect") => Found(E::NetworkDisconnect, Params::One(1)),
        // `GET /networks/{id:.+}` and `DELETE /networks/{id:.*}` take any tail
        (3.., "GET" | "DELETE", _, _) => SlashInReference("network"),
        (4.., "POST", _, _) if matches!(s.last(), "connect" | "disconnect") => {
            SlashInReference("network")
        }
        _ => Unknown,
    }
}

fn volumes(method: &str, s: &Segments<'_>) -> Lookup {
    match (s.len(), method, s.get(1)) {
        (1, "GET", _) => Found(E::VolumeList, Params::None),
        (2, "POST", "create") => Found(E::VolumeCreate, Params::None),
        (2, "POST", "prune") => Found(E::VolumePrune, Params::None),
        (2, "GET", _) => Found(E::VolumeInspect, Params::One(1)),
        (2, "PUT", _) => Found(E::VolumeUpdate, Params::One(1)),
        (2, "DELETE", _) => Found(E::VolumeDelete, Params::One(1)),
        (3.., "GET" | "PUT" | "DELETE", _) => SlashInReference("volume"),
        _ => Unknown,
    }
}

fn plugins(method: &str, s: &Segments<'_>) -> Lookup {
    let n = s.len();
    let plugin = |p| Found(E::Admin(Group::Plugin), p);
    match (n, method, s.get(1)) {
        (1, "GET", _) => plugin(Params::None),
        (2, "GET", "privileges") => plugin(Params::None),
        (2, "POST", "pull" | "create") => plugin(Params::None),
        // v1.24 documented `GET /plugins/{name}` for inspect, but no engine
        // fdcs fronts (20.10 on) serves it: its router answers 404 (found by
        // the daemon oracle, tests/oracle.rs), so only `{name:.*}/json`
        (3.., "GET", _) if s.last() == "json" => plugin(Params::Span(1, n - 1)),
        (2.., "DELETE", _) => plugin(Params::Span(1, n)),
        (3.., "POST", _) => match s.last() {
            "enable" | "disable" | "push" | "upgrade" | "set" => plugin(Params::Span(1, n - 1)),
            _ => Unknown,
        },
        _ => Unknown,
    }
}

fn swarm(method: &str, s: &Segments<'_>) -> Lookup {
    match (s.len(), method, s.get(1)) {
        (1, "GET", _) => Found(E::SwarmInspect, Params::None),
        (2, "GET", "unlockkey") | (2, "POST", "init" | "join" | "leave" | "update" | "unlock") => {
            Found(E::Admin(Group::Swarm), Params::None)
        }
        _ => Unknown,
    }
}

/// The operations of one kind of swarm object, by the daemon's routes
/// (`daemon/server/router/swarm/cluster.go`): list, create, inspect,
/// delete, update, logs. `None` where the daemon has no such route.
struct SwarmOps {
    list: E,
    create: Option<E>,
    inspect: E,
    delete: Option<E>,
    update: Option<E>,
    logs: Option<E>,
}

/// `/services`, `/tasks`, `/nodes`, `/secrets`, `/configs`: one segment
/// for the id (the daemon's pattern is `{id}`, not `{name:.*}`).
fn swarm_objects(method: &str, s: &Segments<'_>, ops: &SwarmOps) -> Lookup {
    let some = |e: Option<E>, p| e.map_or(Unknown, |e| Found(e, p));
    match (s.len(), method, s.get(1), s.get(2)) {
        (1, "GET", _, _) => Found(ops.list, Params::None),
        (2, "POST", "create", _) => some(ops.create, Params::None),
        (2, "GET", _, _) => Found(ops.inspect, Params::One(1)),
        (2, "DELETE", _, _) => some(ops.delete, Params::One(1)),
        (3, "POST", _, "update") => some(ops.update, Params::One(1)),
        (3, "GET", _, "logs") => some(ops.logs, Params::One(1)),
        _ => Unknown,
    }
}

const SERVICES: SwarmOps = SwarmOps {
    list: E::ServiceList,
    create: Some(E::ServiceCreate),
    inspect: E::ServiceInspect,
    delete: Some(E::ServiceDelete),
    update: Some(E::ServiceUpdate),
    logs: Some(E::ServiceLogs),
};
const TASKS: SwarmOps = SwarmOps {
    list: E::TaskList,
    create: None,
    inspect: E::TaskInspect,
    delete: None,
    update: None,
    logs: Some(E::TaskLogs),
};
const NODES: SwarmOps = SwarmOps {
    list: E::NodeList,
    create: None,
    inspect: E::NodeInspect,
    delete: Some(E::Admin(Group::Node)),
    update: Some(E::Admin(Group::Node)),
    logs: None,
};
const SECRETS: SwarmOps = SwarmOps {
    list: E::SecretList,
    create: Some(E::SecretCreate),
    inspect: E::SecretInspect,
    delete: Some(E::SecretDelete),
    update: Some(E::SecretUpdate),
    logs: None,
};
const CONFIGS: SwarmOps = SwarmOps {
    list: E::ConfigList,
    create: Some(E::ConfigCreate),
    inspect: E::ConfigInspect,
    delete: Some(E::ConfigDelete),
    update: Some(E::ConfigUpdate),
    logs: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::MIN_API_VERSION;

    fn ok(m: &str, p: &str) -> RouteMatch {
        route(m, p, MIN_API_VERSION).unwrap_or_else(|d| panic!("{m} {p}: {d:?}"))
    }

    fn rule(m: &str, p: &str) -> String {
        let d = route(m, p, MIN_API_VERSION).unwrap_err();
        d.rule.unwrap().into()
    }

    #[test]
    fn matches_with_and_without_prefix() {
        let r = ok("GET", "/v1.41/containers/web/json");
        assert_eq!(r.endpoint, E::ContainerInspect);
        assert_eq!(r.params, ["web"]);
        assert_eq!(r.version, Some(ApiVersion::new(1, 41)));
        let r = ok("GET", "/containers/web/json");
        assert_eq!((r.endpoint, r.version), (E::ContainerInspect, None));
    }

    #[test]
    fn image_names_span_segments_greedily() {
        let r = ok("GET", "/images/library/busybox:latest/json");
        assert_eq!(r.endpoint, E::ImageInspect);
        assert_eq!(r.params, ["library/busybox:latest"]);
        let r = ok("GET", "/v1.41/images/reg:5000/a/json/history");
        assert_eq!(
            (r.endpoint, r.params[0].as_str()),
            (E::ImageHistory, "reg:5000/a/json")
        );
        let r = ok("DELETE", "/images/a/b%40c");
        assert_eq!(
            (r.endpoint, r.params[0].as_str()),
            (E::ImageDelete, "a/b@c")
        );
        assert_eq!(ok("GET", "/images/json").endpoint, E::ImageList);
        assert_eq!(ok("GET", "/images/get").endpoint, E::ImageGetAll);
        assert_eq!(ok("GET", "/images/json/json").params, ["json"]);
    }

    #[test]
    fn literals_win_over_names_like_the_daemon() {
        assert_eq!(ok("GET", "/containers/json").endpoint, E::ContainerList);
        assert_eq!(
            ok("DELETE", "/containers/json").endpoint,
            E::ContainerDelete
        );
        assert_eq!(ok("GET", "/networks/create").endpoint, E::NetworkInspect);
        assert_eq!(ok("POST", "/networks/create").endpoint, E::NetworkCreate);
        assert_eq!(ok("POST", "/volumes/prune").endpoint, E::VolumePrune);
    }

    #[test]
    fn head_only_where_the_daemon_serves_it() {
        assert_eq!(ok("HEAD", "/_ping").endpoint, E::SystemPingHead);
        assert_eq!(
            ok("HEAD", "/v1.41/containers/c/archive").endpoint,
            E::ContainerArchiveInfo
        );
        assert_eq!(rule("HEAD", "/containers/c/json"), "route.unknown");
        assert_eq!(rule("HEAD", "/info"), "route.unknown");
    }

    #[test]
    fn methods_are_case_sensitive() {
        assert_eq!(rule("get", "/_ping"), "route.unknown");
        assert_eq!(rule("Post", "/containers/create"), "route.unknown");
    }

    #[test]
    fn references_never_contain_slashes() {
        for (m, p) in [
            ("GET", "/containers/a/b/json"),
            ("DELETE", "/containers/a/b"),
            ("GET", "/containers/a/b/attach/ws"),
            ("POST", "/exec/a/b/start"),
            ("GET", "/networks/a/b"),
            ("GET", "/networks/a/connect"),
            ("POST", "/networks/a/b/connect"),
            ("DELETE", "/volumes/a/b"),
            ("PUT", "/volumes/a/b"),
        ] {
            let d = route(m, p, MIN_API_VERSION).unwrap_err();
            assert_eq!(
                (d.status, d.rule.as_deref()),
                (400, Some("route.ambiguous")),
                "{m} {p}"
            );
        }
    }

    #[test]
    fn admin_groups_and_session() {
        assert_eq!(ok("POST", "/session").endpoint, E::Session);
        assert_eq!(ok("POST", "/v1.41/grpc").endpoint, E::Admin(Group::Grpc));
        assert_eq!(ok("POST", "/swarm/init").endpoint, E::Admin(Group::Swarm));
        assert_eq!(ok("GET", "/services/s/logs").endpoint, E::ServiceLogs);
        assert_eq!(ok("GET", "/tasks/t/logs").endpoint, E::TaskLogs);
        assert_eq!(ok("GET", "/swarm").endpoint, E::SwarmInspect);
        assert_eq!(
            ok("POST", "/nodes/n/update").endpoint,
            E::Admin(Group::Node)
        );
        assert_eq!(rule("POST", "/tasks/create"), "route.unknown");
        assert_eq!(rule("DELETE", "/tasks/t"), "route.unknown");
        assert_eq!(rule("POST", "/nodes/create"), "route.unknown");
        assert_eq!(
            ok("POST", "/plugins/vieux/sshfs:latest/enable").params,
            ["vieux/sshfs:latest"]
        );
        assert_eq!(
            ok("DELETE", "/containers/c/checkpoints/k").params,
            ["c", "k"]
        );
        assert_eq!(rule("POST", "/tasks/create"), "route.unknown");
        assert_eq!(rule("POST", "/nodes/create"), "route.unknown");
    }

    #[test]
    fn versions_outside_the_range_are_refused_with_advice() {
        let d = route("GET", "/v1.23/_ping", MIN_API_VERSION).unwrap_err();
        assert_eq!((d.status, d.rule.as_deref()), (400, Some("route.version")));
        assert!(
            d.message.contains("DOCKER_API_VERSION=1.24"),
            "{}",
            d.message
        );
        let d = route("GET", "/v1.40/_ping", ApiVersion::new(1, 41)).unwrap_err();
        assert!(d.message.contains("1.41"), "{}", d.message);
        assert_eq!(rule("GET", "/v1.99/_ping"), "route.version");
        assert_eq!(rule("GET", "/v2.0/_ping"), "route.version");
        assert!(route("GET", "/v1.41/_ping", ApiVersion::new(1, 41)).is_ok());
    }

    #[test]
    fn messages_follow_the_style() {
        let d = route("POST", "/foo", MIN_API_VERSION).unwrap_err();
        assert_eq!(d.status, 403);
        assert!(
            d.message
                .starts_with("fdcs: POST /foo is not a Docker Engine API route fdcs allows (rule route.unknown); "),
            "{}",
            d.message
        );
        let d = route("GET", "/containers/a%0ab/json", MIN_API_VERSION).unwrap_err();
        assert!(!d.message.contains('\n'));
        let d = route("GET\n", "/x\u{1b}", MIN_API_VERSION).unwrap_err();
        assert!(!d.message.contains('\u{1b}'));
    }
}
