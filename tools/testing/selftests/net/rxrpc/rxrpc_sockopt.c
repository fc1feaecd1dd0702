// SPDX-License-Identifier: GPL-2.0
/*
 * AF_RXRPC socket options (SOL_RXRPC): the settable ones before and after
 * bind, their lengths and ranges, and RXRPC_SUPPORTED_CMSG, as the C module
 * (Linux 6.12) answers them.
 */
#include "rxrpc_test.h"
#include "kselftest_harness.h"

#define RING KEY_SPEC_PROCESS_KEYRING
#define SVC 1710

#ifndef ETOOSMALL
#define ETOOSMALL 525	/* kernel-internal errno, seen by userspace here */
#endif

static int setopt(int fd, int level, int name, const void *val, socklen_t len)
{
	return rx_errno(setsockopt(fd, level, name, val, len));
}

static int setopt_u32(int fd, int name, uint32_t v)
{
	return setopt(fd, SOL_RXRPC, name, &v, sizeof(v));
}

static int setopt_str(int fd, int name, const char *s)
{
	return setopt(fd, SOL_RXRPC, name, s, strlen(s));
}

static int bound(int fd, int port, int service)
{
	struct sockaddr_rxrpc srx;

	rx_addr4(&srx, "127.0.0.1", port, service);
	return rx_bind(fd, &srx);
}

FIXTURE(sock) {
	int fd;
};

FIXTURE_SETUP(sock)
{
	self->fd = rx_socket(PF_INET);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(sock)
{
	close(self->fd);
}

/*
 * request_key() finds nothing and no upcall helps in the test guest. The
 * failed upcall can take seconds on a loaded emulated guest: hence the
 * longer timeouts of the tests that look up missing keys.
 */
TEST_F_TIMEOUT(sock, key_not_found, 120)
{
	EXPECT_EQ(-ENOKEY, setopt_str(self->fd, RXRPC_SECURITY_KEY, "rxrpc-test-no-such-key"));
}

TEST_F(sock, key_found_once)
{
	key_serial_t key = add_key("rxrpc", "rxrpc-test-key", NULL, 0, RING);

	ASSERT_LT(0, key) TH_LOG("add_key: %s", strerror(errno));
	EXPECT_EQ(0, setopt_str(self->fd, RXRPC_SECURITY_KEY, "rxrpc-test-key"));
	/* Only one key per socket. */
	EXPECT_EQ(-EINVAL, setopt_str(self->fd, RXRPC_SECURITY_KEY, "rxrpc-test-key"));
	keyctl_unlink(key, RING);
}

/* The key must be of type "rxrpc": a "user" key of that name is not found. */
TEST_F_TIMEOUT(sock, key_wrong_type, 120)
{
	key_serial_t key = add_key("user", "rxrpc-test-user", "x", 1, RING);

	ASSERT_LT(0, key) TH_LOG("add_key: %s", strerror(errno));
	EXPECT_EQ(-ENOKEY, setopt_str(self->fd, RXRPC_SECURITY_KEY, "rxrpc-test-user"));
	keyctl_unlink(key, RING);
}

TEST_F(sock, key_bad_length)
{
	char big[8192];

	memset(big, 'a', sizeof(big));
	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_SECURITY_KEY, "", 0));
	/* At most PAGE_SIZE - 1 bytes. */
	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_SECURITY_KEY, big, 4096));
	EXPECT_EQ(-EFAULT, setopt(self->fd, SOL_RXRPC, RXRPC_SECURITY_KEY, NULL, 5));
}

TEST_F(sock, key_after_bind)
{
	ASSERT_EQ(0, bound(self->fd, rx_port(0), 0));
	EXPECT_EQ(-EISCONN, setopt_str(self->fd, RXRPC_SECURITY_KEY, "rxrpc-test-no-such-key"));
}

TEST_F(sock, keyring_once)
{
	key_serial_t ring = add_key("keyring", "rxrpc-test-ring", NULL, 0, RING);

	ASSERT_LT(0, ring) TH_LOG("add_key: %s", strerror(errno));
	EXPECT_EQ(0, setopt_str(self->fd, RXRPC_SECURITY_KEYRING, "rxrpc-test-ring"));
	EXPECT_EQ(-EINVAL, setopt_str(self->fd, RXRPC_SECURITY_KEYRING, "rxrpc-test-ring"));
	keyctl_unlink(ring, RING);
}

