// SPDX-License-Identifier: MIT OR GPL-2.0
// build-bpf: kernel 7.2.13+deb14-cloud-amd64
/*
 * The `bpf-loop` style's event loop: an io_uring BPF struct_ops program
 * (`io_uring_bpf_ops.loop_step`, Linux 7.1+, DEFER_TASKRUN rings only) that
 * runs inside io_uring_enter(2) and keeps every group's chain going without
 * returning to userspace: each step it walks the CQEs posted since its last
 * look, and for every group whose step completed it writes the group's next
 * NOP SQE (user_data = the tool's step encoding, see workloads/src/userdata.rs)
 * and submits them with bpf_io_uring_submit_sqes().
 *
 * It never moves the CQ head: every step CQE stays in the CQ, in the order the
 * kernel posted it, for the runner to reap and verify after the loop returns.
 * So it stops (IOU_LOOP_STOP) when every group is done, and also when the CQ
 * has no room left for another step, leaving userspace to reap and enter
 * again (the state below survives between entries).
 *
 * The cell's shape and the ring's sizes are load-time constants (`cfg` in
 * .rodata, filled by bpf/src/event_loop.rs before load): the region sizes
 * passed to bpf_io_uring_get_region() must be known to the verifier. The
 * IOU_REGION_CQ region is the kernel's `struct io_rings` (the SQ/CQ headers
 * and the CQEs), whose field offsets come from the running kernel's BTF
 * (CO-RE). The SQ index array is left alone: the ring's creator fills it with
 * the identity mapping, so the SQE at sqes[tail & mask] is the one submitted.
 *
 * Compiled against the 7.2 kernel's BTF (see the marker line above and
 * scripts/build-bpf): the running kernel of the build machine may lack the
 * io_uring_bpf_ops type.
 */
/*
 * 7.2's BTF has anonymous struct members by tag (`struct ns_tree;`, kernel
 * builds use -fms-extensions); clang drops them with a warning. None is in a
 * type this program touches.
 */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wmissing-declarations"
#include "vmlinux.h"
#pragma clang diagnostic pop
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Most groups one ring's loop drives; mirrored by MAX_GROUPS in bpf/src/event_loop.rs. */
#define MAX_GROUPS 64
/*
 * Most CQEs one step looks at: the verifier walks this loop to its bound, so
 * it stays small; a step that leaves CQEs unread asks for no wait and the
 * kernel runs the next step at once.
 */
#define MAX_SCAN 32

#define IORING_OP_NOP 0
#define STEP_TAG 1ULL

extern __u8 *bpf_io_uring_get_region(struct iou_ctx *ctx, __u32 region_id,
				     const size_t rdwr_buf_size) __ksym;
extern int bpf_io_uring_submit_sqes(struct iou_ctx *ctx, u32 nr) __ksym;

/* Mirrored by `LoopConfig` in bpf/src/event_loop.rs (same order, all u32). */
struct loop_cfg {
	__u32 sq_entries;
	__u32 cq_entries;
	__u32 group_base;
	__u32 groups;
	__u32 steps;
};

const volatile struct loop_cfg cfg = {};

/* Where the current run stands; reset by the step that sees the run finish. */
struct loop_state {
	__u32 started;
	__u32 cursor;	/* CQ index up to which CQEs were looked at */
	__u32 inflight;
	__u32 done;	/* groups whose last step completed */
	__u32 next[MAX_GROUPS]; /* next seq to submit */
	__u8 ready[MAX_GROUPS]; /* the previous step completed, next not yet submitted */
};

struct loop_state st = {};

_Static_assert(__builtin_offsetof(struct io_uring_bpf_ops, ring_fd) == 8,
	       "bpf/src/event_loop.rs writes ring_fd at offset 8");

/*
 * A group's slot in `st`: the mask (hidden from clang, which would drop it
 * after a bounds check) is what proves the index to the verifier.
 */
static __always_inline __u32 slot(__u32 g)
{
	asm volatile("" : "+r"(g));
	return g & (MAX_GROUPS - 1);
}

static __always_inline __u32 load_u32(__u8 *rings, __u32 off)
{
	return *(volatile __u32 *)(rings + off);
}

