//! Findings computed from synthetic results: change the data and the
//! sentence changes; a failed, skipped or oversubscribed cell is named, never
//! quoted as a number.

mod common;

use common::*;
use reports::analysis::findings::question::{
    Axis, Contrast, Cost, Expect, Metric, Pin, Reproduction, Selector,
};
use reports::analysis::findings::{find, sentence, Question};
use reports::analysis::model::Report;
use reports::analysis::stats::Rng;
use reports::schema::{AnchorValue, CellKey, CellRecord, ReasonCode, Status, ViolationRecord};
use reports::CompareOptions;

const BATCHES: [u32; 5] = [1, 2, 4, 8, 16];

fn question() -> Question {
    Question {
        text: "Does queue beat link?".into(),
        reference: "the thread".into(),
        contrast: Vec::new(),
        cost: Vec::new(),
        reproduce: Vec::new(),
    }
}

fn contrast_of(style: &str) -> Contrast {
    Contrast {
        subject: Selector {
            style: Some(vec![style.into()]),
            ..Selector::default()
        },
        reference: Pin {
            style: Some("link".into()),
            ..Pin::default()
        },
        axis: Axis::Batch,
        metrics: vec![Metric::Wall],
    }
}

/// `link` at 100 ns/step and `sync-group:queue` at 100 × `factors[i]` at
/// each batch of [`BATCHES`], 10 repetitions each with 0.1% noise.
fn queue_over_link(factors: [f64; 5]) -> Vec<CellRecord> {
    let mut rng = Rng::new(7);
    let mut out = Vec::new();
    for (b, f) in BATCHES.iter().zip(factors) {
        out.extend(reps(
            &key("link", "default", "nop", 16, *b),
            &noisy(&mut rng, 100.0, 0.001, 10),
        ));
        let k = key("sync-group:queue", "default", "nop", 16, *b);
        out.extend(reps(&k, &noisy(&mut rng, 100.0 * f, 0.001, 10)));
    }
    out
}

/// Every sentence of `question` over `records` (one results file).
fn sentences(
    question: &Question,
    header: &reports::schema::Header,
    records: &[CellRecord],
) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let results = write(dir.path(), "results.jsonl", header, records);
    let report = Report::build(&[results]);
    find(&report, question, &CompareOptions::default())
        .iter()
        .map(|f| sentence(&report, f))
        .collect()
}

fn queue_question() -> Question {
    Question {
        contrast: vec![contrast_of("sync-group:queue")],
        ..question()
    }
}

fn one(sentences: Vec<String>) -> String {
    assert_eq!(sentences.len(), 1, "{sentences:#?}");
    sentences.into_iter().next().unwrap()
}

#[test]
fn a_contrast_says_where_its_verdict_holds_and_where_the_ranking_flips() {
    let s = one(sentences(
        &queue_question(),
        &header("6.18.0", false),
        &queue_over_link([0.6, 0.7, 0.8, 1.0, 1.3]),
    ));
    eprintln!("{s}");
    assert!(
        s.starts_with("default/nop g1-s16-t1: wall ns/step of sync-group:queue over link: "),
        "{s}"
    );
    assert!(s.contains("lower at batch 1–4 (0.60x ["), "{s}");
    assert!(
        s.contains("no significant difference at batch 8 (1.00x"),
        "{s}"
    );
    assert!(s.contains("higher at batch 16 (1.30x ["), "{s}");
    assert!(
        s.contains("the ranking flips between batch 4 and 16"),
        "{s}"
    );

    // The data change, and so does the sentence: no flip any more, and the
    // lower stretch now reaches batch 8.
    let s2 = one(sentences(
        &queue_question(),
        &header("6.18.0", false),
        &queue_over_link([0.5, 0.7, 0.8, 0.85, 0.9]),
    ));
    eprintln!("{s2}");
    assert!(s2.contains("lower at batch 1–16 (0.50x ["), "{s2}");
    assert!(s2.contains("the ranking does not flip along batch"), "{s2}");
}

