//! What build.rs does with the YAML, tested on small documents: the overlay's failures and
//! reports name the action, a dangling `$ref` is one message naming it, and an operation
//! without a facade mapping fails with the YAML to add. The modules are build.rs's own files.

#[allow(dead_code, clippy::all)]
#[path = "../../build/enums.rs"]
mod enums;
#[allow(dead_code, clippy::all)]
#[path = "../../build/facade/mod.rs"]
mod facade;
#[allow(dead_code, clippy::all)]
#[path = "../../build/limits.rs"]
mod limits;
#[allow(dead_code, clippy::all)]
#[path = "../../build/overlay.rs"]
mod overlay;
#[allow(dead_code, clippy::all)]
#[path = "../../build/refs.rs"]
mod refs;
#[allow(dead_code, clippy::all)]
#[path = "../../build/tolerance.rs"]
mod tolerance;

use serde_json::{Value, json};

const OVERLAY: &str = "openapi/corrections.overlay.yaml";
const SPEC: &str = "openapi/clerk-bapi-invitations.yaml";

fn doc() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"version": "2099-01-01"},
        "paths": {
            "/invitations": {"get": {
                "operationId": "ListInvitations",
                "parameters": [{"in": "query", "name": "status", "schema": {"type": "string", "enum": ["pending", "revoked"]}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Invitation"}}}}}
            }}
        },
        "components": {"schemas": {"Invitation": {"type": "object", "properties": {
            "status": {"type": "string", "enum": ["pending", "revoked"]}
        }}}}
    })
}

fn apply(actions: Value) -> Result<(Value, overlay::Report), String> {
    let mut d = doc();
    let report = overlay::apply(&mut d, &json!({ "actions": actions }), OVERLAY, SPEC)?;
    Ok((d, report))
}

#[test]
fn an_action_that_matches_nothing_fails_naming_it() {
    let err = apply(json!([
        {"target": "$.components.schemas", "update": {"X": {"type": "string"}}},
        {"target": "$.components.schemas.Gone.properties", "description": "a vanished correction", "update": {"a": {}}}
    ]))
    .unwrap_err();
    assert!(err.contains("action 2"), "{err}");
    assert!(
        err.contains("$.components.schemas.Gone.properties"),
        "{err}"
    );
    assert!(err.contains("a vanished correction"), "{err}");
    assert!(err.contains("matches nothing"), "{err}");
}

#[test]
fn enum_values_upstream_already_has_are_not_doubled_and_the_action_is_reported() {
    let (d, report) = apply(json!([
        {"target": "$.components.schemas.Invitation.properties.status", "description": "add statuses",
         "update": {"enum": ["pending", "expired"]}},
        {"target": "$.components.schemas.Invitation.properties.status", "description": "already there",
         "update": {"enum": ["revoked", "pending"]}}
    ]))
    .unwrap();
    assert_eq!(
        d["components"]["schemas"]["Invitation"]["properties"]["status"]["enum"],
        json!(["pending", "revoked", "expired"]),
        "merged as a union, in order, no value twice"
    );
    assert_eq!(report.unnecessary.len(), 1, "{:?}", report.unnecessary);
    let line = &report.unnecessary[0];
    assert!(
        line.contains("action 2") && line.contains("already there"),
        "{line}"
    );
    assert!(line.contains("no longer needed"), "{line}");
}

#[test]
fn copy_takes_the_value_of_one_node_and_names_a_bad_source() {
    let (d, _) = apply(json!([
        {"target": "$.paths['/invitations'].get.parameters[?@.name == 'status'].schema", "remove": true},
        {"target": "$.paths['/invitations'].get.parameters[?@.name == 'status']",
         "update": {"schema": {"type": "array", "items": {}}}},
        {"target": "$.paths['/invitations'].get.parameters[?@.name == 'status'].schema.items",
         "copy": "$.components.schemas.Invitation.properties.status"}
    ]))
    .unwrap();
    assert_eq!(
        d["paths"]["/invitations"]["get"]["parameters"][0]["schema"]["items"]["enum"],
        json!(["pending", "revoked"])
    );
    let err = apply(json!([
        {"target": "$.components.schemas.Invitation", "copy": "$.components.schemas.Nope"}
    ]))
    .unwrap_err();
    assert!(
        err.contains("action 1") && err.contains("$.components.schemas.Nope"),
        "{err}"
    );
}

