//! One report across kernels: the same sweep on three emulated kernels and
//! a real one, which differ in release, emulation, the styles they skipped
//! and their numbers, renders with a kernel axis, a per-kernel summary and
//! a between-kernels table where emulated kernels are compared only with
//! each other; the mail names the kernels each finding holds on.

mod common;

use common::*;
use reports::analysis::judgement::{CompareOptions, Verdict};
use reports::analysis::kernels::{self, Block};
use reports::analysis::model::Report;
use reports::analysis::stats::Rng;
use reports::render::mail::email::MAIL_LINES;
use reports::render::mail::MAIL_WIDTH;
use reports::schema::{CellRecord, KernelPackage, ReasonCode};
use reports::{RenderOptions, Results};
use std::path::Path;

const TEXT_ONLY: RenderOptions = RenderOptions {
    plots: false,
    png: false,
};

/// The real kernel and the three emulated ones, in the order the files are given.
const REAL: &str = "6.18.0";
const OLD: &str = "6.1.0-emu";
const MID: &str = "6.12.0-emu";
const NEW: &str = "7.2.0-emu";

/// link, userspace, futex and bpf-loop on nop in the default mode at two
/// shapes. Emulated kernels are `slow` times the real one's; 6.12 has link
/// 30% slower than 7.2 (userspace the same); futex is unsupported on 6.1,
/// bpf-loop runs on 7.2 only.
fn kernel_sweep(kernel: &str, seed: u64) -> Vec<CellRecord> {
    let mut rng = Rng::new(seed);
    let emulated = kernel != REAL;
    let slow = if emulated { 12.0 } else { 1.0 };
    let mut out = Vec::new();
    for &(steps, batch) in &[(8, 8), (32, 8)] {
        for (style, ratio) in [
            ("link", 1.0),
            ("userspace", 0.6),
            ("futex", 2.0),
            ("bpf-loop", 0.5),
        ] {
            let k = key(style, "default", "nop", steps, batch);
            if style == "futex" && kernel == OLD {
                out.push(skipped(
                    &k,
                    ReasonCode::MissingOpcode,
                    "FUTEX_WAIT needs 6.7",
                ));
                continue;
            }
            if style == "bpf-loop" && kernel != NEW {
                out.push(skipped(
                    &k,
                    ReasonCode::MissingFeature,
                    "bpf-loop needs Linux 7.1+",
                ));
                continue;
            }
            let regressed = if style == "link" && kernel == MID {
                1.3
            } else {
                1.0
            };
            let center = 100.0 * slow * ratio * regressed;
            out.extend(reps(&k, &noisy(&mut rng, center, 0.01, 10)));
        }
    }
    out
}

/// The four results files, the emulated ones first as kernel-matrix's
/// directories sort.
fn four_kernels(dir: &Path) -> Vec<Results> {
    [OLD, MID, NEW, REAL]
        .iter()
        .enumerate()
        .map(|(i, k)| {
            write(
                dir,
                &format!("{k}.jsonl"),
                &header(k, *k != REAL),
                &kernel_sweep(k, 40 + i as u64),
            )
        })
        .collect()
}

fn read(out: &Path, file: &str) -> String {
    std::fs::read_to_string(out.join(file)).unwrap()
}

