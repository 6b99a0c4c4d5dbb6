//! A study's reproductions on the kernel axis, against the real kernel:
//! `presence --study` builds the reproducer of every cell the study expects
//! to break, runs each here and records every run with its finding, which
//! the report makes one row of the presence table; and `repro --mail
//! --kernels` writes the bug mail from another kernel's runs where the
//! reproducer held here, or says in one line that there is no bug to
//! report. The other kernel is a fixture: the results two runs in a 7.2
//! guest of `scripts/kernel-matrix` brought back (`corpus/presence`), one
//! of single cells' reproducers written before runs carried a finding, one
//! of both studies' reproducers carried in with `--carry`. The tests skip,
//! with the reason, where gcc or liburing-dev is missing.

mod common;

use common::toolchain::Toolchain;
use common::{assert_mail_shape, bin, succeeds};
use reports::render::mail::MAIL_WIDTH;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Results of `bench-runner presence` in a 7.2 guest under qemu (20 runs
/// of 8 passes of the split and both futex-lost-wakeup cells), written
/// before runs carried a finding.
fn guest_fixture() -> PathBuf {
    corpus("guest-7.2-emulated.jsonl")
}

/// Results of `presence '{carry}/futex' '{carry}/split'` in a 7.2 guest
/// under qemu (`repro --study NAME --static` of both studies carried in; 5
/// runs of 8 passes each): runs that carry their finding.
fn guest_study_fixture() -> PathBuf {
    corpus("guest-7.2-study.jsonl")
}

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus/presence")
        .join(name)
}

/// Every line of a results file.
fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Text with its whitespace runs made single spaces, as a wrapped mail
/// reads flat.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

const FUTEX_PLACE: &str = "futex:private-fresh/defer-taskrun g2-s8-b2-t1";

