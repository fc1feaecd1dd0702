// SPDX-License-Identifier: GPL-2.0
/*
 * Torture: while a client and a service run valid calls over loopback,
 * byte-exact, in a loop, forged packets go into their live connection and
 * at both endpoints: a packet socket on lo learns the connection's epoch,
 * connection id, call numbers and serials from the valid traffic, and a
 * raw socket sends with the client's port as source (towards the service)
 * and with the service's port as source (towards the client); a plain UDP
 * socket sends from a port of its own. What is sent: random and truncated
 * datagrams, the live header with every type and flag, ACKs that lie
 * (acks beyond what was sent, nAcks up to 255 with or without the table,
 * firstPacket in the future or past, odd trailers), jumbo DATA abuse (the
 * JUMBO flag on short packets, up to 45 subpackets, a subpacket cut
 * short), wrong epochs, connection ids and source ports, random and
 * truncated CHALLENGE and RESPONSE bodies, ABORT/BUSY/ACKALL/DEBUG/PARAMS/
 * VERSION, and replays of captured packets with other serials.
 *
 * Forged DATA never carries a sequence number that a live call may still
 * accept (unauthenticated RxRPC cannot tell it from the peer's): it goes
 * beyond the window, to past calls, or to other connections; a replay of
 * DATA is whole. So a reply that completes must be byte-exact. A valid
 * call may end early, by a forged ABORT or an abort the forgeries provoke
 * (protocol-correct): those are counted, not failed. Passes if nothing
 * splats (the runner checks the log), no call completes with wrong data,
 * calls complete during the torture and every call after it, and the
 * module's calls and connections go back to what they were once the
 * sockets close. RXRPC_TORTURE_SECONDS sets the length (default 20).
 *
 * Finding (ours fails, C passes): forged DATA on a live client
 * connection's channel, at a call number not yet used there, makes the
 * service a call that never gets data in sequence (SvRcvReq, RxSeq 0 in
 * /proc/net/rxrpc/calls, dumped below). It takes a charge, the service
 * never hears of it, and it does not end within 80 s (the idle timeout was
 * 60 s; its pings go to the real client, whose answers may keep it
 * alive): once the charges are gone every new call gets BUSY. C ends such
 * a call within about a second (next_req_timo), and the service serves.
 */
#include <netinet/ip.h>
#include "rxrpc_test.h"
#include "rxrpc_stress.h"
#include "kselftest_harness.h"

#define SVC 1750
#define FORGED_TTL 17		/* marks our own packets in the capture */
#define RING 64

struct client_stats {
	volatile int stop;
	volatile int calls, ok, aborted, busy, neterr, timedout, wrong, sendfail;
	volatile int32_t last_abort;
};

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state >> 11);
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = rnd();
}

/* What the capture taught: the live connection, and recent packets. */
struct live {
	int valid;
	struct rxh h;			/* the last valid packet's header */
	uint32_t max_call, max_seq, max_serial;
	struct { uint8_t b[1500]; int len, from_client; } ring[RING];
	int nring;
	long captured;
};

static void learn(struct live *L, int cap, int cport, int sport)
{
	static uint8_t pkt[70000];
	uint8_t *rx;
	int sp, dp, n;

	while ((n = rx_cap_next(cap, pkt, sizeof(pkt), &sp, &dp, &rx)) >= 0) {
		struct rxh h;

		if (pkt[8] == FORGED_TTL || n < RXH_LEN)
			continue;
		if (!((sp == cport && dp == sport) || (sp == sport && dp == cport)))
			continue;
		L->captured++;
		rxh_get(rx, &h);
		if (h.type == RXT_DATA || h.type == RXT_ACK) {
			if (!L->valid || h.epoch != L->h.epoch || h.cid != L->h.cid)
				L->max_call = L->max_seq = L->max_serial = 0;
			L->h = h;
			L->valid = 1;
			if (h.call > L->max_call)
				L->max_call = h.call;
			if (h.seq > L->max_seq)
				L->max_seq = h.seq;
			if (h.serial > L->max_serial)
				L->max_serial = h.serial;
		}
		if (n <= 1500) {
			int k = L->nring++ % RING;

			memcpy(L->ring[k].b, rx, n);
			L->ring[k].len = n;
			L->ring[k].from_client = sp == cport;
		}
	}
}

