// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the in-kernel AF_RXRPC interface (include/net/af_rxrpc.h):
 * the rules that its users (kAFS, rxperf) rely on, each asserted as the C
 * net/rxrpc implements it. The module links to the rxrpc_kernel_* symbols,
 * so it runs on whichever module provides them, rxrpc.ko or rxrpc-rs.ko.
 *
 * Each case makes its own sockets on 127.0.0.1 (a port of its own, so that
 * no case waits for the endpoint of another to go) and calls between them.
 * Every wait is bounded: a call that never progresses fails its case.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/in.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/jiffies.h>
#include <net/sock.h>
#include <net/net_namespace.h>
#define RXRPC_TRACE_ONLY_DEFINE_ENUMS
#include <trace/events/rxrpc.h>
#include <net/af_rxrpc.h>
#include <linux/rxrpc.h>

#define KT_SERVICE	2112
#define KT_PORT_BASE	17000
#define KT_WAIT		(10 * HZ)
#define KT_MAX_CALLS	8

/* Every notification bumps kt_events and wakes kt_wq. */
static DECLARE_WAIT_QUEUE_HEAD(kt_wq);
static atomic_t kt_events = ATOMIC_INIT(0);
static atomic_t kt_next_port = ATOMIC_INIT(0);

/* A charge on the service socket: its user_call_ID is its address. */
struct kt_scall {
	struct rxrpc_call *rxcall;	/* from user_attach_call */
	struct rxrpc_call *new_rxcall;	/* from notify_new_call */
	int attached;
	int new_call;
	int discarded;
	bool done;		/* the user's reference put */
};

/* A client call's user_call_ID: its socket, for the notifications. */
struct kt_ccall {
	struct socket *sock;
	struct rxrpc_call *rxcall;
	int notified;
	int life_at_notify;	/* check_life in the latest notify_rx */
};

struct kt_ctx {
	struct socket *srv, *cli;
	u16 port;
	struct kt_scall scall[4];
	struct kt_ccall ccall[4];
	/* User references still held, dropped by kt_exit. */
	struct {
		struct socket *sock;
		struct rxrpc_call *call;
	} held[KT_MAX_CALLS];
};

static void kt_event(void)
{
	atomic_inc(&kt_events);
	wake_up_all(&kt_wq);
}

static void kt_notify_rx(struct sock *sk, struct rxrpc_call *call, unsigned long id)
{
	kt_event();
}

static void kt_cli_notify_rx(struct sock *sk, struct rxrpc_call *call, unsigned long id)
{
	struct kt_ccall *c = (struct kt_ccall *)id;

	WRITE_ONCE(c->life_at_notify, rxrpc_kernel_check_life(c->sock, call));
	WRITE_ONCE(c->notified, c->notified + 1);
	kt_event();
}

static void kt_new_call(struct sock *sk, struct rxrpc_call *call, unsigned long id)
{
	struct kt_scall *s = (struct kt_scall *)id;

	WRITE_ONCE(s->new_rxcall, call);
	WRITE_ONCE(s->new_call, s->new_call + 1);
	kt_event();
}

static void kt_discard_new_call(struct rxrpc_call *call, unsigned long id)
{
	struct kt_scall *s = (struct kt_scall *)id;

	/* The module drops the reference given by user_attach_call. */
	WRITE_ONCE(s->discarded, s->discarded + 1);
	WRITE_ONCE(s->rxcall, NULL);
	kt_event();
}

static void kt_attach(struct rxrpc_call *call, unsigned long id)
{
	struct kt_scall *s = (struct kt_scall *)id;

	s->rxcall = call;
	s->attached++;
}

static const struct rxrpc_kernel_ops kt_ops = {
	.notify_new_call	= kt_new_call,
	.discard_new_call	= kt_discard_new_call,
	.user_attach_call	= kt_attach,
};

/*
 * Tests cond after each notification, and every 100 ms, until it holds or
 * KT_WAIT passes (cond may sleep: it is not tested in wait_event).
 */
#define kt_wait(cond)							\
({									\
	unsigned long __end = jiffies + KT_WAIT;			\
	bool __ok;							\
	int __seen;							\
	for (;;) {							\
		__seen = atomic_read(&kt_events);			\
		__ok = (cond);						\
		if (__ok || time_after(jiffies, __end))			\
			break;						\
		wait_event_timeout(kt_wq, atomic_read(&kt_events) != __seen, \
				   HZ / 10);				\
	}								\
	__ok;								\
})

