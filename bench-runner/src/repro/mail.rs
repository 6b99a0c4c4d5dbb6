//! `repro --mail`: the bug report a reproducer makes, as plain text in the
//! io-uring list's conventions: at most 72 columns (the subject folded as a
//! header is), a subject built from what broke, what was expected and what
//! happened with the rate and first violation as the reproducer printed
//! them, the kernel and machine, the reproducer inline when it is short and
//! narrow enough (else named as the attachment) and the exact commands.
//! With the runs of other kernels (`--kernels`), the kernel section says
//! on which the behaviour is present, in how many runs; and where the
//! reproducer held on this machine but broke on another kernel, the subject
//! and "What happened" come from that kernel's runs, and the mail says
//! plainly that it did not reproduce here.

use crate::plan::PlannedCell;
use reports::render::mail::{command_lines, wrap, MAIL_WIDTH};

/// Most lines a reproducer may have to go inline; longer ones are attached.
pub const INLINE_LINES: usize = 150;

/// What a run of a reproducer printed: the figures the mail copies.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSummary {
    /// Its `ns/step ...` line.
    pub timing: String,
    /// Its `order broken in ...` or `order held in ...` line.
    pub verdict: String,
    /// The first violation, when the order broke.
    pub first: Option<String>,
}

impl RunSummary {
    /// Reads a reproducer's standard output; `None` when a line is missing.
    pub fn parse(stdout: &str) -> Option<RunSummary> {
        let line = |prefix: &str| stdout.lines().find(|l| l.starts_with(prefix));
        let verdict = line("order broken in ").or_else(|| line("order held in "))?;
        Some(RunSummary {
            timing: line("ns/step ")?.to_string(),
            verdict: verdict.to_string(),
            first: verdict.split_once(", first: ").map(|(_, f)| f.to_string()),
        })
    }
}

/// Where the behaviour was present on another kernel: what the mail says
/// happened when the reproducer held on this machine.
#[derive(Clone, Debug, PartialEq)]
pub struct PresentElsewhere {
    /// The kernel it broke on, as the reports describe it (release,
    /// package, emulated).
    pub kernel: String,
    /// Its runs there with their Wilson interval, and the passes
    /// (`reports::analysis::presence::KernelPresence::rate`).
    pub rate: String,
    /// The first violation there.
    pub first: Option<String>,
}

/// What happened, as the mail tells it.
pub enum Happened<'a> {
    /// The reproducer broke on this machine: what it printed.
    Here(&'a RunSummary),
    /// It held here (what it printed) but broke on another kernel.
    Elsewhere {
        /// What it printed here.
        here: &'a RunSummary,
        /// Its runs on the kernel where it broke.
        there: &'a PresentElsewhere,
    },
}

impl Happened<'_> {
    /// The first violation the subject is built from.
    fn first(&self) -> Option<&str> {
        match self {
            Happened::Here(run) => run.first.as_deref(),
            Happened::Elsewhere { there, .. } => there.first.as_deref(),
        }
    }
}

/// Where the mail's facts come from besides the cell.
pub struct MailFacts<'a> {
    /// What happened, here or on another kernel.
    pub happened: Happened<'a>,
    /// The reproducer's source.
    pub source: &'a str,
    /// The kernel release it ran on.
    pub kernel: &'a str,
    /// The CPU model and count.
    pub machine: &'a str,
    /// The command that made the reproducer and this mail.
    pub command: &'a [String],
    /// The line it was built with.
    pub build: &'a str,
    /// Where its behaviour is present and where not, across the kernels of
    /// `bench-runner presence` runs (`repro --kernels`).
    pub presence: Option<&'a str>,
}

/// The mode as the subject names it, or nothing for the default mode.
fn mode_words(cell: &PlannedCell) -> Option<&'static str> {
    let mode = cell.spec.mode.mode;
    match (
        mode.shared_poller,
        mode.sqpoll,
        mode.defer_taskrun,
        mode.coop_taskrun,
    ) {
        (true, ..) => Some("shared SQPOLL"),
        (_, true, ..) => Some("SQPOLL"),
        (_, _, true, _) => Some("DEFER_TASKRUN"),
        (_, _, _, true) => Some("COOP_TASKRUN"),
        _ => None,
    }
}

