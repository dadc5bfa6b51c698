/*
 * st_op.c - the op codec (pure code).  st_op.h gives the encoding and the rules.
 */
#include <string.h>

#include <sodium.h>

#include "store/st_json.h"
#include "store/st_op.h"

int st_coll_valid(const char *coll, size_t len, int reserved_ok)
{
	if (len == 0 || len > ST_COLL_MAX || coll[0] == '.')
		return 0;
	if (coll[0] == '_' && !reserved_ok)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = coll[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int st_key_valid(const char *key, size_t len)
{
	return len > 0 && len <= ST_KEY_MAX && st_json_utf8_plain(key, len);
}

/* The rules both directions check (the value's JSON is checked by the caller). */
static int op_rules(const struct st_op *op)
{
	if (op->kind != ST_OP_PUT && op->kind != ST_OP_DEL)
		return SP_EMALFORMED;
	/* Reserved collections travel like any other: only local writers are limited. */
	if (!st_coll_valid(op->coll, op->coll_len, 1) || !st_key_valid(op->key, op->key_len))
		return SP_EMALFORMED;
	if (op->n_seen > ST_SEEN_MAX)
		return SP_EMALFORMED;
	for (size_t i = 1; i < op->n_seen; i++)
		if (memcmp(op->seen + (i - 1) * ST_ID_LEN, op->seen + i * ST_ID_LEN, ST_ID_LEN) >= 0)
			return SP_EMALFORMED;
	if (op->kind == ST_OP_PUT ? op->value_len == 0 || op->value_len > ST_VALUE_MAX
				  : op->value_len != 0)
		return SP_EMALFORMED;
	return 0;
}

static uint8_t *put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		p[k] = (uint8_t)(v >> (8 * (n - 1 - k)));
	return p + n;
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned k = 0; k < n; k++)
		v = v << 8 | p[k];
	return v;
}

int st_op_encode(const struct st_op *op, uint8_t *out, size_t cap)
{
	int rc = op_rules(op);
	if (rc != 0)
		return rc;
	if (op->kind == ST_OP_PUT && st_json_check((const char *)op->value, op->value_len, NULL) != 0)
		return SP_EMALFORMED;
	size_t need = ST_OP_FIXED + op->coll_len + op->key_len + op->n_seen * ST_ID_LEN +
		      op->value_len;
	if (need > cap)
		return SP_ETRUNC;
	uint8_t *p = out;
	*p++ = ST_OP_VERSION;
	p = put_be(p, op->hlc, 8);
	memcpy(p, op->device, ST_ID_LEN);
	p += ST_ID_LEN;
	*p++ = (uint8_t)op->kind;
	*p++ = (uint8_t)op->coll_len;
	memcpy(p, op->coll, op->coll_len);
	p += op->coll_len;
	p = put_be(p, op->key_len, 2);
	memcpy(p, op->key, op->key_len);
	p += op->key_len;
	*p++ = (uint8_t)op->n_seen;
	if (op->n_seen)
		memcpy(p, op->seen, op->n_seen * ST_ID_LEN);
	p += op->n_seen * ST_ID_LEN;
	p = put_be(p, op->value_len, 4);
	if (op->value_len)
		memcpy(p, op->value, op->value_len);
	p += op->value_len;
	return (int)(p - out);
}

/* A reader over untrusted bytes: every take checks what is left. */
struct rd {
	const uint8_t *p;
	size_t left;
};

static const uint8_t *rd_take(struct rd *r, size_t n)
{
	if (n > r->left)
		return NULL;
	const uint8_t *at = r->p;
	r->p += n;
	r->left -= n;
	return at;
}

static int rd_uint(struct rd *r, unsigned n, uint64_t *v)
{
	const uint8_t *at = rd_take(r, n);
	if (!at)
		return -1;
	*v = get_be(at, n);
	return 0;
}

int st_op_decode(struct st_op *op, const uint8_t *buf, size_t len)
{
	struct rd r = { buf, len };
	uint64_t v, kind, coll_len, key_len, n_seen, value_len;
	const uint8_t *dev;

	memset(op, 0, sizeof(*op));
	if (rd_uint(&r, 1, &v) != 0 || v != ST_OP_VERSION || rd_uint(&r, 8, &op->hlc) != 0 ||
	    !(dev = rd_take(&r, ST_ID_LEN)) || rd_uint(&r, 1, &kind) != 0 ||
	    rd_uint(&r, 1, &coll_len) != 0 || !(op->coll = (const char *)rd_take(&r, coll_len)) ||
	    rd_uint(&r, 2, &key_len) != 0 || !(op->key = (const char *)rd_take(&r, key_len)) ||
	    rd_uint(&r, 1, &n_seen) != 0 || n_seen > ST_SEEN_MAX ||
	    !(op->seen = rd_take(&r, n_seen * ST_ID_LEN)) || rd_uint(&r, 4, &value_len) != 0 ||
	    value_len > ST_VALUE_MAX || !(op->value = rd_take(&r, value_len)) || r.left != 0)
		return SP_EMALFORMED;
	memcpy(op->device, dev, ST_ID_LEN);
	op->kind = (enum st_op_kind)kind;
	op->coll_len = coll_len;
	op->key_len = key_len;
	op->n_seen = n_seen;
	op->value_len = value_len;
	if (n_seen == 0)
		op->seen = NULL;
	if (value_len == 0)
		op->value = NULL;
	if (op_rules(op) != 0)
		return SP_EMALFORMED;
	if (op->kind == ST_OP_PUT && st_json_check((const char *)op->value, value_len, NULL) != 0)
		return SP_EMALFORMED;
	return 0;
}

void st_op_id(const uint8_t *buf, size_t len, uint8_t id[ST_ID_LEN])
{
	crypto_generichash(id, ST_ID_LEN, buf, len, NULL, 0);
}
