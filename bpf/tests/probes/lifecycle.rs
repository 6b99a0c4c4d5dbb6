//! Attach and detach per cell: counters reset, and nothing of ours stays
//! attached after a cell or loaded after the probes are dropped, on the
//! normal path, the drop path and the error path.

use std::{
    collections::BTreeSet,
    fs, thread,
    time::{Duration, Instant},
};

use aya::programs::{loaded_links, loaded_programs};
use bpf::{ProbeError, Probes};
use io_uring::{opcode, IoUring};

use crate::common::{child, child_lines, child_role, exclusive, probes_or_skip, run_batch, tgid};

const ATTACH_ERROR_TEST: &str = "lifecycle::a_failed_attach_leaves_nothing_attached";

/// Ids of loaded kernel programs carrying one of our names (any process's).
fn programs_named_like_ours() -> BTreeSet<u32> {
    let names: Vec<&str> = Probes::program_names().collect();
    loaded_programs()
        .filter_map(Result::ok)
        .filter(|info| info.name_as_str().is_some_and(|name| names.contains(&name)))
        .map(|info| info.id())
        .collect()
}

/// Loads the probes and tells which loaded programs are theirs: the ones
/// with our names that were not there before (another process may run the
/// same probes meanwhile).
fn load_and_find_ours() -> Result<(Probes, BTreeSet<u32>), ProbeError> {
    let before = programs_named_like_ours();
    let probes = Probes::load()?;
    let ours: BTreeSet<u32> = programs_named_like_ours()
        .difference(&before)
        .copied()
        .collect();
    Ok((probes, ours))
}

/// How many of `programs` are still loaded.
fn still_loaded(programs: &BTreeSet<u32>) -> usize {
    programs_named_like_ours().intersection(programs).count()
}

/// Links currently attaching one of `programs`.
fn links_of(programs: &BTreeSet<u32>) -> usize {
    loaded_links()
        .filter_map(Result::ok)
        .filter(|link| programs.contains(&link.program_id()))
        .count()
}

/// Waits for the kernel to free what it releases asynchronously. That it
/// goes is under test, not how fast: the 30 s bound only turns "never" into a
/// failure, and is generous for a loaded machine.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn finish_detaches_and_drop_unloads() {
    let _kernel = exclusive();
    let (mut probes, ours) = match load_and_find_ours() {
        Ok(loaded) => loaded,
        Err(error) if error.is_unsupported() => return eprintln!("skipped: {error}"),
        Err(error) => panic!("{error}"),
    };
    let expected = Probes::program_names().count() - probes.missing_tracepoints().len();
    assert_eq!(ours.len(), expected, "our programs are not all loaded");
    assert_eq!(links_of(&ours), 0, "attached before attach()");

    let attached = probes.attach(tgid()).unwrap();
    assert_eq!(links_of(&ours), expected);
    attached.finish().unwrap();
    eventually("links left after finish()", || links_of(&ours) == 0);

    // The drop path (an error or Ctrl-C unwinding through a cell).
    let attached = probes.attach(tgid()).unwrap();
    assert_eq!(links_of(&ours), expected);
    drop(attached);
    eventually("links left after dropping Attached", || {
        links_of(&ours) == 0
    });

    drop(probes);
    eventually("programs left after dropping Probes", || {
        still_loaded(&ours) == 0
    });
}

#[test]
fn each_cell_counts_only_its_own_events() {
    let _kernel = exclusive();
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let mut ring = IoUring::new(64).unwrap();
    let nop = opcode::Nop::new().build();
    let attached = probes.attach(tgid()).unwrap();
    run_batch(&mut ring, &vec![nop.clone(); 40]);
    assert_eq!(attached.finish().unwrap().submit_req, Some(40));

    // Between cells nothing is attached, so these are not counted anywhere.
    run_batch(&mut ring, &vec![nop.clone(); 30]);

    let attached = probes.attach(tgid()).unwrap();
    run_batch(&mut ring, &vec![nop; 10]);
    let counts = attached.finish().unwrap();
    assert_eq!(counts.submit_req, Some(10));
    assert_eq!(counts.complete, Some(10));
}

#[test]
fn a_failed_attach_leaves_nothing_attached() {
    if child_role().is_some() {
        return attach_with_too_few_descriptors();
    }
    let _kernel = exclusive();
    if probes_or_skip().is_none() {
        return;
    }
    let output = child(ATTACH_ERROR_TEST, "fd-limit").output().unwrap();
    let lines = child_lines(&output.stdout);
    eprintln!("child: {lines:#?}");
    assert!(output.status.success(), "child failed: {lines:?}");
    assert!(
        lines.iter().any(|line| line.starts_with("attach failed: ")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|line| line == "clean"), "{lines:?}");
}

/// Child role: attach with a descriptor limit that lets only a few links be
/// created, so attach() fails half-way through; then prove it undid itself.
fn attach_with_too_few_descriptors() {
    let (mut probes, ours) = load_and_find_ours().unwrap();
    assert!(!ours.is_empty());
    let open = fs::read_dir("/proc/self/fd").unwrap().count() as u64;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the struct they are given.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        let tight = libc::rlimit {
            rlim_cur: open + 3,
            rlim_max: limit.rlim_max,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &tight), 0);
    }
    let attached = probes.attach(tgid());
    // SAFETY: as above; raising the soft limit back up to the hard limit.
    unsafe {
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
    let error = attached
        .err()
        .expect("attach succeeded with 3 descriptors free");
    assert!(!error.is_unsupported(), "{error}");
    let message = error.to_string();
    assert!(message.contains("os error 24"), "not EMFILE: {message}");
    // Not the first program: some links were made and must have been undone.
    let first = Probes::program_names().next().unwrap();
    assert!(
        !message.contains(first),
        "failed at the first attach: {message}"
    );
    println!("child: attach failed: {error}");
    eventually("links left after a failed attach", || links_of(&ours) == 0);
    drop(probes);
    eventually("programs left after dropping Probes", || {
        still_loaded(&ours) == 0
    });
    println!("child: clean");
}
