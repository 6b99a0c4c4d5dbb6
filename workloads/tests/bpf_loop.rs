//! The `bpf-loop` style on the real kernel: where the kernel has io_uring BPF
//! struct_ops (7.1+), its NOP chains run through the registered program and
//! pass the order verifier; where it has not, the cell is skipped with the
//! one-line reason, and modes other than DEFER_TASKRUN are not applicable.

use results_schema::ReasonCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use workloads::cancel::Cancel;
use workloads::cell::{CellRun, CellSpec, Shape, Sharing};
use workloads::mode::ModeSpec;
use workloads::op::OpKind;
use workloads::placement::Placement;
use workloads::probe::{Capabilities, Unmet, BPF_LOOP};
use workloads::style;

fn cell(mode: &str, op: OpKind, groups: u32, steps: u32) -> CellSpec {
    CellSpec {
        style: style::find("bpf-loop").expect("bpf-loop is registered"),
        variant: String::new(),
        mode: ModeSpec::parse(mode).unwrap(),
        op,
        forced_async: false,
        shape: Shape {
            groups,
            steps,
            batch: groups,
            submitters: 1,
            sharing: Sharing::PerSubmitter,
        },
        ring_entries: 64,
        placement: Placement::spread().expect("this process may use some CPU"),
        fsync_dir: workloads::op::DEFAULT_FSYNC_DIR.into(),
    }
}

fn has_bpf_loop() -> bool {
    std::fs::read("/sys/kernel/btf/vmlinux")
        .map(|btf| btf.windows(17).any(|w| w == b"io_uring_bpf_ops\0"))
        .unwrap_or(false)
}

#[test]
fn applies_only_to_defer_taskrun_nop_cells() {
    for mode in ["default", "sqpoll", "coop-taskrun"] {
        let Some(spec) = ModeSpec::parse(mode) else {
            continue;
        };
        let mut c = cell("defer-taskrun", OpKind::Nop, 1, 2);
        c.mode = spec;
        let unmet = c.needs().expect_err(mode);
        assert_eq!(
            unmet.code,
            ReasonCode::UnsupportedCombination,
            "{mode}: {unmet}"
        );
        assert!(
            unmet.reason.contains("io_uring BPF loop"),
            "{mode}: {unmet}"
        );
    }
    assert_eq!(
        cell("default", OpKind::Nop, 1, 2).needs().unwrap_err(),
        Unmet::combination("the io_uring BPF loop runs only on DEFER_TASKRUN rings")
    );
    assert!(cell("defer-taskrun", OpKind::Timeout, 1, 2)
        .needs()
        .is_err());
    assert!(cell("defer-taskrun", OpKind::Nop, 65, 2).needs().is_err());
    let needs = cell("defer-taskrun", OpKind::Nop, 2, 4).needs().unwrap();
    assert!(needs.contains(&workloads::probe::Need::Feature(BPF_LOOP)));
}

#[test]
fn missing_kernel_support_is_a_skip_with_its_reason() {
    let caps = Capabilities::detect();
    let c = cell("defer-taskrun", OpKind::Nop, 1, 2);
    let verdict = c.needs().and_then(|n| caps.check_all(&n));
    if has_bpf_loop() {
        eprintln!("kernel has io_uring_bpf_ops: the skip path does not apply here");
        assert_eq!(verdict, Ok(()));
        return;
    }
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let major_minor: Vec<&str> = release.trim().splitn(3, '.').take(2).collect();
    let unmet = verdict.unwrap_err();
    assert_eq!(unmet.code, ReasonCode::MissingFeature, "{unmet}");
    assert_eq!(
        unmet.reason,
        format!(
            "io_uring BPF loop unsupported (kernel {}: no io_uring_bpf_ops in BTF)",
            major_minor.join(".")
        )
    );
}

#[test]
fn runs_chains_in_order_through_the_kernel_loop() {
    let caps = Capabilities::detect();
    let never = AtomicBool::new(false);
    // One chain, then many groups in flight at once.
    for (groups, steps) in [(1, 2), (1, 16), (4, 33), (40, 8)] {
        let c = cell("defer-taskrun", OpKind::Nop, groups, steps);
        if let Err(reason) = c.needs().and_then(|n| caps.check_all(&n)) {
            eprintln!("skip bpf-loop: {reason}");
            return;
        }
        let mut run = CellRun::start(&c, Cancel::new()).expect("cell starts");
        let m = run
            .run(5, Duration::from_secs(60), &never)
            .unwrap_or_else(|e| panic!("{groups}x{steps}: {e}"));
        assert_eq!(m.steps, 5 * u64::from(groups * steps));
    }
}
