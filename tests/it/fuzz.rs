//! Arbitrary statuses, content types and bodies from the server, through the whole client:
//! every outcome is a value or a typed error, never a panic.

use clerk_invitations::emulator::{DEFAULT_EMULATOR_KEY, Emulator, Fault};
use clerk_invitations::{Clerk, ErrorKind, RetryPolicy};
use proptest::prelude::*;
use std::sync::OnceLock;
use std::time::Duration;

struct World {
    runtime: tokio::runtime::Runtime,
    emulator: Emulator,
    clerk: Clerk,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let emulator = runtime.block_on(async {
            let e = Emulator::builder()
                .rate_limits(false)
                .start()
                .await
                .unwrap();
            e.seed_organization("org_1", "Acme", "acme", None);
            e
        });
        let clerk = Clerk::builder()
            .secret_key(DEFAULT_EMULATOR_KEY)
            .base_url(emulator.base_url())
            .timeout(Duration::from_secs(5))
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        World {
            runtime,
            emulator,
            clerk,
        }
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        "\\PC{0,200}".prop_map(String::into_bytes),
        Just(b"{}".to_vec()),
        Just(b"[]".to_vec()),
        Just(br#"{"data":null,"total_count":"x"}"#.to_vec()),
        Just(br#"{"data":[{"id":1}],"total_count":-1}"#.to_vec()),
        Just(br#"{"errors":[{"code":null}]}"#.to_vec()),
        Just(br#"{"errors":"nope","clerk_trace_id":5}"#.to_vec()),
        Just(br#"[{"object":"invitation"}]"#.to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn any_answer_becomes_a_value_or_a_typed_error(
        status in prop_oneof![200u16..=299, 300u16..=599],
        content_type in prop_oneof![Just("application/json"), Just("text/html"), Just("")],
        body in body(),
        which in 0usize..4,
    ) {
        let w = world();
        w.emulator.clear_faults();
        w.emulator.inject(Fault::respond(status, content_type, body));
        let outcome = w.runtime.block_on(async {
            let org = w.clerk.organization("org_1").invitations();
            match which {
                0 => w.clerk.invitations().list().await.map(|_| ()),
                1 => w.clerk.invitations().revoke("inv_1").await.map(|_| ()),
                2 => org.list().await.map(|_| ()),
                _ => org.get("orginv_1").await.map(|_| ()),
            }
        });
        if let Err(e) = outcome {
            prop_assert!(matches!(
                e.kind(),
                ErrorKind::Api | ErrorKind::Decode | ErrorKind::Transport
            ), "{e:?}");
            if !(200..300).contains(&status) {
                prop_assert_eq!(e.status(), Some(status));
            }
            let _ = (e.to_string(), format!("{e:?}"));
        } else {
            prop_assert!((200..300).contains(&status));
        }
    }
}
