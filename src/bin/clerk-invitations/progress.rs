//! The progress display of a bulk run, on standard error when it is a terminal. Outcome lines
//! go to standard output whatever standard error is (a file, a pipe, the same terminal).

use super::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why a run waits, and until when.
#[derive(Clone, Copy)]
struct Wait {
    until: Instant,
    /// The service answered 429, rather than the run pacing itself within the limits.
    service: bool,
}

/// A progress bar (or, for input read once, a running count) that ticks through waits,
/// stops at the true count when interrupted, and fits the terminal's width.
pub(crate) struct Display {
    bar: Option<indicatif::ProgressBar>,
    wait: Arc<Mutex<Option<Wait>>>,
    ticker: Option<tokio::task::JoinHandle<()>>,
    dry_run: bool,
    started: Instant,
    max_rate: f64,
    sent: u64,
}

impl Display {
    /// A display for `total` rows (`None`: unknown), shown if standard error is a terminal.
    pub(crate) fn new(total: Option<u64>, dry_run: bool, max_rate: f64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            // `wide_msg` takes what the terminal's width leaves, truncated: a line never wraps,
            // so redrawing never leaves a stale line above an outcome.
            let (bar, template) = match total {
                Some(rows) => (
                    indicatif::ProgressBar::new(rows),
                    "{bar:30} {pos}/{len} rows  {wide_msg}",
                ),
                None => (
                    indicatif::ProgressBar::new_spinner(),
                    "{spinner} {pos} rows  {wide_msg}",
                ),
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        });
        let wait: Arc<Mutex<Option<Wait>>> = Arc::default();
        // A wait counts down: the message is rewritten every half second while it lasts.
        let ticker = bar.clone().map(|bar| {
            let wait = wait.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    let current = *wait.lock().unwrap_or_else(|p| p.into_inner());
                    if let Some(w) = current {
                        bar.set_message(waiting_message(w));
                    }
                }
            })
        });
        Display {
            bar,
            wait,
            ticker,
            dry_run,
            started: Instant::now(),
            max_rate,
            sent: 0,
        }
    }

    /// The run's progress callback: `None` without a bar.
    pub(crate) fn hook(&self) -> Option<impl Fn(Progress) + Send + Sync + 'static> {
        let bar = self.bar.clone()?;
        let wait = self.wait.clone();
        Some(move |p| {
            let mut w = wait.lock().unwrap_or_else(|p| p.into_inner());
            match p {
                Progress::DoneEarlier => {
                    if let Some(len) = bar.length() {
                        bar.set_length(len.saturating_sub(1));
                    }
                }
                Progress::RateLimited(until) => {
                    let next = Wait {
                        until,
                        service: true,
                    };
                    *w = Some(next);
                    bar.set_message(waiting_message(next));
                }
                Progress::Waiting(until) => {
                    // The wait a 429 imposed keeps its reason.
                    let service = w.is_some_and(|old| old.service && old.until >= until);
                    let next = Wait { until, service };
                    *w = Some(next);
                    bar.set_message(waiting_message(next));
                }
                Progress::Sending => {
                    *w = None;
                    bar.set_message("sending");
                }
                _ => {}
            }
        })
    }

    /// Prints an outcome line on standard output (the bar is cleared and drawn again around
    /// it), and counts it.
    pub(crate) fn outcome(&mut self, line: &str, sent: bool) {
        let print = || {
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        };
        let Some(bar) = &self.bar else {
            print();
            return;
        };
        bar.suspend(print);
        bar.inc(1);
        self.sent += u64::from(sent);
        let waiting = self
            .wait
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some();
        if self.dry_run || waiting {
            // A dry run sends nothing: no rate, no time left.
            return;
        }
        // The sustained rate: addresses handled over the whole run, waits included.
        let rate = self.sent as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        let left = bar.length().unwrap_or(0).saturating_sub(bar.position());
        bar.set_message(format!(
            "{rate:.2}/s sustained, about {:.0} s left at the limits' {:.2}/s",
            left as f64 / self.max_rate,
            self.max_rate
        ));
    }

    /// Prints a note on standard error on a line of its own, above the bar.
    pub(crate) fn notice(&self) -> impl Fn(&str) + Send + 'static {
        let bar = self.bar.clone();
        move |text: &str| match &bar {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    /// Leaves the bar at the true count, saying how the run ended.
    pub(crate) fn finish(self, interrupted: bool) {
        if let Some(t) = &self.ticker {
            t.abort();
        }
        if let Some(bar) = &self.bar {
            bar.abandon_with_message(if interrupted { "interrupted" } else { "done" });
            // The bar's last line is left without an end: what follows starts a line of its own.
            eprintln!();
        }
    }
}

fn waiting_message(w: Wait) -> String {
    let left = w.until.saturating_duration_since(Instant::now());
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    let clock = httpdate::fmt_http_date(std::time::SystemTime::now() + left);
    let whose = if w.service {
        "the service answered 429 (its rate limit)"
    } else {
        "pacing within the instance's rate limits"
    };
    format!("waiting: {whose}; sending resumes in {secs} s ({clock})")
}