#[test]
fn the_same_distribution_is_no_significant_difference_and_few_repetitions_inconclusive() {
    let s = one(sentences(
        &queue_question(),
        &header("6.18.0", false),
        &queue_over_link([1.0; 5]),
    ));
    assert!(s.contains("no significant difference at batch 1–16"), "{s}");
    assert!(!s.contains("lower") && !s.contains("higher"), "{s}");

    let mut rng = Rng::new(3);
    let mut few = Vec::new();
    for b in BATCHES {
        few.extend(reps(
            &key("link", "default", "nop", 16, b),
            &noisy(&mut rng, 100.0, 0.01, 3),
        ));
        few.extend(reps(
            &key("sync-group:queue", "default", "nop", 16, b),
            &noisy(&mut rng, 50.0, 0.01, 3),
        ));
    }
    let s = one(sentences(&queue_question(), &header("6.18.0", false), &few));
    assert!(
        s.contains("inconclusive (too few repetitions for significance) at batch 1–16"),
        "{s}"
    );
}

#[test]
fn failed_skipped_and_oversubscribed_cells_are_named_never_quoted() {
    let mut records: Vec<CellRecord> = queue_over_link([0.6; 5])
        .into_iter()
        // Their lines are replaced below by a failure and a skip.
        .filter(|r| {
            !matches!(
                (r.cell.batch, r.cell.style.as_str()),
                (2, "sync-group") | (8, "link")
            )
        })
        .collect();
    records.push(failed(&key("sync-group:queue", "default", "nop", 16, 2)));
    records.push(skipped(
        &key("link", "default", "nop", 16, 8),
        ReasonCode::MissingFeature,
        "needs something",
    ));
    // An oversubscribed subject with a distinctive median.
    let over = key("sync-group:queue", "default", "nop", 16, 4);
    records.retain(|r| r.cell != over);
    records.extend(reps(&over, &[777.0; 10]));
    oversubscribe(&mut records, &over.name(), 3, 2);
    let s = one(sentences(
        &queue_question(),
        &header("6.18.0", false),
        &records,
    ));
    eprintln!("{s}");
    assert!(s.contains("lower at batch 1 (0.60x"), "{s}");
    assert!(
        s.contains("at batch 2 not quoted: failed (BROKEN: group 0 expected seq 3, got 4 (cqe))"),
        "{s}"
    );
    assert!(s.contains("at batch 4 not quoted: oversubscribed"), "{s}");
    assert!(
        s.contains("at batch 8 not quoted: its reference skipped (needs something)"),
        "{s}"
    );
    assert!(s.contains("lower at batch 16 (0.60x"), "{s}");
    assert!(
        !s.contains("7.77") && !s.contains("777"),
        "an oversubscribed number was quoted: {s}"
    );
}

#[test]
fn a_kernel_gated_style_answers_with_its_skip() {
    let mut records = Vec::new();
    for steps in [2, 16] {
        records.push(skipped(
            &key("bpf-loop", "defer-taskrun", "nop", steps, 64),
            ReasonCode::MissingFeature,
            "bpf-loop needs Linux 7.1+ (kernel 6.18)",
        ));
        records.extend(reps(
            &key("link", "defer-taskrun", "nop", steps, 64),
            &[100.0; 5],
        ));
    }
    let q = Question {
        contrast: vec![Contrast {
            axis: Axis::Steps,
            ..contrast_of("bpf-loop")
        }],
        ..question()
    };
    let s = one(sentences(&q, &header("6.18.0", true), &records));
    eprintln!("{s}");
    assert!(s.starts_with("(emulated: timings not comparable) defer-taskrun/nop g1-b64-t1: wall ns/step of bpf-loop over link: "), "{s}");
    assert!(
        s.contains("at steps 2 not quoted: skipped (bpf-loop needs Linux 7.1+ (kernel 6.18))"),
        "{s}"
    );
    assert!(s.ends_with("nothing measured to rank."), "{s}");
}

fn with_anchor(ns: f64) -> reports::schema::Header {
    let mut h = header("6.18.0", false);
    h.anchors.push(AnchorValue {
        name: "cache_line_round_trip".into(),
        ns: Some(ns),
        samples: 100,
        ..AnchorValue::default()
    });
    h
}

