//! What the tool writes as root lands only where it was asked to: an output
//! directory another user could have prepared is refused with one line
//! (exit 2) unless `--out-owner-ok` says so, and no file is ever written
//! through a symbolic link planted in its place, by `sweep --out`,
//! `report --out`, `compare --out`, `repro --out` or
//! `scripts/kernel-matrix`'s kernel cache.

mod common;

use common::{bin, config, finished_sweep, is_root, nobody, nobody_dir, write_config};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;

/// One cell, no profile pass: a sweep of it takes well under a second.
fn tiny() -> String {
    config(
        r#"styles = ["link"]
groups = [1]
steps = [4]
batch = [2]
repetitions = 2
min_repetitions = 1"#,
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A file `victim` in `dir` holding "precious", owned by root, mode 0600.
fn victim(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, "precious").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn untouched(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|s| s == "precious")
}

/// Asserts `o` is the one-line refusal naming `what`, exit status 2.
fn refused(o: &Output, what: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: ") && err.contains(what), "{err}");
}

fn sweep(config: &Path, out: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("sweep")
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_directory_another_user_prepared_is_refused_and_nothing_written_through_its_links() {
    if !is_root() {
        return eprintln!("skipped: preparing a directory as `nobody` needs root");
    }
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("root");
    std::fs::create_dir(&secrets).unwrap();
    let (lock_victim, report_victim) = (victim(&secrets, "victim"), victim(&secrets, "victim3"));
    // /tmp/pub of the reproduction: world-writable with the sticky bit, and
    // `nobody`'s directory in it, with the links `nobody` planted.
    let public = dir.path().join("pub");
    std::fs::create_dir(&public).unwrap();
    std::fs::set_permissions(&public, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let bench = nobody_dir(&public, "bench");
    let (uid, gid) = nobody();
    for (link, target) in [(".lock", &lock_victim), ("report.html", &report_victim)] {
        symlink(target, bench.join(link)).unwrap();
        std::os::unix::fs::lchown(bench.join(link), Some(uid), Some(gid)).unwrap();
    }
    let config = write_config(dir.path(), &tiny());

    let out = sweep(&config, &bench, &[]);
    refused(&out, "owned by uid");
    assert!(stderr(&out).contains("--out-owner-ok"), "{}", stderr(&out));
    // Even when told the directory is fine, the planted lock is not followed.
    let out = sweep(&config, &bench, &["--out-owner-ok"]);
    refused(&out, ".lock: not a regular file");
    assert!(
        untouched(&lock_victim),
        "the lock's link was written through"
    );
    assert!(
        untouched(&report_victim),
        "report.html's link was written through"
    );
    assert!(!bench.join("results.jsonl").exists());
}

#[test]
fn a_lock_planted_as_a_link_in_the_users_own_directory_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let target = victim(dir.path(), "victim");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    symlink(&target, out_dir.join(".lock")).unwrap();
    let out = sweep(&write_config(dir.path(), &tiny()), &out_dir, &[]);
    refused(&out, ".lock: not a regular file (a symbolic link?)");
    assert!(untouched(&target), "the lock's link was written through");
}

#[test]
fn a_directory_others_may_write_is_refused_by_sweep_report_compare_and_repro() {
    let (dir, results, _) = finished_sweep(&tiny());
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();

    let config = write_config(dir.path(), &tiny());
    refused(
        &sweep(&config, &open, &[]),
        "(mode 0777) without the sticky bit",
    );
    let report = |extra: &[&str]| {
        bin()
            .arg("report")
            .arg(&results)
            .args(["--no-plots", "--out"])
            .arg(&open)
            .args(extra)
            .output()
            .unwrap()
    };
    refused(&report(&[]), "writable by group or others");
    let compare = bin()
        .arg("compare")
        .args([&results, &results])
        .arg("--out")
        .arg(&open)
        .output()
        .unwrap();
    refused(&compare, "writable by group or others");
    let repro = |extra: &[&str]| {
        bin()
            .args(["repro", "link/default/nop/g1-s8-b8-t1", "--out"])
            .arg(&open)
            .args(extra)
            .output()
            .unwrap()
    };
    refused(&repro(&[]), "writable by group or others");
    assert_eq!(
        std::fs::read_dir(&open).unwrap().count(),
        0,
        "nothing written"
    );

    let allowed = report(&["--out-owner-ok"]);
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    assert!(open.join("report.md").is_file());
    let allowed = repro(&["--out-owner-ok"]);
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    assert!(open.join("repro.c").is_file());
}

#[test]
fn kernel_matrix_locks_its_cache_without_writing_through_a_planted_lock() {
    let dir = tempfile::tempdir().unwrap();
    let target = victim(dir.path(), "victim");
    // A cache holding one kernel complete enough to resolve offline.
    let cache = dir.path().join("cache/uring-syncbench/kernels");
    let kernel = cache.join("9.9.9-test");
    std::fs::create_dir_all(&kernel).unwrap();
    for (file, text) in [
        (".complete", ""),
        ("modules.load", ""),
        ("source", "sid 9.9.9-1\n"),
    ] {
        std::fs::write(kernel.join(file), text).unwrap();
    }
    symlink(&target, cache.join(".lock")).unwrap();
    let out = std::process::Command::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/kernel-matrix"),
    )
    .args(["--kernel", "9.9.9-test", "--resolve-only"])
    .env("XDG_CACHE_HOME", dir.path().join("cache"))
    .output()
    .unwrap();
    let log = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr(&out);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("kernel-matrix: 9.9.9-test -> 9.9.9-test (sid, package version 9.9.9-1)"),
        "{log}"
    );
    assert!(
        untouched(&target),
        "the cache's lock link was written through"
    );
}

