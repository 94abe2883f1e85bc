//! The futures a sent builder returns (`call::Call` for `.await` and `.send()`,
//! `call::CallWithInfo` for `.send_with_http_info()`): named types a caller can store and send
//! across threads, answering once.

use crate::support::{invitation, serve_json};
use clerk_invitations::call::{Call, CallWithInfo};
use clerk_invitations::{CreateInvitation, ErrorKind, ListInvitations};
use serde_json::json;
use std::future::{Future, IntoFuture};

/// Accepts only a future that can be stored, moved between threads and polled without pinning.
fn storable<F: Future + Send + Unpin + 'static>(f: F) -> F {
    f
}

#[tokio::test]
async fn a_builder_is_awaited_through_named_futures_that_can_be_stored_and_sent() {
    let fx = serve_json(200, invitation()).await;
    let call: Call<CreateInvitation> =
        storable(fx.clerk.invitations().create("named@x.test").into_future());
    // Moved to another task (and so, possibly, another thread) before it is awaited.
    let created = tokio::spawn(call).await.unwrap().unwrap();
    assert_eq!(created.id, invitation()["id"]);

    let fx = serve_json(200, json!({"data": [invitation()], "total_count": 1})).await;
    let call: CallWithInfo<ListInvitations> =
        storable(fx.clerk.invitations().list().send_with_http_info());
    let response = call.await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.value().total_count, Some(1));
    assert_eq!(response.value().data[0].id, invitation()["id"]);
}

#[tokio::test]
async fn a_call_polled_again_after_it_answered_is_an_error_not_a_panic_or_a_second_request() {
    let fx = serve_json(200, json!({"data": [], "total_count": 0})).await;
    let mut call = fx.clerk.invitations().list().send();
    let page = (&mut call).await.unwrap();
    assert_eq!(page.total_count, Some(0));
    let again = (&mut call).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Configuration, "{again}");
    assert!(again.to_string().contains("after it completed"), "{again}");
    assert_eq!(fx.request_count().await, 1, "nothing was sent twice");
}

#[tokio::test]
async fn invalid_input_is_refused_by_the_call_before_anything_is_sent() {
    let fx = serve_json(200, invitation()).await;
    let err = fx
        .clerk
        .invitations()
        .create("not an address")
        .into_future()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("email_address"), "{err}");
    assert_eq!(fx.request_count().await, 0);
}
