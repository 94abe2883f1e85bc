//! Reading addresses from a CSV file.

use super::*;

/// The addresses of a CSV file, read lazily; rows that cannot be read are reported as
/// invalid outcomes.
pub(crate) struct CsvEmails {
    pub(crate) records: csv::StringRecordsIntoIter<std::fs::File>,
    pub(crate) column: Option<usize>,
    pub(crate) line: u64,
    pub(crate) bad: Rc<RefCell<Vec<Outcome>>>,
    /// Set when reading stopped at a quote that is never closed (the line it opened on).
    pub(crate) stopped: Rc<std::cell::Cell<Option<u64>>>,
}

impl CsvEmails {
    pub(crate) fn open(path: &PathBuf, bad: Rc<RefCell<Vec<Outcome>>>) -> Result<Self, Failure> {
        let file = std::fs::File::open(path)
            .map_err(|e| fail(2, format!("cannot read {}: {e}", path.display())))?;
        let records = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(file)
            .into_records();
        Ok(CsvEmails {
            records,
            column: None,
            line: 0,
            bad,
            stopped: Rc::new(std::cell::Cell::new(None)),
        })
    }
}

impl Iterator for CsvEmails {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        loop {
            let record = self.records.next()?;
            self.line += 1;
            let record = match record {
                // A quoted cell that runs over lines: a quote that is never closed would merge
                // every row after it into one. Reading stops there.
                Ok(r) if r.iter().any(|c| c.contains(['\n', '\r'])) => {
                    let line = r.position().map_or(self.line, |p| p.line());
                    self.stopped.set(Some(line));
                    return None;
                }
                Ok(r) => r,
                Err(e) => {
                    self.bad
                        .borrow_mut()
                        .push(malformed(self.line, &e.to_string()));
                    continue;
                }
            };
            let column = match self.column {
                Some(c) => c,
                None => {
                    // The first row: a header if it names the email column.
                    let named = record.iter().position(|c| {
                        c.eq_ignore_ascii_case("email") || c.eq_ignore_ascii_case("email_address")
                    });
                    self.column = Some(named.unwrap_or(0));
                    if named.is_some() {
                        continue;
                    }
                    0
                }
            };
            match record.get(column) {
                Some(cell) if !cell.is_empty() => return Some(cell.to_string()),
                _ if record.iter().all(str::is_empty) => continue,
                _ => self
                    .bad
                    .borrow_mut()
                    .push(malformed(self.line, "no address in the email column")),
            }
        }
    }
}

pub(crate) fn malformed(line: u64, why: &str) -> Outcome {
    Outcome::new(
        format!("(line {line})"),
        OutcomeKind::Invalid {
            reason: format!("line {line}: {why}"),
        },
    )
}

/// The data rows of a regular file (its header left out), counted ahead for a progress total;
/// `None` for anything else (a pipe, a terminal), which can be read only once.
pub(crate) fn count_rows(path: &PathBuf) -> Option<u64> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let f = std::fs::File::open(path).ok()?;
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(f)
        .into_records();
    let first = records.next()?;
    let header = first.ok().is_some_and(|r| {
        r.iter()
            .any(|c| c.eq_ignore_ascii_case("email") || c.eq_ignore_ascii_case("email_address"))
    });
    let rest = records
        .filter(|r| r.as_ref().map_or(true, |r| !r.iter().all(str::is_empty)))
        .count() as u64;
    Some(rest + u64::from(!header))
}
