//! Reading rosters and address lists from CSV files (RFC 4180 through the `csv` crate: quoted
//! cells may hold delimiters, quotes and newlines).
//!
//! The first line is a header naming the columns. The address column is found by its name
//! (`email`, `email_address`, `Email Address`, `E-mail`, `mail`, any case) or `--column`; a file
//! of bare addresses, one per line, needs no header. Where rows carry more than an address
//! (`invite`, `plan`), every other column must name a field of the invitation, by its header or
//! by `--map`, so that a misnamed column is refused before anything is sent, never sent
//! wrong. The delimiter is `,`, `;`, tab or `|`, whichever the first line holds most of, or
//! `--delimiter`.

use super::*;
use crate::roster_fields::{Field, Mapping};
use std::cell::Cell;
use std::io::{BufRead, Read};

/// How to read a CSV file: its address column, delimiter and column mapping.
#[derive(Args, Clone, Debug, Default)]
pub(crate) struct CsvOpts {
    /// The header of the address column, when it is not `email`, `email_address`, `Email
    /// Address`, `E-mail` or `mail`.
    #[arg(long, value_name = "NAME")]
    pub(crate) column: Option<String>,
    /// The delimiter: `,`, `;`, `tab` or `|`. By default, whichever of them the header line
    /// holds most of.
    #[arg(long, value_parser = parse_delimiter)]
    pub(crate) delimiter: Option<u8>,
    /// What a column holds, when its header does not say (repeatable): `COLUMN=FIELD`, FIELD
    /// one of `role`, `organization`, `redirect_url`, `expires_in_days`, `template_slug`,
    /// `public_metadata.KEY`, `private_metadata.KEY`, or `ignore`. For example `--map
    /// Team=public_metadata.team --map Name=ignore`.
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub(crate) map: Vec<String>,
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "tab" | "\\t" => Ok(b'\t'),
        "|" | "pipe" => Ok(b'|'),
        _ => Err(format!("`{s}`: the delimiter is one of `,` `;` `tab` `|`")),
    }
}

/// One data row: its line in the file, its address, and the other fields it maps (field,
/// column header, cell), empty cells left out.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub(crate) line: u64,
    pub(crate) email: String,
    pub(crate) fields: Vec<(Field, String, String)>,
}

type Records = csv::StringRecordsIntoIter<std::io::BufReader<QuoteCount<Box<dyn Read>>>>;

/// The rows of a CSV file, read lazily. Rows that cannot be used are reported to `bad` as
/// invalid outcomes with their line; a quote that is never closed stops the reading
/// (`stopped` holds its line).
pub(crate) struct CsvRows {
    records: Records,
    mapping: Mapping,
    /// A record read ahead (the first line of a file without a header, or the record after
    /// one with a newline in a cell).
    ahead: Option<Result<csv::StringRecord, csv::Error>>,
    quotes: Rc<Cell<u64>>,
    pub(crate) bad: Rc<RefCell<Vec<Outcome>>>,
    pub(crate) stopped: Rc<Cell<Option<u64>>>,
}

/// Whether the columns besides the address must all hold a field (`invite`, `plan`) or are
/// not read (`erase`, `revoke`, which take addresses alone).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Columns {
    Mapped,
    AddressOnly,
}

impl CsvRows {
    /// Opens `path` (`-` for standard input) and reads its header.
    ///
    /// # Errors
    /// An unreadable file, or a header that does not say where the addresses are or what a
    /// column holds (exit code 2, naming the columns).
    pub(crate) fn open(
        path: &Path,
        opts: &CsvOpts,
        columns: Columns,
        bad: Rc<RefCell<Vec<Outcome>>>,
    ) -> Result<Self, Failure> {
        let name = esc(&path.display().to_string()).into_owned();
        let source: Box<dyn Read> = if path == Path::new("-") {
            Box::new(std::io::stdin())
        } else {
            Box::new(
                std::fs::File::open(path)
                    .map_err(|e| fail(2, format!("cannot read {name}: {e}")))?,
            )
        };
        Self::from_reader(&name, source, opts, columns, bad)
    }

