//! The results header describes the machine a sweep ran on, including the
//! io_uring opcodes its cells' styles needed, not only those of its ops.

mod common;

use common::{config, sweep, write_config};

#[test]
fn header_lists_the_opcodes_every_timed_cell_used() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        &config(r#"styles = ["link", "msg-ring:group", "futex:shared"]"#),
    );
    let out = sweep(&cfg, &dir.path().join("out"), &[]);
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(dir.path().join("out/results.jsonl")).unwrap();
    let mut lines = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap());
    let header = lines.next().unwrap();
    let opcodes: Vec<&str> = header["io_uring"]["opcodes"]
        .as_array()
        .expect("header.io_uring.opcodes")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let ran = |style: &str| {
        text.lines().skip(1).any(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["cell"]["style"] == style && v["status"] == "ok"
        })
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
