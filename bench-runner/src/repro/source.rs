//! The C source of a reproducer: one template per family of styles, one per
//! op, and the parts every program shares (`c/`), filled from the cell's
//! spec. A template names what it needs as `@KEY@`; filling it with a key it
//! was not given is an error, so a template and this file cannot drift apart
//! unnoticed (the unit tests render every cell a reproducer can express).

use crate::plan::PlannedCell;
use std::collections::BTreeMap;
use workloads::cell::ring_size;
use workloads::op::OpKind;
use workloads::probe::Need;

/// The build line every reproducer states and the tests run.
pub const BUILD: &str = "gcc -O2 -o repro repro.c -luring -lpthread";

/// The build line of a binary that runs where liburing is not installed
/// (liburing's static library, e.g. Debian's liburing-dev, and libc's).
pub const BUILD_STATIC: &str = "gcc -O2 -static -o repro repro.c -luring -lpthread";

/// Passes a reproducer runs unless told otherwise (`--passes`).
pub const DEFAULT_PASSES: u64 = 4096;
/// The longest it runs unless told otherwise (`--seconds`).
pub const DEFAULT_SECONDS: u32 = 10;

const COMMON: &str = include_str!("c/common.c");
const RECORDS: &str = include_str!("c/ops/records.c");
const STEPS: &str = include_str!("c/steps.c");
const MAIN: &str = include_str!("c/main.c");

/// Why a cell has no reproducer: the one line `repro` prints.
#[derive(thiserror::Error, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No template for the style (or this variant of it).
    #[error("style {0}: no reproducer template (independent, link, hardlink, drain, userspace, futex, msg-ring have one)")]
    Style(String),
    /// No template for the op.
    #[error("op {0}: no reproducer template (nop, timeout, pipe, file, fsync have one)")]
    Op(&'static str),
    /// A reproducer drives one ring from one thread.
    #[error("{0} submitters: a reproducer drives one ring from one submitter")]
    Submitters(u32),
    /// More groups than its user_data holds.
    #[error("{0} groups: a reproducer's user_data holds at most 65535")]
    Groups(u32),
    /// The cell is no runnable combination (the tool skips it too).
    #[error("{0}")]
    Combination(String),
    /// A template asks for a key the generator does not fill.
    #[error("template: no value for @{0}@")]
    Template(String),
}

