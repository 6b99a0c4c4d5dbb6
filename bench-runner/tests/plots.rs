//! The figures of a real sweep, measured as they are drawn: every text's
//! box (as the embedded font measures it) lies inside its figure and
//! overlaps no other, every pair of styles a figure shows is told apart by
//! colour to the eye and under a deuteranopia simulation, a failed cell has
//! a mark of its own, and a report draws at most one figure of each kind
//! per op and shape. The sweep runs every style in modes where cells fail
//! (the shared SQPOLL poller cuts chains) and are skipped, so the marks of
//! missing values are drawn too.

mod common;

use common::{config, finished_sweep};
use reports::analysis::model::{CellStatus, Report};
use reports::render::plots::{self, distances, MIN_DISTANCE, MIN_DISTANCE_DEUTERANOPIA};
use reports::results::Results;

const SWEEP: &str = "styles = [\"independent\", \"link\", \"hardlink\", \"drain\", \"userspace\", \
     \"sync-group\", \"msg-ring\", \"futex:shared\", \"futex:private\", \"futex-syscall\", \"bpf-loop\"]\n\
     modes = [\"default\", \"sqpoll\", \"sqpoll-shared\", \"defer-taskrun\"]\n\
     ops = [\"nop\"]\n\
     groups = [1, 4]\n\
     steps = [16]\n\
     batch = [4]\n\
     repetitions = 3\n\
     min_repetitions = 2\n\
     profile = true";

#[test]
fn a_real_sweeps_figures_keep_their_labels_apart_and_their_styles_distinct() {
    let (_dir, results, _) = finished_sweep(&config(SWEEP));
    let report = Report::build(&[Results::read(&results).unwrap()]);
    if report.cells.iter().all(|c| c.ranked().is_none()) {
        eprintln!("skip: no cell was timed on this machine");
        return;
    }
    let layouts = plots::layouts(&report);
    assert!(!layouts.is_empty());
    let mut texts = 0;
    for fig in &layouts {
        let (w, h) = fig.size;
        for (i, a) in fig.texts.iter().enumerate() {
            assert!(
                a.x0 >= 0 && a.y0 >= 0 && a.x1 <= w as i32 && a.y1 <= h as i32,
                "{}: {a:?} leaves the {w}x{h} figure",
                fig.slug
            );
            for b in &fig.texts[i + 1..] {
                assert!(!a.overlaps(b), "{}: {a:?} overlaps {b:?}", fig.slug);
            }
        }
        texts += fig.texts.len();
        for (i, (name_a, a)) in fig.styles.iter().enumerate() {
            for (name_b, b) in &fig.styles[i + 1..] {
                let (seen, deut) = distances(*a, *b);
                assert!(
                    seen >= MIN_DISTANCE && deut >= MIN_DISTANCE_DEUTERANOPIA,
                    "{}: {name_a} and {name_b} {seen:.1} apart ({deut:.1} to a deuteranope)",
                    fig.slug
                );
            }
        }
    }
    println!("{} figures, {texts} texts, none overlapping", layouts.len());
    // At most one figure of each kind (styles, x link, event counts) per op
    // and shape: no pages of one chart.
    let groups = report.by_op_shape().len();
    for kind in ["styles-", "xlink-", "cost-"] {
        let n = layouts.iter().filter(|f| f.slug.starts_with(kind)).count();
        assert!(
            n <= groups,
            "{n} {kind} figures for {groups} op/shape groups"
        );
    }
    // A failed cell (a finding) is drawn with the failure's own mark, named
    // in its figure's legend, never as the grey of a skipped one.
    if report.cells.iter().any(|c| c.status == CellStatus::Failed) {
        let named = |f: &&plots::FigureLayout| f.texts.iter().any(|t| t.text == "failed");
        assert!(layouts
            .iter()
            .filter(|f| f.slug.starts_with("styles-"))
            .any(|f| named(&f)));
    }
}
