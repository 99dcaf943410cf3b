//! Line-by-line rewriting of streamed newline-delimited JSON. `/events`
//! streams for hours: each event is handed to [`fdcs_policy::rewrite_event`]
//! as it arrives (dropped when it is not the tenant's), and the stream is
//! never buffered whole. A line longer than the bound is dropped rather than
//! buffered. The rewriter is a function so that other line streams (stats)
//! can reuse the body.

use crate::body::{BoxError, FdcsBody};
use bytes::{Bytes, BytesMut};
use fdcs_policy::Tenant;
use http_body::{Body, Frame};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Rewrites one line; `None` drops it.
pub(crate) type LineFn = Box<dyn Fn(&[u8]) -> Option<Vec<u8>> + Send>;

/// The rewriting body.
pub(crate) struct EventLines {
    inner: FdcsBody,
    rewrite: LineFn,
    partial: BytesMut,
    max_line: usize,
    /// Inside an over-long line: discard up to the next newline.
    skipping: bool,
    done: bool,
}

impl EventLines {
    /// `/events` for a tenant.
    pub(crate) fn events(inner: FdcsBody, tenant: Tenant, max_line: usize) -> Self {
        Self::new(
            inner,
            Box::new(move |line| fdcs_policy::rewrite_event(&tenant, line)),
            max_line,
        )
    }

    /// Any line stream with any rewriter.
    pub(crate) fn new(inner: FdcsBody, rewrite: LineFn, max_line: usize) -> Self {
        EventLines {
            inner,
            rewrite,
            partial: BytesMut::new(),
            max_line,
            skipping: false,
            done: false,
        }
    }

    /// Takes in a chunk and returns the rewritten complete lines in it.
    fn feed(&mut self, mut chunk: &[u8]) -> BytesMut {
        let mut out = BytesMut::new();
        while let Some(nl) = chunk.iter().position(|b| *b == b'\n') {
            let (head, rest) = chunk.split_at(nl);
            chunk = rest.get(1..).unwrap_or_default();
            if self.skipping {
                self.skipping = false;
                self.partial.clear();
                continue;
            }
            if self.partial.len() + head.len() > self.max_line {
                self.partial.clear();
                continue;
            }
            self.partial.extend_from_slice(head);
            let line = self.partial.split();
            self.emit(&line, &mut out);
        }
        if !self.skipping {
            if self.partial.len() + chunk.len() > self.max_line {
                self.partial.clear();
                self.skipping = true;
            } else {
                self.partial.extend_from_slice(chunk);
            }
        }
        out
    }

    fn emit(&self, line: &[u8], out: &mut BytesMut) {
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        if let Some(rewritten) = (self.rewrite)(line) {
            out.extend_from_slice(&rewritten);
            if !rewritten.ends_with(b"\n") {
                out.extend_from_slice(b"\n");
            }
        }
    }
}

impl Body for EventLines {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            match Pin::new(&mut self.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    let out = self.feed(&data);
                    if !out.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(out.freeze()))));
                    }
                }
                Poll::Ready(None) => {
                    self.done = true;
                    let mut out = BytesMut::new();
                    if !self.skipping && !self.partial.is_empty() {
                        let line = self.partial.split();
                        self.emit(&line, &mut out);
                    }
                    if !out.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(out.freeze()))));
                    }
                    return Poll::Ready(None);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::BoxError;
    use fdcs_policy::TenantId;
    use http_body_util::BodyExt;

    async fn run(chunks: Vec<&'static [u8]>, max: usize) -> Vec<u8> {
        let (mut tx, body) = http_body_util::channel::Channel::<Bytes, BoxError>::new(16);
        tokio::spawn(async move {
            for c in chunks {
                let _ = tx.send_data(Bytes::from_static(c)).await;
            }
        });
        // an identity rewriter that marks each line it saw
        let mark: LineFn = Box::new(|l| Some([b"<", l, b">"].concat()));
        let lines = EventLines::new(crate::body::boxed(body), mark, max);
        lines.collect().await.unwrap().to_bytes().to_vec()
    }

    #[tokio::test]
    async fn lines_split_across_chunks_are_joined() {
        let out = run(vec![b"{\"a\":", b"1}\n{\"b\"", b":2}\n\n{\"c\":3}"], 1024).await;
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<{\"a\":1}>\n<{\"b\":2}>\n<{\"c\":3}>\n"
        );
    }

    #[tokio::test]
    async fn other_tenants_events_are_dropped_and_labels_hidden() {
        let (mut tx, body) = http_body_util::channel::Channel::<Bytes, BoxError>::new(4);
        tokio::spawn(async move {
            let a = br#"{"Type":"container","Action":"start","Actor":{"Attributes":{"name":"alpha_web","fdcs.tenant":"alpha"}}}"#;
            let b = br#"{"Type":"container","Action":"start","Actor":{"Attributes":{"name":"beta_db","fdcs.tenant":"beta"}}}"#;
            let _ = tx
                .send_data(Bytes::from([&a[..], b"\n", &b[..], b"\n"].concat()))
                .await;
        });
        let t = Tenant::new(TenantId::new("alpha").unwrap());
        let out = EventLines::events(crate::body::boxed(body), t, 1024)
            .collect()
            .await
            .unwrap()
            .to_bytes();
        let text = String::from_utf8(out.to_vec()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            !text.contains("beta") && !text.contains("fdcs.tenant"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn an_over_long_line_is_dropped_not_buffered() {
        let out = run(
            vec![
                b"{\"xxxxxxxxxxxxxxxxxxxxxxxx",
                b"xxxxxxxxxxxxxxxxxxxxxxx\":1}\n",
            ],
            16,
        )
        .await;
        assert!(out.is_empty(), "{:?}", String::from_utf8_lossy(&out));
    }
}
