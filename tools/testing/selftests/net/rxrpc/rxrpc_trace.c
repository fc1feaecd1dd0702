// SPDX-License-Identifier: GPL-2.0
/*
 * Tracepoints (TRACE_SYSTEM rxrpc): calls over loopback between a service
 * socket and a client socket, with the module's events on in a tracefs
 * instance of the test's own, then read back from its "trace" file and
 * checked line by line: every DATA and ACK of the call sent and received
 * with the call's epoch:cid:call number:service, a call event with the
 * user call ID, how each side's call ended, an aborted call's abort code
 * in the abort, ABORT packet and rx_abort events, and new connections.
 *
 * The events these check have the C module's names and printed lines, so
 * that they pass on rxrpc.ko too. Ours only: rxrpc_rx_drop (why a packet
 * was dropped, as /proc/net/rxrpc/stats counts it: C has no such event),
 * a packet header's fields as separate fields (C's rxrpc_rx_packet has the
 * header as one struct field, which a filter cannot name), and a
 * connection's debug id being its cid.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/stat.h>
#include "rxrpc_test.h"
#include "kselftest_harness.h"

#define TRACEFS "/sys/kernel/tracing"
#define SVC 0x6c5
#define CHARGE 0x5e0	/* the service's first charged user call ID */
#define NCHARGE 4
#define CALL_ID 0x7e57c0deUL	/* the client's user call ID */
#define ABORT_CODE 0x10203
#define REQ_LEN 8192	/* of the aborted call's request, sent so far */

#define TYPE_DATA 1
#define TYPE_ACK 2
#define TYPE_ABORT 4
#define FLAG_CLIENT 0x01
#define FLAG_LAST 0x04

/* Writes s to a tracefs file; 0 or -errno. */
static int put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* tracefs at TRACEFS, mounted if it is not yet: 0, or -errno. */
static int tracefs(void)
{
	struct stat st;

	if (!stat(TRACEFS "/instances", &st))
		return 0;
	mkdir(TRACEFS, 0755);
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		return -errno;
	return stat(TRACEFS "/instances", &st) ? -errno : 0;
}

FIXTURE(trace) {
	char inst[96];		/* the tracefs instance: its own buffer */
	int srv, cli;
	struct sockaddr_rxrpc to;
	char *log;		/* its trace, read back */
};

FIXTURE_SETUP(trace)
{
	char path[160];
	struct stat st;
	int ret;

	self->srv = self->cli = -1;
	self->inst[0] = 0;
	self->log = NULL;
	ret = tracefs();
	if (ret)
		SKIP(return, "no tracefs at " TRACEFS ": %s", strerror(-ret));
	/* The module loads with the first AF_RXRPC socket. */
	ASSERT_EQ(0, try_socket(SOCK_DGRAM, PF_INET));
	ASSERT_EQ(0, stat(TRACEFS "/events/rxrpc", &st))
		TH_LOG("the module under test has no rxrpc trace events");
	snprintf(self->inst, sizeof(self->inst), TRACEFS "/instances/rxrpc_trace_%d",
		 getpid());
	ASSERT_EQ(0, mkdir(self->inst, 0755)) TH_LOG("%s: %s", self->inst, strerror(errno));
	snprintf(path, sizeof(path), "%s/events/rxrpc/enable", self->inst);
	ASSERT_EQ(0, put(path, "1"));

	rx_addr4(&self->to, "127.0.0.1", rx_port(0), SVC);
	self->srv = rx_server(&self->to, 8, CHARGE, NCHARGE);
	ASSERT_LE(0, self->srv) TH_LOG("server: %s", strerror(-self->srv));
	self->cli = rx_socket(PF_INET);
	ASSERT_LE(0, self->cli);
}

FIXTURE_TEARDOWN(trace)
{
	char path[160];

	if (self->cli >= 0)
		close(self->cli);
	if (self->srv >= 0)
		close(self->srv);
	if (self->inst[0]) {
		snprintf(path, sizeof(path), "%s/events/rxrpc/enable", self->inst);
		put(path, "0");
		rmdir(self->inst);
	}
	free(self->log);
}