static void kt_srx(struct sockaddr_rxrpc *srx, u16 service, u16 port)
{
	memset(srx, 0, sizeof(*srx));
	srx->srx_family = AF_RXRPC;
	srx->srx_service = service;
	srx->transport_type = SOCK_DGRAM;
	srx->transport_len = sizeof(srx->transport.sin);
	srx->transport.sin.sin_family = AF_INET;
	srx->transport.sin.sin_port = htons(port);
	srx->transport.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* A kernel socket bound to 127.0.0.1:port as service (0: a client). */
static struct socket *kt_socket(struct kunit *test, u16 service, u16 port)
{
	struct sockaddr_rxrpc srx;
	struct socket *sock;
	int ret;

	ret = sock_create_kern(&init_net, AF_RXRPC, SOCK_DGRAM, PF_INET, &sock);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "sock_create_kern");
	sock->sk->sk_sndtimeo = KT_WAIT;
	sock->sk->sk_rcvtimeo = KT_WAIT;
	kt_srx(&srx, service, port);
	ret = kernel_bind(sock, (struct sockaddr *)&srx, sizeof(srx));
	if (ret < 0)
		sock_release(sock);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "kernel_bind port %u", port);
	return sock;
}

/* The client socket, and a listening service socket with notifications. */
static void kt_pair(struct kunit *test, int backlog)
{
	struct kt_ctx *ctx = test->priv;

	ctx->cli = kt_socket(test, 0, ctx->port + 1);
	ctx->srv = kt_socket(test, KT_SERVICE, ctx->port);
	rxrpc_kernel_set_notifications(ctx->srv, &kt_ops);
	KUNIT_ASSERT_EQ(test, kernel_listen(ctx->srv, backlog), 0);
}

static void kt_hold(struct kunit *test, struct socket *sock, struct rxrpc_call *call)
{
	struct kt_ctx *ctx = test->priv;
	int i;

	for (i = 0; i < KT_MAX_CALLS; i++) {
		if (!ctx->held[i].call) {
			ctx->held[i].sock = sock;
			ctx->held[i].call = call;
			return;
		}
	}
	KUNIT_FAIL(test, "too many calls held");
}

/*
 * Ends a call that may be in flight as kAFS does: abort it (C's shutdown
 * does not, and a client connection left with a live call is a BUG() when
 * its endpoint goes), wait for the abort to be done, shut it down.
 */
static void kt_end(struct socket *sock, struct rxrpc_call *call)
{
	if (rxrpc_kernel_abort_call(sock, call, RX_USER_ABORT, -ECONNABORTED,
				    afs_abort_general_error))
		kt_wait(!rxrpc_kernel_check_life(sock, call));
	rxrpc_kernel_shutdown_call(sock, call);
}

/* Ends the user's hold on call, as kAFS does: shutdown, then put. */
static void kt_release(struct kunit *test, struct rxrpc_call *call)
{
	struct kt_ctx *ctx = test->priv;
	int i;

	for (i = 0; i < KT_MAX_CALLS; i++) {
		if (ctx->held[i].call == call) {
			kt_end(ctx->held[i].sock, call);
			rxrpc_kernel_put_call(ctx->held[i].sock, call);
			ctx->held[i].call = NULL;
			return;
		}
	}
}

static struct rxrpc_peer *kt_peer(struct kunit *test, struct socket *sock, u16 service, u16 port)
{
	struct sockaddr_rxrpc srx;
	struct rxrpc_peer *peer;

	kt_srx(&srx, service, port);
	peer = rxrpc_kernel_lookup_peer(sock, &srx, GFP_KERNEL);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_OR_NULL(peer), "lookup_peer: %ld", PTR_ERR(peer));
	return peer;
}

/* A client call from cli to the service, as kt_ccall[i]. */
static struct rxrpc_call *kt_begin(struct kunit *test, int i, s64 tx_total_len)
{
	struct kt_ctx *ctx = test->priv;
	struct kt_ccall *c = &ctx->ccall[i];
	struct rxrpc_peer *peer;
	struct rxrpc_call *call;

	peer = kt_peer(test, ctx->cli, KT_SERVICE, ctx->port);
	c->sock = ctx->cli;
	call = rxrpc_kernel_begin_call(ctx->cli, peer, NULL, (unsigned long)c, tx_total_len,
				       0, GFP_KERNEL, kt_cli_notify_rx, KT_SERVICE, false,
				       RXRPC_INTERRUPTIBLE, 0);
	rxrpc_kernel_put_peer(peer);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_OR_NULL(call), "begin_call: %ld", PTR_ERR(call));
	c->rxcall = call;
	kt_hold(test, ctx->cli, call);
	return call;
}

