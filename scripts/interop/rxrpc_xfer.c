// SPDX-License-Identifier: GPL-2.0
/*
 * rxrpc_xfer: the interop harness's transfer tool (scripts/interop.sh).
 * Built static against the test kernel's uapi headers; runs in both guests.
 *
 *   rxrpc_xfer server PORT SERVICE [UPGRADE_TO|0] [LIMIT_S]
 *	Answers one call. The request must be the pattern of seed 1 (any
 *	length); the reply is the pattern of seed 2, as long as the request.
 *	With UPGRADE_TO, binds SERVICE and UPGRADE_TO and makes SERVICE
 *	upgradeable to UPGRADE_TO (RXRPC_UPGRADEABLE_SERVICE).
 *	Prints "READY" once listening, then one "RESULT server ..." line.
 *   rxrpc_xfer client ADDR PORT SERVICE SIZE LPORT [upgrade|plain] [LIMIT_S]
 *	Makes one call from local UDP port LPORT: SIZE bytes of seed 1,
 *	checks a reply of SIZE bytes of seed 2 and the service id the reply
 *	came from. Prints one "RESULT client ..." line.
 *   rxrpc_xfer barrier PEER NAME LIMIT_S
 *	Plain UDP (port 9999) rendezvous with the peer guest: returns when
 *	both sides have reached NAME, 1 after LIMIT_S seconds.
 *
 * rxkad: "rxrpc_xfer --level N --key HEX server|client ..." secures the
 * call at level N (0 plain, 1 auth, 2 encrypt) with the DES key HEX (16
 * hex digits) as the service's secret: the server puts an "rxrpc_s" key
 * "SERVICE:2" in a keyring (RXRPC_SECURITY_KEYRING) and asks for level N
 * (RXRPC_MIN_SECURITY_LEVEL); the client seals its own ticket with the
 * key (rxrpc_ticket.h) into an "rxrpc" key (RXRPC_SECURITY_KEY) and calls
 * at level N.
 *
 * Every wait is bounded: SO_RCVTIMEO/SO_SNDTIMEO, poll timeouts and an
 * alarm for the whole operation; a timeout prints what had been done.
 */
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include "rxrpc_test.h"	/* -I tools/testing/selftests/net/rxrpc */
#include "rxrpc_ticket.h"

#define CHUNK 65536
#define ABORT_BAD_REQUEST 0x1badda7a

static const char *role = "?";
static int kad_level = -1;	/* rxkad level, -1 for security none */
static uint8_t kad_key[8];	/* the service's DES key */
static const char *phase = "start";
static size_t done_bytes;
static struct timespec t0;

static double elapsed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
}

static void on_alarm(int sig)
{
	char buf[200];
	int n = snprintf(buf, sizeof(buf),
			 "RESULT %s FAIL timeout in %s after %zu bytes (%.1f s)\n",
			 role, phase, done_bytes, elapsed());

	(void)sig;
	if (write(1, buf, n) < 0)
		_exit(3);
	_exit(3);
}

static int die(const char *what, int err)
{
	printf("RESULT %s FAIL %s: %s (in %s after %zu bytes, %.1f s)\n",
	       role, what, strerror(err), phase, done_bytes, elapsed());
	return 1;
}

/* The pattern: byte i of seed s. Not periodic at packet sizes. */
static inline uint8_t pat(uint32_t seed, size_t i)
{
	uint32_t x = (uint32_t)i * 2654435761u + seed * 40503u + (uint32_t)(i >> 11);

	return (uint8_t)(x >> 24 ^ x >> 13);
}

static void fill(uint8_t *p, size_t len, uint32_t seed, size_t off)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pat(seed, off + i);
}

/* FNV-1a, 32 bits, over the whole stream. */
static uint32_t fnv(uint32_t h, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}
#define FNV0 2166136261u

