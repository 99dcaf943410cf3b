//! The volumes a container create mounts (DESIGN.md, "Anonymous volumes";
//! issue 9 item 3).
//!
//! Named volumes become the tenant's scoped volumes, created first with
//! its owner label. A volume the daemon would make by itself — for a
//! `Config.Volumes` entry, a lone `/path` in `Binds`, a volume mount
//! without a source, or a `VOLUME` of the image that nothing else is
//! mounted on — would carry no owner label: no tenant could list, count
//! or remove it (one create made 40 that stayed after `docker rm`). Each
//! becomes a volume mount without a source whose `VolumeOptions.Labels`
//! carry the owner label. The daemon still makes the volume, under a
//! random 64-hex name that no tenant's scoped name can produce (owned by
//! label, as an unnamed `docker volume create` is), but labelled at
//! creation, and still anonymous to the daemon: `docker rm -v`, `docker
//! run --rm` and `docker volume prune` remove it exactly as they remove
//! the daemon's own. Naming it ourselves would lose that (the daemon
//! removes only the volumes it named) and would need randomness the core
//! does not have.

use std::collections::{BTreeMap, BTreeSet};

use super::super::ctx::{Ctx, Stop};
use super::create::volume_prelude;
use crate::decode::{ContainerCreate, Driver, HostConfig, Mount, VolumeOptions};
use crate::rules::mounts::{parse_bind, BindSource};
use crate::tenancy::resolve::{resolve_at, Resolution};
use crate::tenancy::{is_full_id, is_reserved_label, scoped_name, OWNER_LABEL};
use crate::{Denial, ImageFacts, Obligation, Prelude, ResourceKind};

/// Rule id: an anonymous volume on a path the daemon cannot mount one on.
pub(crate) const ANONYMOUS: crate::RuleId = crate::RuleId::VOLUMES_ANONYMOUS;

/// `Binds` and `Mounts`: named volumes scoped (and created first), lone
/// `/path` binds turned into labelled anonymous volume mounts, volume
/// mounts without a source labelled. Returns how many anonymous volumes
/// the daemon will make for them.
pub(super) fn scope_mounts(
    cx: &Ctx<'_>,
    hc: &mut HostConfig,
    prelude: &mut Vec<Prelude>,
) -> Result<usize, Stop> {
    let mut lone = Vec::new();
    if let Some(binds) = hc.binds.as_mut() {
        let mut kept = Vec::with_capacity(binds.len());
        for (i, bind) in std::mem::take(binds).into_iter().enumerate() {
            match parse_bind(&bind) {
                (BindSource::Volume(name), rest) => {
                    let engine = volume_source(cx, name, prelude)?;
                    kept.push(format!("{engine}:{rest}"));
                }
                (BindSource::Anonymous, target) => {
                    mount_path(target, || format!("HostConfig.Binds[{i}]"))?;
                    lone.push(target.to_string());
                }
                (BindSource::HostPath(_), _) => kept.push(bind),
            }
        }
        *binds = kept;
    }
    let mut anonymous = lone.len();
    for (i, m) in hc.mounts.iter_mut().flatten().enumerate() {
        // A volume the daemon creates from a mount takes these labels: a
        // forged owner label would hand it to another tenant.
        if let Some(labels) = m.volume_options.as_ref().and_then(|v| v.labels.as_ref()) {
            if let Some(key) = labels.keys().find(|k| is_reserved_label(k)) {
                return Err(Stop::Deny(
                    Denial::policy(
                        crate::RuleId::TENANCY_RESERVED_LABEL,
                        format!("the label `{key}` is reserved for fdcs"),
                        "choose a label key that does not start with `fdcs.`",
                    )
                    .at(format!("HostConfig.Mounts[{i}].VolumeOptions.Labels")),
                ));
            }
        }
        if m.type_.as_deref() != Some("volume") {
            continue;
        }
        // `Source: ""` decodes as no source, as Go reads it
        if let Some(src) = m.source.as_mut() {
            *src = volume_source(cx, src, prelude)?;
            continue;
        }
        let field = || format!("HostConfig.Mounts[{i}]");
        if m.read_only == Some(true) {
            // the daemon's own refusal, before anything is created
            return Err(Stop::Deny(
                Denial::malformed(
                    ANONYMOUS,
                    "must not set ReadOnly mode when using anonymous volumes",
                    "name the volume (source=NAME) to mount it read-only",
                )
                .at(format!("{}.ReadOnly", field())),
            ));
        }
        mount_path(m.target.as_deref().unwrap_or(""), field)?;
        owner_label(m, cx);
        anonymous += 1;
    }
    let driver = hc.volume_driver.clone().filter(|d| !d.is_empty());
    for target in lone {
        // what the daemon does with a lone bind: a volume of `VolumeDriver`
        let m = anonymous_mount(cx, target, driver.clone());
        hc.mounts.get_or_insert_with(Vec::new).push(m);
    }
    Ok(anonymous)
}

