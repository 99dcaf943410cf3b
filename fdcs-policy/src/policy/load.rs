//! Loading the YAML (stub).
use super::{Policy, PolicyError};

pub(super) fn load(_src: &str, origin: &str) -> Result<Policy, PolicyError> {
    Err(PolicyError { origin: origin.into(), line: 1, column: 1, message: "not written yet".into() })
}
