//! Which program of bpf/profile.bpf.c attaches to which tracepoint.

/// One tp_btf program of the profile object.
#[derive(Debug)]
pub(crate) struct ProgramSpec {
    /// Function name in bpf/profile.bpf.c; also the kernel's name for the
    /// loaded program (at most 15 characters, so it is never truncated).
    pub(crate) program: &'static str,
    /// The tracepoint it attaches to (`btf_trace_<name>` in kernel BTF).
    pub(crate) tracepoint: &'static str,
}

const fn spec(program: &'static str, tracepoint: &'static str) -> ProgramSpec {
    ProgramSpec {
        program,
        tracepoint,
    }
}

/// Every program of the profile object. `ursb_create` feeds no counter: it
/// records rings the process creates while attached.
pub(crate) const PROGRAMS: &[ProgramSpec] = &[
    spec("ursb_create", "io_uring_create"),
    spec("ursb_submit_req", "io_uring_submit_req"),
    spec("ursb_complete", "io_uring_complete"),
    spec("ursb_async_work", "io_uring_queue_async_work"),
    spec("ursb_task_add", "io_uring_task_add"),
    spec("ursb_tw_run", "io_uring_task_work_run"),
    spec("ursb_local_run", "io_uring_local_work_run"),
    spec("ursb_link", "io_uring_link"),
    spec("ursb_fail_link", "io_uring_fail_link"),
    spec("ursb_cq_wait", "io_uring_cqring_wait"),
    spec("ursb_defer", "io_uring_defer"),
    spec("ursb_switch", "sched_switch"),
    spec("ursb_waking", "sched_waking"),
    spec("ursb_wakeup", "sched_wakeup"),
    spec("ursb_sys_enter", "sys_enter"),
];
