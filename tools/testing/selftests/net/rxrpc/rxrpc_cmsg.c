// SPDX-License-Identifier: GPL-2.0
/*
 * AF_RXRPC sendmsg() control messages and flags: what the C module
 * (Linux 6.12) refuses, with which errno, and what it lets through; the
 * errnos of sendmsg() on calls in the wrong state; recvmsg() flags.
 */
#include "rxrpc_test.h"
#include "kselftest_harness.h"

#define SVC 1720
#define CHARGE 1000	/* the server's first charged user call ID */

FIXTURE(cm) {
	int srv, cli;
	struct sockaddr_rxrpc to;
	struct rx_cmsgs cm;
};

FIXTURE_SETUP(cm)
{
	rx_addr4(&self->to, "127.0.0.1", rx_port(0), SVC);
	self->srv = rx_server(&self->to, 6, CHARGE, 4);
	ASSERT_LE(0, self->srv) TH_LOG("server: %s", strerror(-self->srv));
	self->cli = rx_socket(PF_INET);
	ASSERT_LE(0, self->cli);
	rx_cm_init(&self->cm);
}

FIXTURE_TEARDOWN(cm)
{
	close(self->cli);
	close(self->srv);
}

/* Sends with the fixture's control buffer, to the fixture's server. */
static int cm_send(FIXTURE_DATA(cm) *self, const void *data, size_t len, int flags)
{
	return rx_sendmsg(self->cli, &self->to, data, len, &self->cm, flags);
}

/*
 * The server reads the next request message, which must be of call
 * CHARGE + k and hold the given data.
 */
static int srv_got(FIXTURE_DATA(cm) *self, int k, const char *data)
{
	struct rx_res r;
	char buf[256];
	int n = rx_recv_wait(self->srv, buf, sizeof(buf), &r);

	if (n != (int)strlen(data) || !r.has_id || r.id != CHARGE + k ||
	    memcmp(buf, data, n))
		return 0;
	return 1;
}

TEST_F(cm, no_control)
{
	EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0));
}

/* Control messages of other levels are skipped, and don't make an id. */
TEST_F(cm, no_user_id)
{
	uint32_t v = 1;

	rx_cm_add(&self->cm, SOL_IP, 1, &v, sizeof(v));
	EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0));
}

TEST_F(cm, other_level_ignored)
{
	uint32_t v = RXRPC_ABORT;

	rx_cm_add(&self->cm, SOL_IP, RXRPC_ABORT, &v, sizeof(v));
	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_SOCKET + 1000, 99, &v, sizeof(v));
	EXPECT_EQ(3, cm_send(self, "abc", 3, 0));
	EXPECT_TRUE(srv_got(self, 0, "abc"));
}

/* The id is an unsigned long: 8 bytes here (4 only for compat tasks). */
TEST_F(cm, user_id_size)
{
	uint32_t id32 = 1;
	uint8_t id16[16] = { 1 };

	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_USER_CALL_ID, &id32, sizeof(id32));
	EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0));
	rx_cm_init(&self->cm);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_USER_CALL_ID, id16, sizeof(id16));
	EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0));
	rx_cm_init(&self->cm);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_USER_CALL_ID, NULL, 0);
	EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0));
}

/* A later id replaces an earlier one. */
TEST_F(cm, user_id_last_wins)
{
	struct rx_res r;
	char buf[8];

	rx_cm_id(&self->cm, 5);
	rx_cm_id(&self->cm, 6);
	EXPECT_EQ(1, cm_send(self, "y", 1, 0));
	EXPECT_TRUE(srv_got(self, 0, "y"));
	ASSERT_EQ(1, rx_send(self->srv, CHARGE, NULL, "z", 1, 0));
	EXPECT_EQ(1, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(6, r.id);
}

/* A cmsg_len shorter than the header fails CMSG_OK. */
TEST_F(cm, cmsg_len_short)
{
	struct cmsghdr *c = (struct cmsghdr *)self->cm.buf;

	rx_cm_id(&self->cm, 1);
	c->cmsg_len = sizeof(*c) - 1;
	EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0));
}

