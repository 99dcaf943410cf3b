//! Custom rules in CEL, after Kubernetes ValidatingAdmissionPolicy.
//!
//! ```yaml
//! custom:
//!   - id: labels.owner-required             # rule id `custom.labels.owner-required`
//!     match: { endpoints: [ContainerCreate] }
//!     variables:
//!       - { name: labels, expression: "has(object.Labels) && object.Labels != null ? object.Labels : {}" }
//!     expression: "'owner' in variables.labels"   # true = allowed
//!     message: "containers need an `owner` label; add --label owner=<you>"
//! ```
//!
//! Every expression is compiled when the policy loads and checked against
//! [`Limits`]. At run time an evaluation error or a result that is not a
//! bool denies the request (fail closed), naming the rule and the error.

use super::cel_bounds;
pub use super::cel_bounds::Limits;
use super::cel_value::CelContext;
use super::err::{Errs, Pos};
use super::schema::RawCustom;
use super::PolicyError;
use crate::Denial;
use cel::common::types::{CelBool, CelString};
use cel::{Context, Env, IdedExpr, Value};
use serde_saphyr::Spanned;
use std::sync::Arc;

/// Every endpoint name a `match.endpoints` entry may use: the
/// [`crate::route::Endpoint`] variants, and the administration groups.
///
/// Kept by hand beside the enum; the test
/// `every_routed_endpoint_can_be_named_in_match` routes every swagger path
/// and fails when an endpoint is missing here.
pub const ENDPOINT_NAMES: &[&str] = &[
    "ContainerList",
    "ContainerCreate",
    "ContainerInspect",
    "ContainerTop",
    "ContainerLogs",
    "ContainerChanges",
    "ContainerExport",
    "ContainerStats",
    "ContainerResize",
    "ContainerStart",
    "ContainerStop",
    "ContainerRestart",
    "ContainerKill",
    "ContainerUpdate",
    "ContainerRename",
    "ContainerPause",
    "ContainerUnpause",
    "ContainerAttach",
    "ContainerAttachWebsocket",
    "ContainerWait",
    "ContainerDelete",
    "ContainerArchiveInfo",
    "ContainerArchive",
    "PutContainerArchive",
    "ContainerPrune",
    "ContainerExec",
    "ExecStart",
    "ExecResize",
    "ExecInspect",
    "ImageList",
    "ImageBuild",
    "BuildPrune",
    "ImageCreate",
    "ImageInspect",
    "ImageHistory",
    "ImagePush",
    "ImageTag",
    "ImageDelete",
    "ImageSearch",
    "ImagePrune",
    "ImageCommit",
    "ImageGet",
    "ImageGetAll",
    "ImageLoad",
    "DistributionInspect",
    "ImageAttestations",
    "NetworkList",
    "NetworkInspect",
    "NetworkDelete",
    "NetworkCreate",
    "NetworkConnect",
    "NetworkDisconnect",
    "NetworkPrune",
    "VolumeList",
    "VolumeCreate",
    "VolumeInspect",
    "VolumeUpdate",
    "VolumeDelete",
    "VolumePrune",
    "SystemAuth",
    "SystemInfo",
    "SystemVersion",
    "SystemPing",
    "SystemPingHead",
    "SystemEvents",
    "SystemDataUsage",
    "Session",
    "SwarmInspect",
    "ServiceList",
    "ServiceCreate",
    "ServiceInspect",
    "ServiceDelete",
    "ServiceUpdate",
    "ServiceLogs",
    "TaskList",
    "TaskInspect",
    "TaskLogs",
    "SecretList",
    "SecretCreate",
    "SecretInspect",
    "SecretDelete",
    "SecretUpdate",
    "ConfigList",
    "ConfigCreate",
    "ConfigInspect",
    "ConfigDelete",
    "ConfigUpdate",
    "NodeList",
    "NodeInspect",
    "Swarm",
    "Node",
    "Plugin",
    "Checkpoint",
    "Grpc",
    "Other",
];

/// A compiled custom rule.
#[derive(Clone)]
pub struct CelRule {
    id: crate::RuleId,
    /// Endpoint names; empty means every endpoint (`"*"`).
    endpoints: Vec<String>,
    variables: Vec<(String, IdedExpr)>,
    expression: IdedExpr,
    message: String,
    message_expression: Option<IdedExpr>,
    /// Whether any expression of the rule reads `object` (the body is
    /// converted only for rules that do).
    reads_object: bool,
    env: Arc<Env>,
}

