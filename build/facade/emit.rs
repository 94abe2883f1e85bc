//! Writes the Rust code of one operation: its builder, its handle method, its send and stream.

use super::HANDLES;
use super::fields::*;
use super::model::*;
use std::fmt::Write as _;

pub fn emit(op: &Op, out: &mut String) -> Result<(), String> {
    let b = &op.builder;
    let body_fields: &[Field] = match &op.body {
        Body::Object(f) => f,
        Body::Array { fields, .. } => fields,
        Body::None => &[],
    };
    // Setter names must not collide.
    let mut names: Vec<String> = Vec::new();
    for f in op
        .query
        .iter()
        .chain(if matches!(op.body, Body::Object(_)) {
            body_fields
        } else {
            &[]
        })
    {
        let n = bare(&f.ident).to_string();
        if names.contains(&n) {
            return Err(format!(
                "operation {}: two parameters are named `{n}`; the facade cannot give both a \
                 setter",
                op.id
            ));
        }
        names.push(n);
    }

    let example_doc = op
        .example
        .as_deref()
        .map(|e| {
            let mut s = String::from("///\n/// ```no_run\n/// # #![allow(deprecated)]\n/// # async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {\n");
            for line in e.trim_end().lines() {
                s.push_str(&format!("/// {line}\n"));
            }
            s.push_str("/// # Ok(()) }\n/// ```\n");
            s
        })
        .unwrap_or_default();
    // Item type of an array body.
    if let Body::Array { item, fields, .. } = &op.body {
        let doc = format!(
            "/// One item of [`{b}`]: the fields of each element of the `{} {}` body.\n{example_doc}",
            op.method, op.path
        );
        body_struct(item, fields, true, &doc, out);
    }
    if let Body::Object(fields) = &op.body {
        body_struct(&format!("{b}Body"), fields, false, "", out);
    }

    // The builder.
    let ret = match &op.page {
        Some(PageShape::Envelope { item }) => format!("crate::Page<{item}>"),
        Some(PageShape::InvitationList) => {
            "crate::Page<crate::generated::types::Invitation>".into()
        }
        None if op.retry == "delete" => format!("crate::Deleted<{}>", op.response),
        None if op.retry == "organization-create" && matches!(op.body, Body::Object(_)) => {
            format!("crate::Created<{}>", op.response)
        }
        None => op.response.clone(),
    };
    write!(
        out,
        "/// `{} {}`. Made by [`{}::{}`](crate::{}::{}); send it with `.send()`, \
         `.send_with_http_info()` or `.await`.\n{example_doc}#[derive(Clone, Debug)]\n#[must_use = \"a request does nothing until it is sent or awaited\"]\npub struct {b} {{\n    clerk: crate::Clerk,\n    opts: crate::request::RequestOptions,\n",
        op.method, op.path, op.handle, op.fn_name, op.handle, op.fn_name
    )
    .ok();
    for f in &op.path_args {
        writeln!(out, "    {}: ::std::string::String,", f.ident).ok();
    }
    for f in &op.query {
        writeln!(out, "    {}: {},", f.ident, field_storage(f)).ok();
    }
    match &op.body {
        Body::Object(_) => writeln!(out, "    body: {b}Body,").ok(),
        Body::Array { item, .. } => writeln!(out, "    items: ::std::vec::Vec<{item}>,").ok(),
        Body::None => None,
    };
    out.push_str("}\n\n");

    // The handle's method.
    let mut args = Vec::new();
    let mut init = vec![
        "clerk: self.clerk.clone()".to_string(),
        "opts: ::std::default::Default::default()".to_string(),
    ];
    for f in &op.path_args {
        if op.handle_fields.contains(&f.wire) {
            init.push(format!("{}: self.{}.clone()", f.ident, f.ident));
        } else {
            args.push(format!(
                "{}: impl ::std::convert::Into<::std::string::String>",
                f.ident
            ));
            init.push(format!("{}: {}.into()", f.ident, f.ident));
        }
    }
    for f in &op.query {
        if f.required && !matches!(f.ty, Ty::Array(_)) {
            args.push(format!("{}: {}", f.ident, arg(&f.ty, "").0));
            init.push(format!("{}: {}", f.ident, arg(&f.ty, &f.ident).1));
        } else {
            init.push(format!("{}: ::std::default::Default::default()", f.ident));
        }
    }
    match &op.body {
        Body::Object(fields) => {
            let mut body_init = Vec::new();
            for f in fields {
                if f.required {
                    args.push(format!("{}: {}", f.ident, arg(&f.ty, "").0));
                    body_init.push(format!("{}: {}", f.ident, arg(&f.ty, &f.ident).1));
                } else {
                    body_init.push(format!("{}: ::std::default::Default::default()", f.ident));
                }
            }
            init.push(format!("body: {b}Body {{ {} }}", body_init.join(", ")));
        }
        Body::Array { item, arg: a, .. } => {
            args.push(format!(
                "{a}: impl ::std::iter::IntoIterator<Item = {item}>"
            ));
            init.push(format!("items: {a}.into_iter().collect()"));
        }
        Body::None => {}
    }
    let example = op
        .example
        .as_deref()
        .map(|e| {
            let mut s = String::from("\n\n```no_run\n# #![allow(deprecated)]\n# async fn demo(clerk: clerk_invitations::Clerk) -> clerk_invitations::Result<()> {\n");
            s.push_str(e.trim_end());
            s.push_str("\n# Ok(()) }\n```");
            s
        })
        .unwrap_or_default();
    let deprecated = op
        .deprecated
        .as_deref()
        .map(|n| format!("    #[deprecated(note = {n:?})]\n"))
        .unwrap_or_default();
    write!(
        out,
        "impl crate::handles::{} {{\n{}{deprecated}    pub fn {}(&self{}) -> {b} {{\n        {b} {{ {} }}\n    }}\n}}\n\n",
        op.handle,
        doc_lines(&format!("{}{example}", op.doc), "    "),
        op.fn_name,
        args.iter().map(|a| format!(", {a}")).collect::<String>(),
        init.join(", ")
    )
    .ok();

    // Setters and send.
    writeln!(out, "impl {b} {{").ok();
    setters(&op.query, "self.", out);
    if let Body::Object(fields) = &op.body {
        setters(fields, "self.body.", out);
    }
    let mut checks = String::new();
    for f in &op.path_args {
        writeln!(
            checks,
            "crate::validate::path_id({:?}, &self.{})?;",
            f.wire, f.ident
        )
        .ok();
    }
    for f in &op.query {
        checks.push_str(&check_field(
            f,
            &format!("self.{}", f.ident),
            &format!("{:?}", f.wire),
        ));
    }
    match &op.body {
        Body::Object(_) => checks.push_str("self.body.check(&\"\")?;\n"),
        Body::Array { arg: a, rules, .. } => {
            writeln!(
                checks,
                "crate::validate::items({a:?}, self.items.len(), {:?}, {:?})?;\nfor (i, item) in self.items.iter().enumerate() {{ item.check(&crate::validate::Item({a:?}, i))?; }}",
                rules.min_items, rules.max_items
            )
            .ok();
        }
        Body::None => {}
    }
    // The path, with each parameter percent-encoded inside its segment.
    let mut fmt = op.path.clone();
    let mut fmt_args = Vec::new();
    for f in &op.path_args {
        fmt = fmt.replace(&format!("{{{}}}", f.wire), "{}");
        fmt_args.push(format!("crate::request::segment(&self.{})", f.ident));
    }
    // Allocated once, at its final size (nothing at all when the query is empty).
    let mut capacity = vec![op.fixed.len().to_string()];
    for f in &op.query {
        capacity.push(match &f.ty {
            Ty::Array(_) => format!("self.{}.len()", f.ident),
            _ if f.required => "1".into(),
            _ => format!("usize::from(self.{}.is_some())", f.ident),
        });
    }
    let mut query = format!(
        "let mut query: ::std::vec::Vec<(&'static str, ::std::borrow::Cow<'static, str>)> = ::std::vec::Vec::with_capacity({});\n",
        capacity.join(" + ")
    );
    for (k, v) in &op.fixed {
        writeln!(
            query,
            "query.push(({k:?}, ::std::borrow::Cow::Borrowed({v:?})));"
        )
        .ok();
    }
    for f in &op.query {
        query.push_str(&query_push(f, &format!("self.{}", f.ident)));
    }
    let body = match &op.body {
        Body::Object(_) => "Some(crate::request::json_body(&self.body)?)",
        Body::Array { .. } => "Some(crate::request::json_body(&self.items)?)",
        Body::None => "None",
    };
    let email_of = |what: &str| -> Result<(), String> {
        if body_fields
            .iter()
            .any(|f| f.wire == "email_address" && f.required && matches!(f.ty, Ty::Str))
        {
            Ok(())
        } else {
            Err(format!(
                "operation {}: `retry: {what}` needs a required string body property `email_address`",
                op.id
            ))
        }
    };
    let has_path = |name: &str| -> Result<(), String> {
        if op.path_args.iter().any(|f| f.wire == name) {
            Ok(())
        } else {
            Err(format!(
                "operation {}: `retry: {}` needs the path parameter `{name}`",
                op.id, op.retry
            ))
        }
    };
    let operation = match op.retry.as_str() {
        "idempotent" | "organization-create" => {
            format!("crate::retry::Operation::idempotent({:?})", op.snake)
        }
        "create-settled-by-lookup" => {
            email_of(&op.retry)?;
            let has = |name: &str| body_fields.iter().any(|f| f.wire == name);
            let asked = |v: &str| {
                format!(
                    "crate::settle::Asked {{ email: {v}.email_address.clone(), public_metadata: {}, ignore_existing: {} }}",
                    if has("public_metadata") {
                        format!("{v}.public_metadata.clone()")
                    } else {
                        "None".into()
                    },
                    if has("ignore_existing") {
                        format!("{v}.ignore_existing.unwrap_or(false)")
                    } else {
                        "false".into()
                    },
                )
            };
            match &op.body {
                Body::Array { .. } => format!(
                    "crate::settle::create_invitations(&self.clerk, {:?}, self.items.iter().map(|i| {}).collect(), started).await?",
                    op.snake,
                    asked("i")
                ),
                _ => format!(
                    "crate::settle::create_invitation(&self.clerk, {:?}, {}, started).await?",
                    op.snake,
                    asked("self.body")
                ),
            }
        }
        "revoke-invitation" => {
            has_path("invitation_id")?;
            format!(
                "crate::settle::revoke_invitation(&self.clerk, {:?}, self.invitation_id.clone())",
                op.snake
            )
        }
        "revoke-organization-invitation" => {
            has_path("invitation_id")?;
            has_path("organization_id")?;
            format!(
                "crate::settle::revoke_organization_invitation(&self.clerk, {:?}, self.organization_id.clone(), self.invitation_id.clone())",
                op.snake
            )
        }
        "delete" => {
            let id = op.path_args.last().ok_or_else(|| {
                format!(
                    "operation {}: `retry: delete` needs a path parameter naming what it deletes",
                    op.id
                )
            })?;
            if op.page.is_some() {
                return Err(format!("operation {}: a delete has no page", op.id));
            }
            format!(
                "crate::settle::delete({:?}, self.{}.clone())",
                op.snake, id.ident
            )
        }
        other => return Err(format!("operation {}: unknown retry class {other}", op.id)),
    };
    let org_create = op.retry == "organization-create" && matches!(op.body, Body::Object(_));
    if org_create {
        for name in ["email_address", "role"] {
            if !body_fields.iter().any(|f| f.wire == name && f.required) {
                return Err(format!(
                    "operation {}: `retry: organization-create` needs a required body property `{name}`",
                    op.id
                ));
            }
        }
        has_path("organization_id")?;
    }
    let meta = |name: &str| {
        if body_fields.iter().any(|f| f.wire == name) {
            format!("self.body.{name}.clone()")
        } else {
            "None".into()
        }
    };
    let org_asked = format!(
        "crate::settle::OrgAsked {{ organization_id: self.organization_id.clone(), email: self.body.email_address.clone(), role: self.body.role.clone(), public_metadata: {}, private_metadata: {} }}",
        meta("public_metadata"),
        meta("private_metadata"),
    );
    let deleted = match op.path_args.last() {
        Some(id) if op.retry == "delete" => Some(id.ident.clone()),
        _ => None,
    };
    // The retry loop, and how its answer becomes the call's.
    let execute = if org_create {
        format!(
            "let result = crate::request::execute_wire::<{}>(&self.clerk, &self.opts, op, &wire, resumed).await;\n            crate::settle::organization_created(&self.clerk, result, started, &{org_asked}).await",
            op.response
        )
    } else if let Some(id) = &deleted {
        format!(
            "let _ = started;\n            crate::request::execute_wire_deletion(&self.clerk, &self.opts, op, &wire, &self.{id}, resumed).await"
        )
    } else {
        format!(
            "let response: crate::Response<{}> = crate::request::execute_wire(&self.clerk, &self.opts, op, &wire, resumed).await?;\n            Ok(crate::call::Builder::finish(&self, response, started))",
            op.response
        )
    };
    let has_offset = op
        .query
        .iter()
        .any(|f| f.wire == "offset" && matches!(f.ty, Ty::Int(_)));
    let offset_expr = if has_offset {
        "self.offset.map(u64::from).unwrap_or(0)"
    } else {
        "0"
    };
    // A first attempt's answer as the call's (a plain function: no look-up).
    let finish = match &op.page {
        Some(PageShape::Envelope { .. }) => format!(
            "let offset = {offset_expr};\n        response.map(|p| crate::Page::new(p.data, u64::try_from(p.total_count).ok(), offset))"
        ),
        Some(PageShape::InvitationList) => format!(
            "let offset = {offset_expr};\n        response.map(|body| match body {{\n            crate::models::InvitationList::Page(p) => crate::Page::new(p.data, u64::try_from(p.total_count).ok(), offset),\n            crate::models::InvitationList::Array(items) => crate::Page::new(items, None, offset),\n        }})"
        ),
        None if org_create => {
            format!("crate::settle::organization_answered(response, started, false, &{org_asked})")
        }
        None => match &deleted {
            Some(id) => format!("response.map(|answer| crate::Deleted::now(&self.{id}, answer))"),
            None => "response".into(),
        },
    };
    // Whether the first attempt can go at once: not when a create must first list what exists.
    let ignore_existing = body_fields.iter().any(|f| f.wire == "ignore_existing");
    let direct = match &op.body {
        _ if op.retry != "create-settled-by-lookup" || !ignore_existing => "true".to_string(),
        Body::Array { .. } => {
            "!self.items.iter().any(|i| i.ignore_existing.unwrap_or(false))".into()
        }
        _ => "!self.body.ignore_existing.unwrap_or(false)".into(),
    };
    let method_const = op.method.clone();
    // A path without parameters is not allocated on every call.
    let path_expr = if fmt_args.is_empty() {
        format!("::std::borrow::Cow::Borrowed({fmt:?})")
    } else {
        format!(
            "::std::borrow::Cow::Owned(format!({fmt:?}{}))",
            fmt_args
                .iter()
                .map(|a| format!(", {a}"))
                .collect::<String>()
        )
    };
    // A stream over every page.
    let limit = op.query.iter().find(|f| f.wire == "limit");
    if let (Some(page), Some(limit), true) = (&op.page, limit, has_offset) {
        let item = match page {
            PageShape::Envelope { item } => item.clone(),
            PageShape::InvitationList => "crate::generated::types::Invitation".into(),
        };
        if !matches!(limit.ty, Ty::Int("u32")) {
            return Err(format!(
                "operation {}: a paged list needs `limit` with a maximum that fits 32 bits",
                op.id
            ));
        }
        let offset_ty = op
            .query
            .iter()
            .find(|f| f.wire == "offset")
            .map(|f| storage(&f.ty))
            .unwrap_or_default();
        let offset_conv = if offset_ty == "u64" {
            "Ok::<u64, crate::Error>(offset)"
        } else {
            "crate::page::offset_u32(offset)"
        };
        write!(
            out,
            "\n    /// Every matching item, fetched page by page (pages of `limit`, default \
             {{DEFAULT_STREAM_PAGE_SIZE}}) as the stream is polled; stops after the last page.\n    ///\n    /// Pages are read by offset: revoking, deleting or creating items of this list while \
             reading it shifts the later pages and skips or repeats items. To act on what a \
             list holds, collect it first (`try_collect`), then act.\n    ///\n    /// ```no_run\n    /// # async fn demo(b: clerk_invitations::{b}) -> clerk_invitations::Result<()> {{\n    /// use clerk_invitations::prelude::*;\n    /// let all: Vec<_> = b.stream().try_collect().await?;\n    /// # Ok(()) }}\n    /// ```\n    pub fn stream(self) -> impl ::futures_core::Stream<Item = crate::Result<{item}>> + Send + 'static {{\n        let limit = self.limit.unwrap_or(crate::DEFAULT_STREAM_PAGE_SIZE);\n        let start = self.offset.map(u64::from).unwrap_or(0);\n        crate::page::paginate(start, limit, |item: &{item}| item.id.as_str(), move |offset, limit| {{\n            let mut req = self.clone();\n            req.limit = Some(limit);\n            let offset = {offset_conv};\n            async move {{\n                req.offset = Some(offset?);\n                req.send().await\n            }}\n        }})\n    }}\n"
        )
        .ok();
    }
    out.push_str("}\n");
    // Only an organization create's answer depends on when the call began.
    let started = if org_create { "started" } else { "_started" };
    write!(
        out,
        "impl crate::call::Sealed for {b} {{}}\n\
         #[allow(private_interfaces)]\n\
         impl crate::call::Builder for {b} {{\n    \
             type Output = {ret};\n    \
             type Answer = {answer};\n    \
             const OPERATION: &'static str = {snake:?};\n    \
             fn clerk(&self) -> &crate::Clerk {{ &self.clerk }}\n    \
             fn options(&self) -> &crate::request::RequestOptions {{ &self.opts }}\n    \
             fn wire(&self) -> crate::Result<crate::request::Wire> {{\n        \
                 {checks}\n        \
                 let path = {path_expr};\n        \
                 {query}\n        \
                 Ok(crate::request::Wire {{ method: ::reqwest::Method::{method_const}, path, query, body: {body} }})\n    \
             }}\n    \
             fn direct(&self) -> bool {{ {direct} }}\n    \
             fn finish(&self, response: crate::Response<{answer}>, {started}: crate::settle::Started) -> crate::Response<{ret}> {{\n        \
                 {finish}\n    \
             }}\n    \
             fn run(self, wire: crate::request::Wire, resumed: ::std::option::Option<crate::call::Resumed>) -> crate::retry::BoxFuture<'static, crate::Result<crate::Response<{ret}>>> {{\n        \
                 ::std::boxed::Box::pin(async move {{\n            \
                     let started = crate::call::started(&resumed);\n            \
                     let op = {operation};\n            \
                     {execute}\n        \
                 }})\n    \
             }}\n\
         }}\n",
        answer = op.response,
        snake = op.snake,
    )
    .ok();
    writeln!(out, "crate::request::request_builder!({b} => {ret});\n").ok();
    Ok(())
}

