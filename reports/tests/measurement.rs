//! What the reports say about the measurement itself: the harness's overhead
//! over the raw reference loop and the order check's cost, the precision each
//! cell reached and why its repetitions stopped; never a ratio for a cell that
//! failed or was oversubscribed.

mod common;

use common::*;
use reports::schema::*;
use reports::{render, text_table, RenderOptions};

fn stopping(precision: f64, reason: StopReason) -> Stopping {
    Stopping {
        repetitions: 6,
        precision: Some(precision),
        target: 0.01,
        reason,
        spent_ns: 600_000_000,
    }
}

fn reference(overhead: f64, order_check: f64) -> ReferenceSummary {
    ReferenceSummary {
        repetitions: 6,
        ns_per_step: 100.0 / overhead,
        checked_ns_per_step: 100.0 / overhead + order_check,
        order_check_ns_per_step: order_check,
        harness_overhead: overhead,
        cv: Some(0.02),
    }
}

/// A cell's timing lines and its final line.
fn cell(style: &str, stop: Option<Stopping>, summary: Option<ReferenceSummary>) -> Vec<CellRecord> {
    let k = key(style, "default", "nop", 8, 8);
    let mut records = reps(&k, &[100.0, 100.2, 99.9, 100.1, 99.8, 100.0]);
    let mut last = profile(&k, 1.0);
    last.stopping = stop;
    last.reference = summary;
    records.push(last);
    records
}

#[test]
fn overhead_and_precision_are_said_for_timed_cells_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = cell(
        "link",
        Some(stopping(0.004, StopReason::Precision)),
        Some(reference(1.05, 1.5)),
    );
    records.extend(cell(
        "userspace",
        Some(stopping(0.02, StopReason::Budget)),
        Some(reference(1.13, 2.5)),
    ));
    // Its raw reference broke the order: the cell's own timing stands.
    let drain = key("drain", "default", "nop", 8, 8);
    let mut broken = record(&drain, Pass::Reference, 0, Status::Failed);
    broken.reason = Some("out of order (cqe): group 0 expected seq 0 got 8".into());
    records.push(broken);
    records.extend(cell(
        "drain",
        Some(stopping(0.03, StopReason::MaxRepetitions)),
        None,
    ));
    // A failed cell never shows a number, whatever its final line says.
    let independent = key("independent", "default", "nop", 8, 8);
    records.push(failed(&independent));
    let mut last = profile(&independent, 1.0);
    last.stopping = Some(stopping(0.001, StopReason::Precision));
    last.reference = Some(reference(9.99, 7.0));
    records.push(last);
    // An oversubscribed cell keeps its number but gives no ratio.
    records.extend(cell(
        "hardlink",
        Some(stopping(0.005, StopReason::Precision)),
        Some(reference(8.88, 3.0)),
    ));
    oversubscribe(&mut records, "hardlink/default/nop/g1-s8-b8-t1", 3, 2);
    let input = write(dir.path(), "r.jsonl", &header("6.18", false), &records);

    let overhead =
        "harness overhead 1.09x (middle half 1.07x-1.11x) over 2 raw-reference cells; order check 2.00 ns/step";
    let noise =
        "noise: median CV 0.1% over those cells, 2.0% for their raw loops in the same rounds";
    let precision =
        "precision ±1.0% reached on 2 of 4 cells (stopped 1 on budget, 1 on max_repetitions)";
    let text = text_table(std::slice::from_ref(&input));
    assert!(text.contains(overhead), "{text}");
    assert!(text.contains(noise), "{text}");
    assert!(text.contains(precision), "{text}");
    let row = |style: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{style} ")))
            .unwrap_or_else(|| panic!("no {style} row:\n{text}"))
            .to_string()
    };
    assert!(
        row("link").contains("1.05x") && row("link").contains("±0.4%"),
        "{}",
        row("link")
    );
    assert!(
        row("userspace").contains("±2.0% budget"),
        "{}",
        row("userspace")
    );
    assert!(row("drain").contains("±3.0% max"), "{}", row("drain"));
    assert!(
        row("drain").contains("raw reference failed: out of order"),
        "{}",
        row("drain")
    );
    let failed_row = row("independent");
    assert!(
        !failed_row.contains("9.99x") && !failed_row.contains("0.1%"),
        "{failed_row}"
    );
    let oversubscribed = row("hardlink");
    assert!(!oversubscribed.contains("8.88x"), "{oversubscribed}");
    assert!(oversubscribed.contains("±0.5%"), "{oversubscribed}");

    let out = dir.path().join("out");
    let opts = RenderOptions {
        plots: false,
        png: false,
    };
    render(&[input], &out, &opts).unwrap();
    let email = std::fs::read_to_string(out.join("email-full.txt")).unwrap();
    let unwrapped = email.replace("\n  ", " ");
    assert!(unwrapped.contains(&format!("{overhead}.")), "{email}");
    assert!(
        unwrapped.contains(&format!("{}.", precision.replace('±', "+-"))),
        "{email}"
    );
    assert!(email.lines().all(|l| l.chars().count() <= 72), "{email}");
    for file in ["report.md", "report.html"] {
        let doc = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(doc.contains(overhead), "{file}");
        assert!(doc.contains(precision), "{file}");
        let table = &doc[doc
            .find("Harness overhead</")
            .or(doc.find("## Harness overhead"))
            .unwrap()..];
        assert!(table.contains("link/default/nop/g1-s8-b8-t1"), "{file}");
        assert!(
            table.contains("userspace/default/nop/g1-s8-b8-t1"),
            "{file}"
        );
        assert!(!table.contains("9.99x"), "{file}: a failed cell's overhead");
        assert!(
            !table.contains("8.88x"),
            "{file}: an oversubscribed cell's overhead"
        );
    }
}
