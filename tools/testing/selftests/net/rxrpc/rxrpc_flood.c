// SPDX-License-Identifier: GPL-2.0
/*
 * Floods and scale: peers that open calls and never read (a service and a
 * client, on an endpoint that other sockets share: their calls must still
 * complete); a client that never ACKs the reply and one that ACKs wrongly
 * (a raw UDP socket playing the client: the service's call must end, by
 * timeout or abort, not hang); many connections opened and dropped
 * (RXRPC_FLOOD_CONNS, default 500; 10,000 in make stress); many
 * concurrent calls on one socket (RXRPC_FLOOD_CALLS, default 1000); many
 * sockets on one endpoint. Each
 * logs kernel memory (Slab, SUnreclaim) and /proc/net/rxrpc row counts
 * before and after, and checks that the module's calls go back to what
 * they were once the sockets close. Every wait is bounded.
 */
#include "rxrpc_test.h"
#include "rxrpc_stress.h"
#include "kselftest_harness.h"

#define SVC 1760

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : def;
}

/* A service socket at port, served by a child; returns the child. */
static pid_t served(int port, int charges, struct rx_svc_stats *st, int *fdp)
{
	struct sockaddr_rxrpc srx;
	struct timeval tv = { 3, 0 };
	int fd;
	pid_t pid;

	rx_addr4(&srx, "127.0.0.1", port, SVC);
	fd = rx_server(&srx, charges, 1, charges);
	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	pid = rx_serve_fork(fd, charges + 1, 120000, st);
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return pid;
}

/* Ends a served child with a STOP call from a new socket. */
static int stop_server(int port, pid_t pid)
{
	struct sockaddr_rxrpc to;
	int fd = rx_socket(PF_INET), ret;
	int32_t code;

	rx_addr4(&to, "127.0.0.1", port, SVC);
	rx_call(fd, 999999, &to, RX_STRESS_STOP, 8, 0, 10, 12000, &code);
	close(fd);
	ret = rx_child_wait(pid, 20000);
	return ret;
}

static void mem_report(struct __test_metadata *_metadata, const struct rx_mem *m0)
{
	struct rx_mem m1, m2;

	rx_mem_read(&m1);
	EXPECT_TRUE(rx_rows_settle(m0->calls, 100000, 30000));
	rx_mem_read(&m2);
	TH_LOG("before: " RX_MEM_FMT, RX_MEM_ARGS(*m0));
	TH_LOG("closed: " RX_MEM_FMT, RX_MEM_ARGS(m1));
	TH_LOG("after:  " RX_MEM_FMT, RX_MEM_ARGS(m2));
	EXPECT_GT(m0->sunreclaim + RX_SLAB_SLACK_KB, m2.sunreclaim);
}

/* Loads the module, then reads the baseline. */
static void baseline(struct rx_mem *m)
{
	int fd = rx_socket(PF_INET);

	if (fd >= 0)
		close(fd);
	rx_mem_read(m);
}

/*
 * Sockets that share one endpoint (127.0.0.1:port 3): L makes calls whose
 * 32 KiB replies it never reads; F sends 64 KiB requests to a service that
 * never reads them (both from children, as they may block); G's calls,
 * meanwhile and after, must all complete byte-exact.
 */
FIXTURE(flood) { int unused; };
FIXTURE_SETUP(flood) { }
FIXTURE_TEARDOWN(flood) { }

/* Sends n requests of len bytes from fd, never reading (a child). */
static void lazy_calls(int fd, const struct sockaddr_rxrpc *to, int n,
		       size_t len, uint32_t reply_len)
{
	int k;

	for (k = 0; k < n; k++) {
		uint8_t *req = rx_req_make(k + 1, len, reply_len);

		rx_send(fd, 1 + k, to, req, len, 0);
		free(req);
	}
	pause();
}