#[test]
fn a_cost_is_counted_in_anchor_multiples_with_the_probes_beside_it() {
    let append = key("sync-group:append", "default", "nop", 16, 4);
    let queue = key("sync-group:queue", "default", "nop", 16, 4);
    let mut records = reps(&append, &[300.0; 8]);
    records.push(profile(&append, 5.0));
    records.extend(reps(&queue, &[200.0; 8]));
    records.push(profile(&queue, 0.0));
    let q = Question {
        cost: vec![Cost {
            subject: Selector {
                style: Some(vec!["sync-group:append".into()]),
                ..Selector::default()
            },
            reference: Pin {
                style: Some("sync-group:queue".into()),
                ..Pin::default()
            },
            anchor: "cache_line_round_trip".into(),
            probes: vec!["wakeups_cross_cpu".into()],
        }],
        ..question()
    };
    let s = one(sentences(&q, &with_anchor(50.0), &records));
    eprintln!("{s}");
    assert!(s.starts_with("default/nop g1-s16-b4-t1: sync-group:append over sync-group:queue: 1.50x [1.50, 1.50] (higher, q "), "{s}");
    assert!(s.contains("+100 ns/step [+100, +100], 2.00x [2.00, 2.00] the cache_line_round_trip anchor (50.0 ns)"), "{s}");
    assert!(
        s.contains("per step, wakeups_cross_cpu 1.00 against 0"),
        "{s}"
    );
    let s = one(sentences(&q, &with_anchor(25.0), &records));
    assert!(
        s.contains("4.00x [4.00, 4.00] the cache_line_round_trip anchor (25.0 ns)"),
        "{s}"
    );
    // Without the anchor, it says so instead of a number.
    let s = one(sentences(&q, &header("6.18.0", false), &records));
    assert!(
        s.contains("the cache_line_round_trip anchor: not in the results header"),
        "{s}"
    );
}

/// A failed line whose run broke the order at its `passes`-th pass.
fn violation(key: &CellKey, expected: u32, got: u32, passes: u64) -> CellRecord {
    let mut r = record(key, reports::schema::Pass::Timing, 0, Status::Failed);
    r.passes = Some(passes);
    r.reason = Some("order violated".into());
    r.violation = Some(ViolationRecord {
        group: 0,
        expected,
        got,
        source: "cqe".into(),
    });
    r
}

fn split_question() -> Question {
    Question {
        reproduce: vec![Reproduction {
            cells: Selector {
                style: Some(vec!["link".into()]),
                ..Selector::default()
            },
            axis: Axis::Steps,
            expect: Expect::Violation,
            cut: true,
            code: None,
            min_rate: None,
        }],
        ..question()
    }
}

#[test]
fn a_reproduction_tells_where_the_order_broke_and_where_the_kernel_cut() {
    let chain = |steps| key("link", "sqpoll-shared", "nop", steps, 64);
    let mut records = Vec::new();
    for steps in [6, 8] {
        records.extend(reps(&chain(steps), &[100.0; 3]));
    }
    records.push(violation(&chain(9), 0, 8, 37));
    records.push(violation(&chain(16), 2, 8, 3));
    let s = one(sentences(
        &split_question(),
        &header("6.18.0", false),
        &records,
    ));
    eprintln!("{s}");
    assert_eq!(
        s,
        "on kernel 6.18.0, link/sqpoll-shared/nop g1-b64-t1: held at steps 6–8 (in all 600 passes), \
         order broken at steps 9–16 (in 2 of 40 passes, 5.0%, 95% CI 1.4-16.5%; \
         first at steps 9: group 0 expected seq 0, got 8, seen in the cqe); as expected (an order violation); \
         the kernel cut a chain after 8 SQEs, the per-round cap it applied."
    );
    // A study that asks for a break in at least half the passes of a cell:
    // 1 of 37 at 9 steps, 1 of 3 at 16 is not that often.
    let mut often = split_question();
    often.reproduce[0].min_rate = Some(0.5);
    let s = one(sentences(&often, &header("6.18.0", false), &records));
    assert!(
        s.contains(
            "; not as expected: the study expects an order violation in at least 50.0% of passes"
        ),
        "{s}"
    );
    often.reproduce[0].min_rate = Some(0.3);
    let s = one(sentences(&often, &header("6.18.0", false), &records));
    assert!(
        s.contains("; as expected (an order violation in at least 30.0% of passes)"),
        "{s}"
    );
    // Another cut, another sentence.
    records.pop();
    records.pop();
    records.push(violation(&chain(9), 0, 4, 5));
    let s = one(sentences(
        &split_question(),
        &header("6.18.0", false),
        &records,
    ));
    assert!(s.contains("held at steps 6–8 (in all 600 passes), order broken at steps 9 (in 1 of 5 passes, 20.0%, 95% CI 3.6-62.4%; first at steps 9: group 0 expected seq 0, got 4"), "{s}");
    assert!(s.contains("cut a chain after 4 SQEs"), "{s}");
    // A kernel that keeps the order: not as expected, and no cut to read.
    records.pop();
    records.extend(reps(&chain(9), &[100.0; 3]));
    let s = one(sentences(
        &split_question(),
        &header("7.2.0", false),
        &records,
    ));
    assert!(s.starts_with("on kernel 7.2.0,"), "{s}");
    assert!(s.contains("held at steps 6–9 (in all 900 passes); not as expected: the study expects an order violation; no violation shows where a chain was cut"), "{s}");
}

