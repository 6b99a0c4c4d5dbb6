//! Reproducers built with gcc and run against the real kernel, held to the
//! tool's own verdicts: the shared SQPOLL poller's split breaks a 16-step
//! link chain and the reproducer's first violation is the tool's; `drain`
//! keeps the same shape's order; `link` at g1-s8-b8 holds and its ns/step is
//! within 10% of the raw reference loop measured in alternating runs; the
//! lost-wakeup reproduction agrees with the tool's cell on this kernel. The
//! tests skip, with the reason, where gcc or liburing-dev is missing
//! (`scripts/setup` installs them).

mod common;

use common::toolchain::Toolchain;
use common::{assert_mail_shape, bin, config, finished_sweep, succeeds};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::{RwLock, RwLockReadGuard};

/// The timing test runs with no other test of this file beside it (it takes
/// the lock to write); the others may run together (they read).
static TIMING: RwLock<()> = RwLock::new(());

/// What every test but the timing one holds while it runs.
fn beside_others() -> RwLockReadGuard<'static, ()> {
    TIMING.read().unwrap_or_else(|e| e.into_inner())
}

/// What one run of a reproducer printed and how it exited.
#[derive(Debug)]
struct Outcome {
    code: i32,
    ns_per_step: f64,
    passes: u64,
    broken: u64,
    first: Option<String>,
}

fn count(text: &str) -> u64 {
    text.replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("not a count: {text}"))
}

/// Runs `program` with `args` and reads its summary.
fn run(program: &Path, args: &[&str]) -> Outcome {
    let output = Command::new(program).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "exit {code}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line: {stdout}"))
    };
    let ns_per_step = line("ns/step ").split(' ').next().unwrap().parse().unwrap();
    let (passes, broken, first) = match stdout
        .lines()
        .find_map(|l| l.strip_prefix("order broken in "))
    {
        Some(rest) => {
            let (k, rest) = rest.split_once(" of ").unwrap();
            let (n, _) = rest.split_once(" passes").unwrap();
            let (_, first) = rest.split_once(", first: ").unwrap();
            (count(n), count(k), Some(first.to_string()))
        }
        None => {
            let n = line("order held in all ").split(' ').next().unwrap();
            (count(n), 0, None)
        }
    };
    assert_eq!(code == 1, broken > 0, "{stdout}");
    Outcome {
        code,
        ns_per_step,
        passes,
        broken,
        first,
    }
}

/// The tool's verdict on the cells of `axes`: `Err` with the failure's
/// reason when a timing repetition failed.
fn tool_verdict(axes: &str) -> Result<(), String> {
    let text = config(&format!("{axes}\nreference = false"));
    let (_dir, _, lines) = finished_sweep(&text);
    let timing: Vec<_> = lines.iter().filter(|l| l["pass"] == "timing").collect();
    assert!(!timing.is_empty(), "{lines:?}");
    if let Some(skipped) = timing.iter().find(|l| l["status"] == "skipped") {
        panic!("the tool skipped the cell: {}", skipped["reason"]);
    }
    match timing.iter().find(|l| l["status"] == "failed") {
        Some(failed) => Err(failed["reason"].as_str().unwrap().to_string()),
        None => Ok(()),
    }
}

/// The shape of the shared-poller split: one chain of 16 steps in one submission.
const SPLIT: &str = "modes = [\"sqpoll-shared\"]\ngroups = [1]\nsteps = [16]\nbatch = [16]";

#[test]
fn the_split_breaks_the_order_as_the_tool_says_and_drain_holds() {
    let _shared = beside_others();
    let Some(gcc) = Toolchain::or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let link = gcc.build(dir.path(), "link/sqpoll-shared/nop/g1-s16-b64-t1", &[]);
    let outcome = run(&link, &["--passes", "4096", "--seconds", "20"]);
    let tool = tool_verdict(&format!("styles = [\"link\"]\n{SPLIT}"));
    let Err(tool_first) = tool else {
        eprintln!(
            "skip: the tool's link cell held on this kernel, no split to compare: {outcome:?}"
        );
        return;
    };
    assert_eq!(outcome.code, 1, "{outcome:?}");
    assert!(outcome.broken > 0 && outcome.passes == 4096, "{outcome:?}");
    assert_eq!(outcome.first.as_deref(), Some(tool_first.as_str()));

    let drain_dir = tempfile::tempdir().unwrap();
    let drain = gcc.build(
        drain_dir.path(),
        "drain/sqpoll-shared/nop/g1-s16-b16-t1",
        &[],
    );
    let held = run(&drain, &["--passes", "1024", "--seconds", "20"]);
    assert_eq!((held.code, held.broken, held.first), (0, 0, None));
    assert_eq!(
        tool_verdict(&format!("styles = [\"drain\"]\n{SPLIT}")),
        Ok(())
    );
}

