//! `include:` (Compose Specification, docker compose v2.20 and later;
//! docker-compose 1.29 does not know it): other compose files whose
//! services, networks, volumes, secrets and configs become the project's.
//!
//! ```yaml
//! include:
//!   - ../common/compose.yml             # short form
//!   - path: [db.yml, db.override.yml]  # long form: files merged as with -f
//!     project_directory: ../db         # their relative paths resolve here
//!     env_file: ../db/.env             # their variables (default: its .env)
//! ```
//!
//! As compose does it: paths are relative to the including file's project
//! directory and cleaned lexically (Go's `filepath.Join`, so `../../x`
//! climbs out of it); each included project is loaded on its own (its own
//! `include:`, its own `extends`, interpolated with the shell over its own
//! `.env`), its relative host paths made absolute against its own project
//! directory, then its resources are added. A resource the including
//! project already has is a conflict compose refuses (networks, volumes,
//! secrets and configs may repeat an identical definition); so is a cycle.
//! Every finding in an included file points into that file.

use super::files::Files;
use super::interp::{interpolate, Miss, Vars};
use super::load::{parse_file, project_dir, shown, LoadError, Source};
use super::merge::merge_documents;
use super::node::{Kind, Node, Pos};
use std::path::{Component, Path, PathBuf};

/// How deep includes may nest (a cycle is found before that; this bounds
/// the work a hostile tree of distinct files can ask for).
const MAX_DEPTH: usize = 16;

/// How many files one project may read in all (a tree of includes that
/// names the same files twice at every level would otherwise grow as 2^depth).
const MAX_FILES: usize = 256;

/// The resources an included project brings.
const SECTIONS: &[&str] = &["services", "networks", "volumes", "secrets", "configs"];

/// What every level of includes shares.
pub(crate) struct Cx<'a> {
    /// Where files are read from.
    pub(crate) files: &'a dyn Files,
    /// The shell's variables (each project adds its own `.env`).
    pub(crate) vars: &'a Vars,
    /// The main project's directory, absolute when known.
    pub(crate) main_abs: &'a Path,
}

/// Replaces the `include:` of `doc` (whose relative paths resolve against
/// `base`) by the resources of the files it names. `stack` holds the files
/// being loaded, outermost first, to refuse a cycle.
pub(crate) fn resolve(
    doc: &mut Node,
    base: &Path,
    cx: &Cx<'_>,
    sources: &mut Vec<Source>,
    misses: &mut Vec<Miss>,
    stack: &mut Vec<PathBuf>,
) -> Result<(), LoadError> {
    let Some((key, list)) = take(doc, "include") else {
        return Ok(());
    };
    let items: Vec<Node> = match list.kind {
        Kind::Seq(items) => items,
        Kind::Null => Vec::new(),
        _ => {
            return Err(LoadError::at(
                sources,
                key.pos,
                "`include` must be a list of paths or of mappings with `path`".into(),
            ))
        }
    };
    for item in items {
        let spec = Spec::of(&item, sources)?;
        let paths: Vec<PathBuf> = spec.paths.iter().map(|p| clean(&base.join(p))).collect();
        let Some(first) = paths.first() else {
            return Err(LoadError::at(
                sources,
                item.pos,
                "`include` item names no file".into(),
            ));
        };
        let dir = spec
            .project_directory
            .as_ref()
            .map_or_else(|| project_dir(first), |d| clean(&base.join(d)));
        for p in &paths {
            if let Some(i) = stack.iter().position(|s| s == p) {
                let chain: Vec<String> = stack
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .chain(std::iter::once(p))
                    .map(|s| s.display().to_string())
                    .collect();
                return Err(LoadError::at(
                    sources,
                    item.pos,
                    format!("`include` cycle: {}", chain.join(" → ")),
                ));
            }
        }
        if sources.len() + paths.len() > MAX_FILES {
            return Err(LoadError::at(
                sources,
                item.pos,
                format!("`include` reads more than {MAX_FILES} files"),
            ));
        }
        if stack.len() >= MAX_DEPTH {
            return Err(LoadError::at(
                sources,
                item.pos,
                format!("`include` nested deeper than {MAX_DEPTH} files"),
            ));
        }
        let vars = env(&spec, base, &dir, cx, sources, item.pos)?;
        let mut included: Option<Node> = None;
        for p in &paths {
            let text = cx.files.read(p).map_err(|e| {
                LoadError::at(
                    sources,
                    item.pos,
                    format!("cannot read included `{}`: {e}", p.display()),
                )
            })?;
            let node = load_one(p, text, &vars, sources, misses)?;
            included = Some(match included {
                None => node,
                Some(b) => merge_documents(b, node),
            });
        }
        let Some(mut inc) = included else { continue };
        stack.extend(paths.iter().cloned());
        let nested = resolve(&mut inc, &dir, cx, sources, misses, stack);
        stack.truncate(stack.len() - paths.len());
        nested?;
        super::extends::resolve(&mut inc, &dir, &vars, cx.files, sources, misses)?;
        let abs = cx.files.canonical(&dir).unwrap_or_else(|| {
            if dir.is_absolute() {
                dir.clone()
            } else {
                clean(&cx.main_abs.join(&dir))
            }
        });
        rebase(&mut inc, &abs);
        add(doc, inc, sources)?;
    }
    Ok(())
}

