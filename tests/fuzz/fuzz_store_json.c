/*
 * fuzz_store_json.c - arbitrary bytes as a document (src/store/st_json.c).
 * Checks: the verdict is stable; an accepted text stays accepted inside an
 * array and as an object member (a value is a value anywhere), and a
 * refused one reports an offset within the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/st_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t at = (size_t)-1;
	int rc = st_json_check(s, size, &at);
	if (rc != st_json_check(s, size, NULL))
		abort();
	if (rc != 0) {
		if (rc != SP_EMALFORMED || at > size)
			abort();
		return 0;
	}
	char *w = malloc(size + 8);
	if (!w)
		return 0;
	w[0] = '[';
	memcpy(w + 1, s, size);
	w[size + 1] = ']';
	/* One level deeper may pass the depth bound; nothing else may fail. */
	size_t at2;
	if (st_json_check(w, size + 2, &at2) != 0 && size < ST_JSON_DEPTH)
		abort();
	memcpy(w, "{\"k\":", 5);
	memcpy(w + 5, s, size);
	w[size + 5] = '}';
	if (st_json_check(w, size + 6, &at2) != 0 && size < ST_JSON_DEPTH)
		abort();
	free(w);
	return 0;
}
