// SPDX-License-Identifier: GPL-2.0
/*
 * A kernel profile of the guest while the benchmark runs: samples the
 * instruction pointer of CPU 0 (the guest's only one) with the cpu-clock
 * software event (which works under TCG, no PMU needed), then prints the
 * symbols of /proc/kallsyms that the samples fell in, most first.
 *
 *   prof [period_us] [top] [callers] [symbol]     until SIGINT/SIGTERM
 *
 * Output lines: "prof <samples> <percent> <symbol> [module]"; user-space
 * samples count as "[user]". With callers 1, each sample takes its call
 * chain too, and for the kernel's copy and clear functions it prints who
 * called them: "profcall <samples> <function> <- <caller>" (the return
 * address above them in the chain). Unwinding each sample costs: small
 * calls 64 at a time went at a fifth of their rate, so the "prof" lines of
 * such a run do not show the module's profile, only the callers do.
 * With a symbol (a part of its name), the samples that fell in the
 * functions so named are shown by offset too: "profoff <samples>
 * <symbol>+0x<offset>", to find the hot instructions in a disassembly.
 */
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGES 256		/* ring data pages, a power of two */
#define MAXS (1 << 22)

static volatile sig_atomic_t stop;
static uint64_t *ips, *callers;	/* callers[i]: ips[i]'s caller, or 0 */
static long nips;

static void on_sig(int s) { (void)s; stop = 1; }

