//! What the columns of a roster hold: the fields a header or `--map` can name, and a row's
//! cells turned into an [`Invitee`].

use clerk_invitations::bulk::Invitee;
use serde_json::{Map, Value};

/// A field of an invitation that a column can hold.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Email,
    Role,
    Organization,
    RedirectUrl,
    ExpiresInDays,
    TemplateSlug,
    PublicMetadata(String),
    PrivateMetadata(String),
    Ignore,
}

impl Field {
    /// The field a header or a `--map` value names: compared ignoring case, with spaces and
    /// hyphens read as underscores (`Email Address` is `email_address`). Metadata keys keep
    /// their case.
    pub(crate) fn named(name: &str) -> Option<Field> {
        let name = name.trim();
        for (prefix, public) in [("public_metadata.", true), ("private_metadata.", false)] {
            if name.len() > prefix.len()
                && name.is_char_boundary(prefix.len())
                && name[..prefix.len()].eq_ignore_ascii_case(prefix)
            {
                let key = name[prefix.len()..].trim().to_string();
                return Some(if public {
                    Field::PublicMetadata(key)
                } else {
                    Field::PrivateMetadata(key)
                });
            }
        }
        let norm: String = name
            .chars()
            .map(|c| match c {
                ' ' | '-' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        Some(match norm.as_str() {
            "email" | "email_address" | "e_mail" | "e_mail_address" | "mail" | "emailaddress" => {
                Field::Email
            }
            "role" => Field::Role,
            "organization" | "organization_id" | "org" | "org_id" => Field::Organization,
            "redirect_url" => Field::RedirectUrl,
            "expires_in_days" => Field::ExpiresInDays,
            "template" | "template_slug" => Field::TemplateSlug,
            "ignore" => Field::Ignore,
            _ => return None,
        })
    }

    /// How the field is written in `--map` and in messages.
    pub(crate) fn name(&self) -> String {
        match self {
            Field::Email => "email_address".into(),
            Field::Role => "role".into(),
            Field::Organization => "organization".into(),
            Field::RedirectUrl => "redirect_url".into(),
            Field::ExpiresInDays => "expires_in_days".into(),
            Field::TemplateSlug => "template_slug".into(),
            Field::PublicMetadata(k) => format!("public_metadata.{k}"),
            Field::PrivateMetadata(k) => format!("private_metadata.{k}"),
            Field::Ignore => "ignore".into(),
        }
    }
}

/// Where a file's address is, and what its other columns hold.
#[derive(Clone, Debug, Default)]
pub(crate) struct Mapping {
    /// The address column.
    pub(crate) email: usize,
    /// The other columns that hold a field, with their header.
    pub(crate) others: Vec<(usize, Field, String)>,
    /// Whether the file has a header line (else its first line is a row).
    pub(crate) header: bool,
    /// The header's columns.
    pub(crate) columns: usize,
}

/// The columns a header has, for messages: `` `a`, `b` ``.
fn listed(header: &csv::StringRecord) -> String {
    header
        .iter()
        .map(|c| format!("`{}`", c.escape_debug()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Mapping {
    /// Reads a file's first line. `column` names the address column; `map` says what other
    /// columns hold (`COLUMN=FIELD`); with `all_mapped`, every other column must hold a field
    /// (by its header or `map`), else they are not read.
    ///
    /// # Errors
    /// A message naming the columns the header has, when the address column cannot be found,
    /// a column holds no field, or two columns hold the same one.
    pub(crate) fn read(
        header: &csv::StringRecord,
        column: Option<&str>,
        map: &[String],
        all_mapped: bool,
    ) -> Result<Mapping, String> {
        let mut mapped: Vec<(String, Field)> = Vec::new();
        for m in map {
            let (name, field) = m
                .split_once('=')
                .ok_or_else(|| format!("--map `{}`: write COLUMN=FIELD", m.escape_debug()))?;
            let field = Field::named(field).ok_or_else(|| {
                format!(
                    "--map `{}`: `{}` is not a field (role, organization, redirect_url, expires_in_days, public_metadata.KEY, private_metadata.KEY or ignore)",
                    m.escape_debug(),
                    field.escape_debug()
                )
            })?;
            mapped.push((name.trim().to_string(), field));
        }
        let mapped_as = |cell: &str| {
            mapped
                .iter()
                .find(|(n, _)| n == cell.trim() || n.eq_ignore_ascii_case(cell.trim()))
                .map(|(_, f)| f.clone())
        };
        let field_of = |cell: &str| mapped_as(cell).or_else(|| Field::named(cell));
        let email = match column {
            Some(name) => header
                .iter()
                .position(|c| c == name.trim() || c.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    format!(
                        "no column `{}`: the header has {}",
                        name.escape_debug(),
                        listed(header)
                    )
                })?,
            None => match header
                .iter()
                .position(|c| field_of(c) == Some(Field::Email))
            {
                Some(i) => i,
                // A file of bare addresses, one per line, has no header.
                None if header.len() == 1 && header[0].contains('@') => {
                    return Ok(Mapping {
                        email: 0,
                        others: Vec::new(),
                        header: false,
                        columns: 1,
                    });
                }
                None if header.iter().any(|c| c.contains('@')) => {
                    return Err(format!(
                        "the first line holds an address, so it is not a header: add a header line naming the columns (such as `email`); it has {}",
                        listed(header)
                    ));
                }
                None => {
                    return Err(format!(
                        "no address column: the header has {}; name it `email` or pass --column NAME",
                        listed(header)
                    ));
                }
            },
        };
        let mut others: Vec<(usize, Field, String)> = Vec::new();
        if all_mapped {
            for (i, cell) in header.iter().enumerate() {
                if i == email {
                    continue;
                }
                let field = match field_of(cell) {
                    Some(Field::Ignore) => continue,
                    None if cell.is_empty() => continue,
                    Some(Field::Email) => {
                        return Err(format!(
                            "columns `{}` and `{}` both hold addresses: pick one with --column, and --map the other `=ignore`",
                            header[email].escape_debug(),
                            cell.escape_debug()
                        ));
                    }
                    Some(f) => f,
                    None => {
                        let suggestion = cell.trim().to_lowercase().replace([' ', '-'], "_");
                        return Err(format!(
                            "column `{c}` (column {n}) is not a field of an invitation: map it (--map '{c}=public_metadata.{suggestion}') or leave it out (--map '{c}=ignore'); the header has {all}",
                            c = cell.escape_debug(),
                            n = i + 1,
                            all = listed(header)
                        ));
                    }
                };
                if let Some((_, _, other)) = others.iter().find(|(_, f, _)| *f == field) {
                    return Err(format!(
                        "columns `{}` and `{}` both hold {}",
                        other.escape_debug(),
                        cell.escape_debug(),
                        field.name()
                    ));
                }
                others.push((i, field, cell.to_string()));
            }
        }
        Ok(Mapping {
            email,
            others,
            header: true,
            columns: header.len(),
        })
    }
}

/// A row's address and fields as an [`Invitee`], with the organization it names (if any).
///
/// # Errors
/// A cell that is not a value of its field (`expires_in_days` of `soon`).
pub(crate) fn invitee(
    email: &str,
    fields: &[(Field, String, String)],
) -> Result<(Invitee, Option<String>), String> {
    let mut person = Invitee::new(email);
    let mut organization = None;
    let (mut public, mut private) = (Map::new(), Map::new());
    for (field, column, cell) in fields {
        match field {
            Field::Role => person = person.role(cell.clone()),
            Field::Organization => organization = Some(cell.clone()),
            Field::RedirectUrl => person = person.redirect_url(cell.clone()),
            Field::ExpiresInDays => {
                let days = cell.parse::<u32>().map_err(|_| {
                    format!(
                        "column `{}`: `{}` is not a number of days",
                        column.escape_debug(),
                        cell.escape_debug()
                    )
                })?;
                person = person.expires_in_days(days);
            }
            Field::TemplateSlug => {
                let slug = clerk_invitations::TemplateSlug::from(cell.as_str());
                if !slug.is_known() {
                    return Err(format!(
                        "column `{}`: `{}` is not a template ({})",
                        column.escape_debug(),
                        cell.escape_debug(),
                        clerk_invitations::TemplateSlug::KNOWN.join(", ")
                    ));
                }
                person = person.template_slug(slug);
            }
            Field::PublicMetadata(k) => {
                public.insert(k.clone(), Value::String(cell.clone()));
            }
            Field::PrivateMetadata(k) => {
                private.insert(k.clone(), Value::String(cell.clone()));
            }
            Field::Email | Field::Ignore => {}
        }
    }
    Ok((
        person.public_metadata(public).private_metadata(private),
        organization,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cells: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(cells.to_vec())
    }

    #[test]
    fn a_spreadsheet_export_is_read_by_its_header_names() {
        let m = Mapping::read(
            &header(&["Email Address", "Role", "public_metadata.team", "Name"]),
            None,
            &["Name=ignore".into()],
            true,
        )
        .unwrap();
        assert_eq!(m.email, 0);
        assert!(m.header);
        let fields: Vec<&Field> = m.others.iter().map(|(_, f, _)| f).collect();
        assert_eq!(
            fields,
            [&Field::Role, &Field::PublicMetadata("team".into())]
        );
    }

    #[test]
    fn a_column_that_holds_no_field_is_refused_with_the_columns_named() {
        let e = Mapping::read(&header(&["Email Address", "Team"]), None, &[], true).unwrap_err();
        assert!(e.contains("`Team`") && e.contains("--map 'Team="), "{e}");
        // Where only addresses are read, other columns do not matter.
        assert!(Mapping::read(&header(&["Email Address", "Team"]), None, &[], false).is_ok());
    }

    #[test]
    fn no_address_column_is_refused_naming_the_columns_it_has() {
        for h in [&["name", "contact"][..], &["Name", "E_mail_addr"]] {
            let e = Mapping::read(&header(h), None, &[], false).unwrap_err();
            assert!(e.contains("no address column") && e.contains(h[0]), "{e}");
        }
        let e = Mapping::read(&header(&["a@x.co", "Ada"]), None, &[], false).unwrap_err();
        assert!(e.contains("not a header"), "{e}");
        let m = Mapping::read(&header(&["name", "mail"]), None, &[], false).unwrap();
        assert_eq!(m.email, 1);
        let m = Mapping::read(&header(&["Who", "x"]), Some("who"), &[], false).unwrap();
        assert_eq!(m.email, 0);
        let e = Mapping::read(&header(&["Who"]), Some("Whom"), &[], false).unwrap_err();
        assert!(e.contains("no column `Whom`") && e.contains("`Who`"), "{e}");
        // Bare addresses, one per line.
        let m = Mapping::read(&header(&["a@x.co"]), None, &[], true).unwrap();
        assert!(!m.header);
    }

    #[test]
    fn two_columns_for_one_field_are_refused() {
        let e = Mapping::read(&header(&["email", "role", "Role "]), None, &[], true).unwrap_err();
        assert!(e.contains("both hold role"), "{e}");
    }

    #[test]
    fn a_row_becomes_an_invitee_and_a_bad_expiry_is_named() {
        let f = |field: Field, cell: &str| (field, "col".to_string(), cell.to_string());
        let (p, org) = invitee(
            "a@x.co",
            &[
                f(Field::Role, "org:admin"),
                f(Field::Organization, "org_1"),
                f(Field::PublicMetadata("team".into()), "blue"),
                f(Field::ExpiresInDays, "7"),
            ],
        )
        .unwrap();
        assert_eq!(p.role.as_deref(), Some("org:admin"));
        assert_eq!(org.as_deref(), Some("org_1"));
        assert_eq!(p.public_metadata["team"], "blue");
        assert_eq!(p.expires_in_days, Some(7));
        let e = invitee("a@x.co", &[f(Field::ExpiresInDays, "soon")]).unwrap_err();
        assert!(e.contains("`soon`"), "{e}");
    }
}
