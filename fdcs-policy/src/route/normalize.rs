//! Path normalisation and the `/vX.Y` prefix, as the daemon's router sees them.

/// An Engine API version, `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    /// Major (always 1 so far).
    pub major: u32,
    /// Minor.
    pub minor: u32,
}

impl ApiVersion {
    /// Builds a version.
    pub const fn new(major: u32, minor: u32) -> Self {
        ApiVersion { major, minor }
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The oldest API version a policy may allow (v1.24, Docker 1.12).
pub const MIN_API_VERSION: ApiVersion = ApiVersion::new(1, 24);

/// The newest API version the route table and models know.
pub const MAX_API_VERSION: ApiVersion = ApiVersion::new(1, 51);
