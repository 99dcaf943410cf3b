//! Answering the core's obligations by asking the engine.
//!
//! Every answer is fetched fresh for the request that needs it: a cache
//! across requests would let a delete-and-recreate race turn one tenant's
//! stale fact into access to another tenant's resource. An engine failure
//! while answering is a 502 (fail closed), never a guess.

use crate::body::BoxError;
use crate::config::Limits;
use crate::engine::{call_bytes, daemon_message, json_request, EngineService};
use crate::error::Rejection;
use bytes::Bytes;
use fdcs_policy::query::percent_encode;
use fdcs_policy::tenancy::lookup::Lookup;
use fdcs_policy::{Facts, ImageFacts, Obligation, Owned, ResourceKind, Tenant};
use http::{Method, StatusCode};
use http_body::Body;
use serde_json::Value;

use fdcs_policy::tenancy::OWNER_LABEL;

/// One answered obligation.
enum Answer {
    Owned(ResourceKind, Vec<Owned>),
    Exec(String, Option<String>),
    Image(String, Option<ImageFacts>),
    Lookup(Lookup, Vec<Owned>, Option<(String, Value)>),
}

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
        record(
            facts,
            seen,
            one_answer(inner.clone(), tenant.clone(), one.clone(), limits.clone()).await?,
        );
        return Ok(());
    }
    let mut set = tokio::task::JoinSet::new();
    for o in obligations {
        set.spawn(one_answer(
            inner.clone(),
            tenant.clone(),
            o.clone(),
            limits.clone(),
        ));
    }
    while let Some(joined) = set.join_next().await {
        let answer = joined
            .map_err(|e| Rejection::Upstream(format!("fdcs: an engine lookup failed ({e})")))??;
        record(facts, seen, answer);
    }
    Ok(())
}

fn record(facts: &mut Facts, seen: &mut Seen, a: Answer) {
    match a {
        Answer::Owned(kind, list) => facts.set_owned(kind, list),
        Answer::Exec(exec, c) => {
            facts.execs.insert(exec, c);
        }
        Answer::Image(reference, img) => {
            facts.images.insert(reference, img);
        }
        Answer::Lookup(lookup, found, raw) => {
            if let Some((target, answer)) = raw.filter(|_| !found.is_empty()) {
                seen.0.insert(target, answer);
            }
            facts.lookups.insert(lookup, found);
        }
    }
}

async fn one_answer<S, RB>(
    inner: S,
    tenant: Tenant,
    o: Obligation,
    limits: Limits,
) -> Result<Answer, Rejection>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    match o {
        Obligation::Owned { kind } => Ok(Answer::Owned(
            kind,
            owned(&inner, &tenant, kind, &limits).await?,
        )),
        Obligation::ExecContainer { exec } => {
            let c = exec_container(&inner, &exec, &limits).await?;
            Ok(Answer::Exec(exec, c))
        }
        Obligation::Image { reference } => {
            let img = image(&inner, &reference, &limits).await?;
            Ok(Answer::Image(reference, img))
        }
        Obligation::Lookup(lookup) => {
            let (found, raw) = targeted(&inner, &tenant, &lookup, &limits).await?;
            Ok(Answer::Lookup(lookup, found, raw))
        }
    }
}

/// `filters={"label":["fdcs.tenant=<id>"]}`, percent-encoded.
pub(crate) fn owner_filter(tenant: &Tenant) -> String {
    let f = serde_json::json!({ "label": [format!("{OWNER_LABEL}={}", tenant.id)] }).to_string();
    format!("filters={}", percent_encode(&f))
}

async fn owned<S, RB>(
    inner: &S,
    tenant: &Tenant,
    kind: ResourceKind,
    limits: &Limits,
) -> Result<Vec<Owned>, Rejection>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    let filter = owner_filter(tenant);
    let target = match kind {
        ResourceKind::Container => format!("/containers/json?all=1&{filter}"),
        ResourceKind::Network => format!("/networks?{filter}"),
        ResourceKind::Volume => format!("/volumes?{filter}"),
    };
    let v = get_json(inner, &target, limits).await?;
    parse_owned(kind, &v).ok_or_else(|| {
        Rejection::Upstream(format!(
            "fdcs: the Docker engine's answer to `{target}` was not understood"
        ))
    })
}

