// SPDX-License-Identifier: GPL-2.0
/*
 * rxkad (security index 2) calls over loopback, with keys made here: a
 * service keyring holding an "rxrpc_s" key "<service>:2" (a random DES
 * key) and a client "rxrpc" key (v1 payload) wrapping a ticket this test
 * seals with that DES key (rxrpc_ticket.h, rxrpc_des.h). Calls at each
 * level (plain 0, auth 1, encrypt 2) of 0 B to 1 MiB both ways, byte-exact,
 * with the wire checked by a packet socket on lo (security index 2, a
 * CHALLENGE and a RESPONSE, and the request's first DATA packet plaintext,
 * sealed in its first 8 bytes, or all ciphertext, by level); and the
 * refusals: a ticket sealed with another key, an expired ticket, a ticket
 * from the future, a keyring without the service's key, no keyring, a
 * service minimum level above the client's, keyrings changed and swapped.
 * A client key without tokens makes unsecured calls.
 *
 * The abort codes are the C module's (Linux 6.12, net/rxrpc/rxkad.c and
 * security.c); each refusal checks what both the client and the service
 * see.
 */
#include <sys/prctl.h>
#include <signal.h>
#include "rxrpc_ticket.h"
#include "rxrpc_capture.h"
#include "kselftest_harness.h"

#define SVC 1770
#define CHARGE 1000	/* the service's first charged user call ID */
#define NCHARGE 4
#define KVNO 5
#define LIFE 96		/* 8 hours, in 5-minute units */
#define REALM "RXKAD.TEST"
#define GRACE_MS 3000	/* for the service's side, once the client's ended */

/*
 * The key types come with the module: a socket loads it (net-pf-33), for
 * when this program runs alone.
 */
static void __attribute__((constructor)) kad_load_module(void)
{
	int fd = rx_socket(PF_INET);

	if (fd >= 0)
		close(fd);
}

/* A keyring or key name unique to this test process. */
static void kad_name(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "rxkad-test-%d-%s", getpid(), what);
}

/*
 * A listening service socket on srx: keyring ring (none if NULL), minimum
 * security level min_level (not set if 0), charged with NCHARGE ids from
 * CHARGE. Retries a bind that a just-closed socket's endpoint still holds.
 */
