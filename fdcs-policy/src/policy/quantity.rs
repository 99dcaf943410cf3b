//! Resource quantities as operators write them: `256Mi`, `1g`, `0.5`, `512`.
//!
//! Memory suffixes follow the docker CLI (`-m 512m` is 512 MiB): `k`, `m`,
//! `g`, `t` (any case, optional trailing `b`) and the Kubernetes binary ones
//! `Ki`, `Mi`, `Gi`, `Ti` all mean powers of 1024. Kubernetes' decimal `M`
//! would silently differ from docker's `m`, so a policy never needs it: the
//! docker meaning wins, and this is documented in `policies/default.yaml`.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// A YAML scalar that may be a number or a string with a unit suffix.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Quantity {
    /// An integer as written.
    Int(i64),
    /// A float as written.
    Float(f64),
    /// A string such as `256Mi` or `500m`.
    Text(String),
}

impl<'de> serde::Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a quantity such as `256Mi`")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                i64::try_from(v)
                    .map(Quantity::Int)
                    .map_err(|_| E::custom("number too large"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                Ok(Quantity::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                Ok(Quantity::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quantity::Int(i) => write!(f, "{i}"),
            Quantity::Float(x) => write!(f, "{x}"),
            Quantity::Text(s) => f.write_str(s),
        }
    }
}

impl Quantity {
    /// Memory in bytes.
    pub(crate) fn bytes(&self) -> Result<i64, String> {
        let bad = || {
            format!("invalid memory size `{self}`: use bytes or a suffix such as `256Mi`, `1Gi`, `512m`")
        };
        match self {
            Quantity::Int(i) => Ok(*i),
            Quantity::Float(_) => Err(bad()),
            Quantity::Text(s) => {
                let s = s.trim();
                let split = s
                    .find(|c: char| !c.is_ascii_digit() && c != '.')
                    .unwrap_or(s.len());
                let (num, unit) = s.split_at(split);
                let mult: i64 = match unit.to_ascii_lowercase().as_str() {
                    "" | "b" => 1,
                    "k" | "kb" | "ki" | "kib" => 1 << 10,
                    "m" | "mb" | "mi" | "mib" => 1 << 20,
                    "g" | "gb" | "gi" | "gib" => 1 << 30,
                    "t" | "tb" | "ti" | "tib" => 1 << 40,
                    _ => return Err(bad()),
                };
                scaled(num, mult).ok_or_else(bad)
            }
        }
    }

    /// CPUs as nano-CPUs (`0.5` → 500 000 000; `500m` → 500 millicpu).
    pub(crate) fn nano_cpus(&self) -> Result<i64, String> {
        let bad = || {
            format!("invalid cpu count `{self}`: use a number of cpus such as `0.5` or `2`, or millicpus such as `500m`")
        };
        match self {
            Quantity::Int(i) => i.checked_mul(1_000_000_000).ok_or_else(bad),
            Quantity::Float(x) => {
                let n = (x * 1e9).round();
                if n.is_finite() && n.abs() < 9.0e18 {
                    // The bound above keeps the cast exact in range.
                    #[expect(clippy::cast_possible_truncation, reason = "range checked above")]
                    Ok(n as i64)
                } else {
                    Err(bad())
                }
            }
            Quantity::Text(s) => {
                let s = s.trim();
                if let Some(milli) = s.strip_suffix('m') {
                    scaled(milli, 1_000_000).ok_or_else(bad)
                } else {
                    scaled(s, 1_000_000_000).ok_or_else(bad)
                }
            }
        }
    }

    /// A duration in nanoseconds, written with a unit as Go writes one
    /// (`1s`, `500ms`, `2m`; `ns`, `us`, `ms`, `s`, `m`, `h`), or `0`.
    pub(crate) fn duration(&self) -> Result<i64, String> {
        let bad = || {
            format!(
                "invalid duration `{self}`: use a number with a unit such as `1s` or `500ms`, or 0"
            )
        };
        match self {
            Quantity::Int(0) => Ok(0),
            Quantity::Int(_) | Quantity::Float(_) => Err(bad()),
            Quantity::Text(s) => {
                let s = s.trim();
                let split = s
                    .find(|c: char| !c.is_ascii_digit() && c != '.')
                    .unwrap_or(s.len());
                let (num, unit) = s.split_at(split);
                let mult: i64 = match unit {
                    "ns" => 1,
                    "us" | "\u{b5}s" => 1_000,
                    "ms" => 1_000_000,
                    "s" => 1_000_000_000,
                    "m" => 60_000_000_000,
                    "h" => 3_600_000_000_000,
                    _ => return Err(bad()),
                };
                scaled(num, mult).ok_or_else(bad)
            }
        }
    }

    /// A plain count (pids).
    pub(crate) fn count(&self) -> Result<i64, String> {
        match self {
            Quantity::Int(i) => Ok(*i),
            _ => Err(format!("invalid count `{self}`: use an integer")),
        }
    }
}

/// `num` (decimal digits, at most one `.`) times `mult`, exactly, when the
/// result is a whole number that fits.
fn scaled(num: &str, mult: i64) -> Option<i64> {
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int_v: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut total = int_v.checked_mul(mult)?;
    if !frac.is_empty() {
        if frac.len() > 12 {
            return None;
        }
        let frac_v: i128 = frac.parse().ok()?;
        let den: i128 = 10_i128.checked_pow(u32::try_from(frac.len()).ok()?)?;
        let part = frac_v.checked_mul(i128::from(mult))?;
        if part % den != 0 {
            return None;
        }
        total = total.checked_add(i64::try_from(part / den).ok()?)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::Quantity::{self, *};

    #[test]
    fn memory_suffixes_mean_powers_of_1024_like_the_docker_cli() {
        let t = |s: &str| Text(s.into()).bytes();
        assert_eq!(t("256Mi"), Ok(256 << 20));
        assert_eq!(t("512m"), Ok(512 << 20));
        assert_eq!(t("1Gi"), Ok(1 << 30));
        assert_eq!(t("1.5g"), Ok(3 << 29));
        assert_eq!(t("100"), Ok(100));
        assert_eq!(Int(4096).bytes(), Ok(4096));
        for bad in [
            "",
            "Mi",
            "1x",
            "-1Mi",
            "1.2.3",
            "99999999999999999999",
            "0.3b",
        ] {
            assert!(t(bad).is_err(), "{bad} accepted");
        }
        assert!(Float(1.5).bytes().is_err());
    }

    #[test]
    fn cpus_become_nano_cpus() {
        assert_eq!(Float(0.5).nano_cpus(), Ok(500_000_000));
        assert_eq!(Int(2).nano_cpus(), Ok(2_000_000_000));
        assert_eq!(Text("500m".into()).nano_cpus(), Ok(500_000_000));
        assert_eq!(Text("1.25".into()).nano_cpus(), Ok(1_250_000_000));
        assert!(Text("lots".into()).nano_cpus().is_err());
        assert!(Float(f64::NAN).nano_cpus().is_err());
        assert!(Int(i64::MAX).nano_cpus().is_err());
    }

    #[test]
    fn durations_are_nanoseconds() {
        let t = |s: &str| Text(s.into()).duration();
        assert_eq!(t("1s"), Ok(1_000_000_000));
        assert_eq!(t("500ms"), Ok(500_000_000));
        assert_eq!(t("1.5m"), Ok(90_000_000_000));
        assert_eq!(Int(0).duration(), Ok(0));
        for bad in ["1", "s", "1x", "-1s", "1S"] {
            assert!(t(bad).is_err(), "{bad} accepted");
        }
        assert!(Int(1).duration().is_err(), "a bare number has no unit");
    }

    #[test]
    fn pids_are_integers() {
        assert_eq!(Int(256).count(), Ok(256));
        assert!(Quantity::Text("256".into()).count().is_err());
    }
}
