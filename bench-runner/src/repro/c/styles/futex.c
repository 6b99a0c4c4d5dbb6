
/* Style futex:@VARIANT@: @ABOUT@.
 * Every chain but a group's first starts with a hardlinked FUTEX_WAIT on the
 * word of the group's previous chain; every chain but the last ends with a
 * READ of 4 bytes from /dev/zero into its own word (the bump), then a
 * FUTEX_WAKE of it. Every SQE of a chain but its last is hardlinked. The
 * words start at PENDING; a wait armed after the bump fails with -EAGAIN,
 * one armed before is woken. The application submits every batch without
 * waiting; the last submission waits for every CQE of the pass.
 * A wait that was never woken although its word was bumped is a lost wakeup.
 * FRESH: each pass runs in a freshly forked, single-threaded process, whose
 * first extra thread starts once every batch is submitted. */
#define FRESH @FRESH@
#define FUTEX_FLAGS (0x02 /* FUTEX2_SIZE_U32 */ @PRIVATE@)
#define SCOPE "@SCOPE@"
enum { OP_FUTEX_WAIT = 51, OP_FUTEX_WAKE = 52, PENDING = 1, STALL_MS = 500 };
static const char *split_hint = @SPLIT_HINT@;

static uint32_t *words; /* one per (group, seq), in a MAP_SHARED memfd */
static int zero_fd;
static char heads[GROUPS * STEPS], waited[GROUPS * STEPS];
static char lost[200]; /* the lost wakeup found, if any */

static void prep_futex(struct io_uring_sqe *sqe, int op, uint32_t *word, uint64_t val)
{
	io_uring_prep_rw(op, sqe, FUTEX_FLAGS, word, 0, val);
	sqe->addr3 = 0xffffffff; /* FUTEX_BITSET_MATCH_ANY */
}

static void push_chain(uint32_t g, uint32_t start, uint32_t end)
{
	unsigned from = ring.sq.sqe_tail;
	struct io_uring_sqe *sqe;
	if (start > 0) {
		sqe = get_sqe(&ring);
		prep_futex(sqe, OP_FUTEX_WAIT, &words[g * STEPS + start - 1], PENDING);
		sqe->user_data = ud(AUX, 0, g, start);
	}
	for (uint32_t s = start; s < end; s++)
		prep_step(&ring, g, s, 0, 0);
	if (end < STEPS) {
		uint32_t *word = &words[g * STEPS + end - 1];
		sqe = get_sqe(&ring);
		io_uring_prep_read(sqe, zero_fd, word, 4, 0);
		sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
		sqe->user_data = ud(AUX, 0, g, end - 1);
		sqe = get_sqe(&ring);
		prep_futex(sqe, OP_FUTEX_WAKE, word, 1);
		sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
		sqe->user_data = ud(AUX, 0, g, end - 1);
	}
	for (unsigned i = from; i + 1 != ring.sq.sqe_tail; i++)
		ring.sq.sqes[i & *ring.sq.kring_mask].flags |= IOSQE_IO_HARDLINK;
}

static void on_cqe(uint64_t u, int res)
{
	if (TAG(u) == STEP) {
		step_cqe(u, res);
	} else if (TAG(u) == AUX && (res == 0 || res == -EAGAIN)) {
		waited[GROUP(u) * STEPS + SEQ(u)] = 1;
	} else if (TAG(u) == AUX) {
		die(ERROR, "futex request of group %u at step %u failed: %s", GROUP(u), SEQ(u), strerror(-res));
	} else {
		die(ERROR, "unexpected completion user_data %#llx", (unsigned long long)u);
	}
}

/* CQEs still to come: every outstanding step's, and each unfinished wait's. */
static unsigned want(void)
{
	unsigned n = outstanding();
	for (int i = 0; i < GROUPS * STEPS; i++)
		n += heads[i] && !waited[i] && i % STEPS;
	return n;
}

/* A chain whose FUTEX_WAIT never completed though its word shows the bump. */
static int find_lost_wakeup(void)
{
	for (uint32_t g = 0; g < GROUPS; g++)
		for (uint32_t s = 1; s < STEPS; s++) {
			if (!heads[g * STEPS + s] || waited[g * STEPS + s])
				continue;
			if (__atomic_load_n(&words[g * STEPS + s - 1], __ATOMIC_ACQUIRE) == PENDING)
				break;
			snprintf(lost, sizeof lost, "lost wakeup (group %u, step %u, scope %s)%s", g, s,
				 SCOPE, split_hint);
			return 1;
		}
	return 0;
}