static int kad_server(const struct sockaddr_rxrpc *srx, const char *ring, uint32_t min_level)
{
	int fd = rx_socket(PF_INET), ret = 0, i;

	if (fd < 0)
		return -errno;
	if (ring)
		ret = rx_errno(setsockopt(fd, SOL_RXRPC, RXRPC_SECURITY_KEYRING,
					  ring, strlen(ring)));
	if (!ret && min_level)
		ret = rx_errno(setsockopt(fd, SOL_RXRPC, RXRPC_MIN_SECURITY_LEVEL,
					  &min_level, sizeof(min_level)));
	for (i = 0; !ret && i < 100; i++) {
		ret = rx_bind(fd, srx);
		if (ret != -EADDRINUSE)
			break;
		usleep(100000);
	}
	if (!ret)
		ret = rx_errno(listen(fd, 8));
	for (i = 0; !ret && i < NCHARGE; i++)
		ret = rx_charge(fd, CHARGE + i);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

/* A client socket with key key_desc (none if NULL) at level (0 not set). */
static int kad_client(const char *key_desc, uint32_t level)
{
	int fd = rx_socket(PF_INET), ret = 0;

	if (fd < 0)
		return -errno;
	if (key_desc)
		ret = rx_errno(setsockopt(fd, SOL_RXRPC, RXRPC_SECURITY_KEY,
					  key_desc, strlen(key_desc)));
	if (!ret && level)
		ret = rx_errno(setsockopt(fd, SOL_RXRPC, RXRPC_MIN_SECURITY_LEVEL,
					  &level, sizeof(level)));
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

/* How a small call went, on both sides. */
struct outcome {
	int send;		/* the request's sendmsg: bytes or -errno */
	int complete;		/* the reply came whole and the service got its ACK */
	struct rx_res cli;	/* the client's last message (terminal or the reply's end) */
	int srv_seen;		/* the service got any message of the call */
	int srv_data;		/* ... the request's data */
	struct rx_res srv;	/* the service's terminal message, if srv_done */
	int srv_done;
	long ms;		/* how long the client's call took */
	int cli_len;		/* the data of the client's last message */
};

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * A call with a 7-byte request and a 5-byte reply between client socket
 * cli and service socket srv, both watched at once: the service answers
 * the request if it gets it. After the client's call has ended, the
 * service has GRACE_MS to say how its side ended.
 */
static void small_call(int cli, int srv, const struct sockaddr_rxrpc *to,
		       unsigned long id, struct outcome *o)
{
	struct pollfd p[2] = { { .fd = cli, .events = POLLIN },
			       { .fd = srv, .events = POLLIN } };
	int cli_done = 0, reply_ok = 0;
	char buf[256];
	struct rx_res r;
	long t0 = now_ms();

	memset(o, 0, sizeof(*o));
	o->send = rx_send(cli, id, to, "request", 7, 0);
	if (o->send < 0)
		return;
	while (!cli_done || !o->srv_done) {
		int n = poll(p, 2, cli_done ? GRACE_MS : RX_POLL_MS);

		if (n <= 0)
			break;
		if (p[1].revents & POLLIN) {
			n = rx_recv(srv, buf, sizeof(buf), 0, &r);
			if (n >= 0) {
				o->srv_seen = 1;
				if (rx_terminal(&r)) {
					o->srv = r;
					o->srv_done = 1;
				} else {
					o->srv_data += n;
					if (!(r.flags & MSG_MORE))
						rx_send(srv, r.id, NULL, "reply", 5, 0);
				}
			}
		}
		if (p[0].revents & POLLIN) {
			n = rx_recv(cli, buf, sizeof(buf), 0, &r);
			if (n >= 0 && r.has_id && r.id == id &&
			    (rx_terminal(&r) || (r.flags & MSG_EOR))) {
				reply_ok = !rx_terminal(&r) && n == 5 && !memcmp(buf, "reply", 5);
				o->cli = r;
				o->cli_len = n;
				cli_done = 1;
				o->ms = now_ms() - t0;
			}
		}
	}
	o->complete = reply_ok && o->srv_done && o->srv.ack;
}

static void show(struct __test_metadata *_metadata, const char *what,
		 const struct outcome *o)
{
	char c[128], s[128];

	rx_describe(&o->cli, c, sizeof(c));
	if (o->srv_done)
		rx_describe(&o->srv, s, sizeof(s));
	else
		snprintf(s, sizeof(s), "%s", o->srv_seen ? "no terminal message" : "nothing");
	TH_LOG("%s: send %d, complete %d; client: %s (%d B, flags %#x) after %ld ms; service (%d B of request): %s",
	       what, o->send, o->complete, c, o->cli_len, o->cli.flags, o->ms,
	       o->srv_data, s);
}

/*
 * What a packet socket on lo saw of the rxkad traffic to and from a port:
 * DATA packets by security index, CHALLENGEs, RESPONSEs, and how the
 * request's first DATA packet carried its data (seed's pattern): 0 in
 * clear from byte 0, 1 in clear from byte 8 (level 1: a 4-byte header and
 * the first 8 bytes sealed), 2 not in clear at all; -1 if not seen.
 */
struct wire {
	int data, data_kad, data_none, challenge, response, first;
	int aborts;		/* ABORTs from the port */
	int32_t abort_code;	/* the first one's code */
	int abort_ix;		/* the highest security index of them */
};

static void cap_read(int fd, int port, uint32_t seed, struct wire *w)
{
	uint8_t pkt[2048];
	int n;

	memset(w, 0, sizeof(*w));
	w->first = -1;
	while ((n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT)) > 0) {
		int ihl = (pkt[0] & 15) * 4, sport, dport, len;
		uint8_t *rx;
		uint32_t seq;

		if (n < ihl + 8 + 28 || pkt[9] != IPPROTO_UDP)
			continue;
		sport = pkt[ihl] << 8 | pkt[ihl + 1];
		dport = pkt[ihl + 2] << 8 | pkt[ihl + 3];
		if (sport != port && dport != port)
			continue;
		rx = pkt + ihl + 8;
		len = n - ihl - 8 - 28;
		seq = (uint32_t)rx[12] << 24 | rx[13] << 16 | rx[14] << 8 | rx[15];
		switch (rx[20]) {
		case 1:	/* DATA */
			w->data++;
			if (rx[23] == RXKAD_SECURITY_INDEX)
				w->data_kad++;
			else if (rx[23] == 0)
				w->data_none++;
			if (dport == port && seq == 1 && (rx[21] & 1) &&
			    w->first < 0 && len >= 24) {
				if (rx_check(rx + 28, 16, seed, 0) == -1)
					w->first = 0;
				else if (rx_check(rx + 28 + 8, 16, seed, 4) == -1)
					w->first = 1;
				else
					w->first = 2;
			}
			break;
		case 4:
			if (sport == port && len >= 4) {
				if (!w->aborts++)
					w->abort_code = (int32_t)((uint32_t)rx[28] << 24 |
								  rx[29] << 16 |
								  rx[30] << 8 | rx[31]);
				if (rx[23] > w->abort_ix)
					w->abort_ix = rx[23];
			}
			break;
		case 6:
			w->challenge++;
			break;
		case 7:
			w->response++;
			break;
		}
	}
}

/* --- Calls at each level ------------------------------------------------ */

FIXTURE(kad) {
	uint8_t skey[8];
	char ring[64], ckey[64];
	int32_t ckey_serial;
	struct sockaddr_rxrpc to;
	int srv, cli;
	pid_t child;
};

FIXTURE_VARIANT(kad) {
	uint32_t level;
};

FIXTURE_VARIANT_ADD(kad, plain) { .level = RXRPC_SECURITY_PLAIN };
FIXTURE_VARIANT_ADD(kad, auth) { .level = RXRPC_SECURITY_AUTH };
FIXTURE_VARIANT_ADD(kad, encrypt) { .level = RXRPC_SECURITY_ENCRYPT };

FIXTURE_SETUP(kad)
{
	self->srv = self->cli = -1;
	self->child = 0;
	ASSERT_EQ(0, des_self_test());
	rxkad_random_key(self->skey);
	kad_name(self->ring, sizeof(self->ring), "ring");
	kad_name(self->ckey, sizeof(self->ckey), "client");
	ASSERT_LE(0, rxkad_server_ring(self->ring, SVC, self->skey));
	self->ckey_serial = rxkad_client_key(self->ckey, self->skey, "admin", REALM,
					     60, LIFE, KVNO, 0);
	ASSERT_LE(0, self->ckey_serial);
	rx_addr4(&self->to, "127.0.0.1", rx_port(0), SVC);
	self->srv = kad_server(&self->to, self->ring, 0);
	ASSERT_LE(0, self->srv) TH_LOG("service: %s", strerror(-self->srv));
	self->cli = kad_client(self->ckey, variant->level);
	ASSERT_LE(0, self->cli) TH_LOG("client: %s", strerror(-self->cli));
}

FIXTURE_TEARDOWN(kad)
{
	if (self->child > 0)
		kill(self->child, SIGKILL);
	close(self->cli);
	close(self->srv);
}

static const size_t sizes[] = { 0, 1, 1412, 65536, 1 << 20 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
#define MAXSIZE (1 << 20)
#define WIRE_CALL 2	/* the call whose packets are checked (1412 B) */

/*
 * The service in a child: one call per size in turn, the request of
 * size k the pattern of seed k + 1, the reply as long, of seed 100 + k;
 * each call must end with the final ACK. Returns 0 or where it failed.
 */
static int serve_sizes(int fd)
{
	uint8_t *buf = malloc(MAXSIZE + 16);
	struct rx_res r;
	unsigned int k;

	if (!buf)
		return 1;
	for (k = 0; k < NSIZES; k++) {
		unsigned long id = 0;
		size_t got = 0;
		int first = 1;

		do {
			int n = rx_recv_wait(fd, buf + got, MAXSIZE + 16 - got, &r);

			if (n < 0 || rx_terminal(&r) || !r.has_id)
				return 10 + k;
			if (first)
				id = r.id;
			else if (r.id != id)
				return 20 + k;
			first = 0;
			got += n;
		} while (r.flags & MSG_MORE);
		if (got != sizes[k] || rx_check(buf, got, k + 1, 0) != -1)
			return 30 + k;
		rx_charge(fd, CHARGE + NCHARGE + k);
		rx_fill(buf, sizes[k], 100 + k);
		if (rx_send(fd, id, NULL, buf, sizes[k], 0) != (int)sizes[k])
			return 40 + k;
		if (rx_recv_wait(fd, buf, 16, &r) != 0 || !r.ack || r.id != id)
			return 50 + k;
	}
	free(buf);
	return 0;
}

/* Reads call id's reply: len bytes of seed's pattern, MSG_EOR at its end. */
static int read_reply(int fd, unsigned long id, uint8_t *buf, size_t len, uint32_t seed)
{
	size_t got = 0;
	struct rx_res r;
	char why[128];

	do {
		int n = rx_recv_wait(fd, buf + got, MAXSIZE + 16 - got, &r);

		if (n < 0 || !r.has_id || r.id != id || rx_terminal(&r)) {
			rx_describe(&r, why, sizeof(why));
			fprintf(stderr, "# reply of call %lu: %d after %zu B: %s\n",
				id, n, got, why);
			return __LINE__;
		}
		got += n;
		if (!(r.flags & (MSG_EOR | MSG_MORE)))
			return __LINE__;
	} while (!(r.flags & MSG_EOR));
	if (got != len || rx_check(buf, len, seed, 0) != -1)
		return __LINE__;
	return 0;
}

/* 0 B, 1 B, 1412 B, 64 KiB and 1 MiB requests and replies at the level. */
TEST_F_TIMEOUT(kad, sizes, 300)
{
	uint8_t *buf = malloc(MAXSIZE + 16);
	struct wire w = { .first = -1 };
	int status, cap = -1;
	unsigned int k;

	ASSERT_NE(NULL, buf);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(serve_sizes(self->srv));
	}
	for (k = 0; k < NSIZES; k++) {
		int ret;

		if (k == WIRE_CALL) {
			cap = rx_cap_open();
			ASSERT_LE(0, cap) TH_LOG("packet socket: %s", strerror(-cap));
		}
		rx_fill(buf, sizes[k], k + 1);
		ret = rx_send(self->cli, k + 1, &self->to, buf, sizes[k], 0);
		/* The C server aborts a request whose next packet is 250 ms
		 * late (6.12's next_req_timo, see README), as a loaded TCG
		 * guest's encrypted ones can be: its bug, not a finding here. */
		if (ret == -ECONNABORTED && sizes[k] >= 65536 && !strcmp(rxrpc_impl(), "c"))
			SKIP(return, "the C server's 250 ms request-gap timeout aborted the "
			     "%zu B request at level %u (a 6.12 bug)", sizes[k], variant->level);
		ASSERT_EQ((int)sizes[k], ret)
			TH_LOG("request of %zu B at level %u: %s", sizes[k],
			       variant->level, ret < 0 ? strerror(-ret) : "short");
		ASSERT_EQ(0, read_reply(self->cli, k + 1, buf, sizes[k], 100 + k))
			TH_LOG("reply of %zu B at level %u", sizes[k], variant->level);
		if (k == WIRE_CALL) {
			usleep(100000);
			cap_read(cap, rx_port(0), k + 1, &w);
			close(cap);
		}
	}
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("service: status %#x", status);
	free(buf);

	/*
	 * The wire, for the 1412-byte call: its connection is the first
	 * call's, secured before the capture began, so only its DATA is
	 * checked here (handshake_on_the_wire checks the rest).
	 */
	TH_LOG("wire: %d DATA (%d rxkad, %d none), first DATA level %d",
	       w.data, w.data_kad, w.data_none, w.first);
	EXPECT_LT(0, w.data);
	EXPECT_EQ(w.data, w.data_kad);
	EXPECT_EQ((int)variant->level, w.first);
}

/* A new connection: the CHALLENGE and the RESPONSE, then sealed DATA. */
TEST_F(kad, handshake_on_the_wire)
{
	struct outcome o;
	struct wire w;
	int cap = rx_cap_open();

	ASSERT_LE(0, cap) TH_LOG("packet socket: %s", strerror(-cap));
	small_call(self->cli, self->srv, &self->to, 1, &o);
	usleep(100000);
	cap_read(cap, rx_port(0), 0, &w);
	close(cap);
	if (!o.complete)
		show(_metadata, "call", &o);
	ASSERT_EQ(1, o.complete);
	TH_LOG("wire: %d DATA (%d rxkad), %d CHALLENGE, %d RESPONSE",
	       w.data, w.data_kad, w.challenge, w.response);
	EXPECT_LT(0, w.challenge);
	EXPECT_LT(0, w.response);
	EXPECT_LT(0, w.data);
	EXPECT_EQ(w.data, w.data_kad);
}

/*
 * /proc/net/rxrpc/conns after a secured call: the client's connection is
 * "Client" with the serial of the socket's key, the service's "SvSecure"
 * (C shows a key made for the session there: not checked).
 */
TEST_F(kad, conns_in_proc)
{
	char line[512], end[8], state[16], remote[64], port[16];
	unsigned int svid, cid, key;
	int clt = 0, svc = 0;
	struct outcome o;
	FILE *f;

	small_call(self->cli, self->srv, &self->to, 1, &o);
	ASSERT_EQ(1, o.complete);
	f = fopen("/proc/net/rxrpc/conns", "r");
	ASSERT_NE(NULL, f);
	snprintf(port, sizeof(port), ":%d", rx_port(0));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "UDP %*s %63s %x %x %7s %*u %*d %15s %x",
			   remote, &svid, &cid, end, state, &key) != 6 || svid != SVC)
			continue;
		if (!strcmp(end, "Clt")) {
			/* Only ours: its remote is the service's port. */
			size_t n = strlen(remote), m = strlen(port);

			if (n < m || strcmp(remote + n - m, port))
				continue;
			/* Earlier tests' connections may linger. */
			if (key != (unsigned int)self->ckey_serial)
				continue;
			clt++;
			EXPECT_STREQ("Client", state);
		} else if (!strcmp(end, "Svc")) {
			svc++;
			EXPECT_STREQ("SvSecure", state);
		}
	}
	fclose(f);
	EXPECT_LE(1, clt);
	EXPECT_LE(1, svc);
}

