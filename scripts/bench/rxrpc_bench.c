// SPDX-License-Identifier: GPL-2.0
/*
 * AF_RXRPC benchmark (scripts/bench.sh, `make bench`): a service and a
 * client over IPv4 loopback in one guest, in two processes (fork), against
 * whichever AF_RXRPC module the kernel has (rxrpc.ko or rxrpc-rs.ko). It
 * reports figures; it never passes or fails on a threshold.
 *
 *   small     N sequential calls, 100-byte request, 100-byte reply; a run
 *             ends when the service has seen the final ACK of the last
 *             call (a call's ACK may overlap the next call, as for any
 *             client making calls in a row) -> calls/s, us/call
 *   parallel  R rounds of 64 concurrent calls on one client socket, 1 KiB
 *             each way; a round ends when the service has seen all 64
 *             final ACKs -> calls/s
 *   bulk_req  one call, B MiB request, 16-byte reply -> MB/s (1e6 B/s)
 *   bulk_reply one call, 100-byte request, B MiB reply -> MB/s
 *   recv_empty recvmsg(MSG_DONTWAIT) with nothing to read, 16-byte and
 *             1 MiB buffers -> us per syscall (what a syscall costs before
 *             any protocol work)
 *   parallel16, parallel256  as parallel, 16 or 256 calls at once (the
 *             calls of a run: R * 64 rounded up to a whole round)
 *   kad_<level>_small, kad_<level>_bulk_req, kad_<level>_bulk_reply
 *             small, bulk_req and bulk_reply over rxkad (security index
 *             2) at level plain, auth or encrypt: the service's socket has
 *             a keyring holding an "rxrpc_s" key "<service>:2" (a random
 *             DES key), the client's sockets an "rxrpc" key whose ticket
 *             this program sealed with that key (rxrpc_ticket.h), and the
 *             level as RXRPC_MIN_SECURITY_LEVEL
 *   rxperf_small, rxperf_bulk_req, rxperf_bulk_reply
 *             the kernel's rxperf server (rxperf.ko, loaded beforehand;
 *             127.0.0.1:7009, service 147, on the AF_RXRPC module of the
 *             kernel) called with the rxperf protocol of 6.12 (a parameter
 *             block: version 3, the operation, the sizes; the request; a
 *             4-byte cookie; the reply is that many zero bytes and the
 *             cookie): N RPCs of 100 B each way in a row, one SEND of B
 *             MiB, one RECV of B MiB. A run ends with the last reply (the
 *             service is in the kernel: no final ACK to wait for); proc_cpu
 *             is the client's alone
 *
 * The scale rows (scripts/bench.sh runs them with BENCH_FULL=1):
 *
 *   bulk64_req, bulk64_reply  bulk_req and bulk_reply of -B MiB (64)
 *   parallel1000  as parallel, 1,000 calls at once on one client socket
 *             (a bundle has 4 connections of 4 channels: 16 on the wire,
 *             the rest waiting for a channel in the module)
 *   loss_bulk_req, loss_bulk_reply, reorder_bulk_req, reorder_bulk_reply
 *             a bulk call of -L MiB (16) with netem on lo (both
 *             directions): "loss 2%" or "delay 1ms reorder 25% 50%" -> the
 *             seconds it takes, and the stats line's DATA counters
 *   open1, open10, open100, open1000  small, with that many calls held
 *             open beside it (hold_to: requests the service reads and
 *             never answers, each on a connection of its own) -> the cost
 *             per call as the calls open grow
 *   mem_conns, mem_calls  kernel memory per idle connection and per
 *             active call (measure_mem), N = -N (1,000)
 *   conns     -C calls (10,000) in a row, each on a connection of its own
 *             (RXRPC_EXCLUSIVE_CONNECTION), the client socket replaced
 *             every 100 calls, as rxrpc_flood's connection test -> calls/s
 *             are connections/s
 *   link_bulk_req, link_bulk_reply  bulk_req and bulk_reply of B MiB to a
 *             service in another guest (-A; that guest runs rxrpc_bench
 *             -S): a run ends with the last reply; the figures are the
 *             client guest's
 *
 * loss_*, reorder_*, conns, mem_* are heavy: -H runs each, not -r.
 *
 * A request is a header {reply length, seed, body length} (u32s) and a body
 * of rx_pat(seed); the reply is rx_pat(~seed). Every byte is checked on
 * both sides, so a broken run fails rather than looking fast.
 *
 * Each measurement is a warm-up run (not counted) and RUNS runs; it prints
 * the median, min and max of each figure, one line each:
 *
 *   bench <measurement> <figure> median=X min=Y max=Z runs=RUNS values=V1,V2,..
 *
 * with, per run, the wall time (TSC, see below) and the guest's CPU time:
 * cpu_* is the busy time of all CPUs from /proc/stat (user, system, irq,
 * softirq: the two processes, the module's kernel threads and work items,
 * the network stack); proc_cpu_* the user+system time of the two processes
 * alone (getrusage), so cpu - proc_cpu is what runs outside them. msgs_*
 * counts the sendmsg() and recvmsg() calls of both processes, sendmsg_* and
 * recvmsg_* the wall time spent in them (TSC; not the poll() before a
 * recvmsg: waiting); pkts_* the UDP datagrams sent (/proc/net/snmp
 * OutDatagrams: both ends, as both are in this guest); ctxsw_* the context
 * switches of all CPUs (/proc/stat ctxt); clock_speed the guest's
 * CLOCK_MONOTONIC over TSC time. After the figures, one line per
 * measurement with the counters of /proc/net/rxrpc/stats and /proc/net/snmp
 * (Udp) that changed over the counted runs:
 *
 *   bench <measurement> stats calls=C bytes=B <Label.key>=<delta> ...
 *
 * A bulk call that an ABORT ends (the C service's request timer does that
 * to rxkad encrypted requests under TCG: it aborts a call whose next
 * request packet is 1 * HZ "milliseconds" late, 250 ms) is not an error: the
 * run does not count, the service carries on, and the measurement says
 *
 *   bench <measurement> aborted runs=A of=RUNS
 *
 * with its figures over the other runs; so is an rxperf run one of whose
 * calls an ABORT ends. Any other failure is an error.
 *
 * Usage: rxrpc_bench [-r RUNS] [-H HEAVY_RUNS] [-n SMALL_CALLS] [-p ROUNDS]
 *                    [-b BULK_MIB] [-k KAD_BULK_MIB] [-B BIG_MIB] [-L LOSS_MIB]
 *                    [-C CONNS] [-N SCALE] [-o LIST] [-l LIMIT_S]
 *                    [-R RECV_BYTES] [-w] [-t TSC_MHZ] [-A SERVICE_ADDR]
 *        rxrpc_bench -S [-t TSC_MHZ] [-l LIMIT_S]  (the service alone, on
 *                          0.0.0.0, until the -A client's STOP call)
 *        rxrpc_bench -T    (prints the TSC rate in MHz, for -t; on the host)
 * -R is the buffer each recvmsg() is given (default and most 1 MiB); -w
 * makes the calls' recvmsg() block (SO_RCVTIMEO bounds it) instead of
 * waiting in poll() first, as a program without an event loop does; -k
 * the size of the kad_*_bulk_* calls (default B); -o a comma list of the
 * measurements above (default small,parallel,bulk_req,bulk_reply,
 * recv_empty), run in the order above.
 * Exits non-zero on any error (a wrong byte, an abort, a timeout).
 */
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include "rxrpc_ticket.h"
#include "rxrpc_stress.h"

#define SVC 1731
#define PORT 7100
#define HDR 12			/* request header: 3 u32s */
#define NPAR 64			/* concurrent calls in a parallel round */
#define MAXPAR 1000		/* the most of parallel<N> */
#define MAXHOLD 2000		/* the most calls held open (-N) */
#define REPLY_HOLD 0xffffffffu	/* reply length of a request held unanswered */
#define REPLY_STOP 0xfffffffeu	/* ... of one that ends a -S service */
#define KAD_KVNO 5
#define KAD_LIFE 96		/* 8 hours, in 5-minute units */
#define RXPERF_PORT 7009
#define RXPERF_SERVICE 147
#define RXPERF_VERSION 3
#define RXPERF_SEND 0
#define RXPERF_RECV 1
#define RXPERF_RPC 3
#define CHUNK (1 << 20)		/* largest sendmsg, and the receive buffer */
#define BULK_SEED 0x5eedu	/* data of this seed comes from bulk_pat */
#define MAX_RUNS 64
#define MAX_CTRS 128

/* Shared with the service process (MAP_SHARED before fork). */
struct shared {
	long target;		/* calls the service is to see end */
	long done;		/* calls ended (RXRPC_ACK) so far */
	long cpu_us;		/* its user+system time when done == target */
	long msgs;		/* its sendmsg + recvmsg calls, then */
	long long send_ns;	/* and its time in sendmsg */
	long long recv_ns;	/* and in recvmsg (not waiting in poll) */
	long notify_at;		/* the client waits for done to reach this */
	long held;		/* HOLD calls the service holds open */
	long held_want;		/* the client waits for held to reach this */
};

static struct shared *sh;
static uint8_t *bulk_pat;	/* rx_pat(BULK_SEED, 0 .. bulk_len - 1) */
static size_t bulk_len;
static long msgs;		/* this process's sendmsg + recvmsg calls */
static long long send_ns, recv_ns; /* its time in them (poll not counted) */
static const char *who = "client";
static size_t recv_len = CHUNK;	/* the buffer each recvmsg() is given (-R) */
static int block_recv;		/* -w: wait in recvmsg(), not in poll() first */
static int call_aborted;	/* the client's call ended in an ABORT; why: */
static char abort_why[128];

#define fail(...) do { \
	fprintf(stderr, "bench: %s: ", who); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
} while (0)

static long long mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/*
 * Wall time is taken from the TSC, not CLOCK_MONOTONIC. The test guest's
 * clocksource is refined-jiffies (tinyconfig has no HPET or PM timer, and
 * the TSC fails calibration under TCG), so CLOCK_MONOTONIC moves in 4 ms
 * steps, and when the host is loaded the guest loses timer ticks and its
 * clock runs slow (seen at 70% of real time), which would flatter the
 * busier guest. Under TCG the guest's TSC is the host's, so its rate is
 * measured on the host (-T) and given to the guest (-t MHZ); without -t it
 * is calibrated here against CLOCK_MONOTONIC, over a second (a warning
 * says so). CLOCK_MONOTONIC is still read around each run and its speed
 * against the TSC reported (clock_speed: 1 when the guest's clocksource is
 * the TSC, as scripts/bench.sh makes it; below 1 when it lost ticks).
 */
