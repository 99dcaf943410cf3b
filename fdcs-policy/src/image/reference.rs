//! The reference grammar of `github.com/docker/distribution/reference`
//! (`ParseNormalizedNamed`, `ParseAnyReference`, `WithTag`, `WithDigest`,
//! `FamiliarString`) and the digest rules of `go-digest`, written out by
//! hand so that every decision is visible and nothing can panic.
//!
//! Where the moby 20.10 vendored copy (distribution v2.8) and the later
//! `github.com/distribution/reference` differ — an uppercase first component
//! and bracketed IPv6 hosts are domains in the later one, errors in 2.8 —
//! this module reads them as the later one does. No input that 2.8 accepts
//! is read differently: 2.8 refuses both forms, so the union is consistent
//! with either engine.

use std::fmt;

/// The registry of Docker Hub, as the engine writes it in a normalised name.
///
/// Needed because a name without a registry (`busybox`) means this one.
pub const DEFAULT_DOMAIN: &str = "docker.io";

/// The legacy spelling of Docker Hub, which the engine rewrites to
/// [`DEFAULT_DOMAIN`] (only when spelled exactly so).
pub(crate) const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";

/// The namespace of official images on Docker Hub (`busybox` is
/// `docker.io/library/busybox`).
const OFFICIAL_REPO_NAME: &str = "library";

/// The tag the engine adds to a name-only reference (`TagNameOnly`).
const DEFAULT_TAG: &str = "latest";

/// `NameTotalLengthMax`: the longest repository name (domain and path).
pub(crate) const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// How much of a refused input an error message repeats.
const MESSAGE_INPUT_MAX: usize = 100;

/// A named image reference, normalised as the engine normalises it.
///
/// Every decision about which registry the daemon contacts, and which image
/// it runs, is taken on this form, so that the proxy and the daemon read the
/// same name the same way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// The registry host, with `:port` when one is given: `docker.io` for
    /// Docker Hub (also when written `index.docker.io`), otherwise as
    /// written but ASCII-lowercased — except in the rare spellings where
    /// lowercasing would change how the name reads (`Foo/bar`, where only
    /// the uppercase makes `Foo` a host, and `DOCKER.IO/x`, which the
    /// engine does not treat as Docker Hub): those keep their spelling.
    /// Compare registries with [`registry_key`](super::registry_key).
    pub domain: String,
    /// The repository path inside the registry, e.g. `library/busybox`.
    pub path: String,
    /// The tag, when the reference has one.
    pub tag: Option<String>,
    /// The digest (`sha256:<hex>`), when the reference has one.
    pub digest: Option<String>,
}

/// A string the engine would refuse as an image reference, or that fdcs
/// cannot read with certainty.
///
/// Carries the input so that a denial can say what was refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("invalid reference format `{}`: {reason}", shorten(.input))]
pub struct ReferenceError {
    /// The refused input, whole.
    pub input: String,
    /// Why it was refused, in lowercase words.
    pub reason: String,
}

impl ReferenceError {
    fn new(input: &str, reason: impl Into<String>) -> Self {
        ReferenceError {
            input: input.to_string(),
            reason: reason.into(),
        }
    }
}

/// The input as a message repeats it: at most [`MESSAGE_INPUT_MAX`]
/// characters, so that a megabyte of garbage does not become a megabyte of
/// error.
fn shorten(input: &str) -> String {
    if input.chars().count() <= MESSAGE_INPUT_MAX {
        input.to_string()
    } else {
        let mut s: String = input.chars().take(MESSAGE_INPUT_MAX).collect();
        s.push('…');
        s
    }
}

/// What `ParseAnyReference` makes of a string: an image ID or a name.
///
/// Needed where the engine accepts either (`docker run <id>`, image inspect):
/// an ID names no registry, a name does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnyReference {
    /// A full image ID, as `sha256:<hex>` (or another digest the engine
    /// accepts, as written).
    Id(String),
    /// A named reference.
    Named(Reference),
}

