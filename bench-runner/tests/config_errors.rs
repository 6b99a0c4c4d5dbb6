//! Every malformed config ends in exit code 2 with one line naming the key and
//! what is allowed, and leaves no output behind.

mod common;

use common::{config, sweep, write_config};

/// (what is wrong, config text, part of the expected message)
fn cases() -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "syntax error",
            "styles = [\"link\"\nmodes = 3".to_string(),
            "line 2: modes: invalid array",
        ),
        (
            "unknown key",
            config("colour = \"blue\""),
            "unknown field `colour`",
        ),
        (
            "unknown style",
            config("styles = [\"links\"]"),
            "styles: unknown style `links` (allowed: independent, link",
        ),
        (
            "unknown mode",
            config("modes = [\"turbo\"]"),
            "modes: unknown mode `turbo` (allowed: default, sqpoll",
        ),
        (
            "unknown op",
            config("ops = [\"fsync\"]"),
            "ops: unknown op `fsync` (allowed: nop, pipe, file, timeout)",
        ),
        (
            "zero steps",
            config("steps = [0]"),
            "steps: 0 is not allowed",
        ),
        (
            "batch larger than ring",
            config("batch = [512]"),
            "batch: 512 is larger than the ring (ring_entries = 256)",
        ),
        ("wrong type", config("groups = \"four\""), "invalid type"),
        (
            "empty axis",
            config("modes = []"),
            "modes: must list at least one value",
        ),
        (
            "missing key",
            config("").replace("repetitions = 3\n", ""),
            "missing field `repetitions`",
        ),
        (
            "bad duration",
            config("warmup = \"soon\""),
            "warmup: `soon` is not a duration",
        ),
        ("huge number", config("groups = [99999999999]"), "groups"),
        (
            "ring not power of two",
            config("ring_entries = 100"),
            "ring_entries: 100 must be a power of two",
        ),
        (
            "more submitters than groups",
            config("submitters = [4]"),
            "submitters: 4 submitters cannot share 2 group(s)",
        ),
        (
            "unknown sharing",
            config("sharing = [\"pool\"]"),
            "sharing: unknown value `pool`",
        ),
        (
            "zero repetitions",
            config("repetitions = 0"),
            "repetitions: 0 is out of range",
        ),
        (
            "unknown variant",
            config("styles = [\"link:fast\"]"),
            "styles: unknown style `link:fast`",
        ),
        ("negative count", config("steps = [-1]"), "steps"),
    ]
}

#[test]
fn malformed_configs_fail_with_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (what, text, expected) in cases() {
        let path = write_config(dir.path(), &text);
        let out = dir.path().join("out");
        let output = sweep(&path, &out, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{what}: not one line: {stderr}");
        assert!(
            stderr.contains(expected),
            "{what}: {stderr:?} lacks {expected:?}"
        );
        assert!(
            stderr.starts_with(&format!("error: {}: ", path.display())),
            "{what}: {stderr}"
        );
        assert!(!out.exists(), "{what}: output written for a bad config");
    }
}

#[test]
fn non_utf8_config_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, b"styles = [\"\xff\"]\n").unwrap();
    let output = sweep(&path, &dir.path().join("out"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr.lines().count(), 1);
    assert!(stderr.contains("not valid UTF-8"), "{stderr}");
}

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
