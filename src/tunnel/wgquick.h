/*
 * wgquick.h - what the `wg-quick` control reply and the CLI agree on (pure).
 *
 * The reply carries TUN_WGQUICK_KEY_PLACEHOLDER where the private key goes;
 * the CLI puts the device's key there, so no private key crosses the control
 * socket.  Apart from tunnel.h so that the CLI does not see the node (libuv).
 */
#ifndef TUN_WGQUICK_H
#define TUN_WGQUICK_H

#define TUN_WGQUICK_KEY_PLACEHOLDER "<the device's WireGuard private key>"

#endif