    /// [`open`](CsvRows::open) for text already at hand (`name` in messages).
    ///
    /// # Errors
    /// As [`open`](CsvRows::open).
    pub(crate) fn from_reader(
        name: &str,
        source: Box<dyn Read>,
        opts: &CsvOpts,
        columns: Columns,
        bad: Rc<RefCell<Vec<Outcome>>>,
    ) -> Result<Self, Failure> {
        let unreadable = |e: std::io::Error| fail(2, format!("cannot read {name}: {e}"));
        let quotes = Rc::new(Cell::new(0));
        let mut buffered = std::io::BufReader::with_capacity(
            64 * 1024,
            QuoteCount {
                inner: source,
                quotes: quotes.clone(),
            },
        );
        let delimiter = match opts.delimiter {
            Some(d) => d,
            None => sniff_delimiter(buffered.fill_buf().map_err(unreadable)?),
        };
        let mut records = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .delimiter(delimiter)
            .from_reader(buffered)
            .into_records();
        let mut header = csv::StringRecord::new();
        for r in records.by_ref() {
            match r {
                Ok(r) if r.iter().all(str::is_empty) => continue,
                Ok(r) => {
                    header = r;
                    break;
                }
                Err(e) => return Err(fail(2, format!("{name}: {e}"))),
            }
        }
        let mut rows = CsvRows {
            records,
            mapping: Mapping::default(),
            ahead: None,
            quotes,
            bad,
            stopped: Rc::new(Cell::new(None)),
        };
        if header.is_empty() {
            return Ok(rows);
        }
        let line = header.position().map_or(1, |p| p.line());
        rows.mapping = Mapping::read(
            &header,
            opts.column.as_deref(),
            &opts.map,
            columns == Columns::Mapped,
        )
        .map_err(|m| fail(2, format!("{name} line {line}: {m}")))?;
        if !rows.mapping.header {
            rows.ahead = Some(Ok(header));
        }
        Ok(rows)
    }

    fn next_record(&mut self) -> Option<Result<csv::StringRecord, csv::Error>> {
        self.ahead.take().or_else(|| self.records.next())
    }
}

impl Iterator for CsvRows {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        loop {
            let record = match self.next_record()? {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    self.bad.borrow_mut().push(malformed(line, &e.to_string()));
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| p.line());
            if record.iter().any(|c| c.contains(['\n', '\r'])) {
                // A quote that is never closed swallows the rest of the file into one cell:
                // that record is the file's last, and the file holds an odd number of quotes.
                // A closed quoted cell may hold newlines (a notes column).
                self.ahead = self.records.next();
                if self.ahead.is_none() && self.quotes.get() % 2 == 1 {
                    self.stopped.set(Some(line));
                    return None;
                }
            }
            if record.iter().all(str::is_empty) {
                continue;
            }
            let email = record.get(self.mapping.email).unwrap_or_default();
            if email.is_empty() {
                self.bad
                    .borrow_mut()
                    .push(malformed(line, "no address in the address column"));
                continue;
            }
            if self.mapping.header
                && record
                    .iter()
                    .skip(self.mapping.columns)
                    .any(|c| !c.is_empty())
            {
                self.bad.borrow_mut().push(malformed(
                    line,
                    &format!(
                        "{} cells, and the header names {} columns (an unquoted delimiter in a cell?)",
                        record.len(),
                        self.mapping.columns
                    ),
                ));
                continue;
            }
            let fields = self
                .mapping
                .others
                .iter()
                .filter_map(|(i, field, column)| {
                    record
                        .get(*i)
                        .filter(|c| !c.is_empty())
                        .map(|c| (field.clone(), column.clone(), c.to_string()))
                })
                .collect();
            return Some(Row {
                line,
                email: email.to_string(),
                fields,
            });
        }
    }
}

/// The delimiter of a CSV text: whichever of `,` `;` tab `|` its first line holds most of
/// outside quotes (`,` when it holds none).
pub(crate) fn sniff_delimiter(start: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0), (b'|', 0)];
    let mut quoted = false;
    for &b in start {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(c) = counts.iter_mut().find(|(d, _)| *d == b) {
                    c.1 += 1;
                }
            }
            _ => {}
        }
    }
    // The first of the most frequent: `,` wins a tie.
    counts
        .iter()
        .fold(
            (b',', 0),
            |best, &(d, n)| if n > best.1 { (d, n) } else { best },
        )
        .0
}