impl Reference {
    /// Parses a reference as the engine's `ParseNormalizedNamed` does, with
    /// its optional tag and digest.
    ///
    /// The one departure: a first component that is read as a registry host
    /// but is not a valid one (`my.reg_x/app`) makes the engine's grammar
    /// fall back to a name with *no* registry at all; fdcs cannot tell which
    /// host the daemon would then contact, so it refuses the reference.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        let err = |reason: &str| ReferenceError::new(s, reason);
        if is_identifier(s) {
            return Err(err(
                "cannot specify 64-byte hexadecimal strings as a repository name",
            ));
        }
        if s.is_empty() {
            return Err(err("repository name must have at least one component"));
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote = remainder.split(':').next().unwrap_or_default();
        if remote.chars().any(char::is_uppercase) {
            return Err(err("repository name must be lowercase"));
        }
        if !is_domain(domain) {
            return Err(err(&format!(
                "`{}` is not a valid registry host",
                shorten(domain)
            )));
        }
        let (name_and_tag, digest) = match remainder.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (remainder.as_str(), None),
        };
        let (path, tag) = match name_and_tag.split_once(':') {
            Some((p, t)) => (p, Some(t)),
            None => (name_and_tag, None),
        };
        if !is_path(path) {
            return Err(err(&format!(
                "`{}` is not a valid repository path",
                shorten(path)
            )));
        }
        if let Some(t) = tag {
            if !is_tag(t) {
                return Err(err(&format!("`{}` is not a valid tag", shorten(t))));
            }
        }
        if let Some(d) = digest {
            if !is_digest(d) {
                return Err(err(&format!(
                    "`{}` is not a valid digest (sha256:<64 lowercase hex>)",
                    shorten(d)
                )));
            }
        }
        if domain.len() + 1 + path.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(err(&format!(
                "repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
            )));
        }
        Ok(Reference {
            domain: normalize_domain(domain),
            path: path.to_string(),
            tag: tag.map(str::to_string),
            digest: digest.map(str::to_string),
        })
    }

    /// The reference the daemon 20.10 pulls for `POST /images/create` with
    /// `fromImage` and `tag` (`ImageService.PullImage`).
    ///
    /// One trailing `:` of `fromImage` is dropped (`docker pull -a` sends
    /// `busybox:`); a non-empty `tag` that is a valid digest replaces both
    /// tag and digest (`WithDigest(TrimNamed(ref))`), any other `tag`
    /// replaces the tag and keeps a digest (`WithTag`). A result without tag
    /// and digest makes the daemon pull **every** tag of the repository.
    pub fn parse_pull(from_image: &str, tag: &str) -> Result<Reference, ReferenceError> {
        let image = from_image.strip_suffix(':').unwrap_or(from_image);
        let mut r = Reference::parse(image)?;
        if tag.is_empty() {
            return Ok(r);
        }
        if is_digest(tag) {
            r.tag = None;
            r.digest = Some(tag.to_string());
        } else if is_tag(tag) {
            r.tag = Some(tag.to_string());
        } else {
            return Err(ReferenceError::new(tag, "invalid tag format"));
        }
        Ok(r)
    }

    /// Parses what the engine's `ParseAnyReference` accepts: a full image ID
    /// (64 lowercase hex digits, or a digest such as `sha256:<hex>`) or a
    /// normalised name.
    pub fn parse_any(s: &str) -> Result<AnyReference, ReferenceError> {
        if is_identifier(s) {
            return Ok(AnyReference::Id(format!("sha256:{s}")));
        }
        if is_digest(s) {
            return Ok(AnyReference::Id(s.to_string()));
        }
        Reference::parse(s).map(AnyReference::Named)
    }

    /// `domain/path`: the repository name the engine stores tags under.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// `domain/path[:tag][@digest]`: the fully qualified reference, which
    /// parses back to this same reference.
    pub fn canonical(&self) -> String {
        let mut s = self.name();
        push_tag_and_digest(&mut s, self);
        s
    }

    /// The reference with tag `latest` when it has neither tag nor digest
    /// (`TagNameOnly`): what the daemon runs for a bare name.
    pub fn with_default_tag(&self) -> Reference {
        let mut r = self.clone();
        if r.is_name_only() {
            r.tag = Some(DEFAULT_TAG.to_string());
        }
        r
    }

    /// The short form the docker CLI shows (`FamiliarString`): `docker.io/`
    /// and then `library/` dropped for Docker Hub images; tag and digest
    /// kept.
    pub fn familiar(&self) -> String {
        let mut s = if self.domain == DEFAULT_DOMAIN {
            match self.path.split_once('/') {
                Some((OFFICIAL_REPO_NAME, rest)) if !rest.contains('/') => rest.to_string(),
                _ => self.path.clone(),
            }
        } else {
            self.name()
        };
        push_tag_and_digest(&mut s, self);
        s
    }

    /// Whether the reference has neither tag nor digest: a bare name, which
    /// `docker run` reads as `:latest` and a pull as *all tags*.
    pub fn is_name_only(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }

    /// This reference's registry identity, [`registry_key`](super::registry_key)
    /// of its domain; what allow-lists are compared with.
    pub fn registry_key(&self) -> String {
        super::registry_key(&self.domain)
    }
}

