//! `apply PLAN`: exactly what a saved plan says. Each address is checked again first: one
//! that changed under the plan is a conflict, not acted on; one that already is as planned (an
//! earlier, interrupted apply) is done. Invitations go through the bulk engine (budgets,
//! journal, exactly-once settling, Ctrl-C and resume); revocations one by one.

use super::*;
use crate::plan::{Action, Entry, Plan, Seen, differences, load, read_state, service_of};
use clerk_invitations::bulk::Invitee;
use std::collections::{BTreeSet, HashMap, HashSet};

#[derive(Args)]
pub(crate) struct ApplyArgs {
    /// The plan saved by `plan --out`.
    pub(crate) plan: PathBuf,
    /// The journal of the invitations sent (default: the plan's path with `.journal`
    /// added). An interrupted apply resumes from it: run the same command again.
    #[arg(long)]
    pub(crate) journal: Option<PathBuf>,
    /// The service's clock runs this much faster than real time (for an emulator started
    /// with the same time scale).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) time_scale: f64,
}

/// What the second look found for an entry.
enum Check {
    /// As the plan found it: act.
    Act,
    /// Already as the plan would leave it.
    Done(String),
    /// Changed under the plan: not acted on.
    Conflict(String),
}

/// The second look at an entry, against what the service holds now.
fn check(entry: &Entry, now: &[Seen]) -> Check {
    match entry.action {
        Action::Invite => {
            let planned: HashSet<&str> = entry.seen_ids.iter().map(String::as_str).collect();
            for s in now.iter().filter(|s| !planned.contains(s.id.as_str())) {
                match s.status.as_str() {
                    "pending" if differences(&entry.asked, s).is_empty() => {
                        return Check::Done(s.id.clone());
                    }
                    "pending" | "accepted" => {
                        return Check::Conflict(format!(
                            "since the plan, {} is {} ({})",
                            entry.asked.email, s.status, s.id
                        ));
                    }
                    _ => {}
                }
            }
            if let Some(s) = now
                .iter()
                .find(|s| planned.contains(s.id.as_str()) && s.status == "accepted")
            {
                return Check::Conflict(format!("since the plan, {} was accepted", s.id));
            }
            Check::Act
        }
        Action::Revoke => {
            let Some(id) = entry.invitation.as_ref().map(|s| s.id.as_str()) else {
                return Check::Conflict("the plan names no invitation to revoke".into());
            };
            match now.iter().find(|s| s.id == id).map(|s| s.status.as_str()) {
                Some("pending") => Check::Act,
                Some("revoked") | None => Check::Done(id.to_string()),
                Some(other) => Check::Conflict(format!("since the plan, {id} is {other}")),
            }
        }
        Action::None => Check::Done(String::new()),
    }
}

/// One outcome line: `kind`, the address, a detail.
fn line(out: &Output, kind: &str, email: &str, detail: &str) {
    out.json_or(
        &serde_json::json!({"outcome": kind, "email": email, "detail": detail}),
        || tsv(&[kind, email, detail]),
    );
}

