//! The `fsync` op's skip path, proven for real: a sweep pointed at a tmpfs
//! directory (/dev/shm), whose fsync does nothing, records its `fsync` cells
//! as `skipped` with `no_durable_fs` and the reason; the same cells in the
//! default directory, on a disk-backed file system, run. Either way the
//! header describes the directory's file system, and the reports show it;
//! a sweep without `fsync` cells records none.

mod common;

use common::{bin, cell_lines, config, finished_sweep, write_config};
use std::path::Path;

/// The header line of the results file at `results`.
fn header(results: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(results).unwrap();
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

#[test]
fn fsync_in_a_tmpfs_directory_is_a_recorded_skip() {
    let shm = Path::new("/dev/shm");
    if workloads::durable::durable_dir(shm).is_ok() {
        eprintln!(
            "skip: /dev/shm is not tmpfs here, so there is no volatile directory to point at"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &config("ops = [\"fsync\"]"));
    let sweep = |out: &Path, fsync_dir: Option<&Path>| {
        let mut cmd = bin();
        cmd.arg("sweep").arg(&path).arg("--out").arg(out);
        if let Some(d) = fsync_dir {
            cmd.env("URING_SYNCBENCH_FSYNC_DIR", d);
        }
        let output = cmd.output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        cell_lines(&out.join("results.jsonl"))
    };

    let volatile = sweep(&dir.path().join("shm"), Some(shm));
    let recorded = &header(&dir.path().join("shm/results.jsonl"))["machine"]["fsync_dir"];
    assert_eq!(recorded["path"], "/dev/shm", "{recorded}");
    assert_eq!(recorded["fs_type"], "tmpfs", "{recorded}");
    assert_eq!(volatile.len(), 2, "one skip line per cell: {volatile:?}");
    for line in &volatile {
        assert_eq!(line["status"], "skipped", "{line}");
        assert_eq!(line["reason_code"], "no_durable_fs", "{line}");
        let reason = line["reason"].as_str().unwrap();
        assert!(reason.contains("/dev/shm is on tmpfs"), "{reason}");
    }

    let default_dir = std::path::PathBuf::from(workloads::op::DEFAULT_FSYNC_DIR);
    if let Err(why) = workloads::durable::durable_dir(&default_dir) {
        eprintln!("skip the durable half: {why}");
        return;
    }
    let durable = sweep(&dir.path().join("disk"), None);
    let timing: Vec<_> = durable.iter().filter(|l| l["pass"] == "timing").collect();
    assert!(!timing.is_empty());
    assert!(
        timing.iter().all(|l| l["status"] == "ok"),
        "on {} the cells run: {timing:?}",
        default_dir.display()
    );
}

/// One fsync cell in the default directory: the header names its file
/// system, mount and disk queue as this machine has them, and the report
/// and the mail show the same in their machine sections.
#[test]
fn an_fsync_sweep_records_its_file_system_and_the_report_shows_it() {
    let default_dir = std::path::PathBuf::from(workloads::op::DEFAULT_FSYNC_DIR);
    if let Err(why) = workloads::durable::durable_dir(&default_dir) {
        eprintln!("skip: {why}");
        return;
    }
    let (dir, results, cells) = finished_sweep(&config("ops = [\"fsync\"]\nstyles = [\"link\"]"));
    assert!(cells.iter().any(|l| l["status"] == "ok"), "{cells:?}");
    let recorded = &header(&results)["machine"]["fsync_dir"];
    let expected = workloads::durable::describe(&default_dir);
    assert_eq!(
        recorded,
        &serde_json::to_value(&expected).unwrap(),
        "the header holds what the probe reads"
    );
    let fs = expected
        .fs_type
        .as_deref()
        .expect("a durable dir has a type");
    let out = dir.path().join("report");
    let report = bin()
        .arg("report")
        .arg(&results)
        .arg("--no-plots")
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(report.status.success(), "{report:?}");
    let line = format!("fsync files: {} on {fs}", default_dir.display());
    for file in ["report.md", "report.html", "email.txt"] {
        // The mail wraps its lines: read every file's words as one line.
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains(&line), "{file} lacks {line:?}:\n{text}");
        if let Some(cache) = &expected.write_cache {
            assert!(text.contains(&format!("write cache: {cache}")), "{file}");
        }
    }
    println!("{line}: {expected:?}");
}

#[test]
fn a_sweep_without_fsync_cells_records_no_fsync_dir() {
    let (_dir, results, _) = finished_sweep(&config("styles = [\"link\"]"));
    let machine = &header(&results)["machine"];
    assert!(machine.get("fsync_dir").is_none(), "{machine}");
}