static int kt_send(struct socket *sock, struct rxrpc_call *call, const void *buf, size_t len,
		   bool more)
{
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = more ? MSG_MORE : 0 };

	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, &iov, 1, len);
	return rxrpc_kernel_send_data(sock, call, &msg, len, NULL);
}

/*
 * recv_data into buf[*len] until it returns other than skip (-EAGAIN while
 * the data is awaited, 2 while a service call awaits its final ACK) or
 * KT_WAIT passes. *len is left as recv_data leaves it: what was not filled.
 */
static int kt_recv(struct socket *sock, struct rxrpc_call *call, void *buf, size_t *len,
		   bool want_more, u32 *abort_code, int skip)
{
	struct kvec iov = { .iov_base = buf, .iov_len = *len };
	unsigned long end = jiffies + KT_WAIT;
	struct iov_iter iter;
	u16 service;
	int ret, seen;

	iov_iter_kvec(&iter, ITER_DEST, &iov, 1, *len);
	for (;;) {
		seen = atomic_read(&kt_events);
		ret = rxrpc_kernel_recv_data(sock, call, &iter, len, want_more, abort_code,
					     &service);
		if (ret != skip || time_after(jiffies, end))
			return ret;
		wait_event_timeout(kt_wq, atomic_read(&kt_events) != seen, HZ / 10);
	}
}

/* Charges slot i of the service socket. */
static int kt_charge(struct kunit *test, int i)
{
	struct kt_ctx *ctx = test->priv;

	return rxrpc_kernel_charge_accept(ctx->srv, kt_notify_rx, (unsigned long)&ctx->scall[i],
					  GFP_KERNEL, 0);
}

/* Waits for the call charged as slot i to come; the user then holds it. */
static struct rxrpc_call *kt_incoming(struct kunit *test, int i)
{
	struct kt_ctx *ctx = test->priv;
	struct kt_scall *s = &ctx->scall[i];

	KUNIT_ASSERT_TRUE_MSG(test, kt_wait(READ_ONCE(s->new_call) > 0), "no incoming call");
	KUNIT_EXPECT_EQ(test, s->new_call, 1);
	KUNIT_EXPECT_EQ(test, s->attached, 1);
	/* notify_new_call names the call that user_attach_call gave. */
	KUNIT_EXPECT_PTR_EQ(test, s->new_rxcall, s->rxcall);
	return s->new_rxcall;
}

/* Ends the user's hold on the service call of slot i: shutdown, put. */
static void kt_done(struct kunit *test, int i)
{
	struct kt_ctx *ctx = test->priv;
	struct kt_scall *s = &ctx->scall[i];

	if (s->done || !READ_ONCE(s->new_call))
		return;
	if (ctx->srv)
		kt_end(ctx->srv, s->new_rxcall);
	rxrpc_kernel_put_call(ctx->srv, s->new_rxcall);
	s->done = true;
}

static int kt_init(struct kunit *test)
{
	struct kt_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	ctx->port = KT_PORT_BASE + 2 * atomic_inc_return(&kt_next_port);
	test->priv = ctx;
	return 0;
}

/*
 * Drops what a case still holds, whether it passed or not: the client's
 * calls, its socket, the service calls that came (one may come until the
 * service socket goes), the service socket.
 */
static void kt_exit(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;
	int i;

	for (i = 0; i < KT_MAX_CALLS; i++)
		if (ctx->held[i].call)
			kt_release(test, ctx->held[i].call);
	if (ctx->cli)
		sock_release(ctx->cli);
	for (i = 0; i < ARRAY_SIZE(ctx->scall); i++)
		kt_done(test, i);
	if (ctx->srv)
		sock_release(ctx->srv);
	ctx->srv = NULL;
	for (i = 0; i < ARRAY_SIZE(ctx->scall); i++)
		kt_done(test, i);
}

