//! `plan ROSTER`: what applying a roster would do, checked against the service's invitations,
//! per address; `--out` saves it for `apply`, with the state it was computed from.

use super::*;
use crate::roster::{Asked, Roster, RosterArgs, RowState, read_file, sha256_hex};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub(crate) roster: RosterArgs,
    /// Also revoke the pending invitations of the roster's targets (its organizations, or the
    /// application) whose address the roster does not list.
    #[arg(long)]
    pub(crate) prune: bool,
    /// Save the plan here (JSON), for `apply`.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}

/// An invitation the service holds, as a plan records it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct Seen {
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) role: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) public_metadata: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) private_metadata: Map<String, Value>,
}

/// What the service holds for an address, as a plan found it.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub(crate) enum State {
    /// No invitation.
    New,
    /// The newest invitation was revoked.
    Revoked,
    /// The newest invitation expired.
    Expired,
    /// A pending invitation with what the roster asks.
    Pending,
    /// A pending invitation with another role or other metadata.
    PendingDiffers,
    /// An accepted invitation.
    Accepted,
    /// A pending invitation the roster does not list (with `--prune`).
    NotInRoster,
    Duplicate,
    Invalid,
}

/// What applying does for an entry.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Action {
    Invite,
    Revoke,
    None,
}

/// One address of a plan.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct Entry {
    pub(crate) action: Action,
    pub(crate) state: State,
    #[serde(flatten)]
    pub(crate) asked: Asked,
    /// The invitation the state is about (the pending, accepted or newest one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) invitation: Option<Seen>,
    /// Every invitation id the service held for the address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) seen_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) detail: Option<String>,
}

/// The roster a plan was computed from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct RosterRef {
    pub(crate) path: PathBuf,
    pub(crate) sha256: String,
}

/// A saved plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Plan {
    pub(crate) format: String,
    pub(crate) roster: RosterRef,
    /// The service (base URL, without any password) and a fingerprint of the key.
    pub(crate) service: String,
    pub(crate) key: String,
    /// When the plan was computed (Unix ms, this machine's clock).
    pub(crate) computed_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) notify: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) inviter: Option<String>,
    pub(crate) entries: Vec<Entry>,
}

pub(crate) const PLAN_FORMAT: &str = "clerk-invitations plan 1";

/// The service's invitations per target (`None`: the application) and address.
pub(crate) type Holdings = HashMap<Option<String>, HashMap<String, Vec<Seen>>>;

/// Reads every invitation of `targets`, all pages, in every status.
pub(crate) async fn read_state(
    clerk: &Clerk,
    targets: &BTreeSet<Option<String>>,
) -> Result<Holdings, Failure> {
    let mut all: Holdings = HashMap::new();
    for target in targets {
        let mut by_address: HashMap<String, Vec<Seen>> = HashMap::new();
        let mut add = |email: &str, s: Seen| {
            by_address
                .entry(clerk_invitations::address::normalize(email))
                .or_default()
                .push(s);
        };
        let limit = *clerk_invitations::LIMIT_RANGE.end();
        match target {
            None => {
                // Without a status the service leaves revoked invitations out: two walks.
                for revoked in [false, true] {
                    let mut req = clerk.invitations().list().limit(limit);
                    if revoked {
                        req = req.status(InvitationStatus::Revoked);
                    }
                    let mut items = req.stream();
                    while let Some(i) = items.try_next().await? {
                        if revoked != (i.status == InvitationStatus::Revoked) {
                            continue;
                        }
                        add(
                            &i.email_address,
                            Seen {
                                id: i.id,
                                status: i.status.to_string(),
                                created_at: i.created_at,
                                role: None,
                                public_metadata: i.public_metadata,
                                private_metadata: Map::new(),
                            },
                        );
                    }
                }
            }
            Some(org) => {
                let mut items = clerk
                    .organization(org.clone())
                    .invitations()
                    .list()
                    .limit(limit)
                    .stream();
                while let Some(i) = items.try_next().await? {
                    add(
                        &i.email_address,
                        Seen {
                            id: i.id,
                            status: i.status.to_string(),
                            created_at: i.created_at,
                            role: Some(i.role),
                            public_metadata: i.public_metadata,
                            private_metadata: i.private_metadata,
                        },
                    );
                }
            }
        }
        all.insert(target.clone(), by_address);
    }
    Ok(all)
}

/// How a pending invitation differs from what the roster asks (nothing: the same).
pub(crate) fn differences(asked: &Asked, p: &Seen) -> Vec<String> {
    let mut d = Vec::new();
    if asked.organization.is_some() && asked.role != p.role {
        d.push(format!(
            "role {}, the roster says {}",
            p.role.as_deref().unwrap_or("none"),
            asked.role.as_deref().unwrap_or("none")
        ));
    }
    if asked.public_metadata != p.public_metadata {
        d.push(format!(
            "public metadata {}, the roster says {}",
            Value::Object(p.public_metadata.clone()),
            Value::Object(asked.public_metadata.clone())
        ));
    }
    if asked.organization.is_some() && asked.private_metadata != p.private_metadata {
        d.push("private metadata differs from the roster's".into());
    }
    d
}

