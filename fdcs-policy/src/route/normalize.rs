//! Path normalisation and the `/vX.Y` prefix, as the daemon's router sees them.
//!
//! The daemon routes with gorilla/mux (`mux.NewRouter()` in moby's
//! `daemon/server/server.go` `CreateMux`): it matches the *decoded* path
//! (`req.URL.Path`, `useEncodedPath` is off), and answers a path that
//! `path.Clean` would change (`//`, `.`, `..`) with a 301 redirect to the
//! cleaned path (`mux.go` `ServeHTTP`, `cleanPath`). Trailing slashes survive
//! cleaning and reach the `{name:.*}` patterns as part of a name.
//!
//! The version prefix is `/v{version:[0-9.]+}` (`server.go`
//! `versionMatcher`), compared by `versions.LessThan`, which splits on `.`
//! and ignores what `strconv.Atoi` cannot parse: the daemon answers
//! `/v1.41.0/_ping` and `/v01.41/_ping` (checked on dockerd 20.10), and
//! decodes `/%5fping` to `/_ping` before matching. `/V1.41/` is a 404.
//!
//! We do not try to reproduce all of that. A path is accepted only in the one
//! canonical spelling the docker clients send, where raw and decoded views
//! cannot disagree; every other spelling is denied (`route.ambiguous`):
//!
//! - it starts with exactly one `/` (no absolute-URI or `*` targets);
//! - no empty segment (`//`, trailing `/`), no `.`/`..` segment and no `..`
//!   anywhere;
//! - raw characters are RFC 3986 `pchar`s or `/` only (no backslash, space,
//!   control, non-ASCII, `?` or `#`);
//! - a `%XX` escape must be well formed and may only encode a printable ASCII
//!   character that is *not* unreserved (`A-Za-z0-9-._~`), `/`, `%` or `\`.
//!   So encoded slashes, encoded dots, double encoding (`%25`) and encoded
//!   letters (which would let a raw segment differ from the literal the daemon
//!   matches after decoding) are all refused. As a consequence a segment that
//!   contains `%` can never equal a route literal, and comparing raw segments
//!   with literals is the same as comparing decoded ones.

/// An Engine API version, `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    /// Major (always 1 so far).
    pub major: u32,
    /// Minor.
    pub minor: u32,
}

impl ApiVersion {
    /// Builds a version.
    pub const fn new(major: u32, minor: u32) -> Self {
        ApiVersion { major, minor }
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The oldest API version a policy may allow (v1.24, Docker 1.12).
pub const MIN_API_VERSION: ApiVersion = ApiVersion::new(1, 24);

/// The newest API version the route table and models know.
pub const MAX_API_VERSION: ApiVersion = ApiVersion::new(1, 51);

/// The most path segments we split (an image name of many components still
/// fits; the daemon limits a reference to 255 characters anyway).
pub(super) const MAX_SEGMENTS: usize = 32;

/// The longest raw path we look at.
pub(super) const MAX_PATH_LEN: usize = 4096;

/// A checked path, split into segments (byte ranges of the raw path), the
/// version prefix already removed.
pub(super) struct Segments<'a> {
    raw: &'a str,
    /// (start, end) byte offsets into `raw`, one per segment (u16: the path
    /// is at most [`MAX_PATH_LEN`] long; keeps the struct small to move).
    spans: [(u16, u16); MAX_SEGMENTS],
    len: usize,
    /// The `/vX.Y` prefix, if any.
    pub(super) version: Option<ApiVersion>,
}

impl<'a> Segments<'a> {
    /// Number of segments after the version prefix.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Segment `i` (raw), or "" when out of range.
    pub(super) fn get(&self, i: usize) -> &'a str {
        self.span(i, i + 1)
    }

    /// The last segment, or "".
    pub(super) fn last(&self) -> &'a str {
        match self.len {
            0 => "",
            n => self.get(n - 1),
        }
    }

    /// Raw text of segments `from..to`, with their `/` separators; "" when
    /// the range is empty or out of range.
    pub(super) fn span(&self, from: usize, to: usize) -> &'a str {
        if from >= to || to > self.len {
            return "";
        }
        match (self.spans.get(from), self.spans.get(to - 1)) {
            (Some(&(start, _)), Some(&(_, end))) => self
                .raw
                .get(usize::from(start)..usize::from(end))
                .unwrap_or(""),
            _ => "",
        }
    }
}

/// Why a path is refused before matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Malformed {
    NotAbsolute,
    TooLong,
    EmptySegment,
    TrailingSlash,
    DotSegment,
    BadChar,
    BadEscape,
    EncodedSlash,
    EncodedPercent,
    EncodedUnreserved,
    EncodedControl,
    BadVersion,
}

