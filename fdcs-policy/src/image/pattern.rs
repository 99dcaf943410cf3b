//! Image patterns as an operator writes them (`busybox*`,
//! `reg.example:5000/team/*`, `reg.example/**`, `*:1.*`).
//!
//! A pattern is read like a reference, so that it means the registry and
//! repository the daemon would contact for the names it matches: without a
//! host it is on Docker Hub (`busybox*` is `docker.io/library/busybox*`),
//! and its host is written out, never a wildcard. `busybox*` therefore
//! never matches `busybox.attacker.example/evil`.

use super::host::registry_key;
use super::reference::{
    is_digest, is_domain, is_path_component, is_tag, reads_as_domain, Reference, DEFAULT_DOMAIN,
    LEGACY_DEFAULT_DOMAIN,
};
use std::fmt;

/// A compiled image pattern; see the module documentation for its syntax.
///
/// Compiled once, when the policy loads, so that a mistake is an error at
/// load time and matching is cheap.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImagePattern {
    text: String,
    scope: Option<Scope>,
}

/// What a pattern other than the lone `*` restricts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Scope {
    /// The [`registry_key`] of the pattern's host.
    registry: String,
    /// The repository path pattern.
    path: Vec<Token>,
    /// The tag pattern, when there is one.
    tag: Option<Vec<Token>>,
    /// The exact digest, when there is one.
    digest: Option<String>,
}

/// One piece of a path or tag pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Token {
    /// This byte.
    Byte(u8),
    /// `*`: any run of bytes except `/`.
    Star,
    /// `**`: any run of bytes.
    DoubleStar,
}

/// The registry key of a pattern's host, read as the reference parser reads
/// a host (lowercased where that keeps its meaning).
fn host_key(domain: &str) -> String {
    Reference::parse(&format!("{domain}/x"))
        .map(|r| r.registry_key())
        .unwrap_or_else(|_| registry_key(domain))
}

impl ImagePattern {
    /// Compiles a pattern. The lone `*` matches every reference; otherwise:
    ///
    /// * the host, when there is one, is literal and compared with
    ///   [`registry_key`]; without one the pattern is on Docker Hub;
    /// * in the path `*` matches within one component, `**` across `/`;
    ///   a Docker Hub path of one component without `**` gets `library/`
    ///   (so `busybox*` is the official images, `**` all of Docker Hub);
    /// * `:tag` (with `*`) restricts the tag; `@digest` requires exactly
    ///   that digest; without either, every tag and digest matches.
    pub fn parse(p: &str) -> Result<ImagePattern, String> {
        if p == "*" {
            return Ok(ImagePattern {
                text: p.to_string(),
                scope: None,
            });
        }
        if p.is_empty() {
            return Err("an image pattern cannot be empty".to_string());
        }
        if !p
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'\\' && b != b'?' && b != b'#')
        {
            return Err(
                "an image pattern may only hold the characters of an image reference and `*`"
                    .to_string(),
            );
        }
        // `splitDockerDomain`, except that a Docker Hub path of one
        // component gets `library/` only without `**`, which may stand for
        // several components.
        let (domain, remainder) = match p.split_once('/') {
            Some((first, rest)) if reads_as_domain(first) => (first, rest),
            _ => (DEFAULT_DOMAIN, p),
        };
        let domain = if domain == LEGACY_DEFAULT_DOMAIN {
            DEFAULT_DOMAIN
        } else {
            domain
        };
        if domain.contains('*') {
            return Err(format!(
                "the registry host `{domain}` must be written out: wildcards are allowed in the repository and tag only"
            ));
        }
        if !is_domain(domain) {
            return Err(format!("`{domain}` is not a valid registry host"));
        }
        let path_end = remainder.find([':', '@']).unwrap_or(remainder.len());
        let path = remainder.get(..path_end).unwrap_or(remainder);
        let remainder = if domain == DEFAULT_DOMAIN && !path.contains('/') && !path.contains("**") {
            format!("library/{remainder}")
        } else {
            remainder.to_string()
        };
        let (name_and_tag, digest) = match remainder.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (remainder.as_str(), None),
        };
        let (path, tag) = match name_and_tag.split_once(':') {
            Some((n, t)) => (n, Some(t)),
            None => (name_and_tag, None),
        };
        for component in path.split('/') {
            check_path_component(component)?;
        }
        if let Some(t) = tag {
            check_tag(t)?;
        }
        if let Some(d) = digest {
            if !is_digest(d) {
                return Err(format!(
                    "`{d}` is not a digest; write `@sha256:` and 64 lowercase hex digits"
                ));
            }
        }
        Ok(ImagePattern {
            text: p.to_string(),
            scope: Some(Scope {
                // the host as a reference with it would read it
                registry: host_key(domain),
                path: tokens(path),
                tag: tag.map(tokens),
                digest: digest.map(str::to_string),
            }),
        })
    }

    /// Whether the reference matches. A reference with neither tag nor
    /// digest matches as `:latest` — what `docker run` makes of it; a
    /// reference with only a digest matches no tag pattern.
    ///
    /// A pull of a bare name fetches every tag; judge that with
    /// [`ImagePattern::allows_every_tag`].
    pub fn matches(&self, r: &Reference) -> bool {
        let Some(s) = &self.scope else { return true };
        if !self.matches_name(r) {
            return false;
        }
        let tag_ok = match (&s.tag, &r.tag, &r.digest) {
            (None, _, _) => true,
            (Some(tp), Some(t), _) => glob(tp, t.as_bytes()),
            (Some(tp), None, None) => glob(tp, b"latest"),
            (Some(_), None, Some(_)) => false,
        };
        let digest_ok = match &s.digest {
            None => true,
            Some(d) => r.digest.as_ref() == Some(d),
        };
        tag_ok && digest_ok
    }

    /// Whether every tag and digest of the reference's repository matches:
    /// the question for a pull without tag (`docker pull -a`), which makes
    /// the daemon fetch all of them.
    pub fn allows_every_tag(&self, r: &Reference) -> bool {
        match &self.scope {
            None => true,
            Some(s) => s.tag.is_none() && s.digest.is_none() && self.matches_name(r),
        }
    }

    fn matches_name(&self, r: &Reference) -> bool {
        match &self.scope {
            None => true,
            Some(s) => registry_key(&r.domain) == s.registry && glob(&s.path, r.path.as_bytes()),
        }
    }

    /// The pattern as the operator wrote it, for messages.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The [`registry_key`] of the pattern's host; `None` for `*`, which
    /// matches every registry.
    pub fn registry(&self) -> Option<&str> {
        self.scope.as_ref().map(|s| s.registry.as_str())
    }
}

