/*
 * st_files.h - files in the store: content-defined chunks plus a manifest
 * document (synchronous; called from the store's worker thread or tests).
 *
 * A file is cut by st_cdc into chunks stored once each by BLAKE2b-256 hash
 * (the chunks table).  Its chunk list goes into index chunks of up to
 * ST_INDEX_HASHES hashes each (themselves content-addressed chunks), and a
 * manifest in the reserved collection `_files`, keyed by the file's name,
 * names the index chunks:
 *
 *   {"size":N,"chunks":K,"index":["<64 hex>",...]}      (exactly this form)
 *
 * The manifest syncs like any document (conflicts included); chunks travel
 * on demand (CHUNK_WANT), are verified against their hash on arrival, and a
 * fetch cut off half way resumes with the chunks still missing.
 */
#ifndef STORE_ST_FILES_H
#define STORE_ST_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/st_db.h"

#define ST_FILES_COLL "_files"
#define ST_INDEX_HASHES 2048	/* hashes per index chunk: 64 KiB, one ST_CDC_MAX */
/* 4096 index chunks of 2048 chunks of at most 64 KiB: 512 GiB, and the
 * manifest's JSON stays under ST_VALUE_MAX. */
#define ST_INDEX_MAX 3000

/* Progress of a long operation: done of total bytes. */
typedef void (*st_progress_fn)(void *arg, uint64_t done, uint64_t total);

/* Store the file at path under name (chunks, index, manifest in one transaction). */
int st_files_put(struct st_db *db, const char *name, const char *path, uint64_t wall_ms,
		 st_progress_fn fn, void *arg) SP_MUST_CHECK;

/*
 * Write the file name to dest (via a temporary file renamed into place):
 * 0, SP_ENOTFOUND (no such file), -EAGAIN (chunks missing: fetch them,
 * st_files_missing), SP_EMALFORMED (not a manifest), or an I/O error.
 */
int st_files_get(struct st_db *db, const char *name, const char *dest, st_progress_fn fn,
		 void *arg) SP_MUST_CHECK;

/* Visit the chunks of name not held here: index chunks first (the data
 * chunks they list are known only once they are here).  *n gets the count. */
typedef int (*st_hash_fn)(void *arg, const uint8_t hash[ST_HASH_LEN]);
int st_files_missing(struct st_db *db, const char *name, st_hash_fn fn, void *arg,
		     size_t *n) SP_MUST_CHECK;

/* Every file: name, size, chunks, and how many of them are missing here. */
typedef int (*st_file_fn)(void *arg, const char *name, uint64_t size, uint64_t chunks,
			  size_t missing, const struct st_value *v);
int st_files_ls(struct st_db *db, st_file_fn fn, void *arg);

/* Parse a manifest (untrusted: it came with an op): 0 or SP_EMALFORMED. */
struct st_manifest {
	uint64_t size, chunks;
	size_t n_index;
	uint8_t (*index)[ST_HASH_LEN];	/* malloc'd, n_index */
};
int st_manifest_parse(const char *json, size_t len, struct st_manifest *m) SP_MUST_CHECK;
void st_manifest_free(struct st_manifest *m);

#endif
