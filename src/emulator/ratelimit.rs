//! Clerk's rate limits, enforced per secret key with fixed windows on a scalable clock.

use crate::limits::{self, RateLimit};
use axum::http::Method;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The endpoint budget a request draws on, by method and route template.
pub(crate) fn endpoint_limit(method: &Method, route: &str) -> Option<(&'static str, RateLimit)> {
    if method != Method::POST {
        return None;
    }
    match route {
        "/v1/invitations" => Some(("create_invitation", limits::CREATE_INVITATION)),
        "/v1/invitations/bulk" => {
            Some(("create_bulk_invitations", limits::CREATE_BULK_INVITATIONS))
        }
        "/v1/organizations/{org}/invitations" => Some((
            "create_organization_invitation",
            limits::CREATE_ORGANIZATION_INVITATION,
        )),
        "/v1/organizations/{org}/invitations/bulk" => Some((
            "create_organization_invitation_bulk",
            limits::CREATE_ORGANIZATION_INVITATION_BULK,
        )),
        _ => None,
    }
}

struct Window {
    start: Instant,
    count: u32,
}

/// Fixed windows: a window opens with the first admitted request and holds `requests` of them
/// for `window` (divided by the time scale); a request over the budget waits for it to close.
pub(crate) struct Limiter {
    pub(crate) enabled: bool,
    pub(crate) time_scale: f64,
    windows: HashMap<(String, &'static str), Window>,
}

impl Limiter {
    pub(crate) fn new(enabled: bool, time_scale: f64) -> Self {
        Limiter {
            enabled,
            time_scale,
            windows: HashMap::new(),
        }
    }

    fn real(&self, emulated: Duration) -> Duration {
        Duration::try_from_secs_f64(emulated.as_secs_f64() / self.time_scale).unwrap_or(emulated)
    }

    /// Admits a request drawing on `budgets` (all of them, or none), or says how long to wait.
    pub(crate) fn admit(
        &mut self,
        key: &str,
        budgets: &[(&'static str, RateLimit)],
        now: Instant,
    ) -> Result<(), Duration> {
        if !self.enabled {
            return Ok(());
        }
        let mut wait = Duration::ZERO;
        for (scope, limit) in budgets {
            let length = self.real(limit.window);
            if let Some(w) = self.windows.get(&(key.to_string(), *scope))
                && now.duration_since(w.start) < length
                && w.count >= limit.requests
            {
                wait = wait.max(length - now.duration_since(w.start));
            }
        }
        if wait > Duration::ZERO {
            return Err(wait);
        }
        for (scope, limit) in budgets {
            let length = self.real(limit.window);
            let w = self
                .windows
                .entry((key.to_string(), *scope))
                .or_insert(Window {
                    start: now,
                    count: 0,
                });
            if now.duration_since(w.start) >= length {
                w.start = now;
                w.count = 0;
            }
            w.count += 1;
        }
        Ok(())
    }
}

/// `Retry-After` in whole seconds, at least 1.
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: RateLimit = RateLimit::new(2, Duration::from_secs(10));

    #[test]
    fn a_window_holds_its_budget_then_reopens() {
        let mut l = Limiter::new(true, 1.0);
        let t0 = Instant::now();
        assert!(l.admit("k", &[("s", TINY)], t0).is_ok());
        assert!(l.admit("k", &[("s", TINY)], t0).is_ok());
        let wait = l
            .admit("k", &[("s", TINY)], t0 + Duration::from_secs(4))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(6));
        // Another key has its own budget.
        assert!(l.admit("other", &[("s", TINY)], t0).is_ok());
        assert!(
            l.admit("k", &[("s", TINY)], t0 + Duration::from_secs(10))
                .is_ok()
        );
    }

    #[test]
    fn a_refused_request_draws_on_no_budget() {
        let mut l = Limiter::new(true, 1.0);
        let t0 = Instant::now();
        let big = RateLimit::new(10, Duration::from_secs(10));
        assert!(l.admit("k", &[("big", big), ("s", TINY)], t0).is_ok());
        assert!(l.admit("k", &[("big", big), ("s", TINY)], t0).is_ok());
        for _ in 0..5 {
            assert!(l.admit("k", &[("big", big), ("s", TINY)], t0).is_err());
        }
        // Only 2 of `big` were used: 8 remain.
        for _ in 0..8 {
            assert!(l.admit("k", &[("big", big)], t0).is_ok());
        }
        assert!(l.admit("k", &[("big", big)], t0).is_err());
    }

    #[test]
    fn time_scale_shortens_windows() {
        let mut l = Limiter::new(true, 3600.0);
        let t0 = Instant::now();
        let hourly = RateLimit::new(1, Duration::from_secs(3600));
        assert!(l.admit("k", &[("h", hourly)], t0).is_ok());
        let wait = l.admit("k", &[("h", hourly)], t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        assert!(
            l.admit("k", &[("h", hourly)], t0 + Duration::from_secs(1))
                .is_ok()
        );
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1000)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
