// SPDX-License-Identifier: GPL-2.0
/*
 * Holds a kernel AF_RXRPC socket, bound, from its init to its exit, and
 * nothing else: it links to no rxrpc symbol, so only the socket keeps the
 * AF_RXRPC module in use (rxrpc_kapi.sh checks that it cannot be removed
 * until this module is). Creating the socket loads the module through the
 * net-pf-33 alias.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/in.h>
#include <linux/rxrpc.h>
#include <net/sock.h>
#include <net/net_namespace.h>

static struct socket *hold_sock;

static int __init rxrpc_kapi_hold_init(void)
{
	struct sockaddr_rxrpc srx = {
		.srx_family	= AF_RXRPC,
		.transport_type	= SOCK_DGRAM,
		.transport_len	= sizeof(srx.transport.sin),
		.transport.sin	= {
			.sin_family	= AF_INET,
			.sin_addr	= { htonl(INADDR_LOOPBACK) },
		},
	};
	int ret;

	ret = sock_create_kern(&init_net, AF_RXRPC, SOCK_DGRAM, PF_INET, &hold_sock);
	if (ret < 0)
		return ret;
	ret = kernel_bind(hold_sock, (struct sockaddr *)&srx, sizeof(srx));
	if (ret < 0) {
		sock_release(hold_sock);
		return ret;
	}
	return 0;
}

static void __exit rxrpc_kapi_hold_exit(void)
{
	sock_release(hold_sock);
}

module_init(rxrpc_kapi_hold_init);
module_exit(rxrpc_kapi_hold_exit);
MODULE_DESCRIPTION("Holds a kernel AF_RXRPC socket while loaded");
MODULE_LICENSE("GPL");
