//! Small parsers compose applies to field values: byte sizes, CPU counts,
//! port specs, command lines.

use std::path::Path;

/// `64m`, `1g`, `512MB`, `1.5g`, `1024` → bytes (compose's `parse_bytes`).
pub fn bytes(s: &str) -> Option<i64> {
    let t = s.trim().to_ascii_lowercase();
    let t = t
        .strip_suffix('b')
        .filter(|r| r.ends_with(['k', 'm', 'g', 't']))
        .unwrap_or(&t);
    let (num, mul) = match t.chars().last()? {
        'k' => (t.get(..t.len() - 1)?, 1i64 << 10),
        'm' => (t.get(..t.len() - 1)?, 1 << 20),
        'g' => (t.get(..t.len() - 1)?, 1 << 30),
        't' => (t.get(..t.len() - 1)?, 1 << 40),
        'b' => (t.get(..t.len() - 1)?, 1),
        _ => (t, 1),
    };
    let v: f64 = num.trim().parse().ok()?;
    let r = v * mul as f64;
    (0.0..9.2e18).contains(&r).then_some(r as i64)
}

/// `0.5` → 500000000 nano-CPUs.
pub fn nano_cpus(s: &str) -> Option<i64> {
    let v: f64 = s.trim().parse().ok()?;
    let r = (v * 1e9).round();
    (0.0..9.2e18).contains(&r).then_some(r as i64)
}

/// A Go-style duration (`1m30s`, `100ms`, `1400us`) → nanoseconds, as
/// compose 1.29's `parse_nanoseconds_int` reads it (its `timeparse`: each
/// unit at most once, in the order h, m, s, ms, us, ns, case-insensitive,
/// decimals allowed; the seconds summed as floats, then truncated).
pub fn duration_ns(s: &str) -> Option<i64> {
    let t = s.trim().to_ascii_lowercase();
    if t.is_empty() {
        return None;
    }
    // python's float multipliers, in the order compose sums them
    let units: [(&str, f64); 6] = [
        ("h", 3600.0),
        ("m", 60.0),
        ("s", 1.0),
        ("ms", 1.0 / 1000.0),
        ("us", 1.0 / 1000.0 / 1000.0),
        ("ns", 1.0 / 1000.0 / 1000.0 / 1000.0),
    ];
    // split into (number, unit) pairs
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut rest = t.replace('\u{b5}', "u");
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(n);
        let u = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(u);
        if num.is_empty() || unit.is_empty() {
            return None;
        }
        pairs.push((num.to_string(), unit.to_string()));
        rest = next.to_string();
    }
    let mut at = 0;
    let mut secs = 0.0f64;
    for (num, unit) in pairs {
        let i = units.iter().skip(at).position(|(u, _)| *u == unit)? + at;
        at = i + 1;
        let v: f64 = num.parse().ok()?;
        secs += v * units.get(i)?.1;
    }
    let ns = secs / (1.0 / 1000.0 / 1000.0 / 1000.0);
    (ns.is_finite() && ns.abs() < 9.2e18).then_some(ns as i64)
}

/// compose 1.29's `to_microseconds` (`cpu_quota`, `cpu_period`,
/// `cpu_rt_runtime`, `cpu_rt_period`): a YAML number as it is, a string
/// as a duration in microseconds (`400ms` → 400000). A string that is no
/// duration (`"950000"`, quoted) makes compose itself fail: `None`.
pub fn micros(n: &crate::node::Node) -> Option<i64> {
    match &n.kind {
        crate::node::Kind::Int(i) => Some(*i),
        crate::node::Kind::Str(s) => duration_ns(s).map(|ns| (ns as f64 / 1000.0) as i64),
        _ => None,
    }
}

/// One published port after parsing the short syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    /// Host IP (`""` for all).
    pub host_ip: String,
    /// Host port (`""` for daemon-assigned).
    pub host_port: String,
    /// Container port.
    pub container: String,
    /// `tcp`, `udp`, `sctp`.
    pub proto: String,
}

