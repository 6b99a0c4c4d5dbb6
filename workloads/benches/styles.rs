//! criterion benches of every style on NOPs, through the same `Style` trait
//! and cell runner as the sweep: `cargo bench -p workloads -- link` times one
//! style in isolation and criterion's baselines compare it across changes.
//! One criterion iteration is one pass over the shape (groups × steps steps).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use workloads::cancel::Cancel;
use workloads::cell::{CellRun, CellSpec, Shape, Sharing};
use workloads::mode::ModeSpec;
use workloads::op::OpKind;
use workloads::placement::Placement;
use workloads::probe::Capabilities;
use workloads::style::STYLES;

fn styles(c: &mut Criterion) {
    let caps = Capabilities::detect();
    let shape = Shape {
        groups: 4,
        steps: 16,
        batch: 4,
        submitters: 1,
        sharing: Sharing::PerSubmitter,
    };
    let never = AtomicBool::new(false);
    for mode in ["default", "defer-taskrun"] {
        let mut group = c.benchmark_group(format!("nop/{mode}/g4-s16-b4"));
        group.throughput(Throughput::Elements(u64::from(shape.groups * shape.steps)));
        for style in STYLES {
            let variants: &[&str] = if style.variants().is_empty() {
                &[""]
            } else {
                style.variants()
            };
            for variant in variants {
                let spec = CellSpec {
                    style: *style,
                    variant: variant.to_string(),
                    mode: ModeSpec::parse(mode).expect("known mode"),
                    op: OpKind::Nop,
                    forced_async: false,
                    shape,
                    ring_entries: 64,
                    placement: Placement::spread().expect("this process may use some CPU"),
                    fsync_dir: std::path::PathBuf::from(workloads::op::DEFAULT_FSYNC_DIR),
                };
                let name = if variant.is_empty() {
                    style.name().to_string()
                } else {
                    format!("{}:{variant}", style.name())
                };
                if let Err(reason) = spec.needs().and_then(|n| caps.check_all(&n)) {
                    eprintln!("{name} ({mode}): skipped: {reason}");
                    continue;
                }
                let mut run = match CellRun::start(&spec, Cancel::new()) {
                    Ok(run) => run,
                    Err(e) => {
                        eprintln!("{name} ({mode}): {e}");
                        continue;
                    }
                };
                group.bench_function(name.as_str(), |b| {
                    b.iter_custom(|iters| {
                        let m = run
                            .run(iters, Duration::from_secs(30), &never)
                            .expect("order kept");
                        Duration::from_nanos(m.wall_ns)
                    })
                });
            }
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    targets = styles
}
criterion_main!(benches);
