// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel API through a kernel user: rxperf.ko (net/rxrpc/rxperf.c)
 * runs its server on a kernel AF_RXRPC socket of the module under test
 * (sock_create_kern, kernel_bind, rxrpc_kernel_charge_accept,
 * rxrpc_kernel_recv_data, rxrpc_kernel_send_data, ...), and a program
 * calls it with the rxperf protocol of 6.12: a parameter block (version 3,
 * operation), the sizes, the request, a 4-byte cookie; the reply is the
 * asked-for number of zero bytes and the cookie.
 */
#include "rxrpc_test.h"
#include "kselftest_harness.h"

#define RXPERF_PORT	7009
#define RXPERF_SERVICE	147
#define RXPERF_VERSION	3
#define RXPERF_SEND	0
#define RXPERF_RECV	1
#define RXPERF_RPC	3

static const uint8_t cookie[4] = { 0x00, 0x00, 0x47, 0x11 };

FIXTURE(rxperf) {
	int fd;
	struct sockaddr_rxrpc srv;
};

FIXTURE_SETUP(rxperf)
{
	ASSERT_EQ(0, system("modprobe rxperf"));
	self->fd = rx_socket(PF_INET);
	ASSERT_LE(0, self->fd);
	rx_addr4(&self->srv, "127.0.0.1", RXPERF_PORT, RXPERF_SERVICE);
}

FIXTURE_TEARDOWN(rxperf)
{
	close(self->fd);
	/* The server's socket and calls go with the module. */
	EXPECT_EQ(0, system("rmmod rxperf"));
}

/*
 * One rxperf call: op with request size req and reply size reply. Returns
 * 0 when the reply is reply zero bytes and the cookie, which ends the
 * call; -errno or a positive abort code otherwise.
 */
static long rxperf_call(int fd, const struct sockaddr_rxrpc *srv, unsigned long id,
			uint32_t op, uint32_t req, uint32_t reply)
{
	size_t hdr_len = 16 + (op == RXPERF_RPC ? 8 : 4), total = hdr_len + req + 4;
	size_t cap = (size_t)reply + 4, got;
	uint32_t *w;
	uint8_t *out, *in;
	struct rx_res r;
	long ret = -ENOMEM;

	out = calloc(1, total);
	in = malloc(cap + 1);
	if (!out || !in)
		goto out;
	w = (uint32_t *)out;
	w[0] = htonl(RXPERF_VERSION);
	w[1] = htonl(op);
	if (op == RXPERF_RPC) {
		w[4] = htonl(req);
		w[5] = htonl(reply);
	} else {
		w[4] = htonl(op == RXPERF_SEND ? req : reply);
	}
	rx_fill(out + hdr_len, req, id);
	memcpy(out + hdr_len + req, cookie, 4);

	ret = rx_send(fd, id, srv, out, total, 0);
	if (ret < 0)
		goto out;
	ret = rx_read_phase(fd, id, in, cap + 1, &r);
	if (ret < 0)
		goto out;
	got = ret;
	if (rx_terminal(&r)) {
		ret = r.abort ? (long)r.abort_code : -EPROTO;
		goto out;
	}
	ret = -EBADMSG;
	if (got != cap || memcmp(in + reply, cookie, 4))
		goto out;
	for (size_t i = 0; i < reply; i++)
		if (in[i])
			goto out;
	/* A client call ends with the last of its reply (MSG_EOR). */
	ret = r.flags & MSG_EOR ? 0 : -EPROTO;
out:
	free(out);
	free(in);
	return ret;
}

TEST_F(rxperf, rpc_empty)
{
	ASSERT_EQ(0, rxperf_call(self->fd, &self->srv, 1, RXPERF_RPC, 0, 0));
}

TEST_F(rxperf, rpc_small)
{
	ASSERT_EQ(0, rxperf_call(self->fd, &self->srv, 1, RXPERF_RPC, 100, 100));
}

TEST_F(rxperf, rpc_64k_each_way)
{
	ASSERT_EQ(0, rxperf_call(self->fd, &self->srv, 1, RXPERF_RPC, 65536, 65536));
}

TEST_F(rxperf, rpc_1m_reply)
{
	ASSERT_EQ(0, rxperf_call(self->fd, &self->srv, 1, RXPERF_RPC, 1, 1 << 20));
}

TEST_F(rxperf, send_1m)
{
	ASSERT_EQ(0, rxperf_call(self->fd, &self->srv, 1, RXPERF_SEND, 1 << 20, 0));
}

TEST_F(rxperf, recv_256k)
{
	ASSERT_EQ(0, rxperf_call(self->fd, &self->srv, 1, RXPERF_RECV, 0, 256 << 10));
}

/* Calls in a row and at once: the server recharges its accept queue. */
TEST_F(rxperf, many_calls)
{
	for (unsigned long id = 1; id <= 50; id++)
		ASSERT_EQ(0, rxperf_call(self->fd, &self->srv, id, RXPERF_RPC, 64, 64));
}

TEST_F(rxperf, bad_version_aborts)
{
	uint32_t w[6] = { htonl(99), htonl(RXPERF_RPC), 0, 0, 0, 0 };
	uint8_t buf[64];
	struct rx_res r;
	int n;

	ASSERT_EQ(24, rx_send(self->fd, 7, &self->srv, w, sizeof(w), 0));
	do {
		n = rx_recv_wait(self->fd, buf, sizeof(buf), &r);
		ASSERT_LE(0, n);
	} while (!rx_terminal(&r));
	/* rxperf aborts a call it cannot parse (-ENOTSUPP: RXGEN_SS_UNMARSHAL). */
	EXPECT_TRUE(r.abort);
}

TEST_HARNESS_MAIN
