//! Parsing: JSON bodies, fields, list queries, bulk items; and pages of results.

use super::*;

/// A request body, whole, up to [`MAX_BODY`]; a larger one is the service's 413.
pub(super) async fn read_body(body: Body) -> Result<axum::body::Bytes, Response> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        clerk_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_body_too_large",
            "Request body too large",
            &format!("The request body exceeds the maximum allowed size of {MAX_BODY} bytes."),
            None,
        )
    })
}

pub(super) async fn json_body(
    headers: &HeaderMap,
    body: Body,
    required: bool,
) -> Result<Value, Response> {
    let bytes = read_body(body).await?;
    if bytes.is_empty() && !required {
        return Ok(Value::Object(Map::new()));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(clerk_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_type",
            "Content-Type is unsupported",
            &format!(
                "Content-Type {} is unsupported. You should use application/json instead.",
                headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("(none)")
            ),
            None,
        ));
    }
    serde_json::from_slice(&bytes).map_err(|_| {
        clerk_error(
            StatusCode::BAD_REQUEST,
            "request_body_invalid",
            "Request body invalid",
            "The request body is invalid. Please consult the API documentation for more information.",
            None,
        )
    })
}

pub(super) struct Fields<'a> {
    pub(super) obj: &'a Map<String, Value>,
    pub(super) prefix: String,
}

impl<'a> Fields<'a> {
    pub(super) fn new(v: &'a Value, allowed: &[&str], prefix: String) -> Result<Self, Response> {
        let obj = v.as_object().ok_or_else(|| {
            clerk_error(
                StatusCode::BAD_REQUEST,
                "request_body_invalid",
                "Request body invalid",
                "The request body is invalid. Please consult the API documentation for more information.",
                None,
            )
        })?;
        if let Some(unknown) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            let p = format!("{prefix}{unknown}");
            return Err(param_error(
                "form_param_unknown",
                &p,
                format!("{p} is not a valid parameter for this request."),
            ));
        }
        Ok(Fields { obj, prefix })
    }

    pub(super) fn name(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    pub(super) fn get(&self, field: &str) -> Option<&'a Value> {
        self.obj.get(field).filter(|v| !v.is_null())
    }

    pub(super) fn email(&self) -> Result<String, Response> {
        let name = self.name("email_address");
        match self.get("email_address") {
            None => Err(param_error(
                "form_param_missing",
                &name,
                format!("{name} must be included."),
            )),
            Some(Value::String(s)) if s.trim().is_empty() => Err(param_error(
                "form_param_missing",
                &name,
                format!("{name} must be included."),
            )),
            Some(Value::String(s)) if crate::validate::email(&name, s).is_ok() => {
                Ok(crate::address::normalize(s))
            }
            Some(_) => Err(param_error(
                "form_param_format_invalid",
                &name,
                format!("{name} must be a valid email address."),
            )),
        }
    }

    pub(super) fn string(&self, field: &str) -> Result<Option<String>, Response> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(&self.name(field))),
        }
    }

    pub(super) fn required_string(&self, field: &str) -> Result<String, Response> {
        match self.string(field)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => {
                let n = self.name(field);
                Err(param_error(
                    "form_param_missing",
                    &n,
                    format!("{n} must be included."),
                ))
            }
        }
    }

    pub(super) fn boolean(&self, field: &str, default: bool) -> Result<bool, Response> {
        match self.get(field) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(invalid(&self.name(field))),
        }
    }

    pub(super) fn metadata(&self, field: &str) -> Result<Map<String, Value>, Response> {
        match self.get(field) {
            None => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(_) => Err(invalid(&self.name(field))),
        }
    }

    pub(super) fn expires_in_days(&self) -> Result<Option<i64>, Response> {
        match self.get("expires_in_days") {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(d) if (1..=365).contains(&d) => Ok(Some(d)),
                _ => Err(invalid(&self.name("expires_in_days"))),
            },
        }
    }
}

pub(super) struct ListQuery {
    pub(super) statuses: Vec<String>,
    pub(super) query: Option<String>,
    pub(super) email_address: Option<String>,
    pub(super) order_by: (String, bool),
    pub(super) paginated: bool,
    pub(super) limit: usize,
    pub(super) offset: usize,
}

