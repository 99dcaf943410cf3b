//! Registry credentials: the body of `POST /auth` and the JSON inside an
//! `X-Registry-Auth` header.

use super::model;

model! {
    /// moby's `types.AuthConfig` (20.10; `registry.AuthConfig` today).
    /// Every field is a Go `string` with `omitempty`: `""` reads as absent.
    pub struct AuthConfig {
        /// `username`.
        username: String = "username",
        /// `password`.
        password: String = "password",
        /// `auth`: base64 of `username:password`, as `config.json` keeps it.
        auth: String = "auth",
        /// `email` (deprecated; the daemon ignores it).
        email: String = "email",
        /// `serveraddress`: the registry these credentials are for.
        server_address: String = "serveraddress",
        /// `identitytoken`: exchanged by the daemon for a registry token at
        /// the registry's auth realm.
        identity_token: String = "identitytoken",
        /// `registrytoken`: a bearer token sent to the registry as it is.
        registry_token: String = "registrytoken",
    }
}