/// Reads the engine's list answer; `None` when it is not the expected shape.
pub(crate) fn parse_owned(kind: ResourceKind, v: &Value) -> Option<Vec<Owned>> {
    let items = match kind {
        ResourceKind::Volume => match v.get("Volumes")? {
            Value::Null => return Some(Vec::new()),
            other => other.as_array()?,
        },
        _ => v.as_array()?,
    };
    let mut out = Vec::with_capacity(items.len());
    for it in items {
        let (id, name) = match kind {
            ResourceKind::Container => {
                let id = it.get("Id")?.as_str()?;
                let name = it
                    .get("Names")
                    .and_then(|n| n.as_array())
                    .and_then(|n| n.first())
                    .and_then(|n| n.as_str())
                    .unwrap_or("");
                (id, name.strip_prefix('/').unwrap_or(name))
            }
            ResourceKind::Network => (it.get("Id")?.as_str()?, it.get("Name")?.as_str()?),
            ResourceKind::Volume => {
                let n = it.get("Name")?.as_str()?;
                (n, n)
            }
        };
        out.push(Owned {
            id: id.to_string(),
            name: name.to_string(),
        });
    }
    Some(out)
}

async fn exec_container<S, RB>(
    inner: &S,
    exec: &str,
    limits: &Limits,
) -> Result<Option<String>, Rejection>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    // an exec id is hex; anything else cannot exist and must not reach a path
    if exec.is_empty() || exec.len() > 128 || !exec.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let req = json_request(Method::GET, &format!("/exec/{exec}/json"), None)?;
    let (status, bytes) =
        call_bytes(inner, req, limits.max_response_body, limits.lookup_timeout).await?;
    match status {
        StatusCode::OK => {
            let v: Value = serde_json::from_slice(&bytes).map_err(|_| {
                Rejection::Upstream(
                    "fdcs: the Docker engine's exec inspect answer was not JSON".into(),
                )
            })?;
            Ok(v.get("ContainerID")
                .and_then(|c| c.as_str())
                .map(str::to_string))
        }
        StatusCode::NOT_FOUND => Ok(None),
        other => Err(Rejection::Upstream(format!(
            "fdcs: the Docker engine answered {other} while looking up exec `{exec}`: {}",
            daemon_message(&bytes)
        ))),
    }
}

/// One targeted lookup: the single engine call the core names, read as
/// the core reads it.
async fn targeted<S, RB>(
    inner: &S,
    tenant: &Tenant,
    lookup: &Lookup,
    limits: &Limits,
) -> Result<(Vec<Owned>, Option<(String, Value)>), Rejection>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    let mut q = lookup.engine_query(&tenant.id);
    let req = json_request(Method::GET, &q.target, None)?;
    let (mut status, mut bytes) =
        call_bytes(inner, req, limits.max_response_body, limits.lookup_timeout).await?;
    if status == StatusCode::BAD_REQUEST {
        if let Some(list) = q.on_ambiguous.take() {
            // ambiguous among all the engine's objects: ask among the tenant's
            let req = json_request(Method::GET, &list, None)?;
            (status, bytes) =
                call_bytes(inner, req, limits.max_response_body, limits.lookup_timeout).await?;
            q.target = list;
            q.list = true;
        }
    }
    let misunderstood = || {
        Rejection::Upstream(format!(
            "fdcs: the Docker engine's answer to `{}` was not understood",
            q.target
        ))
    };
    let body: Option<Value> = match status {
        StatusCode::OK => Some(serde_json::from_slice(&bytes).map_err(|_| misunderstood())?),
        StatusCode::NOT_FOUND if !q.list => None,
        other => {
            return Err(Rejection::Upstream(format!(
                "fdcs: the Docker engine answered {other} to `{}`: {}",
                q.target,
                daemon_message(&bytes)
            )))
        }
    };
    let found = lookup
        .read_answer(&tenant.id, body.as_ref())
        .ok_or_else(misunderstood)?;
    // the parsed inspect is kept, not its bytes: serving it must not read
    // the JSON a second time
    let raw = body
        .filter(|_| status == StatusCode::OK && !q.list)
        .map(|v| (q.target, v));
    Ok((found, raw))
}

