//! `bench-runner list`: every style, mode and op, and whether this kernel and
//! this process can run it, with the reason when not, from the same probe that
//! gates the cells of a sweep.

use reports::render::table::{Align, Table};
use workloads::cell::{CellSpec, Shape, Sharing};
use workloads::mode::ModeSpec;
use workloads::op::{OpKind, OPS};
use workloads::placement::Placement;
use workloads::probe::{Capabilities, Need, Unmet};
use workloads::style::{Style, STYLES};

fn verdict(result: Result<(), Unmet>) -> String {
    match result {
        Ok(()) => "supported".into(),
        Err(reason) => format!("unsupported: {reason}"),
    }
}

/// One line per distinct verdict of a style variant across all modes, naming
/// the modes, so that a style that runs everywhere takes one line.
fn mode_verdicts(caps: &Capabilities, style: &'static dyn Style, variant: &str) -> Vec<String> {
    let mut verdicts: Vec<(String, Vec<String>)> = Vec::new();
    let all = ModeSpec::allowed();
    for mode in &all {
        let spec = CellSpec {
            style,
            variant: variant.to_string(),
            mode: ModeSpec::parse(mode).expect("allowed names parse"),
            op: OpKind::Nop,
            forced_async: false,
            shape: Shape {
                groups: 1,
                steps: 2,
                batch: 2,
                submitters: 1,
                sharing: Sharing::PerSubmitter,
            },
            ring_entries: 64,
            // What a cell needs does not depend on where its threads run.
            placement: Placement::spread_over(vec![0]),
            // What a style needs does not depend on the fsync directory.
            fsync_dir: std::path::PathBuf::from(workloads::op::DEFAULT_FSYNC_DIR),
        };
        let v = verdict(spec.needs().and_then(|n| caps.check_all(&n)));
        match verdicts.iter_mut().find(|(text, _)| *text == v) {
            Some((_, modes)) => modes.push(mode.clone()),
            None => verdicts.push((v, vec![mode.clone()])),
        }
    }
    verdicts
        .into_iter()
        .map(|(v, modes)| {
            let modes = if modes.len() == all.len() {
                "all modes".to_string()
            } else {
                modes.join(", ")
            };
            format!("{v}: {modes}")
        })
        .collect()
}

/// Spaces between the columns of a table: wide enough that no two run
/// together.
const GAP: usize = 3;

/// `text`, each line indented by two spaces.
fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// Renders the listing as text.
pub fn render(caps: &Capabilities) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "kernel {} ({} CPUs), io_uring: {}\n",
        caps.kernel,
        caps.cpus,
        caps.unavailable.as_deref().unwrap_or("available")
    ));
    out.push('\n');
    let mut modes = Table::new(&[
        ("mode", Align::Left),
        ("what it is", Align::Left),
        ("here", Align::Left),
    ]);
    for name in ModeSpec::allowed() {
        let spec = ModeSpec::parse(&name).expect("allowed names parse");
        modes.push(vec![
            name,
            spec.about(),
            verdict(caps.check(&Need::Mode(spec))),
        ]);
    }
    out.push_str(&indent(&modes.to_text(GAP, None)));
    out.push('\n');
    let mut ops = Table::new(&[
        ("op", Align::Left),
        ("what a step does", Align::Left),
        ("here", Align::Left),
    ]);
    for op in OPS {
        ops.push(vec![
            op.name().to_string(),
            op.about().to_string(),
            verdict(caps.check_all(&op.needs(&crate::config::fsync_dir_without_config()))),
        ]);
    }
    out.push_str(&indent(&ops.to_text(GAP, None)));
    out.push_str("\nstyles (on nop, by mode):\n");
    let name = |style: &dyn Style| match style.variants() {
        [] => style.name().to_string(),
        v => format!("{}:{{{}}}", style.name(), v.join(",")),
    };
    // A name wider than this (a style of many variants) pushes its text
    // along rather than every other row's.
    let width = STYLES
        .iter()
        .map(|s| name(*s).len())
        .filter(|&w| w <= 28)
        .max()
        .unwrap_or(0);
    for style in STYLES {
        let name = name(*style);
        let labels = style.labels().join(", ");
        out.push_str(&format!("  {name:<width$}{:GAP$}{}", "", style.about()));
        if !labels.is_empty() {
            out.push_str(&format!(" [{labels}]"));
        }
        out.push('\n');
        let variants: &[&str] = match style.variants() {
            [] => &[""],
            v => v,
        };
        for variant in variants {
            if !variant.is_empty() {
                out.push_str(&format!("    :{variant}\n"));
            }
            for line in mode_verdicts(caps, *style, variant) {
                out.push_str(&format!("      {line}\n"));
            }
        }
    }
    out
}
