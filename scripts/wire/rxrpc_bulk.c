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
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/rxrpc.h>

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

static void set_addr(struct sockaddr_rxrpc *srx, const char *addr, int port, int service)
{
	memset(srx, 0, sizeof(*srx));
	srx->srx_family = AF_RXRPC;
	srx->srx_service = service;
	srx->transport_type = SOCK_DGRAM;
	srx->transport_len = sizeof(srx->transport.sin);
	srx->transport.sin.sin_family = AF_INET;
	srx->transport.sin.sin_port = htons(port);
	inet_pton(AF_INET, addr, &srx->transport.sin.sin_addr);
}

/* sendmsg on call id with an optional dataless command cmsg. */
static int send_on_call(int fd, unsigned long id, struct sockaddr_rxrpc *to,
			const void *data, size_t len, int command, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(id)) + CMSG_SPACE(0)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { (void *)data, len };
	struct msghdr msg = {
		.msg_name = to, .msg_namelen = to ? sizeof(*to) : 0,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = CMSG_SPACE(sizeof(id)) + (command ? CMSG_SPACE(0) : 0),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	memset(&control, 0, sizeof(control));
	cmsg->cmsg_level = SOL_RXRPC;
	cmsg->cmsg_type = RXRPC_USER_CALL_ID;
	cmsg->cmsg_len = CMSG_LEN(sizeof(id));
	memcpy(CMSG_DATA(cmsg), &id, sizeof(id));
	if (command) {
		cmsg = CMSG_NXTHDR(&msg, cmsg);
		cmsg->cmsg_level = SOL_RXRPC;
		cmsg->cmsg_type = command;
		cmsg->cmsg_len = CMSG_LEN(0);
	}
	return sendmsg(fd, &msg, flags);
}

/* Sends all of buf on call id in CHUNK pieces, MSG_MORE on all but the last. */
static int send_all(int fd, unsigned long id, struct sockaddr_rxrpc *to,
		    const uint8_t *buf, size_t len)
{
	size_t off = 0;

	do {
		size_t n = len - off < CHUNK ? len - off : CHUNK;
		int last = off + n == len;
		int r = send_on_call(fd, id, off ? NULL : to, buf + off, n, 0,
				     last ? 0 : MSG_MORE);

		if (r < 0)
			return -1;
		off += r;
		progress_tx = off;
	} while (off < len);
	return 0;
}

struct rx_msg {
	int n, flags, final_ack;
	unsigned long id;
	char error[128];
};

static int receive(int fd, void *buf, size_t len, struct rx_msg *m)
{
	char control[256];
	struct iovec iov = { buf, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;

	m->n = recvmsg(fd, &msg, 0);
	if (m->n < 0)
		return -1;
	m->flags = msg.msg_flags;
	m->final_ack = 0;
	m->error[0] = 0;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_RXRPC)
			continue;
		if (cmsg->cmsg_type == RXRPC_USER_CALL_ID)
			memcpy(&m->id, CMSG_DATA(cmsg), sizeof(m->id));
		else if (cmsg->cmsg_type == RXRPC_ACK)
			m->final_ack = 1;
		else if (cmsg->cmsg_type == RXRPC_ABORT)
			snprintf(m->error, sizeof(m->error), "aborted with code %d",
				 *(int *)CMSG_DATA(cmsg));
		else if (cmsg->cmsg_type == RXRPC_BUSY)
			snprintf(m->error, sizeof(m->error), "server busy");
		else if (cmsg->cmsg_type == RXRPC_NET_ERROR)
			snprintf(m->error, sizeof(m->error), "network error: %s",
				 strerror(*(int *)CMSG_DATA(cmsg)));
		else if (cmsg->cmsg_type == RXRPC_LOCAL_ERROR)
			snprintf(m->error, sizeof(m->error), "local error: %s",
				 strerror(*(int *)CMSG_DATA(cmsg)));
	}
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
	struct rx_msg m;

	if (fd < 0)
		return fail("socket");
	set_addr(&srx, "0.0.0.0", port, service);
	if (bind(fd, (struct sockaddr *)&srx, sizeof(srx)) < 0)
		return fail("bind");
	if (listen(fd, 10) < 0)
		return fail("listen");
	if (send_on_call(fd, next_id++, NULL, NULL, 0, RXRPC_CHARGE_ACCEPT, 0) < 0)
		return fail("charge");
	printf("server: listening on UDP %d, service %d\n", port, service);

	while (done < count) {
		if (got == cap) {
			cap *= 2;
			req = realloc(req, cap);
			if (!req)
				return fail("realloc");
		}
		if (receive(fd, req + got, cap - got, &m) < 0)
			return fail("recvmsg");
		if (m.final_ack || m.error[0] || (m.flags & MSG_EOR)) {
			if (m.error[0] || !m.final_ack) {
				printf("server: call %lu ended: %s\n", m.id,
				       m.error[0] ? m.error : "without final ACK");
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
		got += m.n;
		progress_rx = got;
		if (m.flags & MSG_MORE)
			continue;
		/* The end of the request: a data read without MSG_MORE. */
		printf("server: call %lu request %zu bytes fnv1a %08x\n", m.id, got,
		       fnv1a(req, got));
		for (size_t i = 0; i < got; i++)
			req[i] ^= REPLY_XOR;
		if (send_on_call(fd, next_id++, NULL, NULL, 0, RXRPC_CHARGE_ACCEPT, 0) < 0)
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
	struct rx_msg m = { 0 };
	double t0, dt;

	if (fd < 0)
		return fail("socket");
	if (!req || !reply)
		return fail("malloc");
	for (size_t i = 0; i < len; i++)
		req[i] = pattern(seed, i);
	set_addr(&srx, addr, port, service);
	t0 = now_s();
	if (send_all(fd, 1, &srx, req, len) < 0)
		return fail("sendmsg");
	do {
		if (got == cap) {
			printf("RESULT client FAIL reply longer than %zu bytes\n", cap);
			return 1;
		}
		if (receive(fd, reply + got, cap - got, &m) < 0)
			return fail("recvmsg");
		got += m.n;
		progress_rx = got;
	} while (!(m.flags & MSG_EOR));
	dt = now_s() - t0;
	if (m.error[0]) {
		printf("RESULT client FAIL call ended: %s (sent %zu, received %zu bytes)\n",
		       m.error, (size_t)progress_tx, got);
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
