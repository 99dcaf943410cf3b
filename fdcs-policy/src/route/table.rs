//! The table itself. (stub: being written)
use super::{ApiVersion, RouteMatch};
use crate::Denial;

/// Matches a raw method and path. Unknown or ambiguous: a `Deny`.
pub fn route(method: &str, raw_path: &str, min_version: ApiVersion) -> Result<RouteMatch, Denial> {
    let _ = (method, raw_path, min_version);
    Err(Denial::policy("route.unknown", "unknown route", "use the Docker Engine API"))
}
