//! The futures of a sent request builder, as named types: [`Call`] (`.await` and `.send()`) and
//! [`CallWithInfo`] (`.send_with_http_info()`).
//!
//! A named type lets `.await` on a builder keep the call's state in the caller's task instead
//! of on the heap. The first attempt runs in the future itself (send, read, decode); only when
//! it fails, or when an operation has to look something up before sending, does the call go
//! on in the operation's retry loop, boxed: errors and retries are rare, and that loop's state
//! is large.

use crate::attempt::Attempt;
use crate::error::Result;
use crate::request::{RequestOptions, Wire};
use crate::retry::{Begun, BoxFuture};
use crate::settle::Started;
use crate::transport::Response;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

mod sealed {
    pub trait Sealed {}
}

/// A request builder of this crate (`ListInvitations`, `CreateInvitation`, ...): what awaiting
/// it answers with. Implemented by every builder and by nothing else; its other items are the
/// crate's own.
///
/// ```
/// use clerk_invitations::{call::Builder, CreateInvitation, Invitation};
/// fn answers<B: Builder<Output = Invitation>>() {}
/// answers::<CreateInvitation>();
/// ```
// private_interfaces: the sealed trait's hidden items name the crate's own types.
#[allow(private_interfaces)]
pub trait Builder: sealed::Sealed + Sized + Send + Unpin + 'static {
    /// What the call answers with.
    type Output: Send + 'static;
    #[doc(hidden)]
    /// What the first attempt decodes, when it runs directly.
    type Answer: serde::de::DeserializeOwned + Send + 'static;
    #[doc(hidden)]
    /// The operation id, for the call's span.
    const OPERATION: &'static str;
    #[doc(hidden)]
    fn clerk(&self) -> &crate::Clerk;
    #[doc(hidden)]
    fn options(&self) -> &RequestOptions;
    #[doc(hidden)]
    /// Checks the input and makes the request (nothing is sent on an error).
    fn wire(&self) -> Result<Wire>;
    #[doc(hidden)]
    /// Whether the first attempt can be sent at once: false when the operation must look
    /// something up first.
    fn direct(&self) -> bool;
    #[doc(hidden)]
    /// The answer of a first attempt that succeeded, as the call's.
    fn finish(&self, answer: Response<Self::Answer>, started: Started) -> Response<Self::Output>;
    #[doc(hidden)]
    /// The whole call in the operation's retry loop; with `resumed`, after a first attempt
    /// that failed.
    fn run(
        self,
        wire: Wire,
        resumed: Option<Resumed>,
    ) -> BoxFuture<'static, Result<Response<Self::Output>>>;
}

/// A first attempt made directly that failed: the retry loop goes on from it, in the call's
/// span and on its clock.
pub(crate) struct Resumed {
    pub(crate) first: progenitor_client::Error<()>,
    pub(crate) begun: Begun,
}

/// When the call began: the resumed call's start, or now for a call that starts in the loop.
pub(crate) fn started(resumed: &Option<Resumed>) -> Started {
    Started::at(
        resumed
            .as_ref()
            .map_or_else(Instant::now, |r| r.begun.started),
    )
}

/// The future of [`send_with_http_info`](crate::ListInvitations::send_with_http_info): the
/// answer with its HTTP status and headers.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::call::CallWithInfo;
/// use clerk_invitations::ListInvitations;
/// let call: CallWithInfo<ListInvitations> = clerk.invitations().list().send_with_http_info();
/// let response = call.await?;
/// println!("HTTP {}: {} invitations", response.status(), response.value().data.len());
/// # Ok(()) }
/// ```
#[must_use = "a call does nothing until it is awaited"]
pub struct CallWithInfo<B: Builder> {
    state: State<B>,
}

// large_enum_variant: the first attempt's state is kept inline on purpose; boxing it is the
// allocation this type exists to avoid.
#[allow(clippy::large_enum_variant)]
enum State<B: Builder> {
    Start(B),
    First {
        builder: B,
        wire: Wire,
        begun: Begun,
        attempt: Attempt<B::Answer>,
    },
    Loop(BoxFuture<'static, Result<Response<B::Output>>>),
    Done,
}

impl<B: Builder> CallWithInfo<B> {
    pub(crate) fn new(builder: B) -> Self {
        CallWithInfo {
            state: State::Start(builder),
        }
    }
}

impl<B: Builder> Future for CallWithInfo<B> {
    type Output = Result<Response<B::Output>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Start(_) => {
                    let State::Start(builder) = std::mem::replace(&mut this.state, State::Done)
                    else {
                        continue;
                    };
                    let wire = match builder.wire() {
                        Ok(wire) => wire,
                        Err(e) => return Poll::Ready(Err(e)),
                    };
                    this.state = if builder.direct() {
                        let begun = Begun::now(B::OPERATION);
                        let timeout = builder.options().timeout(builder.clerk());
                        let attempt = crate::request::send(builder.clerk(), &wire, timeout);
                        begun.record_attempt(1);
                        State::First {
                            builder,
                            wire,
                            begun,
                            attempt,
                        }
                    } else {
                        State::Loop(builder.run(wire, None))
                    };
                }
                State::First { begun, attempt, .. } => {
                    let outcome = {
                        let _in_span = begun.span.enter();
                        ready!(Pin::new(attempt).poll(cx))
                    };
                    let State::First {
                        builder,
                        wire,
                        begun,
                        ..
                    } = std::mem::replace(&mut this.state, State::Done)
                    else {
                        continue;
                    };
                    match outcome {
                        Ok(answer) => {
                            let answer = Ok(answer);
                            begun.record_end(&answer);
                            let started = Started::at(begun.started);
                            return Poll::Ready(answer.map(|a| builder.finish(a, started)));
                        }
                        Err(first) => {
                            this.state =
                                State::Loop(builder.run(wire, Some(Resumed { first, begun })));
                        }
                    }
                }
                State::Loop(running) => {
                    let result = ready!(running.as_mut().poll(cx));
                    this.state = State::Done;
                    return Poll::Ready(result);
                }
                State::Done => {
                    return Poll::Ready(Err(crate::Error::new(
                        crate::ErrorKind::Configuration,
                        "a call's future was polled after it completed",
                    )));
                }
            }
        }
    }
}

/// The future of `.await` and `.send()` on a request builder: the answer's value.
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::call::Call;
/// use clerk_invitations::CreateInvitation;
/// use std::future::IntoFuture;
/// let call: Call<CreateInvitation> = clerk.invitations().create("a@example.com").into_future();
/// let invitation = call.await?;
/// println!("{}", invitation.id);
/// # Ok(()) }
/// ```
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<B: Builder>(CallWithInfo<B>);

impl<B: Builder> Call<B> {
    pub(crate) fn new(builder: B) -> Self {
        Call(CallWithInfo::new(builder))
    }
}

impl<B: Builder> Future for Call<B> {
    type Output = Result<B::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().0)
            .poll(cx)
            .map(|r| r.map(Response::into_value))
    }
}

impl<B: Builder> std::fmt::Debug for Call<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("operation", &B::OPERATION)
            .finish_non_exhaustive()
    }
}

impl<B: Builder> std::fmt::Debug for CallWithInfo<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallWithInfo")
            .field("operation", &B::OPERATION)
            .finish_non_exhaustive()
    }
}

pub(crate) use sealed::Sealed;
