//! What every family judge shares: the request in context, resolution of
//! references, and building the forward plan.

use serde_json::Value;

use crate::policy::{CelContext, CelInput};
use crate::query::Query;
use crate::route::Endpoint;
use crate::route::RouteMatch;
use crate::tenancy::engine_name;
use crate::tenancy::resolve::{not_found_at, resolve_at, BodyRef, Resolution};
use crate::{
    Denial, Facts, Forward, Obligation, Owned, Policy, Request, ResourceKind, ResponsePlan, Tenant,
};

/// Why judging stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    /// A fact is missing.
    Need(Obligation),
    /// Refused.
    Deny(Denial),
}

impl From<Denial> for Stop {
    fn from(d: Denial) -> Self {
        Stop::Deny(d)
    }
}

impl From<crate::decode::DecodeError> for Stop {
    fn from(e: crate::decode::DecodeError) -> Self {
        Stop::Deny(e.into())
    }
}

/// The request in context.
pub(crate) struct Ctx<'a> {
    pub(crate) policy: &'a Policy,
    pub(crate) tenant: &'a Tenant,
    pub(crate) facts: &'a Facts,
    pub(crate) req: &'a Request,
    pub(crate) route: RouteMatch,
    pub(crate) query: Query,
    /// Set by a family judge when it changed the body (labels, limits, names).
    pub(crate) rewritten: std::cell::Cell<bool>,
    /// Where every rule hands its refusals: a rule in `warn` or `audit`
    /// mode is recorded there and judging goes on (`enforce.rs`).
    pub(crate) enforcer: crate::Enforcer<'a>,
}

