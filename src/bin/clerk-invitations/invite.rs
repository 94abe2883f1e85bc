//! `invite --csv`: a bulk run with progress, a journal and a summary.

use super::*;

pub(crate) async fn invite(
    clerk: &Clerk,
    out: &Output,
    args: InviteArgs,
    emulator: bool,
) -> Result<u8, Failure> {
    if args.dry_run {
        // A dry run is the plan of the file against the service: it asks, and sends nothing.
        let roster = crate::roster::RosterArgs {
            roster: args.csv.clone(),
            read: args.read.clone(),
            org: args.org.clone(),
            role: args.role.clone(),
            inviter: args.inviter.clone(),
            opts: args.opts.clone(),
        };
        let plan = crate::plan::compute(clerk, &roster, false).await?;
        crate::plan::print_plan(out, &plan);
        let invalid = plan
            .entries
            .iter()
            .any(|e| e.state == crate::plan::State::Invalid);
        return Ok(u8::from(invalid));
    }
    let bad = Rc::new(RefCell::new(Vec::new()));
    let rows = CsvRows::open(&args.csv, &args.read, Columns::Mapped, bad.clone())?;
    let stopped = rows.stopped.clone();
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
        run = run.journal(j.clone()).input(args.csv.display().to_string());
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
    if let Some(m) = &args.opts.public_metadata {
        run = run.public_metadata(m.clone());
    }
    if let Some(m) = &args.opts.private_metadata {
        run = run.private_metadata(m.clone());
    }

    // On a terminal: a bar whose total is the file's data rows (no header), less what the
    // journal already holds, or a running count for a pipe (which is never read twice).
    let mut display = Display::new(
        count_rows(&args.csv, &args.read),
        args.dry_run,
        limits.max_rate(),
    );
    if let Some(hook) = display.hook() {
        run = run.on_progress(hook);
    }
    let notice = display.notice();
    let started = Instant::now();
    let mut seen: u64 = 0;
    let mut emit = |o: &Outcome| {
        seen += 1;
        let line = if out.json {
            serde_json::to_string(o).unwrap_or_default()
        } else {
            let detail = outcome_detail(&o.kind);
            tsv(&[o.kind.name(), &o.email, &detail])
        };
        display.outcome(&line, !matches!(o.kind, OutcomeKind::Invalid { .. }));
    };
    // Ctrl-C or SIGTERM: stop sending, finish and journal what is in flight, print the counts
    // and how to resume. A second one exits at once (the journal is flushed after every
    // request, so it stays consistent either way).
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let watcher = tokio::spawn(async move {
        interrupted().await;
        notice("stopping after the request in flight (interrupt again to exit at once)");
        let _ = stop_tx.send(true);
        interrupted().await;
        std::process::exit(i32::from(EXIT_INTERRUPTED));
    });
    run = run.stop_on(stop_rx);
    // Each row as an invitee; a row whose cells are not values of their fields is invalid.
    let org = args.org.clone();
    let rows_bad = bad.clone();
    let people = rows.filter_map(move |row| {
        let checked = invitee(&row.email, &row.fields).and_then(|(person, row_org)| match row_org
        {
            Some(o) if Some(&o) != org.as_ref() => Err(format!(
                "organization `{}`: a run invites to one organization (--org); a roster across organizations goes through `plan` and `apply`",
                o.escape_debug()
            )),
            _ => Ok(person),
        });
        match checked {
            Ok(person) => Some(person),
            Err(why) => {
                rows_bad.borrow_mut().push(malformed(row.line, &why));
                None
            }
        }
    });
    let result = run
        .run_invitees(people, |o| {
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
    watcher.abort();
    let interrupted_run = result.as_ref().is_ok_and(|s| s.interrupted);
    display.finish(interrupted_run);
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
    if summary.interrupted {
        let resume = match &args.journal {
            Some(_) => format!(
                "interrupted: resume with the same command and journal:\n  {}",
                resume_command()
            ),
            None => "interrupted: without --journal, rerun the command; addresses already invited are answered as already invited".to_string(),
        };
        eprintln!("{resume}");
        return Ok(EXIT_INTERRUPTED);
    }
    if let Some(line) = stopped.get() {
        return Err(fail(
            2,
            format!(
                "{} line {line}: a quote opened here is never closed, so the rows after it would be read as one; reading stopped there (the rows before it were handled; fix the file and run again with the same journal)",
                esc(&args.csv.display().to_string())
            ),
        ));
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
pub(crate) fn count_malformed(seen: u64, s: &Summary) -> u64 {
    let engine = s.invited
        + s.already_invited
        + s.already_user
        + s.already_member
        + s.invalid
        + s.failed
        + s.would_invite;
    seen.saturating_sub(engine)
}

/// The exit code of a run stopped by Ctrl-C or SIGTERM.
pub(crate) const EXIT_INTERRUPTED: u8 = 6;

/// Ctrl-C, or SIGTERM where there is one.
pub(crate) async fn interrupted() {
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// This process's command line, quoted for a POSIX shell.
pub(crate) fn resume_command() -> String {
    std::env::args()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+%".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .map(|a| esc(&a).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
