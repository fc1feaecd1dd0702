// SPDX-License-Identifier: GPL-2.0
/*
 * afs_rpc: real OpenAFS RPCs over AF_RXRPC, security none, for
 * scripts/openafs.sh. Built static against the test kernel's uapi headers
 * with the kselftests' rxrpc_test.h helpers; runs in guest B against the
 * OpenAFS vlserver and ptserver (Debian's 1.8.9) in guest A.
 *
 * Each row makes its calls from its own local UDP port LPORT (the host
 * cuts the link capture by it) and prints one "RESULT ok ..." or
 * "RESULT FAIL ..." line. The XDR layouts are OpenAFS's own
 * (src/vlserver/vldbint.xg, src/ptserver/ptint.xg, as rxgen encodes
 * them: a fixed char[N] is N 32-bit words, a string<N> is a length and
 * padded bytes).
 *
 *   afs_rpc vl-probe SERVER LPORT            VL_ProbeServer: empty reply
 *   afs_rpc vl-create SERVER LPORT NAME ID   VL_CreateEntryN (-noauth)
 *   afs_rpc vl-lookup SERVER LPORT NAME ID   VL_GetEntryByNameN: the entry
 *   afs_rpc vl-noent SERVER LPORT NAME       VL_GetEntryByNameN: VL_NOENT
 *   afs_rpc pt-nametoid SERVER LPORT         PR_NameToID, 4 names
 *   afs_rpc pt-bulk SERVER LPORT N           PR_NameToID, N names (N*256 B)
 *   afs_rpc pt-idtoname SERVER LPORT N       PR_IDToName, N ids (N*256 B back)
 *   afs_rpc listen PORT SERVICE SECS         a bound, listening service
 *                                            socket for SECS (rxdebug's target)
 *
 * With authentication (the servers with a KeyFile and no NoAuth):
 *   afs_rpc [KAD] vl-create-lookup SERVER LPORT NAME ID   vl-create, vl-lookup
 *   afs_rpc [KAD] pt-bulk-idtoname SERVER LPORT N         pt-bulk, pt-idtoname
 *   afs_rpc vl-perm SERVER LPORT NAME ID     VL_CreateEntryN, security none:
 *                                            the abort VL_PERM
 *   afs_rpc KAD --expired vl-expired SERVER LPORT
 *                                            VL_ProbeServer with a ticket
 *                                            that expired: RXKADEXPIRED
 * KAD is "--level N --key HEX --kvno K [--name NAME]": rxkad at level N
 * with a ticket for NAME (default admin; local realm) that this program
 * seals with the cell's DES key HEX, version K (rxrpc_ticket.h), in an
 * "rxrpc" key on the socket. The ptserver knows only names in its
 * database, and "afs" (AUTH_SUPERUSER: system:administrators); for any
 * other it refuses PR_IDToName of many ids (PRPERM).
 */
#include "rxrpc_test.h"
#include "rxrpc_ticket.h"
#include <signal.h>
#include <stdarg.h>
#include <time.h>

#define VL_PORT 7003
#define VL_SERVICE 52		/* USER_SERVICE_ID, src/ubik/ubik.p.h */
#define PT_PORT 7002
#define PT_SERVICE 73		/* PRSRV, src/ptserver/ptserver.h */

/* src/vlserver/vl_opcodes.h */
#define VLCREATEENTRYN 517
#define VLGETENTRYBYNAMEN 519
#define VLPROBE 514
/* src/ptserver/ptint.xg */
#define PR_NAMETOID 504
#define PR_IDTONAME 505

#define VL_MAXNAMELEN 65
#define NMAXNSERVERS 13
#define MAXTYPES 3
#define PR_MAXNAMELEN 64
#define VLSF_RWVOL 0x04
#define VLF_RWEXISTS 0x1000
#define VL_NOENT 363524		/* vl_errors.et: 363520 + 4 */
#define NVLDBENTRY_LEN (4 * (VL_MAXNAMELEN + 1 + 3 * NMAXNSERVERS + MAXTYPES + 3 + 8))

/* Ubik's own aborts (UNOQUORUM ...): the database is not ready yet. */
#define UBIK_ERR_MIN 5376
#define UBIK_ERR_MAX 5399

#define VL_PERM 363546		/* vl_errors.et: 363520 + 26 */

#define SYSADMINID (-204)
#define ANYUSERID (-101)
#define AUTHUSERID (-102)
#define ANONYMOUSID 32766

static struct timespec t0;

static double elapsed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
}