TEST_F(cm, unknown_types)
{
	static const int types[] = {
		0, RXRPC_ACK, 4, RXRPC_NET_ERROR, RXRPC_BUSY, RXRPC_LOCAL_ERROR,
		RXRPC_NEW_CALL, 15, 16, 100,
	};
	unsigned int i;

	/* RXRPC_ACCEPT (9) is left to c_accept_removed and rxrpc_accept. */
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		rx_cm_init(&self->cm);
		rx_cm_id(&self->cm, 1);
		rx_cm_flag(&self->cm, types[i]);
		EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0)) TH_LOG("type %d", types[i]);
		rx_cm_init(&self->cm);
		rx_cm_id(&self->cm, 1);
		rx_cm_u32(&self->cm, types[i], 1);
		EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0)) TH_LOG("type %d", types[i]);
	}
}

/*
 * RXRPC_ACCEPT (9), the accept model of the AF_RXRPC document, is gone
 * from 6.12: EINVAL as for any unknown type, on a listening socket too.
 * Ours keeps it (rxrpc_accept), hence C only.
 */
TEST_F(cm, c_accept_removed)
{
	C_ONLY();
	rx_cm_id(&self->cm, 77);
	rx_cm_flag(&self->cm, 9);
	EXPECT_EQ(-EINVAL, rx_sendmsg(self->srv, NULL, NULL, 0, &self->cm, 0));
}

TEST_F(cm, abort_bad)
{
	uint64_t code64 = 1;

	rx_cm_id(&self->cm, 1);
	rx_cm_u32(&self->cm, RXRPC_ABORT, 0);
	EXPECT_EQ(-EINVAL, cm_send(self, NULL, 0, 0));
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_ABORT, &code64, sizeof(code64));
	EXPECT_EQ(-EINVAL, cm_send(self, NULL, 0, 0));
	/* Two commands in one message. */
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_u32(&self->cm, RXRPC_ABORT, 1);
	rx_cm_u32(&self->cm, RXRPC_ABORT, 2);
	EXPECT_EQ(-EINVAL, cm_send(self, NULL, 0, 0));
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_u32(&self->cm, RXRPC_ABORT, 1);
	rx_cm_flag(&self->cm, RXRPC_CHARGE_ACCEPT);
	EXPECT_EQ(-EINVAL, rx_sendmsg(self->srv, NULL, NULL, 0, &self->cm, 0));
}

TEST_F(cm, abort_unknown_call)
{
	EXPECT_EQ(-EBADSLT, rx_abort(self->cli, 12345, 1));
	EXPECT_EQ(-EBADSLT, rx_abort(self->srv, 12345, 1));
	/* A charged call that has no caller yet can't be aborted. */
	EXPECT_EQ(-EBUSY, rx_abort(self->srv, CHARGE + 3, 1));
}

TEST_F(cm, charge_bad)
{
	uint32_t v = 0;

	/* With data in the cmsg. */
	rx_cm_id(&self->cm, 50);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_CHARGE_ACCEPT, &v, sizeof(v));
	EXPECT_EQ(-EINVAL, rx_sendmsg(self->srv, NULL, NULL, 0, &self->cm, 0));
	/* On a client socket. */
	EXPECT_EQ(-EINVAL, rx_charge(self->cli, 50));
	/* An id in use: EBADSLT (4 of the backlog of 6 are charged). */
	EXPECT_EQ(-EBADSLT, rx_charge(self->srv, CHARGE));
	EXPECT_EQ(0, rx_charge(self->srv, 50));
	EXPECT_EQ(0, rx_charge(self->srv, 51));
	/* The backlog is full: ENOBUFS, checked before the id. */
	EXPECT_EQ(-ENOBUFS, rx_charge(self->srv, 52));
	EXPECT_EQ(-ENOBUFS, rx_charge(self->srv, CHARGE));
}