/// How a style's template is filled, from its name and variant.
enum Family {
    /// `independent`, `drain`: a flag on every step's first SQE.
    Flagged(&'static str),
    /// `link`, `hardlink`: chains of the flag within a batch.
    Chain(&'static str),
    /// `userspace`.
    Userspace,
    /// `futex`: the words' scope, and whether each pass forks.
    Futex { private: bool, fresh: bool },
    /// `msg-ring`: one message per step, or per group run.
    MsgRing { per_step: bool },
}

impl Family {
    fn of(style: &str, variant: &str) -> Option<Family> {
        Some(match (style, variant) {
            ("independent", "") => Family::Flagged("0"),
            ("drain", "") => Family::Flagged("IOSQE_IO_DRAIN"),
            ("link", "") => Family::Chain("IOSQE_IO_LINK"),
            ("hardlink", "") => Family::Chain("IOSQE_IO_HARDLINK"),
            ("userspace", "") => Family::Userspace,
            ("futex", v) => {
                let (scope, fresh) = v
                    .split_once("-fresh")
                    .map_or((v, false), |(s, _)| (s, true));
                match scope {
                    "private" | "shared" => Family::Futex {
                        private: scope == "private",
                        fresh,
                    },
                    _ => return None,
                }
            }
            ("msg-ring", "step" | "group") => Family::MsgRing {
                per_step: variant == "step",
            },
            _ => return None,
        })
    }

    /// The template and what fills it.
    fn template(&self, keys: &mut BTreeMap<&'static str, String>) -> &'static str {
        let flag = |keys: &mut BTreeMap<_, _>, flag: &str| {
            keys.insert("FLAG", flag.to_string());
            keys.insert(
                "FLAG_NAME",
                if flag == "0" { "no flag" } else { flag }.to_string(),
            );
        };
        match *self {
            Family::Flagged(f) => {
                flag(keys, f);
                include_str!("c/styles/flagged.c")
            }
            Family::Chain(f) => {
                flag(keys, f);
                include_str!("c/styles/chain.c")
            }
            Family::Userspace => include_str!("c/styles/userspace.c"),
            Family::Futex { private, fresh } => {
                keys.insert("FRESH", u8::from(fresh).to_string());
                let (bit, scope) = match private {
                    true => ("| 128 /* FUTEX2_PRIVATE */", "private"),
                    false => ("", "shared"),
                };
                keys.insert("PRIVATE", bit.into());
                keys.insert("SCOPE", scope.into());
                include_str!("c/styles/futex.c")
            }
            Family::MsgRing { per_step } => {
                keys.insert("PER_STEP", u8::from(per_step).to_string());
                keys.insert("UNIT", if per_step { "step" } else { "group run" }.into());
                include_str!("c/styles/msg_ring.c")
            }
        }
    }
}

/// The op's template and what fills it.
fn op_template(
    op: OpKind,
    keys: &mut BTreeMap<&'static str, String>,
) -> Result<&'static str, Refusal> {
    match op {
        OpKind::Nop => Ok(include_str!("c/ops/nop.c")),
        OpKind::Timeout => Ok(include_str!("c/ops/timeout.c")),
        OpKind::Pipe => Ok(include_str!("c/ops/pipe.c")),
        OpKind::File | OpKind::Fsync => {
            let fsync = op == OpKind::Fsync;
            keys.insert("OP", op.name().into());
            keys.insert("PARTS", op.parts().to_string());
            keys.insert("DURABLE", u8::from(fsync).to_string());
            let (env, dir, about) = match fsync {
                true => (
                    "URING_SYNCBENCH_FSYNC_DIR",
                    workloads::op::DEFAULT_FSYNC_DIR,
                    ",\n * then IORING_OP_FSYNC (DATASYNC) of that file, linked after it",
                ),
                false => ("TMPDIR", "/tmp", ""),
            };
            keys.insert("DIR_ENV", env.into());
            keys.insert("DIR", dir.into());
            keys.insert("FSYNC_ABOUT", about.into());
            Ok(include_str!("c/ops/file.c"))
        }
        OpKind::Copy | OpKind::Socket(_) => Err(Refusal::Op(op.name())),
    }
}

/// What the program's header says about where it came from.
pub struct Provenance<'a> {
    /// The command that made it.
    pub command: &'a str,
    /// The kernel release it was made on.
    pub kernel: &'a str,
}

/// The reproducer of `cell`, or why it has none.
pub fn render(cell: &PlannedCell, made: &Provenance<'_>) -> Result<String, Refusal> {
    let spec = &cell.spec;
    let family = Family::of(spec.style.name(), &spec.variant)
        .ok_or_else(|| Refusal::Style(cell.key.name().split('/').next().unwrap_or("").into()))?;
    if spec.shape.submitters != 1 {
        return Err(Refusal::Submitters(spec.shape.submitters));
    }
    if spec.shape.groups > 0xffff {
        return Err(Refusal::Groups(spec.shape.groups));
    }
    let mut keys: BTreeMap<&'static str, String> = BTreeMap::new();
    let op = op_template(spec.op, &mut keys)?;
    let needs = spec.needs().map_err(|u| Refusal::Combination(u.reason))?;
    let style = family.template(&mut keys);
    let mode = spec.mode.mode;
    let flags = mode.setup_flag_names();
    let cpu = |c: Option<usize>| c.map_or("-1".to_string(), |c| c.to_string());
    let placement = &cell.placement;
    let helper = placement
        .helpers
        .values()
        .next()
        .and_then(|cpus| cpus.first().copied());
    let opcodes: Vec<String> = needs
        .iter()
        .filter_map(|n| match n {
            Need::Opcode(code, name) => Some(format!("{{ {code}, \"{name}\" }}")),
            _ => None,
        })
        .collect();
    let steps = spec.shape.steps_per_pass();
    keys.extend([
        ("CELL", cell.name.clone()),
        ("STYLE", spec.style.name().to_string()),
        ("VARIANT", spec.variant.clone()),
        ("ABOUT", spec.style.about().to_string()),
        ("GROUPS", spec.shape.groups.to_string()),
        ("STEPS", spec.shape.steps.to_string()),
        ("BATCH", spec.shape.batch.to_string()),
        ("RING_ENTRIES", spec.ring_entries.to_string()),
        ("CQ_ENTRIES", ring_size(spec, steps).cq.to_string()),
        (
            "SETUP_FLAGS",
            if flags.is_empty() { "0".into() } else { flags.join(" | ") },
        ),
        ("SHARED_POLLER", u8::from(mode.shared_poller).to_string()),
        ("REGISTERED_RING", u8::from(spec.mode.registered).to_string()),
        (
            "STEP_FLAGS",
            if spec.forced_async { "IOSQE_ASYNC" } else { "0" }.into(),
        ),
        ("SUBMITTER_CPU", cpu(placement.submitters.first().copied())),
        ("SQPOLL_CPU", cpu(placement.sqpoll)),
        ("HELPER_CPU", cpu(helper)),
        ("NEEDS", opcodes.join(", ")),
        ("PASSES", DEFAULT_PASSES.to_string()),
        ("SECONDS", DEFAULT_SECONDS.to_string()),
        (
            "SPLIT_HINT",
            c_string(if mode.shared_poller {
                "; a shared SQPOLL round takes at most 8 SQEs and may have split the chain, running the wake before the bump"
            } else {
                ""
            }),
        ),
    ]);
    let records = match spec.op {
        OpKind::Nop | OpKind::Timeout => "",
        _ => RECORDS,
    };
    let text = [
        header(cell, made).as_str(),
        COMMON,
        records,
        op,
        STEPS,
        style,
        MAIN,
    ]
    .concat();
    fill(&text, &keys)
}

/// The opening comment: what the program is, how to build and run it, and
/// where it came from.
fn header(cell: &PlannedCell, made: &Provenance<'_>) -> String {
    let lines = [
        format!("Cell {} of uring-syncbench,", cell.name),
        "as a program on liburing and libc alone.".into(),
        String::new(),
        format!("Build:   {BUILD}"),
        format!("Static:  {BUILD_STATIC}"),
        format!(
            "Run:     ./repro [--passes N] [--seconds S]   (default {DEFAULT_PASSES}, at most {DEFAULT_SECONDS} s)"
        ),
        "Exit:    0 order held, 1 order broken, 2 error, 77 a feature missing".into(),
        format!("Made by: {}", made.command),
        format!("On:      Linux {}, uring-syncbench {}", made.kernel, env!("CARGO_PKG_VERSION")),
        String::new(),
        format!("Mode {}: {}.", cell.spec.mode, cell.spec.mode.mode.about),
    ];
    let body: String = lines
        .iter()
        .map(|l| format!(" *{}{l}\n", if l.is_empty() { "" } else { " " }))
        .collect();
    format!("/*\n{body} */\n")
}

/// `text` as a C string literal.
fn c_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Replaces every `@KEY@` of `template` with its value.
fn fill(template: &str, keys: &BTreeMap<&'static str, String>) -> Result<String, Refusal> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after
            .find('@')
            .ok_or_else(|| Refusal::Template(after.chars().take(20).collect()))?;
        let key = &after[..end];
        out.push_str(
            keys.get(key)
                .ok_or_else(|| Refusal::Template(key.to_string()))?,
        );
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repro::cell::find;

    fn made() -> Provenance<'static> {
        Provenance {
            command: "bench-runner repro test",
            kernel: "6.18.0",
        }
    }

