/* test_cdc.c - content-defined chunking: bounds, average, determinism, and that an insert moves few cuts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/st_cdc.h"

#define BIG (4u * 1024 * 1024)
#define MAX_CHUNKS (BIG / ST_CDC_MIN + 2)

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint8_t *random_buf(size_t len, uint64_t seed)
{
	uint8_t *b = malloc(len);

	assert_non_null(b);
	for (size_t i = 0; i < len; i += 8) {
		uint64_t r = splitmix64(&seed);
		memcpy(b + i, &r, len - i < 8 ? len - i : 8);
	}
	return b;
}

/* Chunk all of buf into lens[]; returns the count.  Checks the bounds and
 * that the lengths add up. */
static size_t chunk_all(const uint8_t *buf, size_t len, size_t *lens)
{
	size_t n = 0, off = 0;

	while (off < len) {
		size_t c = st_cdc_cut(buf + off, len - off);
		assert_true(c > 0);
		assert_true(c <= ST_CDC_MAX);
		assert_true(c <= len - off);
		if (c < ST_CDC_MIN)
			assert_int_equal(off + c, len);
		assert_true(n < MAX_CHUNKS);
		lens[n++] = c;
		off += c;
	}
	assert_int_equal(off, len);
	return n;
}

static void gear_table_is_splitmix64(void **state)
{
	(void)state;
	uint64_t s = 0x5369676e706f7374ull;
	for (int i = 0; i < 256; i++)
		assert_int_equal(st_cdc_gear[i], splitmix64(&s));
}

static void short_input_is_one_chunk(void **state)
{
	(void)state;
	uint8_t *b = random_buf(ST_CDC_MIN + 1, 1);
	assert_int_equal(st_cdc_cut(b, 0), 0);
	assert_int_equal(st_cdc_cut(b, 5), 5);
	assert_int_equal(st_cdc_cut(b, ST_CDC_MIN), ST_CDC_MIN);
	assert_int_equal(st_cdc_next(b, 100, 0), 0);
	assert_int_equal(st_cdc_next(b, 100, 1), 100);
	free(b);
}

static void sizes_in_bounds_and_average_near_avg(void **state)
{
	(void)state;
	uint8_t *b = random_buf(BIG, 42);
	size_t *lens = malloc(MAX_CHUNKS * sizeof *lens);
	size_t n, mn = SIZE_MAX, mx = 0;

	assert_non_null(lens);
	n = chunk_all(b, BIG, lens);
	for (size_t i = 0; i + 1 < n; i++) {
		assert_true(lens[i] >= ST_CDC_MIN);
		mn = lens[i] < mn ? lens[i] : mn;
		mx = lens[i] > mx ? lens[i] : mx;
	}
	print_message("    %zu chunks, average %zu bytes, min %zu, max %zu\n", n, BIG / n, mn, mx);
	assert_true(BIG / n >= 4 * 1024);
	assert_true(BIG / n <= 16 * 1024);
	free(lens);
	free(b);
}

static void deterministic_and_streaming_agrees(void **state)
{
	(void)state;
	uint8_t *b = random_buf(BIG, 7);
	size_t *a = malloc(MAX_CHUNKS * sizeof *a);
	size_t *c = malloc(MAX_CHUNKS * sizeof *c);
	size_t na, nc, off = 0, have = 0;
	uint64_t s = 99;

	assert_non_null(a);
	assert_non_null(c);
	na = chunk_all(b, BIG, a);
	assert_int_equal(chunk_all(b, BIG, c), na);
	assert_memory_equal(a, c, na * sizeof *a);

	/* Feed the input in pieces of random size; st_cdc_next must find the
	 * same cuts as the one-shot chunking. */
	nc = 0;
	while (off < BIG) {
		int eof = have == BIG;
		size_t cut = st_cdc_next(b + off, have - off, eof);
		if (cut == 0) {
			assert_false(eof);
			size_t more = 1 + splitmix64(&s) % 20000;
			have = have + more > BIG ? BIG : have + more;
			continue;
		}
		assert_true(nc < na);
		assert_int_equal(cut, a[nc]);
		nc++;
		off += cut;
	}
	assert_int_equal(nc, na);
	free(c);
	free(a);
	free(b);
}

/* How many chunks of nb (lengths nl[]) are not, byte for byte, among those
 * of ob (lengths ol[]). */
static size_t chunks_not_in(const uint8_t *nb, const size_t *nl, size_t nn,
			    const uint8_t *ob, const size_t *ol, size_t on)
{
	size_t miss = 0, noff = 0;

	for (size_t i = 0; i < nn; i++) {
		size_t ooff = 0;
		int found = 0;
		for (size_t j = 0; j < on && !found; j++) {
			if (ol[j] == nl[i] && memcmp(nb + noff, ob + ooff, nl[i]) == 0)
				found = 1;
			ooff += ol[j];
		}
		miss += !found;
		noff += nl[i];
	}
	return miss;
}

static void insert_moves_few_cuts(void **state)
{
	(void)state;
	const size_t ins = 100, at = BIG / 2 + 12345;
	uint8_t *old = random_buf(BIG, 2026);
	uint8_t *extra = random_buf(ins, 5);
	uint8_t *neu = malloc(BIG + ins);
	size_t *ol = malloc(MAX_CHUNKS * sizeof *ol);
	size_t *nl = malloc((MAX_CHUNKS + 1) * sizeof *nl);
	size_t on, nn, miss;

	assert_non_null(neu);
	assert_non_null(ol);
	assert_non_null(nl);
	memcpy(neu, old, at);
	memcpy(neu + at, extra, ins);
	memcpy(neu + at + ins, old + at, BIG - at);

	on = chunk_all(old, BIG, ol);
	nn = chunk_all(neu, BIG + ins, nl);
	miss = chunks_not_in(neu, nl, nn, old, ol, on);
	print_message("    %zu chunks before, %zu after, %zu new\n", on, nn, miss);
	assert_true(miss >= 1);
	assert_true(miss <= 3);

	/* And the same the other way: delete the 100 bytes again. */
	assert_true(chunks_not_in(old, ol, on, neu, nl, nn) <= 3);
	free(nl);
	free(ol);
	free(neu);
	free(extra);
	free(old);
}

static void zeros_cut_at_max(void **state)
{
	(void)state;
	uint8_t *z = calloc(1, BIG);
	size_t *lens = malloc(MAX_CHUNKS * sizeof *lens);
	size_t n;

	assert_non_null(z);
	assert_non_null(lens);
	assert_int_equal(st_cdc_cut(z, ST_CDC_MAX + 1), ST_CDC_MAX);
	assert_int_equal(st_cdc_cut(z, ST_CDC_MAX - 1), ST_CDC_MAX - 1);
	assert_int_equal(st_cdc_next(z, ST_CDC_MAX - 1, 0), 0);
	n = chunk_all(z, BIG, lens);
	assert_int_equal(n, BIG / ST_CDC_MAX);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(lens[i], ST_CDC_MAX);
	free(lens);
	free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gear_table_is_splitmix64),
		cmocka_unit_test(short_input_is_one_chunk),
		cmocka_unit_test(sizes_in_bounds_and_average_near_avg),
		cmocka_unit_test(deterministic_and_streaming_agrees),
		cmocka_unit_test(insert_moves_few_cuts),
		cmocka_unit_test(zeros_cut_at_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