/* Where a forged packet goes. */
enum route { TO_SVC_SPOOF, TO_CLI_SPOOF, TO_SVC_OWN, TO_CLI_OWN, TO_SVC_RANDPORT };

struct inject {
	int raw, udp, cport, sport;
	long sent, failed;
	long by_class[10];
};

static void xmit(struct inject *I, enum route r, const uint8_t *p, size_t len)
{
	int ret;

	switch (r) {
	case TO_SVC_SPOOF:
		ret = rx_raw_send(I->raw, I->cport, I->sport, p, len);
		break;
	case TO_CLI_SPOOF:
		ret = rx_raw_send(I->raw, I->sport, I->cport, p, len);
		break;
	case TO_SVC_OWN:
		ret = rx_udp_send(I->udp, I->sport, p, len);
		break;
	case TO_CLI_OWN:
		ret = rx_udp_send(I->udp, I->cport, p, len);
		break;
	default:
		ret = rx_raw_send(I->raw, 1024 + rnd() % 60000, I->sport, p, len);
		break;
	}
	if (ret < 0)
		I->failed++;
	else
		I->sent++;
}

/* The live header, as seen from the client (to the service) or not. */
static struct rxh live_hdr(const struct live *L, int to_service)
{
	struct rxh h = L->h;

	h.flags = to_service ? RXF_CLIENT_INITIATED : 0;
	h.serial = L->max_serial + 1 + rnd() % 64;
	h.secix = 0;
	return h;
}

/* A sequence number no live call may take: past any window. */
static uint32_t far_seq(const struct live *L)
{
	static const uint32_t s[] = { 0, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff };

	return rnd() % 2 ? L->max_seq + 4096 + rnd() % 100000 : s[rnd() % 5];
}

