//! `bounds.ports`: how many host ports one container publishes, and how many
//! ports it exposes (each exposed port is a host port under `-P`, and every
//! published port is a `docker-proxy` process outside the container's
//! cgroups, twice with IPv6).

use std::collections::BTreeMap;

use super::PORTS;
use crate::decode::{Empty, HostConfig};
use crate::policy::PortBounds;
use crate::{Denial, Enforcer};

/// How many container ports a `PortBindings` or `ExposedPorts` key names:
/// `80`, `80/tcp`, `53/udp`, `132/sctp`, or a range `8000-9000/tcp` (the
/// docker CLI expands ranges before it sends them; counted in full here,
/// whatever the engine makes of one). `None`: not a key we can read.
pub(crate) fn width(key: &str) -> Option<i64> {
    let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
    if !matches!(proto, "tcp" | "udp" | "sctp") {
        return None;
    }
    let num = |s: &str| -> Option<i64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse::<i64>().ok().filter(|p| *p <= 65_535)
    };
    match port.split_once('-') {
        None => num(port).map(|_| 1),
        Some((a, b)) => {
            let (a, b) = (num(a)?, num(b)?);
            (a <= b).then_some(b - a + 1)
        }
    }
}

fn unreadable(key: &str, field: String) -> Denial {
    Denial::malformed(
        PORTS,
        format!("the port `{key}` cannot be read"),
        "write ports as PORT/PROTO, such as 80/tcp",
    )
    .at(field)
}

/// Counts the container's exposed and published ports against the bounds.
///
/// Published: every binding entry of a `PortBindings` key (each is one
/// host port), times the ports its key names; and with `PublishAllPorts`
/// every exposed or bound key without bindings, the image's `EXPOSE`
/// (`image`, once the core knows it) included.
pub(crate) fn check(
    p: &PortBounds,
    exposed: Option<&BTreeMap<String, Empty>>,
    image: &[String],
    hc: &HostConfig,
    en: &Enforcer,
) -> Result<(), Denial> {
    let mut exposed_n: i64 = 0;
    for key in exposed.into_iter().flat_map(BTreeMap::keys) {
        let w = width(key).ok_or_else(|| unreadable(key, format!("ExposedPorts[\"{key}\"]")))?;
        exposed_n = exposed_n.saturating_add(w);
    }
    if exposed_n > p.max_exposed {
        en.refuse(
            Denial::policy(
                PORTS,
                format!(
                    "the container exposes {exposed_n} ports, more than {}",
                    p.max_exposed
                ),
                "expose only the ports the service listens on",
            )
            .at("ExposedPorts"),
        )?;
    }
    let published = published(exposed, image, hc)?;
    if published > p.max_published {
        en.refuse(Denial::policy(
            PORTS,
            format!(
                "the container would publish {published} host ports, more than {}",
                p.max_published
            ),
            "publish only the ports clients must reach (-p PORT for each), and reach the others over the tenant's own network",
        )
        .at("HostConfig.PortBindings"))?;
    }
    Ok(())
}

