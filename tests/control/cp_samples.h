/*
 * cp_samples.h - one rich, valid message of each control type, for the
 * unit tests (tests/control/) and the fuzz targets' self-checks.  Built
 * from zeroed structs, exactly as the decoder fills them, so a decoded
 * copy compares equal with memcmp.
 */
#ifndef CP_SAMPLES_H
#define CP_SAMPLES_H

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "control/cp_msg.h"

static inline void cps_ep4(union sp_endpoint *ep, const char *a, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->in4.sin_family = AF_INET;
	ep->in4.sin_port = htons(port);
	inet_pton(AF_INET, a, &ep->in4.sin_addr);
}

static inline void cps_ep6(union sp_endpoint *ep, const char *a, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->in6.sin6_family = AF_INET6;
	ep->in6.sin6_port = htons(port);
	inet_pton(AF_INET6, a, &ep->in6.sin6_addr);
}

/* n endpoints alternating v4 and v6. */
static inline void cps_eps(union sp_endpoint *ep, uint8_t *n_ep, uint8_t n)
{
	char a[64];
	for (uint8_t i = 0; i < n; i++) {
		if (i % 2 == 0) {
			snprintf(a, sizeof(a), "192.0.2.%u", 10 + i);
			cps_ep4(&ep[i], a, (uint16_t)(51820 + i));
		} else {
			snprintf(a, sizeof(a), "2001:db8::%x", 0x100 + i);
			cps_ep6(&ep[i], a, (uint16_t)(41000 + i));
		}
	}
	*n_ep = n;
}

static inline void cps_fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + 7 * i);
}

/* A valid message of type t (m zeroed first). */
static inline void cps_sample(enum cp_type t, struct cp_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = t;
	m->counter = 1767225600000000ull + t;
	switch (t) {
	case CP_REGISTER:
		strcpy(m->u.reg.name, "laptop");
		m->u.reg.has_token = true;
		cps_fill(m->u.reg.token_id, CP_TOKEN_ID_LEN, 1);
		cps_fill(m->u.reg.token_secret, CP_TOKEN_SECRET_LEN, 2);
		cps_eps(m->u.reg.ep, &m->u.reg.n_ep, CP_EP_MAX);
		break;
	case CP_REGISTER_ACK:
		m->u.reg_ack.status = CP_OK;
		cps_ep4(&m->u.reg_ack.observed, "198.51.100.7", 40001);
		cps_fill(m->u.reg_ack.overlay, CP_ADDR_LEN, 0xfd);
		m->u.reg_ack.keepalive_s = 25;
		break;
	case CP_CONNECT:
		m->u.connect.req_id = 0x0102030405060708ull;
		strcpy(m->u.connect.target, "nas");
		strcpy(m->u.connect.from_name, "laptop.bob.example.");
		cps_eps(m->u.connect.ep, &m->u.connect.n_ep, 3);
		break;
	case CP_CONNECT_ACK:
		m->u.connect_ack.req_id = 0x0102030405060708ull;
		m->u.connect_ack.status = CP_OK;
		strcpy(m->u.connect_ack.name, "nas.alice.example.");
		cps_fill(m->u.connect_ack.key, CP_KEY_LEN, 3);
		cps_fill(m->u.connect_ack.overlay, CP_ADDR_LEN, 4);
		cps_eps(m->u.connect_ack.ep, &m->u.connect_ack.n_ep, 2);
		break;
	case CP_CALL_ME_MAYBE:
		strcpy(m->u.cmm.name, "laptop.bob.example.");
		cps_fill(m->u.cmm.key, CP_KEY_LEN, 5);
		cps_fill(m->u.cmm.overlay, CP_ADDR_LEN, 6);
		cps_eps(m->u.cmm.ep, &m->u.cmm.n_ep, 4);
		break;
	case CP_PING:
		m->u.ping.tx_id = 0xfeedfacecafebeefull;
		break;
	case CP_PONG:
		m->u.pong.tx_id = 0xfeedfacecafebeefull;
		cps_ep6(&m->u.pong.observed, "2001:db8:1::2", 51820);
		break;
	case CP_RELAY:
		cps_fill(m->u.relay.peer, CP_KEY_LEN, 7);
		m->u.relay.len = CP_RELAY_MAX;
		cps_fill(m->u.relay.payload, CP_RELAY_MAX, 8);
		break;
	case CP_REVOKE:
		cps_fill(m->u.revoke.key, CP_KEY_LEN, 9);
		break;
	case CP_FRIENDS:
		m->u.friends.generation = 42;
		m->u.friends.part = 1;
		m->u.friends.parts = 3;
		m->u.friends.n = CP_FRIENDS_MAX;
		for (int i = 0; i < CP_FRIENDS_MAX; i++) {
			struct cp_friend *f = &m->u.friends.f[i];
			snprintf(f->zone, sizeof(f->zone), "friend%d.example.", i);
			snprintf(f->anchor, sizeof(f->anchor),
				 "friend%d.example. IN DS 12345 15 2 "
				 "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", i);
			cps_eps(f->ep, &f->n_ep, (uint8_t)(i % 3));
		}
		break;
	}
}

#endif