/// One `include:` item.
struct Spec {
    paths: Vec<String>,
    project_directory: Option<String>,
    env_files: Vec<String>,
}

impl Spec {
    fn of(item: &Node, sources: &[Source]) -> Result<Spec, LoadError> {
        if let Some(s) = item.as_scalar() {
            return Ok(Spec {
                paths: vec![s],
                project_directory: None,
                env_files: Vec::new(),
            });
        }
        let strings = |n: Option<&Node>| -> Vec<String> {
            match n {
                Some(n) => match n.as_scalar() {
                    Some(s) => vec![s],
                    None => n.items().iter().filter_map(Node::as_scalar).collect(),
                },
                None => Vec::new(),
            }
        };
        if item.entries().is_empty() || item.get("path").is_none() {
            return Err(LoadError::at(
                sources,
                item.pos,
                "an `include` item is a path or a mapping with `path`".into(),
            ));
        }
        Ok(Spec {
            paths: strings(item.get("path")),
            project_directory: item.get("project_directory").and_then(Node::as_scalar),
            env_files: strings(item.get("env_file")),
        })
    }
}

/// The included project's variables: the shell over its `env_file`s (each
/// must exist), else over its project directory's `.env` (if any).
fn env(
    spec: &Spec,
    base: &Path,
    dir: &Path,
    cx: &Cx<'_>,
    sources: &[Source],
    pos: Pos,
) -> Result<Vars, LoadError> {
    if spec.env_files.is_empty() {
        return Ok(cx
            .vars
            .with_dotenv(cx.files.read(&dir.join(".env")).ok().as_deref()));
    }
    let mut text = String::new();
    for f in &spec.env_files {
        let p = clean(&base.join(f));
        let t = cx.files.read(&p).map_err(|e| {
            LoadError::at(
                sources,
                pos,
                format!("cannot read `env_file` `{}`: {e}", p.display()),
            )
        })?;
        text.push_str(&t);
        text.push('\n');
    }
    Ok(cx.vars.with_dotenv(Some(&text)))
}

/// Reads, parses and interpolates one included file.
fn load_one(
    path: &Path,
    text: String,
    vars: &Vars,
    sources: &mut Vec<Source>,
    misses: &mut Vec<Miss>,
) -> Result<Node, LoadError> {
    let mut node = parse_file(shown(path), text, sources)?;
    misses.extend(interpolate(&mut node, vars));
    Ok(node)
}

/// Adds the included resources to `doc`; a name both define is a conflict
/// (for anything but a service, unless both define it alike).
fn add(doc: &mut Node, inc: Node, sources: &[Source]) -> Result<(), LoadError> {
    let Kind::Map(inc) = inc.kind else {
        return Ok(());
    };
    for (sk, section) in inc {
        let name = sk.as_scalar().unwrap_or_default();
        if !SECTIONS.contains(&name.as_str()) {
            continue;
        }
        let Kind::Map(entries) = section.kind else {
            continue;
        };
        if doc.get(&name).is_none_or(Node::is_null) {
            if let Kind::Map(top) = &mut doc.kind {
                top.retain(|(k, _)| k.as_scalar().as_deref() != Some(name.as_str()));
                top.push((sk.clone(), Node::synthetic(Kind::Map(Vec::new()), sk.pos)));
            }
        }
        let Some(target) = doc.get_mut(&name) else {
            continue;
        };
        let Kind::Map(have) = &mut target.kind else {
            continue;
        };
        for (k, v) in entries {
            let key = k.as_scalar().unwrap_or_default();
            if let Some((hk, hv)) = have
                .iter()
                .find(|(hk, _)| hk.as_scalar().as_deref() == Some(key.as_str()))
            {
                if name == "services" || !same(hv, &v) {
                    let what = name.trim_end_matches('s');
                    let other = sources
                        .get(k.pos.file)
                        .map(|s| s.path.as_str())
                        .unwrap_or("");
                    return Err(LoadError::at(
                        sources,
                        hk.pos,
                        format!(
                            "{what} `{key}` is also defined by included `{other}` ({}:{}): \
                             compose refuses the conflict; rename one of them",
                            k.pos.line, k.pos.col
                        ),
                    ));
                }
                continue;
            }
            have.push((k, v));
        }
    }
    Ok(())
}