/* lookup_peer rejects an address as C's rxrpc_validate_address does. */
static void kapi_lookup_peer_bad_srx(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;
	struct sockaddr_rxrpc srx;

	ctx->cli = kt_socket(test, 0, ctx->port + 1);

	kt_srx(&srx, KT_SERVICE, ctx->port);
	srx.srx_family = AF_INET;
	KUNIT_EXPECT_EQ(test, PTR_ERR(rxrpc_kernel_lookup_peer(ctx->cli, &srx, GFP_KERNEL)),
			-EAFNOSUPPORT);

	kt_srx(&srx, KT_SERVICE, ctx->port);
	srx.transport_type = SOCK_STREAM;
	KUNIT_EXPECT_EQ(test, PTR_ERR(rxrpc_kernel_lookup_peer(ctx->cli, &srx, GFP_KERNEL)),
			-ESOCKTNOSUPPORT);

	kt_srx(&srx, KT_SERVICE, ctx->port);
	srx.transport_len = 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(rxrpc_kernel_lookup_peer(ctx->cli, &srx, GFP_KERNEL)),
			-EINVAL);

	kt_srx(&srx, KT_SERVICE, ctx->port);
	srx.transport_len = sizeof(srx.transport) + 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(rxrpc_kernel_lookup_peer(ctx->cli, &srx, GFP_KERNEL)),
			-EINVAL);

	kt_srx(&srx, KT_SERVICE, ctx->port);
	srx.transport_len = 8;
	KUNIT_EXPECT_EQ(test, PTR_ERR(rxrpc_kernel_lookup_peer(ctx->cli, &srx, GFP_KERNEL)),
			-EINVAL);

	/* An IPv6 peer on an AF_INET socket. */
	kt_srx(&srx, KT_SERVICE, ctx->port);
	srx.transport_len = sizeof(srx.transport.sin6);
	srx.transport.sin6.sin6_family = AF_INET6;
	KUNIT_EXPECT_EQ(test, PTR_ERR(rxrpc_kernel_lookup_peer(ctx->cli, &srx, GFP_KERNEL)),
			-EAFNOSUPPORT);

	kt_srx(&srx, KT_SERVICE, ctx->port);
	srx.transport.family = AF_UNIX;
	KUNIT_EXPECT_EQ(test, PTR_ERR(rxrpc_kernel_lookup_peer(ctx->cli, &srx, GFP_KERNEL)),
			-EAFNOSUPPORT);
}

/* A peer is one per address; its reference, address, data and RTT. */
static void kapi_peer_rules(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;
	const struct sockaddr_rxrpc *rsrx;
	const struct sockaddr_in *sin;
	struct rxrpc_peer *p1, *p2;

	ctx->cli = kt_socket(test, 0, ctx->port + 1);
	p1 = kt_peer(test, ctx->cli, KT_SERVICE, ctx->port);
	p2 = kt_peer(test, ctx->cli, KT_SERVICE, ctx->port);
	KUNIT_EXPECT_PTR_EQ(test, p1, p2);
	rxrpc_kernel_put_peer(p2);
	KUNIT_EXPECT_PTR_EQ(test, rxrpc_kernel_get_peer(p1), p1);
	rxrpc_kernel_put_peer(p1);

	rsrx = rxrpc_kernel_remote_srx(p1);
	KUNIT_EXPECT_EQ(test, rsrx->srx_family, AF_RXRPC);
	KUNIT_EXPECT_EQ(test, rsrx->transport_type, SOCK_DGRAM);
	KUNIT_EXPECT_EQ(test, rsrx->transport.family, AF_INET);
	sin = (const struct sockaddr_in *)rxrpc_kernel_remote_addr(p1);
	KUNIT_EXPECT_EQ(test, sin->sin_family, AF_INET);
	KUNIT_EXPECT_EQ(test, ntohs(sin->sin_port), ctx->port);
	KUNIT_EXPECT_EQ(test, ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);

	KUNIT_EXPECT_EQ(test, rxrpc_kernel_get_peer_data(p1), 0UL);
	KUNIT_EXPECT_EQ(test, rxrpc_kernel_set_peer_data(p1, 0x1234), 0UL);
	KUNIT_EXPECT_EQ(test, rxrpc_kernel_set_peer_data(p1, 0x5678), 0x1234UL);
	KUNIT_EXPECT_EQ(test, rxrpc_kernel_get_peer_data(p1), 0x5678UL);
	/* No call yet, so no RTT sample. */
	KUNIT_EXPECT_EQ(test, rxrpc_kernel_get_srtt(p1), UINT_MAX);
	rxrpc_kernel_put_peer(p1);
}

/*
 * A whole call: request, reply, the final ACK; what recv_data, send_data,
 * check_life and abort_call return at each step.
 */