static double tsc_ns_per_tick;	/* 0: no TSC, use CLOCK_MONOTONIC */
static long long clock_step_ns;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Waits for CLOCK_MONOTONIC to step; the time after it and the TSC then. */
static long long mono_edge(uint64_t *tsc)
{
	long long t0 = mono_ns(), t;

	while ((t = mono_ns()) == t0)
		;
	*tsc = rdtsc();
	if (!clock_step_ns || t - t0 < clock_step_ns)
		clock_step_ns = t - t0;
	return t;
}

/* The TSC rate in MHz against CLOCK_MONOTONIC over about ms milliseconds. */
static double tsc_calibrate(int ms)
{
	uint64_t c0, c1;
	long long t0, t1;

	mono_edge(&c0);
	t0 = mono_edge(&c0);
	usleep(ms * 1000);
	t1 = mono_edge(&c1);
	return c1 > c0 && t1 > t0 ? (double)(c1 - c0) * 1e3 / (double)(t1 - t0) : 0;
}

static long long now_ns(void)
{
	if (tsc_ns_per_tick > 0)
		return (long long)(rdtsc() * tsc_ns_per_tick);
	return mono_ns();
}

/* --- Data ------------------------------------------------------------- */

static void pat_fill(uint8_t *p, size_t len, uint32_t seed)
{
	if (seed == BULK_SEED && len <= bulk_len)
		memcpy(p, bulk_pat, len);
	else
		rx_fill(p, len, seed);
}

/*
 * Offset of the first byte of p[0..n) that is not zero, or -1: memcmp
 * against zeros, which the C library does a word or a vector at a time,
 * so that checking rxperf.ko's replies (all zeros) costs the program
 * about what checking its own bulk data does (a memcmp too).
 */
static long first_nonzero(const uint8_t *p, size_t n)
{
	static const uint8_t zeros[65536];
	size_t done = 0, i;

	while (done < n) {
		size_t k = n - done < sizeof(zeros) ? n - done : sizeof(zeros);

		if (memcmp(p + done, zeros, k))
			for (i = 0; i < k; i++)
				if (p[done + i])
					return (long)(done + i);
		done += k;
	}
	return -1;
}

/* Offset of the first wrong byte of buf (bytes off.. of seed's data), or -1. */
static long pat_check(const uint8_t *buf, size_t n, uint32_t seed, size_t off)
{
	if (seed == BULK_SEED && off + n <= bulk_len &&
	    !memcmp(buf, bulk_pat + off, n))
		return -1;
	return rx_check(buf, n, seed, off);
}

/* Sends len bytes of data on call id, in CHUNK pieces; more: MSG_MORE on the last. */
static int send_data(int fd, unsigned long id, const struct sockaddr_rxrpc *to,
		     const uint8_t *p, size_t len, int more)
{
	size_t sent = 0;

	do {
		size_t n = len - sent > CHUNK ? CHUNK : len - sent;
		int flags = more || sent + n < len ? MSG_MORE : 0;
		long long t = now_ns();
		int ret = rx_send(fd, id, sent ? NULL : to, p + sent, n, flags);

		send_ns += now_ns() - t;
		msgs++;
		if (ret != (int)n) {
			uint8_t buf[64];
			char why[128] = "";
			struct rx_res r;
			int k;

			/* How the call ended, if it did: its terminal message. */
			for (k = 0; k < 100 && rx_wait(fd, 2000); k++) {
				if (rx_recv(fd, buf, sizeof(buf), MSG_DONTWAIT, &r) >= 0 &&
				    r.id == id && rx_terminal(&r)) {
					rx_describe(&r, why, sizeof(why));
					if (r.abort) {
						call_aborted = 1;
						snprintf(abort_why, sizeof(abort_why), "%s", why);
					}
					break;
				}
			}
			fail("sendmsg call %lu: %d (%s)%s%s", id, ret, ret < 0 ? strerror(-ret) : "short",
			     why[0] ? "; the call: " : "", why);
			return -1;
		}
		sent += n;
	} while (sent < len);
	return 0;
}

/* rx_recv_wait, timing the recvmsg; ms < 0: wait as long as it takes. */
static int recv_wait(int fd, uint8_t *buf, size_t len, struct rx_res *r, int ms)
{
	long long t;
	int n;

	if (block_recv) {
		/*
		 * SO_RCVTIMEO bounds the wait instead, set once per fd number:
		 * a socket that reuses one (the conns rows replace theirs) has
		 * none, and a broken run there hangs to the guest's limit.
		 */
		static int timeo_ms[1024];
		struct timeval tv = { .tv_sec = ms > 0 ? ms / 1000 : 0,
				      .tv_usec = ms > 0 ? ms % 1000 * 1000 : 0 };

		if (fd < 0 || fd >= 1024) {
			fail("recvmsg: fd %d", fd);
			return -EBADF;
		}
		if (timeo_ms[fd] != ms + 1) {
			if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
				fail("SO_RCVTIMEO: %s", strerror(errno));
				return -errno;
			}
			timeo_ms[fd] = ms + 1;
		}
	} else if (!rx_wait(fd, ms)) {
		fail("recvmsg: nothing for %d ms", ms);
		return -ETIMEDOUT;
	}
	t = now_ns();
	n = rx_recv(fd, buf, len, 0, r);
	recv_ns += now_ns() - t;
	msgs++;
	if (n == -EAGAIN && block_recv)
		fail("recvmsg: nothing for %d ms", ms);
	else if (n < 0)
		fail("recvmsg: %s", strerror(-n));
	return n;
}

static long cpu_us_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* --- The service -------------------------------------------------------- */

/*
 * The service's calls, by user call ID: open addressing, linear probing,
 * so that a lookup costs the same beside 1,000 held calls as beside none
 * (the open<N> measurements are about the module's cost, not ours).
 */
#define SRV_SLOTS 8192		/* a power of two, twice the most calls at once */

struct srv_call {
	unsigned long id;	/* 0: a free slot */
	size_t got;
	uint32_t hdr[3];
	int held;		/* a HOLD request: never answered */
};

static struct srv_call srv_calls[SRV_SLOTS];
static int srv_ncall;

static unsigned int srv_hash(unsigned long id)
{
	return (unsigned int)(id * 2654435761u) & (SRV_SLOTS - 1);
}

static struct srv_call *srv_find(unsigned long id)
{
	unsigned int i;

	for (i = srv_hash(id); srv_calls[i].id; i = (i + 1) & (SRV_SLOTS - 1))
		if (srv_calls[i].id == id)
			return &srv_calls[i];
	return NULL;
}

static struct srv_call *srv_add(unsigned long id)
{
	unsigned int i;

	if (srv_ncall >= SRV_SLOTS / 2)
		return NULL;
	for (i = srv_hash(id); srv_calls[i].id; i = (i + 1) & (SRV_SLOTS - 1))
		;
	memset(&srv_calls[i], 0, sizeof(srv_calls[i]));
	srv_calls[i].id = id;
	srv_ncall++;
	return &srv_calls[i];
}

/* Frees c's slot, moving back the entries after it that may (backward shift). */
static void srv_del(struct srv_call *c)
{
	unsigned int i = c - srv_calls, j = i, k;

	for (;;) {
		j = (j + 1) & (SRV_SLOTS - 1);
		if (!srv_calls[j].id)
			break;
		k = srv_hash(srv_calls[j].id);
		/* j stays unless its home k is cyclically outside (i, j] */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			srv_calls[i] = srv_calls[j];
			i = j;
		}
	}
	srv_calls[i].id = 0;
	srv_ncall--;
}

/*
 * Wakes the client if it may be waiting for what just changed: the calls
 * ended (done) reaching its target or notify_at, or (held) the calls held
 * reaching held_want.
 */
static int srv_notify(int done_fd, int held)
{
	int wake;

	if (held)
		wake = __atomic_load_n(&sh->held, __ATOMIC_SEQ_CST) ==
		       __atomic_load_n(&sh->held_want, __ATOMIC_SEQ_CST);
	else
		wake = __atomic_load_n(&sh->done, __ATOMIC_SEQ_CST) ==
		       __atomic_load_n(&sh->target, __ATOMIC_SEQ_CST) ||
		       __atomic_load_n(&sh->done, __ATOMIC_SEQ_CST) ==
		       __atomic_load_n(&sh->notify_at, __ATOMIC_SEQ_CST);
	return wake && write(done_fd, "x", 1) != 1 ? -1 : 0;
}

