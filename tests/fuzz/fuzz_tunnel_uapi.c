/*
 * fuzz_tunnel_uapi.c - the UAPI text protocol on arbitrary bytes.
 *
 * Frames the input, parses it as a set request (also with "set=1\n" put in
 * front, so that inputs without the header still reach the line parser),
 * turns a successful parse into a snapshot and serializes the get reply,
 * and parses the input as an endpoint.  Nothing may crash, leak or read
 * out of bounds; a serialized reply must end with the status line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tunnel/uapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tun_uapi_snap_aip aips[TUN_UAPI_MAX_AIPS];
static struct tun_uapi_snap_peer peers[TUN_UAPI_MAX_PEERS];

static void serialize(const struct tun_uapi_set *s)
{
	struct tun_uapi_snap snap = { 0 };
	snap.has_private_key = (s->flags & TUN_UAPI_SET_PRIVATE_KEY) != 0;
	memcpy(snap.private_key, s->private_key, sizeof(snap.private_key));
	snap.listen_port = s->listen_port;
	snap.fwmark = s->fwmark;
	for (uint32_t i = 0; i < s->n_aips; i++) {
		memcpy(aips[i].addr, s->aips[i].addr, 16);
		aips[i].family = s->aips[i].family;
		aips[i].cidr = s->aips[i].cidr;
	}
	for (uint32_t i = 0; i < s->n_peers; i++) {
		const struct tun_uapi_peer *p = &s->peers[i];
		memset(&peers[i], 0, sizeof(peers[i]));
		memcpy(peers[i].public_key, p->public_key, 32);
		memcpy(peers[i].preshared_key, p->preshared_key, 32);
		peers[i].endpoint = p->endpoint;
		peers[i].keepalive = p->keepalive;
		peers[i].tx_bytes = (uint64_t)-1;
		peers[i].aips = aips + p->aip_first;
		peers[i].n_aips = p->aip_count;
	}
	snap.peers = peers;
	snap.n_peers = s->n_peers;
	size_t need = 0;
	char small[64];
	if (tun_uapi_write_get(&snap, small, sizeof(small), &need) == 0)
		return;
	char *buf = malloc(need + 1);
	if (buf == NULL)
		return;
	size_t len = 0;
	if (tun_uapi_write_get(&snap, buf, need + 1, &len) != 0 || len != need ||
	    len < 9 || memcmp(buf + len - 9, "errno=0\n\n", 9) != 0)
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tun_uapi_set *set;
	if (set == NULL && (set = tun_uapi_set_new()) == NULL)
		return 0;
	if (size > TUN_UAPI_MAX_REQUEST)
		return 0;
	const char *text = (const char *)data;

	enum tun_uapi_op op;
	int framed = tun_uapi_frame(text, size, &op);
	if (framed > 0 && (size_t)framed > size)
		abort();
	if (tun_uapi_parse_set(text, size, set) == 0)
		serialize(set);

	char *with_head = malloc(size + 6);
	if (with_head != NULL) {
		memcpy(with_head, "set=1\n", 6);
		memcpy(with_head + 6, data, size);
		if (tun_uapi_parse_set(with_head, size + 6, set) == 0)
			serialize(set);
		free(with_head);
	}

	union sp_endpoint ep;
	char out[128];
	if (tun_uapi_parse_endpoint(text, size, &ep) == 0 &&
	    tun_uapi_format_endpoint(&ep, out, sizeof(out)) < 0)
		abort();
	return 0;
}