static void kapi_call_exchange(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;
	struct rxrpc_call *cc, *sc;
	const struct sockaddr_in *sin;
	struct rxrpc_peer *peer;
	char buf[16] = {};
	u32 abort_code = 0;
	size_t len;
	int ret;

	kt_pair(test, 4);
	KUNIT_ASSERT_EQ(test, kt_charge(test, 0), 0);
	/* user_attach_call comes within the charge. */
	KUNIT_EXPECT_EQ(test, ctx->scall[0].attached, 1);
	KUNIT_EXPECT_NOT_NULL(test, ctx->scall[0].rxcall);

	cc = kt_begin(test, 0, -1);
	KUNIT_EXPECT_TRUE(test, rxrpc_kernel_check_life(ctx->cli, cc));
	KUNIT_ASSERT_EQ(test, kt_send(ctx->cli, cc, "hello", 5, false), 5);

	sc = kt_incoming(test, 0);
	len = 5;
	ret = kt_recv(ctx->srv, sc, buf, &len, false, &abort_code, -EAGAIN);
	/* 2: a service call has read its request. */
	KUNIT_EXPECT_EQ(test, ret, 2);
	KUNIT_EXPECT_EQ(test, len, 0);
	KUNIT_EXPECT_MEMEQ(test, buf, "hello", 5);
	KUNIT_EXPECT_TRUE(test, rxrpc_kernel_check_life(ctx->srv, sc));
	/* The request is over (it came): the client call awaits its reply. */
	KUNIT_EXPECT_EQ(test, kt_send(ctx->cli, cc, "x", 1, false), -EPROTO);

	peer = rxrpc_kernel_get_call_peer(ctx->srv, sc);
	KUNIT_ASSERT_NOT_NULL(test, peer);
	sin = (const struct sockaddr_in *)rxrpc_kernel_remote_addr(peer);
	KUNIT_EXPECT_EQ(test, sin->sin_family, AF_INET);
	KUNIT_EXPECT_EQ(test, ntohs(sin->sin_port), ctx->port + 1);
	rxrpc_kernel_put_peer(peer);

	/* The service's connection is the client's: the same epoch. */
	KUNIT_EXPECT_NE(test, rxrpc_kernel_get_epoch(ctx->cli, cc), 0U);
	KUNIT_EXPECT_EQ(test, rxrpc_kernel_get_epoch(ctx->srv, sc),
			rxrpc_kernel_get_epoch(ctx->cli, cc));

	KUNIT_ASSERT_EQ(test, kt_send(ctx->srv, sc, "world!!", 7, false), 7);

	len = sizeof(buf);
	memset(buf, 0, sizeof(buf));
	abort_code = 0x55;
	ret = kt_recv(ctx->cli, cc, buf, &len, true, &abort_code, -EAGAIN);
	/* Short of the buffer at the end of the data. */
	KUNIT_EXPECT_EQ(test, ret, -EBADMSG);
	KUNIT_EXPECT_EQ(test, len, sizeof(buf) - 7);
	KUNIT_EXPECT_MEMEQ(test, buf, "world!!", 7);
	/* 1 at the end of a client call's reply; the abort code untouched. */
	len = 0;
	KUNIT_EXPECT_EQ(test, kt_recv(ctx->cli, cc, buf, &len, false, &abort_code, -EAGAIN), 1);
	KUNIT_EXPECT_EQ(test, abort_code, 0x55);
	KUNIT_EXPECT_FALSE(test, rxrpc_kernel_check_life(ctx->cli, cc));

	/* The service call ends when the client ACKs the reply. */
	len = 0;
	abort_code = 0x55;
	KUNIT_EXPECT_EQ(test, kt_recv(ctx->srv, sc, buf, &len, false, &abort_code, 2), 1);
	KUNIT_EXPECT_EQ(test, abort_code, 0);
	KUNIT_EXPECT_TRUE(test, kt_wait(!rxrpc_kernel_check_life(ctx->srv, sc)));

	/* Complete calls: nothing to abort; send_data gives call->error, 0. */
	KUNIT_EXPECT_FALSE(test, rxrpc_kernel_abort_call(ctx->cli, cc, 1, -ECONNABORTED,
							 afs_abort_general_error));
	KUNIT_EXPECT_FALSE(test, rxrpc_kernel_abort_call(ctx->srv, sc, 1, -ECONNABORTED,
							 afs_abort_general_error));
	KUNIT_EXPECT_EQ(test, kt_send(ctx->cli, cc, "x", 1, false), 0);
	KUNIT_EXPECT_EQ(test, kt_send(ctx->srv, sc, "x", 1, false), 0);
	len = 0;
	KUNIT_EXPECT_EQ(test, kt_recv(ctx->cli, cc, buf, &len, false, &abort_code, -EAGAIN), 1);

	kt_release(test, cc);
	kt_done(test, 0);
}

/*
 * Reading a request in pieces (want_more), too little (-EMSGSIZE) and too
 * much (-EBADMSG); then the service aborts and the client learns the code.
 */
