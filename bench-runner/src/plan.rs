//! Expanding a config into its cells: every combination of the axes, in an
//! order that runs the styles of one point next to each other, so that they are
//! compared under the same conditions.

use crate::config::Config;
use crate::filter::Filter;
use itertools::iproduct;
use reports::schema::{CellKey, Oversubscribed, PlacementRecord};
use workloads::cell::{CellSpec, Shape};
use workloads::probe::{Capabilities, Unmet};
use workloads::threads::CellThreads;

/// One cell of the sweep.
#[derive(Clone)]
pub struct PlannedCell {
    /// What to run.
    pub spec: CellSpec,
    /// Its coordinates in the results.
    pub key: CellKey,
    /// Its stable name.
    pub name: String,
    /// Labels to carry into every record of it.
    pub labels: Vec<String>,
    /// Where its threads run, for every record of it.
    pub placement: PlacementRecord,
    /// Set when it needs more busy threads than CPUs, for every record of it.
    pub oversubscribed: Option<Oversubscribed>,
}

/// The placement of a cell's threads as the results record it.
fn placement_record(threads: &CellThreads) -> PlacementRecord {
    PlacementRecord {
        cpus: threads.cpus.clone(),
        submitters: threads.submitters.clone(),
        sqpoll: threads.sqpoll.map(|s| s.cpu),
        helpers: threads
            .helpers
            .iter()
            .map(|h| (h.helper.role.name().to_string(), h.cpus.clone()))
            .collect(),
    }
}

/// A batch of the config larger than the stream of a shape, which runs as
/// the whole stream: `plan` says so rather than clamping in silence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Clamp {
    /// The config's batch.
    pub batch: u32,
    /// Groups of the shape.
    pub groups: u32,
    /// Steps per group of the shape.
    pub steps: u32,
}

impl std::fmt::Display for Clamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "batch {} clamped to {} at g{}-s{}: a batch is at most the whole stream (groups x steps)",
            self.batch,
            self.groups * self.steps,
            self.groups,
            self.steps
        )
    }
}

/// The cells of a config and what planning them changed.
pub struct Plan {
    /// Every cell, deduplicated, in running order.
    pub cells: Vec<PlannedCell>,
    /// Every batch that ran as a smaller one, once each.
    pub clamps: Vec<Clamp>,
}

impl PlannedCell {
    /// Whether this machine can run the cell: the capability check the
    /// sweep gates every cell on (`Unmet` is the skip it records).
    pub fn check(&self, caps: &Capabilities) -> Result<(), Unmet> {
        self.spec.needs().and_then(|n| caps.check_all(&n))
    }

    /// Whether the sweep runs a raw reference loop beside the cell: the
    /// config asks for them and the cell has one.
    pub fn has_reference(&self, config: &Config) -> bool {
        config.reference && workloads::reference::applies(&self.spec).is_ok()
    }
}

/// Every cell of the config, deduplicated, optionally filtered by name.
pub fn plan(config: &Config, filter: Option<&Filter>) -> Vec<PlannedCell> {
    plan_noting(config, filter).cells
}