/// What orders the steps, as the subject and the expectation name it.
fn mechanism(cell: &PlannedCell) -> String {
    match (cell.key.style.as_str(), cell.key.variant.as_str()) {
        ("link", _) => "IOSQE_IO_LINK chains".into(),
        ("hardlink", _) => "IOSQE_IO_HARDLINK chains".into(),
        ("drain", _) => "IOSQE_IO_DRAIN steps".into(),
        ("futex", v) => format!("{} FUTEX_WAIT chains", v.trim_end_matches("-fresh")),
        ("msg-ring", _) => "MSG_RING-driven steps".into(),
        (style, _) => format!("{style} steps"),
    }
}

/// The subject: what broke, where, and how, from the first violation.
pub fn subject(cell: &PlannedCell, first: Option<&str>) -> String {
    let first = first.unwrap_or("");
    let under = mode_words(cell).map_or(String::new(), |m| format!(" under {m}"));
    let body = if first.starts_with("lost wakeup") {
        let fresh = cell.key.variant.ends_with("-fresh");
        format!(
            "{} FUTEX_WAIT {}never woken{under}",
            cell.key.variant.trim_end_matches("-fresh"),
            if fresh {
                "armed before a process's first extra thread is "
            } else {
                "is "
            }
        )
    } else if let (Some(words), true) = (mode_words(cell), overtaken(first)) {
        let sqes = cell.spec.shape.batch.min(cell.spec.shape.steps) * cell.spec.op.parts();
        match cell.key.style.as_str() {
            "link" | "hardlink" => format!("{words} splits {} of {sqes} SQEs", mechanism(cell)),
            _ => format!("{} complete out of order{under}", mechanism(cell)),
        }
    } else {
        format!("{} complete out of order{under}", mechanism(cell))
    };
    format!("[BUG] io_uring: {body}")
}

/// Whether a later step of a group completed before its first: the part of
/// a chain that a split let run ahead.
fn overtaken(first: &str) -> bool {
    first.contains("expected seq 0 got ")
}

/// What the cell expects, in a sentence.
fn expected(cell: &PlannedCell) -> String {
    let shape = cell.spec.shape;
    let how = match cell.key.style.as_str() {
        style @ ("link" | "hardlink") => format!(
            "the steps a group has in one submission are one chain, IOSQE_IO_{} \
             on each but the last",
            style.to_uppercase()
        ),
        "drain" => "every step carries IOSQE_IO_DRAIN".into(),
        "userspace" => "each step is submitted after the previous one's CQE".into(),
        "futex" => {
            "each chain waits (FUTEX_WAIT) on the word the group's previous chain bumps and wakes"
                .into()
        }
        "msg-ring" => "a reactor thread runs each group's steps one after another".into(),
        other => format!("style {other} orders them"),
    };
    let flags = cell.spec.mode.mode.setup_flag_names();
    let ring = if flags.is_empty() {
        "a ring set up without flags".to_string()
    } else {
        format!("a ring set up with {}", flags.join(" | "))
    };
    let shared = if cell.spec.mode.mode.shared_poller {
        ", its SQPOLL thread shared with a second ring (IORING_SETUP_ATTACH_WQ)"
    } else {
        ""
    };
    format!(
        "{} group(s) of {} {} steps, {} steps per submission, on {ring}{shared}; {how}. \
         Each group's steps complete in order, every pass.",
        shape.groups, shape.steps, cell.key.op, shape.batch
    )
}

