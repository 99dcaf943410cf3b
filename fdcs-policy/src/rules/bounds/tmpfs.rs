//! `bounds.tmpfs` and `volumes.tmpfs`: memory that lives in a file system.
//!
//! A tmpfs without `size=` may grow to half the host's RAM. So every tmpfs
//! of a container (`HostConfig.Tmpfs`, `Mounts` of type tmpfs) and its
//! `/dev/shm` (`ShmSize`) get a size, under a ceiling, and together they
//! must fit in the container's memory limit. A `local` volume of type
//! tmpfs outlives every container and is charged to none: it needs a size
//! under its own ceiling, or is refused when the policy says so.

use std::collections::BTreeMap;

use super::size::{human, kernel_size};
use super::{TMPFS, VOLUME_TMPFS};
use crate::decode::{HostConfig, TmpfsOptions};
use crate::policy::{TmpfsBounds, VolumesParams};
use crate::{Denial, Enforcer};

/// A page: what the kernel rounds a tmpfs size up to.
const PAGE: i64 = 4096;

/// Mount flags the engine accepts in a tmpfs's options (moby's
/// `MergeTmpfsOptions`), less `bind`, `rbind` and `remount`, which make no
/// sense for a fresh tmpfs.
const FLAGS: &[&str] = &[
    "defaults",
    "ro",
    "rw",
    "suid",
    "nosuid",
    "dev",
    "nodev",
    "exec",
    "noexec",
    "sync",
    "async",
    "dirsync",
    "mand",
    "nomand",
    "atime",
    "noatime",
    "diratime",
    "nodiratime",
    "relatime",
    "norelatime",
    "strictatime",
    "nostrictatime",
    "private",
    "rprivate",
    "shared",
    "rshared",
    "slave",
    "rslave",
    "unbindable",
    "runbindable",
];

/// Data options the engine accepts besides `size` (`nr_blocks` is a size in
/// pages, refused: one spelling of the size is enough to judge).
const DATA: &[&str] = &["mode", "uid", "gid", "nr_inodes", "mpol"];

/// Reads the `size=` of tmpfs options (`rw,noexec,size=64m`): `Ok(None)`
/// when there is none, `Err(why)` for what cannot be judged.
fn options_size(opts: &str, data: &[&str]) -> Result<Option<i64>, String> {
    if opts.is_empty() {
        return Ok(None);
    }
    let mut size = None;
    for item in opts.split(',') {
        match item.split_once('=') {
            Some(("size", v)) => {
                if size.is_some() {
                    return Err("two `size=` options: give one".into());
                }
                match kernel_size(v) {
                    Some(0) => return Err("`size=0` means no limit to the kernel".into()),
                    Some(s) => size = Some(s),
                    None => {
                        return Err(format!(
                            "the size `{v}` cannot be read: write digits with k, m or g, such as size=64m"
                        ))
                    }
                }
            }
            Some(("nr_blocks", _)) => {
                return Err("`nr_blocks=` sets the size in pages: use size= instead".into())
            }
            Some((k, _)) if data.contains(&k) => {}
            None if FLAGS.contains(&item) => {}
            _ => return Err(format!("the tmpfs option `{item}` is not known")),
        }
    }
    Ok(size)
}

fn too_big(what: &str, size: i64, max: i64, field: String) -> Denial {
    Denial::policy(
        TMPFS,
        format!(
            "{what} of {} is above the ceiling of {}",
            human(size),
            human(max)
        ),
        format!("give it size={} or less", human(max)),
    )
    .compose(format!(
        "give it a size of {} or less (tmpfs: [\"/path:size={}\"], or shm_size)",
        human(max),
        human(max)
    ))
    .at(field)
}

