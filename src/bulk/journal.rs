//! The journal: an append-only file of JSON lines, flushed to disk after each request.
//!
//! Before a request it records the addresses about to be sent (`intent`); after it, one
//! `outcome` line per address. On a restart, an address with an outcome (other than `failed`)
//! is done; an address with an intent but no outcome is *in doubt*: the request may have taken
//! effect, so it is looked up before anything is sent again. A line cut short by a crash is
//! ignored.

use super::{Outcome, OutcomeKind};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

/// What a journal belongs to: a run with other values cannot resume from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RunIdentity {
    /// `application` or `organization`.
    pub(crate) target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) organization_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) role: Option<String>,
    /// The service (base URL).
    pub(crate) service: String,
    /// A fingerprint of the secret key (never the key).
    pub(crate) key: String,
    /// What the input was, when the caller said (a file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) input: Option<String>,
}

impl RunIdentity {
    /// A fingerprint that tells keys apart without revealing them: 64 bits of FNV-1a.
    #[cfg(test)]
    pub(crate) fn key_fingerprint(key: &str) -> String {
        super::key_fingerprint(key.as_bytes())
    }

    pub(super) fn describe(&self) -> String {
        let mut s = self.target.clone();
        if let Some(o) = &self.organization_id {
            s.push_str(&format!(" {o}"));
        }
        if let Some(r) = &self.role {
            s.push_str(&format!(" as {r}"));
        }
        s.push_str(&format!(" at {} with key {}", self.service, self.key));
        if let Some(i) = &self.input {
            s.push_str(&format!(", input {i}"));
        }
        s
    }
}

/// The message of a journal refused because it belongs to another run.
pub(crate) const OTHER_RUN: &str = "belongs to another run";

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Run(RunIdentity),
    Intent {
        emails: Vec<String>,
        at: i64,
    },
    Outcome {
        email: String,
        #[serde(flatten)]
        kind: OutcomeKind,
        at: i64,
    },
    /// Addresses of an intent whose request the service refused unexecuted, with an error
    /// that stopped the run (a refused key): not in doubt any more, and not done.
    Withdrawn {
        emails: Vec<String>,
        at: i64,
    },
}

/// What an earlier run left.
#[derive(Default)]
pub(crate) struct Replay {
    /// Addresses with a final outcome.
    pub(crate) done: HashMap<String, OutcomeKind>,
    /// Addresses sent without an outcome, with when they were sent (Unix ms).
    pub(crate) in_doubt: HashMap<String, i64>,
}

pub(crate) struct Journal {
    file: File,
}

impl Journal {
    /// Opens (creating, `0600` on Unix) the journal of the run `identity`, locks it for this
    /// run, and reads what it holds.
    ///
    /// # Errors
    /// The journal belongs to another run (another target, organization, role, service, key
    /// or input), another run holds it, or it cannot be read or written.
    pub(crate) fn open(path: &Path, identity: &RunIdentity) -> Result<(Journal, Replay)> {
        let mut file = open_locked(path)?;
        let mut replay = Replay::default();
        let mut recorded: Option<RunIdentity> = None;
        super::lines::read(path, |line: Line| match line {
            // The last binding holds: a journal is bound again only while nothing it records
            // is done or in doubt (see below).
            Line::Run(id) => recorded = Some(id),
            Line::Intent { emails, at } => {
                for e in emails {
                    if !replay.done.contains_key(&e) {
                        replay.in_doubt.insert(e, at);
                    }
                }
            }
            Line::Withdrawn { emails, .. } => {
                for e in emails {
                    replay.in_doubt.remove(&e);
                }
            }
            Line::Outcome { email, kind, .. } => {
                replay.in_doubt.remove(&email);
                if matches!(kind, OutcomeKind::Failed { .. }) {
                    replay.done.remove(&email);
                } else {
                    replay.done.insert(email, kind);
                }
            }
        })?;
        // Nothing done and nothing in doubt: every request of the runs it records was refused
        // unexecuted (a wrong key, say). Such a journal is this run's to bind.
        let effect_free = replay.done.is_empty() && replay.in_doubt.is_empty();
        let rebind = effect_free && recorded.as_ref().is_some_and(|r| r != identity);
        match &recorded {
            Some(r) if r != identity && !rebind => {
                return Err(Error::configuration(format!(
                    "journal {} {OTHER_RUN} ({}), not to this one ({}): use a new journal, or the options of that run",
                    path.display(),
                    r.describe(),
                    identity.describe()
                )));
            }
            Some(_) => {}
            None if !replay.done.is_empty() || !replay.in_doubt.is_empty() => {
                return Err(Error::configuration(format!(
                    "journal {} {OTHER_RUN}: it records no run (written by an older version?); use a new journal",
                    path.display()
                )));
            }
            None => {}
        }
        // A partial last line from a crash must not swallow the next record.
        super::lines::end_line(&mut file, path)?;
        let mut journal = Journal { file };
        if recorded.is_none() || rebind {
            journal.write(&[Line::Run(identity.clone())])?;
        }
        Ok((journal, replay))
    }