/// What the service's invitations of an address mean for what the roster asks.
pub(crate) fn classify(
    asked: &Asked,
    seen: &[Seen],
) -> (State, Action, Option<Seen>, Option<String>) {
    let newest = |status: &str| {
        seen.iter()
            .filter(|s| s.status == status)
            .max_by_key(|s| s.created_at)
            .cloned()
    };
    if let Some(p) = newest("pending") {
        let d = differences(asked, &p);
        return if d.is_empty() {
            (State::Pending, Action::None, Some(p), None)
        } else {
            (
                State::PendingDiffers,
                Action::None,
                Some(p),
                Some(d.join("; ")),
            )
        };
    }
    if let Some(a) = newest("accepted") {
        return (State::Accepted, Action::None, Some(a), None);
    }
    match seen.iter().max_by_key(|s| s.created_at) {
        Some(s) if s.status == "revoked" => (State::Revoked, Action::Invite, Some(s.clone()), None),
        Some(s) if s.status == "expired" => (State::Expired, Action::Invite, Some(s.clone()), None),
        _ => (State::New, Action::Invite, None, None),
    }
}

/// The plan of a roster against the service.
pub(crate) async fn compute(
    clerk: &Clerk,
    args: &RosterArgs,
    prune: bool,
) -> Result<Plan, Failure> {
    let roster = Roster::read(args)?;
    let mut targets: BTreeSet<Option<String>> = roster
        .asked
        .iter()
        .map(|a| a.organization.clone())
        .collect();
    if targets.is_empty() {
        targets.insert(args.org.clone());
    }
    let state = read_state(clerk, &targets).await?;
    let none = HashMap::new();
    let mut entries = Vec::new();
    for asked in roster.asked {
        let seen = state
            .get(&asked.organization)
            .unwrap_or(&none)
            .get(&asked.email)
            .map_or(&[][..], Vec::as_slice);
        let (state, action, invitation, detail) = classify(&asked, seen);
        entries.push(Entry {
            action,
            state,
            seen_ids: seen.iter().map(|s| s.id.clone()).collect(),
            asked,
            invitation,
            detail,
        });
    }
    // Every address of the roster, valid rows or not, is kept from pruning.
    let listed: BTreeSet<(Option<String>, String)> = entries
        .iter()
        .map(|e| (e.asked.organization.clone(), e.asked.email.clone()))
        .chain(roster.refused.iter().flat_map(|(a, _, _)| {
            targets
                .iter()
                .map(|t| (t.clone(), a.email.clone()))
                .collect::<Vec<_>>()
        }))
        .collect();
    for (asked, row_state, why) in roster.refused {
        entries.push(Entry {
            action: Action::None,
            state: match row_state {
                RowState::Duplicate => State::Duplicate,
                RowState::Invalid => State::Invalid,
            },
            asked,
            invitation: None,
            seen_ids: Vec::new(),
            detail: Some(why),
        });
    }
    if prune {
        for (target, by_address) in &state {
            let mut stale: Vec<(&String, &Seen)> = by_address
                .iter()
                .filter(|(email, _)| !listed.contains(&(target.clone(), (*email).clone())))
                .flat_map(|(email, seen)| {
                    seen.iter()
                        .filter(|s| s.status == "pending")
                        .map(move |s| (email, s))
                })
                .collect();
            stale.sort_by(|a, b| a.0.cmp(b.0).then(a.1.created_at.cmp(&b.1.created_at)));
            for (email, s) in stale {
                entries.push(Entry {
                    action: Action::Revoke,
                    state: State::NotInRoster,
                    asked: Asked::blank(None, email.clone(), target.clone()),
                    seen_ids: vec![s.id.clone()],
                    invitation: Some(s.clone()),
                    detail: None,
                });
            }
        }
    }
    Ok(Plan {
        format: PLAN_FORMAT.into(),
        roster: RosterRef {
            path: std::path::absolute(&args.roster).unwrap_or(args.roster.clone()),
            sha256: roster.sha256,
        },
        service: service_of(clerk),
        key: clerk.key_fingerprint(),
        computed_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        notify: args.opts.no_notify.then_some(false),
        inviter: args.inviter.clone(),
        entries,
    })
}

/// The client's base URL without any password, as a plan records it.
pub(crate) fn service_of(clerk: &Clerk) -> String {
    match reqwest::Url::parse(clerk.base_url()) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            let _ = u.set_username("");
            u.to_string()
        }
        Err(_) => "(unparsable base URL)".into(),
    }
}

/// `plan`: prints the plan (one line per address, then the counts) and saves it with `--out`.
pub(crate) async fn plan(clerk: &Clerk, out: &Output, args: PlanArgs) -> Result<u8, Failure> {
    let plan = compute(clerk, &args.roster, args.prune).await?;
    print_plan(out, &plan);
    if let Some(path) = &args.out {
        save(path, &plan)?;
        eprintln!(
            "saved to {}: apply it with `clerk-invitations apply {}`",
            esc(&path.display().to_string()),
            esc(&path.display().to_string())
        );
    }
    let invalid = plan.entries.iter().any(|e| e.state == State::Invalid);
    Ok(u8::from(invalid))
}

