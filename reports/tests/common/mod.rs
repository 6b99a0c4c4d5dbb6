//! Synthetic results files for the reports tests: written with the real
//! writer and read back with the real reader, with seeded noise so every
//! test sees the same numbers.

#![allow(dead_code)] // each test binary uses a different part

use reports::analysis::stats::Rng;
use reports::results::{Results, ResultsWriter};
use reports::schema::*;
use std::path::{Path, PathBuf};

pub fn header(kernel: &str, emulated: bool) -> Header {
    Header {
        schema: SCHEMA_VERSION,
        tool: Tool {
            version: "0.1.0".into(),
            commit: "abc1234".into(),
        },
        machine: Machine {
            hostname: "testhost".into(),
            kernel: kernel.into(),
            cpu_model: "Synthetic CPU @ 3.0GHz".into(),
            cpus: 2,
            mitigations: [(
                "spectre_v2".to_string(),
                "Mitigation: Retpolines".to_string(),
            )]
            .into_iter()
            .collect(),
            emulated,
            kernel_package: None,
            fsync_dir: None,
        },
        io_uring: IoUringInfo {
            features: vec!["NODROP".into(), "SUBMIT_STABLE".into()],
            opcodes: vec!["NOP".into(), "WRITE".into(), "FUTEX_WAIT".into()],
            probed: vec![],
            unavailable: None,
        },
        run: RunInfo {
            config_path: "config.toml".into(),
            config_hash: "0f".repeat(32),
            started_unix: 1_700_000_000,
            command: vec![
                "bench-runner".into(),
                "sweep".into(),
                "--config".into(),
                "config.toml".into(),
                "--out".into(),
                "results dir/results.jsonl".into(),
            ],
            reproduce: None,
        },
        anchors: vec![
            AnchorValue {
                name: "syscall".into(),
                ns: Some(95.0),
                samples: 1000,
                ci_low: Some(94.2),
                ci_high: Some(95.6),
                precision: Some(0.0084),
                stop: Some(StopReason::Precision),
                spent_ns: Some(120_000_000),
                unsupported: None,
            },
            AnchorValue {
                name: "cache-to-cache".into(),
                unsupported: Some("needs 2 online CPUs".into()),
                ..AnchorValue::default()
            },
            // As written before anchors had an interval.
            AnchorValue {
                name: "futex_wake_round_trip".into(),
                ns: Some(2400.0),
                samples: 500,
                ..AnchorValue::default()
            },
        ],
        calibration: Some(Calibration {
            target_precision: 0.01,
            budget_ns: 1_200_000_000,
            spent_ns: 1_260_000_000,
            overshoot_ns: 60_000_000,
        }),
        // As bench-runner writes it: the styles in the order `list` shows.
        registry: Some(Registry {
            styles: [
                "independent",
                "link",
                "hardlink",
                "drain",
                "userspace",
                "sync-group",
                "msg-ring",
                "futex",
                "futex-syscall",
                "bpf-loop",
            ]
            .iter()
            .map(|name| StyleEntry {
                name: name.to_string(),
                variants: variants(name).iter().map(|v| v.to_string()).collect(),
                labels: Vec::new(),
                unordered: *name == "independent",
            })
            .collect(),
            modes: vec!["default".into(), "sqpoll".into()],
        }),
    }
}

/// The variants bench-runner lists for a style.
pub fn variants(style: &str) -> &'static [&'static str] {
    match style {
        "sync-group" => &["queue", "append"],
        "msg-ring" => &["group", "step"],
        "futex" => &["shared", "private", "shared-fresh", "private-fresh"],
        _ => &[],
    }
}

/// Every style key the registry of [`header`] makes, variants included.
pub fn registry_styles() -> Vec<String> {
    header("6.18", false)
        .registry
        .unwrap()
        .styles
        .iter()
        .flat_map(|s| {
            if s.variants.is_empty() {
                vec![s.name.clone()]
            } else {
                s.variants
                    .iter()
                    .map(|v| format!("{}:{v}", s.name))
                    .collect()
            }
        })
        .collect()
}

pub fn key(style: &str, mode: &str, op: &str, steps: u32, batch: u32) -> CellKey {
    let (op, forced_async) = match op.strip_suffix("+async") {
        Some(op) => (op, true),
        None => (op, false),
    };
    let (style, variant) = style.split_once(':').unwrap_or((style, ""));
    CellKey {
        style: style.into(),
        variant: variant.into(),
        mode: mode.into(),
        op: op.into(),
        forced_async,
        groups: 1,
        steps,
        batch,
        submitters: 1,
        sharing: "per-submitter".into(),
    }
}

