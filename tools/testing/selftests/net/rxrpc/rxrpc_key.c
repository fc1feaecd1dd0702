// SPDX-License-Identifier: GPL-2.0
/*
 * The "rxrpc" (client) and "rxrpc_s" (server) key types: accepted and
 * refused payloads and descriptions, and the XDR form `keyctl read` gives.
 */
#include <arpa/inet.h>
#include "rxrpc_test.h"
#include "kselftest_harness.h"

#define RING KEY_SPEC_PROCESS_KEYRING

static const uint8_t secret[8] = { 0xa7, 0x83, 0x8a, 0xcb, 0xc7, 0x83, 0xec, 0x94 };

/* Returns -errno of add_key, unlinking the key on success. */
static int try_add(const char *type, const char *desc, const void *data, size_t len)
{
	key_serial_t key = add_key(type, desc, data, len, RING);

	if (key < 0)
		return -errno;
	keyctl_unlink(key, RING);
	return 0;
}

/* A v1 client key payload: kver, then struct rxrpc_key_data_v1. */
static size_t make_v1(uint8_t *buf, uint32_t kver, uint16_t sec_ix,
		      uint16_t tkt_len, size_t real_tkt_len)
{
	uint32_t expiry = 0x7fffffff, kvno = 7;
	size_t n = 0, i;

	memcpy(buf + n, &kver, 4); n += 4;
	memcpy(buf + n, &sec_ix, 2); n += 2;
	memcpy(buf + n, &tkt_len, 2); n += 2;
	memcpy(buf + n, &expiry, 4); n += 4;
	memcpy(buf + n, &kvno, 4); n += 4;
	memcpy(buf + n, secret, 8); n += 8;
	for (i = 0; i < real_tkt_len; i++)
		buf[n++] = (uint8_t)i;
	return n;
}

static size_t put32(uint8_t *buf, size_t n, uint32_t v)
{
	v = htonl(v);
	memcpy(buf + n, &v, 4);
	return n + 4;
}

/* An XDR token payload for cell "example.org" with one rxkad token. */
static size_t make_xdr(uint8_t *buf, size_t tkt_len)
{
	size_t n = 0, i;

	n = put32(buf, n, 0);			/* flags */
	n = put32(buf, n, 11);			/* cell name */
	memcpy(buf + n, "example.org\0", 12); n += 12;
	n = put32(buf, n, 1);			/* token count */
	n = put32(buf, n, 4 + 8 * 4 + ((tkt_len + 3) & ~3));
	n = put32(buf, n, 2);			/* rxkad */
	n = put32(buf, n, 1234);		/* vice id */
	n = put32(buf, n, 3);			/* kvno */
	memcpy(buf + n, secret, 8); n += 8;
	n = put32(buf, n, 1000);		/* start */
	n = put32(buf, n, 0x7ffffff0);		/* expiry */
	n = put32(buf, n, 1);			/* primary */
	n = put32(buf, n, tkt_len);
	for (i = 0; i < tkt_len; i++)
		buf[n++] = (uint8_t)(0x40 + i);
	while (n & 3)
		buf[n++] = 0;
	return n;
}

TEST(server_key_ok)
{
	EXPECT_EQ(0, try_add("rxrpc_s", "52:2", secret, 8));
}

TEST(server_key_extra_description)
{
	EXPECT_EQ(0, try_add("rxrpc_s", "52:2:anything", secret, 8));
}

TEST(server_key_bad_length)
{
	EXPECT_EQ(-EINVAL, try_add("rxrpc_s", "52:2", secret, 7));
}

TEST(server_key_bad_description)
{
	EXPECT_EQ(-EINVAL, try_add("rxrpc_s", "52", secret, 8));
	EXPECT_EQ(-EINVAL, try_add("rxrpc_s", "52:0", secret, 8));
	EXPECT_EQ(-EINVAL, try_add("rxrpc_s", "52:256", secret, 8));
	EXPECT_EQ(-EINVAL, try_add("rxrpc_s", "65536:2", secret, 8));
	EXPECT_EQ(-EINVAL, try_add("rxrpc_s", "x52:2", secret, 8));
	EXPECT_EQ(-EINVAL, try_add("rxrpc_s", "52:2x", secret, 8));
}

