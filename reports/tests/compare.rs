//! `compare` on synthetic runs with known differences.

mod common;

use common::*;
use reports::analysis::stats::Rng;
use reports::render::markdown::to_markdown;
use reports::schema::{CellRecord, ReasonCode};
use reports::{compare, CompareOptions, Verdict};
use serde_json::Value;

/// Baseline and candidate of a few cells; the candidate's values are the
/// baseline's scaled by `factor` plus fresh noise of `sigma`.
fn pair(factor: f64, sigma: f64, reps_per_cell: usize) -> (Vec<CellRecord>, Vec<CellRecord>) {
    let mut rng = Rng::new(42);
    let mut base = Vec::new();
    let mut cand = Vec::new();
    for (i, style) in ["link", "drain", "userspace"].iter().enumerate() {
        for mode in ["default", "sqpoll"] {
            let k = key(style, mode, "nop", 8, 8);
            let center = 100.0 * (i + 1) as f64;
            base.extend(reps(&k, &noisy(&mut rng, center, sigma, reps_per_cell)));
            cand.extend(reps(
                &k,
                &noisy(&mut rng, center * factor, sigma, reps_per_cell),
            ));
        }
    }
    (base, cand)
}

fn run(
    base: &[CellRecord],
    cand: &[CellRecord],
    cand_kernel: &str,
) -> (tempfile::TempDir, reports::Comparison) {
    let dir = tempfile::tempdir().unwrap();
    let b = write(dir.path(), "base.jsonl", &header("6.18.0", false), base);
    let c = write(dir.path(), "cand.jsonl", &header(cand_kernel, false), cand);
    let cmp = compare(&b, &c, &CompareOptions::default());
    (dir, cmp)
}

#[test]
fn twenty_percent_slower_is_a_regression() {
    let (base, cand) = pair(1.2, 0.01, 10);
    let (_dir, cmp) = run(&base, &cand, "6.18.0");
    assert_eq!(cmp.cells.len(), 6);
    for c in &cmp.cells {
        assert_eq!(c.verdict, Verdict::Regression, "{}: {:?}", c.name, c.change);
        let ch = c.change.unwrap();
        assert!((ch.ratio - 1.2).abs() < 0.03, "{}", ch.ratio);
        assert!(ch.ci.contains(ch.ratio) && ch.ci.lo > 1.1, "{:?}", ch.ci);
        assert!(ch.p < 0.001);
    }
    assert!(cmp.has_regression());
    assert!(cmp.summary_line().contains("6 REGRESSION"));
}

#[test]
fn identical_and_same_distribution_runs_are_no_change() {
    let (base, _) = pair(1.0, 0.01, 10);
    let (_dir, cmp) = run(&base, &base, "6.18.0");
    assert!(cmp.cells.iter().all(|c| c.verdict == Verdict::NoChange));
    assert!(!cmp.has_regression());
    assert!(cmp.header_diff.is_empty());

    let (base, cand) = pair(1.0, 0.02, 10);
    let (_dir, cmp) = run(&base, &cand, "6.18.0");
    assert!(!cmp.has_regression(), "{}", cmp.text());
}

#[test]
fn two_percent_slower_with_low_noise_is_below_the_threshold() {
    let (base, cand) = pair(1.02, 0.002, 10);
    let (_dir, cmp) = run(&base, &cand, "6.18.0");
    for c in &cmp.cells {
        let ch = c.change.unwrap();
        // Clearly significant: only the 5% threshold keeps it from being a regression.
        assert!(ch.q < 0.05, "{}: q {}", c.name, ch.q);
        assert_eq!(c.verdict, Verdict::NoChange, "{}", c.name);
    }
    assert!(!cmp.has_regression());
    // With a 1% threshold the same data is a regression.
    let dir = tempfile::tempdir().unwrap();
    let b = write(dir.path(), "b.jsonl", &header("6.18.0", false), &base);
    let c = write(dir.path(), "c.jsonl", &header("6.18.0", false), &cand);
    let strict = CompareOptions {
        threshold: 0.01,
        ..CompareOptions::default()
    };
    assert!(compare(&b, &c, &strict).has_regression());
}

