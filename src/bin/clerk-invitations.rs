//! `clerk-invitations`: every invitation operation from the command line, and `invite --csv`
//! for inviting many people within Clerk's rate limits.
//!
//! The secret key comes from `CLERK_SECRET_KEY` (and the base URL from `CLERK_API_URL`); it is
//! never printed. `--emulator` runs against an in-process emulator instead.
//!
//! Exit codes: 0 success; 1 the service refused the request, or some addresses were invalid or
//! failed; 2 bad usage or an unreadable input file; 3 configuration (no key, bad URL, unusable
//! journal); 4 the service could not be reached (connection or timeout).

use clap::{Args, Parser, Subcommand};
use clerk_invitations::bulk::{BulkInvite, BulkLimits, Outcome, OutcomeKind, Summary};
use clerk_invitations::emulator::Emulator;
use clerk_invitations::{
    Clerk, Error, ErrorKind, Invitation, InvitationStatus, OrganizationInvitation,
    OrganizationInvitationWithPublicOrganizationData,
};
use futures_util::TryStreamExt;
use serde::Serialize;
use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

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
        page_opts!($req, $list);
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

/// Applies `--expires-in-days`, `--no-notify` and `--redirect-url` to a create request.
macro_rules! invite_opts {
    ($req:ident, $opts:expr) => {
        $req = $req.notify(!$opts.no_notify);
        if let Some(d) = $opts.expires_in_days {
            $req = $req.expires_in_days(d);
        }
        if let Some(u) = $opts.redirect_url.clone() {
            $req = $req.redirect_url(u);
        }
    };
}

#[derive(Parser)]
#[command(
    name = "clerk-invitations",
    version,
    about = "Manage Clerk invitations."
)]
struct Cli {
    /// Print JSON (one object per line) instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Run against an in-process emulator instead of Clerk (its state is lost on exit).
    #[arg(long, global = true)]
    emulator: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Invite one address (POST /invitations).
    Create {
        email: String,
        #[command(flatten)]
        opts: InviteOpts,
        /// Invite even if the address has an invitation or a user.
        #[arg(long)]
        ignore_existing: bool,
    },
    /// List application invitations (GET /invitations).
    List {
        #[command(flatten)]
        list: ListOpts,
        /// Match part of an address or a whole id.
        #[arg(long)]
        query: Option<String>,
        /// `created_at`, `email_address` or `expires_at`, `-` for descending.
        #[arg(long)]
        order_by: Option<String>,
    },
    /// Revoke an application invitation.
    Revoke { invitation_id: String },
    /// Invite every address of a CSV file, within the rate limits.
    Invite(InviteArgs),
    /// Organization invitations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Organization invitations of one user.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Invite one address to an organization.
    Create {
        organization_id: String,
        email: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        inviter: Option<String>,
        #[command(flatten)]
        opts: InviteOpts,
    },
    /// List an organization's invitations.
    List {
        organization_id: String,
        #[command(flatten)]
        list: ListOpts,
        #[arg(long)]
        email: Option<String>,
    },
    /// List an organization's pending invitations (deprecated upstream).
    Pending {
        organization_id: String,
        #[command(flatten)]
        list: ListOpts,
    },
    /// Show one organization invitation.
    Get {
        organization_id: String,
        invitation_id: String,
    },
    /// Revoke an organization invitation.
    Revoke {
        organization_id: String,
        invitation_id: String,
        #[arg(long)]
        requesting_user: Option<String>,
    },
    /// List organization invitations across the instance.
    All {
        #[command(flatten)]
        list: ListOpts,
        #[arg(long)]
        query: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// A user's organization invitations.
    OrgInvitations {
        user_id: String,
        #[command(flatten)]
        list: ListOpts,
    },
}

#[derive(Args, Clone)]
struct InviteOpts {
    /// Days until the invitation expires (1 to 365).
    #[arg(long)]
    expires_in_days: Option<u32>,
    /// Do not email the invitee.
    #[arg(long)]
    no_notify: bool,
    /// Where the accept link leads.
    #[arg(long)]
    redirect_url: Option<String>,
}

#[derive(Args, Clone)]
struct ListOpts {
    /// Only these statuses (repeatable): pending, accepted, revoked, expired, or any other
    /// status of the spec.
    #[arg(long)]
    status: Vec<String>,
    #[arg(long)]
    limit: Option<u32>,
    #[arg(long)]
    offset: Option<u64>,
    /// Every page, not just one.
    #[arg(long)]
    all: bool,
}

#[derive(Args)]
struct InviteArgs {
    /// CSV file: a column named `email` or `email_address`, else the first column.
    #[arg(long)]
    csv: PathBuf,
    /// Invite to this organization (with --role).
    #[arg(long, requires = "role")]
    org: Option<String>,
    #[arg(long, requires = "org")]
    role: Option<String>,
    #[arg(long, requires = "org")]
    inviter: Option<String>,
    /// Record outcomes here as they happen; a rerun with the same journal resumes.
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Check and de-duplicate the file without sending anything.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    opts: InviteOpts,
    /// The service's clock runs this much faster than real time (for an emulator started
    /// with the same time scale).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
}

/// A failure of the tool, with its exit code.
struct Failure {
    code: u8,
    message: String,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match e.kind() {
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
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> Result<u8, Failure> {
    // Keep the emulator alive for the whole command.
    let (clerk, _emulator) = if cli.emulator {
        let scale = match &cli.command {
            Command::Invite(a) if a.time_scale != 1.0 => a.time_scale,
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
            print_items!(req, list, |i| out.invitation(i));
        }
        Command::Revoke { invitation_id } => {
            out.invitation(&clerk.invitations().revoke(invitation_id).await?);
        }
        Command::Org(cmd) => org(&clerk, &out, cmd).await?,
        Command::User(UserCommand::OrgInvitations { user_id, list }) => {
            let mut req = clerk.user(user_id).organization_invitations().list();
            match list.status.as_slice() {
                [] => {}
                [one] => req = req.status(status(one)?),
                _ => return Err(fail(2, "user org-invitations takes one --status")),
            }
            page_opts!(req, list);
            print_items!(req, list, |i| out.org_invitation_with_org(i));
        }
        Command::Invite(args) => return invite(&clerk, &out, args, cli.emulator).await,
    }
    Ok(0)
}

async fn org(clerk: &Clerk, out: &Output, cmd: OrgCommand) -> Result<(), Failure> {
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
            out.org_invitation(&req.await?);
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
            print_items!(req, list, |i| out.org_invitation(i));
        }
        OrgCommand::Pending {
            organization_id,
            list,
        } => {
            if !list.status.is_empty() {
                return Err(fail(
                    2,
                    "org pending lists pending invitations: --status does not apply",
                ));
            }
            #[allow(deprecated)]
            let mut req = clerk
                .organization(organization_id)
                .invitations()
                .list_pending();
            page_opts!(req, list);
            print_items!(req, list, |i| out.org_invitation(i));
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
            print_items!(req, list, |i| out.org_invitation_with_org(i));
        }
    }
    Ok(())
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

struct Output {
    json: bool,
}

impl Output {
    fn json_or<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) {
        let line = if self.json {
            serde_json::to_string(value).unwrap_or_default()
        } else {
            text()
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}");
    }