/// `__spec::send`: every operation made and every parameter set by its name, for the tests
/// that check, from the spec alone, that every parameter reaches the wire.
pub fn emit_spec_setters(ops: &[Op], out: &mut String) {
    let mut arms = String::new();
    for op in ops {
        let b = &op.builder;
        let mut make_args = Vec::new();
        for f in &op.path_args {
            if !op.handle_fields.contains(&f.wire) {
                make_args.push(format!(
                    "take::<::std::string::String>(&mut values, {:?})?",
                    f.wire
                ));
            }
        }
        for f in &op.query {
            if f.required && !matches!(f.ty, Ty::Array(_)) {
                make_args.push(format!(
                    "take::<{}>(&mut values, {:?})?",
                    storage(&f.ty),
                    f.wire
                ));
            }
        }
        let mut item_code = String::new();
        match &op.body {
            Body::Object(fields) => {
                for f in fields.iter().filter(|f| f.required) {
                    make_args.push(format!(
                        "take::<{}>(&mut values, {:?})?",
                        storage(&f.ty),
                        f.wire
                    ));
                }
            }
            Body::Array {
                item,
                arg: a,
                fields,
                ..
            } => {
                let req_args: Vec<String> = fields
                    .iter()
                    .filter(|f| f.required)
                    .map(|f| format!("take::<{}>(&mut v, {:?})?", storage(&f.ty), f.wire))
                    .collect();
                let mut sets = String::new();
                for f in fields.iter().filter(|f| !f.required) {
                    let setter = match &f.ty {
                        Ty::Array(_) => singular_plural(&f.wire).1,
                        _ => bare(&f.ident).to_string(),
                    };
                    writeln!(sets, "if v.contains_key({:?}) {{ it = it.{setter}(take::<{}>(&mut v, {:?})?); }}", f.wire, storage(&f.ty), f.wire).ok();
                }
                write!(
                    item_code,
                    "let list = take::<::std::vec::Vec<::serde_json::Map<::std::string::String, ::serde_json::Value>>>(&mut values, {a:?})?;\n let mut items = ::std::vec::Vec::new();\n for mut v in list {{ let mut it = {item}::new({}); {sets} if let Some(k) = v.keys().next() {{ return Err(format!(\"{item} has no field `{{k}}`\")); }} items.push(it); }}\n",
                    req_args.join(", ")
                )
                .ok();
                make_args.push("items".into());
            }
            Body::None => {}
        }
        let mut handle_make = HANDLES
            .iter()
            .find(|(h, _, _)| *h == op.handle)
            .map(|(_, _, make)| make.to_string())
            .unwrap_or_default();
        for f in &op.handle_fields {
            handle_make = handle_make.replace(
                &format!("({f})"),
                &format!("(take::<::std::string::String>(&mut values, {f:?})?)"),
            );
        }
        let mut sets = String::new();
        let opt_fields: Vec<&Field> = op
            .query
            .iter()
            .filter(|f| !f.required || matches!(f.ty, Ty::Array(_)))
            .chain(match &op.body {
                Body::Object(f) => f.iter().filter(|f| !f.required).collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .collect();
        for f in opt_fields {
            let setter = match &f.ty {
                Ty::Array(_) => singular_plural(&f.wire).1,
                _ => bare(&f.ident).to_string(),
            };
            writeln!(sets, "if values.contains_key({:?}) {{ b = b.{setter}(take::<{}>(&mut values, {:?})?); }}", f.wire, storage(&f.ty), f.wire).ok();
        }
        write!(
            arms,
            "        {:?} => {{\n            let handle = {handle_make};\n            {item_code}\n            #[allow(unused_mut)]\n            let mut b: {b} = handle.{}({});\n            {sets}\n            if let Some(k) = values.keys().next() {{ return Err(format!(\"{} has no parameter `{{k}}`\")); }}\n            Ok(b.with_retry(crate::RetryPolicy::none()).send_with_http_info().await.map(|_| ()))\n        }}\n",
            op.id,
            op.fn_name,
            make_args.join(", "),
            op.id
        )
        .ok();
    }
    write!(
        out,
        "/// For the spec-driven tests (built with the `emulator` feature the test suite uses): not part\n/// of the API.\n#[cfg(feature = \"emulator\")]\n#[doc(hidden)]\npub mod __spec {{\n    #![allow(deprecated, unused_mut, clippy::all)]\n    use super::*;\n\n    fn take<T: ::serde::de::DeserializeOwned>(values: &mut ::serde_json::Map<::std::string::String, ::serde_json::Value>, name: &str) -> ::std::result::Result<T, ::std::string::String> {{\n        let v = values.remove(name).ok_or_else(|| format!(\"no value for `{{name}}`\"))?;\n        ::serde_json::from_value(v).map_err(|e| format!(\"`{{name}}`: {{e}}\"))\n    }}\n\n    /// Makes operation `operation_id` through the facade, sets every value of `values` (by \
         its name in the spec; an array body under its `x-facade.items_argument`) and sends it \
         once. `Err` when a value has no setter.\n    pub async fn send(clerk: &crate::Clerk, operation_id: &str, mut values: ::serde_json::Map<::std::string::String, ::serde_json::Value>) -> ::std::result::Result<crate::Result<()>, ::std::string::String> {{\n        match operation_id {{\n{arms}        other => Err(format!(\"no operation {{other}}\")),\n        }}\n    }}\n\n    /// Every operation id the facade serves.\n    pub const OPERATIONS: &[&str] = &[{}];\n}}\n",
        ops.iter().map(|o| format!("{:?}", o.id)).collect::<Vec<_>>().join(", ")
    )
    .ok();
}
