//! Answering the core's obligations by asking the engine.
//!
//! The core names the call for each question and reads the answer
//! ([`Obligation::engine_query`], [`Facts::learn`]); this module only sends
//! the calls, several at once when the core asks several questions.
//!
//! Every answer is fetched fresh for the request that needs it: a cache
//! across requests would let a delete-and-recreate race turn one tenant's
//! stale fact into access to another tenant's resource. An engine failure
//! while answering is a 502 (fail closed), never a guess.

use crate::body::BoxError;
use crate::config::Limits;
use crate::engine::{call_bytes, json_request, EngineService};
use crate::error::Rejection;
use bytes::Bytes;
use fdcs_policy::{EngineQuery, Facts, Obligation, Tenant};
use http::Method;
use http_body::Body;
use serde_json::Value;

/// Inspect answers read while judging this request, by target: an inspect
/// lookup is the same call as an inspect request, and its answer (read a
/// moment ago, owner label checked) serves that request without asking the
/// engine again. Kept for one request only, never across requests.
#[derive(Debug, Default)]
pub(crate) struct Seen(std::collections::HashMap<String, Value>);

impl Seen {
    /// The answer to `target`, if one was read while judging.
    pub(crate) fn take(&mut self, target: &str) -> Option<Value> {
        self.0.remove(target)
    }
}

/// The engine's answer to one question: the last call made, its status and
/// body; `None` when the core said no call is needed.
type Reply = (Obligation, Option<(EngineQuery, u16, Bytes)>);

/// Answers every obligation into `facts`; several lookups run concurrently.
pub(crate) async fn answer<S, RB>(
    inner: &S,
    tenant: &Tenant,
    obligations: &[Obligation],
    facts: &mut Facts,
    seen: &mut Seen,
    limits: &Limits,
) -> Result<(), Rejection>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    if let [one] = obligations {
        let reply = ask(inner.clone(), tenant.clone(), one.clone(), limits.clone()).await?;
        return learn(tenant, facts, seen, reply);
    }
    let mut set = tokio::task::JoinSet::new();
    for o in obligations {
        set.spawn(ask(
            inner.clone(),
            tenant.clone(),
            o.clone(),
            limits.clone(),
        ));
    }
    while let Some(joined) = set.join_next().await {
        let reply =
            joined.map_err(|e| Rejection::Upstream(format!("fdcs: lookup failed: {e}")))??;
        learn(tenant, facts, seen, reply)?;
    }
    Ok(())
}

fn learn(
    tenant: &Tenant,
    facts: &mut Facts,
    seen: &mut Seen,
    reply: Reply,
) -> Result<(), Rejection> {
    let (question, call) = reply;
    let Some((query, status, body)) = call else {
        facts.learn_absent(&tenant.id, &question);
        return Ok(());
    };
    let served = facts
        .learn(&tenant.id, &question, &query, status, &body)
        .map_err(|e| Rejection::Upstream(e.to_string()))?;
    if let Some(answer) = served {
        seen.0.insert(query.target, answer);
    }
    Ok(())
}

/// Sends the call the core names for `question` (and the one it names
/// instead after the first answer, if any).
async fn ask<S, RB>(
    inner: S,
    tenant: Tenant,
    question: Obligation,
    limits: Limits,
) -> Result<Reply, Rejection>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    let Some(mut query) = question.engine_query(&tenant.id) else {
        return Ok((question, None));
    };
    loop {
        let req = json_request(Method::GET, &query.target, None)?;
        let (status, body) =
            call_bytes(&inner, req, limits.max_response_body, limits.lookup_timeout).await?;
        match query.instead(status.as_u16()) {
            Some(next) => query = next,
            None => return Ok((question, Some((query, status.as_u16(), body)))),
        }
    }
}
