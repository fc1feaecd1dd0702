// SPDX-License-Identifier: GPL-2.0
/*
 * AF_RXRPC bind(), connect() and listen(): address validation errnos,
 * client and service binding, the second (upgrade) service, endpoint
 * sharing, the default destination and the backlog, as the C module
 * (Linux 6.12) answers them.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <sys/wait.h>
#include "rxrpc_test.h"
#include "kselftest_harness.h"

#define SVC 1700

static int bind_len(int pf, const struct sockaddr_rxrpc *srx, int len)
{
	int fd = rx_socket(pf), ret;

	if (fd < 0)
		return -1000 - errno;
	ret = rx_errno(bind(fd, (const struct sockaddr *)srx, len));
	close(fd);
	return ret;
}

/* A valid address with port 0 (the endpoint of the test is not kept). */
static void any4(struct sockaddr_rxrpc *srx, int service)
{
	rx_addr4(srx, "127.0.0.1", 0, service);
}

TEST(bind_len_short)
{
	struct sockaddr_rxrpc srx;

	any4(&srx, 0);
	EXPECT_EQ(-EINVAL, bind_len(PF_INET, &srx, sizeof(srx) - 1));
	EXPECT_EQ(-EINVAL, bind_len(PF_INET, &srx, 2));
}

TEST(bind_wrong_family)
{
	struct sockaddr_rxrpc srx;

	any4(&srx, 0);
	srx.srx_family = AF_INET;
	EXPECT_EQ(-EAFNOSUPPORT, bind_len(PF_INET, &srx, sizeof(srx)));
}

TEST(bind_transport_type)
{
	struct sockaddr_rxrpc srx;

	any4(&srx, 0);
	srx.transport_type = SOCK_STREAM;
	EXPECT_EQ(-ESOCKTNOSUPPORT, bind_len(PF_INET, &srx, sizeof(srx)));
	srx.transport_type = 0;
	EXPECT_EQ(-ESOCKTNOSUPPORT, bind_len(PF_INET, &srx, sizeof(srx)));
}

/* The checks run in order: length, family, transport type, transport. */
TEST(bind_check_order)
{
	struct sockaddr_rxrpc srx;

	any4(&srx, 0);
	srx.srx_family = AF_INET;
	srx.transport_type = SOCK_STREAM;
	srx.transport_len = 0;
	EXPECT_EQ(-EINVAL, bind_len(PF_INET, &srx, sizeof(srx) - 1));
	EXPECT_EQ(-EAFNOSUPPORT, bind_len(PF_INET, &srx, sizeof(srx)));
	srx.srx_family = AF_RXRPC;
	EXPECT_EQ(-ESOCKTNOSUPPORT, bind_len(PF_INET, &srx, sizeof(srx)));
	srx.transport_type = SOCK_DGRAM;
	EXPECT_EQ(-EINVAL, bind_len(PF_INET, &srx, sizeof(srx)));
}

TEST(bind_transport_len)
{
	struct sockaddr_rxrpc srx;

	any4(&srx, 0);
	srx.transport_len = 1;		/* less than a sa_family_t */
	EXPECT_EQ(-EINVAL, bind_len(PF_INET, &srx, sizeof(srx)));
	srx.transport_len = 8;		/* less than a sockaddr_in */
	EXPECT_EQ(-EINVAL, bind_len(PF_INET, &srx, sizeof(srx)));
	/* More than the address length leaves for the transport. */
	srx.transport_len = sizeof(srx) - 8 + 1;
	EXPECT_EQ(-EINVAL, bind_len(PF_INET, &srx, sizeof(srx)));
	/* All that is left is fine, for an AF_INET transport too. */
	srx.transport_len = sizeof(srx) - 8;
	EXPECT_EQ(0, bind_len(PF_INET, &srx, sizeof(srx)));
}

