//! Every operation of the vendored spec has a facade method.

/// operationId -> the facade method that calls it. Adding an operation to the vendored YAML
/// without adding it here (and to the facade) fails `every_operation_has_a_facade_method`.
const FACADE: &[(&str, &str)] = &[
    ("CreateInvitation", "clerk.invitations().create(email)"),
    ("ListInvitations", "clerk.invitations().list()"),
    (
        "CreateBulkInvitations",
        "clerk.invitations().create_bulk(items)",
    ),
    ("RevokeInvitation", "clerk.invitations().revoke(id)"),
    (
        "ListInstanceOrganizationInvitations",
        "clerk.organization_invitations().list()",
    ),
    (
        "CreateOrganizationInvitation",
        "clerk.organization(org).invitations().create(email, role)",
    ),
    (
        "ListOrganizationInvitations",
        "clerk.organization(org).invitations().list()",
    ),
    (
        "CreateOrganizationInvitationBulk",
        "clerk.organization(org).invitations().create_bulk(items)",
    ),
    (
        "ListPendingOrganizationInvitations",
        "clerk.organization(org).invitations().list_pending()",
    ),
    (
        "GetOrganizationInvitation",
        "clerk.organization(org).invitations().get(id)",
    ),
    (
        "RevokeOrganizationInvitation",
        "clerk.organization(org).invitations().revoke(id)",
    ),
    (
        "UsersGetOrganizationInvitations",
        "clerk.user(user).organization_invitations().list()",
    ),
];

fn spec_operation_ids() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/openapi/clerk-bapi-invitations.yaml"
    );
    let text = std::fs::read_to_string(path).expect("vendored spec");
    // Every `operationId:` line of the vendored file (a YAML parser is not needed for this).
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("operationId:"))
        .map(|id| id.trim().trim_matches(['\'', '"']).to_string())
        .collect()
}

#[test]
fn every_operation_has_a_facade_method() {
    let ids = spec_operation_ids();
    assert_eq!(ids.len(), 12, "the vendored spec holds {ids:?}");
    let missing: Vec<_> = ids
        .iter()
        .filter(|id| !FACADE.iter().any(|(op, _)| op == id))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a facade method: {missing:?}"
    );
    let stale: Vec<_> = FACADE
        .iter()
        .filter(|(op, _)| !ids.iter().any(|id| id == op))
        .collect();
    assert!(
        stale.is_empty(),
        "facade entries for operations no longer in the spec: {stale:?}"
    );
}

/// Compile-time half of the check: each entry above names a method that exists.
#[allow(deprecated, dead_code)]
fn facade_methods_exist(clerk: clerk_invitations::Clerk) {
    let _ = clerk.invitations().create("e");
    let _ = clerk.invitations().list();
    let _ = clerk.invitations().create_bulk([]);
    let _ = clerk.invitations().revoke("i");
    let _ = clerk.organization_invitations().list();
    let _ = clerk.organization("o").invitations().create("e", "r");
    let _ = clerk.organization("o").invitations().list();
    let _ = clerk.organization("o").invitations().create_bulk([]);
    let _ = clerk.organization("o").invitations().list_pending();
    let _ = clerk.organization("o").invitations().get("i");
    let _ = clerk.organization("o").invitations().revoke("i");
    let _ = clerk.user("u").organization_invitations().list();
}