/*
 * A key revoked while its call sends: the data still to be secured with it
 * is refused (C checks the key for each packet it secures).
 */
TEST_F(kad, revoked_key_refuses_data)
{
	ASSERT_EQ(1, rx_send(self->cli, 1, &self->to, "a", 1, MSG_MORE));
	ASSERT_EQ(0, syscall(__NR_keyctl, KEYCTL_REVOKE, self->ckey_serial, 0, 0, 0));
	EXPECT_EQ(-EKEYREVOKED, rx_send(self->cli, 1, NULL, "b", 1, 0));
	EXPECT_EQ(0, rx_abort(self->cli, 1, 1));
}

/* --- Refusals ------------------------------------------------------------ */

/*
 * One service and one client for a refusal: the service's keyring holds
 * key skey for service svc_in_ring (none if skey is NULL; no keyring at
 * all if no_ring); the client's ticket is sealed with tkey, issued
 * issue_ago seconds ago for life.
 */
struct refusal {
	const uint8_t *skey;
	int svc_in_ring;
	int no_ring;
	const uint8_t *tkey;
	long issue_ago;
	uint8_t life;
	uint32_t srv_min, cli_level;
};

static void refuse(struct __test_metadata *_metadata, const struct refusal *f,
		   struct outcome *o)
{
	char ring[64], ckey[64];
	struct sockaddr_rxrpc to;
	int srv, cli;