static void kapi_recv_lengths_remote_abort(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;
	int notified, life_at_notify;
	struct rxrpc_call *cc, *sc;
	char buf[32] = {};
	u32 abort_code = 0;
	size_t len;

	kt_pair(test, 4);
	KUNIT_ASSERT_EQ(test, kt_charge(test, 0), 0);
	cc = kt_begin(test, 0, -1);
	KUNIT_ASSERT_EQ(test, kt_send(ctx->cli, cc, "0123456789", 10, false), 10);
	sc = kt_incoming(test, 0);

	/* A full buffer with data left and no more wanted: -EMSGSIZE. */
	len = 2;
	KUNIT_EXPECT_EQ(test, kt_recv(ctx->srv, sc, buf, &len, false, &abort_code, -EAGAIN),
			-EMSGSIZE);
	KUNIT_EXPECT_EQ(test, len, 0);
	/* With more wanted: 0. */
	len = 3;
	KUNIT_EXPECT_EQ(test, kt_recv(ctx->srv, sc, buf + 2, &len, true, &abort_code, -EAGAIN),
			0);
	KUNIT_EXPECT_EQ(test, len, 0);
	/* More room than data: -EBADMSG, the rest read. */
	len = 20;
	KUNIT_EXPECT_EQ(test, kt_recv(ctx->srv, sc, buf + 5, &len, false, &abort_code, -EAGAIN),
			-EBADMSG);
	KUNIT_EXPECT_EQ(test, len, 15);
	KUNIT_EXPECT_MEMEQ(test, buf, "0123456789", 10);

	/* Nothing has come back yet. */
	len = 4;
	KUNIT_EXPECT_EQ(test, kt_recv(ctx->cli, cc, buf, &len, false, &abort_code, INT_MIN),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, len, 4);

	KUNIT_EXPECT_TRUE(test, rxrpc_kernel_abort_call(ctx->srv, sc, 4321, -ECONNABORTED,
							afs_abort_general_error));
	len = 4;
	abort_code = 0;
	KUNIT_EXPECT_EQ(test, kt_recv(ctx->cli, cc, buf, &len, false, &abort_code, -EAGAIN),
			-ECONNABORTED);
	KUNIT_EXPECT_EQ(test, abort_code, 4321);
	KUNIT_EXPECT_FALSE(test, rxrpc_kernel_check_life(ctx->cli, cc));
	/*
	 * The notification of the end finds the call dead: C completes the
	 * call before it notifies the user.
	 */
	notified = READ_ONCE(ctx->ccall[0].notified);
	life_at_notify = READ_ONCE(ctx->ccall[0].life_at_notify);
	KUNIT_EXPECT_GT(test, notified, 0);
	KUNIT_EXPECT_EQ(test, life_at_notify, 0);
	/* A call that has failed: abort_call is refused, send_data gives the error. */
	KUNIT_EXPECT_FALSE(test, rxrpc_kernel_abort_call(ctx->cli, cc, 1, -ECONNABORTED,
							 afs_abort_general_error));
	KUNIT_EXPECT_EQ(test, kt_send(ctx->cli, cc, "x", 1, false), -ECONNABORTED);

	kt_release(test, cc);
	kt_done(test, 0);
}

/*
 * A local abort while the reply is awaited: true the first time, false
 * after; recv_data and send_data then give the error passed to abort_call
 * (and the abort code); the service hears -ECONNABORTED and the code.
 */
static void kapi_local_abort(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;
	struct rxrpc_call *cc, *sc;
	u32 abort_code = 0;
	char buf[4];
	size_t len;

	kt_pair(test, 4);
	KUNIT_ASSERT_EQ(test, kt_charge(test, 0), 0);
	cc = kt_begin(test, 0, -1);
	KUNIT_ASSERT_EQ(test, kt_send(ctx->cli, cc, "x", 1, false), 1);
	sc = kt_incoming(test, 0);
	len = 1;
	KUNIT_EXPECT_EQ(test, kt_recv(ctx->srv, sc, buf, &len, false, &abort_code, -EAGAIN), 2);

	KUNIT_EXPECT_TRUE(test, rxrpc_kernel_abort_call(ctx->cli, cc, 99, -EIO,
							afs_abort_general_error));
	KUNIT_EXPECT_FALSE(test, rxrpc_kernel_abort_call(ctx->cli, cc, 98, -EIO,
							 afs_abort_general_error));
	KUNIT_ASSERT_TRUE(test, kt_wait(!rxrpc_kernel_check_life(ctx->cli, cc)));
	len = sizeof(buf);
	KUNIT_EXPECT_EQ(test, kt_recv(ctx->cli, cc, buf, &len, false, &abort_code, -EAGAIN),
			-EIO);
	KUNIT_EXPECT_EQ(test, abort_code, 99);
	KUNIT_EXPECT_EQ(test, kt_send(ctx->cli, cc, "y", 1, false), -EIO);

	len = 0;
	abort_code = 0;
	KUNIT_EXPECT_EQ(test, kt_recv(ctx->srv, sc, buf, &len, false, &abort_code, 2),
			-ECONNABORTED);
	KUNIT_EXPECT_EQ(test, abort_code, 99);
	KUNIT_EXPECT_EQ(test, kt_send(ctx->srv, sc, "z", 1, false), -ECONNABORTED);

	kt_release(test, cc);
	kt_done(test, 0);
}