static void srv_call_done(void)
{
	long done = __atomic_add_fetch(&sh->done, 1, __ATOMIC_SEQ_CST);

	if (done == __atomic_load_n(&sh->target, __ATOMIC_SEQ_CST)) {
		sh->cpu_us = cpu_us_self();
		sh->msgs = msgs;
		sh->send_ns = send_ns;
		sh->recv_ns = recv_ns;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
}

/*
 * Serves calls until killed, or until a STOP request (the -S service of
 * the two-guest rows): 0 then; a non-zero exit status on an error.
 */
static int serve(int fd, unsigned long next_id, int done_fd)
{
	uint8_t *buf = malloc(CHUNK), *reply = malloc(CHUNK);
	struct rx_res r;

	if (!buf || !reply)
		return 2;
	sh->cpu_us = cpu_us_self();
	for (;;) {
		struct srv_call *c;
		size_t off = 0;
		/* Idle between measurements: wait as long as it takes. */
		int n = recv_wait(fd, buf, recv_len, &r, -1);

		if (n < 0)
			return 3;
		c = r.has_id ? srv_find(r.id) : NULL;
		if (r.ack) {
			if (!c || n || c->held) {
				fail("ACK for call %lu: unknown call, held or %d bytes", r.id, n);
				return 4;
			}
			srv_del(c);
			srv_call_done();
			if (srv_notify(done_fd, 0))
				return 4;
			continue;
		}
		if (rx_terminal(&r) || !r.has_id) {
			if (c && c->held) {
				/* The client let a held call go (it closed the socket). */
				srv_del(c);
				__atomic_sub_fetch(&sh->held, 1, __ATOMIC_SEQ_CST);
				if (srv_notify(done_fd, 1))
					return 4;
				continue;
			}
			fail("call %lu ended: abort %d/%u net %d local %d busy %d",
			     r.id, r.abort, r.abort_code, r.net_error, r.local_error, r.busy);
			if (!c || !r.abort)
				return 5;
			/* An aborted call ends like one ACKed (the client reports it). */
			srv_del(c);
			srv_call_done();
			if (srv_notify(done_fd, 0))
				return 4;
			continue;
		}
		if (!c) {
			c = srv_add(r.id);
			if (!c)
				return 6;
			/* Keep the backlog charged: ENOBUFS if it still is full. */
			long long t = now_ns();

			msgs++;
			if (rx_charge(fd, next_id) == 0)
				next_id++;
			send_ns += now_ns() - t;
		}
		while (c->got < HDR && off < (size_t)n)
			((uint8_t *)c->hdr)[c->got++] = buf[off++];
		if (off < (size_t)n) {
			long bad = pat_check(buf + off, n - off, c->hdr[1], c->got - HDR);

			if (bad != -1) {
				fail("call %lu: request byte %ld wrong", c->id, bad);
				return 7;
			}
			c->got += n - off;
		}
		if (r.flags & MSG_MORE)
			continue;
		if (c->got != HDR + c->hdr[2]) {
			fail("call %lu: request of %zu bytes, header says %u", c->id, c->got, HDR + c->hdr[2]);
			return 8;
		}
		if (c->hdr[0] == REPLY_HOLD) {
			/* Held open: no reply until the client lets it go. */
			c->held = 1;
			__atomic_add_fetch(&sh->held, 1, __ATOMIC_SEQ_CST);
			if (srv_notify(done_fd, 1))
				return 4;
			continue;
		}
		if (c->hdr[0] == REPLY_STOP) {
			if (send_data(fd, c->id, NULL, reply, 0, 0))
				return 10;
			usleep(500000);	/* for the final ACK */
			return 0;
		}
		{
			uint32_t len = c->hdr[0], seed = ~c->hdr[1];
			const uint8_t *p = reply;

			if (seed == BULK_SEED && len <= bulk_len) {
				p = bulk_pat;
			} else if (len <= CHUNK) {
				rx_fill(reply, len, seed);
			} else {
				fail("call %lu: reply of %u bytes", c->id, len);
				return 9;
			}
			if (send_data(fd, c->id, NULL, p, len, 0))
				return 10;
		}
	}
}

/* --- The client ------------------------------------------------------------- */

struct cli_call {
	unsigned long id;
	uint32_t seed;		/* the reply is rx_pat(seed) */
	size_t want, got;
};

/* Starts a call: a request of body_len bytes of seed, asking reply_len. */
static int start_call(int fd, const struct sockaddr_rxrpc *to, unsigned long id,
		      uint32_t seed, uint32_t body_len, uint32_t reply_len,
		      uint8_t *scratch)
{
	uint32_t hdr[3] = { reply_len, seed, body_len };

	if (seed == BULK_SEED && body_len > CHUNK - HDR) {
		/* The body straight from the pattern, after the header. */
		return send_data(fd, id, to, (uint8_t *)hdr, HDR, 1) ||
		       send_data(fd, id, NULL, bulk_pat, body_len, 0) ? -1 : 0;
	}
	memcpy(scratch, hdr, HDR);
	pat_fill(scratch + HDR, body_len, seed);
	return send_data(fd, id, to, scratch, HDR + body_len, 0);
}

/* Reads the replies of ncall calls (ids calls[0].id + k), checking every byte. */
static int read_replies(int fd, struct cli_call *calls, int ncall, uint8_t *buf)
{
	unsigned long first = calls[0].id;
	int done = 0;
	struct rx_res r;

	while (done < ncall) {
		int n = recv_wait(fd, buf, recv_len, &r, RX_POLL_MS);
		struct cli_call *c;
		long bad;

		if (n < 0)
			return -1;
		if (!r.has_id || r.id < first || r.id >= first + ncall || rx_terminal(&r)) {
			fail("reply: id %lu, abort %d/%u net %d local %d busy %d",
			     r.id, r.abort, r.abort_code, r.net_error, r.local_error, r.busy);
			if (r.abort && r.has_id && r.id >= first && r.id < first + ncall) {
				call_aborted = 1;
				rx_describe(&r, abort_why, sizeof(abort_why));
			}
			return -1;
		}
		c = &calls[r.id - first];
		bad = pat_check(buf, n, c->seed, c->got);
		if (bad != -1) {
			fail("call %lu: reply byte %ld wrong", c->id, bad);
			return -1;
		}
		c->got += n;
		if (r.flags & MSG_EOR) {
			if (c->got != c->want || (r.flags & MSG_MORE)) {
				fail("call %lu: reply of %zu bytes, want %zu", c->id, c->got, c->want);
				return -1;
			}
			done++;
		} else if (!(r.flags & MSG_MORE)) {
			fail("call %lu: a read with neither MSG_MORE nor MSG_EOR", c->id);
			return -1;
		}
	}
	return 0;
}

/* --- Guest counters ------------------------------------------------------------ */

/*
 * Busy time of all CPUs, in ticks of 1/sysconf(_SC_CLK_TCK) s, the part of
 * it in user mode (user and nice), and the context switches so far
 * (/proc/stat).
 */
static long long cpu_busy_ticks(long long *ctxt, long long *user)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	char line[256];

	*ctxt = 0;
	*user = 0;
	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 7)
		v[0] = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "ctxt %lld", ctxt) == 1)
			break;
	fclose(f);
	/* user nice system [idle iowait] irq softirq steal */
	*user = v[0] + v[1];
	return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

struct ctrs {
	int n;
	char key[MAX_CTRS][40];
	long long val[MAX_CTRS];
};

static void ctr_add(struct ctrs *c, const char *key, long long v)
{
	if (c->n < MAX_CTRS) {
		snprintf(c->key[c->n], sizeof(c->key[0]), "%s", key);
		c->val[c->n++] = v;
	}
}

/*
 * /proc/net/rxrpc/stats ("Label : key=value ...", as Label.key) and the Udp
 * lines of /proc/net/snmp (as Udp.Name). Absent files add nothing.
 */
static void ctrs_read(struct ctrs *c)
{
	char line[512], names[512], key[40];
	FILE *f;

	c->n = 0;
	f = fopen("/proc/net/rxrpc/stats", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *p, *tok, *save;
		char label[24];
		int k = 0;

		if (!colon)
			continue;
		for (p = line; p < colon && k < (int)sizeof(label) - 1; p++)
			if (*p != ' ')
				label[k++] = *p;
		label[k] = 0;
		for (tok = strtok_r(colon + 1, " \n", &save); tok;
		     tok = strtok_r(NULL, " \n", &save)) {
			char *eq = strchr(tok, '=');

			if (!eq)
				continue;
			*eq = 0;
			snprintf(key, sizeof(key), "%s.%s", label, tok);
			ctr_add(c, key, atoll(eq + 1));
		}
	}
	if (f)
		fclose(f);
	f = fopen("/proc/net/snmp", "r");
	names[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char *a, *b, *sa, *sb;

		if (strncmp(line, "Udp: ", 5))
			continue;
		if (!names[0]) {
			snprintf(names, sizeof(names), "%s", line);
			continue;
		}
		a = strtok_r(names + 5, " \n", &sa);
		b = strtok_r(line + 5, " \n", &sb);
		for (; a && b; a = strtok_r(NULL, " \n", &sa), b = strtok_r(NULL, " \n", &sb)) {
			snprintf(key, sizeof(key), "Udp.%s", a);
			ctr_add(c, key, atoll(b));
		}
		break;
	}
	if (f)
		fclose(f);
}

static long long ctr_get(const struct ctrs *c, const char *key)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->key[i], key))
			return c->val[i];
	return 0;
}

/* --- Measurements --------------------------------------------------------------- */

enum kind { SMALL, PARALLEL, BULK_REQ, BULK_REPLY, RECV_EMPTY, PERF_SMALL,
	    PERF_BULK_REQ, PERF_BULK_REPLY, CONNS, OPEN, MEM_CONNS, MEM_CALLS };

/* The size of a bulk measurement: -b, -k, -B or -L MiB. */
enum size { SZ_BULK, SZ_KAD, SZ_BIG, SZ_LOSS };

#define NETEM_LOSS "loss 2%"
#define NETEM_REORDER "delay 1ms reorder 25% 50%"

struct meas {
	const char *name;
	enum kind kind;
	int level;		/* rxkad level (RXRPC_SECURITY_*); -1: none */
	int width;		/* parallel: calls at once; open: calls held open */
	enum size size;		/* bulk: its size */
	const char *netem;	/* bulk: netem on lo while it runs; NULL: none */
	int remote;		/* only with -A: the service in another guest */
	int heavy;		/* long: -H runs, not -r */
};

