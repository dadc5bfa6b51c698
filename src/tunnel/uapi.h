/*
 * uapi.h - the WireGuard cross-platform userspace API, as text.
 *
 * The protocol (https://www.wireguard.com/xplatform/) runs over a Unix
 * stream socket, /var/run/wireguard/IFNAME.sock.  A request is "get=1\n\n"
 * or "set=1\n" followed by key=value lines and an empty line; the reply to
 * either ends with "errno=N\n\n", N being 0 or a negative errno value (as
 * wireguard-go sends and wg(8) reads it).  Keys are lower-case hex.
 *
 * This module is pure: it frames requests, parses a set request into a
 * change list WITHOUT applying it, and serializes a get reply from a
 * snapshot.  The socket server owns the I/O; uapi_apply.c applies the
 * changes in order: device fields, then each peer as listed (a peer's flags
 * before its allowed IPs), through the peer service (owner uapi).
 *
 * Everything is bounded: a request is at most TUN_UAPI_MAX_REQUEST bytes,
 * a line TUN_UAPI_MAX_LINE, a set carries at most TUN_UAPI_MAX_PEERS peers
 * and TUN_UAPI_MAX_AIPS allowed IPs in all (-E2BIG beyond).
 */
#ifndef TUN_UAPI_H
#define TUN_UAPI_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/endpoint.h"
#include "core/error.h"

#define TUN_UAPI_KEY_LEN 32
#define TUN_UAPI_MAX_REQUEST (1u << 20)	/* wg setconf of ~1000 peers fits */
#define TUN_UAPI_MAX_LINE 512		/* longest: an allowed_ip or endpoint line */
#define TUN_UAPI_MAX_PEERS 1024
#define TUN_UAPI_MAX_AIPS 8192

/* What tun_uapi_frame found at the start of the buffer. */
enum tun_uapi_op {
	TUN_UAPI_GET = 1,	/* "get=1\n\n" */
	TUN_UAPI_SET = 2,	/* "set=1\n" ... "\n" */
};

/*
 * Find one complete request at the start of buf[0..len).  Returns its length
 * (> 0, including the closing empty line) and sets *op; 0 when more bytes are
 * needed; -EPROTO when the first line is no known operation (the connection
 * should be closed, as wireguard-go does), -EINVAL for "get=1" followed by
 * anything but the empty line, -E2BIG when no request ends within
 * TUN_UAPI_MAX_REQUEST bytes.
 */
int tun_uapi_frame(const char *buf, size_t len, enum tun_uapi_op *op);

/* Device-level fields present in a set request (tun_uapi_set.flags). */
enum {
	TUN_UAPI_SET_PRIVATE_KEY = 1 << 0,	/* private_key: all zero means remove (refused:
						   the node keeps its one identity) */
	TUN_UAPI_SET_LISTEN_PORT = 1 << 1,	/* listen_port: 0 means pick one */
	TUN_UAPI_SET_FWMARK = 1 << 2,		/* fwmark: 0 means none */
	TUN_UAPI_SET_REPLACE_PEERS = 1 << 3,	/* remove all peers before the ones listed */
};

/* Peer-level fields and actions (tun_uapi_peer.flags). */
enum {
	TUN_UAPI_PEER_REMOVE = 1 << 0,		/* remove=true: remove this peer */
	TUN_UAPI_PEER_UPDATE_ONLY = 1 << 1,	/* update_only=true: do not create it */
	TUN_UAPI_PEER_PRESHARED_KEY = 1 << 2,	/* preshared_key: all zero means none */
	TUN_UAPI_PEER_ENDPOINT = 1 << 3,
	TUN_UAPI_PEER_KEEPALIVE = 1 << 4,	/* persistent_keepalive_interval: 0 = off */
	TUN_UAPI_PEER_REPLACE_AIPS = 1 << 5,	/* replace_allowed_ips=true */
	TUN_UAPI_PEER_PROTOCOL_VERSION = 1 << 6,	/* protocol_version=1 was given */
};

/* One allowed_ip line.  addr holds 4 (AF_INET) or 16 (AF_INET6) bytes. */
struct tun_uapi_aip {
	uint8_t addr[16];
	uint8_t family;
	uint8_t cidr;
	bool remove;		/* "allowed_ip=-PREFIX" (newer wg): remove it instead */
};

/* Endpoints are the node's one endpoint type (sa.sa_family == 0 when there is none). */

