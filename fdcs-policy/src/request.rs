//! The request as the core sees it: method, raw path, raw query, body bytes.
//!
//! Adapters (the tower layer, `check`) build one of these from whatever they
//! received; the core never touches a socket.

/// One Docker Engine API request, exactly as the client sent it.
///
/// `path` and `query` are kept raw (percent-encoded, as on the wire) so the
/// router can see every trick a client may play with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The HTTP method, upper case as sent (`GET`, `POST`, ...).
    pub method: String,
    /// The raw path, without the query (`/v1.41/containers/create`).
    pub path: String,
    /// The raw query string without the leading `?`, if any.
    pub query: Option<String>,
    /// The request body; empty when there is none.
    pub body: Vec<u8>,
    /// The `X-Registry-Auth` header as sent: credentials the daemon hands
    /// to a registry. Judged like a body, never passed through (invariant 10).
    pub registry_auth: Option<String>,
    /// The `X-Registry-Config` header as sent (credentials for a build).
    pub registry_config: Option<String>,
    /// Randomness from the adapter, for names the core must make up (a
    /// container created without a name): the core has no random source of
    /// its own and stays deterministic. `None`: derived from the request.
    pub entropy: Option<u64>,
}

impl Request {
    /// Builds a request from a method and a raw request target (`/path?query`).
    pub fn new(method: impl Into<String>, target: &str, body: impl Into<Vec<u8>>) -> Self {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (target.to_string(), None),
        };
        Request {
            method: method.into(),
            path,
            query,
            body: body.into(),
            registry_auth: None,
            registry_config: None,
            entropy: None,
        }
    }

    /// The same request with randomness for generated names.
    pub fn with_entropy(mut self, entropy: u64) -> Self {
        self.entropy = Some(entropy);
        self
    }

    /// The same request with an `X-Registry-Auth` header.
    pub fn with_registry_auth(mut self, value: impl Into<String>) -> Self {
        self.registry_auth = Some(value.into());
        self
    }

    /// The same request with an `X-Registry-Config` header.
    pub fn with_registry_config(mut self, value: impl Into<String>) -> Self {
        self.registry_config = Some(value.into());
        self
    }
}
