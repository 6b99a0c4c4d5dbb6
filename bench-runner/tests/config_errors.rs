//! Config errors outside the malformed-config corpus (which
//! `faults_input.rs` runs from `tests/corpus/configs/`): a missing file, and
//! the shipped configs, which must all be valid.

mod common;

use common::sweep;

#[test]
fn missing_config_file_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = sweep(&dir.path().join("nope.toml"), &dir.path().join("out"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("nope.toml: No such file"), "{stderr}");
}

#[test]
fn the_shipped_configs_are_valid() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut configs = vec![root.join("config.toml")];
    if let Ok(dir) = std::fs::read_dir(root.join("configs")) {
        configs.extend(dir.filter_map(Result::ok).map(|e| e.path()));
    }
    for path in configs
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
    {
        let output = common::bin().arg("plan").arg(path).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.lines().count() > 1, "{}: no cells", path.display());
    }
}
