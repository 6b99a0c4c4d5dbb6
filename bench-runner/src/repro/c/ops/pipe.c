
/* Op pipe: IORING_OP_WRITE of the step's record into its group's pipe. */
#define PARTS 1
#define HAS_DATA 1
static int pipes[GROUPS][2];
static void op_setup(void)
{
	records_setup();
	for (int g = 0; g < GROUPS; g++) {
		if (pipe2(pipes[g], O_CLOEXEC) || fcntl(pipes[g][1], F_SETPIPE_SZ, STEPS * 8 > 4096 ? STEPS * 8 : 4096) < 0)
			die(ERROR, "pipe: %s", strerror(errno));
		fcntl(pipes[g][0], F_SETFL, O_NONBLOCK);
	}
}
static void op_prep(struct io_uring_sqe **sqe, uint32_t g, uint32_t s)
{
	io_uring_prep_write(sqe[0], pipes[g][1], records[g][s], 8, -1);
}
static int op_succeeded(unsigned part, int res) { return (void)part, res == 8; }
static void op_collect(void)
{
	for (uint32_t g = 0; g < GROUPS; g++) {
		ssize_t n, len = 0;
		while (len < (ssize_t)sizeof readback &&
		       (n = read(pipes[g][0], readback + len, sizeof readback - len)) > 0)
			len += n;
		check_records(g, len);
	}
}