static const struct meas meas_list[] = {
	{ "small", SMALL, -1, 1 },
	{ "parallel", PARALLEL, -1, NPAR },
	{ "bulk_req", BULK_REQ, -1, 1 },
	{ "bulk_reply", BULK_REPLY, -1, 1 },
	{ "recv_empty", RECV_EMPTY, -1, 1 },
	{ "parallel16", PARALLEL, -1, 16 },
	{ "parallel256", PARALLEL, -1, 256 },
	{ "kad_plain_small", SMALL, RXRPC_SECURITY_PLAIN, 1 },
	{ "kad_plain_bulk_req", BULK_REQ, RXRPC_SECURITY_PLAIN, 1, SZ_KAD },
	{ "kad_plain_bulk_reply", BULK_REPLY, RXRPC_SECURITY_PLAIN, 1, SZ_KAD },
	{ "kad_auth_small", SMALL, RXRPC_SECURITY_AUTH, 1 },
	{ "kad_auth_bulk_req", BULK_REQ, RXRPC_SECURITY_AUTH, 1, SZ_KAD },
	{ "kad_auth_bulk_reply", BULK_REPLY, RXRPC_SECURITY_AUTH, 1, SZ_KAD },
	{ "kad_encrypt_small", SMALL, RXRPC_SECURITY_ENCRYPT, 1 },
	{ "kad_encrypt_bulk_req", BULK_REQ, RXRPC_SECURITY_ENCRYPT, 1, SZ_KAD },
	{ "kad_encrypt_bulk_reply", BULK_REPLY, RXRPC_SECURITY_ENCRYPT, 1, SZ_KAD },
	{ "rxperf_small", PERF_SMALL, -1, 1 },
	{ "rxperf_bulk_req", PERF_BULK_REQ, -1, 1 },
	{ "rxperf_bulk_reply", PERF_BULK_REPLY, -1, 1 },
	{ "bulk64_req", BULK_REQ, -1, 1, SZ_BIG },
	{ "bulk64_reply", BULK_REPLY, -1, 1, SZ_BIG },
	{ "parallel1000", PARALLEL, -1, 1000 },
	{ "loss_bulk_req", BULK_REQ, -1, 1, SZ_LOSS, NETEM_LOSS, 0, 1 },
	{ "loss_bulk_reply", BULK_REPLY, -1, 1, SZ_LOSS, NETEM_LOSS, 0, 1 },
	{ "reorder_bulk_req", BULK_REQ, -1, 1, SZ_LOSS, NETEM_REORDER, 0, 1 },
	{ "reorder_bulk_reply", BULK_REPLY, -1, 1, SZ_LOSS, NETEM_REORDER, 0, 1 },
	{ "open1", OPEN, -1, 1 },
	{ "open10", OPEN, -1, 10 },
	{ "open100", OPEN, -1, 100 },
	{ "open1000", OPEN, -1, 1000 },
	{ "mem_conns", MEM_CONNS, -1, 1, SZ_BULK, NULL, 0, 1 },
	{ "mem_calls", MEM_CALLS, -1, 1, SZ_BULK, NULL, 0, 1 },
	{ "conns", CONNS, -1, 1, SZ_BULK, NULL, 0, 1 },
	{ "link_bulk_req", BULK_REQ, -1, 1, SZ_BULK, NULL, 1 },
	{ "link_bulk_reply", BULK_REPLY, -1, 1, SZ_BULK, NULL, 1 },
};
#define NMEAS (int)(sizeof(meas_list) / sizeof(meas_list[0]))

struct sample {
	double secs;		/* wall time (TSC) */
	double mono_secs;	/* the guest's CLOCK_MONOTONIC */
	double cpu_s;		/* busy time of all CPUs */
	double kcpu_s;		/* ... less user mode: the kernel's share */
	long long ctxsw;	/* context switches, all CPUs */
	double proc_cpu_s;	/* user+system of both processes */
	long msgs;		/* sendmsg + recvmsg of both processes */
	double send_s, recv_s;	/* time in them */
	long long pkts;		/* UDP datagrams sent */
	long calls;
	double bytes;		/* bulk: bytes of the big direction */
};

struct bench {
	int cli, done_fd;
	int plain_cli;		/* the client socket without a key */
	int kad[3];		/* with the rxkad key, at each level; -1 if none */
	int perf;		/* for rxperf; -1 if none */
	struct sockaddr_rxrpc to, perf_to;
	unsigned long next_id;
	uint8_t *buf, *scratch;
	long clk_tck;
	const char *remote;	/* -A: the service's address, in another guest */
	int hold_fd;		/* the held calls' socket, -1 if none */
	long held;		/* calls held open on it */
	unsigned long hold_id;	/* the last held call's user ID */
};

/* run() flags */
#define RUN_NEW_CONNS 1		/* each call on a connection of its own (see run) */

/* Waits until the service has seen `want` calls end. */
static int wait_done(struct bench *b, long want, int ms)
{
	long long end = mono_ns() + ms * 1000000LL;
	char x;

	__atomic_store_n(&sh->notify_at, want, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&sh->done, __ATOMIC_SEQ_CST) < want) {
		struct pollfd p = { .fd = b->done_fd, .events = POLLIN };
		int left = (int)((end - mono_ns()) / 1000000);

		if (left <= 0 || poll(&p, 1, left) != 1) {
			fail("the service saw %ld of %ld calls end", sh->done, want);
			return -1;
		}
		if (read(b->done_fd, &x, 1) != 1) {
			fail("the service died");
			return -1;
		}
	}
	return 0;
}

/* A client socket whose calls each get a connection of their own. */
static int excl_socket(void)
{
	int fd = rx_socket(PF_INET), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_RXRPC, RXRPC_EXCLUSIVE_CONNECTION, &one, 0) < 0) {
		fail("exclusive client socket: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * One run: `calls` calls, `width` at a time (a group is started, then its
 * replies read), each with a request body of body_len bytes and a reply of
 * reply_len; ends when the service has seen every final ACK. With
 * RUN_NEW_CONNS (width 1) every call is on a connection of its own
 * (RXRPC_EXCLUSIVE_CONNECTION), from a client socket that is replaced
 * every new_every calls (once the service has seen its calls end, so that
 * no final ACK is lost with it), as rxrpc_flood's connection test does.
 * Without a service here (-A) a run ends with the last reply.
 */
static int run(struct bench *b, long calls, int width, uint32_t body_len,
	       uint32_t reply_len, int bulk, int flags, long new_every,
	       struct sample *s)
{
	struct cli_call cc[MAXPAR];
	long long t0, t1, m0, m1;
	long long busy0, busy1, ctxt0, ctxt1, user0, user1;
	long cpu0, srv_cpu0 = sh->cpu_us, srv_msgs0 = sh->msgs, msgs0 = msgs;
	long long sns0 = send_ns + sh->send_ns, rns0 = recv_ns + sh->recv_ns;
	long done0 = sh->done;
	struct ctrs c0, c1;
	int fd = b->cli;
	long k = 0;
	int i;

	ctrs_read(&c0);
	busy0 = cpu_busy_ticks(&ctxt0, &user0);
	cpu0 = cpu_us_self();
	__atomic_add_fetch(&sh->target, calls, __ATOMIC_SEQ_CST);
	call_aborted = 0;
	m0 = mono_ns();
	t0 = now_ns();
	while (k < calls) {
		int w = calls - k < width ? calls - k : width;

		if ((flags & RUN_NEW_CONNS) && k % new_every == 0) {
			if (k) {
				if (wait_done(b, done0 + k, RX_POLL_MS))
					goto failed;
				close(fd);
			}
			fd = excl_socket();
			if (fd < 0)
				return -1;
		}
		for (i = 0; i < w; i++) {
			/* bulk_reply asks for the reply of seed BULK_SEED */
			uint32_t seed = bulk == 2 ? ~BULK_SEED :
					bulk == 1 ? BULK_SEED : (uint32_t)b->next_id * 2654435761u;

			cc[i].id = b->next_id++;
			cc[i].seed = ~seed;
			cc[i].want = reply_len;
			cc[i].got = 0;
			if (start_call(fd, &b->to, cc[i].id, seed, body_len, reply_len, b->scratch))
				goto failed;
		}
		if (read_replies(fd, cc, w, b->buf))
			goto failed;
		k += w;
	}
	/* The service says when it has seen the last final ACK. */
	if (!b->remote && wait_done(b, done0 + calls, RX_POLL_MS))
		goto failed;
	t1 = now_ns();
	m1 = mono_ns();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	busy1 = cpu_busy_ticks(&ctxt1, &user1);
	s->proc_cpu_s = (cpu_us_self() - cpu0 + sh->cpu_us - srv_cpu0) / 1e6;
	ctrs_read(&c1);
	if (fd != b->cli)
		close(fd);
	s->secs = (t1 - t0) / 1e9;
	s->mono_secs = (m1 - m0) / 1e9;
	s->cpu_s = (double)(busy1 - busy0) / b->clk_tck;
	s->kcpu_s = (double)(busy1 - busy0 - (user1 - user0)) / b->clk_tck;
	s->ctxsw = ctxt1 - ctxt0;
	s->msgs = msgs - msgs0 + sh->msgs - srv_msgs0;
	s->send_s = (send_ns + sh->send_ns - sns0) / 1e9;
	s->recv_s = (recv_ns + sh->recv_ns - rns0) / 1e9;
	s->pkts = ctr_get(&c1, "Udp.OutDatagrams") - ctr_get(&c0, "Udp.OutDatagrams");
	s->calls = calls;
	s->bytes = bulk == 1 ? body_len : bulk == 2 ? reply_len : 0;
	return 0;

failed:
	if (fd != b->cli)
		close(fd);
	/*
	 * A bulk call (the run's one call) that an ABORT ended: the run does
	 * not count, and is reported; once the service has seen the abort too,
	 * the next run can go. Anything else is an error.
	 */
	if (!call_aborted || calls != 1)
		return -1;
	if (!b->remote && wait_done(b, done0 + calls, RX_POLL_MS)) {
		fail("the service did not see the abort");
		return -1;
	}
	return 1;
}

/* Waits until the service holds `want` calls open. */
static int wait_held(struct bench *b, long want, int ms)
{
	long long end = mono_ns() + ms * 1000000LL;
	char x;

	__atomic_store_n(&sh->held_want, want, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&sh->held, __ATOMIC_SEQ_CST) != want) {
		struct pollfd p = { .fd = b->done_fd, .events = POLLIN };
		int left = (int)((end - mono_ns()) / 1000000);

		if (left <= 0 || poll(&p, 1, left) != 1) {
			fail("the service holds %ld calls, not %ld", sh->held, want);
			return -1;
		}
		if (read(b->done_fd, &x, 1) != 1) {
			fail("the service died");
			return -1;
		}
	}
	__atomic_store_n(&sh->held_want, -1, __ATOMIC_SEQ_CST);
	return 0;
}

/* A held call must not end before the client lets it go: one that did is an error. */
static int hold_check(struct bench *b)
{
	struct rx_res r;
	char why[128];
	int n;

	if (b->hold_fd < 0)
		return 0;
	n = rx_recv(b->hold_fd, b->buf, 64, MSG_DONTWAIT, &r);
	if (n == -EAGAIN || n == -ENODATA)
		return 0;
	rx_describe(&r, why, sizeof(why));
	fail("held call %lu: a message (%d): %s", r.id, n, why);
	return -1;
}

/*
 * Holds n calls open beside the measurement: requests (HOLD) that the
 * service reads and never answers, each on a connection of its own
 * (RXRPC_EXCLUSIVE_CONNECTION: a bundle has at most 4 connections of 4
 * channels, so more calls on one would wait for a channel, not be open),
 * from a socket of their own. Fewer than held now: all are let go first
 * (the socket is closed, which aborts them). Sent 8 at a time, each batch
 * once the service holds the last, so that none finds the backlog empty.
 */