	kad_name(ring, sizeof(ring), "ring");
	kad_name(ckey, sizeof(ckey), "client");
	if (!f->no_ring)
		ASSERT_LE(0, rxkad_server_ring(ring, f->svc_in_ring, f->skey));
	/* The key itself stays valid, whatever the ticket says. */
	ASSERT_LE(0, rxkad_client_key(ckey, f->tkey, "admin", REALM, f->issue_ago,
				      f->life, KVNO, time(NULL) + 3600));
	rx_addr4(&to, "127.0.0.1", rx_port(0), SVC);
	srv = kad_server(&to, f->no_ring ? NULL : ring, f->srv_min);
	ASSERT_LE(0, srv) TH_LOG("service: %s", strerror(-srv));
	cli = kad_client(ckey, f->cli_level);
	ASSERT_LE(0, cli) TH_LOG("client: %s", strerror(-cli));
	small_call(cli, srv, &to, 1, o);
	show(_metadata, "call", o);
	close(cli);
	close(srv);
}

/*
 * The C module's answer to a refused RESPONSE: it aborts the connection
 * with the code, so the client's call ends with RXRPC_ABORT of that code;
 * the service's call (made by the first DATA packet, before the
 * handshake) ends the same way on the charged user id, without data.
 */
static void expect_refused(struct __test_metadata *_metadata,
			   const struct outcome *o, uint32_t code)
{
	EXPECT_EQ(7, o->send);
	EXPECT_EQ(0, o->complete);
	EXPECT_EQ(1, o->cli.abort);
	EXPECT_EQ(code, o->cli.abort_code);
	EXPECT_EQ(0, o->srv_data);
	EXPECT_EQ(1, o->srv_done);
	EXPECT_EQ(1, o->srv.abort);
	EXPECT_EQ(code, o->srv.abort_code);
	EXPECT_TRUE(o->srv.has_id && o->srv.id >= CHARGE && o->srv.id < CHARGE + NCHARGE);
}

