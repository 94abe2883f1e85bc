//! Clerk's documented rate limits for the invitation endpoints.
//!
//! Over a limit the service answers `429 too_many_requests` with `Retry-After` in seconds. The
//! client honours it (see the README's section on retries); the emulator enforces the same
//! numbers; the bulk tooling schedules within them.

use std::time::Duration;

/// A budget of `requests` per `window`.
///
/// ```
/// use clerk_invitations::limits;
/// let hourly = limits::CREATE_INVITATION;
/// println!("{} requests per {:?}", hourly.requests, hourly.window);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// Requests allowed in one window.
    pub requests: u32,
    /// Length of the window.
    pub window: Duration,
}

impl RateLimit {
    /// `requests` per `window`.
    pub const fn new(requests: u32, window: Duration) -> Self {
        RateLimit { requests, window }
    }
}

const HOUR: Duration = Duration::from_secs(3600);
const TEN_SECONDS: Duration = Duration::from_secs(10);

/// Every Backend API call of a production instance (`sk_live_…` key): 1000 per 10 s.
pub const GLOBAL_PRODUCTION: RateLimit = RateLimit::new(1000, TEN_SECONDS);
/// Every Backend API call of a development instance (`sk_test_…` key): 100 per 10 s.
pub const GLOBAL_DEVELOPMENT: RateLimit = RateLimit::new(100, TEN_SECONDS);
/// `POST /v1/invitations`: 100 per hour.
pub const CREATE_INVITATION: RateLimit = RateLimit::new(100, HOUR);
/// `POST /v1/invitations/bulk`: 25 per hour (at most 250 invitations).
pub const CREATE_BULK_INVITATIONS: RateLimit = RateLimit::new(25, HOUR);
/// `POST /v1/organizations/{id}/invitations`: 250 per hour.
pub const CREATE_ORGANIZATION_INVITATION: RateLimit = RateLimit::new(250, HOUR);
/// `POST /v1/organizations/{id}/invitations/bulk`: 50 per hour.
pub const CREATE_ORGANIZATION_INVITATION_BULK: RateLimit = RateLimit::new(50, HOUR);

/// The global limit that applies to a secret key: production for `sk_live_…`, development
/// otherwise.
pub fn global_for_key(secret_key: &str) -> RateLimit {
    if secret_key.starts_with("sk_live_") {
        GLOBAL_PRODUCTION
    } else {
        GLOBAL_DEVELOPMENT
    }
}
