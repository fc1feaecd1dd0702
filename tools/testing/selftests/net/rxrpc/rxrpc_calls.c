// SPDX-License-Identifier: GPL-2.0
/*
 * AF_RXRPC calls over loopback between a service socket and a client
 * socket: data of every size byte-exact, the flags and control messages of
 * each recvmsg(), MSG_PEEK and MSG_DONTWAIT, aborts both ways, calls that
 * cannot be answered, timeouts, many calls, IPv6. Pins what the C module
 * (Linux 6.12) does. Waits are poll()s with generous timeouts; nothing
 * asserts on timing.
 */
#include <sys/prctl.h>
#include <signal.h>
#include "rxrpc_test.h"
#include "kselftest_harness.h"

#define SVC 1730
#define CHARGE 1000	/* the service's first charged user call ID */
#define NCHARGE 4

FIXTURE(loop) {
	int srv, cli;
	struct sockaddr_rxrpc to;
	pid_t child;
};

FIXTURE_SETUP(loop)
{
	rx_addr4(&self->to, "127.0.0.1", rx_port(0), SVC);
	self->srv = rx_server(&self->to, 8, CHARGE, NCHARGE);
	ASSERT_LE(0, self->srv) TH_LOG("server: %s", strerror(-self->srv));
	self->cli = rx_socket(PF_INET);
	ASSERT_LE(0, self->cli);
	self->child = 0;
}

FIXTURE_TEARDOWN(loop)
{
	if (self->child > 0)
		kill(self->child, SIGKILL);
	close(self->cli);
	close(self->srv);
}

/*
 * One whole call between the fixture's sockets, checking every message:
 * the request as the server's call CHARGE + k, data reads without MSG_EOR
 * and (the last) without MSG_MORE; the reply with MSG_EOR on the last read
 * and no other control message than the id; then RXRPC_ACK with MSG_EOR
 * and no data on the server. Returns 0 or the line that failed.
 */
static int one_call(FIXTURE_DATA(loop) *self, unsigned long id, int k,
		    const void *req, size_t req_len,
		    const void *reply, size_t reply_len)
{
	size_t cap = (req_len > reply_len ? req_len : reply_len) + 16;
	char *buf = malloc(cap);
	struct rx_res r;
	long n;
	int ret = 0;

	if (!buf)
		return __LINE__;
	if (rx_send(self->cli, id, &self->to, req, req_len, 0) != (int)req_len)
		ret = __LINE__;
	else if ((n = rx_read_phase(self->srv, CHARGE + k, buf, cap, &r)) != (long)req_len)
		ret = __LINE__;
	else if (memcmp(buf, req, req_len) || (r.flags & MSG_EOR) || rx_terminal(&r))
		ret = __LINE__;
	else if (rx_send(self->srv, CHARGE + k, NULL, reply, reply_len, 0) != (int)reply_len)
		ret = __LINE__;
	if (ret)
		goto out;
	n = 0;
	do {
		int m = rx_recv_wait(self->cli, buf + n, cap - n, &r);

		if (m < 0 || !r.has_id || r.id != id || rx_terminal(&r) ||
		    r.ncmsg != 1) {
			ret = __LINE__;
			goto out;
		}
		n += m;
		if (!(r.flags & MSG_EOR) && !(r.flags & MSG_MORE)) {
			ret = __LINE__;
			goto out;
		}
	} while (!(r.flags & MSG_EOR));
	if (n != (long)reply_len || memcmp(buf, reply, reply_len) || (r.flags & MSG_MORE))
		ret = __LINE__;
	else if (rx_recv_wait(self->srv, buf, cap, &r) != 0 || !r.ack ||
		 r.id != CHARGE + k || r.ncmsg != 2 ||
		 (r.flags & (MSG_EOR | MSG_MORE)) != MSG_EOR)
		ret = __LINE__;
out:
	free(buf);
	return ret;
}

static void *pattern(size_t len, uint32_t seed)
{
	void *p = malloc(len ? len : 1);

	if (p)
		rx_fill(p, len, seed);
	return p;
}

TEST_F(loop, one_byte)
{
	EXPECT_EQ(0, one_call(self, 1, 0, "q", 1, "r", 1));
}

TEST_F(loop, empty_request)
{
	EXPECT_EQ(0, one_call(self, 1, 0, "", 0, "reply", 5));
}

TEST_F(loop, empty_reply)
{
	EXPECT_EQ(0, one_call(self, 1, 0, "request", 7, "", 0));
}

TEST_F(loop, empty_both)
{
	EXPECT_EQ(0, one_call(self, 1, 0, "", 0, "", 0));
}

/* Exactly one full DATA packet, and one byte more. */
TEST_F(loop, packet_sizes)
{
	char *a = pattern(1413, 3);

	ASSERT_NE(NULL, a);
	EXPECT_EQ(0, one_call(self, 1, 0, a, 1412, a, 1412));
	EXPECT_EQ(0, one_call(self, 2, 1, a, 1413, a, 1413));
	EXPECT_EQ(0, one_call(self, 3, 2, a, 1411, a, 1));
	free(a);
}

TEST_F(loop, reply_64k)
{
	char *a = pattern(65536, 4);

	ASSERT_NE(NULL, a);
	EXPECT_EQ(0, one_call(self, 1, 0, "x", 1, a, 65536));
	free(a);
}

TEST_F(loop, request_64k)
{
	char *a = pattern(65536, 5);

	ASSERT_NE(NULL, a);
	EXPECT_EQ(0, one_call(self, 1, 0, a, 65536, "ok", 2));
	free(a);
}

/* Calls in a row on one socket reuse the connection; ids may be reused. */
TEST_F(loop, calls_in_a_row)
{
	int i;

	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, one_call(self, 7, i, "again", 5, "yes", 3));
}