pub fn record(key: &CellKey, pass: Pass, rep: u32, status: Status) -> CellRecord {
    CellRecord {
        name: key.name(),
        cell: key.clone(),
        pass,
        rep,
        block: None,
        status,
        reason: None,
        reason_code: None,
        violation: None,
        timing: None,
        passes: None,
        profile: None,
        reference_timing: None,
        stopping: None,
        reference: None,
        labels: if key.style == "sync-group" {
            vec![USERSPACE_EMULATION_LABEL.into()]
        } else {
            vec![]
        },
        placement: None,
        oversubscribed: None,
        finished_unix: 1_700_000_100,
    }
}

/// One timing line per value (ns/step).
pub fn reps(key: &CellKey, values: &[f64]) -> Vec<CellRecord> {
    values
        .iter()
        .enumerate()
        .map(|(i, &ns)| {
            let mut r = record(key, Pass::Timing, i as u32, Status::Ok);
            let steps = 10_000;
            r.timing = Some(Timing {
                iterations: 100,
                steps,
                wall_ns: (ns * steps as f64) as u64,
                cpu_ns: (ns * 1.4 * steps as f64) as u64,
                ns_per_step: ns,
                cpu_ns_per_step: ns * 1.4,
            });
            r
        })
        .collect()
}

pub fn skipped(key: &CellKey, code: ReasonCode, reason: &str) -> CellRecord {
    let mut r = record(key, Pass::Timing, 0, Status::Skipped);
    r.reason = Some(reason.into());
    r.reason_code = Some(code);
    r
}

pub fn failed(key: &CellKey) -> CellRecord {
    let mut r = record(key, Pass::Timing, 0, Status::Failed);
    r.reason = Some("order violated".into());
    r.reason_code = Some(ReasonCode::OrderViolation);
    r.violation = Some(ViolationRecord {
        group: 0,
        expected: 3,
        got: 4,
        source: "cqe".into(),
    });
    r
}

pub fn profile(key: &CellKey, scale: f64) -> CellRecord {
    let mut r = record(key, Pass::Profile, 0, Status::Ok);
    let mut probes = std::collections::BTreeMap::new();
    probes.insert("submit_req".to_string(), 1.0);
    probes.insert("syscalls".to_string(), 0.25 * scale);
    probes.insert("io_uring_enter".to_string(), 0.125 * scale);
    probes.insert("task_add".to_string(), 0.5 * scale);
    probes.insert(
        "queue_async_work".to_string(),
        if key.forced_async { 1.0 } else { 0.0 },
    );
    probes.insert("ctx_switches_app".to_string(), 0.1 * scale);
    probes.insert("ctx_switches_sqp".to_string(), 0.05 * scale);
    probes.insert("wakeups_cross_cpu".to_string(), 0.2 * scale);
    r.profile = Some(Profile {
        steps: 10_000,
        counters: vec![
            CounterValue {
                name: "task-clock".into(),
                value: Some(1.5e6 * scale),
                per_step: Some(150.0 * scale),
                running_fraction: Some(1.0),
                unsupported: None,
                unsupported_code: None,
            },
            CounterValue {
                name: "cycles".into(),
                value: None,
                per_step: None,
                running_fraction: None,
                unsupported: Some(
                    "not supported: event not provided by this CPU's PMU (ENOENT)".into(),
                ),
                unsupported_code: Some(ReasonCode::CounterUnsupported),
            },
        ],
        counters_skipped: None,
        counters_skipped_code: None,
        probes_per_step: probes,
        probes_skipped: None,
        probes_skipped_code: None,
        overhead_ratio: Some(1.1),
        enter_budget_per_step: Some(0.125),
    });
    r
}

/// Renders every output of `inputs` into `out`, the plots as SVG only; the
/// paths written.
pub fn render_svg(inputs: &[Results], out: &Path) -> Vec<PathBuf> {
    let opts = reports::RenderOptions {
        plots: true,
        png: false,
    };
    reports::render(inputs, out, &opts).unwrap()
}

/// Marks every line of the cell `name` oversubscribed: `busy` threads on `cpus` CPUs.
pub fn oversubscribe(records: &mut [CellRecord], name: &str, busy: u32, cpus: u32) {
    for r in records.iter_mut().filter(|r| r.name == name) {
        r.oversubscribed = Some(Oversubscribed {
            busy_threads: busy,
            cpus,
        });
    }
}

