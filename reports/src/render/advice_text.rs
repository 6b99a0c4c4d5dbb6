//! What `advise` prints: its [`Advice`] in a few lines (the style to use,
//! its equals, the runner-up's cost, the ranking, what was not ranked),
//! ending with the command that asks it again.

use crate::analysis::advice::Advice;
use crate::analysis::judgement::Change;
use crate::analysis::verdict::{Judged, Standing};
use crate::format::{ascii, num, ratio};
use crate::render::document::shell_line;

fn q_text(q: f64) -> String {
    if q < 0.001 {
        "q < 0.001".into()
    } else {
        format!("q {q:.3}")
    }
}

fn change_text(c: &Change) -> String {
    format!(
        "{} [{}, {}] ({})",
        ratio(c.ratio),
        ratio(c.ci.lo).trim_end_matches('x'),
        ratio(c.ci.hi).trim_end_matches('x'),
        q_text(c.q)
    )
}

/// Why a lead that passed the test is still no lead: the harness's
/// overhead explains it.
fn overhead_note(j: &Judged) -> String {
    match j.standing {
        Standing::WithinOverhead { overhead_ratio, .. } => format!(
            ", a lead within the harness overheads' ratio ({})",
            ratio(overhead_ratio)
        ),
        _ => String::new(),
    }
}

/// The advice in a few lines, ending with the command that asks it again.
pub fn text(advice: &Advice, command: &[String]) -> String {
    let mut out = Vec::new();
    match advice.ranked.as_slice() {
        [] => out.push(format!("At {}, no style was timed.", advice.place)),
        [best, rest @ ..] => {
            out.push(format!(
                "At {}, use {} ({} ns/step).",
                advice.place,
                best.style,
                num(best.median)
            ));
            let equals = advice.equals();
            if !equals.is_empty() {
                let named: Vec<String> = equals
                    .iter()
                    .filter_map(|r| {
                        r.against_best.map(|j| {
                            format!(
                                "{} {}{}",
                                r.style,
                                change_text(&j.change),
                                overhead_note(&j)
                            )
                        })
                    })
                    .collect();
                out.push(format!(
                    "No significant difference from it: {}; any of them will do.",
                    named.join(", ")
                ));
            }
            if let Some(runner) = rest
                .iter()
                .find(|r| !equals.iter().any(|e| e.style == r.style))
            {
                if let Some(Judged { change: c, .. }) = runner.against_best {
                    let who = match equals.is_empty() {
                        true => "The runner-up",
                        false => "The fastest style significantly behind",
                    };
                    out.push(format!(
                        "{who}, {}, costs {} the winner's ns/step: {} ns/step more.",
                        runner.style,
                        change_text(&c),
                        num(runner.median - best.median)
                    ));
                }
            }
            let order: Vec<String> = advice
                .ranked
                .iter()
                .map(|r| format!("{} {}", r.style, num(r.median)))
                .collect();
            out.push(format!("Ranking, ns/step: {}.", order.join(", ")));
        }
    }
    if !advice.not_ranked.is_empty() {
        let named: Vec<String> = advice
            .not_ranked
            .iter()
            .map(|n| format!("{} {}", n.style, n.word))
            .collect();
        out.push(format!("Not ranked: {}.", named.join(", ")));
    }
    out.push(format!("Reproduce with: {}", shell_line(command)));
    ascii(&(out.join("\n") + "\n"))
}