/// The host ports the container would publish: every binding entry of a
/// `PortBindings` key times the ports its key names, and with
/// `PublishAllPorts` every exposed or bound key without bindings — the
/// image's `EXPOSE` (`image`) too, which the daemon adds to the body's
/// `ExposedPorts` (a key the body has already is one port). Quotas count
/// the same.
pub(crate) fn published(
    exposed: Option<&BTreeMap<String, Empty>>,
    image: &[String],
    hc: &HostConfig,
) -> Result<i64, Denial> {
    let publish_all = hc.publish_all_ports == Some(true);
    let bindings = hc.port_bindings.as_ref();
    let mut published: i64 = 0;
    for (key, list) in bindings.into_iter().flatten() {
        let w = width(key)
            .ok_or_else(|| unreadable(key, format!("HostConfig.PortBindings[\"{key}\"]")))?;
        let n = i64::try_from(list.as_ref().map_or(0, Vec::len)).unwrap_or(i64::MAX);
        if n > 0 {
            published = published.saturating_add(w.saturating_mul(n));
        } else if publish_all {
            published = published.saturating_add(w);
        }
    }
    if publish_all {
        for key in exposed.into_iter().flat_map(BTreeMap::keys) {
            if !bindings.is_some_and(|b| b.contains_key(key)) {
                published = published.saturating_add(width(key).unwrap_or(i64::MAX));
            }
        }
        for key in image {
            let known = bindings.is_some_and(|b| b.contains_key(key))
                || exposed.is_some_and(|e| e.contains_key(key));
            if !known {
                // the engine wrote these keys itself: one it cannot have
                // written is refused, not guessed
                let w = width(key).ok_or_else(|| {
                    Denial::malformed(
                        PORTS,
                        format!("the image exposes the port `{key}`, which cannot be read"),
                        "run the image without -P, publishing the ports you need with -p PORT",
                    )
                    .at("Image")
                })?;
                published = published.saturating_add(w);
            }
        }
    }
    Ok(published)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::PortBinding;

    fn check(
        p: &PortBounds,
        exposed: Option<&BTreeMap<String, Empty>>,
        image: &[String],
        hc: &HostConfig,
    ) -> Result<(), Denial> {
        super::check(p, exposed, image, hc, &Enforcer::deny_all())
    }

    fn bounds() -> PortBounds {
        PortBounds {
            max_published: 10,
            max_exposed: 32,
        }
    }

    #[test]
    fn widths() {
        assert_eq!(width("80/tcp"), Some(1));
        assert_eq!(width("80"), Some(1));
        assert_eq!(width("53/udp"), Some(1));
        assert_eq!(width("8000-9000/tcp"), Some(1001));
        assert_eq!(width("0-65535"), Some(65_536));
        for bad in [
            "", "/tcp", "80/TCP", "80/tcp/x", "80/", "x", "-1", "9-8", "65536", "+80", "8 0",
        ] {
            assert_eq!(width(bad), None, "{bad:?}");
        }
    }

    fn exposed(keys: &[&str]) -> BTreeMap<String, Empty> {
        keys.iter().map(|k| (k.to_string(), Empty {})).collect()
    }

    #[test]
    fn publish_all_counts_every_exposed_port_once() {
        let mut hc = HostConfig {
            publish_all_ports: Some(true),
            ..HostConfig::default()
        };
        let e = exposed(&["80/tcp", "443/tcp"]);
        assert!(check(&bounds(), Some(&e), &[], &hc).is_ok());
        let e = exposed(&["8000-8010/tcp"]);
        assert!(check(&bounds(), Some(&e), &[], &hc).is_err(), "11 ports");
        hc.publish_all_ports = None;
        assert!(check(&bounds(), Some(&e), &[], &hc).is_ok(), "exposed only");
    }

    #[test]
    fn publish_all_counts_the_images_exposed_ports_once_each() {
        let hc = HostConfig {
            publish_all_ports: Some(true),
            ..HostConfig::default()
        };
        let image: Vec<String> = (8000..8011).map(|p| format!("{p}/tcp")).collect();
        let d = check(&bounds(), None, &image, &hc).unwrap_err();
        assert!(d.message.contains("11 host ports"), "{}", d.message);
        // a key the body exposes too is one port, not two
        let e = exposed(&["8000/tcp", "8001/tcp"]);
        assert_eq!(published(Some(&e), &image[..2], &hc).unwrap(), 2);
        // without -P the image's EXPOSE publishes nothing
        let quiet = HostConfig::default();
        assert_eq!(published(None, &image, &quiet).unwrap(), 0);
        let bad = ["80/TCP".to_string()];
        assert_eq!(published(None, &bad, &hc).unwrap_err().status, 400);
    }

    #[test]
    fn every_binding_entry_is_a_host_port() {
        let b = PortBinding::default();
        let hc = HostConfig {
            port_bindings: Some(
                [("80/tcp".to_string(), Some(vec![b; 11]))]
                    .into_iter()
                    .collect(),
            ),
            ..HostConfig::default()
        };
        let d = check(&bounds(), None, &[], &hc).unwrap_err();
        assert_eq!(d.rule_id().cloned(), Some(PORTS));
        assert!(d.message.contains("11 host ports"), "{}", d.message);
    }
}
