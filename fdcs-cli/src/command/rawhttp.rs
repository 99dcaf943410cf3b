//! Raw HTTP/1.x request files → [`fdcs_policy::Request`].
//!
//! `check` and `test` read requests exactly as a client put them on the wire
//! (captured with a logging proxy, or written by hand): request line,
//! headers, blank line, body. The head is parsed by `httparse`; the body is
//! framed by `Content-Length` or `Transfer-Encoding: chunked`, as the daemon
//! frames it. Anything a server could frame differently from us (both
//! headers, two different lengths, an unknown transfer coding) is an error:
//! judging a body other than the one the daemon would read is the bypass
//! this tool exists to catch.
//!
//! Two conveniences for hand-written files, neither of which changes what a
//! real client's bytes mean: LF line ends are accepted as well as CRLF, and a
//! request with neither `Content-Length` nor `Transfer-Encoding` takes the
//! rest of the file as its body when that rest is not blank.

use anyhow::{bail, Context};

/// Most headers a request file may carry; the docker CLI sends fewer than 10.
const MAX_HEADERS: usize = 128;

/// Parses one raw HTTP/1.x request.
pub(crate) fn parse(bytes: &[u8]) -> anyhow::Result<fdcs_policy::Request> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(bytes).context("malformed request head")? {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => {
            bail!("incomplete request head: the headers must end with a blank line")
        }
    };
    let method = req.method.unwrap_or_default().to_string();
    let target = req.path.unwrap_or_default();
    if !target.starts_with('/') {
        bail!("request target `{target}` is not a path: use the origin form `/v1.41/...`");
    }
    let framing = framing(req.headers)?;
    let rest = bytes.get(head_len..).unwrap_or_default();
    let body = match framing {
        Framing::Length(n) => {
            let body = rest.get(..n).with_context(|| {
                format!(
                    "body shorter than its Content-Length: {} of {n} bytes",
                    rest.len()
                )
            })?;
            let trailing = rest.get(n..).unwrap_or_default();
            if !is_blank(trailing) {
                bail!(
                    "{} bytes after the body that Content-Length {n} frames: \
                     one request per file",
                    trailing.len()
                );
            }
            body.to_vec()
        }
        Framing::Chunked => {
            let (body, used) = dechunk(rest)?;
            if !is_blank(rest.get(used..).unwrap_or_default()) {
                bail!("bytes after the last chunk: one request per file");
            }
            body
        }
        Framing::None if is_blank(rest) => Vec::new(),
        Framing::None => rest.to_vec(),
    };
    let mut out = fdcs_policy::Request::new(method, target, body);
    for h in req.headers.iter() {
        let slot = if h.name.eq_ignore_ascii_case("x-registry-auth") {
            &mut out.registry_auth
        } else if h.name.eq_ignore_ascii_case("x-registry-config") {
            &mut out.registry_config
        } else {
            continue;
        };
        if slot.is_some() {
            bail!("the {} header is given more than once", h.name);
        }
        let value = std::str::from_utf8(h.value)
            .with_context(|| format!("the {} header is not text", h.name))?;
        *slot = Some(value.to_string());
    }
    Ok(out)
}

/// How the body is delimited.
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked,
    None,
}

fn framing(headers: &[httparse::Header<'_>]) -> anyhow::Result<Framing> {
    let mut length: Option<usize> = None;
    let mut chunked = false;
    for h in headers {
        if h.name.eq_ignore_ascii_case("content-length") {
            let v = std::str::from_utf8(h.value).unwrap_or_default().trim();
            let n: usize = v
                .parse()
                .ok()
                .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                .with_context(|| format!("invalid Content-Length `{v}`"))?;
            if length.is_some_and(|m| m != n) {
                bail!("two different Content-Length headers: the body is ambiguous");
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            let v = String::from_utf8_lossy(h.value);
            if !v.trim().eq_ignore_ascii_case("chunked") || chunked {
                bail!(
                    "unsupported Transfer-Encoding `{}`: only one `chunked`",
                    v.trim()
                );
            }
            chunked = true;
        }
    }
    match (length, chunked) {
        (Some(_), true) => {
            bail!("both Content-Length and Transfer-Encoding: the body is ambiguous")
        }
        (Some(n), false) => Ok(Framing::Length(n)),
        (None, true) => Ok(Framing::Chunked),
        (None, false) => Ok(Framing::None),
    }
}

/// Decodes a chunked body; returns it and how many input bytes it used
/// (through the blank line after the trailers).
fn dechunk(input: &[u8]) -> anyhow::Result<(Vec<u8>, usize)> {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let (line, next) = line_at(input, pos).context("chunk size line missing")?;
        let size_text = std::str::from_utf8(line)
            .ok()
            .map(|l| l.split(';').next().unwrap_or_default().trim())
            .unwrap_or_default();
        let size = usize::from_str_radix(size_text, 16)
            .ok()
            .filter(|_| !size_text.is_empty() && !size_text.starts_with('+'))
            .with_context(|| format!("invalid chunk size `{}`", String::from_utf8_lossy(line)))?;
        pos = next;
        if size == 0 {
            // trailers, then a blank line (which may be missing at end of file)
            loop {
                match line_at(input, pos) {
                    Some((&[], next)) => return Ok((body, next)),
                    Some((_, next)) => pos = next,
                    None if is_blank(input.get(pos..).unwrap_or_default()) => {
                        return Ok((body, input.len()))
                    }
                    None => bail!("unterminated chunk trailer"),
                }
            }
        }
        let end = pos
            .checked_add(size)
            .filter(|&e| e <= input.len())
            .with_context(|| format!("chunk of {size} bytes runs past the end of the file"))?;
        body.extend_from_slice(input.get(pos..end).unwrap_or_default());
        match line_at(input, end) {
            Some((&[], next)) => pos = next,
            _ => bail!("chunk of {size} bytes is not followed by a line end"),
        }
    }
}

/// The line starting at `pos` without its LF or CRLF, and where the next
/// line starts; `None` when no line end follows.
fn line_at(input: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = input.get(pos..)?;
    let nl = rest.iter().position(|&b| b == b'\n')?;
    let line = rest.get(..nl)?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, pos + nl + 1))
}