    fn invitation(&self, i: &Invitation) {
        self.json_or(i, || {
            let mut line = format!("{}\t{}\t{}", i.id, i.email_address, i.status);
            if let Some(url) = &i.url {
                line.push('\t');
                line.push_str(url);
            }
            line
        });
    }

    fn org_invitation_with_org(&self, i: &OrganizationInvitationWithPublicOrganizationData) {
        self.json_or(i, || {
            format!(
                "{}\t{}\t{}\t{}",
                i.id, i.email_address, i.organization_id, i.status
            )
        });
    }

    fn org_invitation(&self, i: &OrganizationInvitation) {
        self.json_or(i, || {
            format!(
                "{}\t{}\t{}\t{}\t{}",
                i.id, i.email_address, i.organization_id, i.role, i.status
            )
        });
    }
}

/// The addresses of a CSV file, read lazily; rows that cannot be read are reported as
/// invalid outcomes.
struct CsvEmails {
    records: csv::StringRecordsIntoIter<std::fs::File>,
    column: Option<usize>,
    line: u64,
    bad: Rc<RefCell<Vec<Outcome>>>,
}

impl CsvEmails {
    fn open(path: &PathBuf, bad: Rc<RefCell<Vec<Outcome>>>) -> Result<Self, Failure> {
        let file = std::fs::File::open(path)
            .map_err(|e| fail(2, format!("cannot read {}: {e}", path.display())))?;
        let records = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(file)
            .into_records();
        Ok(CsvEmails {
            records,
            column: None,
            line: 0,
            bad,
        })
    }
}

impl Iterator for CsvEmails {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        loop {
            let record = self.records.next()?;
            self.line += 1;
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    self.bad
                        .borrow_mut()
                        .push(malformed(self.line, &e.to_string()));
                    continue;
                }
            };
            let column = match self.column {
                Some(c) => c,
                None => {
                    // The first row: a header if it names the email column.
                    let named = record.iter().position(|c| {
                        c.eq_ignore_ascii_case("email") || c.eq_ignore_ascii_case("email_address")
                    });
                    self.column = Some(named.unwrap_or(0));
                    if named.is_some() {
                        continue;
                    }
                    0
                }
            };
            match record.get(column) {
                Some(cell) if !cell.is_empty() => return Some(cell.to_string()),
                _ if record.iter().all(str::is_empty) => continue,
                _ => self
                    .bad
                    .borrow_mut()
                    .push(malformed(self.line, "no address in the email column")),
            }
        }
    }
}

