//! Decoding failures, and how they become denials.

use std::fmt;

use crate::Denial;

/// What went wrong while decoding a body; each kind is its own rule id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// A key that matches no field of the model (`decode.unknown-field`).
    UnknownField,
    /// Not JSON, the wrong type, a number out of range... (`decode.malformed`).
    Malformed,
    /// The daemon's reading depends on details we refuse to guess
    /// (`decode.ambiguous`), e.g. `null` after a value for the same field.
    Ambiguous,
}

impl DecodeErrorKind {
    /// The stable rule id a denial carries.
    pub fn rule(self) -> crate::RuleId {
        match self {
            DecodeErrorKind::UnknownField => crate::RuleId::DECODE_UNKNOWN_FIELD,
            DecodeErrorKind::Malformed => crate::RuleId::DECODE_MALFORMED,
            DecodeErrorKind::Ambiguous => crate::RuleId::DECODE_AMBIGUOUS,
        }
    }
}

/// A body that cannot be judged: where (JSON path), what kind, and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// JSON path of the offending value, e.g. `HostConfig.Binds[0]`; empty for
    /// the whole body.
    pub path: String,
    /// What kind of failure.
    pub kind: DecodeErrorKind,
    /// Lowercase description of the failure, without the path.
    pub message: String,
}

impl DecodeError {
    pub(crate) fn new(kind: DecodeErrorKind, path: String, message: impl Into<String>) -> Self {
        DecodeError {
            path,
            kind,
            message: message.into(),
        }
    }

    /// Fills in the path if no deeper decoder did (the innermost one knows best).
    pub(crate) fn or_path(mut self, path: impl FnOnce() -> String) -> Self {
        if self.path.is_empty() {
            self.path = path();
        }
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "`{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for DecodeError {}

impl serde::de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DecodeError::new(DecodeErrorKind::Malformed, String::new(), msg.to_string())
    }
}

impl From<DecodeError> for Denial {
    fn from(e: DecodeError) -> Self {
        let rule = e.kind.rule();
        let instead = match e.kind {
            DecodeErrorKind::UnknownField => {
                "remove the field; only fields the Docker Engine API defines are accepted"
            }
            DecodeErrorKind::Malformed => "send a JSON object as the Docker Engine API defines it",
            DecodeErrorKind::Ambiguous => {
                "send each field once, inside the object the current API version puts it in"
            }
        };
        let what = if e.path.is_empty() {
            format!("request body rejected: {}", e.message)
        } else {
            format!("request body field `{}` rejected: {}", e.path, e.message)
        };
        let denial = Denial::malformed(rule, what, instead);
        if e.path.is_empty() {
            denial
        } else {
            denial.at(e.path)
        }
    }
}