SEC("struct_ops.s/loop_step")
int BPF_PROG(loop_step, struct iou_ctx *ring, struct iou_loop_params *lp)
{
	__u32 cq_mask = cfg.cq_entries - 1, sq_mask = cfg.sq_entries - 1;
	struct io_uring_sqe *sqes, *sqe;
	struct io_uring_cqe *cqe;
	__u32 sq_tail_off = bpf_core_field_offset(struct io_rings, sq.tail);
	__u32 cq_head_off = bpf_core_field_offset(struct io_rings, cq.head);
	__u32 cq_tail_off = bpf_core_field_offset(struct io_rings, cq.tail);
	__u32 cqes_off = bpf_core_field_offset(struct io_rings, cqes);
	__u32 rings_size = cqes_off + cfg.cq_entries * sizeof(*cqe);
	__u32 cq_tail, cq_head, sq_tail, room, count = 0, i, g, n;
	__u8 *rings;

	rings = bpf_io_uring_get_region(ring, IOU_REGION_CQ, rings_size);
	sqes = (void *)bpf_io_uring_get_region(ring, IOU_REGION_SQ,
					       cfg.sq_entries * sizeof(struct io_uring_sqe));
	if (!rings || !sqes)
		return IOU_LOOP_STOP;
	if (cq_tail_off > rings_size - 4 || cq_head_off > rings_size - 4 ||
	    sq_tail_off > rings_size - 4)
		return IOU_LOOP_STOP;

	cq_tail = load_u32(rings, cq_tail_off);
	if (!st.started) {
		st.started = 1;
		st.cursor = cq_tail;
		st.inflight = 0;
		st.done = 0;
		for (g = 0; g < MAX_GROUPS && g < cfg.groups; g++) {
			st.next[slot(g)] = 0;
			st.ready[slot(g)] = 1;
		}
	}

	n = cq_tail - st.cursor;
	for (i = 0; i < MAX_SCAN && i < n; i++) {
		__u32 off = cqes_off + (st.cursor & cq_mask) * sizeof(*cqe);
		__u64 ud;
		__u32 seq;

		st.cursor++;
		if (off > rings_size - sizeof(*cqe))
			return IOU_LOOP_STOP;
		cqe = (void *)(rings + off);
		ud = cqe->user_data;
		if ((ud >> 56) != STEP_TAG)
			continue;
		g = ((ud >> 32) & 0xffffff) - cfg.group_base;
		seq = (__u32)ud;
		if (g >= MAX_GROUPS || g >= cfg.groups)
			continue;
		if (st.inflight)
			st.inflight--;
		if (seq + 1 < cfg.steps)
			st.ready[slot(g)] = 1;
		else
			st.done++;
	}

	/* Room in the CQ for completions not yet posted: never overflow it. */
	cq_head = load_u32(rings, cq_head_off);
	room = cfg.cq_entries - (cq_tail - cq_head);
	room = room > st.inflight ? room - st.inflight : 0;

	sq_tail = load_u32(rings, sq_tail_off);
	for (g = 0; g < MAX_GROUPS && g < cfg.groups; g++) {
		__u32 idx;

		if (!st.ready[slot(g)] || !room || count >= cfg.sq_entries)
			continue;
		idx = (sq_tail + count) & sq_mask;
		sqe = &sqes[idx & (cfg.sq_entries - 1)];
		__builtin_memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_NOP;
		sqe->fd = -1;
		sqe->user_data = STEP_TAG << 56 | (__u64)(cfg.group_base + g) << 32 | st.next[slot(g)];
		st.ready[slot(g)] = 0;
		st.next[slot(g)]++;
		count++;
		room--;
	}
	if (count) {
		*(volatile __u32 *)(rings + sq_tail_off) = sq_tail + count;
		if (bpf_io_uring_submit_sqes(ring, count) != (int)count)
			return IOU_LOOP_STOP;
		st.inflight += count;
	}

	if (st.done >= cfg.groups) {
		st.started = 0;
		return IOU_LOOP_STOP;
	}
	/* Nothing in flight yet not done: the CQ is full, userspace must reap. */
	if (!st.inflight)
		return IOU_LOOP_STOP;
	lp->cq_wait_idx = st.cursor + 1;
	return IOU_LOOP_CONTINUE;
}

SEC(".struct_ops.link")
struct io_uring_bpf_ops loop_ops = {
	.loop_step = (void *)loop_step,
};
