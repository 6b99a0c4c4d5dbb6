
/* Style @STYLE@: @ABOUT@.
 * Each batch is submitted as it comes, every step's first SQE carrying
 * @FLAG_NAME@; only the last submission waits, for everything. */
#define STEP_FLAG @FLAG@
static void on_cqe(uint64_t u, int res)
{
	if (TAG(u) != STEP)
		die(ERROR, "unexpected completion user_data %#llx", (unsigned long long)u);
	step_cqe(u, res);
}
static void style_setup(void) {}
static void style_teardown(void) {}
static void run_pass(void)
{
	for (unsigned b = 0; b < BATCHES; b++) {
		reserve(&ring, BATCH * PARTS);
		for (unsigned at = b * BATCH; at < (b + 1) * BATCH && at < GROUPS * STEPS; at++)
			prep_step(&ring, at % GROUPS, at / GROUPS, STEP_FLAG, 0);
		submit_wait(&ring, b + 1 == BATCHES ? outstanding() : 0);
		reap(&ring, on_cqe);
	}
	drain(&ring, on_cqe);
}
