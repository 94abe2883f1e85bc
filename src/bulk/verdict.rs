//! What an answer to a bulk request means for each address of it: outcomes, a split of the
//! group, a wait, or a failure.

use super::*;

/// What an answer to a group means.
pub(super) enum Verdict {
    /// Outcomes for (some of) the group; the rest goes back to the queue.
    Outcomes(Vec<Outcome>, Vec<String>),
    /// The error does not say which address caused it: split the group.
    Split,
    /// Rate limited: wait, then send the group again.
    Wait(Duration),
    /// Every address failed with this error (after the client's retries).
    Failed(Error),
    /// Nothing more can succeed.
    Fatal(Error),
}

pub(super) fn application_verdict(group: &[String], e: Error) -> Verdict {
    if e.is_duplicate() {
        // The service names the addresses that have invitations.
        let named: Vec<String> = e
            .api_errors()
            .iter()
            .filter_map(|a| a.meta.get("email_addresses"))
            .filter_map(|v| v.as_array())
            .flatten()
            .filter_map(|v| v.as_str())
            .map(crate::address::normalize)
            .collect();
        let (dup, rest): (Vec<String>, Vec<String>) =
            group.iter().cloned().partition(|g| named.contains(g));
        if dup.is_empty() {
            return if group.len() == 1 {
                one(group, OutcomeKind::AlreadyInvited { id: None })
            } else {
                Verdict::Split
            };
        }
        let outcomes = dup
            .into_iter()
            .map(|email| Outcome {
                email,
                kind: OutcomeKind::AlreadyInvited { id: None },
            })
            .collect();
        return Verdict::Outcomes(outcomes, rest);
    }
    if e.has_code("form_identifier_exists") {
        return blame(
            group,
            &e,
            "form_identifier_exists",
            OutcomeKind::AlreadyUser,
        );
    }
    common_verdict(group, e)
}

/// For an error that names its item by index in `meta.param_name` (`[3].email_address`),
/// gives that address `kind` and requeues the rest; otherwise splits the group.
fn blame(group: &[String], e: &Error, code: &str, kind: OutcomeKind) -> Verdict {
    if group.len() == 1 {
        return one(group, kind);
    }
    let index = e
        .api_errors()
        .iter()
        .filter(|a| a.code == code)
        .filter_map(|a| a.meta.get("param_name").and_then(|p| p.as_str()))
        .find_map(|p| {
            p.strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .and_then(|(i, _)| i.parse::<usize>().ok())
        });
    match index {
        Some(i) if i < group.len() => {
            let mut rest = group.to_vec();
            let email = rest.remove(i);
            Verdict::Outcomes(vec![Outcome { email, kind }], rest)
        }
        _ => Verdict::Split,
    }
}

/// The outcomes of a successful answer, plus a `failed` one for any address of the group the
/// answer left out (so that no address is ever lost), and none for addresses not asked for.
pub(super) fn account_for(group: &[String], mut outcomes: Vec<Outcome>) -> Vec<Outcome> {
    let mut seen = HashSet::new();
    outcomes.retain(|o| group.contains(&o.email) && seen.insert(o.email.clone()));
    for email in group {
        if !outcomes.iter().any(|o| &o.email == email) {
            outcomes.push(Outcome {
                email: email.clone(),
                kind: OutcomeKind::Failed {
                    error: "the service's answer did not include this address".into(),
                },
            });
        }
    }
    outcomes
}

fn one(group: &[String], kind: OutcomeKind) -> Verdict {
    Verdict::Outcomes(
        vec![Outcome {
            email: group[0].clone(),
            kind,
        }],
        Vec::new(),
    )
}

