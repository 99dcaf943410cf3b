//! `volumes.nfs`: the operator's shared volume backend. Where the policy
//! names one, every named volume of a tenant is a `local` volume of type
//! `nfs` in the tenant's own directory of the export
//! (`<export>/<tenant>/<name>`), with driver options only fdcs writes — a
//! tenant's own `type=nfs` options stay refused (`mounts.no-host-path`).
//! So a service's tasks find their volume on whichever node they land.

use std::collections::BTreeMap;

use crate::policy::VolumesParams;
use crate::TenantId;

/// The driver options of the tenant's volume `name` (its own name, not
/// the engine-side one) on the backend, or `None` without one.
pub fn driver_opts(
    v: &VolumesParams,
    tenant: &TenantId,
    name: &str,
) -> Option<BTreeMap<String, String>> {
    let nfs = v.nfs.as_ref()?;
    let mut o = format!("addr={}", nfs.server);
    if !nfs.options.is_empty() {
        o.push(',');
        o.push_str(&nfs.options);
    }
    Some(BTreeMap::from([
        ("type".to_string(), "nfs".to_string()),
        ("o".to_string(), o),
        (
            "device".to_string(),
            format!(":{}/{tenant}/{name}", nfs.export),
        ),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::NfsBackend;

    #[test]
    fn each_tenant_has_its_own_directory() {
        let v = VolumesParams {
            nfs: Some(NfsBackend {
                server: "10.0.0.5".into(),
                export: "/srv/fdcs".into(),
                options: "nfsvers=4.1,soft".into(),
            }),
            ..VolumesParams::default()
        };
        let alpha = TenantId::new("alpha").unwrap_or_else(|_| unreachable!());
        let o = driver_opts(&v, &alpha, "data").unwrap_or_default();
        assert_eq!(o["type"], "nfs");
        assert_eq!(o["o"], "addr=10.0.0.5,nfsvers=4.1,soft");
        assert_eq!(o["device"], ":/srv/fdcs/alpha/data");
        assert!(driver_opts(&VolumesParams::default(), &alpha, "data").is_none());
    }
}