TEST_F_TIMEOUT(sock, keyring_not_found, 120)
{
	EXPECT_EQ(-ENOKEY, setopt_str(self->fd, RXRPC_SECURITY_KEYRING, "rxrpc-test-no-ring"));
	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_SECURITY_KEYRING, "", 0));
}

/* The keyring option wants a keyring: a server key of that name is not one. */
TEST_F_TIMEOUT(sock, keyring_wrong_type, 120)
{
	static const uint8_t secret[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	key_serial_t key = add_key("rxrpc_s", "1710:2", secret, 8, RING);

	ASSERT_LT(0, key) TH_LOG("add_key: %s", strerror(errno));
	EXPECT_EQ(-ENOKEY, setopt_str(self->fd, RXRPC_SECURITY_KEYRING, "1710:2"));
	keyctl_unlink(key, RING);
}

TEST_F(sock, keyring_after_bind)
{
	ASSERT_EQ(0, bound(self->fd, rx_port(0), SVC));
	EXPECT_EQ(-EISCONN, setopt_str(self->fd, RXRPC_SECURITY_KEYRING, "rxrpc-test-ring"));
}

/* A socket may have both a client key and a server keyring. */
TEST_F(sock, key_and_keyring)
{
	key_serial_t key = add_key("rxrpc", "rxrpc-test-key2", NULL, 0, RING);
	key_serial_t ring = add_key("keyring", "rxrpc-test-ring2", NULL, 0, RING);

	ASSERT_LT(0, key);
	ASSERT_LT(0, ring);
	EXPECT_EQ(0, setopt_str(self->fd, RXRPC_SECURITY_KEYRING, "rxrpc-test-ring2"));
	EXPECT_EQ(0, setopt_str(self->fd, RXRPC_SECURITY_KEY, "rxrpc-test-key2"));
	EXPECT_EQ(0, bound(self->fd, rx_port(0), SVC));
	keyctl_unlink(key, RING);
	keyctl_unlink(ring, RING);
}

TEST_F(sock, exclusive_connection)
{
	uint32_t one = 1;

	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_EXCLUSIVE_CONNECTION, &one, 4));
	EXPECT_EQ(0, setopt(self->fd, SOL_RXRPC, RXRPC_EXCLUSIVE_CONNECTION, NULL, 0));
	EXPECT_EQ(0, setopt(self->fd, SOL_RXRPC, RXRPC_EXCLUSIVE_CONNECTION, NULL, 0));
	ASSERT_EQ(0, bound(self->fd, rx_port(0), 0));
	/* The length is checked before the state. */
	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_EXCLUSIVE_CONNECTION, &one, 4));
	EXPECT_EQ(-EISCONN, setopt(self->fd, SOL_RXRPC, RXRPC_EXCLUSIVE_CONNECTION, NULL, 0));
}

TEST_F(sock, min_security_level)
{
	uint64_t wide = 1;
	uint16_t narrow = 1;

	EXPECT_EQ(0, setopt_u32(self->fd, RXRPC_MIN_SECURITY_LEVEL, RXRPC_SECURITY_PLAIN));
	EXPECT_EQ(0, setopt_u32(self->fd, RXRPC_MIN_SECURITY_LEVEL, RXRPC_SECURITY_AUTH));
	EXPECT_EQ(0, setopt_u32(self->fd, RXRPC_MIN_SECURITY_LEVEL, RXRPC_SECURITY_ENCRYPT));
	EXPECT_EQ(-EINVAL, setopt_u32(self->fd, RXRPC_MIN_SECURITY_LEVEL, 3));
	EXPECT_EQ(-EINVAL, setopt_u32(self->fd, RXRPC_MIN_SECURITY_LEVEL, 0xffffffff));
	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_MIN_SECURITY_LEVEL, &wide, 8));
	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_MIN_SECURITY_LEVEL, &narrow, 2));
	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_MIN_SECURITY_LEVEL, NULL, 0));
	EXPECT_EQ(-EFAULT, setopt(self->fd, SOL_RXRPC, RXRPC_MIN_SECURITY_LEVEL, NULL, 4));
}