#[test]
fn twenty_percent_faster_is_an_improvement_not_a_regression() {
    let (base, cand) = pair(0.8, 0.01, 10);
    let (_dir, cmp) = run(&base, &cand, "6.18.0");
    assert!(cmp.cells.iter().all(|c| c.verdict == Verdict::Improvement));
    assert!(!cmp.has_regression());
}

#[test]
fn missing_cells_are_listed_and_header_differences_come_first() {
    let (base, mut cand) = pair(1.0, 0.01, 10);
    let gone = "userspace/sqpoll/nop/g1-s8-b8-t1";
    cand.retain(|r| r.name != gone);
    let extra = key("futex", "default", "nop", 8, 8);
    cand.extend(reps(&extra, &[300.0, 301.0, 299.0, 300.5, 299.5]));
    let (_dir, cmp) = run(&base, &cand, "7.1.0");
    assert_eq!(cmp.only_base, vec![gone.to_string()]);
    assert_eq!(cmp.only_cand, vec![extra.name()]);
    assert_eq!(cmp.cells.len(), 5);
    assert_eq!(cmp.header_diff, vec!["kernel: 6.18.0 -> 7.1.0".to_string()]);
    let text = cmp.text();
    assert!(text.starts_with("Baseline and candidate runs differ:\n  kernel: 6.18.0 -> 7.1.0\n"));
    assert!(text.contains(&format!("Only in the baseline:\n  {gone}\n")));
    assert!(text.contains(&format!("Only in the candidate:\n  {}\n", extra.name())));
    assert!(text.contains("1 only in baseline, 1 only in candidate"));
}

#[test]
fn a_candidate_that_breaks_the_order_fails_the_comparison() {
    let (base, mut cand) = pair(1.0, 0.01, 10);
    let k = key("drain", "default", "nop", 8, 8);
    cand.retain(|r| r.name != k.name());
    cand.push(failed(&k));
    let (_dir, cmp) = run(&base, &cand, "6.18.0");
    let c = cmp.cells.iter().find(|c| c.name == k.name()).unwrap();
    assert_eq!(c.verdict, Verdict::Broken);
    assert!(c.why.as_deref().unwrap().contains("order violated"));
    assert!(cmp.has_regression());
}

#[test]
fn a_control_is_ok_when_it_breaks_and_fails_the_comparison_when_it_holds() {
    let (mut base, mut cand) = pair(1.0, 0.01, 10);
    let control = key("independent", "default", "timeout", 8, 8);
    base.push(failed(&control));
    cand.push(failed(&control));
    let newly = key("drain", "default", "nop", 8, 8);
    cand.retain(|r| r.name != newly.name());
    cand.push(failed(&newly));
    let (_dir, cmp) = run(&base, &cand, "6.18.0");
    let c = cmp.cells.iter().find(|c| c.name == control.name()).unwrap();
    assert_eq!(c.verdict, Verdict::NoChange);
    assert_eq!(
        c.why.as_deref(),
        Some("control, order broken, as expected on both sides")
    );
    assert!(cmp.has_regression(), "drain newly failed");
    let mail = cmp.email();
    assert!(
        mail.lines().any(|l| l.starts_with(&format!(
            "{} newly failed: candidate order violated",
            newly.name()
        ))),
        "{mail}"
    );
    assert!(
        !mail.contains(&format!("{} newly failed", control.name())),
        "{mail}"
    );

    // A control that held the order means the order check stopped catching it.
    let (mut base, mut cand) = pair(1.0, 0.01, 10);
    base.push(failed(&control));
    cand.extend(reps(&control, &[900.0, 905.0, 898.0, 902.0, 901.0]));
    let (_dir, cmp) = run(&base, &cand, "6.18.0");
    let c = cmp.cells.iter().find(|c| c.name == control.name()).unwrap();
    assert_eq!(c.verdict, Verdict::Broken, "{:?}", c.why);
    assert!(cmp.has_regression());
}