static void on_alarm(int sig)
{
	static const char m[] = "RESULT FAIL timeout (no answer within the row's limit)\n";

	(void)sig;
	if (write(1, m, sizeof(m) - 1) < 0)
		_exit(3);
	_exit(3);
}

/* --- XDR ---------------------------------------------------------------- */

struct xdr {
	uint8_t *p;
	size_t len, cap, pos;
	int bad;
};

static void put32(struct xdr *x, uint32_t v)
{
	if (x->len + 4 > x->cap) {
		x->bad = 1;
		return;
	}
	v = htonl(v);
	memcpy(x->p + x->len, &v, 4);
	x->len += 4;
}

/* string<max>: length, bytes, zero padding to 4. */
static void put_string(struct xdr *x, const char *s)
{
	size_t n = strlen(s);

	put32(x, n);
	if (x->len + ((n + 3) & ~3u) > x->cap) {
		x->bad = 1;
		return;
	}
	memset(x->p + x->len, 0, (n + 3) & ~3u);
	memcpy(x->p + x->len, s, n);
	x->len += (n + 3) & ~3u;
}

/* char[n]: rxgen's xdr_vector of xdr_char, one 32-bit word per char. */
static void put_chars(struct xdr *x, const char *s, size_t n)
{
	size_t l = strlen(s);

	for (size_t i = 0; i < n; i++)
		put32(x, i < l ? (uint32_t)(int32_t)(signed char)s[i] : 0);
}

static uint32_t get32(struct xdr *x)
{
	uint32_t v;

	if (x->pos + 4 > x->len) {
		x->bad = 1;
		return 0;
	}
	memcpy(&v, x->p + x->pos, 4);
	x->pos += 4;
	return ntohl(v);
}

static void get_chars(struct xdr *x, char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)get32(x);
	s[n - 1] = 0;
}

struct nvldbentry {
	char name[VL_MAXNAMELEN];
	int32_t nServers;
	uint32_t serverNumber[NMAXNSERVERS];
	int32_t serverPartition[NMAXNSERVERS];
	int32_t serverFlags[NMAXNSERVERS];
	uint32_t volumeId[MAXTYPES];
	uint32_t cloneId;
	int32_t flags;
	int32_t matchindex;
	int32_t spares[8];
};

static void put_nvldbentry(struct xdr *x, const struct nvldbentry *e)
{
	put_chars(x, e->name, VL_MAXNAMELEN);
	put32(x, e->nServers);
	for (int i = 0; i < NMAXNSERVERS; i++)
		put32(x, e->serverNumber[i]);
	for (int i = 0; i < NMAXNSERVERS; i++)
		put32(x, e->serverPartition[i]);
	for (int i = 0; i < NMAXNSERVERS; i++)
		put32(x, e->serverFlags[i]);
	for (int i = 0; i < MAXTYPES; i++)
		put32(x, e->volumeId[i]);
	put32(x, e->cloneId);
	put32(x, e->flags);
	put32(x, e->matchindex);
	for (int i = 0; i < 8; i++)
		put32(x, e->spares[i]);
}

static void get_nvldbentry(struct xdr *x, struct nvldbentry *e)
{
	get_chars(x, e->name, VL_MAXNAMELEN);
	e->nServers = get32(x);
	for (int i = 0; i < NMAXNSERVERS; i++)
		e->serverNumber[i] = get32(x);
	for (int i = 0; i < NMAXNSERVERS; i++)
		e->serverPartition[i] = get32(x);
	for (int i = 0; i < NMAXNSERVERS; i++)
		e->serverFlags[i] = get32(x);
	for (int i = 0; i < MAXTYPES; i++)
		e->volumeId[i] = get32(x);
	e->cloneId = get32(x);
	e->flags = get32(x);
	e->matchindex = get32(x);
	for (int i = 0; i < 8; i++)
		e->spares[i] = get32(x);
}

/* --- Calls ---------------------------------------------------------------- */

static int fd = -1;
static struct sockaddr_rxrpc srv;
static unsigned long next_id = 1;
static uint8_t reqbuf[65536], repbuf[65536];
static int kad_level = -1;	/* rxkad level, -1 for security none */
static uint8_t kad_key[8];	/* the cell's DES key (the KeyFile's) */
static uint32_t kad_kvno;
static int kad_expired;		/* a ticket that expired an hour ago */
static const char *kad_name = "admin";	/* the ticket's principal */

