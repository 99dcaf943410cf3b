//! Image answers as one tenant sees them: only the images it may see, with
//! the names it may see, and a claim shown as the name it pulled
//! ([`crate::tenancy::claims`]).

use serde_json::Value;

use crate::tenancy::claims::{unclaim_text, view};
use crate::TenantId;

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn string_array(list: Vec<String>) -> Value {
    Value::Array(list.into_iter().map(Value::from).collect())
}

/// Applies the tenant's view to one image object (`RepoTags`,
/// `RepoDigests`); false when the image does not exist for the tenant.
pub(super) fn apply_view(shared: &[String], tenant: &TenantId, img: &mut Value) -> bool {
    let tags = strings(img.get("RepoTags"));
    let digests = strings(img.get("RepoDigests"));
    let Some(seen) = view(shared, tenant, &tags, &digests) else {
        return false;
    };
    if let Some(o) = img.as_object_mut() {
        // a list keeps `null` for "none" as the daemon writes it
        let had_tags = o.get("RepoTags").is_some_and(Value::is_array);
        o.insert("RepoDigests".into(), string_array(seen.repo_digests));
        if had_tags || !seen.repo_tags.is_empty() {
            o.insert("RepoTags".into(), string_array(seen.repo_tags));
        }
        // the host's paths and the storage driver are not the tenant's business
        o.remove("GraphDriver");
        if let Some(Value::Object(meta)) = o.get_mut("Metadata") {
            meta.clear();
        }
    }
    true
}

/// `GET /images/json` and the `Images` of `/system/df`.
pub(super) fn list(shared: &[String], tenant: &TenantId, items: &mut Vec<Value>) {
    items.retain_mut(|img| apply_view(shared, tenant, img));
}

/// `GET /images/{name}/history`: the first layer is the image itself; its
/// `Tags` decide whether the tenant may see the image at all.
pub(super) fn history(shared: &[String], tenant: &TenantId, layers: &mut [Value]) -> bool {
    let Some(top) = layers.first() else {
        return false;
    };
    let tags = strings(top.get("Tags"));
    if view(shared, tenant, &tags, &[] as &[&str]).is_none() {
        return false;
    }
    for layer in layers.iter_mut() {
        let tags = strings(layer.get("Tags"));
        if tags.is_empty() {
            continue;
        }
        let shown = view(shared, tenant, &tags, &[] as &[&str])
            .map(|v| v.repo_tags)
            .unwrap_or_default();
        if let Some(o) = layer.as_object_mut() {
            o.insert("Tags".into(), string_array(shown));
        }
    }
    true
}

/// `DELETE /images/{claim}`: `Untagged` entries shown as the names pulled.
pub(super) fn deleted(tenant: &TenantId, items: &mut [Value]) {
    for item in items.iter_mut() {
        if let Some(Value::String(s)) = item.get_mut("Untagged") {
            *s = unclaim_text(tenant, s);
        }
    }
}
