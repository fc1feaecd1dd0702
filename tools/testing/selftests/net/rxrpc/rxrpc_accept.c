// SPDX-License-Identifier: GPL-2.0
/*
 * The accept model of the AF_RXRPC document (seeds/001): a listening
 * service socket is told of each incoming call by a dataless recvmsg()
 * message with RXRPC_NEW_CALL and no user call ID, and takes the first
 * waiting call with a dataless sendmsg() of RXRPC_ACCEPT and
 * RXRPC_USER_CALL_ID (ENODATA if none waits, EBADSLT if the id is in use).
 *
 * Ours only: the C module removed RXRPC_ACCEPT (about 5.10) in favour of
 * RXRPC_CHARGE_ACCEPT; 6.12 answers it EINVAL (see rxrpc_cmsg's
 * accept_removed) and never sends RXRPC_NEW_CALL, so a call that finds no
 * charge is answered BUSY there. Our module supports both: a service that
 * has not charged offers calls with RXRPC_NEW_CALL (up to its backlog);
 * once it charges, it is served as in 6.12.
 */
#include "rxrpc_test.h"
#include "kselftest_harness.h"

#ifndef RXRPC_ACCEPT
#define RXRPC_ACCEPT 9
#endif

#define SVC 1750

FIXTURE(acc) {
	int srv, cli;
	struct sockaddr_rxrpc to;
};

FIXTURE_SETUP(acc)
{
	rx_addr4(&self->to, "127.0.0.1", rx_port(0), SVC);
	self->srv = rx_server(&self->to, 4, 0, 0);
	ASSERT_LE(0, self->srv) TH_LOG("server: %s", strerror(-self->srv));
	self->cli = rx_socket(PF_INET);
	ASSERT_LE(0, self->cli);
}

FIXTURE_TEARDOWN(acc)
{
	close(self->cli);
	close(self->srv);
}

static int accept_call(int fd, unsigned long id)
{
	return rx_command(fd, id, RXRPC_ACCEPT, 0, 0);
}

/* Reads the next message, which must be a bare RXRPC_NEW_CALL. */
static int new_call(int fd)
{
	struct rx_res r;
	char buf[16];

	if (rx_recv_wait(fd, buf, sizeof(buf), &r) != 0)
		return 0;
	return r.new_call && !r.has_id && r.ncmsg == 1 && !rx_terminal(&r) &&
	       !(r.flags & (MSG_EOR | MSG_MORE));
}

TEST_F(acc, new_call_then_accept)
{
	struct rx_res r;
	char buf[16];

	ASSERT_EQ(5, rx_send(self->cli, 1, &self->to, "hello", 5, 0));
	EXPECT_TRUE(new_call(self->srv));
	EXPECT_EQ(0, accept_call(self->srv, 77));
	EXPECT_EQ(5, rx_read_phase(self->srv, 77, buf, sizeof(buf), &r));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(SVC, r.srx.srx_service);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), r.srx.transport.sin.sin_addr.s_addr);
	ASSERT_EQ(2, rx_send(self->srv, 77, NULL, "ok", 2, 0));
	EXPECT_EQ(2, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(1, r.id);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_EOR | MSG_MORE));
	EXPECT_EQ(0, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	EXPECT_EQ(77, r.id);
	EXPECT_TRUE(r.ack);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_EOR | MSG_MORE));
}

TEST_F(acc, accept_none_waiting)
{
	EXPECT_EQ(-ENODATA, accept_call(self->srv, 1));
}

TEST_F(acc, accept_id_in_use)
{
	ASSERT_EQ(1, rx_send(self->cli, 1, &self->to, "a", 1, 0));
	ASSERT_EQ(1, rx_send(self->cli, 2, &self->to, "b", 1, 0));
	EXPECT_TRUE(new_call(self->srv));
	EXPECT_TRUE(new_call(self->srv));
	EXPECT_EQ(0, accept_call(self->srv, 10));
	EXPECT_EQ(-EBADSLT, accept_call(self->srv, 10));
	/* The call is still there for another id. */
	EXPECT_EQ(0, accept_call(self->srv, 11));
	EXPECT_EQ(-ENODATA, accept_call(self->srv, 12));
}

/* The first call still waiting is the one accepted. */
TEST_F(acc, accept_in_order)
{
	struct rx_res r;
	char buf[16];

	ASSERT_EQ(5, rx_send(self->cli, 1, &self->to, "first", 5, 0));
	EXPECT_TRUE(new_call(self->srv));
	ASSERT_EQ(6, rx_send(self->cli, 2, &self->to, "second", 6, 0));
	EXPECT_TRUE(new_call(self->srv));
	EXPECT_EQ(0, accept_call(self->srv, 100));
	EXPECT_EQ(0, accept_call(self->srv, 101));
	EXPECT_EQ(5, rx_read_phase(self->srv, 100, buf, sizeof(buf), &r));
	EXPECT_EQ(0, memcmp(buf, "first", 5));
	EXPECT_EQ(6, rx_read_phase(self->srv, 101, buf, sizeof(buf), &r));
	EXPECT_EQ(0, memcmp(buf, "second", 6));
}

