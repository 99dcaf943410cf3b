//! The tenants file: who may connect, with which tokens, and with which
//! per-tenant ceilings.
//!
//! ```yaml
//! tenants:
//!   - id: alpha
//!     tokens: [alpha-token]            # plain, for demos
//!     tokenSha256: [<64 hex digits>]   # preferred: the file holds no secret
//!     limits: { memory: 512Mi, cpus: 1, pids: 512, images: ["busybox*"],
//!               registries: ["registry.team.example"],    # beyond the policy's
//!               requests: { concurrent: 16, perSecond: 50, burst: 100,
//!                           streams: 8, buffered: 64Mi } }   # the proxy's fair.* bounds
//!     quotas: { containers: 50, memory: 16Gi }   # replace the policy's quotas
//!     certificates:                    # client certificates that are this tenant
//!       - cn: alpha                    #   (serve --tls-client-ca): subject CN,
//!       - san: alpha.clients.example   #   a subject alternative name,
//!       - spkiSha256: <64 hex digits>  #   or the public key's SHA-256
//! ```
//!
//! A certificate names a tenant only through these entries; the CA that
//! signed it is `serve`'s `--tls-client-ca`. A tenant may have tokens,
//! certificates or both.
//!
//! This is a pure parser: the caller reads the file. Comparing a presented
//! token with these (in constant time, hashing it for `tokenSha256`) is the
//! adapter's job. Ids are validated with [`TenantId::new`]; an id or a token
//! that appears twice is an error, because two tenants sharing a token would
//! let one act as the other.

use crate::policy::quantity::Quantity;
use crate::policy::schema::RawQuotas;
use crate::policy::{
    image_patterns, read_quotas, registry_hosts, Errs, PolicyError, Pos, QuotasParams,
};
use crate::{RequestLimits, Tenant, TenantId, TenantLimits};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::HashMap;

/// A parsed, validated tenants file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TenantsFile {
    /// The tenants, in file order.
    pub tenants: Vec<TenantEntry>,
}

/// One tenant: its identity and limits, and the credentials that name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantEntry {
    /// The tenant as the core judges it (id and operator-set limits).
    pub tenant: Tenant,
    /// Plain tokens (demos and tests).
    pub tokens: Vec<String>,
    /// SHA-256 digests of tokens, lowercase hex.
    pub token_sha256: Vec<String>,
    /// Client certificates that identify this tenant without any header.
    pub certificates: Vec<CertificateName>,
}

/// How a verified client certificate is recognised as a tenant's. Three
/// ways because operators issue certificates three ways: a CN per tenant
/// (the docker docs' `openssl` recipe), a SAN (a PKI that leaves CN alone),
/// or one pinned key (no naming scheme at all).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CertificateName {
    /// A subject common name, compared exactly.
    CommonName(String),
    /// A subject alternative name (DNS name, e-mail address, URI or IP
    /// address, as text), in the form [`CertificateName::alt_name`] gives
    /// it: compared exactly after that.
    AltName(String),
    /// The SHA-256 of the certificate's SubjectPublicKeyInfo, lowercase hex
    /// (`openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
    /// sha256sum`): survives re-issuing with the same key.
    SpkiSha256(String),
}

impl CertificateName {
    /// A SAN as both sides compare it: an IP address in its canonical text
    /// (`2001:db8::1`; an IPv4-mapped address stays `::ffff:a.b.c.d`, not
    /// the IPv4 one), a URI (`scheme:`) exactly as written — its path is
    /// case-sensitive, and lowercasing it made `spiffe://td/Alpha` the
    /// tenant of `spiffe://td/alpha` — an e-mail address with its domain
    /// lowercased (the local part is the mailbox owner's), anything else a
    /// DNS name, in lower case. The tenants file does not say which kind it
    /// means, so the kind is read from the text, the same way for both.
    pub fn alt_name(text: &str) -> CertificateName {
        let text = text.trim();
        let key = if let Ok(ip) = text.parse::<std::net::IpAddr>() {
            ip.to_string()
        } else if text.contains(':') {
            text.to_string()
        } else if let Some((local, domain)) = text.rsplit_once('@') {
            format!("{local}@{}", domain.to_ascii_lowercase())
        } else {
            text.to_ascii_lowercase()
        };
        CertificateName::AltName(key)
    }
}

impl std::fmt::Display for CertificateName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertificateName::CommonName(v) => write!(f, "cn `{v}`"),
            CertificateName::AltName(v) => write!(f, "san `{v}`"),
            CertificateName::SpkiSha256(v) => write!(f, "spkiSha256 `{v}`"),
        }
    }
}

impl TenantsFile {
    /// Parses and validates a tenants file. `origin` names it in errors.
    pub fn from_yaml(src: &str, origin: &str) -> Result<TenantsFile, PolicyError> {
        let errs = Errs { origin, src };
        if src.len() > MAX_TENANTS_BYTES {
            return Err(errs.at(
                Pos { line: 1, column: 1 },
                format!(
                    "tenants file is {} bytes; the limit is {MAX_TENANTS_BYTES}",
                    src.len()
                ),
            ));
        }
        let raw: RawFile = serde_saphyr::from_str_with_options(src, crate::policy::yaml_options())
            .map_err(|e| errs.yaml(&e))?;
        convert(raw, errs)
    }