/* Charging with data: the data are ignored and sendmsg returns 0. */
TEST_F(cm, charge_with_payload)
{
	rx_cm_id(&self->cm, 50);
	rx_cm_flag(&self->cm, RXRPC_CHARGE_ACCEPT);
	EXPECT_EQ(0, rx_sendmsg(self->srv, NULL, "data", 4, &self->cm, 0));
	EXPECT_EQ(-EBADSLT, rx_charge(self->srv, 50));
}

TEST_F(cm, exclusive_and_upgrade_flags)
{
	uint32_t v = 1;

	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_EXCLUSIVE_CALL, &v, sizeof(v));
	EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0));
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_UPGRADE_SERVICE, &v, sizeof(v));
	EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0));
	/* Without data they are fine, also both. */
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_flag(&self->cm, RXRPC_EXCLUSIVE_CALL);
	rx_cm_flag(&self->cm, RXRPC_UPGRADE_SERVICE);
	EXPECT_EQ(2, cm_send(self, "ex", 2, 0));
	EXPECT_TRUE(srv_got(self, 0, "ex"));
}

TEST_F(cm, tx_length_bad)
{
	int64_t len = 5, neg = -1;
	uint32_t len32 = 5;

	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_TX_LENGTH, &len, sizeof(len));
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_TX_LENGTH, &len, sizeof(len));
	EXPECT_EQ(-EINVAL, cm_send(self, "hello", 5, 0));
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_TX_LENGTH, &neg, sizeof(neg));
	EXPECT_EQ(-EINVAL, cm_send(self, "hello", 5, 0));
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_TX_LENGTH, &len32, sizeof(len32));
	EXPECT_EQ(-EINVAL, cm_send(self, "hello", 5, 0));
	/* Only with data: not with an abort. */
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_TX_LENGTH, &len, sizeof(len));
	rx_cm_u32(&self->cm, RXRPC_ABORT, 1);
	EXPECT_EQ(-EINVAL, cm_send(self, NULL, 0, 0));
}

TEST_F(cm, tx_length_exact)
{
	int64_t len = 10;
	struct rx_res r;
	char buf[32];

	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_TX_LENGTH, &len, sizeof(len));
	EXPECT_EQ(4, cm_send(self, "0123", 4, MSG_MORE));
	/* Only on the first sendmsg of a call. */
	EXPECT_EQ(-EINVAL, cm_send(self, "45", 2, MSG_MORE));
	EXPECT_EQ(6, rx_send(self->cli, 1, NULL, "456789", 6, 0));
	EXPECT_EQ(10, rx_read_phase(self->srv, CHARGE, buf, sizeof(buf), &r));
	EXPECT_EQ(0, memcmp(buf, "0123456789", 10));
}

/* Sending more or less than announced fails, and sends nothing. */
TEST_F(cm, tx_length_wrong)
{
	int64_t len = 10;

	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_TX_LENGTH, &len, sizeof(len));
	EXPECT_EQ(-EMSGSIZE, cm_send(self, "0123456789a", 11, MSG_MORE));
	/* The call exists now and has its length: no second TX_LENGTH. */
	EXPECT_EQ(-EINVAL, cm_send(self, "01234", 5, 0));
	/* Less than announced, without MSG_MORE; then more than that. */
	EXPECT_EQ(-EMSGSIZE, rx_send(self->cli, 1, NULL, "01234", 5, 0));
	EXPECT_EQ(-EMSGSIZE, rx_send(self->cli, 1, NULL, "0123456789a", 11, 0));
	EXPECT_EQ(10, rx_send(self->cli, 1, NULL, "0123456789", 10, 0));
	EXPECT_TRUE(srv_got(self, 0, "0123456789"));
}

TEST_F(cm, call_timeout_lengths)
{
	uint32_t t[4] = { 60, 10000, 10000, 0 };
	uint16_t t16 = 60;

	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, NULL, 0);
	EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0));
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, &t16, sizeof(t16));
	EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0));
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, t, 6);
	EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0));
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, t, 16);
	EXPECT_EQ(-EINVAL, cm_send(self, "x", 1, 0));
	/* One (hard, s) or two (and idle, ms) are fine. */
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, t, 4);
	EXPECT_EQ(1, cm_send(self, "a", 1, 0));
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 2);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, t, 8);
	EXPECT_EQ(1, cm_send(self, "b", 1, 0));
	EXPECT_TRUE(srv_got(self, 0, "a"));
	EXPECT_TRUE(srv_got(self, 1, "b"));
}

