//! `revoke` without an id: a clean-up campaign over the invitations the filters select.

use super::*;
use clerk_invitations::bulk::{RevocationKind, RevokeStale};

pub(crate) async fn revoke_stale(
    clerk: &Clerk,
    out: &Output,
    args: RevokeArgs,
) -> Result<u8, Failure> {
    if args.older_than.is_none() && args.email.is_empty() && args.csv.is_none() {
        return Err(fail(
            2,
            "revoke needs an invitation id, or filters: --older-than, --email or --csv",
        ));
    }
    let mut run = match &args.org {
        Some(org) => RevokeStale::organization(clerk, org.clone()),
        None => RevokeStale::application(clerk),
    };
    run = run
        .dry_run(args.dry_run)
        .limits(BulkLimits::application().time_scale(args.time_scale));
    if let Some(age) = args.older_than {
        run = run.older_than(age);
    }
    let mut emails = args.email.clone();
    if let Some(path) = &args.csv {
        let bad = Rc::new(RefCell::new(Vec::new()));
        let rows = CsvRows::open(path, &args.read, Columns::AddressOnly, bad)?;
        let stopped = rows.stopped.clone();
        emails.extend(rows.map(|r| r.email));
        if let Some(line) = stopped.get() {
            return Err(fail(
                2,
                format!("line {line}: a quote opened here is never closed; nothing was revoked"),
            ));
        }
    }
    if !emails.is_empty() {
        run = run.emails(emails);
    }
    if let Some(j) = &args.journal {
        run = run.journal(j.clone());
    }
    let started = Instant::now();
    let summary = run
        .run(|r| {
            let (kind, detail) = match &r.kind {
                RevocationKind::Revoked => ("revoked", String::new()),
                RevocationKind::NotPending => ("not_pending", String::new()),
                RevocationKind::WouldRevoke => ("would_revoke", String::new()),
                RevocationKind::Failed { error } => ("failed", error.clone()),
                _ => ("other", String::new()),
            };
            out.json_or(r, || tsv(&[kind, &r.id, &r.email, &detail]));
        })
        .await?;
    eprintln!(
        "{} selected: {} revoked, {} no longer pending, {} failed{}, {} done in an earlier run; {} requests in {:.1} s",
        summary.selected,
        summary.revoked,
        summary.not_pending,
        summary.failed,
        if args.dry_run {
            format!(", {} would be revoked", summary.would_revoke)
        } else {
            String::new()
        },
        summary.done_earlier,
        summary.requests,
        started.elapsed().as_secs_f64()
    );
    Ok(if summary.failed > 0 { 1 } else { 0 })
}
