/*
 * st_pair.c - two sessions joined in memory (pure code); see st_pair.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/st_pair.h"

int st_pair_open(struct st_pair *p, struct st_replica r0, const struct st_session_cfg *c0,
		 struct st_replica r1, const struct st_session_cfg *c1)
{
	memset(p, 0, sizeof(*p));
	int rc = st_session_new(r0, c0, &p->s[0]);
	if (rc == 0 && (rc = st_session_new(r1, c1, &p->s[1])) != 0) {
		st_session_free(p->s[0]);
		p->s[0] = NULL;
	}
	return rc;
}

void st_pair_close(struct st_pair *p)
{
	st_session_free(p->s[0]);
	st_session_free(p->s[1]);
	p->s[0] = p->s[1] = NULL;
}

int st_pair_step(struct st_pair *p, size_t max)
{
	uint8_t *copy[2] = { NULL, NULL };
	size_t len[2];
	int moved = 0;
	/* Take both sides' output first: a flight crosses in both directions at once. */
	for (int i = 0; i < 2; i++) {
		const uint8_t *out = st_session_output(p->s[i], &len[i]);
		if (max && len[i] > max)
			len[i] = max;
		if (len[i] == 0)
			continue;
		copy[i] = malloc(len[i]);
		if (!copy[i]) {
			free(copy[0]);
			return p->err = -ENOMEM;
		}
		memcpy(copy[i], out, len[i]);
		moved = 1;
	}
	for (int i = 0; i < 2 && moved; i++) {
		if (!len[i])
			continue;
		p->bytes[i] += len[i];
		int rc = st_session_sent(p->s[i], len[i]);
		int rc2 = st_session_input(p->s[!i], copy[i], len[i]);
		if (!p->err)
			p->err = rc ? rc : rc2;
	}
	free(copy[0]);
	free(copy[1]);
	if (moved)
		p->flights++;
	return p->err ? p->err : moved;
}

int st_pair_run(struct st_pair *p, size_t max_flights)
{
	for (size_t i = 0; i < max_flights; i++) {
		int rc = st_pair_step(p, 0);
		if (rc <= 0)
			return rc;
	}
	return 0;
}
