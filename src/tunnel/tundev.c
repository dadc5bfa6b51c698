/*
 * tundev.c - TUN device creation (ioctl) and configuration (rtnetlink).
 *
 * Each configuration call is one netlink request with NLM_F_ACK, so the
 * kernel's answer is either an error with its errno or an empty error
 * (the acknowledgement); libmnl's callback runner turns the former into
 * errno.  A receive timeout bounds the wait.
 */
#include "tunnel/tundev.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>

/* The kernel acknowledges at once; a silent kernel is a bug, not a wait. */
#define TUN_NETLINK_TIMEOUT_S 5

int tun_dev_open(const char *name, int *fd, char actual_name[IFNAMSIZ])
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (name != NULL) {
		size_t n = strlen(name);
		if (n >= IFNAMSIZ)
			return -EINVAL;
		memcpy(ifr.ifr_name, name, n);
	}
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;

	int tfd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tfd < 0)
		return -errno;
	if (ioctl(tfd, TUNSETIFF, &ifr) < 0) {
		int err = -errno;
		close(tfd);
		return err;
	}
	memcpy(actual_name, ifr.ifr_name, IFNAMSIZ);
	actual_name[IFNAMSIZ - 1] = '\0';
	*fd = tfd;
	return 0;
}

/* Send one request and wait for its acknowledgement: 0 or -errno. */
static int nl_request(struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int ret;
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (nl == NULL)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	struct timeval tv = { .tv_sec = TUN_NETLINK_TIMEOUT_S };
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		ret = -errno;
		goto out;
	}
	unsigned int portid = mnl_socket_get_portid(nl);
	unsigned int seq = (unsigned int)time(NULL);
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			ret = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto out;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL);
	} while (ret == MNL_CB_OK);
	ret = ret == MNL_CB_ERROR ? -errno : 0;
out:
	mnl_socket_close(nl);
	return ret;
}

static int ifindex_of(const char *ifname)
{
	if (ifname == NULL || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	unsigned int idx = if_nametoindex(ifname);
	return idx == 0 ? -ENODEV : (int)idx;
}

static int addr_len(int family, uint8_t plen)
{
	if (family == AF_INET)
		return plen <= 32 ? 4 : -EINVAL;
	if (family == AF_INET6)
		return plen <= 128 ? 16 : -EINVAL;
	return -EINVAL;
}

static int link_change(const char *ifname, uint32_t mtu, unsigned int flags, unsigned int change)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = ifindex_of(ifname);
	if (idx < 0)
		return idx;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	ifi->ifi_flags = flags;
	ifi->ifi_change = change;
	if (mtu != 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_request(nlh);
}

int tun_dev_set_mtu(const char *ifname, uint32_t mtu)
{
	if (mtu == 0)
		return -EINVAL;
	return link_change(ifname, mtu, 0, 0);
}

int tun_dev_set_up(const char *ifname, bool up)
{
	return link_change(ifname, 0, up ? IFF_UP : 0, IFF_UP);
}

static int addr_change(uint16_t type, const char *ifname, int family, const uint8_t *addr,
		       uint8_t plen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int alen = addr_len(family, plen);
	if (alen < 0 || addr == NULL)
		return -EINVAL;
	int idx = ifindex_of(ifname);
	if (idx < 0)
		return idx;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	if (type == RTM_NEWADDR)
		nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)idx;
	/* No peer address: local and address are the same, as `ip addr add` does. */
	mnl_attr_put(nlh, IFA_LOCAL, (size_t)alen, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, (size_t)alen, addr);
	if (family == AF_INET6 && type == RTM_NEWADDR) {
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	return nl_request(nlh);
}

int tun_dev_add_addr(const char *ifname, int family, const uint8_t *addr, uint8_t plen)
{
	return addr_change(RTM_NEWADDR, ifname, family, addr, plen);
}

int tun_dev_del_addr(const char *ifname, int family, const uint8_t *addr, uint8_t plen)
{
	return addr_change(RTM_DELADDR, ifname, family, addr, plen);
}

static int route_change(uint16_t type, const char *ifname, int family, const uint8_t *dst,
			uint8_t plen, uint32_t metric, uint32_t mtu)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int alen = addr_len(family, plen);
	if (alen < 0 || dst == NULL)
		return -EINVAL;
	int idx = ifindex_of(ifname);
	if (idx < 0)
		return idx;
	/* The kernel refuses a destination with host bits set. */
	uint8_t masked[16] = { 0 };
	for (int i = 0; i < alen; i++) {
		int bits = plen - 8 * i;
		uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		masked[i] = dst[i] & m;
	}
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	if (type == RTM_NEWROUTE) {
		nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
		rtm->rtm_protocol = RTPROT_STATIC;
		rtm->rtm_scope = RT_SCOPE_LINK;
		rtm->rtm_type = RTN_UNICAST;
	} else {
		/* As `ip route del`: match any scope, type and protocol. */
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	}
	mnl_attr_put(nlh, RTA_DST, (size_t)alen, masked);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)idx);
	if (metric != 0)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
	if (mtu != 0) {
		struct nlattr *m = mnl_attr_nest_start(nlh, RTA_METRICS);
		mnl_attr_put_u32(nlh, RTAX_MTU, mtu);
		mnl_attr_nest_end(nlh, m);
	}
	return nl_request(nlh);
}

int tun_dev_add_route(const char *ifname, int family, const uint8_t *dst, uint8_t plen,
		      uint32_t metric)
{
	return route_change(RTM_NEWROUTE, ifname, family, dst, plen, metric, 0);
}

int tun_dev_set_route_mtu(const char *ifname, int family, const uint8_t *dst, uint8_t plen,
			  uint32_t mtu)
{
	return route_change(RTM_NEWROUTE, ifname, family, dst, plen, 0, mtu);
}

int tun_dev_del_route(const char *ifname, int family, const uint8_t *dst, uint8_t plen,
		      uint32_t metric)
{
	return route_change(RTM_DELROUTE, ifname, family, dst, plen, metric, 0);
}

int tun_dev_delete(const char *ifname)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = ifindex_of(ifname);
	if (idx < 0)
		return idx;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_DELLINK;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	return nl_request(nlh);
}
