/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the stress kselftests (rxrpc_torture, rxrpc_flood,
 * rxrpc_faults): a self-checking request/reply format, a service loop run
 * in a child process, one bounded call, raw RxRPC packets, and the kernel's
 * memory and /proc/net/rxrpc row counts. Include after rxrpc_test.h.
 */
#ifndef RXRPC_STRESS_H
#define RXRPC_STRESS_H

#include <time.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include "rxrpc_capture.h"

/* Monotonic milliseconds. */
static inline long long rx_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* A field of /proc/meminfo in kB (e.g. "Slab", "SUnreclaim"), or -1. */
static inline long rx_meminfo_kb(const char *field)
{
	char line[128];
	size_t n = strlen(field);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			v = atol(line + n + 1);
			break;
		}
	fclose(f);
	return v;
}

/* Rows (lines after the header) of /proc/net/rxrpc/<name>, or -1. */
static inline int rx_proc_rows(const char *name)
{
	char path[64], buf[4096];
	int fd, rows = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/net/rxrpc/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ssize_t i;

		for (i = 0; i < n; i++)
			rows += buf[i] == '\n';
	}
	close(fd);
	return rows;
}

/*
 * Polls until /proc/net/rxrpc/calls has at most max_calls rows and conns
 * at most max_conns, for up to ms. Returns 1 once so, else 0.
 */
static inline int rx_rows_settle(int max_calls, int max_conns, int ms)
{
	long long end = rx_ms() + ms;

	do {
		int c = rx_proc_rows("calls"), k = rx_proc_rows("conns");

		if (c >= 0 && c <= max_calls && k >= 0 && k <= max_conns)
			return 1;
		usleep(100000);
	} while (rx_ms() < end);
	return 0;
}

/* Kernel memory and the module's objects at one moment. */
struct rx_mem {
	long slab, sunreclaim;		/* kB */
	int calls, conns, peers, locals; /* /proc/net/rxrpc rows */
};

static inline void rx_mem_read(struct rx_mem *m)
{
	m->slab = rx_meminfo_kb("Slab");
	m->sunreclaim = rx_meminfo_kb("SUnreclaim");
	m->calls = rx_proc_rows("calls");
	m->conns = rx_proc_rows("conns");
	m->peers = rx_proc_rows("peers");
	m->locals = rx_proc_rows("locals");
}

/* Prints up to max lines of /proc/net/rxrpc/<name> to stdout, as "# ...". */
static inline void rx_proc_dump(const char *name, int max)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/rxrpc/%s", name);
	f = fopen(path, "r");
	if (!f)
		return;
	while (max-- > 0 && fgets(line, sizeof(line), f))
		printf("# %s: %s", name, line);
	fclose(f);
	fflush(stdout);
}

/*
 * The bound on SUnreclaim growth over a test. Loose on purpose: under
 * KASAN, freed objects wait in the quarantine (up to 1/32 of memory, 48
 * MiB in the 1.5 GiB guest) and still count as slab; the row counts are
 * the exact check.
 */
#define RX_SLAB_SLACK_KB (64 * 1024)

#define RX_MEM_FMT "Slab %ld kB, SUnreclaim %ld kB, rows: calls %d conns %d peers %d locals %d"
#define RX_MEM_ARGS(m) (m).slab, (m).sunreclaim, (m).calls, (m).conns, (m).peers, (m).locals

/*
 * Requests are self-checking: an 8-byte header (seed, reply length; host
 * order) and then rx_pat(seed) from offset 8. The reply is reply_len bytes
 * of rx_pat(~seed). A service aborts a request that does not check with
 * RX_STRESS_BADREQ; the seed RX_STRESS_STOP ends its loop once answered.
 */
#define RX_STRESS_BADREQ 0x7e570001u
#define RX_STRESS_STOP 0xffffffffu
#define RX_STRESS_MAXREQ (256 * 1024)

static inline void *rx_req_make(uint32_t seed, size_t len, uint32_t reply_len)
{
	uint8_t *p = malloc(len < 8 ? 8 : len);
	size_t i;

	if (!p)
		return NULL;
	for (i = 8; i < len; i++)
		p[i] = rx_pat(seed, i);
	memcpy(p, &seed, 4);
	memcpy(p + 4, &reply_len, 4);
	return p;
}