fn malformed(line: u64, why: &str) -> Outcome {
    Outcome::new(
        format!("(line {line})"),
        OutcomeKind::Invalid {
            reason: format!("line {line}: {why}"),
        },
    )
}

fn count_rows(path: &PathBuf) -> u64 {
    std::fs::File::open(path)
        .map(|f| {
            csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(f)
                .into_records()
                .count() as u64
        })
        .unwrap_or(0)
}

async fn invite(
    clerk: &Clerk,
    out: &Output,
    args: InviteArgs,
    emulator: bool,
) -> Result<u8, Failure> {
    let bad = Rc::new(RefCell::new(Vec::new()));
    let rows = CsvEmails::open(&args.csv, bad.clone())?;
    let (mut run, limits) = match (&args.org, &args.role) {
        (Some(org), Some(role)) => {
            let mut run = BulkInvite::organization(clerk, org.clone(), role.clone());
            if let Some(u) = &args.inviter {
                run = run.inviter_user_id(u.clone());
            }
            (run, BulkLimits::organization())
        }
        _ => (BulkInvite::application(clerk), BulkLimits::application()),
    };
    let scale = if emulator && args.time_scale == 1.0 {
        3600.0
    } else {
        args.time_scale
    };
    let limits = limits.time_scale(scale);
    run = run.limits(limits).dry_run(args.dry_run);
    if let Some(j) = &args.journal {
        run = run.journal(j.clone());
    }
    if let Some(d) = args.opts.expires_in_days {
        run = run.expires_in_days(d);
    }
    if args.opts.no_notify {
        run = run.notify(false);
    }
    if let Some(u) = &args.opts.redirect_url {
        run = run.redirect_url(u.clone());
    }

    let progress = (!out.json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(count_rows(&args.csv));
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let started = Instant::now();
    let max_rate = limits.max_rate();
    let mut seen: u64 = 0;
    let mut emit = |o: &Outcome| {
        seen += 1;
        if let Some(bar) = &progress {
            bar.inc(1);
            let rate = seen as f64 / started.elapsed().as_secs_f64().max(0.001);
            let left = bar.length().unwrap_or(0).saturating_sub(bar.position());
            bar.set_message(format!(
                "{rate:.1}/s, ETA {:.0} s at the limits' {max_rate:.2}/s",
                left as f64 / max_rate
            ));
        }
        let line = if out.json {
            serde_json::to_string(o).unwrap_or_default()
        } else {
            let detail = match &o.kind {
                OutcomeKind::Invited { id } => id.clone(),
                OutcomeKind::AlreadyInvited { id } => id.clone().unwrap_or_default(),
                OutcomeKind::Invalid { reason } => reason.clone(),
                OutcomeKind::Failed { error } => error.clone(),
                _ => String::new(),
            };
            format!("{}\t{}\t{}", o.kind.name(), o.email, detail)
        };
        match &progress {
            Some(bar) => bar.println(line),
            None => {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
        }
    };
    let result = run
        .run(rows, |o| {
            for b in bad.borrow_mut().drain(..) {
                emit(&b);
            }
            emit(o);
        })
        .await;
    // Rows read after the last outcome.
    let trailing: Vec<Outcome> = bad.borrow_mut().drain(..).collect();
    for b in &trailing {
        emit(b);
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let summary: Summary = result?;
    let malformed_rows = count_malformed(seen, &summary);
    if out.json {
        let _ = writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::json!({ "summary": summary, "malformed_rows": malformed_rows })
        );
    } else {
        eprintln!(
            "invited {}, already invited {}, already users {}, already members {}, invalid {}, failed {}{}; {} duplicate rows skipped, {} done in an earlier run; {} requests in {:.1} s",
            summary.invited,
            summary.already_invited,
            summary.already_user,
            summary.already_member,
            summary.invalid + malformed_rows,
            summary.failed,
            if args.dry_run {
                format!(", would invite {}", summary.would_invite)
            } else {
                String::new()
            },
            summary.duplicates_in_input,
            summary.done_earlier,
            summary.requests,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(
        if summary.failed > 0 || summary.invalid > 0 || malformed_rows > 0 {
            1
        } else {
            0
        },
    )
}

/// Malformed rows are reported by the tool, not the engine: they are the outcomes seen beyond
/// the engine's own count.
fn count_malformed(seen: u64, s: &Summary) -> u64 {
    let engine = s.invited
        + s.already_invited
        + s.already_user
        + s.already_member
        + s.invalid
        + s.failed
        + s.would_invite;
    seen.saturating_sub(engine)
}