/* How a call ended. */
struct outcome {
	long len;		/* reply bytes, or -errno */
	int aborted;
	uint32_t abort_code;
	char why[160];		/* empty if it completed with a reply */
};

static void open_socket(const char *server, int lport, int port, int service)
{
	struct sockaddr_rxrpc local;
	int r;

	fd = rx_socket(PF_INET);
	if (fd < 0) {
		printf("RESULT FAIL socket(AF_RXRPC): %s\n", strerror(errno));
		exit(1);
	}
	if (kad_level >= 0) {
		uint32_t level = kad_level;
		key_serial_t k;

		/* Of the local realm (empty: OpenAFS takes it as ours). */
		k = rxkad_client_key("afs@rxrpc.test", kad_key, kad_name, "",
				     kad_expired ? 7200 : 60, kad_expired ? 1 : 96,
				     kad_kvno, time(NULL) + 3600);
		if (k < 0 ||
		    setsockopt(fd, SOL_RXRPC, RXRPC_SECURITY_KEY, "afs@rxrpc.test",
			       strlen("afs@rxrpc.test")) < 0 ||
		    setsockopt(fd, SOL_RXRPC, RXRPC_MIN_SECURITY_LEVEL, &level,
			       sizeof(level)) < 0) {
			printf("RESULT FAIL rxkad key: %s\n", strerror(k < 0 ? -k : errno));
			exit(1);
		}
	}
	rx_addr4(&local, "0.0.0.0", lport, 0);
	r = rx_bind(fd, &local);
	if (r < 0) {
		printf("RESULT FAIL bind local port %d: %s\n", lport, strerror(-r));
		exit(1);
	}
	rx_addr4(&srv, server, port, service);
}

/* One call: opcode then args (already in req), the reply into repbuf. */
static void call_once(const struct xdr *req, struct outcome *o)
{
	unsigned long id = next_id++;
	struct rx_res r;
	int n;

	memset(o, 0, sizeof(*o));
	n = rx_send(fd, id, &srv, req->p, req->len, 0);
	if (n < 0) {
		o->len = n;
		snprintf(o->why, sizeof(o->why), "sendmsg: %s", strerror(-n));
		return;
	}
	o->len = rx_read_phase(fd, id, repbuf, sizeof(repbuf), &r);
	if (o->len < 0) {
		snprintf(o->why, sizeof(o->why), "reading the reply: %s", strerror(-o->len));
		return;
	}
	if (r.abort) {
		o->aborted = 1;
		o->abort_code = r.abort_code;
		snprintf(o->why, sizeof(o->why), "aborted, code %d", (int32_t)r.abort_code);
	} else if (r.net_error) {
		snprintf(o->why, sizeof(o->why), "network error %s", strerror(r.net_error));
	} else if (r.local_error) {
		snprintf(o->why, sizeof(o->why), "local error %s", strerror(r.local_error));
	} else if (r.busy) {
		snprintf(o->why, sizeof(o->why), "busy");
	} else if (!(r.flags & MSG_EOR)) {
		snprintf(o->why, sizeof(o->why), "reply ended without MSG_EOR (flags %#x)", r.flags);
	}
}

/* A call, again while ubik says its database is not ready (at most 20 s). */
static void call(const struct xdr *req, struct outcome *o)
{
	for (int tries = 0;; tries++) {
		call_once(req, o);
		if (!o->aborted || o->abort_code < UBIK_ERR_MIN ||
		    o->abort_code > UBIK_ERR_MAX || tries >= 20)
			return;
		printf("ubik abort %u: trying again\n", o->abort_code);
		sleep(1);
	}
}

static void begin(struct xdr *x, uint32_t opcode)
{
	memset(x, 0, sizeof(*x));
	x->p = reqbuf;
	x->cap = sizeof(reqbuf);
	put32(x, opcode);
}

static struct xdr reply(const struct outcome *o)
{
	struct xdr x = { .p = repbuf, .len = o->len > 0 ? o->len : 0 };

	return x;
}

static int ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int ok(const char *fmt, ...)
{
	va_list ap;

	printf("RESULT ok ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (%.2f s)\n", elapsed());
	return 0;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	printf("RESULT FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (%.2f s)\n", elapsed());
	return 1;
}

/* --- Rows ----------------------------------------------------------------- */

static int vl_probe(void)
{
	struct xdr q;
	struct outcome o;

	begin(&q, VLPROBE);
	call(&q, &o);
	if (o.why[0])
		return fail("VL_ProbeServer: %s", o.why);
	if (o.len != 0)
		return fail("VL_ProbeServer: reply of %ld bytes, expected none", o.len);
	return ok("VL_ProbeServer: empty reply, call complete");
}

