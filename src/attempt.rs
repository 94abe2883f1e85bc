//! One attempt of a request as a future of a named type: send, read the body (never more than
//! the client's limit), decode. Written by hand rather than as an `async fn` so that `.await`
//! on a builder can name its future ([`Call`](crate::Call)) and keep it in the caller's task
//! instead of on the heap.

use crate::transport::{Response, too_large};
use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body::Body as _;
use progenitor_client::Error as Failure;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// reqwest's future of one request, named through its `tower` service.
type Pending = <reqwest::Client as tower_service::Service<reqwest::Request>>::Future;

/// What one attempt ends with: the decoded answer, or how it failed (mapped to an
/// [`Error`](crate::Error) by `transport::call`).
pub(crate) type Outcome<T> = std::result::Result<Response<T>, Failure<()>>;

/// One attempt: answers with the decoded success body; any other answer is a failure that
/// carries what the error mapping needs (the response itself, for a non-2xx).
pub(crate) struct Attempt<T> {
    stage: Stage,
    /// Largest success body read.
    limit: usize,
    answer: PhantomData<fn() -> T>,
}

enum Stage {
    /// The request could not be built.
    Unsent(reqwest::Error),
    Sending(Pending),
    Reading {
        status: reqwest::StatusCode,
        headers: HeaderMap,
        body: reqwest::Body,
        read: Joined,
    },
    Done,
}

impl<T> Attempt<T> {
    /// Sends `request` through `client`, reading at most `limit` bytes of a success body.
    pub(crate) fn new(client: &reqwest::Client, request: reqwest::Request, limit: usize) -> Self {
        let mut client = client;
        let pending = tower_service::Service::call(&mut client, request);
        Attempt::at(Stage::Sending(pending), limit)
    }

    /// An attempt that fails at once: its request could not be built.
    pub(crate) fn unsent(e: reqwest::Error) -> Self {
        Attempt::at(Stage::Unsent(e), 0)
    }

    fn at(stage: Stage, limit: usize) -> Self {
        Attempt {
            stage,
            limit,
            answer: PhantomData,
        }
    }
}

impl<T: serde::de::DeserializeOwned> Future for Attempt<T> {
    type Output = Outcome<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome<T>> {
        let this = self.get_mut();
        loop {
            match &mut this.stage {
                Stage::Sending(pending) => {
                    let answered = ready!(Pin::new(pending).poll(cx));
                    this.stage = Stage::Done;
                    let response = answered.map_err(Failure::CommunicationError)?;
                    let status = response.status();
                    if !status.is_success() {
                        return Poll::Ready(Err(Failure::UnexpectedResponse(response)));
                    }
                    // A declared length over the limit is refused before reading.
                    if response
                        .content_length()
                        .is_some_and(|n| n > this.limit as u64)
                    {
                        return Poll::Ready(Err(Failure::UnexpectedResponse(too_large(
                            status, this.limit,
                        ))));
                    }
                    let (parts, body) =
                        http::Response::<reqwest::Body>::from(response).into_parts();
                    this.stage = Stage::Reading {
                        status,
                        headers: parts.headers,
                        body,
                        read: Joined::default(),
                    };
                }
                Stage::Reading {
                    status, body, read, ..
                } => {
                    // A body of unknown length (chunked) is read up to the limit, so a huge one
                    // costs at most the limit in memory.
                    while let Some(frame) = ready!(Pin::new(&mut *body).poll_frame(cx)) {
                        let frame = match frame {
                            Ok(frame) => frame,
                            Err(e) => {
                                this.stage = Stage::Done;
                                return Poll::Ready(Err(Failure::ResponseBodyError(e)));
                            }
                        };
                        // Trailers are not part of the JSON.
                        if let Ok(data) = frame.into_data() {
                            if read.len() + data.len() > this.limit {
                                let status = *status;
                                this.stage = Stage::Done;
                                return Poll::Ready(Err(Failure::UnexpectedResponse(too_large(
                                    status, this.limit,
                                ))));
                            }
                            read.push(data);
                        }
                    }
                    let Stage::Reading {
                        status,
                        headers,
                        read,
                        ..
                    } = std::mem::replace(&mut this.stage, Stage::Done)
                    else {
                        continue;
                    };
                    return Poll::Ready(decode(status, headers, read.finish()));
                }
                Stage::Unsent(_) => {
                    if let Stage::Unsent(e) = std::mem::replace(&mut this.stage, Stage::Done) {
                        return Poll::Ready(Err(Failure::CommunicationError(e)));
                    }
                }
                Stage::Done => {
                    return Poll::Ready(Err(Failure::Custom(
                        "a request's future was polled after it completed".into(),
                    )));
                }
            }
        }
    }
}

/// Decodes a success body into `T`, with the response's status and headers.
// result_large_err: the error is progenitor's, which the error mapping takes as it is.
#[allow(clippy::result_large_err)]
fn decode<T: serde::de::DeserializeOwned>(
    status: reqwest::StatusCode,
    headers: HeaderMap,
    body: Bytes,
) -> Outcome<T> {
    match serde_json::from_slice(&body) {
        Ok(value) => Ok(Response::new(value, status.as_u16(), headers)),
        Err(e) => Err(Failure::InvalidResponsePayload(body, e)),
    }
}

/// A body read chunk by chunk: a body in one chunk (the common case) is kept as it came,
/// without a copy; more chunks are joined in order.
#[derive(Default)]
pub(crate) struct Joined {
    single: Option<Bytes>,
    joined: BytesMut,
}

impl Joined {
    pub(crate) fn len(&self) -> usize {
        self.single.as_ref().map_or(0, Bytes::len) + self.joined.len()
    }

    pub(crate) fn push(&mut self, chunk: Bytes) {
        match self.single.take() {
            None if self.joined.is_empty() => self.single = Some(chunk),
            earlier => {
                if let Some(earlier) = earlier {
                    self.joined.extend_from_slice(&earlier);
                }
                self.joined.extend_from_slice(&chunk);
            }
        }
    }

    pub(crate) fn finish(self) -> Bytes {
        self.single.unwrap_or_else(|| self.joined.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::Joined;
    use bytes::Bytes;

    #[test]
    fn chunks_are_joined_in_order_and_one_chunk_is_not_copied() {
        let one = Bytes::from_static(b"{\"a\":1}");
        let mut read = Joined::default();
        read.push(one.clone());
        assert_eq!(read.len(), 7);
        let body = read.finish();
        assert_eq!(
            body.as_ptr(),
            one.as_ptr(),
            "a single chunk is kept as it came"
        );

        let mut read = Joined::default();
        for part in ["[1,", "2,", "3]"] {
            read.push(Bytes::from_static(part.as_bytes()));
        }
        assert_eq!(read.len(), 7);
        assert_eq!(&read.finish()[..], b"[1,2,3]");
    }
}
