//! One keep-alive HTTP/1.1 connection, as a Docker SDK holds one: requests
//! go out one after another on the same socket, each answer is read whole
//! (by `Content-Length` or chunked), and the socket is reused.
//!
//! Plain `std` I/O, because the e2e crate has no async runtime; one thread
//! per connection is what 128 connections need. A connection the proxy
//! closes is counted, never hidden: the next request opens a new one and
//! the caller sees [`Conn::reconnects`] grow.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long an answer may take before the request counts as hung. Far
/// above anything the engine needs for these requests; it only turns a
/// hang into a failure instead of a test that never ends.
pub(crate) const HANG: Duration = Duration::from_secs(120);

/// An answer: status, whether the proxy asked to close, and the body
/// (de-chunked).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: String,
}

/// One client connection to the proxy, as one tenant.
pub(crate) struct Conn {
    port: u16,
    headers: String,
    stream: Option<BufReader<TcpStream>>,
    /// Connections the proxy closed under this client (by `Connection:
    /// close` or by closing the socket between two requests).
    pub(crate) reconnects: u32,
}

impl Conn {
    /// A connection to `127.0.0.1:port` sending the tenant's two headers
    /// with every request; it is opened at the first request.
    pub(crate) fn new(port: u16, tenant: &str, token: &str) -> Conn {
        Conn {
            port,
            headers: format!("X-Auth-Token: {token}\r\nX-Auth-TenantId: {tenant}\r\n"),
            stream: None,
            reconnects: 0,
        }
    }

    /// Opens the socket now (so that all connections of a round are open
    /// before the first request).
    pub(crate) fn open(&mut self) -> io::Result<()> {
        if self.stream.is_none() {
            let s = TcpStream::connect(("127.0.0.1", self.port))?;
            s.set_read_timeout(Some(HANG))?;
            s.set_write_timeout(Some(HANG))?;
            s.set_nodelay(true)?;
            self.stream = Some(BufReader::new(s));
        }
        Ok(())
    }

    /// Sends one request (`path` without the version prefix) and reads its
    /// answer. A socket the proxy closed before this request is reopened
    /// once (counted); any other I/O failure, a timeout included, is an
    /// error for the caller to report.
    pub(crate) fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> io::Result<Answer> {
        let mut req = format!(
            "{method} /v1.41{path} HTTP/1.1\r\nHost: fdcs\r\nUser-Agent: fdcs-load\r\n{}",
            self.headers
        );
        if let Some(b) = body {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            ));
        } else if method == "POST" {
            req.push_str("Content-Length: 0\r\n\r\n");
        } else {
            req.push_str("\r\n");
        }
        let reused = self.stream.is_some();
        match self.exchange(req.as_bytes()) {
            Ok(a) => Ok(a),
            // The keep-alive socket was closed by the proxy while idle:
            // nothing of this request reached it; try once on a new one.
            Err(e) if reused && closed_while_idle(&e) => {
                self.reconnects += 1;
                self.stream = None;
                self.exchange(req.as_bytes())
            }
            Err(e) => {
                self.stream = None;
                Err(e)
            }
        }
    }

    fn exchange(&mut self, req: &[u8]) -> io::Result<Answer> {
        self.open()?;
        let s = self
            .stream
            .as_mut()
            .ok_or_else(|| io::Error::other("no socket"))?;
        s.get_mut().write_all(req)?;
        let (answer, close) = read_answer(s)?;
        if close {
            self.reconnects += 1;
            self.stream = None;
        }
        Ok(answer)
    }
}

fn closed_while_idle(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
    )
}

/// Reads one answer; the flag says the proxy will close the connection.
fn read_answer(s: &mut BufReader<TcpStream>) -> io::Result<(Answer, bool)> {
    let mut line = String::new();
    if s.read_line(&mut line)? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let status: u16 = line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| line.strip_prefix("HTTP/1.0 "))
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad(format!("not a status line: {line:?}")))?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut close = line.starts_with("HTTP/1.0");
    loop {
        line.clear();
        if s.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let Some((k, v)) = l.split_once(':') else {
            return Err(bad(format!("not a header: {l:?}")));
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase());
        match k.as_str() {
            "content-length" => {
                length = Some(
                    v.parse()
                        .map_err(|_| bad(format!("Content-Length {v:?}")))?,
                )
            }
            "transfer-encoding" => chunked = v.contains("chunked"),
            "connection" => close = v.contains("close"),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if status == 204 || status == 304 || (100..200).contains(&status) {
    } else if chunked {
        loop {
            line.clear();
            s.read_line(&mut line)?;
            let size = line.trim_end().split(';').next().unwrap_or_default();
            let n =
                usize::from_str_radix(size, 16).map_err(|_| bad(format!("chunk size {line:?}")))?;
            if n == 0 {
                // Trailers (none expected) until the blank line.
                loop {
                    line.clear();
                    if s.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = body.len();
            body.resize(start + n, 0);
            s.read_exact(body.get_mut(start..).unwrap_or_default())?;
            let mut crlf = [0u8; 2];
            s.read_exact(&mut crlf)?;
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        s.read_exact(&mut body)?;
    } else {
        // Neither: the body ends with the connection.
        s.read_to_end(&mut body)?;
        close = true;
    }
    let body = String::from_utf8(body).map_err(|e| bad(format!("body is not UTF-8: {e}")))?;
    Ok((Answer { status, body }, close))
}

fn bad(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}