TEST(bind_transport_family)
{
	struct sockaddr_rxrpc srx;

	any4(&srx, 0);
	srx.transport.family = AF_UNIX;
	EXPECT_EQ(-EAFNOSUPPORT, bind_len(PF_INET, &srx, sizeof(srx)));
	srx.transport.family = 0;
	EXPECT_EQ(-EAFNOSUPPORT, bind_len(PF_INET, &srx, sizeof(srx)));
}

TEST(bind_inet6_on_pf_inet)
{
	struct sockaddr_rxrpc srx;

	rx_addr6(&srx, "::1", 0, 0);
	EXPECT_EQ(-EAFNOSUPPORT, bind_len(PF_INET, &srx, sizeof(srx)));
	/* A too short sockaddr_in6 on PF_INET6. */
	srx.transport_len = sizeof(struct sockaddr_in);
	EXPECT_EQ(-EINVAL, bind_len(PF_INET6, &srx, sizeof(srx)));
}

TEST(bind_inet_on_pf_inet6)
{
	struct sockaddr_rxrpc srx;

	any4(&srx, 0);
	EXPECT_EQ(0, bind_len(PF_INET6, &srx, sizeof(srx)));
	rx_addr6(&srx, "::1", 0, 0);
	EXPECT_EQ(0, bind_len(PF_INET6, &srx, sizeof(srx)));
}

TEST(bind_client_once)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), 0);
	EXPECT_EQ(0, rx_bind(fd, &srx));
	/* A client-bound socket cannot be bound again, not even as a service. */
	EXPECT_EQ(-EINVAL, rx_bind(fd, &srx));
	srx.srx_service = SVC;
	EXPECT_EQ(-EINVAL, rx_bind(fd, &srx));
	close(fd);
}

TEST(bind_service_twice)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	EXPECT_EQ(0, rx_bind(fd, &srx));
	/* The same service again: EADDRINUSE; service 0: EINVAL. */
	EXPECT_EQ(-EADDRINUSE, rx_bind(fd, &srx));
	srx.srx_service = 0;
	EXPECT_EQ(-EINVAL, rx_bind(fd, &srx));
	/* A second service needs the very same transport address. */
	rx_addr4(&srx, "127.0.0.1", rx_port(1), SVC + 1);
	EXPECT_EQ(-EINVAL, rx_bind(fd, &srx));
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC + 1);
	EXPECT_EQ(0, rx_bind(fd, &srx));
	/* Two services at most. */
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC + 2);
	EXPECT_EQ(-EINVAL, rx_bind(fd, &srx));
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	EXPECT_EQ(-EINVAL, rx_bind(fd, &srx));
	close(fd);
}

/* One service socket per UDP endpoint, whatever its service id. */
TEST(bind_service_endpoint_in_use)
{
	struct sockaddr_rxrpc srx;
	int a = rx_socket(PF_INET), b = rx_socket(PF_INET);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	EXPECT_EQ(0, rx_bind(a, &srx));
	EXPECT_EQ(-EADDRINUSE, rx_bind(b, &srx));
	srx.srx_service = SVC + 1;
	EXPECT_EQ(-EADDRINUSE, rx_bind(b, &srx));
	/* The failed bind left b unbound: another endpoint is fine. */
	rx_addr4(&srx, "127.0.0.1", rx_port(1), SVC);
	EXPECT_EQ(0, rx_bind(b, &srx));
	close(a);
	close(b);
}

/* Client sockets share an endpoint, also with a service socket. */
TEST(bind_clients_share_endpoint)
{
	struct sockaddr_rxrpc srx;
	int a = rx_socket(PF_INET), b = rx_socket(PF_INET), s = rx_socket(PF_INET);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, s);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	EXPECT_EQ(0, rx_bind(s, &srx));
	srx.srx_service = 0;
	EXPECT_EQ(0, rx_bind(a, &srx));
	EXPECT_EQ(0, rx_bind(b, &srx));
	close(a);
	close(b);
	close(s);
}

