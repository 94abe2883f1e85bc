//! What every request builder shares: per-request options and the `send`/`.await` plumbing.

use crate::attempt::Attempt;
use crate::call::Resumed;
use crate::error::Result;
use crate::retry::{self, Operation, RetryPolicy};
use crate::transport::{Response, call};
use std::future::Future;
use std::time::Duration;

/// Options of one request, apart from the API's own fields. Set them with the builders'
/// `with_` methods.
#[derive(Clone, Debug, Default)]
pub(crate) struct RequestOptions {
    pub(crate) timeout: Option<Duration>,
    /// Boxed: rarely set, and every request's future carries the builder it came from.
    pub(crate) retry: Option<Box<RetryPolicy>>,
}

impl RequestOptions {
    pub(crate) fn timeout(&self, clerk: &crate::Clerk) -> Duration {
        self.timeout.unwrap_or_else(|| clerk.timeout())
    }

    pub(crate) fn retry<'a>(&'a self, clerk: &'a crate::Clerk) -> &'a RetryPolicy {
        self.retry
            .as_deref()
            .unwrap_or_else(|| clerk.retry_policy())
    }
}

/// Runs one operation: each attempt made by `make` with the timeout it must hold to, retried as
/// `op` and the policy allow; with `resumed`, the first attempt is the one that failed before
/// the loop. A plain function returning the retry loop's future, not an `async fn`, so that no
/// layer of state is added around it.
pub(crate) fn execute<'a, 'o: 'a, T, F, Fut>(
    clerk: &'a crate::Clerk,
    opts: &'a RequestOptions,
    op: Operation<'o, T>,
    resumed: Option<Resumed>,
    mut make: F,
) -> impl Future<Output = Result<Response<T>>> + 'a
where
    T: 'a,
    F: FnMut(Duration) -> Fut + 'a,
    Fut: Future<Output = std::result::Result<Response<T>, progenitor_client::Error<()>>> + 'a,
{
    use futures_util::future::Either;
    let timeout = opts.timeout(clerk);
    let (mut first, begun) = match resumed {
        Some(r) => (Some(r.first), Some(r.begun)),
        None => (None, None),
    };
    let running = retry::run(opts.retry(clerk), op, begun, move || match first.take() {
        Some(failed) => call(timeout, Either::Left(std::future::ready(Err(failed)))),
        None => call(timeout, Either::Right(make(timeout))),
    });
    // Whatever the server sent back, no error carries the key or a URL password.
    futures_util::FutureExt::map(running, move |result| {
        result.map_err(|e| e.redact(&clerk.inner.secrets))
    })
}

/// One request of a generated builder, ready to send (again, on a retry).
pub(crate) struct Wire {
    pub(crate) method: reqwest::Method,
    /// The path below the base URL, each parameter already percent-encoded.
    pub(crate) path: std::borrow::Cow<'static, str>,
    pub(crate) query: Vec<(&'static str, std::borrow::Cow<'static, str>)>,
    /// The JSON body, serialized once and shared by every attempt.
    pub(crate) body: Option<bytes::Bytes>,
}

/// A path parameter, percent-encoded so that it stays inside its segment.
pub(crate) fn segment(value: &str) -> String {
    progenitor_client::encode_path(value)
}

/// A request body as JSON bytes.
pub(crate) fn json_body<T: serde::Serialize>(body: &T) -> Result<bytes::Bytes> {
    serde_json::to_vec(body)
        .map(bytes::Bytes::from)
        .map_err(|e| {
            crate::Error::invalid_input(format!("the request body cannot be encoded: {e}"))
        })
}

/// Runs one operation of a generated builder: each attempt sends `wire` with the client's
/// authentication, version and body limit under the timeout, retried as `op` and the policy
/// allow.
pub(crate) fn execute_wire<'a, 'o: 'a, T: serde::de::DeserializeOwned + 'a>(
    clerk: &'a crate::Clerk,
    opts: &'a RequestOptions,
    op: Operation<'o, T>,
    wire: &'a Wire,
    resumed: Option<Resumed>,
) -> impl Future<Output = Result<Response<T>>> + 'a {
    execute(clerk, opts, op, resumed, move |timeout| {
        send(clerk, wire, timeout)
    })
}