impl fmt::Display for ImagePattern {
    /// Writes the pattern as the operator wrote it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A path component of a pattern: the characters of a reference path and
/// `*`; without a wildcard it must be a valid component, or the pattern
/// could never match.
fn check_path_component(c: &str) -> Result<(), String> {
    if c.is_empty() {
        return Err(
            "the repository path has an empty component (`//`, or a `/` at an end)".to_string(),
        );
    }
    if c.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!("the repository path `{c}` must be lowercase"));
    }
    if !c.bytes().all(|b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-' | b'*')
    }) {
        return Err(format!(
            "the repository path `{c}` may only hold a-z, 0-9, `.`, `_`, `-` and `*`"
        ));
    }
    if !c.contains('*') && !is_path_component(c) {
        return Err(format!("`{c}` is not a valid repository path component"));
    }
    Ok(())
}

/// A tag pattern: the characters of a tag and `*`; without a wildcard it
/// must be a valid tag.
fn check_tag(t: &str) -> Result<(), String> {
    if t.is_empty() {
        return Err("the tag after `:` is empty".to_string());
    }
    if !t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'*'))
    {
        return Err(format!(
            "the tag `{t}` may only hold letters, digits, `_`, `.`, `-` and `*`"
        ));
    }
    if !t.contains('*') && !is_tag(t) {
        return Err(format!("`{t}` is not a valid tag"));
    }
    Ok(())
}

fn tokens(p: &str) -> Vec<Token> {
    let mut out = Vec::with_capacity(p.len());
    for b in p.bytes() {
        match (b, out.last()) {
            (b'*', Some(Token::Star)) => {
                out.pop();
                out.push(Token::DoubleStar);
            }
            (b'*', Some(Token::DoubleStar)) => {}
            (b'*', _) => out.push(Token::Star),
            _ => out.push(Token::Byte(b)),
        }
    }
    out
}

