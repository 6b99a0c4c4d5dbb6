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
}
