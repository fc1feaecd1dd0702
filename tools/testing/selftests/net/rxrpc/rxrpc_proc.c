// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/rxrpc/{calls,conns,bundles,peers,locals,stats}: the headers
 * and column layout of the C module (net/rxrpc/proc.c, Linux 6.12), a call
 * in progress listed on both sides, the counters of a call, rows gone once
 * the sockets close, and one namespace not listing another's endpoints.
 * Nothing asserts on timing: what may take a while is polled, with a
 * generous bound.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "rxrpc_test.h"
#include "kselftest_harness.h"

#define SVC 0x709		/* %4x: " 709" */
#define POLL_TRIES 600		/* of POLL_US each: 30 s */
#define POLL_US 50000

#define HDR_ADDRS \
	"Proto Local                                          " \
	" Remote                                         "

static const struct {
	const char *name;
	const char *header;
} files[] = {
	{ "calls", HDR_ADDRS " SvID ConnID   CallID   End Use State    Abort   "
		   " DebugId  TxSeq    TW RxSeq    RW RxSerial CW RxTimo\n" },
	{ "conns", HDR_ADDRS " SvID ConnID   End Ref Act State    Key     "
		   " Serial   ISerial  CallId0  CallId1  CallId2  CallId3\n" },
	{ "bundles", HDR_ADDRS " SvID Ref Act Flg Key      |"
		     " Bundle   Conn_0   Conn_1   Conn_2   Conn_3\n" },
	{ "peers", HDR_ADDRS " Use SST   MTU LastUse      RTT      RTO\n" },
	{ "locals", "Proto Local                                          "
		    " Use Act RxQ\n" },
};

/* Columns of the remote address and service id, as in the headers. */
#define REMOTE_COL 54
#define SVID_COL 102

/* The whole of /proc/net/rxrpc/<name>, NUL-terminated (free it), or NULL. */
static char *proc_read(const char *name)
{
	size_t cap = 4096, len = 0;
	char path[64], *buf = malloc(cap);
	int fd;

	snprintf(path, sizeof(path), "/proc/net/rxrpc/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *more = realloc(buf, cap * 2);

			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = 0;
	close(fd);
	return buf;
}

#define MAX_TOK 24

/* A row: the raw line, and its whitespace-separated fields. */
struct row {
	char line[512];
	char store[512];	/* the fields point in here */
	char *tok[MAX_TOK];
	int ntok;
};

static void split(struct row *r, const char *line, size_t len)
{
	char *save = NULL, *t;

	if (len >= sizeof(r->line))
		len = sizeof(r->line) - 1;
	memcpy(r->line, line, len);
	r->line[len] = 0;
	memcpy(r->store, r->line, len + 1);
	r->ntok = 0;
	for (t = strtok_r(r->store, " ", &save); t && r->ntok < MAX_TOK;
	     t = strtok_r(NULL, " ", &save))
		r->tok[r->ntok++] = t;
}

/*
 * Finds the first row of text (after the header) whose local address is
 * local and, if remote is not NULL, whose remote address is remote.
 * Returns 1 and fills *r if found.
 */
static int find_row(const char *text, const char *local, const char *remote,
		    struct row *r)
{
	const char *p = strchr(text, '\n');

	while (p && *++p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		split(r, p, len);
		if (r->ntok >= 2 && !strcmp(r->tok[0], "UDP") &&
		    !strcmp(r->tok[1], local) &&
		    (!remote || (r->ntok >= 3 && !strcmp(r->tok[2], remote))))
			return 1;
		p = end;
	}
	return 0;
}

/* Whether /proc/net/rxrpc/<name> has a row for local (and remote). */
static int has_row(const char *name, const char *local, const char *remote)
{
	char *text = proc_read(name);
	struct row r;
	int found;

	if (!text)
		return -1;
	found = find_row(text, local, remote, &r);
	free(text);
	return found;
}

/* The counters of /proc/net/rxrpc/stats that both modules keep. */
struct stats {
	unsigned long long send, sendf, fail;
	unsigned long long tx_nr, tx_retrans, tx_uf, tx_cwr;
	unsigned long long rx_nr, rx_reqack, rx_jumbo;
	unsigned long long ack_fill, ack_send, ack_skip;
	unsigned long long ack_tx[9], ack_rx[9];
	unsigned long long txb, rxb, loops;
};

static unsigned long long sum9(const unsigned long long *v)
{
	unsigned long long s = 0;
	int i;

	for (i = 0; i < 9; i++)
		s += v[i];
	return s;
}

/* Parses stats; returns the number of lines recognised (10 expected). */
static int read_stats(struct stats *st)
{
	char *text = proc_read("stats"), *line, *save = NULL;
	int ok = 0;

	memset(st, 0, sizeof(*st));
	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long *a;

		if (sscanf(line, "Data     : send=%llu sendf=%llu fail=%llu",
			   &st->send, &st->sendf, &st->fail) == 3)
			ok++;
		else if (sscanf(line, "Data-Tx  : nr=%llu retrans=%llu uf=%llu cwr=%llu",
				&st->tx_nr, &st->tx_retrans, &st->tx_uf, &st->tx_cwr) == 4)
			ok++;
		else if (sscanf(line, "Data-Rx  : nr=%llu reqack=%llu jumbo=%llu",
				&st->rx_nr, &st->rx_reqack, &st->rx_jumbo) == 3)
			ok++;
		else if (sscanf(line, "Ack      : fill=%llu send=%llu skip=%llu",
				&st->ack_fill, &st->ack_send, &st->ack_skip) == 3)
			ok++;
		else if ((a = st->ack_tx, !strncmp(line, "Ack-Tx   : ", 11)) ||
			 (a = st->ack_rx, !strncmp(line, "Ack-Rx   : ", 11))) {
			if (sscanf(line + 11,
				   "req=%llu dup=%llu oos=%llu exw=%llu nos=%llu png=%llu prs=%llu dly=%llu idl=%llu",
				   &a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &a[6],
				   &a[7], &a[8]) == 9)
				ok++;
		} else if (!strncmp(line, "Why-Req-A: ", 11)) {
			ok++;
		} else if (sscanf(line, "Buffers  : txb=%llu rxb=%llu",
				  &st->txb, &st->rxb) == 2) {
			ok++;
		} else if (sscanf(line, "IO-thread: loops=%llu", &st->loops) == 1) {
			ok++;
		}
	}
	free(text);
	return ok;
}