/* But a service cannot join an endpoint that a client socket made. */
TEST(bind_service_on_client_endpoint)
{
	struct sockaddr_rxrpc srx;
	int a = rx_socket(PF_INET), s = rx_socket(PF_INET);

	ASSERT_LE(0, a);
	ASSERT_LE(0, s);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), 0);
	EXPECT_EQ(0, rx_bind(a, &srx));
	srx.srx_service = SVC;
	EXPECT_EQ(-EADDRINUSE, rx_bind(s, &srx));
	close(a);
	close(s);
}

/* The UDP port is really taken: a plain UDP socket cannot have it. */
TEST(bind_takes_udp_port)
{
	struct sockaddr_rxrpc srx;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int s = rx_socket(PF_INET), u = socket(AF_INET, SOCK_DGRAM, 0);

	ASSERT_LE(0, s);
	ASSERT_LE(0, u);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	EXPECT_EQ(0, rx_bind(s, &srx));
	sin.sin_port = htons(rx_port(0));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	EXPECT_EQ(-1, bind(u, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRINUSE, errno);
	close(u);
	close(s);
}

TEST(bind_after_shutdown)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shutdown(fd, SHUT_RDWR));
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	EXPECT_EQ(-EINVAL, rx_bind(fd, &srx));
	close(fd);
}

TEST(connect_validates)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	EXPECT_EQ(-EINVAL, rx_errno(connect(fd, (struct sockaddr *)&srx, sizeof(srx) - 1)));
	srx.srx_family = AF_INET;
	EXPECT_EQ(-EAFNOSUPPORT, rx_connect(fd, &srx));
	rx_addr6(&srx, "::1", rx_port(0), SVC);
	EXPECT_EQ(-EAFNOSUPPORT, rx_connect(fd, &srx));
	close(fd);
}

TEST(connect_twice)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	EXPECT_EQ(0, rx_connect(fd, &srx));
	EXPECT_EQ(-EISCONN, rx_connect(fd, &srx));
	close(fd);
}

TEST(connect_client_bound)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), 0);
	EXPECT_EQ(0, rx_bind(fd, &srx));
	rx_addr4(&srx, "127.0.0.1", rx_port(1), SVC);
	EXPECT_EQ(0, rx_connect(fd, &srx));
	close(fd);
}

/*
 * Finding: the AF_RXRPC document says that connect() on an unbound client
 * binds a random local port; 6.12 binds nothing at connect() (that waits
 * for the first sendmsg) but marks the socket a client, so a later bind()
 * fails with EINVAL.
 */
TEST(bind_after_connect)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	rx_addr4(&srx, "127.0.0.1", rx_port(1), SVC);
	EXPECT_EQ(0, rx_connect(fd, &srx));
	rx_addr4(&srx, "127.0.0.1", rx_port(0), 0);
	EXPECT_EQ(-EINVAL, rx_bind(fd, &srx));
	close(fd);
}

TEST(connect_service_socket)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	EXPECT_EQ(0, rx_bind(fd, &srx));
	rx_addr4(&srx, "127.0.0.1", rx_port(1), SVC);
	EXPECT_EQ(-EBUSY, rx_connect(fd, &srx));
	close(fd);
}

/* connect() gives the default destination of calls without msg_name. */
TEST(connect_default_destination)
{
	struct sockaddr_rxrpc srx;
	struct rx_res r;
	char buf[16];
	int s, c;

	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	s = rx_server(&srx, 4, 100, 1);
	ASSERT_LE(0, s);
	c = rx_socket(PF_INET);
	ASSERT_LE(0, c);
	EXPECT_EQ(0, rx_connect(c, &srx));
	EXPECT_EQ(5, rx_send(c, 1, NULL, "hello", 5, 0));
	EXPECT_EQ(5, rx_recv_wait(s, buf, sizeof(buf), &r));
	EXPECT_EQ(100, r.id);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(SVC, r.srx.srx_service);
	close(c);
	close(s);
}