/// `[ip:][host[-h2]:]container[-c2][/proto]` → one spec per port of the range.
pub fn ports(spec: &str) -> Option<Vec<PortSpec>> {
    let (rest, proto) = match spec.rsplit_once('/') {
        Some((r, p)) => (r, p.to_string()),
        None => (spec, "tcp".to_string()),
    };
    let (ip, host, cont) = match rest.rsplit_once(':') {
        None => ("", "", rest),
        Some((left, cont)) => match left.rsplit_once(':') {
            None => ("", left, cont),
            Some((ip, host)) => (ip.trim_start_matches('[').trim_end_matches(']'), host, cont),
        },
    };
    let range = |r: &str| -> Option<Vec<String>> {
        if r.is_empty() {
            return Some(vec![String::new()]);
        }
        match r.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                (a <= b && b - a < 65536).then(|| (a..=b).map(|p| p.to_string()).collect())
            }
            None => Some(vec![r.trim().to_string()]),
        }
    };
    let conts = range(cont)?;
    let hosts = range(host)?;
    Some(
        conts
            .iter()
            .enumerate()
            .map(|(i, c)| PortSpec {
                host_ip: ip.to_string(),
                host_port: if hosts.len() == conts.len() {
                    hosts.get(i).cloned().unwrap_or_default()
                } else {
                    hosts.first().cloned().unwrap_or_default()
                },
                container: c.clone(),
                proto: proto.clone(),
            })
            .collect(),
    )
}

/// Splits a command string as a POSIX shell would (quotes, backslashes).
pub fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    in_word = true;
                }
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// A host path as the kernel will resolve it: `~` and relative paths
/// anchored (home, project directory), `.`/`..`/`//` folded, so
/// `/var/run/../run/docker.sock` is seen as `/run/docker.sock`.
pub(crate) fn host_path(src: &str, dir: &Path, home: &str) -> String {
    let joined = if let Some(rest) = src.strip_prefix('~') {
        format!("{home}/{rest}")
    } else if src.starts_with('/') {
        src.to_string()
    } else {
        format!("{}/{src}", dir.display())
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_cpus() {
        assert_eq!(bytes("64m"), Some(64 << 20));
        assert_eq!(bytes("1G"), Some(1 << 30));
        assert_eq!(bytes("512mb"), Some(512 << 20));
        assert_eq!(bytes("1024"), Some(1024));
        assert_eq!(bytes("lots"), None);
        assert_eq!(nano_cpus("0.5"), Some(500_000_000));
        assert_eq!(nano_cpus("-1"), None);
    }

    #[test]
    fn durations_as_compose_parses_them() {
        // captured from docker-compose 1.29.2 (project h1capa)
        assert_eq!(duration_ns("100ms"), Some(100_000_000));
        assert_eq!(duration_ns("1m30s"), Some(90_000_000_000));
        assert_eq!(duration_ns("2h3m4s5ms6us"), Some(7_384_005_006_000));
        assert_eq!(duration_ns("1400us"), Some(1_400_000));
        assert_eq!(duration_ns("0s"), Some(0));
        assert_eq!(duration_ns("1.5s"), Some(1_500_000_000));
        assert_eq!(duration_ns("950000"), None);
        assert_eq!(duration_ns("5s1m"), None);
        assert_eq!(duration_ns("10x"), None);
        assert_eq!(duration_ns(""), None);
    }

    #[test]
    fn port_short_syntax() {
        let p = ports("127.0.0.1:8080:80/udp").unwrap();
        assert_eq!(
            p,
            vec![PortSpec {
                host_ip: "127.0.0.1".into(),
                host_port: "8080".into(),
                container: "80".into(),
                proto: "udp".into()
            }]
        );
        assert_eq!(ports("80").unwrap()[0].host_port, "");
        assert_eq!(ports("8000-8001:80-81").unwrap()[1].host_port, "8001");
        assert_eq!(ports(":80").unwrap()[0].host_port, "");
        assert!(ports("a:b-c").is_none());
    }

    #[test]
    fn commands_split_like_a_shell() {
        assert_eq!(
            shell_words("sh -c 'echo hi; ls' \"a b\" c\\ d"),
            ["sh", "-c", "echo hi; ls", "a b", "c d"]
        );
    }

    #[test]
    fn host_path_folding() {
        let d = Path::new("/srv/app");
        assert_eq!(host_path("/a/../b//c/.", d, "/root"), "/b/c");
        assert_eq!(host_path("../../../../etc", d, "/root"), "/etc");
        assert_eq!(host_path("./x", d, "/root"), "/srv/app/x");
        assert_eq!(host_path("/", d, "/root"), "/");
    }
}
