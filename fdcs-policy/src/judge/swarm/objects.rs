//! Secrets and configs: created in the tenant's scope with the owner label.

use super::super::ctx::{forbidden, Ctx, Stop};
use crate::{Forward, ResourceKind};

/// `POST /secrets/create`, `POST /configs/create`.
pub(super) fn create(_cx: &Ctx<'_>) -> Result<Forward, Stop> {
    Err(forbidden(
        crate::RuleId::SWARM_SPEC,
        "creating secrets and configs is not available yet",
        "pass settings as environment variables",
    ))
}

/// `POST /secrets/{id}/update`, `POST /configs/{id}/update`.
pub(super) fn update(_cx: &Ctx<'_>, _kind: ResourceKind) -> Result<Forward, Stop> {
    Err(forbidden(
        crate::RuleId::SWARM_SPEC,
        "updating secrets and configs is not available yet",
        "remove and create it again",
    ))
}
