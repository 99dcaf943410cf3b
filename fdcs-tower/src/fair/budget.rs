//! `fair.memory`: the bytes of engine answers the proxy holds for one
//! tenant at once.
//!
//! Answers the layer reads whole — obligation lookups, and the answers it
//! rewrites (lists, inspect) — are each bounded by
//! [`crate::Limits::max_response_body`]; this bounds their sum per tenant.
//! Every data frame read through a [`Metered`] engine service takes as many
//! permits from the tenant's pool as it has bytes, and keeps them in the
//! request's [`Budget`] until the request lets them go: lookups when
//! judging is done, a rewritten answer when the client has it (the request's
//! ticket travels with the response body). Streams (logs, events, pulls)
//! are not metered: they are passed on frame by frame, never held.
//!
//! The count is of the bytes read from the engine, an approximation of what
//! the rewrite holds (its parsed value and its output are of the same order).

use crate::body::BoxError;
use crate::engine::EngineService;
use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What one request holds of its tenant's pool. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub(crate) struct Budget(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    /// The tenant's pool; `None`: no limit.
    pool: Option<Arc<Semaphore>>,
    held: Mutex<Option<OwnedSemaphorePermit>>,
    over: AtomicBool,
}

/// The error a metered body ends with when the pool is empty.
#[derive(Debug, thiserror::Error)]
#[error("the tenant's budget for buffered answers is used up")]
pub(crate) struct OverBudget;

impl Budget {
    /// A budget drawing from `pool` (`None`: unlimited).
    pub(crate) fn new(pool: Option<Arc<Semaphore>>) -> Self {
        Budget(Arc::new(Inner {
            pool,
            ..Inner::default()
        }))
    }

    /// Takes `bytes` from the pool, or marks the request as over budget.
    pub(super) fn charge(&self, bytes: usize) -> Result<(), OverBudget> {
        let Some(pool) = &self.0.pool else {
            return Ok(());
        };
        let n = u32::try_from(bytes).map_err(|_| OverBudget)?;
        if n == 0 {
            return Ok(());
        }
        match Arc::clone(pool).try_acquire_many_owned(n) {
            Ok(permit) => {
                let mut held = self.0.held.lock().unwrap_or_else(|p| p.into_inner());
                match held.as_mut() {
                    Some(h) => h.merge(permit),
                    None => *held = Some(permit),
                }
                Ok(())
            }
            Err(_) => {
                self.0.over.store(true, Ordering::Relaxed);
                Err(OverBudget)
            }
        }
    }

    /// Gives back everything held so far.
    pub(crate) fn release(&self) {
        let permit = self.0.held.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(permit);
    }

    /// Whether a read of this request found the pool empty.
    pub(crate) fn exceeded(&self) -> bool {
        self.0.over.load(Ordering::Relaxed)
    }
}

/// An engine service whose answers are charged to a [`Budget`] (or not:
/// [`Metered::passthrough`]) as they are read.
pub(crate) struct Metered<S, RB> {
    inner: S,
    budget: Option<Budget>,
    _body: PhantomData<fn() -> RB>,
}

impl<S: Clone, RB> Clone for Metered<S, RB> {
    fn clone(&self) -> Self {
        Metered {
            inner: self.inner.clone(),
            budget: self.budget.clone(),
            _body: PhantomData,
        }
    }
}

impl<S: Clone, RB> Metered<S, RB> {
    /// Answers read through this service are charged to `budget`.
    pub(crate) fn new(inner: S, budget: Budget) -> Self {
        Metered {
            inner,
            budget: Some(budget),
            _body: PhantomData,
        }
    }

    /// The same engine, answers not charged (streams).
    pub(crate) fn passthrough(&self) -> Self {
        Metered {
            inner: self.inner.clone(),
            budget: None,
            _body: PhantomData,
        }
    }
}

impl<S, RB> tower::Service<Request<crate::body::FdcsBody>> for Metered<S, RB>
where
    S: EngineService<RB>,
    RB: Send + 'static,
{
    type Response = Response<MeteredBody<RB>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // readiness is the inner service's, awaited in `engine_call`
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<crate::body::FdcsBody>) -> Self::Future {
        let call = self.inner.clone().engine_call(req);
        let budget = self.budget.clone();
        Box::pin(async move {
            let resp = call.await?;
            Ok(resp.map(|inner| MeteredBody {
                inner: Box::pin(inner),
                budget,
            }))
        })
    }
}

/// An engine answer whose data frames are charged as they are read.
pub(crate) struct MeteredBody<B> {
    // boxed: the engine's body type need not be `Unpin`
    inner: Pin<Box<B>>,
    budget: Option<Budget>,
}

impl<B> Body for MeteredBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match std::task::ready!(self.inner.as_mut().poll_frame(cx)) {
            Some(Ok(frame)) => {
                if let (Some(budget), Some(data)) = (self.budget.as_ref(), frame.data_ref()) {
                    if let Err(e) = budget.charge(data.len()) {
                        return Poll::Ready(Some(Err(e.into())));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(e)) => Poll::Ready(Some(Err(e.into()))),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};

    fn body(budget: &Budget, n: usize) -> MeteredBody<Full<Bytes>> {
        MeteredBody {
            inner: Box::pin(Full::new(Bytes::from(vec![b'x'; n]))),
            budget: Some(budget.clone()),
        }
    }

    #[tokio::test]
    async fn answers_are_charged_until_released() {
        let pool = Arc::new(Semaphore::new(100));
        let a = Budget::new(Some(Arc::clone(&pool)));
        body(&a, 60).collect().await.unwrap();
        assert_eq!(pool.available_permits(), 40, "held after the read");
        let b = Budget::new(Some(Arc::clone(&pool)));
        assert!(body(&b, 60).collect().await.is_err(), "over the pool");
        assert!(b.exceeded() && !a.exceeded());
        a.release();
        assert_eq!(pool.available_permits(), 100);
        body(&b, 60).collect().await.unwrap();
        drop(b);
        assert_eq!(pool.available_permits(), 100, "a dropped budget gives back");
    }

    #[tokio::test]
    async fn no_pool_means_no_limit() {
        let a = Budget::new(None);
        body(&a, 1 << 20).collect().await.unwrap();
        assert!(!a.exceeded());
    }
}
