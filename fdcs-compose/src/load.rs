//! Finding, reading, interpolating and merging the files of one project.

use super::files::Files;
use super::interp::{interpolate, Miss, Vars};
use super::merge::merge_documents;
use super::node::{parse, Kind, Node, Pos};
use std::path::{Path, PathBuf};

/// One file read from disk, kept for snippets in reports.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as shown to the user.
    pub path: String,
    /// The whole text.
    pub text: String,
}

/// A compose project: its merged, interpolated document.
#[derive(Debug, Clone)]
pub struct Project {
    /// Project name, as compose derives it (used in engine-side names).
    pub name: String,
    /// The merged document.
    pub doc: Node,
    /// Variables that did not resolve.
    pub misses: Vec<Miss>,
    /// The project directory, absolute when it exists: relative host paths
    /// resolve against it, as in compose.
    pub dir: PathBuf,
    /// The variables it was interpolated with (the environment and `.env`):
    /// `environment: [KEY]` and `~` read them, as compose does.
    pub vars: Vars,
    /// The active profiles (`--profile`, else `COMPOSE_PROFILES`).
    pub profiles: Vec<String>,
    /// Services left out because none of their `profiles:` is active: `up`
    /// sends nothing for them, so they are not in `doc` and not linted.
    pub inactive: Vec<String>,
    /// Their definitions (key and value): compose still creates the
    /// networks they name.
    pub inactive_defs: Vec<(Node, Node)>,
}

/// Why a project could not be loaded (exit code 2).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}:{line}:{col}: {message}")]
pub struct LoadError {
    /// The file.
    pub path: String,
    /// 1-based line (0: not known).
    pub line: u32,
    /// 1-based column (0: not known).
    pub col: u32,
    /// What went wrong.
    pub message: String,
}

impl LoadError {
    fn io(path: &Path, e: impl std::fmt::Display) -> Self {
        LoadError {
            path: path.display().to_string(),
            line: 0,
            col: 0,
            message: e.to_string(),
        }
    }

    /// An error at a node of one of the project's files.
    pub(crate) fn at(sources: &[Source], pos: Pos, message: String) -> Self {
        LoadError {
            path: sources
                .get(pos.file)
                .map(|s| s.path.clone())
                .unwrap_or_default(),
            line: pos.line,
            col: pos.col,
            message,
        }
    }
}

/// A version 1 file (no `version:`, no `services:`: every top-level key is
/// a service, as docker-compose 1.29 still reads it) as the `services:` of
/// a later format, so each service is judged; a v1 file linted as a v3 one
/// had no services at all, and was clean whatever it held.
fn v1_as_services(node: Node) -> Node {
    let later = [
        "version", "services", "networks", "volumes", "secrets", "configs", "name", "include",
    ]
    .iter()
    .any(|k| node.get(k).is_some());
    if later || node.entries().is_empty() {
        return node;
    }
    let key = Node::synthetic(Kind::Str("services".into()), node.pos);
    Node::synthetic(Kind::Map(vec![(key, node.clone())]), node.pos)
}

/// A path as reports show it: `./a.yml` is `a.yml`.
pub(crate) fn shown(path: &Path) -> String {
    let shown = path.display().to_string();
    shown
        .strip_prefix("./")
        .map(str::to_string)
        .unwrap_or(shown)
}

/// Keeps one file's text in `sources` (for snippets in reports) and parses
/// it; a YAML error, or a document that is neither empty nor a mapping, is
/// an error at its place.
pub(crate) fn parse_file(
    path: String,
    text: String,
    sources: &mut Vec<Source>,
) -> Result<Node, LoadError> {
    let i = sources.len();
    sources.push(Source {
        path: path.clone(),
        text,
    });
    let src = sources.get(i).map(|s| s.text.as_str()).unwrap_or("");
    let node = parse(src, i).map_err(|e| LoadError {
        path: path.clone(),
        line: e.line,
        col: e.col,
        message: e.message,
    })?;
    if !node.is_null() && node.entries().is_empty() {
        return Err(LoadError {
            path,
            line: node.pos.line,
            col: node.pos.col,
            message: "a compose file must be a mapping".into(),
        });
    }
    Ok(node)
}

/// Compose file names looked up in a directory, in compose's order.
const CANDIDATES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The files a directory stands for: its compose file and the matching override.
pub fn discover(dir: &Path, files: &dyn Files) -> Result<Vec<PathBuf>, LoadError> {
    for name in CANDIDATES {
        let p = dir.join(name);
        if files.is_file(&p) {
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name, "yml"));
            let over = dir.join(format!("{stem}.override.{ext}"));
            let mut out = vec![p];
            if files.is_file(&over) {
                out.push(over);
            }
            return Ok(out);
        }
    }
    Err(LoadError::io(dir, "no compose file here (looked for compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml)"))
}