/* Reads the instance's trace into self->log (NUL-terminated); 0 or -errno. */
static int read_log(FIXTURE_DATA(trace) *self)
{
	size_t cap = 1 << 16, len = 0;
	char path[160];
	int fd;

	free(self->log);
	self->log = malloc(cap);
	snprintf(path, sizeof(path), "%s/trace", self->inst);
	fd = open(path, O_RDONLY);
	if (fd < 0 || !self->log)
		return -errno;
	for (;;) {
		ssize_t n;

		if (len + 1 == cap) {
			char *more = realloc(self->log, cap * 2);

			if (!more)
				break;
			self->log = more;
			cap *= 2;
		}
		n = read(fd, self->log + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += n;
	}
	self->log[len] = 0;
	close(fd);
	return 0;
}

/*
 * The next line of event `event` in log from *pos on: the text after
 * "<event>: " copied into out (n bytes), 1 if found. Advances *pos.
 */
static int next_event(const char *log, const char **pos, const char *event,
		      char *out, size_t n)
{
	char tag[64];
	const char *p = *pos ? *pos : log;

	const char *hit, *eol;
	size_t len;

	snprintf(tag, sizeof(tag), " %s: ", event);
	hit = strstr(p, tag);
	if (!hit)
		return 0;
	hit += strlen(tag);
	eol = strchrnul(hit, '\n');
	*pos = *eol ? eol + 1 : eol;
	len = (size_t)(eol - hit) < n - 1 ? (size_t)(eol - hit) : n - 1;
	memcpy(out, hit, len);
	out[len] = 0;
	return 1;
}

/* A packet event's fields, as rxrpc_tx_packet and rxrpc_rx_packet print them. */
struct pkt {
	int tx;
	unsigned int call, epoch, cid, callno, svc, serial, seq, type, flags;
	char name[16], where[32];
};

/* A packet type's number from the name the events print. */
static unsigned int type_of(const char *name)
{
	static const char *const names[] = {
		"?00", "DATA", "ACK", "BUSY", "ABORT", "ACKALL", "CHALL", "RESP", "DEBUG",
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return i;
	return 0xff;
}

/* Parses the packet events of the log into p (at most max); returns the count. */
static int packets(const char *log, struct pkt *p, int max)
{
	const char *pos;
	char line[256];
	int n = 0, k;

	for (pos = NULL; n < max && next_event(log, &pos, "rxrpc_tx_packet", line,
					       sizeof(line));) {
		memset(&p[n], 0, sizeof(p[n]));
		p[n].tx = 1;
		k = sscanf(line, "c=%x %x:%x:%x:%x %x %x %x %x %15s %31s",
			   &p[n].call, &p[n].epoch, &p[n].cid, &p[n].callno, &p[n].svc,
			   &p[n].serial, &p[n].seq, &p[n].type, &p[n].flags, p[n].name,
			   p[n].where);
		if (k == 11)
			n++;
	}
	for (pos = NULL; n < max && next_event(log, &pos, "rxrpc_rx_packet", line,
					       sizeof(line));) {
		unsigned int secidx;

		memset(&p[n], 0, sizeof(p[n]));
		k = sscanf(line, "%x:%x:%x:%x %x %x %x %x %15s",
			   &p[n].epoch, &p[n].cid, &p[n].callno, &p[n].svc, &p[n].serial,
			   &p[n].seq, &secidx, &p[n].flags, p[n].name);
		p[n].type = type_of(p[n].name);
		if (k == 9)
			n++;
	}
	return n;
}

/* Counts the packets of p[] with these ids, direction, type and flag bits. */
static int count(const struct pkt *p, int n, const struct pkt *id, int tx,
		 unsigned int type, unsigned int flags_set, unsigned int flags_clear)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		if (p[i].tx == tx && p[i].epoch == id->epoch && p[i].cid == id->cid &&
		    p[i].callno == id->callno && p[i].svc == id->svc &&
		    p[i].type == type && (p[i].flags & flags_set) == flags_set &&
		    !(p[i].flags & flags_clear) && p[i].serial)
			c++;
	return c;
}

/* Whether some line of event `event` contains all of the strings given. */
static int has_line(const char *log, const char *event, const char *a,
		    const char *b)
{
	const char *pos = NULL;
	char line[256];

	while (next_event(log, &pos, event, line, sizeof(line)))
		if (strstr(line, a) && (!b || strstr(line, b)))
			return 1;
	return 0;
}

/*
 * One whole call: the request from the client as call CALL_ID, read by the
 * service as CHARGE; the reply; the reply read to its end by the client,
 * the final ACK by the service. Returns 0 or the line that failed.
 */
static int one_call(FIXTURE_DATA(trace) *self)
{
	char buf[64];
	struct rx_res r;
	long n;

	if (rx_send(self->cli, CALL_ID, &self->to, "ping", 4, 0) != 4)
		return __LINE__;
	n = rx_read_phase(self->srv, CHARGE, buf, sizeof(buf), &r);
	if (n != 4 || memcmp(buf, "ping", 4))
		return __LINE__;
	if (rx_send(self->srv, CHARGE, NULL, "pong", 4, 0) != 4)
		return __LINE__;
	n = rx_read_phase(self->cli, CALL_ID, buf, sizeof(buf), &r);
	if (n != 4 || !(r.flags & MSG_EOR) || rx_terminal(&r))
		return __LINE__;
	if (rx_recv_wait(self->srv, buf, sizeof(buf), &r) != 0 || !r.ack || r.id != CHARGE)
		return __LINE__;
	return 0;
}

/* The client's first DATA packet of the call to SVC, sent: the call's ids. */
static int client_call(const struct pkt *p, int n, struct pkt *id)
{
	int i;

	for (i = 0; i < n; i++)
		if (p[i].tx && p[i].type == TYPE_DATA && p[i].svc == SVC &&
		    (p[i].flags & FLAG_CLIENT) && p[i].seq == 1) {
			*id = p[i];
			return 1;
		}
	return 0;
}

#define MAX_PKTS 4096

/* Every packet of the call, sent and received, with the call's ids. */
TEST_F(trace, call_packets)
{
	struct pkt *p = calloc(MAX_PKTS, sizeof(*p)), id;
	int n;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, one_call(self));
	ASSERT_EQ(0, read_log(self));
	n = packets(self->log, p, MAX_PKTS);
	ASSERT_TRUE(client_call(p, n, &id)) TH_LOG("no DATA to service %#x sent:\n%s",
						   SVC, self->log);
	EXPECT_NE(0, id.cid);
	EXPECT_NE(0, id.callno);
	EXPECT_STREQ("DATA", id.name);
	EXPECT_EQ(id.type, TYPE_DATA);
	/*
	 * The request: its DATA, the last, sent by the client and received;
	 * the reply's by the service (more than one of each if resent).
	 */
	EXPECT_LE(1, count(p, n, &id, 1, TYPE_DATA, FLAG_CLIENT | FLAG_LAST, 0));
	EXPECT_LE(1, count(p, n, &id, 0, TYPE_DATA, FLAG_CLIENT | FLAG_LAST, 0));
	EXPECT_LE(1, count(p, n, &id, 1, TYPE_DATA, FLAG_LAST, FLAG_CLIENT));
	EXPECT_LE(1, count(p, n, &id, 0, TYPE_DATA, FLAG_LAST, FLAG_CLIENT));
	/* ACKs: at least the client's final ACK, sent and received. */
	EXPECT_LE(1, count(p, n, &id, 1, TYPE_ACK, FLAG_CLIENT, 0));
	EXPECT_LE(1, count(p, n, &id, 0, TYPE_ACK, FLAG_CLIENT, 0));
	if (!__test_passed(_metadata) || getenv("RXRPC_TRACE_SHOW"))
		TH_LOG("%s", self->log);
	free(p);
}