#[test]
fn emulated_kernels_are_compared_with_each_other_and_never_with_a_real_one() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = four_kernels(dir.path());
    let report = Report::build(&inputs);
    let blocks = kernels::blocks(&report);
    assert_eq!(
        blocks,
        vec![
            Block {
                emulated: false,
                base: 3,
                others: vec![],
            },
            Block {
                emulated: true,
                base: 2,
                others: vec![0, 1],
            },
        ],
        "the real kernel alone, the emulated ones against the newest, 7.2"
    );
    let between = kernels::between(&report, &CompareOptions::default());
    assert_eq!(between.len(), 1, "only the emulated block has two kernels");
    let emulated = &between[0];
    for across in &emulated.cells {
        for k in &across.kernels {
            assert!(
                report.sources[k.source].header.machine.emulated,
                "{} compared on a real kernel",
                across.name
            );
            if let Some(v) = &k.versus {
                assert!(v.base.labels.iter().any(|l| l.starts_with("emulated")));
                assert!(v.cand.labels.iter().any(|l| l.starts_with("emulated")));
            }
        }
    }
    let verdict = |cell: &str, source: usize| {
        let across = emulated.cells.iter().find(|c| c.name == cell).unwrap();
        let k = across.kernels.iter().find(|k| k.source == source).unwrap();
        k.versus.as_ref().map(|v| v.verdict)
    };
    let link = key("link", "default", "nop", 8, 8).name();
    let userspace = key("userspace", "default", "nop", 8, 8).name();
    let futex = key("futex", "default", "nop", 8, 8).name();
    assert_eq!(
        verdict(&link, 2),
        None,
        "the base is not compared with itself"
    );
    assert_eq!(verdict(&link, 1), Some(Verdict::Regression), "6.12's link");
    assert_eq!(verdict(&userspace, 1), Some(Verdict::NoChange));
    assert_eq!(verdict(&link, 0), Some(Verdict::NoChange));
    assert_eq!(verdict(&futex, 0), Some(Verdict::NotComparable), "skipped");
    // Against the real kernel, link is 12 times slower on every emulated
    // one: a comparison would call it a regression, and none is made.
    let counts = &emulated.counts;
    assert_eq!(counts.len(), 2);
    assert!(counts.iter().all(|c| c.source != 3));
}

#[test]
fn the_newest_real_kernel_is_the_base_of_the_real_ones() {
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<Results> = ["6.19.0", "6.18.0", "7.2.0-emu"]
        .iter()
        .map(|k| {
            let records = kernel_sweep(REAL, 7);
            write(
                dir.path(),
                &format!("{k}.jsonl"),
                &header(k, k.ends_with("emu")),
                &records,
            )
        })
        .collect();
    let report = Report::build(&inputs);
    let blocks = kernels::blocks(&report);
    assert_eq!(blocks[0].base, 0, "6.19 is newer than 6.18: {blocks:?}");
    assert_eq!(blocks[0].others, vec![1]);
    assert_eq!(
        (blocks[1].emulated, blocks[1].base, blocks[1].others.len()),
        (true, 2, 0),
        "the emulated kernel stands alone"
    );
    assert_eq!(kernels::preference(&report), vec![0, 1, 2]);
}

