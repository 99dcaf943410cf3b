//! At start, `serve` reads the engine's `/info` and warns about the daemon
//! settings fdcs cannot enforce itself but can see (DEPLOY.md): a warning,
//! never a refusal to start, since the operator may know better.

use fdcs_tower::{EngineAddr, Upstream};
use http_body_util::BodyExt;
use serde_json::Value;

/// The risky settings `info` shows, each with what to do (DEPLOY.md).
pub(super) fn risky(info: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let pools_default = match info.get("DefaultAddressPools") {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(_) => false,
    };
    if pools_default {
        out.push(
            "the engine uses its default address pools (31 networks for all tenants): set \
             `default-address-pools` with small subnets in daemon.json (DEPLOY.md, section 2)"
                .to_string(),
        );
    }
    let security: Vec<&str> = info
        .get("SecurityOptions")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !security
        .iter()
        .any(|o| o.starts_with("name=userns") || o.starts_with("name=rootless"))
    {
        out.push(
            "container root is host root (neither userns-remap nor rootless): set \
             `userns-remap` in daemon.json or run a rootless engine (DEPLOY.md, section 4)"
                .to_string(),
        );
    }
    if info.get("LoggingDriver").and_then(Value::as_str) == Some("json-file") {
        out.push(
            "the engine's default log driver is json-file, unbounded unless daemon.json sets \
             `log-opts` max-size and max-file: fdcs bounds the containers it creates, set the \
             daemon's defaults for the rest (DEPLOY.md, section 3)"
                .to_string(),
        );
    }
    out
}

/// Reads `/info` and logs every risky setting; an engine that cannot be
/// read is only logged (the first request will say more).
pub(super) async fn warn_about(engine: &EngineAddr) {
    let read = async {
        let req = http::Request::get("/info").body(fdcs_tower::empty()).ok()?;
        let resp = tower::Service::call(&mut Upstream::new(engine), req)
            .await
            .ok()?;
        let body = http_body_util::Limited::new(resp.into_body(), 4 << 20)
            .collect()
            .await
            .ok()?
            .to_bytes();
        serde_json::from_slice::<Value>(&body).ok()
    };
    match tokio::time::timeout(std::time::Duration::from_secs(10), read).await {
        Ok(Some(info)) => {
            for w in risky(&info) {
                tracing::warn!(target: "fdcs::serve", "risky engine setting: {w}");
            }
        }
        _ => {
            tracing::warn!(target: "fdcs::serve", "could not read the engine's /info to check its settings")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_flagged_and_a_hardened_engine_is_not() {
        let plain = json!({"DefaultAddressPools": null, "SecurityOptions": ["name=seccomp,profile=default"], "LoggingDriver": "json-file"});
        assert_eq!(risky(&plain).len(), 3);
        let hardened = json!({
            "DefaultAddressPools": [{"Base": "10.200.0.0/16", "Size": 24}],
            "SecurityOptions": ["name=seccomp,profile=default", "name=userns"],
            "LoggingDriver": "local"
        });
        assert!(risky(&hardened).is_empty(), "{:?}", risky(&hardened));
    }
}
