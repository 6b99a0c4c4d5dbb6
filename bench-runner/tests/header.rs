//! The results header describes the machine a sweep ran on, including the
//! io_uring opcodes its cells' styles needed, not only those of its ops, and
//! its physical anchors with their intervals and the calibration's accounting,
//! and the registry of styles and modes that reports order by.

mod common;

use common::{cell_lines, config, sweep, write_config};
use workloads::anchors::DEFAULT_RULE;

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
    // The registry the reports order by: every style, in the tool's order,
    // with its variants, labels and whether it promises no order (the
    // verifier's controls).
    let registry: Vec<(&str, usize, usize, bool)> = header["registry"]["styles"]
        .as_array()
        .expect("header.registry.styles")
        .iter()
        .map(|s| {
            let len = |key| s[key].as_array().map_or(0, Vec::len);
            let unordered = s["unordered"].as_bool().unwrap_or(false);
            (
                s["name"].as_str().unwrap(),
                len("variants"),
                len("labels"),
                unordered,
            )
        })
        .collect();
    let styles: Vec<(&str, usize, usize, bool)> = workloads::style::STYLES
        .iter()
        .map(|s| (s.name(), s.variants().len(), s.labels().len(), !s.orders()))
        .collect();
    assert_eq!(registry, styles);
    let unordered: Vec<&str> = registry.iter().filter(|s| s.3).map(|s| s.0).collect();
    assert_eq!(unordered, ["independent"]);
    let modes = header["registry"]["modes"]
        .as_array()
        .expect("header.registry.modes");
    assert!(modes.iter().any(|m| m == "defer-taskrun"), "{modes:?}");
}

#[test]
fn header_records_each_anchor_with_its_interval_and_why_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &config(r#"styles = ["link"]"#));
    let out = sweep(&cfg, &dir.path().join("out"), &[]);
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(dir.path().join("out/results.jsonl")).unwrap();
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let calibration = &header["calibration"];
    let target = DEFAULT_RULE.precision;
    eprintln!("calibration: {calibration}");
    let field = |name: &str| {
        calibration[name]
            .as_u64()
            .unwrap_or_else(|| panic!("calibration.{name}: {calibration}"))
    };
    let (budget, spent, overshoot) = (field("budget_ns"), field("spent_ns"), field("overshoot_ns"));
    assert_eq!(calibration["target_precision"], target);
    assert_eq!(overshoot, spent.saturating_sub(budget), "{calibration}");
    let anchors = header["anchors"].as_array().expect("header.anchors");
    assert_eq!(anchors.len(), 4, "{anchors:?}");
    let mut spent_by_anchors = 0;
    for a in anchors {
        eprintln!("{a}");
        spent_by_anchors += a["spent_ns"].as_u64().expect("spent_ns");
        if a["ns"].is_null() {
            assert!(a["unsupported"].is_string(), "{a}");
            assert!(a["stop"].is_null(), "{a}");
            continue;
        }
        let value = |name: &str| a[name].as_f64().unwrap_or_else(|| panic!("{name}: {a}"));
        let (ns, lo, hi, precision) = (
            value("ns"),
            value("ci_low"),
            value("ci_high"),
            value("precision"),
        );
        assert!(lo <= ns && ns <= hi, "{a}");
        let wider = (ns - lo).max(hi - ns) / ns;
        assert!((precision - wider).abs() < 1e-9, "{a}");
        assert!(
            a["samples"].as_u64().unwrap() >= u64::from(DEFAULT_RULE.min_samples),
            "{a}"
        );
        match a["stop"].as_str() {
            Some("precision") => assert!(precision <= target, "{a}"),
            Some("budget") => assert!(a["spent_ns"].as_u64().unwrap() >= budget / 4, "{a}"),
            other => panic!("stop {other:?}: {a}"),
        }
    }
    assert!(spent >= spent_by_anchors, "{calibration}");
}

/// Inside `scripts/kernel-matrix` guests the environment names the package
/// the kernel was booted from: the header records it, and records nothing
/// when only half of it is set (as on a machine's own kernel, where neither is).
#[test]
fn header_records_the_kernel_package_the_environment_names() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &config(r#"styles = ["link"]"#));
    let machine = |name: &str, env: &[(&str, &str)]| {
        let out = dir.path().join(name);
        let status = common::bin()
            .arg("sweep")
            .arg(&cfg)
            .arg("--out")
            .arg(&out)
            .env_remove("URING_SYNCBENCH_KERNEL_SUITE")
            .env_remove("URING_SYNCBENCH_KERNEL_PACKAGE")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(status.status.success(), "{status:?}");
        let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
        let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        header["machine"].clone()
    };
    let booted = machine(
        "booted",
        &[
            ("URING_SYNCBENCH_KERNEL_SUITE", "bookworm"),
            ("URING_SYNCBENCH_KERNEL_PACKAGE", "6.1.176-1"),
        ],
    );
    assert_eq!(
        booted["kernel_package"],
        serde_json::json!({"suite": "bookworm", "version": "6.1.176-1"})
    );
    let half = machine("half", &[("URING_SYNCBENCH_KERNEL_SUITE", "bookworm")]);
    assert!(half.get("kernel_package").is_none(), "{half}");
}