/// Options that shape interpolation and what `up` would start.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--env-file`: replaces the project's `.env`.
    pub env_file: Option<PathBuf>,
    /// The process environment.
    pub env: Vec<(String, String)>,
    /// `--profile` (repeatable): the active profiles, replacing
    /// `COMPOSE_PROFILES` as compose's flag does; empty: the variable's.
    pub profiles: Vec<String>,
}

/// The directory of the first compose file, against which compose resolves
/// relative paths: `.` for a bare file name (`compose.yml`), whose
/// `parent()` is empty.
pub fn project_dir(first: &Path) -> PathBuf {
    match first.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Loads the given files as one project (later files override earlier ones).
pub fn load(
    paths: &[PathBuf],
    opts: &LoadOptions,
    files: &dyn Files,
    sources: &mut Vec<Source>,
) -> Result<Project, LoadError> {
    let first = paths
        .first()
        .ok_or_else(|| LoadError::io(Path::new("."), "no compose file given"))?;
    let dir = project_dir(first);
    let dotenv_path = opts.env_file.clone().unwrap_or_else(|| dir.join(".env"));
    let dotenv = match files.read(&dotenv_path) {
        Ok(t) => Some(t),
        Err(e) if opts.env_file.is_some() => return Err(LoadError::io(&dotenv_path, e)),
        Err(_) => None,
    };
    let vars = Vars::new(opts.env.iter().cloned(), dotenv.as_deref());
    let mut texts = Vec::new();
    for f in paths {
        let text = files.read(f).map_err(|e| LoadError::io(f, e))?;
        let shown = f.display().to_string();
        texts.push((
            shown
                .strip_prefix("./")
                .map(str::to_string)
                .unwrap_or(shown),
            text,
        ));
    }
    from_texts_with(texts, vars.clone(), &dir, files, sources, &opts.profiles)
}

/// Builds a project from file contents already in memory (also used for
/// compose snippets in policy test suites); the active profiles are
/// `COMPOSE_PROFILES`'s.
pub fn from_texts(
    texts: Vec<(String, String)>,
    vars: &Vars,
    dir: &Path,
    files: &dyn Files,
    sources: &mut Vec<Source>,
) -> Result<Project, LoadError> {
    from_texts_with(texts, vars.clone(), dir, files, sources, &[])
}

/// [`from_texts`] with `--profile`s (empty: `COMPOSE_PROFILES`'s).
pub fn from_texts_with(
    texts: Vec<(String, String)>,
    vars: Vars,
    dir: &Path,
    files: &dyn Files,
    sources: &mut Vec<Source>,
    profiles: &[String],
) -> Result<Project, LoadError> {
    let vars = &vars;
    let top: Vec<PathBuf> = texts
        .iter()
        .map(|(p, _)| {
            let name = Path::new(p)
                .file_name()
                .map_or_else(|| PathBuf::from(p), PathBuf::from);
            super::include::clean(&dir.join(name))
        })
        .collect();
    let mut doc: Option<Node> = None;
    let mut misses = Vec::new();
    for (path, text) in texts {
        let mut node = v1_as_services(parse_file(path, text, sources)?);
        misses.extend(interpolate(&mut node, vars));
        doc = Some(match doc {
            None => node,
            Some(base) => merge_documents(base, node),
        });
    }
    let mut doc = doc.ok_or_else(|| LoadError::io(dir, "no compose file given"))?;
    let abs = files.canonical(dir).unwrap_or_else(|| dir.to_path_buf());
    let cx = super::include::Cx {
        files,
        vars,
        main_abs: &abs,
    };
    let mut stack = top;
    super::include::resolve(&mut doc, dir, &cx, sources, &mut misses, &mut stack)?;
    super::extends::resolve(&mut doc, dir, vars, files, sources, &mut misses)?;
    let active = super::profiles::active(Some(profiles), vars);
    let inactive_defs = super::profiles::apply(&mut doc, &active, sources)?;
    let inactive = inactive_defs
        .iter()
        .filter_map(|(k, _)| k.as_scalar())
        .collect();
    let name = project_name(&doc, vars, &abs);
    Ok(Project {
        name,
        doc,
        misses,
        dir: abs,
        vars: vars.clone(),
        profiles: active,
        inactive,
        inactive_defs,
    })
}

/// `name:` (compose spec), `COMPOSE_PROJECT_NAME`, else the directory's name,
/// lower-cased with everything but `[a-z0-9_-]` dropped, as compose 1.29 does.
fn project_name(doc: &Node, vars: &Vars, dir: &Path) -> String {
    let raw = doc
        .get("name")
        .and_then(Node::as_scalar)
        .or_else(|| vars.lookup("COMPOSE_PROJECT_NAME").map(str::to_string))
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let clean: String = raw
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        .collect();
    if clean.is_empty() {
        "default".to_string()
    } else {
        clean
    }
}
