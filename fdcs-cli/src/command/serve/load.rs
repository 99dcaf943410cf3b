//! Loading (and reloading) the policy and the tenants, and choosing the
//! authenticator. Only this binary reads files; the crates take strings.

use super::Args;
use crate::command::policy_args::PolicyArgs;
use anyhow::Context as _;
use fdcs_policy::Policy;
use fdcs_tower::{
    Authenticate, KeystoneAuth, KeystoneConfig, ServiceCredentials, SharedPolicy,
    TenantCredentials, TenantsAuth,
};
use std::sync::Arc;
use std::time::Duration;

/// The authenticator in force.
pub(super) type Auth = Arc<dyn Authenticate>;

/// Where policy and tenants come from (`--policy`, `--tenants`; none:
/// embedded), read again on SIGHUP.
#[derive(Debug, Clone)]
pub(super) struct Sources(PolicyArgs);

impl Sources {
    pub(super) fn from_args(a: &Args) -> Self {
        Sources(a.source.clone())
    }

    fn read_policy(&self) -> anyhow::Result<Policy> {
        self.0.load_policy()
    }

    fn read_tenants(&self) -> anyhow::Result<Vec<TenantCredentials>> {
        Ok(self
            .0
            .tenants_or_demo()?
            .tenants
            .into_iter()
            .map(|e| TenantCredentials {
                tenant: e.tenant,
                tokens: e.tokens,
                token_sha256: e.token_sha256,
                certificates: e.certificates,
            })
            .collect())
    }
}

/// What is loaded now.
pub(super) struct Loaded {
    pub(super) policy: SharedPolicy,
    pub(super) tenants: Arc<TenantsAuth>,
}

impl Loaded {
    pub(super) fn load(s: &Sources) -> anyhow::Result<Self> {
        let policy = s.read_policy()?;
        let tenants = TenantsAuth::new(s.read_tenants()?)?;
        tracing::info!(target: "fdcs::serve", policy = %policy.name, "policy loaded");
        Ok(Loaded {
            policy: SharedPolicy::new(policy),
            tenants: Arc::new(tenants),
        })
    }

    /// SIGHUP: loads both files; any error keeps both old ones.
    pub(super) fn reload(&self, s: &Sources) -> bool {
        let result = s.read_policy().and_then(|p| Ok((p, s.read_tenants()?)));
        match result {
            Ok((policy, tenants)) => match self.tenants.replace(tenants) {
                Ok(()) => {
                    tracing::info!(target: "fdcs::serve", policy = %policy.name, "reloaded policy and tenants");
                    self.policy.store(policy);
                    true
                }
                Err(e) => {
                    tracing::error!(target: "fdcs::serve", error = %e, "reload failed; keeping the old policy and tenants");
                    false
                }
            },
            Err(e) => {
                tracing::error!(target: "fdcs::serve", error = format!("{e:#}"), "reload failed; keeping the old policy and tenants");
                false
            }
        }
    }
}

/// Keystone when `--keystone-url` is given, else the tenants file.
pub(super) fn authenticator(
    a: &super::KeystoneArgs,
    loaded: &Loaded,
    metrics: Arc<fdcs_tower::IdentityMetrics>,
) -> anyhow::Result<Auth> {
    let Some(url) = &a.keystone_url else {
        return Ok(loaded.tenants.clone());
    };
    let need = |v: &Option<String>, what: &str| {
        v.clone().with_context(|| {
            format!(
                "--keystone-url needs --keystone-{what} (or FDCS_KEYSTONE_{})",
                what.to_uppercase()
            )
        })
    };
    let password = match &a.keystone_password_file {
        Some(path) => Some(read_secret(path)?),
        None => a.keystone_password.clone(),
    };
    let service = ServiceCredentials {
        user: need(&a.keystone_user, "user")?,
        password: password.with_context(|| {
            "--keystone-url needs --keystone-password-file (or FDCS_KEYSTONE_PASSWORD_FILE, \
             or --keystone-password)"
        })?,
        project: need(&a.keystone_project, "project")?,
        domain: a.keystone_domain.clone(),
    };
    let mut cfg = KeystoneConfig::new(url.clone(), service);
    cfg.cache_ttl = Duration::from_secs(a.keystone_cache_ttl);
    cfg.timeout = Duration::from_secs(a.keystone_timeout.max(1));
    cfg.negative_ttl = Duration::from_secs(a.keystone_negative_ttl);
    cfg.max_concurrent = a.keystone_max_concurrent.max(1);
    let names = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect()
    };
    cfg.roles = fdcs_tower::Roles {
        read: names(&a.keystone_read_roles),
        write: names(&a.keystone_write_roles),
    };
    // the tenants file still supplies per-tenant limits
    let limits = Some(loaded.tenants.clone());
    if url.starts_with("https://") {
        let https = super::https::HttpsConnector::new(a.keystone_ca.as_deref(), cfg.timeout)?;
        Ok(Arc::new(
            KeystoneAuth::with_connector(cfg, limits, https).with_metrics(metrics),
        ))
    } else if url.starts_with("http://") {
        Ok(Arc::new(
            KeystoneAuth::new(cfg, limits).with_metrics(metrics),
        ))
    } else {
        anyhow::bail!("--keystone-url `{url}`: use http:// or https://")
    }
}

