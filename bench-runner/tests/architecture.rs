//! The crate graph ARCHITECTURE.md draws is the one Cargo builds: every
//! normal dependency between the workspace's crates is listed under
//! "Crates" as `- FROM → TO, TO`, and every listed edge exists. A new edge
//! fails here until the map says it.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// (from, to) pairs.
type Edges = BTreeSet<(String, String)>;

/// The workspace's edges as `cargo metadata` reports them.
fn cargo_edges(root: &Path) -> Edges {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let members: BTreeSet<&str> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let mut edges = Edges::new();
    for package in packages {
        for dep in package["dependencies"].as_array().unwrap() {
            let to = dep["name"].as_str().unwrap();
            // `kind` is null for a normal dependency ("dev", "build" otherwise).
            if members.contains(to) && dep["kind"].is_null() {
                edges.insert((
                    package["name"].as_str().unwrap().to_string(),
                    to.to_string(),
                ));
            }
        }
    }
    edges
}

/// The edges ARCHITECTURE.md lists: `- FROM → TO, TO` lines of its
/// "Crates" section.
fn listed_edges(text: &str) -> Edges {
    let section = text
        .split("\n## ")
        .find(|s| s.starts_with("Crates\n"))
        .expect("ARCHITECTURE.md has a Crates section");
    let mut edges = Edges::new();
    for line in section.lines() {
        let Some((from, to)) = line.strip_prefix("- ").and_then(|l| l.split_once(" → ")) else {
            continue;
        };
        let crate_name = |n: &str| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !crate_name(from) || !to.split(", ").all(crate_name) {
            continue;
        }
        for to in to.split(", ") {
            edges.insert((from.to_string(), to.to_string()));
        }
    }
    edges
}

#[test]
fn architecture_md_lists_every_crate_edge_and_no_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let (built, listed) = (cargo_edges(&root), listed_edges(&text));
    assert!(!listed.is_empty(), "no edge listed");
    let unlisted: Vec<_> = built.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&built).collect();
    assert!(
        unlisted.is_empty() && gone.is_empty(),
        "edges Cargo has that ARCHITECTURE.md does not list: {unlisted:?}; \
         edges it lists that Cargo does not have: {gone:?}"
    );
}
