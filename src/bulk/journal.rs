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
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
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
    /// Opens (creating) the journal and reads what it holds.
    pub(crate) fn open(path: &Path) -> Result<(Journal, Replay)> {
        let io = |what: &str, e: std::io::Error| {
            Error::configuration(format!("journal {}: {what}", path.display())).with_source(e)
        };
        let mut replay = Replay::default();
        if path.exists() {
            let reader = BufReader::new(File::open(path).map_err(|e| io("cannot be read", e))?);
            for line in reader.split(b'\n') {
                let line = line.map_err(|e| io("cannot be read", e))?;
                // A line cut short by a crash (or anything else unreadable) is skipped.
                let Ok(parsed) = serde_json::from_slice::<Line>(&line) else {
                    continue;
                };
                match parsed {
                    Line::Intent { emails, at } => {
                        for e in emails {
                            if !replay.done.contains_key(&e) {
                                replay.in_doubt.insert(e, at);
                            }
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
                }
            }
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| io("cannot be opened for writing", e))?;
        // A partial last line from a crash must not swallow the next record.
        if file
            .metadata()
            .map(|m| m.len() > 0)
            .map_err(|e| io("cannot be read", e))?
            && !ends_with_newline(path)
        {
            file.write_all(b"\n")
                .map_err(|e| io("cannot be written", e))?;
        }
        Ok((Journal { file }, replay))
    }

    pub(crate) fn intent(&mut self, emails: &[String], at: i64) -> Result<()> {
        self.write(&[Line::Intent {
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
        self.file
            .write_all(&buf)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| Error::configuration("the journal cannot be written").with_source(e))
    }
}

fn ends_with_newline(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = File::open(path) else {
        return true;
    };
    let mut last = [0u8; 1];
    f.seek(SeekFrom::End(-1)).is_ok() && f.read_exact(&mut last).is_ok() && last[0] == b'\n'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_separates_done_in_doubt_and_failed() {
        let dir = std::env::temp_dir().join(format!("journal-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.jsonl");
        let _ = std::fs::remove_file(&path);
        {
            let (mut j, replay) = Journal::open(&path).unwrap();
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
        let (mut j, replay) = Journal::open(&path).unwrap();
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
        let (_, replay) = Journal::open(&path).unwrap();
        assert_eq!(replay.in_doubt.get("d@x.co"), Some(&7));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
