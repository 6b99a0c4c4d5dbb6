
/* Op @OP@: IORING_OP_WRITE appending the step's record to its group's file@FSYNC_ABOUT@. */
#define PARTS @PARTS@
#define HAS_DATA 1
#include <sys/vfs.h>
static char dir[4096];
static int append_fd[GROUPS], read_fd[GROUPS];
static void remove_files(void)
{
	char path[4200];
	for (int g = 0; g < GROUPS; g++) {
		snprintf(path, sizeof path, "%s/group-%d", dir, g);
		unlink(path);
	}
	rmdir(dir);
}
static void op_setup(void)
{
	const char *parent = getenv("@DIR_ENV@");
	struct statfs fs;
	char path[4200];
	records_setup();
	snprintf(dir, sizeof dir, "%s/uring-syncbench-XXXXXX", parent ? parent : "@DIR@");
	if (!mkdtemp(dir))
		die(ERROR, "%s: %s", dir, strerror(errno));
	atexit(remove_files);
	if (@DURABLE@ && !statfs(dir, &fs) && (fs.f_type == 0x01021994 || fs.f_type == 0x858458f6))
		die(MISSING, "%s is on tmpfs or ramfs, where fsync writes nothing (set @DIR_ENV@)", dir);
	for (int g = 0; g < GROUPS; g++) {
		snprintf(path, sizeof path, "%s/group-%d", dir, g);
		append_fd[g] = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		read_fd[g] = open(path, O_RDONLY | O_CLOEXEC);
		if (append_fd[g] < 0 || read_fd[g] < 0)
			die(ERROR, "%s: %s", path, strerror(errno));
	}
}
static void op_prep(struct io_uring_sqe **sqe, uint32_t g, uint32_t s)
{
	io_uring_prep_write(sqe[0], append_fd[g], records[g][s], 8, -1);
	if (PARTS == 2)
		io_uring_prep_fsync(sqe[PARTS - 1], append_fd[g], IORING_FSYNC_DATASYNC);
}
static int op_succeeded(unsigned part, int res) { return part == 1 ? res == 0 : res == 8; }
static void op_collect(void)
{
	for (uint32_t g = 0; g < GROUPS; g++) {
		ssize_t len = pread(read_fd[g], readback, sizeof readback, 0);
		check_records(g, len < 0 ? 0 : len);
		if (ftruncate(append_fd[g], 0))
			die(ERROR, "truncating: %s", strerror(errno));
	}
}