static int hold_to(struct bench *b, long n)
{
	uint32_t hdr[3] = { REPLY_HOLD, 0, 0 };

	if (n < b->held || (!n && b->hold_fd >= 0)) {
		if (hold_check(b))
			return -1;
		close(b->hold_fd);
		b->hold_fd = -1;
		b->held = 0;
		if (wait_held(b, 0, RX_POLL_MS))
			return -1;
	}
	if (n && b->hold_fd < 0) {
		b->hold_fd = excl_socket();
		if (b->hold_fd < 0)
			return -1;
	}
	while (b->held < n) {
		long k, batch = n - b->held < 8 ? n - b->held : 8;

		for (k = 0; k < batch; k++) {
			int ret;

			b->hold_id++;
			hdr[1] = (uint32_t)b->hold_id;
			ret = rx_send(b->hold_fd, b->hold_id, &b->to, hdr, HDR, 0);
			if (ret != HDR) {
				fail("held call %lu: sendmsg %d", b->hold_id, ret);
				return -1;
			}
		}
		b->held += batch;
		if (wait_held(b, b->held, RX_POLL_MS))
			return -1;
	}
	return hold_check(b);
}

static const uint8_t rxperf_cookie[4] = { 0x00, 0x00, 0x47, 0x11 };

/*
 * One rxperf run: `calls` calls of operation op in a row, each a request of
 * req_len bytes (zeros) and a reply of reply_len zero bytes, plus the
 * cookie each way; ends with the last reply. The server is rxperf.ko.
 */
static int run_rxperf(struct bench *b, long calls, uint32_t op, uint32_t req_len,
		      uint32_t reply_len, struct sample *s)
{
	static uint8_t zero[CHUNK];
	long long t0, t1, m0, m1, busy0, busy1, ctxt0, ctxt1, user0, user1;
	long cpu0 = cpu_us_self(), msgs0 = msgs;
	long long sns0 = send_ns, rns0 = recv_ns;
	struct ctrs c0, c1;
	long k;

	ctrs_read(&c0);
	busy0 = cpu_busy_ticks(&ctxt0, &user0);
	cpu0 = cpu_us_self();
	call_aborted = 0;
	m0 = mono_ns();
	t0 = now_ns();
	for (k = 0; k < calls; k++) {
		uint32_t hdr[6] = { htonl(RXPERF_VERSION), htonl(op), 0, 0, 0, 0 };
		size_t hdr_len = 16 + (op == RXPERF_RPC ? 8 : 4), got = 0;
		unsigned long id = b->next_id++;
		struct rx_res r;

		if (op == RXPERF_RPC) {
			hdr[4] = htonl(req_len);
			hdr[5] = htonl(reply_len);
		} else {
			hdr[4] = htonl(op == RXPERF_SEND ? req_len : reply_len);
		}
		if (req_len + hdr_len + 4 <= CHUNK) {
			memcpy(b->scratch, hdr, hdr_len);
			memset(b->scratch + hdr_len, 0, req_len);
			memcpy(b->scratch + hdr_len + req_len, rxperf_cookie, 4);
			if (send_data(b->perf, id, &b->perf_to, b->scratch, hdr_len + req_len + 4, 0))
				return call_aborted ? 1 : -1;
		} else {
			size_t sent = 0, n;

			if (send_data(b->perf, id, &b->perf_to, (uint8_t *)hdr, hdr_len, 1))
				return call_aborted ? 1 : -1;
			for (; sent < req_len; sent += n) {
				n = req_len - sent < CHUNK ? req_len - sent : CHUNK;
				if (send_data(b->perf, id, NULL, zero, n, 1))
					return call_aborted ? 1 : -1;
			}
			if (send_data(b->perf, id, NULL, rxperf_cookie, 4, 0))
				return call_aborted ? 1 : -1;
		}
		for (;;) {
			int n = recv_wait(b->perf, b->buf, recv_len, &r, RX_POLL_MS), i;

			if (n < 0)
				return -1;
			if (!r.has_id || r.id != id || rx_terminal(&r)) {
				fail("rxperf call %lu: id %lu, abort %d/%u net %d local %d busy %d",
				     id, r.id, r.abort, r.abort_code, r.net_error, r.local_error, r.busy);
				if (r.abort && r.has_id && r.id == id) {
					/* A run with an aborted call: reported, not counted. */
					rx_describe(&r, abort_why, sizeof(abort_why));
					return 1;
				}
				return -1;
			}
			/* The zeros of the reply, then the cookie. */
			i = got < reply_len ? (reply_len - got < (size_t)n ? (int)(reply_len - got) : n) : 0;
			if (first_nonzero(b->buf, i) >= 0) {
				fail("rxperf call %lu: reply byte %zu wrong", id,
				     got + first_nonzero(b->buf, i));
				return -1;
			}
			for (got += i; i < n; i++, got++)
				if (b->buf[i] != rxperf_cookie[(got - reply_len) & 3]) {
					fail("rxperf call %lu: reply byte %zu wrong", id, got);
					return -1;
				}
			if (r.flags & MSG_EOR)
				break;
			if (!(r.flags & MSG_MORE)) {
				fail("rxperf call %lu: a read with neither MSG_MORE nor MSG_EOR", id);
				return -1;
			}
		}
		if (got != reply_len + 4) {
			fail("rxperf call %lu: reply of %zu bytes, want %u", id, got, reply_len + 4);
			return -1;
		}
	}
	t1 = now_ns();
	m1 = mono_ns();
	busy1 = cpu_busy_ticks(&ctxt1, &user1);
	s->proc_cpu_s = (cpu_us_self() - cpu0) / 1e6;
	ctrs_read(&c1);
	s->secs = (t1 - t0) / 1e9;
	s->mono_secs = (m1 - m0) / 1e9;
	s->cpu_s = (double)(busy1 - busy0) / b->clk_tck;
	s->kcpu_s = (double)(busy1 - busy0 - (user1 - user0)) / b->clk_tck;
	s->ctxsw = ctxt1 - ctxt0;
	s->msgs = msgs - msgs0;
	s->send_s = (send_ns - sns0) / 1e9;
	s->recv_s = (recv_ns - rns0) / 1e9;
	s->pkts = ctr_get(&c1, "Udp.OutDatagrams") - ctr_get(&c0, "Udp.OutDatagrams");
	s->calls = calls;
	s->bytes = op == RXPERF_SEND ? req_len : op == RXPERF_RECV ? reply_len : 0;
	return 0;
}

/*
 * rxkad: that the calls of a measurement are what it says. One call (not
 * counted) with a packet socket on lo: every DATA packet to or from the
 * service carries security index 2, and the request's first one its data
 * (bulk_pat) in clear from byte 0 (plain), from byte 8 (auth: a 4-byte
 * header and the data's first 4 bytes sealed) or not at all (encrypt).
 */
static int kad_check(struct bench *b, const struct meas *m)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = if_nametoindex("lo"),
	};
	int fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	int data = 0, kad = 0, level = -1, n;
	uint8_t pkt[2048];
	struct sample s;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fail("%s: packet socket: %s", m->name, strerror(errno));
		return -1;
	}
	if (run(b, 1, 1, 100 - HDR, 100, 1, 0, 0, &s)) {
		close(fd);
		return -1;
	}
	while ((n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT)) > 0) {
		int ihl = (pkt[0] & 15) * 4, sport, dport, len;
		uint8_t *rx;

		if (n < ihl + 8 + 28 || pkt[9] != IPPROTO_UDP)
			continue;
		sport = pkt[ihl] << 8 | pkt[ihl + 1];
		dport = pkt[ihl + 2] << 8 | pkt[ihl + 3];
		rx = pkt + ihl + 8;
		len = n - ihl - 8 - 28;
		if ((sport != PORT && dport != PORT) || rx[20] != 1)
			continue;
		data++;
		kad += rx[23] == RXKAD_SECURITY_INDEX;
		if (dport == PORT && level < 0 && len >= 32 &&
		    !(rx[12] | rx[13] | rx[14]) && rx[15] == 1) {
			/* seq 1: the header (HDR bytes), then bulk_pat */
			if (!memcmp(rx + 28 + HDR, bulk_pat, 16))
				level = RXRPC_SECURITY_PLAIN;
			else if (!memcmp(rx + 28 + 4 + HDR, bulk_pat, 16))
				level = RXRPC_SECURITY_AUTH;
			else
				level = RXRPC_SECURITY_ENCRYPT;
		}
	}
	close(fd);
	printf("bench %s wire data=%d rxkad=%d level=%d\n", m->name, data, kad, level);
	if (!data || kad != data || level != m->level) {
		fail("%s: the calls are not rxkad at level %d", m->name, m->level);
		return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *meas, const char *figure, double *v, int n)
{
	double s[MAX_RUNS];
	double med;
	int i;

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;

	printf("bench %s %s median=%.6g min=%.6g max=%.6g runs=%d values=",
	       meas, figure, med, s[0], s[n - 1], n);
	for (i = 0; i < n; i++)
		printf("%s%.6g", i ? "," : "", v[i]);
	printf("\n");
}

#define EMPTY_N 3000

/*
 * recv_empty: the cost of the syscall itself. recvmsg(MSG_DONTWAIT) on a
 * bound socket that has no call, which answers EAGAIN at once, EMPTY_N
 * times with a 16-byte buffer and EMPTY_N times with a 1 MiB one.
 */
static int measure_recv_empty(struct bench *b, int runs)
{
	static const size_t lens[2] = { 16, CHUNK };
	static const char *const figs[2] = { "us_per_recvmsg_16B", "us_per_recvmsg_1MiB" };
	double us[2][MAX_RUNS];
	struct sockaddr_rxrpc a;
	struct rx_res r;
	int fd = rx_socket(PF_INET), i, k, n, ret;

	rx_addr4(&a, "127.0.0.1", PORT + 1, 0);
	ret = fd < 0 ? -errno : rx_bind(fd, &a);
	if (ret) {
		fail("recv_empty: socket: %s", strerror(-ret));
		return -1;
	}
	for (i = -1; i < runs; i++) {
		for (k = 0; k < 2; k++) {
			long long t = now_ns();

			for (n = 0; n < EMPTY_N; n++) {
				ret = rx_recv(fd, b->buf, lens[k], MSG_DONTWAIT, &r);
				if (ret != -EAGAIN && ret != -ENODATA) {
					fail("recv_empty: recvmsg answered %d", ret);
					close(fd);
					return -1;
				}
			}
			if (i >= 0)
				us[k][i] = (now_ns() - t) / 1e3 / EMPTY_N;
		}
	}
	close(fd);
	for (k = 0; k < 2; k++)
		report("recv_empty", figs[k], us[k], runs);
	return 0;
}

