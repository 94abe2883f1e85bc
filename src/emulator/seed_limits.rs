//! Bounds on seed documents and state files, checked on the text before it is parsed, so that
//! no document can take the emulator's memory or time: a size, no YAML aliases (a few hundred
//! bytes of aliases expand to gigabytes), a nesting depth, and a count of items.

use crate::{Error, Result};

/// The largest seed document or state file read (a seed posted to the admin API is bounded by
/// the request body's limit, 1 MiB, first).
pub const MAX_SEED_BYTES: usize = 8 * 1024 * 1024;
/// The deepest nesting of maps and lists a seed may have (metadata included).
pub const MAX_SEED_DEPTH: usize = 32;
/// The most items (users, organizations, members, invitations, webhooks) a seed may hold.
pub const MAX_SEED_ITEMS: usize = 200_000;

fn refuse(line: usize, why: String) -> Error {
    Error::invalid_input(format!("line {line}: {why}"))
}

/// Checks a document's text against the size, alias and depth bounds.
///
/// # Errors
/// An [`InvalidInput`](crate::ErrorKind::InvalidInput) error naming the bound and the line.
pub(crate) fn check_text(text: &str) -> Result<()> {
    if text.len() > MAX_SEED_BYTES {
        return Err(Error::invalid_input(format!(
            "the document is {} bytes; a seed holds at most {MAX_SEED_BYTES}",
            text.len()
        )));
    }
    // Indentations of the block collections open above this line.
    let mut blocks: Vec<usize> = Vec::new();
    // Inside a block scalar (`|`, `>`): lines indented deeper than this are its text.
    let mut scalar_of: Option<usize> = None;
    let mut flow = 0usize;
    for (n, line) in text.lines().enumerate() {
        let number = n + 1;
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim();
        if let Some(parent) = scalar_of {
            if content.is_empty() || indent > parent {
                continue;
            }
            scalar_of = None;
        }
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if flow == 0 {
            while blocks.last().is_some_and(|&b| b >= indent) {
                blocks.pop();
            }
            blocks.push(indent);
        }
        let mut depth = blocks.len() + flow;
        let mut quote: Option<char> = None;
        let mut at_token = true;
        let mut prev = ' ';
        let mut chars = content.chars().peekable();
        while let Some(c) = chars.next() {
            if let Some(q) = quote {
                if c == '\\' && q == '"' {
                    chars.next();
                } else if c == q {
                    // `''` inside single quotes is a quote, not the end.
                    if q == '\'' && chars.peek() == Some(&'\'') {
                        chars.next();
                    } else {
                        quote = None;
                    }
                }
                prev = c;
                continue;
            }
            match c {
                '#' if prev == ' ' || prev == '\t' => break,
                '"' | '\'' if at_token => quote = Some(c),
                '*' if at_token => {
                    return Err(refuse(
                        number,
                        "a YAML alias (`*name`): seeds take no aliases (a few of them can expand a small document without bound); write the value out".into(),
                    ));
                }
                // An anchor or a tag comes before a value: the value still starts after it.
                '&' | '!' if at_token => {
                    while chars.peek().is_some_and(|c| *c != ' ') {
                        chars.next();
                    }
                    prev = c;
                    continue;
                }
                '[' | '{' if at_token || flow > 0 => {
                    flow += 1;
                    depth += 1;
                }
                ']' | '}' if flow > 0 => flow -= 1,
                '-' if at_token && matches!(chars.peek(), Some(' ') | None) => depth += 1,
                '|' | '>' if at_token && flow == 0 => {
                    let rest: String = chars.clone().collect();
                    if rest
                        .trim()
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
                    {
                        scalar_of = Some(indent);
                        break;
                    }
                }
                _ => {}
            }
            if depth > MAX_SEED_DEPTH {
                return Err(refuse(
                    number,
                    format!("nested deeper than {MAX_SEED_DEPTH} levels, the most a seed may be"),
                ));
            }
            // A value starts after an indicator (`: `, `- `, `? `, a flow bracket or comma),
            // spaces keep that; any other character is inside a scalar.
            let spaced = matches!(chars.peek(), Some(' ') | None);
            at_token = match c {
                ' ' | '\t' => at_token,
                '[' | '{' => at_token || flow > 0,
                ',' => flow > 0,
                ':' | '-' | '?' => spaced,
                _ => false,
            };
            prev = c;
        }
    }
    Ok(())
}

/// Checks the number of items a parsed seed holds.
///
/// # Errors
/// More than [`MAX_SEED_ITEMS`].
pub(crate) fn check_items(seed: &super::Seed) -> Result<()> {
    let members: usize = seed.organizations.iter().map(|o| o.members.len()).sum();
    let items = seed.users.len()
        + seed.organizations.len()
        + members
        + seed.invitations.len()
        + seed.organization_invitations.len()
        + seed.webhooks.len();
    if items > MAX_SEED_ITEMS {
        return Err(Error::invalid_input(format!(
            "the document holds {items} items; a seed holds at most {MAX_SEED_ITEMS}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_refused_with_their_line_and_lookalikes_are_not() {
        let bomb = "a: &a [x, x]\nb: &b [*a, *a]\n";
        let e = check_text(bomb).unwrap_err();
        assert!(
            e.to_string().contains("line 2") && e.to_string().contains("alias"),
            "{e}"
        );
        let e = check_text("invitations:\n  - email_address: a@x.co\n    public_metadata: *m\n")
            .unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        for fine in [
            "users:\n  - {id: user_1, email_address: \"*star@x.co\"}\n",
            "note: 'it''s *not* an alias'\n",
            "note: a*b # and *this is a comment\n",
            "note: a * b, *c\n",
            "url: http://x.co/*\n",
            "text: |\n  - *literal text\n  more\nafter: 1\n",
        ] {
            assert!(check_text(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let flow = format!("x: {}{}\n", "[".repeat(40), "]".repeat(40));
        assert!(
            check_text(&flow)
                .unwrap_err()
                .to_string()
                .contains("deeper than")
        );
        let mut block = String::new();
        for i in 0..40 {
            block.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
        }
        assert!(
            check_text(&block)
                .unwrap_err()
                .to_string()
                .contains("deeper than")
        );
        let ordinary =
            "organizations:\n  - id: org_1\n    members:\n      - {user_id: u, role: org:admin}\n";
        assert!(check_text(ordinary).is_ok());
    }
}
