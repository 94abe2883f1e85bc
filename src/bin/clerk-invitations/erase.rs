//! `delete ID...` and `erase`: deleting application invitations, by id or by address.

use super::*;
use clerk_invitations::bulk::{Erase, ErasureKind};

/// Deletes each id; prints one line per invitation. A failure does not stop the others.
pub(crate) async fn delete(clerk: &Clerk, out: &Output, ids: Vec<String>) -> Result<u8, Failure> {
    let mut code = 0;
    for id in ids {
        match clerk.invitations().delete(&id).await {
            Ok(d) => out.json_or(
                &serde_json::json!({"id": d.id, "deleted": true, "already_gone": d.already_gone}),
                || tsv(&["deleted", &d.id]),
            ),
            Err(e) => {
                let f = Failure::from(e);
                eprintln!("error: {}: {}", esc(&id), esc(&f.message));
                if f.code == 3 || f.code == 4 {
                    return Err(f);
                }
                code = code.max(f.code);
            }
        }
    }
    Ok(code)
}

/// Erases every address: one line per deleted (or, dry, found) invitation, then one per
/// address; the counts on standard error.
pub(crate) async fn erase(clerk: &Clerk, out: &Output, args: EraseArgs) -> Result<u8, Failure> {
    let bad = Rc::new(RefCell::new(Vec::new()));
    let mut stopped = None;
    let emails: Box<dyn Iterator<Item = String>> = match &args.csv {
        Some(path) => {
            let rows = CsvRows::open(path, &args.read, Columns::AddressOnly, bad.clone())?;
            stopped = Some(rows.stopped.clone());
            Box::new(rows.map(|r| r.email))
        }
        None => Box::new(args.email.clone().into_iter()),
    };
    let mut run = Erase::new(clerk)
        .dry_run(args.dry_run)
        .limits(BulkLimits::application().time_scale(args.time_scale));
    if let Some(j) = &args.journal {
        run = run.journal(j.clone());
    }
    let summary = run
        .run(emails, |e| {
            if out.json {
                out.json_or(e, String::new);
                return;
            }
            let mut stdout = std::io::stdout().lock();
            match &e.kind {
                ErasureKind::Erased { ids } => {
                    for id in ids {
                        let _ = writeln!(stdout, "{}", tsv(&["deleted", &e.email, id]));
                    }
                    let _ = writeln!(
                        stdout,
                        "{}",
                        tsv(&["erased", &e.email, &format!("{} invitation(s)", ids.len())])
                    );
                }
                ErasureKind::WouldErase { ids } => {
                    for id in ids {
                        let _ = writeln!(stdout, "{}", tsv(&["would_delete", &e.email, id]));
                    }
                    let _ = writeln!(
                        stdout,
                        "{}",
                        tsv(&[
                            "would_erase",
                            &e.email,
                            &format!("{} invitation(s)", ids.len())
                        ])
                    );
                }
                ErasureKind::Invalid { reason } => {
                    let _ = writeln!(stdout, "{}", tsv(&["invalid", &e.email, reason]));
                }
                ErasureKind::Failed { error, ids } => {
                    for id in ids {
                        let _ = writeln!(stdout, "{}", tsv(&["deleted", &e.email, id]));
                    }
                    let _ = writeln!(stdout, "{}", tsv(&["failed", &e.email, error]));
                }
                _ => {}
            }
        })
        .await?;
    let malformed = bad.borrow().len() as u64;
    for o in bad.borrow().iter() {
        let reason = match &o.kind {
            OutcomeKind::Invalid { reason } => reason.as_str(),
            _ => "",
        };
        out.json_or(o, || tsv(&["invalid", &o.email, reason]));
    }
    eprintln!(
        "{} address(es) erased ({} with no invitation), {} invitation(s) deleted{}, {} invalid, {} failed, {} done in an earlier run, {} duplicate(s) in the input; {} request(s)",
        summary.erased,
        summary.none_found,
        summary.invitations_deleted,
        if args.dry_run {
            format!(" ({} would be deleted)", summary.would_delete)
        } else {
            String::new()
        },
        summary.invalid + malformed,
        summary.failed,
        summary.done_earlier,
        summary.duplicates_in_input,
        summary.requests,
    );
    if let Some(line) = stopped.and_then(|s| s.get()) {
        return Err(fail(
            2,
            format!(
                "line {line}: a quote opened here is never closed, so the rows after it would be read as one; reading stopped there"
            ),
        ));
    }
    Ok(if summary.failed + summary.invalid + malformed > 0 {
        1
    } else {
        0
    })
}