/// One line per entry (JSON lines with `--json`), then the counts.
pub(crate) fn print_plan(out: &Output, plan: &Plan) {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for e in &plan.entries {
        *counts.entry(name(e.state)).or_default() += 1;
        out.json_or(e, || {
            let where_ = match &e.asked.line {
                Some(l) => format!("line {l}"),
                None => String::new(),
            };
            let id = e.invitation.as_ref().map_or("", |s| s.id.as_str());
            tsv(&[
                action_name(e.action),
                &name(e.state),
                &e.asked.email,
                e.asked.organization.as_deref().unwrap_or(""),
                id,
                &where_,
                e.detail.as_deref().unwrap_or(""),
            ])
        });
    }
    let count = |a: Action| plan.entries.iter().filter(|e| e.action == a).count();
    let (invite, revoke) = (count(Action::Invite), count(Action::Revoke));
    if out.json {
        let _ = writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::json!({"plan": {"invite": invite, "revoke": revoke, "states": counts}})
        );
    } else {
        let states = counts
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ");
        eprintln!("plan: {invite} to invite, {revoke} to revoke ({states})");
    }
}

fn name(s: State) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::Invite => "invite",
        Action::Revoke => "revoke",
        Action::None => "none",
    }
}

/// Writes a plan, `0600` on Unix (it holds addresses).
fn save(path: &Path, plan: &Plan) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(plan).map_err(|e| fail(3, e.to_string()))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let shown = esc(&path.display().to_string()).into_owned();
    let mut f = opts
        .open(path)
        .map_err(|e| fail(3, format!("cannot write {shown}: {e}")))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .map_err(|e| fail(3, format!("cannot write {shown}: {e}")))
}

/// Reads a saved plan, checking that its roster did not change since; with the plan's own
/// SHA-256 (hex).
pub(crate) fn load(path: &Path) -> Result<(Plan, String), Failure> {
    let shown = esc(&path.display().to_string()).into_owned();
    let bytes = read_file(path)?;
    let plan: Plan = serde_json::from_slice(&bytes)
        .map_err(|e| fail(2, format!("{shown} is not a saved plan: {e}")))?;
    if plan.format != PLAN_FORMAT {
        return Err(fail(
            2,
            format!(
                "{shown}: a plan of another format ({})",
                plan.format.escape_debug()
            ),
        ));
    }
    if sha256_hex(&read_file(&plan.roster.path)?) != plan.roster.sha256 {
        return Err(fail(
            2,
            format!(
                "the roster {} changed since the plan was made: run `plan` again",
                esc(&plan.roster.path.display().to_string())
            ),
        ));
    }
    Ok((plan, sha256_hex(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn asked(org: Option<&str>, role: Option<&str>, team: Option<&str>) -> Asked {
        Asked {
            line: Some(2),
            email: "a@x.co".into(),
            organization: org.map(Into::into),
            role: role.map(Into::into),
            public_metadata: team
                .map(|t| json!({"team": t}).as_object().cloned().unwrap_or_default())
                .unwrap_or_default(),
            private_metadata: Map::new(),
            redirect_url: None,
            expires_in_days: None,
            template_slug: None,
        }
    }

    fn seen(id: &str, status: &str, at: i64, role: Option<&str>, team: Option<&str>) -> Seen {
        Seen {
            id: id.into(),
            status: status.into(),
            created_at: at,
            role: role.map(Into::into),
            public_metadata: asked(None, None, team).public_metadata,
            private_metadata: Map::new(),
        }
    }

    #[test]
    fn each_state_of_an_address_is_told_apart() {
        let a = asked(Some("org_1"), Some("org:member"), Some("blue"));
        let state = |s: &[Seen]| classify(&a, s).0;
        assert_eq!(state(&[]), State::New);
        assert_eq!(
            state(&[seen("i1", "pending", 1, Some("org:member"), Some("blue"))]),
            State::Pending
        );
        let (s, act, _, d) = classify(
            &a,
            &[seen("i1", "pending", 1, Some("org:admin"), Some("blue"))],
        );
        assert_eq!((s, act), (State::PendingDiffers, Action::None));
        assert!(d.unwrap().contains("role org:admin"));
        assert_eq!(
            state(&[seen("i1", "pending", 1, Some("org:member"), Some("red"))]),
            State::PendingDiffers
        );
        assert_eq!(
            state(&[seen("i1", "accepted", 1, None, None)]),
            State::Accepted
        );
        let (s, act, inv, _) = classify(
            &a,
            &[
                seen("old", "expired", 1, None, None),
                seen("new", "revoked", 2, None, None),
            ],
        );
        assert_eq!((s, act), (State::Revoked, Action::Invite));
        assert_eq!(inv.unwrap().id, "new", "the newest decides");
        assert_eq!(
            state(&[seen("i", "expired", 1, None, None)]),
            State::Expired
        );
    }

    #[test]
    fn an_application_invitation_compares_public_metadata_only() {
        let a = asked(None, None, None);
        assert_eq!(
            classify(&a, &[seen("i", "pending", 1, None, None)]).0,
            State::Pending
        );
    }
}
