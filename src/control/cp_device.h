/*
 * cp_device.h - the device role's state (internal to src/control/):
 * cp_device.c (registration, the per-destination state machine, messages
 * from the signposts) and cp_path.c (a tunnel's paths: probes, the direct
 * path and the fall-back to the relay, `signpost ping`) and cp_spray.c (the
 * many-probes technique for endpoint-dependent NATs).
 */
#ifndef CP_DEVICE_H
#define CP_DEVICE_H

#include "control/cp_int.h"
#include "control/cp_token.h"
#include "tunnel/path.h"

struct tun_peer;
struct cp_spray;

#define CP_ZONES_MAX 16
#define CP_WANTS_MAX 64
#define CONNECT_TRIES 5
#define RETRY_AFTER_NS (10ull * 1000000000ull)
#define PEER_KEEPALIVE 25
#define CP_DIRECT_CHECK (2000 * 1000000ull)	/* a direct path is re-probed this often */

enum zsp_state { Z_FREE, Z_FINDING, Z_READY, Z_FAILED };
enum want_state { W_FREE, W_FIND_SIGNPOST, W_CONNECT, W_CHECK_KEY, W_UP, W_FAILED };

struct cp_device;

/* A zone's signpost, as this device knows it. */
struct cp_zsp {
	enum zsp_state state;
	struct cp_device *d;
	char zone[256];
	char target[256];	/* SRV target */
	uint16_t port;
	uint8_t ed[32];
	union sp_endpoint ep;
	uint8_t prefix[16];	/* the zone's overlay /48 */
	uint64_t failed_ns;
	bool own;
};

struct cp_want {
	enum want_state state;
	struct cp_device *d;
	char fqdn[256];
	uint8_t addr[16];	/* target overlay address (by address, or learned) */
	struct cp_zsp *z;
	uint64_t req_id, next_ns, since_ns, failed_ns, up_ns;
	unsigned tries;
	uint8_t ed[32];
	union sp_endpoint cand[CP_EP_MAX];
	uint8_t n_cand;
	struct tun_path relay;
	bool peer, direct, incoming;
	const char *why;	/* FAILED: the reason */
	/* cp_path.c: probes of the candidates, and the direct path once one answered */
	uint64_t probe_tx;	/* tx id of this want's path probes */
	uint64_t probe_until, next_probe, next_check, last_pong;	/* ns */
	union sp_endpoint direct_ep;
	/* cp_spray.c: the many-probes technique */
	struct cp_spray *spray;		/* hard side: the sockets, then the winning one */
	union sp_endpoint spray_to;	/* easy side: the address sprayed (family 0: none) */
	unsigned spray_sent;
	bool spray_hard;		/* hard side: the sockets open at spray_at */
	uint64_t spray_at;		/* ns: the first burst, or the sockets */
};

struct cp_device {
	struct cp_plane *cp;
	struct cp_zsp zones[CP_ZONES_MAX];	/* [0]: the own signpost */
	struct cp_want want[CP_WANTS_MAX];
	uv_timer_t reg_timer, tick_timer;
	unsigned timers_open;
	union sp_endpoint local[CP_EP_MAX];
	uint8_t n_local;
	uint64_t last_addr_check;
	bool enrolled_now, token_refused;
	unsigned reg_unanswered;	/* REGISTERs since the last REGISTER_ACK */
	uint64_t last_reg;		/* ns */
	bool via_tls;			/* UDP got no answer: every signpost over TLS */
	uint64_t next_tls_try;		/* ns */
	int64_t last_ack_wall;
	union sp_endpoint observed;
	enum cp_status last_status;
	char token_path[4096];
	struct cp_token token;		/* secret: wiped at stop and when spent */
	bool has_token;
	uint32_t friends_gen;
	uint8_t friends_parts_seen;
	bool zone_listed[CP_ZONES_MAX];		/* in the generation being received */
	int sub_name, sub_nopeer, sub_cands;
	uint64_t relayed_in, relayed_out, connects, connects_refused, revoked;
	uint64_t direct_found, direct_lost;
	struct cp_pingreq *pings;	/* cp_path.c: `signpost ping` requests running */
	bool stopping;
};

/* cp_device.c */
struct tun_peer *cp__want_peer(struct cp_want *w);
struct cp_want *cp__want_by_key(struct cp_device *d, const uint8_t ed[32]);
struct cp_want *cp__want_by_name(struct cp_device *d, const char *fqdn);
/* Start a want for fqdn (absolute) if its zone is the own or a friend's; NULL if not. */
struct cp_want *cp__want_for_name(struct cp_device *d, const char *fqdn, uint64_t now);
const char *cp__want_state_name(const struct cp_want *w);

/* cp_path.c */
/* The want is UP: its relay path is preferred, the candidates are probed. */
void cp__path_start(struct cp_want *w, uint64_t now);
/* New candidates (a CONNECT answered again): probe them if no direct path yet. */
void cp__path_probe(struct cp_want *w, uint64_t now);
/* Every tick: paced probes, direct-path checks, the fall-back. */
void cp__path_tick(struct cp_device *d, uint64_t now);
void cp__path_pong(struct cp_device *d, const struct cp_in *in, const struct cp_msg *m);
/* A RELAY from a signpost for an UP want: WireGuard to the tunnel, control handled here. */
void cp__path_relayed(struct cp_device *d, struct cp_want *w, const struct cp_in *in,
		      uint8_t *payload, size_t len);
/*
 * cp_spray.c.  plan: at the start of probing, the side this device takes
 * (easy: spray the peer's port-0 candidate; hard: open the sockets); tick:
 * the easy side's bursts and the hard side's end; send: a control message
 * along the hard side's direct path (its winning socket), false if there is
 * none; stop: close the sockets (the tunnel goes back to the relay path).
 */
void cp__spray_plan(struct cp_want *w, uint64_t now);
void cp__spray_tick(struct cp_want *w, uint64_t now);
bool cp__spray_send(struct cp_want *w, struct cp_msg *m, size_t min_len);
void cp__spray_stop(struct cp_want *w);
/* The `ping` word; cancel every ping at stop. */
int cp__ping_register(struct cp_device *d) SP_MUST_CHECK;
void cp__ping_stop(struct cp_device *d);

#endif