/* rxrpc_call: the client's new call with its user call ID, and the charge. */
TEST_F(trace, call_user_id)
{
	const char *pos = NULL;
	char line[256], want[32];
	unsigned int c = 0;
	int found = 0;

	ASSERT_EQ(0, one_call(self));
	ASSERT_EQ(0, read_log(self));
	snprintf(want, sizeof(want), " a=%lx", CALL_ID);
	while (!found && next_event(self->log, &pos, "rxrpc_call", line, sizeof(line)))
		if (strstr(line, "NEW client") && strstr(line, want) &&
		    sscanf(line, "c=%x", &c) == 1)
			found = 1;
	ASSERT_TRUE(found) TH_LOG("no rxrpc_call NEW client a=%lx:\n%s", CALL_ID, self->log);
	/* The service's charge, with its user call ID. */
	snprintf(want, sizeof(want), " a=%x", CHARGE);
	EXPECT_TRUE(has_line(self->log, "rxrpc_call", "NEW prealloc", want))
		TH_LOG("no rxrpc_call NEW prealloc a=%x", CHARGE);
	/* And how the client's call ended. */
	snprintf(line, sizeof(line), "c=%08x Succeeded r=0 ac=0", c);
	EXPECT_TRUE(has_line(self->log, "rxrpc_call_complete", line, NULL))
		TH_LOG("no rxrpc_call_complete %s:\n%s", line, self->log);
}

