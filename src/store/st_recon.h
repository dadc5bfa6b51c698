/*
 * st_recon.h - range-based set reconciliation over (hlc, op id) (pure code).
 *
 * Each side holds its items sorted, with prefix sums of their fingerprints,
 * so the fingerprint of any range costs two binary searches.  A RANGES
 * message covers the whole space as contiguous ranges; the receiver answers
 * each one against its own items:
 *
 *   SKIP            -> SKIP
 *   FP equal        -> SKIP
 *   FP differs      -> IDS of mine when I hold at most ST_RECON_IDS there,
 *                      else ST_RECON_SPLIT sub-ranges (FP, or IDS when tiny)
 *   IDS (theirs)    -> SKIP; their ids I lack go to `need`, mine they lack
 *                      to `have`: the session sends WANT and OPS for them
 *
 * An answer of only SKIPs is sent as an empty RANGES: reconciliation is
 * over.  Every step halves nothing by luck: a differing range is either
 * listed or cut in ST_RECON_SPLIT by count, so the rounds are about
 * log_16(n / ST_RECON_IDS) + 2 for a few differences among n items.
 */
#ifndef STORE_ST_RECON_H
#define STORE_ST_RECON_H

#include <stddef.h>
#include <stdint.h>

#include "store/st_frame.h"
#include "store/st_replica.h"

#define ST_RECON_SPLIT 16	/* sub-ranges a differing range is cut into */
#define ST_RECON_IDS 32		/* a differing range this small is listed, not cut */
#define ST_RECON_INLINE 4	/* a sub-range this small goes as IDS at once */
/*
 * An answer is cut off (the rest of the space goes back as one FP, for the
 * next round) when it nears this many bytes: many differing ranges are cut
 * in one round, and a frame stays well inside ST_FRAME_MAX.
 */
#define ST_RECON_FRAME_BYTES (192u * 1024u)
/* The most one range's answer can add: 16 IDS ranges of ST_RECON_INLINE ids, or one of ST_RECON_IDS. */
#define ST_RECON_CUT_BYTES (ST_RECON_SPLIT * (26 + 3 + ST_RECON_INLINE * ST_ID_LEN) + \
			    26 + 3 + ST_RECON_IDS * ST_ID_LEN)

struct st_recon {
	struct st_item *items;		/* owned, sorted */
	size_t n;
	struct st_fp *pre;		/* n + 1 prefix sums */
};

/* A growing list of op ids (have or need); -ENOMEM is sticky in err. */
struct st_idvec {
	uint8_t (*id)[ST_ID_LEN];
	size_t n, cap;
	int err;
};
void st_idvec_push(struct st_idvec *v, const uint8_t id[ST_ID_LEN]);
void st_idvec_free(struct st_idvec *v);

/* Take ownership of n sorted items (freed by st_recon_free even on error). */
int st_recon_init(struct st_recon *r, struct st_item *items, size_t n) SP_MUST_CHECK;
void st_recon_free(struct st_recon *r);

/* The whole set's fingerprint. */
struct st_fp st_recon_total(const struct st_recon *r);

/* The first message of the initiating side, appended to out as one RANGES frame. */
void st_recon_start(const struct st_recon *r, struct st_buf *out);

/*
 * Answer a received RANGES message (in[0..n), n > 0): append one RANGES
 * frame to out (empty when every range matched), and the ids to send and
 * to ask for to have and need (either may be NULL: that side does not
 * send, or does not accept).  SP_EMALFORMED if the ranges are not ordered.
 */
int st_recon_answer(const struct st_recon *r, const struct st_range *in, size_t n,
		    struct st_buf *out, struct st_idvec *have, struct st_idvec *need) SP_MUST_CHECK;

#endif