TEST(listen_unbound)
{
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EADDRNOTAVAIL, rx_errno(listen(fd, 4)));
	close(fd);
}

TEST(listen_client)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET), fd2 = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), 0);
	EXPECT_EQ(0, rx_bind(fd, &srx));
	EXPECT_EQ(-EBUSY, rx_errno(listen(fd, 4)));
	/* connect()ed but unbound is a client too. */
	srx.srx_service = SVC;
	EXPECT_EQ(0, rx_connect(fd2, &srx));
	EXPECT_EQ(-EBUSY, rx_errno(listen(fd2, 4)));
	close(fd);
	close(fd2);
}

TEST(listen_backlog_range)
{
	struct sockaddr_rxrpc srx;
	int max = rx_sysctl_read("max_backlog", 10);
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	/* The sysctl is there once the module is loaded; 10 by default. */
	EXPECT_EQ(10, max);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	ASSERT_EQ(0, rx_bind(fd, &srx));
	EXPECT_EQ(-EINVAL, rx_errno(listen(fd, -1)));
	EXPECT_EQ(-EINVAL, rx_errno(listen(fd, max + 1)));
	/*
	 * The socket layer clamps the backlog to net.core.somaxconn (4096)
	 * before the protocol sees it, so INT_MAX (which 6.12 would take as
	 * "the maximum") arrives as 4096 and is refused.
	 */
	EXPECT_EQ(-EINVAL, rx_errno(listen(fd, INT_MAX)));
	EXPECT_EQ(0, rx_errno(listen(fd, max)));
	close(fd);
}

/* The backlog bounds the calls charged with RXRPC_CHARGE_ACCEPT. */
TEST(listen_backlog_bounds_charges)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET), i;

	ASSERT_LE(0, fd);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	ASSERT_EQ(0, rx_bind(fd, &srx));
	ASSERT_EQ(0, rx_errno(listen(fd, 4)));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, rx_charge(fd, 10 + i));
	EXPECT_EQ(-ENOBUFS, rx_charge(fd, 20));
	close(fd);
}

TEST(listen_zero_backlog)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	ASSERT_EQ(0, rx_bind(fd, &srx));
	/* Listening with no backlog at all: nothing can be charged. */
	EXPECT_EQ(0, rx_errno(listen(fd, 0)));
	EXPECT_EQ(-ENOBUFS, rx_charge(fd, 1));
	close(fd);
}

TEST(listen_again)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	ASSERT_EQ(0, rx_bind(fd, &srx));
	ASSERT_EQ(0, rx_errno(listen(fd, 4)));
	EXPECT_EQ(-EBUSY, rx_errno(listen(fd, 5)));
	EXPECT_EQ(-EBUSY, rx_errno(listen(fd, 4)));
	/* listen(0) on a listening socket disables it, for good. */
	EXPECT_EQ(0, rx_errno(listen(fd, 0)));
	EXPECT_EQ(-EBUSY, rx_errno(listen(fd, 4)));
	EXPECT_EQ(-EBUSY, rx_errno(listen(fd, 0)));
	/* A disabled socket takes no charges and no sendmsg at all. */
	EXPECT_EQ(-EINVAL, rx_charge(fd, 1));
	close(fd);
}

TEST(listen_two_services)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	ASSERT_EQ(0, rx_bind(fd, &srx));
	srx.srx_service = SVC + 1;
	ASSERT_EQ(0, rx_bind(fd, &srx));
	EXPECT_EQ(0, rx_errno(listen(fd, 4)));
	EXPECT_EQ(0, rx_charge(fd, 1));
	close(fd);
}

/*
 * Finding: a socket bound to one service may sendmsg (make client calls)
 * before listen(), but one bound to two services may not: 6.12's
 * rxrpc_sendmsg() has no case for RXRPC_SERVER_BOUND2 and answers EINVAL.
 */
