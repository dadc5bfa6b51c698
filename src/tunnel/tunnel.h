/*
 * tunnel.h - the tunnel plane as seen by the node.
 *
 * With [tunnel] enabled = yes the plane opens the TUN interface
 * (tunnel.interface) with the node's overlay IPv6 address in the zone's /48,
 * the node's one UDP socket (tunnel.listen-port), the WireGuard UAPI socket
 * /var/run/wireguard/IFNAME.sock, and the peers of the [peer] sections
 * (re-applied on SIGHUP: unchanged peers keep their sessions).  Control
 * command: `wg-quick NAME [DEVICE-PUBLIC-KEY|-] [ENDPOINT]`, whose reply has
 * TUN_WGQUICK_KEY_PLACEHOLDER where the private key goes: the CLI fills it in
 * on the device's side, so no private key crosses the control socket.
 */
#ifndef TUN_TUNNEL_H
#define TUN_TUNNEL_H

#include "core/node.h"
#include "tunnel/wgquick.h"

/* The plane: role any; see above. */
extern const struct sp_plane tun_plane;

#endif
