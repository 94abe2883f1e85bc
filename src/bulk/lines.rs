//! What every journal shares: JSON lines read back with a bounded line length, appended with an
//! fsync, in a file only its owner can read.

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

/// Longest line read back; a longer one (not one this crate writes) is skipped, read a buffer
/// at a time and never held whole.
pub(crate) const MAX_LINE: usize = 64 * 1024;

fn io(path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::configuration(format!("journal {}: {what}", path.display())).with_source(e)
}

/// Calls `each` with every line of `path` that parses as a `T`; lines cut short by a crash,
/// unreadable or overlong ones are skipped. A missing file has no lines.
pub(crate) fn read<T: DeserializeOwned>(path: &Path, mut each: impl FnMut(T)) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let file = File::open(path).map_err(|e| io(path, "cannot be read", e))?;
    // A device or a pipe (`/dev/zero`) never ends: only a regular file is a journal.
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(Error::configuration(format!(
            "journal {} is not a regular file",
            path.display()
        )));
    }
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| io(path, "cannot be read", e))?;
        if n == 0 {
            return Ok(());
        }
        if line.len() > MAX_LINE {
            // The rest of the overlong line, dropped a buffer at a time: never held whole.
            skip_line(&mut reader).map_err(|e| io(path, "cannot be read", e))?;
            continue;
        }
        if let Ok(v) = serde_json::from_slice::<T>(&line) {
            each(v);
        }
    }
}

/// Reads past the end of the current line (its newline included) without keeping any of it.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

/// Opens `path` for appending, creating it `0600` on Unix (a journal holds addresses); a last
/// line cut short by a crash is ended first, so that the next record starts a line of its own.
pub(crate) fn open_append(path: &Path) -> Result<File> {
    let mut file = open_for_append(path)?;
    end_line(&mut file, path)?;
    Ok(file)
}

/// [`open_append`] without ending a cut line (call [`end_line`] once the file is locked).
pub(crate) fn open_for_append(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| io(path, "cannot be opened for writing", e))
}

/// Ends a last line cut short by a crash, so that the next record starts a line of its own.
pub(crate) fn end_line(file: &mut File, path: &Path) -> Result<()> {
    if file.metadata().map(|m| m.len() > 0).unwrap_or(false) && !ends_with_newline(path) {
        file.write_all(b"\n")
            .map_err(|e| io(path, "cannot be written", e))?;
    }
    Ok(())
}

/// Appends `bytes` (whole lines) and waits until they are on disk.
pub(crate) fn append(file: &mut File, bytes: &[u8]) -> Result<()> {
    file.write_all(bytes)
        .and_then(|()| file.sync_data())
        .map_err(|e| Error::configuration("the journal cannot be written").with_source(e))
}

fn ends_with_newline(path: &Path) -> bool {
    use std::io::{Seek, SeekFrom};
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
    fn an_overlong_line_is_skipped_a_buffer_at_a_time() {
        // 8 MiB of NUL bytes and no newline, then a line: the long one is dropped as it is
        // read (a buffer of 8 KiB), and what follows it is read.
        let mut data = vec![0u8; 8 * 1024 * 1024];
        data.extend_from_slice(b"\nnext\n");
        let mut reader = BufReader::with_capacity(8 * 1024, std::io::Cursor::new(data));
        let mut first = Vec::new();
        (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut first)
            .unwrap();
        assert_eq!(first.len(), MAX_LINE + 1);
        skip_line(&mut reader).unwrap();
        let mut next = String::new();
        reader.read_line(&mut next).unwrap();
        assert_eq!(next, "next\n");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused_as_a_journal() {
        let e = read(Path::new("/dev/zero"), |_: serde_json::Value| {}).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }
}
