//! Creates, lists and revokes an application invitation and an organization invitation.
//!
//! With `CLERK_SECRET_KEY` set it talks to Clerk (or to `CLERK_API_URL`); without it, it starts
//! the built-in emulator in-process and says so.
//!
//! ```sh
//! cargo run -p quickstart
//! CLERK_SECRET_KEY=sk_test_… QUICKSTART_ORG_ID=org_… cargo run -p quickstart
//! ```

use clerk_invitations::emulator::Emulator;
use clerk_invitations::{Clerk, InvitationStatus};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let has_key = std::env::var("CLERK_SECRET_KEY").is_ok_and(|k| !k.trim().is_empty());
    // Keep the emulator alive for the whole run: it stops when dropped.
    let (clerk, _emulator, org_id) = if has_key {
        let clerk = Clerk::from_env()?;
        let org = std::env::var("QUICKSTART_ORG_ID").ok();
        println!("Using the Clerk API at {}", clerk.base_url());
        (clerk, None, org)
    } else {
        let emulator = Emulator::start().await?;
        emulator.seed_organization("org_quickstart", "Quickstart Inc.", "quickstart", None);
        println!(
            "CLERK_SECRET_KEY is not set: using the built-in emulator at {}",
            emulator.base_url()
        );
        (
            emulator.client()?,
            Some(emulator),
            Some("org_quickstart".to_string()),
        )
    };

    // An application invitation.
    let email = format!("quickstart+{}@example.com", std::process::id());
    let created = clerk
        .invitations()
        .create(&email)
        .notify(false)
        .expires_in_days(7)
        .await?;
    println!(
        "created   {} for {} ({})",
        created.id, created.email_address, created.status
    );

    let pending = clerk
        .invitations()
        .list()
        .status(InvitationStatus::Pending)
        .query(&email)
        .await?;
    println!(
        "listed    {} pending invitation(s) for {email}",
        pending.data.len()
    );

    let revoked = clerk.invitations().revoke(&created.id).await?;
    println!("revoked   {} ({})", revoked.id, revoked.status);

    // An organization invitation.
    match org_id {
        Some(org) => {
            let invitations = clerk.organization(&org).invitations();
            let inv = invitations
                .create(&email, "org:member")
                .notify(false)
                .await?;
            println!(
                "created   {} for {} in {org} as {} ({})",
                inv.id, inv.email_address, inv.role, inv.status
            );
            let page = invitations.list().status(InvitationStatus::Pending).await?;
            println!(
                "listed    {} pending organization invitation(s) in {org}",
                page.data.len()
            );
            let inv = invitations.revoke(&inv.id).await?;
            println!("revoked   {} ({})", inv.id, inv.status);
        }
        None => println!(
            "skipped   organization invitations: set QUICKSTART_ORG_ID to an organization id"
        ),
    }
    Ok(())
}