/// Sizes every tmpfs and `/dev/shm` of a container and checks that they
/// fit in its memory limit (already settled by `resources.memory`).
///
/// What the sized mounts leave of the memory limit is shared equally among
/// the mounts without a size (and `/dev/shm`, when the container has its
/// own), each at most its default: defaults alone never overflow it.
///
/// In `warn` or `audit` mode (`en`) a size above its ceiling is forwarded
/// as sent, and when the sizes given overflow the memory limit (or there is
/// none, `resources.memory` being downgraded too), the mounts without a
/// size get their defaults.
pub(crate) fn apply(p: &TmpfsBounds, hc: &mut HostConfig, en: &Enforcer) -> Result<(), Denial> {
    let memory = hc.resources.memory.filter(|m| *m > 0);
    let mut overflow = false;
    if memory.is_none() {
        en.refuse(
            Denial::policy(
                TMPFS,
                "tmpfs mounts cannot be sized without a memory limit",
                "set -m",
            )
            .at("HostConfig.Memory"),
        )?;
        overflow = true;
    }
    let memory = memory.unwrap_or(0);
    let mut sized: i64 = 0;
    let mut without_size: i64 = 0;
    for (path, opts) in hc.tmpfs.iter().flatten() {
        let field = || format!("HostConfig.Tmpfs[\"{path}\"]");
        match options_size(opts, DATA) {
            Err(why) => {
                return Err(Denial::malformed(
                    TMPFS,
                    format!("the tmpfs options of `{path}` cannot be judged: {why}"),
                    "use --tmpfs PATH:size=64m (and flags such as rw,noexec)",
                )
                .at(field()))
            }
            Ok(Some(s)) if s > p.size.max => {
                en.refuse(too_big(
                    &format!("the tmpfs `{path}`"),
                    s,
                    p.size.max,
                    field(),
                ))?;
                sized = sized.saturating_add(s);
            }
            Ok(Some(s)) => sized = sized.saturating_add(s),
            Ok(None) => without_size += 1,
        }
    }
    for (i, m) in hc.mounts.iter().flatten().enumerate() {
        if m.type_.as_deref() != Some("tmpfs") {
            continue;
        }
        let field = || format!("HostConfig.Mounts[{i}].TmpfsOptions.SizeBytes");
        match m.tmpfs_options.as_ref().and_then(|o| o.size_bytes) {
            Some(s) if s < 0 => {
                return Err(Denial::malformed(
                    TMPFS,
                    format!("a tmpfs size of {s} bytes cannot be judged"),
                    "give tmpfs-size a positive size, such as 64m",
                )
                .at(field()))
            }
            Some(s) if s > p.size.max => {
                en.refuse(too_big("the tmpfs mount", s, p.size.max, field()))?;
                sized = sized.saturating_add(s);
            }
            Some(s) => sized = sized.saturating_add(s),
            None => without_size += 1,
        }
    }
    let own_shm = matches!(
        hc.ipc_mode.as_deref().unwrap_or(""),
        "" | "private" | "shareable"
    );
    match hc.shm_size {
        Some(s) if s < 0 => {
            return Err(Denial::malformed(
                TMPFS,
                format!("a /dev/shm size of {s} bytes cannot be judged"),
                "give --shm-size a positive size, such as 64m",
            )
            .at("HostConfig.ShmSize"))
        }
        Some(s) if s > p.shm_size.max => {
            en.refuse(too_big(
                "/dev/shm",
                s,
                p.shm_size.max,
                "HostConfig.ShmSize".into(),
            ))?;
            sized = sized.saturating_add(s);
        }
        Some(s) => sized = sized.saturating_add(s),
        None if own_shm => without_size += 1,
        None => {}
    }
    let share = if without_size > 0 {
        (memory.saturating_sub(sized) / without_size) / PAGE * PAGE
    } else {
        0
    };
    if !overflow && (sized > memory || (without_size > 0 && share < PAGE)) {
        let what = if sized > memory {
            format!(
                "tmpfs mounts and /dev/shm would take {}, more than the container's memory limit of {}",
                human(sized),
                human(memory)
            )
        } else {
            format!(
                "tmpfs mounts and /dev/shm with a size take {} of the container's memory limit of {}, leaving too little for the {without_size} without one",
                human(sized),
                human(memory)
            )
        };
        en.refuse(
            Denial::policy(
                TMPFS,
                what,
                "give tmpfs mounts and --shm-size smaller sizes, or raise -m",
            )
            .at("HostConfig.Tmpfs"),
        )?;
        overflow = true;
    }
    // allowed although they do not fit (a downgraded rule): the mounts the
    // client left unsized still get a size, their default
    let (tmpfs_default, shm_default) = if overflow {
        (p.size.default, p.shm_size.default)
    } else {
        (share.min(p.size.default), share.min(p.shm_size.default))
    };
    for opts in hc.tmpfs.iter_mut().flat_map(|t| t.values_mut()) {
        if matches!(options_size(opts, DATA), Ok(None)) {
            let size = format!("size={}", human(tmpfs_default));
            *opts = if opts.is_empty() {
                size
            } else {
                format!("{opts},{size}")
            };
        }
    }
    for m in hc.mounts.iter_mut().flatten() {
        if m.type_.as_deref() == Some("tmpfs") {
            let o = m.tmpfs_options.get_or_insert_with(TmpfsOptions::default);
            if o.size_bytes.is_none() {
                o.size_bytes = Some(tmpfs_default);
            }
        }
    }
    if hc.shm_size.is_none() && own_shm {
        hc.shm_size = Some(shm_default);
    }
    Ok(())
}

