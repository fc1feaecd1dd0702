// SPDX-License-Identifier: GPL-2.0
/*
 * A bulk AF_RXRPC peer for the wire test (scripts/wire-test.sh): runs on the
 * kernel's C rxrpc.ko against host/udp-driver, the rxrpc-rs engine over a
 * real UDP socket, and speaks that driver's application protocol:
 *
 *   request = LEN bytes, byte i = pattern(seed, i)
 *   reply   = the request, each byte XORed with 0x5A
 *
 * pattern() is host/sim's rng::pattern, so a request from this client is
 * the same bytes the driver's client sends for the same seed.
 *
 *   rxrpc_bulk server PORT SERVICE COUNT [LIMIT_S]
 *	answer COUNT calls (reply = request ^ 0x5A), one at a time; print the
 *	size and FNV-1a of each request and how the call ended.
 *   rxrpc_bulk client ADDR PORT SERVICE LEN [SEED] [LIMIT_S]
 *	make one call with a LEN-byte request, check that the reply is
 *	byte-exact, print the time.
 *
 * Every line of the result starts "RESULT " and says PASS or FAIL. Each run
 * is bounded by alarm(LIMIT_S) (default 120 s): a hung call prints what had
 * been done and fails. Exit 0 only on success.
 */
#include <signal.h>
#include <time.h>
#include "rxrpc_test.h"	/* -I tools/testing/selftests/net/rxrpc */

#ifndef AF_RXRPC
#define AF_RXRPC 33
#endif
#ifndef SOL_RXRPC
#define SOL_RXRPC 272
#endif

#define REPLY_XOR 0x5a
#define CHUNK 65536

static const char *role = "?";
static volatile size_t progress_tx, progress_rx;

static void on_alarm(int sig)
{
	char line[160];
	int n;

	(void)sig;
	n = snprintf(line, sizeof(line),
		     "RESULT %s FAIL timeout (sent %zu, received %zu bytes)\n",
		     role, (size_t)progress_tx, (size_t)progress_rx);
	if (write(1, line, n) < 0)
		_exit(3);
	_exit(3);
}

static uint8_t pattern(uint64_t seed, uint64_t i)
{
	uint64_t x = seed ^ (i * 0x9E3779B97F4A7C15ull);

	return (uint8_t)(x ^ (x >> 29) ^ (x >> 47));
}