#[test]
fn a_four_kernel_report_has_a_kernel_axis_a_summary_and_a_between_table() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = four_kernels(dir.path());
    let out = dir.path().join("out");
    reports::render(&inputs, &out, &TEXT_ONLY).unwrap();
    let md = read(&out, "report.md");

    // The kernel axis: a row per cell and kernel, the kernel a column.
    let link = key("link", "default", "nop", 8, 8).name();
    for k in [OLD, MID, NEW, REAL] {
        assert!(
            md.lines()
                .any(|l| l.starts_with(&format!("| {k} | link | default | nop | g1-s8-b8-t1 |"))),
            "{k}"
        );
    }

    // The per-kernel summary, by reason code.
    let summary = |k: &str| {
        md.lines()
            .find(|l| l.starts_with(&format!("- {k}")) && l.contains(": ran "))
            .unwrap_or_else(|| panic!("no summary of {k}:\n{md}"))
            .to_string()
    };
    let old = summary(OLD);
    assert!(old.starts_with("- 6.1.0-emu (emulated): "), "{old}");
    assert!(old.contains("ran link, userspace;"), "{old}");
    assert!(
        old.contains("futex in all 2 cells [missing_opcode]"),
        "{old}"
    );
    assert!(
        old.contains("bpf-loop in all 2 cells [missing_feature]"),
        "{old}"
    );
    let new = summary(NEW);
    assert!(
        new.contains("ran link, userspace, futex, bpf-loop; nothing skipped"),
        "{new}"
    );
    assert!(!summary(REAL).contains("emulated"));

    // The between-kernels table: the emulated block against 7.2, the real
    // kernel alone, and no row of it on the real kernel.
    assert!(
        md.contains(
            "### Between emulated kernels (emulated: timings not comparable), against 7.2.0-emu"
        ),
        "{md}"
    );
    assert!(
        md.contains("6.18.0 stands alone: no other real kernel"),
        "{md}"
    );
    let at = md.find("## Between kernels").unwrap();
    let table: Vec<&str> = md[at..]
        .lines()
        .skip_while(|l| !l.starts_with("| cell | kernel |"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(table.len() > 2, "{md}");
    assert!(
        table.iter().all(|r| !r.contains(&format!("| {REAL} |"))),
        "{table:#?}"
    );
    let row = |cell: &str, k: &str| {
        let start = table
            .iter()
            .position(|r| r.starts_with(&format!("| {cell} |")))
            .unwrap();
        table[start..start + 3]
            .iter()
            .find(|r| r.contains(&format!("| {k} |")))
            .unwrap()
            .to_string()
    };
    assert!(row(&link, NEW).contains("| base |"), "{}", row(&link, NEW));
    let slower = row(&link, MID);
    assert!(
        slower.contains("| +30.") || slower.contains("| +29."),
        "{slower}"
    );
    assert!(slower.contains("| slower |"), "{slower}");
    let userspace = key("userspace", "default", "nop", 8, 8).name();
    assert!(
        row(&userspace, MID).contains("| no change |"),
        "{}",
        row(&userspace, MID)
    );
    let futex = key("futex", "default", "nop", 8, 8).name();
    let skipped = row(&futex, OLD);
    assert!(
        skipped.contains("| not comparable | skipped [missing_opcode]"),
        "{skipped}"
    );

    // CI files: the kernel in every name.
    let bmf: serde_json::Value = serde_json::from_str(&read(&out, "bench.json")).unwrap();
    for k in [OLD, MID, NEW, REAL] {
        assert!(bmf.get(format!("{link}@{k}")).is_some(), "{k}");
    }
}

#[test]
fn the_mail_names_the_kernels_each_finding_holds_on_and_fits() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = four_kernels(dir.path());
    let out = dir.path().join("out");
    reports::render(&inputs, &out, &TEXT_ONLY).unwrap();
    let mail = read(&out, "email.txt");
    let lines: Vec<&str> = mail.lines().collect();
    assert!(lines.len() <= MAIL_LINES, "{} lines:\n{mail}", lines.len());
    assert!(
        lines.iter().all(|l| l.len() <= MAIL_WIDTH && l.is_ascii()),
        "{mail}"
    );
    let flat = mail.replace("\n  ", " ");
    // userspace is lower than link on every kernel: said once.
    assert_eq!(flat.matches("userspace over link").count(), 1, "{mail}");
    assert!(
        flat.contains("- On every kernel (figures from 6.18.0): default: userspace over link: "),
        "{mail}"
    );
    // futex is higher than link where it ran; 6.1 skipped it.
    assert!(
        flat.contains(&format!(
            "- On {MID}, {NEW}, {REAL} (figures from 6.18.0): default: futex over link: "
        )),
        "{mail}"
    );
    assert!(
        flat.contains(&format!(
            "- On {OLD}: default: futex over link: nothing measured to rank"
        )),
        "{mail}"
    );
    assert!(
        flat.contains(&format!(
            "- On {NEW} (emulated: timings not comparable) only: default: bpf-loop over link: "
        )),
        "{mail}"
    );
    // The between-kernels block: the emulated one with 6.12's slower link.
    assert!(
        flat.contains(
            "Emulated kernels (timings comparable only with each other), each against 7.2.0-emu:"
        ),
        "{mail}"
    );
    assert!(
        flat.contains(&format!("- {MID}: 8 cells compared: 2 slower")),
        "{mail}"
    );
    let link = key("link", "default", "nop", 8, 8).name();
    let at = lines
        .iter()
        .position(|l| *l == link)
        .expect("the slower link cell");
    assert!(lines[at + 1].starts_with(&format!("  {NEW} ")) && lines[at + 1].ends_with(" base"));
    let mid = lines[at + 1..at + 4]
        .iter()
        .find(|l| l.starts_with(&format!("  {MID} ")))
        .unwrap();
    assert!(
        mid.ends_with(" slower") && (mid.contains("+30") || mid.contains("+29")),
        "{mid}"
    );
    assert!(flat.contains("6.18.0 stands alone"), "{mail}");
    assert!(flat.contains("Styles per kernel:"), "{mail}");
    // The table holds one kernel's figures, named: never an emulated
    // kernel's timings beside a real one's.
    let table = lines
        .iter()
        .position(|l| l.starts_with("x link at nop g1-s8-b8-t1 on 6.18.0, "))
        .unwrap_or_else(|| panic!("{mail}"));
    assert!(lines[table + 1].starts_with("style "), "{mail}");
    assert!(
        lines[table + 3].starts_with("userspace ") && lines[table + 3].contains("0.60x"),
        "{mail}"
    );
    // The attachment has every cell across the kernels.
    let full = read(&out, "email-full.txt");
    assert!(full.contains("=== Between kernels ==="));
    let userspace = key("userspace", "default", "nop", 32, 8).name();
    assert!(full.lines().any(|l| l == userspace), "{full}");
}