/* A request in several sendmsg()s with MSG_MORE, and a reply likewise. */
TEST_F(loop, msg_more_pieces)
{
	char *a = pattern(5000, 6), buf[6000];
	struct rx_res r;
	long n;

	ASSERT_NE(NULL, a);
	ASSERT_EQ(10, rx_send(self->cli, 1, &self->to, a, 10, MSG_MORE));
	ASSERT_EQ(2000, rx_send(self->cli, 1, NULL, a + 10, 2000, MSG_MORE));
	ASSERT_EQ(0, rx_send(self->cli, 1, NULL, NULL, 0, MSG_MORE));
	ASSERT_EQ(2990, rx_send(self->cli, 1, NULL, a + 2010, 2990, 0));
	n = rx_read_phase(self->srv, CHARGE, buf, sizeof(buf), &r);
	ASSERT_EQ(5000, n);
	EXPECT_EQ(0, memcmp(buf, a, 5000));
	ASSERT_EQ(1, rx_send(self->srv, CHARGE, NULL, a, 1, MSG_MORE));
	ASSERT_EQ(3000, rx_send(self->srv, CHARGE, NULL, a + 1, 3000, MSG_MORE));
	/* An empty last sendmsg ends the reply. */
	ASSERT_EQ(0, rx_send(self->srv, CHARGE, NULL, NULL, 0, 0));
	n = 0;
	do {
		int m = rx_recv_wait(self->cli, buf + n, sizeof(buf) - n, &r);

		ASSERT_LE(0, m);
		n += m;
	} while (!(r.flags & MSG_EOR));
	EXPECT_EQ(3001, n);
	EXPECT_EQ(0, memcmp(buf, a, 3001));
	free(a);
}

/*
 * Small reads: a partly read packet stays queued, MSG_MORE is set on every
 * read but the last, which alone has MSG_EOR; MSG_TRUNC never.
 */
TEST_F(loop, partial_reads)
{
	char *a = pattern(3000, 7), buf[3000];
	struct rx_res r;
	int n = 0, reads = 0;

	ASSERT_NE(NULL, a);
	ASSERT_EQ(1, rx_send(self->cli, 1, &self->to, "q", 1, 0));
	ASSERT_EQ(1, rx_read_phase(self->srv, CHARGE, buf, sizeof(buf), &r));
	ASSERT_EQ(3000, rx_send(self->srv, CHARGE, NULL, a, 3000, 0));
	do {
		int m = rx_recv_wait(self->cli, buf + n, 100, &r);

		ASSERT_LE(0, m);
		ASSERT_GE(100, m);
		EXPECT_EQ(1, r.id);
		EXPECT_EQ(0, r.flags & MSG_TRUNC);
		if (!(r.flags & MSG_EOR))
			EXPECT_EQ(MSG_MORE, r.flags & MSG_MORE);
		n += m;
		reads++;
	} while (!(r.flags & MSG_EOR) && reads < 200);
	EXPECT_EQ(0, r.flags & MSG_MORE);
	EXPECT_EQ(3000, n);
	EXPECT_EQ(0, memcmp(buf, a, 3000));
	EXPECT_LE(30, reads);
	free(a);
}

/* A zero-length read of a call with data pending consumes nothing. */
TEST_F(loop, zero_length_read)
{
	struct rx_res r;
	char buf[8];

	ASSERT_EQ(3, rx_send(self->cli, 1, &self->to, "abc", 3, 0));
	ASSERT_EQ(0, rx_recv_wait(self->srv, buf, 0, &r));
	EXPECT_EQ(CHARGE, r.id);
	EXPECT_EQ(MSG_MORE, r.flags & (MSG_MORE | MSG_EOR));
	EXPECT_EQ(3, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	EXPECT_EQ(0, r.flags & (MSG_MORE | MSG_EOR));
}

TEST_F(loop, peek_does_not_dequeue)
{
	struct rx_res r;
	char buf[16];

	ASSERT_EQ(5, rx_send(self->cli, 1, &self->to, "hello", 5, 0));
	ASSERT_TRUE(rx_wait(self->srv, RX_POLL_MS));
	EXPECT_EQ(5, rx_recv(self->srv, buf, sizeof(buf), MSG_PEEK, &r));
	EXPECT_EQ(CHARGE, r.id);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(3, rx_recv(self->srv, buf, 3, MSG_PEEK, &r));
	EXPECT_TRUE(rx_wait(self->srv, 0));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(5, rx_recv(self->srv, buf, sizeof(buf), 0, &r));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(0, r.flags & (MSG_MORE | MSG_EOR));
	/*
	 * The reply, peeked. While a peek leaves data queued the call does
	 * not end: the last data come without MSG_MORE and without MSG_EOR.
	 */
	ASSERT_EQ(2, rx_send(self->srv, CHARGE, NULL, "hi", 2, 0));
	ASSERT_TRUE(rx_wait(self->cli, RX_POLL_MS));
	EXPECT_EQ(2, rx_recv(self->cli, buf, sizeof(buf), MSG_PEEK, &r));
	EXPECT_EQ(0, r.flags & (MSG_MORE | MSG_EOR));
	EXPECT_EQ(2, rx_recv(self->cli, buf, sizeof(buf), MSG_PEEK, &r));
	EXPECT_EQ(2, rx_recv(self->cli, buf, sizeof(buf), 0, &r));
	EXPECT_EQ(0, memcmp(buf, "hi", 2));
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
	/* Now the socket has no calls. */
	EXPECT_EQ(-EAGAIN, rx_recv(self->cli, buf, sizeof(buf), 0, &r));
}

TEST_F(loop, dontwait)
{
	struct rx_res r;
	char buf[8];

	/* A listening socket with nothing queued. */
	EXPECT_EQ(-EAGAIN, rx_recv(self->srv, buf, sizeof(buf), MSG_DONTWAIT, &r));
	/* A client with a call in progress but nothing queued. */
	ASSERT_EQ(1, rx_send(self->cli, 1, &self->to, "q", 1, 0));
	ASSERT_EQ(1, rx_read_phase(self->srv, CHARGE, buf, sizeof(buf), &r));
	EXPECT_EQ(-EAGAIN, rx_recv(self->cli, buf, sizeof(buf), MSG_DONTWAIT, &r));
	EXPECT_EQ(-EAGAIN, rx_recv(self->cli, buf, sizeof(buf), MSG_DONTWAIT | MSG_PEEK, &r));
}

/* A socket without calls (and not listening) does not block: EAGAIN. */
TEST_F(loop, no_calls_no_wait)
{
	struct sockaddr_rxrpc srx;
	struct rx_res r;
	char buf[8];
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EAGAIN, rx_recv(self->cli, buf, sizeof(buf), 0, &r));
	EXPECT_EQ(-EAGAIN, rx_recv(fd, buf, sizeof(buf), 0, &r));
	/* A bound service socket that does not listen, likewise. */
	rx_addr4(&srx, "127.0.0.1", rx_port(1), SVC);
	ASSERT_EQ(0, rx_bind(fd, &srx));
	EXPECT_EQ(-EAGAIN, rx_recv(fd, buf, sizeof(buf), 0, &r));
	close(fd);
	/* And a client again after its only call has ended. */
	EXPECT_EQ(0, one_call(self, 1, 0, "q", 1, "r", 1));
	EXPECT_EQ(-EAGAIN, rx_recv(self->cli, buf, sizeof(buf), 0, &r));
}