fn is_blank(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_with_content_length() {
        let r = parse(b"POST /v1.41/containers/create?name=web HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\n\r\n{}").unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/v1.41/containers/create");
        assert_eq!(r.query.as_deref(), Some("name=web"));
        assert_eq!(r.body, b"{}");
    }

    #[test]
    fn lf_line_ends_and_trailing_newline() {
        let r = parse(b"GET /_ping HTTP/1.1\nHost: docker\n\n\n").unwrap();
        assert_eq!(r.path, "/_ping");
        assert_eq!(r.query, None);
        assert!(r.body.is_empty());
    }

    #[test]
    fn chunked_body_with_extension_and_trailer() {
        let raw = b"POST /v1.41/volumes/create HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\n{\"Na\r\n6\r\nme\":1}\r\n0\r\nX-Trailer: 1\r\n\r\n";
        assert_eq!(parse(raw).unwrap().body, b"{\"Name\":1}");
        let lf = b"POST /v1.41/volumes/create HTTP/1.1\nTransfer-Encoding: chunked\n\n2\n{}\n0\n";
        assert_eq!(parse(lf).unwrap().body, b"{}");
    }

    #[test]
    fn body_without_length_is_the_rest_of_the_file() {
        let r = parse(b"POST /v1.41/volumes/create HTTP/1.1\n\n{\"Name\":\"x\"}\n").unwrap();
        assert_eq!(r.body, b"{\"Name\":\"x\"}\n");
    }

    /// Request smuggling: the daemon and we must frame the same body.
    #[test]
    fn ambiguous_framing_is_an_error() {
        for raw in [
            &b"POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}"[..],
            b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x",
            b"POST / HTTP/1.1\r\nContent-Length: +2\r\n\r\n{}",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}{\"Privileged\":true}",
            b"POST / HTTP/1.1\r\nContent-Length: 20\r\n\r\n{}",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\nGET /x HTTP/1.1\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{}\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        ] {
            assert!(parse(raw).is_err(), "{}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn bad_heads_are_errors() {
        for raw in [
            &b""[..],
            b"GET /_ping HTTP/1.1\r\nHost: x\r\n",
            b"GET http://docker/_ping HTTP/1.1\r\n\r\n",
            b"not http at all\r\n\r\n",
        ] {
            assert!(parse(raw).is_err(), "{}", String::from_utf8_lossy(raw));
        }
    }

    /// Any chunking of a body, with LF or CRLF, decodes to the same bytes as
    /// the Content-Length form (a small deterministic generator instead of a
    /// proptest dependency).
    #[test]
    fn every_chunking_decodes_to_the_same_body() {
        let body: Vec<u8> = (0..1800u32)
            .map(|i| b"{}\"a:0,\r\n "[(i % 10) as usize])
            .collect();
        let mut seed = 0x2545_f491_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for round in 0..200 {
            let eol: &[u8] = if round % 2 == 0 { b"\r\n" } else { b"\n" };
            let mut raw = b"POST /v1.41/containers/create HTTP/1.1".to_vec();
            raw.extend_from_slice(eol);
            raw.extend_from_slice(b"Transfer-Encoding: chunked");
            raw.extend_from_slice(eol);
            raw.extend_from_slice(eol);
            let mut rest = &body[..];
            while !rest.is_empty() {
                let n = 1 + next(rest.len().min(700));
                let (chunk, tail) = rest.split_at(n);
                raw.extend_from_slice(format!("{n:x}").as_bytes());
                raw.extend_from_slice(eol);
                raw.extend_from_slice(chunk);
                raw.extend_from_slice(eol);
                rest = tail;
            }
            raw.extend_from_slice(b"0");
            raw.extend_from_slice(eol);
            raw.extend_from_slice(eol);
            assert_eq!(parse(&raw).unwrap().body, body, "round {round}");
        }
    }

    #[test]
    fn identical_duplicate_content_length_is_fine() {
        let r =
            parse(b"POST / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\n{}").unwrap();
        assert_eq!(r.body, b"{}");
    }
}
