/* test_op.c - the op codec: round trip, canonical ids, every rule refused on both sides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/st_op.h"

static uint8_t buf[ST_OP_MAX];

static struct st_op sample(void)
{
	static const uint8_t seen[2 * ST_ID_LEN] = { [0] = 1, [ST_ID_LEN] = 2 };
	struct st_op op = {
		.hlc = (uint64_t)1764806400000 << 16 | 3, .kind = ST_OP_PUT,
		.coll = "notes", .coll_len = 5, .key = "2026/shopping", .key_len = 13,
		.n_seen = 2, .seen = seen, .value = (const uint8_t *)"{\"t\":\"milk\"}",
		.value_len = 12,
	};
	memset(op.device, 0xab, ST_ID_LEN);
	return op;
}

static void round_trip(void **state)
{
	(void)state;
	struct st_op op = sample(), back;
	int n = st_op_encode(&op, buf, sizeof(buf));
	assert_int_equal(n, ST_OP_FIXED + 5 + 13 + 2 * ST_ID_LEN + 12);
	assert_int_equal(st_op_decode(&back, buf, (size_t)n), 0);
	assert_int_equal(back.hlc, op.hlc);
	assert_memory_equal(back.device, op.device, ST_ID_LEN);
	assert_int_equal(back.kind, ST_OP_PUT);
	assert_int_equal(back.coll_len, 5);
	assert_memory_equal(back.coll, "notes", 5);
	assert_memory_equal(back.key, "2026/shopping", 13);
	assert_int_equal(back.n_seen, 2);
	assert_memory_equal(back.seen, op.seen, 2 * ST_ID_LEN);
	assert_memory_equal(back.value, op.value, 12);

	/* The same op encodes to the same bytes, so to the same id; any change moves it. */
	uint8_t id1[ST_ID_LEN], id2[ST_ID_LEN], again[ST_OP_MAX];
	assert_int_equal(st_op_encode(&back, again, sizeof(again)), n);
	assert_memory_equal(again, buf, (size_t)n);
	st_op_id(buf, (size_t)n, id1);
	op.hlc++;
	n = st_op_encode(&op, buf, sizeof(buf));
	st_op_id(buf, (size_t)n, id2);
	assert_memory_not_equal(id1, id2, ST_ID_LEN);
}

static void delete_has_no_value(void **state)
{
	(void)state;
	struct st_op op = sample(), back;
	op.kind = ST_OP_DEL;
	assert_int_equal(st_op_encode(&op, buf, sizeof(buf)), SP_EMALFORMED);
	op.value = NULL;
	op.value_len = 0;
	int n = st_op_encode(&op, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(st_op_decode(&back, buf, (size_t)n), 0);
	assert_int_equal(back.kind, ST_OP_DEL);
	assert_null(back.value);
}

static void encoder_refuses_rule_breaks(void **state)
{
	(void)state;
	struct st_op op;
	const uint8_t same[2 * ST_ID_LEN] = { 0 };
	char longkey[ST_KEY_MAX + 1];
	memset(longkey, 'k', sizeof(longkey));

	op = sample(), op.coll = "_files", op.coll_len = 6;
	assert_true(st_op_encode(&op, buf, sizeof(buf)) > 0);	/* reserved: travels */
	op = sample(), op.coll = ".x", op.coll_len = 2;
	assert_int_equal(st_op_encode(&op, buf, sizeof(buf)), SP_EMALFORMED);
	op = sample(), op.coll = "a b", op.coll_len = 3;
	assert_int_equal(st_op_encode(&op, buf, sizeof(buf)), SP_EMALFORMED);
	op = sample(), op.key = longkey, op.key_len = ST_KEY_MAX + 1;
	assert_int_equal(st_op_encode(&op, buf, sizeof(buf)), SP_EMALFORMED);
	op = sample(), op.key = "a\nb", op.key_len = 3;
	assert_int_equal(st_op_encode(&op, buf, sizeof(buf)), SP_EMALFORMED);
	op = sample(), op.seen = same;
	assert_int_equal(st_op_encode(&op, buf, sizeof(buf)), SP_EMALFORMED);
	op = sample(), op.value = (const uint8_t *)"{x}", op.value_len = 3;
	assert_int_equal(st_op_encode(&op, buf, sizeof(buf)), SP_EMALFORMED);
	op = sample(), op.kind = 3;
	assert_int_equal(st_op_encode(&op, buf, sizeof(buf)), SP_EMALFORMED);
	op = sample();
	assert_int_equal(st_op_encode(&op, buf, 20), SP_ETRUNC);
}

static void decoder_refuses_tampering(void **state)
{
	(void)state;
	struct st_op op = sample(), back;
	int n = st_op_encode(&op, buf, sizeof(buf));
	assert_true(n > 0);
	/* Every truncation and one extra byte. */
	for (int k = 0; k < n; k++)
		assert_int_equal(st_op_decode(&back, buf, (size_t)k), SP_EMALFORMED);
	buf[n] = 0;
	assert_int_equal(st_op_decode(&back, buf, (size_t)n + 1), SP_EMALFORMED);

	uint8_t t[ST_OP_MAX];
	memcpy(t, buf, (size_t)n);
	t[0] = 2;	/* version */
	assert_int_equal(st_op_decode(&back, t, (size_t)n), SP_EMALFORMED);
	memcpy(t, buf, (size_t)n);
	t[1 + 8 + ST_ID_LEN] = 9;	/* kind */
	assert_int_equal(st_op_decode(&back, t, (size_t)n), SP_EMALFORMED);
	memcpy(t, buf, (size_t)n);
	t[n - 2] = '!';	/* the JSON's closing brace */
	t[n - 1] = '!';
	assert_int_equal(st_op_decode(&back, t, (size_t)n), SP_EMALFORMED);
	memcpy(t, buf, (size_t)n);
	size_t seen_at = ST_OP_FIXED - 4 + 5 + 13;	/* after n_seen */
	memcpy(t + seen_at + ST_ID_LEN, t + seen_at, ST_ID_LEN);	/* duplicate id */
	assert_int_equal(st_op_decode(&back, t, (size_t)n), SP_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(delete_has_no_value),
		cmocka_unit_test(encoder_refuses_rule_breaks),
		cmocka_unit_test(decoder_refuses_tampering),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