/* What the measurements are given (the options). */
struct opts {
	int runs;
	int heavy_runs;		/* runs of a heavy measurement (-H) */
	long small_n;		/* calls per small run (-n) */
	long rounds;		/* parallel rounds (-p) */
	long conns;		/* connections per conns run (-C) */
	long scale;		/* N of mem_conns and mem_calls (-N) */
	size_t size[4];		/* bulk sizes in bytes, by enum size */
};

/* Kernel memory (/proc/meminfo, kB) and the module's rows at one moment. */
struct mem {
	long slab, sunreclaim, memfree;
	int calls, conns;
};

static void mem_read(struct mem *m)
{
	m->slab = rx_meminfo_kb("Slab");
	m->sunreclaim = rx_meminfo_kb("SUnreclaim");
	m->memfree = rx_meminfo_kb("MemFree");
	m->calls = rx_proc_rows("calls");
	m->conns = rx_proc_rows("conns");
}

/*
 * The slab caches at one moment (/proc/slabinfo, which kernels with
 * CONFIG_SLUB_DEBUG have): name, objects in use and their size, so that
 * the memory rows can say which caches an object's bytes went to.
 */
#define MAX_CACHES 512
struct caches {
	int n;
	char name[MAX_CACHES][32];
	long active[MAX_CACHES], size[MAX_CACHES];
};

static void caches_read(struct caches *c)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512];
	long total;

	c->n = 0;
	if (!f)
		return;
	while (c->n < MAX_CACHES && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %ld %ld %ld", c->name[c->n], &c->active[c->n], &total,
			   &c->size[c->n]) == 4)
			c->n++;
	fclose(f);
}

/*
 * "slab ROW CACHE OBJS B" for each cache that grew or shrank by 1 in 20
 * objects: its objects and bytes (by its object size, debug metadata
 * included) per object made.
 */
static void caches_report(const char *row, const struct caches *a, const struct caches *b, long n)
{
	int i, j;

	for (i = 0; i < b->n; i++) {
		long before = 0, d;

		for (j = 0; j < a->n; j++)
			if (!strcmp(a->name[j], b->name[i]))
				before = a->active[j];
		d = b->active[i] - before;
		if (labs(d) * 20 >= n)
			printf("slab %s %s %.2f %.0f\n", row, b->name[i], (double)d / n,
			       (double)d * b->size[i] / n);
	}
}

/*
 * mem_conns, mem_calls: kernel memory per idle connection and per active
 * call, both ends (client and service are in this guest). A run reads
 * /proc/meminfo (Slab, SUnreclaim, MemFree), then makes N objects, reads
 * it again and divides the difference by N:
 *   mem_conns  N calls in a row on a client socket whose calls each get a
 *              connection of their own (RXRPC_EXCLUSIVE_CONNECTION), all
 *              completed (the service has seen every final ACK, and the
 *              calls are gone from /proc/net/rxrpc/calls); the connections
 *              stay, idle: each module keeps a client connection for
 *              idle_conn_expiry (2 min; reap_client_conns is raised for
 *              the run so that neither discards any sooner) and a service
 *              connection for 10 min. Then the socket is closed.
 *   mem_calls  N calls held open (hold_to: requests sent, the service
 *              holding them unanswered), each on a connection of its own,
 *              so a call's figure includes its connection's. Then they are
 *              let go.
 * Slab is what the slab allocator holds (pages, so a cache's partly used
 * slab counts whole); MemFree's drop counts page allocations too (socket
 * buffers). Both move with whatever else the kernel does, by a few pages.
 * The last run also prints, per slab cache, the bytes in use it gained an
 * object ("slab" lines).
 */
static int measure_mem(struct bench *b, const struct meas *m, const struct opts *o)
{
	double slab[MAX_RUNS], sunr[MAX_RUNS], mem[MAX_RUNS], conns[MAX_RUNS], callrows[MAX_RUNS];
	int old_reap = rx_sysctl_read("reap_client_conns", 900), i, k, base_calls;
	int runs = o->heavy_runs;
	const char *name = m->name;
	long n = o->scale;
	static struct caches c0, c1;
	struct mem m0, m1;

	if (hold_to(b, 0))
		return -1;
	rx_sysctl_write("reap_client_conns", 65535);
	base_calls = rx_proc_rows("calls");
	for (i = -1, k = 0; i < runs; i++) {	/* run -1: the warm-up */
		long objs = i < 0 ? n / 4 : n;
		struct sample s;
		int tries;

		usleep(300000);
		mem_read(&m0);
		caches_read(&c0);
		if (m->kind == MEM_CONNS) {
			int fd = excl_socket(), ret;

			if (fd < 0)
				goto failed;
			b->cli = fd;
			ret = run(b, objs, 1, 100 - HDR, 100, 0, 0, 0, &s);
			b->cli = b->plain_cli;
			/* The calls freed (up to 5 s): only connections stay. */
			for (tries = 0; tries < 50 && rx_proc_rows("calls") > base_calls; tries++)
				usleep(100000);
			usleep(300000);
			mem_read(&m1);
			caches_read(&c1);
			close(fd);
			if (ret)
				goto failed;
		} else {
			if (hold_to(b, objs))
				goto failed;
			usleep(300000);
			mem_read(&m1);
			caches_read(&c1);
			if (hold_to(b, 0))
				goto failed;
		}
		printf("run %s %d objects=%ld slab_kB=%ld,%ld sunreclaim_kB=%ld,%ld memfree_kB=%ld,%ld calls=%d,%d conns=%d,%d\n",
		       i < 0 ? "warmup" : name, i + 1, objs, m0.slab, m1.slab, m0.sunreclaim,
		       m1.sunreclaim, m0.memfree, m1.memfree, m0.calls, m1.calls, m0.conns, m1.conns);
		if (i < 0)
			continue;
		if (i == runs - 1)
			caches_report(name, &c0, &c1, objs);
		slab[k] = (m1.slab - m0.slab) * 1024.0 / objs;
		sunr[k] = (m1.sunreclaim - m0.sunreclaim) * 1024.0 / objs;
		mem[k] = (m0.memfree - m1.memfree) * 1024.0 / objs;
		conns[k] = (double)(m1.conns - m0.conns) / objs;
		callrows[k] = (double)(m1.calls - m0.calls) / objs;
		k++;
	}
	rx_sysctl_write("reap_client_conns", old_reap);
	report(name, "slab_B", slab, k);
	report(name, "sunreclaim_B", sunr, k);
	report(name, "memfree_B", mem, k);
	report(name, "conn_rows", conns, k);
	report(name, "call_rows", callrows, k);
	return 0;

failed:
	rx_sysctl_write("reap_client_conns", old_reap);
	fail("%s run %d failed", name, i + 1);
	return -1;
}

/*
 * netem on lo (args), or none (NULL), with iproute2's tc, which
 * scripts/bench.sh copies into the guest at /usr/sbin (busybox's tc, first
 * in the PATH, has no netem).
 */
static int netem(const char *args)
{
	const char *tc = access("/usr/sbin/tc", X_OK) ? "tc" : "/usr/sbin/tc";
	char cmd[256];
	int ret;

	snprintf(cmd, sizeof(cmd), "%s qdisc del dev lo root 2>/dev/null", tc);
	ret = system(cmd);
	if (!args)
		return 0;
	snprintf(cmd, sizeof(cmd), "%s qdisc add dev lo root netem %s", tc, args);
	ret = system(cmd);
	if (ret) {
		fail("%s: %d", cmd, ret);
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "%s qdisc show dev lo | sed 's/^/bench-guest: /'", tc);
	ret = system(cmd);
	return 0;
}