    pub(crate) fn intent(&mut self, emails: &[String], at: i64) -> Result<()> {
        self.write(&[Line::Intent {
            emails: emails.to_vec(),
            at,
        }])
    }

    /// The addresses of the last intent were refused unexecuted by an error that stops the
    /// run: they are neither done nor in doubt.
    pub(crate) fn withdraw(&mut self, emails: &[String], at: i64) -> Result<()> {
        self.write(&[Line::Withdrawn {
            emails: emails.to_vec(),
            at,
        }])
    }

    pub(crate) fn outcomes(&mut self, outcomes: &[Outcome], at: i64) -> Result<()> {
        let lines: Vec<Line> = outcomes
            .iter()
            .map(|o| Line::Outcome {
                email: o.email.clone(),
                kind: o.kind.clone(),
                at,
            })
            .collect();
        self.write(&lines)
    }

    fn write(&mut self, lines: &[Line]) -> Result<()> {
        let mut buf = Vec::new();
        for line in lines {
            serde_json::to_writer(&mut buf, line)
                .map_err(|e| Error::configuration("journal record").with_source(e))?;
            buf.push(b'\n');
        }
        super::lines::append(&mut self.file, &buf)
    }
}

/// Opens (creating, `0600`) a journal for appending and locks it for this run.
///
/// # Errors
/// Another run holds it, or it cannot be opened.
pub(super) fn open_locked(path: &Path) -> Result<File> {
    let file = super::lines::open_for_append(path)?;
    lock(&file).map_err(|e| {
        Error::configuration(format!(
            "journal {} is in use by another run: one run per journal at a time",
            path.display()
        ))
        .with_source(e)
    })?;
    Ok(file)
}