impl Malformed {
    /// What is wrong, in words, for the denial message.
    pub(super) fn reason(self) -> &'static str {
        match self {
            Malformed::NotAbsolute => "does not start with a single `/`",
            Malformed::TooLong => "is too long",
            Malformed::EmptySegment => "contains an empty segment (`//`)",
            Malformed::TrailingSlash => "ends with `/`",
            Malformed::DotSegment => "contains a `.` or `..` segment",
            Malformed::BadChar => {
                "contains a character that is not allowed in a path (control, space, backslash, non-ASCII, `?`, `#`...)"
            }
            Malformed::BadEscape => "contains an invalid percent escape",
            Malformed::EncodedSlash => "contains an encoded slash (`%2F`) or backslash (`%5C`)",
            Malformed::EncodedPercent => "is percent-encoded twice (`%25`)",
            Malformed::EncodedUnreserved => {
                "percent-encodes a letter, digit, `.`, `-`, `_` or `~` that clients never encode"
            }
            Malformed::EncodedControl => "percent-encodes a control or non-ASCII byte",
            Malformed::BadVersion => "has a version prefix that is not `/vX.Y`",
        }
    }
}

/// RFC 3986 `pchar` minus `%` (checked separately): unreserved, sub-delims, `:`, `@`.
fn is_raw_ok(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Checks the decoded byte of a `%XX` escape.
fn check_escaped(b: u8) -> Result<(), Malformed> {
    match b {
        b'/' | b'\\' => Err(Malformed::EncodedSlash),
        b'%' => Err(Malformed::EncodedPercent),
        b if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') => {
            Err(Malformed::EncodedUnreserved)
        }
        0x21..=0x7e => Ok(()),
        // space is printable, but no reference holds one: refuse with the rest.
        _ => Err(Malformed::EncodedControl),
    }
}

/// Validates every byte and escape of `raw` (see the module docs), and
/// refuses `..` anywhere.
fn check_chars(raw: &str) -> Result<(), Malformed> {
    let bytes = raw.as_bytes();
    let mut i = 0;
    let mut prev = 0u8;
    while let Some(&b) = bytes.get(i) {
        if b == b'.' && prev == b'.' {
            return Err(Malformed::DotSegment);
        }
        prev = b;
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex);
            let lo = bytes.get(i + 2).copied().and_then(hex);
            match (hi, lo) {
                (Some(h), Some(l)) => check_escaped(h * 16 + l)?,
                _ => return Err(Malformed::BadEscape),
            }
            i += 3;
        } else if b == b'/' || is_raw_ok(b) {
            i += 1;
        } else {
            return Err(Malformed::BadChar);
        }
    }
    Ok(())
}

