//! Authentication from a tenants file: each tenant lists tokens, stored as
//! SHA-256 digests (`token_sha256`) or, for demos, in plain text (`tokens`,
//! hashed on load). The presented token is hashed and compared against every
//! digest of the claimed tenant in constant time, so neither the comparison
//! nor the number of tokens leaks how close a guess was.

use super::{
    wrong_token, AuthFuture, Authenticate, CertificateIdentity, ClientCertificate, Credentials,
};
use fdcs_policy::{CertificateName, Tenant, TenantEntry, TenantId};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// One tenant as the operator configured it: the core's tenants-file entry
/// ([`TenantsFile::from_yaml`](fdcs_policy::TenantsFile::from_yaml) parses
/// it), under the name the layer has always used. Plain `tokens` are hashed
/// on load; `token_sha256` digests are taken as they are.
pub type TenantCredentials = TenantEntry;

/// Why a tenants table could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantsError {
    /// A digest is not 64 hex digits.
    #[error("tenant `{tenant}`: token_sha256 entry `{digest}` is not 64 hex digits")]
    BadDigest {
        /// Which tenant.
        tenant: String,
        /// The offending text.
        digest: String,
    },
    /// A tenant appears twice.
    #[error("tenant `{0}` is listed twice")]
    Duplicate(String),
    /// A tenant with no token and no certificate could never log in: most
    /// likely a mistake.
    #[error("tenant `{0}` has no tokens and no certificates")]
    NoTokens(String),
    /// One certificate name given to two tenants would make a certificate
    /// both.
    #[error("certificate {name} is given to tenants `{first}` and `{second}`")]
    SharedCertificate {
        /// The name.
        name: String,
        /// The tenant that had it first.
        first: String,
        /// The tenant that had it too.
        second: String,
    },
}

#[derive(Debug)]
struct Entry {
    tenant: Tenant,
    digests: Vec<[u8; 32]>,
}

/// The tenants-file authenticator. Cheap to share; [`TenantsAuth::replace`]
/// swaps the table atomically (SIGHUP reload).
///
/// The entries are the core's, as parsed from a tenants file:
///
/// ```
/// use fdcs_policy::{TenantId, TenantsFile};
/// use fdcs_tower::{Credentials, TenantsAuth};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let file = TenantsFile::from_yaml(
///     "tenants:\n  - id: alpha\n    tokens: [alpha-token]\n",
///     "tenants.yaml",
/// )?;
/// let auth = TenantsAuth::new(file.tenants)?;
/// let alpha = Credentials {
///     token: "alpha-token".into(),
///     tenant: TenantId::new("alpha")?,
/// };
/// assert_eq!(auth.check(&alpha)?.id.as_str(), "alpha");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct TenantsAuth {
    table: RwLock<Arc<Table>>,
}

/// One loaded tenants file: the tenants, and the certificate names that
/// are tenants.
#[derive(Debug, Default)]
struct Table {
    tenants: HashMap<TenantId, Entry>,
    certificates: HashMap<CertificateName, TenantId>,
}

impl TenantsAuth {
    /// Builds the table; any bad entry fails the whole load.
    pub fn new(entries: Vec<TenantEntry>) -> Result<Self, TenantsError> {
        Ok(TenantsAuth {
            table: RwLock::new(Arc::new(build(entries)?)),
        })
    }

    /// Replaces the table; on error the old table stays.
    pub fn replace(&self, entries: Vec<TenantEntry>) -> Result<(), TenantsError> {
        let table = Arc::new(build(entries)?);
        match self.table.write() {
            Ok(mut g) => *g = table,
            Err(poisoned) => *poisoned.into_inner() = table,
        }
        Ok(())
    }

    /// The configured tenant, without authenticating (per-tenant limits for
    /// other authenticators).
    pub fn tenant(&self, id: &TenantId) -> Option<Tenant> {
        self.snapshot().tenants.get(id).map(|e| e.tenant.clone())
    }

    /// Who a verified client certificate is: the tenant one of its names
    /// maps to, when the file maps any certificate at all.
    pub fn certificate(&self, cert: &ClientCertificate) -> CertificateIdentity {
        let table = self.snapshot();
        if table.certificates.is_empty() {
            return CertificateIdentity::Unused;
        }
        let mut found: Option<&TenantId> = None;
        for name in cert.names() {
            match (table.certificates.get(&name), found) {
                (Some(id), Some(seen)) if id != seen => return CertificateIdentity::Ambiguous,
                (Some(id), _) => found = Some(id),
                (None, _) => {}
            }
        }
        match found.and_then(|id| table.tenants.get(id)) {
            Some(entry) => CertificateIdentity::Tenant(Box::new(entry.tenant.clone())),
            None => CertificateIdentity::Unknown,
        }
    }

    /// Whether any tenant is named by a certificate (then `serve` needs a
    /// client CA, or those tenants could never connect).
    pub fn maps_certificates(&self) -> bool {
        !self.snapshot().certificates.is_empty()
    }

    fn snapshot(&self) -> Arc<Table> {
        match self.table.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Synchronous check, shared by the trait impl and tests.
    pub fn check(&self, creds: &Credentials) -> Result<Tenant, crate::Rejection> {
        let presented: [u8; 32] = Sha256::digest(creds.token.as_bytes()).into();
        let table = self.snapshot();
        let Some(entry) = table.tenants.get(&creds.tenant) else {
            // same work as a known tenant with one token
            let _ = ct_eq(&presented, &[0u8; 32]);
            return Err(wrong_token(&creds.tenant));
        };
        let mut any = false;
        for d in &entry.digests {
            any |= ct_eq(&presented, d);
        }
        if any {
            Ok(entry.tenant.clone())
        } else {
            Err(wrong_token(&creds.tenant))
        }
    }
}

impl Authenticate for TenantsAuth {
    fn authenticate<'a>(&'a self, creds: &'a Credentials) -> AuthFuture<'a> {
        let r = self.check(creds);
        Box::pin(async move { r })
    }

