//! Retries: the policy callers set, and the loop every operation runs in.
//!
//! What is retried depends on what a failure says about the request:
//!
//! - **Not executed**: `429` (the service refused it) and connection failures before anything
//!   was sent. Every operation is retried, after `Retry-After` for a 429.
//! - **Ambiguous**: a timeout, a connection lost after sending, a 5xx, a success whose body
//!   could not be read. The request may have taken effect. Reads and revokes are retried on
//!   502, 503, 504, timeouts and lost connections (not on 500). Organization-invitation creates
//!   are retried the same way, because the service answers a repeated one with the existing
//!   invitation. Application-invitation creates first look for an invitation the failed
//!   attempt created; only if the look-up works and finds none are they sent again, and a
//!   `duplicate_record` answer to the retry is settled the same way. Revokes settle an "already revoked" /
//!   "not pending" answer to a retry by fetching the invitation.
//! - **Final**: every other answer (4xx, invalid input, configuration).

use crate::error::{Error, ErrorKind, Result};
use crate::transport::Response;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// How failed requests are retried. Set per client with
/// [`ClerkBuilder::retry_policy`](crate::ClerkBuilder::retry_policy) and per request with the
/// builders' `with_retry`.
///
/// ```
/// use clerk_invitations::RetryPolicy;
/// use std::time::Duration;
/// let patient = RetryPolicy::default()
///     .max_attempts(8)
///     .backoff(Duration::from_millis(500), Duration::from_secs(30))
///     .deadline(Some(Duration::from_secs(600)));
/// let never = RetryPolicy::none();
/// # let _ = (patient, never);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct RetryPolicy {
    max_attempts: u32,
    base_backoff: Duration,
    max_backoff: Duration,
    deadline: Option<Duration>,
    max_rate_limited: u32,
}

/// The longest `Retry-After` honoured when the policy has no deadline: a longer one comes back
/// to the caller at once.
const MAX_HINTED_WAIT: Duration = Duration::from_secs(3600);

impl Default for RetryPolicy {
    /// 4 attempts, backoff from 200 ms up to 10 s with full jitter, 60 s overall.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            deadline: Some(Duration::from_secs(60)),
            max_rate_limited: 5,
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Waits between attempts: a random duration up to `base × 2^(retry − 1)`, never above
    /// `max` ("full jitter"). A 429 waits for its `Retry-After` instead, when it has one.
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base_backoff = base;
        self.max_backoff = max.max(base);
        self
    }

    /// Time allowed for the whole operation, attempts and waits included (`None`: no limit
    /// beyond the attempts). A wait that would end past the deadline is not started: the last
    /// error is returned instead, so a `Retry-After` of an hour comes back to the caller at
    /// once.
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// At most this many `429` answers in a row (at least 1; default 5): past it the `429`
    /// comes back to the caller even when attempts remain, so a service that keeps refusing
    /// cannot hold a call forever.
    pub fn max_rate_limited(mut self, n: u32) -> Self {
        self.max_rate_limited = n.max(1);
        self
    }

    /// The wait before retrying after a `429`: its `Retry-After`, never less than the base
    /// backoff (a `Retry-After: 0`, or none, never means "at once"): without a hint, the
    /// backoff of retry `retry`. `None` when the hint is longer than the deadline allows (or,
    /// without a deadline, an hour).
    pub(crate) fn rate_limited_wait(&self, hint: Option<Duration>, retry: u32) -> Option<Duration> {
        let wait = match hint.filter(|d| !d.is_zero()) {
            Some(hint) => hint,
            None => self.backoff_for(retry),
        }
        .max(self.base_backoff);
        (wait <= self.deadline.unwrap_or(MAX_HINTED_WAIT)).then_some(wait)
    }

    /// Attempts in all.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before retry number `retry` (1 for the first retry).
    fn backoff_for(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let ceiling = self
            .base_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// What a failure says about whether the request took effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// The service did not execute it (429, connection refused).
    NotExecuted,
    /// It may have been executed; a retry of an idempotent request is safe.
    Ambiguous,
    /// A success response arrived but could not be read: it was executed.
    ExecutedUnreadable,
    /// Retrying cannot help.
    Final,
}

