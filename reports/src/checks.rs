//! What the names and numbers of a results line must be for the reports to
//! believe them. A results file is input from wherever it was produced (the
//! CI merges files other jobs uploaded), so a reader cannot take a timing of
//! −245 ns/step, or one of 0 that every ratio divides by, at its word: each
//! timing and count must be finite and positive (or zero where zero is a
//! possible reading), and a per-step figure must be its total over its
//! steps. Nor can it take any string as a name: a style, variant, mode, op
//! or sharing must be of the form the tool's own names have (at most
//! [`MAX_NAME`] of ASCII letters, digits and `-_:+.`), and a line's name must
//! be the name of its coordinates. A cell line that fails is skipped with a
//! warning like any malformed line (and `--resume` runs it again); a header
//! that fails (an anchor, a name in its registry) makes the file unreadable,
//! as any bad header does. What passes can be divided by, and used in a file
//! name or a table: no NaN or infinity comes out of a believed file.
//!
//! Names are checked for their form, not against the header's registry:
//! the registry is the file's own word too, and reports render styles it
//! does not list (an old file's bare `futex`, a control's `+broken`).
//! A forgery consistent with itself passes, as it must: these checks keep
//! impossible values out, not plausible lies.

use crate::sanitize::quoted;
use crate::schema::{
    CellKey, CellRecord, Header, LoadRecord, Profile, ReferenceSummary, ReferenceTiming,
    ReproOutcome, ReproRun, Timing,
};
use std::fmt;

/// The longest style, variant, mode, op or sharing name believed.
pub const MAX_NAME: usize = 64;

/// Why a line is not believed.
#[derive(Clone, Debug, PartialEq)]
pub enum Rejected {
    /// A number no measurement gives.
    Implausible(Implausible),
    /// A string that is not a name of the form the tool writes.
    NotAName {
        /// Where it is, e.g. `cell.op`.
        field: &'static str,
        /// What it is.
        value: String,
    },
    /// A reproducer run's counts contradict its outcome (held with broken
    /// passes, broken without, more broken passes than passes).
    Outcome {
        /// The outcome it states.
        outcome: ReproOutcome,
        /// Its broken passes.
        broken: u64,
        /// Its passes.
        passes: u64,
    },
    /// The line's name is not the name of its coordinates.
    Misnamed {
        /// The line's name.
        name: String,
        /// The name its coordinates give.
        expected: String,
    },
}

impl From<Implausible> for Rejected {
    fn from(i: Implausible) -> Rejected {
        Rejected::Implausible(i)
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejected::Implausible(i) => i.fmt(f),
            Rejected::NotAName { field, value } => write!(
                f,
                "{field} {} is not a name (at most {MAX_NAME} of A-Z a-z 0-9 - _ : + .)",
                quoted(value)
            ),
            Rejected::Outcome {
                outcome,
                broken,
                passes,
            } => write!(
                f,
                "outcome {} with {broken} of {passes} passes broken",
                outcome.word()
            ),
            Rejected::Misnamed { name, expected } => write!(
                f,
                "name {} is not its coordinates' name {expected:?}",
                quoted(name)
            ),
        }
    }
}

/// Checks that `value` has the form of a name of the tool's.
fn name(field: &'static str, value: &str, may_be_empty: bool) -> Result<(), Rejected> {
    let formed = value.len() <= MAX_NAME
        && (may_be_empty || !value.is_empty())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_:+.".contains(&b));
    if formed {
        Ok(())
    } else {
        Err(Rejected::NotAName {
            field,
            value: value.to_string(),
        })
    }
}

fn key(k: &CellKey) -> Result<(), Rejected> {
    name("cell.style", &k.style, false)?;
    name("cell.variant", &k.variant, true)?;
    name("cell.mode", &k.mode, false)?;
    name("cell.op", &k.op, false)?;
    name("cell.sharing", &k.sharing, false)
}

