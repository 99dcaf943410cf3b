//! Sizes as the two readers behind the bounds read them: the kernel's
//! `memparse` (tmpfs `size=`, in `HostConfig.Tmpfs` and in a `local`
//! volume's `o=`) and go-units' `RAMInBytes` (log `max-size`). Each parser
//! accepts only spellings it reads exactly as its reader does; anything
//! else is `None`, which the rules refuse (fail closed).

/// `size=` of a tmpfs as the kernel reads it: digits and at most one
/// `k`/`m`/`g`/`t`/`p`/`e` suffix in either case (powers of 1024).
///
/// Refused although the kernel takes them: a leading `0` (octal to the
/// kernel), `0x` (hex), `%` (a share of the host's RAM), and values past
/// `i64` (the kernel wraps them silently).
pub(crate) fn kernel_size(s: &str) -> Option<i64> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    if num.is_empty() || (num.len() > 1 && num.starts_with('0')) {
        return None;
    }
    let shift = match suffix {
        "" => 0,
        "k" | "K" => 10,
        "m" | "M" => 20,
        "g" | "G" => 30,
        "t" | "T" => 40,
        "p" | "P" => 50,
        "e" | "E" => 60,
        _ => return None,
    };
    num.parse::<i64>().ok()?.checked_mul(1i64 << shift)
}

/// A size as go-units' `RAMInBytes` reads it (json-file and local log
/// options): a decimal number, optionally with a fraction, then an
/// optional `b`, or `k`/`m`/`g`/`t`/`p` with an optional `b` or `ib`, in
/// any case; powers of 1024; the fraction of a byte truncated as Go's
/// `int64(float)` does.
///
/// Refused although go-units takes them: signs, exponents (`1e3`), hex
/// floats, spaces, a bare trailing `.`, and values past `i64` (Go's
/// float-to-int conversion gives nonsense there).
pub(crate) fn go_units_size(s: &str) -> Option<i64> {
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() || (num.contains('.') && frac.is_empty()) || frac.contains('.') {
        return None;
    }
    // every unit is ASCII; a first byte of a wider character is no char
    // boundary to split at (found by fuzz/, target rawhttp: `5ϔ`)
    if !suffix.is_ascii() {
        return None;
    }
    let suffix = suffix.to_ascii_lowercase();
    let (unit, rest) = suffix.split_at(suffix.len().min(1));
    let shift = match unit {
        "" | "b" if rest.is_empty() => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        "p" => 50,
        _ => return None,
    };
    if shift > 0 && !matches!(rest, "" | "b" | "ib") {
        return None;
    }
    let mult = 1i128 << shift;
    let int_v: i128 = int.parse::<i64>().ok()?.into();
    let mut total = int_v.checked_mul(mult)?;
    if !frac.is_empty() {
        let digits = frac.get(..frac.len().min(18))?;
        let frac_v: i128 = digits.parse::<i64>().ok()?.into();
        let den = 10i128.checked_pow(u32::try_from(digits.len()).ok()?)?;
        total = total.checked_add(frac_v.checked_mul(mult)? / den)?;
    }
    i64::try_from(total).ok()
}

/// Bytes as docker writes them back: the largest of `g`, `m`, `k` that
/// divides exactly, else bytes (`67108864` → `64m`), as moby writes a
/// tmpfs `SizeBytes` into `size=`; both readers above take it.
pub(crate) fn human(bytes: i64) -> String {
    for (suffix, shift) in [("g", 30), ("m", 20), ("k", 10)] {
        if bytes != 0 && bytes % (1i64 << shift) == 0 {
            return format!("{}{suffix}", bytes >> shift);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_sizes() {
        assert_eq!(kernel_size("65536k"), Some(64 << 20));
        assert_eq!(kernel_size("1G"), Some(1 << 30));
        assert_eq!(kernel_size("100"), Some(100));
        assert_eq!(kernel_size("0"), Some(0));
        for bad in [
            "",
            "1kb",
            "1KiB",
            "010",
            "0x10",
            "50%",
            "-1",
            "+1",
            " 1",
            "1 ",
            "1.5m",
            "1z",
            "99999999999999999999",
            "9e",
        ] {
            assert_eq!(kernel_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn go_units_sizes() {
        let m = 1 << 20;
        assert_eq!(go_units_size("10m"), Some(10 * m));
        assert_eq!(go_units_size("10M"), Some(10 * m));
        assert_eq!(go_units_size("10mb"), Some(10 * m));
        assert_eq!(go_units_size("10MiB"), Some(10 * m));
        assert_eq!(go_units_size("1.5g"), Some(3 << 29));
        assert_eq!(go_units_size("0.1k"), Some(102));
        assert_eq!(go_units_size("100"), Some(100));
        assert_eq!(go_units_size("100b"), Some(100));
        assert_eq!(go_units_size("1000g"), Some(1000 << 30));
        assert_eq!(go_units_size("1p"), Some(1 << 50));
        for bad in [
            "",
            "m",
            "-1m",
            "+1m",
            "1e3",
            "1 m",
            "1.",
            ".5m",
            "1.2.3m",
            "1mm",
            "1bb",
            "1ib",
            "1kbb",
            "0x10",
            "1e",
            "99999999999999999999",
            "9000000p",
            // a unit that is no ASCII letter (found by fuzz/: a panic)
            "5\u{3d4}",
            "1\u{212a}",
            "1m\u{3d4}",
        ] {
            assert_eq!(go_units_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn human_round_trips_through_both_readers() {
        for b in [64 << 20, 1 << 30, 3 << 10, 4097, 10 << 20] {
            assert_eq!(kernel_size(&human(b)), Some(b));
            assert_eq!(go_units_size(&human(b)), Some(b));
        }
        assert_eq!(human(64 << 20), "64m");
    }
}
