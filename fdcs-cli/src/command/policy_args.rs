//! `--policy` and `--tenants`, one argument group for every command, and
//! the one loader behind them: `check`, `lint`, `test`, `explain`, `serve`
//! and `usage` read the same files the same way, with the same messages
//! (issue 11 item 9: five commands read `--policy` five ways before).
//!
//! A policy file is read here and handed to the core's loader,
//! [`Policy::from_yaml`], with its name, so a mistake is reported as
//! `FILE:LINE:COL: message`; without `--policy` the embedded FDCS profile
//! (`policies/default.yaml`) is used. A tenants file goes to
//! [`TenantsFile::from_yaml`] the same way.
//!
//! What no `--tenants` means differs on purpose: `serve` and `usage` need
//! credentials and a tenant list, so they take the embedded demo tenants
//! (alpha and beta, so that the README's one command runs with no files);
//! `check`, `lint` and `test` judge one named tenant, so they judge it with
//! the policy's defaults (no ceilings, images or limits of its own).
//!
//! The environment variables `FDCS_POLICY` and `FDCS_TENANTS` are read by
//! `serve` and `usage` only (they run next to the proxy, configured by its
//! `EnvironmentFile=`): a CI job's `lint` or `check` judges what its command
//! line says, not what a variable left in the environment says.

use anyhow::Context as _;
use fdcs_policy::{Policy, Tenant, TenantId, TenantsFile};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// Where the embedded demo tenants say they come from, in errors and logs.
const DEMO_ORIGIN: &str = "policies/demo-tenants.yaml (embedded)";

/// `--policy` alone, for `explain`, which judges no tenant.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct PolicyArg {
    /// Policy file (default: the embedded FDCS profile, `policies/default.yaml`).
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
}

/// `--policy` and `--tenants`, flattened into every command that judges a
/// tenant. Help texts a command needs in its own words (what no file
/// means) are set with `mut_arg` where it is flattened.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct PolicyArgs {
    #[command(flatten)]
    pub(crate) policy: PolicyArg,
    /// Tenants file (the one `serve` reads): a tenant is judged with its own
    /// ceilings, images and limits.
    #[arg(long, value_name = "FILE")]
    pub(crate) tenants: Option<PathBuf>,
}

impl PolicyArg {
    /// The policy's text and the name errors give it (`--policy`'s path,
    /// or the embedded profile's).
    pub(crate) fn text(&self) -> anyhow::Result<(Cow<'static, str>, String)> {
        match &self.policy {
            Some(p) => Ok((Cow::Owned(read(p, "policy")?), p.display().to_string())),
            None => Ok((
                Cow::Borrowed(fdcs_policy::policy::DEFAULT_POLICY_YAML),
                "policies/default.yaml (embedded)".to_string(),
            )),
        }
    }

    /// The policy, loaded with the core's loader.
    pub(crate) fn load(&self) -> anyhow::Result<Policy> {
        match &self.policy {
            // PolicyError displays as `FILE:LINE:COL: message`: no prefix needed
            Some(p) => Ok(Policy::from_yaml(
                &read(p, "policy")?,
                &p.display().to_string(),
            )?),
            None => Policy::embedded_default().context("the embedded default policy"),
        }
    }
}

impl PolicyArgs {
    /// The policy, loaded with the core's loader.
    pub(crate) fn load_policy(&self) -> anyhow::Result<Policy> {
        self.policy.load()
    }

    /// The tenants file, if `--tenants` names one.
    pub(crate) fn tenants_file(&self) -> anyhow::Result<Option<TenantsFile>> {
        let Some(path) = &self.tenants else {
            return Ok(None);
        };
        let text = read(path, "tenants")?;
        Ok(Some(TenantsFile::from_yaml(
            &text,
            &path.display().to_string(),
        )?))
    }

    /// The tenants file, or the embedded demo tenants without `--tenants`
    /// (`serve`, `usage`).
    pub(crate) fn tenants_or_demo(&self) -> anyhow::Result<TenantsFile> {
        match self.tenants_file()? {
            Some(f) => Ok(f),
            None => Ok(TenantsFile::from_yaml(
                crate::command::DEMO_TENANTS,
                DEMO_ORIGIN,
            )?),
        }
    }

    /// The tenant to judge as (`check`, `lint`): the tenants file's entry
    /// when one is given (its ceilings and images apply), else a tenant
    /// with the policy's defaults.
    pub(crate) fn tenant(&self, id: &TenantId) -> anyhow::Result<Tenant> {
        self.tenants()?.get(id)
    }

    /// The tenants to judge as, loaded once for many lookups (`test`
    /// judges a tenant per case).
    pub(crate) fn tenants(&self) -> anyhow::Result<Tenants> {
        let origin = self.tenants.as_deref().map(|p| p.display().to_string());
        Ok(Tenants(self.tenants_file()?.zip(origin)))
    }
}