struct sym { uint64_t addr; char name[200]; char mod[32]; };
static struct sym *syms;
static long nsyms;
static long *hits;

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The symbol holding kernel address ip, or -1. */
static long sym_of(uint64_t ip)
{
	long lo = 0, hi = nsyms - 1, best = -1;

	while (lo <= hi) {
		long mid = (lo + hi) / 2;

		if (syms[mid].addr <= ip) {
			best = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return best;
}

/* The functions whose callers are shown: the copies and clears. */
static int traced(const char *name)
{
	static const char *const names[] = {
		"memcpy_orig", "memset_orig", "rep_movs_alternative", "clear_page_erms",
	};
	size_t k;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (!strcmp(name, names[k]))
			return 1;
	return 0;
}

struct pair { long leaf, caller, n; };

static int by_count(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	return y->n < x->n ? -1 : y->n > x->n;
}

/* "profcall" lines: the top callers of the traced functions. */
static void callers_of_traced(void)
{
	static struct pair pairs[4096];
	long np = 0, i, k;

	for (i = 0; i < nips; i++) {
		long leaf, caller;

		if (ips[i] < 0xffff800000000000ull || !callers[i])
			continue;
		leaf = sym_of(ips[i]);
		if (leaf < 0 || !traced(syms[leaf].name))
			continue;
		caller = sym_of(callers[i]);
		for (k = 0; k < np && (pairs[k].leaf != leaf || pairs[k].caller != caller); k++)
			;
		if (k == np) {
			if (np == 4096)
				continue;
			pairs[np++] = (struct pair){ leaf, caller, 0 };
		}
		pairs[k].n++;
	}
	qsort(pairs, np, sizeof(pairs[0]), by_count);
	for (k = 0; k < np && k < 30; k++)
		printf("profcall %ld %s <- %s %s\n", pairs[k].n, syms[pairs[k].leaf].name,
		       pairs[k].caller < 0 ? "?" : syms[pairs[k].caller].name,
		       pairs[k].caller < 0 ? "" : syms[pairs[k].caller].mod);
}

static void drain(struct perf_event_mmap_page *mp, char *data, size_t size)
{
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = mp->data_tail;

	while (tail < head) {
		struct perf_event_header h;
		size_t off = tail & (size - 1);
		char rec[256];
		size_t i;

		for (i = 0; i < sizeof(h); i++)
			((char *)&h)[i] = data[(off + i) & (size - 1)];
		if (h.type == PERF_RECORD_SAMPLE && h.size <= sizeof(rec)) {
			uint64_t nr = 0, chain[3] = { 0 };

			for (i = 0; i < h.size; i++)
				rec[i] = data[(off + i) & (size - 1)];
			/* ip, then nr and the chain: context, ip, caller, ... */
			if (h.size >= sizeof(h) + 16)
				memcpy(&nr, rec + sizeof(h) + 8, 8);
			if (nr > 3)
				nr = 3;
			if (h.size >= sizeof(h) + 16 + nr * 8)
				memcpy(chain, rec + sizeof(h) + 16, nr * 8);
			if (nips < MAXS) {
				callers[nips] = nr == 3 ? chain[2] : 0;
				memcpy(&ips[nips++], rec + sizeof(h), 8);
			}
		}
		tail += h.size;
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
}

/* "profoff" lines: the hottest offsets in the functions named like part. */
static void offsets_in(const char *part)
{
	static struct pair offs[8192];
	long no = 0, i, k;

	for (i = 0; i < nips; i++) {
		long s;

		if (ips[i] < 0xffff800000000000ull)
			continue;
		s = sym_of(ips[i]);
		if (s < 0 || !strstr(syms[s].name, part))
			continue;
		for (k = 0; k < no && (offs[k].leaf != s || offs[k].caller != (long)(ips[i] - syms[s].addr)); k++)
			;
		if (k == no) {
			if (no == 8192)
				continue;
			offs[no++] = (struct pair){ s, (long)(ips[i] - syms[s].addr), 0 };
		}
		offs[k].n++;
	}
	qsort(offs, no, sizeof(offs[0]), by_count);
	for (k = 0; k < no && k < 1000; k++)
		printf("profoff %ld %s+0x%lx\n", offs[k].n, syms[offs[k].leaf].name,
		       (unsigned long)offs[k].caller);
}

int main(int argc, char **argv)
{
	long period_us = argc > 1 ? atol(argv[1]) : 100;
	int top = argc > 2 ? atoi(argv[2]) : 40;
	int with_callers = argc > 3 && atoi(argv[3]);
	struct perf_event_attr a = { 0 };
	size_t psz = sysconf(_SC_PAGESIZE), size = PAGES * psz;
	long user = 0, unknown = 0, i;
	char line[512];
	FILE *f;
	void *m;
	int fd;

	ips = malloc(sizeof(*ips) * MAXS);
	callers = malloc(sizeof(*callers) * MAXS);
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.sample_period = period_us * 1000;
	a.sample_type = PERF_SAMPLE_IP;
	if (with_callers) {
		a.sample_type |= PERF_SAMPLE_CALLCHAIN;
		a.sample_max_stack = 3;
		a.exclude_callchain_user = 1;
	}
	a.disabled = 1;
	a.wakeup_events = 1;
	fd = syscall(SYS_perf_event_open, &a, -1, 0, -1, 0);
	if (fd < 0) {
		perror("prof: perf_event_open");
		return 1;
	}
	m = mmap(NULL, size + psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		perror("prof: mmap");
		return 1;
	}
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	while (!stop) {
		usleep(20000);
		drain(m, (char *)m + psz, size);
	}
	ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	drain(m, (char *)m + psz, size);

	f = fopen("/proc/kallsyms", "r");
	syms = malloc(sizeof(*syms) * 400000);
	while (f && nsyms < 400000 && fgets(line, sizeof(line), f)) {
		unsigned long long ad;
		char t, name[400], mod[100] = "";

		if (sscanf(line, "%llx %c %399s %99s", &ad, &t, name, mod) < 3)
			continue;
		if (t != 't' && t != 'T')
			continue;
		syms[nsyms].addr = ad;
		snprintf(syms[nsyms].name, sizeof(syms[0].name), "%.199s", name);
		snprintf(syms[nsyms].mod, sizeof(syms[0].mod), "%.31s", mod[0] ? mod : "[kernel]");
		nsyms++;
	}
	qsort(syms, nsyms, sizeof(*syms), by_addr);
	hits = calloc(nsyms + 1, sizeof(long));
	for (i = 0; i < nips; i++) {
		long best;

		if (ips[i] < 0xffff800000000000ull) {
			user++;
			continue;
		}
		best = sym_of(ips[i]);
		if (best < 0)
			unknown++;
		else
			hits[best]++;
	}
	printf("prof total %ld samples, %ld us apart; user %ld (%.1f%%), unknown %ld\n",
	       nips, period_us, user, nips ? 100.0 * user / nips : 0.0, unknown);
	{
		char mods[32][100];
		long mhits[32] = { 0 };
		int nm = 0, j;

		for (i = 0; i < nsyms; i++) {
			const char *mod;

			if (!hits[i])
				continue;
			mod = syms[i].mod;
			for (j = 0; j < nm && strcmp(mods[j], mod); j++)
				;
			if (j == nm && nm < 32)
				snprintf(mods[nm++], sizeof(mods[0]), "%s", mod);
			if (j < nm)
				mhits[j] += hits[i];
		}
		for (j = 0; j < nm; j++)
			printf("profmod %ld %.1f%% %s\n", mhits[j], 100.0 * mhits[j] / nips, mods[j]);
	}
	for (; top > 0; top--) {
		long bi = -1;

		for (i = 0; i < nsyms; i++)
			if (hits[i] && (bi < 0 || hits[i] > hits[bi]))
				bi = i;
		if (bi < 0)
			break;
		printf("prof %ld %.1f%% %s %s\n", hits[bi], 100.0 * hits[bi] / nips,
		       syms[bi].name, syms[bi].mod);
		hits[bi] = 0;
	}
	if (with_callers)
		callers_of_traced();
	if (argc > 4)
		offsets_in(argv[4]);
	return 0;
}