/// What a number must be.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// Finite and above zero (a time, a count of what always happens).
    Positive,
    /// Finite and at least zero (a count that may be zero).
    NonNegative,
    /// Finite and between 0 and 1.
    Fraction,
    /// Finite, of any sign (a difference of two medians).
    Finite,
    /// `total / steps`, to within rounding.
    PerStep {
        /// The field the total is read from.
        total: &'static str,
        /// What that total over the steps gives.
        expected: f64,
        /// The steps.
        steps: u64,
    },
}

/// A number a results line cannot have held honestly.
#[derive(Clone, Debug, PartialEq)]
pub struct Implausible {
    /// Where it is, e.g. `timing.ns_per_step`.
    pub field: String,
    /// What it is.
    pub value: f64,
    /// What it breaks.
    pub rule: Rule,
}

impl fmt::Display for Implausible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (field, value) = (&self.field, self.value);
        match self.rule {
            Rule::Positive => write!(f, "{field} is {value}, not a positive number"),
            Rule::NonNegative => write!(f, "{field} is {value}, not zero or more"),
            Rule::Fraction => write!(f, "{field} is {value}, not between 0 and 1"),
            Rule::Finite => write!(f, "{field} is {value}, not a finite number"),
            Rule::PerStep {
                total, expected, ..
            } => write!(
                f,
                "{field} is {value}, but {total} over the steps is {expected}"
            ),
        }
    }
}

/// Checks one number against `rule`.
fn check(field: impl Into<String>, value: f64, rule: Rule) -> Result<(), Implausible> {
    let holds = value.is_finite()
        && match rule {
            Rule::Positive => value > 0.0,
            Rule::NonNegative => value >= 0.0,
            Rule::Fraction => (0.0..=1.0).contains(&value),
            Rule::Finite => true,
            // Written as total as f64 / steps as f64; a writer that stores
            // the total as per_step × steps truncated is a nanosecond off.
            Rule::PerStep {
                expected, steps, ..
            } => {
                let (total, steps) = (expected * steps as f64, steps as f64);
                (value * steps - total).abs() <= 1.0 + total * 1e-12
            }
        };
    if holds {
        Ok(())
    } else {
        Err(Implausible {
            field: field.into(),
            value,
            rule,
        })
    }
}

/// Checks a count that must be at least one.
fn at_least_one(field: &'static str, value: u64) -> Result<(), Implausible> {
    check(field, value as f64, Rule::Positive)
}

/// Checks `value`, a figure per step, against `total` over `steps`.
fn per_step(
    field: &'static str,
    value: f64,
    total_field: &'static str,
    total: u64,
    steps: u64,
) -> Result<(), Implausible> {
    let expected = total as f64 / steps as f64;
    check(
        field,
        value,
        Rule::PerStep {
            total: total_field,
            expected,
            steps,
        },
    )
}

fn timing(t: &Timing) -> Result<(), Implausible> {
    at_least_one("timing.iterations", t.iterations)?;
    at_least_one("timing.steps", t.steps)?;
    at_least_one("timing.wall_ns", t.wall_ns)?;
    check("timing.ns_per_step", t.ns_per_step, Rule::Positive)?;
    check(
        "timing.cpu_ns_per_step",
        t.cpu_ns_per_step,
        Rule::NonNegative,
    )?;
    per_step(
        "timing.ns_per_step",
        t.ns_per_step,
        "timing.wall_ns",
        t.wall_ns,
        t.steps,
    )?;
    per_step(
        "timing.cpu_ns_per_step",
        t.cpu_ns_per_step,
        "timing.cpu_ns",
        t.cpu_ns,
        t.steps,
    )
}

fn reference_timing(t: &ReferenceTiming) -> Result<(), Implausible> {
    at_least_one("reference_timing.iterations", t.iterations)?;
    at_least_one("reference_timing.steps", t.steps)?;
    at_least_one("reference_timing.wall_ns", t.wall_ns)?;
    at_least_one("reference_timing.checked_wall_ns", t.checked_wall_ns)?;
    check(
        "reference_timing.ns_per_step",
        t.ns_per_step,
        Rule::Positive,
    )?;
    check(
        "reference_timing.checked_ns_per_step",
        t.checked_ns_per_step,
        Rule::Positive,
    )?;
    per_step(
        "reference_timing.ns_per_step",
        t.ns_per_step,
        "reference_timing.wall_ns",
        t.wall_ns,
        t.steps,
    )?;
    per_step(
        "reference_timing.checked_ns_per_step",
        t.checked_ns_per_step,
        "reference_timing.checked_wall_ns",
        t.checked_wall_ns,
        t.steps,
    )
}

