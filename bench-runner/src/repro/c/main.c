
/* 1,234,567 */
static const char *thousands(unsigned long n, char *buf)
{
	char digits[32];
	int len = snprintf(digits, sizeof digits, "%lu", n), at = 0;
	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf[at++] = ',';
		buf[at++] = digits[i];
	}
	buf[at] = 0;
	return buf;
}

static double root(double x)
{
	double r = x > 1 ? x : 1;
	for (int i = 0; i < 60; i++)
		r = (r + x / r) / 2;
	return r;
}

/* The Wilson score interval (95%) of k in n, in percent. */
static void wilson(unsigned long k, unsigned long n, double *lo, double *hi)
{
	double z = 1.959964, p = (double)k / n, z2n = z * z / n;
	double mid = (p + z2n / 2) / (1 + z2n);
	double half = z * root(p * (1 - p) / n + z2n / (4.0 * n)) / (1 + z2n);
	*lo = 100 * (mid - half > 0 ? mid - half : 0);
	*hi = 100 * (mid + half < 1 ? mid + half : 1);
}

static void usage(const char *self)
{
	fprintf(stderr, "usage: %s [--passes N] [--seconds S]\n", self);
	exit(ERROR);
}

int main(int argc, char **argv)
{
	unsigned long passes = @PASSES@, broken = 0, run = 0;
	double seconds = @SECONDS@;
	char firstbroken[sizeof first] = "", a[32], b[32];
	struct utsname un;

	for (int i = 1; i < argc; i++) {
		char *end = NULL;
		if (i + 1 < argc && !strcmp(argv[i], "--passes"))
			passes = strtoul(argv[++i], &end, 10);
		else if (i + 1 < argc && !strcmp(argv[i], "--seconds"))
			seconds = strtod(argv[++i], &end);
		if (!end || *end || passes == 0 || seconds <= 0)
			usage(argv[0]);
	}
	uname(&un);
	printf("cell %s on Linux %s\n", CELL, un.release);
	pin(submitter_cpu);
	check_needs();
	rings_setup();
	op_setup();
	style_setup();

	uint64_t start = now_ns(), deadline = start + seconds * 1e9, excluded = 0;
	for (; run < passes; run++) {
		if (run % 64 == 0 && run && now_ns() >= deadline)
			break;
		log_reset();
		run_pass();
		if (HAS_DATA) { /* the data check is not timed */
			uint64_t stop = now_ns();
			op_collect();
			excluded += now_ns() - stop;
		}
		if (!first[0] && completed() != GROUPS * STEPS)
			snprintf(first, sizeof first, "a pass ended with steps missing");
		if (first[0] && !broken++)
			snprintf(firstbroken, sizeof firstbroken, "%s", first);
	}
	double ns = now_ns() - start - excluded;
	style_teardown();

	double lo, hi;
	wilson(broken, run, &lo, &hi);
	printf("ns/step %.1f over %s passes of %d steps\n", ns / run / (GROUPS * STEPS),
	       thousands(run, a), GROUPS * STEPS);
	if (broken)
		printf("order broken in %s of %s passes (%.1f%%, 95%% CI %.1f-%.1f%%), first: %s\n",
		       thousands(broken, a), thousands(run, b), 100.0 * broken / run, lo, hi, firstbroken);
	else
		printf("order held in all %s passes (broken in at most %.1f%%, 95%% CI)\n",
		       thousands(run, a), hi);
	return broken ? BROKE : HELD;
}