/// A secret from a file, without the line end an editor or `echo` adds
/// (a password never ends in a newline; spaces are kept, they may be part
/// of it).
pub(super) fn read_secret(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the secret file `{}`", path.display()))?;
    let secret = text.trim_end_matches(['\n', '\r']);
    if secret.is_empty() {
        anyhow::bail!("the secret file `{}` is empty", path.display());
    }
    Ok(secret.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::policy_args::PolicyArg;
    use fdcs_policy::TenantId;
    use fdcs_tower::Credentials;
    use std::path::PathBuf;

    fn creds(token: &str, tenant: &str) -> Credentials {
        Credentials {
            token: token.into(),
            tenant: TenantId::new(tenant).unwrap(),
        }
    }

    fn sources(policy: Option<&PathBuf>, tenants: Option<&PathBuf>) -> Sources {
        Sources(PolicyArgs {
            policy: PolicyArg {
                policy: policy.cloned(),
            },
            tenants: tenants.cloned(),
        })
    }

    fn scratch(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("fdcs-serve-load-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&p);
        p
    }

    #[test]
    fn with_no_files_the_embedded_policy_and_demo_tenants_load() {
        let l = Loaded::load(&sources(None, None)).unwrap();
        assert!(l.tenants.check(&creds("alpha-token", "alpha")).is_ok());
        assert!(l.tenants.check(&creds("beta-token", "beta")).is_ok());
        assert!(l.tenants.check(&creds("alpha-token", "beta")).is_err());
    }

    #[test]
    fn a_reload_with_a_broken_file_keeps_the_old_tenants() {
        let path = scratch("tenants.yaml");
        std::fs::write(&path, "tenants:\n  - id: alpha\n    tokens: [one]\n").unwrap();
        let src = sources(None, Some(&path));
        let l = Loaded::load(&src).unwrap();
        assert!(l.tenants.check(&creds("one", "alpha")).is_ok());

        std::fs::write(&path, "tenants:\n  - id: alpha\n    tokens: [two]\n").unwrap();
        assert!(l.reload(&src));
        assert!(l.tenants.check(&creds("two", "alpha")).is_ok());
        assert!(l.tenants.check(&creds("one", "alpha")).is_err());

        for broken in [
            "tenants: [",
            "tenants:\n  - id: Not_Valid\n    tokens: [x]\n",
            "",
        ] {
            std::fs::write(&path, broken).unwrap();
            assert!(!l.reload(&src), "{broken:?} was accepted");
            assert!(
                l.tenants.check(&creds("two", "alpha")).is_ok(),
                "{broken:?} replaced the tenants"
            );
        }
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_reload_with_a_broken_policy_keeps_both_old_files() {
        let pol = scratch("policy.yaml");
        std::fs::write(&pol, fdcs_policy::policy::DEFAULT_POLICY_YAML).unwrap();
        let ten = scratch("tenants2.yaml");
        std::fs::write(&ten, "tenants:\n  - id: alpha\n    tokens: [one]\n").unwrap();
        let src = sources(Some(&pol), Some(&ten));
        let l = Loaded::load(&src).unwrap();
        std::fs::write(&pol, "this: is: not: a policy").unwrap();
        std::fs::write(&ten, "tenants:\n  - id: alpha\n    tokens: [two]\n").unwrap();
        assert!(!l.reload(&src));
        // the tenants change was not applied either: both or nothing
        assert!(l.tenants.check(&creds("one", "alpha")).is_ok());
        let _ = (std::fs::remove_file(&pol), std::fs::remove_file(&ten));
    }

    #[test]
    fn a_secret_file_loses_its_line_end_and_nothing_else() {
        let p = scratch("secret");
        for (text, want) in [
            ("s3cret\n", "s3cret"),
            ("s3cret\r\n", "s3cret"),
            ("s3cret", "s3cret"),
            (" two words \n", " two words "),
        ] {
            std::fs::write(&p, text).unwrap();
            assert_eq!(read_secret(&p).unwrap(), want, "{text:?}");
        }
        std::fs::write(&p, "\n").unwrap();
        assert!(read_secret(&p).is_err(), "an empty secret was accepted");
        let _ = std::fs::remove_file(&p);
        let err = format!("{:#}", read_secret(&p).unwrap_err());
        assert!(err.contains("reading the secret file"), "{err}");
    }
}
