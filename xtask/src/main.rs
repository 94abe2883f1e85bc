//! Maintainer tasks for clerk-invitations. Not part of the published crate.
//!
//! `cargo xtask update-spec PATH [--out FILE]` extracts the invitation operations (and every
//! component they reference) from a full Clerk Backend API OpenAPI file into the vendored
//! `openapi/clerk-bapi-invitations.yaml`.

use std::process::ExitCode;

mod extract;
mod webhooks;

const DEFAULT_OUT: &str = "openapi/clerk-bapi-invitations.yaml";
const DEFAULT_WEBHOOKS_OUT: &str = "openapi/clerk-webhooks-invitations.yaml";

fn usage() -> &'static str {
    "usage: cargo xtask update-spec PATH [--out FILE] [--force]\n\
     \x20      cargo xtask update-webhooks PATH [--out FILE] [--force]\n\
     \n\
     Extracts Clerk's invitation operations (those tagged Invitations or Organization\n\
     Invitations, or on a path naming invitations) and the components they reference from the\n\
     full Backend API spec at PATH, and writes them to FILE (default:\n\
     openapi/clerk-bapi-invitations.yaml). It reports operations upstream added or dropped, and\n\
     refuses to overwrite a file edited by hand (its recorded digest does not match) unless\n\
     --force is given: corrections belong in openapi/corrections.overlay.yaml.\n\
     \n\
     update-webhooks does the same for Clerk's webhook spec: it keeps the invitation events\n\
     under x-webhooks (organizationInvitation.created, ...) and the components they reference,\n\
     and writes openapi/clerk-webhooks-invitations.yaml; corrections belong in\n\
     openapi/webhooks.overlay.yaml."
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let webhooks = match args.first().map(String::as_str) {
        Some("update-spec") => false,
        Some("update-webhooks") => true,
        Some("-h" | "--help") | None => return Ok(usage().to_string()),
        Some(other) => return Err(format!("unknown task `{other}`\n\n{}", usage())),
    };
    let (default_out, overlay, what) = if webhooks {
        (
            DEFAULT_WEBHOOKS_OUT,
            "openapi/webhooks.overlay.yaml",
            "event",
        )
    } else {
        (DEFAULT_OUT, "openapi/corrections.overlay.yaml", "operation")
    };
    let mut input = None;
    let mut out = default_out.to_string();
    let mut force = false;
    let mut rest = args[1..].iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--out" => {
                out = rest
                    .next()
                    .ok_or_else(|| "--out needs a file name".to_string())?
                    .clone();
            }
            "--force" => force = true,
            flag if flag.starts_with('-') => return Err(format!("unknown flag `{flag}`")),
            path if input.is_none() => input = Some(path.to_string()),
            extra => return Err(format!("unexpected argument `{extra}`")),
        }
    }
    let input = input.ok_or_else(|| usage().to_string())?;
    let text =
        std::fs::read_to_string(&input).map_err(|e| format!("cannot read `{input}`: {e}"))?;
    let extracted = if webhooks {
        webhooks::extract(&text)
    } else {
        extract::extract(&text)
    }
    .map_err(|e| format!("`{input}`: {e}"))?;
    let previous = std::fs::read_to_string(&out).ok();
    let mut report = String::new();
    if let Some(previous) = &previous {
        if let Err(why) = extract::check_digest(previous)
            && !force
        {
            return Err(format!(
                "{out}: {why}. Corrections belong in {overlay} (see \
                 openapi/README.md): move the edit there, restore the file with `git checkout \
                 {out}`, and run this again (or pass --force to discard the edit)."
            ));
        }
        let before = extract::operation_ids(previous);
        for id in &extracted.operation_ids {
            if !before.contains(id) && webhooks {
                report.push_str(&format!(
                    "\nnew upstream invitation event {id}: it becomes a variant of \
                     `webhooks::InvitationEvent` at the next build"
                ));
            } else if !before.contains(id) {
                report.push_str(&format!(
                    "\nnew upstream invitation operation {id}: the build will ask for its \
                     `x-facade` mapping in {overlay}"
                ));
            }
        }
        for id in &before {
            if !extracted.operation_ids.contains(id) {
                report.push_str(&format!(
                    "\n{id} is no longer in the upstream spec: the crate loses the {what}; \
                     remove its actions from {overlay}"
                ));
            }
        }
    }
    if previous.as_deref() == Some(extracted.yaml.as_str()) {
        return Ok(format!(
            "{out} is already up to date (spec version {}, {} {what}s){report}",
            extracted.version,
            extracted.operation_ids.len()
        ));
    }
    std::fs::write(&out, &extracted.yaml).map_err(|e| format!("cannot write `{out}`: {e}"))?;
    Ok(format!(
        "wrote {out}: spec version {}, {} {what}s, {} components; run `cargo build` to regenerate the client{report}",
        extracted.version,
        extracted.operation_ids.len(),
        extracted.components
    ))
}