/* tx_total_len, given to begin_call or by set_tx_length, bounds the data. */
static void kapi_tx_length(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;
	struct rxrpc_call *c0, *c1;

	kt_pair(test, 4);
	KUNIT_ASSERT_EQ(test, kt_charge(test, 0), 0);
	KUNIT_ASSERT_EQ(test, kt_charge(test, 1), 0);
	c0 = kt_begin(test, 0, 4);
	KUNIT_EXPECT_EQ(test, kt_send(ctx->cli, c0, "12345", 5, false), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, kt_send(ctx->cli, c0, "123", 3, false), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, kt_send(ctx->cli, c0, "12", 2, true), 2);
	KUNIT_EXPECT_EQ(test, kt_send(ctx->cli, c0, "345", 3, false), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, kt_send(ctx->cli, c0, "34", 2, false), 2);

	c1 = kt_begin(test, 1, -1);
	rxrpc_kernel_set_tx_length(ctx->cli, c1, 3);
	KUNIT_EXPECT_EQ(test, kt_send(ctx->cli, c1, "1234", 4, false), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, kt_send(ctx->cli, c1, "123", 3, false), 3);

	rxrpc_kernel_abort_call(ctx->cli, c0, 1, -ECONNABORTED, afs_abort_general_error);
	rxrpc_kernel_abort_call(ctx->cli, c1, 1, -ECONNABORTED, afs_abort_general_error);
	kt_release(test, c0);
	kt_release(test, c1);
}

/* A user_call_ID in use: begin_call -EEXIST, charge_accept -EBADSLT. */
static void kapi_dup_user_id(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;
	struct rxrpc_peer *peer;
	struct rxrpc_call *call;

	kt_pair(test, 4);
	kt_begin(test, 0, -1);
	peer = kt_peer(test, ctx->cli, KT_SERVICE, ctx->port);
	call = rxrpc_kernel_begin_call(ctx->cli, peer, NULL, (unsigned long)&ctx->ccall[0], -1,
				       0, GFP_KERNEL, kt_cli_notify_rx, KT_SERVICE, false,
				       RXRPC_INTERRUPTIBLE, 0);
	rxrpc_kernel_put_peer(peer);
	KUNIT_EXPECT_EQ(test, PTR_ERR(call), -EEXIST);
	if (!IS_ERR_OR_NULL(call))
		kt_hold(test, ctx->cli, call);

	KUNIT_EXPECT_EQ(test, kt_charge(test, 0), 0);
	KUNIT_EXPECT_EQ(test, kt_charge(test, 0), -EBADSLT);
	KUNIT_EXPECT_EQ(test, ctx->scall[0].attached, 1);
}

/*
 * charge_accept: -ESHUTDOWN unless listening, -ENOBUFS past the backlog;
 * listen(0) discards the charges (discard_new_call for each) and stops.
 */
static void kapi_charge_rules(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;

	ctx->cli = kt_socket(test, 0, ctx->port + 1);
	KUNIT_EXPECT_EQ(test, rxrpc_kernel_charge_accept(ctx->cli, kt_notify_rx,
		(unsigned long)&ctx->scall[0], GFP_KERNEL, 0), -ESHUTDOWN);

	ctx->srv = kt_socket(test, KT_SERVICE, ctx->port);
	rxrpc_kernel_set_notifications(ctx->srv, &kt_ops);
	KUNIT_EXPECT_EQ(test, kt_charge(test, 0), -ESHUTDOWN);
	KUNIT_ASSERT_EQ(test, kernel_listen(ctx->srv, 2), 0);
	KUNIT_EXPECT_EQ(test, kt_charge(test, 0), 0);
	KUNIT_EXPECT_EQ(test, kt_charge(test, 1), 0);
	KUNIT_EXPECT_EQ(test, kt_charge(test, 2), -ENOBUFS);
	KUNIT_EXPECT_EQ(test, ctx->scall[0].attached, 1);
	KUNIT_EXPECT_EQ(test, ctx->scall[1].attached, 1);
	KUNIT_EXPECT_EQ(test, ctx->scall[2].attached, 0);

	KUNIT_EXPECT_EQ(test, kernel_listen(ctx->srv, 0), 0);
	KUNIT_EXPECT_EQ(test, ctx->scall[0].discarded, 1);
	KUNIT_EXPECT_EQ(test, ctx->scall[1].discarded, 1);
	KUNIT_EXPECT_EQ(test, kt_charge(test, 2), -ESHUTDOWN);
}

