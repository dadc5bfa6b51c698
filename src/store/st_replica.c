/*
 * st_replica.c - what every replica shares (pure code): the order of items.
 */
#include <string.h>

#include "store/st_replica.h"

int st_item_cmp(const struct st_item *a, const struct st_item *b)
{
	if (a->hlc != b->hlc)
		return a->hlc < b->hlc ? -1 : 1;
	return memcmp(a->id, b->id, ST_ID_LEN);
}
