//! A roster read whole: each row as an entry of a plan (its target, address and what its
//! invitation is to carry), with duplicates and invalid rows kept, with their lines, as
//! entries that do nothing.

use super::*;
use serde_json::{Map, Value};

/// Where and how to read a roster, and the options its rows fall back on.
#[derive(Args, Clone)]
pub(crate) struct RosterArgs {
    /// The roster: a CSV file (`-` for standard input) with a header naming an address
    /// column and what each other column holds (role, organization, redirect_url,
    /// expires_in_days, template_slug, public_metadata.KEY, private_metadata.KEY; see --map).
    pub(crate) roster: PathBuf,
    #[command(flatten)]
    pub(crate) read: CsvOpts,
    /// The organization of rows that name none (without it, such rows are application
    /// invitations).
    #[arg(long)]
    pub(crate) org: Option<String>,
    /// The role of organization rows that name none, such as `org:member`.
    #[arg(long)]
    pub(crate) role: Option<String>,
    /// The user sending the organization invitations.
    #[arg(long)]
    pub(crate) inviter: Option<String>,
    #[command(flatten)]
    pub(crate) opts: InviteOpts,
}

/// What the roster asks for one address, or why a row asks nothing.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct Asked {
    /// The row's line in the roster (`None` for invitations the roster does not list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) line: Option<u64>,
    pub(crate) email: String,
    /// The organization (`None`: an application invitation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) role: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) public_metadata: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) private_metadata: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) redirect_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_in_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) template_slug: Option<String>,
}

impl Asked {
    /// An entry for `email` that asks for nothing beyond an invitation.
    pub(crate) fn blank(line: Option<u64>, email: String, organization: Option<String>) -> Self {
        Asked {
            line,
            email,
            organization,
            role: None,
            public_metadata: Map::new(),
            private_metadata: Map::new(),
            redirect_url: None,
            expires_in_days: None,
            template_slug: None,
        }
    }

    /// The invitee a bulk run sends for this entry.
    pub(crate) fn invitee(&self) -> clerk_invitations::bulk::Invitee {
        let mut p = clerk_invitations::bulk::Invitee::new(self.email.clone())
            .public_metadata(self.public_metadata.clone())
            .private_metadata(self.private_metadata.clone());
        if let Some(r) = &self.role {
            p = p.role(r.clone());
        }
        if let Some(u) = &self.redirect_url {
            p = p.redirect_url(u.clone());
        }
        if let Some(d) = self.expires_in_days {
            p = p.expires_in_days(d);
        }
        if let Some(t) = &self.template_slug {
            p = p.template_slug(t.as_str());
        }
        p
    }
}

/// A roster's rows: those that ask for an invitation, and those that cannot (a duplicate or
/// an invalid row, with why).
pub(crate) struct Roster {
    pub(crate) asked: Vec<Asked>,
    pub(crate) refused: Vec<(Asked, RowState, String)>,
    /// The SHA-256 of the file as read (hex).
    pub(crate) sha256: String,
}

/// Why a row asks nothing.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RowState {
    Duplicate,
    Invalid,
}

/// The SHA-256 of some bytes, in hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A file's bytes.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| {
        fail(
            2,
            format!("cannot read {}: {e}", esc(&path.display().to_string())),
        )
    })
}