static int measure(struct bench *b, const struct meas *m, const struct opts *o)
{
	double rate[MAX_RUNS], lat[MAX_RUNS], cpu[MAX_RUNS], kcpu[MAX_RUNS], pcpu[MAX_RUNS],
	       msg[MAX_RUNS], pkt[MAX_RUNS], snd[MAX_RUNS], rcv[MAX_RUNS], csw[MAX_RUNS],
	       clk[MAX_RUNS], secs[MAX_RUNS];
	const char *name = m->name;
	enum kind kind = m->kind;
	int per_call = kind == SMALL || kind == PARALLEL || kind == PERF_SMALL ||
		       kind == CONNS || kind == OPEN;
	/* parallel: rounds of 64 calls, rounded up to whole rounds of width */
	long par_calls = (o->rounds * NPAR + m->width - 1) / m->width * m->width;
	size_t bulk = o->size[m->size];
	long small_n = o->small_n;
	int runs = m->heavy ? o->heavy_runs : o->runs;
	struct ctrs c0, c1;
	long calls = 0;
	double bytes = 0;
	int i, j, n = 0, aborted = 0;

	if (kind == RECV_EMPTY)
		return measure_recv_empty(b, runs);
	if (hold_to(b, kind == OPEN ? m->width : 0))
		return -1;
	if (kind == MEM_CONNS || kind == MEM_CALLS)
		return measure_mem(b, m, o);
	if (m->level >= 0) {
		if (b->kad[m->level] < 0) {
			fail("%s: no rxkad client socket", name);
			return -1;
		}
		b->cli = b->kad[m->level];
		if (kad_check(b, m))
			return -1;
	} else {
		b->cli = b->plain_cli;
	}
	if ((kind == PERF_SMALL || kind == PERF_BULK_REQ || kind == PERF_BULK_REPLY) &&
	    b->perf < 0) {
		fail("%s: no rxperf client socket", name);
		return -1;
	}
	if (netem(m->netem))
		return -1;

	for (i = -1; i < runs; i++) {	/* run -1: the warm-up */
		struct sample s;
		int ret;

		if (i == 0)
			ctrs_read(&c0);
		switch (kind) {
		case SMALL:
		case OPEN:
			ret = run(b, i < 0 ? 20 : small_n, 1, 100 - HDR, 100, 0, 0, 0, &s);
			break;
		case PARALLEL:
			ret = run(b, i < 0 ? m->width : par_calls, m->width, 1024 - HDR, 1024, 0,
				  0, 0, &s);
			break;
		case CONNS:
			ret = run(b, i < 0 ? 200 : o->conns, 1, 100 - HDR, 100, 0, RUN_NEW_CONNS,
				  100, &s);
			break;
		case BULK_REQ:
			ret = run(b, 1, 1, (i < 0 ? 1 << 20 : bulk) - HDR, 16, 1, 0, 0, &s);
			s.bytes += HDR;
			break;
		case BULK_REPLY:
			ret = run(b, 1, 1, 100 - HDR, i < 0 ? 1 << 20 : bulk, 2, 0, 0, &s);
			break;
		case PERF_SMALL:
			ret = run_rxperf(b, i < 0 ? 20 : small_n, RXPERF_RPC, 100, 100, &s);
			break;
		case PERF_BULK_REQ:
			ret = run_rxperf(b, 1, RXPERF_SEND, i < 0 ? 1 << 20 : bulk, 0, &s);
			break;
		default:
			ret = run_rxperf(b, 1, RXPERF_RECV, 0, i < 0 ? 1 << 20 : bulk, &s);
			break;
		}
		if (ret == 0 && kind == OPEN)
			ret = hold_check(b) ? -1 : 0;
		if (ret > 0) {
			printf("run %s %d aborted: %s\n", i < 0 ? "warmup" : name, i + 1, abort_why);
			aborted += i >= 0;
			continue;
		}
		if (ret) {
			fail("%s run %d failed", name, i + 1);
			netem(NULL);
			return -1;
		}
		printf("run %s %d secs=%.4f mono_secs=%.4f cpu_s=%.3f proc_cpu_s=%.3f sendmsg_s=%.3f recvmsg_s=%.3f calls=%ld msgs=%ld pkts=%lld\n",
		       i < 0 ? "warmup" : name, i + 1, s.secs, s.mono_secs, s.cpu_s, s.proc_cpu_s,
		       s.send_s, s.recv_s, s.calls, s.msgs, s.pkts);
		fflush(stdout);
		if (i < 0)
			continue;
		calls += s.calls;
		bytes += s.bytes;
		j = n++;	/* the samples: the runs that were not aborted */
		clk[j] = s.mono_secs / s.secs;
		secs[j] = s.secs;
		if (per_call) {
			rate[j] = s.calls / s.secs;
			lat[j] = s.secs * 1e6 / s.calls;
			cpu[j] = s.cpu_s * 1e6 / s.calls;
			kcpu[j] = s.kcpu_s * 1e6 / s.calls;
			pcpu[j] = s.proc_cpu_s * 1e6 / s.calls;
			msg[j] = (double)s.msgs / s.calls;
			pkt[j] = (double)s.pkts / s.calls;
			snd[j] = s.send_s * 1e6 / s.calls;
			rcv[j] = s.recv_s * 1e6 / s.calls;
			csw[j] = (double)s.ctxsw / s.calls;
		} else {
			rate[j] = s.bytes / s.secs / 1e6;
			cpu[j] = s.cpu_s * 1e3 / (s.bytes / 1e6);
			kcpu[j] = s.kcpu_s * 1e3 / (s.bytes / 1e6);
			pcpu[j] = s.proc_cpu_s * 1e3 / (s.bytes / 1e6);
			msg[j] = s.msgs / (s.bytes / 1e6);
			pkt[j] = s.pkts / (s.bytes / 1e6);
			snd[j] = s.send_s * 1e3 / (s.bytes / 1e6);
			rcv[j] = s.recv_s * 1e3 / (s.bytes / 1e6);
			csw[j] = s.ctxsw / (s.bytes / 1e6);
		}
	}
	ctrs_read(&c1);
	if (netem(NULL))
		return -1;
	if (aborted)
		printf("bench %s aborted runs=%d of=%d\n", name, aborted, runs);
	if (n && per_call) {
		report(name, "calls_per_s", rate, n);
		report(name, "us_per_call", lat, n);
		report(name, "cpu_us_per_call", cpu, n);
		report(name, "kcpu_us_per_call", kcpu, n);
		report(name, "proc_cpu_us_per_call", pcpu, n);
		report(name, "msgs_per_call", msg, n);
		report(name, "sendmsg_us_per_call", snd, n);
		report(name, "recvmsg_us_per_call", rcv, n);
		report(name, "pkts_per_call", pkt, n);
		report(name, "ctxsw_per_call", csw, n);
		report(name, "clock_speed", clk, n);
	} else if (n) {
		report(name, "MB_per_s", rate, n);
		report(name, "secs", secs, n);
		report(name, "cpu_ms_per_MB", cpu, n);
		report(name, "kcpu_ms_per_MB", kcpu, n);
		report(name, "proc_cpu_ms_per_MB", pcpu, n);
		report(name, "msgs_per_MB", msg, n);
		report(name, "sendmsg_ms_per_MB", snd, n);
		report(name, "recvmsg_ms_per_MB", rcv, n);
		report(name, "pkts_per_MB", pkt, n);
		report(name, "ctxsw_per_MB", csw, n);
		report(name, "clock_speed", clk, n);
	}
	printf("bench %s stats calls=%ld bytes=%.0f", name, calls, bytes);
	for (i = 0; i < c1.n; i++)
		for (j = 0; j < c0.n; j++)
			if (!strcmp(c0.key[j], c1.key[i]) && c1.val[i] != c0.val[j] &&
			    strncmp(c1.key[i], "Buffers.", 8))
				printf(" %s=%lld", c1.key[i], c1.val[i] - c0.val[j]);
	printf("\n");
	fflush(stdout);
	return 0;
}

/* Is measurement name in the comma list only? */
static int wanted(const char *only, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = only; (p = strstr(p, name)); p += n)
		if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

/*
 * rxkad: a keyring for the service socket srv (before its bind) with an
 * "rxrpc_s" key "<SVC>:2" of a random DES key, and a client "rxrpc" key
 * with a ticket sealed with it; a client socket with that key at each
 * level wanted. As tools/testing/selftests/net/rxrpc/rxrpc_rxkad.c does.
 */