TEST_F(cm, call_timeout_range)
{
	uint32_t t[3] = { 0xffffffff, 0, 0 };

	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, t, 4);
	EXPECT_EQ(-ERANGE, cm_send(self, "x", 1, 0));
	/* Idle and normal: at most an hour, in ms. */
	t[0] = 0;
	t[1] = 3600 * 1000 + 1;
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, t, 8);
	EXPECT_EQ(-ERANGE, cm_send(self, "x", 1, 0));
	t[1] = 0;
	t[2] = 3600 * 1000 + 1;
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, t, 12);
	EXPECT_EQ(-ERANGE, cm_send(self, "x", 1, 0));
	/* A value past the count given is not looked at. */
	rx_cm_init(&self->cm);
	rx_cm_id(&self->cm, 1);
	rx_cm_add(&self->cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, t, 8);
	EXPECT_EQ(1, cm_send(self, "x", 1, 0));
	EXPECT_TRUE(srv_got(self, 0, "x"));
}

TEST_F(cm, msg_oob)
{
	rx_cm_id(&self->cm, 1);
	EXPECT_EQ(-EOPNOTSUPP, cm_send(self, "x", 1, MSG_OOB));
	/* Before anything else is looked at. */
	EXPECT_EQ(-EOPNOTSUPP, rx_sendmsg(self->cli, NULL, "x", 1, NULL, MSG_OOB));
}

TEST_F(cm, no_destination)
{
	EXPECT_EQ(-EDESTADDRREQ, rx_send(self->cli, 1, NULL, "x", 1, 0));
	/* A service socket has no connect() destination either. */
	EXPECT_EQ(-EDESTADDRREQ, rx_send(self->srv, 1, NULL, "x", 1, 0));
}

TEST_F(cm, bad_destination)
{
	struct sockaddr_rxrpc to = self->to;
	struct iovec iov = { "x", 1 };
	struct msghdr msg = {
		.msg_name = &to, .msg_namelen = sizeof(to) - 1,
		.msg_iov = &iov, .msg_iovlen = 1,
	};

	rx_cm_id(&self->cm, 1);
	msg.msg_control = self->cm.buf;
	msg.msg_controllen = self->cm.len;
	EXPECT_EQ(-EINVAL, rx_errno(sendmsg(self->cli, &msg, 0)));
	to.srx_family = AF_INET;
	EXPECT_EQ(-EAFNOSUPPORT, rx_sendmsg(self->cli, &to, "x", 1, &self->cm, 0));
	rx_addr6(&to, "::1", rx_port(0), SVC);
	EXPECT_EQ(-EAFNOSUPPORT, rx_sendmsg(self->cli, &to, "x", 1, &self->cm, 0));
}

/*
 * An id in use names the existing call, whatever msg_name says: data
 * after the end of the request are EPROTO (not EBADSLT, which is for
 * aborts of unknown ids).
 */
TEST_F(cm, id_in_use_after_request)
{
	struct sockaddr_rxrpc other;

	ASSERT_EQ(3, rx_send(self->cli, 1, &self->to, "req", 3, 0));
	ASSERT_TRUE(srv_got(self, 0, "req"));
	rx_addr4(&other, "127.0.0.1", rx_port(1), SVC);
	EXPECT_EQ(-EPROTO, rx_send(self->cli, 1, &other, "again", 5, 0));
	EXPECT_EQ(-EPROTO, rx_send(self->cli, 1, NULL, "again", 5, 0));
}

/*
 * Data sent with MSG_MORE stay in the kernel until a packet is full (1412
 * bytes without security) or the call's last data come, so this sends more
 * than two packets' worth: the server sees the first ones with MSG_MORE.
 */