/* A call the client aborts: the abort code in every event about it. */
TEST_F(trace, aborted_call)
{
	struct pkt *p = calloc(MAX_PKTS, sizeof(*p)), id;
	char *req = calloc(1, REQ_LEN), line[256], want[96];
	const char *pos = NULL;
	unsigned int c, cid, callno, seq;
	int a, e, n, found = 0;
	struct rx_res r;

	ASSERT_NE(NULL, p);
	/*
	 * A request the service has begun to read, not ended: more than a
	 * packet's worth, as a part packet waits for MSG_MORE's rest.
	 */
	ASSERT_NE(NULL, req);
	ASSERT_EQ(REQ_LEN, rx_send(self->cli, CALL_ID, &self->to, req, REQ_LEN, MSG_MORE));
	ASSERT_LT(0, rx_recv_wait(self->srv, req, REQ_LEN, &r));
	ASSERT_EQ(CHARGE, r.id);
	ASSERT_TRUE(r.flags & MSG_MORE);
	ASSERT_EQ(0, rx_abort(self->cli, CALL_ID, ABORT_CODE));
	/* The service reads what came before the abort, then the abort. */
	do
		n = rx_recv_wait(self->srv, req, REQ_LEN, &r);
	while (n > 0 && !rx_terminal(&r));
	ASSERT_EQ(0, n);
	ASSERT_TRUE(r.abort);
	ASSERT_EQ(ABORT_CODE, r.abort_code);
	ASSERT_EQ(0, read_log(self));

	/* rxrpc_abort: ours, by the user, with its code and ECONNABORTED. */
	while (!found && next_event(self->log, &pos, "rxrpc_abort", line, sizeof(line)))
		if (sscanf(line, "c=%x %x:%x s=%u a=%d e=%d %31s", &c, &cid, &callno,
			   &seq, &a, &e, want) == 7 && a == ABORT_CODE)
			found = 1;
	ASSERT_TRUE(found) TH_LOG("no rxrpc_abort a=%d:\n%s", ABORT_CODE, self->log);
	EXPECT_EQ(-ECONNABORTED, e);
	EXPECT_STREQ("call-sendmsg", want);

	/* The ABORT packet, sent by the client for that call and received. */
	n = packets(self->log, p, MAX_PKTS);
	ASSERT_TRUE(client_call(p, n, &id));
	EXPECT_EQ(cid, id.cid);
	EXPECT_EQ(callno, id.callno);
	EXPECT_LE(1, count(p, n, &id, 1, TYPE_ABORT, FLAG_CLIENT, 0));
	EXPECT_LE(1, count(p, n, &id, 0, TYPE_ABORT, FLAG_CLIENT, 0));

	/* rxrpc_rx_abort on the service's side, and how each call ended. */
	snprintf(want, sizeof(want), " ac=%d", ABORT_CODE);
	EXPECT_TRUE(has_line(self->log, "rxrpc_rx_abort", " ABORT ", want))
		TH_LOG("no rxrpc_rx_abort%s", want);
	snprintf(want, sizeof(want), "LocalAbort r=%d ac=%d", -ECONNABORTED, ABORT_CODE);
	EXPECT_TRUE(has_line(self->log, "rxrpc_call_complete", want, NULL)) TH_LOG("no %s", want);
	snprintf(want, sizeof(want), "RemoteAbort r=%d ac=%d", -ECONNABORTED, ABORT_CODE);
	EXPECT_TRUE(has_line(self->log, "rxrpc_call_complete", want, NULL)) TH_LOG("no %s", want);
	if (!__test_passed(_metadata))
		TH_LOG("%s", self->log);
	free(req);
	free(p);
}

