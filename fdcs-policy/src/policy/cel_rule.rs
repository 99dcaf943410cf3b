//! Custom rules in CEL (stub).

/// A compiled custom rule (stub).
#[derive(Debug, Clone)]
pub struct CelRule {
    /// Rule id.
    pub id: String,
}

/// What a CEL rule sees (stub).
#[derive(Debug, Clone)]
pub struct CelInput<'a> {
    /// The endpoint name.
    pub endpoint: &'a str,
}
