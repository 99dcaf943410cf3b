//! The registry credential headers, `X-Registry-Auth` and
//! `X-Registry-Config`, decoded as the daemon decodes them.
//!
//! Both are base64url of JSON (`types.AuthConfig`, or a map of registry to
//! `AuthConfig` for builds). The daemon reads them with a streaming base64
//! decoder in front of Go's JSON decoder; here the padding may be present
//! or not (clients differ), the JSON is decoded with the same Go rules as
//! any body, and unknown fields are refused by name. What is forwarded is
//! re-encoded from what was judged, so the daemon never reads a spelling
//! that fdcs did not.

use std::collections::BTreeMap;

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE as PADDED};
use base64::engine::DecodePaddingMode;
use base64::Engine;

use super::{decode, encode, AuthConfig, DecodeError, DecodeErrorKind};

/// Largest header accepted (the docker CLI sends a few hundred bytes).
const MAX_HEADER: usize = 64 * 1024;

const TOLERANT: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn json_of(header: &str, name: &str) -> Result<Vec<u8>, DecodeError> {
    let bad = |why: &str| {
        DecodeError::new(
            DecodeErrorKind::Malformed,
            String::new(),
            format!("the {name} header {why}"),
        )
    };
    if header.len() > MAX_HEADER {
        return Err(bad("is too large"));
    }
    TOLERANT
        .decode(header.trim_end_matches('\n'))
        .map_err(|_| bad("is not base64url"))
}

/// Decodes an `X-Registry-Auth` header.
pub fn decode_registry_auth(header: &str) -> Result<AuthConfig, DecodeError> {
    let json = json_of(header, "X-Registry-Auth")?;
    decode(&json)
}

/// Decodes an `X-Registry-Config` header (registry → credentials).
pub fn decode_registry_config(header: &str) -> Result<BTreeMap<String, AuthConfig>, DecodeError> {
    let json = json_of(header, "X-Registry-Config")?;
    decode(&json)
}

/// The header value that carries these credentials: padded base64url of
/// their canonical JSON, as the docker CLI writes it.
pub fn encode_registry_auth<T: serde::Serialize>(auth: &T) -> String {
    PADDED.encode(encode(auth).to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    #[test]
    fn padded_and_unpadded_headers_decode_alike_and_reencode_padded() {
        let json = br#"{"username":"u","password":"p","serveraddress":"reg.example"}"#;
        let padded = PADDED.encode(json);
        let bare = padded.trim_end_matches('=').to_string();
        let a = decode_registry_auth(&padded).unwrap();
        assert_eq!(a, decode_registry_auth(&bare).unwrap());
        assert_eq!(a.server_address.as_deref(), Some("reg.example"));
        assert_eq!(decode_registry_auth(&encode_registry_auth(&a)).unwrap(), a);
    }

    #[test]
    fn keys_fold_as_go_reads_them_and_unknown_fields_are_refused() {
        let h = PADDED.encode(br#"{"IdentityToken":"t","ServerAddress":"x.example"}"#);
        let a = decode_registry_auth(&h).unwrap();
        assert_eq!(a.identity_token.as_deref(), Some("t"));
        let h = PADDED.encode(br#"{"username":"u","realm":"http://169.254.169.254/"}"#);
        let e = decode_registry_auth(&h).unwrap_err();
        assert!(e.to_string().contains("realm"), "{e}");
    }

    #[test]
    fn garbage_is_refused() {
        for h in ["not base64!", "e30", "W10=", "bnVsbA=="] {
            // `e30` is `{}` unpadded (accepted); `[]` and `null` are not objects
            let r = decode_registry_auth(h);
            assert_eq!(r.is_ok(), h == "e30", "{h}: {r:?}");
        }
        let std_alphabet = base64::engine::general_purpose::STANDARD.encode([0xfbu8, 0xff]);
        assert!(decode_registry_auth(&std_alphabet).is_err());
    }

    #[test]
    fn a_build_config_is_a_map_of_registries() {
        let h =
            PADDED.encode(br#"{"reg.example":{"username":"u"},"https://index.docker.io/v1/":{}}"#);
        let m = decode_registry_config(&h).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m["reg.example"].username.as_deref(), Some("u"));
    }
}
