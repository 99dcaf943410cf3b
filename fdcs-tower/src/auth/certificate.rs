//! Client certificates as identity: a tenant whose docker client talks TLS
//! with a certificate (`docker --tlsverify --tlscert --tlskey`) needs no
//! `X-Auth-*` headers, as against a dockerd that checks client
//! certificates.
//!
//! The TLS listener verifies the certificate against its client CA and puts
//! a [`ClientCertificate`] in every request's extensions; the authenticator
//! maps its names to a tenant through the tenants file's `certificates:`
//! entries ([`fdcs_policy::CertificateName`]). Mapping is all or nothing:
//! once any tenant is named by a certificate, a certificate that names no
//! tenant (or two) is refused, and so are headers that name another tenant
//! than the certificate — a stolen token cannot ride on someone else's
//! certificate, and a certificate cannot borrow a token's tenant.

use crate::error::Rejection;
use fdcs_policy::{CertificateName, RuleId, Tenant, TenantId};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use x509_parser::extensions::GeneralName;

/// What a verified client certificate says about who it is: parsed once per
/// connection, compared on every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    common_names: Vec<String>,
    alt_names: Vec<String>,
    spki_sha256: String,
}

/// Why a certificate's names could not be read (the TLS layer verified its
/// signature; this is about its contents).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the client certificate cannot be read: {0}")]
pub struct CertificateError(String);

impl ClientCertificate {
    /// Reads the names of a DER certificate (the leaf the client sent).
    /// Only call this for a certificate the TLS layer has verified: these
    /// names are believed.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| CertificateError(e.to_string()))?;
        // a name that cannot be read fails the certificate: skipping it
        // would hide that the certificate may name a second tenant
        let common_names = cert
            .subject()
            .iter_common_name()
            .map(common_name)
            .collect::<Result<Vec<_>, _>>()?;
        let mut alt_names = Vec::new();
        let san = cert
            .subject_alternative_name()
            .map_err(|e| CertificateError(format!("its subject alternative names: {e}")))?;
        if let Some(san) = san {
            for name in &san.value.general_names {
                if let Some(text) = general_name(name) {
                    if let CertificateName::AltName(key) = CertificateName::alt_name(&text) {
                        alt_names.push(key);
                    }
                }
            }
        }
        let digest = Sha256::digest(cert.tbs_certificate.subject_pki.raw);
        Ok(ClientCertificate {
            common_names,
            alt_names,
            spki_sha256: hex(&digest),
        })
    }

    /// The subject's common names (usually one).
    pub fn common_names(&self) -> &[String] {
        &self.common_names
    }

    /// The subject alternative names, as text, in the form
    /// [`CertificateName::alt_name`] gives them.
    pub fn alt_names(&self) -> &[String] {
        &self.alt_names
    }

    /// The SHA-256 of the SubjectPublicKeyInfo, lowercase hex.
    pub fn spki_sha256(&self) -> &str {
        &self.spki_sha256
    }

    /// A certificate of `CN=alpha` for the crate's own tests.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Self {
        ClientCertificate {
            common_names: vec!["alpha".into()],
            alt_names: vec!["alpha.clients.example".into()],
            spki_sha256: "ab".repeat(32),
        }
    }

    /// Every name the tenants file could know this certificate by.
    pub(crate) fn names(&self) -> impl Iterator<Item = CertificateName> + '_ {
        let spki = std::iter::once(CertificateName::SpkiSha256(self.spki_sha256.clone()));
        let sans = self.alt_names.iter().cloned().map(CertificateName::AltName);
        let cns = self
            .common_names
            .iter()
            .cloned()
            .map(CertificateName::CommonName);
        spki.chain(sans).chain(cns)
    }

    /// How the certificate is shown in a refusal: its CN, or its key.
    fn describe(&self) -> String {
        match self.common_names.first() {
            Some(cn) => format!("CN `{cn}`, key SHA-256 {}", self.spki_sha256),
            None => format!("key SHA-256 {}", self.spki_sha256),
        }
    }
}

/// A CN's text: the string types x509-parser reads, and BMPString
/// (UTF-16BE) and UniversalString (UTF-32BE), which it does not; any other
/// type (T61String, ...) is an error.
fn common_name(
    cn: &x509_parser::x509::AttributeTypeAndValue<'_>,
) -> Result<String, CertificateError> {
    if let Ok(s) = cn.as_str() {
        return Ok(s.to_string());
    }
    let unreadable = || CertificateError("a subject common name is not text we can read".into());
    let data = cn.attr_value().data;
    match cn.attr_value().tag() {
        x509_parser::der_parser::asn1_rs::Tag::BmpString if data.len() % 2 == 0 => {
            let units = data.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|_| unreadable())
        }
        x509_parser::der_parser::asn1_rs::Tag::UniversalString if data.len() % 4 == 0 => data
            .chunks(4)
            .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
            .collect::<Option<String>>()
            .ok_or_else(unreadable),
        _ => Err(unreadable()),
    }
}

