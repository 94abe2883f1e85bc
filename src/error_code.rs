//! The codes of Clerk's errors that the invitation endpoints return, as an open enum.

/// Defines [`ErrorCode`] from one table: variant, code, HTTP status (from Clerk's error
/// catalogue) and what it means.
macro_rules! error_codes {
    ($($variant:ident = $code:literal, $status:literal, $doc:literal;)*) => {
        /// The `code` of an error Clerk returns, for the codes the invitation endpoints use
        /// (from Clerk's public error catalogue). Open: any other code arrives as
        /// [`ErrorCode::Unknown`], kept as sent.
        ///
        /// ```no_run
        /// use clerk_invitations::ErrorCode;
        /// # async fn demo(clerk: clerk_invitations::Clerk) {
        /// match clerk.invitations().create("ada@example.com").await {
        ///     Ok(inv) => println!("invited: {}", inv.id),
        ///     Err(e) => match e.code() {
        ///         Some(ErrorCode::DuplicateRecord) => println!("already invited"),
        ///         Some(ErrorCode::FormIdentifierExists) => println!("already a user"),
        ///         _ => eprintln!("failed: {e}"),
        ///     },
        /// }
        /// # }
        /// ```
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(
                #[doc = concat!("`", $code, "` (HTTP ", stringify!($status), "): ", $doc)]
                $variant,
            )*
            /// A code this version of the crate does not know, kept as sent.
            Unknown(String),
        }

        impl ErrorCode {
            /// Every code this version of the crate knows, as Clerk spells them.
            pub const KNOWN: &'static [&'static str] = &[$($code),*];

            /// The code as Clerk spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                    ErrorCode::Unknown(s) => s,
                }
            }

            /// The HTTP status Clerk's catalogue gives this code (`None` for an unknown code).
            pub fn status(&self) -> Option<u16> {
                match self {
                    $(ErrorCode::$variant => Some($status),)*
                    ErrorCode::Unknown(_) => None,
                }
            }

            /// Whether this is one of [`ErrorCode::KNOWN`].
            pub fn is_known(&self) -> bool {
                !matches!(self, ErrorCode::Unknown(_))
            }
        }

        impl From<&str> for ErrorCode {
            fn from(s: &str) -> Self {
                match s {
                    $($code => ErrorCode::$variant,)*
                    other => ErrorCode::Unknown(other.to_string()),
                }
            }
        }
    };
}

error_codes! {
    DuplicateRecord = "duplicate_record", 400,
        "an invitation (pending or accepted) already exists for the address; `meta.email_addresses` names them.";
    FormIdentifierExists = "form_identifier_exists", 422,
        "the address belongs to a user already.";
    FormParamMissing = "form_param_missing", 422, "a required parameter is missing.";
    FormParamFormatInvalid = "form_param_format_invalid", 422,
        "a parameter is malformed (for example not an email address).";
    FormParamValueInvalid = "form_param_value_invalid", 422,
        "a parameter's value is not allowed (out of range, not one of the allowed values).";
    FormParamUnknown = "form_param_unknown", 422, "the request has a parameter the service does not know.";
    FormParamNil = "form_param_nil", 422, "a parameter that cannot be null is null.";
    FormParamExceedsAllowedSize = "form_param_exceeds_allowed_size", 422, "a parameter is too large.";
    BulkSizeExceeded = "bulk_size_exceeded", 400, "a bulk request has more items than allowed (10).";
    InvitationAlreadyRevoked = "invitation_already_revoked", 400,
        "the application invitation is revoked already.";
    InvitationAlreadyAccepted = "invitation_already_accepted", 400,
        "the application invitation was accepted: it cannot be revoked.";
    ResourceNotFound = "resource_not_found", 404,
        "the invitation, organization, role or user does not exist.";
    OrganizationInvitationNotPending = "organization_invitation_not_pending", 404,
        "the organization invitation is not pending (or does not exist): it cannot be revoked.";
    OrganizationInvitationNotUnique = "organization_invitation_not_unique", 400,
        "a pending invitation for the address exists in the organization (two creates raced).";
    AlreadyAMemberInOrganization = "already_a_member_in_organization", 400,
        "the address belongs to a member of the organization.";
    NotAMemberInOrganization = "not_a_member_in_organization", 403,
        "the inviting or requesting user is not a member of the organization.";
    MissingOrganizationPermission = "missing_organization_permission", 403,
        "the inviting or requesting user may not manage the organization's members.";
    OrganizationMembershipQuotaExceeded = "organization_membership_quota_exceeded", 403,
        "the organization's members and pending invitations reached its limit.";
    InsufficientSeats = "insufficient_seats", 402, "the plan's seat limit is reached.";
    QuotaExceeded = "quota_exceeded", 403, "an instance quota is reached.";
    OrganizationNotEnabledInInstance = "organization_not_enabled_in_instance", 403,
        "organizations are not enabled for the instance.";
    OrganizationDomainMismatch = "organization_domain_mismatch", 422,
        "the address does not match the organization's domain.";
    ClerkKeyInvalid = "clerk_key_invalid", 401, "the secret key is missing, invalid or unknown.";
    AuthorizationHeaderFormatInvalid = "authorization_header_format_invalid", 401,
        "the `Authorization` header is malformed.";
    AuthorizationInvalid = "authorization_invalid", 403, "the key may not make this request.";
    TooManyRequests = "too_many_requests", 429, "over a rate limit; wait for `Retry-After`.";
    ApiVersionInvalid = "api_version_invalid", 400, "the `Clerk-API-Version` is not one the service knows.";
    RequestBodyInvalid = "request_body_invalid", 400, "the request body is not valid JSON of the right shape.";
    RequestBodyTooLarge = "request_body_too_large", 413, "the request body is too large.";
    UnsupportedContentType = "unsupported_content_type", 415, "the request body is not JSON.";
    MalformedRequestParameters = "malformed_request_parameters", 400, "the query could not be parsed.";
    InternalClerkError = "internal_clerk_error", 500, "an error inside the service.";
}

impl AsRef<str> for ErrorCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_ones_are_kept() {
        for code in ErrorCode::KNOWN {
            let c = ErrorCode::from(*code);
            assert!(c.is_known(), "{code}");
            assert_eq!(c.as_str(), *code);
            assert!(c.status().is_some());
        }
        let other = ErrorCode::from("brand_new_code");
        assert_eq!(other, ErrorCode::Unknown("brand_new_code".into()));
        assert_eq!(other.to_string(), "brand_new_code");
        assert_eq!(other.status(), None);
        assert_eq!(ErrorCode::from("duplicate_record").status(), Some(400));
    }
}
