//! `extends:`: a service built on another one, in the same file or in
//! another file (`extends: {file: common.yml, service: base}`), merged with
//! the same rules as `-f` files: the extending service's own keys win.
//!
//! Resolved after interpolation and merging, before any check, so a
//! privileged base service is found in every service that extends it, and
//! findings point into the file that set the value.

use super::files::Files;
use super::interp::{interpolate, Miss, Vars};
use super::load::{LoadError, Source};
use super::merge::merge_documents;
use super::node::{Kind, Node};
use std::path::Path;

/// How deep `extends` chains may go (compose itself rejects cycles).
const MAX_DEPTH: usize = 8;

/// Replaces every service that `extends` another by the merge of the two.
pub(crate) fn resolve(
    doc: &mut Node,
    dir: &Path,
    vars: &Vars,
    files: &dyn Files,
    sources: &mut Vec<Source>,
    misses: &mut Vec<Miss>,
) -> Result<(), LoadError> {
    let names: Vec<String> = doc
        .get("services")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, _)| k.as_scalar())
        .collect();
    for name in names {
        let Some(svc) = doc.get("services").and_then(|s| s.get(&name)).cloned() else {
            continue;
        };
        let resolved = extend(doc, svc, &Cx { dir, vars, files }, sources, misses, 0)?;
        if let Some(Kind::Map(entries)) = doc.get_mut("services").map(|s| &mut s.kind) {
            if let Some(slot) = entries
                .iter_mut()
                .find(|(k, _)| k.as_scalar().as_deref() == Some(name.as_str()))
            {
                slot.1 = resolved;
            }
        }
    }
    Ok(())
}

/// What a base in another file is read and interpolated with.
struct Cx<'a> {
    dir: &'a Path,
    vars: &'a Vars,
    files: &'a dyn Files,
}

fn extend(
    doc: &Node,
    svc: Node,
    cx: &Cx<'_>,
    sources: &mut Vec<Source>,
    misses: &mut Vec<Miss>,
    depth: usize,
) -> Result<Node, LoadError> {
    let Some((ek, ext)) = svc.entry("extends").map(|(k, v)| (k.clone(), v.clone())) else {
        return Ok(svc);
    };
    let err_path = sources
        .get(ek.pos.file)
        .map(|s| s.path.clone())
        .unwrap_or_default();
    let err = |message: String| LoadError {
        path: err_path.clone(),
        line: ek.pos.line,
        col: ek.pos.col,
        message,
    };
    if depth >= MAX_DEPTH {
        return Err(err("`extends` chain too deep (a cycle?)".into()));
    }
    let (file, base_name) = match ext.as_scalar() {
        Some(s) => (None, s),
        None => (
            ext.get("file").and_then(Node::as_scalar),
            ext.get("service")
                .and_then(Node::as_scalar)
                .unwrap_or_default(),
        ),
    };
    let base_doc = match file {
        None => doc.clone(),
        Some(f) => {
            let path = cx.dir.join(&f);
            let text = cx
                .files
                .read(&path)
                .map_err(|e| err(format!("cannot read `{f}`: {e}")))?;
            let mut node = super::load::parse_file(super::load::shown(&path), text, sources)?;
            misses.extend(interpolate(&mut node, cx.vars));
            node
        }
    };
    let Some(base) = base_doc
        .get("services")
        .and_then(|s| s.get(&base_name))
        .cloned()
    else {
        return Err(err(format!("`extends` names no service `{base_name}`")));
    };
    let base = extend(&base_doc, base, cx, sources, misses, depth + 1)?;
    // merge as documents so the service-level rules apply
    let wrap = |n: Node| {
        let pos = n.pos;
        let key = |s: &str| Node::synthetic(Kind::Str(s.into()), pos);
        Node::synthetic(
            Kind::Map(vec![(
                key("services"),
                Node::synthetic(Kind::Map(vec![(key("s"), n)]), pos),
            )]),
            pos,
        )
    };
    let mut own = svc;
    if let Kind::Map(entries) = &mut own.kind {
        entries.retain(|(k, _)| k.as_scalar().as_deref() != Some("extends"));
    }
    let merged = merge_documents(wrap(base), wrap(own));
    Ok(merged
        .get("services")
        .and_then(|s| s.get("s"))
        .cloned()
        .unwrap_or_else(|| Node::synthetic(Kind::Null, ek.pos)))
}

#[cfg(test)]
mod tests {
    use super::super::load::from_texts;
    use super::*;

    fn load(yaml: &str) -> Result<super::super::load::Project, LoadError> {
        let mut sources = Vec::new();
        from_texts(
            vec![("c.yml".into(), yaml.into())],
            &Vars::new(Vec::new(), None),
            Path::new("/nonexistent"),
            &crate::files::MemFiles::new(),
            &mut sources,
        )
    }

    #[test]
    fn a_service_inherits_what_it_does_not_override() {
        let p = load("services:\n  base:\n    image: x:1\n    privileged: true\n    cap_add: [A]\n  web:\n    extends: base\n    cap_add: [B]\n").unwrap();
        let web = p.doc.get("services").unwrap().get("web").unwrap();
        assert_eq!(web.get("privileged").and_then(Node::as_bool), Some(true));
        assert_eq!(
            web.get("privileged").unwrap().pos.line,
            4,
            "points at the base's line"
        );
        assert_eq!(web.get("cap_add").unwrap().items().len(), 2);
        assert!(web.get("extends").is_none());
    }

    #[test]
    fn cycles_and_missing_bases_are_errors_with_a_position() {
        let e = load("services:\n  a:\n    extends: b\n  b:\n    extends: a\n").unwrap_err();
        assert_eq!((e.line, e.col), (3, 5), "{e}");
        let e = load("services:\n  a:\n    extends: {service: nope}\n").unwrap_err();
        assert!(e.message.contains("nope"), "{e}");
        let e =
            load("services:\n  a:\n    extends: {file: missing.yml, service: b}\n").unwrap_err();
        assert!(e.message.contains("missing.yml"), "{e}");
    }
}