    fn certificate_identity(&self, cert: &ClientCertificate) -> CertificateIdentity {
        self.certificate(cert)
    }
}

fn build(entries: Vec<TenantEntry>) -> Result<Table, TenantsError> {
    let mut table = HashMap::new();
    let mut certificates: HashMap<CertificateName, TenantId> = HashMap::new();
    for e in entries {
        let id = e.tenant.id.clone();
        let mut digests: Vec<[u8; 32]> = e
            .tokens
            .iter()
            .map(|t| Sha256::digest(t.as_bytes()).into())
            .collect();
        for hexd in &e.token_sha256 {
            digests.push(parse_hex32(hexd).ok_or_else(|| TenantsError::BadDigest {
                tenant: id.to_string(),
                digest: hexd.clone(),
            })?);
        }
        if digests.is_empty() && e.certificates.is_empty() {
            return Err(TenantsError::NoTokens(id.to_string()));
        }
        for name in e.certificates {
            if let Some(first) = certificates.get(&name) {
                return Err(TenantsError::SharedCertificate {
                    name: name.to_string(),
                    first: first.to_string(),
                    second: id.to_string(),
                });
            }
            certificates.insert(name, id.clone());
        }
        if table
            .insert(
                id.clone(),
                Entry {
                    tenant: e.tenant,
                    digests,
                },
            )
            .is_some()
        {
            return Err(TenantsError::Duplicate(id.to_string()));
        }
    }
    Ok(Table {
        tenants: table,
        certificates,
    })
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(s.as_bytes().chunks(2)) {
        let hi = (pair.first()?.to_ascii_lowercase() as char).to_digit(16)?;
        let lo = (pair.get(1)?.to_ascii_lowercase() as char).to_digit(16)?;
        *o = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

/// Constant-time equality of two digests: no early exit.
fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(token: &str, tenant: &str) -> Credentials {
        Credentials {
            token: token.into(),
            tenant: TenantId::new(tenant).unwrap(),
        }
    }

    fn auth() -> TenantsAuth {
        let alpha = Tenant::new(TenantId::new("alpha").unwrap());
        let beta = Tenant::new(TenantId::new("beta").unwrap());
        let beta_digest = format!("{:x}", Sha256::digest(b"beta-token"));
        TenantsAuth::new(vec![
            TenantEntry {
                tenant: alpha,
                tokens: vec!["alpha-token".into()],
                token_sha256: vec![],
                certificates: vec![],
            },
            TenantEntry {
                tenant: beta,
                tokens: vec![],
                token_sha256: vec![beta_digest.to_uppercase()],
                certificates: vec![],
            },
        ])
        .unwrap()
    }

    #[test]
    fn plain_and_hashed_tokens_authenticate_their_own_tenant() {
        let a = auth();
        assert_eq!(
            a.check(&creds("alpha-token", "alpha")).unwrap().id.as_str(),
            "alpha"
        );
        assert_eq!(
            a.check(&creds("beta-token", "beta")).unwrap().id.as_str(),
            "beta"
        );
    }

    #[test]
    fn a_valid_token_with_another_tenants_id_is_401() {
        let a = auth();
        for (tok, ten) in [
            ("alpha-token", "beta"),
            ("beta-token", "alpha"),
            ("alpha-token", "gamma"),
        ] {
            let e = a.check(&creds(tok, ten)).unwrap_err();
            assert_eq!(e.status(), http::StatusCode::UNAUTHORIZED, "{tok} as {ten}");
        }
    }

    #[test]
    fn near_miss_tokens_fail() {
        let a = auth();
        for tok in [
            "alpha-toke",
            "alpha-token ",
            "ALPHA-TOKEN",
            "",
            "alpha-token\0",
        ] {
            assert!(a.check(&creds(tok, "alpha")).is_err(), "{tok:?}");
        }
    }

    #[test]
    fn a_bad_reload_keeps_the_old_table() {
        let a = auth();
        let alpha = Tenant::new(TenantId::new("alpha").unwrap());
        let bad = vec![TenantEntry {
            tenant: alpha,
            tokens: vec![],
            token_sha256: vec!["zz".into()],
            certificates: vec![],
        }];
        assert!(a.replace(bad).is_err());
        assert!(a.check(&creds("alpha-token", "alpha")).is_ok());
    }

    #[test]
    fn duplicates_and_tokenless_tenants_are_load_errors() {
        let alpha = Tenant::new(TenantId::new("alpha").unwrap());
        let one = TenantEntry {
            tenant: alpha.clone(),
            tokens: vec!["x".into()],
            token_sha256: vec![],
            certificates: vec![],
        };
        assert!(matches!(
            TenantsAuth::new(vec![one.clone(), one]),
            Err(TenantsError::Duplicate(_))
        ));
        let none = TenantEntry {
            tenant: alpha,
            tokens: vec![],
            token_sha256: vec![],
            certificates: vec![],
        };
        assert!(matches!(
            TenantsAuth::new(vec![none]),
            Err(TenantsError::NoTokens(_))
        ));
    }
}