TEST_F(loop, poll_events)
{
	struct pollfd p[2] = { { .fd = self->srv, .events = POLLIN | POLLOUT },
			       { .fd = self->cli, .events = POLLIN | POLLOUT } };

	ASSERT_EQ(2, poll(p, 2, 0));
	EXPECT_EQ(POLLOUT, p[0].revents);
	EXPECT_EQ(POLLOUT, p[1].revents);
	ASSERT_EQ(1, rx_send(self->cli, 1, &self->to, "q", 1, 0));
	ASSERT_TRUE(rx_wait(self->srv, RX_POLL_MS));
	ASSERT_EQ(2, poll(p, 2, 0));
	EXPECT_EQ(POLLIN | POLLOUT, p[0].revents);
	EXPECT_EQ(POLLOUT, p[1].revents);
}

/* msg_name: the client's address for the service, the service's for the client. */
TEST_F(loop, msg_name)
{
	struct sockaddr_rxrpc me;
	struct rx_res r;
	char buf[8];
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	rx_addr4(&me, "127.0.0.1", rx_port(1), 0);
	ASSERT_EQ(0, rx_bind(fd, &me));
	ASSERT_EQ(1, rx_send(fd, 1, &self->to, "q", 1, 0));
	ASSERT_EQ(1, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	EXPECT_EQ(sizeof(struct sockaddr_rxrpc), r.srx_len);
	/* srx_family: see c_service_msg_name_family. */
	EXPECT_EQ(SVC, r.srx.srx_service);
	EXPECT_EQ(SOCK_DGRAM, r.srx.transport_type);
	EXPECT_EQ(sizeof(struct sockaddr_in), r.srx.transport_len);
	EXPECT_EQ(AF_INET, r.srx.transport.sin.sin_family);
	EXPECT_EQ(htons(rx_port(1)), r.srx.transport.sin.sin_port);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), r.srx.transport.sin.sin_addr.s_addr);
	ASSERT_EQ(1, rx_send(self->srv, CHARGE, NULL, "r", 1, 0));
	ASSERT_EQ(1, rx_recv_wait(fd, buf, sizeof(buf), &r));
	EXPECT_EQ(sizeof(struct sockaddr_rxrpc), r.srx_len);
	EXPECT_EQ(0, memcmp(&r.srx, &self->to, sizeof(self->to)));
	close(fd);
}

/*
 * Finding: 6.12 fills a service call's msg_name from the packet's
 * addresses (rxrpc_extract_addr_from_skb) and leaves srx_family 0, not
 * AF_RXRPC; the client side gets AF_RXRPC.
 */
