//! Verification of webhook deliveries: Standard Webhooks' published test vectors, tampering,
//! secrets, rotation, timestamps, headers, and the decoding of Clerk's own example payloads.

use clerk_invitations::webhooks::{HeaderMap, InvitationEvent, VerifyError, Webhook};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The example of the Standard Webhooks specification and of Svix's documentation.
const VECTOR_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const VECTOR_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const VECTOR_TIMESTAMP: i64 = 1_614_265_330;
const VECTOR_BODY: &[u8] = br#"{"test": 2432232314}"#;
const VECTOR_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

/// The secret and three unrelated signatures of the reference implementation's test of several
/// signatures in one header.
const ROTATION_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const OTHER_SIGNATURES: [&str; 3] = [
    "v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ=",
    "v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q=",
    "v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE=",
];

fn headers(id: &str, timestamp: i64, signature: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("svix-id", id.parse().unwrap());
    h.insert("svix-timestamp", timestamp.to_string().parse().unwrap());
    h.insert("svix-signature", signature.parse().unwrap());
    h
}

fn at(seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds as u64)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn the_published_vector_signs_and_verifies() {
    let wh = Webhook::new(VECTOR_SECRET).unwrap();
    assert_eq!(
        wh.sign(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY),
        VECTOR_SIGNATURE
    );
    let h = headers(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_SIGNATURE);
    // The signature holds; the body is no Clerk event, so it arrives as a malformed body, not
    // as a signature failure.
    let err = wh
        .verify_at(&h, VECTOR_BODY, at(VECTOR_TIMESTAMP + 1))
        .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::MalformedBody {
                event_type: None,
                ..
            }
        ),
        "{err:?}"
    );
    // The bare base64 form of the secret is the same secret.
    let bare = Webhook::new(VECTOR_SECRET.trim_start_matches("whsec_")).unwrap();
    assert_eq!(
        bare.sign(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY),
        VECTOR_SIGNATURE
    );
}

#[test]
fn a_tampered_body_a_wrong_secret_and_a_changed_id_fail() {
    let wh = Webhook::new(VECTOR_SECRET).unwrap();
    let h = headers(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_SIGNATURE);
    let when = at(VECTOR_TIMESTAMP);
    let tampered = br#"{"test": 2432232315}"#;
    assert!(matches!(
        wh.verify_at(&h, tampered, when),
        Err(VerifyError::NoMatchingSignature)
    ));
    let wrong = Webhook::new(ROTATION_SECRET).unwrap();
    assert!(matches!(
        wrong.verify_at(&h, VECTOR_BODY, when),
        Err(VerifyError::NoMatchingSignature)
    ));
    let other_id = headers("msg_other", VECTOR_TIMESTAMP, VECTOR_SIGNATURE);
    assert!(matches!(
        wh.verify_at(&other_id, VECTOR_BODY, when),
        Err(VerifyError::NoMatchingSignature)
    ));
    // A signature of another scheme version is not tried.
    let v2 = headers(
        VECTOR_ID,
        VECTOR_TIMESTAMP,
        &VECTOR_SIGNATURE.replace("v1,", "v2,"),
    );
    assert!(matches!(
        wh.verify_at(&v2, VECTOR_BODY, when),
        Err(VerifyError::NoMatchingSignature)
    ));
}

#[test]
fn every_signature_of_a_rotation_is_tried() {
    let body = br#"{"type":"user.created","data":{}}"#;
    let new = Webhook::new(ROTATION_SECRET).unwrap();
    let old = Webhook::new(VECTOR_SECRET).unwrap();
    let ts = now();
    let ours = new.sign("msg_1", ts, body);
    let header = format!(
        "{} {} {ours} {}",
        OTHER_SIGNATURES[0], OTHER_SIGNATURES[1], OTHER_SIGNATURES[2]
    );
    let event = new.verify(&headers("msg_1", ts, &header), body).unwrap();
    assert_eq!(event.event_type(), "user.created");
    // Signed with the old and the new secret during a rotation: a receiver on either verifies.
    let both = format!("{} {}", old.sign("msg_1", ts, body), ours);
    new.verify(&headers("msg_1", ts, &both), body).unwrap();
    old.verify(&headers("msg_1", ts, &both), body).unwrap();
    // None of the signatures under this secret: refused.
    let without = OTHER_SIGNATURES.join(" ");
    assert!(matches!(
        new.verify(&headers("msg_1", ts, &without), body),
        Err(VerifyError::NoMatchingSignature)
    ));
}