impl std::fmt::Debug for CelRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CelRule")
            .field("id", &self.id)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl CelRule {
    /// The rule id as it appears in denials: `custom.<id from the file>`.
    pub fn id(&self) -> &str {
        self.id.as_str()
    }

    /// The rule id, typed as every denial carries it.
    pub fn rule_id(&self) -> &crate::RuleId {
        &self.id
    }

    /// Whether the rule judges requests to this endpoint ([`crate::route::Endpoint::name`]).
    pub fn applies_to(&self, endpoint: &str) -> bool {
        self.endpoints.is_empty() || self.endpoints.iter().any(|e| e == endpoint)
    }

    /// Judges one request. `Err` is the denial: the rule said no, or it could
    /// not be evaluated (fail closed).
    pub fn check(&self, ctx: &CelContext<'_>) -> Result<(), Denial> {
        let mut root = Context::with_env(Arc::clone(&self.env));
        root.set_variable_resolver(ctx);
        let fail = |what: String| {
            Denial::policy(
                self.id.clone(),
                format!("custom rule could not be evaluated: {what}"),
                "the request is refused while the rule fails; ask the operator to fix the policy",
            )
        };
        // A body over the conversion bounds: name the bound, not the symptom.
        if self.reads_object {
            if let Err(e) = ctx.object() {
                return Err(fail(e.to_string()));
            }
        }
        if self.variables.is_empty() {
            return match eval_bool(&self.expression, &root) {
                Ok(true) => Ok(()),
                Ok(false) => Err(self.deny(&root)),
                Err(e) => Err(fail(e)),
            };
        }
        // Variables are evaluated in order into one child scope, each bound
        // to the name `bind_variables` gave its uses.
        let mut scope = root.new_inner_scope();
        for (i, (name, expr)) in self.variables.iter().enumerate() {
            let v = Value::resolve_val(expr, &scope)
                .map_err(|e| fail(format!("variable `{name}`: {e}")))?
                .into_owned();
            scope.add_variable_as_val(format!("@{i}"), v);
        }
        match eval_bool(&self.expression, &scope) {
            Ok(true) => Ok(()),
            Ok(false) => Err(self.deny(&scope)),
            Err(e) => Err(fail(e)),
        }
    }

    /// The denial for a `false` verdict; `messageExpression` wins when it
    /// yields a non-empty string. The text before the first `; ` says what
    /// was refused, the rest what to do instead.
    fn deny(&self, scope: &Context<'_, '_>) -> Denial {
        let dynamic = self.message_expression.as_ref().and_then(|m| {
            let v = Value::resolve_val(m, scope).ok()?;
            let s = v.downcast_ref::<CelString>()?.inner().to_string();
            (!s.trim().is_empty()).then_some(s)
        });
        let msg = dynamic.unwrap_or_else(|| self.message.clone());
        let (what, instead) = msg.split_once("; ").unwrap_or((
            msg.as_str(),
            "change the request to satisfy the operator's policy",
        ));
        Denial::policy(self.id.clone(), what, instead)
    }
}

fn eval_bool(e: &IdedExpr, ctx: &Context<'_, '_>) -> Result<bool, String> {
    let v = Value::resolve_val(e, ctx).map_err(|e| e.to_string())?;
    match v.downcast_ref::<CelBool>() {
        Some(b) => Ok(*b.inner()),
        None => Err(format!(
            "the expression returned a {}, not a bool",
            v.get_type().name()
        )),
    }
}

/// Compiles the `custom:` list.
pub(crate) fn compile_all(
    list: Spanned<Vec<RawCustom>>,
    limits: &Limits,
    errs: Errs<'_>,
) -> Result<Vec<CelRule>, PolicyError> {
    if list.value.len() > limits.max_rules {
        return Err(errs.at(
            Pos::of(&list),
            format!(
                "{} custom rules; the limit is {}",
                list.value.len(),
                limits.max_rules
            ),
        ));
    }
    let env = Arc::new(Env::stdlib());
    let mut out: Vec<CelRule> = Vec::with_capacity(list.value.len());
    for raw in list.value {
        let at = Pos::of(&raw.id);
        let rule = compile_one(raw, limits, &env, errs)?;
        if out.iter().any(|r| r.id == rule.id) {
            return Err(errs.at(at, format!("duplicate rule id `{}`", rule.id)));
        }
        out.push(rule);
    }
    Ok(out)
}