/// Which image the daemon resolves `reference` to (one inspect call).
async fn image<S, RB>(
    inner: &S,
    reference: &str,
    limits: &Limits,
) -> Result<Option<ImageFacts>, Rejection>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    // the core asks only for references its grammar read; keep the path
    // to the characters a reference may hold
    let safe =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':' | b'/' | b'@');
    if reference.is_empty() || reference.len() > 512 || !reference.bytes().all(safe) {
        return Ok(None);
    }
    let req = json_request(Method::GET, &format!("/images/{reference}/json"), None)?;
    let (status, bytes) =
        call_bytes(inner, req, limits.max_response_body, limits.lookup_timeout).await?;
    match status {
        StatusCode::OK => parse_image(&bytes).map(Some).ok_or_else(|| {
            Rejection::Upstream(
                "fdcs: the Docker engine's image inspect answer was not understood".into(),
            )
        }),
        StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST => Ok(None),
        other => Err(Rejection::Upstream(format!(
            "fdcs: the Docker engine answered {other} while looking up image `{reference}`: {}",
            daemon_message(&bytes)
        ))),
    }
}

/// Reads an image inspect answer.
fn parse_image(bytes: &[u8]) -> Option<ImageFacts> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    let list = |key: &str| -> Option<Vec<String>> {
        match v.get(key) {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(a)) => a.iter().map(|s| s.as_str().map(str::to_string)).collect(),
            Some(_) => None,
        }
    };
    Some(ImageFacts {
        id: v.get("Id")?.as_str()?.to_string(),
        repo_tags: list("RepoTags")?,
        repo_digests: list("RepoDigests")?,
    })
}

async fn get_json<S, RB>(inner: &S, target: &str, limits: &Limits) -> Result<Value, Rejection>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    let req = json_request(Method::GET, target, None)?;
    let (status, bytes) =
        call_bytes(inner, req, limits.max_response_body, limits.lookup_timeout).await?;
    if status != StatusCode::OK {
        return Err(Rejection::Upstream(format!(
            "fdcs: the Docker engine answered {status} while listing the tenant's resources: {}",
            daemon_message(&bytes)
        )));
    }
    serde_json::from_slice(&bytes).map_err(|_| {
        Rejection::Upstream("fdcs: the Docker engine's list answer was not JSON".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fdcs_policy::TenantId;

    #[test]
    fn the_owner_filter_is_encoded_for_a_query() {
        let t = Tenant::new(TenantId::new("alpha").unwrap());
        assert_eq!(
            owner_filter(&t),
            "filters=%7B%22label%22%3A%5B%22fdcs.tenant%3Dalpha%22%5D%7D"
        );
    }

    #[test]
    fn engine_lists_are_read_per_kind() {
        let c = serde_json::json!([{"Id": "abc", "Names": ["/alpha_web"]}]);
        assert_eq!(
            parse_owned(ResourceKind::Container, &c).unwrap(),
            vec![Owned {
                id: "abc".into(),
                name: "alpha_web".into()
            }]
        );
        let n = serde_json::json!([{"Id": "n1", "Name": "alpha_net"}]);
        assert_eq!(
            parse_owned(ResourceKind::Network, &n).unwrap()[0].name,
            "alpha_net"
        );
        let v = serde_json::json!({"Volumes": [{"Name": "alpha_data"}], "Warnings": null});
        assert_eq!(
            parse_owned(ResourceKind::Volume, &v).unwrap()[0].id,
            "alpha_data"
        );
        let none = serde_json::json!({"Volumes": null});
        assert!(parse_owned(ResourceKind::Volume, &none).unwrap().is_empty());
    }

    #[test]
    fn an_unexpected_answer_is_not_an_empty_list() {
        // an error object must not read as "owns nothing"... nor as anything
        let err = serde_json::json!({"message": "boom"});
        assert!(parse_owned(ResourceKind::Container, &err).is_none());
        assert!(parse_owned(ResourceKind::Volume, &serde_json::json!([])).is_none());
        assert!(parse_owned(ResourceKind::Network, &serde_json::json!([{"Id": 1}])).is_none());
    }
}