#[test]
fn stale_and_future_timestamps_are_refused_within_a_configurable_tolerance() {
    let wh = Webhook::new(VECTOR_SECRET).unwrap();
    let body = br#"{"type":"user.created","data":{}}"#;
    let signed_at = now();
    let h = headers("msg_1", signed_at, &wh.sign("msg_1", signed_at, body));
    let err = wh.verify_at(&h, body, at(signed_at + 301)).unwrap_err();
    assert!(
        matches!(err, VerifyError::TimestampTooOld { age } if age == Duration::from_secs(301)),
        "{err:?}"
    );
    let err = wh.verify_at(&h, body, at(signed_at - 301)).unwrap_err();
    assert!(
        matches!(err, VerifyError::TimestampInFuture { ahead } if ahead == Duration::from_secs(301)),
        "{err:?}"
    );
    // Five minutes either way are accepted.
    wh.verify_at(&h, body, at(signed_at + 300)).unwrap();
    wh.verify_at(&h, body, at(signed_at - 300)).unwrap();
    let strict = wh.clone().tolerance(Duration::from_secs(10));
    assert!(matches!(
        strict.verify_at(&h, body, at(signed_at + 11)),
        Err(VerifyError::TimestampTooOld { .. })
    ));
    // Timestamps at the ends of the number range do not overflow.
    for extreme in [i64::MIN, i64::MAX] {
        let h = headers("msg_1", extreme, &wh.sign("msg_1", extreme, body));
        assert!(wh.verify(&h, body).is_err());
    }
}

#[test]
fn missing_and_unreadable_headers_are_named() {
    let wh = Webhook::new(VECTOR_SECRET).unwrap();
    let full = headers(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_SIGNATURE);
    for name in ["svix-id", "svix-timestamp", "svix-signature"] {
        let mut h = full.clone();
        h.remove(name);
        let err = wh.verify(&h, VECTOR_BODY).unwrap_err();
        assert!(
            matches!(err, VerifyError::MissingHeader(n) if n == name),
            "{err:?}"
        );
        assert_eq!(err.status(), 400);
        assert!(err.to_string().contains(name));
    }
    let mut h = full.clone();
    h.insert("svix-timestamp", "yesterday".parse().unwrap());
    assert!(matches!(
        wh.verify(&h, VECTOR_BODY),
        Err(VerifyError::InvalidHeader("svix-timestamp"))
    ));
    // The unbranded Standard Webhooks names are accepted too.
    let mut unbranded = HeaderMap::new();
    unbranded.insert("webhook-id", VECTOR_ID.parse().unwrap());
    unbranded.insert(
        "webhook-timestamp",
        VECTOR_TIMESTAMP.to_string().parse().unwrap(),
    );
    unbranded.insert("webhook-signature", VECTOR_SIGNATURE.parse().unwrap());
    assert!(matches!(
        wh.verify_at(&unbranded, VECTOR_BODY, at(VECTOR_TIMESTAMP)),
        Err(VerifyError::MalformedBody { .. })
    ));
}

#[test]
fn a_bad_secret_is_refused_and_no_secret_shows_anywhere() {
    for bad in ["", "whsec_", "whsec_not base64!", "   "] {
        assert!(
            matches!(Webhook::new(bad), Err(VerifyError::InvalidSecret(_))),
            "{bad:?}"
        );
    }
    let wh = Webhook::new(VECTOR_SECRET).unwrap();
    let secret_part = VECTOR_SECRET.trim_start_matches("whsec_");
    assert!(!format!("{wh:?}").contains(secret_part));
    let h = headers(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_SIGNATURE);
    for err in [
        wh.verify(&h, VECTOR_BODY).unwrap_err(),
        wh.verify_at(&h, b"x", at(VECTOR_TIMESTAMP)).unwrap_err(),
        Webhook::new("whsec_@@").unwrap_err(),
    ] {
        for text in [format!("{err}"), format!("{err:?}")] {
            assert!(!text.contains(secret_part), "{text}");
        }
    }
}

fn signed(wh: &Webhook, body: &[u8]) -> HeaderMap {
    let ts = now();
    headers("msg_x", ts, &wh.sign("msg_x", ts, body))
}