fn failure(key: &CellKey, code: ReasonCode, reason: &str) -> CellRecord {
    let mut r = record(key, reports::schema::Pass::Timing, 0, Status::Failed);
    r.reason = Some(reason.into());
    r.reason_code = Some(code);
    r
}

#[test]
fn a_reproduction_that_names_a_code_takes_only_that_failure() {
    let question = Question {
        reproduce: vec![Reproduction {
            cells: Selector {
                style: Some(vec!["futex:private-fresh".into()]),
                ..Selector::default()
            },
            axis: Axis::Op,
            expect: Expect::Failed,
            cut: false,
            code: Some(ReasonCode::LostWakeup),
            min_rate: None,
        }],
        ..question()
    };
    let cell = key("futex:private-fresh", "defer-taskrun", "nop", 8, 2);
    let lost = failure(
        &cell,
        ReasonCode::LostWakeup,
        "lost wakeup (group 0, step 1)",
    );
    let s = one(sentences(&question, &header("6.18.0", false), &[lost]));
    assert!(
        s.contains("as expected (a failure coded lost_wakeup)"),
        "{s}"
    );
    // The same cell failing for another reason is not the reproduction.
    let other = failure(&cell, ReasonCode::Timeout, "timeout after 10 s");
    let s = one(sentences(&question, &header("6.18.0", false), &[other]));
    assert!(
        s.contains("not as expected: the study expects a failure coded lost_wakeup"),
        "{s}"
    );
}

#[test]
fn the_cells_one_kernel_broke_in_one_mode_make_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let split = |style, batch| key(style, "sqpoll-shared", "nop", 16, batch);
    let mut records = vec![
        violation(&split("link", 16), 0, 8, 1),
        violation(&split("hardlink", 16), 0, 8, 1),
        violation(&split("link", 4), 4, 12, 1),
    ];
    records.extend(reps(&key("link", "default", "nop", 16, 16), &[100.0; 3]));
    let input = write(dir.path(), "r.jsonl", &header("6.18.0", false), &records);
    let report = Report::build(&[input]);
    let said: Vec<String> =
        reports::analysis::findings::find_in_sweep(&report, &CompareOptions::default())
            .iter()
            .map(|f| sentence(&report, f))
            .filter(|s| s.contains("broke the order"))
            .collect();
    assert_eq!(said.len(), 1, "{said:#?}");
    assert!(
        said[0]
            .starts_with("kernel 6.18.0 broke the order of 3 cells in sqpoll-shared/nop (styles "),
        "{}",
        said[0]
    );
    for part in [
        "link",
        "hardlink",
        "g1-s16-b16-t1",
        "g1-s16-b4-t1",
        "expected seq",
    ] {
        assert!(said[0].contains(part), "{part}: {}", said[0]);
    }
}