/// The median of `values`.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[test]
fn a_held_link_cell_runs_at_the_raw_loops_speed() {
    let _alone = TIMING.write().unwrap_or_else(|e| e.into_inner());
    let Some(gcc) = Toolchain::or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let name = "link/default/nop/g1-s8-b8-t1";
    let program = gcc.build(dir.path(), name, &[]);
    let spec = workloads::cell::CellSpec {
        style: workloads::style::find("link").unwrap(),
        variant: String::new(),
        mode: workloads::mode::ModeSpec::DEFAULT,
        op: workloads::op::OpKind::Nop,
        forced_async: false,
        shape: workloads::cell::Shape {
            groups: 1,
            steps: 8,
            batch: 8,
            submitters: 1,
            sharing: workloads::cell::Sharing::PerSubmitter,
        },
        ring_entries: 256,
        placement: workloads::placement::Placement::spread().unwrap(),
        fsync_dir: workloads::op::DEFAULT_FSYNC_DIR.into(),
    };
    // Rounds alternate the two, each ratio taken within its round, so that
    // a change of the machine's speed between rounds cancels.
    const PASSES: u64 = 30_000;
    let mut ratios = Vec::new();
    let (mut repro, mut reference) = (Vec::new(), Vec::new());
    for _ in 0..9 {
        let outcome = run(
            &program,
            &["--passes", &PASSES.to_string(), "--seconds", "20"],
        );
        assert_eq!((outcome.code, outcome.passes), (0, PASSES), "{outcome:?}");
        let raw =
            workloads::reference::run_placed(&spec, |r| r.measure(PASSES, &AtomicBool::new(false)))
                .unwrap();
        let raw = raw.checked_wall_ns as f64 / raw.steps as f64;
        ratios.push(outcome.ns_per_step / raw);
        repro.push(outcome.ns_per_step);
        reference.push(raw);
    }
    let (ratio, repro, reference) = (median(ratios), median(repro), median(reference));
    eprintln!(
        "{name}: reproducer {repro:.1} ns/step, raw reference loop {reference:.1} ns/step, \
         paired ratio {ratio:.3}"
    );
    assert!(
        (ratio - 1.0).abs() <= 0.10,
        "{name}: reproducer over the raw reference loop {ratio:.3} (medians {repro:.1} and {reference:.1} ns/step)"
    );
}

#[test]
fn the_lost_wakeup_reproducer_agrees_with_the_tools_cell() {
    let _shared = beside_others();
    let Some(gcc) = Toolchain::or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cell = "futex:private-fresh/defer-taskrun/nop/*";
    let program = gcc.build(dir.path(), cell, &["--study", "futex-lost-wakeup"]);
    let outcome = run(&program, &["--passes", "512", "--seconds", "20"]);
    let tool = tool_verdict(
        "styles = [\"futex:private-fresh\"]\nmodes = [\"defer-taskrun\"]\n\
         groups = [2]\nsteps = [8]\nbatch = [2]\nring_entries = 64",
    );
    eprintln!("reproducer: {outcome:?}; tool: {tool:?}");
    match tool {
        Ok(()) => assert_eq!(outcome.code, 0, "the tool's cell held: {outcome:?}"),
        Err(reason) => {
            assert!(reason.starts_with("lost wakeup"), "{reason}");
            assert_eq!(
                outcome.code, 1,
                "the tool's cell lost a wakeup: {outcome:?}"
            );
            assert!(outcome.first.unwrap().starts_with("lost wakeup (group "));
        }
    }
}

#[test]
fn without_gcc_or_liburing_the_tests_skip_with_the_reason() {
    let _shared = beside_others();
    let missing = Toolchain::find("/nonexistent/gcc", "uring").err().unwrap();
    assert!(missing.starts_with("/nonexistent/gcc: "), "{missing}");
    if Toolchain::find("gcc", "uring").is_err() {
        eprintln!("skip: no gcc with liburing to tell a missing library apart");
        return;
    }
    let no_library = Toolchain::find("gcc", "uring-missing").err().unwrap();
    assert!(
        no_library.contains("cannot build a liburing program"),
        "{no_library}"
    );
}

#[test]
fn a_cell_it_cannot_express_is_refused_in_one_line() {
    let _shared = beside_others();
    let dir = tempfile::tempdir().unwrap();
    for (cell, why) in [
        (
            "sync-group:queue/default/nop/g1-s8-b8-t1",
            "no reproducer template",
        ),
        ("link/default/copy/g1-s8-b8-t1", "op copy"),
        ("link/default/nop", "is not a cell name"),
    ] {
        let output = bin()
            .args(["repro", cell, "--out"])
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{cell}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{cell}: {stderr}");
        assert!(stderr.contains(why), "{cell}: {stderr}");
        assert!(!dir.path().join("repro.c").exists());
    }
}