/* A ticket sealed with another DES key than the service's: RXKADBADTICKET. */
TEST(wrong_server_key)
{
	uint8_t skey[8], other[8], tkt[RXKAD_TICKET_MAX];
	struct rxkad_ticket t = {
		.name = "admin", .inst = "", .realm = REALM, .life = LIFE,
		.sname = "afs", .sinst = "",
	};
	struct refusal f = { .skey = skey, .svc_in_ring = SVC, .tkey = other,
			     .issue_ago = 60, .life = LIFE,
			     .cli_level = RXRPC_SECURITY_ENCRYPT };
	struct outcome o;
	size_t n;

	rxkad_random_key(skey);
	/*
	 * A wrong key whose ticket the service cannot even read the names of
	 * (all but about one in 200 keys): then C's answer is always the
	 * same. (The rest would get as far as the RESPONSE's checksum.)
	 */
	t.issue = time(NULL) - 60;
	do {
		rxkad_random_key(other);
		n = rxkad_seal_ticket(tkt, &t, other);
	} while (!memcmp(other, skey, 8) || rxkad_ticket_opens(tkt, n, skey));
	refuse(_metadata, &f, &o);
	expect_refused(_metadata, &o, RXKADBADTICKET);
}

/* Issued two hours ago for five minutes: RXKADEXPIRED. */
TEST(expired_ticket)
{
	uint8_t skey[8];
	struct refusal f = { .skey = skey, .svc_in_ring = SVC, .tkey = skey,
			     .issue_ago = 7200, .life = 1,
			     .cli_level = RXRPC_SECURITY_ENCRYPT };
	struct outcome o;

	rxkad_random_key(skey);
	refuse(_metadata, &f, &o);
	expect_refused(_metadata, &o, RXKADEXPIRED);
}