#[test]
fn a_single_kernel_report_has_no_kernel_axis() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "r.jsonl",
        &header(REAL, false),
        &kernel_sweep(REAL, 1),
    );
    let out = dir.path().join("out");
    reports::render(&[input], &out, &TEXT_ONLY).unwrap();
    let md = read(&out, "report.md");
    assert!(!md.contains("## Kernels") && !md.contains("Between kernels"));
    let mail = read(&out, "email.txt");
    assert!(!mail.contains("On every kernel") && !mail.contains("Styles per kernel"));
    let flat = mail.replace("\n  ", " ");
    assert!(flat.contains("- default: userspace costs 0."), "{mail}");
    let bmf: serde_json::Value = serde_json::from_str(&read(&out, "bench.json")).unwrap();
    assert!(bmf
        .get(key("link", "default", "nop", 8, 8).name())
        .is_some());
}

#[test]
fn long_kernel_names_lose_their_shared_ending_in_the_mails_rows() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "6.1.0-50-cloud-amd64",
        "6.12.117+deb13-cloud-amd64",
        "7.2.13+deb14-cloud-amd64",
    ];
    let inputs: Vec<Results> = names
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let like = [OLD, MID, NEW][i];
            write(
                dir.path(),
                &format!("{k}.jsonl"),
                &header(k, true),
                &kernel_sweep(like, 60 + i as u64),
            )
        })
        .collect();
    let out = dir.path().join("out");
    reports::render(&inputs, &out, &TEXT_ONLY).unwrap();
    let full = read(&out, "email-full.txt");
    assert!(full.lines().all(|l| l.len() <= MAIL_WIDTH), "{full}");
    let flat = full.replace("\n  ", " ");
    assert!(
        flat.contains("against 7.2.13+deb14-cloud-amd64 (named below without -cloud-amd64):"),
        "{full}"
    );
    let link = key("link", "default", "nop", 8, 8).name();
    let lines: Vec<&str> = full.lines().collect();
    let at = lines.iter().position(|l| *l == link).unwrap();
    let rows: Vec<&str> = lines[at + 1..at + 4]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        rows,
        ["7.2.13+deb14", "6.1.0-50", "6.12.117+deb13"],
        "{full}"
    );
    assert!(lines[at + 3].ends_with(" slower"), "{}", lines[at + 3]);
}

