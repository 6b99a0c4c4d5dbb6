// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * Profile-pass probes of uring-syncbench: per-cell counters of io_uring
 * events and scheduler activity of ONE process (the target tgid), read by the
 * aya loader in bpf/src/. All programs are tp_btf (BTF raw tracepoints); the
 * kernel this runs on has no kprobes.
 *
 * Filtering (see bpf/src/lib.rs for the same rules from the reader's side):
 *  - Events that always fire in a thread of the submitting process
 *    (submit_req, link, defer, cqring_wait, local_work_run, task_work_run,
 *    create) count when the current task's tgid is the target (the two work
 *    runs only when they ran at least one item). The app
 *    threads, the SQPOLL thread (iou-sqp-*) and the io-wq workers (iou-wrk-*)
 *    all share the process's tgid. Those carrying a ring also record that
 *    ring (struct io_ring_ctx *) in `rings` as belonging to the target.
 *  - Events that may fire elsewhere (complete, task_add, queue_async_work,
 *    fail_link: hrtimer and device interrupts, another process's pipe write
 *    waking a poll, the fallback kworker) count when their ring is in `rings`
 *    and ignore the current task. A request's submit_req always precedes its
 *    completion events, so its ring is known by then.
 *  - Scheduler events count when the task switched out (sched_switch) or
 *    woken (sched_wakeup) belongs to the target, whoever caused it.
 *  - System calls (sys_enter) count when the calling task is the target's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* Counter slots; the order is mirrored by the `counters!` table in bpf/src/counts.rs. */
enum counter {
	SUBMIT_REQ,
	COMPLETE,
	QUEUE_ASYNC_WORK,
	TASK_ADD,
	TASK_WORK_RUN,
	LOCAL_WORK_RUN,
	LINK,
	FAIL_LINK,
	CQRING_WAIT,
	DEFER,
	CTX_SWITCHES_APP,
	CTX_SWITCHES_SQP,
	CTX_SWITCHES_WRK,
	WAKEUPS,
	WAKEUPS_CROSS_CPU,
	SYSCALLS,
	IO_URING_ENTER,
	NR_COUNTERS,
};

/* Per-CPU so increments need no atomics: a tp_btf program never nests on one CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_COUNTERS);
	__type(key, u32);
	__type(value, u64);
} counters SEC(".maps");

/* Slot 0: tgid of the process under measurement; 0 counts nothing. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} target SEC(".maps");

/* Rings (struct io_ring_ctx addresses) seen in use by the target process. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, u8);
} rings SEC(".maps");

/* CPU each target thread was being woken from, between sched_waking and sched_wakeup. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u32);
} waker_cpu SEC(".maps");

/* The comm prefixes of io_uring's kernel threads, read as little-endian u64. */
#define COMM_IOU_SQP 0x2d7071732d756f69ULL /* "iou-sqp-" */
#define COMM_IOU_WRK 0x2d6b72772d756f69ULL /* "iou-wrk-" */

static __always_inline void bump(u32 slot)
{
	u64 *value = bpf_map_lookup_elem(&counters, &slot);

	if (value)
		*value += 1;
}

static __always_inline u32 target_tgid(void)
{
	u32 zero = 0;
	u32 *tgid = bpf_map_lookup_elem(&target, &zero);

	return tgid ? *tgid : 0;
}

static __always_inline bool is_target(u32 tgid)
{
	u32 wanted = target_tgid();

	return wanted && tgid == wanted;
}

static __always_inline bool current_is_target(void)
{
	return is_target(bpf_get_current_pid_tgid() >> 32);
}

/* Task-context event carrying a ring: count it when it is the target's, and remember the ring. */
static __always_inline bool own_event(void *ring)
{
	u64 key = (u64)ring;
	u8 one = 1;

	if (!current_is_target())
		return false;
	if (!bpf_map_lookup_elem(&rings, &key))
		bpf_map_update_elem(&rings, &key, &one, BPF_NOEXIST);
	return true;
}

/* Event that may fire outside the process: count it when its ring is the target's. */
static __always_inline bool own_ring(void *ring)
{
	u64 key = (u64)ring;

	return bpf_map_lookup_elem(&rings, &key) != NULL;
}

