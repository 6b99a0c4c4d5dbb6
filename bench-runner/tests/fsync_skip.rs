//! The `fsync` op's skip path, proven for real: a sweep pointed at a tmpfs
//! directory (/dev/shm), whose fsync does nothing, records its `fsync` cells
//! as `skipped` with `no_durable_fs` and the reason; the same cells in the
//! default directory, on a disk-backed file system, run.

mod common;

use common::{bin, cell_lines, config, write_config};
use std::path::Path;

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
    assert_eq!(volatile.len(), 2, "one skip line per cell: {volatile:?}");
    for line in &volatile {
        assert_eq!(line["status"], "skipped", "{line}");
        assert_eq!(line["reason_code"], "no_durable_fs", "{line}");
        let reason = line["reason"].as_str().unwrap();
        assert!(reason.contains("/dev/shm is on tmpfs"), "{reason}");
    }

    let default_dir = workloads::op::fsync_dir();
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
