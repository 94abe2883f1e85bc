//! The erasure journal: the service and key it belongs to, then one JSON line per address
//! confirmed erased, flushed to disk as it is written; locked for one run at a time.

use super::erase::{Erasure, ErasureKind};
use crate::error::{Error, Result};
use crate::models::now_ms;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs::File;
use std::path::Path;

/// A line of the erasure journal: the run it belongs to (first), then one per address.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ErasureLine {
    Run(super::journal::RunIdentity),
    Address(Erasure),
}

/// The erasure journal: one JSON line per address erased, flushed to disk as it is written.
pub(super) struct ErasureJournal {
    file: File,
}

impl ErasureJournal {
    /// Opens (creating, `0600`) and locks the journal of `identity` (this service and key),
    /// and returns the addresses it records as erased.
    ///
    /// # Errors
    /// Another run holds it, it belongs to another service or key (or records none), or it
    /// cannot be read or written.
    pub(super) fn open(
        path: &Path,
        identity: &super::journal::RunIdentity,
    ) -> Result<(Self, HashSet<String>)> {
        let mut file = super::journal::open_locked(path)?;
        let mut done = HashSet::new();
        let mut recorded: Option<super::journal::RunIdentity> = None;
        super::lines::read(path, |line: ErasureLine| match line {
            ErasureLine::Run(id) => {
                recorded.get_or_insert(id);
            }
            ErasureLine::Address(e) => {
                if let ErasureKind::Erased { .. } = e.kind {
                    done.insert(e.email);
                }
            }
        })?;
        match &recorded {
            Some(r) if r != identity => {
                return Err(Error::configuration(format!(
                    "journal {} {} ({}), not to this one ({}): use a new journal",
                    path.display(),
                    super::journal::OTHER_RUN,
                    r.describe(),
                    identity.describe()
                )));
            }
            None if !done.is_empty() => {
                return Err(Error::configuration(format!(
                    "journal {} {}: it records no service and key (written by an older version?); use a new journal",
                    path.display(),
                    super::journal::OTHER_RUN
                )));
            }
            _ => {}
        }
        super::lines::end_line(&mut file, path)?;
        let mut journal = ErasureJournal { file };
        if recorded.is_none() {
            let mut line = serde_json::to_vec(&ErasureLine::Run(identity.clone()))
                .map_err(|e| Error::configuration("journal record").with_source(e))?;
            line.push(b'\n');
            super::lines::append(&mut journal.file, &line)?;
        }
        Ok((journal, done))
    }

    pub(super) fn record(&mut self, outcome: &Erasure) -> Result<()> {
        let mut line = serde_json::to_vec(&serde_json::json!({
            "email": outcome.email,
            "at": now_ms(),
            "outcome": "erased",
            "ids": match &outcome.kind {
                ErasureKind::Erased { ids } => ids.clone(),
                _ => Vec::new(),
            },
        }))
        .map_err(|e| Error::configuration("journal record").with_source(e))?;
        line.push(b'\n');
        super::lines::append(&mut self.file, &line)
    }
}
