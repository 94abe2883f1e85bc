//! Client-side budgets that keep a run inside the service's rate limits.

use crate::limits::RateLimit;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A sliding-window log: at most `limit.requests` sends in any span of the window (scaled to
/// real time) plus a margin. The service counts in fixed windows from the first request it
/// receives; keeping every `requests + 1` consecutive sends more than a window (plus a margin
/// for latency jitter) apart keeps every such service window within its budget.
#[derive(Debug)]
pub(crate) struct Budget {
    requests: usize,
    span: Duration,
    sent: VecDeque<Instant>,
}

impl Budget {
    pub(crate) fn new(limit: RateLimit, time_scale: f64, margin: Option<Duration>) -> Self {
        let real = Duration::try_from_secs_f64(limit.window.as_secs_f64() / time_scale)
            .unwrap_or(limit.window);
        // Latency jitter between two sends: by default up to a second, and never more than
        // 2 % of the window (time-scaled test windows are short).
        let margin = margin.unwrap_or((real / 50).min(Duration::from_secs(1)));
        Budget {
            requests: limit.requests.max(1) as usize,
            span: real + margin,
            sent: VecDeque::with_capacity(limit.requests.min(4096) as usize),
        }
    }

    /// When the next send may go.
    pub(crate) fn ready_at(&self, now: Instant) -> Instant {
        if self.sent.len() < self.requests {
            return now;
        }
        let oldest = self.sent[self.sent.len() - self.requests];
        (oldest + self.span).max(now)
    }

    pub(crate) fn record(&mut self, at: Instant) {
        self.sent.push_back(at);
        while self.sent.len() > self.requests {
            self.sent.pop_front();
        }
    }

    /// Waits until the budget allows a send, then records it (for runs that draw on one budget).
    pub(crate) async fn take(&mut self) {
        let at = self.ready_at(Instant::now());
        tokio::time::sleep_until(at.into()).await;
        self.record(Instant::now());
    }

    /// No send before `until` (after a 429). Only ever delays: a hint that frees the budget
    /// sooner than its own log does (a `Retry-After: 0`) changes nothing.
    pub(crate) fn block_until(&mut self, until: Instant) {
        if until <= self.ready_at(Instant::now()) {
            return;
        }
        // Pretend the budget was used up just so that it frees at `until`.
        let start = until.checked_sub(self.span).unwrap_or(until);
        self.sent.clear();
        for _ in 0..self.requests {
            self.sent.push_back(start);
        }
    }
}

#[cfg(test)]
mod hint_tests {
    use super::*;

    #[test]
    fn a_zero_hint_never_frees_the_budget() {
        let limit = RateLimit::new(2, Duration::from_secs(10));
        let mut b = Budget::new(limit, 1.0, Some(Duration::ZERO));
        let now = Instant::now();
        b.record(now);
        b.record(now);
        let ready = b.ready_at(now);
        assert!(ready >= now + Duration::from_secs(10));
        b.block_until(now);
        assert_eq!(b.ready_at(now), ready, "Retry-After: 0 erased nothing");
        b.block_until(now + Duration::from_secs(30));
        assert!(
            b.ready_at(now) >= now + Duration::from_secs(30),
            "a longer hint delays"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_the_budget_over_any_window() {
        let limit = RateLimit::new(3, Duration::from_secs(10));
        let mut b = Budget::new(limit, 1.0, None);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(b.ready_at(t0), t0);
            b.record(t0);
        }
        let next = b.ready_at(t0);
        assert_eq!(next, t0 + Duration::from_millis(10_200));
        b.record(next);
        // The next frees a window (plus margin) after the second send.
        assert_eq!(b.ready_at(next), t0 + Duration::from_millis(10_200));
    }

    #[test]
    fn scaled_windows_and_blocking() {
        let hourly = RateLimit::new(100, Duration::from_secs(3600));
        let mut b = Budget::new(hourly, 3600.0, None);
        assert_eq!(b.span, Duration::from_millis(1020));
        let t0 = Instant::now();
        b.block_until(t0 + Duration::from_secs(5));
        assert_eq!(b.ready_at(t0), t0 + Duration::from_secs(5));
    }
}