static void set_timeouts(int fd, int secs)
{
	struct timeval tv = { secs, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* sendmsg on call id with an optional dataless command cmsg; -errno. */
static int send_call(int fd, unsigned long id, struct sockaddr_rxrpc *to,
		     const void *data, size_t len, int command, int flags)
{
	struct rx_cmsgs cm;

	rx_cm_init(&cm);
	rx_cm_id(&cm, id);
	if (command)
		rx_cm_flag(&cm, command);
	return rx_sendmsg(fd, to, data, len, &cm, flags);
}

/* Sends len bytes of seed's pattern on call id, MSG_MORE on all but the last. */
static int send_stream(int fd, unsigned long id, struct sockaddr_rxrpc *to,
		       size_t len, uint32_t seed, int command, uint32_t *hash)
{
	static uint8_t buf[CHUNK];
	size_t off = 0;

	*hash = FNV0;
	do {
		size_t n = len - off > CHUNK ? CHUNK : len - off;
		int last = off + n == len;
		ssize_t r;

		fill(buf, n, seed, off);
		*hash = fnv(*hash, buf, n);
		r = send_call(fd, id, off ? NULL : to, buf, n, off ? 0 : command,
			      last ? 0 : MSG_MORE);
		if (r < 0)
			return r;
		if ((size_t)r != n)
			return -EMSGSIZE;
		off += n;
		done_bytes = off;
	} while (off < len);
	return 0;
}

/* Waits for the socket to be readable, up to secs. */
static int wait_in(int fd, int secs)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, secs * 1000);

	if (r < 0)
		return -errno;
	return r == 1 ? 0 : -ETIMEDOUT;
}

/*
 * Reads one call's incoming data phase: checks it against seed's pattern
 * as it comes. Returns the length, or -errno; *bad gets the first wrong
 * offset or -1. On a terminal message, *term holds it and returns -EPROTO.
 */
static long recv_stream(int fd, uint32_t seed, long *bad, uint32_t *hash,
			struct rx_res *m, int idle_s)
{
	static uint8_t buf[CHUNK];
	size_t got = 0;

	*bad = -1;
	*hash = FNV0;
	for (;;) {
		ssize_t n;
		int r = wait_in(fd, idle_s);

		if (r < 0)
			return r;
		n = rx_recv(fd, buf, sizeof(buf), 0, m);
		if (n < 0)
			return n;
		if (rx_terminal(m) && !(m->ack && n > 0))
			return -EPROTO;
		for (ssize_t i = 0; i < n && *bad < 0; i++)
			if (buf[i] != pat(seed, got + i))
				*bad = got + i;
		*hash = fnv(*hash, buf, n);
		got += n;
		done_bytes = got;
		if (!(m->flags & MSG_MORE) || (m->flags & MSG_EOR))
			return got;
	}
}

