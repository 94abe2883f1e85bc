//! The state file (`--state`): written whole, `0600` (it holds every address and the webhook
//! signing secrets), atomically, and ended by a marker line, so that a file cut short is told
//! from a complete one. A file that fails to load stops the start, and so is never saved over.
//!
//! The rule on a restart: the state file, when it exists, is the state; a seed only fills an
//! emulator that starts without one.

use super::Seed;
use crate::{Error, Result};
use std::path::Path;

/// The last line of every state file written.
pub(crate) const END_MARKER: &str = "# end of clerk-emulator state";

/// Writes `seed` to `path`, `0600`, through a temporary file renamed over it.
///
/// # Errors
/// The file cannot be written.
pub(crate) fn save(seed: &Seed, path: &Path) -> Result<()> {
    use std::io::Write;
    let io = |e: std::io::Error| {
        Error::configuration(format!("state file {} cannot be written", path.display()))
            .with_source(e)
    };
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("state")
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(io)?;
    // A file left by an older version may be wider: this one is the owner's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    let mut text = seed.to_yaml();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(END_MARKER);
    text.push('\n');
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io)
}

/// Reads a state file: complete (its end marker is its last line), a seed document, with no
/// id twice.
///
/// # Errors
/// An unreadable file, one cut short, one that is not a seed document, or one with an id
/// twice (naming the line).
pub(crate) fn load(path: &Path) -> Result<Seed> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::configuration(format!("state file {shown} cannot be read")).with_source(e)
    })?;
    let refused = |why: String| {
        Error::invalid_input(format!(
            "state file {shown}: {why}; nothing was loaded, and the file will not be saved over (restore it, or move it away to start empty)"
        ))
    };
    if text.lines().rev().find(|l| !l.trim().is_empty()) != Some(END_MARKER) {
        let lines = text.lines().count();
        return Err(refused(format!(
            "it ends at line {lines} without its last line `{END_MARKER}`: cut short?"
        )));
    }
    let seed = Seed::from_yaml(&text).map_err(|e| refused(e.to_string()))?;
    if let Some((id, line)) = duplicate_id(&seed, &text) {
        return Err(refused(format!("line {line}: the id {id} is there twice")));
    }
    Ok(seed)
}

/// An id that two items of one kind share, with the line of its second appearance.
fn duplicate_id(seed: &Seed, text: &str) -> Option<(String, usize)> {
    let kinds: [Vec<&str>; 4] = [
        seed.users.iter().map(|u| u.id.as_str()).collect(),
        seed.organizations.iter().map(|o| o.id.as_str()).collect(),
        seed.invitations
            .iter()
            .filter_map(|i| i.id.as_deref())
            .collect(),
        seed.organization_invitations
            .iter()
            .filter_map(|i| i.id.as_deref())
            .collect(),
    ];
    for ids in kinds {
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            if !seen.insert(id) {
                let line = text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| l.contains(id))
                    .nth(1)
                    .map_or(0, |(n, _)| n + 1);
                return Some((id.to_string(), line));
            }
        }
    }
    None
}
