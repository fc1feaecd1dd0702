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

static int fail(const char *what)
{
	fprintf(stderr, "rxrpc_call: %s: %s\n", what, strerror(errno));
	return 1;
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

/*
 * Sends one message on a call: data, the call ID, and optionally a
 * dataless command cmsg (CHARGE_ACCEPT, EXCLUSIVE_CALL, UPGRADE_SERVICE).
 */
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

/*
 * Receives on any call: returns bytes, sets *id, *flags, *final_ack, and
 * *error to a description of a terminal error (abort, busy, net/local error).
 */
static int receive(int fd, void *buf, size_t len, unsigned long *id, int *flags,
		   int *final_ack, char *error, size_t error_len)
{
	char control[256];
	struct iovec iov = { buf, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;
	int n = recvmsg(fd, &msg, 0);

	if (n < 0)
		return n;
	*flags = msg.msg_flags;
	*final_ack = 0;
	*error = 0;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_RXRPC)
			continue;
		if (cmsg->cmsg_type == RXRPC_USER_CALL_ID)
			memcpy(id, CMSG_DATA(cmsg), sizeof(*id));
		else if (cmsg->cmsg_type == RXRPC_ACK)
			*final_ack = 1;
		else if (cmsg->cmsg_type == RXRPC_ABORT)
			snprintf(error, error_len, "aborted with code %d", *(int *)CMSG_DATA(cmsg));
		else if (cmsg->cmsg_type == RXRPC_BUSY)
			snprintf(error, error_len, "server busy");
		else if (cmsg->cmsg_type == RXRPC_NET_ERROR)
			snprintf(error, error_len, "network error: %s", strerror(*(int *)CMSG_DATA(cmsg)));
		else if (cmsg->cmsg_type == RXRPC_LOCAL_ERROR)
			snprintf(error, error_len, "local error: %s", strerror(*(int *)CMSG_DATA(cmsg)));
	}
	return n;
}

static int server(int port, int service, int count)
{
	struct sockaddr_rxrpc srx;
	int fd = socket(AF_RXRPC, SOCK_DGRAM, PF_INET);
	char req[1024], reply[1100];
	unsigned long id, next_id = 1;
	int done = 0, flags, ack;
	char error[128];
	size_t got = 0;

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
		int n = receive(fd, req + got, sizeof(req) - 1 - got, &id, &flags, &ack,
				error, sizeof(error));

		if (n < 0)
			return fail("recvmsg");
		if (ack || *error) {
			printf("server: call %lu %s\n", id, ack ? "complete (final ACK)" : error);
			done++;
			got = 0;
			continue;
		}
		got += n;
		/* The end of the request is a data read without MSG_MORE. */
		if (flags & MSG_MORE)
			continue;
		req[got] = 0;
		printf("server: call %lu request \"%s\"\n", id, req);
		snprintf(reply, sizeof(reply), "re: %s", req);
		if (send_on_call(fd, id, NULL, reply, strlen(reply), 0, 0) < 0)
			return fail("sendmsg reply");
		if (send_on_call(fd, next_id++, NULL, NULL, 0, RXRPC_CHARGE_ACCEPT, 0) < 0)
			return fail("charge");
		got = 0;
	}
	close(fd);
	return 0;
}

static int client(const char *addr, int port, int service, const char *text)
{
	struct sockaddr_rxrpc srx;
	int fd = socket(AF_RXRPC, SOCK_DGRAM, PF_INET);
	char reply[1100];
	unsigned long id;
	int flags, ack, n;
	char error[128];
	size_t got = 0;

	if (fd < 0)
		return fail("socket");
	set_addr(&srx, addr, port, service);
	if (send_on_call(fd, 1, &srx, text, strlen(text), 0, 0) < 0)
		return fail("sendmsg");
	do {
		n = receive(fd, reply + got, sizeof(reply) - 1 - got, &id, &flags, &ack,
			    error, sizeof(error));
		if (n < 0)
			return fail("recvmsg");
		got += n;
	} while (!(flags & MSG_EOR));
	if (*error) {
		fprintf(stderr, "client: call failed: %s\n", error);
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
