//! What a custom rule sees: `object` (the judged body) and `request`.
//!
//! The body is converted to CEL values once per request, lazily, the first
//! time a rule reads `object`, and shared by every rule. Strings are borrowed
//! from the JSON, not copied. The conversion is bounded: a body with more
//! than [`MAX_OBJECT_NODES`] JSON values or nested deeper than
//! [`MAX_OBJECT_DEPTH`] is not evaluated, and every rule that reads it denies
//! (fail closed). Together with the body-size limit of the adapter and the
//! comprehension-nesting limit of the compiler, this bounds the work of any
//! custom rule to about `MAX_OBJECT_NODES²` steps.

use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt,
};
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
    request: Box<dyn Val + 'a>,
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
    /// Prepares the variables of one request. Cheap: the body is converted
    /// only if a rule reads it.
    pub fn new(input: &CelInput<'a>) -> Self {
        let mut query: HashMap<CelMapKey<'a>, Box<dyn Val + 'a>> = HashMap::new();
        for (k, v) in input.query {
            query
                .entry(CelMapKey::from(k.as_str()))
                .or_insert_with(|| Box::new(CelString::from(v.as_str())));
        }
        let mut request: HashMap<CelMapKey<'a>, Box<dyn Val + 'a>> = HashMap::with_capacity(6);
        let mut put = |k: &'static str, v: &'a str| {
            request.insert(CelMapKey::from(k), Box::new(CelString::from(v)));
        };
        put("endpoint", input.endpoint);
        put("method", input.method);
        put("path", input.path);
        put("apiVersion", input.api_version);
        put("tenant", input.tenant);
        request.insert(CelMapKey::from("query"), Box::new(CelMap::from(query)));
        CelContext {
            input: *input,
            request: Box::new(CelMap::from(request)),
            object: OnceLock::new(),
        }
    }

    /// The body as a CEL value, or why it cannot be evaluated.
    pub(crate) fn object(&self) -> Result<&(dyn Val + 'a), &str> {
        let converted = self.object.get_or_init(|| match self.input.object {
            None => Ok(Box::new(CelNull)),
            Some(v) => {
                let mut budget = MAX_OBJECT_NODES;
                to_val(v, 0, &mut budget).ok_or_else(|| {
                    format!(
                        "the request body has more than {MAX_OBJECT_NODES} values or is nested deeper than {MAX_OBJECT_DEPTH}"
                    )
                })
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
            "request" => Some(CowVal::Borrowed(&*self.request)),
            // A body over the bounds resolves to nothing: the rule fails
            // with an undeclared reference, and `check` reports the bound.
            "object" => self.object().ok().map(CowVal::Borrowed),
            _ => None,
        }
    }
}

/// Converts JSON to CEL values, borrowing strings; `None` when over budget.
fn to_val<'a>(
    v: &'a serde_json::Value,
    depth: usize,
    budget: &mut usize,
) -> Option<Box<dyn Val + 'a>> {
    *budget = budget.checked_sub(1)?;
    if depth > MAX_OBJECT_DEPTH {
        return None;
    }
    Some(match v {
        serde_json::Value::Null => Box::new(CelNull),
        serde_json::Value::Bool(b) => Box::new(CelBool::from(*b)),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Box::new(CelInt::from(i))
            } else if let Some(u) = n.as_u64() {
                Box::new(CelUInt::from(u))
            } else {
                Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN)))
            }
        }
        serde_json::Value::String(s) => Box::new(CelString::from(s.as_str())),
        serde_json::Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for x in a {
                out.push(to_val(x, depth + 1, budget)?);
            }
            Box::new(CelList::from(out))
        }
        serde_json::Value::Object(o) => {
            let mut out = HashMap::with_capacity(o.len());
            for (k, x) in o {
                out.insert(CelMapKey::from(k.as_str()), to_val(x, depth + 1, budget)?);
            }
            Box::new(CelMap::from(out))
        }
    })
}
