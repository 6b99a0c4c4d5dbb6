//! Defaults that just work: a config holding only the axes plans and runs,
//! `min_repetitions` never defaults above `repetitions`, `plan` and `sweep`
//! without a CONFIG use the built-in default sweep, and `init` writes it.

mod common;

use common::{bin, finished_sweep, write_config};
use std::path::Path;
use std::process::Output;

fn plan(args: &[&std::ffi::OsStr]) -> Output {
    bin().arg("plan").args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const AXES: &str = r#"styles = ["link", "userspace"]
modes = ["default"]
ops = ["nop"]
groups = [2]
steps = [4]
batch = [2]
"#;

#[test]
fn a_config_of_axes_alone_runs_with_the_default_measuring_keys() {
    // Only the axes, plus a short repetition so that the test stays quick.
    let (_dir, _, lines) = finished_sweep(&format!("{AXES}rep_time = \"2ms\"\nprofile = false\n"));
    let stopped: Vec<_> = lines
        .iter()
        .filter(|l| l["pass"] == "profile")
        .map(|l| l["stopping"]["repetitions"].as_u64().unwrap())
        .collect();
    assert_eq!(stopped.len(), 2, "{lines:?}");
    // At least the default minimum of 5, at most the default maximum of 20.
    assert!(
        stopped.iter().all(|&n| (5..=20).contains(&n)),
        "{stopped:?}"
    );
}

#[test]
fn two_repetitions_alone_lower_the_minimum_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &format!("{AXES}repetitions = 2\n"));
    let output = plan(&[path.as_os_str()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout(&output).ends_with("2 cell(s)\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn without_a_config_plan_uses_the_built_in_default_sweep() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config.toml");
    let built_in = plan(&[]);
    let from_file = plan(&[shipped.as_os_str()]);
    assert!(
        built_in.status.success(),
        "{}",
        String::from_utf8_lossy(&built_in.stderr)
    );
    assert_eq!(stdout(&built_in), stdout(&from_file));
}

#[test]
fn init_writes_the_default_sweep_and_keeps_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    let init = |extra: &[&str]| bin().arg("init").arg(&path).args(extra).output().unwrap();
    let first = init(&[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config.toml");
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written, std::fs::read_to_string(shipped).unwrap());
    assert!(
        written.lines().any(|l| l.starts_with("# ")),
        "it is commented"
    );
    assert!(plan(&[path.as_os_str()]).status.success());

    std::fs::write(&path, "mine").unwrap();
    let again = init(&[]);
    assert_eq!(again.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("exists: pass --force"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine", "kept");
    assert!(init(&["--force"]).status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written);
}

#[test]
fn init_force_replaces_a_planted_link_instead_of_writing_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "kept").unwrap();
    let path = dir.path().join("config.toml");
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    let refused = bin().arg("init").arg(&path).output().unwrap();
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let forced = bin()
        .arg("init")
        .arg(&path)
        .arg("--force")
        .output()
        .unwrap();
    assert!(forced.status.success(), "{forced:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "kept");
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the link was replaced by a file"
    );
}
