// SPDX-License-Identifier: GPL-2.0
/*
 * Calls whose processes wait in recvmsg() and sendmsg() themselves, with no
 * poll() first: on rxrpc-rs a blocked reader is woken by the packets that
 * arrive on its endpoint and handles them itself, for every socket of the
 * endpoint, so these check that nothing is lost or held up that way: calls
 * in a row, several readers sharing one endpoint, a reader interrupted by
 * signals all along, a niced reader (which leaves the packets to the
 * worker), and a sender blocked for send space while a megabyte goes each
 * way. Every byte is checked; SO_RCVTIMEO bounds each wait, generously.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include "rxrpc_test.h"
#include "kselftest_harness.h"

#define SVC 1731
#define CHARGE 1000	/* the service's first charged user call ID */
#define NCHARGE 10	/* the C module's max_backlog */
#define SLOTS 64
#define HDR 8		/* request header: seed, reply length (u32s) */
#define WAIT_S 20	/* SO_RCVTIMEO of every socket here */

/* What the service saw, in memory shared with the test. */
struct svc_stats {
	volatile int served;	/* replies sent */
	volatile int bad;	/* the line of the first error, 0 if none */
};

static void set_timeo(int fd)
{
	struct timeval tv = { .tv_sec = WAIT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* recvmsg that blocks, again after a signal. */
static int recv_blocking(int fd, void *buf, size_t len, struct rx_res *r)
{
	int n;

	do {
		n = rx_recv(fd, buf, len, 0, r);
	} while (n == -EINTR);
	return n;
}

/*
 * The service (in a child): each request's header and body (rx_pat(seed)
 * from offset HDR) checked as it comes, then reply_len bytes of
 * rx_pat(~seed); every call that ends is charged for again. Runs until
 * killed, or an error (recorded in st->bad).
 */
static void serve(int fd, struct svc_stats *st)
{
	static struct {
		unsigned long id;
		size_t off;
		uint8_t hdr[HDR];
	} slot[SLOTS];
	static uint8_t buf[65536];
	unsigned long next = CHARGE + NCHARGE;
	uint8_t *reply = NULL;
	size_t reply_cap = 0;

	for (;;) {
		struct rx_res r;
		int n = recv_blocking(fd, buf, sizeof(buf), &r), k, free_k = -1;
		uint32_t seed, reply_len;

		if (n < 0) {
			st->bad = __LINE__;
			return;
		}
		if (!r.has_id)
			continue;
		for (k = 0; k < SLOTS; k++) {
			if (slot[k].id == r.id)
				break;
			if (!slot[k].id && free_k < 0)
				free_k = k;
		}
		if (rx_terminal(&r)) {
			if (!r.ack) {
				st->bad = __LINE__;
				return;
			}
			if (k < SLOTS)
				slot[k].id = 0;
			if (rx_charge(fd, next++) < 0) {
				st->bad = __LINE__;
				return;
			}
			continue;
		}
		if (k == SLOTS) {
			if (free_k < 0) {
				st->bad = __LINE__;
				return;
			}
			k = free_k;
			slot[k].id = r.id;
			slot[k].off = 0;
		}
		for (int i = 0; i < n; i++, slot[k].off++) {
			if (slot[k].off < HDR)
				slot[k].hdr[slot[k].off] = buf[i];
			else if (buf[i] != rx_pat(*(uint32_t *)slot[k].hdr, slot[k].off)) {
				st->bad = __LINE__;
				return;
			}
		}
		if (r.flags & MSG_MORE)
			continue;
		if (slot[k].off < HDR) {
			st->bad = __LINE__;
			return;
		}
		memcpy(&seed, slot[k].hdr, 4);
		memcpy(&reply_len, slot[k].hdr + 4, 4);
		if (reply_len > reply_cap) {
			free(reply);
			reply = malloc(reply_len);
			reply_cap = reply ? reply_len : 0;
			if (!reply) {
				st->bad = __LINE__;
				return;
			}
		}
		rx_fill(reply, reply_len, ~seed);
		if (rx_send(fd, r.id, NULL, reply, reply_len, 0) != (int)reply_len) {
			st->bad = __LINE__;
			return;
		}
		st->served++;
	}
}

FIXTURE(blk) {
	int srv;
	struct sockaddr_rxrpc to;
	pid_t child;
	struct svc_stats *st;
};

FIXTURE_SETUP(blk)
{
	self->st = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->st);
	rx_addr4(&self->to, "127.0.0.1", rx_port(0), SVC);
	self->srv = rx_server(&self->to, NCHARGE, CHARGE, NCHARGE);
	ASSERT_LE(0, self->srv) TH_LOG("server: %s", strerror(-self->srv));
	set_timeo(self->srv);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		serve(self->srv, self->st);
		_exit(0);
	}
}

FIXTURE_TEARDOWN(blk)
{
	if (self->child > 0)
		kill(self->child, SIGKILL);
	close(self->srv);
}

/* A client socket whose waits SO_RCVTIMEO bounds; bound to port if not 0. */
static int client(int port)
{
	struct sockaddr_rxrpc me;
	int fd = rx_socket(PF_INET);

	if (fd < 0)
		return -errno;
	set_timeo(fd);
	if (port) {
		rx_addr4(&me, "127.0.0.1", port, 0);
		if (rx_bind(fd, &me) < 0) {
			close(fd);
			return -errno;
		}
	}
	return fd;
}

/*
 * One call of req_len bytes (at least HDR) asking for reply_len back,
 * waiting in sendmsg and recvmsg only. Returns 0 or the line that failed.
 */