/* Releasing a service socket discards its charges, once each. */
static void kapi_release_discards(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;

	kt_pair(test, 4);
	KUNIT_EXPECT_EQ(test, kt_charge(test, 0), 0);
	KUNIT_EXPECT_EQ(test, kt_charge(test, 1), 0);
	sock_release(ctx->srv);
	ctx->srv = NULL;
	KUNIT_EXPECT_EQ(test, ctx->scall[0].discarded, 1);
	KUNIT_EXPECT_EQ(test, ctx->scall[1].discarded, 1);
	KUNIT_EXPECT_EQ(test, ctx->scall[0].new_call, 0);
}

/* Without set_notifications: charges work and are dropped at release. */
static void kapi_no_notifications(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;

	ctx->srv = kt_socket(test, KT_SERVICE, ctx->port);
	KUNIT_ASSERT_EQ(test, kernel_listen(ctx->srv, 4), 0);
	KUNIT_EXPECT_EQ(test, kt_charge(test, 0), 0);
	KUNIT_EXPECT_EQ(test, ctx->scall[0].attached, 0);
	sock_release(ctx->srv);
	ctx->srv = NULL;
	KUNIT_EXPECT_EQ(test, ctx->scall[0].discarded, 0);
}

/*
 * Calls in flight when the user lets go: one aborted, shut down and put
 * before its peer has answered (as kAFS ends a call; shutdown alone is not
 * enough on C, see kt_end), and a service call and a client call held, not
 * shut down, across the release of their sockets (which abort them), put
 * after. Nothing may leak: rxrpc_unload.sh checks at unload.
 */
static void kapi_release_in_flight(struct kunit *test)
{
	struct kt_ctx *ctx = test->priv;
	struct rxrpc_call *c0, *c1, *sc;
	u32 abort_code = 0;
	char buf[4];
	size_t len;

	kt_pair(test, 4);
	KUNIT_ASSERT_EQ(test, kt_charge(test, 0), 0);
	c1 = kt_begin(test, 1, -1);
	KUNIT_ASSERT_EQ(test, kt_send(ctx->cli, c1, "abc", 3, false), 3);
	sc = kt_incoming(test, 0);
	c0 = kt_begin(test, 0, -1);
	KUNIT_ASSERT_EQ(test, kt_send(ctx->cli, c0, "abc", 3, true), 3);

	kt_release(test, c0);
	/* The service socket goes with its call in flight, held. */
	sock_release(ctx->srv);
	ctx->srv = NULL;
	KUNIT_EXPECT_EQ(test, ctx->scall[0].discarded, 0);
	/* The client's other call learns of the service's end. */
	len = sizeof(buf);
	KUNIT_EXPECT_LT(test, kt_recv(ctx->cli, c1, buf, &len, false, &abort_code, -EAGAIN), 0);
	KUNIT_EXPECT_FALSE(test, rxrpc_kernel_check_life(ctx->cli, c1));
	/* The client socket goes with c1 held: put after. */
	sock_release(ctx->cli);
	ctx->cli = NULL;
	rxrpc_kernel_put_call(NULL, c1);
	memset(ctx->held, 0, sizeof(ctx->held));
	/* The service call's reference, after its socket: put only. */
	KUNIT_EXPECT_PTR_EQ(test, sc, ctx->scall[0].new_rxcall);
	kt_done(test, 0);
}

static struct kunit_case rxrpc_kapi_cases[] = {
	KUNIT_CASE(kapi_lookup_peer_bad_srx),
	KUNIT_CASE(kapi_peer_rules),
	KUNIT_CASE(kapi_call_exchange),
	KUNIT_CASE(kapi_recv_lengths_remote_abort),
	KUNIT_CASE(kapi_local_abort),
	KUNIT_CASE(kapi_tx_length),
	KUNIT_CASE(kapi_dup_user_id),
	KUNIT_CASE(kapi_charge_rules),
	KUNIT_CASE(kapi_release_discards),
	KUNIT_CASE(kapi_no_notifications),
	KUNIT_CASE(kapi_release_in_flight),
	{}
};

static struct kunit_suite rxrpc_kapi_suite = {
	.name = "rxrpc_kapi",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = rxrpc_kapi_cases,
};
kunit_test_suite(rxrpc_kapi_suite);

MODULE_DESCRIPTION("KUnit tests of the in-kernel AF_RXRPC interface");
MODULE_LICENSE("GPL");
