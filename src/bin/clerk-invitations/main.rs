//! `clerk-invitations`: every invitation operation from the command line, and `invite --csv`
//! for inviting many people within Clerk's rate limits.
//!
//! The secret key comes from `CLERK_SECRET_KEY` (and the base URL from `CLERK_API_URL`); it is
//! never printed. `--emulator` runs against an in-process emulator instead.
//!
//! Exit codes: 0 success; 1 the service refused the request, or some addresses were invalid,
//! failed or in conflict; 2 bad usage, an unreadable or unmappable input file, or a roster
//! changed since its plan; 3 configuration (no key, bad URL, unusable journal); 4 the service
//! could not be reached (connection or timeout); 5 the journal or plan belongs to another run
//! (another target, organization, role, service, key or input) or another run holds it; 6
//! interrupted by Ctrl-C or SIGTERM (the counts and the command to resume are printed).
//!
//! `plan ROSTER` prints what applying a roster would do against the service, `apply PLAN` does
//! exactly that.
//!
//! `delete ID...` deletes application invitations; `erase --email A` (or `--csv`) deletes every
//! application invitation of each address, for data-erasure requests.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use clerk_invitations::bulk::{BulkInvite, BulkLimits, Outcome, OutcomeKind, Progress, Summary};
use clerk_invitations::emulator::Emulator;
use clerk_invitations::{
    Clerk, Created, Error, ErrorKind, Invitation, InvitationStatus, OrganizationInvitation,
    OrganizationInvitationWithPublicOrganizationData,
};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

mod apply;
mod args;
mod csv_input;
mod erase;
mod invite;
mod output;
mod plan;
mod progress;
mod revoke;
mod roster;
mod roster_fields;
mod webhook;

use args::*;
use csv_input::*;
use erase::*;
use invite::*;
use output::*;
use progress::*;
use revoke::*;
use roster_fields::*;

/// Applies `--limit` and `--offset` to a list request.
macro_rules! page_opts {
    ($req:ident, $list:expr) => {
        if let Some(l) = $list.limit {
            $req = $req.limit(l);
        }
        if let Some(o) = $list.offset {
            $req = $req.offset(o);
        }
    };
}

/// Applies `--status` (repeatable), `--limit` and `--offset` to a list request.
macro_rules! list_opts {
    ($req:ident, $list:expr) => {
        for s in &$list.status {
            $req = $req.status(status(s)?);
        }
        page_opts!($req, $list.page);
    };
}

/// Prints one page of a list request, or with `--all` every page, with `print`.
macro_rules! print_items {
    ($req:ident, $list:expr, $print:expr) => {
        if $list.all {
            let mut items = $req.stream();
            while let Some(i) = items.try_next().await? {
                ($print)(&i);
            }
        } else {
            for i in $req.await?.data {
                ($print)(&i);
            }
        }
    };
}

/// Applies `--expires-in-days`, `--no-notify`, `--redirect-url` and `--public-metadata` to a
/// create request.
macro_rules! invite_opts {
    ($req:ident, $opts:expr) => {
        $req = $req.notify(!$opts.no_notify);
        if let Some(d) = $opts.expires_in_days {
            $req = $req.expires_in_days(d);
        }
        if let Some(u) = $opts.redirect_url.clone() {
            $req = $req.redirect_url(u);
        }
        if let Some(m) = $opts.public_metadata.clone() {
            $req = $req.public_metadata(serde_json::Value::Object(m));
        }
    };
}