/// Parses a canonical `vX.Y` segment: digits, no leading zeros, fits u32.
fn parse_version(seg: &str) -> Option<ApiVersion> {
    fn number(s: &str) -> Option<u32> {
        if s.is_empty() || (s.len() > 1 && s.starts_with('0')) {
            return None;
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    }
    let rest = seg.strip_prefix('v')?;
    let (major, minor) = rest.split_once('.')?;
    Some(ApiVersion::new(number(major)?, number(minor)?))
}

/// Whether the daemon's `versionMatcher` (`/v{version:[0-9.]+}`) would take
/// this segment as a version prefix; we take the upper-case `V` too, so that
/// it is refused as malformed rather than treated as an unknown route.
fn looks_like_version(seg: &str) -> bool {
    let rest = match seg.strip_prefix('v').or_else(|| seg.strip_prefix('V')) {
        Some(r) => r,
        None => return false,
    };
    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// Splits and checks a raw path. The version prefix, when present, must be
/// canonical; its range check is the caller's.
pub(super) fn split(raw: &str) -> Result<Segments<'_>, Malformed> {
    if raw.len() > MAX_PATH_LEN {
        return Err(Malformed::TooLong);
    }
    if !raw.starts_with('/') || raw.starts_with("//") {
        return Err(Malformed::NotAbsolute);
    }
    check_chars(raw)?;
    if raw.len() > 1 && raw.ends_with('/') {
        return Err(Malformed::TrailingSlash);
    }
    let mut seg = Segments {
        raw,
        spans: [(0, 0); MAX_SEGMENTS],
        len: 0,
        version: None,
    };
    if raw == "/" {
        return Ok(seg);
    }
    let mut start = 1;
    let mut first = true;
    for part in raw.get(1..).unwrap_or("").split('/') {
        let end = start + part.len();
        if part.is_empty() {
            return Err(Malformed::EmptySegment);
        }
        if part == "." {
            return Err(Malformed::DotSegment);
        }
        if first && looks_like_version(part) {
            seg.version = Some(parse_version(part).ok_or(Malformed::BadVersion)?);
        } else {
            // both fit: the path is at most MAX_PATH_LEN (< u16::MAX) long
            let span = (
                u16::try_from(start).map_err(|_| Malformed::TooLong)?,
                u16::try_from(end).map_err(|_| Malformed::TooLong)?,
            );
            match seg.spans.get_mut(seg.len) {
                Some(slot) => *slot = span,
                // too many segments: no route has that many; report as too long
                None => return Err(Malformed::TooLong),
            }
            seg.len += 1;
        }
        first = false;
        start = end + 1;
    }
    Ok(seg)
}

/// Percent-decodes a raw path fragment that [`split`] accepted (escapes are
/// well formed and decode to printable ASCII).
pub(super) fn decode(raw: &str) -> String {
    if !raw.contains('%') {
        return raw.to_string();
    }
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex);
            let lo = bytes.get(i + 2).copied().and_then(hex);
            if let (Some(h), Some(l)) = (hi, lo) {
                out.push(char::from(h * 16 + l));
                i += 3;
                continue;
            }
        }
        out.push(char::from(b));
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<String> {
        let s = split(p).unwrap();
        (0..s.len()).map(|i| s.get(i).to_string()).collect()
    }

    #[test]
    fn splits_and_strips_the_version() {
        let s = split("/v1.41/containers/abc/json").unwrap();
        assert_eq!(s.version, Some(ApiVersion::new(1, 41)));
        assert_eq!(
            segs("/v1.41/containers/abc/json"),
            ["containers", "abc", "json"]
        );
        assert_eq!(s.span(1, 3), "abc/json");
        assert_eq!(s.last(), "json");
        assert_eq!(split("/_ping").unwrap().version, None);
    }

    #[test]
    fn refuses_non_canonical_paths() {
        use Malformed::*;
        for (p, why) in [
            ("", NotAbsolute),
            ("containers/json", NotAbsolute),
            ("//containers/json", NotAbsolute),
            ("http://x/containers/json", NotAbsolute),
            ("*", NotAbsolute),
            ("/containers//json", EmptySegment),
            ("/containers/json/", TrailingSlash),
            ("/containers/./json", DotSegment),
            ("/containers/../json", DotSegment),
            ("/containers/a..b/json", DotSegment),
            ("/containers/%2e%2e/json", EncodedUnreserved),
            ("/containers/a%2Fb/json", EncodedSlash),
            ("/containers/a%2fb/json", EncodedSlash),
            ("/containers/a%5cb/json", EncodedSlash),
            ("/containers/a%252Fb/json", EncodedPercent),
            ("/containers/%61/json", EncodedUnreserved),
            ("/containers/a%00/json", EncodedControl),
            ("/containers/a%0a/json", EncodedControl),
            ("/containers/a%20b/json", EncodedControl),
            ("/containers/a%ff/json", EncodedControl),
            ("/containers/a%zz/json", BadEscape),
            ("/containers/a%2/json", BadEscape),
            ("/containers/a%", BadEscape),
            ("/containers/a\\b/json", BadChar),
            ("/containers/a b/json", BadChar),
            ("/containers/a\u{0}/json", BadChar),
            ("/containers/é/json", BadChar),
            ("/containers/json?all=1", BadChar),
            ("/containers/json#x", BadChar),
            ("/v1.41.0/containers/json", BadVersion),
            ("/v01.41/containers/json", BadVersion),
            ("/v1.041/containers/json", BadVersion),
            ("/V1.41/containers/json", BadVersion),
            ("/v1/containers/json", BadVersion),
            ("/v1./containers/json", BadVersion),
            ("/v.41/containers/json", BadVersion),
            ("/v99999999999.1/containers/json", BadVersion),
        ] {
            assert_eq!(split(p).err(), Some(why), "{p:?}");
        }
    }

    #[test]
    fn decodes_allowed_escapes() {
        assert_eq!(decode("busybox%3Alatest"), "busybox:latest");
        assert_eq!(decode("a%40b"), "a@b");
        assert_eq!(decode("plain"), "plain");
    }

    #[test]
    fn version_like_names_elsewhere_are_segments() {
        assert_eq!(
            segs("/containers/v1.41/json"),
            ["containers", "v1.41", "json"]
        );
        assert_eq!(segs("/version"), ["version"]);
        assert_eq!(segs("/volumes"), ["volumes"]);
    }
}