/// The tenants a command judges as: a tenants file's entries, or (with
/// none) any id with the policy's defaults.
#[derive(Debug)]
pub(crate) struct Tenants(Option<(TenantsFile, String)>);

impl Tenants {
    /// The tenant named `id`; an id the file does not have is an error that
    /// lists the ones it has.
    pub(crate) fn get(&self, id: &TenantId) -> anyhow::Result<Tenant> {
        let Some((file, origin)) = &self.0 else {
            return Ok(Tenant::new(id.clone()));
        };
        if let Some(entry) = file.get(id) {
            return Ok(entry.tenant.clone());
        }
        // a few names say which file this is; a host's thousand do not
        const SHOWN: usize = 8;
        let mut known: Vec<String> = file
            .tenants
            .iter()
            .take(SHOWN)
            .map(|e| e.tenant.id.to_string())
            .collect();
        if file.tenants.len() > SHOWN {
            known.push(format!("and {} more", file.tenants.len() - SHOWN));
        }
        if known.is_empty() {
            known.push("none".to_string());
        }
        anyhow::bail!(
            "tenant `{id}` is not in `{origin}` (its tenants: {})",
            known.join(", ")
        )
    }
}

/// A file's text; the error names what it was read as and keeps the I/O
/// error as its source (`reading policy `x`: No such file or directory`).
fn read(path: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {what} `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, text: &str) -> PathBuf {
        let p =
            std::env::temp_dir().join(format!("fdcs-policy-args-{}-{name}", std::process::id()));
        std::fs::write(&p, text).unwrap();
        p
    }

    fn args(policy: Option<&Path>, tenants: Option<&Path>) -> PolicyArgs {
        PolicyArgs {
            policy: PolicyArg {
                policy: policy.map(Path::to_path_buf),
            },
            tenants: tenants.map(Path::to_path_buf),
        }
    }

    #[test]
    fn a_missing_file_keeps_the_io_error_as_its_source() {
        let a = args(Some(Path::new("/nonexistent/p.yaml")), None);
        let e = a.load_policy().unwrap_err();
        assert_eq!(
            format!("{e:#}"),
            "reading policy `/nonexistent/p.yaml`: No such file or directory (os error 2)"
        );
        assert!(e.chain().any(|c| c.is::<std::io::Error>()), "{e:?}");
        let a = args(None, Some(Path::new("/nonexistent/t.yaml")));
        let e = format!("{:#}", a.tenants_or_demo().unwrap_err());
        assert!(
            e.starts_with("reading tenants `/nonexistent/t.yaml`: "),
            "{e}"
        );
    }

    #[test]
    fn a_broken_policy_is_reported_at_its_file_line_and_column_once() {
        let p = scratch("broken.yaml", "name: x\nports: [\n");
        let e = format!("{:#}", args(Some(&p), None).load_policy().unwrap_err());
        let name = p.display().to_string();
        assert!(e.starts_with(&format!("{name}:")), "{e}");
        assert_eq!(e.matches(&name).count(), 1, "{e}");
        let _ = std::fs::remove_file(&p);
    }

    #[test]
    fn without_files_the_embedded_policy_and_demo_tenants_or_defaults_apply() {
        let a = PolicyArgs::default();
        assert!(a.load_policy().is_ok());
        assert_eq!(a.tenants_or_demo().unwrap().tenants.len(), 2);
        let gamma = TenantId::new("gamma").unwrap();
        assert_eq!(a.tenant(&gamma).unwrap().id, gamma);
    }

    #[test]
    fn an_unknown_tenant_is_refused_with_the_ones_the_file_has() {
        let t = scratch("tenants.yaml", "tenants:\n  - id: alpha\n    tokens: [x]\n");
        let a = args(None, Some(&t));
        let alpha = TenantId::new("alpha").unwrap();
        assert_eq!(a.tenant(&alpha).unwrap().id, alpha);
        let e = format!(
            "{:#}",
            a.tenant(&TenantId::new("beta").unwrap()).unwrap_err()
        );
        assert_eq!(
            e,
            format!(
                "tenant `beta` is not in `{}` (its tenants: alpha)",
                t.display()
            )
        );
        let _ = std::fs::remove_file(&t);
        let many: String = (0..20)
            .map(|i| format!("  - id: t{i}\n    tokens: [x{i}]\n"))
            .collect();
        let t = scratch("many.yaml", &format!("tenants:\n{many}"));
        let e = format!(
            "{:#}",
            args(None, Some(&t))
                .tenant(&TenantId::new("beta").unwrap())
                .unwrap_err()
        );
        assert!(
            e.ends_with("(its tenants: t0, t1, t2, t3, t4, t5, t6, t7, and 12 more)"),
            "{e}"
        );
        let _ = std::fs::remove_file(&t);
    }
}
