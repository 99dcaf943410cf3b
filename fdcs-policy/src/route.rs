//! The route table: (method, `/vX.Y/path`) → [`Endpoint`], matched the way
//! the daemon's router matches, and refused when in doubt (invariant 1).

mod endpoint;
mod normalize;
mod table;

pub use endpoint::{Endpoint, Group};
pub use normalize::{ApiVersion, MAX_API_VERSION, MIN_API_VERSION};
pub use table::route;

/// A request matched to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// The `/vX.Y` prefix, if the client sent one.
    pub version: Option<ApiVersion>,
    /// The path parameters, percent-decoded, in path order (a container
    /// reference, an image name, an exec id...).
    pub params: Vec<String>,
}

/// What an adapter must know about a request before it has read the body:
/// which endpoint it is (for audit lines and metrics) and whether its body
/// is an upload the core does not read (a tar archive, a build context), to
/// be held back until the verdict. `None` endpoint: unknown, denied anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intake {
    /// The endpoint's name ([`Endpoint::name`]), if the route is known.
    pub endpoint: Option<&'static str>,
    /// Whether the body is an upload streamed only once allowed.
    pub upload: bool,
    /// Whether quotas may check the request (it can grow what the tenant
    /// holds): an adapter runs such requests of one tenant one at a time,
    /// from the usage lookup until the engine answered, so that two
    /// concurrent creates cannot both fit in the room for one
    /// (DESIGN.md, "Quotas").
    pub quota_checked: bool,
}

/// The [`Intake`] of a request, routed as the judge routes it.
pub fn intake(method: &str, path: &str, min: ApiVersion) -> Intake {
    let endpoint = route(method, path, min).ok().map(|m| m.endpoint);
    Intake {
        endpoint: endpoint.map(Endpoint::name),
        upload: endpoint.is_some_and(|e| {
            matches!(
                e,
                Endpoint::PutContainerArchive
                    | Endpoint::ImageLoad
                    | Endpoint::ImageBuild
                    | Endpoint::ImageCreate
            )
        }),
        quota_checked: endpoint.is_some_and(|e| {
            matches!(
                e,
                Endpoint::ContainerCreate
                    | Endpoint::ContainerStart
                    | Endpoint::ContainerRestart
                    | Endpoint::ContainerUnpause
                    | Endpoint::ContainerUpdate
                    | Endpoint::VolumeCreate
                    | Endpoint::NetworkCreate
            )
        }),
    }
}

impl RouteMatch {
    /// The first path parameter (the resource reference), or "".
    pub fn reference(&self) -> &str {
        self.params.first().map(String::as_str).unwrap_or("")
    }

    /// The effective API version: the prefix, or the newest we know.
    pub fn api_version(&self) -> ApiVersion {
        self.version.unwrap_or(normalize::MAX_API_VERSION)
    }

    /// The version prefix to put back on a forwarded path ("" or "/v1.41").
    pub fn prefix(&self) -> String {
        match self.version {
            Some(v) => format!("/v{}.{}", v.major, v.minor),
            None => String::new(),
        }
    }
}