#[test]
fn a_dangling_reference_is_one_message_naming_it() {
    let (d, _) = apply(json!([
        {"target": "$.components.schemas.Invitation.properties",
         "update": {"inviter": {"$ref": "#/components/schemas/User"}}}
    ]))
    .unwrap();
    let err = refs::check(&d, "the spec").unwrap_err();
    assert!(err.contains("#/components/schemas/User"), "{err}");
    assert!(
        err.contains("$.components.schemas.Invitation.properties.inviter"),
        "names where it stands: {err}"
    );
    assert!(refs::check(&doc(), "the spec").is_ok());
}

#[test]
fn an_operation_without_a_facade_mapping_fails_with_the_yaml_to_add() {
    let mut enums = Vec::new();
    let err = facade::generate(&doc(), &mut enums, &[]).unwrap_err();
    assert!(err.contains("ListInvitations"), "{err}");
    assert!(err.contains("GET /invitations"), "{err}");
    assert!(err.contains("x-facade"), "{err}");
    assert!(err.contains(OVERLAY), "{err}");
    assert!(
        err.contains("- target: $.paths['/invitations'].get"),
        "{err}"
    );

    let mut mapped = doc();
    mapped["paths"]["/invitations"]["get"]["x-facade"] =
        json!({"on": "Invitations", "method": "list", "retry": "sometimes"});
    let err = facade::generate(&mapped, &mut enums, &[]).unwrap_err();
    assert!(
        err.contains("`x-facade.retry: sometimes` is not a retry class"),
        "{err}"
    );

    mapped["paths"]["/invitations"]["get"]["x-facade"]["retry"] = json!("idempotent");
    let (code, surface) = facade::generate(&mapped, &mut enums, &[]).expect("mapped");
    assert!(
        code.contains("pub fn list(&self) -> ListInvitations"),
        "{code}"
    );
    assert!(code.contains("pub fn status("), "a setter per parameter");
    // The listing of the public surface names the operation and each of its setters.
    assert!(
        surface
            .iter()
            .any(|l| l.starts_with("operation Invitations().list() -> ListInvitations")),
        "{surface:?}"
    );
    assert!(
        surface
            .iter()
            .any(|l| l.starts_with("setter ListInvitations.status:")),
        "{surface:?}"
    );
}

