//! `fdcs-policy lint`: compose files checked against the same policy
//! `serve` enforces, with line-accurate findings.
//!
//! Exit codes: 0 nothing at or above `--fail-on`, 1 findings, 2 usage,
//! YAML or policy error.

use super::policy_args::PolicyArgs;
use crate::files::DiskFiles;
use crate::report::{self, Finding, Format, Severity};
use crate::Exit;
use anyhow::Context as _;
use fdcs_compose::lint::Severities;
use fdcs_compose::load;
use fdcs_policy::TenantId;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Arguments of `lint`.
#[derive(Debug, clap::Args)]
#[command(mut_arg("tenants", |a| a.help(
    "Tenants file (the one `serve` reads): judge as `--tenant` with its own ceilings, \
     images and limits (default: none, the policy's defaults)"
)))]
pub(crate) struct Args {
    /// Tenant to judge as.
    #[arg(long, value_name = "ID", default_value = "lint")]
    tenant: String,
    /// The policy (its `lint:` block sets the severities) and the tenants.
    #[command(flatten)]
    source: PolicyArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_name = "SEVERITY", default_value = "error", value_parser = parse_severity)]
    fail_on: Severity,
    /// Variables file, instead of the project's `.env`.
    #[arg(long, value_name = "FILE")]
    env_file: Option<PathBuf>,
    /// Profile to activate (repeat for several), as `docker-compose
    /// --profile`: replaces `COMPOSE_PROFILES`. A service with `profiles:`
    /// none of which is active is not linted, as `up` does not start it
    /// (text output notes it on stderr); `--profile '*'` lints them all.
    #[arg(long = "profile", value_name = "NAME")]
    profiles: Vec<String>,
    /// Directory SARIF and JUnit paths are relative to (SARIF's `SRCROOT`);
    /// default: the repository root (the nearest directory up with a `.git`),
    /// else the current directory.
    #[arg(long, value_name = "DIR")]
    base: Option<PathBuf>,
    /// Compose file; repeat to merge several into one project, as compose does.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Lint FILE as `docker stack deploy -c FILE NAME` deploys it: the
    /// swarm services, overlay networks, secrets and configs the docker CLI
    /// makes of it, judged as `serve` would (swarm needs a policy with
    /// `rules.swarm.enabled`); keys the CLI ignores are information.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["files", "paths", "profiles"])]
    stack: Option<PathBuf>,
    /// The stack's name with `--stack` (default: the file's directory
    /// name, else `stack`).
    #[arg(long, value_name = "NAME", requires = "stack")]
    stack_name: Option<String>,
    /// Compose files or directories, each linted as its own project
    /// (default: the current directory when no `-f` is given).
    paths: Vec<PathBuf>,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("unknown severity `{s}`: use error, warning or info"))
}

pub(crate) fn run(args: Args) -> anyhow::Result<Exit> {
    // the loader `check`, `test` and `serve` use; the `lint:` block is part
    // of the policy's schema
    let policy = args.source.load_policy()?;
    let severities = Severities::from_policy(&policy.lint);
    let tenant = args.source.tenant(&TenantId::new(&args.tenant)?)?;
    let mut projects: Vec<Vec<PathBuf>> = Vec::new();
    if let Some(file) = &args.stack {
        projects.push(vec![file.clone()]);
    } else if !args.files.is_empty() {
        projects.push(args.files.clone());
    }
    let mut errors = Vec::new();
    let paths = if args.stack.is_some() {
        Vec::new()
    } else if args.paths.is_empty() && args.files.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    for p in paths {
        if p.is_dir() {
            match load::discover(&p, &DiskFiles) {
                Ok(files) => projects.push(files),
                Err(e) => errors.push(e),
            }
        } else {
            projects.push(vec![p]);
        }
    }
    let opts = load::LoadOptions {
        env_file: args.env_file.clone(),
        env: std::env::vars().collect(),
        profiles: args.profiles.clone(),
    };
    let mut sources = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    let mut subjects: Vec<(usize, String)> = Vec::new();
    let mut inactive: Vec<String> = Vec::new();
    for files in &projects {
        let first = sources.len();
        let project = match load::load(files, &opts, &DiskFiles, &mut sources) {
            Ok(p) => p,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if !project.inactive.is_empty() {
            inactive.push(format!(
                "note: {}: not linted, as `up` would not start them: {} (no active profile of theirs; \
                 lint them with --profile NAME or COMPOSE_PROFILES)",
                sources.get(first).map_or("", |s| s.path.as_str()),
                project
                    .inactive
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        subjects.extend(
            project
                .doc
                .get("services")
                .map(fdcs_compose::node::Node::entries)
                .unwrap_or_default()
                .iter()
                .filter_map(|(k, _)| k.as_scalar())
                .map(|name| (first, name)),
        );
        match &args.stack {
            Some(file) => {
                let name = args
                    .stack_name
                    .clone()
                    .unwrap_or_else(|| default_stack_name(file));
                findings.extend(fdcs_compose::stack::lint(
                    &project, &sources, &policy, &tenant, &name, &DiskFiles,
                ));
            }
            None => findings.extend(fdcs_compose::lint::lint(
                &project, &sources, &policy, &tenant,
            )),
        }
    }
    let findings = severities.apply(findings);
    let color = args.format == Format::Text
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let cwd = std::env::current_dir().context("the current directory")?;
    let base = match &args.base {
        Some(b) => std::fs::canonicalize(b).with_context(|| format!("--base `{}`", b.display()))?,
        None => repository_root(&cwd),
    };
    let input_errors: Vec<report::InputError> = errors
        .iter()
        .map(|e| report::InputError {
            path: e.path.clone(),
            line: e.line,
            col: e.col,
            message: e.message.clone(),
        })
        .collect();
    let run = report::Run {
        findings: &findings,
        sources: &sources,
        errors: &input_errors,
        subjects: &subjects,
        base: &base,
        cwd: &cwd,
        fail_on: args.fail_on,
    };
    let out = report::render(args.format, &run, color);
    // text with nothing linted: the error on stderr says it all
    if !(args.format == Format::Text && findings.is_empty() && !errors.is_empty()) {
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout
            .write_all(out.as_bytes())
            .and_then(|()| stdout.flush())
        {
            // `| head`: exit 0 quietly; a full disk: exit 2, the report is lost
            return super::stdout_failed(e);
        }
    }
    if args.format == Format::Text {
        for note in &inactive {
            eprintln!("{note}");
        }
    }
    let color_err = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for e in &errors {
        let text = std::fs::read_to_string(&e.path).unwrap_or_default();
        eprint!(
            "{}",
            report::render_error(&e.path, &text, e.line, e.col, &e.message, color_err)
        );
    }
    Ok(match run.exit_code() {
        0 => Exit::Ok,
        1 => Exit::Found,
        _ => Exit::Error,
    })
}

/// `--stack`'s default name: the file's directory name, else `stack`.
fn default_stack_name(file: &Path) -> String {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = match dir {
        Some(d) => std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf()),
        None => std::env::current_dir().unwrap_or_default(),
    };
    dir.file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty())
        .map_or_else(|| "stack".to_string(), str::to_string)
}

/// The default `--base`: the nearest directory at or above `cwd` holding a
/// `.git` (directory, or file in a worktree), else `cwd` itself.
fn repository_root(cwd: &Path) -> PathBuf {
    cwd.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}