TEST_F(sock, min_security_level_after_bind)
{
	uint16_t narrow = 1;

	ASSERT_EQ(0, bound(self->fd, rx_port(0), 0));
	EXPECT_EQ(-EISCONN, setopt_u32(self->fd, RXRPC_MIN_SECURITY_LEVEL, 1));
	/* The length is checked first, the value after the state. */
	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_MIN_SECURITY_LEVEL, &narrow, 2));
	EXPECT_EQ(-EISCONN, setopt_u32(self->fd, RXRPC_MIN_SECURITY_LEVEL, 7));
}

/* The options that must come before bind() may also not follow connect(). */
TEST_F(sock, options_after_connect)
{
	struct sockaddr_rxrpc srx;

	rx_addr4(&srx, "127.0.0.1", rx_port(0), SVC);
	ASSERT_EQ(0, rx_connect(self->fd, &srx));
	EXPECT_EQ(-EISCONN, setopt_u32(self->fd, RXRPC_MIN_SECURITY_LEVEL, 1));
	EXPECT_EQ(-EISCONN, setopt(self->fd, SOL_RXRPC, RXRPC_EXCLUSIVE_CONNECTION, NULL, 0));
}

TEST_F(sock, upgradeable_service_needs_two_services)
{
	uint16_t svc[2] = { SVC, SVC + 1 };

	/* "Both bound" is reported as EISCONN, the state error. */
	EXPECT_EQ(-EISCONN, setopt(self->fd, SOL_RXRPC, RXRPC_UPGRADEABLE_SERVICE, svc, 4));
	ASSERT_EQ(0, bound(self->fd, rx_port(0), SVC));
	EXPECT_EQ(-EISCONN, setopt(self->fd, SOL_RXRPC, RXRPC_UPGRADEABLE_SERVICE, svc, 4));
	ASSERT_EQ(0, bound(self->fd, rx_port(0), SVC + 1));
	EXPECT_EQ(0, setopt(self->fd, SOL_RXRPC, RXRPC_UPGRADEABLE_SERVICE, svc, 4));
	/* Once only. */
	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_UPGRADEABLE_SERVICE, svc, 4));
}

TEST_F(sock, upgradeable_service_values)
{
	uint16_t same[2] = { SVC, SVC }, other[2] = { SVC, SVC + 2 };
	uint16_t rev[2] = { SVC + 1, SVC };
	uint16_t svc3[3] = { SVC, SVC + 1, 0 };

	ASSERT_EQ(0, bound(self->fd, rx_port(0), SVC));
	ASSERT_EQ(0, bound(self->fd, rx_port(0), SVC + 1));
	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_UPGRADEABLE_SERVICE, svc3, 6));
	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_UPGRADEABLE_SERVICE, svc3, 2));
	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_UPGRADEABLE_SERVICE, same, 4));
	EXPECT_EQ(-EINVAL, setopt(self->fd, SOL_RXRPC, RXRPC_UPGRADEABLE_SERVICE, other, 4));
	EXPECT_EQ(-EFAULT, setopt(self->fd, SOL_RXRPC, RXRPC_UPGRADEABLE_SERVICE, NULL, 4));
	/* Either order: the second bound service may upgrade to the first. */
	EXPECT_EQ(0, setopt(self->fd, SOL_RXRPC, RXRPC_UPGRADEABLE_SERVICE, rev, 4));
}

TEST_F(sock, upgradeable_service_after_listen)
{
	uint16_t svc[2] = { SVC, SVC + 1 };

	ASSERT_EQ(0, bound(self->fd, rx_port(0), SVC));
	ASSERT_EQ(0, bound(self->fd, rx_port(0), SVC + 1));
	ASSERT_EQ(0, rx_errno(listen(self->fd, 4)));
	EXPECT_EQ(-EISCONN, setopt(self->fd, SOL_RXRPC, RXRPC_UPGRADEABLE_SERVICE, svc, 4));
}