impl<'a> Ctx<'a> {
    /// Resolves a reference among the tenant's own resources.
    pub(crate) fn resolve(&self, kind: ResourceKind, reference: &str) -> Result<&'a Owned, Stop> {
        self.resolve_in_body(kind, reference)?
            .ok_or_else(|| Stop::Deny(not_found_at(self.route.endpoint, kind, reference)))
    }

    /// Resolves a reference in a body: the tenant's own resource, or
    /// `None` when it has none of that name (another tenant's looks the
    /// same); an ambiguous prefix is the daemon's 400.
    pub(crate) fn resolve_in_body(
        &self,
        kind: ResourceKind,
        reference: &str,
    ) -> Result<Option<&'a Owned>, Stop> {
        match resolve_at(
            self.facts,
            &self.tenant.id,
            kind,
            reference,
            &self.route.prefix(),
        ) {
            Resolution::Owned(o) => Ok(Some(o)),
            Resolution::Need(o) => Err(Stop::Need(o)),
            Resolution::NotFound(_) => Ok(None),
            Resolution::Ambiguous(d) => Err(Stop::Deny(d)),
        }
    }

    /// A container named in a create body that the daemon looks up at
    /// create time: the tenant's own, or the daemon's answer for `field`.
    pub(crate) fn body_container(
        &self,
        field: BodyRef,
        reference: &str,
    ) -> Result<&'a Owned, Stop> {
        self.resolve_in_body(ResourceKind::Container, reference)?
            .ok_or_else(|| Stop::Deny(field.missing(reference)))
    }

    /// A reference the daemon resolves only later (at start): the engine
    /// name or id of the tenant's own resource (`pick`), or, when it has
    /// none, the tenant's scoped name, which is nobody else's: the engine
    /// then answers as it does for any name that does not exist.
    pub(crate) fn scoped_ref(
        &self,
        kind: ResourceKind,
        reference: &str,
        pick: impl FnOnce(&Owned) -> String,
    ) -> Result<String, Stop> {
        Ok(match self.resolve_in_body(kind, reference)? {
            Some(o) => pick(o),
            None => engine_name(
                &self.tenant.id,
                reference.strip_prefix('/').unwrap_or(reference),
            ),
        })
    }

    /// The raw path without its `/vX.Y` prefix.
    fn unversioned(&self) -> Result<&str, Stop> {
        let prefix = self.route.prefix();
        self.req.path.strip_prefix(prefix.as_str()).ok_or_else(|| {
            Stop::Deny(Denial::malformed(
                crate::RuleId::ROUTE_AMBIGUOUS,
                "the version prefix is not in canonical form",
                "use a prefix like /v1.41",
            ))
        })
    }

    /// The path with the resource reference (second segment) replaced.
    pub(crate) fn path_with_ref(&self, new_ref: &str) -> Result<String, Stop> {
        let rest = self.unversioned()?;
        let mut out = self.route.prefix();
        for (i, seg) in rest.split('/').enumerate() {
            if i > 0 {
                out.push('/');
            }
            if i == 2 {
                out.push_str(new_ref);
            } else {
                out.push_str(seg);
            }
        }
        Ok(out)
    }

    /// A path under the same version prefix (`/volumes/create`).
    pub(crate) fn versioned(&self, tail: &str) -> String {
        format!("{}{tail}", self.route.prefix())
    }

    /// A forward plan with the given path, query, body and response plan.
    pub(crate) fn forward(
        &self,
        path: String,
        query: &Query,
        body: Option<Value>,
        response: ResponsePlan,
    ) -> Forward {
        Forward {
            method: self.req.method.clone(),
            path,
            query: query.encode(),
            body,
            stream_body: false,
            registry_auth: None,
            registry_config: None,
            prelude: Vec::new(),
            postlude: Vec::new(),
            response,
            warnings: Vec::new(),
            warnings_field: None,
        }
    }

    /// Forward the request as it is (path unchanged, canonical query, no body).
    pub(crate) fn as_is(&self, response: ResponsePlan) -> Forward {
        self.forward(self.req.path.clone(), &self.query, None, response)
    }

    /// Forward to the resource `id` (resolved), no body.
    pub(crate) fn to_ref(
        &self,
        kind: ResourceKind,
        response: ResponsePlan,
    ) -> Result<Forward, Stop> {
        let reference = self.route.reference();
        let owned = self.resolve(kind, reference)?;
        // An inspect found by its name goes by that name: the request is
        // then the very call that looked it up, whose answer the adapter
        // may serve without asking again. Everything else acts on the
        // resolved id, never on a name (no rename race).
        let inspect = matches!(
            self.route.endpoint,
            Endpoint::ContainerInspect
                | Endpoint::NetworkInspect
                | Endpoint::ServiceInspect
                | Endpoint::SecretInspect
                | Endpoint::ConfigInspect
        );
        let by_name = inspect
            && owned.name
                == engine_name(
                    &self.tenant.id,
                    reference.strip_prefix('/').unwrap_or(reference),
                );
        let id = if kind == ResourceKind::Volume || by_name {
            &owned.name
        } else {
            &owned.id
        };
        Ok(self.forward(self.path_with_ref(id)?, &self.query, None, response))
    }

    /// Evaluates the policy's custom CEL rules on what will be forwarded.
    pub(crate) fn custom_rules(&self, fwd: &Forward) -> Result<(), Stop> {
        let endpoint = self.route.endpoint.name();
        let mut rules = self
            .policy
            .custom
            .iter()
            .filter(|r| r.applies_to(endpoint))
            .peekable();
        if rules.peek().is_none() {
            return Ok(());
        }
        let version = self.route.api_version().to_string();
        let path = self.unversioned()?;
        let input = CelInput {
            endpoint,
            method: &self.req.method,
            path,
            api_version: &version,
            tenant: self.tenant.id.as_str(),
            object: fwd.body.as_ref(),
            query: self.query.pairs(),
        };
        let ctx = CelContext::new(&input);
        for rule in rules {
            if let Err(d) = rule.check(&ctx) {
                self.enforcer.refuse(d)?;
            }
        }
        Ok(())
    }

    /// Records that the body was changed by the policy.
    pub(crate) fn mark_rewritten(&self) {
        self.rewritten.set(true);
    }

    /// Whether the forward differs in meaning from what the client sent: a
    /// changed path or query, a prelude, or a body the policy changed. (A
    /// body re-serialised unchanged is still an `Allow`: same fields, same
    /// values, canonical spelling.)
    pub(crate) fn changed(&self, fwd: &Forward) -> bool {
        self.rewritten.get()
            || fwd.path != self.req.path
            || fwd.query != self.req.query
            || !fwd.prelude.is_empty()
    }
}

/// A 403 for an operation the policy never allows a tenant.
pub(crate) fn forbidden(rule: crate::RuleId, what: &str, instead: &str) -> Stop {
    Stop::Deny(Denial::policy(rule, what, instead))
}
