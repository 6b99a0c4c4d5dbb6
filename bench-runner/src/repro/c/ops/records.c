
/* Every step writes its record, (group, seq) as two little-endian u32s; the
 * bytes each group's steps left behind must read seq 0, 1, 2, ... */
static uint8_t records[GROUPS][STEPS][8];
static uint8_t readback[STEPS * 8 + 8];

static void records_setup(void)
{
	for (uint32_t g = 0; g < GROUPS; g++)
		for (uint32_t s = 0; s < STEPS; s++)
			for (int i = 0; i < 4; i++) {
				records[g][s][i] = g >> (8 * i);
				records[g][s][4 + i] = s >> (8 * i);
			}
}

static uint32_t le32(const uint8_t *b) { return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24; }

static void check_records(uint32_t g, size_t len)
{
	uint32_t expected = 0, got = UINT32_MAX;
	for (size_t at = 0; at < len; at += 8, expected++) {
		got = len - at < 8 ? UINT32_MAX : le32(readback + at + 4);
		if (len - at < 8 || le32(readback + at) != g || got != expected)
			goto broken;
	}
	if (expected == STEPS)
		return;
	got = UINT32_MAX;
broken:
	if (!first[0])
		snprintf(first, sizeof first, "out of order (data): group %u expected seq %u got %u",
			 g, expected, got);
}