static int call(int fd, const struct sockaddr_rxrpc *to, unsigned long id,
		uint32_t seed, size_t req_len, uint32_t reply_len)
{
	size_t got = 0, cap = reply_len + 64;
	uint8_t *req = malloc(req_len), *buf = malloc(cap);
	struct rx_res r;
	int ret = 0;

	if (!req || !buf) {
		ret = __LINE__;
		goto out;
	}
	rx_fill(req, req_len, seed);
	memcpy(req, &seed, 4);
	memcpy(req + 4, &reply_len, 4);
	if (rx_send(fd, id, to, req, req_len, 0) != (int)req_len) {
		ret = __LINE__;
		goto out;
	}
	for (;;) {
		int n = recv_blocking(fd, buf + got, cap - got, &r);

		if (n < 0 || !r.has_id || r.id != id || rx_terminal(&r)) {
			char why[128];

			rx_describe(&r, why, sizeof(why));
			printf("# call %lu: recvmsg %d (%s), id %lu: %s\n", id, n,
			       n < 0 ? strerror(-n) : "data", r.id, why);
			ret = __LINE__;
			goto out;
		}
		got += n;
		if (!(r.flags & MSG_MORE))
			break;
	}
	if (got != reply_len || !(r.flags & MSG_EOR) || rx_check(buf, got, ~seed, 0) >= 0)
		ret = __LINE__;
out:
	free(req);
	free(buf);
	return ret;
}

/* Waits up to WAIT_S for the service to have sent n replies. */
static int served(struct svc_stats *st, int n)
{
	for (int i = 0; i < WAIT_S * 100 && st->served < n && !st->bad; i++)
		usleep(10000);
	return st->served;
}

/* Calls in a row, each side waiting in recvmsg for the other. */
TEST_F(blk, calls_in_a_row)
{
	int fd = client(0), i, line = 0;

	ASSERT_LE(0, fd);
	for (i = 0; i < 300 && !line; i++)
		line = call(fd, &self->to, i + 1, i, 100, 100);
	EXPECT_EQ(0, line) TH_LOG("call %d failed at line %d", i, line);
	EXPECT_EQ(300, served(self->st, 300));
	EXPECT_EQ(0, self->st->bad) TH_LOG("the service failed at line %d", self->st->bad);
	close(fd);
}

/*
 * Four client sockets bound to one address share its endpoint: whichever
 * reader handles a packet, the call it belongs to goes on.
 */
TEST_F(blk, readers_share_an_endpoint)
{
	int port = rx_port(1), k, status, failed = 0;
	pid_t kid[4];

	for (k = 0; k < 4; k++) {
		kid[k] = fork();
		ASSERT_LE(0, kid[k]);
		if (!kid[k]) {
			int fd = client(port), i, line = 0;

			if (fd < 0) {
				printf("# reader %d: bind: %s\n", k, strerror(-fd));
				_exit(1);
			}
			for (i = 0; i < 100 && !line; i++)
				line = call(fd, &self->to, i + 1, k * 1000 + i, 200, 300);
			if (line)
				printf("# reader %d: call %d failed at line %d: %s\n", k, i,
				       line, strerror(errno));
			_exit(line ? 2 : 0);
		}
	}
	for (k = 0; k < 4; k++) {
		ASSERT_EQ(kid[k], waitpid(kid[k], &status, 0));
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	EXPECT_EQ(0, failed);
	EXPECT_EQ(400, served(self->st, 400));
	EXPECT_EQ(0, self->st->bad) TH_LOG("the service failed at line %d", self->st->bad);
}

static void on_alarm(int sig)
{
}

/*
 * A reader interrupted every millisecond (no SA_RESTART): each EINTR is
 * retried, and whatever arrived meanwhile is still there. Sends are made
 * with the signal blocked (a new call may be ended by a signal while it
 * waits for its connection, in C).
 */
TEST_F(blk, signals_lose_nothing)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	int fd = client(0), i, line = 0;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	for (i = 0; i < 200 && !line; i++) {
		sigset_t s;

		sigemptyset(&s);
		sigaddset(&s, SIGALRM);
		sigprocmask(SIG_BLOCK, &s, NULL);
		line = call(fd, &self->to, i + 1, i, 2000, 3000);
		sigprocmask(SIG_UNBLOCK, &s, NULL);
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	EXPECT_EQ(0, line) TH_LOG("call %d failed at line %d", i, line);
	EXPECT_EQ(0, self->st->bad) TH_LOG("the service failed at line %d", self->st->bad);
	close(fd);
}

/* A niced reader leaves its endpoint's packets to the worker: all arrive. */
TEST_F(blk, niced_reader)
{
	int fd = client(0), i, line = 0;

	ASSERT_LE(0, fd);
	errno = 0;
	ASSERT_EQ(10, nice(10));
	for (i = 0; i < 100 && !line; i++)
		line = call(fd, &self->to, i + 1, i, 100, 100);
	EXPECT_EQ(0, line) TH_LOG("call %d failed at line %d", i, line);
	EXPECT_EQ(0, self->st->bad) TH_LOG("the service failed at line %d", self->st->bad);
	close(fd);
}

/*
 * A megabyte each way with small send buffers: both senders wait in
 * sendmsg for the ACKs that free space, and the reader of the reply in
 * recvmsg for its data.
 */
TEST_F(blk, blocked_sender)
{
	int fd = client(0), small = 16384, i, line = 0;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
	for (i = 0; i < 3 && !line; i++)
		line = call(fd, &self->to, i + 1, i, 1 << 20, 1 << 20);
	EXPECT_EQ(0, line) TH_LOG("call %d failed at line %d", i, line);
	EXPECT_EQ(0, self->st->bad) TH_LOG("the service failed at line %d", self->st->bad);
	close(fd);
}

TEST_HARNESS_MAIN
