//! `scale:` and `deploy.replicas`: how many containers `up` creates for a
//! service, as docker-compose 1.29.2 decides (`Project.get_service_scale`):
//! `deploy.replicas` when `deploy.mode` is `replicated` (the default),
//! else `scale`, else 1; capped by `deploy.placement.max_replicas_per_node`.
//! Both are read whatever the file's version and without `--compatibility`
//! (1.29.2 translates `deploy` always). Strings go through compose's
//! `to_int` (`"3"`, `"0x10"`, `"010"` octal). A negative count creates
//! nothing (`range(1, 1 + n)` is empty), like 0. Container `n` is
//! `<project>_<service>_<n>`, labelled `com.docker.compose.container-number`.
//!
//! A replica's requests differ from the first one's only in its name and
//! number, and only quotas can tell them apart. Judging is bounded: at most
//! [`MAX_REPLICAS`] containers of a service and [`MAX_PROJECT_REPLICAS`]
//! second and later replicas in a whole project get requests (a
//! `scale: 100000` must not make lint build 100000 bodies); [`plan`] says
//! which services were cut, for lint to report it.

use super::EngineRequest;
use crate::load::Project;
use crate::node::{Kind, Node, Pos};
use serde_json::json;

/// The most containers of one service that get requests.
pub const MAX_REPLICAS: u64 = 256;

/// The most second and later replicas, over the whole project, that get
/// requests (each service's first container always does).
pub const MAX_PROJECT_REPLICAS: u64 = 1024;

/// How many containers of one service compose creates and lint judges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replicas {
    /// The service key.
    pub service: String,
    /// What compose creates (0 for a negative count).
    pub wanted: u64,
    /// How many get requests: `wanted`, unless a bound cut it.
    pub judged: u64,
    /// The `scale:` or `deploy.replicas` key (the service key when neither).
    pub pos: Pos,
}

/// compose's `to_int` on a scalar: decimal with a sign, `0x`/`0o`/`0b`,
/// a leading `0` as octal, `_` between digits; `None` otherwise.
fn to_int(n: &Node) -> Option<i64> {
    let s = match &n.kind {
        Kind::Int(i) => return Some(*i),
        Kind::Str(s) => s,
        // a float or a boolean: compose refuses the file
        _ => return None,
    };
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    let clean = digits.trim_start_matches('_').replace('_', "");
    if clean.is_empty() || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    // a count beyond i64 is as good as i64::MAX: far past any bound
    let v = u64::from_str_radix(&clean, radix).ok().or_else(|| {
        clean
            .bytes()
            .all(|b| (b as char).is_digit(radix))
            .then_some(u64::MAX)
    })?;
    let v = i64::try_from(v).unwrap_or(i64::MAX);
    Some(if neg { -v } else { v })
}

/// What compose creates for one service, and the key that says so.
fn wanted(key: &Node, svc: &Node) -> (u64, Pos) {
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let scale = svc.entry("scale").map(|(k, v)| (to_int(v), k.pos));
    let deploy = svc.get("deploy").filter(|d| !d.entries().is_empty());
    let replicated = deploy.is_some_and(|d| {
        d.get("mode")
            .and_then(Node::as_scalar)
            .is_none_or(|m| m == "replicated")
    });
    let replicas = deploy
        .filter(|_| replicated)
        .and_then(|d| d.entry("replicas"))
        .map(|(k, v)| (to_int(v), k.pos));
    // both set: compose refuses the project; `scale` is what a fix keeps
    let (n, pos) = match (scale, replicas) {
        (Some((n, p)), _) | (None, Some((n, p))) => (n.unwrap_or(1), p),
        (None, None) => (1, key.pos),
    };
    let cap = deploy
        .filter(|_| replicated && replicas.is_some())
        .and_then(|d| d.get("placement"))
        .and_then(|p| p.get("max_replicas_per_node"))
        .and_then(to_int);
    (count(cap.map_or(n, |c| n.min(c))), pos)
}

/// Every service's count, in the order of `services:`, with the bounds
/// applied.
pub fn plan(project: &Project) -> Vec<Replicas> {
    let mut budget = MAX_PROJECT_REPLICAS;
    let mut out = Vec::new();
    for (k, svc) in project
        .doc
        .get("services")
        .map(Node::entries)
        .unwrap_or_default()
    {
        let (wanted, pos) = wanted(k, svc);
        let first = wanted.min(1);
        let more = (wanted.min(MAX_REPLICAS) - first).min(budget);
        budget -= more;
        out.push(Replicas {
            service: k.as_scalar().unwrap_or_default(),
            wanted,
            judged: first + more,
            pos,
        });
    }
    out
}

/// Makes the requests built for container 1 of `service` those of
/// container `n`: its name in the create's `?name=`, its number label, the
/// `Container` of its network connects.
pub(super) fn renumber(req: &mut EngineRequest, project: &str, service: &str, n: u64) {
    let one = format!("{project}_{service}_1");
    let nth = format!("{project}_{service}_{n}");
    if let Some(head) = req.target.strip_suffix(&format!("name={one}")) {
        req.target = format!("{head}name={nth}");
        if let Some(l) = req.body.get_mut("Labels").and_then(|l| l.as_object_mut()) {
            l.insert(
                "com.docker.compose.container-number".into(),
                json!(n.to_string()),
            );
        }
    }
    if req.body.get("Container").and_then(|c| c.as_str()) == Some(one.as_str()) {
        req.body["Container"] = json!(nth);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(s: &str) -> Node {
        Node::synthetic(Kind::Str(s.into()), Pos::default())
    }

    #[test]
    fn counts_read_as_compose_to_int_reads_them() {
        for (s, want) in [
            ("3", Some(3)),
            (" 3", Some(3)),
            ("-2", Some(-2)),
            ("0x10", Some(16)),
            ("010", Some(8)),
            ("1_0", Some(10)),
            ("0", Some(0)),
            ("+4", Some(4)),
            ("99999999999999999999999", Some(i64::MAX)),
            ("1.5", None),
            ("", None),
            ("three", None),
            ("1__0", None),
        ] {
            assert_eq!(to_int(&scalar(s)), want, "{s:?}");
        }
        let int = Node::synthetic(Kind::Int(-7), Pos::default());
        assert_eq!(to_int(&int), Some(-7));
        let float = Node::synthetic(Kind::Float(1.5), Pos::default());
        assert_eq!(to_int(&float), None);
    }
}