/* Issued an hour from now: C answers RXKADNOAUTH (not yet valid). */
TEST(future_ticket)
{
	uint8_t skey[8];
	struct refusal f = { .skey = skey, .svc_in_ring = SVC, .tkey = skey,
			     .issue_ago = -3600, .life = LIFE,
			     .cli_level = RXRPC_SECURITY_AUTH };
	struct outcome o;

	rxkad_random_key(skey);
	refuse(_metadata, &f, &o);
	expect_refused(_metadata, &o, RXKADNOAUTH);
}

/*
 * The service's keyring holds a key for another service only. C looks
 * the key up with keyring_search(), which answers -EAGAIN (not -ENOKEY)
 * when nothing matches, so its RXKADUNKNOWNKEY case never comes: the
 * answer is RXKADNOAUTH (rxkad_abort_resp_key_rejected). Arguably a bug of
 * the C module; a client sees RXKADNOAUTH from it, so this pins that.
 */
TEST(unknown_service_key)
{
	uint8_t skey[8];
	struct refusal f = { .skey = skey, .svc_in_ring = SVC + 1, .tkey = skey,
			     .issue_ago = 60, .life = LIFE,
			     .cli_level = RXRPC_SECURITY_ENCRYPT };
	struct outcome o;

	rxkad_random_key(skey);
	refuse(_metadata, &f, &o);
	expect_refused(_metadata, &o, RXKADNOAUTH);
}

/* An empty keyring: the same as a keyring without the service's key. */
TEST(empty_keyring)
{
	uint8_t skey[8];
	struct refusal f = { .skey = NULL, .svc_in_ring = SVC, .tkey = skey,
			     .issue_ago = 60, .life = LIFE,
			     .cli_level = RXRPC_SECURITY_PLAIN };
	struct outcome o;

	rxkad_random_key(skey);
	refuse(_metadata, &f, &o);
	expect_refused(_metadata, &o, RXKADNOAUTH);
}

/*
 * A service socket with no keyring: the first secured DATA packet is
 * refused at once (rxrpc_new_incoming_call), no call is made, so the
 * service sees nothing. C meant RXKADUNKNOWNKEY (rxrpc_get_incoming_security
 * says so), but its caller then sets RX_INVALID_OPERATION over it, and
 * sends that ABORT with security index 0, which the client's rxkad
 * connection drops (a packet of the wrong security index), as it drops
 * the RX_PROTOCOL_ERROR ABORTs that answer its next packets: the client's
 * call only ends when it times out (about 5 s), RX_CALL_TIMEOUT. Two bugs
 * of the C module; this pins them.
 */
TEST(c_no_keyring)
{
	uint8_t skey[8];
	struct refusal f = { .no_ring = 1, .tkey = skey, .issue_ago = 60,
			     .life = LIFE, .cli_level = RXRPC_SECURITY_ENCRYPT };
	struct outcome o;
	struct wire w;
	int cap = rx_cap_open();

	C_ONLY();
	ASSERT_LE(0, cap);
	rxkad_random_key(skey);
	refuse(_metadata, &f, &o);
	cap_read(cap, rx_port(0), 0, &w);
	close(cap);
	TH_LOG("wire: %d ABORT from the service, the first with code %d, security index %d",
	       w.aborts, w.abort_code, w.abort_ix);
	EXPECT_EQ(7, o.send);
	EXPECT_EQ(1, o.cli.abort);
	EXPECT_EQ(RX_ABORT_U32(RX_CALL_TIMEOUT), o.cli.abort_code);
	EXPECT_EQ(0, o.srv_seen);
	EXPECT_LT(0, w.aborts);
	EXPECT_EQ(RX_INVALID_OPERATION, w.abort_code);
	EXPECT_EQ(0, w.abort_ix);
}

/* What C meant: the client's call ends with RXKADUNKNOWNKEY. */
TEST(no_keyring)
{
	uint8_t skey[8];
	struct refusal f = { .no_ring = 1, .tkey = skey, .issue_ago = 60,
			     .life = LIFE, .cli_level = RXRPC_SECURITY_ENCRYPT };
	struct outcome o;

	OURS_ONLY("the C client times out (c_no_keyring)");
	rxkad_random_key(skey);
	refuse(_metadata, &f, &o);
	EXPECT_EQ(7, o.send);
	EXPECT_EQ(1, o.cli.abort);
	EXPECT_EQ(RXKADUNKNOWNKEY, o.cli.abort_code);
	EXPECT_EQ(0, o.srv_seen);
}

