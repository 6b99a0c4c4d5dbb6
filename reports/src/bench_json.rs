//! bench.json for CI dashboards, in two shapes: Bencher's metric format
//! (BMF, `bench.json`) and github-action-benchmark's `customSmallerIsBetter`
//! (`bench-github.json`). Only ranked cells appear (timed, and not
//! oversubscribed: dashboards compare what they get); names are stable across
//! runs ([`crate::schema::CellKey::name`], plus `@kernel` with several inputs).

use crate::error::ReportError;
use crate::exporter::Exporter;
use crate::format::{interval, num, pct};
use crate::model::{CellSummary, Report};
use crate::stats::{Summary, CONFIDENCE};
use crate::Rendered;
use serde_json::{json, Map, Value};

/// BMF measure name of wall-clock ns per step.
pub const MEASURE_NS: &str = "ns_per_step";
/// BMF measure name of CPU ns per step (all threads of the process).
pub const MEASURE_CPU_NS: &str = "cpu_ns_per_step";
/// Unit shown by github-action-benchmark.
pub const UNIT: &str = "ns/step";

/// Writes bench.json (Bencher metric format).
pub struct BencherExporter;

/// Writes bench-github.json (github-action-benchmark, customSmallerIsBetter).
pub struct GithubBenchmarkExporter;

/// The stable CI name of a cell of this report.
pub fn ci_name(report: &Report, cell: &CellSummary) -> String {
    if report.multi() {
        format!("{}@{}", cell.name, report.sources[cell.source].label)
    } else {
        cell.name.clone()
    }
}

/// A BMF metric object from a summary.
pub fn bmf_metric(s: &Summary) -> Value {
    json!({ "value": s.median, "lower_value": s.ci.lo, "upper_value": s.ci.hi })
}

/// Serializes JSON with a trailing newline.
pub fn to_bytes(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("JSON values always serialize");
    bytes.push(b'\n');
    bytes
}

impl Exporter<Rendered> for BencherExporter {
    fn file_name(&self) -> &'static str {
        "bench.json"
    }

    fn serialize(&self, input: &Rendered) -> Result<Vec<u8>, ReportError> {
        let report = &input.report;
        let mut root = Map::new();
        for cell in &report.cells {
            let Some(ns) = cell.ranked() else { continue };
            let mut measures = Map::new();
            measures.insert(MEASURE_NS.into(), bmf_metric(ns));
            if let Some(cpu) = &cell.cpu_ns {
                measures.insert(MEASURE_CPU_NS.into(), bmf_metric(cpu));
            }
            root.insert(ci_name(report, cell), Value::Object(measures));
        }
        Ok(to_bytes(&Value::Object(root)))
    }
}

impl Exporter<Rendered> for GithubBenchmarkExporter {
    fn file_name(&self) -> &'static str {
        "bench-github.json"
    }

    fn serialize(&self, input: &Rendered) -> Result<Vec<u8>, ReportError> {
        let report = &input.report;
        let entries: Vec<Value> = report
            .cells
            .iter()
            .filter_map(|cell| {
                let ns = cell.ranked()?;
                let mut extra = format!(
                    "{:.0}% CI {} ns; CV {}; {} repetitions",
                    CONFIDENCE * 100.0,
                    interval(ns.ci.lo, ns.ci.hi),
                    ns.cv.map_or("-".into(), pct),
                    ns.n
                );
                if !cell.labels.is_empty() {
                    extra.push_str(&format!("; labels: {}", cell.labels.join(", ")));
                }
                Some(json!({
                    "name": ci_name(report, cell),
                    "unit": UNIT,
                    "value": ns.median,
                    "range": format!("± {}", num(ns.ci.half_width_around(ns.median))),
                    "extra": extra,
                }))
            })
            .collect();
        Ok(to_bytes(&Value::Array(entries)))
    }
}
