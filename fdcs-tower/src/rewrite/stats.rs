//! `docker stats` answers carry the engine-side name (`"name":"/alpha_web"`).
//! The core plans them as pass-through (the container was already resolved
//! to one the tenant owns); the layer shows the tenant its own name back,
//! line by line as the stream goes (invariant 7), with the core's own naming
//! function. A line that is not a stats object passes unchanged: it can only
//! describe the tenant's own container.
// Stopgap until the core plans this itself (a `ResponsePlan` for stats).

use fdcs_policy::tenancy::tenant_name;
use fdcs_policy::Tenant;
use serde_json::Value;

/// Rewrites one stats line.
pub(crate) fn rewrite_stats_line(tenant: &Tenant, line: &[u8]) -> Vec<u8> {
    let Ok(mut v) = serde_json::from_slice::<Value>(line) else {
        return line.to_vec();
    };
    let Some(name) = v.get_mut("name") else {
        return line.to_vec();
    };
    let Some(engine) = name.as_str() else {
        return line.to_vec();
    };
    let bare = engine.strip_prefix('/').unwrap_or(engine);
    match tenant_name(&tenant.id, bare) {
        Some(own) => {
            *name = Value::String(format!("/{own}"));
            let mut out = v.to_string().into_bytes();
            out.push(b'\n');
            out
        }
        None => line.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fdcs_policy::TenantId;

    #[test]
    fn the_engine_side_name_becomes_the_tenants_own() {
        let t = Tenant::new(TenantId::new("alpha").unwrap());
        let out = rewrite_stats_line(
            &t,
            br#"{"name":"/alpha_web","id":"abc","pids_stats":{"current":1}}"#,
        );
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["name"], "/web");
        assert_eq!(v["pids_stats"]["current"], 1);
    }

    #[test]
    fn other_lines_pass_unchanged() {
        let t = Tenant::new(TenantId::new("alpha").unwrap());
        for line in [
            &b"not json"[..],
            br#"{"id":"x"}"#,
            br#"{"name":"/beta_db"}"#,
        ] {
            assert_eq!(rewrite_stats_line(&t, line), line.to_vec());
        }
    }
}