/*
 * RXRPC_MIN_SECURITY_LEVEL on a service socket: 6.12's C module stores
 * it and never uses it. Its CHALLENGE asks for level 0 and it takes the
 * level the RESPONSE names, so a client at plain level is served by a
 * service that asked for encrypt. That looks like a bug; this pins it.
 */
TEST(c_service_min_level_ignored)
{
	uint8_t skey[8];
	struct refusal f = { .skey = skey, .svc_in_ring = SVC, .tkey = skey,
			     .issue_ago = 60, .life = LIFE,
			     .srv_min = RXRPC_SECURITY_ENCRYPT,
			     .cli_level = RXRPC_SECURITY_PLAIN };
	struct outcome o;

	C_ONLY();
	rxkad_random_key(skey);
	refuse(_metadata, &f, &o);
	EXPECT_EQ(1, o.complete);
}

/*
 * What the option means: the CHALLENGE asks for the service's minimum, a
 * client below it refuses with RXKADLEVELFAIL (rxkad_respond_to_challenge
 * in C), and the service's call ends with that code too.
 */
TEST(service_min_level_above_client)
{
	uint8_t skey[8];
	struct refusal f = { .skey = skey, .svc_in_ring = SVC, .tkey = skey,
			     .issue_ago = 60, .life = LIFE,
			     .srv_min = RXRPC_SECURITY_ENCRYPT,
			     .cli_level = RXRPC_SECURITY_AUTH };
	struct outcome o;

	OURS_ONLY("the C service ignores its minimum level (c_service_min_level_ignored)");
	rxkad_random_key(skey);
	refuse(_metadata, &f, &o);
	expect_refused(_metadata, &o, RXKADLEVELFAIL);
}

/* A client key without tokens: calls go unsecured, even to a keyed service. */
TEST(client_key_without_tokens)
{
	char ring[64], ckey[64];
	struct sockaddr_rxrpc to;
	uint8_t skey[8];
	struct outcome o;
	struct wire w;
	int srv, cli, cap;

	rxkad_random_key(skey);
	kad_name(ring, sizeof(ring), "ring");
	kad_name(ckey, sizeof(ckey), "anon");
	ASSERT_LE(0, rxkad_server_ring(ring, SVC, skey));
	ASSERT_LE(0, add_key("rxrpc", ckey, NULL, 0, KEY_SPEC_PROCESS_KEYRING));
	rx_addr4(&to, "127.0.0.1", rx_port(0), SVC);
	srv = kad_server(&to, ring, 0);
	ASSERT_LE(0, srv);
	cli = kad_client(ckey, 0);
	ASSERT_LE(0, cli);
	cap = rx_cap_open();
	ASSERT_LE(0, cap);
	small_call(cli, srv, &to, 1, &o);
	usleep(100000);
	cap_read(cap, rx_port(0), 0, &w);
	if (!o.complete)
		show(_metadata, "call", &o);
	EXPECT_EQ(1, o.complete);
	TH_LOG("wire: %d DATA (%d rxkad, %d none), %d CHALLENGE", w.data,
	       w.data_kad, w.data_none, w.challenge);
	EXPECT_LT(0, w.data);
	EXPECT_EQ(w.data, w.data_none);
	EXPECT_EQ(0, w.challenge);
	close(cap);
	close(cli);
	close(srv);
}

/* The keyring is set once, before bind: EINVAL, then EISCONN. */
TEST(keyring_set_once_before_bind)
{
	char ring[64], ring2[64];
	struct sockaddr_rxrpc to;
	uint8_t skey[8];
	int fd;

	rxkad_random_key(skey);
	kad_name(ring, sizeof(ring), "ring");
	kad_name(ring2, sizeof(ring2), "ring2");
	ASSERT_LE(0, rxkad_server_ring(ring, SVC, skey));
	ASSERT_LE(0, rxkad_server_ring(ring2, SVC, skey));
	fd = rx_socket(PF_INET);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rx_errno(setsockopt(fd, SOL_RXRPC, RXRPC_SECURITY_KEYRING,
					 ring, strlen(ring))));
	EXPECT_EQ(-EINVAL, rx_errno(setsockopt(fd, SOL_RXRPC, RXRPC_SECURITY_KEYRING,
					       ring2, strlen(ring2))));
	close(fd);
	rx_addr4(&to, "127.0.0.1", rx_port(0), SVC);
	fd = kad_server(&to, NULL, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EISCONN, rx_errno(setsockopt(fd, SOL_RXRPC, RXRPC_SECURITY_KEYRING,
						ring, strlen(ring))));
	close(fd);
}

/*
 * The keyring is searched at each RESPONSE: a key added to it while the
 * service listens serves the next connection (a new client socket: a new
 * connection), where the one before was refused.
 */
