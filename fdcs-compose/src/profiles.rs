//! `profiles:`: which services `up` starts, as docker-compose 1.29 decides.
//!
//! A service without `profiles:` always starts; one with `profiles:` starts
//! only when one of them is active. The active profiles are the
//! `--profile` flags, else `COMPOSE_PROFILES` (comma-separated, from the
//! environment or `.env`) — the flags replace the variable, they do not add
//! to it (compose's `get_profiles_from_options`). A started service that
//! depends on one left out (`depends_on`, `links`, `volumes_from`,
//! `network_mode`/`pid`/`ipc: service:x`) is an error compose refuses the
//! project with, so it is a load error here too.
//!
//! `*` activates every profile, as in docker compose v2 (1.29 knows no
//! wildcard): `--profile '*'` lints every service, whatever a deployment's
//! environment turns on.
//!
//! Services left out are removed from the document: lint judges what `up`
//! sends, and `up` sends nothing for them. Networks and volumes stay, as
//! compose creates them from the whole file.

use super::interp::Vars;
use super::load::{LoadError, Source};
use super::node::{Kind, Node, Pos};

/// The active profiles: `given` (`--profile`), else `COMPOSE_PROFILES`.
pub(crate) fn active(given: Option<&[String]>, vars: &Vars) -> Vec<String> {
    match given {
        Some(g) if !g.is_empty() => g.to_vec(),
        _ => vars
            .lookup("COMPOSE_PROFILES")
            .filter(|s| !s.is_empty())
            .map(|s| s.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
    }
}

/// Whether `up` starts the service with these profiles active.
fn enabled(svc: &Node, active: &[String]) -> bool {
    let Some(p) = svc.get("profiles") else {
        return true;
    };
    if active.iter().any(|a| a == "*") {
        return true;
    }
    p.items()
        .iter()
        .filter_map(Node::as_scalar)
        .any(|name| active.contains(&name))
}

/// The services a service needs started first, each with where it says so.
fn dependencies(svc: &Node) -> Vec<(String, Pos)> {
    let mut out = Vec::new();
    if let Some(d) = svc.get("depends_on") {
        for it in d.items() {
            if let Some(s) = it.as_scalar() {
                out.push((s, it.pos));
            }
        }
        for (k, _) in d.entries() {
            if let Some(s) = k.as_scalar() {
                out.push((s, k.pos));
            }
        }
    }
    for it in svc.get("links").map(Node::items).unwrap_or_default() {
        if let Some(s) = it.as_scalar() {
            let name = s.split_once(':').map_or(s.as_str(), |(a, _)| a).to_string();
            out.push((name, it.pos));
        }
    }
    for it in svc.get("volumes_from").map(Node::items).unwrap_or_default() {
        if let Some(s) = it.as_scalar().filter(|s| !s.starts_with("container:")) {
            let name = s.split_once(':').map_or(s.as_str(), |(a, _)| a).to_string();
            out.push((name, it.pos));
        }
    }
    for key in ["network_mode", "pid", "ipc"] {
        if let Some(v) = svc.get(key) {
            if let Some(other) = v
                .as_scalar()
                .and_then(|s| s.strip_prefix("service:").map(str::to_string))
            {
                out.push((other, v.pos));
            }
        }
    }
    out
}

/// Removes the services the active profiles leave out; returns them (key
/// and definition: compose still creates the networks they name).
pub(crate) fn apply(
    doc: &mut Node,
    active: &[String],
    sources: &[Source],
) -> Result<Vec<(Node, Node)>, LoadError> {
    let Some(services) = doc.get("services") else {
        return Ok(Vec::new());
    };
    let on = |name: &str| services.get(name).is_none_or(|s| enabled(s, active));
    for (k, svc) in services.entries() {
        let name = k.as_scalar().unwrap_or_default();
        if !enabled(svc, active) {
            continue;
        }
        if let Some((dep, pos)) = dependencies(svc).into_iter().find(|(d, _)| !on(d)) {
            return Err(LoadError::at(
                sources,
                pos,
                format!(
                    "service `{dep}` was pulled in as a dependency of service `{name}` but is not \
                     enabled by the active profiles: add a common profile to `{dep}` and `{name}`, \
                     or activate one of `{dep}`'s with --profile"
                ),
            ));
        }
    }
    let mut left_out = Vec::new();
    if let Some(Kind::Map(entries)) = doc.get_mut("services").map(|s| &mut s.kind) {
        let (keep, out): (Vec<_>, Vec<_>) = std::mem::take(entries)
            .into_iter()
            .partition(|(_, svc)| enabled(svc, active));
        *entries = keep;
        left_out = out;
    }
    Ok(left_out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::parse;

    fn run(yaml: &str, active: &[&str]) -> Result<(Vec<String>, Vec<String>), LoadError> {
        let mut doc = parse(yaml, 0).unwrap();
        let sources = vec![Source {
            path: "c.yml".into(),
            text: yaml.into(),
        }];
        let active: Vec<String> = active.iter().map(|s| s.to_string()).collect();
        let out = apply(&mut doc, &active, &sources)?
            .iter()
            .map(|(k, _)| k.as_scalar().unwrap())
            .collect();
        let kept = doc
            .get("services")
            .unwrap()
            .entries()
            .iter()
            .map(|(k, _)| k.as_scalar().unwrap())
            .collect();
        Ok((kept, out))
    }

    #[test]
    fn only_services_of_an_active_profile_or_of_none_start() {
        let y = "services:\n  app: {image: a}\n  dbg: {image: a, profiles: [debug]}\n  tools: {image: a, profiles: [tools, debug]}\n  never: {image: a, profiles: []}\n";
        let (kept, out) = run(y, &[]).unwrap();
        assert_eq!(
            (kept, out),
            (
                vec!["app".into()],
                vec!["dbg".into(), "tools".into(), "never".into()]
            )
        );
        let (kept, _) = run(y, &["debug"]).unwrap();
        assert_eq!(kept, ["app", "dbg", "tools"]);
        let (kept, _) = run(y, &["tools"]).unwrap();
        assert_eq!(kept, ["app", "tools"]);
        let (kept, out) = run(y, &["*"]).unwrap();
        assert_eq!(kept, ["app", "dbg", "tools", "never"]);
        assert!(out.is_empty());
    }

    #[test]
    fn a_dependency_left_out_is_an_error_at_the_reference() {
        let y = "services:\n  app:\n    image: a\n    depends_on: [db]\n  db: {image: a, profiles: [db]}\n";
        let e = run(y, &[]).unwrap_err();
        assert_eq!((e.line, e.col), (4, 18), "{e}");
        assert!(e.message.contains("`db`"), "{e}");
        assert!(run(y, &["db"]).is_ok());
        let y = "services:\n  app:\n    image: a\n    network_mode: service:vpn\n  vpn: {image: a, profiles: [vpn]}\n";
        let e = run(y, &[]).unwrap_err();
        assert_eq!((e.line, e.col), (4, 19), "{e}");
        // a left-out service may depend on anything
        let y = "services:\n  dbg:\n    image: a\n    profiles: [x]\n    links: [other]\n  other: {image: a, profiles: [y]}\n";
        assert!(run(y, &[]).is_ok());
    }

    #[test]
    fn flags_replace_compose_profiles() {
        let vars = Vars::new(vec![("COMPOSE_PROFILES".into(), "a,b".into())], None);
        assert_eq!(active(None, &vars), ["a", "b"]);
        assert_eq!(active(Some(&["c".into()]), &vars), ["c"]);
        assert_eq!(active(Some(&[]), &vars), ["a", "b"]);
        assert!(active(None, &Vars::new(Vec::new(), None)).is_empty());
    }
}