/// `Config.Volumes` and the image's `VOLUME`s: each path nothing else is
/// mounted on (a bind, a mount, a `Tmpfs` entry, a `--volumes-from`
/// container's mount, compared as the daemon compares them) gets a
/// labelled anonymous volume mount, so that the daemon makes none of its
/// own. Runs after [`scope_mounts`] and after `VolumesFrom` names ids.
/// Returns how many anonymous volumes it adds.
pub(super) fn cover_declared(
    cx: &Ctx<'_>,
    body: &mut ContainerCreate,
    image: Option<&ImageFacts>,
) -> Result<usize, Stop> {
    let mut wanted: Vec<String> = Vec::new();
    for key in body.volumes.iter().flat_map(BTreeMap::keys) {
        let dest = declared_path(key).ok_or_else(|| {
            unmountable(
                key,
                "mount anonymous volumes on absolute paths other than `/` (-v /data)",
            )
            .at(format!("Volumes[\"{key}\"]"))
        })?;
        if !wanted.contains(&dest) {
            wanted.push(dest);
        }
    }
    for key in image.map(|i| i.volumes.as_slice()).unwrap_or_default() {
        let dest = declared_path(key).ok_or_else(|| {
            unmountable(key, "run an image whose VOLUMEs are absolute paths").at("Image")
        })?;
        if !wanted.contains(&dest) {
            wanted.push(dest);
        }
    }
    if wanted.is_empty() {
        return Ok(0);
    }
    let hc = body.host_config.get_or_insert_with(HostConfig::default);
    let mut covered = mounted_paths(hc);
    // `HasMountFor` compares `Tmpfs` keys as written
    let tmpfs: BTreeSet<&str> = hc.tmpfs.iter().flatten().map(|(k, _)| k.as_str()).collect();
    wanted.retain(|d| !covered.contains(d) && !tmpfs.contains(d.as_str()));
    if !wanted.is_empty() {
        for vf in hc.volumes_from.iter().flatten() {
            let id = vf.split_once(':').map_or(vf.as_str(), |(id, _)| id);
            match cx.facts.container_mounts.get(id) {
                Some(found) => covered.extend(found.iter().flatten().cloned()),
                // without an engine nothing is known of it: judged as if
                // it mounted nothing (the body then mounts more, not less)
                None if cx.facts.images_unknown => {}
                None => {
                    return Err(Stop::Need(Obligation::ContainerMounts {
                        id: id.to_string(),
                    }))
                }
            }
        }
        wanted.retain(|d| !covered.contains(d));
    }
    let driver = hc.volume_driver.clone().filter(|d| !d.is_empty());
    let n = wanted.len();
    for dest in wanted {
        let m = anonymous_mount(cx, dest, driver.clone());
        hc.mounts.get_or_insert_with(Vec::new).push(m);
    }
    Ok(n)
}