    /// The entry of a tenant id.
    pub fn get(&self, id: &TenantId) -> Option<&TenantEntry> {
        self.tenants.iter().find(|e| &e.tenant.id == id)
    }
}

/// Largest tenants file accepted.
const MAX_TENANTS_BYTES: usize = 4 << 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    tenants: Vec<RawTenant>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawTenant {
    id: Spanned<String>,
    #[serde(default)]
    tokens: Vec<Spanned<String>>,
    #[serde(default)]
    token_sha256: Vec<Spanned<String>>,
    #[serde(default)]
    limits: Option<RawLimits>,
    #[serde(default)]
    quotas: Option<RawQuotas>,
    #[serde(default)]
    certificates: Vec<Spanned<RawCertificate>>,
}

/// One `certificates:` entry: exactly one of its keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawCertificate {
    #[serde(default)]
    cn: Option<String>,
    #[serde(default)]
    san: Option<String>,
    #[serde(default)]
    spki_sha256: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    #[serde(default)]
    memory: Option<Spanned<Quantity>>,
    #[serde(default)]
    cpus: Option<Spanned<Quantity>>,
    #[serde(default)]
    pids: Option<Spanned<Quantity>>,
    #[serde(default)]
    images: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    registries: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    requests: Option<RawRequests>,
}

/// `limits.requests`: the proxy's bounds on this tenant's requests.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRequests {
    #[serde(default)]
    concurrent: Option<Spanned<Quantity>>,
    #[serde(default)]
    per_second: Option<Spanned<Quantity>>,
    #[serde(default)]
    burst: Option<Spanned<Quantity>>,
    #[serde(default)]
    streams: Option<Spanned<Quantity>>,
    #[serde(default)]
    buffered: Option<Spanned<Quantity>>,
}

fn convert(raw: RawFile, errs: Errs<'_>) -> Result<TenantsFile, PolicyError> {
    let mut ids: HashMap<String, Pos> = HashMap::new();
    // Token (or digest) → the tenant that holds it.
    let mut tokens: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(raw.tenants.len());
    for t in raw.tenants {
        let at = Pos::of(&t.id);
        let id = TenantId::new(&t.id.value).map_err(|e| errs.at(at, e.to_string()))?;
        if let Some(first) = ids.insert(id.as_str().to_string(), at) {
            return Err(errs.at(
                at,
                format!("duplicate tenant id `{id}` (first at line {})", first.line),
            ));
        }
        for tok in &t.tokens {
            if tok.value.is_empty() || tok.value.chars().any(char::is_whitespace) {
                return Err(errs.at(
                    Pos::of(tok),
                    "a token must be non-empty and contain no spaces",
                ));
            }
        }
        let mut digests = Vec::with_capacity(t.token_sha256.len());
        for d in &t.token_sha256 {
            let hex = d.value.to_ascii_lowercase();
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(errs.at(
                    Pos::of(d),
                    "tokenSha256 must be 64 hex digits (`printf %s TOKEN | sha256sum`)",
                ));
            }
            digests.push(Spanned {
                value: hex,
                referenced: d.referenced,
                defined: d.defined,
            });
        }
        for (kind, list) in [("token", &t.tokens), ("token digest", &digests)] {
            for tok in list {
                let key = format!("{kind}:{}", tok.value);
                if let Some(owner) = tokens.insert(key, id.as_str().to_string()) {
                    return Err(errs.at(
                        Pos::of(tok),
                        format!("this {kind} is already given to tenant `{owner}`; every tenant needs its own"),
                    ));
                }
            }
        }
        let mut certificates = Vec::with_capacity(t.certificates.len());
        for c in &t.certificates {
            let name = certificate(&c.value).map_err(|m| errs.at(Pos::of(c), m))?;
            if let Some(owner) =
                tokens.insert(format!("certificate:{name}"), id.as_str().to_string())
            {
                return Err(errs.at(
                    Pos::of(c),
                    format!("this certificate ({name}) already names tenant `{owner}`; a certificate can name one tenant only"),
                ));
            }
            certificates.push(name);
        }
        let mut limits = match t.limits {
            None => TenantLimits::default(),
            Some(l) => limits(l, errs)?,
        };
        if let Some(q) = t.quotas {
            limits.quotas = read_quotas(q, QuotasParams::default(), Some(i64::MAX), errs)?;
        }
        out.push(TenantEntry {
            tenant: Tenant { id, limits },
            tokens: t.tokens.into_iter().map(|s| s.value).collect(),
            token_sha256: digests.into_iter().map(|s| s.value).collect(),
            certificates,
        });
    }
    Ok(TenantsFile { tenants: out })
}