#[test]
fn other_events_arrive_whole_as_other() {
    let wh = Webhook::new(VECTOR_SECRET).unwrap();
    let payload = json!({
        "object": "event", "type": "user.created", "timestamp": 1, "instance_id": "ins_1",
        "data": {"id": "user_1", "first_name": "Ada"}
    });
    let body = serde_json::to_vec(&payload).unwrap();
    match wh.verify(&signed(&wh, &body), &body).unwrap() {
        InvitationEvent::Other { r#type, raw } => {
            assert_eq!(r#type, "user.created");
            assert_eq!(raw, payload);
        }
        other => panic!("expected Other, got {other:?}"),
    }
    // An invitation event whose body does not fit its type is refused, naming the type.
    let broken = br#"{"type":"organizationInvitation.accepted","data":{"id":7}}"#;
    let err = wh.verify(&signed(&wh, broken), broken).unwrap_err();
    assert!(
        matches!(&err, VerifyError::MalformedBody { event_type: Some(t), .. } if t == "organizationInvitation.accepted"),
        "{err:?}"
    );
    assert!(std::error::Error::source(&err).is_some());
}

/// The webhook spec as the build corrected it.
fn corrected_webhook_spec() -> Value {
    serde_json::from_str(include_str!(concat!(
        env!("OUT_DIR"),
        "/corrected-webhooks.json"
    )))
    .unwrap()
}

#[test]
fn the_specs_own_examples_decode_into_the_typed_events() {
    let spec = corrected_webhook_spec();
    let events = spec["x-webhooks"].as_object().unwrap();
    assert_eq!(events.len(), InvitationEvent::TYPED.len());
    let wh = Webhook::new(VECTOR_SECRET).unwrap();
    for (name, item) in events {
        let example = &item["post"]["requestBody"]["content"]["application/json"]["example"];
        assert!(example.is_object(), "{name} has an example");
        let body = serde_json::to_vec(example).unwrap();
        let event = wh.verify(&signed(&wh, &body), &body).unwrap();
        assert_eq!(event.event_type(), name);
        let data = &example["data"];
        let fields = match &event {
            InvitationEvent::OrganizationInvitationCreated(e) => Some((
                &e.data.id,
                &e.data.email_address,
                &e.data.organization_id,
                &e.data.status,
                &e.instance_id,
            )),
            InvitationEvent::OrganizationInvitationRevoked(e) => Some((
                &e.data.id,
                &e.data.email_address,
                &e.data.organization_id,
                &e.data.status,
                &e.instance_id,
            )),
            InvitationEvent::OrganizationInvitationAccepted(e) => {
                assert_eq!(Some(e.data.user_id.as_str()), data["user_id"].as_str());
                Some((
                    &e.data.id,
                    &e.data.email_address,
                    &e.data.organization_id,
                    &e.data.status,
                    &e.instance_id,
                ))
            }
            InvitationEvent::Other { .. } => panic!("{name} decoded as {event:?}"),
            // An event added to the YAML later: typed, which is what this test can say of it.
            _ => None,
        };
        let Some((id, email, org, status, instance)) = fields else {
            continue;
        };
        assert_eq!(Some(id.as_str()), data["id"].as_str());
        assert_eq!(Some(email.as_str()), data["email_address"].as_str());
        assert_eq!(Some(org.as_str()), data["organization_id"].as_str());
        assert_eq!(
            Some(status.as_str()),
            data["status"].as_str(),
            "{name}: the status is the crate's InvitationStatus"
        );
        assert_eq!(Some(instance.as_str()), example["instance_id"].as_str());
    }
}

#[test]
fn events_from_a_later_service_still_decode() {
    let spec = corrected_webhook_spec();
    let mut example = spec["x-webhooks"]["organizationInvitation.revoked"]["post"]["requestBody"]
        ["content"]["application/json"]["example"]
        .clone();
    example["a_field_from_later"] = json!({"nested": true});
    example["data"]["another_field"] = json!(1);
    example["data"]["status"] = json!("a_status_from_later");
    let wh = Webhook::new(VECTOR_SECRET).unwrap();
    let body = serde_json::to_vec(&example).unwrap();
    match wh.verify(&signed(&wh, &body), &body).unwrap() {
        InvitationEvent::OrganizationInvitationRevoked(e) => {
            assert!(!e.data.status.is_known());
            assert_eq!(e.data.status.as_str(), "a_status_from_later");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_three_header_values_verify_without_a_header_map() {
    let wh = Webhook::new(ROTATION_SECRET).unwrap();
    let body = br#"{"type":"user.created","data":{}}"#;
    let ts = now();
    let sig = wh.sign("msg_9", ts, body);
    let event = wh
        .verify_parts("msg_9", &ts.to_string(), &sig, body)
        .unwrap();
    assert_eq!(event.event_type(), "user.created");
    assert!(matches!(
        wh.verify_parts(
            "msg_9",
            &ts.to_string(),
            &sig,
            br#"{"type":"user.deleted","data":{}}"#
        ),
        Err(VerifyError::NoMatchingSignature)
    ));
    assert!(matches!(
        wh.verify_parts("msg_9", &(ts - 3600).to_string(), &sig, body),
        Err(VerifyError::TimestampTooOld { .. })
    ));
    assert!(matches!(
        wh.verify_parts("msg_9", "soon", &sig, body),
        Err(VerifyError::InvalidHeader("svix-timestamp"))
    ));
}