#[test]
fn oversubscribed_cells_get_no_verdict_unless_included() {
    let (base, mut cand) = pair(1.2, 0.01, 10);
    let k = key("drain", "sqpoll", "nop", 8, 8);
    oversubscribe(&mut cand, &k.name(), 3, 2);
    let (dir, cmp) = run(&base, &cand, "6.18.0");
    let cell = |cmp: &reports::Comparison| {
        cmp.cells
            .iter()
            .find(|c| c.name == k.name())
            .unwrap()
            .clone()
    };
    let kept_out = cell(&cmp);
    assert_eq!(kept_out.verdict, Verdict::NotComparable);
    assert_eq!(kept_out.change, None);
    assert_eq!(
        kept_out.why.as_deref(),
        Some("candidate is oversubscribed (--include-oversubscribed gives it a verdict)")
    );
    let flag = "oversubscribed: 3 busy threads on 2 CPUs".to_string();
    assert!(kept_out.labels.contains(&flag), "{:?}", kept_out.labels);
    // Its numbers are still shown, with the flag.
    let text = cmp.text();
    let row = text.lines().find(|l| l.starts_with(&k.name())).unwrap();
    assert!(
        row.contains("not comparable") && row.contains("oversubscribed"),
        "{row}"
    );
    assert!(cmp
        .summary_line()
        .contains("5 REGRESSION, 1 not comparable"));
    let md = cmp.document();
    assert!(to_markdown(&md).contains("--include-oversubscribed gives"));
    let included = CompareOptions {
        include_oversubscribed: true,
        ..CompareOptions::default()
    };
    let b = reports::Results::read(&dir.path().join("base.jsonl")).unwrap();
    let c = reports::Results::read(&dir.path().join("cand.jsonl")).unwrap();
    let with = compare(&b, &c, &included);
    assert_eq!(cell(&with).verdict, Verdict::Regression);
    assert!(with.summary_line().contains("6 REGRESSION"));
}

#[test]
fn skipped_on_one_side_is_not_comparable_and_too_few_reps_inconclusive() {
    let (base, mut cand) = pair(1.3, 0.01, 3);
    let k = key("link", "default", "nop", 8, 8);
    cand.retain(|r| r.name != k.name());
    cand.push(skipped(&k, ReasonCode::UnsupportedCombination, "needs 7.1"));
    let (_dir, cmp) = run(&base, &cand, "6.18.0");
    let skipped_cell = cmp.cells.iter().find(|c| c.name == k.name()).unwrap();
    assert_eq!(skipped_cell.verdict, Verdict::NotComparable);
    // 3 against 3 repetitions can never reach p < 0.05, even 30% apart.
    for c in cmp.cells.iter().filter(|c| c.name != k.name()) {
        assert_eq!(c.verdict, Verdict::Inconclusive, "{}", c.name);
    }
    assert!(!cmp.has_regression());
}

