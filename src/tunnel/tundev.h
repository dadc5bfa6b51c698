/*
 * tundev.h - the TUN device and its configuration through rtnetlink.
 *
 * tun_dev_open creates a layer-3 TUN interface (IFF_TUN | IFF_NO_PI: every
 * read and write is one bare IP packet) and returns a non-blocking fd for
 * the event loop to poll.  The interface lives as long as that fd: closing
 * it removes the interface with its addresses and routes.
 *
 * The other calls configure an interface by name over NETLINK_ROUTE with
 * libmnl (no `ip` is run).  Each opens its own netlink socket, waits for
 * the kernel's acknowledgement and returns 0 or the kernel's -errno
 * (-ENODEV for an unknown interface, -EEXIST, -EPERM without
 * CAP_NET_ADMIN, ...).  They block briefly and are meant for start-up and
 * reconfiguration, not for the data path.  Adding an address or a route
 * that exists already succeeds (NLM_F_REPLACE), so that a reload can apply
 * the whole configuration again.
 */
#ifndef TUN_TUNDEV_H
#define TUN_TUNDEV_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

/*
 * Create the TUN interface `name` (at most IFNAMSIZ - 1 bytes; NULL or ""
 * lets the kernel pick "tunN").  On success *fd is an O_NONBLOCK|O_CLOEXEC
 * descriptor owned by the caller and actual_name (IFNAMSIZ bytes) holds the
 * interface's name.  The interface starts down, without addresses.
 * Returns 0, -EINVAL for a name too long, or -errno from open/ioctl
 * (-EBUSY when a device of that name exists and is not ours).
 */
int tun_dev_open(const char *name, int *fd, char actual_name[IFNAMSIZ]) SP_MUST_CHECK;

/* Set the interface's MTU (bytes of IP packet). */
int tun_dev_set_mtu(const char *ifname, uint32_t mtu) SP_MUST_CHECK;

/* Bring the interface up (true) or down (false). */
int tun_dev_set_up(const char *ifname, bool up) SP_MUST_CHECK;

/*
 * Add address addr/plen (family AF_INET with 4 bytes or AF_INET6 with 16)
 * to the interface.  IPv6 addresses skip duplicate address detection
 * (IFA_F_NODAD): on a point-to-point tunnel nobody else can hold them, and
 * DAD would keep the address unusable for a second.  -EINVAL for a bad
 * family or prefix length.
 */
int tun_dev_add_addr(const char *ifname, int family, const uint8_t *addr, uint8_t plen) SP_MUST_CHECK;
/* Remove that address again; -EADDRNOTAVAIL if it is not there. */
int tun_dev_del_addr(const char *ifname, int family, const uint8_t *addr, uint8_t plen) SP_MUST_CHECK;

/*
 * Route prefix dst/plen (masked to plen) through the interface, in the main
 * table, scope link.  metric 0 leaves the kernel's default.
 */
int tun_dev_add_route(const char *ifname, int family, const uint8_t *dst, uint8_t plen,
		      uint32_t metric) SP_MUST_CHECK;
/*
 * The same with a path MTU of its own (RTAX_MTU), replacing a route to
 * dst/plen there was: the kernel then sizes TCP segments and fragments for
 * that destination alone (a relayed peer's host route).
 */
int tun_dev_set_route_mtu(const char *ifname, int family, const uint8_t *dst, uint8_t plen,
			  uint32_t mtu) SP_MUST_CHECK;
/* Remove such a route; -ESRCH if there is none. */
int tun_dev_del_route(const char *ifname, int family, const uint8_t *dst, uint8_t plen,
		      uint32_t metric) SP_MUST_CHECK;

/* Delete the interface by name (RTM_DELLINK); closing its fd does the same. */
int tun_dev_delete(const char *ifname) SP_MUST_CHECK;

#endif