TEST_F_TIMEOUT(flood, never_reading_peers_share_an_endpoint, 120)
{
	struct rx_svc_stats *st1 = rx_svc_stats_new(), *st2 = rx_svc_stats_new();
	struct sockaddr_rxrpc to1, to2, tol, ep;
	int sl, l, f, g, k, ok = 0;
	pid_t s1, s2, pl, pf;
	struct rx_mem m0;
	long long t0;
	int32_t code;

	baseline(&m0);
	s1 = served(rx_port(0), 8, st1, NULL);
	s2 = served(rx_port(1), 8, st2, NULL);
	ASSERT_LT(0, s1);
	ASSERT_LT(0, s2);
	rx_addr4(&to1, "127.0.0.1", rx_port(0), SVC);
	rx_addr4(&to2, "127.0.0.1", rx_port(1), SVC);
	/* A service that never reads. */
	rx_addr4(&tol, "127.0.0.1", rx_port(2), SVC);
	sl = rx_server(&tol, 8, 1, 8);
	ASSERT_LE(0, sl);
	rx_addr4(&ep, "127.0.0.1", rx_port(3), 0);
	l = rx_socket(PF_INET);
	f = rx_socket(PF_INET);
	g = rx_socket(PF_INET);
	ASSERT_EQ(0, rx_bind(l, &ep));
	ASSERT_EQ(0, rx_bind(f, &ep));
	ASSERT_EQ(0, rx_bind(g, &ep));
	pl = fork();
	if (pl == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		lazy_calls(l, &to2, 12, 100, 32768);
		_exit(0);
	}
	pf = fork();
	if (pf == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		lazy_calls(f, &tol, 8, 65536, 0);
		_exit(0);
	}
	ASSERT_LT(0, pl);
	ASSERT_LT(0, pf);
	close(l);
	close(f);
	usleep(500000);
	t0 = rx_ms();
	for (k = 0; k < 30; k++) {
		enum rx_outcome o = rx_call(g, 100 + k, &to1, k, 8 + 997 * k, 1500 * k,
					    20, 22000, &code);

		ok += o == RX_OK;
		if (o != RX_OK)
			TH_LOG("call %d: outcome %d code %d", k, o, code);
	}
	TH_LOG("30 calls beside the never-reading peers: %d completed in %lld ms; "
	       "the lazy client's service answered %d (send failures %d)",
	       ok, rx_ms() - t0, st2->served, st2->send_fail);
	EXPECT_EQ(30, ok);
	kill(pl, SIGKILL);
	kill(pf, SIGKILL);
	rx_child_wait(pl, 5000);
	rx_child_wait(pf, 5000);
	close(sl);
	EXPECT_EQ(0, stop_server(rx_port(0), s1));
	EXPECT_EQ(0, stop_server(rx_port(1), s2));
	close(g);
	mem_report(_metadata, &m0);
}

/* A DATA packet of a request from a raw client: call 1 of (epoch, cid). */
static int raw_request(int u, int port, uint32_t epoch, uint32_t cid,
		       uint32_t seed, uint32_t reply_len)
{
	uint8_t p[RXH_LEN + 64];
	uint8_t *req = rx_req_make(seed, 64, reply_len);
	struct rxh h = {
		.epoch = epoch, .cid = cid, .call = 1, .seq = 1, .serial = 1,
		.type = RXT_DATA,
		.flags = RXF_CLIENT_INITIATED | RXF_LAST | RXF_REQUEST_ACK,
		.service = SVC,
	};

	rxh_put(p, &h);
	memcpy(p + RXH_LEN, req, 64);
	free(req);
	return rx_udp_send(u, port, p, sizeof(p));
}

/*
 * Raw clients: four never acknowledge the reply; two acknowledge wrongly
 * for 3 s (firstPacket beyond what was sent, or going back and forth),
 * then go silent. The service's call of each must end (timeout or abort:
 * its ABORT reaches the raw client) within 90 s, what it sends them stays
 * bounded (no more packets than they sent, and a few resends), and a
 * valid client is served meanwhile and after.
 */
#define NOACK 4
#define BADACK 2
#define NRAW (NOACK + BADACK)

