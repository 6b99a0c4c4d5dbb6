//! Oversubscription end to end: a real sweep run with the process confined to
//! one CPU (sched_setaffinity in the child before exec) records, on every line
//! of a cell that needs more busy threads than that, `oversubscribed` with the
//! right counts and the placement on that CPU; report.md flags those cells;
//! `compare` leaves them out of its verdicts unless `--include-oversubscribed`.

mod common;

use common::{bin, cell_lines, config, sweep_dir};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::process::Command;
use workloads::placement::allowed_cpus;

/// The busy threads each cell of the config needs: its submitter, the SQPOLL
/// thread of sqpoll and futex-syscall's completer.
const BUSY: &[(&str, u32)] = &[
    ("link/default/nop/g2-s4-b2-t1", 1),
    ("link/sqpoll/nop/g2-s4-b2-t1", 2),
    ("futex-syscall/default/nop/g2-s4-b2-t1", 2),
    ("futex-syscall/sqpoll/nop/g2-s4-b2-t1", 3),
];

/// `command` confined to `cpu` from before it starts.
fn on_one_cpu(mut command: Command, cpu: usize) -> Command {
    // SAFETY: between fork and exec the closure only fills a cpu_set_t and
    // calls sched_setaffinity, both async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            if libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    command
}

#[test]
fn one_cpu_sweep_records_flags_and_keeps_oversubscribed_cells_out_of_verdicts() {
    let cpu = allowed_cpus().unwrap()[0];
    let (dir, config_path, _tmp, out) = sweep_dir(&config(
        r#"styles = ["link", "futex-syscall"]
modes = ["default", "sqpoll"]
repetitions = 5
min_repetitions = 5"#,
    ));
    let mut sweep = bin();
    sweep.arg("sweep").arg(&config_path).arg("--out").arg(&out);
    let output = on_one_cpu(sweep, cpu).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let results = out.join("results.jsonl");
    let lines = cell_lines(&results);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for line in &lines {
        let name = line["name"].as_str().unwrap();
        let &(_, busy) = BUSY
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("unplanned cell {name}"));
        *seen.entry(name).or_default() += 1;
        let placement = &line["placement"];
        assert_eq!(placement["cpus"], json!([cpu]), "{line}");
        assert_eq!(placement["submitters"], json!([cpu]), "{line}");
        let sqpoll = name.contains("/sqpoll/");
        assert_eq!(
            placement["sqpoll"],
            if sqpoll { json!(cpu) } else { Value::Null }
        );
        let completer = name.starts_with("futex-syscall");
        let helpers = if completer {
            json!({ "completer": [cpu] })
        } else {
            Value::Null
        };
        assert_eq!(placement["helpers"], helpers, "{line}");
        let expected = if busy > 1 {
            json!({ "busy_threads": busy, "cpus": 1 })
        } else {
            Value::Null
        };
        assert_eq!(line["oversubscribed"], expected, "{line}");
        if line["status"] == "skipped" {
            eprintln!("{name} skipped here: {}", line["reason"]);
        } else {
            // Oversubscribed cells still run.
            assert_eq!(line["status"], "ok", "{line}");
        }
    }
    assert_eq!(seen.len(), BUSY.len(), "every cell has lines: {seen:?}");

    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    for (name, busy) in BUSY {
        let (style, rest) = name.split_once('/').unwrap();
        let mode = rest.split('/').next().unwrap();
        let row = report
            .lines()
            .find(|l| l.starts_with(&format!("| {style} | {mode} |")))
            .unwrap_or_else(|| panic!("no row for {name} in report.md"));
        let flag = format!("oversubscribed: {busy} busy threads on 1 CPU");
        assert_eq!(row.contains(&flag), *busy > 1, "{row}");
    }

    // The run against itself: oversubscribed cells get no verdict by default.
    let compare = |extra: &[&str]| {
        let output = bin()
            .arg("compare")
            .arg(&results)
            .arg(&results)
            .arg("--out")
            .arg(dir.path().join("cmp"))
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let not_comparable = |text: &str, name: &str| {
        let row = text.lines().find(|l| l.starts_with(name)).unwrap();
        row.contains("not comparable")
    };
    let default = compare(&[]);
    let included = compare(&["--include-oversubscribed"]);
    for (name, busy) in BUSY {
        let timed = lines
            .iter()
            .any(|l| l["name"] == *name && l["status"] == "ok");
        if !timed {
            continue;
        }
        assert_eq!(not_comparable(&default, name), *busy > 1, "{default}");
        assert!(!not_comparable(&included, name), "{included}");
    }
}
