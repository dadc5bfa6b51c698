/*
 * st_op.h - the store's unit of change (pure code: no I/O, no globals).
 * docs/ARCHITECTURE.md, "Store plane".
 *
 * Every put and delete is an immutable op.  An op names its origin device
 * and a hybrid-logical-clock stamp, the (collection, key) it writes, the
 * ops of that key its writer had seen (the heads it supersedes), and for a
 * put the JSON value.  Its id is BLAKE2b-128 of its canonical encoding, so
 * two replicas that hold the same ops hold byte-identical sets, and applying
 * ops in any order, any number of times, gives one state.
 *
 * Canonical encoding (big-endian), ST_OP_VERSION 1:
 *
 *   u8  version | u64 hlc | device[16] | u8 kind (1 put, 2 del)
 *   u8  coll_len | coll | u16 key_len | key
 *   u8  n_seen | n_seen * id[16] (strictly ascending)
 *   u32 value_len | value (put: JSON, 1..ST_VALUE_MAX; del: 0 bytes)
 *
 * Names: a collection is 1..ST_COLL_MAX bytes of [A-Za-z0-9_.-] and does
 * not start with '.'; one starting with '_' is reserved to the store itself
 * (`_files`: file manifests).  A key is 1..ST_KEY_MAX bytes of UTF-8 with no
 * control character.
 */
#ifndef STORE_ST_OP_H
#define STORE_ST_OP_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define ST_OP_VERSION 1
#define ST_ID_LEN 16		/* op ids and device ids: BLAKE2b-128 */
#define ST_COLL_MAX 64
#define ST_KEY_MAX 256
#define ST_SEEN_MAX 16		/* heads one op may supersede; more are settled in steps */
#define ST_VALUE_MAX (256u * 1024u) /* one document's JSON */
/* Fixed part of the encoding; the largest op is ST_OP_FIXED + names + seen + value. */
#define ST_OP_FIXED (1 + 8 + ST_ID_LEN + 1 + 1 + 2 + 1 + 4)
#define ST_OP_MAX (ST_OP_FIXED + ST_COLL_MAX + ST_KEY_MAX + ST_SEEN_MAX * ST_ID_LEN + ST_VALUE_MAX)

enum st_op_kind { ST_OP_PUT = 1, ST_OP_DEL = 2 };

/*
 * An op, decoded.  The pointers borrow from the buffer it was decoded from
 * (or from the caller, when encoding); nothing here is owned.
 */
struct st_op {
	uint64_t hlc;
	uint8_t device[ST_ID_LEN];
	enum st_op_kind kind;
	const char *coll;
	size_t coll_len;
	const char *key;
	size_t key_len;
	size_t n_seen;
	const uint8_t *seen;		/* n_seen * ST_ID_LEN bytes, ascending */
	const uint8_t *value;		/* put: JSON; del: NULL */
	size_t value_len;
};

/* Is this a valid collection name (reserved ones allowed when reserved_ok)? */
int st_coll_valid(const char *coll, size_t len, int reserved_ok);
/* Is this a valid key? */
int st_key_valid(const char *key, size_t len);

/*
 * Encode op into out[0..cap) (seen must already be ascending and unique; a
 * put's value must be valid JSON, st_json_check).  Returns the length, or
 * SP_ETRUNC, or SP_EMALFORMED for an op that breaks a rule above.
 */
int st_op_encode(const struct st_op *op, uint8_t *out, size_t cap) SP_MUST_CHECK;

/*
 * Decode exactly len bytes of untrusted input into *op (borrowing from buf),
 * checking every rule above including the JSON of a put.  0 or SP_EMALFORMED.
 */
int st_op_decode(struct st_op *op, const uint8_t *buf, size_t len) SP_MUST_CHECK;

/* The op id of an encoded op: BLAKE2b-128 of its bytes. */
void st_op_id(const uint8_t *buf, size_t len, uint8_t id[ST_ID_LEN]);

#endif