static int server(int argc, char **argv)
{
	int port = atoi(argv[2]), service = atoi(argv[3]);
	int upgrade_to = argc > 4 ? atoi(argv[4]) : 0;
	int limit = argc > 5 ? atoi(argv[5]) : 120;
	struct sockaddr_rxrpc srx;
	struct rx_res m;
	uint32_t hin, hout;
	long len, bad;
	char why[128];
	int fd, r, tries;

	role = "server";
	alarm(limit);
	fd = socket(AF_RXRPC, SOCK_DGRAM, PF_INET);
	if (fd < 0)
		return die("socket", errno);
	set_timeouts(fd, limit);
	if (kad_level >= 0) {
		uint32_t level = kad_level;

		phase = "rxkad keys";
		if (rxkad_server_ring("rxrpc-xfer", service, kad_key) < 0)
			return die("add_key rxrpc_s", errno);
		if (setsockopt(fd, SOL_RXRPC, RXRPC_SECURITY_KEYRING, "rxrpc-xfer",
			       strlen("rxrpc-xfer")) < 0)
			return die("RXRPC_SECURITY_KEYRING", errno);
		if (setsockopt(fd, SOL_RXRPC, RXRPC_MIN_SECURITY_LEVEL, &level,
			       sizeof(level)) < 0)
			return die("RXRPC_MIN_SECURITY_LEVEL", errno);
	}
	rx_addr4(&srx, "0.0.0.0", port, service);
	phase = "bind";
	/* A closed socket's endpoint may linger for a moment: retry. */
	for (tries = 0; bind(fd, (struct sockaddr *)&srx, sizeof(srx)) < 0; tries++) {
		if (errno != EADDRINUSE || tries >= 100)
			return die("bind", errno);
		usleep(100000);
	}
	if (upgrade_to) {
		unsigned short pair[2] = { service, upgrade_to };

		rx_addr4(&srx, "0.0.0.0", port, upgrade_to);
		if (bind(fd, (struct sockaddr *)&srx, sizeof(srx)) < 0)
			return die("bind second service", errno);
		if (setsockopt(fd, SOL_RXRPC, RXRPC_UPGRADEABLE_SERVICE, pair, sizeof(pair)) < 0)
			return die("RXRPC_UPGRADEABLE_SERVICE", errno);
	}
	if (listen(fd, 4) < 0)
		return die("listen", errno);
	if (rx_charge(fd, 1) < 0)
		return die("charge", errno);
	printf("READY\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);

	phase = "request";
	len = recv_stream(fd, 1, &bad, &hin, &m, limit);
	if (len == -EPROTO) {
		rx_describe(&m, why, sizeof(why));
		printf("RESULT server FAIL request: %s after %zu bytes\n", why, done_bytes);
		return 1;
	}
	if (len < 0)
		return die("request", -len);
	if (m.id != 1) {
		printf("RESULT server FAIL request on user call id %lu, expected 1\n", m.id);
		return 1;
	}
	if (bad >= 0) {
		printf("RESULT server FAIL request byte %ld differs from the pattern (len %ld fnv %08x)\n",
		       bad, len, hin);
		rx_abort(fd, 1, ABORT_BAD_REQUEST);
		return 1;
	}
	printf("server: request %ld bytes fnv %08x ok, service %u, %.2f s\n",
	       len, hin, m.srx.srx_service, elapsed());

	phase = "reply";
	done_bytes = 0;
	r = send_stream(fd, 1, NULL, len, 2, 0, &hout);
	if (r < 0)
		return die("sendmsg reply", -r);

	phase = "final-ack";
	for (;;) {
		static uint8_t junk[256];

		r = wait_in(fd, limit);
		if (r < 0)
			return die("waiting for the final ACK", -r);
		if (rx_recv(fd, junk, sizeof(junk), 0, &m) < 0)
			return die("recvmsg (final ACK)", errno);
		if (rx_terminal(&m))
			break;
	}
	if (!m.ack) {
		rx_describe(&m, why, sizeof(why));
		printf("RESULT server FAIL after the reply: %s\n", why);
		return 1;
	}
	printf("RESULT server ok req %ld fnv %08x reply %ld fnv %08x service %u level %d %.2f s\n",
	       len, hin, len, hout, m.srx.srx_service, kad_level, elapsed());
	close(fd);
	return 0;
}

static int client(int argc, char **argv)
{
	const char *addr = argv[2];
	int port = atoi(argv[3]), service = atoi(argv[4]);
	size_t size = strtoul(argv[5], NULL, 0);
	int lport = atoi(argv[6]);
	int upgrade = argc > 7 && !strcmp(argv[7], "upgrade");
	int limit = argc > 8 ? atoi(argv[8]) : 120;
	struct sockaddr_rxrpc srx, local;
	struct rx_res m;
	uint32_t hout, hin;
	long len, bad;
	char why[128];
	double t;
	int fd, r;

	role = "client";
	alarm(limit);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = socket(AF_RXRPC, SOCK_DGRAM, PF_INET);
	if (fd < 0)
		return die("socket", errno);
	set_timeouts(fd, limit);
	if (kad_level >= 0) {
		uint32_t level = kad_level;

		/* A ticket for admin@RXRPC.TEST, issued a minute ago for 8 h. */
		phase = "rxkad keys";
		if (rxkad_client_key("afs@rxrpc.test", kad_key, "admin", "RXRPC.TEST",
				     60, 96, 1, 0) < 0)
			return die("add_key rxrpc", errno);
		if (setsockopt(fd, SOL_RXRPC, RXRPC_SECURITY_KEY, "afs@rxrpc.test",
			       strlen("afs@rxrpc.test")) < 0)
			return die("RXRPC_SECURITY_KEY", errno);
		if (setsockopt(fd, SOL_RXRPC, RXRPC_MIN_SECURITY_LEVEL, &level,
			       sizeof(level)) < 0)
			return die("RXRPC_MIN_SECURITY_LEVEL", errno);
	}
	rx_addr4(&local, "0.0.0.0", lport, 0);
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		return die("bind local port", errno);
	rx_addr4(&srx, addr, port, service);

	phase = "request";
	r = send_stream(fd, 1, &srx, size, 1, upgrade ? RXRPC_UPGRADE_SERVICE : 0, &hout);
	if (r < 0) {
		/* The call may have ended: say how, if a message says. */
		if (wait_in(fd, 1) == 0 && rx_recv(fd, NULL, 0, 0, &m) >= 0 && rx_terminal(&m)) {
			rx_describe(&m, why, sizeof(why));
			printf("RESULT client FAIL sendmsg request: %s; call: %s\n",
			       strerror(-r), why);
			return 1;
		}
		return die("sendmsg request", -r);
	}

	phase = "reply";
	done_bytes = 0;
	len = recv_stream(fd, 2, &bad, &hin, &m, limit);
	if (len == -EPROTO) {
		rx_describe(&m, why, sizeof(why));
		printf("RESULT client FAIL reply: %s after %zu bytes\n", why, done_bytes);
		return 1;
	}
	if (len < 0)
		return die("reply", -len);
	t = elapsed();
	if (!(m.flags & MSG_EOR)) {
		printf("RESULT client FAIL reply ended without MSG_EOR (flags %#x)\n", m.flags);
		return 1;
	}
	if ((size_t)len != size || bad >= 0) {
		printf("RESULT client FAIL reply %ld bytes (expected %zu), first wrong byte %ld, fnv %08x\n",
		       len, size, bad, hin);
		return 1;
	}
	printf("RESULT client ok req %zu fnv %08x reply %ld fnv %08x service %u level %d %.2f s %.0f KB/s\n",
	       size, hout, len, hin, m.srx.srx_service, kad_level, t,
	       t > 0 ? 2.0 * size / t / 1000 : 0);
	/*
	 * Keep the endpoint for a second: if the final ACK was lost, the
	 * server retransmits or pings, and the stack must answer from the
	 * completed call. Closing at once would turn a lost ACK into an ICMP
	 * port unreachable at the server (ECONNREFUSED on its call).
	 */
	phase = "linger";
	sleep(1);
	close(fd);
	return 0;
}

/* UDP rendezvous on port 9999; see the top of the file. */
static int barrier(char **argv)
{
	const char *name = argv[3];
	int limit = atoi(argv[4]);
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(9999) };
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9999) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), got = 0, peer_got = 0;
	double got_at = 0;
	char out[128], in[128];

	role = "barrier";
	clock_gettime(CLOCK_MONOTONIC, &t0);
	inet_pton(AF_INET, argv[2], &peer.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		return die("barrier socket", errno);
	while (elapsed() < limit) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n;

		snprintf(out, sizeof(out), "%s %d", name, got);
		sendto(fd, out, strlen(out), 0, (struct sockaddr *)&peer, sizeof(peer));
		if (got && (peer_got || elapsed() - got_at > 1.0))
			return 0;
		if (poll(&p, 1, 50) != 1)
			continue;
		while ((n = recv(fd, in, sizeof(in) - 1, MSG_DONTWAIT)) > 0) {
			size_t l = strlen(name);

			in[n] = 0;
			if ((size_t)n < l + 2 || strncmp(in, name, l) || in[l] != ' ')
				continue;
			if (!got)
				got_at = elapsed();
			got = 1;
			if (in[l + 1] == '1')
				peer_got = 1;
		}
	}
	printf("barrier %s: timed out after %d s (got peer: %d)\n", name, limit, got);
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	while (argc > 2 && !strncmp(argv[1], "--", 2)) {
		if (!strcmp(argv[1], "--level")) {
			kad_level = atoi(argv[2]);
		} else if (!strcmp(argv[1], "--key")) {
			if (rxkad_hexkey(argv[2], kad_key) < 0) {
				fprintf(stderr, "--key: 16 hex digits\n");
				return 2;
			}
		} else {
			break;
		}
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	if (argc >= 4 && !strcmp(argv[1], "server"))
		return server(argc, argv);
	if (argc >= 7 && !strcmp(argv[1], "client"))
		return client(argc, argv);
	if (argc == 5 && !strcmp(argv[1], "barrier"))
		return barrier(argv);
	fprintf(stderr, "usage: rxrpc_xfer [--level N --key HEX] server PORT SERVICE [UPGRADE_TO] [LIMIT_S]\n"
			"       rxrpc_xfer [--level N --key HEX] client ADDR PORT SERVICE SIZE LPORT [upgrade|plain] [LIMIT_S]\n"
			"       rxrpc_xfer barrier PEER NAME LIMIT_S\n");
	return 2;
}
