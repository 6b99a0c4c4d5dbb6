//! Expanding a config into its cells: every combination of the axes, in an
//! order that runs the styles of one point next to each other, so that they are
//! compared under the same conditions.

use crate::config::Config;
use itertools::iproduct;
use reports::schema::{CellKey, Oversubscribed, PlacementRecord};
use workloads::cell::{CellSpec, Shape};
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

/// Matches `*` wildcards against the whole name; without `*`, a substring match.
pub fn matches(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return name.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    rest.is_empty()
}

/// Every cell of the config, deduplicated, optionally filtered by name.
pub fn plan(config: &Config, filter: Option<&str>) -> Vec<PlannedCell> {
    let c = config;
    let mut cells: Vec<PlannedCell> = Vec::new();
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
        if filter.is_some_and(|f| !matches(f, &name)) || !seen.insert(name.clone()) {
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
    cells
}

#[cfg(test)]
mod tests {
    use super::{matches, plan};
    use crate::config::Config;

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
        plan(config, filter).into_iter().map(|c| c.name).collect()
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
    fn globs() {
        assert!(matches("link/", "link/default/nop/g1-s8-b8-t1"));
        assert!(matches("link/*/nop/*", "link/default/nop/g1-s8-b8-t1"));
        assert!(!matches("link/*/pipe/*", "link/default/nop/g1-s8-b8-t1"));
        assert!(matches("*-t1", "link/default/nop/g1-s8-b8-t1"));
        assert!(!matches("hard*", "link/default/nop/g1-s8-b8-t1"));
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
        let cell = &plan(&c, None)[0];
        assert_eq!((cell.spec.shape.batch, cell.key.batch), (6, 6));
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
