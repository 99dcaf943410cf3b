//! The token bucket behind `fair.rate`: `rate` tokens a second flow in, up
//! to `burst`; a request takes one. Time is passed in, so the arithmetic is
//! tested without a clock.

use std::time::{Duration, Instant};

/// One tenant's bucket.
#[derive(Debug)]
pub(crate) struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket: `burst` requests at once, then `rate` a second.
    pub(crate) fn new(rate: u32, burst: u32, now: Instant) -> Self {
        // a burst below one would refuse every request
        let burst = f64::from(burst.max(1));
        Bucket {
            rate: f64::from(rate.max(1)),
            burst,
            tokens: burst,
            at: now,
        }
    }

    /// Takes a token, or says how long until one is there.
    pub(crate) fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.at = self.at.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_gives_its_burst_then_refuses() {
        let t0 = Instant::now();
        let mut b = Bucket::new(10, 5, t0);
        for i in 0..5 {
            assert_eq!(b.take(t0), Ok(()), "request {i} of the burst");
        }
        let wait = b.take(t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(90) && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
    }

    #[test]
    fn tokens_flow_back_at_the_rate_and_never_above_the_burst() {
        let t0 = Instant::now();
        let mut b = Bucket::new(10, 5, t0);
        for _ in 0..5 {
            b.take(t0).unwrap();
        }
        // 250 ms at 10/s: two tokens back
        let t1 = t0 + Duration::from_millis(250);
        assert_eq!(b.take(t1), Ok(()));
        assert_eq!(b.take(t1), Ok(()));
        assert!(b.take(t1).is_err());
        // an hour idle refills to the burst, not to 36,000
        let t2 = t1 + Duration::from_secs(3600);
        for _ in 0..5 {
            b.take(t2).unwrap();
        }
        assert!(b.take(t2).is_err());
    }

    #[test]
    fn a_clock_that_goes_back_adds_nothing() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut b = Bucket::new(1, 1, t0);
        b.take(t0).unwrap();
        assert!(b.take(t0 - Duration::from_secs(5)).is_err());
    }

    #[test]
    fn zero_settings_still_let_one_request_through() {
        let t0 = Instant::now();
        let mut b = Bucket::new(0, 0, t0);
        assert_eq!(b.take(t0), Ok(()));
        assert!(b.take(t0).is_err());
    }
}
