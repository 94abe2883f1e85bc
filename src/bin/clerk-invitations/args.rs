//! The command line: subcommands, options and their help.

use super::*;
use crate::apply::ApplyArgs;
use crate::plan::PlanArgs;

#[derive(Parser)]
#[command(
    name = "clerk-invitations",
    version,
    about = "Manage Clerk invitations: application and organization invitations, one at a time or thousands within the rate limits.",
    after_help = AFTER_HELP
)]
pub(crate) struct Cli {
    /// Print JSON (one object per line) instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Run against an in-process emulator instead of Clerk (its state is lost on exit).
    #[arg(long, global = true)]
    pub(crate) emulator: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Shown under every `--help`: the environment and the exit codes.
pub(crate) const AFTER_HELP: &str = "Environment:
  CLERK_SECRET_KEY   the secret key (sk_test_... or sk_live_...); required unless --emulator
  CLERK_API_URL      the API's base URL (default https://api.clerk.com/v1): an emulator, a proxy
  CLERK_WEBHOOK_SECRET  the signing secret `webhook verify` uses without --secret

Exit codes:
  0  success
  1  the service refused the request; some addresses or invitations were invalid, failed or in
     conflict; or the service kept an invitation with another role or metadata
  2  bad usage, an unreadable, malformed or unmappable input file, or a roster changed since
     its plan
  3  configuration: no key, a bad URL, an unusable journal
  4  the service could not be reached (connection or timeout)
  5  the journal or plan belongs to another run, service or key, or another run holds the
     journal (nothing was sent)
  6  interrupted by Ctrl-C or SIGTERM (the counts and the command to resume are printed)";

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Invite one address (POST /invitations).
    Create {
        /// The address to invite.
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
    /// Revoke one application invitation by id, or, without an id, every pending invitation
    /// that the filters select (a clean-up: application invitations, or an organization's with
    /// --org), within the rate limits, resumable from --journal.
    Revoke(RevokeArgs),
    /// Invite every address of a CSV file, within the rate limits.
    Invite(InviteArgs),
    /// What applying a roster would do, checked against the service: per address, invite,
    /// already pending (with the same or other role and metadata), accepted, revoked or
    /// expired and to invite again; with --prune, pending invitations the roster does not
    /// list, to revoke. --out saves the plan for `apply`.
    Plan(PlanArgs),
    /// Do exactly what a saved plan says: each address is checked again first (a change since
    /// the plan is a conflict, not acted on), within the rate limits, resumable.
    Apply(ApplyArgs),
    /// Print a shell completion script: `clerk-invitations completions bash >
    /// /etc/bash_completion.d/clerk-invitations`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `clerk-invitations man | man -l -`; with --dir, write
    /// one page per command there.
    Man {
        /// Write `clerk-invitations.1` and one `clerk-invitations-COMMAND.1` per command here.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Delete application invitations for good, in any status (DELETE /invitations/{id}).
    Delete {
        /// The ids of the invitations to delete (`inv_...`).
        #[arg(required = true)]
        invitation_ids: Vec<String>,
    },
    /// Erase every application invitation of some addresses (a data-erasure request): each
    /// invitation for exactly the address, in any status, is found and deleted. Safe to run
    /// twice; with --journal, an interrupted run resumes.
    Erase(EraseArgs),
    /// Organization invitations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Organization invitations of one user.
    #[command(subcommand)]
    User(UserCommand),
    /// Webhook deliveries.
    #[command(subcommand)]
    Webhook(WebhookCommand),
}

#[derive(Subcommand)]
pub(crate) enum WebhookCommand {
    /// Verify a captured delivery read from standard input (headers, a blank line, the body;
    /// a leading request line is skipped) and print its event type and id. Needs no API key.
    Verify {
        /// The endpoint's signing secret (`whsec_...`); else CLERK_WEBHOOK_SECRET.
        #[arg(long)]
        secret: Option<String>,
        /// Check the timestamp as if the clock read this Unix time (seconds): for replaying a
        /// delivery captured earlier.
        #[arg(long)]
        at: Option<u64>,
    },
}

#[derive(Subcommand)]
pub(crate) enum OrgCommand {
    /// Invite one address to an organization.
    Create {
        /// The organization (`org_...`).
        organization_id: String,
        /// The address to invite.
        email: String,
        /// The role the invitee gets, such as `org:member` or `org:admin`.
        #[arg(long)]
        role: String,
        /// The user sending the invitation (must be allowed to manage members).
        #[arg(long)]
        inviter: Option<String>,
        #[command(flatten)]
        opts: InviteOpts,
    },
    /// List an organization's invitations.
    List {
        /// The organization (`org_...`).
        organization_id: String,
        #[command(flatten)]
        list: ListOpts,
        /// Only invitations to this address.
        #[arg(long)]
        email: Option<String>,
    },
    /// List an organization's pending invitations (deprecated upstream).
    Pending {
        /// The organization (`org_...`).
        organization_id: String,
        #[command(flatten)]
        page: PageOpts,
    },
    /// Show one organization invitation.
    Get {
        /// The organization (`org_...`).
        organization_id: String,
        /// The invitation (`orginv_...`).
        invitation_id: String,
    },
    /// Revoke an organization invitation.
    Revoke {
        /// The organization (`org_...`).
        organization_id: String,
        /// The invitation (`orginv_...`).
        invitation_id: String,
        /// The user revoking it (must be allowed to manage members).
        #[arg(long)]
        requesting_user: Option<String>,
    },
    /// List organization invitations across the instance.
    All {
        #[command(flatten)]
        list: ListOpts,
        /// Match part of the invitee's address.
        #[arg(long)]
        query: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// A user's organization invitations.
    OrgInvitations {
        /// The user (`user_...`).
        user_id: String,
        /// Only invitations with this status (this list takes one).
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        page: PageOpts,
    },
}

#[derive(Args, Clone)]
pub(crate) struct InviteOpts {
    /// Days until the invitation expires (1 to 365).
    #[arg(long)]
    pub(crate) expires_in_days: Option<u32>,
    /// Do not email the invitee.
    #[arg(long)]
    pub(crate) no_notify: bool,
    /// Where the accept link leads.
    #[arg(long)]
    pub(crate) redirect_url: Option<String>,
    /// Public metadata of the invitation, a JSON object (`'{"plan":"team"}'`); a roster's
    /// `public_metadata.KEY` columns are laid over it.
    #[arg(long, value_name = "JSON", value_parser = parse_object)]
    pub(crate) public_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// Private metadata of the invitation, a JSON object (organization invitations only).
    #[arg(long, value_name = "JSON", value_parser = parse_object)]
    pub(crate) private_metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A JSON object.
pub(crate) fn parse_object(s: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    match serde_json::from_str(s) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        Ok(_) => Err("a JSON object, such as '{\"plan\":\"team\"}'".into()),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

#[derive(Args, Clone)]
pub(crate) struct ListOpts {
    /// Only these statuses (repeatable): pending, accepted, revoked, expired, or any other
    /// status of the spec.
    #[arg(long)]
    pub(crate) status: Vec<String>,
    #[command(flatten)]
    pub(crate) page: PageOpts,
}

#[derive(Args, Clone)]
pub(crate) struct PageOpts {
    /// Invitations per page, 1 to 500 (the service's default is 10).
    #[arg(long)]
    pub(crate) limit: Option<u32>,
    /// Invitations to skip.
    #[arg(long)]
    pub(crate) offset: Option<u64>,
    /// Every page, not just one.
    #[arg(long)]
    pub(crate) all: bool,
}

#[derive(Args)]
pub(crate) struct InviteArgs {
    /// CSV file (`-` for standard input): a header naming an address column and what each
    /// other column holds (see --map).
    #[arg(long)]
    pub(crate) csv: PathBuf,
    #[command(flatten)]
    pub(crate) read: CsvOpts,
    /// Invite to this organization (with --role).
    #[arg(long, requires = "role")]
    pub(crate) org: Option<String>,
    /// The role the invitees get in the organization, such as `org:member`.
    #[arg(long, requires = "org")]
    pub(crate) role: Option<String>,
    /// The user sending the organization invitations (must be allowed to manage members).
    #[arg(long, requires = "org")]
    pub(crate) inviter: Option<String>,
    /// Record outcomes here as they happen; a rerun with the same journal resumes.
    #[arg(long)]
    pub(crate) journal: Option<PathBuf>,
    /// Check the file against the service and print what the run would do (as `plan`
    /// does), sending nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    #[command(flatten)]
    pub(crate) opts: InviteOpts,
    /// The service's clock runs this much faster than real time (for an emulator started
    /// with the same time scale).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) time_scale: f64,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["email", "csv"])))]
pub(crate) struct EraseArgs {
    /// An address to erase (repeatable). Compared whole and ignoring case: `a+b@x.com` and
    /// `ba@x.com` are not `a@x.com`.
    #[arg(long)]
    pub(crate) email: Vec<String>,
    /// CSV file of addresses (`-` for standard input): its address column is found by its
    /// header (or --column); other columns are not read.
    #[arg(long, conflicts_with = "email")]
    pub(crate) csv: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) read: CsvOpts,
    /// Record each erased address here as it finishes; a rerun with the same journal skips
    /// them.
    #[arg(long)]
    pub(crate) journal: Option<PathBuf>,
    /// Find and print what would be deleted; delete nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// How much faster than real time the service's rate-limit windows pass (to match an
    /// emulator started with --time-scale).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) time_scale: f64,
}

#[derive(Args)]
pub(crate) struct RevokeArgs {
    /// The invitation to revoke. Without it, the filters below select the invitations.
    pub(crate) invitation_id: Option<String>,
    /// Clean up this organization's invitations instead of application invitations.
    #[arg(long)]
    pub(crate) org: Option<String>,
    /// Only invitations created longer ago than this (by the service's clock): a number and a
    /// unit, `s`, `m`, `h`, `d` or `w` (for example `7d`).
    #[arg(long, value_parser = parse_age)]
    pub(crate) older_than: Option<std::time::Duration>,
    /// Only invitations to this address (repeatable).
    #[arg(long)]
    pub(crate) email: Vec<String>,
    /// Only invitations to the addresses of this CSV file (`-` for standard input): its
    /// address column is found by its header (or --column); other columns are not read.
    #[arg(long)]
    pub(crate) csv: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) read: CsvOpts,
    /// Record each revoked invitation here; a rerun with the same journal skips them.
    #[arg(long)]
    pub(crate) journal: Option<PathBuf>,
    /// Select and print what would be revoked; revoke nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// How much faster than real time the service's rate-limit windows pass (to match an
    /// emulator started with --time-scale).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) time_scale: f64,
}

/// `7d`, `12h`, `30m`, `90s`, `2w`.
pub(crate) fn parse_age(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not an age: a number and a unit, such as 7d"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(format!("`{s}`: the unit is one of s, m, h, d, w")),
    };
    n.checked_mul(secs)
        .map(std::time::Duration::from_secs)
        .ok_or_else(|| format!("`{s}` is too long"))
}