fn classify(e: &Error) -> Outcome {
    match e.kind() {
        ErrorKind::Timeout => Outcome::Ambiguous,
        ErrorKind::Transport if e.is_connect_failure() => Outcome::NotExecuted,
        ErrorKind::Transport => Outcome::Ambiguous,
        ErrorKind::Decode => Outcome::ExecutedUnreadable,
        ErrorKind::Api => match e.status() {
            Some(429) => Outcome::NotExecuted,
            Some(s) if s >= 500 => Outcome::Ambiguous,
            _ => Outcome::Final,
        },
        _ => Outcome::Final,
    }
}

/// A boxed future, for the operation-specific look-ups.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why an earlier attempt's effect is looked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Why {
    /// An ambiguous failure: sending again is being considered.
    Ambiguous,
    /// A success whose body could not be read: the attempt took effect.
    Executed,
    /// A retry met the effect of an earlier attempt (`duplicate_record`, ...).
    Met,
    /// The call is about to end in an error after an attempt that may have been executed: its
    /// effect is looked for, so that the error never says "not executed" of a call that was.
    GivingUp,
}

/// Finds the result of an earlier attempt that may have taken effect: `Ok(None)` when the
/// look-up worked and found nothing, `Err` when the look-up itself failed (an
/// [`OutcomeUnknown`](crate::ErrorKind::OutcomeUnknown) error is returned to the caller as it
/// is).
pub(crate) type Settle<'a, T> =
    Box<dyn Fn(Why) -> BoxFuture<'a, Result<Option<Response<T>>>> + Send + Sync + 'a>;

/// How an operation behaves under retries.
pub(crate) struct Operation<'a, T> {
    /// The operation id of the spec, for tracing.
    pub(crate) id: &'static str,
    /// Whether sending it twice has the effect of sending it once.
    pub(crate) idempotent: bool,
    /// After an ambiguous failure, an error that means the earlier attempt took effect.
    pub(crate) settled_by: fn(&Error) -> bool,
    /// Looks up the earlier attempt's result.
    pub(crate) settle: Option<Settle<'a, T>>,
}

impl<T> Operation<'_, T> {
    /// A read, or another request whose repetition is harmless.
    pub(crate) fn idempotent(id: &'static str) -> Self {
        Operation {
            id,
            idempotent: true,
            settled_by: |_| false,
            settle: None,
        }
    }
}

/// A call under way: its span and when it began. Made when the call begins, so that a first
/// attempt made outside the loop (see [`Call`](crate::call::Call)) and the attempts of the loop
/// share them.
pub(crate) struct Begun {
    pub(crate) span: tracing::Span,
    pub(crate) started: Instant,
}

impl Begun {
    pub(crate) fn now(operation: &'static str) -> Self {
        Begun {
            span: tracing::debug_span!(
                "clerk_invitations.request",
                operation,
                attempt = tracing::field::Empty,
                status = tracing::field::Empty,
                trace_id = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            ),
            started: Instant::now(),
        }
    }

    /// Records the attempt under way.
    pub(crate) fn record_attempt(&self, n: u32) {
        if !self.span.is_disabled() {
            self.span.record("attempt", n);
        }
    }

    /// Records how the call ended: its status, trace id and duration. Nothing is looked up for
    /// a span no subscriber records.
    pub(crate) fn record_end<T>(&self, result: &Result<Response<T>>) {
        record_end(&self.span, self.started, result);
    }
}

fn record_end<T>(span: &tracing::Span, started: Instant, result: &Result<Response<T>>) {
    if span.is_disabled() {
        return;
    }
    let (status, trace) = match result {
        Ok(r) => (Some(r.status()), r.trace_id()),
        Err(e) => (e.status(), e.trace_id()),
    };
    if let Some(status) = status {
        span.record("status", status);
    }
    if let Some(trace) = trace {
        span.record("trace_id", trace);
    }
    span.record(
        "duration_ms",
        u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    );
}

/// Runs `attempt` until it succeeds, fails for good, or the policy says stop; in the span of
/// `begun` when the call began before the loop (its first attempt made outside it).
pub(crate) async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    op: Operation<'_, T>,
    begun: Option<Begun>,
    mut attempt: F,
) -> Result<Response<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Response<T>>>,
{
    let Begun { span, started } = begun.unwrap_or_else(|| Begun::now(op.id));
    let traced = !span.is_disabled();
    // The span is moved into the instrumented future and read back from it afterwards, so the
    // call's state holds one span, not two.
    let mut running =
        std::pin::pin!(run_inner(policy, &op, &mut attempt, started, traced).instrument(span));
    let result = running.as_mut().await;
    record_end(running.span(), started, &result);
    result
}