/// One `certificates:` entry, checked: one key, a usable value.
fn certificate(c: &RawCertificate) -> Result<CertificateName, String> {
    let usable = |v: &str, key: &str| -> Result<String, String> {
        let v = v.trim();
        if v.is_empty() || v.len() > 1024 || v.chars().any(char::is_control) {
            return Err(format!(
                "certificates: `{key}` must be 1 to 1024 printable characters"
            ));
        }
        Ok(v.to_string())
    };
    match (&c.cn, &c.san, &c.spki_sha256) {
        (Some(v), None, None) => Ok(CertificateName::CommonName(usable(v, "cn")?)),
        (None, Some(v), None) => Ok(CertificateName::alt_name(&usable(v, "san")?)),
        (None, None, Some(v)) => {
            let hex = v.trim().to_ascii_lowercase();
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err("certificates: `spkiSha256` must be 64 hex digits (`openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der | sha256sum`)".to_string());
            }
            Ok(CertificateName::SpkiSha256(hex))
        }
        _ => Err(
            "certificates: each entry has exactly one of `cn`, `san` or `spkiSha256`".to_string(),
        ),
    }
}

fn limits(l: RawLimits, errs: Errs<'_>) -> Result<TenantLimits, PolicyError> {
    let one = |q: &Option<Spanned<Quantity>>,
               parse: fn(&Quantity) -> Result<i64, String>,
               what: &str|
     -> Result<Option<i64>, PolicyError> {
        let Some(q) = q else { return Ok(None) };
        let v = parse(&q.value).map_err(|m| errs.at(Pos::of(q), m))?;
        if v <= 0 {
            return Err(errs.at(
                Pos::of(q),
                format!(
                    "{what} `{}` must be positive (0 or -1 would mean unlimited to the daemon)",
                    q.value
                ),
            ));
        }
        Ok(Some(v))
    };
    Ok(TenantLimits {
        memory: one(&l.memory, Quantity::bytes, "memory")?,
        nano_cpus: one(&l.cpus, Quantity::nano_cpus, "cpus")?,
        pids: one(&l.pids, Quantity::count, "pids")?,
        images: image_patterns(l.images, errs)?,
        registries: registry_hosts(l.registries, errs)?.unwrap_or_default(),
        requests: requests(l.requests, errs)?,
        quotas: QuotasParams::default(),
    })
}

fn requests(r: Option<RawRequests>, errs: Errs<'_>) -> Result<RequestLimits, PolicyError> {
    let Some(r) = r else {
        return Ok(RequestLimits::default());
    };
    let one = |q: &Option<Spanned<Quantity>>,
               parse: fn(&Quantity) -> Result<i64, String>,
               what: &str|
     -> Result<Option<u64>, PolicyError> {
        let Some(q) = q else { return Ok(None) };
        let v = parse(&q.value).map_err(|m| errs.at(Pos::of(q), m))?;
        match u64::try_from(v) {
            Ok(v) if v > 0 => Ok(Some(v)),
            _ => Err(errs.at(
                Pos::of(q),
                format!(
                    "requests.{what} `{}` must be positive; leave it out for the proxy's default",
                    q.value
                ),
            )),
        }
    };
    let count = |q: &Option<Spanned<Quantity>>, what: &str| -> Result<Option<u32>, PolicyError> {
        match one(q, Quantity::count, what)? {
            None => Ok(None),
            Some(v) => u32::try_from(v).map(Some).map_err(|_| {
                errs.at(
                    q.as_ref().map_or(Pos { line: 1, column: 1 }, Pos::of),
                    format!("requests.{what} `{v}` is too large"),
                )
            }),
        }
    };
    Ok(RequestLimits {
        concurrent: count(&r.concurrent, "concurrent")?,
        per_second: count(&r.per_second, "perSecond")?,
        burst: count(&r.burst, "burst")?,
        streams: count(&r.streams, "streams")?,
        buffered: one(&r.buffered, Quantity::bytes, "buffered")?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    fn san(text: &str) -> String {
        let src = format!("tenants:\n  - id: alpha\n    certificates: [{{san: '{text}'}}]\n");
        let file = TenantsFile::from_yaml(&src, "t.yaml").unwrap();
        match file
            .tenants
            .into_iter()
            .next()
            .unwrap()
            .certificates
            .as_slice()
        {
            [CertificateName::AltName(v)] => v.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_san_is_kept_in_the_form_certificates_compare() {
        // DNS names fold case; a trailing dot stays (another name)
        assert_eq!(san("Alpha.Example."), "alpha.example.");
        // IP addresses in canonical text, however the file writes them
        assert_eq!(san("2001:DB8:0:0::1"), "2001:db8::1");
        assert_eq!(san("::FFFF:10.0.0.1"), "::ffff:10.0.0.1");
        assert_eq!(san("10.0.0.1"), "10.0.0.1");
        // URIs exactly: their path is case-sensitive
        assert_eq!(san("spiffe://td/tenant/Alpha"), "spiffe://td/tenant/Alpha");
        // e-mail: the domain folds, the mailbox does not
        assert_eq!(san("Ops@Example.ORG"), "Ops@example.org");
    }
}