    fn source(name: &str) -> Result<String, Refusal> {
        render(&find(name, None).expect("a cell"), &made())
    }

    #[test]
    fn every_style_mode_and_op_with_a_template_fills_it_whole() {
        let styles = [
            "independent",
            "link",
            "hardlink",
            "drain",
            "userspace",
            "futex:shared",
            "futex:private",
            "futex:shared-fresh",
            "futex:private-fresh",
            "msg-ring:step",
            "msg-ring:group",
        ];
        let modes = workloads::mode::ModeSpec::allowed();
        for style in styles {
            for mode in &modes {
                for op in ["nop", "timeout", "pipe", "file", "fsync+async"] {
                    let name = format!("{style}/{mode}/{op}/g2-s8-b4-t1");
                    match source(&name) {
                        Ok(c) => {
                            assert!(c.starts_with("/*\n * Cell "), "{name}");
                            assert!(!c.contains('@'), "{name}: a key left unfilled");
                            assert!(c.contains(&format!("#define CELL \"{name}\"")));
                        }
                        Err(Refusal::Combination(why)) => {
                            assert!(
                                style.ends_with("-fresh") && mode.starts_with("sqpoll"),
                                "{name}: {why}"
                            )
                        }
                        Err(e) => panic!("{name}: {e}"),
                    }
                }
            }
        }
    }

    #[test]
    fn the_spec_decides_the_constants() {
        let c = source("link/sqpoll-shared/nop/g1-s16-b16-t1").unwrap();
        assert!(c.contains("static const unsigned setup_flags = IORING_SETUP_SQPOLL;"));
        assert!(c.contains("static const int shared_poller = 1;"));
        assert!(c.contains("#define LINK_FLAG IOSQE_IO_LINK"));
        assert!(c.contains("{ 0, \"NOP\" }"));
        let c = source("drain/defer-taskrun+registered-ring/fsync+async/g2-s4-b8-t1").unwrap();
        assert!(c.contains("IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;"));
        assert!(c.contains("static const int registered_ring = 1;"));
        assert!(c.contains("static const unsigned step_flags = IOSQE_ASYNC;"));
        assert!(c.contains("#define PARTS 2"));
        assert!(c.contains("URING_SYNCBENCH_FSYNC_DIR"));
    }

    #[test]
    fn a_cell_without_a_template_is_refused_by_name() {
        let err = |name: &str| source(name).expect_err("refused").to_string();
        assert!(
            err("sync-group:queue/default/nop/g2-s8-b8-t1").starts_with("style sync-group:queue:")
        );
        assert!(err("link/default/copy/g2-s8-b8-t1").starts_with("op copy:"));
        assert!(err("link/default/nop/g2-s8-b8-t2-shared").starts_with("2 submitters"));
        assert!(err("futex:private-fresh/sqpoll/nop/g2-s8-b2-t1").contains("SQPOLL thread"));
    }

    #[test]
    fn an_unknown_key_is_an_error_not_a_hole() {
        let keys = BTreeMap::from([("A", "1".to_string())]);
        assert_eq!(fill("x @A@ y", &keys), Ok("x 1 y".into()));
        assert_eq!(fill("@B@", &keys), Err(Refusal::Template("B".into())));
    }
}