/* What a service loop saw, in memory shared with the parent. */
struct rx_svc_stats {
	volatile int served;	/* requests answered */
	volatile int bad;	/* requests that did not check (aborted) */
	volatile int ended;	/* terminal messages (ACK or abort) */
	volatile int aborted;	/* of which aborts */
	volatile int send_fail;	/* replies that could not be sent */
	volatile int status;	/* exit reason: 0 stop, 1 idle, 2+ errors */
};

static inline struct rx_svc_stats *rx_svc_stats_new(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

#define RX_SVC_SLOTS 512

/*
 * Serves fd (a charged, listening service socket) until a request with
 * seed RX_STRESS_STOP, or nothing for idle_ms. Each call first seen (or
 * ended unseen) is charged for again (ids from next_id). Replies are sent with the socket's
 * SO_SNDTIMEO (set by the caller); one that cannot be sent is aborted.
 * Returns the exit reason (also in st->status).
 */
static inline int rx_serve(int fd, unsigned long next_id, int idle_ms,
			   struct rx_svc_stats *st)
{
	static struct {
		unsigned long id;
		size_t len;
		uint8_t *buf;
		long long t;	/* when its last data came */
		int aborted;
	} slot[RX_SVC_SLOTS];
	static uint8_t rbuf[65536];
	long long last = rx_ms();
	int stop = 0, i;

	for (;;) {
		struct rx_res r;
		int n, k, free_k = -1;

		if (!rx_wait(fd, 500)) {
			long long now = rx_ms();

			if (now - last >= idle_ms)
				return st->status = stop ? 0 : 1;
			/* A request that stalls for 2 s is given up (as a
			 * service would), which ends the call and so frees
			 * its charge. */
			for (k = 0; k < RX_SVC_SLOTS; k++)
				if (slot[k].buf && !slot[k].aborted &&
				    now - slot[k].t > 2000) {
					rx_abort(fd, slot[k].id, RX_STRESS_BADREQ + 3);
					slot[k].aborted = 1;
				}
			continue;
		}
		n = rx_recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT, &r);
		if (n == -EAGAIN || n == -EINTR)
			continue;
		if (n < 0)
			return st->status = 2;
		last = rx_ms();
		if (!r.has_id)
			continue;
		for (k = 0; k < RX_SVC_SLOTS; k++) {
			if (slot[k].buf && slot[k].id == r.id)
				break;
			if (!slot[k].buf && free_k < 0)
				free_k = k;
		}
		if (rx_terminal(&r)) {
			st->ended++;
			if (r.abort)
				st->aborted++;
			if (k < RX_SVC_SLOTS) {
				free(slot[k].buf);
				slot[k].buf = NULL;
			} else {
				/* A call it never saw data of took a charge. */
				rx_charge(fd, next_id++);
			}
			if (stop)
				return st->status = 0;
			continue;
		}
		if (k == RX_SVC_SLOTS) {
			/* A new call: charge for the next one. */
			rx_charge(fd, next_id++);
			if (free_k < 0)
				return st->status = 3;
			k = free_k;
			slot[k].buf = malloc(RX_STRESS_MAXREQ);
			if (!slot[k].buf)
				return st->status = 4;
			slot[k].id = r.id;
			slot[k].len = 0;
			slot[k].aborted = 0;
		}
		slot[k].t = last;
		if (slot[k].len + n <= RX_STRESS_MAXREQ)
			memcpy(slot[k].buf + slot[k].len, rbuf, n);
		slot[k].len += n;
		if (r.flags & MSG_MORE)
			continue;
		slot[k].aborted = 1;	/* the request is whole: no more timer */
		{
			uint8_t *b = slot[k].buf;
			size_t len = slot[k].len;
			uint32_t seed = 0, reply_len = 0;
			int ok = len >= 8 && len <= RX_STRESS_MAXREQ;

			if (ok) {
				memcpy(&seed, b, 4);
				memcpy(&reply_len, b + 4, 4);
				ok = rx_check(b + 8, len - 8, seed, 8) == -1 &&
				     reply_len <= RX_STRESS_MAXREQ;
			}
			if (!ok) {
				st->bad++;
				rx_abort(fd, r.id, RX_STRESS_BADREQ);
			} else {
				uint8_t *rep = malloc(reply_len + 1);

				for (i = 0; rep && i < (int)reply_len; i++)
					rep[i] = rx_pat(~seed, i);
				if (rep && rx_send(fd, r.id, NULL, rep, reply_len, 0) == (int)reply_len) {
					st->served++;
				} else {
					st->send_fail++;
					rx_abort(fd, r.id, RX_STRESS_BADREQ + 1);
				}
				free(rep);
				if (seed == RX_STRESS_STOP)
					stop = 1;
			}
		}
	}
}

