
/* Op nop: IORING_OP_NOP, completes inline in submission order. */
#define PARTS 1
#define HAS_DATA 0
static void op_setup(void) {}
static void op_prep(struct io_uring_sqe **sqe, uint32_t g, uint32_t s)
{
	(void)g, (void)s;
	io_uring_prep_nop(sqe[0]);
}
static int op_succeeded(unsigned part, int res) { return (void)part, res == 0; }
static void op_collect(void) {}
