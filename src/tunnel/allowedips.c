/*
 * allowedips.c - longest-prefix match by a path-compressed binary trie.
 *
 * Keys are held as two 64-bit words in host order (an IPv4 address fills the
 * top 32 bits of the first word), so matching a node is two XOR-and-mask
 * operations.  Every node's key is masked to its cidr; its children extend
 * its prefix, child[b] holding those whose bit number cidr is b.  Nodes
 * without a peer exist only where two branches meet, and are removed as
 * soon as they stop joining two branches.
 */
#include "tunnel/allowedips.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* What a lookup reads comes first, within one 64-byte cache line. */
struct tun__aip_node {
	uint64_t key[2];		/* prefix, masked to cidr */
	uint64_t mask[2];
	struct tun__aip_node *child[2];
	void *peer;
	uint8_t cidr;
	uint8_t maxbits;		/* 32 or 128 */
	struct tun__aip_node *parent;
	struct tun__aip_node *prev, *next;	/* entry list, only while peer != NULL */
};

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void key_from_addr(uint64_t k[2], int family, const uint8_t *addr)
{
	if (family == AF_INET) {
		k[0] = (uint64_t)((uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 |
				  (uint32_t)addr[2] << 8 | addr[3]) << 32;
		k[1] = 0;
	} else {
		k[0] = load_be64(addr);
		k[1] = load_be64(addr + 8);
	}
}

static void mask_for(uint64_t m[2], unsigned cidr)
{
	m[0] = cidr == 0 ? 0 : cidr >= 64 ? ~(uint64_t)0 : ~(uint64_t)0 << (64 - cidr);
	m[1] = cidr <= 64 ? 0 : cidr >= 128 ? ~(uint64_t)0 : ~(uint64_t)0 << (128 - cidr);
}

static inline int node_matches(const struct tun__aip_node *n, const uint64_t k[2])
{
	return (((k[0] ^ n->key[0]) & n->mask[0]) | ((k[1] ^ n->key[1]) & n->mask[1])) == 0;
}

/* Bit number i (0 = most significant) of a key; i < 128. */
static inline unsigned bit_at(const uint64_t k[2], unsigned i)
{
	return (unsigned)(k[i >> 6] >> (63 - (i & 63))) & 1;
}

static unsigned common_bits(const uint64_t a[2], const uint64_t b[2])
{
	uint64_t x = a[0] ^ b[0];
	if (x != 0)
		return (unsigned)__builtin_clzll(x);
	x = a[1] ^ b[1];
	if (x != 0)
		return 64 + (unsigned)__builtin_clzll(x);
	return 128;
}

static struct tun__aip_node *node_new(const uint64_t k[2], unsigned cidr, unsigned maxbits)
{
	struct tun__aip_node *n = aligned_alloc(64, (sizeof(*n) + 63) & ~(size_t)63);
	if (n == NULL)
		return NULL;
	memset(n, 0, sizeof(*n));
	mask_for(n->mask, cidr);
	n->key[0] = k[0] & n->mask[0];
	n->key[1] = k[1] & n->mask[1];
	n->cidr = (uint8_t)cidr;
	n->maxbits = (uint8_t)maxbits;
	return n;
}

static void list_add(struct tun_aip *t, struct tun__aip_node *n)
{
	n->prev = NULL;
	n->next = t->head;
	if (t->head != NULL)
		t->head->prev = n;
	t->head = n;
	t->count++;
}

static void list_del(struct tun_aip *t, struct tun__aip_node *n)
{
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		t->head = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	n->prev = n->next = NULL;
	t->count--;
}

static struct tun__aip_node **root_of(struct tun_aip *t, unsigned maxbits)
{
	return maxbits == 32 ? &t->root4 : &t->root6;
}

/* Where the parent (or the root) points at n. */
static struct tun__aip_node **slot_of(struct tun_aip *t, struct tun__aip_node *n)
{
	struct tun__aip_node *p = n->parent;
	if (p == NULL)
		return root_of(t, n->maxbits);
	return p->child[0] == n ? &p->child[0] : &p->child[1];
}

static int check_args(int family, const uint8_t *addr, unsigned cidr, unsigned *maxbits)
{
	if (addr == NULL)
		return -EINVAL;
	if (family == AF_INET)
		*maxbits = 32;
	else if (family == AF_INET6)
		*maxbits = 128;
	else
		return -EINVAL;
	return cidr <= *maxbits ? 0 : -EINVAL;
}

void tun_aip_init(struct tun_aip *t)
{
	memset(t, 0, sizeof(*t));
}

static void free_tree(struct tun__aip_node *n)
{
	/* Depth is bounded by 129: every level has a longer prefix. */
	if (n == NULL)
		return;
	free_tree(n->child[0]);
	free_tree(n->child[1]);
	free(n);
}

void tun_aip_deinit(struct tun_aip *t)
{
	free_tree(t->root4);
	free_tree(t->root6);
	tun_aip_init(t);
}

int tun_aip_insert(struct tun_aip *t, int family, const uint8_t *addr, uint8_t cidr, void *peer)
{
	unsigned maxbits;
	if (peer == NULL || check_args(family, addr, cidr, &maxbits) != 0)
		return -EINVAL;
	uint64_t k[2], m[2];
	key_from_addr(k, family, addr);
	mask_for(m, cidr);
	k[0] &= m[0];
	k[1] &= m[1];

	struct tun__aip_node **rootp = root_of(t, maxbits);
	struct tun__aip_node *parent = NULL, *node = *rootp;
	while (node != NULL && node->cidr <= cidr && node_matches(node, k)) {
		if (node->cidr == cidr) {
			if (node->peer == NULL) {
				if (t->count >= TUN_AIP_MAX_ENTRIES)
					return SP_ELIMIT;
				list_add(t, node);
			}
			node->peer = peer;
			return 0;
		}
		parent = node;
		node = node->child[bit_at(k, node->cidr)];
	}
	if (t->count >= TUN_AIP_MAX_ENTRIES)
		return SP_ELIMIT;

	struct tun__aip_node *nn = node_new(k, cidr, maxbits);
	if (nn == NULL)
		return -ENOMEM;
	nn->peer = peer;
	struct tun__aip_node **slot = parent != NULL ? &parent->child[bit_at(k, parent->cidr)] : rootp;

	if (node == NULL) {
		*slot = nn;
		nn->parent = parent;
	} else {
		unsigned common = common_bits(node->key, k);
		if (common > cidr)
			common = cidr;
		if (common > node->cidr)
			common = node->cidr;
		if (common == cidr) {
			/* The new prefix contains node: it goes in between. */
			nn->child[bit_at(node->key, cidr)] = node;
			node->parent = nn;
			nn->parent = parent;
			*slot = nn;
		} else {
			/* They part at bit `common`: join them under a bare node. */
			struct tun__aip_node *join = node_new(k, common, maxbits);
			if (join == NULL) {
				free(nn);
				return -ENOMEM;
			}
			join->child[bit_at(node->key, common)] = node;
			join->child[bit_at(k, common)] = nn;
			node->parent = join;
			nn->parent = join;
			join->parent = parent;
			*slot = join;
		}
	}
	list_add(t, nn);
	return 0;
}

/* Drop bare nodes that no longer join two branches, from n upwards. */
static void collapse(struct tun_aip *t, struct tun__aip_node *n)
{
	while (n != NULL && n->peer == NULL) {
		if (n->child[0] != NULL && n->child[1] != NULL)
			return;
		struct tun__aip_node *child = n->child[0] != NULL ? n->child[0] : n->child[1];
		struct tun__aip_node *parent = n->parent;
		*slot_of(t, n) = child;
		if (child != NULL)
			child->parent = parent;
		free(n);
		if (child != NULL)
			return;	/* the parent keeps as many children as before */
		n = parent;
	}
}

static void remove_entry(struct tun_aip *t, struct tun__aip_node *n)
{
	list_del(t, n);
	n->peer = NULL;
	collapse(t, n);
}

int tun_aip_remove(struct tun_aip *t, int family, const uint8_t *addr, uint8_t cidr, void *peer)
{
	unsigned maxbits;
	if (check_args(family, addr, cidr, &maxbits) != 0)
		return -EINVAL;
	uint64_t k[2], m[2];
	key_from_addr(k, family, addr);
	mask_for(m, cidr);
	k[0] &= m[0];
	k[1] &= m[1];
	struct tun__aip_node *node = *root_of(t, maxbits);
	while (node != NULL && node->cidr <= cidr && node_matches(node, k)) {
		if (node->cidr == cidr) {
			if (node->peer == NULL || (peer != NULL && node->peer != peer))
				return SP_ENOTFOUND;
			remove_entry(t, node);
			return 0;
		}
		node = node->child[bit_at(k, node->cidr)];
	}
	return SP_ENOTFOUND;
}

size_t tun_aip_remove_peer(struct tun_aip *t, void *peer)
{
	size_t removed = 0;
	struct tun__aip_node *n = t->head;
	while (n != NULL) {
		/* collapse() frees only bare nodes, never a listed one. */
		struct tun__aip_node *next = n->next;
		if (n->peer == peer) {
			remove_entry(t, n);
			removed++;
		}
		n = next;
	}
	return removed;
}

static void *lookup(const struct tun__aip_node *node, const uint64_t k[2])
{
	void *found = NULL;
	while (node != NULL && node_matches(node, k)) {
		if (node->peer != NULL)
			found = node->peer;
		if (node->cidr == node->maxbits)
			break;
		node = node->child[bit_at(k, node->cidr)];
	}
	return found;
}

void *tun_aip_lookup4(const struct tun_aip *t, const uint8_t addr[4])
{
	uint64_t k[2];
	key_from_addr(k, AF_INET, addr);
	return lookup(t->root4, k);
}

void *tun_aip_lookup6(const struct tun_aip *t, const uint8_t addr[16])
{
	uint64_t k[2];
	key_from_addr(k, AF_INET6, addr);
	return lookup(t->root6, k);
}

static void *lookup_pkt(const struct tun_aip *t, const uint8_t *pkt, size_t len, int dst)
{
	if (pkt == NULL || len < 1)
		return NULL;
	switch (pkt[0] >> 4) {
	case 4:
		return len < 20 ? NULL : tun_aip_lookup4(t, pkt + (dst ? 16 : 12));
	case 6:
		return len < 40 ? NULL : tun_aip_lookup6(t, pkt + (dst ? 24 : 8));
	default:
		return NULL;
	}
}

void *tun_aip_lookup_dst(const struct tun_aip *t, const uint8_t *pkt, size_t len)
{
	return lookup_pkt(t, pkt, len, 1);
}

void *tun_aip_lookup_src(const struct tun_aip *t, const uint8_t *pkt, size_t len)
{
	return lookup_pkt(t, pkt, len, 0);
}

int tun_aip_walk_peer(const struct tun_aip *t, const void *peer, tun_aip_walk_cb cb, void *ctx)
{
	for (const struct tun__aip_node *n = t->head; n != NULL; n = n->next) {
		if (peer != NULL && n->peer != peer)
			continue;
		uint8_t addr[16];
		int family;
		if (n->maxbits == 32) {
			uint32_t v = (uint32_t)(n->key[0] >> 32);
			addr[0] = (uint8_t)(v >> 24);
			addr[1] = (uint8_t)(v >> 16);
			addr[2] = (uint8_t)(v >> 8);
			addr[3] = (uint8_t)v;
			family = AF_INET;
		} else {
			store_be64(addr, n->key[0]);
			store_be64(addr + 8, n->key[1]);
			family = AF_INET6;
		}
		int r = cb(family, addr, n->cidr, ctx);
		if (r != 0)
			return r;
	}
	return 0;
}

size_t tun_aip_count(const struct tun_aip *t, const void *peer)
{
	if (peer == NULL)
		return t->count;
	size_t c = 0;
	for (const struct tun__aip_node *n = t->head; n != NULL; n = n->next)
		c += n->peer == peer;
	return c;
}

/* Invariants below n; adds the nodes that carry a peer to *entries. */
static int check_node(const struct tun__aip_node *n, const struct tun__aip_node *parent,
		      unsigned maxbits, size_t *entries)
{
	if (n->parent != parent || n->maxbits != maxbits || n->cidr > maxbits)
		return SP_ESTATE;
	uint64_t m[2];
	mask_for(m, n->cidr);
	if (m[0] != n->mask[0] || m[1] != n->mask[1] || (n->key[0] & ~m[0]) != 0 ||
	    (n->key[1] & ~m[1]) != 0)
		return SP_ESTATE;
	if (parent != NULL) {
		if (n->cidr <= parent->cidr || !node_matches(parent, n->key) ||
		    parent->child[bit_at(n->key, parent->cidr)] != n)
			return SP_ESTATE;
	}
	if (n->peer == NULL && (n->child[0] == NULL || n->child[1] == NULL))
		return SP_ESTATE;
	*entries += n->peer != NULL;
	for (int b = 0; b < 2; b++) {
		if (n->child[b] != NULL && check_node(n->child[b], n, maxbits, entries) != 0)
			return SP_ESTATE;
	}
	return 0;
}

int tun__aip_check(const struct tun_aip *t)
{
	size_t entries = 0, listed = 0;
	if ((t->root4 != NULL && check_node(t->root4, NULL, 32, &entries) != 0) ||
	    (t->root6 != NULL && check_node(t->root6, NULL, 128, &entries) != 0))
		return SP_ESTATE;
	for (const struct tun__aip_node *n = t->head; n != NULL; n = n->next) {
		if (n->peer == NULL || (n->next != NULL && n->next->prev != n) || ++listed > entries)
			return SP_ESTATE;
	}
	if (t->head != NULL && t->head->prev != NULL)
		return SP_ESTATE;
	return listed == entries && entries == t->count ? 0 : SP_ESTATE;
}