pub(crate) async fn apply(clerk: &Clerk, out: &Output, args: ApplyArgs) -> Result<u8, Failure> {
    let (plan, plan_digest): (Plan, String) = load(&args.plan)?;
    if plan.service != service_of(clerk) || plan.key != clerk.key_fingerprint() {
        return Err(fail(
            5,
            format!(
                "the plan was made for {} with key {}, not {} with key {}: plan again for this service and key",
                esc(&plan.service),
                plan.key,
                esc(&service_of(clerk)),
                clerk.key_fingerprint()
            ),
        ));
    }
    let acting: Vec<&Entry> = plan
        .entries
        .iter()
        .filter(|e| e.action != Action::None)
        .collect();
    let targets: BTreeSet<Option<String>> = acting
        .iter()
        .map(|e| e.asked.organization.clone())
        .collect();
    let state = read_state(clerk, &targets).await?;
    let none = HashMap::new();
    let mut failures = 0u64;
    let mut to_invite: Vec<&Entry> = Vec::new();
    let mut to_revoke: Vec<&Entry> = Vec::new();
    for e in &acting {
        let now = state
            .get(&e.asked.organization)
            .unwrap_or(&none)
            .get(&e.asked.email)
            .map_or(&[][..], Vec::as_slice);
        match (check(e, now), e.action) {
            (Check::Act, Action::Invite) => to_invite.push(e),
            (Check::Act, _) => to_revoke.push(e),
            (Check::Done(id), Action::Invite) => {
                line(out, "already_as_planned", &e.asked.email, &id)
            }
            (Check::Done(id), _) => line(out, "already_revoked", &e.asked.email, &id),
            (Check::Conflict(why), _) => {
                failures += 1;
                line(out, "conflict", &e.asked.email, &why);
            }
        }
    }

    // Ctrl-C or SIGTERM: stop after what is in flight.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let watcher = tokio::spawn(async move {
        interrupted().await;
        eprintln!("stopping after the request in flight (interrupt again to exit at once)");
        let _ = stop_tx.send(true);
        interrupted().await;
        std::process::exit(i32::from(EXIT_INTERRUPTED));
    });
    let journal = args.journal.clone().unwrap_or_else(|| {
        let mut p = args.plan.clone().into_os_string();
        p.push(".journal");
        PathBuf::from(p)
    });
    let mut interrupted_run = false;
    let mut by_target: Vec<(Option<String>, Vec<&Entry>)> = Vec::new();
    for e in to_invite {
        match by_target
            .iter_mut()
            .find(|(t, _)| *t == e.asked.organization)
        {
            Some((_, v)) => v.push(e),
            None => by_target.push((e.asked.organization.clone(), vec![e])),
        }
    }
    let several = by_target.len() > 1;
    for (target, entries) in by_target {
        let (mut run, limits) = match &target {
            Some(org) => {
                let role = entries[0].asked.role.clone().unwrap_or_default();
                let mut run = BulkInvite::organization(clerk, org.clone(), role);
                if let Some(u) = &plan.inviter {
                    run = run.inviter_user_id(u.clone());
                }
                (run, BulkLimits::organization())
            }
            None => (BulkInvite::application(clerk), BulkLimits::application()),
        };
        let mut path = journal.clone().into_os_string();
        if several {
            path.push(format!(".{}", target.as_deref().unwrap_or("application")));
        }
        run = run
            .limits(limits.time_scale(args.time_scale))
            .journal(PathBuf::from(path))
            .input(format!("plan sha256:{plan_digest}"))
            .stop_on(stop_rx.clone());
        if plan.notify == Some(false) {
            run = run.notify(false);
        }
        let people: Vec<Invitee> = entries.iter().map(|e| e.asked.invitee()).collect();
        let mut reported: HashSet<String> = HashSet::new();
        let summary = run
            .run_invitees(people, |o| {
                reported.insert(o.email.clone());
                let detail = outcome_detail(&o.kind);
                // A user or member already there is reported, not failed: the person has
                // access. An invitation the plan did not see is a conflict found late.
                if matches!(
                    o.kind,
                    OutcomeKind::AlreadyInvited { .. }
                        | OutcomeKind::Invalid { .. }
                        | OutcomeKind::Failed { .. }
                ) {
                    failures += 1;
                }
                line(out, o.kind.name(), &o.email, &detail);
            })
            .await?;
        interrupted_run |= summary.interrupted;
        if !summary.interrupted {
            // Done by an earlier, interrupted apply (its journal says so): no outcome here.
            for e in entries
                .iter()
                .filter(|e| !reported.contains(&e.asked.email))
            {
                line(out, "done_earlier", &e.asked.email, "");
            }
        }
        if interrupted_run {
            break;
        }
    }
    if !interrupted_run {
        for e in to_revoke {
            if *stop_rx.borrow() {
                interrupted_run = true;
                break;
            }
            let id = e
                .invitation
                .as_ref()
                .map(|s| s.id.clone())
                .unwrap_or_default();
            let result = match &e.asked.organization {
                None => clerk.invitations().revoke(id.clone()).await.map(|_| ()),
                Some(org) => {
                    let mut req = clerk
                        .organization(org.clone())
                        .invitations()
                        .revoke(id.clone());
                    if let Some(u) = &plan.inviter {
                        req = req.requesting_user_id(u.clone());
                    }
                    req.await.map(|_| ())
                }
            };
            match result {
                Ok(()) => line(out, "revoked", &e.asked.email, &id),
                Err(err) => {
                    failures += 1;
                    line(out, "failed", &e.asked.email, &err.to_string());
                }
            }
        }
    }
    watcher.abort();
    if interrupted_run {
        eprintln!(
            "interrupted: resume with the same command:\n  {}",
            resume_command()
        );
        return Ok(EXIT_INTERRUPTED);
    }
    Ok(u8::from(failures > 0))
}
