//! `webhook verify`: checks a captured delivery against a signing secret.

use super::*;
use clerk_invitations::webhooks::{HeaderMap, Webhook};
use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Largest capture read: Clerk's events are a few kilobytes.
const MAX_CAPTURE: u64 = 4 * 1024 * 1024;

pub(crate) fn verify(secret: Option<&str>, at: Option<u64>, out: &Output) -> Result<u8, Failure> {
    let secret = match secret {
        Some(s) => s.to_string(),
        None => std::env::var("CLERK_WEBHOOK_SECRET").map_err(|_| {
            fail(
                3,
                "no signing secret: pass --secret or set CLERK_WEBHOOK_SECRET",
            )
        })?,
    };
    let webhook = Webhook::new(&secret).map_err(|e| fail(3, e.to_string()))?;
    let mut capture = Vec::new();
    std::io::stdin()
        .take(MAX_CAPTURE + 1)
        .read_to_end(&mut capture)
        .map_err(|e| fail(2, format!("cannot read standard input: {e}")))?;
    if capture.len() as u64 > MAX_CAPTURE {
        return Err(fail(2, "the capture is larger than 4 MiB"));
    }
    let (headers, body) = parse_capture(&capture)?;
    let now = match at {
        None => SystemTime::now(),
        Some(s) => UNIX_EPOCH
            .checked_add(Duration::from_secs(s))
            .ok_or_else(|| {
                fail(
                    2,
                    format!("--at {s} is past the latest time this machine's clock can hold"),
                )
            })?,
    };
    let event = webhook
        .verify_at(&headers, body, now)
        .map_err(|e| fail(1, format!("not verified: {e}")))?;
    let id = headers
        .get("svix-id")
        .or_else(|| headers.get("webhook-id"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if out.json {
        println!(
            "{}",
            serde_json::json!({"verified": true, "type": event.event_type(), "id": id})
        );
    } else {
        println!("{}", tsv(&["verified", event.event_type(), id]));
    }
    Ok(0)
}

/// Headers and body of a capture: `Name: value` lines (after an optional request line such as
/// `POST /webhooks HTTP/1.1`), a blank line, then the body byte for byte.
fn parse_capture(capture: &[u8]) -> Result<(HeaderMap, &[u8]), Failure> {
    let (head, body) = split_head(capture)
        .ok_or_else(|| fail(2, "no blank line between the headers and the body"))?;
    let head = std::str::from_utf8(head).map_err(|_| fail(2, "the headers are not text"))?;
    let mut headers = HeaderMap::new();
    for (n, line) in head.lines().enumerate() {
        let Some((name, value)) = line.split_once(':') else {
            if n == 0 {
                continue; // the request line
            }
            return Err(fail(2, format!("header line {} has no `:`", n + 1)));
        };
        let name = http::HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| fail(2, format!("header line {} has an invalid name", n + 1)))?;
        let value = http::HeaderValue::from_str(value.trim())
            .map_err(|_| fail(2, format!("header line {} has an invalid value", n + 1)))?;
        headers.append(name, value);
    }
    Ok((headers, body))
}

/// The capture split at its first blank line (`\r\n\r\n` or `\n\n`).
fn split_head(capture: &[u8]) -> Option<(&[u8], &[u8])> {
    let crlf = capture
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4));
    let lf = capture
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| (i, 2));
    let (at, len) = match (crlf, lf) {
        (Some(a), Some(b)) => std::cmp::min_by_key(a, b, |x| x.0),
        (a, b) => a.or(b)?,
    };
    Some((&capture[..at], &capture[at + len..]))
}