TEST_F(sock, supported_cmsg)
{
	int val = -1;
	socklen_t len = sizeof(val);
	uint64_t wide = ~0ULL;

	EXPECT_EQ(0, getsockopt(self->fd, SOL_RXRPC, RXRPC_SUPPORTED_CMSG, &val, &len));
	/* The highest control message number: RXRPC_CHARGE_ACCEPT in 6.12. */
	EXPECT_EQ(RXRPC__SUPPORTED - 1, val);
	EXPECT_EQ(14, val);
	EXPECT_EQ(sizeof(int), len);
	/* A bigger buffer gets an int and the length says so. */
	len = sizeof(wide);
	EXPECT_EQ(0, getsockopt(self->fd, SOL_RXRPC, RXRPC_SUPPORTED_CMSG, &wide, &len));
	EXPECT_EQ(sizeof(int), len);
	EXPECT_EQ(14, (int)(wide & 0xffffffff));
	EXPECT_EQ(0xffffffff, wide >> 32);
	/* A smaller one: ETOOSMALL (525), a kernel-internal errno. */
	len = 3;
	EXPECT_EQ(-1, getsockopt(self->fd, SOL_RXRPC, RXRPC_SUPPORTED_CMSG, &val, &len));
	EXPECT_EQ(ETOOSMALL, errno);
	/* The same on a bound service socket. */
	len = sizeof(val);
	ASSERT_EQ(0, bound(self->fd, rx_port(0), SVC));
	EXPECT_EQ(0, getsockopt(self->fd, SOL_RXRPC, RXRPC_SUPPORTED_CMSG, &val, &len));
	EXPECT_EQ(14, val);
}

TEST_F(sock, getsockopt_others)
{
	int val;
	socklen_t len = sizeof(val);

	EXPECT_EQ(-1, getsockopt(self->fd, SOL_RXRPC, RXRPC_SECURITY_KEY, &val, &len));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, getsockopt(self->fd, SOL_RXRPC, RXRPC_MIN_SECURITY_LEVEL, &val, &len));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, getsockopt(self->fd, SOL_RXRPC, 99, &val, &len));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* Other levels than SOL_RXRPC and SOL_SOCKET. */
	EXPECT_EQ(-1, getsockopt(self->fd, SOL_IP, RXRPC_SUPPORTED_CMSG, &val, &len));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

/* SOL_SOCKET options are the socket layer's. */
TEST_F(sock, sol_socket)
{
	int val = 0, sz = 65536;
	socklen_t len = sizeof(val);

	EXPECT_EQ(0, getsockopt(self->fd, SOL_SOCKET, SO_TYPE, &val, &len));
	EXPECT_EQ(SOCK_DGRAM, val);
	EXPECT_EQ(0, getsockopt(self->fd, SOL_SOCKET, SO_DOMAIN, &val, &len));
	EXPECT_EQ(AF_RXRPC, val);
	EXPECT_EQ(0, setsockopt(self->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)));
}

/*
 * Finding: 6.12's rxrpc_setsockopt() falls through to "success" for any
 * option it does not know, at SOL_RXRPC and at every other level but
 * SOL_SOCKET: setsockopt() returns 0 and does nothing. That includes the
 * get-only RXRPC_SUPPORTED_CMSG and 6.16's RXRPC_MANAGE_RESPONSE (7).
 */
TEST_F(sock, c_setsockopt_unknown_succeeds)
{
	uint32_t v = 1;

	C_ONLY();

	EXPECT_EQ(0, setopt(self->fd, SOL_RXRPC, 99, &v, sizeof(v)));
	EXPECT_EQ(0, setopt(self->fd, SOL_RXRPC, RXRPC_SUPPORTED_CMSG, &v, sizeof(v)));
	EXPECT_EQ(0, setopt(self->fd, SOL_RXRPC, 7, &v, sizeof(v)));
	EXPECT_EQ(0, setopt(self->fd, SOL_IP, RXRPC_MIN_SECURITY_LEVEL, &v, 1));
	EXPECT_EQ(0, setopt(self->fd, SOL_IPV6, 1, NULL, 0));
	/* Even after bind. */
	ASSERT_EQ(0, bound(self->fd, rx_port(0), 0));
	EXPECT_EQ(0, setopt(self->fd, SOL_RXRPC, 99, &v, sizeof(v)));
}

TEST_HARNESS_MAIN