TEST(key_added_while_listening)
{
	char ring[64], ckey[64], desc[16];
	struct sockaddr_rxrpc to;
	key_serial_t kr;
	uint8_t skey[8];
	struct outcome o;
	int srv, cli;

	rxkad_random_key(skey);
	kad_name(ring, sizeof(ring), "ring");
	kad_name(ckey, sizeof(ckey), "client");
	kr = rxkad_server_ring(ring, SVC, NULL);
	ASSERT_LE(0, kr);
	ASSERT_LE(0, rxkad_client_key(ckey, skey, "admin", REALM, 60, LIFE, KVNO, 0));
	rx_addr4(&to, "127.0.0.1", rx_port(0), SVC);
	srv = kad_server(&to, ring, 0);
	ASSERT_LE(0, srv);

	cli = kad_client(ckey, RXRPC_SECURITY_ENCRYPT);
	ASSERT_LE(0, cli);
	small_call(cli, srv, &to, 1, &o);
	show(_metadata, "before", &o);
	EXPECT_EQ(0, o.complete);
	EXPECT_EQ(1, o.cli.abort);
	close(cli);

	snprintf(desc, sizeof(desc), "%d:2", SVC);
	ASSERT_LE(0, add_key("rxrpc_s", desc, skey, 8, kr));
	/* The service recharges the id the refused call took. */
	if (o.srv_done && o.srv.has_id)
		rx_charge(srv, o.srv.id);
	cli = kad_client(ckey, RXRPC_SECURITY_ENCRYPT);
	ASSERT_LE(0, cli);
	small_call(cli, srv, &to, 2, &o);
	if (!o.complete)
		show(_metadata, "after", &o);
	EXPECT_EQ(1, o.complete);
	close(cli);
	close(srv);
}

/*
 * The service socket is replaced, on the same port, by one with another
 * keyring (another DES key): a ticket sealed with the old key is refused
 * with RXKADBADTICKET, one sealed with the new key is served.
 */
TEST(keyring_swapped)
{
	char ring1[64], ring2[64], ckey1[64], ckey2[64];
	uint8_t k1[8], k2[8], tkt[RXKAD_TICKET_MAX];
	struct rxkad_ticket t = {
		.name = "admin", .inst = "", .realm = REALM, .life = LIFE,
		.sname = "afs", .sinst = "",
	};
	struct sockaddr_rxrpc to;
	struct outcome o;
	int srv, cli;
	size_t n;

	rxkad_random_key(k1);
	/* As in wrong_server_key: k2 cannot open k1's tickets. */
	t.issue = time(NULL) - 60;
	n = rxkad_seal_ticket(tkt, &t, k1);
	do
		rxkad_random_key(k2);
	while (!memcmp(k1, k2, 8) || rxkad_ticket_opens(tkt, n, k2));
	kad_name(ring1, sizeof(ring1), "ring1");
	kad_name(ring2, sizeof(ring2), "ring2");
	kad_name(ckey1, sizeof(ckey1), "client1");
	kad_name(ckey2, sizeof(ckey2), "client2");
	ASSERT_LE(0, rxkad_server_ring(ring1, SVC, k1));
	ASSERT_LE(0, rxkad_server_ring(ring2, SVC, k2));
	ASSERT_LE(0, rxkad_client_key(ckey1, k1, "admin", REALM, 60, LIFE, KVNO, 0));
	ASSERT_LE(0, rxkad_client_key(ckey2, k2, "admin", REALM, 60, LIFE, KVNO, 0));
	rx_addr4(&to, "127.0.0.1", rx_port(0), SVC);

	srv = kad_server(&to, ring1, 0);
	ASSERT_LE(0, srv);
	cli = kad_client(ckey1, RXRPC_SECURITY_ENCRYPT);
	ASSERT_LE(0, cli);
	small_call(cli, srv, &to, 1, &o);
	if (!o.complete)
		show(_metadata, "first keyring", &o);
	EXPECT_EQ(1, o.complete);
	close(cli);
	close(srv);

	srv = kad_server(&to, ring2, 0);
	ASSERT_LE(0, srv) TH_LOG("second service: %s", strerror(-srv));
	cli = kad_client(ckey1, RXRPC_SECURITY_ENCRYPT);
	ASSERT_LE(0, cli);
	small_call(cli, srv, &to, 1, &o);
	show(_metadata, "old ticket", &o);
	expect_refused(_metadata, &o, RXKADBADTICKET);
	close(cli);
	if (o.srv_done && o.srv.has_id)
		rx_charge(srv, o.srv.id);
	cli = kad_client(ckey2, RXRPC_SECURITY_ENCRYPT);
	ASSERT_LE(0, cli);
	small_call(cli, srv, &to, 2, &o);
	if (!o.complete)
		show(_metadata, "new ticket", &o);
	EXPECT_EQ(1, o.complete);
	close(cli);
	close(srv);
}

TEST_HARNESS_MAIN