/// [`execute_wire`] for the `delete` retry class: each answer becomes a
/// [`Deleted`](crate::Deleted) of `deleted_id`.
// dead_code: used by operations whose `x-facade.retry` is `delete`. result_large_err: the
// mapping closure passes on the error every attempt returns (progenitor's), unchanged.
#[allow(dead_code, clippy::result_large_err)]
pub(crate) fn execute_wire_deletion<'a, 'o: 'a, T: serde::de::DeserializeOwned + 'a>(
    clerk: &'a crate::Clerk,
    opts: &'a RequestOptions,
    op: Operation<'o, crate::Deleted<T>>,
    wire: &'a Wire,
    deleted_id: &'a str,
    resumed: Option<Resumed>,
) -> impl Future<Output = Result<Response<crate::Deleted<T>>>> + 'a {
    execute(clerk, opts, op, resumed, move |timeout| {
        futures_util::FutureExt::map(send::<T>(clerk, wire, timeout), move |attempt| {
            attempt.map(|r| r.map(|answer| crate::Deleted::now(deleted_id, answer)))
        })
    })
}

/// One attempt: `timeout` bounds it from connecting to the end of the body.
pub(crate) fn send<T>(clerk: &crate::Clerk, wire: &Wire, timeout: Duration) -> Attempt<T> {
    use progenitor_client::ClientInfo;
    use reqwest::header::{CONTENT_TYPE, HeaderValue};
    let raw = &clerk.inner.raw;
    let mut url = String::with_capacity(raw.baseurl().len() + wire.path.len());
    url.push_str(raw.baseurl());
    url.push_str(&wire.path);
    let mut builder = raw.client().request(wire.method.clone(), url);
    if clerk.inner.http_timeout != Some(timeout) {
        builder = builder.timeout(timeout);
    }
    if !wire.query.is_empty() {
        builder = builder.query(&wire.query);
    }
    if let Some(body) = &wire.body {
        builder = builder
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body.clone());
    }
    match builder.build() {
        Ok(mut request) => {
            raw.inner().identify(request.headers_mut());
            Attempt::new(raw.client(), request, raw.inner().max_response_body)
        }
        Err(e) => Attempt::unsent(e),
    }
}

/// Implements, for a builder that implements [`Builder`](crate::call::Builder): `send()`,
/// `send_with_http_info()`, `with_timeout()`, `with_retry()`, and `IntoFuture` so that the
/// builder can be awaited directly.
macro_rules! request_builder {
    ($builder:ident => $output:ty) => {
        impl $builder {
            /// Sends the request and returns the decoded value.
            ///
            /// # Errors
            /// See [`Error`](crate::Error): invalid input (nothing sent), an API error, a
            /// transport failure, a timeout, or an undecodable response.
            pub fn send(self) -> $crate::call::Call<Self> {
                $crate::call::Call::new(self)
            }

            /// Sends the request; returns the answer with the HTTP status and headers.
            ///
            /// # Errors
            /// Invalid input, with nothing sent: a value that breaks a rule of the spec (each
            /// rule is named on its setter), an empty id or one that is `.` or `..`. Otherwise
            /// an API error, a transport failure, a timeout or an undecodable answer: see
            /// [`Error`](crate::Error).
            pub fn send_with_http_info(self) -> $crate::call::CallWithInfo<Self> {
                $crate::call::CallWithInfo::new(self)
            }

            /// Time allowed for each attempt of this request, overriding the client's timeout.
            pub fn with_timeout(mut self, timeout: ::std::time::Duration) -> Self {
                self.opts.timeout = Some(timeout);
                self
            }

            /// How this request is retried, overriding the client's
            /// [`RetryPolicy`](crate::RetryPolicy).
            pub fn with_retry(mut self, policy: $crate::RetryPolicy) -> Self {
                self.opts.retry = Some(Box::new(policy));
                self
            }
        }

        impl ::std::future::IntoFuture for $builder {
            type Output = $crate::Result<$output>;
            type IntoFuture = $crate::call::Call<Self>;
            fn into_future(self) -> Self::IntoFuture {
                $crate::call::Call::new(self)
            }
        }
    };
}

pub(crate) use request_builder;
