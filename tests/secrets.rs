//! The secret key never appears in `Debug`, `Display`, error messages or tracing output, and
//! every operation leaves one span with its id, attempts, status, trace id and duration.
//!
//! A test binary of its own, with a process-wide subscriber installed before any span is
//! created: tracing caches each callsite's interest the first time it is hit, so a
//! thread-local subscriber set while other tests (in other threads of the same process) hit the
//! same callsites could see those callsites cached as uninteresting and capture nothing. Here no
//! other test shares the process, and the global subscriber is in place from the first callsite
//! on.
#![cfg(feature = "emulator")]

use clerk_invitations::emulator::{Emulator, Fault};
use clerk_invitations::{Clerk, RetryPolicy};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

const KEY: &str = "sk_test_Hush_9f8e7d6c5b4a";
const WRONG_KEY: &str = "sk_test_AlsoSecret_0a1b2c";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_key_appears_nowhere_and_each_operation_has_a_span() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber)
        .expect("this binary holds one test, so no subscriber was installed before");

    let emu = Emulator::builder().keys([KEY]).start().await.unwrap();
    let clerk = Clerk::builder()
        .secret_key(KEY)
        .base_url(emu.base_url())
        .retry_policy(
            RetryPolicy::default().backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let mut texts = vec![format!("{clerk:?}")];

    emu.inject(Fault::status(503).on("GET", "/invitations"));
    clerk.invitations().list().await.unwrap();
    let inv = clerk.invitations().create("a@x.test").await.unwrap();
    let dup = clerk.invitations().create("a@x.test").await.unwrap_err();
    texts.push(format!("{dup} {dup:?}"));
    clerk.invitations().revoke(&inv.id).await.unwrap();

    let wrong = Clerk::builder()
        .secret_key(WRONG_KEY)
        .base_url(emu.base_url())
        .build()
        .unwrap();
    texts.push(format!("{wrong:?}"));
    let unauthorized = wrong.invitations().list().await.unwrap_err();
    assert!(unauthorized.is_unauthorized());
    texts.push(format!("{unauthorized} {unauthorized:?}"));
    let mut source = std::error::Error::source(&unauthorized);
    while let Some(s) = source {
        texts.push(format!("{s} {s:?}"));
        source = s.source();
    }
    let builder = Clerk::builder().secret_key(KEY);
    texts.push(format!("{builder:?}"));

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    texts.push(log.clone());
    for text in &texts {
        assert!(!text.contains(KEY), "the key leaked: {text}");
        assert!(!text.contains(WRONG_KEY), "the key leaked: {text}");
        assert!(
            !text.contains("Hush") && !text.contains("AlsoSecret"),
            "{text}"
        );
    }

    // One span per operation, closed with its fields.
    let spans: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("clerk_invitations.request") && l.contains("close"))
        .collect();
    assert_eq!(spans.len(), 5, "{log}");
    let list = spans[0];
    assert!(list.contains("operation=\"list_invitations\""), "{list}");
    assert!(list.contains("attempt=2"), "the 503 was retried: {list}");
    assert!(list.contains("status=200"), "{list}");
    assert!(list.contains("trace_id="), "{list}");
    assert!(list.contains("duration_ms="), "{list}");
    // A first attempt that answered: its span has the same fields.
    let create = spans[1];
    assert!(
        create.contains("operation=\"create_invitation\""),
        "{create}"
    );
    assert!(create.contains("attempt=1"), "{create}");
    assert!(create.contains("status=200"), "{create}");
    assert!(create.contains("duration_ms="), "{create}");
    // The failed first attempt of the list was reported inside the list's one span.
    assert!(
        log.lines()
            .any(|l| l.contains("attempt failed") && l.contains("list_invitations")),
        "{log}"
    );
    assert!(spans[2].contains("status=400"), "{}", spans[2]);
    assert!(spans[4].contains("status=401"), "{}", spans[4]);
    assert!(log.contains("retrying"), "{log}");
}
