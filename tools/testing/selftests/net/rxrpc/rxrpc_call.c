// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal AF_RXRPC client and server, written as the AF_RXRPC document
 * describes, for demos and for tests that need a peer program.
 *
 *   rxrpc_call server PORT SERVICE [COUNT]   answer COUNT calls (default 1):
 *                                           the reply is "re: " + request
 *   rxrpc_call client ADDR PORT SERVICE TEXT  make one call, print the reply
 *
 * The server charges a user call ID with RXRPC_CHARGE_ACCEPT before each
 * call, as Linux since 4.x expects.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include "rxrpc_test.h"

static int fail(const char *what, int err)
{
	fprintf(stderr, "rxrpc_call: %s: %s\n", what, strerror(-err));
	return 1;
}

/* Describes the terminal error a recvmsg reported, or NULL if none. */
static const char *terminal_error(const struct rx_res *r, char *buf, size_t len)
{
	if (r->abort)
		snprintf(buf, len, "aborted with code %d", (int)r->abort_code);
	else if (r->busy)
		snprintf(buf, len, "server busy");
	else if (r->net_error)
		snprintf(buf, len, "network error: %s", strerror(r->net_error));
	else if (r->local_error)
		snprintf(buf, len, "local error: %s", strerror(r->local_error));
	else
		return NULL;
	return buf;
}

static int server(int port, int service, int count)
{
	unsigned long next_id = 1;
	struct sockaddr_rxrpc srx;
	char req[1024], reply[1100], why[128];
	struct rx_res r;
	int fd, done = 0, n, ret;
	size_t got = 0;

	rx_addr4(&srx, "0.0.0.0", port, service);
	fd = rx_server(&srx, 10, next_id++, 1);
	if (fd < 0)
		return fail("server socket", fd);
	printf("server: listening on UDP %d, service %d\n", port, service);

	while (done < count) {
		n = rx_recv(fd, req + got, sizeof(req) - 1 - got, 0, &r);
		if (n < 0)
			return fail("recvmsg", n);
		if (r.ack || terminal_error(&r, why, sizeof(why))) {
			printf("server: call %lu %s\n", r.id, r.ack ? "complete (final ACK)" : why);
			done++;
			got = 0;
			continue;
		}
		got += n;
		/* The end of the request is a data read without MSG_MORE. */
		if (r.flags & MSG_MORE)
			continue;
		req[got] = 0;
		printf("server: call %lu request \"%s\"\n", r.id, req);
		snprintf(reply, sizeof(reply), "re: %s", req);
		ret = rx_send(fd, r.id, NULL, reply, strlen(reply), 0);
		if (ret < 0)
			return fail("sendmsg reply", ret);
		ret = rx_charge(fd, next_id++);
		if (ret < 0)
			return fail("charge", ret);
		got = 0;
	}
	close(fd);
	return 0;
}

static int client(const char *addr, int port, int service, const char *text)
{
	struct sockaddr_rxrpc srx;
	char reply[1100], why[128];
	struct rx_res r;
	int fd = rx_socket(PF_INET), n;
	size_t got = 0;

	if (fd < 0)
		return fail("socket", -errno);
	rx_addr4(&srx, addr, port, service);
	n = rx_send(fd, 1, &srx, text, strlen(text), 0);
	if (n < 0)
		return fail("sendmsg", n);
	do {
		n = rx_recv(fd, reply + got, sizeof(reply) - 1 - got, 0, &r);
		if (n < 0)
			return fail("recvmsg", n);
		got += n;
	} while (!(r.flags & MSG_EOR));
	if (terminal_error(&r, why, sizeof(why))) {
		fprintf(stderr, "client: call failed: %s\n", why);
		return 1;
	}
	reply[got] = 0;
	printf("client: reply \"%s\"\n", reply);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 4 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]), atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 1);
	if (argc == 6 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
	fprintf(stderr, "usage: rxrpc_call server PORT SERVICE [COUNT]\n"
			"       rxrpc_call client ADDR PORT SERVICE TEXT\n");
	return 2;
}