/// A reader that counts the quotes it passes on: a well-formed CSV file holds an even number
/// (quoted cells open and close, quotes inside them are doubled).
pub(crate) struct QuoteCount<R> {
    inner: R,
    quotes: Rc<Cell<u64>>,
}

impl<R: Read> Read for QuoteCount<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let q = buf[..n].iter().filter(|&&b| b == b'"').count() as u64;
        self.quotes.set(self.quotes.get() + q);
        Ok(n)
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

/// The data rows of a regular file, counted ahead for a progress total; `None` for anything
/// else (a pipe, a terminal), which can be read only once.
pub(crate) fn count_rows(path: &Path, opts: &CsvOpts) -> Option<u64> {
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let bad = Rc::new(RefCell::new(Vec::new()));
    let rows = CsvRows::open(path, opts, Columns::AddressOnly, bad.clone()).ok()?;
    let n = rows.count() as u64;
    Some(n + bad.borrow().len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows, the invalid rows' reasons, and the line where reading stopped.
    type Read = (Vec<Row>, Vec<String>, Option<u64>);

    fn read(text: &str, opts: &CsvOpts, columns: Columns) -> Result<Read, String> {
        let dir = std::env::temp_dir().join(format!("csv-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{:x}.csv", fnv(text)));
        std::fs::write(&path, text).unwrap();
        let bad = Rc::new(RefCell::new(Vec::new()));
        let rows = CsvRows::open(&path, opts, columns, bad.clone()).map_err(|f| f.message)?;
        let stopped = rows.stopped.clone();
        let rows: Vec<Row> = rows.collect();
        let bad = bad
            .borrow()
            .iter()
            .map(|o| match &o.kind {
                OutcomeKind::Invalid { reason } => reason.clone(),
                _ => String::new(),
            })
            .collect();
        let _ = std::fs::remove_file(&path);
        Ok((rows, bad, stopped.get()))
    }

    fn fnv(s: &str) -> u64 {
        s.bytes().fold(0xcbf29ce484222325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        })
    }

    #[test]
    fn the_delimiter_is_the_one_the_header_holds_most_of() {
        assert_eq!(sniff_delimiter(b"email;name\na@x.co;Ada"), b';');
        assert_eq!(sniff_delimiter(b"email\tname"), b'\t');
        assert_eq!(
            sniff_delimiter(b"\"a;b\",c"),
            b',',
            "quoted delimiters do not count"
        );
        assert_eq!(sniff_delimiter(b"email"), b',');
    }

    #[test]
    fn a_semicolon_file_is_read_by_its_columns() {
        let (rows, bad, _) = read(
            "email;name\na@x.co;Ada\n",
            &CsvOpts::default(),
            Columns::AddressOnly,
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].email, "a@x.co");
        assert!(bad.is_empty());
    }

    #[test]
    fn a_closed_multi_line_cell_is_one_cell_and_lines_are_the_files() {
        let opts = CsvOpts {
            map: vec!["notes=ignore".into()],
            ..CsvOpts::default()
        };
        let text = "email,notes\na@x.co,\"line one\nline two\"\n,\nb@x.co,plain\n";
        let (rows, bad, stopped) = read(text, &opts, Columns::Mapped).unwrap();
        assert_eq!(stopped, None);
        let emails: Vec<(&str, u64)> = rows.iter().map(|r| (r.email.as_str(), r.line)).collect();
        assert_eq!(emails, [("a@x.co", 2), ("b@x.co", 5)]);
        assert_eq!(bad, Vec::<String>::new());
    }

    #[test]
    fn a_quote_never_closed_stops_the_reading_at_its_line() {
        let text = "email\na@x.co\n\"b@x.co\nc@x.co\nd@x.co\n";
        let (rows, _, stopped) = read(text, &CsvOpts::default(), Columns::AddressOnly).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(stopped, Some(3));
    }

    #[test]
    fn a_row_with_more_cells_than_the_header_is_invalid_with_its_line() {
        let (rows, bad, _) = read(
            "email\na@x.co\nb@x.co,extra\n",
            &CsvOpts::default(),
            Columns::Mapped,
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert!(bad[0].starts_with("line 3:"), "{bad:?}");
    }
}