/// The four kernels, 6.1 and 7.2 booted from packages that name their
/// build, the real kernel swept with a command of its own.
fn four_kernels_with_packages(dir: &Path) -> Vec<Results> {
    [OLD, MID, NEW, REAL]
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let mut h = header(k, *k != REAL);
            h.machine.kernel_package = match *k {
                OLD => Some(KernelPackage {
                    suite: "bookworm".into(),
                    version: "6.1.176-1".into(),
                }),
                NEW => Some(KernelPackage {
                    suite: "sid".into(),
                    version: "7.2.13-1".into(),
                }),
                _ => None,
            };
            if *k == REAL {
                h.run.command = vec!["bench-runner".into(), "sweep".into(), "real.toml".into()];
            }
            write(
                dir,
                &format!("{k}.jsonl"),
                &h,
                &kernel_sweep(k, 40 + i as u64),
            )
        })
        .collect()
}

#[test]
fn the_kernel_package_is_named_with_its_kernel_and_absent_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = four_kernels_with_packages(dir.path());
    let out = dir.path().join("out");
    reports::render(&inputs, &out, &TEXT_ONLY).unwrap();
    let md = read(&out, "report.md");
    // The per-kernel summary and each machine's facts.
    for (k, named) in [
        (OLD, "6.1.0-emu (bookworm 6.1.176-1, emulated): ran "),
        (MID, "6.12.0-emu (emulated): ran "),
        (NEW, "7.2.0-emu (sid 7.2.13-1, emulated): ran "),
        (REAL, "6.18.0: ran "),
    ] {
        assert!(md.contains(&format!("\n- {named}")), "{k}:\n{md}");
    }
    assert!(md.contains("\n- kernel 6.1.0-emu (bookworm 6.1.176-1) on Synthetic CPU"));
    assert!(
        md.contains("\n- kernel 6.12.0-emu on Synthetic CPU"),
        "{md}"
    );
    for file in ["email.txt", "email-full.txt"] {
        let flat = read(&out, file).replace("\n  ", " ");
        assert!(
            flat.contains("Kernel 7.2.0-emu (sid 7.2.13-1) on Synthetic CPU"),
            "{file}:\n{flat}"
        );
        assert!(flat.contains("Kernel 6.18.0 on Synthetic CPU"), "{file}");
    }
    let flat = read(&out, "email.txt").replace("\n  ", " ");
    assert!(
        flat.contains("\n- 6.1.0-emu (bookworm 6.1.176-1, emulated): ran link"),
        "{flat}"
    );
    // A machine line is not headed by a label that repeats its kernel.
    assert!(!flat.contains("6.18.0: Kernel 6.18.0"), "{flat}");
}

#[test]
fn the_mail_gives_each_distinct_reproduce_command_once() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = four_kernels_with_packages(dir.path());
    let out = dir.path().join("out");
    reports::render(&inputs, &out, &TEXT_ONLY).unwrap();
    let mail = read(&out, "email.txt");
    let lines: Vec<&str> = mail.lines().collect();
    let commands: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("Reproduce with uring-syncbench "))
        .flat_map(|(at, _)| lines[at + 1..].iter().take_while(|l| !l.is_empty()))
        .map(|l| l.trim())
        .collect();
    // Three emulated kernels swept alike, the real one its own way.
    assert_eq!(
        commands,
        [
            "bench-runner sweep --config config.toml --out \\",
            "'results dir/results.jsonl'",
            "bench-runner sweep real.toml",
        ],
        "{mail}"
    );
}

