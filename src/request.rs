//! What every request builder shares: per-request options and the `send`/`.await` plumbing.

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
    pub(crate) retry: Option<RetryPolicy>,
}

impl RequestOptions {
    pub(crate) fn timeout(&self, clerk: &crate::Clerk) -> Duration {
        self.timeout.unwrap_or_else(|| clerk.timeout())
    }

    pub(crate) fn retry<'a>(&'a self, clerk: &'a crate::Clerk) -> &'a RetryPolicy {
        self.retry.as_ref().unwrap_or_else(|| clerk.retry_policy())
    }
}

/// Runs one operation: each attempt made by `make` under the timeout, retried as `op` and the
/// policy allow.
pub(crate) async fn execute<T, F, Fut>(
    clerk: &crate::Clerk,
    opts: &RequestOptions,
    op: Operation<'_, T>,
    mut make: F,
) -> Result<Response<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<Response<T>, progenitor_client::Error<()>>>,
{
    let timeout = opts.timeout(clerk);
    // Each attempt's future goes on the heap: the futures around it stay small, so building
    // and moving them copies a pointer instead of kilobytes of state.
    retry::run(opts.retry(clerk), op, || call(timeout, Box::pin(make()))).await
}

/// One request of a generated builder, ready to send (again, on a retry).
pub(crate) struct Wire {
    pub(crate) method: reqwest::Method,
    /// The path below the base URL, each parameter already percent-encoded.
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
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

/// Runs one operation of a generated builder: each attempt sends `wire` through the generated
/// client's hooks (authentication, version, body limit) under the timeout, retried as `op` and
/// the policy allow.
pub(crate) async fn execute_wire<T: serde::de::DeserializeOwned>(
    clerk: &crate::Clerk,
    opts: &RequestOptions,
    op: Operation<'_, T>,
    wire: &Wire,
) -> Result<Response<T>> {
    let id = op.id;
    execute(clerk, opts, op, || send(clerk, wire, id)).await
}

#[allow(dead_code)] // used by operations whose `x-facade.retry` is `delete`
/// [`execute_wire`] for the `delete` retry class: each answer becomes a
/// [`Deleted`](crate::Deleted) of `deleted_id`.
pub(crate) async fn execute_wire_deletion<T: serde::de::DeserializeOwned>(
    clerk: &crate::Clerk,
    opts: &RequestOptions,
    op: Operation<'_, crate::Deleted<T>>,
    wire: &Wire,
    deleted_id: &str,
) -> Result<Response<crate::Deleted<T>>> {
    let timeout = opts.timeout(clerk);
    let id = op.id;
    retry::run(opts.retry(clerk), op, || async move {
        let response = call(timeout, Box::pin(send::<T>(clerk, wire, id))).await?;
        Ok(response.map(|answer| crate::Deleted::now(deleted_id, answer)))
    })
    .await
}

async fn send<T: serde::de::DeserializeOwned>(
    clerk: &crate::Clerk,
    wire: &Wire,
    operation_id: &'static str,
) -> std::result::Result<Response<T>, progenitor_client::Error<()>> {
    use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
    use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
    let raw = &clerk.inner.raw;
    let mut url = String::with_capacity(raw.baseurl().len() + wire.path.len());
    url.push_str(raw.baseurl());
    url.push_str(&wire.path);
    let mut builder = raw
        .client()
        .request(wire.method.clone(), url)
        .header(ACCEPT, HeaderValue::from_static("application/json"));
    if !wire.query.is_empty() {
        builder = builder.query(&wire.query);
    }
    if let Some(body) = &wire.body {
        builder = builder
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body.clone());
    }
    let mut request = builder.build()?;
    let info = OperationInfo { operation_id };
    raw.pre(&mut request, &info).await?;
    let result = raw.exec(request, &info).await;
    raw.post(&result, &info).await?;
    let response = result?;
    if response.status().is_success() {
        crate::transport::decode(response).await
    } else {
        Err(progenitor_client::Error::UnexpectedResponse(response))
    }
}

/// Implements, for a builder with an `async fn send_with_http_info(self) -> Result<Response<T>>`:
/// `send()`, `with_timeout()`, and `IntoFuture` so that the builder can be awaited directly.
macro_rules! request_builder {
    ($builder:ident => $output:ty) => {
        impl $builder {
            /// Sends the request and returns the decoded value.
            ///
            /// # Errors
            /// See [`Error`](crate::Error): invalid input (nothing sent), an API error, a
            /// transport failure, a timeout, or an undecodable response.
            pub async fn send(self) -> $crate::Result<$output> {
                self.send_with_http_info()
                    .await
                    .map($crate::Response::into_value)
            }

            /// Time allowed for each attempt of this request, overriding the client's timeout.
            pub fn with_timeout(mut self, timeout: ::std::time::Duration) -> Self {
                self.opts.timeout = Some(timeout);
                self
            }

            /// How this request is retried, overriding the client's
            /// [`RetryPolicy`](crate::RetryPolicy).
            pub fn with_retry(mut self, policy: $crate::RetryPolicy) -> Self {
                self.opts.retry = Some(policy);
                self
            }
        }

        impl ::std::future::IntoFuture for $builder {
            type Output = $crate::Result<$output>;
            type IntoFuture = ::std::pin::Pin<
                Box<dyn ::std::future::Future<Output = Self::Output> + Send + 'static>,
            >;
            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}

pub(crate) use request_builder;
