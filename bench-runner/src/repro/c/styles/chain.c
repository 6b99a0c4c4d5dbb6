
/* Style @STYLE@: @ABOUT@.
 * A group's steps in one batch are one chain, @FLAG_NAME@ on the last SQE of
 * every step but the chain's last. Links never cross a submission, so before
 * a batch goes in, the chains in flight of the groups it continues must
 * complete: each submission waits for exactly those. */
#define LINK_FLAG @FLAG@
static unsigned in_flight[GROUPS]; /* steps of the group's chain in flight */
static void on_cqe(uint64_t u, int res)
{
	if (TAG(u) != STEP)
		die(ERROR, "unexpected completion user_data %#llx", (unsigned long long)u);
	if (step_cqe(u, res) && in_flight[GROUP(u)])
		in_flight[GROUP(u)]--;
}
static unsigned blocking(unsigned b)
{
	unsigned n = 0;
	for_each_run(b, k, g, start, end)
		n += in_flight[g];
	return n;
}
static void style_setup(void) {}
static void style_teardown(void) {}
static void run_pass(void)
{
	for (unsigned b = 0, want; b < BATCHES; b++) {
		while ((want = step_cqes(blocking(b))) > 0) {
			submit_wait(&ring, want);
			reap(&ring, on_cqe);
		}
		reserve(&ring, BATCH * PARTS);
		for_each_run(b, k, g, start, end) {
			for (uint32_t s = start; s < end; s++)
				prep_step(&ring, g, s, 0, s + 1 < end ? LINK_FLAG : 0);
			in_flight[g] = end - start;
		}
		submit_wait(&ring, b + 1 < BATCHES ? step_cqes(blocking(b + 1)) : outstanding());
		reap(&ring, on_cqe);
	}
	drain(&ring, on_cqe);
	memset(in_flight, 0, sizeof in_flight);
}
