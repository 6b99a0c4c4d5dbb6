
/* Style userspace: @ABOUT@.
 * Up to one step per group is in flight, at most BATCH per submission; each
 * submission waits for the first CQE, the next decision. */
static uint32_t next[GROUPS];
static int busy[GROUPS];
static void on_cqe(uint64_t u, int res)
{
	if (TAG(u) != STEP)
		die(ERROR, "unexpected completion user_data %#llx", (unsigned long long)u);
	if (step_cqe(u, res))
		busy[GROUP(u)] = 0;
}
static void style_setup(void) {}
static void style_teardown(void) {}
static void run_pass(void)
{
	memset(next, 0, sizeof next);
	memset(busy, 0, sizeof busy);
	for (;;) {
		unsigned submitted = 0, any_busy = 0;
		for (uint32_t g = 0; g < GROUPS; g++) {
			if (!busy[g] && next[g] < STEPS && submitted < BATCH) {
				reserve(&ring, PARTS);
				prep_step(&ring, g, next[g]++, 0, 0);
				busy[g] = 1;
				submitted++;
			}
			any_busy |= busy[g];
		}
		if (!any_busy)
			return;
		submit_wait(&ring, step_cqes(1));
		reap(&ring, on_cqe);
	}
}