/* The entry vl-create makes and vl-lookup expects back. */
static void test_entry(struct nvldbentry *e, const char *name, uint32_t rwid)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->nServers = 1;
	e->serverNumber[0] = ntohl(srv.transport.sin.sin_addr.s_addr);
	e->serverPartition[0] = 0;	/* /vicepa */
	e->serverFlags[0] = VLSF_RWVOL;
	e->volumeId[0] = rwid;
	e->volumeId[1] = rwid + 1;
	e->volumeId[2] = rwid + 2;
	e->flags = VLF_RWEXISTS;
}

static int vl_create(const char *name, uint32_t rwid)
{
	struct nvldbentry e;
	struct xdr q;
	struct outcome o;

	test_entry(&e, name, rwid);
	begin(&q, VLCREATEENTRYN);
	put_nvldbentry(&q, &e);
	call(&q, &o);
	if (o.why[0])
		return fail("VL_CreateEntryN %s: %s", name, o.why);
	if (o.len != 0)
		return fail("VL_CreateEntryN: reply of %ld bytes, expected none", o.len);
	return ok("VL_CreateEntryN %s rw %u ro %u bk %u: created (request %zu B)",
		  name, rwid, rwid + 1, rwid + 2, q.len);
}

static int vl_lookup(const char *name, uint32_t rwid)
{
	struct nvldbentry want, got;
	struct xdr q, r;
	struct outcome o;
	struct in_addr a;
	char gs[INET_ADDRSTRLEN], ws[INET_ADDRSTRLEN];

	test_entry(&want, name, rwid);
	begin(&q, VLGETENTRYBYNAMEN);
	put_string(&q, name);
	call(&q, &o);
	if (o.why[0])
		return fail("VL_GetEntryByNameN %s: %s", name, o.why);
	if (o.len != NVLDBENTRY_LEN)
		return fail("VL_GetEntryByNameN: reply of %ld bytes, expected %d", o.len,
			    NVLDBENTRY_LEN);
	r = reply(&o);
	get_nvldbentry(&r, &got);
	if (r.bad)
		return fail("VL_GetEntryByNameN: reply too short to decode");
	a.s_addr = htonl(got.serverNumber[0]);
	inet_ntop(AF_INET, &a, gs, sizeof(gs));
	inet_ntop(AF_INET, &srv.transport.sin.sin_addr, ws, sizeof(ws));
	if (strcmp(got.name, want.name) || got.nServers != 1 ||
	    got.serverNumber[0] != want.serverNumber[0] || got.serverPartition[0] != 0 ||
	    got.serverFlags[0] != VLSF_RWVOL || got.flags != VLF_RWEXISTS ||
	    memcmp(got.volumeId, want.volumeId, sizeof(want.volumeId)))
		return fail("VL_GetEntryByNameN: got name \"%s\" servers %d [%s part %d flags %#x] "
			    "ids %u/%u/%u flags %#x; expected \"%s\" 1 [%s 0 %#x] %u/%u/%u %#x",
			    got.name, got.nServers, gs, got.serverPartition[0],
			    got.serverFlags[0], got.volumeId[0], got.volumeId[1], got.volumeId[2],
			    got.flags, name, ws, VLSF_RWVOL, rwid, rwid + 1, rwid + 2,
			    VLF_RWEXISTS);
	return ok("VL_GetEntryByNameN %s: rw %u ro %u bk %u on %s part a, flags %#x",
		  got.name, got.volumeId[0], got.volumeId[1], got.volumeId[2], gs, got.flags);
}

static int vl_noent(const char *name)
{
	struct xdr q;
	struct outcome o;

	begin(&q, VLGETENTRYBYNAMEN);
	put_string(&q, name);
	call(&q, &o);
	if (!o.aborted)
		return fail("VL_GetEntryByNameN %s: %s, expected the abort VL_NOENT (%d)", name,
			    o.why[0] ? o.why : "a reply", VL_NOENT);
	if (o.abort_code != VL_NOENT)
		return fail("VL_GetEntryByNameN %s: abort %d, expected VL_NOENT (%d)", name,
			    (int32_t)o.abort_code, VL_NOENT);
	return ok("VL_GetEntryByNameN %s: RXRPC_ABORT %u (VL_NOENT)", name, o.abort_code);
}

