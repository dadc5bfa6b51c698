/*
 * cp_signpost.h - the signpost role's state (internal to src/control/).
 *
 * What a signpost knows, and where it keeps it:
 *   - its devices: the KEY records of its zone are the list (so a restart,
 *     a zone edit or a secondary all agree); endpoints and last contact are
 *     learned from REGISTER and kept in memory only;
 *   - issued tokens: STATE/tokens (id, name, expiry, hash of the secret,
 *     issued or spent), never the secret itself;
 *   - friends and policy: STATE/friends (zone, anchor, DNS address, which of
 *     my devices their devices may reach);
 *   - relay pairs: which two nodes may send each other datagrams through
 *     it, made by an accepted CONNECT and kept alive by traffic and by the
 *     CONNECTs a device repeats while it uses the path.
 */
#ifndef CP_SIGNPOST_H
#define CP_SIGNPOST_H

#include "control/cp_int.h"

#define CP_DEVICES_MAX 64
#define CP_PAIRS_MAX 256
#define CP_FRIENDS_LIST_MAX 32
#define CP_TOKENS_MAX 128
#define CP_CHECKS_MAX 32	/* friends' connects waiting for their KEY lookup */
#define CP_ALLOW_MAX 256	/* the allow list text: labels, comma-separated */

struct cp_sdev {
	bool used, revoked;
	uint8_t ed[32];
	char name[64];
	uint8_t overlay[16];
	union sp_endpoint ep;		/* where its last REGISTER came from (family 0: never) */
	union sp_endpoint local[CP_EP_MAX];
	uint8_t n_local;
	int64_t last_wall;		/* time(NULL) of its last REGISTER */
	uint64_t last_ns;
};

struct cp_sfriend {
	char zone[256];
	char anchor[CP_ANCHOR_MAX + 1];
	union sp_endpoint dns;		/* family 0: ask public DNS (not in the lab) */
	char allow[CP_ALLOW_MAX];	/* my device labels they may reach; "" none */
};

struct cp_tok {
	bool used, spent;
	uint8_t id[16];
	char name[64];
	int64_t expiry;
	uint8_t hash[32];		/* BLAKE2b-256 of the secret */
};

struct cp_pair {
	bool used;
	uint8_t a[32], b[32];
	union sp_endpoint a_ep, b_ep;	/* a party that is not my device: where it was seen */
	uint64_t expires_ns;
};

struct cp_check {			/* a friend's CONNECT waiting for a DNSSEC lookup */
	bool used;
	struct cp_signpost *s;
	uint8_t sender[32];
	union sp_endpoint src;
	size_t len;
	struct cp_msg m;
};

struct cp_signpost {
	struct cp_plane *cp;
	char state_dir[4096];
	struct cp_sdev dev[CP_DEVICES_MAX];
	struct cp_sfriend friends[CP_FRIENDS_LIST_MAX];
	size_t n_friends;
	uint32_t friends_gen;
	struct cp_tok tok[CP_TOKENS_MAX];
	struct cp_pair pair[CP_PAIRS_MAX];
	struct cp_check *checks;	/* CP_CHECKS_MAX */
	uint8_t revoked[CP_DEVICES_MAX][32];	/* keys revoked since start (a ring) */
	size_t n_revoked;
	int sub_zone;
	uv_timer_t tick;
	uint64_t enrolled, refused_connects, tokens_refused;
};

/* cp_state.c: the files under state-dir */
int cp__tokens_load(struct cp_signpost *s) SP_MUST_CHECK;
int cp__tokens_save(struct cp_signpost *s) SP_MUST_CHECK;
int cp__friends_load(struct cp_signpost *s) SP_MUST_CHECK;
int cp__friends_save(struct cp_signpost *s) SP_MUST_CHECK;

/* cp_signpost.c, for the commands */
struct cp_sdev *cp__dev_by_name(struct cp_signpost *s, const char *name);
/* Refresh the device list from the zone's KEY records. */
void cp__devices_reload(struct cp_signpost *s);
/* Remove the device's records, forget its pairs, tell my other devices.  Returns how many. */
int cp__revoke(struct cp_signpost *s, struct cp_sdev *d, unsigned *told) SP_MUST_CHECK;
/* Send the friends list to every device seen recently, and give it to the resolver. */
void cp__friends_changed(struct cp_signpost *s);
/* The zone's DS (SHA-256 of the KSK) as one line of presentation text. */
int cp__zone_ds(struct cp_signpost *s, char *out, size_t cap) SP_MUST_CHECK;
/* The control endpoints given in tokens. */
size_t cp__public_endpoints(struct cp_signpost *s, union sp_endpoint out[CP_EP_MAX]);

#endif