impl Roster {
    /// Reads the whole roster from its file, once: its digest is of exactly the rows read.
    /// Standard input is refused (`apply` must be able to read the file again).
    ///
    /// # Errors
    /// An unreadable file, or a header that does not say what its columns hold.
    pub(crate) fn read(args: &RosterArgs) -> Result<Roster, Failure> {
        if args.roster == Path::new("-") {
            return Err(fail(
                2,
                "a plan needs its roster as a file (apply checks that the file did not change): save standard input to a file first",
            ));
        }
        // Read once: the digest is of exactly the rows planned.
        let bytes = read_file(&args.roster)?;
        let sha256 = sha256_hex(&bytes);
        let bad = Rc::new(RefCell::new(Vec::new()));
        let rows = CsvRows::from_reader(
            &esc(&args.roster.display().to_string()),
            Box::new(std::io::Cursor::new(bytes)),
            &args.read,
            Columns::Mapped,
            bad.clone(),
        )?;
        let stopped = rows.stopped.clone();
        let mut asked: Vec<Asked> = Vec::new();
        let mut refused = Vec::new();
        let mut seen: std::collections::HashMap<(Option<String>, String), u64> =
            std::collections::HashMap::new();
        for row in rows {
            let email = clerk_invitations::address::normalize(&row.email);
            let mut entry = Asked::blank(Some(row.line), email, None);
            match to_asked(args, &row, &mut entry) {
                Err(why) => refused.push((entry, RowState::Invalid, why)),
                Ok(()) => {
                    let key = (entry.organization.clone(), entry.email.clone());
                    if let Some(first) = seen.get(&key) {
                        let why = format!("the address is on line {first} already");
                        refused.push((entry, RowState::Duplicate, why));
                    } else {
                        seen.insert(key, row.line);
                        asked.push(entry);
                    }
                }
            }
        }
        if let Some(line) = stopped.get() {
            return Err(fail(
                2,
                format!(
                    "{} line {line}: a quote opened here is never closed; fix the file and plan again",
                    esc(&args.roster.display().to_string())
                ),
            ));
        }
        for o in bad.borrow().iter() {
            let line = o
                .email
                .trim_start_matches("(line ")
                .trim_end_matches(')')
                .parse()
                .ok();
            let why = match &o.kind {
                OutcomeKind::Invalid { reason } => reason.clone(),
                _ => String::new(),
            };
            let entry = Asked::blank(line, String::new(), None);
            refused.push((entry, RowState::Invalid, why));
        }
        refused.sort_by_key(|(a, _, _)| a.line);
        Ok(Roster {
            asked,
            refused,
            sha256,
        })
    }
}

/// Fills `entry` from a row and the roster's options; why the row cannot be invited, if it
/// cannot.
fn to_asked(args: &RosterArgs, row: &Row, entry: &mut Asked) -> Result<(), String> {
    clerk_invitations::address::check(&entry.email).map_err(|e| e.to_string())?;
    let (person, organization) = invitee(&entry.email, &row.fields)?;
    entry.organization = organization.or_else(|| args.org.clone());
    let base = |m: &Option<Map<String, Value>>| m.clone().unwrap_or_default();
    let mut public = base(&args.opts.public_metadata);
    public.extend(person.public_metadata);
    let mut private = base(&args.opts.private_metadata);
    private.extend(person.private_metadata);
    entry.public_metadata = public;
    entry.private_metadata = private;
    entry.redirect_url = person
        .redirect_url
        .or_else(|| args.opts.redirect_url.clone());
    entry.expires_in_days = person.expires_in_days.or(args.opts.expires_in_days);
    entry.template_slug = person.template_slug.as_ref().map(ToString::to_string);
    if let Some(d) = entry.expires_in_days
        && !clerk_invitations::EXPIRES_IN_DAYS_RANGE.contains(&d)
    {
        let r = clerk_invitations::EXPIRES_IN_DAYS_RANGE;
        return Err(format!(
            "expires_in_days {d} is out of range ({} to {})",
            r.start(),
            r.end()
        ));
    }
    match &entry.organization {
        Some(_) => {
            entry.role = person.role.or_else(|| args.role.clone());
            if entry.role.is_none() {
                return Err(
                    "an organization invitation needs a role: a role column or --role".into(),
                );
            }
            if entry.template_slug.is_some() {
                return Err("a template applies to application invitations only".into());
            }
        }
        None => {
            if person.role.is_some() {
                return Err("a role applies to organization invitations only (an organization column or --org)".into());
            }
            if !entry.private_metadata.is_empty() {
                return Err("private metadata applies to organization invitations only".into());
            }
        }
    }
    Ok(())
}
