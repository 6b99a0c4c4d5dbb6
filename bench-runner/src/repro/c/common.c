#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The cell. */
#define CELL "@CELL@"
#define GROUPS @GROUPS@
#define STEPS @STEPS@
#define BATCH @BATCH@ /* steps per submission */
#define RING_ENTRIES @RING_ENTRIES@
#define CQ_ENTRIES @CQ_ENTRIES@
static const unsigned setup_flags = @SETUP_FLAGS@;
static const int shared_poller = @SHARED_POLLER@; /* attach to another ring's SQPOLL thread */
static const int registered_ring = @REGISTERED_RING@;
static const unsigned step_flags = @STEP_FLAGS@; /* on every SQE of a step */
enum { submitter_cpu = @SUBMITTER_CPU@, sqpoll_cpu = @SQPOLL_CPU@, helper_cpu = @HELPER_CPU@ }; /* -1: unpinned */
static const struct { int op; const char *name; } needs[] = { @NEEDS@ };

enum { HELD = 0, BROKE = 1, ERROR = 2, MISSING = 77 };

static void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, code == MISSING ? "missing: " : "error: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(code);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (cpu >= 0 && sched_setaffinity(0, sizeof set, &set))
		fprintf(stderr, "warning: not pinned to CPU %d: %s\n", cpu, strerror(errno));
}

/* user_data: tag, part of the step, group, seq. */
enum tag { STEP = 1, AUX = 2, MSG = 3 };
static uint64_t ud(enum tag tag, unsigned part, uint32_t g, uint32_t s)
{
	return (uint64_t)tag << 56 | (uint64_t)part << 48 | (uint64_t)g << 32 | s;
}
#define TAG(u) ((unsigned)((u) >> 56))
#define PART(u) ((unsigned)((u) >> 48) & 0xff)
#define GROUP(u) ((uint32_t)((u) >> 32) & 0xffff)
#define SEQ(u) ((uint32_t)(u))

/* The order check, as the tool's verifier: each group's CQEs must come in seq order. */
static uint32_t next_seq[GROUPS], done[GROUPS];
static char first[200]; /* this pass's first violation; empty while none */

static void log_reset(void)
{
	memset(next_seq, 0, sizeof next_seq);
	memset(done, 0, sizeof done);
	first[0] = 0;
}

static void log_complete(uint32_t g, uint32_t s)
{
	if (s != next_seq[g] && !first[0])
		snprintf(first, sizeof first, "out of order (cqe): group %u expected seq %u got %u",
			 g, next_seq[g], s);
	if (s + 1 > next_seq[g])
		next_seq[g] = s + 1;
	done[g]++;
}

static unsigned completed(void)
{
	unsigned n = 0;
	for (int g = 0; g < GROUPS; g++)
		n += done[g];
	return n;
}

/* The ring, and the ring owning the SQPOLL thread it shares. */
static struct io_uring ring, poller;

static void ring_setup(struct io_uring *r, unsigned flags, unsigned entries, int attach_fd)
{
	struct io_uring_params p = { .flags = flags | IORING_SETUP_CQSIZE, .cq_entries = CQ_ENTRIES };
	if (flags & IORING_SETUP_SQPOLL) {
		p.sq_thread_idle = 1000;
		if (attach_fd >= 0) {
			p.flags |= IORING_SETUP_ATTACH_WQ;
			p.wq_fd = attach_fd;
		} else if (sqpoll_cpu >= 0) {
			p.flags |= IORING_SETUP_SQ_AFF;
			p.sq_thread_cpu = sqpoll_cpu;
		}
	}
	int ret = io_uring_queue_init_params(entries, r, &p);
	if (ret == -EINVAL || ret == -EPERM || ret == -ENOSYS || ret == -EOPNOTSUPP)
		die(MISSING, "ring setup with flags %#x: %s", p.flags, strerror(-ret));
	if (ret < 0)
		die(ERROR, "ring setup: %s", strerror(-ret));
	/* The poller's owner is set up plainly, as the tool does. */
	if (registered_ring && r != &poller && (ret = io_uring_register_ring_fd(r)) != 1)
		die(MISSING, "IORING_REGISTER_RING_FDS: %s", strerror(-ret));
}

/* The cell's ring, on a poller of its own when the mode shares one. */
static void rings_setup(void)
{
	if (shared_poller)
		ring_setup(&poller, IORING_SETUP_SQPOLL, 8, -1);
	ring_setup(&ring, setup_flags, RING_ENTRIES, shared_poller ? poller.ring_fd : -1);
}

static void check_needs(void)
{
	struct io_uring_probe *probe = io_uring_get_probe();
	if (!probe)
		die(MISSING, "io_uring: cannot probe opcodes");
	for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++)
		if (!io_uring_opcode_supported(probe, needs[i].op))
			die(MISSING, "opcode %s not supported", needs[i].name);
	io_uring_free_probe(probe);
}

/* Submits what is queued and waits for `want` CQEs, entering only when needed. */
static void submit_wait(struct io_uring *r, unsigned want)
{
	int ret;
	do {
		if (want == 0 || io_uring_cq_ready(r) >= want)
			ret = io_uring_submit(r);
		else
			ret = io_uring_submit_and_wait(r, want);
	} while (ret == -EINTR);
	if (ret < 0)
		die(ERROR, "io_uring_enter: %s", strerror(-ret));
}

/* Makes room for `n` SQEs, so a submission is never cut in two. */
static void reserve(struct io_uring *r, unsigned n)
{
	while (io_uring_sq_space_left(r) < n) {
		if (r->flags & IORING_SETUP_SQPOLL)
			io_uring_sqring_wait(r);
		else
			submit_wait(r, 0);
	}
}

static struct io_uring_sqe *get_sqe(struct io_uring *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);
	if (!sqe)
		die(ERROR, "SQ full");
	return sqe;
}

/* Hands every ready CQE to `on`; returns how many. */
static unsigned reap(struct io_uring *r, void (*on)(uint64_t ud, int res))
{
	struct io_uring_cqe *cqes[64];
	unsigned n, total = 0;
	while ((n = io_uring_peek_batch_cqe(r, cqes, 64)) > 0) {
		for (unsigned i = 0; i < n; i++)
			on(cqes[i]->user_data, cqes[i]->res);
		io_uring_cq_advance(r, n);
		total += n;
	}
	return total;
}