/// The mail.
pub fn render(cell: &PlannedCell, facts: &MailFacts<'_>) -> String {
    let mut lines = wrap(
        &subject(cell, facts.happened.first()),
        MAIL_WIDTH,
        "Subject: ",
        " ",
    );
    let mut section = |title: &str, body: Vec<String>| {
        lines.push(String::new());
        lines.push(title.to_string());
        lines.extend(body);
    };
    let para = |text: &str| wrap(text, MAIL_WIDTH, "  ", "  ");
    section("Expected", para(&expected(cell)));
    let happened = match &facts.happened {
        Happened::Here(run) => [para(&run.verdict), para(&format!("({})", run.timing))].concat(),
        Happened::Elsewhere { here, there } => {
            let first = there
                .first
                .as_ref()
                .map_or(String::new(), |f| format!(", first: {f}"));
            [
                para(&format!(
                    "On Linux {}, order broken in {}{first}.",
                    there.kernel, there.rate
                )),
                vec![String::new()],
                para(&format!(
                    "It did not reproduce on this machine (Linux {}): {}; {}.",
                    facts.kernel, here.verdict, here.timing
                )),
            ]
            .concat()
        }
    };
    section("What happened", happened);
    let mut machine = para(&format!("Linux {}, {}", facts.kernel, facts.machine));
    if let Some(presence) = facts.presence {
        machine.push(String::new());
        machine.extend(para(presence));
    }
    section("Kernel and machine", machine);
    let source_lines = facts.source.lines().count();
    let narrow = facts
        .source
        .lines()
        .all(|l| l.chars().count() <= MAIL_WIDTH);
    let reproducer = if source_lines < INLINE_LINES && narrow {
        facts.source.lines().map(str::to_string).collect()
    } else {
        para(&format!(
            "Attached: repro.c ({source_lines} lines, liburing and libc only), \
             a program of cell {} of uring-syncbench.",
            cell.name
        ))
    };
    section("Reproducer", reproducer);
    let mut commands = command_lines(facts.command);
    commands.extend(command_lines(
        &facts.build.split(' ').map(String::from).collect::<Vec<_>>(),
    ));
    commands.extend(command_lines(&["./repro".into()]));
    section("Commands", commands);
    lines.push(String::new());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repro::cell::find;

    const SPLIT: &str = "cell link/sqpoll-shared/nop/g1-s16-b16-t1 on Linux 6.18.0\n\
        ns/step 3488.5 over 4,096 passes of 16 steps\n\
        order broken in 4,091 of 4,096 passes (99.9%, 95% CI 99.7-99.9%), first: out of order (cqe): group 0 expected seq 0 got 8\n";

    fn mail(cell: &str, stdout: &str, source: &str) -> (String, RunSummary) {
        mail_with(cell, stdout, source, None)
    }

    fn mail_with(
        cell: &str,
        stdout: &str,
        source: &str,
        presence: Option<&str>,
    ) -> (String, RunSummary) {
        let cell = find(cell, None).expect("a cell");
        let run = RunSummary::parse(stdout).expect("a summary");
        let command: Vec<String> = ["bench-runner", "repro", &cell.name, "--mail"]
            .map(String::from)
            .to_vec();
        let facts = MailFacts {
            happened: Happened::Here(&run),
            source,
            kernel: "6.18.0",
            machine: "Intel(R) Xeon(R) Processor, 2 CPUs",
            command: &command,
            build: crate::repro::BUILD,
            presence,
        };
        (render(&cell, &facts), run)
    }

    /// Every line within 72 columns, the subject as given, and the mail's
    /// sections in order of reading.
    fn assert_mail_shape(text: &str, subject: &str) {
        assert!(
            text.lines().all(|l| l.chars().count() <= MAIL_WIDTH),
            "{text}"
        );
        assert!(text.starts_with(subject), "{text}");
        for title in [
            "Expected",
            "What happened",
            "Kernel and machine",
            "Reproducer",
            "Commands",
        ] {
            assert!(text.contains(&format!("\n\n{title}\n")), "{title}: {text}");
        }
    }

    #[test]
    fn the_split_mail_keeps_to_the_lists_rules_and_copies_the_run() {
        let source = "int main(void) { return 0; }\n".repeat(200);
        let (text, run) = mail("link/sqpoll-shared/nop/g1-s16-b16-t1", SPLIT, &source);
        assert_mail_shape(
            &text,
            "Subject: [BUG] io_uring: shared SQPOLL splits IOSQE_IO_LINK chains of 16\n SQEs\n",
        );
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&run.verdict), "{flat}");
        assert!(flat.contains("first: out of order (cqe): group 0 expected seq 0 got 8"));
        assert!(flat.contains("Attached: repro.c (200 lines"), "{flat}");
        assert!(text.contains("  gcc -O2 -o repro repro.c -luring -lpthread\n  ./repro\n"));
    }

    #[test]
    fn a_short_narrow_reproducer_goes_inline_and_a_lost_wakeup_names_the_futex() {
        let stdout = "ns/step 40000.0 over 512 passes of 16 steps\n\
            order broken in 3 of 512 passes (0.6%, 95% CI 0.2-1.7%), first: lost wakeup (group 0, step 2, scope private)\n";
        let (text, _) = mail(
            "futex:private-fresh/defer-taskrun/nop/g2-s8-b2-t1",
            stdout,
            "int main(void) { return 0; }\n",
        );
        assert!(text.starts_with("Subject: [BUG] io_uring: private FUTEX_WAIT armed before a process's\n first extra thread is never woken under DEFER_TASKRUN\n"), "{text}");
        assert!(
            text.contains("\nReproducer\nint main(void) { return 0; }\n"),
            "{text}"
        );
    }

    /// The presence sentence goes under the kernel and machine, wrapped
    /// to the mail's width and copied word for word.
    #[test]
    fn the_presence_across_kernels_is_in_the_kernel_section() {
        let said = "The reproducer's behaviour is present on 6.12 and 7.2 in 20 of 20 runs, \
                    absent on 6.1 in 0 of 20; all emulated (qemu TCG: a rate, not a timing).";
        let (text, _) = mail_with(
            "link/sqpoll-shared/nop/g1-s16-b16-t1",
            SPLIT,
            "int main(void) { return 0; }\n",
            Some(said),
        );
        assert!(
            text.lines().all(|l| l.chars().count() <= MAIL_WIDTH),
            "{text}"
        );
        let section: Vec<&str> = text
            .split("\n\nKernel and machine\n")
            .nth(1)
            .and_then(|rest| rest.split("\n\nReproducer\n").next())
            .expect("the kernel section")
            .lines()
            .collect();
        let flat = section
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(flat.contains(said), "{flat}");
    }

    /// Held here, broken on another kernel: the subject and "What
    /// happened" come from that kernel's runs, copied word for word, and
    /// the mail says it did not reproduce here; every line within 72
    /// columns, every section present.
    #[test]
    fn a_mail_from_another_kernels_runs_says_it_held_here() {
        let cell = find("futex:private-fresh/defer-taskrun/nop/g2-s8-b2-t1", None).unwrap();
        let here = RunSummary::parse(
            "ns/step 90000.0 over 4,096 passes of 16 steps\n\
             order held in all 4,096 passes (broken in at most 0.1%, 95% CI)\n",
        )
        .unwrap();
        let there = PresentElsewhere {
            kernel: "7.2.13+deb14-cloud-amd64 (sid 7.2.13-1, emulated)".into(),
            rate: "20 of 20 runs (95% CI 84-100%), 160 of 160 passes".into(),
            first: Some("lost wakeup (group 0, step 1, scope private)".into()),
        };
        let command: Vec<String> = ["bench-runner", "repro", &cell.name, "--mail"]
            .map(String::from)
            .to_vec();
        let text = render(
            &cell,
            &MailFacts {
                happened: Happened::Elsewhere {
                    here: &here,
                    there: &there,
                },
                source: "int main(void) { return 0; }\n",
                kernel: "6.18.0",
                machine: "Intel(R) Xeon(R) Processor, 2 CPUs",
                command: &command,
                build: crate::repro::BUILD,
                presence: None,
            },
        );
        assert_mail_shape(&text, "Subject: [BUG] io_uring: private FUTEX_WAIT armed");
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&format!(
                "On Linux {}, order broken in {}, first: {}.",
                there.kernel,
                there.rate,
                there.first.as_deref().unwrap()
            )),
            "{flat}"
        );
        assert!(
            flat.contains(&format!(
                "It did not reproduce on this machine (Linux 6.18.0): {}",
                here.verdict
            )),
            "{flat}"
        );
    }

    #[test]
    fn a_summary_needs_its_lines() {
        assert_eq!(
            RunSummary::parse("ns/step 1.0 over 1 passes of 1 steps\n"),
            None
        );
        let held = RunSummary::parse("ns/step 1.0 over 4 passes\norder held in all 4 passes (x)\n");
        assert_eq!(held.and_then(|r| r.first), None);
    }
}
