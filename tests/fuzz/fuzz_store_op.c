/*
 * fuzz_store_op.c - arbitrary bytes as a store op (src/store/st_op.c), the
 * unit every sync frame carries.  Checks: a decoded op obeys the rules
 * (names, ascending seen ids, value only on a put, the put's JSON valid),
 * and re-encoding it gives back exactly the input, so an op has one
 * encoding and one id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/st_json.h"
#include "store/st_op.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st_op op;
	if (st_op_decode(&op, data, size) != 0)
		return 0;
	if (!st_coll_valid(op.coll, op.coll_len, 1) || !st_key_valid(op.key, op.key_len) ||
	    op.n_seen > ST_SEEN_MAX)
		abort();
	for (size_t i = 1; i < op.n_seen; i++)
		if (memcmp(op.seen + (i - 1) * ST_ID_LEN, op.seen + i * ST_ID_LEN, ST_ID_LEN) >= 0)
			abort();
	if (op.kind == ST_OP_PUT) {
		if (op.value_len == 0 || st_json_check((const char *)op.value, op.value_len, NULL))
			abort();
	} else if (op.kind != ST_OP_DEL || op.value_len != 0) {
		abort();
	}
	uint8_t *again = malloc(size);
	if (!again)
		return 0;
	int n = st_op_encode(&op, again, size);
	if (n < 0 || (size_t)n != size || memcmp(again, data, size) != 0)
		abort();
	free(again);
	return 0;
}