TEST(sendmsg_bound_two_services)
{
	struct sockaddr_rxrpc srx, to;
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	rx_addr4(&to, "127.0.0.1", rx_port(1), SVC);
	ASSERT_EQ(0, rx_bind(fd, &srx));
	/* Charging needs listen(): EINVAL on a bound service socket. */
	EXPECT_EQ(-EINVAL, rx_charge(fd, 1));
	srx.srx_service = SVC + 1;
	ASSERT_EQ(0, rx_bind(fd, &srx));
	EXPECT_EQ(-EINVAL, rx_send(fd, 1, &to, "x", 1, 0));
	close(fd);
}

TEST(bind_ipv6)
{
	struct sockaddr_rxrpc srx;
	int fd = rx_socket(PF_INET6), fd2 = rx_socket(PF_INET6);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	rx_addr6(&srx, "::1", rx_port(0), SVC);
	EXPECT_EQ(0, rx_bind(fd, &srx));
	EXPECT_EQ(-EADDRINUSE, rx_bind(fd2, &srx));
	EXPECT_EQ(0, rx_errno(listen(fd, 4)));
	close(fd);
	close(fd2);
}

/*
 * Network namespaces keep endpoints apart: the service address taken here
 * binds again in a new namespace, where a call to it completes; here it
 * stays taken.
 */
TEST(netns_separate_endpoints)
{
	struct sockaddr_rxrpc srx;
	int a, b, status = -1;
	pid_t pid;

	rx_addr4(&srx, "127.0.0.1", rx_port(5), SVC);
	a = rx_socket(PF_INET);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, rx_bind(a, &srx));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rx_res r;
		char buf[8];
		int s, c;

		if (unshare(CLONE_NEWNET) || rx_lo_up())
			_exit(10);
		s = rx_server(&srx, 4, 100, 1);
		c = rx_socket(PF_INET);
		if (s < 0 || c < 0)
			_exit(11);
		if (rx_send(c, 1, &srx, "ns", 2, 0) != 2)
			_exit(12);
		if (rx_recv_wait(s, buf, sizeof(buf), &r) != 2 || r.id != 100)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	b = rx_socket(PF_INET);
	ASSERT_LE(0, b);
	EXPECT_EQ(-EADDRINUSE, rx_bind(b, &srx));
	close(b);
	close(a);
}

/*
 * Permissions as for UDP: the endpoint's UDP socket is bound with the
 * caller's credentials, so a user without CAP_NET_BIND_SERVICE gets
 * EACCES for a port below net.ipv4.ip_unprivileged_port_start (1024) and
 * may bind above it; and a key of another user's keyring cannot be named
 * (RXRPC_SECURITY_KEY finds no key: ENOKEY).
 */
TEST(unprivileged_user)
{
	struct sockaddr_rxrpc srx;
	int status = -1;
	pid_t pid;

	ASSERT_LE(0, add_key("rxrpc", "afs@root.only", NULL, 0, KEY_SPEC_USER_KEYRING));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		const char *desc = "afs@root.only";
		int s, t;

		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		s = rx_socket(PF_INET);
		t = rx_socket(PF_INET);
		if (s < 0 || t < 0)
			_exit(11);
		rx_addr4(&srx, "127.0.0.1", 700, SVC);
		if (rx_bind(s, &srx) != -EACCES)
			_exit(12);
		rx_addr4(&srx, "127.0.0.1", rx_port(6), SVC);
		if (rx_bind(t, &srx) != 0)
			_exit(13);
		close(s);
		/* A session of its own, as a login of that user would have. */
		if (syscall(__NR_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) < 0)
			_exit(16);
		s = rx_socket(PF_INET);
		if (s < 0)
			_exit(14);
		if (setsockopt(s, SOL_RXRPC, RXRPC_SECURITY_KEY, desc, strlen(desc)) != -1 ||
		    errno != ENOKEY)
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