#[test]
fn the_mail_says_once_what_kernels_share_and_ranks_figures_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = four_kernels(dir.path());
    // On the real kernel userspace costs what link does: userspace is
    // lower than link on the emulated kernels only.
    let mut rng = Rng::new(7);
    let mut real = Vec::new();
    for &(steps, batch) in &[(8, 8), (32, 8)] {
        for style in ["link", "userspace"] {
            let k = key(style, "default", "nop", steps, batch);
            real.extend(reps(&k, &noisy(&mut rng, 100.0, 0.01, 10)));
        }
    }
    inputs[3] = write(dir.path(), "real.jsonl", &header(REAL, false), &real);
    let out = dir.path().join("out");
    reports::render(&inputs, &out, &TEXT_ONLY).unwrap();
    let mail = read(&out, "email.txt");
    let flat = mail.replace("\n  ", " ");
    assert!(
        flat.contains(&format!(
            "- On every emulated kernel (figures from {NEW}): default: userspace over link: "
        )),
        "{mail}"
    );
    // A finding with nothing measured comes after every one with figures.
    let findings: Vec<&str> = flat
        .lines()
        .skip_while(|l| *l != "Findings:")
        .skip(1)
        .take_while(|l| l.starts_with("- "))
        .collect();
    let empty = findings
        .iter()
        .position(|f| f.contains("nothing measured to rank"))
        .unwrap_or_else(|| panic!("{mail}"));
    assert!(
        findings[empty..]
            .iter()
            .all(|f| f.contains("nothing measured to rank")),
        "{findings:#?}"
    );
    // The between-kernels block names the base once, and emulation once
    // per machine line.
    assert!(
        flat.contains(
            "Emulated kernels (timings comparable only with each other), each against 7.2.0-emu:"
        ),
        "{mail}"
    );
    assert!(!flat.contains(&format!("against {NEW}: ")), "{mail}");
    let block: String = flat
        .lines()
        .skip_while(|l| !l.starts_with("Between kernels"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(!block.contains("timings not comparable"), "{block}");
    // Nothing measured has no figures to quote, and is not said to hold
    // on a kernel "only" when the style ran elsewhere.
    assert!(
        flat.contains(&format!(
            "- On {OLD}, {MID}: default: bpf-loop over link: nothing measured to rank"
        )),
        "{mail}"
    );
    assert!(
        flat.contains(&format!(
            "- On {OLD}: default: futex over link: nothing measured to rank"
        )),
        "{mail}"
    );
}

#[test]
fn the_mails_between_kernels_heading_names_columns_only_over_rows() {
    let dir = tempfile::tempdir().unwrap();
    // 6.12 and 7.2 alike: no cell changed, so no rows are shown.
    let inputs: Vec<Results> = [NEW, "7.1.0-emu"]
        .iter()
        .enumerate()
        .map(|(i, k)| {
            write(
                dir.path(),
                &format!("{k}.jsonl"),
                &header(k, true),
                &kernel_sweep(NEW, 80 + i as u64),
            )
        })
        .collect();
    let out = dir.path().join("out");
    reports::render(&inputs, &out, &TEXT_ONLY).unwrap();
    let mail = read(&out, "email.txt");
    let lines: Vec<&str> = mail.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("Between kernels"))
        .unwrap_or_else(|| panic!("{mail}"));
    assert_eq!(lines[at], "Between kernels:", "{mail}");
    // The block's heading may wrap; its first count follows it.
    let first = lines[at + 1..]
        .iter()
        .find(|l| l.starts_with("- "))
        .unwrap_or_else(|| panic!("{mail}"));
    assert!(
        first.starts_with("- 7.1.0-emu: 8 cells compared: ")
            && first.contains(" no significant change"),
        "{mail}"
    );
    // Where cells changed, the heading says what their rows hold.
    std::fs::create_dir(dir.path().join("four")).unwrap();
    let changed = four_kernels(&dir.path().join("four"));
    reports::render(&changed, &dir.path().join("out4"), &TEXT_ONLY).unwrap();
    let mail = read(&dir.path().join("out4"), "email.txt");
    assert!(
        mail.contains("\nBetween kernels (ns/step, x link, change against the newest, q):\n"),
        "{mail}"
    );
}
