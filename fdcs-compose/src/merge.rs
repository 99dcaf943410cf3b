//! Merging several compose files (`-f a.yml -f b.yml`, or a file and its
//! `*.override.*`) the way the Compose Specification describes: later files
//! override scalars, mappings merge key by key, `command`/`entrypoint` are
//! replaced, list-or-map fields (`environment`, `labels`, ...) merge by key,
//! mounts and devices merge by their container path, other sequences append.
//!
//! Every merged node keeps the position of the file it came from, so a
//! finding points into the override file when the override set the value.

use super::node::{Kind, Node};

/// Merges `over` into `base` (both whole documents).
pub fn merge_documents(base: Node, over: Node) -> Node {
    merge(&[], base, over)
}

/// Fields that are lists of `KEY=VALUE` or mappings; merged by key.
const LIST_OR_MAP: &[&str] = &[
    "environment",
    "labels",
    "sysctls",
    "extra_hosts",
    "args",
    "annotations",
];
/// Fields replaced as a whole by a later file.
const REPLACED: &[&str] = &["command", "entrypoint", "test", "dns", "dns_search"];
/// Sequences whose items are unique by their container-side target.
const BY_TARGET: &[&str] = &["volumes", "devices", "secrets", "configs", "tmpfs"];

fn merge(path: &[&str], base: Node, over: Node) -> Node {
    let key = path.last().copied().unwrap_or("");
    let in_service = path.len() >= 3 && path.first() == Some(&"services");
    if in_service && LIST_OR_MAP.contains(&key) {
        return merge_maps(path, to_map(base), to_map(over));
    }
    if in_service && REPLACED.contains(&key) {
        return over;
    }
    match (base.kind, over.kind) {
        (Kind::Map(b), Kind::Map(o)) => merge_maps(
            path,
            Node {
                pos: base.pos,
                kind: Kind::Map(b),
            },
            Node {
                pos: over.pos,
                kind: Kind::Map(o),
            },
        ),
        (Kind::Seq(mut b), Kind::Seq(o)) => {
            let by_target = in_service && path.len() == 3 && BY_TARGET.contains(&key);
            for item in o {
                if by_target {
                    let t = target_of(&item);
                    if let Some(slot) = b.iter_mut().find(|x| t.is_some() && target_of(x) == t) {
                        *slot = item;
                        continue;
                    }
                } else if item.as_scalar().is_some()
                    && b.iter().any(|x| x.as_scalar() == item.as_scalar())
                {
                    continue;
                }
                b.push(item);
            }
            Node {
                pos: over.pos,
                kind: Kind::Seq(b),
            }
        }
        (_, Kind::Null) if matches!(key, "services" | "volumes" | "networks") => {
            // `service: ` with nothing after it keeps the base
            Node {
                pos: base.pos,
                kind: Kind::Null,
            }
        }
        (_, ok) => Node {
            pos: over.pos,
            kind: ok,
        },
    }
}

fn merge_maps(path: &[&str], base: Node, over: Node) -> Node {
    let pos = over.pos;
    let mut entries = match base.kind {
        Kind::Map(e) => e,
        _ => Vec::new(),
    };
    let over_entries = match over.kind {
        Kind::Map(e) => e,
        other => return Node { pos, kind: other },
    };
    for (k, v) in over_entries {
        let name = k.as_scalar().unwrap_or_default();
        if let Some(slot) = entries
            .iter_mut()
            .find(|(bk, _)| bk.as_scalar().as_deref() == Some(&name))
        {
            let mut sub: Vec<&str> = path.to_vec();
            sub.push(&name);
            let old = std::mem::replace(
                &mut slot.1,
                Node {
                    pos,
                    kind: Kind::Null,
                },
            );
            let merged = if v.is_null() && !old.is_null() {
                old
            } else {
                merge(&sub, old, v)
            };
            *slot = (k, merged);
        } else {
            entries.push((k, v));
        }
    }
    Node {
        pos,
        kind: Kind::Map(entries),
    }
}

/// `["A=1", "B"]` → `{A: "1", B: null}`; a mapping stays as it is.
pub fn to_map(n: Node) -> Node {
    match n.kind {
        Kind::Seq(items) => {
            let entries = items
                .into_iter()
                .filter_map(|it| {
                    let s = it.as_scalar()?;
                    let (k, v) = match s.split_once('=') {
                        Some((k, v)) => (k.trim().to_string(), Some(v.to_string())),
                        None => (s.clone(), None),
                    };
                    let key = Node::synthetic(Kind::Str(k), it.pos);
                    let val = Node::synthetic(v.map_or(Kind::Null, Kind::Str), it.pos);
                    Some((key, val))
                })
                .collect();
            Node {
                pos: n.pos,
                kind: Kind::Map(entries),
            }
        }
        other => Node {
            pos: n.pos,
            kind: other,
        },
    }
}

/// The container-side path of a mount/device/secret item.
fn target_of(item: &Node) -> Option<String> {
    if let Some(s) = item.as_scalar() {
        let parts: Vec<&str> = s.split(':').collect();
        return match parts.len() {
            1 => parts.first().map(|p| p.to_string()),
            _ => parts.get(1).map(|p| p.to_string()),
        };
    }
    item.get("target")
        .or_else(|| item.get("source"))
        .and_then(Node::as_scalar)
}

#[cfg(test)]
mod tests {
    use super::super::node::parse;
    use super::*;

    #[test]
    fn override_file_wins_and_keeps_its_own_position() {
        let a = parse("services:\n  web:\n    image: a\n    privileged: false\n    environment: [X=1, Y=2]\n    ports: [\"80\"]\n    command: [a, b]\n    volumes: [\"v:/data\"]\n", 0).unwrap();
        let b = parse("services:\n  web:\n    privileged: true\n    environment: {Y: \"3\"}\n    ports: [\"81\"]\n    command: [c]\n    volumes: [\"/etc:/data\"]\n", 1).unwrap();
        let m = merge_documents(a, b);
        let web = m.get("services").unwrap().get("web").unwrap();
        assert_eq!(web.get("image").unwrap().as_scalar().as_deref(), Some("a"));
        let p = web.get("privileged").unwrap();
        assert_eq!((p.as_bool(), p.pos.file, p.pos.line), (Some(true), 1, 3));
        let env = web.get("environment").unwrap();
        assert_eq!(env.get("X").unwrap().as_scalar().as_deref(), Some("1"));
        assert_eq!(env.get("Y").unwrap().as_scalar().as_deref(), Some("3"));
        assert_eq!(web.get("ports").unwrap().items().len(), 2);
        assert_eq!(web.get("command").unwrap().items().len(), 1);
        let vols = web.get("volumes").unwrap().items();
        assert_eq!(vols.len(), 1, "same target replaced");
        assert_eq!(vols[0].as_scalar().as_deref(), Some("/etc:/data"));
        assert_eq!(vols[0].pos.file, 1);
    }
}
