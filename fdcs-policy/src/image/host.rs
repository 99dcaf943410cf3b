//! Registry hosts: which one the daemon contacts for a search or a login,
//! the identity an allow-list compares, and what kind of host a name is.
//!
//! Nothing here resolves names. An IP literal is recognised from its text
//! alone, in every spelling a resolver might accept as an address.

use super::reference::{is_domain, ReferenceError, DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN};

/// What kind of host a registry domain names, from its text alone.
///
/// Needed for the denial message, and so that hosts that reach the daemon's
/// own machine or network (IP literals, `localhost`) or that are spelled
/// unusually (a trailing dot) are refused unless listed exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostKind {
    /// An ordinary DNS name.
    Name,
    /// An IPv4 address in any spelling `inet_aton` accepts (`127.1`,
    /// `2130706433`, `0x7f.1`, `0177.0.0.1`).
    Ipv4,
    /// A bracketed IPv6 address (`[::1]`), or anything with two colons.
    Ipv6,
    /// `localhost` or a name under it (`x.localhost`), any case, or one of
    /// the other names a stock `/etc/hosts` gives the loopback
    /// (`LOOPBACK_NAMES`: `localhost4`, `ip6-localhost`, ...).
    Localhost,
    /// A name ending with `.` (fully qualified): the same host as without
    /// the dot to a resolver, a different string to an allow-list.
    TrailingDot,
}

/// The loopback's other names in the `/etc/hosts` that Debian, Ubuntu,
/// RHEL, Fedora and Alpine install: the daemon's resolver reads that file
/// first, so each reaches the host itself as `localhost` does (with
/// `images.registry` in warn mode a registry *name* is let through, and
/// these must not be).
const LOOPBACK_NAMES: &[&str] = &[
    "localhost4",
    "localhost6",
    "localhost.localdomain",
    "localhost4.localdomain4",
    "localhost6.localdomain6",
    "ip6-localhost",
    "ip6-loopback",
];

/// Classifies a registry domain (which may carry a `:port`).
pub fn classify_host(domain: &str) -> HostKind {
    if domain.starts_with('[') || domain.matches(':').count() >= 2 {
        return HostKind::Ipv6;
    }
    let host = domain.split(':').next().unwrap_or_default();
    let bare = host.strip_suffix('.').unwrap_or(host);
    if is_ipv4_literal(bare) {
        return HostKind::Ipv4;
    }
    let lower = bare.to_ascii_lowercase();
    if lower == "localhost"
        || lower.ends_with(".localhost")
        || LOOPBACK_NAMES.contains(&lower.as_str())
    {
        return HostKind::Localhost;
    }
    if host.ends_with('.') {
        return HostKind::TrailingDot;
    }
    HostKind::Name
}

/// Whether `host` is an IPv4 address as `inet_aton` (glibc, which a cgo
/// resolver uses) reads one: 1 to 4 dot-separated numbers, each decimal,
/// octal (leading `0`) or hex (`0x`). Ranges are not checked, and octal
/// digits are not checked either: an all-numeric name is no DNS name a
/// registry could have, so calling it an address errs on the safe side.
fn is_ipv4_literal(host: &str) -> bool {
    let part = |p: &str| {
        let hex = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X"));
        match hex {
            Some(h) => h.bytes().all(|b| b.is_ascii_hexdigit()),
            None => !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()),
        }
    };
    let n = host.split('.').count();
    (1..=4).contains(&n) && host.split('.').all(part)
}

/// The registry identity an allow-list compares: the host exactly as the
/// engine keeps it in the reference, with `index.docker.io` as `docker.io`
/// (the one alias the daemon itself folds).
///
/// Nothing else is folded: the daemon treats only those two exact spellings
/// as Docker Hub (its mirrors and endpoint included), so `Docker.IO` or
/// `docker.io:443` is another registry to it, and so it is here. The
/// reference parser already lowercases hosts where that keeps the meaning.
pub fn registry_key(domain: &str) -> String {
    if domain == LEGACY_DEFAULT_DOMAIN {
        DEFAULT_DOMAIN.to_string()
    } else {
        domain.to_string()
    }
}