/// Two definitions alike, wherever they stand.
fn same(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (Kind::Seq(x), Kind::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Kind::Map(x), Kind::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1.as_scalar() == k2.as_scalar() && same(v1, v2))
        }
        (x, y) => x == y,
    }
}

/// Makes the included project's relative host paths absolute against its
/// own directory: short and long bind mounts, `build` contexts, secret and
/// config files. (The main project's stay relative: the engine resolves
/// them against its directory.)
fn rebase(doc: &mut Node, dir: &Path) {
    let abs = |s: &str| clean(&dir.join(s)).display().to_string();
    if let Some(Kind::Map(services)) = doc.get_mut("services").map(|s| &mut s.kind) {
        for (_, svc) in services.iter_mut() {
            if let Some(Kind::Seq(vols)) = svc.get_mut("volumes").map(|v| &mut v.kind) {
                for v in vols.iter_mut() {
                    match &mut v.kind {
                        Kind::Str(s) => {
                            if let Some((src, rest)) = s.split_once(':') {
                                if src.starts_with('.') {
                                    *s = format!("{}:{rest}", abs(src));
                                }
                            }
                        }
                        Kind::Map(_) => {
                            let bind =
                                v.get("type").and_then(Node::as_scalar).as_deref() == Some("bind");
                            if let Some(Kind::Str(src)) = v.get_mut("source").map(|n| &mut n.kind) {
                                if bind && !src.starts_with('/') && !src.starts_with('~') {
                                    *src = abs(src);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            if let Some(b) = svc.get_mut("build") {
                let ctx = match &mut b.kind {
                    Kind::Str(s) => Some(s),
                    Kind::Map(_) => match b.get_mut("context").map(|c| &mut c.kind) {
                        Some(Kind::Str(s)) => Some(s),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(s) = ctx.filter(|s| !s.starts_with('/') && !s.contains("://")) {
                    *s = abs(s);
                }
            }
        }
    }
    for section in ["secrets", "configs"] {
        if let Some(Kind::Map(defs)) = doc.get_mut(section).map(|s| &mut s.kind) {
            for (_, def) in defs.iter_mut() {
                if let Some(Kind::Str(f)) = def.get_mut("file").map(|n| &mut n.kind) {
                    if !f.starts_with('/') {
                        *f = abs(f);
                    }
                }
            }
        }
    }
}

/// Removes `key` from a mapping, returning its key and value nodes.
fn take(doc: &mut Node, key: &str) -> Option<(Node, Node)> {
    let Kind::Map(entries) = &mut doc.kind else {
        return None;
    };
    let i = entries
        .iter()
        .rposition(|(k, _)| k.as_scalar().as_deref() == Some(key))?;
    let taken = entries.remove(i);
    entries.retain(|(k, _)| k.as_scalar().as_deref() != Some(key));
    Some(taken)
}

/// `a/b/../c` → `a/c`, lexically, as Go's `filepath.Clean` (which
/// `filepath.Join` applies): `..` above the root stays at the root, `..`
/// at the start of a relative path stays.
pub(crate) fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                None | Some(Component::ParentDir) => out.push(".."),
                Some(Component::RootDir | Component::Prefix(_)) => {}
                Some(_) => {
                    out.pop();
                }
            },
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_cleaned_as_go_does() {
        assert_eq!(
            clean(Path::new("/srv/app/../../etc/x")),
            Path::new("/etc/x")
        );
        assert_eq!(clean(Path::new("/../..")), Path::new("/"));
        assert_eq!(clean(Path::new("./a/./b/..")), Path::new("a"));
        assert_eq!(clean(Path::new("../../x")), Path::new("../../x"));
        assert_eq!(clean(Path::new("a/..")), Path::new("."));
    }
}