SEC("tp_btf/io_uring_create")
int BPF_PROG(ursb_create, int fd, struct io_ring_ctx *ring)
{
	own_event(ring);
	return 0;
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(ursb_submit_req, struct io_kiocb *req)
{
	if (own_event(req->ctx))
		bump(SUBMIT_REQ);
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(ursb_complete, struct io_ring_ctx *ring)
{
	if (own_ring(ring))
		bump(COMPLETE);
	return 0;
}

SEC("tp_btf/io_uring_queue_async_work")
int BPF_PROG(ursb_async_work, struct io_kiocb *req)
{
	if (own_ring(req->ctx))
		bump(QUEUE_ASYNC_WORK);
	return 0;
}

SEC("tp_btf/io_uring_task_add")
int BPF_PROG(ursb_task_add, struct io_kiocb *req)
{
	if (own_ring(req->ctx))
		bump(TASK_ADD);
	return 0;
}

/*
 * Carries the per-task io_uring context, not a ring; runs in the task owning
 * that work. Runs that found nothing to do are not counted: the SQPOLL thread
 * traces one on every pass of its polling loop.
 */
SEC("tp_btf/io_uring_task_work_run")
int BPF_PROG(ursb_tw_run, void *tctx, unsigned int count)
{
	if (count && current_is_target())
		bump(TASK_WORK_RUN);
	return 0;
}

/* As above, only runs that ran something. */
SEC("tp_btf/io_uring_local_work_run")
int BPF_PROG(ursb_local_run, struct io_ring_ctx *ring, int count)
{
	if (count > 0 && own_event(ring))
		bump(LOCAL_WORK_RUN);
	return 0;
}

SEC("tp_btf/io_uring_link")
int BPF_PROG(ursb_link, struct io_kiocb *req)
{
	if (own_event(req->ctx))
		bump(LINK);
	return 0;
}

SEC("tp_btf/io_uring_fail_link")
int BPF_PROG(ursb_fail_link, struct io_kiocb *req)
{
	if (own_ring(req->ctx))
		bump(FAIL_LINK);
	return 0;
}

SEC("tp_btf/io_uring_cqring_wait")
int BPF_PROG(ursb_cq_wait, struct io_ring_ctx *ring)
{
	if (own_event(ring))
		bump(CQRING_WAIT);
	return 0;
}

SEC("tp_btf/io_uring_defer")
int BPF_PROG(ursb_defer, struct io_kiocb *req)
{
	if (own_event(req->ctx))
		bump(DEFER);
	return 0;
}

/* Counts the target's threads being switched out, by role (comm prefix). */
SEC("tp_btf/sched_switch")
int BPF_PROG(ursb_switch, bool preempt, struct task_struct *prev)
{
	u64 prefix = 0;

	if (!is_target(prev->tgid))
		return 0;
	bpf_probe_read_kernel(&prefix, sizeof(prefix), prev->comm);
	if (prefix == COMM_IOU_SQP)
		bump(CTX_SWITCHES_SQP);
	else if (prefix == COMM_IOU_WRK)
		bump(CTX_SWITCHES_WRK);
	else
		bump(CTX_SWITCHES_APP);
	return 0;
}

/* Runs on the waker's CPU, before the wakee's CPU is chosen: remember where the wake came from. */
SEC("tp_btf/sched_waking")
int BPF_PROG(ursb_waking, struct task_struct *p)
{
	u32 pid, cpu;

	if (!is_target(p->tgid))
		return 0;
	pid = p->pid;
	cpu = bpf_get_smp_processor_id();
	bpf_map_update_elem(&waker_cpu, &pid, &cpu, BPF_ANY);
	return 0;
}

/* The wakee's CPU is chosen by now (task_cpu); it may run on either CPU, so compare with the waker's. */
SEC("tp_btf/sched_wakeup")
int BPF_PROG(ursb_wakeup, struct task_struct *p)
{
	u32 pid, *from;

	if (!is_target(p->tgid))
		return 0;
	bump(WAKEUPS);
	pid = p->pid;
	from = bpf_map_lookup_elem(&waker_cpu, &pid);
	if (!from)
		return 0;
	if (*from != p->thread_info.cpu)
		bump(WAKEUPS_CROSS_CPU);
	bpf_map_delete_elem(&waker_cpu, &pid);
	return 0;
}

/* io_uring_enter(2)'s number on x86-64 (and every architecture using the generic table). */
#define NR_IO_URING_ENTER 426

/* Every system call of the target's threads, and io_uring_enter(2) on its own. */
SEC("tp_btf/sys_enter")
int BPF_PROG(ursb_sys_enter, struct pt_regs *regs, long id)
{
	if (!current_is_target())
		return 0;
	bump(SYSCALLS);
	if (id == NR_IO_URING_ENTER)
		bump(IO_URING_ENTER);
	return 0;
}

/* GPL-compatible so the tracing helpers (bpf_probe_read_kernel) are allowed. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";