/// The registry the daemon searches for `GET /images/search?term=`
/// (moby `registry.splitReposSearchTerm` then `ValidateIndexName`).
///
/// The term is split once on `/`; its first part is the registry only if
/// there is a second part and the first has a `.` or a `:` or is
/// `localhost` — unlike references, uppercase does not make a host here,
/// and nothing is lowercased. `index.docker.io` becomes `docker.io`.
/// Compare the answer with [`registry_key`].
pub fn search_registry(term: &str) -> String {
    match term.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => {
            if first == LEGACY_DEFAULT_DOMAIN {
                DEFAULT_DOMAIN.to_string()
            } else {
                first.to_string()
            }
        }
        _ => DEFAULT_DOMAIN.to_string(),
    }
}

/// The registry host the daemon logs in to for `POST /auth`, and that the
/// `serveraddress` of an `X-Registry-Auth` names.
///
/// Mirrors moby `registry.DefaultService.Auth`: an empty address is Docker
/// Hub; an address not starting with `https://` or `http://` (exact case)
/// gets `https://` in front; the host is Go's `url.Parse(...).Host`, i.e.
/// what comes before the first `/`, `?` or `#`. `index.docker.io` and
/// `docker.io` are Docker Hub. Refused, rather than guessed: userinfo
/// (`user@host`), whitespace, control characters, `\`, an empty host, and
/// any host that is not a valid reference domain — Go's parser accepts
/// some of these in ways that are easy to misread (percent-escapes,
/// `u@evil`), and no real registry needs them. Compare the answer with
/// [`registry_key`].
pub fn server_address_registry(addr: &str) -> Result<String, ReferenceError> {
    let err = |reason: &str| ReferenceError {
        input: addr.to_string(),
        reason: format!("registry server address: {reason}"),
    };
    if addr.is_empty() {
        return Ok(DEFAULT_DOMAIN.to_string());
    }
    if addr
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return Err(err(
            "whitespace, control characters and backslashes are not allowed",
        ));
    }
    let rest = addr
        .strip_prefix("https://")
        .or_else(|| addr.strip_prefix("http://"))
        .unwrap_or(addr);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.contains('@') {
        return Err(err("a user name in the address is not allowed"));
    }
    if host.is_empty() {
        return Err(err("the address has no host"));
    }
    if !is_domain(host) {
        return Err(err("the host is not a valid registry host"));
    }
    if host == LEGACY_DEFAULT_DOMAIN || host == DEFAULT_DOMAIN {
        return Ok(DEFAULT_DOMAIN.to_string());
    }
    // any other host is looked up case-insensitively, so it is compared in
    // lower case; but a case variant of Docker Hub's names is not Docker
    // Hub to the daemon (it compares them exactly) and stays as written
    let lower = host.to_ascii_lowercase();
    if lower == LEGACY_DEFAULT_DOMAIN || lower == DEFAULT_DOMAIN {
        Ok(host.to_string())
    } else {
        Ok(lower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ipv4_in_every_spelling() {
        for h in [
            "127.0.0.1",
            "127.0.0.1:5000",
            "127.1",
            "127.0.1",
            "2130706433",
            "2130706433:80",
            "0x7f.1",
            "0x7F.0.0.1",
            "0X7f000001",
            "0x7f000001:5000",
            "0177.0.0.1",
            "017700000001",
            "10.0.0.1.",
            "999.1.1.1",
        ] {
            assert_eq!(classify_host(h), HostKind::Ipv4, "{h}");
        }
        for h in [
            "1.2.3.4.5",
            "127.0.0.1x",
            "1..1",
            "0x7g.1",
            "reg.example",
            "1.example",
        ] {
            assert_ne!(classify_host(h), HostKind::Ipv4, "{h}");
        }
    }

    #[test]
    fn other_kinds() {
        assert_eq!(classify_host("[::1]"), HostKind::Ipv6);
        assert_eq!(classify_host("[::1]:5000"), HostKind::Ipv6);
        assert_eq!(classify_host("::1"), HostKind::Ipv6);
        assert_eq!(classify_host("localhost"), HostKind::Localhost);
        assert_eq!(classify_host("localhost:5000"), HostKind::Localhost);
        assert_eq!(classify_host("LocalHost"), HostKind::Localhost);
        assert_eq!(classify_host("reg.localhost:5000"), HostKind::Localhost);
        assert_eq!(classify_host("localhost."), HostKind::Localhost);
        assert_eq!(classify_host("docker.io."), HostKind::TrailingDot);
        assert_eq!(classify_host("reg.example.:5000"), HostKind::TrailingDot);
        assert_eq!(classify_host("reg.example"), HostKind::Name);
        assert_eq!(classify_host("reg.example:5000"), HostKind::Name);
        assert_eq!(classify_host("notlocalhost"), HostKind::Name);
        assert_eq!(classify_host(""), HostKind::Name);
    }

    #[test]
    fn registry_keys() {
        assert_eq!(registry_key("docker.io"), "docker.io");
        assert_eq!(registry_key("index.docker.io"), "docker.io");
        // only the daemon's own alias folds: other spellings are other registries to it
        assert_eq!(registry_key("Index.Docker.IO:443"), "Index.Docker.IO:443");
        assert_eq!(registry_key("docker.io:443"), "docker.io:443");
        assert_eq!(registry_key("Reg.Example:443"), "Reg.Example:443");
        assert_eq!(registry_key("reg.example:5000"), "reg.example:5000");
        assert_eq!(registry_key("reg.example:4430"), "reg.example:4430");
        assert_eq!(registry_key("reg.example."), "reg.example.");
        assert_eq!(registry_key("[::1]:443"), "[::1]:443");
    }

    #[test]
    fn search_registries() {
        assert_eq!(search_registry("busybox"), "docker.io");
        assert_eq!(search_registry("team/app"), "docker.io");
        assert_eq!(search_registry("Foo/bar"), "docker.io");
        assert_eq!(search_registry("reg.example"), "docker.io");
        assert_eq!(search_registry("reg.example/x"), "reg.example");
        assert_eq!(search_registry("Reg.Example/x/y"), "Reg.Example");
        assert_eq!(search_registry("reg:5000/x"), "reg:5000");
        assert_eq!(search_registry("localhost/x"), "localhost");
        assert_eq!(search_registry("LOCALHOST/x"), "docker.io");
        assert_eq!(search_registry("index.docker.io/x"), "docker.io");
        assert_eq!(search_registry("docker.io/x"), "docker.io");
        assert_eq!(search_registry("evil.example/"), "evil.example");
        assert_eq!(search_registry("a b.c/x"), "a b.c");
        assert_eq!(search_registry(""), "docker.io");
    }

    #[test]
    fn server_addresses() {
        let ok = |a: &str| server_address_registry(a).unwrap();
        assert_eq!(ok(""), "docker.io");
        assert_eq!(ok("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(ok("index.docker.io"), "docker.io");
        assert_eq!(ok("docker.io"), "docker.io");
        assert_eq!(ok("reg:5000/path"), "reg:5000");
        assert_eq!(ok("http://reg.example:5000"), "reg.example:5000");
        assert_eq!(ok("https://reg.example?x=1"), "reg.example");
        assert_eq!(ok("https://reg.example#frag"), "reg.example");
        assert_eq!(ok("https://[::1]:5000/v2/"), "[::1]:5000");
        assert_eq!(ok("Reg.Example"), "reg.example"); // looked up case-insensitively
                                                      // Userinfo only counts before the path.
        assert_eq!(ok("https://reg.example/a@b"), "reg.example");
        for bad in [
            "https://u@evil/",
            "u:p@evil",
            "https://reg.example@evil.example/",
            "https://",
            "https:///x",
            "HTTPS://reg.example",
            "https:reg.example",
            "https://reg example/",
            "https://reg.example\t/",
            "https://reg.example\\@evil/",
            "https://reg\u{0}.example/",
            "https://reg%2eexample/",
            "https://reg.example:/",
            "https://reg.example:x/",
            "https://reg.example./",
            "ftp://reg.example",
        ] {
            assert!(server_address_registry(bad).is_err(), "{bad}");
        }
        let e = server_address_registry("https://u@evil/").unwrap_err();
        assert!(e.to_string().starts_with("invalid reference format"));
    }

    proptest! {
        #[test]
        fn hosts_never_panic(s in any::<String>()) {
            let _ = classify_host(&s);
            let _ = registry_key(&s);
            let _ = search_registry(&s);
            if let Ok(h) = server_address_registry(&s) {
                prop_assert!(is_domain(&h));
            }
        }
    }
}