static void forge_one(struct inject *I, struct live *L)
{
	static uint8_t p[65536];
	int cls = rnd() % 10, to_svc = rnd() % 2, len = RXH_LEN, i;
	enum route route = to_svc ? TO_SVC_SPOOF : TO_CLI_SPOOF;
	struct rxh h = live_hdr(L, to_svc);

	I->by_class[cls]++;
	switch (cls) {
	case 0:	/* random datagrams, often short */
		len = rnd() % 3 ? rnd() % 64 : rnd() % 1600;
		rnd_bytes(p, len);
		xmit(I, rnd() % 5, p, len);
		return;
	case 1:	/* the live header, any type and flags, a random body */
		h.type = rnd() % 16;
		h.flags = rnd();
		h.status = rnd();
		if (rnd() % 4 == 0)
			h.secix = rnd() % 4;
		if (h.type == RXT_DATA)
			h.seq = far_seq(L);
		else if (rnd() % 2)
			h.seq = rnd();
		len = RXH_LEN + (rnd() % 4 ? rnd() % 64 : rnd() % 1500);
		rnd_bytes(p + RXH_LEN, len - RXH_LEN);
		break;
	case 2: {	/* an ACK that lies */
		static const uint32_t firsts[] = { 0, 1, 2, 0x7fffffff, 0xffffffff };
		int nacks = rnd() % 3 ? rnd() % 256 : (rnd() % 2 ? 255 : 0);

		h.type = RXT_ACK;
		h.seq = 0;
		if (rnd() % 3 == 0)
			h.call = L->max_call - rnd() % 3;
		p[RXH_LEN + 0] = rnd();		/* bufferSpace */
		p[RXH_LEN + 1] = rnd();
		p[RXH_LEN + 2] = rnd();		/* maxSkew */
		p[RXH_LEN + 3] = rnd();
		switch (rnd() % 4) {
		case 0:
			rx_put32(p + RXH_LEN + 4, firsts[rnd() % 5]);
			break;
		case 1:
			rx_put32(p + RXH_LEN + 4, L->max_seq + 1 + rnd() % 64);
			break;
		case 2:
			rx_put32(p + RXH_LEN + 4, L->max_seq - rnd() % 8);
			break;
		default:
			rx_put32(p + RXH_LEN + 4, rnd());
		}
		rx_put32(p + RXH_LEN + 8, rnd() % 2 ? rnd() : L->max_serial);	/* previousPacket */
		rx_put32(p + RXH_LEN + 12, rnd() % 2 ? L->max_serial - rnd() % 4 : rnd()); /* serial */
		p[RXH_LEN + 16] = rnd() % 12;	/* reason, 10 and 11 not known */
		p[RXH_LEN + 17] = nacks;
		for (i = 0; i < nacks; i++)
			p[RXH_LEN + 18 + i] = rnd() % 8 ? rnd() % 2 : rnd();
		len = RXH_LEN + 18 + nacks;
		if (rnd() % 4) {	/* 3 pad bytes and the trailer */
			static const uint32_t v[] = { 0, 1, 1444, 65535, 0xffffffff };

			memset(p + len, 0, 3);
			for (i = 0; i < 4; i++)
				rx_put32(p + len + 3 + 4 * i, rnd() % 2 ? v[rnd() % 5] : rnd());
			len += 19;
		}
		if (rnd() % 5 == 0)	/* the table or the trailer cut short */
			len = RXH_LEN + rnd() % (len - RXH_LEN + 1);
		break;
	}
	case 3: {	/* jumbo DATA abuse, never at a seq a live call takes */
		int sub = rnd() % 3 ? 1 + rnd() % 4 : 2 + rnd() % 44, s;

		h.type = RXT_DATA;
		switch (rnd() % 3) {
		case 0:
			h.seq = far_seq(L);
			/*
			 * rxrpc.ko lets a jumbo's subpackets wrap from seq
			 * 2^32 - 1 round to 0, 1, ... of the live call and takes
			 * them as its data (README, rxrpc_torture): a known C
			 * bug, which ours refuses, so C is not fed it.
			 */
			if (h.seq > 0xffffffffu - 64 && !strcmp(rxrpc_impl(), "c"))
				h.seq = 0x80000000u;
			break;
		case 1:	/* a past call */
			h.call = L->max_call - 1 - rnd() % 3;
			h.seq = 1 + rnd() % 4;
			break;
		default: /* another epoch: another connection */
			h.epoch ^= 1 + rnd();
			h.seq = 1 + rnd() % 4;
		}
		h.flags |= RXF_JUMBO | (rnd() % 2 ? RXF_REQUEST_ACK : 0);
		if (rnd() % 3 == 0) {	/* JUMBO on a short packet */
			len = RXH_LEN + rnd() % 1500;
		} else {
			len = RXH_LEN;
			for (s = 0; s < sub && len + 1416 <= 65000; s++) {
				rnd_bytes(p + len, 1412);
				len += 1412;
				if (s + 1 < sub) {
					p[len] = rnd() % 4 ? RXF_JUMBO : rnd();
					p[len + 1] = 0;
					p[len + 2] = rnd();
					p[len + 3] = rnd();
					len += 4;
				}
			}
			if (rnd() % 4 == 0)	/* the last one cut short */
				len -= rnd() % 1412;
		}
		break;
	}
	case 4:	/* wrong epoch, connection id or source port */
		h.type = 1 + rnd() % 13;
		switch (rnd() % 4) {
		case 0:
			h.epoch = rnd();
			break;
		case 1:	/* above the ids a client allocates (< 2^30 << 2) */
			h.cid ^= 0x80000000 | (1 + rnd() % 0xffff) << 2;
			break;
		case 2:
			h.cid = rnd() | 0x80000000;
			break;
		default:
			route = TO_SVC_RANDPORT;
		}
		if (h.type == RXT_DATA) {
			/* A new call on a connection of its own: garbage. */
			h.seq = 1;
			h.flags = RXF_CLIENT_INITIATED | (rnd() % 2 ? RXF_LAST : 0);
			route = to_svc ? route : TO_SVC_RANDPORT;
		}
		len = RXH_LEN + rnd() % 200;
		rnd_bytes(p + RXH_LEN, len - RXH_LEN);
		break;
	case 5:	/* CHALLENGE to the client, RESPONSE to the service */
		h.type = to_svc ? RXT_RESPONSE : RXT_CHALLENGE;
		h.call = 0;
		h.seq = 0;
		h.secix = rnd() % 3 ? 2 : rnd() % 8;
		len = RXH_LEN + (rnd() % 2 ? rnd() % 16 : rnd() % 400);
		rnd_bytes(p + RXH_LEN, len - RXH_LEN);
		if (len >= RXH_LEN + 4 && rnd() % 2)
			rx_put32(p + RXH_LEN, 2);	/* version 2 */
		break;
	case 6: {	/* the other types on the live call (ABORT rarely) */
		static const uint8_t t[] = { RXT_BUSY, RXT_ACKALL, RXT_DEBUG,
					     RXT_PARAMS, RXT_VERSION, RXT_BUSY,
					     RXT_ABORT };
		h.type = t[rnd() % (rnd() % 8 ? 6 : 7)];
		if (h.type == RXT_VERSION && rnd() % 2)
			h.cid = h.call = 0;
		len = RXH_LEN + (rnd() % 2 ? 4 : rnd() % 80);
		rnd_bytes(p + RXH_LEN, len - RXH_LEN);
		break;
	}
	case 7:	/* random sequence numbers in DATA of past calls */
		h.type = RXT_DATA;
		h.call = L->max_call - 1 - rnd() % 8;
		h.seq = rnd() % 2 ? rnd() : 1 + rnd() % 8;
		h.flags |= rnd() % 2 ? RXF_LAST : RXF_REQUEST_ACK;
		len = RXH_LEN + rnd() % 1413;
		rnd_bytes(p + RXH_LEN, len - RXH_LEN);
		break;
	default: {	/* replays of captured packets, other serials */
		int k, from_client;

		if (!L->nring)
			return;
		k = rnd() % (L->nring < RING ? L->nring : RING);
		len = L->ring[k].len;
		from_client = L->ring[k].from_client;
		memcpy(p, L->ring[k].b, len);
		rx_put32(p + 16, rnd() % 2 ? rx_be32(p + 16) + 1 + rnd() % 1000 : rnd());
		/* Only a non-DATA packet is cut short (DATA beyond its header
		 * could fill a hole of a live call with the wrong bytes). */
		if (p[20] != RXT_DATA && rnd() % 3 == 0)
			len = RXH_LEN + rnd() % (len - RXH_LEN + 1);
		else if (p[20] == RXT_DATA && rnd() % 4 == 0)
			len = rnd() % RXH_LEN;
		xmit(I, from_client ? TO_SVC_SPOOF : TO_CLI_SPOOF, p, len);
		return;
	}
	}
	rxh_put(p, &h);
	xmit(I, route, p, len);
}