/* Starts rx_serve(fd) in a child that dies with the caller. */
static inline pid_t rx_serve_fork(int fd, unsigned long next_id, int idle_ms,
				  struct rx_svc_stats *st)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(rx_serve(fd, next_id, idle_ms, st));
	}
	return pid;
}

/* Waits up to ms for a child; its exit status, 100+signal, or -1 (killed). */
static inline int rx_child_wait(pid_t pid, int ms)
{
	long long end = rx_ms() + ms;
	int status;

	do {
		pid_t p = waitpid(pid, &status, WNOHANG);

		if (p == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
						   100 + WTERMSIG(status);
		if (p < 0)
			return -1;
		usleep(20000);
	} while (rx_ms() < end);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* How one call ended. */
enum rx_outcome {
	RX_OK = 0,		/* the whole reply, byte-exact */
	RX_ABORTED,		/* an abort (code in *code) */
	RX_BUSY_END,		/* RXRPC_BUSY */
	RX_NETERR,		/* RXRPC_NET_ERROR or LOCAL_ERROR (in *code) */
	RX_TIMEDOUT,		/* nothing within the wait */
	RX_WRONG,		/* wrong data, or a message out of place */
	RX_SENDFAIL,		/* sendmsg failed (-errno in *code) */
};

/*
 * A message out of place, logged as it is met (the first few per process):
 * which call it was for, which call was waiting, and what it carried.
 */
static int rx_wrongs_logged;

static inline void rx_log_wrong(unsigned long id, int n, const struct rx_res *r,
				size_t got, uint32_t reply_len, const char *what)
{
	if (rx_wrongs_logged++ >= 3)
		return;
	printf("# rx_call %lu: %s: recv %d, id %s%lu, flags %#x, abort %d (%d), "
	       "busy %d, net/local error %d/%d, ack %d; %zu of %u reply bytes had come\n",
	       id, what, n, r->has_id ? "" : "none ", r->has_id ? r->id : 0,
	       r->flags, r->abort, (int)r->abort_code, r->busy, r->net_error,
	       r->local_error, r->ack, got, reply_len);
	fflush(stdout);
}

/*
 * Reads fd's messages until call id's last one (its terminal message or
 * final data), for up to wait_ms each, so that none is left to be taken
 * for a later call's. Messages of other calls are logged and skipped.
 */
static inline void rx_drain_call(int fd, unsigned long id, uint8_t *buf, size_t len,
				 int wait_ms)
{
	struct rx_res r;
	int n;

	while (rx_wait(fd, wait_ms)) {
		n = rx_recv(fd, buf, len, 0, &r);
		if (n < 0)
			return;
		if (!r.has_id || r.id != id) {
			rx_log_wrong(id, n, &r, 0, 0, "while draining, another call's message");
			continue;
		}
		if (rx_terminal(&r) || (r.flags & MSG_EOR))
			return;
	}
}

/*
 * One call on fd (id must be free), with a hard timeout of hard_s seconds
 * if not 0; waits at most wait_ms for each message. *code gets the abort
 * code or errno. A call that goes wrong is aborted and its messages read
 * to the end, and a message of another call is skipped: each counts once,
 * and none is left to spoil the next call on fd.
 */
static inline enum rx_outcome rx_call(int fd, unsigned long id,
				      const struct sockaddr_rxrpc *to,
				      uint32_t seed, size_t req_len,
				      uint32_t reply_len, uint32_t hard_s,
				      int wait_ms, int32_t *code)
{
	uint8_t *req = rx_req_make(seed, req_len, reply_len);
	size_t cap = reply_len + 64;
	uint8_t *buf = malloc(cap);
	enum rx_outcome out = RX_OK;
	struct rx_cmsgs cm;
	size_t got = 0;
	int n, stray = 0;

	*code = 0;
	if (!req || !buf) {
		out = RX_SENDFAIL;
		goto done;
	}
	rx_cm_init(&cm);
	rx_cm_id(&cm, id);
	if (hard_s)
		rx_cm_add(&cm, SOL_RXRPC, RXRPC_SET_CALL_TIMEOUT, &hard_s, sizeof(hard_s));
	n = rx_sendmsg(fd, to, req, req_len, &cm, 0);
	if (n != (int)req_len) {
		*code = n;
		out = RX_SENDFAIL;
		/* A call that got going ends with a message: drain it. */
		if (n >= 0 || rx_wait(fd, 0))
			rx_drain_call(fd, id, buf, cap, wait_ms);
		goto done;
	}
	for (;;) {
		struct rx_res r;

		if (!rx_wait(fd, wait_ms)) {
			out = RX_TIMEDOUT;
			rx_abort(fd, id, RX_STRESS_BADREQ + 2);
			/* The abort's own message, after any data before it. */
			rx_drain_call(fd, id, buf, cap, wait_ms);
			break;
		}
		n = rx_recv(fd, buf + got, cap - got, 0, &r);
		if (n < 0) {
			rx_log_wrong(id, n, &r, got, reply_len, "recvmsg failed");
			out = RX_WRONG;
			*code = n;
			break;
		}
		if (!r.has_id || r.id != id) {
			rx_log_wrong(id, n, &r, got, reply_len, "another call's message");
			stray = 1;
			continue;
		}
		if (r.abort) {
			*code = (int32_t)r.abort_code;
			out = RX_ABORTED;
			break;
		}
		if (r.busy) {
			out = RX_BUSY_END;
			break;
		}
		if (r.net_error || r.local_error) {
			*code = r.net_error ? r.net_error : r.local_error;
			out = RX_NETERR;
			break;
		}
		if (rx_check(buf + got, n, ~seed, got) != -1) {
			rx_log_wrong(id, n, &r, got, reply_len, "reply bytes wrong");
			out = RX_WRONG;
		} else {
			got += n;
			if (r.flags & MSG_EOR) {
				if (got != reply_len) {
					rx_log_wrong(id, n, &r, got, reply_len, "reply length wrong");
					out = RX_WRONG;
				}
				break;
			}
			if (!(r.flags & MSG_MORE) || got > reply_len) {
				rx_log_wrong(id, n, &r, got, reply_len, "reply goes on too long");
				out = RX_WRONG;
			}
		}
		if (out == RX_WRONG) {
			if (!(r.flags & MSG_EOR)) {
				rx_abort(fd, id, RX_STRESS_BADREQ + 4);
				rx_drain_call(fd, id, buf, cap, wait_ms);
			}
			break;
		}
	}
	if (stray)
		out = RX_WRONG;
done:
	free(req);
	free(buf);
	return out;
}

/* --- Raw packets ---------------------------------------------------------- */

#define RXH_LEN 28
enum {
	RXT_DATA = 1, RXT_ACK, RXT_BUSY, RXT_ABORT, RXT_ACKALL, RXT_CHALLENGE,
	RXT_RESPONSE, RXT_DEBUG, RXT_PARAMS, RXT_VERSION = 13,
};
#define RXF_CLIENT_INITIATED 0x01
#define RXF_REQUEST_ACK 0x02
#define RXF_LAST 0x04
#define RXF_MORE 0x08
#define RXF_JUMBO 0x20

/* The RxRPC header, host order. */
struct rxh {
	uint32_t epoch, cid, call, seq, serial;
	uint8_t type, flags, status, secix;
	uint16_t cksum, service;
};

static inline void rxh_put(uint8_t *p, const struct rxh *h)
{
	uint32_t w[5] = { htonl(h->epoch), htonl(h->cid), htonl(h->call),
			  htonl(h->seq), htonl(h->serial) };
	uint16_t c = htons(h->cksum), s = htons(h->service);

	memcpy(p, w, 20);
	p[20] = h->type;
	p[21] = h->flags;
	p[22] = h->status;
	p[23] = h->secix;
	memcpy(p + 24, &c, 2);
	memcpy(p + 26, &s, 2);
}

static inline uint32_t rx_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static inline void rxh_get(const uint8_t *p, struct rxh *h)
{
	h->epoch = rx_be32(p);
	h->cid = rx_be32(p + 4);
	h->call = rx_be32(p + 8);
	h->seq = rx_be32(p + 12);
	h->serial = rx_be32(p + 16);
	h->type = p[20];
	h->flags = p[21];
	h->status = p[22];
	h->secix = p[23];
	h->cksum = p[24] << 8 | p[25];
	h->service = p[26] << 8 | p[27];
}

static inline void rx_put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

/* A plain UDP socket on 127.0.0.1 (port 0: any). */
static inline int rx_udp(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return -errno;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static inline int rx_udp_send(int fd, int port, const void *p, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return rx_errno(sendto(fd, p, len, 0, (struct sockaddr *)&sin, sizeof(sin)));
}

/*
 * Sends a UDP datagram over loopback from a port of our choice, one that a
 * kernel socket holds (an AF_INET raw socket of IPPROTO_UDP: we write the
 * UDP header). The checksum is computed, so the datagram is not dropped
 * for it.
 */
static inline int rx_raw_send(int raw, int sport, int dport, const void *p,
			      size_t len)
{
	static uint8_t pkt[65536];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint32_t sum = 0;
	size_t ulen = len + 8, i;

	if (ulen > 65507)
		return -EMSGSIZE;
	pkt[0] = sport >> 8;
	pkt[1] = sport;
	pkt[2] = dport >> 8;
	pkt[3] = dport;
	pkt[4] = ulen >> 8;
	pkt[5] = ulen;
	pkt[6] = pkt[7] = 0;
	memcpy(pkt + 8, p, len);
	/* Pseudo-header: 127.0.0.1 twice, protocol 17, length. */
	sum += 0x7f00 + 0x0001 + 0x7f00 + 0x0001 + 17 + ulen;
	for (i = 0; i + 1 < ulen; i += 2)
		sum += pkt[i] << 8 | pkt[i + 1];
	if (ulen & 1)
		sum += pkt[ulen - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	if (!sum)
		sum = 0xffff;
	pkt[6] = sum >> 8;
	pkt[7] = sum;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return rx_errno(sendto(raw, pkt, ulen, 0, (struct sockaddr *)&sin, sizeof(sin)));
}

/*
 * Reads one captured UDP datagram (not one we sent: outgoing copies are
 * skipped) into *pkt; its ports in *sport, *dport. Returns the UDP payload
 * length (>= 0) or -1 when nothing is waiting. *rx points into pkt.
 */
static inline int rx_cap_next(int fd, uint8_t *pkt, size_t cap, int *sport,
			      int *dport, uint8_t **rx)
{
	for (;;) {
		struct { unsigned short f, proto; int ifi; unsigned short ha;
			 unsigned char type, halen, addr[8]; } from;
		socklen_t fl = sizeof(from);
		int n = recvfrom(fd, pkt, cap, MSG_DONTWAIT,
				 (struct sockaddr *)&from, &fl), ihl;

		if (n < 0)
			return -1;
		if (from.type == 4 /* PACKET_OUTGOING */)
			continue;
		ihl = (pkt[0] & 15) * 4;
		if (n < ihl + 8 || pkt[9] != IPPROTO_UDP)
			continue;
		*sport = pkt[ihl] << 8 | pkt[ihl + 1];
		*dport = pkt[ihl + 2] << 8 | pkt[ihl + 3];
		*rx = pkt + ihl + 8;
		return n - ihl - 8;
	}
}

#endif