async fn run_inner<T, F, Fut>(
    policy: &RetryPolicy,
    op: &Operation<'_, T>,
    attempt: &mut F,
    started: Instant,
    traced: bool,
) -> Result<Response<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Response<T>>>,
{
    // Whether an attempt may have been executed: from then on, the call ends in a success
    // (found by a look-up), a "maybe executed" error, or `OutcomeUnknown`, never in an error
    // that says nothing happened unless a look-up showed nothing did.
    let mut ambiguous = false;
    let mut n = 0;
    let mut rate_limited = 0;
    loop {
        n += 1;
        if traced {
            // The request's span: run_inner runs inside it.
            tracing::Span::current().record("attempt", n);
        }
        let e = match attempt().await {
            Ok(r) => return Ok(r),
            Err(e) => e.with_attempts(n),
        };
        if ambiguous && (op.settled_by)(&e) {
            // The retry met the effect of an earlier attempt.
            return match Box::pin(settle(op, Why::Met)).await {
                Ok(Some(found)) => Ok(found),
                Err(unknown) if unknown.is_outcome_unknown() => Err(unknown),
                _ => Err(e.after_ambiguous()),
            };
        }
        let outcome = classify(&e);
        tracing::debug!(attempt = n, outcome = ?outcome, status = e.status(), error = %e, "attempt failed");
        match outcome {
            Outcome::Final => return Box::pin(give_up(op, ambiguous, e)).await,
            Outcome::NotExecuted => {}
            // A create that took effect: its result is looked up, never sent again.
            Outcome::ExecutedUnreadable if !op.idempotent => {
                return match Box::pin(settle(op, Why::Executed)).await {
                    Ok(Some(found)) => Ok(found),
                    Err(unknown) if unknown.is_outcome_unknown() => Err(unknown),
                    _ => Err(e),
                };
            }
            // A read or a revoke: its answer is the error; only creates are looked up.
            Outcome::ExecutedUnreadable => return Err(e),
            Outcome::Ambiguous => {
                ambiguous = true;
                if op.idempotent {
                    let retryable = match e.status() {
                        Some(s) => matches!(s, 502..=504),
                        None => true,
                    };
                    if !retryable {
                        return Box::pin(give_up(op, ambiguous, e)).await;
                    }
                } else if op.settle.is_some() {
                    match Box::pin(settle(op, Why::Ambiguous)).await {
                        Ok(Some(found)) => return Ok(found),
                        // Known not to have taken effect: sending again is safe.
                        Ok(None) => {}
                        Err(unknown) if unknown.is_outcome_unknown() => return Err(unknown),
                        // Unknown: sending again could make a second one.
                        Err(_) => return Err(e.after_ambiguous()),
                    }
                } else {
                    return Err(e.after_ambiguous());
                }
            }
        }
        if n >= policy.max_attempts {
            return Box::pin(give_up(op, ambiguous, e)).await;
        }
        let wait = if e.status() == Some(429) {
            rate_limited += 1;
            if rate_limited >= policy.max_rate_limited {
                return Box::pin(give_up(op, ambiguous, e)).await;
            }
            match policy.rate_limited_wait(e.retry_after(), n) {
                Some(wait) => wait,
                None => return Box::pin(give_up(op, ambiguous, e)).await,
            }
        } else {
            rate_limited = 0;
            policy.backoff_for(n)
        };
        if let Some(deadline) = policy.deadline
            && started.elapsed() + wait > deadline
        {
            return Box::pin(give_up(op, ambiguous, e)).await;
        }
        tracing::debug!(
            attempt = n,
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "retrying"
        );
        // Rare paths (settling, waiting to retry) are boxed where they happen, so that the
        // loop's own future, boxed when a call enters it, stays small.
        Box::pin(tokio::time::sleep(wait)).await;
    }
}