pub(super) fn parse_query(
    raw: Option<String>,
    allowed_order: &[&str],
) -> Result<ListQuery, Response> {
    let mut q = ListQuery {
        statuses: Vec::new(),
        query: None,
        email_address: None,
        order_by: ("created_at".into(), true),
        paginated: false,
        limit: 10,
        offset: 0,
    };
    let raw = raw.unwrap_or_default();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        match &*k {
            "status" => {
                if !InvitationStatus::KNOWN.contains(&&*v) {
                    return Err(invalid_with_allowed(
                        "status",
                        &v,
                        &InvitationStatus::KNOWN.join(", "),
                    ));
                }
                q.statuses.push(v.into_owned());
            }
            "query" => q.query = Some(v.to_lowercase()),
            "email_address" => q.email_address = Some(crate::address::normalize(&v)),
            "order_by" => {
                let (desc, field) = match v.strip_prefix('-') {
                    Some(f) => (true, f),
                    None => (false, v.strip_prefix('+').unwrap_or(&v)),
                };
                if !allowed_order.contains(&field) {
                    return Err(invalid_with_allowed(
                        "order_by",
                        &v,
                        &format!(
                            "{}, optionally prefixed with + or -",
                            allowed_order.join(", ")
                        ),
                    ));
                }
                q.order_by = (field.to_string(), desc);
            }
            "paginated" => q.paginated = v == "true",
            "limit" => match v.parse::<usize>() {
                Ok(l) if (1..=500).contains(&l) => q.limit = l,
                _ => {
                    return Err(invalid_with_allowed("limit", &v, "1 to 500"));
                }
            },
            "offset" => match v.parse::<usize>() {
                Ok(o) => q.offset = o,
                _ => {
                    return Err(invalid_with_allowed("offset", &v, "0 or greater"));
                }
            },
            _ => {}
        }
    }
    Ok(q)
}

/// The items of a bulk request: a JSON array of 1 to 10 objects, each parsed with `parse`
/// (whose errors name the item's index).
pub(super) async fn bulk_items<T>(
    headers: &HeaderMap,
    body: Body,
    parse: fn(&Value, String) -> Result<T, Response>,
) -> Result<Vec<T>, Response> {
    let v = json_body(headers, body, true).await?;
    let Some(items) = v.as_array() else {
        return Err(clerk_error(
            StatusCode::BAD_REQUEST,
            "request_body_invalid",
            "Request body invalid",
            "The request body is invalid. Please consult the API documentation for more information.",
            None,
        ));
    };
    if items.is_empty() {
        return Err(param_error(
            "form_param_missing",
            "invitations",
            "invitations must be included.".into(),
        ));
    }
    if items.len() > MAX_BULK {
        return Err(clerk_error(
            StatusCode::BAD_REQUEST,
            "bulk_size_exceeded",
            "bulk size exceeded",
            "Parameters exceed the maximum allowed bulk processing size of 10.",
            None,
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse(item, format!("[{i}].")))
        .collect()
}

pub(super) fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

/// `resource_not_found`, in Clerk's words for what was not found.
pub(super) fn not_found(what: &str, id: &str) -> Response {
    let long = match what {
        "organization" => "Given organization not found.".to_string(),
        "user" => format!("No user was found with id {id}"),
        // Application and organization invitations alike.
        _ => format!("No invitation was found with id {id}."),
    };
    clerk_error(
        StatusCode::NOT_FOUND,
        "resource_not_found",
        "not found",
        &long,
        None,
    )
}

pub(super) fn compare<T: Ord>(a: T, b: T, desc: bool) -> Ordering {
    if desc { b.cmp(&a) } else { a.cmp(&b) }
}

/// The page of items already in the wanted order, and how many there are.
pub(super) fn page_in_order<T>(items: impl Iterator<Item = T>, q: &ListQuery) -> (Vec<T>, usize) {
    let mut total = 0;
    let mut page = Vec::with_capacity(q.limit.min(64));
    for item in items {
        if total >= q.offset && page.len() < q.limit {
            page.push(item);
        }
        total += 1;
    }
    (page, total)
}

/// The page of `items` in the order of `cmp` (a total order), and how many there are. Selects
/// the page in linear time and sorts only the page.
pub(super) fn page_sorted<T>(
    mut items: Vec<T>,
    q: &ListQuery,
    cmp: impl Fn(&T, &T) -> Ordering,
) -> (Vec<T>, usize) {
    let total = items.len();
    if q.offset >= total || q.limit == 0 {
        return (Vec::new(), total);
    }
    if q.offset > 0 {
        items.select_nth_unstable_by(q.offset, &cmp);
        items.drain(..q.offset);
    }
    if q.limit < items.len() {
        items.select_nth_unstable_by(q.limit - 1, &cmp);
        items.truncate(q.limit);
    }
    items.sort_unstable_by(&cmp);
    (items, total)
}
