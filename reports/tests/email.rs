//! email.txt is a mail a person can post: at most 100 lines of at most 72
//! ASCII columns, a Subject, the verdict, the one x link table, the
//! findings, the failures by cause, the legend, the machine and the
//! reproduce block; for a plain sweep, a study and a multi-kernel report
//! alike. What does not fit is counted and is in email-full.txt, whole.

mod common;

use common::*;
use reports::analysis::findings::question::{Axis, Contrast, Metric, Pin, Selector};
use reports::analysis::findings::{Question, StudyQuestion};
use reports::render::mail::MAIL_WIDTH;
use reports::render::mail::{email::MAIL_LINES, email_full::FULL_MAIL};
use reports::{render_answering, RenderOptions, Results};
use std::path::Path;

const TEXT_ONLY: RenderOptions = RenderOptions {
    plots: false,
    png: false,
};

/// Renders `inputs` into `out` and returns email.txt and email-full.txt.
fn mails(inputs: &[Results], out: &Path, question: Option<Question>) -> (String, String) {
    let study = question.map(|question| StudyQuestion {
        name: "test".into(),
        question,
    });
    render_answering(inputs, out, &TEXT_ONLY, study.as_ref()).unwrap();
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    (read("email.txt"), read(FULL_MAIL))
}

/// The mail's size and its sections' order; a cut says how many findings
/// it left out, and every finding of a study it shows is in the attachment.
fn assert_postable(mail: &str, full: &str, study: bool) {
    let lines: Vec<&str> = mail.lines().collect();
    assert!(lines.len() <= MAIL_LINES, "{} lines:\n{mail}", lines.len());
    for (i, line) in lines.iter().enumerate() {
        assert!(
            line.chars().count() <= MAIL_WIDTH,
            "line {} is {} columns: {line:?}",
            i + 1,
            line.chars().count()
        );
        assert!(line.is_ascii(), "line {} not ASCII: {line:?}", i + 1);
    }
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(needle))
            .unwrap_or_else(|| panic!("no line starting {needle:?}:\n{mail}"))
    };
    assert!(lines[0].starts_with("Subject: "), "{mail}");
    let order = [
        at("Verdict ("),
        at("x link at "),
        at("Shapes: "),
        lines
            .iter()
            .position(|l| l.starts_with("Kernel ") || l.contains(": Kernel "))
            .expect("the machine line"),
        at("Reproduce with uring-syncbench "),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}:\n{mail}");
    let Some(start) = lines.iter().position(|l| *l == "Findings:") else {
        return;
    };
    let shown = lines[start + 1..].iter().take_while(|l| !l.is_empty());
    let full_flat = full.replace("\n  ", " ");
    let mut finding = String::new();
    for line in shown {
        if let Some(rest) = line.strip_prefix("- ") {
            finding = rest.to_string();
        } else if line.starts_with("  ") {
            finding.push(' ');
            finding.push_str(line.trim());
        } else {
            let more = line.strip_prefix("... and ").expect(line);
            let n: usize = more.split(' ').next().unwrap().parse().unwrap();
            assert!(n > 0 && more.ends_with(&format!("more findings in {FULL_MAIL}")));
            continue;
        }
        if study && finding.ends_with('.') {
            assert!(full_flat.contains(&finding), "{finding} not in {FULL_MAIL}");
        }
    }
    assert!(
        full.contains("Physical anchors:"),
        "the attachment is whole"
    );
}

#[test]
fn a_plain_sweep_of_216_cells_fits_and_says_each_styles_range_over_link() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "r.jsonl",
        &header("6.18.0", false),
        &sweep(3, 10),
    );
    let (mail, full) = mails(&[input], &dir.path().join("out"), None);
    assert_postable(&mail, &full, false);
    let unwrapped = mail.replace("\n  ", " ");
    // The failed futex cells broke the order: named with their cause.
    assert!(
        unwrapped.contains("Failed, by cause:\n- 2 cells in sqpoll: the kernel broke the order"),
        "{mail}"
    );
    // Every mode's verdict, and claims that never cross 1x.
    for mode in &MODES[..2] {
        assert!(
            unwrapped.contains(&format!(
                "- {mode}: no style ties with link; hardlink costs 1.3"
            )),
            "{mode}:\n{mail}"
        );
    }
    // A style cheaper at one place and dearer at another is mixed, never
    // a range across 1x.
    assert!(
        unwrapped.contains("drain is mixed, 0.70x at pipe+async g1-s32-b8-t1 to 1.7"),
        "{mail}"
    );
    // The table: the modes across, the headline shape's x link.
    let head = mail.lines().find(|l| l.starts_with("style ")).unwrap();
    assert!(
        head.contains("default") && head.contains("sqpoll"),
        "{head}"
    );
    assert!(
        mail.lines()
            .any(|l| l.starts_with("drain ") && l.contains("x +-")),
        "{mail}"
    );
    // Every style's range in every mode is in the attachment.
    for mode in MODES {
        assert!(
            full.contains(&format!("- {mode}: futex over link: ")),
            "{mode}"
        );
    }
}

#[test]
fn a_study_mail_holds_the_studys_findings() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "r.jsonl",
        &header("6.18.0", false),
        &batch_sweep(4, 10),
    );
    let question = Question {
        text: "Does userspace beat link along the batch?".into(),
        reference: "the thread".into(),
        contrast: vec![Contrast {
            subject: Selector {
                style: Some(vec!["userspace".into()]),
                ..Selector::default()
            },
            reference: Pin {
                style: Some("link".into()),
                ..Pin::default()
            },
            axis: Axis::Batch,
            metrics: vec![Metric::Wall],
        }],
        cost: Vec::new(),
        reproduce: Vec::new(),
    };
    let (mail, full) = mails(&[input], &dir.path().join("out"), Some(question));
    assert_postable(&mail, &full, true);
    let unwrapped = mail.replace("\n  ", " ");
    assert!(
        unwrapped.contains("- default/nop g1-s64-t1: wall ns/step of userspace over link:"),
        "{mail}"
    );
    assert!(
        !unwrapped.contains("futex over link"),
        "only the study's: {mail}"
    );
    assert!(mail.lines().any(|l| l.starts_with("userspace ")), "{mail}");
}

#[test]
fn a_three_kernel_report_fits_with_every_machine_and_command() {
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<Results> = ["6.18.0", "6.19.0", "7.1.0-emu"]
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let records = sweep(10 + i as u64, 10);
            write(
                dir.path(),
                &format!("{k}.jsonl"),
                &header(k, k.ends_with("emu")),
                &records,
            )
        })
        .collect();
    let (mail, full) = mails(&inputs, &dir.path().join("out"), None);
    assert_postable(&mail, &full, false);
    for k in ["6.18.0", "6.19.0", "7.1.0-emu"] {
        assert!(
            mail.lines()
                .any(|l| l.starts_with(&format!("Kernel {k} on "))),
            "{k}:\n{mail}"
        );
    }
    // The three were swept with one command: it is given once.
    assert_eq!(mail.matches("bench-runner sweep").count(), 1, "{mail}");
}