fn vendored() -> (Value, Value) {
    let read = |name: &str| -> Value {
        let path = format!("{}/openapi/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    (
        read("clerk-bapi-invitations.yaml"),
        read("corrections.overlay.yaml"),
    )
}

#[test]
fn the_real_overlay_applies_cleanly_to_the_vendored_spec() {
    let (mut spec, overlay) = vendored();
    let report = overlay::apply(&mut spec, &overlay, OVERLAY, SPEC).unwrap();
    assert!(report.unnecessary.is_empty(), "{:#?}", report.unnecessary);
    refs::check(&spec, "the spec").unwrap();
}

#[test]
fn when_upstream_lists_the_delete_operation_the_local_addition_is_reported_and_nothing_breaks() {
    let (mut spec, overlay) = vendored();
    // A copy of the spec as upstream would publish it with the operation.
    spec["components"]["schemas"]["DeletedObject"] = json!({
        "type": "object",
        "properties": {"object": {"type": "string"}, "id": {"type": "string"},
                       "slug": {"type": "string", "nullable": true}, "deleted": {"type": "boolean"}},
        "required": ["object", "deleted"]
    });
    spec["paths"]["/invitations/{invitation_id}"] = json!({"delete": {
        "operationId": "DeleteInvitation",
        "summary": "Deletes an invitation",
        "tags": ["Invitations"],
        "parameters": [{"in": "path", "name": "invitation_id", "required": true, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "Deleted Object", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/DeletedObject"}}}}}
    }});
    let report = overlay::apply(&mut spec, &overlay, OVERLAY, SPEC).unwrap();
    let all = report.unnecessary.join("\n");
    assert!(
        all.contains("operation `DeleteInvitation` (DELETE /invitations/{invitation_id})"),
        "{all}"
    );
    assert!(all.contains("component `schemas.DeletedObject`"), "{all}");
    assert!(all.contains("no longer needed"), "{all}");
    // Nothing breaks: the references hold and the facade is generated, delete included.
    refs::check(&spec, "the spec").unwrap();
    let mut enums = Vec::new();
    let (code, _) = facade::generate(
        &spec,
        &mut enums,
        &[("InvitationList", "crate::models::InvitationList")],
    )
    .unwrap();
    assert!(
        code.contains("pub fn delete(&self, invitation_id"),
        "the facade keeps its delete"
    );
}

#[test]
fn the_webhook_overlay_applies_cleanly_to_the_vendored_webhook_spec() {
    let read = |name: &str| -> Value {
        let path = format!("{}/openapi/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let mut spec = read("clerk-webhooks-invitations.yaml");
    let overlay = read("webhooks.overlay.yaml");
    let report = overlay::apply(
        &mut spec,
        &overlay,
        "openapi/webhooks.overlay.yaml",
        "openapi/clerk-webhooks-invitations.yaml",
    )
    .unwrap();
    assert!(report.unnecessary.is_empty(), "{:#?}", report.unnecessary);
    refs::check(&spec, "the webhook spec").unwrap();
    // The created and revoked events share the webhook's invitation type.
    for event in [
        "organizationInvitation.created",
        "organizationInvitation.revoked",
    ] {
        let data = spec
            .pointer(&format!(
                "/x-webhooks/{event}/post/requestBody/content/application~1json/schema/allOf/1/properties/data/$ref"
            ))
            .and_then(Value::as_str);
        assert_eq!(
            data,
            Some("#/components/schemas/OrganizationInvitation"),
            "{event}"
        );
    }
}

#[test]
fn an_index_in_a_target_selects_one_array_element_and_one_past_the_end_is_named() {
    let composed = |actions: Value| {
        let mut d = json!({"components": {"schemas": {"A": {"allOf": [{"type": "object"}, {"properties": {}}]}}}});
        overlay::apply(&mut d, &json!({ "actions": actions }), OVERLAY, SPEC).map(|_| d)
    };
    let d = composed(json!([{
        "target": "$.components.schemas.A.allOf[1].properties",
        "update": {"x": {"type": "string"}}
    }]))
    .unwrap();
    assert_eq!(
        d.pointer("/components/schemas/A/allOf/1/properties/x/type"),
        Some(&json!("string"))
    );
    assert!(
        d.pointer("/components/schemas/A/allOf/0/properties")
            .is_none()
    );
    let err = composed(json!([{
        "target": "$.components.schemas.A.allOf[2]",
        "update": {"nullable": true}
    }]))
    .unwrap_err();
    assert!(err.contains("allOf[2]"), "{err}");
}

#[test]
fn the_public_limits_come_from_the_spec_and_must_agree() {
    let (mut spec, overlay) = vendored();
    overlay::apply(&mut spec, &overlay, OVERLAY, SPEC).unwrap();
    let code = limits::code(&spec, SPEC).unwrap();
    // What the vendored spec states: `maxItems: 10` on the bulk bodies, `limit` 1 to 500,
    // `expires_in_days` 1 to 365 -- and what the crate exports.
    assert!(code.contains("pub const MAX_BULK: usize = 10;"), "{code}");
    assert_eq!(clerk_invitations::MAX_BULK, 10);
    assert_eq!(clerk_invitations::LIMIT_RANGE, 1..=500);
    assert_eq!(clerk_invitations::EXPIRES_IN_DAYS_RANGE, 1..=365);

    // One bulk body saying otherwise fails the build, naming both places.
    let mut differs = spec.clone();
    differs["paths"]["/invitations/bulk"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        ["maxItems"] = json!(20);
    let err = limits::code(&differs, SPEC).unwrap_err();
    assert!(
        err.contains("maxItems") && err.contains("POST /invitations/bulk"),
        "{err}"
    );
    assert!(err.contains("10") && err.contains("20"), "{err}");

    // A spec that states no `limit` range fails too.
    let mut none = json!({"paths": {}});
    none["paths"] = spec["paths"].clone();
    for item in none["paths"].as_object_mut().unwrap().values_mut() {
        for op in item.as_object_mut().unwrap().values_mut() {
            if let Some(o) = op.as_object_mut() {
                o.remove("parameters");
            }
        }
    }
    let err = limits::code(&none, SPEC).unwrap_err();
    assert!(err.contains("`limit`"), "{err}");
}