#[test]
fn a_studys_reproductions_run_here_as_one_row_per_finding() {
    if Toolchain::or_skip().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("presence");
    succeeds(
        bin()
            .args(["presence", "--study", "futex-lost-wakeup", "--runs", "2"])
            .args(["--passes", "16", "--seconds", "2", "--run-timeout", "30"])
            .arg("--out")
            .arg(&out),
    );
    let built: Vec<String> = std::fs::read_dir(out.join("reproducers"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(built.len(), 2, "{built:?}");
    let all = lines(&out.join("results.jsonl"));
    let runs: Vec<&Value> = all.iter().filter(|l| l["kind"] == "repro").collect();
    assert_eq!(runs.len(), 4, "{all:?}");
    for r in &runs {
        let finding = &r["finding"];
        assert_eq!(finding["study"], "futex-lost-wakeup", "{r}");
        assert_eq!(finding["place"], FUTEX_PLACE, "{r}");
        assert_eq!(finding["axis"], "op", "{r}");
        assert_eq!(finding["value"], r["cell"]["op"], "{r}");
    }
    let ran: Vec<&Value> = runs
        .iter()
        .copied()
        .filter(|r| r["outcome"] == "held" || r["outcome"] == "broken")
        .collect();
    let broke = ran.iter().filter(|r| r["outcome"] == "broken").count();
    let passes: u64 = ran.iter().map(|r| r["passes"].as_u64().unwrap()).sum();

    // This kernel's file beside a guest's with findings, and one written
    // before findings: all read.
    succeeds(
        bin()
            .arg("report")
            .arg(out.join("results.jsonl"))
            .arg(guest_study_fixture())
            .arg(guest_fixture())
            .args(["--no-plots", "--out"])
            .arg(dir.path().join("report")),
    );
    let md = std::fs::read_to_string(dir.path().join("report/report.md")).unwrap();
    let row = md
        .lines()
        .find(|l| l.starts_with(&format!("| futex-lost-wakeup: {FUTEX_PLACE} |")))
        .unwrap_or_else(|| panic!("no finding row: {md}"));
    if broke == 0 {
        assert!(
            row.contains(&format!("| absent: 0 of {} runs (95% CI 0-", ran.len()))
                && row.contains(&format!("held in {passes} passes |")),
            "{row}"
        );
    } else {
        assert!(row.contains("| present at op "), "{row}");
    }
    let guest = runs_of(
        &guest_study_fixture(),
        "futex:private-fresh/defer-taskrun/nop/g2-s8-b2-t1",
    );
    let killed = runs_of(
        &guest_study_fixture(),
        "futex:private-fresh/defer-taskrun/timeout/g2-s8-b2-t1",
    );
    assert!(guest.broke > 0 && killed.ran == 0 && killed.failed > 0);
    assert!(
        row.contains(&format!(
            "| present at op nop: {} of {} runs (95% CI ",
            guest.broke, guest.ran
        )) && row.contains(&format!(
            "{} of {} passes; {} runs failed [timeout] |",
            guest.broken_passes, guest.passes, killed.failed
        )),
        "the guest's column: {row}"
    );
    assert!(
        md.contains("| futex:private-fresh/defer-taskrun/nop/g2-s8-b2-t1 | lost wakeup"),
        "the guest's runs without a finding stay a row of their cell: {md}"
    );
}

/// The runs of one cell in a results file, counted.
struct Runs {
    /// Runs that broke.
    broke: usize,
    /// Runs that held or broke.
    ran: usize,
    /// Runs that failed.
    failed: usize,
    /// Passes that broke.
    broken_passes: u64,
    /// Passes of the runs that held or broke.
    passes: u64,
    /// The first violation.
    first: String,
}

/// The runs of `cell` in `file`.
fn runs_of(file: &Path, cell: &str) -> Runs {
    let all = lines(file);
    let of_cell: Vec<&Value> = all
        .iter()
        .filter(|l| l["kind"] == "repro" && l["name"] == cell)
        .collect();
    let ran: Vec<&Value> = of_cell
        .iter()
        .copied()
        .filter(|l| l["outcome"] == "held" || l["outcome"] == "broken")
        .collect();
    let sum = |field: &str| ran.iter().map(|r| r[field].as_u64().unwrap()).sum();
    Runs {
        broke: ran.iter().filter(|r| r["outcome"] == "broken").count(),
        ran: ran.len(),
        failed: of_cell.iter().filter(|r| r["outcome"] == "failed").count(),
        broken_passes: sum("broken"),
        passes: sum("passes"),
        first: ran
            .iter()
            .find_map(|r| r["first"].as_str())
            .unwrap_or_default()
            .to_string(),
    }
}

/// `repro CELL --study futex-lost-wakeup --mail --kernels` with the 7.2
/// guest's results, into `dir`.
fn mail_from_guest(cell: &str, dir: &Path) -> std::process::Output {
    bin()
        .args(["repro", cell])
        .args(["--study", "futex-lost-wakeup", "--mail", "--kernels"])
        .arg(guest_fixture())
        .arg("--out")
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn where_it_held_here_the_mail_tells_the_kernel_it_broke_on() {
    if Toolchain::or_skip().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mail_dir = dir.path().join("mail");
    let output = mail_from_guest("futex:private-fresh/defer-taskrun/nop/*", &mail_dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let here = std::fs::read_to_string(mail_dir.join("repro.out")).unwrap();
    let mail = std::fs::read_to_string(mail_dir.join("bug.txt")).unwrap();
    assert_eq!(MAIL_WIDTH, 72);
    assert_mail_shape(&mail, "Subject: [BUG] io_uring: private FUTEX_WAIT armed");
    let verdict = here
        .lines()
        .find(|l| l.starts_with("order "))
        .expect("the reproducer's verdict");
    if verdict.starts_with("order broken") {
        eprintln!("the lost wakeup reproduced on this kernel: the mail is this machine's");
        assert!(flat(&mail).contains(verdict), "{mail}");
        return;
    }
    let Runs {
        broke: k,
        ran: n,
        broken_passes,
        passes,
        first,
        ..
    } = runs_of(
        &guest_fixture(),
        "futex:private-fresh/defer-taskrun/nop/g2-s8-b2-t1",
    );
    assert!(k > 0, "the fixture's 7.2 runs lost the wakeup");
    let said = flat(&mail);
    assert!(
        said.contains(&format!(
            "On Linux 7.2.13+deb14-cloud-amd64 (sid 7.2.13-1, emulated), order broken in {k} of {n} runs (95% CI "
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "{broken_passes} of {passes} passes, first: {first}."
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "It did not reproduce on this machine (Linux {}): {verdict}",
            std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap()
                .trim()
        )),
        "{said}"
    );
}

/// A cell present on no kernel given, nor here, has no mail: one line.
#[test]
fn present_nowhere_there_is_no_bug_to_report() {
    if Toolchain::or_skip().is_none() {
        return;
    }
    // On the guest every run of the timeout cell was killed: no verdict.
    let timeout = runs_of(
        &guest_fixture(),
        "futex:private-fresh/defer-taskrun/timeout/g2-s8-b2-t1",
    );
    assert_eq!(timeout.ran, 0);
    let dir = tempfile::tempdir().unwrap();
    let mail_dir = dir.path().join("mail");
    let output = mail_from_guest("futex:private-fresh/defer-taskrun/timeout/*", &mail_dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let here = std::fs::read_to_string(mail_dir.join("repro.out")).unwrap();
    if here.contains("order broken") {
        eprintln!("the lost wakeup reproduced here on the timeout op: a mail is due");
        assert!(output.status.success(), "{stderr}");
        return;
    }
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("no bug to report: order held in all ")
            && stderr
                .trim_end()
                .ends_with(", nor on any kernel of --kernels"),
        "{stderr}"
    );
    assert!(!mail_dir.join("bug.txt").exists());
}