TEST(server_key_unknown_class)
{
	EXPECT_EQ(-ENOPKG, try_add("rxrpc_s", "52:3", secret, 8));
}

TEST(server_key_describe)
{
	char buf[256];
	key_serial_t key = add_key("rxrpc_s", "52:2", secret, 8, RING);

	ASSERT_LE(0, key);
	ASSERT_LT(0, keyctl_describe(key, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "rxrpc_s;"));
	EXPECT_NE(NULL, strstr(buf, ";52:2"));
	keyctl_unlink(key, RING);
}

TEST(client_key_anonymous)
{
	uint8_t buf[64];
	key_serial_t key = add_key("rxrpc", "afs@example.org", NULL, 0, RING);
	long n;

	ASSERT_LE(0, key);
	/* flags, cell name, no tokens */
	n = keyctl_read(key, buf, sizeof(buf));
	EXPECT_EQ(4 + 4 + 12 + 4, n);
	keyctl_unlink(key, RING);
}

TEST(client_key_v1)
{
	uint8_t buf[256];
	size_t n = make_v1(buf, 1, 2, 16, 16);

	EXPECT_EQ(0, try_add("rxrpc", "afs@example.org", buf, n));
}

TEST(client_key_v1_bad_version)
{
	uint8_t buf[256];
	size_t n = make_v1(buf, 2, 2, 16, 16);

	EXPECT_EQ(-EKEYREJECTED, try_add("rxrpc", "afs@example.org", buf, n));
}

TEST(client_key_v1_bad_security_index)
{
	uint8_t buf[256];
	size_t n = make_v1(buf, 1, 3, 16, 16);

	EXPECT_EQ(-EPROTONOSUPPORT, try_add("rxrpc", "afs@example.org", buf, n));
}

TEST(client_key_v1_ticket_length_mismatch)
{
	uint8_t buf[256];
	size_t n = make_v1(buf, 1, 2, 17, 16);

	EXPECT_EQ(-EINVAL, try_add("rxrpc", "afs@example.org", buf, n));
}

TEST(client_key_too_short)
{
	uint8_t buf[4] = { 1, 0, 0, 0 };

	EXPECT_EQ(-EINVAL, try_add("rxrpc", "afs@example.org", buf, 4));
	EXPECT_EQ(-EINVAL, try_add("rxrpc", "afs@example.org", buf, 3));
}

TEST(client_key_xdr_read_back)
{
	uint8_t in[256], out[256];
	size_t n = make_xdr(in, 13);
	key_serial_t key = add_key("rxrpc", "afs@example.org", in, n, RING);

	ASSERT_LE(0, key) TH_LOG("add_key: %s", strerror(errno));
	EXPECT_EQ((long)n, keyctl_read(key, NULL, 0));
	ASSERT_EQ((long)n, keyctl_read(key, out, sizeof(out)));
	EXPECT_EQ(0, memcmp(in, out, n));
	keyctl_unlink(key, RING);
}

TEST(client_key_xdr_describe)
{
	uint8_t in[256];
	char buf[256];
	size_t n = make_xdr(in, 8);
	key_serial_t key = add_key("rxrpc", "afs@example.org", in, n, RING);

	ASSERT_LE(0, key);
	ASSERT_LT(0, keyctl_describe(key, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "rxrpc;"));
	keyctl_unlink(key, RING);
}

TEST(client_key_xdr_oversized_ticket)
{
	static uint8_t in[16384];
	size_t n = make_xdr(in, 12004);

	EXPECT_EQ(-EKEYREJECTED, try_add("rxrpc", "afs@example.org", in, n));
}

TEST(client_key_read_non_afs)
{
	uint8_t buf[64];
	key_serial_t key = add_key("rxrpc", "other", NULL, 0, RING);

	ASSERT_LE(0, key);
	EXPECT_EQ(-1, keyctl_read(key, buf, sizeof(buf)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	keyctl_unlink(key, RING);
}

TEST_HARNESS_MAIN
