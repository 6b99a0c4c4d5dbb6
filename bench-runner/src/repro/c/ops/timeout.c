
/* Op timeout: IORING_OP_TIMEOUT of 1-20 us, varied per step, so steps finish
 * out of submission order unless something orders them. */
#define PARTS 1
#define HAS_DATA 0
static const unsigned timeout_us[8] = { 20, 3, 11, 1, 7, 15, 5, 9 };
static struct __kernel_timespec timespecs[8];
static void op_setup(void)
{
	for (int i = 0; i < 8; i++)
		timespecs[i].tv_nsec = timeout_us[i] * 1000;
}
static void op_prep(struct io_uring_sqe **sqe, uint32_t g, uint32_t s)
{
	io_uring_prep_timeout(sqe[0], &timespecs[(s + g * 3) % 8], 0, IORING_TIMEOUT_ETIME_SUCCESS);
}
static int op_succeeded(unsigned part, int res) { return (void)part, res == -ETIME; }
static void op_collect(void) {}