static int kad_setup(struct bench *b, int srv, const char *only)
{
	static const char *const lv[3] = { "plain", "auth", "encrypt" };
	char ring[48], ckey[48], name[48];
	uint8_t skey[8];
	int level, ret;

	snprintf(ring, sizeof(ring), "rxrpc-bench-%d-ring", getpid());
	snprintf(ckey, sizeof(ckey), "rxrpc-bench-%d-key", getpid());
	rxkad_random_key(skey);
	ret = rxkad_server_ring(ring, SVC, skey);
	if (ret < 0) {
		fail("rxkad: the service keyring: %s", strerror(-ret));
		return -1;
	}
	ret = rxkad_client_key(ckey, skey, "bench", "RXRPC.BENCH", 60, KAD_LIFE, KAD_KVNO, 0);
	if (ret < 0) {
		fail("rxkad: the client key: %s", strerror(-ret));
		return -1;
	}
	if (setsockopt(srv, SOL_RXRPC, RXRPC_SECURITY_KEYRING, ring, strlen(ring))) {
		fail("rxkad: RXRPC_SECURITY_KEYRING: %s", strerror(errno));
		return -1;
	}
	for (level = 0; level < 3; level++) {
		uint32_t l = level;
		int k, any = 0;

		for (k = 0; k < 3; k++) {
			snprintf(name, sizeof(name), "kad_%s_%s", lv[level],
				 k == 0 ? "small" : k == 1 ? "bulk_req" : "bulk_reply");
			any |= wanted(only, name);
		}
		if (!any)
			continue;
		b->kad[level] = rx_socket(PF_INET);
		if (b->kad[level] < 0 ||
		    setsockopt(b->kad[level], SOL_RXRPC, RXRPC_SECURITY_KEY, ckey, strlen(ckey)) ||
		    setsockopt(b->kad[level], SOL_RXRPC, RXRPC_MIN_SECURITY_LEVEL, &l, sizeof(l))) {
			fail("rxkad: client socket at level %s: %s", lv[level], strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void on_alarm(int sig)
{
	static const char msg[] = "bench: client: time limit reached\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

/* -S: the service alone, for a client in another guest (-A); until a STOP call. */
static int serve_remote(void)
{
	struct sockaddr_rxrpc a;
	unsigned long next_id = 1;
	int srv = rx_socket(PF_INET), old_backlog, ret, pipefd[2];

	rx_addr4(&a, "0.0.0.0", PORT, SVC);
	if (srv < 0 || pipe(pipefd)) {
		fail("service socket: %s", strerror(errno));
		return 1;
	}
	old_backlog = rx_sysctl_read("max_backlog", 10);
	rx_sysctl_write("max_backlog", 24);
	ret = rx_bind(srv, &a);
	if (!ret)
		ret = rx_errno(listen(srv, 24));
	rx_sysctl_write("max_backlog", old_backlog);
	if (ret) {
		fail("service socket: %s", strerror(-ret));
		return 1;
	}
	while (rx_charge(srv, next_id) == 0)
		next_id++;
	who = "service";
	printf("bench service ready on port %d\n", PORT);
	ret = serve(srv, next_id, pipefd[1]);
	printf("bench service done: %d calls\n", (int)sh->done);
	close(srv);
	return ret;
}

/*
 * -A: the service is in another guest, which may still be booting: small
 * calls until one is answered (each given 3 s; up to limit_s in all).
 */
static int wait_remote(struct bench *b, int limit_s)
{
	long long end = mono_ns() + limit_s * 1000000000LL;
	struct cli_call cc;
	int tries = 0;

	while (mono_ns() < end) {
		int fd = rx_socket(PF_INET);
		struct rx_res r;
		int n;

		tries++;
		cc.id = 1;
		cc.seed = ~7u;
		cc.want = 100;
		cc.got = 0;
		if (fd >= 0 && !start_call(fd, &b->to, 1, 7, 100 - HDR, 100, b->scratch) &&
		    rx_wait(fd, 3000)) {
			n = rx_recv(fd, b->buf, CHUNK, 0, &r);
			if (n == 100 && !rx_terminal(&r) && r.id == 1 &&
			    pat_check(b->buf, n, cc.seed, 0) == -1) {
				close(fd);
				printf("bench remote service answered after %d tries\n", tries);
				return 0;
			}
		}
		if (fd >= 0)
			close(fd);
		sleep(1);
	}
	fail("no answer from the service at %s in %d s", b->remote, limit_s);
	return -1;
}

/* -A: ends the service in the other guest. */
static void stop_remote(struct bench *b)
{
	uint32_t hdr[3] = { REPLY_STOP, 0, 0 };
	struct rx_res r;

	if (rx_send(b->plain_cli, b->next_id, &b->to, hdr, HDR, 0) == HDR && rx_wait(b->plain_cli, 5000))
		rx_recv(b->plain_cli, b->buf, CHUNK, 0, &r);
	b->next_id++;
}

int main(int argc, char **argv)
{
	int limit = 900, opt, pipefd[2], srv = -1, old_backlog, status, ret = 0;
	double tsc_mhz = 0;
	size_t bulk_mib = 16, kad_mib = 0, big_mib = 64, loss_mib = 16;
	const char *only = "small,parallel,bulk_req,bulk_reply,recv_empty";
	struct opts o = { .runs = 5, .small_n = 1000, .rounds = 10, .conns = 10000,
			  .scale = 1000 };
	int kad = 0, perf = 0, service_only = 0;
	struct bench b = { 0 };
	unsigned long next_id = 1;
	pid_t child = -1;
	int k;

	while ((opt = getopt(argc, argv, "r:H:n:p:b:k:B:L:C:N:o:l:R:t:TSA:w")) != -1) {
		switch (opt) {
		case 'r': o.runs = atoi(optarg); break;
		case 'H': o.heavy_runs = atoi(optarg); break;
		case 'n': o.small_n = atol(optarg); break;
		case 'p': o.rounds = atol(optarg); break;
		case 'b': bulk_mib = atol(optarg); break;
		case 'k': kad_mib = atol(optarg); break;
		case 'B': big_mib = atol(optarg); break;
		case 'L': loss_mib = atol(optarg); break;
		case 'C': o.conns = atol(optarg); break;
		case 'N': o.scale = atol(optarg); break;
		case 'o': only = optarg; break;
		case 'l': limit = atoi(optarg); break;
		case 'R': recv_len = atol(optarg); break;
		case 'w': block_recv = 1; break;
		case 't': tsc_mhz = atof(optarg); break;
		case 'S': service_only = 1; break;
		case 'A': b.remote = optarg; break;
		case 'T':
			/* On the host: the TSC rate, for -t in the guest. */
			printf("%.3f\n", tsc_calibrate(500));
			return 0;
		default:
			fprintf(stderr, "usage: %s [-r RUNS] [-H HEAVY_RUNS] [-n SMALL_CALLS] [-p ROUNDS] [-b BULK_MIB] [-k KAD_BULK_MIB] [-B BIG_MIB] [-L LOSS_MIB] [-C CONNS] [-N SCALE] [-o LIST] [-l LIMIT_S] [-R RECV_BYTES] [-w] [-t TSC_MHZ] [-A ADDR] | -S | -T\n",
				argv[0]);
			return 2;
		}
	}
	if (!kad_mib)
		kad_mib = bulk_mib;
	if (!o.heavy_runs)
		o.heavy_runs = o.runs;
	{
		char list[1024], *tok, *save;

		snprintf(list, sizeof(list), "%s", only);
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			for (k = 0; k < NMEAS && strcmp(tok, meas_list[k].name); k++)
				;
			if (k == NMEAS) {
				fprintf(stderr, "bench: no measurement %s\n", tok);
				return 2;
			}
		}
	}
	for (k = 0; k < NMEAS; k++) {
		if (!wanted(only, meas_list[k].name))
			continue;
		kad |= meas_list[k].level >= 0;
		perf |= meas_list[k].kind == PERF_SMALL || meas_list[k].kind == PERF_BULK_REQ ||
			meas_list[k].kind == PERF_BULK_REPLY;
		if (meas_list[k].remote != !!b.remote) {
			fprintf(stderr, "bench: %s %s\n", meas_list[k].name,
				b.remote ? "is not for -A" : "needs -A");
			return 2;
		}
	}
	if (o.runs < 1 || o.runs > MAX_RUNS || o.heavy_runs < 1 || o.heavy_runs > MAX_RUNS || o.small_n < 1 || o.rounds < 1 || bulk_mib < 1 ||
	    big_mib < 1 || loss_mib < 1 || o.conns < 1 || o.scale < 1 || o.scale > MAXHOLD ||
	    recv_len < 1 || recv_len > CHUNK || (b.remote && (kad || perf))) {
		fprintf(stderr, "bench: bad arguments\n");
		return 2;
	}
	o.size[SZ_BULK] = bulk_mib << 20;
	o.size[SZ_KAD] = kad_mib << 20;
	o.size[SZ_BIG] = big_mib << 20;
	o.size[SZ_LOSS] = loss_mib << 20;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (tsc_mhz <= 0) {
		tsc_mhz = tsc_calibrate(1000);
		printf("bench warning: no -t: the TSC rate is calibrated in the guest (%.1f MHz), against a clock that runs slow when the host is loaded\n",
		       tsc_mhz);
	} else {
		mono_edge(&(uint64_t){ 0 });	/* for monotonic_step_ns */
	}
	if (tsc_mhz > 0)
		tsc_ns_per_tick = 1e3 / tsc_mhz;
	signal(SIGALRM, on_alarm);
	alarm(limit);

	bulk_len = 0;
	for (k = 0; k < NMEAS; k++)
		if (service_only || (wanted(only, meas_list[k].name) &&
				     o.size[meas_list[k].size] > bulk_len))
			bulk_len = o.size[meas_list[k].size];
	if (bulk_len < CHUNK)
		bulk_len = CHUNK;
	bulk_pat = malloc(bulk_len);
	b.buf = malloc(CHUNK);
	b.scratch = malloc(CHUNK);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!bulk_pat || !b.buf || !b.scratch || sh == MAP_FAILED || pipe(pipefd)) {
		fail("out of memory");
		return 1;
	}
	rx_fill(bulk_pat, bulk_len, BULK_SEED);
	memset(sh, 0, sizeof(*sh));
	sh->notify_at = sh->held_want = -1;
	b.clk_tck = sysconf(_SC_CLK_TCK);
	b.hold_fd = -1;
	if (service_only)
		return serve_remote();

	/*
	 * The service: a backlog for the 16 calls a client bundle can have
	 * running (4 connections of 4 channels), charged before the child
	 * starts (a call that finds no charge is not served at once).
	 */
	rx_addr4(&b.to, b.remote ? b.remote : "127.0.0.1", PORT, SVC);
	b.kad[0] = b.kad[1] = b.kad[2] = b.perf = -1;
	if (!b.remote) {
		srv = rx_socket(PF_INET);
		if (srv < 0) {
			fail("service socket: %s", strerror(errno));
			return 1;
		}
		/* rxkad: the keyring before the bind; unsecured calls are served too. */
		if (kad && kad_setup(&b, srv, only))
			return 1;
		old_backlog = rx_sysctl_read("max_backlog", 10);
		rx_sysctl_write("max_backlog", 24);
		ret = rx_bind(srv, &b.to);
		if (!ret)
			ret = rx_errno(listen(srv, 24));
		rx_sysctl_write("max_backlog", old_backlog);
		if (ret) {
			fail("service socket: %s", strerror(-ret));
			return 1;
		}
		while (rx_charge(srv, next_id) == 0)
			next_id++;
	}
	if (perf) {
		rx_addr4(&b.perf_to, "127.0.0.1", RXPERF_PORT, RXPERF_SERVICE);
		b.perf = rx_socket(PF_INET);
		if (b.perf < 0) {
			fail("rxperf client socket: %s", strerror(errno));
			return 1;
		}
	}
	b.cli = b.plain_cli = rx_socket(PF_INET);
	if (b.cli < 0) {
		fail("client socket: %s", strerror(errno));
		return 1;
	}
	if (!b.remote) {
		child = fork();
		if (child < 0) {
			fail("fork: %s", strerror(errno));
			return 1;
		}
		if (child == 0) {
			who = "service";
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(pipefd[0]);
			close(b.cli);
			for (k = 0; k < 3; k++)
				if (b.kad[k] >= 0)
					close(b.kad[k]);
			if (b.perf >= 0)
				close(b.perf);
			_exit(serve(srv, next_id, pipefd[1]));
		}
		close(srv);
	}
	close(pipefd[1]);
	b.done_fd = pipefd[0];
	b.next_id = 1;

	printf("bench config runs=%d heavy_runs=%d small_calls=%ld parallel_rounds=%ld parallel_width=%d bulk_mib=%zu kad_bulk_mib=%zu big_mib=%zu loss_mib=%zu conns=%ld scale=%ld recv_bytes=%zu clk_tck=%ld monotonic_step_ns=%lld tsc_mhz=%.1f\n",
	       o.runs, o.heavy_runs, o.small_n, o.rounds, NPAR, bulk_mib, kad_mib, big_mib, loss_mib, o.conns,
	       o.scale, recv_len, b.clk_tck, clock_step_ns,
	       tsc_ns_per_tick > 0 ? 1e3 / tsc_ns_per_tick : 0);
	if (b.remote) {
		ret = wait_remote(&b, limit / 2) ? 1 : 0;
		b.next_id = 2;
	}
	for (k = 0; k < NMEAS && !ret; k++)
		if (wanted(only, meas_list[k].name) && measure(&b, &meas_list[k], &o))
			ret = 1;
	if (!ret && hold_to(&b, 0))
		ret = 1;

	if (b.remote) {
		stop_remote(&b);
	} else {
		if (ret)
			usleep(500000);	/* for the service to say what it saw */
		kill(child, SIGTERM);
		if (waitpid(child, &status, 0) != child ||
		    !WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM) {
			fail("the service exited with status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			ret = 1;
		}
	}
	close(b.plain_cli);
	for (k = 0; k < 3; k++)
		if (b.kad[k] >= 0)
			close(b.kad[k]);
	if (b.perf >= 0)
		close(b.perf);
	printf("bench result %s\n", ret ? "FAIL" : "OK");
	return ret;
}