static uint32_t fnv1a(const uint8_t *p, size_t len)
{
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sends all of buf on call id in CHUNK pieces, MSG_MORE on all but the last. */
static int send_all(int fd, unsigned long id, struct sockaddr_rxrpc *to,
		    const uint8_t *buf, size_t len)
{
	size_t off = 0;

	do {
		size_t n = len - off < CHUNK ? len - off : CHUNK;
		int last = off + n == len;
		int r = rx_send(fd, id, off ? NULL : to, buf + off, n,
				last ? 0 : MSG_MORE);

		if (r < 0)
			return -1;
		off += r;
		progress_tx = off;
	} while (off < len);
	return 0;
}

static int fail(const char *what)
{
	printf("RESULT %s FAIL %s: %s (sent %zu, received %zu bytes)\n", role, what,
	       strerror(errno), (size_t)progress_tx, (size_t)progress_rx);
	return 1;
}

static int server(int port, int service, int count)
{
	struct sockaddr_rxrpc srx;
	int fd = socket(AF_RXRPC, SOCK_DGRAM, PF_INET);
	unsigned long next_id = 1, cur = 0;
	size_t cap = 1 << 20, got = 0;
	uint8_t *req = malloc(cap);
	int done = 0, bad = 0;
	double t0 = 0;
	struct rx_res m;

	if (fd < 0)
		return fail("socket");
	rx_addr4(&srx, "0.0.0.0", port, service);
	if (bind(fd, (struct sockaddr *)&srx, sizeof(srx)) < 0)
		return fail("bind");
	if (listen(fd, 10) < 0)
		return fail("listen");
	if (rx_charge(fd, next_id++) < 0)
		return fail("charge");
	printf("server: listening on UDP %d, service %d\n", port, service);

	while (done < count) {
		if (got == cap) {
			cap *= 2;
			req = realloc(req, cap);
			if (!req)
				return fail("realloc");
		}
		if (rx_recv(fd, req + got, cap - got, 0, &m) < 0)
			return fail("recvmsg");
		if (rx_terminal(&m) || (m.flags & MSG_EOR)) {
			if (!m.ack) {
				char why[128];

				rx_describe(&m, why, sizeof(why));
				printf("server: call %lu ended: %s\n", m.id, why);
				bad++;
			} else {
				printf("server: call %lu complete (final ACK) %.3f s\n",
				       m.id, now_s() - t0);
			}
			done++;
			got = 0;
			cur = 0;
			progress_rx = progress_tx = 0;
			continue;
		}
		if (!cur) {
			cur = m.id;
			t0 = now_s();
		}
		got += m.len;
		progress_rx = got;
		if (m.flags & MSG_MORE)
			continue;
		/* The end of the request: a data read without MSG_MORE. */
		printf("server: call %lu request %zu bytes fnv1a %08x\n", m.id, got,
		       fnv1a(req, got));
		for (size_t i = 0; i < got; i++)
			req[i] ^= REPLY_XOR;
		if (rx_charge(fd, next_id++) < 0)
			return fail("charge");
		if (send_all(fd, m.id, NULL, req, got) < 0)
			return fail("sendmsg reply");
		got = 0;
	}
	close(fd);
	printf("RESULT server %s %d calls, %d failed\n", bad ? "FAIL" : "PASS", done, bad);
	return bad ? 1 : 0;
}

static int client(const char *addr, int port, int service, size_t len, uint64_t seed)
{
	struct sockaddr_rxrpc srx;
	int fd = socket(AF_RXRPC, SOCK_DGRAM, PF_INET);
	uint8_t *req = malloc(len + 1), *reply = malloc(len + CHUNK);
	size_t got = 0, cap = len + CHUNK;
	struct rx_res m = { 0 };
	double t0, dt;

	if (fd < 0)
		return fail("socket");
	if (!req || !reply)
		return fail("malloc");
	for (size_t i = 0; i < len; i++)
		req[i] = pattern(seed, i);
	rx_addr4(&srx, addr, port, service);
	t0 = now_s();
	if (send_all(fd, 1, &srx, req, len) < 0)
		return fail("sendmsg");
	do {
		if (got == cap) {
			printf("RESULT client FAIL reply longer than %zu bytes\n", cap);
			return 1;
		}
		if (rx_recv(fd, reply + got, cap - got, 0, &m) < 0)
			return fail("recvmsg");
		got += m.len;
		progress_rx = got;
	} while (!(m.flags & MSG_EOR));
	dt = now_s() - t0;
	if (rx_terminal(&m)) {
		char why[128];

		rx_describe(&m, why, sizeof(why));
		printf("RESULT client FAIL call ended: %s (sent %zu, received %zu bytes)\n",
		       why, (size_t)progress_tx, got);
		return 1;
	}
	if (got != len) {
		printf("RESULT client FAIL reply has %zu of %zu bytes\n", got, len);
		return 1;
	}
	for (size_t i = 0; i < len; i++) {
		if (reply[i] != (uint8_t)(req[i] ^ REPLY_XOR)) {
			printf("RESULT client FAIL reply byte %zu is %02x, want %02x\n",
			       i, reply[i], req[i] ^ REPLY_XOR);
			return 1;
		}
	}
	printf("RESULT client PASS %zu bytes each way in %.3f s (%.2f MB/s both ways)"
	       " request fnv1a %08x\n", len, dt, dt > 0 ? 2.0 * len / dt / 1e6 : 0.0,
	       fnv1a(req, len));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGALRM, on_alarm);
	if (argc >= 5 && !strcmp(argv[1], "server")) {
		role = "server";
		alarm(argc > 5 ? atoi(argv[5]) : 120);
		return server(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	}
	if (argc >= 6 && !strcmp(argv[1], "client")) {
		role = "client";
		alarm(argc > 7 ? atoi(argv[7]) : 120);
		return client(argv[2], atoi(argv[3]), atoi(argv[4]),
			      strtoull(argv[5], NULL, 0),
			      argc > 6 ? strtoull(argv[6], NULL, 0) : 1);
	}
	fprintf(stderr, "usage: rxrpc_bulk server PORT SERVICE COUNT [LIMIT_S]\n"
			"       rxrpc_bulk client ADDR PORT SERVICE LEN [SEED] [LIMIT_S]\n");
	return 2;
}