TEST_F_TIMEOUT(flood, clients_that_never_ack_or_ack_wrongly, 150)
{
	struct rx_svc_stats *st = rx_svc_stats_new();
	struct sockaddr_rxrpc to;
	int u[NRAW], k, g, ok = 0, pkts = 0, acks = 0, ended = 0;
	int32_t code, why[NRAW];
	long long t0, end, at[NRAW];
	uint8_t buf[2048];
	struct rx_mem m0;
	pid_t s;

	baseline(&m0);
	s = served(rx_port(0), 8, st, NULL);
	ASSERT_LT(0, s);
	rx_addr4(&to, "127.0.0.1", rx_port(0), SVC);
	for (k = 0; k < NRAW; k++) {
		u[k] = rx_udp(0);
		ASSERT_LE(0, u[k]);
		at[k] = 0;
		ASSERT_EQ(RXH_LEN + 64, raw_request(u[k], rx_port(0), 0x5eed0000 + k,
						    0x1000 << 2, 7 + k, 4000));
	}
	t0 = rx_ms();
	g = rx_socket(PF_INET);
	ASSERT_LE(0, g);
	end = t0 + 90000;
	while (ended < NRAW && rx_ms() < end) {
		/* The wrong ACKs, for 3 s, while a valid client is served. */
		if (rx_ms() - t0 < 3000) {
			for (k = NOACK; k < NRAW; k++) {
				uint8_t a[RXH_LEN + 18 + 8 + 19];
				struct rxh h = {
					.epoch = 0x5eed0000 + k, .cid = 0x1000 << 2, .call = 1,
					.serial = 2 + acks, .type = RXT_ACK,
					.flags = RXF_CLIENT_INITIATED, .service = SVC,
				};

				memset(a, 0, sizeof(a));
				rxh_put(a, &h);
				rx_put32(a + RXH_LEN + 4, k == NOACK ? 1000 + acks : 1 + (acks & 1) * 10);
				a[RXH_LEN + 16] = 1 + acks % 9;	/* reason */
				a[RXH_LEN + 17] = 8;		/* nAcks */
				memset(a + RXH_LEN + 18, 1, 8);
				rx_put32(a + RXH_LEN + 18 + 8 + 3 + 8, 0xffffffff); /* rwind */
				rx_udp_send(u[k], rx_port(0), a, sizeof(a));
			}
			acks++;
			ok += rx_call(g, 100 + acks, &to, acks, 100, 1000, 20, 22000, &code) == RX_OK;
		} else {
			usleep(100000);
		}
		/* What the service sends the raw clients; an ABORT ends one. */
		for (k = 0; k < NRAW; k++) {
			int n;

			while ((n = recv(u[k], buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
				pkts++;
				if (n >= RXH_LEN + 4 && buf[20] == RXT_ABORT && !at[k]) {
					at[k] = rx_ms() - t0;
					why[k] = (int32_t)rx_be32(buf + RXH_LEN);
					ended++;
				}
			}
		}
	}
	TH_LOG("%d wrong ACKs sent; %d of %d valid calls completed meanwhile",
	       acks * BADACK, ok, acks);
	EXPECT_EQ(acks, ok);
	for (k = 0; k < NRAW; k++)
		TH_LOG("raw client %d (%s): %s %d after %lld ms", k,
		       k < NOACK ? "never ACKs" : "ACKs wrongly",
		       at[k] ? "ABORT" : "no ABORT", at[k] ? why[k] : 0, at[k]);
	TH_LOG("the raw clients got %d packets in all", pkts);
	EXPECT_EQ(NRAW, ended);
	/* No more than an answer (an ABORT) per wrong ACK, and the replies
	 * to the silent ones resent a bounded number of times. */
	EXPECT_GE(acks * BADACK + 1000, pkts);
	for (k = 0; k < NRAW; k++)
		close(u[k]);
	/* Still serving. */
	EXPECT_EQ(RX_OK, rx_call(g, 50000, &to, 3, 100, 1000, 20, 22000, &code));
	close(g);
	EXPECT_EQ(0, stop_server(rx_port(0), s));
	mem_report(_metadata, &m0);
}

/*
 * Connections opened and dropped (RXRPC_FLOOD_CONNS: 500 by default,
 * 10,000 in make stress):
 * each call on its own connection (RXRPC_EXCLUSIVE_CONNECTION), made by
 * CONN_CLIENTS processes at once, each replacing its client socket (and
 * so its endpoint) every 100 calls. Every connection must be set up,
 * serve its call and be reaped: the rows go back to the baseline.
 */
#define CONN_CLIENTS 8

struct conn_tally {
	volatile int ok, busy, other;
};

static void conn_client(int first, int n, const struct sockaddr_rxrpc *to,
			struct conn_tally *t)
{
	int k, fd = -1, one = 1;
	int32_t code;

	for (k = 0; k < n; k++) {
		enum rx_outcome o;

		if (k % 100 == 0) {
			if (fd >= 0)
				close(fd);
			fd = rx_socket(PF_INET);
			if (fd < 0 || setsockopt(fd, SOL_RXRPC, RXRPC_EXCLUSIVE_CONNECTION,
						 &one, 0) < 0)
				_exit(2);
		}
		o = rx_call(fd, 1 + k, to, first + k, 40, 40, 20, 22000, &code);
		if (o == RX_OK)
			t->ok++;
		else if (o == RX_BUSY_END)
			t->busy++;
		else if (t->other++ < 3)
			printf("# call %d: outcome %d code %d\n", first + k, o, code);
	}
	close(fd);
	_exit(0);
}

TEST_F_TIMEOUT(flood, connections_opened_and_dropped, 300)
{
	int n = env_int("RXRPC_FLOOD_CONNS", 500), k, ok = 0, busy = 0, other = 0;
	struct conn_tally *t = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct rx_svc_stats *st = rx_svc_stats_new();
	struct sockaddr_rxrpc to;
	pid_t pid[CONN_CLIENTS];
	struct rx_mem m0;
	long long t0;
	pid_t s;

	ASSERT_NE(MAP_FAILED, t);
	baseline(&m0);
	s = served(rx_port(0), 8, st, NULL);
	ASSERT_LT(0, s);
	rx_addr4(&to, "127.0.0.1", rx_port(0), SVC);
	t0 = rx_ms();
	for (k = 0; k < CONN_CLIENTS; k++) {
		int first = k * (n / CONN_CLIENTS);
		int count = k == CONN_CLIENTS - 1 ? n - first : n / CONN_CLIENTS;

		pid[k] = fork();
		ASSERT_LE(0, pid[k]);
		if (pid[k] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			conn_client(first, count, &to, &t[k]);
		}
	}
	for (k = 0; k < CONN_CLIENTS; k++) {
		EXPECT_EQ(0, rx_child_wait(pid[k], 280000));
		ok += t[k].ok;
		busy += t[k].busy;
		other += t[k].other;
	}
	TH_LOG("%d connections from %d clients: %d calls completed, %d busy, %d other, "
	       "in %lld ms; conns listed now %d", n, CONN_CLIENTS, ok, busy, other,
	       rx_ms() - t0, rx_proc_rows("conns"));
	EXPECT_EQ(0, other);
	EXPECT_LE(n * 9 / 10, ok);
	EXPECT_EQ(0, stop_server(rx_port(0), s));
	mem_report(_metadata, &m0);
}

/*
 * Many calls at once on one client socket (RXRPC_FLOOD_CALLS): all sent,
 * then the replies read as they come. A call answered BUSY (the service
 * has a charge per backlog slot) is made again; every call must complete.
 */
TEST_F_TIMEOUT(flood, concurrent_calls_on_one_socket, 200)
{
	int n = env_int("RXRPC_FLOOD_CALLS", 1000), k, done = 0, busy = 0, bad = 0;
	int old = rx_sysctl_read("max_backlog", 10);
	struct rx_svc_stats *st = rx_svc_stats_new();
	unsigned long *gen = calloc(n, sizeof(*gen));
	struct sockaddr_rxrpc to;
	uint8_t buf[256];
	struct rx_mem m0;
	long long t0;
	int fd, peak = 0;
	pid_t s;

	ASSERT_NE(NULL, gen);
	baseline(&m0);
	rx_sysctl_write("max_backlog", 24);
	s = served(rx_port(0), 24, st, NULL);
	rx_sysctl_write("max_backlog", old);
	ASSERT_LT(0, s);
	rx_addr4(&to, "127.0.0.1", rx_port(0), SVC);
	fd = rx_socket(PF_INET);
	ASSERT_LE(0, fd);
	t0 = rx_ms();
	/* id = k + 1 + n * generation */
	for (k = 0; k < n; k++) {
		uint8_t *req = rx_req_make(k, 100, 100);

		ASSERT_EQ(100, rx_send(fd, k + 1, &to, req, 100, 0));
		free(req);
	}
	peak = rx_proc_rows("calls");
	while (done < n) {
		struct rx_res r;
		int m = rx_recv_wait(fd, buf, sizeof(buf), &r);

		if (m < 0) {
			TH_LOG("no message for %d s with %d calls done", RX_POLL_MS / 1000, done);
			break;
		}
		k = (r.id - 1) % n;
		if (!r.has_id || r.id < 1) {
			bad++;
			continue;
		}
		if (r.busy || (r.abort && r.abort_code == RX_ABORT_U32(RX_PROTOCOL_ERROR))) {
			uint8_t *req = rx_req_make(k, 100, 100);

			busy++;
			gen[k]++;
			if (rx_send(fd, k + 1 + n * gen[k], &to, req, 100, 0) != 100)
				bad++;
			free(req);
			continue;
		}
		if (rx_terminal(&r) || m != 100 || !(r.flags & MSG_EOR) ||
		    rx_check(buf, 100, ~(uint32_t)k, 0) != -1) {
			if (bad++ < 5)
				TH_LOG("call %lu: len %d flags %x abort %d code %d", r.id, m,
				       r.flags, r.abort, (int)r.abort_code);
			continue;
		}
		done++;
	}
	TH_LOG("%d concurrent calls on one socket (%d calls listed at the start): "
	       "%d completed in %lld ms, %d BUSY made again, %d wrong",
	       n, peak, done, rx_ms() - t0, busy, bad);
	EXPECT_EQ(n, done);
	EXPECT_EQ(0, bad);
	close(fd);
	EXPECT_EQ(0, stop_server(rx_port(0), s));
	free(gen);
	mem_report(_metadata, &m0);
}

/*
 * 64 client sockets bound to one address share its endpoint; each makes
 * a call at the same time, 4 rounds, byte-exact; then all close.
 */
#define NSOCK 64

TEST_F_TIMEOUT(flood, many_sockets_one_endpoint, 120)
{
	struct rx_svc_stats *st = rx_svc_stats_new();
	struct sockaddr_rxrpc to, ep;
	int fds[NSOCK], k, round, ok = 0, locals;
	struct rx_mem m0;
	uint8_t buf[4096];
	long long t0;
	pid_t s;

	baseline(&m0);
	rx_sysctl_write("max_backlog", 24);
	s = served(rx_port(0), 24, st, NULL);
	rx_sysctl_write("max_backlog", 10);
	ASSERT_LT(0, s);
	rx_addr4(&to, "127.0.0.1", rx_port(0), SVC);
	rx_addr4(&ep, "127.0.0.1", rx_port(1), 0);
	for (k = 0; k < NSOCK; k++) {
		fds[k] = rx_socket(PF_INET);
		ASSERT_LE(0, fds[k]);
		ASSERT_EQ(0, rx_bind(fds[k], &ep));
	}
	locals = rx_proc_rows("locals");
	t0 = rx_ms();
	for (round = 0; round < 4; round++) {
		for (k = 0; k < NSOCK; k++) {
			uint8_t *req = rx_req_make(k * 4 + round, 8 + 37 * k, 50 * k);

			ASSERT_EQ(8 + 37 * k, rx_send(fds[k], round + 1, &to, req, 8 + 37 * k, 0));
			free(req);
		}
		for (k = 0; k < NSOCK; k++) {
			struct rx_res r;
			long n = rx_read_phase(fds[k], round + 1, buf, sizeof(buf), &r);

			if (r.busy) {
				/* No charge left: made again. */
				uint8_t *req = rx_req_make(k * 4 + round, 8 + 37 * k, 50 * k);

				rx_send(fds[k], round + 100, &to, req, 8 + 37 * k, 0);
				free(req);
				n = rx_read_phase(fds[k], round + 100, buf, sizeof(buf), &r);
			}
			if (n == 50 * k && (r.flags & MSG_EOR) &&
			    rx_check(buf, n, ~(uint32_t)(k * 4 + round), 0) == -1)
				ok++;
			else if (ok < 5)
				TH_LOG("socket %d round %d: %ld flags %x abort %d busy %d", k,
				       round, n, r.flags, r.abort, r.busy);
		}
	}
	TH_LOG("%d sockets on one endpoint (%d endpoints listed): %d of %d calls in %lld ms",
	       NSOCK, locals, ok, 4 * NSOCK, rx_ms() - t0);
	EXPECT_EQ(4 * NSOCK, ok);
	for (k = 0; k < NSOCK; k++)
		close(fds[k]);
	EXPECT_EQ(0, stop_server(rx_port(0), s));
	mem_report(_metadata, &m0);
}

TEST_HARNESS_MAIN