fn reference(r: &ReferenceSummary) -> Result<(), Implausible> {
    check("reference.ns_per_step", r.ns_per_step, Rule::Positive)?;
    check(
        "reference.checked_ns_per_step",
        r.checked_ns_per_step,
        Rule::Positive,
    )?;
    check(
        "reference.order_check_ns_per_step",
        r.order_check_ns_per_step,
        Rule::Finite,
    )?;
    check(
        "reference.harness_overhead",
        r.harness_overhead,
        Rule::Positive,
    )?;
    r.cv.map_or(Ok(()), |cv| check("reference.cv", cv, Rule::NonNegative))
}

fn profile(p: &Profile) -> Result<(), Implausible> {
    for c in &p.counters {
        let field = |what: &str| format!("profile.counters.{}.{what}", c.name);
        for (what, value, rule) in [
            ("value", c.value, Rule::NonNegative),
            ("per_step", c.per_step, Rule::NonNegative),
            ("running_fraction", c.running_fraction, Rule::Fraction),
        ] {
            value.map_or(Ok(()), |v| check(field(what), v, rule))?;
        }
    }
    for (name, &v) in &p.probes_per_step {
        check(
            format!("profile.probes_per_step.{name}"),
            v,
            Rule::NonNegative,
        )?;
    }
    p.overhead_ratio.map_or(Ok(()), |v| {
        check("profile.overhead_ratio", v, Rule::Positive)
    })?;
    p.enter_budget_per_step.map_or(Ok(()), |v| {
        check("profile.enter_budget_per_step", v, Rule::NonNegative)
    })
}

/// Checks a line's cell key and that its name is the one the key gives.
fn named(name: &str, cell: &CellKey) -> Result<(), Rejected> {
    key(cell)?;
    let expected = cell.name();
    if name != expected {
        return Err(Rejected::Misnamed {
            name: name.to_string(),
            expected,
        });
    }
    Ok(())
}

/// Checks the names and every number of a cell line.
pub fn cell(r: &CellRecord) -> Result<(), Rejected> {
    named(&r.name, &r.cell)?;
    r.timing.as_ref().map_or(Ok(()), timing)?;
    r.reference_timing
        .as_ref()
        .map_or(Ok(()), reference_timing)?;
    r.reference.as_ref().map_or(Ok(()), reference)?;
    r.profile.as_ref().map_or(Ok(()), profile)?;
    if let Some(s) = &r.stopping {
        check("stopping.target", s.target, Rule::Positive)?;
        s.precision.map_or(Ok(()), |p| {
            check("stopping.precision", p, Rule::NonNegative)
        })?;
    }
    Ok(())
}

/// Checks the names of a reproducer run line (its cell, and its finding's study
/// and axis) and that its counts are
/// those its outcome needs: a run that held or broke ran passes, and broke
/// in none or at least one of them; one skipped or failed ran none.
pub fn repro(r: &ReproRun) -> Result<(), Rejected> {
    named(&r.name, &r.cell)?;
    if let Some(f) = &r.finding {
        name("finding.study", &f.study, false)?;
        name("finding.axis", &f.axis, false)?;
    }
    let consistent = r.broken <= r.passes
        && match r.outcome {
            ReproOutcome::Held => r.passes > 0 && r.broken == 0,
            ReproOutcome::Broken => r.broken > 0,
            ReproOutcome::Skipped | ReproOutcome::Failed => r.passes == 0,
        };
    match consistent {
        true => Ok(()),
        false => Err(Rejected::Outcome {
            outcome: r.outcome,
            broken: r.broken,
            passes: r.passes,
        }),
    }
}