/// [`plan`], with the batches it clamped.
pub fn plan_noting(config: &Config, filter: Option<&Filter>) -> Plan {
    let c = config;
    let mut cells: Vec<PlannedCell> = Vec::new();
    let mut clamps = std::collections::BTreeSet::new();
    let mut seen = std::collections::HashSet::new();
    let axes = c.grids.iter().flat_map(|g| {
        iproduct!(
            &g.modes,
            &g.ops,
            &g.forced_async,
            &g.groups,
            &g.steps,
            &g.batch,
            &g.submitters,
            &g.sharing,
            &g.styles
        )
    });
    for (&mode, &op, &forced_async, &groups, &steps, &batch, &submitters, &sharing, choice) in axes
    {
        let shape = Shape {
            groups,
            steps,
            // A batch larger than the whole stream is the whole stream.
            batch: batch.min(groups * steps),
            submitters,
            sharing,
        };
        let key = CellKey {
            style: choice.style.name().into(),
            variant: choice.variant.clone(),
            mode: mode.to_string(),
            op: op.name().into(),
            forced_async,
            groups,
            steps,
            batch: shape.batch,
            submitters,
            sharing: sharing.name().into(),
        };
        let name = key.name();
        if filter.is_some_and(|f| !f.matches(&name)) {
            continue;
        }
        if batch > shape.batch {
            clamps.insert(Clamp {
                batch,
                groups,
                steps,
            });
        }
        if !seen.insert(name.clone()) {
            continue;
        }
        let spec = CellSpec {
            style: choice.style,
            variant: choice.variant.clone(),
            mode,
            op,
            forced_async,
            shape,
            ring_entries: c.ring_entries,
            placement: c.placement.clone(),
            fsync_dir: c.fsync_dir.clone(),
        };
        let threads = CellThreads::of(&spec);
        cells.push(PlannedCell {
            key,
            name,
            labels: choice
                .style
                .labels()
                .iter()
                .map(|l| l.to_string())
                .collect(),
            placement: placement_record(&threads),
            oversubscribed: threads.oversubscription().map(|o| Oversubscribed {
                busy_threads: o.busy_threads,
                cpus: o.cpus,
            }),
            spec,
        });
    }
    Plan {
        cells,
        clamps: clamps.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::{plan, plan_noting, Clamp};
    use crate::config::Config;
    use crate::filter::Filter;

    /// A config of these axes (TOML lines) over the required ones' defaults.
    fn config(axes: &str) -> Config {
        let required = [
            ("styles", r#"["link"]"#),
            ("modes", r#"["default"]"#),
            ("ops", r#"["nop"]"#),
            ("groups", "[1]"),
            ("steps", "[8]"),
            ("batch", "[8]"),
        ];
        let mut text = String::from(axes);
        for (key, value) in required {
            if !axes.lines().any(|l| l.starts_with(&format!("{key} ="))) {
                text.push_str(&format!("\n{key} = {value}"));
            }
        }
        Config::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn names(config: &Config, filter: Option<&str>) -> Vec<String> {
        plan(config, filter.map(Filter::new).as_ref())
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    #[test]
    fn grids_add_cells_and_take_the_top_level_axes_they_omit() {
        let text = r#"
styles = ["link", "userspace"]
modes = ["default", "sqpoll"]
ops = ["nop"]
groups = [1]
steps = [8]
batch = [8]
repetitions = 3
warmup = "5ms"
time_budget = "100ms"

[[grid]]
styles = ["independent", "link"]
ops = ["timeout"]
modes = ["default"]

[[grid]]
styles = ["link"]
"#;
        let config = Config::parse(text).unwrap();
        let names: Vec<String> = plan(&config, None).into_iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "link/default/nop/g1-s8-b8-t1",
                "userspace/default/nop/g1-s8-b8-t1",
                "link/sqpoll/nop/g1-s8-b8-t1",
                "userspace/sqpoll/nop/g1-s8-b8-t1",
                "independent/default/timeout/g1-s8-b8-t1",
                "link/default/timeout/g1-s8-b8-t1",
            ],
            "the second grid's link cells are the first grid's: planned once"
        );
    }

    #[test]
    fn a_grid_is_every_combination_styles_of_one_point_side_by_side() {
        let c = config("styles = [\"link\", \"drain\"]\ngroups = [1, 2]\nsteps = [4]\nbatch = [4]");
        assert_eq!(
            names(&c, None),
            [
                "link/default/nop/g1-s4-b4-t1",
                "drain/default/nop/g1-s4-b4-t1",
                "link/default/nop/g2-s4-b4-t1",
                "drain/default/nop/g2-s4-b4-t1",
            ]
        );
    }

    #[test]
    fn a_batch_beyond_the_stream_is_the_stream_and_planned_once() {
        let c = config("groups = [2]\nsteps = [3]\nbatch = [6, 64]");
        assert_eq!(names(&c, None), ["link/default/nop/g2-s3-b6-t1"]);
        let planned = plan_noting(&c, None);
        let cell = &planned.cells[0];
        assert_eq!((cell.spec.shape.batch, cell.key.batch), (6, 6));
        assert_eq!(
            planned.clamps,
            [Clamp {
                batch: 64,
                groups: 2,
                steps: 3
            }]
        );
        assert_eq!(
            planned.clamps[0].to_string(),
            "batch 64 clamped to 6 at g2-s3: a batch is at most the whole stream (groups x steps)"
        );
    }

    #[test]
    fn the_filter_keeps_only_matching_cells() {
        let c = config("styles = [\"link\", \"userspace\"]\nmodes = [\"default\", \"sqpoll\"]");
        assert_eq!(
            names(&c, Some("*/sqpoll/*")),
            [
                "link/sqpoll/nop/g1-s8-b8-t1",
                "userspace/sqpoll/nop/g1-s8-b8-t1"
            ]
        );
        assert_eq!(
            names(&c, Some("userspace/default")),
            ["userspace/default/nop/g1-s8-b8-t1"]
        );
        assert!(names(&c, Some("no-such-style*")).is_empty());
    }

    #[test]
    fn cells_carry_their_style_labels_and_their_placement() {
        let c = config("styles = [\"sync-group\", \"link\"]\nplacement = { submitters = [0] }");
        let cells = plan(&c, None);
        assert!(cells.iter().all(|cell| cell.placement.submitters == [0]));
        let labels = |style: &str| -> Vec<String> {
            cells
                .iter()
                .filter(|cell| cell.key.style == style)
                .flat_map(|cell| cell.labels.clone())
                .collect()
        };
        assert!(
            labels("sync-group").contains(&reports::schema::USERSPACE_EMULATION_LABEL.to_string())
        );
        assert!(labels("link").is_empty());
    }

    #[test]
    fn a_cell_with_more_busy_threads_than_cpus_is_marked_oversubscribed() {
        let c = config(
            "modes = [\"default\", \"sqpoll\"]\nplacement = { submitters = [0], sqpoll = 0 }",
        );
        let cells = plan(&c, None);
        let marked: Vec<(&str, bool)> = cells
            .iter()
            .map(|cell| (cell.key.mode.as_str(), cell.oversubscribed.is_some()))
            .collect();
        assert_eq!(marked, [("default", false), ("sqpoll", true)]);
        let o = cells[1].oversubscribed.as_ref().unwrap();
        assert_eq!((o.busy_threads, o.cpus), (2, 1));
    }
}
