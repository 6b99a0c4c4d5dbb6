
/* A step is PARTS SQEs, linked inside by the op; it completes at its last
 * SQE's CQE. first_flags go on its first SQE (what it waits for), last_flags
 * on its last (what waits for it). Returns its last SQE. */
static struct io_uring_sqe *prep_step(struct io_uring *r, uint32_t g, uint32_t s,
				      unsigned first_flags, unsigned last_flags)
{
	struct io_uring_sqe *sqe[PARTS];
	for (int p = 0; p < PARTS; p++)
		sqe[p] = get_sqe(r);
	op_prep(sqe, g, s);
	for (int p = 0; p < PARTS; p++) {
		sqe[p]->flags |= step_flags | (p + 1 < PARTS ? IOSQE_IO_LINK : 0);
		sqe[p]->user_data = ud(STEP, p, g, s);
	}
	sqe[0]->flags |= first_flags;
	sqe[PARTS - 1]->flags |= last_flags;
	return sqe[PARTS - 1];
}

static unsigned inner; /* CQEs of inner parts reaped for steps not complete yet */

/* A step's CQE: checks its result; logs the step at its last part. Returns
 * whether the step completed. */
static int step_cqe(uint64_t u, int res)
{
	if (!op_succeeded(PART(u), res))
		die(ERROR, "step group %u seq %u failed: %s (%d)", GROUP(u), SEQ(u),
		    res < 0 ? strerror(-res) : "unexpected result", res);
	if (PART(u) + 1 < PARTS) {
		inner++;
		return 0;
	}
	inner = inner > PARTS - 1 ? inner - (PARTS - 1) : 0;
	log_complete(GROUP(u), SEQ(u));
	return 1;
}

/* Step CQEs still to come this pass. */
static unsigned outstanding(void) { return (GROUPS * STEPS - completed()) * PARTS - inner; }

/* The fewest CQEs `steps` steps not complete yet will still post. */
static inline unsigned step_cqes(unsigned steps)
{
	if (!steps)
		return 0;
	return steps * PARTS > inner + 1 ? steps * PARTS - inner : 1;
}

/* The stream: round-robin over the groups (g0s0, g1s0, ..., g0s1, ...), cut
 * into batches of BATCH steps. A group's steps in batch b are seqs
 * [run_start, run_end); batch b's runs come in order of first appearance. */
#define BATCHES ((GROUPS * STEPS + BATCH - 1) / BATCH)
static inline uint32_t run_group(unsigned b, unsigned k) { return (b * BATCH + k) % GROUPS; }
static inline uint32_t run_start(unsigned b, uint32_t g) { return (b * BATCH + GROUPS - 1 - g) / GROUPS; }
static inline uint32_t run_end(unsigned b, uint32_t g)
{
	unsigned hi = (b + 1) * BATCH < GROUPS * STEPS ? (b + 1) * BATCH : GROUPS * STEPS;
	return (hi + GROUPS - 1 - g) / GROUPS;
}
#define for_each_run(b, k, g, start, end)                                                     \
	for (unsigned k = 0; k < GROUPS; k++)                                                 \
		for (uint32_t g = run_group(b, k), start = run_start(b, g), end = run_end(b, g); \
		     start < end; start = end)

/* Waits until every step of the pass completed. */
static inline void drain(struct io_uring *r, void (*on)(uint64_t ud, int res))
{
	unsigned want;
	while ((want = outstanding()) > 0) {
		submit_wait(r, want);
		reap(r, on);
	}
}