#[test]
fn the_bug_mail_copies_the_reproducers_rate_and_violation_within_72_columns() {
    let _shared = beside_others();
    let Some(_gcc) = Toolchain::or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let output = bin()
        .args([
            "repro",
            "link/sqpoll-shared/nop/g1-s16-b64-t1",
            "--mail",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(1) && stderr.starts_with("no bug to report") {
        eprintln!("skip: the split held on this kernel: {stderr}");
        return;
    }
    assert!(output.status.success(), "{stderr}");
    let mail = std::fs::read_to_string(dir.path().join("bug.txt")).unwrap();
    let printed = std::fs::read_to_string(dir.path().join("repro.out")).unwrap();
    assert_mail_shape(
        &mail,
        "Subject: [BUG] io_uring: shared SQPOLL splits IOSQE_IO_LINK chains of 16\n SQEs\n",
    );
    // The rate and the first violation are the program's own words.
    let verdict = printed
        .lines()
        .find(|l| l.starts_with("order broken in "))
        .unwrap();
    let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat(&mail).contains(&flat(verdict)), "{verdict}\n{mail}");
    let tool = tool_verdict(&format!("styles = [\"link\"]\n{SPLIT}"))
        .expect_err("the tool's cell broke too");
    assert!(
        flat(&mail).contains(&format!("first: {tool}")),
        "{tool}\n{mail}"
    );
    assert!(mail.contains("\n  bench-runner repro link/sqpoll-shared/nop/g1-s16-b64-t1 --mail\n  gcc -O2 -o repro repro.c -luring -lpthread\n  ./repro\n"), "{mail}");
}

/// `repro --static` builds a binary that needs no shared library (the one
/// scripts/kernel-matrix carries into its guests), it runs here, and
/// `presence` records its runs as `repro` lines that `report` turns into
/// the presence table and `repro --mail --kernels` into the mail's sentence.
#[test]
fn a_static_reproducer_runs_here_and_presence_records_its_runs() {
    let _shared = beside_others();
    if let Err(why) = Toolchain::find_with("gcc", "uring", &["-static"]) {
        eprintln!("skip: {why} with -static (scripts/setup installs gcc and liburing-dev)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let built = dir.path().join("split");
    let cell = "link/sqpoll-shared/nop/g1-s16-b64-t1";
    let output = bin()
        .args(["repro", cell, "--static", "--out"])
        .arg(&built)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("(gcc -O2 -static -o repro repro.c -luring -lpthread)"),
        "{stderr}"
    );
    let program = built.join("repro");
    let ldd = Command::new("ldd").arg(&program).output().unwrap();
    assert!(
        !ldd.status.success() || String::from_utf8_lossy(&ldd.stdout).contains("not a dynamic"),
        "{}",
        String::from_utf8_lossy(&ldd.stdout)
    );
    let source = std::fs::read_to_string(built.join("repro.c")).unwrap();
    assert!(source.contains(" * Static:  gcc -O2 -static -o repro repro.c -luring -lpthread\n"));
    let once = run(&program, &["--passes", "32"]);
    assert_eq!(once.passes, 32);

    let out = dir.path().join("presence");
    succeeds(
        bin()
            .args([
                "presence",
                "--runs",
                "3",
                "--passes",
                "32",
                "--seconds",
                "1",
                "--out",
            ])
            .arg(&out)
            .arg(&built),
    );
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["kind"], "header");
    let runs: Vec<&serde_json::Value> = lines[1..].iter().collect();
    assert_eq!(runs.len(), 3, "{text}");
    for (i, r) in runs.iter().enumerate() {
        assert_eq!(r["kind"], "repro");
        assert_eq!(r["name"], "link/sqpoll-shared/nop/g1-s16-b16-t1");
        assert_eq!(r["run"], i);
        assert_eq!(r["passes"], 32, "{r}");
        let broken = r["broken"].as_u64().unwrap();
        let word = if broken > 0 { "broken" } else { "held" };
        assert_eq!(r["outcome"], word, "{r}");
    }
    let broke = runs.iter().filter(|r| r["outcome"] == "broken").count();

    succeeds(
        bin()
            .arg("report")
            .arg(out.join("results.jsonl"))
            .args(["--no-plots", "--out"])
            .arg(dir.path().join("report")),
    );
    let md = std::fs::read_to_string(dir.path().join("report/report.md")).unwrap();
    let verdict = if broke > 0 { "present" } else { "absent" };
    assert!(
        md.contains(&format!(
            "| link/sqpoll-shared/nop/g1-s16-b16-t1 | {} | {verdict}: {broke} of 3 runs",
            runs.iter().find_map(|r| r["first"].as_str()).unwrap_or("-")
        )),
        "{md}"
    );
    if broke == 0 {
        eprintln!("the split held on this kernel: no mail to check");
        return;
    }
    let mail_dir = dir.path().join("mail");
    succeeds(
        bin()
            .args(["repro", cell, "--mail", "--kernels"])
            .arg(out.join("results.jsonl"))
            .arg("--out")
            .arg(&mail_dir),
    );
    let mail = std::fs::read_to_string(mail_dir.join("bug.txt")).unwrap();
    let flat = mail.split_whitespace().collect::<Vec<_>>().join(" ");
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let numbers: Vec<&str> = release.trim().split('.').take(2).collect();
    assert!(
        flat.contains(&format!(
            "The reproducer's behaviour is present on {} in {broke} of 3 runs.",
            numbers.join(".")
        )),
        "{mail}"
    );
}