/* Submits, and waits for `n` CQEs unless a wakeup is lost; 0 when one was. */
static int submit(unsigned n)
{
	struct __kernel_timespec ts = { .tv_nsec = STALL_MS * 1000000ll };
	struct io_uring_cqe *cqe;
	for (unsigned stalls = 0; n > 0 && io_uring_cq_ready(&ring) < n;) {
		int ret = io_uring_submit_and_wait_timeout(&ring, &cqe, n, &ts, NULL);
		if (ret == -ETIME && reap(&ring, on_cqe) == 0) {
			if (find_lost_wakeup())
				return 0;
			if (++stalls == 20)
				die(ERROR, "no completion for %d ms", 20 * STALL_MS);
		} else if (ret < 0 && ret != -ETIME && ret != -EINTR) {
			die(ERROR, "io_uring_enter: %s", strerror(-ret));
		} else {
			stalls = 0;
		}
		n = want();
	}
	submit_wait(&ring, 0);
	reap(&ring, on_cqe);
	return 1;
}

/* The process's first extra thread (in the tool, the stall watcher). */
static void *idle(void *arg)
{
	pin(helper_cpu);
	for (;;)
		pause();
	return arg;
}
static void start_extra_thread(void)
{
	pthread_t thread;
	if (pthread_create(&thread, NULL, idle, NULL))
		die(ERROR, "starting a thread: %s", strerror(errno));
}

static int pass(void)
{
	for (int i = 0; i < GROUPS * STEPS; i++)
		words[i] = PENDING;
	memset(waited, 0, sizeof waited);
	lost[0] = 0;
	for (unsigned b = 0; b < BATCHES; b++) {
		for_each_run(b, k, g, start, end) {
			unsigned chain = (end - start) * PARTS + 3;
			if (io_uring_sq_space_left(&ring) < chain && !submit(0))
				return 0;
			reserve(&ring, chain);
			push_chain(g, start, end);
		}
		/* The last submission waits for everything once a second thread exists. */
		if (!submit(b + 1 == BATCHES && !FRESH ? want() : 0))
			return 0;
	}
	if (FRESH)
		start_extra_thread();
	while (outstanding() > 0)
		if (!submit(want()))
			return 0;
	return 1;
}

static void on_alarm(int signal) { (void)signal; }

/* What a fresh process hands back: its order log and what it found. */
static struct fresh_result {
	uint32_t done[GROUPS];
	char first[200], lost[200], error[200];
	int pass_ended; /* set before the child exits */
} *result;

static void style_setup(void)
{
	int fd = memfd_create("uring-syncbench-futex", MFD_CLOEXEC);
	size_t bytes = (GROUPS * STEPS * 4 + 4095) / 4096 * 4096;
	if (fd < 0 || ftruncate(fd, bytes) ||
	    (words = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
		die(ERROR, "futex words: %s", strerror(errno));
	result = mmap(NULL, sizeof *result, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if ((zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC)) < 0 || result == MAP_FAILED)
		die(ERROR, "/dev/zero: %s", strerror(errno));
	for (unsigned b = 0; b < BATCHES; b++)
		for_each_run(b, k, g, start, end)
			heads[g * STEPS + start] = 1;
	if (!FRESH)
		start_extra_thread();
	/* An alarm ends a wait for a stuck fresh process (no SA_RESTART). */
	struct sigaction alarm_action = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &alarm_action, NULL);
}

static void style_teardown(void) {}

static void run_pass(void)
{
	if (!FRESH) {
		if (!pass()) {
			/* The lost wait stays armed: start again on fresh rings. */
			io_uring_queue_exit(&ring);
			ring_setup(&ring, setup_flags, RING_ENTRIES, shared_poller ? poller.ring_fd : -1);
			inner = 0;
		}
		if (lost[0] && !first[0])
			snprintf(first, sizeof first, "%s", lost);
		return;
	}
	memset(result, 0, sizeof *result);
	pid_t pid = fork();
	if (pid == 0) {
		ring_setup(&ring, setup_flags, RING_ENTRIES, -1);
		pass();
		memcpy(result->done, done, sizeof done);
		memcpy(result->first, first, sizeof first);
		memcpy(result->lost, lost, sizeof lost);
		result->pass_ended = 1;
		_exit(0);
	}
	/* Its pass gives up after 20 stalls in a row (and dies saying so): a
	 * child still there after twice that is stuck in the kernel, in its
	 * pass or in its exit (cancelling what the pass left armed). The wait
	 * blocks; an alarm interrupts it then. */
	int status;
	pid_t got = -1;
	if (pid > 0) {
		alarm(40 * STALL_MS / 1000);
		got = waitpid(pid, &status, 0);
		alarm(0);
	}
	if (got < 0 && errno == EINTR) {
		kill(pid, SIGKILL);
		die(ERROR, "the fresh process was still there %d ms after starting its pass: "
			   "stuck in %s", 40 * STALL_MS,
		    result->pass_ended ? "its exit, after its pass ended" : "its pass");
	}
	if (pid < 0 || got != pid)
		die(ERROR, "fresh process: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die(ERROR, "fresh process ended abnormally (wait status %#x)", status);
	memcpy(done, result->done, sizeof done);
	snprintf(first, sizeof first, "%s", result->first[0] ? result->first : result->lost);
}