/* PR_NameToID of names; checks the ids against want. */
static int pt_nametoid(const char *const *names, const int32_t *want, int n, const char *what)
{
	struct xdr q, r;
	struct outcome o;
	uint32_t count;

	begin(&q, PR_NAMETOID);
	put32(&q, n);
	for (int i = 0; i < n; i++)
		put_chars(&q, names[i], PR_MAXNAMELEN);
	if (q.bad)
		return fail("request too large");
	call(&q, &o);
	if (o.why[0])
		return fail("PR_NameToID (%s): %s", what, o.why);
	r = reply(&o);
	count = get32(&r);
	if (count != (uint32_t)n || o.len != 4 + 4L * n)
		return fail("PR_NameToID: %u ids in %ld bytes, expected %d", count, o.len, n);
	for (int i = 0; i < n; i++) {
		int32_t id = get32(&r);

		if (id != want[i])
			return fail("PR_NameToID: %s -> %d, expected %d", names[i], id, want[i]);
	}
	return 0;
}

static const char *const pt_names[] = {
	"system:administrators", "system:anyuser", "system:authuser", "anonymous",
};
static const int32_t pt_ids[] = { SYSADMINID, ANYUSERID, AUTHUSERID, ANONYMOUSID };

static int pt_four(void)
{
	/* A name the database lacks maps to ANONYMOUSID too (ptprocs.c nameToID). */
	const char *names[] = { "system:administrators", "anonymous", "system:anyuser",
				"rxrpc.nosuchuser" };
	const int32_t ids[] = { SYSADMINID, ANONYMOUSID, ANYUSERID, ANONYMOUSID };

	if (pt_nametoid(names, ids, 4, "4 names"))
		return 1;
	return ok("PR_NameToID: system:administrators -204, anonymous 32766, "
		  "system:anyuser -101, rxrpc.nosuchuser 32766 (unknown)");
}

static int pt_bulk(int n)
{
	const char *names[1000];
	int32_t ids[1000];

	if (n < 1 || n > 200)
		return fail("N out of range");
	for (int i = 0; i < n; i++) {
		names[i] = pt_names[i % 4];
		ids[i] = pt_ids[i % 4];
	}
	if (pt_nametoid(names, ids, n, "bulk"))
		return 1;
	return ok("PR_NameToID: %d names in a %d-byte request, all ids right", n,
		  4 + 4 + n * 4 * PR_MAXNAMELEN);
}

/* PR_IDToName of n ids: the four groups above and ids the database lacks. */
static int pt_idtoname(int n)
{
	struct xdr q, r;
	struct outcome o;
	int32_t ids[200];
	char want[PR_MAXNAMELEN], got[PR_MAXNAMELEN];
	uint32_t count;

	if (n < 1 || n > 200)
		return fail("N out of range");
	begin(&q, PR_IDTONAME);
	put32(&q, n);
	for (int i = 0; i < n; i++) {
		ids[i] = i % 5 < 4 ? pt_ids[i % 5] : 7000 + i;
		put32(&q, ids[i]);
	}
	call(&q, &o);
	if (o.why[0])
		return fail("PR_IDToName: %s", o.why);
	r = reply(&o);
	count = get32(&r);
	if (count != (uint32_t)n || o.len != 4 + 4L * PR_MAXNAMELEN * n)
		return fail("PR_IDToName: %u names in %ld bytes, expected %d in %d", count, o.len,
			    n, 4 + 4 * PR_MAXNAMELEN * n);
	for (int i = 0; i < n; i++) {
		/* An id the database lacks comes back as its number (ptprocs.c idToName). */
		if (i % 5 < 4)
			snprintf(want, sizeof(want), "%s", pt_names[i % 5]);
		else
			snprintf(want, sizeof(want), "%d", ids[i]);
		get_chars(&r, got, PR_MAXNAMELEN);
		if (strcmp(got, want))
			return fail("PR_IDToName: %d -> \"%s\", expected \"%s\"", ids[i], got, want);
	}
	return ok("PR_IDToName: %d ids, a %ld-byte reply, all names right "
		  "(-204 system:administrators, 32766 anonymous, 7004 \"7004\")", n, o.len);
}

/* A call that the server must refuse with code: the abort, named. */
static int refused(struct outcome *o, const char *what, uint32_t code, const char *name)
{
	if (!o->aborted)
		return fail("%s: %s, expected the abort %s (%d)", what,
			    o->why[0] ? o->why : "a reply", name, (int32_t)code);
	if (o->abort_code != code)
		return fail("%s: abort %d, expected %s (%d)", what, (int32_t)o->abort_code,
			    name, (int32_t)code);
	return ok("%s: RXRPC_ABORT %d (%s)", what, (int32_t)code, name);
}

