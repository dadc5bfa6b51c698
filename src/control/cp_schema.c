/*
 * cp_schema.c - the control plane's section of signpost.conf: [control].
 * Every option has a default that works, so a signpost made by `signpost
 * init signpost` serves enrollment, control and relaying unedited; a device
 * made from a token gets its three device options written by `init device`.
 */
#include <stddef.h>

#include "control/cp_schema.h"
#include "core/config.h"

static const struct sp_opt control_opts[] = {
	{ "enabled", SP_T_BOOL, "yes", 0, 0, NULL, false,
	  "exchange control messages (register, connect, relay) with other nodes" },
	{ "endpoint", SP_T_ENDPOINTS, NULL, 0, 0, NULL, false,
	  "signpost: the public control endpoints put into enrollment tokens (default: the DNS "
	  "listen addresses with the UDP port)" },
	{ "tls-port", SP_T_INT, "443", 0, 65535, NULL, false,
	  "TCP port of the TLS relay: a signpost listens there, a device whose UDP is blocked "
	  "connects there; 0 is off" },
	{ "state-dir", SP_T_PATH, ".", 0, 0, NULL, false,
	  "signpost: where the issued tokens and the friends list are kept" },
	{ "signpost", SP_T_ENDPOINT, NULL, 0, 0, NULL, false,
	  "device: the control endpoint of this device's signpost" },
	{ "signpost-key", SP_T_KEY, NULL, 0, 0, NULL, false,
	  "device: the signpost's node key (Ed25519, base64), as published in its KEY record" },
	{ "token-file", SP_T_PATH, NULL, 0, 0, NULL, false,
	  "device: the enrollment token, proved at the first registration and then removed" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

const struct sp_section_schema cp_schema[] = {
	{ "control", false, "Control messages between nodes: enrollment, connections, relaying.",
	  control_opts },
	{ NULL, false, NULL, NULL },
};