/* Valid calls in a loop until told to stop (a child process). */
static void client_loop(int fd, const struct sockaddr_rxrpc *to,
			struct client_stats *cs)
{
	unsigned long id = 1000;

	while (!cs->stop) {
		uint32_t seed = rnd() & 0x7fffffff;
		size_t req = 8 + rnd() % 4000;
		uint32_t reply = rnd() % 6000;
		int32_t code;
		enum rx_outcome o = rx_call(fd, id++, to, seed, req, reply, 10, 12000, &code);

		cs->calls++;
		switch (o) {
		case RX_OK:
			cs->ok++;
			break;
		case RX_ABORTED:
			cs->aborted++;
			cs->last_abort = code;
			break;
		case RX_BUSY_END:
			cs->busy++;
			break;
		case RX_NETERR:
			cs->neterr++;
			break;
		case RX_TIMEDOUT:
			cs->timedout++;
			break;
		case RX_WRONG:
			cs->wrong++;
			break;
		default:
			cs->sendfail++;
		}
	}
}

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : def;
}

/* A fixture only for the harness's longer timeout. */
FIXTURE(torture) { int unused; };
FIXTURE_SETUP(torture) { }
FIXTURE_TEARDOWN(torture) { }

TEST_F_TIMEOUT(torture, forged_packets_into_live_calls, 200)
{
	struct sockaddr_rxrpc to, me;
	struct rx_svc_stats *st = rx_svc_stats_new();
	struct client_stats *cs = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct inject I = { 0 };
	struct live *L = calloc(1, sizeof(*L));
	struct rx_mem m0, m1, m2;
	struct timeval tv = { 2, 0 };
	int secs = env_int("RXRPC_TORTURE_SECONDS", 20);
	int pps = env_int("RXRPC_TORTURE_PPS", 4000);
	int srv, cli, cap, ttl = FORGED_TTL, k, after_ok = 0, busy_after = 0, c_dead = 0;
	long long t0, t1, now;
	pid_t server, client;
	int32_t code;

	ASSERT_NE(NULL, st);
	ASSERT_NE(MAP_FAILED, cs);
	ASSERT_NE(NULL, L);
	rnd_state ^= getpid();
	srv = rx_socket(PF_INET);	/* loads the module, for the baseline */
	ASSERT_LE(0, srv);
	close(srv);
	rx_mem_read(&m0);
	I.sport = rx_port(0);
	I.cport = rx_port(1);
	rx_addr4(&to, "127.0.0.1", I.sport, SVC);
	srv = rx_server(&to, 8, 1, 8);
	ASSERT_LE(0, srv) TH_LOG("server: %s", strerror(-srv));
	setsockopt(srv, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	server = rx_serve_fork(srv, 9, 40000, st);
	ASSERT_LT(0, server);
	cli = rx_socket(PF_INET);
	ASSERT_LE(0, cli);
	rx_addr4(&me, "127.0.0.1", I.cport, 0);
	ASSERT_EQ(0, rx_bind(cli, &me));
	cap = rx_cap_open();
	ASSERT_LE(0, cap) TH_LOG("packet socket: %s", strerror(-cap));
	I.raw = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	ASSERT_LE(0, I.raw) TH_LOG("raw socket: %s", strerror(errno));
	I.udp = rx_udp(0);
	ASSERT_LE(0, I.udp);
	setsockopt(I.raw, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	setsockopt(I.udp, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));

	/* Warm up: valid calls, and what the wire shows of them. */
	for (k = 0; k < 3; k++)
		ASSERT_EQ(RX_OK, rx_call(cli, 1 + k, &to, k, 100 + 1500 * k, 2000, 10, 12000, &code));
	learn(L, cap, I.cport, I.sport);
	ASSERT_TRUE(L->valid) TH_LOG("no RxRPC traffic captured");
	TH_LOG("live connection: epoch %08x cid %08x call %u, %ld packets captured",
	       L->h.epoch, L->h.cid, L->max_call, L->captured);

	client = fork();
	ASSERT_LE(0, client);
	if (client == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		rnd_state ^= 0x1234567;
		client_loop(cli, &to, cs);
		_exit(0);
	}

	t0 = rx_ms();
	t1 = t0 + secs * 1000LL;
	while ((now = rx_ms()) < t1) {
		for (k = 0; k < 32; k++)
			forge_one(&I, L);
		learn(L, cap, I.cport, I.sport);
		/* Pace: no more than pps on average. */
		if (I.sent * 1000 > (long)pps * (rx_ms() - t0 + 1))
			usleep(2000);
	}
	now = rx_ms();
	cs->stop = 1;
	TH_LOG("injected %ld packets in %lld ms: %ld/s (%ld not sent); captured %ld valid",
	       I.sent, now - t0, (long)(I.sent * 1000 / (now - t0 + 1)), I.failed, L->captured);
	TH_LOG("classes: random %ld, header %ld, ack %ld, jumbo %ld, epoch/cid/port %ld, "
	       "challenge/response %ld, other types %ld, past data %ld, replays %ld",
	       I.by_class[0], I.by_class[1], I.by_class[2], I.by_class[3], I.by_class[4],
	       I.by_class[5], I.by_class[6], I.by_class[7], I.by_class[8] + I.by_class[9]);
	EXPECT_EQ(0, rx_child_wait(client, 40000));
	TH_LOG("valid calls during: %d, completed %d, aborted %d (last code %d), busy %d, "
	       "net error %d, timed out %d, send failed %d, WRONG %d",
	       cs->calls, cs->ok, cs->aborted, cs->last_abort, cs->busy, cs->neterr,
	       cs->timedout, cs->sendfail, cs->wrong);
	EXPECT_EQ(0, cs->wrong);
	EXPECT_LT(0, cs->ok);

	/*
	 * After: the service still serves, on the old client socket and a new
	 * one. Calls that forged packets started may hold the service's
	 * charges until they time out (a call BUSY meanwhile is tried again).
	 */
	TH_LOG("after the torture: %d calls listed", rx_proc_rows("calls"));
	t0 = rx_ms();
	for (k = 0; k < 16; k++) {
		enum rx_outcome o;

		if (k == 8) {
			close(cli);
			cli = rx_socket(PF_INET);
			ASSERT_LE(0, cli);
		}
		do {
			o = rx_call(cli, 100000 + k * 1000 + busy_after, &to,
				    k == 15 ? RX_STRESS_STOP : 77 + k,
				    8 + 500 * k, 300 * k, 10, 12000, &code);
			if (o == RX_BUSY_END) {
				busy_after++;
				usleep(200000);
			}
			if (busy_after == 25)	/* 5 s of BUSY: what holds the charges */
				rx_proc_dump("calls", 12);
		} while (o == RX_BUSY_END && rx_ms() - t0 < 80000);
		after_ok += o == RX_OK;
		if (o != RX_OK)
			TH_LOG("after: call %d outcome %d code %d", k, o, code);
		/* C: forged packets can leave the old client socket's
		 * connection dead; its calls then fail RX_CALL_DEAD until the
		 * socket is replaced (seen on the release kernel and under
		 * load). Reported, not failed: C's weakness, ours passes. */
		if (k < 8 && o == RX_ABORTED && code == -1 && !strcmp(rxrpc_impl(), "c"))
			c_dead++;
	}
	TH_LOG("after: %d of 16 calls completed in %lld ms (%d BUSY answers first)",
	       after_ok, rx_ms() - t0, busy_after);
	if (c_dead)
		TH_LOG("XFAIL: rxrpc.ko: %d calls on the old client socket failed "
		       "RX_CALL_DEAD after the torture (its connection left dead)", c_dead);
	EXPECT_EQ(16 - c_dead, after_ok);
	EXPECT_EQ(0, rx_child_wait(server, 20000));
	TH_LOG("service: served %d, bad requests %d (forged calls), ended %d (aborted %d), "
	       "send failures %d, exit %d",
	       st->served, st->bad, st->ended, st->aborted, st->send_fail, st->status);
	close(cli);
	close(srv);
	close(cap);
	close(I.raw);
	close(I.udp);
	rx_mem_read(&m1);
	/*
	 * Nothing left live once the sockets are closed. The C module keeps
	 * an idle service connection (and its peer) until it expires
	 * (rxrpc_connection_expiry, 10 min), so only calls count there.
	 */
	EXPECT_TRUE(rx_rows_settle(m0.calls, strcmp(rxrpc_impl(), "c") ? m0.conns : 100000,
				   30000));
	rx_mem_read(&m2);
	TH_LOG("before: " RX_MEM_FMT, RX_MEM_ARGS(m0));
	TH_LOG("closed: " RX_MEM_FMT, RX_MEM_ARGS(m1));
	TH_LOG("after:  " RX_MEM_FMT, RX_MEM_ARGS(m2));
	EXPECT_GT(m0.sunreclaim + RX_SLAB_SLACK_KB, m2.sunreclaim);
	free(L);
}

TEST_HARNESS_MAIN