/// `n` values around `center` with relative noise `sigma` (seeded).
pub fn noisy(rng: &mut Rng, center: f64, sigma: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            // Sum of uniforms: roughly normal, bounded.
            let z: f64 = (0..12).map(|_| rng.unit()).sum::<f64>() - 6.0;
            center * (1.0 + sigma * z)
        })
        .collect()
}

pub const STYLES: &[&str] = &[
    "independent",
    "link",
    "hardlink",
    "drain",
    "userspace",
    "sync-group:queue",
    "msg-ring",
    "futex",
    "bpf-loop",
];
pub const MODES: &[&str] = &["default", "sqpoll", "defer-taskrun", "coop-taskrun"];
pub const OPS: &[&str] = &["nop", "pipe+async"];
pub const SHAPES: &[(u32, u32)] = &[(8, 8), (32, 8), (32, 32)];

/// A sweep of 216 cells (9 styles x 4 modes x 2 ops x 3 shapes) with
/// `reps` repetitions each, profile lines, one failed and the bpf-loop cells skipped.
pub fn sweep(seed: u64, reps_per_cell: usize) -> Vec<CellRecord> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for op in OPS {
        for &(steps, batch) in SHAPES {
            for (m, mode) in MODES.iter().enumerate() {
                for (s, style) in STYLES.iter().enumerate() {
                    let k = key(style, mode, op, steps, batch);
                    if style.starts_with("bpf-loop") {
                        out.push(skipped(
                            &k,
                            ReasonCode::MissingFeature,
                            "bpf-loop needs Linux 7.1+ (kernel 6.18)",
                        ));
                        continue;
                    }
                    if *style == "futex" && *mode == "sqpoll" && steps == 32 && batch == 8 {
                        out.push(failed(&k));
                        continue;
                    }
                    let cliff = if style.contains("link") && steps > batch {
                        2.5
                    } else {
                        1.0
                    };
                    let center = 80.0
                        * (1.0 + s as f64 * 0.6)
                        * (1.0 + m as f64 * 0.2)
                        * cliff
                        * if op.contains("async") { 6.0 } else { 1.0 };
                    out.extend(reps(&k, &noisy(&mut rng, center, 0.01, reps_per_cell)));
                    out.push(profile(&k, 1.0 + s as f64 * 0.3));
                }
            }
        }
    }
    out
}

pub const BATCHES: &[u32] = &[1, 2, 4, 8, 16, 32, 64];

/// ns/step against batch (1 to 64) at 64 steps per group, nop, in two
/// modes: the submission cost spread over the batch, and a cliff for the
/// linked styles, whose chains cannot cross a submission, below 64. The
/// bpf-loop cells are skipped, futex on sqpoll fails at batch 4 and
/// msg-ring is oversubscribed at batch 64 on default.
pub fn batch_sweep(seed: u64, reps_per_cell: usize) -> Vec<CellRecord> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for (m, mode) in MODES[..2].iter().enumerate() {
        for &batch in BATCHES {
            for (s, style) in STYLES.iter().enumerate() {
                let k = key(style, mode, "nop", 64, batch);
                if style.starts_with("bpf-loop") {
                    out.push(skipped(
                        &k,
                        ReasonCode::MissingFeature,
                        "bpf-loop needs Linux 7.1+ (kernel 6.18)",
                    ));
                    continue;
                }
                if *style == "futex" && *mode == "sqpoll" && batch == 4 {
                    out.push(failed(&k));
                    continue;
                }
                let cliff = if style.contains("link") && batch < 64 {
                    400.0
                } else {
                    0.0
                };
                let center = 80.0 * (1.0 + s as f64 * 0.6) * (1.0 + m as f64 * 0.2)
                    + 1500.0 / batch as f64
                    + cliff;
                out.extend(reps(&k, &noisy(&mut rng, center, 0.01, reps_per_cell)));
            }
        }
    }
    let name = key("msg-ring", "default", "nop", 64, 64).name();
    oversubscribe(&mut out, &name, 3, 2);
    out
}

/// Writes a results file with the real writer and reads it back.
pub fn write(dir: &Path, file: &str, header: &Header, records: &[CellRecord]) -> Results {
    let path = dir.join(file);
    let mut w = ResultsWriter::create(&path, header).unwrap();
    for r in records {
        w.append(&Record::Cell(Box::new(r.clone()))).unwrap();
    }
    Results::read(&path).unwrap()
}