fn compile_one(
    raw: RawCustom,
    limits: &Limits,
    env: &Arc<Env>,
    errs: Errs<'_>,
) -> Result<CelRule, PolicyError> {
    let id = &raw.id.value;
    let id_ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && id.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    if !id_ok {
        return Err(errs.at(
            Pos::of(&raw.id),
            format!("rule id `{id}` must start with a letter and use only [a-z0-9.-], at most 64 characters"),
        ));
    }
    let full_id = crate::RuleId::custom(id);
    let mut endpoints = Vec::new();
    if raw.matcher.value.endpoints.value.is_empty() {
        return Err(errs.at(
            Pos::of(&raw.matcher.value.endpoints),
            "match.endpoints must name at least one endpoint, or `*` for all",
        ));
    }
    for e in &raw.matcher.value.endpoints.value {
        if e.value == "*" {
            endpoints.clear();
            break;
        }
        if !ENDPOINT_NAMES.contains(&e.value.as_str()) {
            return Err(errs.at(
                Pos::of(e),
                format!("unknown endpoint `{}`: use an Engine API operation id such as `ContainerCreate`", e.value),
            ));
        }
        endpoints.push(e.value.clone());
    }
    let mut variables: Vec<(String, IdedExpr)> = Vec::new();
    let mut reads_object = false;
    if let Some(vars) = &raw.variables {
        if vars.value.len() > limits.max_variables {
            return Err(errs.at(
                Pos::of(vars),
                format!(
                    "{} variables; the limit is {}",
                    vars.value.len(),
                    limits.max_variables
                ),
            ));
        }
        for v in &vars.value {
            let name = &v.name.value;
            let ok = name
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !ok {
                return Err(errs.at(
                    Pos::of(&v.name),
                    format!("variable name `{name}` is not a CEL identifier"),
                ));
            }
            if variables.iter().any(|(n, _)| n == name) {
                return Err(errs.at(Pos::of(&v.name), format!("duplicate variable `{name}`")));
            }
            let declared: Vec<&str> = variables.iter().map(|(n, _)| n.as_str()).collect();
            let (expr, reads) = compile_expr(&v.expression, env, limits, &declared, errs)?;
            reads_object |= reads;
            variables.push((name.clone(), expr));
        }
    }
    let declared: Vec<&str> = variables.iter().map(|(n, _)| n.as_str()).collect();
    let (expression, reads) = compile_expr(&raw.expression, env, limits, &declared, errs)?;
    reads_object |= reads;
    let message_expression = match &raw.message_expression {
        Some(m) => {
            let (e, reads) = compile_expr(m, env, limits, &declared, errs)?;
            reads_object |= reads;
            Some(e)
        }
        None => None,
    };
    let message = match (&raw.message, &message_expression) {
        (Some(m), _) if !m.value.trim().is_empty() => m.value.clone(),
        (Some(m), _) => return Err(errs.at(Pos::of(m), "message must not be empty")),
        (None, Some(_)) => format!("the request is refused by custom rule `{full_id}`"),
        (None, None) => {
            return Err(errs.at(
                Pos::of(&raw.id),
                format!("custom rule `{id}` needs a `message` or a `messageExpression` telling the client what to do"),
            ))
        }
    };
    Ok(CelRule {
        id: full_id,
        endpoints,
        variables,
        expression,
        message,
        message_expression,
        reads_object,
        env: Arc::clone(env),
    })
}

/// Parses and bounds one expression; errors point into the YAML.
fn compile_expr(
    src: &Spanned<String>,
    env: &Env,
    limits: &Limits,
    variables: &[&str],
    errs: Errs<'_>,
) -> Result<(IdedExpr, bool), PolicyError> {
    let at = Pos::of(src);
    if src.value.len() > limits.max_expression_bytes {
        return Err(errs.at(
            at,
            format!(
                "expression is {} bytes; the limit is {}",
                src.value.len(),
                limits.max_expression_bytes
            ),
        ));
    }
    if let Err(i) = cel_bounds::bracket_depth(&src.value, limits.max_bracket_depth) {
        let (line, col) = line_col(&src.value, u32::try_from(i).unwrap_or(0));
        return Err(errs.at(
            errs.inside(at, &src.value, line, col),
            format!(
                "expression nests brackets more than {} deep; move inner parts into `variables`",
                limits.max_bracket_depth
            ),
        ));
    }
    let to_usize = |x: isize| usize::try_from(x).unwrap_or(1).max(1);
    let (expr, info) = env
        .parser()
        .max_recursion_depth(limits.max_parse_depth)
        .parse_with_source_info(&src.value)
        .map_err(|e| {
            let first = e.errors.first();
            let msg = first.map_or_else(|| e.to_string(), |p| p.msg.clone());
            let (line, col) = first.map_or((1, 1), |p| (to_usize(p.pos.0), to_usize(p.pos.1)));
            errs.at(
                errs.inside(at, &src.value, line, col),
                format!("invalid cel expression: {}", lower_first(&msg)),
            )
        })?;
    let reads_object = cel_bounds::check(&expr, limits, variables).map_err(|(m, id)| {
        let (line, col) = info
            .offset_for(id)
            .map_or((1, 1), |(start, _)| line_col(&src.value, start));
        errs.at(errs.inside(at, &src.value, line, col), m)
    })?;
    let mut expr = expr;
    cel_bounds::bind_variables(&mut expr, variables);
    Ok((expr, reads_object))
}

/// `Syntax error: ...` → `syntax error: ...` (messages start lowercase).
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// 1-based line and column of the character at `offset` in `text`.
fn line_col(text: &str, offset: u32) -> (usize, usize) {
    let offset = usize::try_from(offset).unwrap_or(0);
    let (mut line, mut col) = (1, 1);
    for c in text.chars().take(offset) {
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}
