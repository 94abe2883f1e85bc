//! The committed listing of the public surface (`openapi/public-api.txt`) is what the YAML
//! generates: a YAML edit shows its effect on users' code as a diff in the same change.

/// The generated listing against the committed one: the lines removed (breaking for users)
/// and added (not, for the crate's non-exhaustive types).
fn diff<'a>(committed: &'a str, generated: &'a str) -> (Vec<&'a str>, Vec<&'a str>) {
    let item = |l: &&str| !l.starts_with('#') && !l.is_empty();
    let old: std::collections::BTreeSet<&str> = committed.lines().filter(item).collect();
    let new: std::collections::BTreeSet<&str> = generated.lines().filter(item).collect();
    (
        old.difference(&new).copied().collect(),
        new.difference(&old).copied().collect(),
    )
}

#[test]
fn the_committed_public_surface_is_what_the_yaml_generates() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/public-api.txt"));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/public-api.txt");
    if std::env::var_os("UPDATE_PUBLIC_API").is_some() {
        std::fs::write(path, generated).expect("openapi/public-api.txt cannot be written");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let (removed, added) = diff(&committed, generated);
    assert!(
        removed.is_empty() && added.is_empty(),
        "openapi/public-api.txt is not what the YAML in openapi/ generates.\n\
         Removed or changed (breaking for users: bump the version and say so in CHANGELOG.md):\n{}\n\
         Added:\n{}\n\
         Refresh it with: UPDATE_PUBLIC_API=1 cargo test --lib public_api",
        removed
            .iter()
            .map(|l| format!("  - {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
        added
            .iter()
            .map(|l| format!("  + {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
}

#[test]
fn a_changed_line_counts_as_removed_and_added() {
    let (removed, added) = diff(
        "# header\nsetter A.x: u32\nsetter A.y: bool\n",
        "# other header\nsetter A.x: String\nsetter A.y: bool\nsetter A.z: bool\n",
    );
    assert_eq!(removed, ["setter A.x: u32"]);
    assert_eq!(added, ["setter A.x: String", "setter A.z: bool"]);
}
