//! What a custom rule sees: `object` (the judged body) and `request`.
//!
//! The body is wrapped once per request, the first time a rule reads
//! `object`, and shared by every rule; fields are converted only when read
//! (see `cel_json.rs`), strings borrowed from the JSON. The input is bounded: a body with more
//! than [`MAX_OBJECT_NODES`] JSON values or nested deeper than
//! [`MAX_OBJECT_DEPTH`] is not evaluated, and every rule that reads it denies
//! (fail closed). Together with the body-size limit of the adapter and the
//! comprehension-nesting limit of the compiler, this bounds the work of any
//! custom rule to about `MAX_OBJECT_NODES²` steps.

use super::cel_json::json_val;
use cel::common::types::{CelMap, CelMapKey, CelNull, CelString};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Most JSON values (objects, arrays and scalars, counted together) a body
/// may hold for custom rules to evaluate it. The docker CLI's `run` body has
/// about 150.
pub const MAX_OBJECT_NODES: usize = 8192;

/// Deepest nesting of a body custom rules evaluate.
pub const MAX_OBJECT_DEPTH: usize = 32;

/// The request as custom rules see it. Built by the judge from what it judged.
#[derive(Debug, Clone, Copy)]
pub struct CelInput<'a> {
    /// The endpoint name ([`crate::route::Endpoint::name`]), e.g. `ContainerCreate`.
    pub endpoint: &'a str,
    /// HTTP method, upper case.
    pub method: &'a str,
    /// Path without the version prefix, as routed (`/containers/create`).
    pub path: &'a str,
    /// Effective API version, `1.41`.
    pub api_version: &'a str,
    /// Tenant id.
    pub tenant: &'a str,
    /// The canonical judged body (Docker's JSON field names), if any.
    pub object: Option<&'a serde_json::Value>,
    /// Decoded query parameters in request order.
    pub query: &'a [(String, String)],
}

/// One request's CEL variables, shared by every custom rule that judges it.
///
/// `object` is the body (`null` when there is none); `request` is a map
/// `{endpoint, method, path, apiVersion, tenant, query}` where `query` maps
/// each parameter name to its *first* value, the one the daemon reads.
pub struct CelContext<'a> {
    input: CelInput<'a>,
    request: OnceLock<Box<dyn Val + 'a>>,
    object: OnceLock<Result<Box<dyn Val + 'a>, String>>,
}

impl std::fmt::Debug for CelContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CelContext")
            .field("input", &self.input)
            .finish()
    }
}

impl<'a> CelContext<'a> {
    /// Prepares the variables of one request. Cheap: `request` and `object`
    /// are built only if a rule reads them.
    pub fn new(input: &CelInput<'a>) -> Self {
        CelContext {
            input: *input,
            request: OnceLock::new(),
            object: OnceLock::new(),
        }
    }

    /// The `request` map.
    fn request(&self) -> &(dyn Val + 'a) {
        let input = self.input;
        &**self.request.get_or_init(|| {
            let mut query: HashMap<CelMapKey<'a>, Box<dyn Val + 'a>> = HashMap::new();
            for (k, v) in input.query {
                query
                    .entry(CelMapKey::from(k.as_str()))
                    .or_insert_with(|| Box::new(CelString::from(v.as_str())));
            }
            let mut request: HashMap<CelMapKey<'a>, Box<dyn Val + 'a>> = HashMap::with_capacity(6);
            for (k, v) in [
                ("endpoint", input.endpoint),
                ("method", input.method),
                ("path", input.path),
                ("apiVersion", input.api_version),
                ("tenant", input.tenant),
            ] {
                request.insert(CelMapKey::from(k), Box::new(CelString::from(v)));
            }
            request.insert(CelMapKey::from("query"), Box::new(CelMap::from(query)));
            Box::new(CelMap::from(request))
        })
    }

    /// The body as a CEL value, or why it cannot be evaluated.
    pub(crate) fn object(&self) -> Result<&(dyn Val + 'a), &str> {
        let converted = self.object.get_or_init(|| match self.input.object {
            None => Ok(Box::new(CelNull)),
            Some(v) => {
                let mut budget = MAX_OBJECT_NODES;
                match within_bounds(v, 0, &mut budget) {
                    Some(()) => Ok(json_val(v)),
                    None => Err(format!(
                        "the request body has more than {MAX_OBJECT_NODES} values or is nested deeper than {MAX_OBJECT_DEPTH}"
                    )),
                }
            }
        });
        match converted {
            Ok(b) => Ok(&**b),
            Err(e) => Err(e.as_str()),
        }
    }
}

impl VariableResolver for CelContext<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        match variable {
            "request" => Some(CowVal::Borrowed(self.request())),
            // A body over the bounds resolves to nothing: the rule fails
            // with an undeclared reference, and `check` reports the bound.
            "object" => self.object().ok().map(CowVal::Borrowed),
            // The interpreter first asks for a whole dotted name
            // (`object.HostConfig.Memory`) before it selects field by field;
            // answering it here walks the JSON once instead. A miss returns
            // nothing and the interpreter selects field by field, so errors
            // and semantics are exactly those of the selections.
            _ => {
                if let Some(path) = variable.strip_prefix("object.") {
                    self.object().ok()?;
                    let mut v = self.input.object?;
                    for field in path.split('.') {
                        v = v.as_object()?.get(field)?;
                    }
                    Some(CowVal::Owned(json_val(v)))
                } else {
                    let field = variable.strip_prefix("request.")?;
                    let i = &self.input;
                    let s = match field {
                        "endpoint" => i.endpoint,
                        "method" => i.method,
                        "path" => i.path,
                        "apiVersion" => i.api_version,
                        "tenant" => i.tenant,
                        _ => return None,
                    };
                    Some(CowVal::Owned(Box::new(CelString::from(s))))
                }
            }
        }
    }
}

/// Counts the JSON values of `v` within `budget`, and checks its depth;
/// `None` when over either bound. No allocation: this runs per request.
fn within_bounds(v: &serde_json::Value, depth: usize, budget: &mut usize) -> Option<()> {
    *budget = budget.checked_sub(1)?;
    if depth > MAX_OBJECT_DEPTH {
        return None;
    }
    match v {
        serde_json::Value::Array(a) => a
            .iter()
            .try_for_each(|x| within_bounds(x, depth + 1, budget)),
        serde_json::Value::Object(o) => o
            .values()
            .try_for_each(|x| within_bounds(x, depth + 1, budget)),
        _ => Some(()),
    }
}