#[test]
fn report_replaces_links_planted_where_its_files_go_and_never_writes_through_them() {
    // Two styles, so the report has a comparison to draw: plots/ holds files.
    let two_styles = tiny().replace(
        r#"styles = ["link"]"#,
        r#"styles = ["link", "independent"]"#,
    );
    let (dir, results, _) = finished_sweep(&two_styles);
    let out = dir.path().join("report");
    let report = || {
        bin()
            .arg("report")
            .arg(&results)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap()
    };
    let first = report();
    assert!(first.status.success(), "{}", stderr(&first));
    // Every file of the report, plots included, replaced by a link to a
    // file of its own.
    let mut files: Vec<PathBuf> = vec![out.join("report.html"), out.join("report.md")];
    for entry in std::fs::read_dir(out.join("plots")).unwrap() {
        files.push(entry.unwrap().path());
    }
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "png")),
        "{files:?}"
    );
    let secrets = dir.path().join("secrets");
    std::fs::create_dir(&secrets).unwrap();
    let victims: Vec<PathBuf> = files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let target = victim(&secrets, &format!("victim{i}"));
            std::fs::remove_file(file).unwrap();
            symlink(&target, file).unwrap();
            target
        })
        .collect();
    let again = report();
    assert!(again.status.success(), "{}", stderr(&again));
    for (file, target) in files.iter().zip(&victims) {
        assert!(untouched(target), "{} was written through", file.display());
        assert!(!file.is_symlink(), "{} is still a link", file.display());
        assert!(std::fs::metadata(file).unwrap().len() > 0);
    }

    // plots/ itself a link: refused, nothing written where it points.
    std::fs::remove_dir_all(out.join("plots")).unwrap();
    symlink(&secrets, out.join("plots")).unwrap();
    let linked = report();
    let err = stderr(&linked);
    assert_eq!(linked.status.code(), Some(1), "{err}");
    assert!(
        err.contains("plots: a symbolic link or not a directory: refusing to write into it"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(&secrets).unwrap().count(),
        victims.len(),
        "a plot was written through plots/"
    );
}

#[test]
fn kernel_matrix_writes_into_the_directory_it_made_after_a_link_takes_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir(&elsewhere).unwrap();
    // The "command" does what OUT's owner could do mid-run: move the
    // kernel's directory away and put a link to another directory in its
    // place. What kernel-matrix writes afterwards (console.log,
    // exit-status) must land in the moved directory.
    let command = dir.path().join("swap");
    std::fs::write(
        &command,
        format!(
            "#!/bin/sh\nmv {out}/host {out}/moved && ln -s {elsewhere} {out}/host\n",
            out = out.display(),
            elsewhere = elsewhere.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&command, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = std::process::Command::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/kernel-matrix"),
    )
    .args(["--kernel", "host", "--bin"])
    .arg(&command)
    .arg("--out")
    .arg(&out)
    .args(["--", "x"])
    .output()
    .unwrap();
    let log = String::from_utf8_lossy(&run.stdout).into_owned() + &stderr(&run);
    assert!(run.status.success(), "{log}");
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "written through the link: {log}"
    );
    let moved = out.join("moved");
    assert_eq!(
        std::fs::read_to_string(moved.join("exit-status")).unwrap(),
        "0\n"
    );
    assert!(moved.join("console.log").is_file(), "{log}");
}
