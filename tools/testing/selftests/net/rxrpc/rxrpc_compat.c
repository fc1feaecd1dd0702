// SPDX-License-Identifier: GPL-2.0
/*
 * AF_RXRPC from a 32-bit program on a 64-bit kernel (built -m32; needs
 * CONFIG_IA32_EMULATION): RXRPC_USER_CALL_ID is an unsigned long, so 4
 * bytes in both directions (the kernel sees MSG_CMSG_COMPAT), and the
 * 8-byte form is refused with EINVAL, as by the C module.
 */
#include "rxrpc_test.h"
#include "kselftest_harness.h"

#define SVC 1750
#define CHARGE 0xfedcba98UL	/* uses all 32 bits of the id */

FIXTURE(compat) {
	int srv, cli;
	struct sockaddr_rxrpc to;
};

FIXTURE_SETUP(compat)
{
	ASSERT_EQ(4, sizeof(unsigned long)) TH_LOG("not built with -m32");
	rx_addr4(&self->to, "127.0.0.1", rx_port(0), SVC);
	self->srv = rx_server(&self->to, 4, CHARGE, 1);
	ASSERT_LE(0, self->srv) TH_LOG("server: %s", strerror(-self->srv));
	self->cli = rx_socket(PF_INET);
	ASSERT_LE(0, self->cli);
}

FIXTURE_TEARDOWN(compat)
{
	close(self->cli);
	close(self->srv);
}

/* A whole call: every id on the way out and back is 4 bytes. */
TEST_F(compat, four_byte_call_ids)
{
	char buf[64];
	struct rx_res r;

	ASSERT_EQ(5, rx_send(self->cli, 0x89abcdefUL, &self->to, "hello", 5, 0));
	ASSERT_EQ(5, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(4, r.id_len);
	EXPECT_EQ(CHARGE, r.id);
	ASSERT_EQ(2, rx_send(self->srv, CHARGE, NULL, "ok", 2, 0));
	ASSERT_EQ(2, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(4, r.id_len);
	EXPECT_EQ(0x89abcdefUL, r.id);
	EXPECT_EQ(MSG_EOR, r.flags & (MSG_EOR | MSG_MORE));
	ASSERT_EQ(0, rx_recv_wait(self->srv, buf, sizeof(buf), &r));
	EXPECT_TRUE(r.ack);
	EXPECT_EQ(4, r.id_len);
	EXPECT_EQ(CHARGE, r.id);
}

/* The 64-bit form of the id from a 32-bit program is EINVAL. */
TEST_F(compat, eight_byte_call_id_is_einval)
{
	struct rx_cmsgs cm;
	uint64_t id = 1;

	rx_cm_init(&cm);
	rx_cm_add(&cm, SOL_RXRPC, RXRPC_USER_CALL_ID, &id, sizeof(id));
	EXPECT_EQ(-EINVAL, rx_sendmsg(self->cli, &self->to, "x", 1, &cm, 0));
}

/* An abort names its call by a 4-byte id too. */
TEST_F(compat, abort_by_four_byte_id)
{
	char buf[64];
	struct rx_res r;

	ASSERT_EQ(1, rx_send(self->cli, 7, &self->to, "x", 1, MSG_MORE));
	ASSERT_EQ(0, rx_abort(self->cli, 7, 0x1234));
	ASSERT_EQ(0, rx_recv_wait(self->cli, buf, sizeof(buf), &r));
	EXPECT_EQ(7, r.id);
	EXPECT_TRUE(r.abort);
	EXPECT_EQ(0x1234, r.abort_code);
}

TEST_HARNESS_MAIN