/* VL_CreateEntryN, security none, on a server with authentication. */
static int vl_perm(const char *name, uint32_t rwid)
{
	struct nvldbentry e;
	struct xdr q;
	struct outcome o;

	test_entry(&e, name, rwid);
	begin(&q, VLCREATEENTRYN);
	put_nvldbentry(&q, &e);
	call(&q, &o);
	return refused(&o, "VL_CreateEntryN, security none", VL_PERM, "VL_PERM");
}

/* VL_ProbeServer with an expired ticket. */
static int vl_expired(void)
{
	struct xdr q;
	struct outcome o;

	begin(&q, VLPROBE);
	call(&q, &o);
	return refused(&o, "VL_ProbeServer, ticket expired", RXKADEXPIRED, "RXKADEXPIRED");
}

/* A bound, listening service socket: what rxdebug asks for its version. */
static int listen_for(int port, int service, int secs)
{
	struct sockaddr_rxrpc a;
	int s;

	rx_addr4(&a, "0.0.0.0", port, service);
	s = rx_server(&a, 4, 1, 1);
	if (s < 0)
		return fail("service socket on port %d: %s", port, strerror(-s));
	printf("READY\n");
	alarm(0);
	sleep(secs);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int lport = argc > 3 ? atoi(argv[3]) : 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGALRM, on_alarm);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alarm(60);
	while (argc > 1 && !strncmp(argv[1], "--", 2)) {
		int n = 2;

		if (!strcmp(argv[1], "--expired")) {
			kad_expired = 1;
			n = 1;
		} else if (argc > 2 && !strcmp(argv[1], "--level")) {
			kad_level = atoi(argv[2]);
		} else if (argc > 2 && !strcmp(argv[1], "--name")) {
			kad_name = argv[2];
		} else if (argc > 2 && !strcmp(argv[1], "--kvno")) {
			kad_kvno = atoi(argv[2]);
		} else if (argc > 2 && !strcmp(argv[1], "--key") &&
			   !rxkad_hexkey(argv[2], kad_key)) {
		} else {
			fprintf(stderr, "usage: see the top of afs_rpc.c\n");
			return 2;
		}
		argv[n] = argv[0];
		argc -= n;
		argv += n;
	}
	cmd = argc > 1 ? argv[1] : "";
	lport = argc > 3 ? atoi(argv[3]) : 0;
	if (!strcmp(cmd, "listen") && argc == 5)
		return listen_for(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (!strncmp(cmd, "vl-", 3) && argc >= 4)
		open_socket(argv[2], lport, VL_PORT, VL_SERVICE);
	else if (!strncmp(cmd, "pt-", 3) && argc >= 4)
		open_socket(argv[2], lport, PT_PORT, PT_SERVICE);
	if (!strcmp(cmd, "vl-probe"))
		return vl_probe();
	if (!strcmp(cmd, "vl-create") && argc == 6)
		return vl_create(argv[4], strtoul(argv[5], NULL, 0));
	if (!strcmp(cmd, "vl-lookup") && argc == 6)
		return vl_lookup(argv[4], strtoul(argv[5], NULL, 0));
	if (!strcmp(cmd, "vl-noent") && argc == 5)
		return vl_noent(argv[4]);
	if (!strcmp(cmd, "pt-nametoid"))
		return pt_four();
	if (!strcmp(cmd, "pt-bulk") && argc == 5)
		return pt_bulk(atoi(argv[4]));
	if (!strcmp(cmd, "pt-idtoname") && argc == 5)
		return pt_idtoname(atoi(argv[4]));
	if (!strcmp(cmd, "vl-create-lookup") && argc == 6)
		return vl_create(argv[4], strtoul(argv[5], NULL, 0)) ||
		       vl_lookup(argv[4], strtoul(argv[5], NULL, 0));
	if (!strcmp(cmd, "pt-bulk-idtoname") && argc == 5)
		return pt_bulk(atoi(argv[4])) || pt_idtoname(atoi(argv[4]));
	if (!strcmp(cmd, "vl-perm") && argc == 6)
		return vl_perm(argv[4], strtoul(argv[5], NULL, 0));
	if (!strcmp(cmd, "vl-expired"))
		return vl_expired();
	fprintf(stderr, "usage: see the top of afs_rpc.c\n");
	return 2;
}
