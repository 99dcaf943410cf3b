//! Parsing Keystone's `expires_at` (RFC 3339, UTC) without a date crate:
//! the only timestamps fdcs reads, so a few lines beat a dependency.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `2026-11-23T21:00:00.000000Z` (or `+00:00`) → a point in time. Without
/// a zone it is UTC too: Keystone keeps naive UTC datetimes and prints one
/// bare (`2026-12-02T16:41:29`) for a token capped at its application
/// credential's `expires_at`. Any other offset is refused.
pub(super) fn parse_utc(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let (date, rest) = s.split_once('T')?;
    let mut d = date.splitn(3, '-');
    let y: i64 = d.next()?.parse().ok()?;
    let m: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let rest = rest
        .strip_suffix('Z')
        .or_else(|| rest.strip_suffix("+00:00"))
        .unwrap_or(rest);
    if rest.contains(['+', '-']) {
        return None;
    }
    let time = rest.split('.').next()?;
    let mut t = time.splitn(3, ':');
    let hh: u64 = t.next()?.parse().ok()?;
    let mm: u64 = t.next()?.parse().ok()?;
    let ss: u64 = t.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let days = days_from_civil(y, m, day);
    let secs = u64::try_from(days).ok()?.checked_mul(86_400)? + hh * 3600 + mm * 60 + ss;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystone_timestamps_parse() {
        let t = parse_utc("2026-11-23T21:00:00.000000Z").unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_795_467_600
        );
        let epoch = parse_utc("1970-01-01T00:00:00Z").unwrap();
        assert_eq!(epoch, UNIX_EPOCH);
        assert!(parse_utc("2024-02-29T12:30:15+00:00").is_some());
        // an application credential's token: naive UTC, no fraction
        assert_eq!(
            parse_utc("2026-11-23T21:00:00"),
            Some(t),
            "Keystone's bare UTC form"
        );
        assert_eq!(parse_utc("2026-11-23T21:00:00.000000"), Some(t));
    }

    #[test]
    fn garbage_does_not_parse() {
        for bad in [
            "",
            "2026-13-01T00:00:00Z",
            "2026-11-23 21:00:00",
            "2026-11-23T21:00:00+02:00",
            "2026-11-23T21:00:00-05:00",
            "2026-11-23T21:00:00.5-01:00",
            "x-y-zTa:b:cZ",
        ] {
            assert!(parse_utc(bad).is_none(), "{bad}");
        }
    }
}