TEST_F(loop, c_service_msg_name_family)
{
	struct rx_res r;
	char buf[8];

	C_ONLY();
	ASSERT_EQ(1, rx_send(self->cli, 1, &self->to, "q", 1, 0));
	ASSERT_EQ(1, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	EXPECT_EQ(0, r.srx.srx_family);
	EXPECT_EQ(SVC, r.srx.srx_service);
	ASSERT_EQ(1, rx_send(self->srv, CHARGE, NULL, "r", 1, 0));
	ASSERT_EQ(1, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(AF_RXRPC, r.srx.srx_family);
}

/* Two calls at once: ids keep them apart; replies in any order. */
TEST_F(loop, interleaved_calls)
{
	struct rx_res r;
	char buf[16];
	unsigned long sid[2];
	int i;

	ASSERT_EQ(1, rx_send(self->cli, 11, &self->to, "A", 1, 0));
	ASSERT_EQ(1, rx_send(self->cli, 22, &self->to, "B", 1, 0));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(1, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
		ASSERT_TRUE(r.id == CHARGE || r.id == CHARGE + 1);
		sid[buf[0] - 'A'] = r.id;
	}
	EXPECT_NE(sid[0], sid[1]);
	ASSERT_EQ(2, rx_send(self->srv, sid[1], NULL, "bb", 2, 0));
	ASSERT_EQ(2, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(22, r.id);
	EXPECT_EQ(0, memcmp(buf, "bb", 2));
	EXPECT_TRUE(r.flags & MSG_EOR);
	ASSERT_EQ(2, rx_send(self->srv, sid[0], NULL, "aa", 2, 0));
	ASSERT_EQ(2, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(11, r.id);
	EXPECT_EQ(0, memcmp(buf, "aa", 2));
	EXPECT_TRUE(r.flags & MSG_EOR);
}

/*
 * The client aborts in the middle of its request: the service gets
 * RXRPC_ABORT with the code and MSG_EOR; the client gets its own abort
 * back as the terminal message of the call.
 */
TEST_F(loop, client_abort)
{
	char *a = pattern(4000, 8), buf[4000];
	struct rx_res r;

	ASSERT_NE(NULL, a);
	ASSERT_EQ(4000, rx_send(self->cli, 1, &self->to, a, 4000, MSG_MORE));
	ASSERT_LT(0, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	ASSERT_EQ(CHARGE, r.id);
	EXPECT_EQ(MSG_MORE, r.flags & (MSG_MORE | MSG_EOR));
	ASSERT_EQ(0, rx_abort(self->cli, 1, 1234));
	do {
		ASSERT_LE(0, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
		ASSERT_EQ(CHARGE, r.id);
	} while (!rx_terminal(&r));
	EXPECT_TRUE(r.abort);
	EXPECT_EQ(1234, r.abort_code);
	EXPECT_EQ(0, r.len);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
	ASSERT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(1, r.id);
	EXPECT_TRUE(r.abort);
	EXPECT_EQ(1234, r.abort_code);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
	EXPECT_EQ(-EAGAIN, rx_recv(self->cli, buf, sizeof(buf), 0, &r));
	free(a);
}

TEST_F(loop, server_abort)
{
	struct rx_res r;
	char buf[16];

	ASSERT_EQ(3, rx_send(self->cli, 1, &self->to, "req", 3, 0));
	ASSERT_EQ(3, rx_read_phase(self->srv, CHARGE, buf, sizeof(buf), &r));
	/* Any u32 is a code: here RX_USER_ABORT (-6). */
	ASSERT_EQ(0, rx_abort(self->srv, CHARGE, RX_ABORT_U32(RX_USER_ABORT)));
	ASSERT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(1, r.id);
	EXPECT_TRUE(r.abort);
	EXPECT_EQ(RX_ABORT_U32(RX_USER_ABORT), r.abort_code);
	EXPECT_EQ(2, r.ncmsg);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
	ASSERT_EQ(0, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	EXPECT_EQ(CHARGE, r.id);
	EXPECT_TRUE(r.abort);
	EXPECT_EQ(RX_ABORT_U32(RX_USER_ABORT), r.abort_code);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
}

/* Closing the service socket aborts its calls: RX_CALL_DEAD. */
TEST_F(loop, server_closes)
{
	struct rx_res r;
	char buf[16];

	ASSERT_EQ(3, rx_send(self->cli, 1, &self->to, "req", 3, 0));
	ASSERT_EQ(3, rx_read_phase(self->srv, CHARGE, buf, sizeof(buf), &r));
	close(self->srv);
	self->srv = -1;
	ASSERT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(1, r.id);
	EXPECT_TRUE(r.abort);
	EXPECT_EQ(RX_ABORT_U32(RX_CALL_DEAD), r.abort_code);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
}

/*
 * Nothing listens on the port: loopback answers ICMP port unreachable and
 * the call ends with RXRPC_NET_ERROR ECONNREFUSED.
 */
TEST_F(loop, no_listener)
{
	struct sockaddr_rxrpc to;
	struct rx_res r;
	char buf[16];

	rx_addr4(&to, "127.0.0.1", rx_port(2), SVC);
	ASSERT_EQ(1, rx_send(self->cli, 1, &to, "q", 1, 0));
	ASSERT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(1, r.id);
	EXPECT_EQ(ECONNREFUSED, r.net_error);
	EXPECT_EQ(0, r.local_error);
	EXPECT_EQ(0, r.abort);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
}

/*
 * A live endpoint that does not offer the service aborts the call with
 * RX_INVALID_OPERATION (-2), whether or not it has a service socket.
 */
TEST_F(loop, unknown_service)
{
	struct sockaddr_rxrpc to = self->to, cl;
	struct rx_res r;
	char buf[16];
	int fd = rx_socket(PF_INET);

	to.srx_service = SVC + 5;
	ASSERT_EQ(1, rx_send(self->cli, 1, &to, "q", 1, 0));
	ASSERT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(1, r.id);
	EXPECT_TRUE(r.abort);
	EXPECT_EQ(RX_ABORT_U32(RX_INVALID_OPERATION), r.abort_code);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
	/* An endpoint of a client socket only. */
	ASSERT_LE(0, fd);
	rx_addr4(&cl, "127.0.0.1", rx_port(1), 0);
	ASSERT_EQ(0, rx_bind(fd, &cl));
	cl.srx_service = SVC;
	ASSERT_EQ(1, rx_send(self->cli, 2, &cl, "q", 1, 0));
	ASSERT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(2, r.id);
	EXPECT_TRUE(r.abort);
	EXPECT_EQ(RX_ABORT_U32(RX_INVALID_OPERATION), r.abort_code);
	/* The service socket saw nothing. */
	EXPECT_EQ(-EAGAIN, rx_recv(self->srv, buf, sizeof(buf), MSG_DONTWAIT, &r));
	close(fd);
}

/* A service that stopped listening (listen(0)) aborts new calls likewise. */
TEST_F(loop, listen_disabled)
{
	struct rx_res r;
	char buf[16];

	ASSERT_EQ(0, listen(self->srv, 0));
	ASSERT_EQ(1, rx_send(self->cli, 1, &self->to, "q", 1, 0));
	ASSERT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_TRUE(r.abort);
	EXPECT_EQ(RX_ABORT_U32(RX_INVALID_OPERATION), r.abort_code);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
}

/* Starts a call with a hard timeout (RXRPC_SET_CALL_TIMEOUT, seconds). */
static int send_with_hard_timeout(int fd, unsigned long id,
				  const struct sockaddr_rxrpc *to, uint32_t secs)
{
	struct rx_cmsgs cm;

	rx_cm_init(&cm);
	rx_cm_id(&cm, id);
	rx_cm_add(&cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, &secs, sizeof(secs));
	return rx_sendmsg(fd, to, "q", 1, &cm, 0);
}

/*
 * A peer that never answers (a plain UDP socket): the hard timeout ends
 * the call, which the client sees as its own abort RX_CALL_TIMEOUT (-3).
 */
TEST_F(loop, silent_peer_hard_timeout)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_rxrpc to;
	struct rx_res r;
	char buf[256];
	int u = socket(AF_INET, SOCK_DGRAM, 0);

	ASSERT_LE(0, u);
	sin.sin_port = htons(rx_port(2));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(0, bind(u, (struct sockaddr *)&sin, sizeof(sin)));
	rx_addr4(&to, "127.0.0.1", rx_port(2), SVC);
	ASSERT_EQ(1, send_with_hard_timeout(self->cli, 1, &to, 1));
	ASSERT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(1, r.id);
	EXPECT_TRUE(r.abort);
	EXPECT_EQ(RX_ABORT_U32(RX_CALL_TIMEOUT), r.abort_code);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
	/* The silent peer did get the DATA packet. */
	EXPECT_LT(28, recv(u, buf, sizeof(buf), MSG_DONTWAIT));
	close(u);
}

/*
 * Finding: a service with no charged call answers a new call with BUSY,
 * which 6.12's client ignores ("the retry and lifespan timers will take
 * care of business"): RXRPC_BUSY is never delivered. The call goes on until
 * the client's keepalive PING (an ACK, after 20*HZ ms / 6 of nothing sent)
 * reaches the service, which has no call for it and, since only DATA may
 * start a call, aborts it with RX_PROTOCOL_ERROR (-5). The client sees that
 * remote abort long before the hard timeout (15 s) given as a safety net.
 * C only: ours offers such a call with RXRPC_NEW_CALL (rxrpc_accept).
 */
TEST_F(loop, c_busy_is_not_reported)
{
	struct sockaddr_rxrpc srx;
	struct rx_res r;
	char buf[16];
	int s = rx_socket(PF_INET);

	C_ONLY();

	ASSERT_LE(0, s);
	rx_addr4(&srx, "127.0.0.1", rx_port(1), SVC);
	ASSERT_EQ(0, rx_bind(s, &srx));
	ASSERT_EQ(0, listen(s, 4));
	ASSERT_EQ(1, send_with_hard_timeout(self->cli, 1, &srx, 15));
	ASSERT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(1, r.id);
	EXPECT_EQ(0, r.busy);
	EXPECT_TRUE(r.abort);
	EXPECT_EQ(RX_ABORT_U32(RX_PROTOCOL_ERROR), r.abort_code);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
	/* The service socket got nothing. */
	EXPECT_EQ(-EAGAIN, rx_recv(s, buf, sizeof(buf), MSG_DONTWAIT, &r));
	close(s);
}

/*
 * Findings (C only, bugs not to copy), on RXRPC_SET_CALL_TIMEOUT:
 * - a new call takes its "normal" (and "idle") timeout as
 *   min(value, 1) ms, so a call given 10 s ends as soon as the service
 *   is quiet for a moment;
 * - a hard timeout given on a later sendmsg() of a call is added as
 *   nanoseconds, so the call ends at once.
 * Either way the client sees its own abort, RX_CALL_TIMEOUT or, when it
 * has heard from the peer since, RX_CALL_DEAD.
 */
static int timed_out(const struct rx_res *r)
{
	return r->abort && (r->abort_code == RX_ABORT_U32(RX_CALL_TIMEOUT) ||
			    r->abort_code == RX_ABORT_U32(RX_CALL_DEAD)) &&
	       (r->flags & MSG_EOR);
}

TEST_F(loop, c_normal_timeout_clamped)
{
	uint32_t t[3] = { 0, 0, 10000 };
	struct rx_cmsgs cm;
	struct rx_res r;
	char buf[16];

	C_ONLY();
	rx_cm_init(&cm);
	rx_cm_id(&cm, 1);
	rx_cm_add(&cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, t, sizeof(t));
	ASSERT_EQ(1, rx_sendmsg(self->cli, &self->to, "q", 1, &cm, 0));
	/* The service never replies: the call ends within milliseconds. */
	ASSERT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(1, r.id);
	EXPECT_TRUE(timed_out(&r)) TH_LOG("abort %d code %d", r.abort, (int)r.abort_code);
}

TEST_F(loop, c_hard_timeout_on_existing_call)
{
	char *a = pattern(4000, 9), buf[4000];
	uint32_t hard = 60;
	struct rx_cmsgs cm;
	struct rx_res r;

	C_ONLY();
	ASSERT_NE(NULL, a);
	ASSERT_EQ(4000, rx_send(self->cli, 1, &self->to, a, 4000, MSG_MORE));
	ASSERT_LT(0, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	rx_cm_init(&cm);
	rx_cm_id(&cm, 1);
	rx_cm_add(&cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, &hard, sizeof(hard));
	rx_sendmsg(self->cli, NULL, "x", 1, &cm, MSG_MORE);
	ASSERT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(1, r.id);
	EXPECT_TRUE(timed_out(&r)) TH_LOG("abort %d code %d", r.abort, (int)r.abort_code);
	free(a);
}

/*
 * Ours: a hard timeout set on an existing call counts from then (60 s
 * here), so the call goes on and completes normally.
 */
TEST_F(loop, hard_timeout_on_existing_call)
{
	char *a = pattern(4000, 9), buf[4000];
	uint32_t hard = 60;
	struct rx_cmsgs cm;
	struct rx_res r;

	OURS_ONLY("the C module ends the call at once (c_hard_timeout_on_existing_call)");
	ASSERT_NE(NULL, a);
	ASSERT_EQ(4000, rx_send(self->cli, 1, &self->to, a, 4000, MSG_MORE));
	ASSERT_LT(0, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	rx_cm_init(&cm);
	rx_cm_id(&cm, 1);
	rx_cm_add(&cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, &hard, sizeof(hard));
	ASSERT_EQ(1, rx_sendmsg(self->cli, NULL, "x", 1, &cm, 0));
	ASSERT_LE(0, rx_read_phase(self->srv, CHARGE, buf, sizeof(buf), &r));
	ASSERT_EQ(2, rx_send(self->srv, CHARGE, NULL, "ok", 2, 0));
	ASSERT_EQ(2, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(0, memcmp(buf, "ok", 2));
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
	EXPECT_FALSE(r.abort);
	free(a);
}

/* A service socket makes a client call from its own endpoint. */
TEST_F(loop, service_makes_client_call)
{
	struct sockaddr_rxrpc srx2;
	struct rx_res r;
	char buf[16];
	int s2;

	rx_addr4(&srx2, "127.0.0.1", rx_port(1), SVC + 1);
	s2 = rx_server(&srx2, 4, 500, 1);
	ASSERT_LE(0, s2);
	/* Its client call's id may not be one it has charged. */
	ASSERT_EQ(5, rx_send(self->srv, 1, &srx2, "hello", 5, 0));
	ASSERT_EQ(5, rx_recv_wait(s2, buf, sizeof(buf), &r));
	EXPECT_EQ(500, r.id);
	EXPECT_EQ(htons(rx_port(0)), r.srx.transport.sin.sin_port);
	ASSERT_EQ(2, rx_send(s2, 500, NULL, "ok", 2, 0));
	ASSERT_EQ(2, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	EXPECT_EQ(1, r.id);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
	EXPECT_EQ(SVC + 1, r.srx.srx_service);
	/* And it still serves its own clients. */
	EXPECT_EQ(0, one_call(self, 1, 0, "q", 1, "r", 1));
	close(s2);
}

TEST(ipv6_call)
{
	struct sockaddr_rxrpc to;
	struct rx_res r;
	char buf[16];
	int s, c;

	rx_addr6(&to, "::1", rx_port(0), SVC);
	s = rx_server(&to, 4, 100, 1);
	ASSERT_LE(0, s);
	c = rx_socket(PF_INET6);
	ASSERT_LE(0, c);
	ASSERT_EQ(4, rx_send(c, 1, &to, "six?", 4, 0));
	ASSERT_EQ(4, rx_recv_wait(s, buf, sizeof(buf), &r));
	EXPECT_EQ(100, r.id);
	EXPECT_EQ(0, memcmp(buf, "six?", 4));
	EXPECT_EQ(0, r.flags & (MSG_MORE | MSG_EOR));
	EXPECT_EQ(sizeof(struct sockaddr_in6), r.srx.transport_len);
	EXPECT_EQ(AF_INET6, r.srx.transport.sin6.sin6_family);
	EXPECT_EQ(0, memcmp(&r.srx.transport.sin6.sin6_addr, &in6addr_loopback, 16));
	ASSERT_EQ(3, rx_send(s, 100, NULL, "yes", 3, 0));
	ASSERT_EQ(3, rx_recv_wait(c, buf, sizeof(buf), &r));
	EXPECT_EQ(1, r.id);
	EXPECT_EQ(0, memcmp(buf, "yes", 3));
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_MORE | MSG_EOR));
	EXPECT_EQ(0, memcmp(&r.srx, &to, sizeof(to)));
	ASSERT_EQ(0, rx_recv_wait(s, buf, sizeof(buf), &r));
	EXPECT_TRUE(r.ack);
	close(c);
	close(s);
}

/*
 * A service in a child process for the bulk tests. A request is a header
 * {reply length, seed, body length} (u32s) and a body of rx_pat(seed); the
 * reply is reply-length bytes of rx_pat(~seed). The service keeps its
 * backlog charged and exits 0 after ncalls calls ended with RXRPC_ACK.
 */
struct srv_call {
	unsigned long id;
	size_t got;
	uint32_t hdr[3];
};

static int serve(int fd, int ncalls, unsigned long next_id)
{
	struct srv_call calls[128];
	int ncall = 0, done = 0, i;
	size_t bufsz = 256 * 1024;
	uint8_t *buf = malloc(bufsz);
	struct rx_res r;

	if (!buf)
		return 2;
	while (done < ncalls) {
		struct srv_call *c = NULL;
		size_t off = 0;
		int n = rx_recv_wait(fd, buf, bufsz, &r);

		if (n < 0)
			return 3;
		for (i = 0; i < ncall; i++)
			if (calls[i].id == r.id)
				c = &calls[i];
		if (r.ack) {
			if (!c)
				return 4;
			*c = calls[--ncall];
			done++;
			continue;
		}
		if (rx_terminal(&r))
			return 5;
		if (!c) {
			if (ncall == 128)
				return 6;
			c = &calls[ncall++];
			memset(c, 0, sizeof(*c));
			c->id = r.id;
			/* Keep the backlog full: ENOBUFS if it still is. */
			if (rx_charge(fd, next_id) == 0)
				next_id++;

		}
		while (c->got < sizeof(c->hdr) && off < (size_t)n)
			((uint8_t *)c->hdr)[c->got++] = buf[off++];
		if (off < (size_t)n) {
			long bad = rx_check(buf + off, n - off, c->hdr[1],
					    c->got - sizeof(c->hdr));

			if (bad != -1) {
				fprintf(stderr, "# serve: bad byte %ld: n %d off %zu got %zu hdr %x %x %x\n",
					bad, n, off, c->got, c->hdr[0], c->hdr[1], c->hdr[2]);
				return 8;
			}
			c->got += n - off;
		}
		if (r.flags & MSG_MORE)
			continue;
		if (c->got != sizeof(c->hdr) + c->hdr[2])
			return 9;
		{
			size_t len = c->hdr[0], sent = 0;
			uint8_t *reply = malloc(len ? len : 1);

			if (!reply)
				return 10;
			rx_fill(reply, len, ~c->hdr[1]);
			do {
				size_t chunk = len - sent > 262144 ? 262144 : len - sent;
				int more = sent + chunk < len ? MSG_MORE : 0;

				if (rx_send(fd, c->id, NULL, reply + sent, chunk, more) != (int)chunk)
					return 11;
				sent += chunk;
			} while (sent < len);
			free(reply);
		}
	}
	free(buf);
	return 0;
}

/*
 * The bulk tests (1 MiB, 1000 calls in a row, 64 at once) run over IPv4
 * and over IPv6.
 */
FIXTURE(bulk) {
	int srv, cli;
	struct sockaddr_rxrpc to;
	pid_t child;
};

FIXTURE_VARIANT(bulk) {
	int pf;
	const char *addr;
};

FIXTURE_VARIANT_ADD(bulk, ipv4) {
	.pf = PF_INET,
	.addr = "127.0.0.1",
};

FIXTURE_VARIANT_ADD(bulk, ipv6) {
	.pf = PF_INET6,
	.addr = "::1",
};

static void bulk_addr(const FIXTURE_VARIANT(bulk) *v, struct sockaddr_rxrpc *srx, int port)
{
	if (v->pf == PF_INET6)
		rx_addr6(srx, v->addr, port, SVC);
	else
		rx_addr4(srx, v->addr, port, SVC);
}

FIXTURE_SETUP(bulk)
{
	bulk_addr(variant, &self->to, rx_port(0));
	self->srv = rx_server(&self->to, 8, CHARGE, NCHARGE);
	ASSERT_LE(0, self->srv) TH_LOG("server: %s", strerror(-self->srv));
	self->cli = rx_socket(variant->pf);
	ASSERT_LE(0, self->cli);
	self->child = 0;
}

FIXTURE_TEARDOWN(bulk)
{
	if (self->child > 0)
		kill(self->child, SIGKILL);
	close(self->cli);
	close(self->srv);
}

/*
 * Charges fd fully before the child starts, as a call that finds no charge
 * is not served (see c_busy_is_not_reported).
 */
static pid_t start_server(int fd, int ncalls, unsigned long next_id)
{
	pid_t pid;

	while (rx_charge(fd, next_id) == 0)
		next_id++;
	pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(serve(fd, ncalls, next_id));
	}
	return pid;
}

static int server_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

/* Starts call id asking for reply_len bytes, with a body of body_len. */
static int start_call(int fd, const struct sockaddr_rxrpc *to, unsigned long id,
		      uint32_t reply_len, uint32_t body_len)
{
	uint32_t hdr[3] = { reply_len, (uint32_t)id * 2654435761u, body_len };
	uint8_t *req = malloc(sizeof(hdr) + body_len);
	int ret;

	if (!req)
		return -ENOMEM;
	memcpy(req, hdr, sizeof(hdr));
	rx_fill(req + sizeof(hdr), body_len, hdr[1]);
	ret = rx_send(fd, id, to, req, sizeof(hdr) + body_len, 0);
	free(req);
	return ret == (int)(sizeof(hdr) + body_len) ? 0 : ret;
}

/*
 * Reads the replies of ncalls calls with ids first..first+ncalls-1, each of
 * reply_len(id) bytes; checks them byte by byte. Returns 0 or a line.
 */
static int read_replies(int fd, unsigned long first, int ncalls,
			uint32_t (*reply_len)(unsigned long))
{
	size_t *got = calloc(ncalls, sizeof(*got));
	size_t bufsz = 256 * 1024;
	uint8_t *buf = malloc(bufsz);
	int done = 0, ret = 0;
	struct rx_res r;

	if (!got || !buf)
		return __LINE__;
	while (done < ncalls) {
		int n = rx_recv_wait(fd, buf, bufsz, &r), k;
		uint32_t seed;

		if (n < 0 || !r.has_id || r.id < first || r.id >= first + ncalls ||
		    rx_terminal(&r)) {
			fprintf(stderr, "# reply: n %d id %lu flags %x abort %d/%u net %d local %d\n",
				n, r.id, r.flags, r.abort, r.abort_code, r.net_error,
				r.local_error);
			ret = __LINE__;
			break;
		}
		k = r.id - first;
		seed = ~((uint32_t)r.id * 2654435761u);
		if (rx_check(buf, n, seed, got[k]) != -1) {
			ret = __LINE__;
			break;
		}
		got[k] += n;
		if (r.flags & MSG_EOR) {
			if (got[k] != reply_len(r.id) || (r.flags & MSG_MORE)) {
				ret = __LINE__;
				break;
			}
			done++;
		} else if (!(r.flags & MSG_MORE)) {
			ret = __LINE__;
			break;
		}
	}
	free(got);
	free(buf);
	return ret;
}

static uint32_t len_1m(unsigned long id)
{
	return 1 << 20;
}

static uint32_t len_small(unsigned long id)
{
	return 16;
}

static uint32_t len_varied(unsigned long id)
{
	return (id * 977) % 6000;
}

/* 1 MiB each way, byte-exact. */
TEST_F_TIMEOUT(bulk, one_mib, 120)
{
	self->child = start_server(self->srv, 1, CHARGE + NCHARGE);
	ASSERT_LT(0, self->child);
	ASSERT_EQ(0, start_call(self->cli, &self->to, 1, 1 << 20, (1 << 20) - 12));
	EXPECT_EQ(0, read_replies(self->cli, 1, 1, len_1m));
	EXPECT_EQ(0, server_status(self->child));
	self->child = 0;
}

TEST_F_TIMEOUT(bulk, sequential_1000, 120)
{
	int i;

	self->child = start_server(self->srv, 1000, CHARGE + NCHARGE);
	ASSERT_LT(0, self->child);
	for (i = 1; i <= 1000; i++) {
		ASSERT_EQ(0, start_call(self->cli, &self->to, i, 16, i % 100));
		ASSERT_EQ(0, read_replies(self->cli, i, 1, len_small)) TH_LOG("call %d", i);
	}
	EXPECT_EQ(0, server_status(self->child));
	self->child = 0;
}

/*
 * 64 calls at once on one socket, of varied sizes. A client bundle has at
 * most 4 connections of 4 channels, so 16 reach the service at once; the
 * service's backlog is raised so that it can charge for all of them (a
 * call that finds no charge is answered BUSY and waits for a resend).
 */
TEST_F_TIMEOUT(bulk, concurrent_64, 120)
{
	struct sockaddr_rxrpc srx;
	int old = rx_sysctl_read("max_backlog", 10), s, i;

	ASSERT_EQ(0, rx_sysctl_write("max_backlog", 24));
	bulk_addr(variant, &srx, rx_port(1));
	s = rx_server(&srx, 24, 1, 0);
	rx_sysctl_write("max_backlog", old);
	ASSERT_LE(0, s);
	self->child = start_server(s, 64, 1);
	ASSERT_LT(0, self->child);
	close(s);
	for (i = 1; i <= 64; i++)
		ASSERT_EQ(0, start_call(self->cli, &srx, i, len_varied(i), (i * 331) % 5000));
	EXPECT_EQ(0, read_replies(self->cli, 1, 64, len_varied));
	EXPECT_EQ(0, server_status(self->child));
	self->child = 0;
}

/*
 * A service of the CHARGE_ACCEPT model under a flood of new calls from
 * many client sockets: it is told only of calls that took a charge (never
 * of one without a user call ID), each charge it gives back after taking
 * a call succeeds (the backlog never fills with calls it cannot take), and
 * once the flood has passed it serves new calls. A call beyond the charges
 * gets BUSY (ours: RXRPC_BUSY; C ignores BUSY and the call ends later by an
 * abort, see c_busy_is_not_reported) or is served on a resend.
 */
#define FLOOD_SOCKS 16
#define FLOOD_CALLS 4	/* per client socket */

/*
 * Serves 1-byte requests with "ok", charging again after each call it
 * takes; exits 0 on the request "!", 20 on a message without a user call
 * ID, 21 on a failed recharge, 22 on another error.
 */
static int serve_flood(int fd, unsigned long next_id)
{
	struct rx_res r;
	char buf[16];

	for (;;) {
		int n = rx_recv_wait(fd, buf, sizeof(buf), &r);

		if (n < 0)
			return 22;
		if (!r.has_id)
			return 20;
		if (rx_terminal(&r))
			continue;
		if (n != 1 || (r.flags & MSG_MORE))
			return 22;
		if (rx_charge(fd, next_id++) != 0)
			return 21;
		if (rx_send(fd, r.id, NULL, "ok", 2, 0) != 2)
			return 22;
		if (buf[0] == '!')
			return 0;
	}
}

TEST(charge_flood)
{
	struct sockaddr_rxrpc to;
	int cli[FLOOD_SOCKS], i, k, served = 0, busy = 0, aborted = 0, srv, c;
	struct rx_res r;
	char buf[16];
	pid_t pid;

	rx_addr4(&to, "127.0.0.1", rx_port(5), SVC);
	srv = rx_server(&to, 4, CHARGE, 4);
	ASSERT_LE(0, srv) TH_LOG("server: %s", strerror(-srv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(serve_flood(srv, CHARGE + 4));
	}
	for (i = 0; i < FLOOD_SOCKS; i++) {
		cli[i] = rx_socket(PF_INET);
		ASSERT_LE(0, cli[i]);
	}
	for (k = 0; k < FLOOD_CALLS; k++)
		for (i = 0; i < FLOOD_SOCKS; i++)
			ASSERT_EQ(1, send_with_hard_timeout(cli[i], k + 1, &to, 15));
	/* Every call ends: served, or BUSY, or aborted. */
	for (i = 0; i < FLOOD_SOCKS; i++) {
		for (k = 0; k < FLOOD_CALLS; k++) {
			ASSERT_LE(0, rx_recv_wait(cli[i], buf, sizeof(buf), &r));
			if (r.busy)
				busy++;
			else if (r.abort)
				aborted++;
			else if (r.len == 2 && (r.flags & MSG_EOR))
				served++;
			else
				ASSERT_TRUE(0) TH_LOG("flags %x len %d", r.flags, r.len);
			if (r.abort)
				TH_LOG("call %lu aborted %d", r.id, (int)r.abort_code);
		}
		close(cli[i]);
	}
	TH_LOG("%d calls: %d served, %d busy, %d aborted",
	       FLOOD_SOCKS * FLOOD_CALLS, served, busy, aborted);
	{
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid)
			TH_LOG("the service ended early, status %x", st);
	}
	EXPECT_LE(4, served);
	/* Afterwards the service still serves, call after call. */
	c = rx_socket(PF_INET);
	ASSERT_LE(0, c);
	for (k = 0; k < 8; k++) {
		ASSERT_EQ(1, rx_send(c, 100 + k, &to, k == 7 ? "!" : "x", 1, 0));
		ASSERT_EQ(2, rx_recv_wait(c, buf, sizeof(buf), &r));
		EXPECT_EQ(100 + k, r.id);
		EXPECT_EQ(MSG_EOR, r.flags & (MSG_EOR | MSG_MORE));
	}
	EXPECT_EQ(0, server_status(pid));
	close(c);
	close(srv);
}

TEST_HARNESS_MAIN
