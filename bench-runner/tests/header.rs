//! The results header describes the machine a sweep ran on, including the
//! io_uring opcodes its cells' styles needed, not only those of its ops.

mod common;

use common::{cell_lines, config, sweep, write_config};

#[test]
fn header_lists_the_opcodes_every_timed_cell_used() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        &config(r#"styles = ["link", "msg-ring:group", "futex:shared"]"#),
    );
    let out = sweep(&cfg, &dir.path().join("out"), &[]);
    assert!(out.status.success(), "{out:?}");
    let results = dir.path().join("out/results.jsonl");
    let text = std::fs::read_to_string(&results).unwrap();
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let opcodes: Vec<&str> = header["io_uring"]["opcodes"]
        .as_array()
        .expect("header.io_uring.opcodes")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let cells = cell_lines(&results);
    let ran = |style: &str| {
        cells
            .iter()
            .any(|v| v["cell"]["style"] == style && v["status"] == "ok")
    };
    assert!(ran("link"), "{text}");
    assert!(opcodes.contains(&"NOP"), "{opcodes:?}");
    if ran("msg-ring") {
        assert!(opcodes.contains(&"MSG_RING"), "{opcodes:?}");
    }
    if ran("futex") {
        for op in ["FUTEX_WAIT", "FUTEX_WAKE"] {
            assert!(opcodes.contains(&op), "{op} missing from {opcodes:?}");
        }
    } else {
        eprintln!("futex cells skipped on this kernel: FUTEX_* not checked");
    }
}