/* One public_key section of a set request. */
struct tun_uapi_peer {
	uint8_t public_key[TUN_UAPI_KEY_LEN];
	uint8_t preshared_key[TUN_UAPI_KEY_LEN];	/* secret */
	union sp_endpoint endpoint;
	uint32_t flags;
	uint16_t keepalive;			/* seconds */
	uint32_t aip_first, aip_count;		/* slice of tun_uapi_set.aips */
};

/*
 * A parsed set request.  About 300 KB: allocate with tun_uapi_set_new.
 * Holds secrets; tun_uapi_set_free wipes them.
 */
struct tun_uapi_set {
	uint32_t flags;
	uint8_t private_key[TUN_UAPI_KEY_LEN];	/* secret */
	uint16_t listen_port;
	uint32_t fwmark;
	uint32_t n_peers, n_aips;
	struct tun_uapi_peer peers[TUN_UAPI_MAX_PEERS];
	struct tun_uapi_aip aips[TUN_UAPI_MAX_AIPS];
};

/* A zeroed set request on the heap, or NULL. */
struct tun_uapi_set *tun_uapi_set_new(void);
/* Wipe and free; accepts NULL. */
void tun_uapi_set_free(struct tun_uapi_set *s);

/*
 * Parse a whole set request (text as framed by tun_uapi_frame: starting with
 * "set=1\n"; the closing empty line may be left out) into *out, which is
 * reset first.  Returns 0, or the negative errno for the errno= line:
 * -EPROTO for a line without '=' or a missing "set=1" line, -EINVAL for an
 * unknown key, a key in the wrong section or a bad value, -E2BIG past a
 * limit.  On error *out is wiped.
 */
int tun_uapi_parse_set(const char *text, size_t len, struct tun_uapi_set *out) SP_MUST_CHECK;

/* One allowed IP of a peer in a snapshot. */
struct tun_uapi_snap_aip {
	uint8_t addr[16];
	uint8_t family;	/* AF_INET or AF_INET6 */
	uint8_t cidr;
};

/* One peer of a device snapshot (for get). */
struct tun_uapi_snap_peer {
	uint8_t public_key[TUN_UAPI_KEY_LEN];
	uint8_t preshared_key[TUN_UAPI_KEY_LEN];	/* all zero when none */
	union sp_endpoint endpoint;		/* family 0: not printed */
	int64_t last_handshake_sec;			/* 0/0 when never */
	int64_t last_handshake_nsec;
	uint64_t tx_bytes, rx_bytes;
	uint16_t keepalive;
	const struct tun_uapi_snap_aip *aips;
	size_t n_aips;
};

/* A device snapshot (for get). */
struct tun_uapi_snap {
	bool has_private_key;
	uint8_t private_key[TUN_UAPI_KEY_LEN];
	uint16_t listen_port;	/* printed when nonzero */
	uint32_t fwmark;	/* printed when nonzero */
	const struct tun_uapi_snap_peer *peers;
	size_t n_peers;
};

/*
 * Serialize the reply to get=1, in the order wireguard-go uses, ending with
 * "errno=0\n\n", into buf (NUL-terminated).  Returns 0 and sets *len to the
 * text length; SP_ETRUNC when cap is too small, with *len set to the length
 * needed (plus one for the NUL makes the cap to retry with).
 */
int tun_uapi_write_get(const struct tun_uapi_snap *snap, char *buf, size_t cap,
		       size_t *len) SP_MUST_CHECK;

/*
 * The reply to a set (or a failed get): "errno=N\n\n" with N = err (0 or a
 * negative errno; project codes become -EINVAL).  Returns its length, or
 * SP_ETRUNC if cap < 32.
 */
int tun_uapi_write_errno(int err, char *buf, size_t cap);

/* Lower-case hex of a 32-byte key into out (65 bytes incl. NUL). */
void tun_uapi_key_to_hex(const uint8_t key[TUN_UAPI_KEY_LEN], char out[2 * TUN_UAPI_KEY_LEN + 1]);
/* 64 hex digits (either case) into key; 0 or -EINVAL. */
int tun_uapi_key_from_hex(const char *hex, size_t len, uint8_t key[TUN_UAPI_KEY_LEN]) SP_MUST_CHECK;

/*
 * Parse "A.B.C.D:PORT" or "[IPV6]:PORT", with an optional "%SCOPE" inside
 * the brackets (a number, or an interface name as getnameinfo writes it for
 * link-local addresses).  0 or -EINVAL.
 */
int tun_uapi_parse_endpoint(const char *text, size_t len, union sp_endpoint *out) SP_MUST_CHECK;

/* Format an endpoint the same way (numeric scope); returns the length or SP_ETRUNC. */
int tun_uapi_format_endpoint(const union sp_endpoint *ep, char *buf, size_t cap);

#endif