/// A failure of the tool, with its exit code.
struct Failure {
    code: u8,
    message: String,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match e.kind() {
            // A journal of another run, or one another run holds: nothing was sent.
            ErrorKind::Configuration
                if e.to_string().contains("belongs to another run")
                    || e.to_string().contains("in use by another run") =>
            {
                5
            }
            ErrorKind::Configuration => 3,
            ErrorKind::Transport | ErrorKind::Timeout => 4,
            ErrorKind::InvalidInput => 2,
            _ => 1,
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::from_arg_matches(&with_epilogue(Cli::command()).get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli).await {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {}", esc(&f.message));
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> Result<u8, Failure> {
    // Completions and the manual need no key and no service.
    match &cli.command {
        Command::Completions { shell } => {
            let mut cmd = with_epilogue(Cli::command());
            clap_complete::generate(
                *shell,
                &mut cmd,
                "clerk-invitations",
                &mut std::io::stdout(),
            );
            return Ok(0);
        }
        Command::Man { dir } => return man(dir.as_deref()),
        _ => {}
    }
    // Verifying a delivery needs no key and no service.
    if let Command::Webhook(WebhookCommand::Verify { secret, at }) = &cli.command {
        return webhook::verify(secret.as_deref(), *at, &Output { json: cli.json });
    }
    // Keep the emulator alive for the whole command.
    let (clerk, _emulator) = if cli.emulator {
        let scale = match &cli.command {
            Command::Invite(a) if a.time_scale != 1.0 => a.time_scale,
            Command::Revoke(a) if a.time_scale != 1.0 => a.time_scale,
            Command::Invite(_) => 3600.0,
            _ => 1.0,
        };
        let emulator = Emulator::builder().time_scale(scale).start().await?;
        emulator.seed_organization("org_demo", "Demo", "demo", None);
        eprintln!(
            "using an in-process emulator at {} (organization org_demo; its clock runs {scale}x)",
            emulator.base_url()
        );
        (emulator.client()?, Some(emulator))
    } else {
        let clerk = Clerk::from_env().map_err(|e| {
            fail(
                3,
                format!("{e} (or pass --emulator to try the tool on an in-process emulator)"),
            )
        })?;
        (clerk, None)
    };
    let out = Output { json: cli.json };
    match cli.command {
        Command::Create {
            email,
            opts,
            ignore_existing,
        } => {
            if opts.private_metadata.is_some() {
                return Err(fail(
                    2,
                    "--private-metadata applies to organization invitations only (org create)",
                ));
            }
            let mut req = clerk
                .invitations()
                .create(email)
                .ignore_existing(ignore_existing);
            invite_opts!(req, opts);
            out.invitation(&req.await?);
        }
        Command::List {
            list,
            query,
            order_by,
        } => {
            let mut req = clerk.invitations().list();
            if let Some(q) = query {
                req = req.query(q);
            }
            if let Some(o) = order_by {
                req = req.order_by(o);
            }
            list_opts!(req, list);
            print_items!(req, list.page, |i| out.invitation(i));
        }
        Command::Revoke(args) => match args.invitation_id.clone() {
            Some(invitation_id) => {
                out.invitation(&clerk.invitations().revoke(invitation_id).await?);
            }
            None => return revoke_stale(&clerk, &out, args).await,
        },
        Command::Org(cmd) => return org(&clerk, &out, cmd).await,
        Command::User(UserCommand::OrgInvitations {
            user_id,
            status: wanted,
            page,
        }) => {
            let mut req = clerk.user(user_id).organization_invitations().list();
            if let Some(one) = wanted {
                req = req.status(status(&one)?);
            }
            page_opts!(req, page);
            print_items!(req, page, |i| out.org_invitation_with_org(i));
        }
        Command::Invite(args) => return invite(&clerk, &out, args, cli.emulator).await,
        Command::Plan(args) => return plan::plan(&clerk, &out, args).await,
        Command::Apply(args) => return apply::apply(&clerk, &out, args).await,
        Command::Completions { .. } | Command::Man { .. } => {}
        Command::Delete { invitation_ids } => return delete(&clerk, &out, invitation_ids).await,
        Command::Erase(args) => return erase(&clerk, &out, args).await,
        Command::Webhook(WebhookCommand::Verify { secret, at }) => {
            return webhook::verify(secret.as_deref(), at, &out);
        }
    }
    Ok(0)
}

async fn org(clerk: &Clerk, out: &Output, cmd: OrgCommand) -> Result<u8, Failure> {
    match cmd {
        OrgCommand::Create {
            organization_id,
            email,
            role,
            inviter,
            opts,
        } => {
            let mut req = clerk
                .organization(organization_id)
                .invitations()
                .create(email, role);
            if let Some(u) = inviter {
                req = req.inviter_user_id(u);
            }
            invite_opts!(req, opts);
            if let Some(m) = opts.private_metadata.clone() {
                req = req.private_metadata(serde_json::Value::Object(m));
            }
            let created = req.await?;
            return Ok(out.org_created(&created));
        }
        OrgCommand::List {
            organization_id,
            list,
            email,
        } => {
            let mut req = clerk.organization(organization_id).invitations().list();
            if let Some(e) = email {
                req = req.email_address(e);
            }
            list_opts!(req, list);
            print_items!(req, list.page, |i| out.org_invitation(i));
        }
        OrgCommand::Pending {
            organization_id,
            page,
        } => {
            #[allow(deprecated)]
            let mut req = clerk
                .organization(organization_id)
                .invitations()
                .list_pending();
            page_opts!(req, page);
            print_items!(req, page, |i| out.org_invitation(i));
        }
        OrgCommand::Get {
            organization_id,
            invitation_id,
        } => {
            let i = clerk
                .organization(organization_id)
                .invitations()
                .get(invitation_id)
                .await?;
            out.org_invitation(&i);
        }
        OrgCommand::Revoke {
            organization_id,
            invitation_id,
            requesting_user,
        } => {
            let mut req = clerk
                .organization(organization_id)
                .invitations()
                .revoke(invitation_id);
            if let Some(u) = requesting_user {
                req = req.requesting_user_id(u);
            }
            out.org_invitation(&req.await?);
        }
        OrgCommand::All { list, query } => {
            let mut req = clerk.organization_invitations().list();
            if let Some(q) = query {
                req = req.query(q);
            }
            list_opts!(req, list);
            print_items!(req, list.page, |i| out.org_invitation_with_org(i));
        }
    }
    Ok(0)
}

fn status(s: &str) -> Result<InvitationStatus, Failure> {
    let status = InvitationStatus::from(s);
    if status.is_known() {
        Ok(status)
    } else {
        Err(fail(
            2,
            format!(
                "unknown status `{}`: use one of {}",
                s.escape_debug(),
                InvitationStatus::KNOWN.join(", ")
            ),
        ))
    }
}

/// The manual: the tool's page on standard output, or with `dir` one page per command
/// (`clerk-invitations.1`, `clerk-invitations-invite.1`, ...) written there.
fn man(dir: Option<&Path>) -> Result<u8, Failure> {
    let cmd = with_epilogue(Cli::command());
    let render = |cmd: clap::Command| -> Result<Vec<u8>, Failure> {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut page)
            .map_err(|e| fail(1, e.to_string()))?;
        Ok(page)
    };
    let Some(dir) = dir else {
        let _ = std::io::stdout().lock().write_all(&render(cmd)?);
        return Ok(0);
    };
    let mut pages = vec![("clerk-invitations".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands() {
        let name = format!("clerk-invitations-{}", sub.get_name());
        pages.push((
            name.clone(),
            sub.clone().display_name(name.clone()).bin_name(name),
        ));
    }
    for (name, page) in pages {
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, render(page)?).map_err(|e| {
            fail(
                2,
                format!("cannot write {}: {e}", esc(&path.display().to_string())),
            )
        })?;
    }
    Ok(0)
}

/// Every command's help ends with the environment and the exit codes.
fn with_epilogue(cmd: clap::Command) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let mut cmd = cmd.after_help(AFTER_HELP);
    for name in names {
        cmd = cmd.mut_subcommand(name, with_epilogue);
    }
    cmd
}
