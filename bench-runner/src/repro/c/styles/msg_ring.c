
/* Style msg-ring:@VARIANT@: @ABOUT@.
 * A reactor thread owns a second ring, set up in the same mode, and runs each
 * group's steps one after another, submitting the next on each completion.
 * The application talks to it only with IORING_OP_MSG_RING: one request per
 * @UNIT@, and the reactor answers one completion message per @UNIT@. */
#define PER_STEP @PER_STEP@
#define STOP_SEQ 0xffffffffu
static struct io_uring reactor_ring;
static int reactor_fd = -1;
static pthread_t reactor;
static unsigned received;

/* A message posted into ring `fd`'s CQ as (user_data, res); no CQE of its own on success. */
static void message(struct io_uring *r, int fd, uint64_t data, int res, uint32_t g)
{
	struct io_uring_sqe *sqe = get_sqe(r);
	io_uring_prep_msg_ring(sqe, fd, res, data, 0);
	sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
	sqe->user_data = ud(AUX, 0, g, 0);
}

static uint32_t requested[GROUPS], next[GROUPS];
static int busy[GROUPS], stop;
static void reactor_cqe(uint64_t u, int res)
{
	uint32_t g = GROUP(u), s = SEQ(u);
	if (TAG(u) == MSG && s == STOP_SEQ) {
		stop = 1;
	} else if (TAG(u) == MSG) {
		if (s == 0) /* a pass starts only after the previous one completed */
			next[g] = 0;
		if (s + res > requested[g])
			requested[g] = s + res;
	} else if (TAG(u) == STEP) {
		if (!step_cqe(u, res))
			return;
		busy[g] = 0;
		if (PER_STEP || s + 1 == STEPS) {
			reserve(&reactor_ring, 1);
			message(&reactor_ring, ring.ring_fd, ud(MSG, 0, g, s), res, g);
		}
	} else {
		die(ERROR, "reactor's MSG_RING to the lane failed: %s", strerror(-res));
	}
}

static void *reactor_main(void *arg)
{
	pin(helper_cpu);
	ring_setup(&reactor_ring, setup_flags, RING_ENTRIES, shared_poller ? ring.ring_fd : -1);
	__atomic_store_n(&reactor_fd, reactor_ring.ring_fd, __ATOMIC_RELEASE);
	while (!stop) {
		submit_wait(&reactor_ring, 1);
		reap(&reactor_ring, reactor_cqe);
		for (uint32_t g = 0; g < GROUPS; g++)
			while (!busy[g] && next[g] < requested[g]) {
				reserve(&reactor_ring, PARTS);
				prep_step(&reactor_ring, g, next[g]++, 0, 0);
				busy[g] = 1;
			}
	}
	return arg;
}

static void on_cqe(uint64_t u, int res)
{
	if (TAG(u) == MSG && SEQ(u) != STOP_SEQ)
		received++;
	else if (TAG(u) == AUX)
		die(ERROR, "MSG_RING to the reactor failed: %s", strerror(-res));
	else
		die(ERROR, "unexpected completion user_data %#llx on the lane ring", (unsigned long long)u);
}

static void style_setup(void)
{
	if (pthread_create(&reactor, NULL, reactor_main, NULL))
		die(ERROR, "starting the reactor: %s", strerror(errno));
	while (__atomic_load_n(&reactor_fd, __ATOMIC_ACQUIRE) < 0)
		sched_yield();
}

static void style_teardown(void)
{
	message(&ring, reactor_fd, ud(MSG, 0, 0, STOP_SEQ), 0, 0);
	submit_wait(&ring, 0);
	pthread_join(reactor, NULL);
}

static void run_pass(void)
{
	unsigned expected = PER_STEP ? GROUPS * STEPS : GROUPS;
	received = 0;
	for (unsigned b = 0; b < BATCHES; b++) {
		reserve(&ring, BATCH);
		for_each_run(b, k, g, start, end) {
			if (PER_STEP)
				for (uint32_t s = start; s < end; s++)
					message(&ring, reactor_fd, ud(MSG, 0, g, s), 1, g);
			else
				message(&ring, reactor_fd, ud(MSG, 0, g, start), end - start, g);
		}
		submit_wait(&ring, 0);
		reap(&ring, on_cqe);
	}
	while (received < expected) {
		submit_wait(&ring, expected - received);
		reap(&ring, on_cqe);
	}
}
