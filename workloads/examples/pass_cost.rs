//! Runs passes of one nop cell, or of its raw reference loop, and nothing
//! else: the program `scripts/pass-instructions` runs under callgrind to
//! count the user-space instructions a pass costs in the harness and in the
//! raw loop. Instruction counts do not move with the machine's load, so they
//! show what a change to the hot path did where timings on a busy machine
//! cannot.
//!
//! Usage: `pass_cost cell|raw STYLE GROUPS STEPS BATCH MODE PASSES`. The raw
//! loop runs each pass twice (plain, then with the order check), as it does
//! in a sweep.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use workloads::cancel::Cancel;
use workloads::cell::{CellRun, CellSpec, Shape, Sharing};
use workloads::mode::ModeSpec;
use workloads::op::{OpKind, DEFAULT_FSYNC_DIR};
use workloads::placement::Placement;
use workloads::reference::ReferenceRun;

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pass_cost: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let [what, style, groups, steps, batch, mode, passes] = args.as_slice() else {
        return Err("usage: pass_cost cell|raw STYLE GROUPS STEPS BATCH MODE PASSES".into());
    };
    let number = |s: &str| s.parse::<u32>().map_err(|e| format!("{s}: {e}"));
    let cell = CellSpec {
        style: workloads::style::find(style).ok_or(format!("unknown style {style}"))?,
        variant: String::new(),
        mode: ModeSpec::parse(mode).ok_or(format!("unknown mode {mode}"))?,
        op: OpKind::Nop,
        forced_async: false,
        shape: Shape {
            groups: number(groups)?,
            steps: number(steps)?,
            batch: number(batch)?,
            submitters: 1,
            sharing: Sharing::PerSubmitter,
        },
        ring_entries: 256,
        placement: Placement::spread().map_err(|e| e.to_string())?,
        fsync_dir: DEFAULT_FSYNC_DIR.into(),
    };
    let passes = u64::from(number(passes)?);
    let stop = AtomicBool::new(false);
    match what.as_str() {
        "cell" => {
            let mut run = CellRun::start(&cell, Cancel::new()).map_err(|e| e.to_string())?;
            run.run(passes, Duration::from_secs(3600), &stop)
                .map_err(|e| e.to_string())?;
        }
        "raw" => {
            let mut run = ReferenceRun::start(&cell).map_err(|e| e.to_string())?;
            run.measure(passes, &stop).map_err(|e| e.to_string())?;
        }
        other => return Err(format!("{other}: neither cell nor raw")),
    }
    Ok(())
}