/// Judges the driver options of a `local` volume (`docker volume create -o`,
/// or a volume mount's `DriverConfig.Options`): a tmpfs volume gets an
/// `o=size=` (the default when absent) under the ceiling, or is refused
/// when the policy allows none. Other volumes are left as they are.
pub(crate) fn volume(
    p: &VolumesParams,
    opts: &mut BTreeMap<String, String>,
    field: &str,
    en: &Enforcer,
) -> Result<(), Denial> {
    let tmpfs = opts
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("type") && v.trim().eq_ignore_ascii_case("tmpfs"));
    if !tmpfs {
        return Ok(());
    }
    if !p.allow_tmpfs {
        en.refuse(
            Denial::policy(
                VOLUME_TMPFS,
                "tmpfs volumes are not allowed (their memory is charged to no container)",
                "use --tmpfs PATH:size=64m on the container, or a plain named volume",
            )
            .at(format!("{field}.type")),
        )?;
    }
    // the local driver reads its option names and the type exactly
    if let Some(k) = opts
        .keys()
        .find(|k| !matches!(k.as_str(), "type" | "o" | "device" | "size"))
    {
        return Err(Denial::malformed(
            VOLUME_TMPFS,
            format!("the volume option `{k}` cannot be judged"),
            "spell the options type=tmpfs, device=tmpfs, o=size=64m",
        )
        .at(format!("{field}.{k}")));
    }
    if opts.get("type").map(String::as_str) != Some("tmpfs") {
        return Err(Denial::malformed(
            VOLUME_TMPFS,
            "the volume type cannot be judged",
            "spell it type=tmpfs",
        )
        .at(format!("{field}.type")));
    }
    let o = opts.get("o").map_or("", String::as_str);
    // `o` also carries what the mounts rule judged (flags, uid=...):
    // any `key=value` the kernel's tmpfs takes besides the size is fine
    let data = ["mode", "uid", "gid", "nr_inodes", "mpol", "huge"];
    let size = options_size(o, &data).map_err(|why| {
        Denial::malformed(
            VOLUME_TMPFS,
            format!("the tmpfs volume options `{o}` cannot be judged: {why}"),
            "give one size, such as -o o=size=64m",
        )
        .at(format!("{field}.o"))
    })?;
    match size {
        Some(s) if s > p.tmpfs_size.max => en.refuse(
            Denial::policy(
                VOLUME_TMPFS,
                format!(
                    "a tmpfs volume of {} is above the ceiling of {}",
                    human(s),
                    human(p.tmpfs_size.max)
                ),
                format!("give it -o o=size={} or less", human(p.tmpfs_size.max)),
            )
            .at(format!("{field}.o")),
        ),
        Some(_) => Ok(()),
        None => {
            let size = format!("size={}", human(p.tmpfs_size.default));
            let new = if o.is_empty() {
                size
            } else {
                format!("{o},{size}")
            };
            opts.insert("o".into(), new);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Mount;
    use crate::policy::BoundsParams;

    fn apply(p: &TmpfsBounds, hc: &mut HostConfig) -> Result<(), Denial> {
        super::apply(p, hc, &Enforcer::deny_all())
    }

    fn volume(
        p: &VolumesParams,
        opts: &mut BTreeMap<String, String>,
        field: &str,
    ) -> Result<(), Denial> {
        super::volume(p, opts, field, &Enforcer::deny_all())
    }

    fn bounds() -> TmpfsBounds {
        BoundsParams::default().tmpfs
    }

    fn hc(memory: i64, tmpfs: &[(&str, &str)]) -> HostConfig {
        let mut hc = HostConfig {
            tmpfs: Some(
                tmpfs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..HostConfig::default()
        };
        hc.resources.memory = Some(memory);
        hc
    }

    const M: i64 = 1 << 20;

    #[test]
    fn sizes_are_injected_and_fit_the_memory_limit() {
        let mut h = hc(256 * M, &[("/run", ""), ("/tmp", "rw,noexec")]);
        apply(&bounds(), &mut h).unwrap();
        let t = h.tmpfs.as_ref().unwrap();
        assert_eq!(t["/run"], "size=64m");
        assert_eq!(t["/tmp"], "rw,noexec,size=64m");
        assert_eq!(h.shm_size, Some(64 * M));

        // a small container: the defaults shrink to what the limit leaves
        let mut h = hc(32 * M, &[("/run", ""), ("/big", "size=16m")]);
        apply(&bounds(), &mut h).unwrap();
        assert_eq!(h.tmpfs.as_ref().unwrap()["/run"], "size=8m");
        assert_eq!(h.shm_size, Some(8 * M));
    }

    #[test]
    fn the_sum_may_not_exceed_the_memory_limit() {
        let mut h = hc(128 * M, &[("/a", "size=100m"), ("/b", "size=100m")]);
        let d = apply(&bounds(), &mut h).unwrap_err();
        assert_eq!((d.status, d.rule_id().cloned()), (403, Some(TMPFS)));
        let mut h = hc(128 * M, &[("/a", "size=128m")]);
        assert!(
            apply(&bounds(), &mut h).is_err(),
            "no room left for /dev/shm"
        );
        let mut h = hc(128 * M, &[("/a", "size=64m")]);
        h.shm_size = Some(65 * M);
        assert!(apply(&bounds(), &mut h).is_err());
        let mut h = hc(128 * M, &[("/a", "size=64m")]);
        h.ipc_mode = Some("none".into());
        h.mounts = Some(vec![Mount {
            type_: Some("tmpfs".into()),
            tmpfs_options: Some(TmpfsOptions {
                size_bytes: Some(64 * M),
                ..TmpfsOptions::default()
            }),
            ..Mount::default()
        }]);
        apply(&bounds(), &mut h).unwrap();
        assert_eq!(h.shm_size, None, "no /dev/shm of its own");
    }

    #[test]
    fn option_spellings_that_cannot_be_judged_are_refused() {
        for opts in [
            "size=0",
            "SIZE=1g",
            "size=1g,size=1m",
            "size=50%",
            "size=0x100000",
            "size=010m",
            "nr_blocks=0",
            "size=",
            " size=1m",
            "rw,,size=1m",
            "bind",
            "size=1m,huge=always",
        ] {
            let mut h = hc(256 * M, &[("/x", opts)]);
            let d = apply(&bounds(), &mut h).unwrap_err();
            assert_eq!(
                (d.status, d.rule_id().cloned()),
                (400, Some(TMPFS)),
                "{opts}"
            );
        }
        let mut h = hc(1 << 30, &[("/x", "size=1G")]);
        let d = apply(&bounds(), &mut h).unwrap_err();
        assert_eq!(d.status, 403, "above the per-mount ceiling");
    }

    fn vol(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn tmpfs_volumes() {
        let p = VolumesParams::default();
        let mut o = vol(&[("type", "tmpfs"), ("device", "tmpfs")]);
        volume(&p, &mut o, "DriverOpts").unwrap();
        assert_eq!(o["o"], "size=64m");
        let mut o = vol(&[("type", "tmpfs"), ("device", "tmpfs"), ("o", "uid=1000")]);
        volume(&p, &mut o, "DriverOpts").unwrap();
        assert_eq!(o["o"], "uid=1000,size=64m");
        let mut o = vol(&[("type", "tmpfs"), ("device", "tmpfs"), ("o", "size=1g")]);
        assert_eq!(volume(&p, &mut o, "DriverOpts").unwrap_err().status, 403);
        for bad in [
            vol(&[("type", "tmpfs"), ("o", "size=1m,size=1g")]),
            vol(&[("Type", "tmpfs"), ("o", "size=1m")]),
            vol(&[("type", "TMPFS"), ("o", "size=1m")]),
            vol(&[("type", "tmpfs"), ("o", "SIZE=1g")]),
            vol(&[("type", "tmpfs"), ("o", "nr_blocks=0")]),
        ] {
            let mut o = bad.clone();
            assert_eq!(
                volume(&p, &mut o, "DriverOpts").unwrap_err().status,
                400,
                "{bad:?}"
            );
            assert_eq!(o, bad, "bad input changes nothing");
        }
        let deny = VolumesParams {
            allow_tmpfs: false,
            ..p.clone()
        };
        let mut o = vol(&[("type", "tmpfs"), ("o", "size=1m")]);
        assert_eq!(volume(&deny, &mut o, "DriverOpts").unwrap_err().status, 403);
        let mut o = vol(&[("foo", "bar")]);
        volume(&p, &mut o, "DriverOpts").unwrap();
    }
}
