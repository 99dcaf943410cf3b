//! Plain HTTP/1.1 over a `TcpStream`: for fetching a published port, for
//! checking status codes the docker CLI hides, and for sending what no
//! well-behaved client would (garbage, oversized or truncated bodies).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A parsed response: status code, raw head and body (not de-chunked).
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code from the status line.
    pub status: u16,
    /// Everything before the blank line.
    pub head: String,
    /// Everything after it.
    pub body: String,
}

/// Sends `bytes` on a fresh connection and reads until the peer closes or
/// `timeout` passes.
pub fn raw(port: u16, bytes: &[u8], timeout: Duration) -> io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_millis(200)))?;
    s.set_write_timeout(Some(timeout))?;
    // A server may answer (e.g. 413) and close before reading everything;
    // a write error then is expected, the answer is what matters.
    let _ = s.write_all(bytes);
    read_until_close(&mut s, timeout)
}

/// Reads what the peer sends until it closes or `timeout` passes.
pub fn read_until_close(s: &mut TcpStream, timeout: Duration) -> io::Result<String> {
    let start = Instant::now();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    while start.elapsed() < timeout {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                // A complete response with Content-Length is enough.
                if complete(&buf) {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset && !buf.is_empty() => break,
            Err(e) => return Err(e),
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn complete(buf: &[u8]) -> bool {
    let text = String::from_utf8_lossy(buf);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let len = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())?
    });
    match len {
        Some(n) => body.len() >= n,
        None => body.ends_with("0\r\n\r\n"),
    }
}

/// Parses a raw response; `None` when it is not HTTP.
pub fn parse(text: &str) -> Option<Response> {
    let rest = text.strip_prefix("HTTP/1.")?;
    let status = rest.get(2..5)?.parse().ok()?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    Some(Response {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    })
}

/// A request with the given method, path, headers and body, `Connection: close`.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Response> {
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    let text = raw(port, &bytes, Duration::from_secs(30))?;
    parse(&text).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not an HTTP response: {text:?}"),
        )
    })
}

/// `GET path` with the given headers.
pub fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> io::Result<Response> {
    request(port, "GET", path, headers, b"")
}
