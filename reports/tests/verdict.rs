//! The one verdict rule on synthetic files measured in blocks, with raw
//! reference loops: a statistical tie is shown as a tie, a lead the
//! harness's overheads explain is not crowned, a clear lead is; and every
//! output that answers "which is cheapest" (report.md's table, the
//! verdict paragraph, `advise`) says the same.

mod common;

use common::*;
use reports::analysis::advice::Advice;
use reports::analysis::judgement::CompareOptions;
use reports::analysis::model::Report;
use reports::analysis::verdict::{Cheapest, ModeVerdict, Place, Standing};
use reports::render::verdict_text::{cheapest_text, mode_sentence};
use reports::schema::{CellRecord, Pass, ReferenceTiming, Status};

const BLOCKS: u32 = 12;

/// `ns` per block for a cell, with a raw loop of `raw` per block beside it
/// (when given), each block moved by a shared drift and a little noise.
fn cell(
    style: &str,
    ns: f64,
    raw: Option<f64>,
    rng: &mut reports::analysis::stats::Rng,
) -> Vec<CellRecord> {
    let k = key(style, "default", "nop", 16, 4);
    let mut out = Vec::new();
    for b in 0..BLOCKS {
        let drift = 1.0 + 0.2 * (f64::from(b) / 2.0).sin();
        let noise = |rng: &mut reports::analysis::stats::Rng| 1.0 + 0.004 * (rng.unit() - 0.5);
        let mut rep = reps(&k, &[ns * drift * noise(rng)]).remove(0);
        rep.rep = b;
        rep.block = Some(b);
        out.push(rep);
        if let Some(raw) = raw {
            let mut r = record(&k, Pass::Reference, b, Status::Ok);
            r.block = Some(b);
            let per = raw * drift * noise(rng);
            r.reference_timing = Some(ReferenceTiming {
                iterations: 100,
                steps: 10_000,
                wall_ns: (per * 10_000.0) as u64,
                ns_per_step: per,
                checked_wall_ns: (per * 10_100.0) as u64,
                checked_ns_per_step: per * 1.01,
            });
            out.push(r);
        }
    }
    out
}

fn report_of(cells: &[(&str, f64, Option<f64>)]) -> (tempfile::TempDir, reports::Results) {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = reports::analysis::stats::Rng::new(5);
    let records: Vec<CellRecord> = cells
        .iter()
        .flat_map(|(s, ns, raw)| cell(s, *ns, *raw, &mut rng))
        .collect();
    let input = write(dir.path(), "r.jsonl", &header("6.18.0", false), &records);
    (dir, input)
}

#[test]
fn a_tie_is_a_tie_and_a_clear_lead_is_crowned() {
    let (_dir, input) = report_of(&[
        ("link", 126.0, Some(76.0)),
        ("hardlink", 126.2, Some(76.1)),
        ("drain", 1260.0, Some(400.0)),
    ]);
    let report = Report::build(std::slice::from_ref(&input));
    let opts = CompareOptions::default();
    let places = Place::all(&report, &opts);
    assert_eq!(places.len(), 1);
    let place = &places[0];
    assert_eq!(
        place.cheapest(),
        Some(Cheapest::Tie(vec!["link".into(), "hardlink".into()]))
    );
    assert_eq!(
        cheapest_text(place).unwrap(),
        "link, hardlink: no significant difference"
    );
    let drain = place.ranked.iter().find(|e| e.style == "drain").unwrap();
    assert_eq!(drain.x_link.unwrap().standing, Standing::Dearer);
    let verdicts = ModeVerdict::of_places(&places);
    assert_eq!(
        mode_sentence(&report, &verdicts[0]),
        "default: link and hardlink tie; drain costs 10.0x link."
    );

    // A clear lead, with equal overheads: crowned.
    let (_dir, input) = report_of(&[
        ("link", 126.0, Some(76.0)),
        ("userspace", 100.0, Some(60.3)),
    ]);
    let report = Report::build(std::slice::from_ref(&input));
    let places = Place::all(&report, &opts);
    assert_eq!(
        places[0].cheapest(),
        Some(Cheapest::One("userspace".into()))
    );
    let advice = Advice::of(&report, &opts);
    assert_eq!(advice.ranked[0].style, "userspace");
    assert!(advice.equals().is_empty(), "{advice:?}");
}

#[test]
fn a_lead_within_the_harness_overhead_difference_is_not_crowned() {
    // The cell: userspace 113 ns against link's 126, on raw loops
    // of 74.7 and 76.0: overheads 1.51x and 1.66x. The lead is the harness's.
    let (dir, input) = report_of(&[
        ("link", 126.0, Some(76.0)),
        ("userspace", 113.0, Some(74.7)),
    ]);
    let report = Report::build(std::slice::from_ref(&input));
    let opts = CompareOptions::default();
    let places = Place::all(&report, &opts);
    let place = &places[0];
    assert_eq!(
        place.cheapest(),
        Some(Cheapest::Tie(vec!["userspace".into(), "link".into()]))
    );
    let link = place.link().unwrap();
    assert!(
        matches!(
            link.against_best.unwrap().standing,
            Standing::WithinOverhead { .. }
        ),
        "{:?}",
        link.against_best
    );
    let text = cheapest_text(place).unwrap();
    assert!(
        text.starts_with(
            "userspace, link: no significant difference; userspace's lead over link (1.1"
        ) && text.ends_with("not crowned"),
        "{text}"
    );
    // advise says the same: link is userspace's equal.
    let advice = Advice::of(&report, &opts);
    assert_eq!(advice.equals().len(), 1, "{advice:?}");
    // And so does report.md's cheapest table.
    let out = dir.path().join("out");
    reports::render(
        &[input],
        &out,
        &reports::RenderOptions {
            plots: false,
            png: false,
        },
    )
    .unwrap();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("| userspace, link: no significant difference; "),
        "{md}"
    );
    assert!(
        md.contains("At 1 place the cheapest style's lead was within"),
        "{md}"
    );
}