/// An exclusive lock on the journal for this process, released when the file is closed or the
/// process ends (so a crash never leaves it locked).
#[cfg(unix)]
fn lock(file: &File) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: `flock` on a descriptor this `File` owns and keeps open.
    let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn lock(_file: &File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn identity() -> RunIdentity {
        RunIdentity {
            target: "application".into(),
            organization_id: None,
            role: None,
            service: "http://127.0.0.1/v1".into(),
            key: RunIdentity::key_fingerprint("sk_test_x"),
            input: None,
        }
    }

    #[test]
    fn another_run_and_a_second_process_are_refused_and_long_lines_skipped() {
        let dir = std::env::temp_dir().join(format!("journal-id-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.jsonl");
        let _ = std::fs::remove_file(&path);
        let (mut j, _) = Journal::open(&path, &identity()).unwrap();
        // Something sent: from now on the journal is this run's alone.
        j.intent(&["sent@x.co".into()], 1).unwrap();
        // Held by this run: a second opener is refused (flock locks are per open file).
        #[cfg(unix)]
        {
            let e = Journal::open(&path, &identity()).err().unwrap();
            assert!(e.to_string().contains("in use by another run"), "{e}");
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        drop(j);
        let mut org = identity();
        org.target = "organization".into();
        org.organization_id = Some("org_1".into());
        let e = Journal::open(&path, &org).err().unwrap();
        assert!(e.to_string().contains(OTHER_RUN), "{e}");
        let mut other_key = identity();
        other_key.key = RunIdentity::key_fingerprint("sk_live_y");
        assert!(Journal::open(&path, &other_key).is_err());
        assert!(!e.to_string().contains("sk_test_x"), "never the key: {e}");
        // A huge line and an extreme timestamp are read without trouble.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(&vec![b'x'; 200_000]).unwrap();
        f.write_all(
            b"\n{\"type\":\"intent\",\"emails\":[\"e@x.co\"],\"at\":-9223372036854775808}\n",
        )
        .unwrap();
        drop(f);
        let (_, replay) = Journal::open(&path, &identity()).unwrap();
        assert_eq!(replay.in_doubt.get("e@x.co"), Some(&i64::MIN));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_journal_whose_requests_were_all_refused_unexecuted_binds_to_the_next_run() {
        let dir = std::env::temp_dir().join(format!("journal-rebind-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.jsonl");
        let _ = std::fs::remove_file(&path);
        let mut wrong_key = identity();
        wrong_key.key = RunIdentity::key_fingerprint("sk_test_wrong");
        {
            // A run with a wrong key: its first request is refused (401), unexecuted.
            let (mut j, _) = Journal::open(&path, &wrong_key).unwrap();
            j.intent(&["a@x.co".into(), "b@x.co".into()], 5).unwrap();
            j.withdraw(&["a@x.co".into(), "b@x.co".into()], 6).unwrap();
        }
        // The rerun with the right key takes the journal over...
        {
            let (mut j, replay) = Journal::open(&path, &identity()).unwrap();
            assert!(replay.done.is_empty() && replay.in_doubt.is_empty());
            j.intent(&["a@x.co".into()], 7).unwrap();
        }
        // ...and, once it has sent something, the journal is its own: the wrong key's run
        // cannot take it back.
        let e = Journal::open(&path, &wrong_key).err().unwrap();
        assert!(e.to_string().contains(OTHER_RUN), "{e}");
        let (_, replay) = Journal::open(&path, &identity()).unwrap();
        assert_eq!(replay.in_doubt.get("a@x.co"), Some(&7));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn replay_separates_done_in_doubt_and_failed() {
        let dir = std::env::temp_dir().join(format!("journal-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.jsonl");
        let _ = std::fs::remove_file(&path);
        {
            let (mut j, replay) = Journal::open(&path, &identity()).unwrap();
            assert!(replay.done.is_empty() && replay.in_doubt.is_empty());
            j.intent(&["a@x.co".into(), "b@x.co".into(), "c@x.co".into()], 5)
                .unwrap();
            let out = |email: &str, kind| Outcome {
                email: email.into(),
                kind,
            };
            j.outcomes(
                &[
                    out("a@x.co", OutcomeKind::Invited { id: "inv_a".into() }),
                    out(
                        "b@x.co",
                        OutcomeKind::Failed {
                            error: "boom".into(),
                        },
                    ),
                ],
                6,
            )
            .unwrap();
        }
        // A crash in the middle of a line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(br#"{"type":"outcome","email":"c@x"#)
            .unwrap();
        let (mut j, replay) = Journal::open(&path, &identity()).unwrap();
        assert_eq!(
            replay.done.get("a@x.co"),
            Some(&OutcomeKind::Invited { id: "inv_a".into() })
        );
        assert!(!replay.done.contains_key("b@x.co"), "failed is not done");
        assert_eq!(replay.in_doubt.get("c@x.co"), Some(&5));
        assert!(!replay.in_doubt.contains_key("b@x.co"));
        // The next record starts on a line of its own.
        j.intent(&["d@x.co".into()], 7).unwrap();
        drop(j);
        let (_, replay) = Journal::open(&path, &identity()).unwrap();
        assert_eq!(replay.in_doubt.get("d@x.co"), Some(&7));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
