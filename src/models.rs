//! The objects the service returns, and the enums requests use.
//!
//! The structs are generated from the vendored spec and made tolerant of the real service:
//! unknown fields are ignored, and server-controlled enums such as [`InvitationStatus`] are
//! open, with an `Unknown(String)` variant. Timestamps (`created_at`, `updated_at`,
//! `expires_at`) are Unix **milliseconds**.

pub use crate::generated::enums::*;
pub use crate::generated::types::{
    Invitation, OrganizationInvitation, OrganizationInvitationPublicOrganizationData,
    OrganizationInvitationPublicUserData, OrganizationInvitationWithPublicOrganizationData,
};

use crate::generated::types as raw;

/// Now, in Unix milliseconds (0 before 1970, saturating far in the future).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Allowance for the difference between this machine's clock and the service's, wherever an
/// invitation's `created_at` is compared with a local time.
pub(crate) const CLOCK_SKEW_MS: i64 = 60_000;

/// The timestamps of an answer as [`std::time::SystemTime`]s (the fields hold Unix
/// milliseconds).
macro_rules! times {
    ($($ty:ty),*) => {$(
        impl $ty {
            /// `created_at` as a `SystemTime`.
            pub fn created_at_time(&self) -> std::time::SystemTime {
                timestamp(self.created_at)
            }

            /// `updated_at` as a `SystemTime`.
            pub fn updated_at_time(&self) -> std::time::SystemTime {
                timestamp(self.updated_at)
            }

            /// `expires_at` as a `SystemTime`, when the invitation expires.
            pub fn expires_at_time(&self) -> Option<std::time::SystemTime> {
                self.expires_at.map(timestamp)
            }
        }
    )*};
}
times!(
    Invitation,
    OrganizationInvitation,
    OrganizationInvitationWithPublicOrganizationData
);

/// A millisecond Unix timestamp as a [`std::time::SystemTime`].
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = clerk_invitations::models::timestamp(1_789_746_268_539);
/// assert_eq!(t, UNIX_EPOCH + Duration::from_millis(1_789_746_268_539));
/// ```
pub fn timestamp(ms: i64) -> std::time::SystemTime {
    let magnitude = std::time::Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        std::time::UNIX_EPOCH + magnitude
    } else {
        std::time::UNIX_EPOCH - magnitude
    }
}

/// The body of `GET /invitations`: the `{data, total_count}` envelope (sent when
/// `paginated=true`, as the facade always does) or a bare array.
///
/// Decoded by looking at the first token, without buffering the body first (an untagged enum
/// would decode everything twice). The facade turns it into a [`Page`](crate::Page); it
/// appears directly only through [`raw`](crate::raw).
///
/// ```no_run
/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {
/// use clerk_invitations::models::InvitationList;
/// let body = clerk.raw().list_invitations().paginated(true).send().await.map_err(|e| e.to_string());
/// if let Ok(body) = body {
///     match body.into_inner() {
///         InvitationList::Page(p) => println!("{} of {}", p.data.len(), p.total_count),
///         InvitationList::Array(items) => println!("{}", items.len()),
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum InvitationList {
    /// `{"data": [...], "total_count": N}`
    Page(raw::PaginatedInvitations),
    /// `[...]`
    Array(Vec<Invitation>),
}

impl<'de> serde::Deserialize<'de> for InvitationList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Shape;
        impl<'de> serde::de::Visitor<'de> for Shape {
            type Value = InvitationList;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object with data and total_count, or an array of invitations")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(InvitationList::Page)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                serde::Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(InvitationList::Array)
            }
        }
        d.deserialize_any(Shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INV: &str = r#"{"object":"invitation","id":"inv_1","email_address":"a@b.co","public_metadata":{},"status":"pending","created_at":1,"updated_at":2}"#;

    #[test]
    fn invitation_list_reads_both_shapes_and_refuses_others() {
        let page: InvitationList =
            serde_json::from_str(&format!(r#"{{"data":[{INV}],"total_count":7,"extra":1}}"#))
                .unwrap();
        match page {
            InvitationList::Page(p) => assert_eq!((p.data.len(), p.total_count), (1, 7)),
            other => panic!("{other:?}"),
        }
        let array: InvitationList = serde_json::from_str(&format!("[{INV},{INV}]")).unwrap();
        assert!(matches!(array, InvitationList::Array(v) if v.len() == 2));
        for bad in ["1", "null", "\"x\"", r#"{"data":[]}"#, r#"[{"id":1}]"#, "{"] {
            assert!(
                serde_json::from_str::<InvitationList>(bad).is_err(),
                "{bad}"
            );
        }
    }
}