impl fmt::Display for Reference {
    /// Writes the [`canonical`](Reference::canonical) form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

fn push_tag_and_digest(s: &mut String, r: &Reference) {
    if let Some(t) = &r.tag {
        s.push(':');
        s.push_str(t);
    }
    if let Some(d) = &r.digest {
        s.push('@');
        s.push_str(d);
    }
}

/// Whether the daemon's `GetImage` could resolve `s` by searching image IDs
/// for a prefix (its last fallback, `imageStore.Search(refOrID)`).
///
/// That search (`digestset.Lookup`) matches a lowercase hex string against
/// the start of every image ID, and a string that `go-digest` reads as
/// `sha256:<something>` against the start of every sha256 ID — whatever
/// the length. So: true for a non-empty all-lowercase-hex string and for
/// anything starting with `sha256:`. It errs on the side of true: a caller
/// that must keep tenants from guessing other tenants' image IDs treats a
/// true answer as "may name an image by ID". The empty string is false:
/// `ParseAnyReference` refuses it before the search is reached.
pub fn may_be_id_prefix(s: &str) -> bool {
    s.starts_with("sha256:")
        || (!s.is_empty() && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// `splitDockerDomain`: the first component is a registry host when the
/// name has a `/` and that component has a `.` or a `:`, is `localhost`, or
/// is not all lowercase; otherwise the name is on Docker Hub, where a single
/// component gets `library/`.
pub(crate) fn split_docker_domain(name: &str) -> (&str, String) {
    let (domain, remainder) = match name.split_once('/') {
        Some((first, rest)) if reads_as_domain(first) => (first, rest),
        _ => (DEFAULT_DOMAIN, name),
    };
    let domain = if domain == LEGACY_DEFAULT_DOMAIN {
        DEFAULT_DOMAIN
    } else {
        domain
    };
    let remainder = if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        format!("{OFFICIAL_REPO_NAME}/{remainder}")
    } else {
        remainder.to_string()
    };
    (domain, remainder)
}

/// Whether `splitDockerDomain` takes this first component for a host.
pub(crate) fn reads_as_domain(first: &str) -> bool {
    first == "localhost"
        || first.contains(['.', ':'])
        || first
            .chars()
            .any(|c| c.to_lowercase().ne(std::iter::once(c)))
}

/// The domain as [`Reference::domain`] holds it: lowercased when the
/// lowercased spelling reads exactly as the written one (so that
/// [`Reference::canonical`] parses back to the same reference).
fn normalize_domain(written: &str) -> String {
    let lower = written.to_ascii_lowercase();
    if lower == written
        || (lower != DEFAULT_DOMAIN
            && lower != LEGACY_DEFAULT_DOMAIN
            && (lower == "localhost" || lower.contains(['.', ':'])))
    {
        lower
    } else {
        written.to_string()
    }
}

/// `anchoredIdentifierRegexp`: exactly 64 lowercase hex digits.
pub(crate) fn is_identifier(s: &str) -> bool {
    s.len() == 64 && is_lower_hex(s)
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A digest the engine accepts (`go-digest` `Parse`): one of the algorithms
/// it knows, with exactly its length of lowercase hex. Anything else that
/// the reference grammar would let through is refused by `Parse` anyway.
pub(crate) fn is_digest(s: &str) -> bool {
    let Some((algorithm, hex)) = s.split_once(':') else {
        return false;
    };
    let len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == len && is_lower_hex(hex)
}

/// `TagRegexp`: `[\w][\w.-]{0,127}`.
pub(crate) fn is_tag(s: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut bytes = s.bytes();
    s.len() <= 128
        && bytes.next().is_some_and(word)
        && bytes.all(|b| word(b) || b == b'.' || b == b'-')
}

/// `DomainRegexp` (with the bracketed IPv6 hosts of the later grammar):
/// dot-separated components of letters, digits and inner hyphens, or
/// `[hex and colons]`; then an optional `:digits` port.
pub(crate) fn is_domain(s: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = s.strip_prefix('[') {
        let Some((inner, after)) = rest.split_once(']') else {
            return false;
        };
        return !inner.is_empty()
            && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
            && (after.is_empty() || after.strip_prefix(':').is_some_and(digits));
    }
    let (host, port) = match s.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    port.is_none_or(digits) && host.split('.').all(is_domain_component)
}

/// `domainComponentRegexp`: `[a-zA-Z0-9]` or `[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
fn is_domain_component(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        }
        _ => false,
    }
}

/// One or more path components separated by `/`.
pub(crate) fn is_path(s: &str) -> bool {
    s.split('/').all(is_path_component)
}

/// `nameComponentRegexp`: runs of `[a-z0-9]` separated by exactly one of
/// `.`, `_`, `__` or one or more `-`.
pub(crate) fn is_path_component(s: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let b = s.as_bytes();
    if !(b.first().is_some_and(|c| alnum(*c)) && b.last().is_some_and(|c| alnum(*c))) {
        return false;
    }
    let mut sep = String::new();
    for &c in b {
        if alnum(c) {
            if !(sep.is_empty()
                || sep == "."
                || sep == "_"
                || sep == "__"
                || sep.bytes().all(|x| x == b'-'))
            {
                return false;
            }
            sep.clear();
        } else if matches!(c, b'.' | b'_' | b'-') {
            sep.push(char::from(c));
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEX: &str = "7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa";

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap()
    }

    fn parts(s: &str) -> (String, String, Option<String>, Option<String>) {
        let x = r(s);
        (x.domain, x.path, x.tag, x.digest)
    }

    fn err(s: &str) -> String {
        Reference::parse(s).unwrap_err().reason
    }

    #[test]
    fn familiar_names_are_on_docker_hub() {
        assert_eq!(r("busybox").name(), "docker.io/library/busybox");
        assert_eq!(r("busybox").tag, None);
        assert_eq!(r("busybox:1.36").tag.as_deref(), Some("1.36"));
        assert_eq!(r("team/app").name(), "docker.io/team/app");
        assert_eq!(r("docker.io/busybox").name(), "docker.io/library/busybox");
        assert_eq!(
            r("index.docker.io/busybox").name(),
            "docker.io/library/busybox"
        );
        assert_eq!(r("index.docker.io/team/app").name(), "docker.io/team/app");
        assert_eq!(r("a/b/c/d").name(), "docker.io/a/b/c/d");
        // Without a `/` nothing is a host: `localhost:5000` is a tag.
        assert_eq!(
            parts("localhost:5000"),
            (
                "docker.io".into(),
                "library/localhost".into(),
                Some("5000".into()),
                None
            )
        );
        assert_eq!(r("reg.example").name(), "docker.io/library/reg.example");
    }

    #[test]
    fn hosts_are_read_from_the_first_component() {
        assert_eq!(r("localhost/x").domain, "localhost");
        assert_eq!(r("localhost:5000/x").domain, "localhost:5000");
        assert_eq!(r("reg.example:5000/team/app:1").domain, "reg.example:5000");
        assert_eq!(r("reg:5000/app").domain, "reg:5000");
        assert_eq!(r("127.0.0.1:5000/x").domain, "127.0.0.1:5000");
        assert_eq!(r("127.1/x").domain, "127.1");
        assert_eq!(r("0x7f.1/x").domain, "0x7f.1");
        assert_eq!(r("0177.0.0.1/x").domain, "0177.0.0.1");
        assert_eq!(r("2130706433:80/x").domain, "2130706433:80");
        assert_eq!(r("0x7f000001:5000/x").domain, "0x7f000001:5000");
        // A bare word, even numeric, is a Docker Hub namespace.
        assert_eq!(r("2130706433/x").name(), "docker.io/2130706433/x");
        assert_eq!(r("localhostx/x").name(), "docker.io/localhostx/x");
        // The legacy spelling only when spelled exactly; `docker.io` as a
        // host keeps a single path component as it is.
        assert_eq!(r("docker.io/x").path, "library/x");
    }

    #[test]
    fn ipv6_hosts() {
        assert_eq!(r("[::1]:5000/x").domain, "[::1]:5000");
        assert_eq!(r("[::1]/x").domain, "[::1]");
        assert_eq!(r("[FE80::1]/x").domain, "[fe80::1]");
        assert_eq!(r("[::1]:5000/x:1").tag.as_deref(), Some("1"));
        assert!(Reference::parse("[]/x").is_err());
        assert!(Reference::parse("[::1/x").is_err());
        assert!(Reference::parse("[::g]/x").is_err());
        assert!(Reference::parse("[::1]:/x").is_err());
        assert!(Reference::parse("[::1]x/x").is_err());
        // Unbracketed IPv6 is no host: the port would not be digits.
        assert!(Reference::parse("::1/x").is_err());
        assert!(Reference::parse("fe80::1/x").is_err());
    }

    #[test]
    fn uppercase_hosts() {
        assert_eq!(r("Reg.Example/x").domain, "reg.example");
        assert_eq!(r("Reg.Example:5000/x").canonical(), "reg.example:5000/x");
        // Only the uppercase makes `Foo` a host: it keeps its spelling so
        // that the canonical form reads back the same.
        assert_eq!(r("Foo/bar").domain, "Foo");
        assert_eq!(r("Foo/bar").registry_key(), "Foo");
        assert_eq!(r("LOCALHOST/x").domain, "localhost");
        // The engine treats only the exact spellings as Docker Hub.
        assert_eq!(parts("DOCKER.IO/busybox").0, "DOCKER.IO");
        assert_eq!(parts("DOCKER.IO/busybox").1, "busybox");
        assert_eq!(r("Index.Docker.IO/busybox").domain, "Index.Docker.IO");
        assert_eq!(
            r("Index.Docker.IO/busybox").registry_key(),
            "Index.Docker.IO"
        ); // not the daemon's alias spelling
           // Uppercase in the path is refused.
        assert!(err("Foo/Bar").contains("lowercase"));
        assert!(err("busyBox").contains("lowercase"));
        assert!(err("reg.example/Team/app").contains("lowercase"));
        // A tag may have uppercase.
        assert_eq!(r("busybox:Latest").tag.as_deref(), Some("Latest"));
    }

    #[test]
    fn invalid_hosts_are_refused() {
        assert!(err("docker.io./x").contains("registry host"));
        assert!(Reference::parse(".reg/x").is_err());
        assert!(Reference::parse("reg..example/x").is_err());
        assert!(Reference::parse("-reg.example/x").is_err());
        assert!(Reference::parse("reg-.example/x").is_err());
        assert!(Reference::parse("reg.example:/x").is_err());
        assert!(Reference::parse("reg.example:50a/x").is_err());
        assert!(Reference::parse("reg.example:5000:1/x").is_err());
        assert!(Reference::parse("u@reg.example/x").is_err());
        // The engine would read this as a name with no registry at all.
        assert!(err("my.reg_x/app").contains("registry host"));
        assert!(Reference::parse("a.b_c/x").is_err());
    }

    #[test]
    fn paths_and_tags() {
        assert!(Reference::parse("a__b").is_ok());
        assert!(Reference::parse("a---b").is_ok());
        assert!(Reference::parse("a.b_c-d").is_ok());
        for bad in [
            "a___b",
            "a..b",
            "a._b",
            "-a",
            "a-",
            "_a",
            "a.",
            "a//b",
            "/a",
            "a/",
            "a b",
            "a+b",
            "busybox:",
            "busybox:-x",
            "busybox:.x",
            "busybox:a/b",
            "busybox:a:b",
            "",
            "busybox@",
            ":tag",
            "@sha256:x",
            "é",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
        let long_tag = "t".repeat(128);
        assert!(Reference::parse(&format!("busybox:{long_tag}")).is_ok());
        assert!(Reference::parse(&format!("busybox:{long_tag}x")).is_err());
        assert_eq!(r("busybox:_x").tag.as_deref(), Some("_x"));
    }

    #[test]
    fn digests() {
        let d = format!("sha256:{HEX}");
        let x = r(&format!("busybox@{d}"));
        assert_eq!(x.digest.as_deref(), Some(d.as_str()));
        assert_eq!(x.tag, None);
        let x = r(&format!("reg.example:5000/a/b:1.0@{d}"));
        assert_eq!(
            (x.domain.as_str(), x.path.as_str(), x.tag.as_deref()),
            ("reg.example:5000", "a/b", Some("1.0"))
        );
        assert_eq!(x.canonical(), format!("reg.example:5000/a/b:1.0@{d}"));
        assert!(Reference::parse(&format!("busybox@sha512:{}", "a".repeat(128))).is_ok());
        assert!(Reference::parse(&format!("busybox@sha384:{}", "a".repeat(96))).is_ok());
        for bad in [
            format!("busybox@sha256:{}", &HEX[1..]),
            format!("busybox@sha256:{HEX}0"),
            format!("busybox@sha256:{}", HEX.to_uppercase()),
            format!("busybox@SHA256:{HEX}"),
            format!("busybox@md5:{}", &HEX[..32]),
            format!("busybox@sha256:{HEX}@sha256:{HEX}"),
            format!("busybox@{HEX}"),
        ] {
            assert!(Reference::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hex_ids_are_not_names() {
        assert!(err(HEX).contains("64-byte"));
        // Shorter or longer hex strings are names.
        assert_eq!(r(&HEX[..12]).path, format!("library/{}", &HEX[..12]));
        assert!(Reference::parse(&format!("{HEX}a")).is_ok());
        assert_eq!(
            Reference::parse_any(HEX),
            Ok(AnyReference::Id(format!("sha256:{HEX}")))
        );
        assert_eq!(
            Reference::parse_any(&format!("sha256:{HEX}")),
            Ok(AnyReference::Id(format!("sha256:{HEX}")))
        );
        assert_eq!(
            Reference::parse_any("busybox"),
            Ok(AnyReference::Named(r("busybox")))
        );
        assert!(Reference::parse_any(&HEX.to_uppercase()).is_err());
        // `sha256:<short>` is no digest: it reads as a name with a tag.
        assert_eq!(
            Reference::parse_any("sha256:abc"),
            Ok(AnyReference::Named(r("docker.io/library/sha256:abc")))
        );
    }

    #[test]
    fn id_prefixes() {
        assert!(may_be_id_prefix("a"));
        assert!(may_be_id_prefix("deadbeef"));
        assert!(may_be_id_prefix(HEX));
        assert!(may_be_id_prefix("sha256:"));
        assert!(may_be_id_prefix("sha256:abc"));
        assert!(may_be_id_prefix("sha256:ABC"));
        assert!(!may_be_id_prefix(""));
        assert!(!may_be_id_prefix("busybox"));
        assert!(!may_be_id_prefix("DEADBEEF"));
        assert!(!may_be_id_prefix("abc:1"));
    }

    #[test]
    fn length_limit_counts_the_normalised_name() {
        // docker.io/library/ is 18 characters.
        let ok = "a".repeat(255 - 18);
        assert!(Reference::parse(&ok).is_ok());
        assert!(err(&format!("{ok}a")).contains("255"));
        let host = format!("reg.example/{}", "b".repeat(255 - 12));
        assert!(Reference::parse(&host).is_ok());
        assert!(Reference::parse(&format!("{host}b")).is_err());
        // The tag does not count.
        assert!(Reference::parse(&format!("{host}:{}", "t".repeat(128))).is_ok());
    }

    #[test]
    fn error_messages() {
        let e = Reference::parse("Foo/Bar").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid reference format `Foo/Bar`: repository name must be lowercase"
        );
        let long = "A".repeat(5000);
        let msg = Reference::parse(&long).unwrap_err().to_string();
        assert!(msg.len() < 300, "{msg}");
        assert_eq!(Reference::parse(&long).unwrap_err().input, long);
    }

    #[test]
    fn pull_references() {
        let d = format!("sha256:{HEX}");
        let p = |i: &str, t: &str| Reference::parse_pull(i, t).unwrap().canonical();
        assert_eq!(p("busybox", "latest"), "docker.io/library/busybox:latest");
        assert_eq!(p("busybox", ""), "docker.io/library/busybox");
        assert!(Reference::parse_pull("busybox:", "")
            .unwrap()
            .is_name_only());
        assert_eq!(p("busybox:", "1"), "docker.io/library/busybox:1");
        assert!(Reference::parse_pull("busybox::", "").is_err());
        assert_eq!(p("busybox:1", "2"), "docker.io/library/busybox:2");
        assert_eq!(p("busybox", &d), format!("docker.io/library/busybox@{d}"));
        assert_eq!(p("busybox:1", &d), format!("docker.io/library/busybox@{d}"));
        let other = format!("sha256:{}", "0".repeat(64));
        assert_eq!(
            p(&format!("busybox@{other}"), &d),
            format!("docker.io/library/busybox@{d}")
        );
        // A tag keeps an existing digest.
        assert_eq!(
            p(&format!("busybox@{d}"), "1"),
            format!("docker.io/library/busybox:1@{d}")
        );
        assert!(Reference::parse_pull("busybox", "a/b").is_err());
        assert!(Reference::parse_pull("busybox", "sha256:abc").is_err());
        assert!(Reference::parse_pull("", "latest").is_err());
        assert!(Reference::parse_pull(HEX, "").is_err());
        assert_eq!(p("reg.example:5000/x:", "v1"), "reg.example:5000/x:v1");
    }

    #[test]
    fn forms() {
        let d = format!("sha256:{HEX}");
        assert_eq!(r("busybox").familiar(), "busybox");
        assert_eq!(r("busybox:1").familiar(), "busybox:1");
        assert_eq!(
            r(&format!("busybox:1@{d}")).familiar(),
            format!("busybox:1@{d}")
        );
        assert_eq!(r("team/app").familiar(), "team/app");
        assert_eq!(r("library/a/b").familiar(), "library/a/b");
        assert_eq!(
            r("reg.example/library/x").familiar(),
            "reg.example/library/x"
        );
        assert_eq!(
            r("busybox").with_default_tag().canonical(),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(r("busybox:1").with_default_tag(), r("busybox:1"));
        let dg = r(&format!("busybox@{d}"));
        assert_eq!(dg.with_default_tag(), dg);
        assert!(r("busybox").is_name_only());
        assert!(!dg.is_name_only());
        assert_eq!(r("busybox:1").to_string(), "docker.io/library/busybox:1");
        // As in the engine, the familiar form of a Docker Hub repository
        // whose namespace has a `.` reads as another registry.
        assert_eq!(r("docker.io/reg.example/x").familiar(), "reg.example/x");
        assert_eq!(r("reg.example/x").domain, "reg.example");
    }

    fn reference_like() -> impl Strategy<Value = String> {
        let host = prop_oneof![
            Just(String::new()),
            Just("docker.io/".to_string()),
            Just("index.docker.io/".to_string()),
            Just("localhost:5000/".to_string()),
            Just("[::1]:5000/".to_string()),
            Just("Foo/".to_string()),
            Just("DOCKER.IO/".to_string()),
            "[a-zA-Z0-9.:\\[\\]-]{1,12}/",
        ];
        let path = "[a-z0-9._-]{1,10}(/[a-z0-9._-]{1,8}){0,3}";
        let tag = prop_oneof![Just(String::new()), ":[a-zA-Z0-9_.-]{0,6}"];
        let digest = prop_oneof![
            Just(String::new()),
            Just(format!("@sha256:{HEX}")),
            "@[a-z0-9]{1,7}:[a-f0-9]{0,70}",
        ];
        (host, path, tag, digest).prop_map(|(h, p, t, d)| format!("{h}{p}{t}{d}"))
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = Reference::parse(&s);
            let _ = Reference::parse_any(&s);
            let _ = Reference::parse_pull(&s, &s);
            let _ = may_be_id_prefix(&s);
        }

        #[test]
        fn canonical_reads_back(s in prop_oneof![
            reference_like(),
            "[a-zA-Z0-9._:/@\\[\\]-]{0,40}",
        ]) {
            if let Ok(x) = Reference::parse(&s) {
                prop_assert_eq!(Reference::parse(&x.canonical()), Ok(x.clone()));
                // The familiar form is ambiguous for a Docker Hub path whose
                // first component reads as a host (`docker.io/a.b/c`).
                let hub_path_like_host = x.domain == DEFAULT_DOMAIN
                    && x.path.split('/').next().is_some_and(reads_as_domain);
                if !hub_path_like_host {
                    prop_assert_eq!(Reference::parse(&x.familiar()), Ok(x.clone()));
                }
                prop_assert!(x.domain.len() + 1 + x.path.len() <= NAME_TOTAL_LENGTH_MAX);
            }
        }
    }
}