/// Whether the tokens match all of `text`: dynamic programming over
/// (token, byte), so no pattern can make matching slow.
fn glob(tokens: &[Token], text: &[u8]) -> bool {
    // row[j]: the tokens so far match text[..j].
    let mut row = vec![false; text.len() + 1];
    if let Some(first) = row.first_mut() {
        *first = true;
    }
    for t in tokens {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            let prev_here = row.get(j).copied().unwrap_or(false);
            let (prev_before, byte, next_before) = match j.checked_sub(1) {
                Some(i) => (
                    row.get(i).copied().unwrap_or(false),
                    text.get(i).copied(),
                    next.get(i).copied().unwrap_or(false),
                ),
                None => (false, None, false),
            };
            let m = match t {
                Token::Byte(c) => prev_before && byte == Some(*c),
                Token::Star => prev_here || (next_before && byte.is_some_and(|b| b != b'/')),
                Token::DoubleStar => prev_here || (next_before && byte.is_some()),
            };
            if let Some(slot) = next.get_mut(j) {
                *slot = m;
            }
        }
        row = next;
    }
    row.last().copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::super::reference::is_domain;
    use super::*;
    use proptest::prelude::*;

    const HEX: &str = "7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa";

    fn pat(p: &str) -> ImagePattern {
        ImagePattern::parse(p).unwrap()
    }

    fn m(p: &str, r: &str) -> bool {
        pat(p).matches(&Reference::parse(r).unwrap())
    }

    #[test]
    fn star_alone_matches_everything() {
        for r in ["busybox", "reg.example:5000/a/b/c:1", "[::1]/x", "Foo/bar"] {
            assert!(m("*", r), "{r}");
        }
        assert_eq!(pat("*").registry(), None);
    }

    #[test]
    fn official_images() {
        for r in [
            "busybox",
            "busybox:1.36",
            "docker.io/library/busyboxplus:x",
            "index.docker.io/busybox",
        ] {
            assert!(m("busybox*", r), "{r}");
        }
        for r in [
            "busybox.attacker.example/evil",
            "busybox/evil",
            "evil.example/library/busybox",
            "busyboxes/x",
            "localhost/busybox",
        ] {
            assert!(!m("busybox*", r), "{r}");
        }
        assert!(m("busybox", "busybox:anything"));
        assert!(m("busybox", &format!("busybox@sha256:{HEX}")));
        assert!(!m("busybox", "busybox2"));
        assert_eq!(pat("busybox*").registry(), Some("docker.io"));
    }

    #[test]
    fn registries_and_depth() {
        let p = "reg.example:5000/team/*";
        assert!(m(p, "reg.example:5000/team/app:1"));
        assert!(m(p, "Reg.Example:5000/team/app"));
        assert!(!m(p, "reg.example:5000/team/a/b"));
        assert!(!m(p, "reg.example/team/app"));
        assert!(!m(p, "reg.example:5001/team/app"));
        assert!(m("reg.example/**", "reg.example/a"));
        assert!(m("reg.example/**", "reg.example/a/b/c/d:1"));
        assert!(!m("reg.example/**", "reg.example:443/a/b")); // another name to the engine
        assert!(!m("reg.example/**", "reg.example:5000/a"));
        assert!(!m("reg.example/**", "reg.example.evil/a"));
        assert!(m("reg.example/team/**/app", "reg.example/team/x/y/app"));
        assert!(m("index.docker.io/team/*", "team/app"));
        assert!(m("Reg.Example/x", "reg.example/x"));
        assert!(m("Foo/bar", "Foo/bar"));
        assert!(!m("Foo/bar", "foo/bar"));
        assert!(m("[::1]:5000/x", "[::1]:5000/x"));
        assert!(m("localhost/*", "localhost/app"));
    }

    #[test]
    fn docker_hub_wide_patterns() {
        assert!(m("**", "team/app"));
        assert!(m("**", "busybox"));
        assert!(!m("**", "reg.example/x"));
        assert!(m("docker.io/**", "team/a/b"));
        assert!(m("*/*", "team/app"));
        // `busybox` is `library/busybox`: two components.
        assert!(m("*/*", "busybox"));
        assert!(!m("*/*", "a/b/c"));
        assert!(m("library/*", "busybox"));
        assert!(m("docker.io/library/**", "busybox"));
        assert!(!m("docker.io/library/**", "team/app"));
    }

    #[test]
    fn tags_and_digests() {
        assert!(m("*:1.*", "app:1.2"));
        assert!(!m("*:1.*", "app:2.0"));
        assert!(!m("*:1.*", "app"));
        assert!(!m("*:1.*", "team/app:1.2"));
        assert!(m("busybox:latest", "busybox"));
        assert!(m("busybox:latest", "busybox:latest"));
        assert!(!m("busybox:latest", &format!("busybox@sha256:{HEX}")));
        assert!(m("busybox:latest", &format!("busybox:latest@sha256:{HEX}")));
        let d = format!("sha256:{HEX}");
        assert!(m(&format!("busybox@{d}"), &format!("busybox@{d}")));
        assert!(m(&format!("busybox@{d}"), &format!("busybox:1@{d}")));
        assert!(!m(&format!("busybox@{d}"), "busybox:1"));
        assert!(!m(
            &format!("busybox@{d}"),
            &format!("busybox@sha256:{}", "0".repeat(64))
        ));
        assert!(m("reg.example:5000/app:v*", "reg.example:5000/app:v2"));
    }

    #[test]
    fn pulls_of_every_tag() {
        let all = Reference::parse_pull("busybox:", "").unwrap();
        assert!(pat("busybox").allows_every_tag(&all));
        assert!(pat("*").allows_every_tag(&all));
        assert!(!pat("busybox:latest").allows_every_tag(&all));
        assert!(pat("busybox:latest").matches(&all));
        assert!(!pat("team/*").allows_every_tag(&all));
    }

    #[test]
    fn invalid_patterns() {
        for (p, why) in [
            ("", "empty"),
            ("*.example/x", "written out"),
            ("reg.*/x", "written out"),
            ("reg.example:*/x", "written out"),
            ("reg..example/x", "registry host"),
            ("Busybox", "lowercase"),
            ("reg.example/Team", "lowercase"),
            ("busybox:", "empty"),
            ("busybox:a/b", "registry host"),
            ("busybox:a b", "characters"),
            ("busybox:a+b", "tag"),
            ("busybox@sha256:abc", "digest"),
            ("a//b", "empty component"),
            ("a/", "empty component"),
            ("a b", "characters"),
            ("a..b", "not a valid"),
            ("a+*", "may only hold"),
        ] {
            let e = ImagePattern::parse(p).unwrap_err();
            assert!(e.contains(why), "{p}: {e}");
            assert!(!e.starts_with(char::is_uppercase), "{p}: {e}");
        }
        assert_eq!(pat("busybox*").as_str(), "busybox*");
        assert_eq!(pat("busybox*").to_string(), "busybox*");
    }

    #[test]
    fn glob_edge_cases() {
        let g = |p: &str, t: &str| glob(&tokens(p), t.as_bytes());
        assert!(g("", ""));
        assert!(!g("", "a"));
        assert!(g("*", ""));
        assert!(g("a*b*c", "aXbYc"));
        assert!(!g("a*c", "a/c"));
        assert!(g("a**c", "a/b/c"));
        assert!(g("***", "a/b"));
        assert!(!g("a*", "b"));
        let long = "a".repeat(300);
        assert!(!g(&"*a".repeat(50), &format!("{long}b")));
    }

    fn host() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("docker.io".to_string()),
            Just("index.docker.io".to_string()),
            Just("Docker.IO".to_string()),
            Just("reg.example".to_string()),
            Just("Reg.Example".to_string()),
            Just("reg.example:443".to_string()),
            Just("reg.example:5000".to_string()),
            Just("reg.example.com".to_string()),
            Just("localhost".to_string()),
            Just("localhost:5000".to_string()),
            Just("[::1]:5000".to_string()),
            Just("Foo".to_string()),
            Just("127.1".to_string()),
        ]
    }

    proptest! {
        #[test]
        fn patterns_never_panic(s in any::<String>(), t in "[a-zA-Z0-9.*:/@_-]{0,30}") {
            let _ = ImagePattern::parse(&s);
            if let Ok(p) = ImagePattern::parse(&t) {
                let _ = p.matches(&Reference::parse("busybox").unwrap());
            }
        }

        #[test]
        fn a_pattern_matches_only_its_own_registry(
            ph in host(),
            path in prop_oneof![Just("**".to_string()), Just("*".to_string()), "[a-z*]{1,3}(/[a-z*]{1,3}){0,2}"],
            rh in host(),
            rpath in "[a-z]{1,3}(/[a-z]{1,3}){0,2}",
            tag in prop_oneof![Just(String::new()), ":[a-z0-9]{1,3}"],
        ) {
            prop_assume!(is_domain(&ph));
            let p = ImagePattern::parse(&format!("{ph}/{path}")).unwrap();
            let r = Reference::parse(&format!("{rh}/{rpath}{tag}")).unwrap();
            let key = p.registry().unwrap().to_string();
            prop_assert_eq!(&key, &host_key(&ph));
            if p.matches(&r) || p.allows_every_tag(&r) {
                prop_assert_eq!(registry_key(&r.domain), key);
            }
        }
    }
}
