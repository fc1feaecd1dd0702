/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Watching what goes over the wire: a packet socket on "lo" taking every
 * IPv4 packet, for the tests that check our packets' bytes.
 */
#ifndef RXRPC_CAPTURE_H
#define RXRPC_CAPTURE_H

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include "rxrpc_test.h"

/* The packet socket, with a 4 MiB receive buffer; or -errno. */
static inline int rx_cap_open(void)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = if_nametoindex("lo"),
	};
	int fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	int sz = 4 << 20;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

#endif