pub(super) fn common_verdict(group: &[String], e: Error) -> Verdict {
    if e.is_rate_limited() {
        // The engine's own floor for a hint of 0 or none; it grows with each 429 in a row.
        return Verdict::Wait(e.retry_after().unwrap_or(Duration::ZERO));
    }
    let code = e.code();
    if e.status() == Some(422)
        && code
            .as_ref()
            .is_some_and(|c| c.as_str().starts_with("form_param"))
    {
        let reason = e
            .api_errors()
            .first()
            .map(|a| a.long_message.clone())
            .unwrap_or_else(|| e.to_string());
        return blame(
            group,
            &e,
            code.as_ref().map_or("", |c| c.as_str()),
            OutcomeKind::Invalid { reason },
        );
    }
    match e.kind() {
        ErrorKind::Api if matches!(e.status(), Some(401..=404)) => Verdict::Fatal(e),
        ErrorKind::Configuration | ErrorKind::InvalidInput => Verdict::Fatal(e),
        _ => Verdict::Failed(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, body: serde_json::Value) -> Error {
        crate::transport::error_from_parts(
            status,
            &reqwest::header::HeaderMap::new(),
            body.to_string().as_bytes(),
            None,
        )
    }

    fn group(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("u{i}@x.co")).collect()
    }

    #[test]
    fn duplicates_named_in_meta_are_peeled_off() {
        let e = api(
            400,
            serde_json::json!({"errors": [{"code": "duplicate_record", "meta": {"email_addresses": ["U1@x.co", "u3@x.co"]}}]}),
        );
        match application_verdict(&group(4), e) {
            Verdict::Outcomes(o, rest) => {
                assert_eq!(o.len(), 2);
                assert!(
                    o.iter()
                        .all(|o| o.kind == OutcomeKind::AlreadyInvited { id: None })
                );
                assert_eq!(rest, vec!["u0@x.co", "u2@x.co"]);
            }
            _ => panic!("expected outcomes"),
        }
    }

    #[test]
    fn an_error_that_names_no_address_splits_the_group() {
        let e = api(
            422,
            serde_json::json!({"errors": [{"code": "form_identifier_exists", "meta": {"param_name": "email_address"}}]}),
        );
        assert!(matches!(application_verdict(&group(4), e), Verdict::Split));
        let e = api(
            422,
            serde_json::json!({"errors": [{"code": "form_identifier_exists", "meta": {"param_name": "[2].email_address"}}]}),
        );
        match application_verdict(&group(4), e) {
            Verdict::Outcomes(o, rest) => {
                assert_eq!(o[0].email, "u2@x.co");
                assert_eq!(o[0].kind, OutcomeKind::AlreadyUser);
                assert_eq!(rest.len(), 3);
            }
            _ => panic!("expected outcomes"),
        }
        let e = api(
            422,
            serde_json::json!({"errors": [{"code": "form_identifier_exists"}]}),
        );
        assert!(matches!(
            application_verdict(&group(1), e),
            Verdict::Outcomes(..)
        ));
    }

    #[test]
    fn fatal_rate_limited_and_transient() {
        let e = api(
            401,
            serde_json::json!({"errors": [{"code": "clerk_key_invalid"}]}),
        );
        assert!(matches!(common_verdict(&group(2), e), Verdict::Fatal(_)));
        let e = api(
            429,
            serde_json::json!({"errors": [{"code": "too_many_requests"}]}),
        );
        assert!(matches!(common_verdict(&group(2), e), Verdict::Wait(_)));
        let e = api(503, serde_json::json!({}));
        assert!(matches!(common_verdict(&group(2), e), Verdict::Failed(_)));
    }

    #[test]
    fn answers_that_leave_out_or_add_addresses_lose_nothing() {
        let g = group(3);
        let got = vec![
            Outcome::new("u0@x.co", OutcomeKind::Invited { id: "a".into() }),
            Outcome::new("stranger@x.co", OutcomeKind::Invited { id: "b".into() }),
        ];
        let all = account_for(&g, got);
        let names: Vec<(&str, &str)> = all
            .iter()
            .map(|o| (o.email.as_str(), o.kind.name()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("u0@x.co", "invited"),
                ("u1@x.co", "failed"),
                ("u2@x.co", "failed")
            ]
        );
    }
}