static void addr_str(char *buf, size_t len, const struct sockaddr_rxrpc *srx)
{
	char ip[INET6_ADDRSTRLEN];

	if (srx->transport.family == AF_INET6) {
		inet_ntop(AF_INET6, &srx->transport.sin6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%d", ip, ntohs(srx->transport.sin6.sin6_port));
	} else {
		inet_ntop(AF_INET, &srx->transport.sin.sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%d", ip, ntohs(srx->transport.sin.sin_port));
	}
}

/* A client socket bound to 127.0.0.1:port (so that its address is known). */
static int bound_client(int port)
{
	struct sockaddr_rxrpc me;
	int fd = rx_socket(PF_INET);

	if (fd < 0)
		return -errno;
	rx_addr4(&me, "127.0.0.1", port, 0);
	if (rx_bind(fd, &me)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* With RXRPC_PROC_DUMP set, prints every file (to see what they show). */
static void dump_all(void)
{
	static const char *const names[] = {
		"calls", "conns", "bundles", "peers", "locals", "stats",
	};
	size_t i;

	if (!getenv("RXRPC_PROC_DUMP"))
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *text = proc_read(names[i]);

		printf("# ---- /proc/net/rxrpc/%s\n%s", names[i], text ? text : "(unreadable)\n");
		free(text);
	}
	fflush(stdout);
}

/* Polls until the local address has no row in calls; 1 once gone. */
static int calls_gone(const char *local)
{
	int i;

	for (i = 0; i < POLL_TRIES; i++) {
		if (has_row("calls", local, NULL) == 0)
			return 1;
		usleep(POLL_US);
	}
	return 0;
}

TEST(files_and_headers)
{
	int fd = rx_socket(PF_INET);	/* loads the module */
	struct stat sb;
	size_t i;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, stat("/proc/net/rxrpc", &sb));
	EXPECT_TRUE(S_ISDIR(sb.st_mode));
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text = proc_read(files[i].name);
		size_t hl = strlen(files[i].header);

		ASSERT_NE(NULL, text) TH_LOG("%s: %s", files[i].name, strerror(errno));
		EXPECT_EQ(0, strncmp(text, files[i].header, hl))
			TH_LOG("%s header: %.*s", files[i].name, (int)hl, text);
		free(text);
	}
	close(fd);
}

/*
 * A call whose request has arrived and is not answered yet: listed on both
 * sides in calls (service id in hex, Svc/Clt, the same connection and call
 * ids), and its endpoints, peers and connection in the other files.
 */
TEST(call_in_progress)
{
	char sa[64], ca[64], buf[16];
	struct sockaddr_rxrpc srv;
	struct row sr, cr, r;
	struct rx_res res;
	unsigned long cid;
	char *text;
	int s, c;

	rx_addr4(&srv, "127.0.0.1", rx_port(0), SVC);
	s = rx_server(&srv, 4, 100, 1);
	ASSERT_LE(0, s) TH_LOG("server: %s", strerror(-s));
	c = bound_client(rx_port(1));
	ASSERT_LE(0, c);
	snprintf(sa, sizeof(sa), "127.0.0.1:%d", rx_port(0));
	snprintf(ca, sizeof(ca), "127.0.0.1:%d", rx_port(1));

	ASSERT_EQ(5, rx_send(c, 1, &srv, "hello", 5, 0));
	ASSERT_EQ(5, rx_recv_wait(s, buf, sizeof(buf), &res));
	ASSERT_EQ(100, res.id);

	dump_all();
	text = proc_read("calls");
	ASSERT_NE(NULL, text);
	ASSERT_TRUE(find_row(text, sa, ca, &sr)) TH_LOG("no service call row:\n%s", text);
	ASSERT_TRUE(find_row(text, ca, sa, &cr)) TH_LOG("no client call row:\n%s", text);
	free(text);
	ASSERT_LE(9, sr.ntok);
	ASSERT_LE(9, cr.ntok);
	EXPECT_STREQ("709", sr.tok[3]);
	EXPECT_STREQ("709", cr.tok[3]);
	EXPECT_EQ(0, strncmp(sr.line + SVID_COL, " 709 ", 5)) TH_LOG("%s", sr.line);
	EXPECT_EQ(0, strncmp(sr.line + REMOTE_COL, ca, strlen(ca))) TH_LOG("%s", sr.line);
	EXPECT_EQ(0, strncmp(cr.line + REMOTE_COL, sa, strlen(sa))) TH_LOG("%s", cr.line);
	EXPECT_STREQ("Svc", sr.tok[6]);
	EXPECT_STREQ("Clt", cr.tok[6]);
	/* The same call: its connection id and channel, and call number. */
	EXPECT_STREQ(sr.tok[4], cr.tok[4]);
	EXPECT_STREQ(sr.tok[5], cr.tok[5]);
	EXPECT_STRNE("Complete", cr.tok[8]);
	EXPECT_STRNE("Complete", sr.tok[8]);
	cid = strtoul(cr.tok[4], NULL, 16);
	EXPECT_NE(0, cid);

	text = proc_read("conns");
	ASSERT_NE(NULL, text);
	EXPECT_TRUE(find_row(text, ca, sa, &r)) TH_LOG("no client conn:\n%s", text);
	if (r.ntok > 6) {
		EXPECT_STREQ("709", r.tok[3]);
		EXPECT_EQ(cid & ~3UL, strtoul(r.tok[4], NULL, 16));
		EXPECT_STREQ("Clt", r.tok[5]);
	}
	EXPECT_TRUE(find_row(text, sa, ca, &r)) TH_LOG("no service conn:\n%s", text);
	if (r.ntok > 6) {
		EXPECT_EQ(cid & ~3UL, strtoul(r.tok[4], NULL, 16));
		EXPECT_STREQ("Svc", r.tok[5]);
	}
	free(text);

	EXPECT_EQ(1, has_row("peers", ca, sa));
	EXPECT_EQ(1, has_row("peers", sa, ca));
	EXPECT_EQ(1, has_row("locals", sa, NULL));
	EXPECT_EQ(1, has_row("locals", ca, NULL));
	EXPECT_EQ(1, has_row("bundles", ca, sa));

	close(c);
	close(s);
	EXPECT_TRUE(calls_gone(sa));
	EXPECT_TRUE(calls_gone(ca));
}

/* The counters parse, and a call moves them (and closing undoes nothing). */
TEST(stats_count_a_call)
{
	struct stats a, b, d;
	struct sockaddr_rxrpc srv;
	struct rx_res res;
	char buf[16];
	int s, c;

	ASSERT_EQ(10, read_stats(&a));
	rx_addr4(&srv, "127.0.0.1", rx_port(2), SVC);
	s = rx_server(&srv, 4, 100, 1);
	ASSERT_LE(0, s);
	c = rx_socket(PF_INET);
	ASSERT_LE(0, c);
	ASSERT_EQ(3, rx_send(c, 1, &srv, "req", 3, 0));
	ASSERT_EQ(3, rx_recv_wait(s, buf, sizeof(buf), &res));
	ASSERT_EQ(5, rx_send(s, 100, NULL, "reply", 5, 0));
	ASSERT_EQ(5, rx_recv_wait(c, buf, sizeof(buf), &res));
	ASSERT_EQ(1, res.id);
	/* The service call ends with the client's final ACK. */
	ASSERT_EQ(0, rx_recv_wait(s, buf, sizeof(buf), &res));
	EXPECT_TRUE(res.ack);

	ASSERT_EQ(10, read_stats(&b));
	EXPECT_LE(a.tx_nr + 2, b.tx_nr);
	EXPECT_LE(a.rx_nr + 2, b.rx_nr);
	EXPECT_LE(a.send + 2, b.send);
	EXPECT_LE(sum9(a.ack_tx) + 1, sum9(b.ack_tx));
	EXPECT_LE(sum9(a.ack_rx) + 1, sum9(b.ack_rx));

	close(c);
	close(s);
	ASSERT_EQ(10, read_stats(&d));
	EXPECT_LE(b.tx_nr, d.tx_nr);
	EXPECT_LE(b.rx_nr, d.rx_nr);
	EXPECT_LE(sum9(b.ack_rx), sum9(d.ack_rx));
}

/*
 * Each namespace lists its own endpoints only: a child in a new namespace
 * sees its endpoint and not ours, and we see ours and not its.
 */
TEST(netns_lists_its_own)
{
	int to_child[2], to_parent[2], s, status = -1, their_port = rx_port(2);
	struct sockaddr_rxrpc srv;
	char mine[64], theirs[64], x;
	pid_t pid;

	rx_addr4(&srv, "127.0.0.1", rx_port(3), SVC);
	s = rx_server(&srv, 4, 100, 0);
	ASSERT_LE(0, s);
	snprintf(mine, sizeof(mine), "127.0.0.1:%d", rx_port(3));
	snprintf(theirs, sizeof(theirs), "127.0.0.1:%d", their_port);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sockaddr_rxrpc own;
		int t;

		close(to_child[1]);
		close(to_parent[0]);
		if (unshare(CLONE_NEWNET) || rx_lo_up())
			_exit(10);
		if (has_row("locals", mine, NULL) != 0)
			_exit(11);
		/* Not rx_port(): that depends on the pid. */
		rx_addr4(&own, "127.0.0.1", their_port, SVC);
		t = rx_server(&own, 4, 100, 0);
		if (t < 0)
			_exit(12);
		if (has_row("locals", theirs, NULL) != 1)
			_exit(13);
		if (has_row("locals", mine, NULL) != 0)
			_exit(14);
		if (write(to_parent[1], "x", 1) != 1 || read(to_child[0], &x, 1) != 1)
			_exit(15);
		close(t);
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	/* The child's endpoint is up (or, on EOF, the child failed). */
	EXPECT_EQ(1, read(to_parent[0], &x, 1));
	EXPECT_EQ(1, has_row("locals", mine, NULL));
	EXPECT_EQ(0, has_row("locals", theirs, NULL));
	EXPECT_EQ(1, write(to_child[1], "x", 1));
	close(to_child[1]);
	close(to_parent[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(s);
}

/*
 * More rows than fit the first page of the seq_file (about 62 endpoint
 * rows): the file is printed again into a larger buffer, whole. The ports
 * are below the ephemeral range and above those of rx_port().
 */
#define MANY 100
#define MANY_PORT 30000

TEST(many_rows)
{
	int fds[MANY], i, n = 0;
	char *text, want[64];

	for (i = 0; i < MANY; i++) {
		fds[i] = bound_client(MANY_PORT + i);
		ASSERT_LE(0, fds[i]) TH_LOG("port %d", MANY_PORT + i);
	}
	text = proc_read("locals");
	ASSERT_NE(NULL, text);
	EXPECT_LT(4096, strlen(text));
	for (i = 0; i < MANY; i++) {
		struct row r;

		snprintf(want, sizeof(want), "127.0.0.1:%d", MANY_PORT + i);
		n += find_row(text, want, NULL, &r);
	}
	EXPECT_EQ(MANY, n);
	free(text);
	for (i = 0; i < MANY; i++)
		close(fds[i]);
}

/* An IPv6 endpoint is printed as %pISpc does: [addr]:port. */
TEST(ipv6_local)
{
	struct sockaddr_rxrpc srv;
	char want[64];
	int s;

	rx_addr6(&srv, "::1", rx_port(1), SVC);
	s = rx_server(&srv, 4, 100, 0);
	ASSERT_LE(0, s);
	addr_str(want, sizeof(want), &srv);
	EXPECT_EQ(1, has_row("locals", want, NULL)) TH_LOG("want %s", want);
	close(s);
}

TEST_HARNESS_MAIN