/// Checks every number of a load line: a share of time stolen, a load
/// average, a duration; its family is free text (sanitized on reading).
pub fn load(l: &LoadRecord) -> Result<(), Rejected> {
    check("load.steal", l.steal, Rule::Fraction)?;
    check("load.load1", l.load1, Rule::NonNegative)?;
    check("load.seconds", l.seconds, Rule::NonNegative)?;
    at_least_one("load.cpus", u64::from(l.cpus))?;
    Ok(())
}

/// Checks the names of a header's registry, and its anchors, which
/// findings divide by.
pub fn header(h: &Header) -> Result<(), Rejected> {
    for s in h.registry.iter().flat_map(|r| &r.styles) {
        name("registry.styles.name", &s.name, false)?;
        for v in &s.variants {
            name("registry.styles.variants", v, false)?;
        }
    }
    for m in h.registry.iter().flat_map(|r| &r.modes) {
        name("registry.modes", m, false)?;
    }
    for a in &h.anchors {
        let field = |what: &str| format!("anchors.{}.{what}", a.name);
        a.ns.map_or(Ok(()), |v| check(field("ns"), v, Rule::Positive))?;
        for (what, value) in [
            ("ci_low", a.ci_low),
            ("ci_high", a.ci_high),
            ("precision", a.precision),
        ] {
            value.map_or(Ok(()), |v| check(field(what), v, Rule::NonNegative))?;
        }
    }
    if let Some(c) = &h.calibration {
        check(
            "calibration.target_precision",
            c.target_precision,
            Rule::Positive,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(ns_per_step: f64, wall_ns: u64, steps: u64) -> Timing {
        Timing {
            iterations: 1,
            steps,
            wall_ns,
            cpu_ns: wall_ns,
            ns_per_step,
            cpu_ns_per_step: wall_ns as f64 / steps as f64,
        }
    }

    /// A reproducer run whose counts contradict its outcome is not
    /// believed; one whose counts fit it is.
    #[test]
    fn repro_runs_must_fit_their_outcome() {
        use crate::schema::{ReproOutcome, ReproRun};
        let key = CellKey {
            style: "link".into(),
            variant: String::new(),
            mode: "default".into(),
            op: "nop".into(),
            forced_async: false,
            groups: 1,
            steps: 8,
            batch: 8,
            submitters: 1,
            sharing: "per-submitter".into(),
        };
        let run = |outcome, passes, broken| ReproRun {
            name: key.name(),
            cell: key.clone(),
            run: 0,
            outcome,
            passes,
            broken,
            first: None,
            reason: None,
            reason_code: None,
            finding: None,
            finished_unix: 0,
        };
        assert_eq!(repro(&run(ReproOutcome::Held, 10, 0)), Ok(()));
        assert_eq!(repro(&run(ReproOutcome::Broken, 10, 10)), Ok(()));
        assert_eq!(repro(&run(ReproOutcome::Skipped, 0, 0)), Ok(()));
        for (outcome, passes, broken) in [
            (ReproOutcome::Held, 10, 1),
            (ReproOutcome::Held, 0, 0),
            (ReproOutcome::Broken, 10, 0),
            (ReproOutcome::Broken, 3, 4),
            (ReproOutcome::Failed, 5, 0),
        ] {
            let why = repro(&run(outcome, passes, broken)).unwrap_err();
            assert_eq!(
                why.to_string(),
                format!(
                    "outcome {} with {broken} of {passes} passes broken",
                    outcome.word()
                )
            );
        }
        let mut misnamed = run(ReproOutcome::Held, 1, 0);
        misnamed.name = "link/default/nop/g1-s8-b4-t1".into();
        assert!(matches!(repro(&misnamed), Err(Rejected::Misnamed { .. })));
        let mut found = run(ReproOutcome::Held, 1, 0);
        found.finding = Some(crate::schema::ReproFinding {
            study: "shared-sqpoll-split".into(),
            place: "link/sqpoll-shared/nop g1-t1".into(),
            axis: "steps".into(),
            value: "8".into(),
        });
        assert_eq!(repro(&found), Ok(()));
        if let Some(f) = found.finding.as_mut() {
            f.study = "../../etc".into();
        }
        assert!(matches!(
            repro(&found),
            Err(Rejected::NotAName {
                field: "finding.study",
                ..
            })
        ));
    }

    #[test]
    fn a_timing_must_be_positive_and_its_total_over_its_steps() {
        assert_eq!(timing(&timed(125.0, 1000, 8)), Ok(()));
        let negative = timing(&timed(-245.0, 1000, 8)).unwrap_err();
        assert_eq!(negative.field, "timing.ns_per_step");
        assert_eq!(
            negative.to_string(),
            "timing.ns_per_step is -245, not a positive number"
        );
        assert_eq!(
            timing(&timed(0.0, 1000, 8)).unwrap_err().rule,
            Rule::Positive
        );
        let forged = timing(&timed(1.0, 1000, 8)).unwrap_err();
        assert_eq!(
            forged.to_string(),
            "timing.ns_per_step is 1, but timing.wall_ns over the steps is 125"
        );
        assert_eq!(
            timing(&timed(125.0, 1000, 0)).unwrap_err().field,
            "timing.steps"
        );
        // A writer that truncates the total is within rounding.
        let (steps, ns) = (10_000u64, 123.456_789);
        let total = (ns * steps as f64) as u64;
        let truncated = Timing {
            cpu_ns: total,
            cpu_ns_per_step: ns,
            ..timed(ns, total, steps)
        };
        assert_eq!(timing(&truncated), Ok(()));
    }

    #[test]
    fn names_have_the_tools_form_and_a_line_is_named_by_its_coordinates() {
        let mut k = CellKey {
            style: "futex".into(),
            variant: "private-fresh".into(),
            mode: "sqpoll+registered-ring".into(),
            op: "socket:unix".into(),
            forced_async: true,
            groups: 1,
            steps: 8,
            batch: 4,
            submitters: 2,
            sharing: "shared".into(),
        };
        assert_eq!(key(&k), Ok(()));
        let line = |k: &CellKey, name: String| {
            let mut r: CellRecord = serde_json::from_value(serde_json::json!({
                "name": "", "cell": k, "pass": "timing", "rep": 0, "status": "skipped",
                "finished_unix": 0
            }))
            .unwrap();
            r.name = name;
            r
        };
        assert_eq!(cell(&line(&k, k.name())), Ok(()));
        assert_eq!(
            cell(&line(&k, "drain/default/nop/g1-s8-b4-t1".into()))
                .unwrap_err()
                .to_string(),
            format!(
                "name \"drain/default/nop/g1-s8-b4-t1\" is not its coordinates' name {:?}",
                k.name()
            )
        );
        k.op = "x".repeat(300);
        assert_eq!(
            cell(&line(&k, k.name())).unwrap_err().to_string(),
            format!(
                "cell.op {:?}… is not a name (at most 64 of A-Z a-z 0-9 - _ : + .)",
                "x".repeat(40)
            )
        );
        k.op = "<img onerror=x>".into();
        assert!(matches!(
            cell(&line(&k, k.name())),
            Err(Rejected::NotAName {
                field: "cell.op",
                ..
            })
        ));
    }

    #[test]
    fn counts_may_be_zero_but_fractions_stay_fractions() {
        let mut p = Profile {
            probes_per_step: [("submit_req".to_string(), 0.0)].into(),
            ..Profile::default()
        };
        assert_eq!(profile(&p), Ok(()));
        p.probes_per_step.insert("link".into(), -1.0);
        assert_eq!(
            profile(&p).unwrap_err().to_string(),
            "profile.probes_per_step.link is -1, not zero or more"
        );
        assert!(check("f", 1.5, Rule::Fraction).is_err());
        assert!(check("f", f64::NAN, Rule::Finite).is_err());
        assert!(check("f", -3.0, Rule::Finite).is_ok());
    }
}
