//! Contract tests of the organization invitations against the emulator: the service's rules,
//! membership quotas and seats, organizations turned off, the deprecated pending list.

use crate::emulator::{checked, setup};
use clerk_invitations::{InvitationStatus, NewOrganizationInvitation};

#[tokio::test]
async fn organization_invitation_rules() {
    let (emu, clerk) = setup().await;
    let org = clerk.organization("org_1").invitations();
    let inv = org
        .create("Grace@x.test", "org:member")
        .inviter_user_id("user_admin")
        .await
        .unwrap();
    assert!(inv.id.starts_with("orginv_"));
    assert_eq!(inv.email_address, "grace@x.test");
    assert_eq!(inv.role_name, "Member");
    assert_eq!(
        inv.public_inviter_data.as_ref().unwrap().user_id,
        "user_admin"
    );
    // A second pending invitation returns the existing one.
    let same = org.create("grace@x.test", "org:member").await.unwrap();
    assert_eq!(same.id, inv.id);

    let not_member = org
        .create("x@x.test", "org:member")
        .inviter_user_id("user_nobody")
        .await
        .unwrap_err();
    assert_eq!(
        (not_member.status(), not_member.code()),
        (
            Some(403),
            Some(clerk_invitations::ErrorCode::from(
                "not_a_member_in_organization"
            ))
        )
    );
    let no_perm = org
        .create("x@x.test", "org:member")
        .inviter_user_id("user_member")
        .await
        .unwrap_err();
    assert_eq!(
        no_perm.code(),
        Some(clerk_invitations::ErrorCode::from(
            "missing_organization_permission"
        ))
    );
    let role = org.create("x@x.test", "org:wizard").await.unwrap_err();
    assert!(role.is_not_found());
    let member = org
        .create("member@acme.test", "org:member")
        .await
        .unwrap_err();
    assert_eq!(
        member.code(),
        Some(clerk_invitations::ErrorCode::from(
            "already_a_member_in_organization"
        ))
    );
    let unknown_org = clerk
        .organization("org_nope")
        .invitations()
        .list()
        .await
        .unwrap_err();
    assert!(unknown_org.is_not_found());

    assert_eq!(org.get(&inv.id).await.unwrap().id, inv.id);
    let listed = org.list().status(InvitationStatus::Pending).await.unwrap();
    assert_eq!(listed.total_count, Some(1));
    let across = clerk.organization_invitations().list().await.unwrap();
    assert_eq!(
        across.data[0]
            .public_organization_data
            .as_ref()
            .unwrap()
            .slug,
        "acme"
    );

    let revoked = org
        .revoke(&inv.id)
        .requesting_user_id("user_admin")
        .await
        .unwrap();
    assert_eq!(revoked.status, InvitationStatus::Revoked);
    let again = org.revoke(&inv.id).await.unwrap_err();
    assert_eq!(
        (again.status(), again.code()),
        (
            Some(404),
            Some(clerk_invitations::ErrorCode::from(
                "organization_invitation_not_pending"
            ))
        )
    );

    let b = org
        .create_bulk([
            NewOrganizationInvitation::new("h1@x.test", "org:member"),
            NewOrganizationInvitation::new("h2@x.test", "org:admin"),
        ])
        .await
        .unwrap();
    assert_eq!(b.total_count, Some(2));
    let user_id = emu.accept_organization_invitation(&b.data[0].id).unwrap();
    let mine = clerk
        .user(&user_id)
        .organization_invitations()
        .list()
        .await
        .unwrap();
    assert_eq!(mine.data.len(), 1);
    assert_eq!(mine.data[0].status, InvitationStatus::Accepted);
}

#[tokio::test]
async fn membership_quota() {
    let emu = checked().await;
    emu.seed_organization("org_small", "Small", "small", Some(2));
    let clerk = emu.client().unwrap();
    let org = clerk.organization("org_small").invitations();
    org.create("a@x.test", "org:member").await.unwrap();
    org.create("b@x.test", "org:member").await.unwrap();
    let err = org.create("c@x.test", "org:member").await.unwrap_err();
    assert_eq!(
        err.code(),
        Some(clerk_invitations::ErrorCode::from(
            "organization_membership_quota_exceeded"
        ))
    );
}

#[tokio::test]
async fn organizations_disabled_and_seats() {
    let (emu, clerk) = setup().await;
    emu.seed_organization("org_seats", "Seats", "seats", None);
    emu.set_organization_seats("org_seats", Some(1));
    let org = clerk.organization("org_seats").invitations();
    org.create("first@x.test", "org:member").await.unwrap();
    let err = org.create("second@x.test", "org:member").await.unwrap_err();
    assert_eq!(
        (err.status(), err.code()),
        (
            Some(402),
            Some(clerk_invitations::ErrorCode::from("insufficient_seats"))
        )
    );

    emu.set_organizations_enabled(false);
    let err = clerk
        .organization("org_1")
        .invitations()
        .create("x@x.test", "org:member")
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.code()),
        (
            Some(403),
            Some(clerk_invitations::ErrorCode::from(
                "organization_not_enabled_in_instance"
            ))
        )
    );
    let err = clerk.organization_invitations().list().await.unwrap_err();
    assert_eq!(
        err.code(),
        Some(clerk_invitations::ErrorCode::from(
            "organization_not_enabled_in_instance"
        ))
    );
    // Application invitations do not depend on organizations.
    clerk.invitations().create("app@x.test").await.unwrap();
}

#[tokio::test]
#[allow(deprecated)]
async fn the_deprecated_pending_list_shows_only_pending() {
    let (emu, clerk) = setup().await;
    let org = clerk.organization("org_1").invitations();
    let a = org.create("p1@x.test", "org:member").await.unwrap();
    let b = org.create("p2@x.test", "org:member").await.unwrap();
    org.create("p3@x.test", "org:member").await.unwrap();
    org.revoke(&a.id).await.unwrap();
    emu.accept_organization_invitation(&b.id).unwrap();
    let pending = org.list_pending().limit(10).await.unwrap();
    assert_eq!(pending.total_count, Some(1));
    assert_eq!(pending.data[0].email_address, "p3@x.test");
    assert_eq!(pending.data[0].status, InvitationStatus::Pending);
}
