/* tunnel.h - the tunnel plane as seen by the node (placeholder until the plane lands). */
#ifndef TUN_TUNNEL_H
#define TUN_TUNNEL_H

#include "core/node.h"

extern const struct sp_plane tun_plane;

#endif
