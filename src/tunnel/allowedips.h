/*
 * allowedips.h - the allowed-IPs table: longest-prefix match to a peer.
 *
 * As in WireGuard, every peer owns a set of IPv4 and IPv6 prefixes.  A
 * packet from the TUN device goes to the peer owning the longest prefix
 * that contains its destination; a decrypted packet is accepted only when
 * the longest prefix containing its source belongs to the peer it came
 * from.  A prefix belongs to one peer at most: inserting it again moves it.
 *
 * One path-compressed binary trie per family.  Lookups walk at most one
 * node per distinct prefix length on the path, never allocate, and are
 * safe to run concurrently with each other (not with changes).  Changes
 * allocate one or two nodes.  Peers are opaque pointers; the table never
 * dereferences them.
 */
#ifndef TUN_ALLOWEDIPS_H
#define TUN_ALLOWEDIPS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Bound on prefixes in one table: a peer cannot make us allocate without end. */
#define TUN_AIP_MAX_ENTRIES 65536

struct tun__aip_node;

/* The table; embed it and call tun_aip_init. */
struct tun_aip {
	struct tun__aip_node *root4;
	struct tun__aip_node *root6;
	struct tun__aip_node *head;	/* every prefix that has a peer, newest first */
	size_t count;			/* entries in that list */
};

/* Empty table. */
void tun_aip_init(struct tun_aip *t);
/* Free every node; the table is empty (and usable) afterwards. */
void tun_aip_deinit(struct tun_aip *t);

/*
 * Map prefix addr/cidr (family AF_INET with 4 bytes, AF_INET6 with 16) to
 * peer (not NULL).  Host bits beyond cidr are ignored.  Replaces the owner
 * of an existing equal prefix.  0, -EINVAL (bad family, cidr or peer),
 * -ENOMEM, or SP_ELIMIT past TUN_AIP_MAX_ENTRIES.
 */
int tun_aip_insert(struct tun_aip *t, int family, const uint8_t *addr, uint8_t cidr,
		   void *peer) SP_MUST_CHECK;

/*
 * Remove prefix addr/cidr if peer owns it (any owner when peer is NULL).
 * 0 when removed, SP_ENOTFOUND otherwise, -EINVAL for a bad family or cidr.
 */
int tun_aip_remove(struct tun_aip *t, int family, const uint8_t *addr, uint8_t cidr, void *peer);

/* Remove every prefix of peer; returns how many were removed. */
size_t tun_aip_remove_peer(struct tun_aip *t, void *peer);

/* Longest-prefix match of a 4-byte IPv4 address: the owner, or NULL. */
void *tun_aip_lookup4(const struct tun_aip *t, const uint8_t addr[4]);
/* Longest-prefix match of a 16-byte IPv6 address: the owner, or NULL. */
void *tun_aip_lookup6(const struct tun_aip *t, const uint8_t addr[16]);

/*
 * Owner of the destination (for sending) or of the source (for the check
 * on receive) of an IP packet, by its version nibble.  NULL when the packet
 * is too short for its header or is neither IPv4 nor IPv6.
 */
void *tun_aip_lookup_dst(const struct tun_aip *t, const uint8_t *pkt, size_t len);
void *tun_aip_lookup_src(const struct tun_aip *t, const uint8_t *pkt, size_t len);

/*
 * Called once per prefix by tun_aip_walk_peer: addr holds 4 or 16 bytes of
 * the masked prefix.  Return nonzero to stop the walk.
 */
typedef int (*tun_aip_walk_cb)(int family, const uint8_t *addr, uint8_t cidr, void *ctx);

/*
 * Visit every prefix of peer (all prefixes when peer is NULL), most
 * recently inserted first.  The callback must not change the table.
 * Returns the callback's nonzero value if it stopped the walk, else 0.
 */
int tun_aip_walk_peer(const struct tun_aip *t, const void *peer, tun_aip_walk_cb cb, void *ctx);

/* Number of prefixes owned by peer (by all peers when NULL). */
size_t tun_aip_count(const struct tun_aip *t, const void *peer);

/*
 * For tests: check the trie's invariants (links, ordering, masking, no
 * useless bare node, entry list and count agree).  0, or SP_ESTATE.
 */
int tun__aip_check(const struct tun_aip *t);

#endif