/* RXRPC_ACCEPT takes no data and needs a user call ID. */
TEST_F(acc, accept_bad)
{
	struct rx_cmsgs cm;

	ASSERT_EQ(1, rx_send(self->cli, 1, &self->to, "a", 1, 0));
	EXPECT_TRUE(new_call(self->srv));
	rx_cm_init(&cm);
	rx_cm_flag(&cm, RXRPC_ACCEPT);
	EXPECT_EQ(-EINVAL, rx_sendmsg(self->srv, NULL, NULL, 0, &cm, 0));
	rx_cm_init(&cm);
	rx_cm_id(&cm, 5);
	rx_cm_u32(&cm, RXRPC_ACCEPT, 1);
	EXPECT_EQ(-EINVAL, rx_sendmsg(self->srv, NULL, NULL, 0, &cm, 0));
	EXPECT_EQ(0, accept_call(self->srv, 5));
}

/*
 * Once a service has charged, it is served as 6.12 serves it: a call that
 * finds no charge gets BUSY and is not offered with RXRPC_NEW_CALL, so a
 * program of the charge model, which never accepts, is not starved by
 * calls waiting in its backlog.
 */
TEST_F(acc, charged_service_busies_uncharged)
{
	struct rx_res r;
	char buf[16];

	ASSERT_EQ(0, rx_charge(self->srv, 50));
	ASSERT_EQ(1, rx_send(self->cli, 1, &self->to, "a", 1, 0));
	EXPECT_EQ(1, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	EXPECT_EQ(50, r.id);
	EXPECT_EQ(0, r.new_call);
	ASSERT_EQ(1, rx_send(self->cli, 2, &self->to, "b", 1, 0));
	EXPECT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(2, r.id);
	EXPECT_TRUE(r.busy);
	EXPECT_EQ(-EAGAIN, rx_recv(self->srv, buf, sizeof(buf), MSG_DONTWAIT, &r));
	EXPECT_EQ(-ENODATA, accept_call(self->srv, 51));
	/* The backlog holds nothing but charges: all 4 fit. */
	EXPECT_EQ(0, rx_charge(self->srv, 60));
	EXPECT_EQ(0, rx_charge(self->srv, 61));
	EXPECT_EQ(0, rx_charge(self->srv, 62));
	EXPECT_EQ(0, rx_charge(self->srv, 63));
	EXPECT_EQ(-ENOBUFS, rx_charge(self->srv, 64));
}

/* The backlog (4) bounds the calls waiting for acceptance: the 5th is BUSY. */
TEST_F(acc, backlog_bounds_waiting)
{
	struct rx_res r;
	char buf[4];
	int i;

	for (i = 0; i < 5; i++)
		ASSERT_EQ(1, rx_send(self->cli, i + 1, &self->to, "x", 1, 0));
	for (i = 0; i < 4; i++)
		EXPECT_TRUE(new_call(self->srv));
	EXPECT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(5, r.id);
	EXPECT_TRUE(r.busy);
	EXPECT_EQ(-ENOBUFS, rx_charge(self->srv, 60));
	EXPECT_EQ(0, accept_call(self->srv, 61));
}

/*
 * Calls that came before the service's first charge are not left behind:
 * the first charges take them, oldest first.
 */
TEST_F(acc, first_charges_take_waiting_calls)
{
	struct rx_res r;
	char buf[16];

	ASSERT_EQ(5, rx_send(self->cli, 1, &self->to, "first", 5, 0));
	ASSERT_EQ(6, rx_send(self->cli, 2, &self->to, "second", 6, 0));
	EXPECT_TRUE(new_call(self->srv));
	EXPECT_TRUE(new_call(self->srv));
	ASSERT_EQ(0, rx_charge(self->srv, 60));
	ASSERT_EQ(0, rx_charge(self->srv, 61));
	EXPECT_EQ(5, rx_read_phase(self->srv, 60, buf, sizeof(buf), &r));
	EXPECT_EQ(0, memcmp(buf, "first", 5));
	EXPECT_EQ(6, rx_read_phase(self->srv, 61, buf, sizeof(buf), &r));
	EXPECT_EQ(0, memcmp(buf, "second", 6));
	EXPECT_EQ(-ENODATA, accept_call(self->srv, 62));
}

/* A socket that does not listen has nothing to accept. */
TEST(accept_not_listening)
{
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, accept_call(fd, 1));
	close(fd);
}

TEST_HARNESS_MAIN
