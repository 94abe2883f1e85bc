//! Generates the client and the facade's request builders from the vendored OpenAPI spec.
//!
//! 1. Reads `openapi/clerk-bapi-invitations.yaml` (extracted from Clerk's spec, never edited by
//!    hand) and applies the actions of `openapi/corrections.overlay.yaml` (`build/overlay.rs`).
//!    An action whose target matches nothing fails the build, naming the action; one that
//!    changes nothing is reported as no longer needed.
//! 2. Checks that every `$ref` points at something (`build/refs.rs`).
//! 3. Generates the facade's per-operation builders from the operations and their `x-facade`
//!    mappings (`build/facade/`): `$OUT_DIR/facade.rs`.
//! 4. A tolerance pre-pass over the schemas of success responses (`build/tolerance.rs`):
//!    unknown fields are ignored, required-but-nullable fields may be absent, and every string
//!    enum becomes an open enum (`build/enums.rs`). Error responses are removed: the facade
//!    decodes every non-2xx response itself.
//! 5. With the feature `webhooks`, generates the typed webhook events from
//!    `openapi/clerk-webhooks-invitations.yaml` and `openapi/webhooks.overlay.yaml`
//!    (`build/webhooks.rs`): `$OUT_DIR/webhooks.rs`.
//! 6. Runs progenitor (builder interface) and writes `$OUT_DIR/clerk_api.rs`. The corrected
//!    specs go to `$OUT_DIR/corrected-spec.json` and `corrected-webhooks.json`, for the tests.

#[path = "build/enums.rs"]
mod enums;
#[path = "build/facade/mod.rs"]
mod facade;
#[path = "build/limits.rs"]
mod limits;
#[path = "build/overlay.rs"]
mod overlay;
#[path = "build/refs.rs"]
mod refs;
#[path = "build/tolerance.rs"]
mod tolerance;
#[path = "build/webhooks.rs"]
mod webhooks;

use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

const SPEC: &str = "openapi/clerk-bapi-invitations.yaml";
const OVERLAY: &str = "openapi/corrections.overlay.yaml";
/// Where lib.rs includes the generated file; replaced types are named through it.
const ENUMS_MODULE: &str = "crate::generated::enums";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build");
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed={OVERLAY}");
    println!("cargo:rerun-if-changed={}", webhooks::SPEC);
    println!("cargo:rerun-if-changed={}", webhooks::OVERLAY);
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut doc = read_yaml(SPEC)?;
    let overlay = read_yaml(OVERLAY)?;
    let report = overlay::apply(&mut doc, &overlay, OVERLAY, SPEC)?;
    for line in &report.unnecessary {
        println!("cargo:warning={line}");
    }
    refs::check(&doc, &format!("{SPEC} with {OVERLAY} applied"))?;
    // The corrected spec, as the service is documented to behave: the crate's tests validate
    // the emulator's answers and the facade's requests against it.
    let out_dir = std::env::var("OUT_DIR").map_err(|e| e.to_string())?;
    let corrected = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    std::fs::write(Path::new(&out_dir).join("corrected-spec.json"), corrected)
        .map_err(|e| format!("cannot write the corrected spec: {e}"))?;

    let facade_doc = doc.clone();
    let limits_code = limits::code(&doc, &format!("{SPEC} with {OVERLAY} applied"))?;
    tolerance::strip_error_responses(&mut doc);
    let mut enums: Vec<enums::OpenEnum> = Vec::new();
    tolerance::make_responses_tolerant(&mut doc, &mut enums)?;
    let replaced = [("InvitationList", "crate::models::InvitationList")];
    let (facade_code, mut surface) = facade::generate(&facade_doc, &mut enums, &replaced)?;
    tolerance::open_request_enums(&mut doc, &mut enums);
    // The webhook events (feature `webhooks`) share the open enums, so they come before the
    // enums are written.
    if std::env::var_os("CARGO_FEATURE_WEBHOOKS").is_some() {
        let (code, corrected) = webhooks::generate(read_yaml, &mut enums, ENUMS_MODULE)?;
        for (name, text) in [
            ("webhooks.rs", code),
            ("corrected-webhooks.json", corrected),
        ] {
            let dest = Path::new(&out_dir).join(name);
            std::fs::write(&dest, text)
                .map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
        }
    }

    let version = doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .ok_or("the spec has no info.version")?
        .to_string();
    let mut versions: Vec<String> = doc
        .pointer("/info/x-known-api-versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    if !versions.contains(&version) {
        versions.push(version.clone());
    }
    // The public surface, for the committed listing (`openapi/public-api.txt`).
    surface.extend(facade::surface::model_lines(&doc));
    surface.extend(facade::surface::enum_lines(&enums));
    std::fs::write(
        Path::new(&out_dir).join("public-api.txt"),
        facade::surface::listing(surface),
    )
    .map_err(|e| format!("cannot write the public surface: {e}"))?;
    let spec: openapiv3::OpenAPI = serde_json::from_value(doc)
        .map_err(|e| format!("{SPEC}: not a valid OpenAPI 3.0 document: {e}"))?;

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_inner_type(
            "crate::transport::HookContext"
                .parse()
                .map_err(|e| format!("{e}"))?,
        )
        .with_derive("PartialEq");
    for e in &enums {
        settings.with_replacement(
            &e.name,
            format!("{ENUMS_MODULE}::{}", e.name),
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );
    }
    for (name, path) in replaced {
        settings.with_replacement(name, path, std::iter::empty());
    }
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor could not generate the client: {e}"))?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;

    let mut out = String::new();
    out.push_str(&prettyplease::unparse(&file));
    writeln!(
        out,
        "\n/// The API version of the vendored spec, sent as `Clerk-API-Version`.\npub const SPEC_VERSION: &str = {version:?};\n\n/// Every API version the service accepts (`info.x-known-api-versions` and the spec's own).\npub const KNOWN_API_VERSIONS: &[&str] = &{versions:?};"
    )
    .ok();
    out.push_str(&limits_code);
    out.push_str("\n/// The open enums of the spec.\npub mod enums {\n");
    for e in &enums {
        out.push_str(&enums::open_enum_code(e));
    }
    out.push_str("}\n");
    let dest = Path::new(&out_dir).join("clerk_api.rs");
    std::fs::write(&dest, out).map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
    let dest = Path::new(&out_dir).join("facade.rs");
    std::fs::write(&dest, facade_code).map_err(|e| format!("cannot write {}: {e}", dest.display()))
}

fn read_yaml(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    serde_yaml::from_str(&text).map_err(|e| format!("{path}: not valid YAML: {e}"))
}
