// SPDX-License-Identifier: GPL-2.0
/*
 * AF_RXRPC socket creation and the errnos of bad arguments, as the C
 * module answers them.
 */
#include "rxrpc_test.h"
#include "kselftest_harness.h"

TEST(create_inet)
{
	int fd = socket(AF_RXRPC, SOCK_DGRAM, PF_INET);

	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	EXPECT_EQ(0, close(fd));
}

TEST(create_inet6)
{
	int fd = socket(AF_RXRPC, SOCK_DGRAM, PF_INET6);

	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	EXPECT_EQ(0, close(fd));
}

TEST(create_with_flags)
{
	int fd = socket(AF_RXRPC, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, PF_INET);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));
}

TEST(many_sockets)
{
	int fds[64], i;

	for (i = 0; i < 64; i++) {
		fds[i] = socket(AF_RXRPC, SOCK_DGRAM, i & 1 ? PF_INET6 : PF_INET);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, close(fds[i]));
}

TEST(bad_type_stream)
{
	EXPECT_EQ(-ESOCKTNOSUPPORT, try_socket(SOCK_STREAM, PF_INET));
}

TEST(bad_type_seqpacket)
{
	EXPECT_EQ(-ESOCKTNOSUPPORT, try_socket(SOCK_SEQPACKET, PF_INET6));
}

TEST(bad_type_raw)
{
	EXPECT_EQ(-ESOCKTNOSUPPORT, try_socket(SOCK_RAW, PF_INET));
}

TEST(bad_type_out_of_range)
{
	/* The socket layer refuses types past SOCK_MAX before we see them. */
	EXPECT_EQ(-EINVAL, try_socket(12, PF_INET));
}

TEST(bad_protocol_zero)
{
	EXPECT_EQ(-EPROTONOSUPPORT, try_socket(SOCK_DGRAM, 0));
}

TEST(bad_protocol_unix)
{
	EXPECT_EQ(-EPROTONOSUPPORT, try_socket(SOCK_DGRAM, PF_UNIX));
}

TEST(bad_protocol_negative)
{
	EXPECT_EQ(-EPROTONOSUPPORT, try_socket(SOCK_DGRAM, -1));
}

TEST(bad_protocol_checked_before_type)
{
	EXPECT_EQ(-EPROTONOSUPPORT, try_socket(SOCK_STREAM, PF_RXRPC));
}

TEST(shutdown_rdwr_once)
{
	int fd = socket(AF_RXRPC, SOCK_DGRAM, PF_INET);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, shutdown(fd, SHUT_RD));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, shutdown(fd, SHUT_WR));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, shutdown(fd, SHUT_RDWR));
	EXPECT_EQ(-1, shutdown(fd, SHUT_RDWR));
	EXPECT_EQ(ESHUTDOWN, errno);
	EXPECT_EQ(0, close(fd));
}

TEST(unsupported_ops)
{
	struct sockaddr_rxrpc srx;
	socklen_t len = sizeof(srx);
	int fd = socket(AF_RXRPC, SOCK_DGRAM, PF_INET);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, getsockname(fd, (struct sockaddr *)&srx, &len));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, accept(fd, NULL, NULL));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