/// A SAN as the tenants file writes it; kinds without a text form
/// (directory names, other names) never name a tenant.
fn general_name(n: &GeneralName<'_>) -> Option<String> {
    match n {
        GeneralName::DNSName(s) | GeneralName::RFC822Name(s) | GeneralName::URI(s) => {
            Some((*s).to_string())
        }
        GeneralName::IPAddress(b) => match b.len() {
            4 => <[u8; 4]>::try_from(*b)
                .ok()
                .map(|a| std::net::Ipv4Addr::from(a).to_string()),
            16 => <[u8; 16]>::try_from(*b)
                .ok()
                .map(|a| std::net::Ipv6Addr::from(a).to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// What an authenticator makes of a client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateIdentity {
    /// Certificates name nobody here (no tenant maps one): the headers
    /// identify the client, the certificate only let it connect.
    Unused,
    /// The certificate is this tenant.
    Tenant(Box<Tenant>),
    /// Certificates are identities here, and this one names no tenant.
    Unknown,
    /// Its names map to more than one tenant: refused, never guessed.
    Ambiguous,
}

/// The tenant a request is, given its certificate's identity and the
/// tenant header it may also carry; `Ok(None)` means "use the headers".
pub(crate) fn settle(
    identity: CertificateIdentity,
    cert: &ClientCertificate,
    claimed: Result<Option<TenantId>, Rejection>,
) -> Result<Option<Tenant>, Rejection> {
    match identity {
        CertificateIdentity::Unused => Ok(None),
        CertificateIdentity::Unknown => Err(refused(format!(
            "fdcs: authentication failed: your client certificate ({}) is not any tenant's; \
             ask the operator to add it to the tenants file (`certificates: [{{cn: ...}}]`)",
            cert.describe()
        ))),
        CertificateIdentity::Ambiguous => Err(refused(format!(
            "fdcs: authentication failed: your client certificate ({}) names more than one tenant; \
             ask the operator to fix the tenants file's `certificates:` entries",
            cert.describe()
        ))),
        CertificateIdentity::Tenant(t) => match claimed? {
            Some(other) if other != t.id => Err(refused(format!(
                "fdcs: authentication failed: your client certificate is tenant `{}`, \
                 but the X-Auth-TenantId header names `{other}`; remove the X-Auth-* \
                 HttpHeaders from ~/.docker/config.json (the certificate is enough) \
                 or use that tenant's certificate",
                t.id
            ))),
            _ => Ok(Some(*t)),
        },
    }
}

fn refused(message: String) -> Rejection {
    Rejection::Unauthorized(RuleId::AUTH_CERTIFICATE, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert() -> ClientCertificate {
        ClientCertificate::for_tests()
    }

    fn tenant(id: &str) -> Tenant {
        Tenant::new(TenantId::new(id).unwrap())
    }

    #[test]
    fn every_name_of_a_certificate_is_offered_for_lookup() {
        let names: Vec<_> = cert().names().collect();
        assert_eq!(
            names,
            [
                CertificateName::SpkiSha256("ab".repeat(32)),
                CertificateName::AltName("alpha.clients.example".into()),
                CertificateName::CommonName("alpha".into()),
            ]
        );
    }

    #[test]
    fn a_header_naming_another_tenant_than_the_certificate_is_refused() {
        let c = cert();
        let beta = TenantId::new("beta").unwrap();
        let e = settle(
            CertificateIdentity::Tenant(Box::new(tenant("alpha"))),
            &c,
            Ok(Some(beta)),
        )
        .unwrap_err();
        assert_eq!(e.status(), http::StatusCode::UNAUTHORIZED);
        assert_eq!(e.rule(), Some(RuleId::AUTH_CERTIFICATE));
        assert!(e.to_string().contains("names `beta`"), "{e}");
        // the same tenant, or no header: the certificate's tenant
        let alpha = TenantId::new("alpha").unwrap();
        for claimed in [Ok(Some(alpha)), Ok(None)] {
            let t = settle(
                CertificateIdentity::Tenant(Box::new(tenant("alpha"))),
                &c,
                claimed,
            )
            .unwrap()
            .unwrap();
            assert_eq!(t.id.as_str(), "alpha");
        }
        // a malformed header is not ignored
        let bad = Err(Rejection::Unauthorized(RuleId::AUTH_INVALID, "bad".into()));
        assert!(settle(
            CertificateIdentity::Tenant(Box::new(tenant("alpha"))),
            &c,
            bad
        )
        .is_err());
    }

    #[test]
    fn unknown_and_ambiguous_certificates_are_refused_and_unused_ones_defer() {
        let c = cert();
        for id in [CertificateIdentity::Unknown, CertificateIdentity::Ambiguous] {
            let e = settle(id, &c, Ok(None)).unwrap_err();
            assert_eq!(e.rule(), Some(RuleId::AUTH_CERTIFICATE));
            assert!(e.to_string().contains("CN `alpha`"), "{e}");
        }
        assert_eq!(
            settle(CertificateIdentity::Unused, &c, Ok(None)).unwrap(),
            None
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for der in [&b""[..], b"\x30\x03\x02\x01", b"not a certificate"] {
            assert!(ClientCertificate::from_der(der).is_err());
        }
    }
}