static void *big_chunk(void)
{
	static char buf[4000];

	rx_fill(buf, sizeof(buf), 1);
	return buf;
}

/* A server may not reply before it has read the whole request. */
TEST_F(cm, reply_before_request_end)
{
	struct rx_res r;
	char buf[4000];

	ASSERT_EQ(4000, rx_send(self->cli, 1, &self->to, big_chunk(), 4000, MSG_MORE));
	ASSERT_LT(0, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	EXPECT_EQ(CHARGE, r.id);
	EXPECT_EQ(MSG_MORE, r.flags & (MSG_MORE | MSG_EOR));
	EXPECT_EQ(-1, rx_check(buf, r.len, 1, 0));
	EXPECT_EQ(-EBUSY, rx_send(self->srv, CHARGE, NULL, "re", 2, 0));
	/* A charged call that no caller has taken yet: EBUSY too. */
	EXPECT_EQ(-EBUSY, rx_send(self->srv, CHARGE + 1, NULL, "re", 2, 0));
}

/*
 * A call that has ended but whose end is not yet read: ESHUTDOWN. Once the
 * terminal message is read, the id is free and makes a new call.
 */
TEST_F(cm, send_on_ended_call)
{
	struct rx_res r;
	char buf[4000];

	ASSERT_EQ(4000, rx_send(self->cli, 1, &self->to, big_chunk(), 4000, MSG_MORE));
	ASSERT_LT(0, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	ASSERT_EQ(CHARGE, r.id);
	ASSERT_EQ(0, rx_abort(self->srv, CHARGE, 42));
	ASSERT_TRUE(rx_wait(self->cli, RX_POLL_MS));
	EXPECT_EQ(-ESHUTDOWN, rx_send(self->cli, 1, NULL, "more", 4, 0));
	EXPECT_EQ(-ESHUTDOWN, rx_abort(self->cli, 1, 43));
	ASSERT_EQ(0, rx_recv(self->cli, buf, sizeof(buf), 0, &r));
	EXPECT_TRUE(r.abort);
	EXPECT_EQ(42, r.abort_code);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_EOR | MSG_MORE));
	/* The id names no call now: without a destination, EDESTADDRREQ. */
	EXPECT_EQ(-EDESTADDRREQ, rx_send(self->cli, 1, NULL, "more", 4, 0));
	EXPECT_EQ(-EBADSLT, rx_abort(self->cli, 1, 43));
	/* The server gets its own abort as the terminal message, data dropped. */
	ASSERT_EQ(0, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	EXPECT_EQ(CHARGE, r.id);
	EXPECT_TRUE(r.abort);
	EXPECT_EQ(42, r.abort_code);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_EOR | MSG_MORE));
	EXPECT_EQ(4, rx_send(self->cli, 1, &self->to, "next", 4, 0));
	EXPECT_TRUE(srv_got(self, 1, "next"));
}

/* After shutdown() the socket takes no sendmsg; recvmsg has no calls. */
TEST_F(cm, after_shutdown)
{
	struct rx_res r;
	char buf[4];

	ASSERT_EQ(0, shutdown(self->cli, SHUT_RDWR));
	EXPECT_EQ(-EINVAL, rx_send(self->cli, 1, &self->to, "x", 1, 0));
	EXPECT_EQ(-EAGAIN, rx_recv(self->cli, buf, sizeof(buf), 0, &r));
	ASSERT_EQ(0, shutdown(self->srv, SHUT_RDWR));
	EXPECT_EQ(-EINVAL, rx_charge(self->srv, 50));
}

TEST_F(cm, recv_bad_flags)
{
	struct rx_res r;
	char buf[4];

	EXPECT_EQ(-EOPNOTSUPP, rx_recv(self->srv, buf, sizeof(buf), MSG_OOB, &r));
	EXPECT_EQ(-EOPNOTSUPP, rx_recv(self->srv, buf, sizeof(buf), MSG_TRUNC, &r));
	EXPECT_EQ(-EOPNOTSUPP, rx_recv(self->cli, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT, &r));
}

TEST_HARNESS_MAIN