#[test]
fn renders_markdown_mail_and_bench_json() {
    let (base, cand) = pair(1.2, 0.01, 10);
    let (dir, cmp) = run(&base, &cand, "7.1.0");
    let out = dir.path().join("cmp");
    let written = reports::render_comparison(&cmp, &out).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["compare.md", "compare-email.txt", "compare-bench.json"]
    );
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(md.contains("## Runs differ\n\n- kernel: 6.18.0 -> 7.1.0"));
    assert_eq!(md.matches("| REGRESSION |").count(), 6);
    let mail = std::fs::read_to_string(out.join("compare-email.txt")).unwrap();
    for line in mail.lines() {
        assert!(line.chars().count() <= 72 && line.is_ascii(), "{line:?}");
    }
    assert!(mail.contains("kernel: 6.18.0 -> 7.1.0"));
    // The 0-day robot's shape: a headline per regressed cell, the table of
    // only the changed cells, then how the runs differ. A headline gives
    // one figure, and says which.
    let headlines: Vec<&str> = mail
        .lines()
        .filter(|l| l.contains("%: regression of "))
        .collect();
    assert_eq!(headlines.len(), 6, "{mail}");
    assert!(
        headlines
            .iter()
            .all(|l| l.starts_with("ns/step +") && l.matches('%').count() == 1),
        "{headlines:?}"
    );
    let table = mail
        .find("%stddev   %change        %stddev")
        .expect("the table");
    let differ = mail.find("The runs differ:").unwrap();
    assert!(mail.find(headlines[0]).unwrap() < table && table < differ);
    let rows: Vec<&str> = mail[table..differ]
        .lines()
        .filter(|l| l.contains("  +2") || l.contains("  +1"))
        .collect();
    assert_eq!(rows.len(), 6, "{mail}");
    assert!(
        rows.iter().all(|r| r.matches("+-1%").count() == 2),
        "{rows:?}"
    );
    let bmf: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare-bench.json")).unwrap())
            .unwrap();
    let obj = bmf.as_object().unwrap();
    assert_eq!(obj.len(), 6);
    for measures in obj.values() {
        let r = &measures["ratio-to-baseline"];
        let (v, lo, hi) = (
            r["value"].as_f64().unwrap(),
            r["lower_value"].as_f64().unwrap(),
            r["upper_value"].as_f64().unwrap(),
        );
        assert!(lo <= v && v <= hi && v > 1.1);
        assert!(measures["latency"]["value"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn many_cells_of_pure_noise_raise_no_false_alarm_even_without_threshold() {
    // 216 cells, same distributions, independent noise: uncorrected p-values
    // would flag about 5% of them; the adjusted q-values flag (almost) none.
    let base = sweep(10, 10);
    let cand = sweep(11, 10);
    let dir = tempfile::tempdir().unwrap();
    let b = write(dir.path(), "b.jsonl", &header("6.18.0", false), &base);
    let c = write(dir.path(), "c.jsonl", &header("6.18.0", false), &cand);
    let no_threshold = CompareOptions {
        threshold: 0.0,
        ..CompareOptions::default()
    };
    let cmp = compare(&b, &c, &no_threshold);
    let measured: Vec<_> = cmp.cells.iter().filter_map(|c| c.change).collect();
    assert_eq!(measured.len(), 216 - 24 - 2);
    let raw = measured.iter().filter(|c| c.p < 0.05).count();
    let flagged = cmp
        .cells
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Regression | Verdict::Improvement))
        .count();
    assert!(raw >= 3, "uncorrected tests do flag noise: {raw}");
    assert!(flagged <= 1, "{flagged} false alarms");
    // The two failed cells fail on both sides: listed, not a regression.
    assert!(!cmp.has_regression());
}

#[test]
fn an_anchor_that_moved_beyond_its_interval_is_a_header_difference() {
    let (base, cand) = pair(2.0, 0.01, 10);
    let dir = tempfile::tempdir().unwrap();
    let b = write(dir.path(), "base.jsonl", &header("6.18.0", false), &base);
    let mut slower = header("6.18.0", false);
    let syscall = &mut slower.anchors[0];
    assert_eq!(syscall.name, "syscall");
    (syscall.ns, syscall.ci_low, syscall.ci_high) = (Some(190.0), Some(188.0), Some(191.0));
    let c = write(dir.path(), "cand.jsonl", &slower, &cand);
    let cmp = compare(&b, &c, &CompareOptions::default());
    assert_eq!(
        cmp.header_diff,
        vec!["syscall: 95.0 ns -> 190 ns, 95% CIs apart".to_string()]
    );
    let mail = cmp.email();
    for line in mail.lines() {
        assert!(line.chars().count() <= 72 && line.is_ascii(), "{line:?}");
    }
    assert!(
        mail.contains("- syscall 190 ns (95% CI 188-191, +-0.8%)"),
        "{mail}"
    );
}
