/*
 * st_replica.c - what every replica shares (pure code): the order of items
 * and the set fingerprint.
 */
#include <string.h>

#include <sodium.h>

#include "store/st_replica.h"

int st_item_cmp(const struct st_item *a, const struct st_item *b)
{
	if (a->hlc != b->hlc)
		return a->hlc < b->hlc ? -1 : 1;
	return memcmp(a->id, b->id, ST_ID_LEN);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int k = 7; k >= 0; k--)
		v = v << 8 | p[k];
	return v;
}

void st_fp_add(struct st_fp *f, const uint8_t id[ST_ID_LEN])
{
	uint64_t lo = le64(id);
	f->lo += lo;
	f->hi += le64(id + 8) + (f->lo < lo);
	f->n++;
}

struct st_fp st_fp_sub(struct st_fp a, struct st_fp b)
{
	struct st_fp d = { a.lo - b.lo, a.hi - b.hi - (a.lo < b.lo), a.n - b.n };
	return d;
}

void st_fp_digest(const struct st_fp *f, uint8_t out[ST_ID_LEN])
{
	uint8_t in[24];
	for (int k = 0; k < 8; k++) {
		in[k] = (uint8_t)(f->lo >> (8 * k));
		in[8 + k] = (uint8_t)(f->hi >> (8 * k));
		in[16 + k] = (uint8_t)(f->n >> (8 * k));
	}
	crypto_generichash(out, ST_ID_LEN, in, sizeof(in), NULL, 0);
}

void st_device_id(const uint8_t wg_public[32], uint8_t out[ST_ID_LEN])
{
	static const char label[] = "signpost store device";
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, ST_ID_LEN);
	crypto_generichash_update(&h, (const uint8_t *)label, sizeof(label) - 1);
	crypto_generichash_update(&h, wg_public, 32);
	crypto_generichash_final(&h, out, ST_ID_LEN);
}