/// The engine-side volume a named source stands for: the tenant's own
/// unnamed volume when the name is a 64-hex one it owns by label (what
/// `docker volume ls` shows for an anonymous volume, and what compose
/// mounts when it recreates a container with its old anonymous volumes),
/// else the tenant's scoped volume, created first with its owner label.
fn volume_source(cx: &Ctx<'_>, name: &str, prelude: &mut Vec<Prelude>) -> Result<String, Stop> {
    if is_full_id(name) {
        let r = resolve_at(
            cx.facts,
            &cx.tenant.id,
            ResourceKind::Volume,
            name,
            &cx.route.prefix(),
        );
        match r {
            Resolution::Owned(o) if o.name == name => return Ok(name.to_string()),
            Resolution::Need(o) => return Err(Stop::Need(o)),
            _ => {}
        }
    }
    let engine = scoped_name(&cx.tenant.id, name, "volume")?;
    prelude.push(volume_prelude(cx, &engine));
    Ok(engine)
}

/// A volume mount without a source, labelled with the tenant's owner
/// label: the daemon makes the volume, labelled.
fn anonymous_mount(cx: &Ctx<'_>, target: String, driver: Option<String>) -> Mount {
    let mut m = Mount {
        type_: Some("volume".into()),
        target: Some(target),
        volume_options: Some(VolumeOptions {
            driver_config: driver.map(|d| Driver {
                name: Some(d),
                options: None,
            }),
            ..VolumeOptions::default()
        }),
        ..Mount::default()
    };
    owner_label(&mut m, cx);
    m
}

fn owner_label(m: &mut Mount, cx: &Ctx<'_>) {
    m.volume_options
        .get_or_insert_with(VolumeOptions::default)
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(OWNER_LABEL.to_string(), cx.tenant.id.as_str().to_string());
}

/// Refuses a container path the daemon would not mount an anonymous
/// volume on as a plain path: relative, `/` itself, or with a `\` (which
/// its checks read as `/` and its mounts do not).
fn mount_path(target: &str, field: impl Fn() -> String) -> Result<(), Stop> {
    match declared_path(target) {
        Some(_) => Ok(()),
        None => Err(Stop::Deny(
            unmountable(
                target,
                "mount anonymous volumes on absolute paths other than `/` (-v /data)",
            )
            .at(field()),
        )),
    }
}

fn unmountable(path: &str, instead: &str) -> Denial {
    Denial::malformed(
        ANONYMOUS,
        format!("an anonymous volume cannot be mounted on `{path}`"),
        instead,
    )
}

/// Where the daemon mounts a declared volume (`filepath.Clean` of the key),
/// when that is an absolute path other than `/`.
fn declared_path(key: &str) -> Option<String> {
    let dest = clean(key);
    (dest.starts_with('/') && dest != "/" && !dest.contains('\\')).then_some(dest)
}

/// Every destination the body's binds and mounts take, cleaned as the
/// daemon's parser cleans them.
fn mounted_paths(hc: &HostConfig) -> BTreeSet<String> {
    let binds = hc.binds.iter().flatten().map(|b| {
        // `src:dst[:mode]`, or a lone `dst`
        let mut parts = b.splitn(3, ':');
        let first = parts.next().unwrap_or("");
        parts.next().unwrap_or(first).to_string()
    });
    let mounts = hc.mounts.iter().flatten().filter_map(|m| m.target.clone());
    binds.chain(mounts).map(|t| clean(&t)).collect()
}

/// Go's `path.Clean`: the shortest path naming the same file, purely
/// lexically (`//a/./b/../c/` → `/a/c`, `` → `.`).
pub(crate) fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|s| *s != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let body = out.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_clean_as_go_cleans_them() {
        for (given, want) in [
            ("", "."),
            ("/", "/"),
            ("//", "/"),
            ("/data/", "/data"),
            ("//data//x/", "/data/x"),
            ("/a/./b/../c", "/a/c"),
            ("/..", "/"),
            ("/../a", "/a"),
            ("a/../..", ".."),
            ("data", "data"),
            ("./data", "data"),
            ("a/b/../../..", ".."),
        ] {
            assert_eq!(clean(given), want, "{given:?}");
        }
    }

    #[test]
    fn only_absolute_paths_below_the_root_take_a_volume() {
        assert_eq!(declared_path("/data/").as_deref(), Some("/data"));
        for bad in ["", "/", "//", "/..", "data", "./data", "\\data", "/a\\b"] {
            assert_eq!(declared_path(bad), None, "{bad:?}");
        }
    }
}