/* rxrpc_conn: the call's client and service connections made. */
TEST_F(trace, new_connections)
{
	struct pkt *p = calloc(MAX_PKTS, sizeof(*p)), id;
	const char *pos = NULL;
	char line[256];
	unsigned int conn;
	int n, client = 0, service = 0;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, one_call(self));
	ASSERT_EQ(0, read_log(self));
	n = packets(self->log, p, MAX_PKTS);
	ASSERT_TRUE(client_call(p, n, &id));
	while (next_event(self->log, &pos, "rxrpc_conn", line, sizeof(line))) {
		if (sscanf(line, "C=%x", &conn) != 1)
			continue;
		/* Ours names a connection by its cid; C by a debug id. */
		if (strcmp(rxrpc_impl(), "c") && conn != (id.cid & ~3u))
			continue;
		client |= !!strstr(line, "NEW client");
		service |= !!strstr(line, "NEW service");
	}
	EXPECT_TRUE(client) TH_LOG("no rxrpc_conn NEW client C=%08x:\n%s", id.cid & ~3u,
				   self->log);
	EXPECT_TRUE(service) TH_LOG("no rxrpc_conn NEW service C=%08x", id.cid & ~3u);
	free(p);
}

/* Ours: a header's fields can be filtered on, by their C names. */
TEST_F(trace, packet_fields)
{
	const char *pos = NULL;
	char path[192], line[256], filter[96];
	int n = 0;

	OURS_ONLY("C's rxrpc_rx_packet has the header as one struct field");
	snprintf(path, sizeof(path), "%s/events/rxrpc/rxrpc_rx_packet/filter", self->inst);
	snprintf(filter, sizeof(filter), "type == %d && serviceId == %d && callNumber != 0",
		 TYPE_DATA, SVC);
	ASSERT_EQ(0, put(path, filter));
	ASSERT_EQ(0, one_call(self));
	ASSERT_EQ(0, read_log(self));
	while (next_event(self->log, &pos, "rxrpc_rx_packet", line, sizeof(line))) {
		n++;
		EXPECT_NE(NULL, strstr(line, " DATA")) TH_LOG("filtered out: %s", line);
	}
	/* The request and the reply. */
	EXPECT_EQ(2, n) TH_LOG("%s", self->log);
}

/* Ours: a packet dropped, with why, as /proc/net/rxrpc/stats counts it. */
TEST_F(trace, drop_reason)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(rx_port(0)),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	const char *pos = NULL;
	char line[256];
	int fd, tries, found = 0;

	OURS_ONLY("C has no rxrpc_rx_drop event");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, fd);
	/* Shorter than a header. */
	ASSERT_EQ(5, sendto(fd, "short", 5, 0, (struct sockaddr *)&sin, sizeof(sin)));
	close(fd);
	/* The endpoint's work item takes it in a while. */
	for (tries = 0; !found && tries < 200; tries++) {
		usleep(25000);
		ASSERT_EQ(0, read_log(self));
		pos = NULL;
		while (!found && next_event(self->log, &pos, "rxrpc_rx_drop", line,
					    sizeof(line)))
			found = !!strstr(line, " short");
	}
	EXPECT_TRUE(found) TH_LOG("no rxrpc_rx_drop ... short:\n%s", self->log);
}

TEST_HARNESS_MAIN