/// The end of a call that failed: after an attempt that may have been executed (`ambiguous`),
/// the operation's effect is looked for first. Found, it is the call's answer; known not to be
/// there, the last error stands; not knowable, a "not executed" error becomes
/// [`OutcomeUnknown`](crate::ErrorKind::OutcomeUnknown).
async fn give_up<T>(op: &Operation<'_, T>, ambiguous: bool, e: Error) -> Result<Response<T>> {
    if !ambiguous || e.is_outcome_unknown() {
        return Err(e);
    }
    let e = e.after_ambiguous();
    // A read has no effect to find; a revoke or delete whose last answer already says "maybe
    // executed" is returned as it is. A create is always looked for, so that a call whose
    // every answer was lost still finds its invitation.
    if op.settle.is_none() || (op.idempotent && !e.says_not_executed()) {
        return Err(e);
    }
    match settle(op, Why::GivingUp).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(e),
        Err(unknown) if unknown.is_outcome_unknown() => Err(unknown),
        // The last answer already says "maybe executed".
        Err(_) if classify(&e) == Outcome::Ambiguous => Err(e),
        Err(lookup) => Err(Error::outcome_unknown(
            format!(
                "an earlier attempt may have been executed, and looking for its effect failed ({lookup}); the last answer was: {e}"
            ),
            Vec::new(),
        )
        .with_attempts(e.attempts())),
    }
}

async fn settle<T>(op: &Operation<'_, T>, why: Why) -> Result<Option<Response<T>>> {
    let Some(settle) = op.settle.as_ref() else {
        return Ok(None);
    };
    let found = settle(why).await;
    tracing::debug!(
        found = matches!(found, Ok(Some(_))),
        lookup_failed = found.is_err(),
        "looked for the effect of an earlier attempt"
    );
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_under_its_ceiling() {
        let p = RetryPolicy::default().backoff(Duration::from_millis(100), Duration::from_secs(1));
        for _ in 0..200 {
            assert!(p.backoff_for(1) <= Duration::from_millis(100));
            assert!(p.backoff_for(3) <= Duration::from_millis(400));
            assert!(p.backoff_for(40) <= Duration::from_secs(1));
        }
        // Full jitter: not always the ceiling.
        let waits: Vec<_> = (0..50).map(|_| p.backoff_for(4)).collect();
        assert!(waits.iter().any(|w| *w != waits[0]));
    }

    #[test]
    fn classification() {
        let api = |s| Error::new(ErrorKind::Api, "x").with_status(s);
        assert_eq!(classify(&api(429)), Outcome::NotExecuted);
        assert_eq!(classify(&api(503)), Outcome::Ambiguous);
        assert_eq!(classify(&api(500)), Outcome::Ambiguous);
        assert_eq!(classify(&api(422)), Outcome::Final);
        assert_eq!(classify(&api(400)), Outcome::Final);
        assert_eq!(
            classify(&Error::new(ErrorKind::Timeout, "t")),
            Outcome::Ambiguous
        );
        assert_eq!(
            classify(&Error::new(ErrorKind::Decode, "d")),
            Outcome::ExecutedUnreadable
        );
        assert_eq!(classify(&Error::invalid_input("i")), Outcome::Final);
    }

    #[test]
    fn a_rate_limited_wait_has_a_floor_and_a_ceiling() {
        let p = RetryPolicy::default().backoff(Duration::from_millis(200), Duration::from_secs(10));
        // `Retry-After: 0` or none: never at once.
        for hint in [None, Some(Duration::ZERO)] {
            for retry in 1..6 {
                let w = p.rate_limited_wait(hint, retry).unwrap();
                assert!(w >= Duration::from_millis(200), "{hint:?}: {w:?}");
            }
        }
        assert_eq!(
            p.rate_limited_wait(Some(Duration::from_secs(3)), 1),
            Some(Duration::from_secs(3))
        );
        // Past the deadline (60 s by default): not waited.
        assert_eq!(
            p.rate_limited_wait(Some(Duration::from_secs(3600)), 1),
            None
        );
        let patient = p.clone().deadline(None);
        assert!(
            patient
                .rate_limited_wait(Some(Duration::from_secs(600)), 1)
                .is_some()
        );
        assert_eq!(
            patient.rate_limited_wait(Some(Duration::from_secs(86_400)), 1),
            None
        );
        assert_eq!(
            RetryPolicy::default().max_rate_limited(0).max_rate_limited,
            1
        );
    }

    #[test]
    fn policy_builders_clamp() {
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
        assert_eq!(RetryPolicy::none().attempts(), 1);
        let p = RetryPolicy::default().backoff(Duration::from_secs(5), Duration::from_secs(1));
        assert_eq!(p.max_backoff, Duration::from_secs(5));
    }
}
