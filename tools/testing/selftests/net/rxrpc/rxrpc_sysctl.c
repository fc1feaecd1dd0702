// SPDX-License-Identifier: GPL-2.0
/*
 * sysctl net.rxrpc.*: each of 6.12's settings is there with the C
 * module's default, takes its minimum and maximum and refuses one beyond
 * either with EINVAL (net/rxrpc/sysctl.c, misc.c, conn_client.c), and the
 * ones with a cheap effect on loopback show it: rx_mtu and rx_jumbo_max
 * in the ACK trailer, rx_jumbo_max in the jumbo packets sent to us,
 * idle_conn_expiry in how long an idle client
 * connection stays in /proc/net/rxrpc/conns. Then (ours only) the
 * counters of dropped packets in /proc/net/rxrpc/stats. Every test puts
 * back the values it found.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include "rxrpc_capture.h"
#include "kselftest_harness.h"

#define SVC 0x70b
#define POLL_US 50000

/* Reads /proc/sys/net/rxrpc/<name> into buf (newline cut); 0 or -errno. */
static int get(const char *name, char *buf, size_t len)
{
	char path[128];
	int fd, n;

	snprintf(path, sizeof(path), "/proc/sys/net/rxrpc/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Writes val to /proc/sys/net/rxrpc/<name> with one write(); 0 or -errno. */
static int put(const char *name, const char *val)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/rxrpc/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* put(), then what get() reads back (in *back); 0 or -errno of put(). */
static int put_get(const char *name, const char *val, char *back, size_t len)
{
	int ret = put(name, val);

	if (!ret)
		ret = get(name, back, len);
	return ret;
}

/*
 * 6.12's settings: default, minimum and maximum as the user sees them. Ours
 * differ in two (set_ours() below): rx_mtu and rx_jumbo_max advertise the
 * jumbo packets ours takes in place, 46 subpackets in 65,160 bytes, and
 * rx_jumbo_max goes up to mainline's 47.
 */
static struct setting {
	const char *name;
	const char *def, *min, *max, *below, *above;
} settings[] = {
	/* ms, unsigned long (proc_doulongvec_minmax) */
	{ "soft_ack_delay", "1000", "1", "1000", "0", "1001" },
	{ "idle_ack_delay", "500", "1", "1000", "0", "1001" },
	/* unsigned int (proc_dointvec_minmax) */
	{ "reap_client_conns", "900", "1", "65535", "0", "65536" },
	{ "max_backlog", "10", "4", "31", "3", "32" },
	{ "rx_window_size", "255", "1", "255", "0", "256" },
	{ "rx_mtu", "5692", "1", "65535", "0", "65536" },
	{ "rx_jumbo_max", "4", "1", "4", "0", "5" },
};

/* The defaults of rx_mtu and rx_jumbo_max of the module under test. */
static const char *def_mtu(void)
{
	return strcmp(rxrpc_impl(), "c") ? "65160" : "5692";
}

static const char *def_jumbo(void)
{
	return strcmp(rxrpc_impl(), "c") ? "46" : "4";
}

/* Our module's rows of settings[] where they differ from 6.12's. */
static void set_ours(void)
{
	size_t i;

	if (!strcmp(rxrpc_impl(), "c"))
		return;
	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		struct setting *s = &settings[i];

		if (!strcmp(s->name, "rx_mtu")) {
			s->def = def_mtu();
		} else if (!strcmp(s->name, "rx_jumbo_max")) {
			s->def = def_jumbo();
			s->max = "47";
			s->above = "48";
		}
	}
}

/* Loads the module (the sysctls come with it). */
static void load(struct __test_metadata *_metadata)
{
	int fd = rx_socket(PF_INET);

	ASSERT_LE(0, fd) TH_LOG("AF_RXRPC socket: %s", strerror(errno));
	close(fd);
}

TEST(defaults_and_ranges)
{
	char v[64];
	size_t i;

	load(_metadata);
	set_ours();
	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		const struct setting *s = &settings[i];

		ASSERT_EQ(0, get(s->name, v, sizeof(v))) TH_LOG("%s", s->name);
		EXPECT_STREQ(s->def, v) TH_LOG("%s default", s->name);
		EXPECT_EQ(0, put_get(s->name, s->min, v, sizeof(v))) TH_LOG("%s min", s->name);
		EXPECT_STREQ(s->min, v) TH_LOG("%s min", s->name);
		EXPECT_EQ(0, put_get(s->name, s->max, v, sizeof(v))) TH_LOG("%s max", s->name);
		EXPECT_STREQ(s->max, v) TH_LOG("%s max", s->name);
		EXPECT_EQ(-EINVAL, put(s->name, s->below)) TH_LOG("%s %s", s->name, s->below);
		EXPECT_EQ(-EINVAL, put(s->name, s->above)) TH_LOG("%s %s", s->name, s->above);
		EXPECT_EQ(-EINVAL, put(s->name, "-1")) TH_LOG("%s -1", s->name);
		/* A refused write changes nothing. */
		EXPECT_EQ(0, get(s->name, v, sizeof(v)));
		EXPECT_STREQ(s->max, v) TH_LOG("%s after refused writes", s->name);
		EXPECT_EQ(0, put(s->name, s->def)) TH_LOG("%s restore", s->name);
	}
}

/*
 * idle_conn_expiry and idle_conn_fast_expiry are jiffies shown in ms
 * (proc_doulongvec_ms_jiffies_minmax, 1 jiffy .. MAX_JIFFY_OFFSET): 2
 * minutes and 2 s by default. The smallest value taken is one jiffy
 * (1000/HZ ms, read back as such), and 0 or less is refused. The top of
 * the range is not reachable from ms: the handler's ms * HZ overflows
 * first, in both modules, so a day and 10^15 ms stand for large values.
 */
TEST(jiffies_in_ms)
{
	static const struct {
		const char *name, *def;
	} js[] = {
		{ "idle_conn_expiry", "120000" },
		{ "idle_conn_fast_expiry", "2000" },
	};
	char v[64], ms[32];
	size_t i;
	int m;

	load(_metadata);
	for (i = 0; i < sizeof(js) / sizeof(js[0]); i++) {
		const char *name = js[i].name;

		ASSERT_EQ(0, get(name, v, sizeof(v))) TH_LOG("%s", name);
		EXPECT_STREQ(js[i].def, v) TH_LOG("%s default", name);
		EXPECT_EQ(-EINVAL, put(name, "0")) TH_LOG("%s 0", name);
		EXPECT_EQ(-EINVAL, put(name, "-1")) TH_LOG("%s -1", name);
		for (m = 1; m <= 1000; m++) {
			snprintf(ms, sizeof(ms), "%d", m);
			if (!put(name, ms))
				break;
		}
		/* HZ is 100 to 1000: a jiffy is 1 to 10 ms. */
		EXPECT_GE(10, m) TH_LOG("%s: smallest value taken %d ms", name, m);
		if (m > 1) {
			snprintf(v, sizeof(v), "%d", m - 1);
			EXPECT_EQ(-EINVAL, put(name, v)) TH_LOG("%s %s", name, v);
		}
		EXPECT_EQ(0, get(name, v, sizeof(v)));
		EXPECT_EQ(m, atoi(v)) TH_LOG("%s: one jiffy reads %s", name, v);
		EXPECT_EQ(0, put_get(name, "86400000", v, sizeof(v))) TH_LOG("%s", name);
		EXPECT_STREQ("86400000", v);
		EXPECT_EQ(0, put_get(name, "1000000000000000", v, sizeof(v))) TH_LOG("%s", name);
		EXPECT_STREQ("1000000000000000", v);
		EXPECT_EQ(0, put(name, js[i].def)) TH_LOG("%s restore", name);
	}
}

/* What the ACKs from one UDP port said in their trailers. */
struct trailers {
	int acks;		/* ACKs with a trailer */
	int other_mtu;		/* ... whose maxMTU was not the one expected */
	int other_jumbo;	/* ... whose jumbo_max was not the one expected */
	uint32_t mtu, jumbo;	/* the last seen */
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Reads what was captured: the ACK trailers sent from port sport. */
static void cap_acks(int fd, int sport, uint32_t mtu, uint32_t jumbo,
		     struct trailers *t)
{
	uint8_t pkt[2048];
	int n;

	memset(t, 0, sizeof(*t));
	while ((n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT)) > 0) {
		int ihl = (pkt[0] & 15) * 4, at;
		uint8_t *rx;

		if (n < ihl + 8 + 28 + 18 || pkt[9] != IPPROTO_UDP)
			continue;
		if ((pkt[ihl] << 8 | pkt[ihl + 1]) != sport)
			continue;
		rx = pkt + ihl + 8;
		if (rx[20] != 2)	/* ACK */
			continue;
		/* header, ACK body, nAcks soft-ACKs, 3 bytes of padding */
		at = 28 + 18 + rx[28 + 17] + 3;
		if (n < ihl + 8 + at + 16)
			continue;
		t->acks++;
		t->mtu = be32(rx + at);
		t->jumbo = be32(rx + at + 12);
		t->other_mtu += t->mtu != mtu;
		t->other_jumbo += t->jumbo != jumbo;
	}
}

/*
 * One call from a client bound to 127.0.0.1:cport to the service s at
 * srv, which it charges with call id sid; the client socket is returned
 * open (or -1).
 */
static int one_call(struct __test_metadata *_metadata, int s,
		    const struct sockaddr_rxrpc *srv, unsigned long sid, int cport)
{
	struct sockaddr_rxrpc me;
	struct rx_res res;
	char buf[64];
	int c;

	if (rx_charge(s, sid))
		return -1;
	c = rx_socket(PF_INET);
	rx_addr4(&me, "127.0.0.1", cport, 0);
	if (c < 0 || rx_bind(c, &me)) {
		if (c >= 0)
			close(c);
		return -1;
	}
	EXPECT_EQ(3, rx_send(c, 1, srv, "req", 3, 0));
	EXPECT_EQ(3, rx_recv_wait(s, buf, sizeof(buf), &res));
	EXPECT_EQ(sid, res.id);
	EXPECT_EQ(5, rx_send(s, sid, NULL, "reply", 5, 0));
	EXPECT_EQ(5, rx_recv_wait(c, buf, sizeof(buf), &res));
	/* The service call ends with the client's final ACK. */
	EXPECT_EQ(0, rx_recv_wait(s, buf, sizeof(buf), &res));
	EXPECT_TRUE(res.ack);
	return c;
}

/*
 * rx_mtu and rx_jumbo_max are what the ACK trailer advertises (maxMTU and
 * jumbo_max), in both modules: the client's final ACK shows them, by
 * default (5692 and 4 on rxrpc.ko, 65160 and 46 on ours) and after a
 * change.
 */
TEST(ack_trailer)
{
	struct {
		const char *mtu, *jumbo;
	} runs[] = { { def_mtu(), def_jumbo() }, { "3000", "2" } };
	struct sockaddr_rxrpc srv;
	struct trailers t;
	size_t i;
	int cap, s, c;

	load(_metadata);
	cap = rx_cap_open();
	if (cap < 0)
		SKIP(return, "no packet socket: %s", strerror(-cap));
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		ASSERT_EQ(0, put("rx_mtu", runs[i].mtu));
		ASSERT_EQ(0, put("rx_jumbo_max", runs[i].jumbo));
		while (recv(cap, &t, sizeof(t), MSG_DONTWAIT) > 0)
			;
		/* New endpoints each time, on ports of their own. */
		rx_addr4(&srv, "127.0.0.1", rx_port(2 * i), SVC);
		s = rx_server(&srv, 4, 100, 0);
		ASSERT_LE(0, s);
		c = one_call(_metadata, s, &srv, 100, rx_port(1 + 2 * i));
		ASSERT_LE(0, c);
		usleep(100000);
		cap_acks(cap, rx_port(1 + 2 * i), atoi(runs[i].mtu),
			 atoi(runs[i].jumbo), &t);
		close(c);
		close(s);
		TH_LOG("rx_mtu %s, rx_jumbo_max %s: %d ACKs from the client, last %u/%u",
		       runs[i].mtu, runs[i].jumbo, t.acks, t.mtu, t.jumbo);
		EXPECT_LT(0, t.acks);
		EXPECT_EQ(0, t.other_mtu);
		EXPECT_EQ(0, t.other_jumbo);
	}
	close(cap);
	EXPECT_EQ(0, put("rx_mtu", def_mtu()));
	EXPECT_EQ(0, put("rx_jumbo_max", def_jumbo()));
}

/* What the DATA datagrams from one UDP port were made of. */
struct jumbos {
	int datagrams;		/* DATA datagrams */
	int jumbos;		/* ... of more than one subpacket */
	int most;		/* most subpackets in one */
	int longest;		/* longest UDP payload */
	int bad;		/* jumbos not laid out as the wire format says */
	int segmented;		/* UDP GSO packets of several DATA datagrams */
};

/* A DATA datagram of one full packet: what a UDP GSO packet of ours holds. */
#define FULL_DATA (28 + 1412)

/*
 * Reads what was captured: the DATA from port sport, each jumbo checked:
 * every subpacket but the last has JUMBO set, 1412 bytes and no
 * LAST_PACKET, and a 4-byte header before the next. Loopback's capture
 * sees a UDP GSO packet before it is split: one longer than a packet and
 * not a jumbo is datagrams of FULL_DATA bytes, the last perhaps shorter,
 * each counted, and checked to be the DATA packet after the one before
 * (same call, next seq and serial).
 */
static void cap_data(int fd, int sport, struct jumbos *j)
{
	static uint8_t pkt[70000];
	int n;

	memset(j, 0, sizeof(*j));
	while ((n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT)) > 0) {
		int ihl = (pkt[0] & 15) * 4, len, at, subs = 1;
		uint8_t *rx, flags;

		if (n < ihl + 8 + 28 || pkt[9] != IPPROTO_UDP)
			continue;
		if ((pkt[ihl] << 8 | pkt[ihl + 1]) != sport)
			continue;
		rx = pkt + ihl + 8;
		len = n - ihl - 8;
		if (rx[20] != 1)	/* DATA */
			continue;
		if (len > 1444 && !(rx[21] & 0x20)) {
			j->segmented++;
			for (at = FULL_DATA; at < len; at += FULL_DATA) {
				uint8_t *seg = rx + at, *prev = seg - FULL_DATA;

				if (len - at < 28 || seg[20] != 1 || (seg[21] & 0x20) ||
				    memcmp(seg, prev, 12) ||
				    be32(seg + 12) != be32(prev + 12) + 1 ||
				    be32(seg + 16) != be32(prev + 16) + 1)
					j->bad++;
				j->datagrams++;
			}
			len = FULL_DATA;
		}
		j->datagrams++;
		if (len > j->longest)
			j->longest = len;
		flags = rx[21];
		for (at = 28; flags & 0x20; subs++) {
			if ((flags & 0x04) || at + 1412 + 4 > len) {
				j->bad++;
				break;
			}
			at += 1412;
			flags = rx[at];
			at += 4;
		}
		if (subs > 1)
			j->jumbos++;
		if (subs > j->most)
			j->most = subs;
	}
}

/*
 * The number after field on the line of file path that starts with line,
 * or -1.
 */
static long long proc_number(const char *path, const char *line, const char *field)
{
	char buf[512];
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f)) {
		char *p = strstr(buf, field);

		if (!strncmp(buf, line, strlen(line)) && p)
			v = atoll(p + strlen(field));
	}
	fclose(f);
	return v;
}

/* The "jumbo=" count on the "Data-Rx  :" line of stats. */
static long long rx_jumbo_count(void)
{
	return proc_number("/proc/net/rxrpc/stats", "Data-Rx  :", " jumbo=");
}

/* Ours: DATA datagrams sent by reference (field "datagrams") or copied. */
static long long tx_ref_count(const char *field)
{
	return proc_number("/proc/net/rxrpc/stats", "Tx-Ref   :", field);
}

/* Udp6OutDatagrams of /proc/net/snmp6: sends of UDP over IPv6. */
static long long udp6_out(void)
{
	return proc_number("/proc/net/snmp6", "Udp6OutDatagrams", "Udp6OutDatagrams");
}

/*
 * A 256 KiB request filled from seed, from client c to the service s at
 * srv (from a child, so that neither end waits on the other), read whole
 * and checked, and answered "ok": 0, or the line that found it wrong.
 */
static int request_256k(int s, int c, const struct sockaddr_rxrpc *srv, uint32_t seed)
{
	static char req[256 << 10], got[256 << 10];
	struct rx_res res;
	int status;
	pid_t pid;

	rx_fill(req, sizeof(req), seed);
	pid = fork();
	if (pid < 0)
		return __LINE__;
	if (!pid)
		_exit(rx_send(c, 1, srv, req, sizeof(req), 0) != sizeof(req));
	if (rx_read_phase(s, 100, got, sizeof(got), &res) != (long)sizeof(got)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return __LINE__;
	}
	if (waitpid(pid, &status, 0) != pid || status)
		return __LINE__;
	if (rx_check(got, sizeof(got), seed, 0) != -1)
		return __LINE__;
	if (rx_send(s, 100, NULL, "ok", 2, 0) != 2 ||
	    rx_recv_wait(c, got, sizeof(got), &res) != 2)
		return __LINE__;
	return 0;
}

/*
 * A service on [::1] at rx_port(port), charged, in *s, and in *c a client
 * socket bound to [::1] at rx_port(port + 1); -1 if either fails.
 */
static int ipv6_pair(int port, struct sockaddr_rxrpc *srv, int *s, int *c)
{
	struct sockaddr_rxrpc me;

	rx_addr6(srv, "::1", rx_port(port), SVC);
	*s = rx_server(srv, 4, 100, 1);
	*c = rx_socket(PF_INET6);
	rx_addr6(&me, "::1", rx_port(port + 1), 0);
	return *s < 0 || *c < 0 || rx_bind(*c, &me) ? -1 : 0;
}

/*
 * The same over IPv6 with single packets only (rx_jumbo_max 1): the
 * request arrives byte for byte, and ours hands its DATA to the stack in
 * runs (UDP GSO packets, which the socket counts as one send each), so
 * the sends are fewer than the 186 DATA packets; C sends each alone, and
 * every ACK besides.
 */
TEST(gso_tx_ipv6)
{
	struct sockaddr_rxrpc srv;
	long long before, sends;
	int s, c;

	load(_metadata);
	if (udp6_out() < 0)
		SKIP(return, "no /proc/net/snmp6");
	ASSERT_EQ(0, put("rx_jumbo_max", "1"));
	ASSERT_EQ(0, ipv6_pair(30, &srv, &s, &c));
	before = udp6_out();
	EXPECT_EQ(0, request_256k(s, c, &srv, 9));
	sends = udp6_out() - before;
	close(c);
	close(s);
	EXPECT_EQ(0, put("rx_jumbo_max", def_jumbo()));
	TH_LOG("%s: 186 DATA in %lld UDP sends (ACKs included)", rxrpc_impl(), sends);
	if (strcmp(rxrpc_impl(), "c")) {
		EXPECT_GT(186, sends);
	} else {
		EXPECT_LE(186, sends);
	}
}

/*
 * Field name of the two lines of /proc/net/snmp that start with line (the
 * names, then the values), or -1.
 */
static long long snmp_field(const char *line, const char *name)
{
	char names[1024], values[1024], *n, *v, *ns, *vs;
	long long r = -1;
	FILE *f = fopen("/proc/net/snmp", "r");

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f)) {
		if (strncmp(names, line, strlen(line)))
			continue;
		if (!fgets(values, sizeof(values), f))
			break;
		n = strtok_r(names, " \n", &ns);
		v = strtok_r(values, " \n", &vs);
		while (n && v && strcmp(n, name)) {
			n = strtok_r(NULL, " \n", &ns);
			v = strtok_r(NULL, " \n", &vs);
		}
		if (n && v)
			r = atoll(v);
		break;
	}
	fclose(f);
	return r;
}

/*
 * Jumbo packets over IPv6 on loopback: a 256 KiB request arrives byte for
 * byte, in jumbo DATA, which ours sends by reference. 6.12's rxrpc.ko
 * sends no jumbo packets, so on it only the request is checked.
 */
TEST(jumbo_tx_ipv6)
{
	struct sockaddr_rxrpc srv;
	long long jumbos, by_ref;
	int s, c;

	load(_metadata);
	ASSERT_EQ(0, ipv6_pair(32, &srv, &s, &c));
	jumbos = rx_jumbo_count();
	by_ref = tx_ref_count(" datagrams=");
	EXPECT_EQ(0, request_256k(s, c, &srv, 11));
	jumbos = rx_jumbo_count() - jumbos;
	by_ref = tx_ref_count(" datagrams=") - by_ref;
	close(c);
	close(s);
	TH_LOG("%s: %lld jumbo DATA counted in, %lld datagrams by reference",
	       rxrpc_impl(), jumbos, by_ref);
	if (strcmp(rxrpc_impl(), "c")) {
		EXPECT_LT(100, jumbos);
		EXPECT_LT(0, by_ref);
	}
}

/*
 * A route narrower than a full DATA packet (1,468 bytes of IP), as a
 * tunnel's or a VPN's is: a 256 KiB request over one of 1,400 bytes
 * arrives whole. Ours cuts its packets to fit the route, so IP fragments
 * none; 6.12's rxrpc.ko sends full packets without DF and IP fragments
 * every one.
 */
TEST(narrow_route)
{
	struct sockaddr_rxrpc srv, me;
	long long before, frags;
	int s, c, err;

	load(_metadata);
	if (snmp_field("Ip:", "FragCreates") < 0)
		SKIP(return, "no FragCreates in /proc/net/snmp");
	if (system("ip route add local 127.0.0.7/32 dev lo table local mtu 1400"))
		SKIP(return, "cannot add a route with an MTU");
	rx_addr4(&srv, "127.0.0.7", rx_port(40), SVC);
	s = rx_server(&srv, 4, 100, 1);
	c = rx_socket(PF_INET);
	rx_addr4(&me, "127.0.0.1", rx_port(41), 0);
	before = snmp_field("Ip:", "FragCreates");
	err = s < 0 || rx_bind(c, &me) ? -1 : request_256k(s, c, &srv, 13);
	frags = snmp_field("Ip:", "FragCreates") - before;
	close(c);
	close(s);
	EXPECT_EQ(0, system("ip route del local 127.0.0.7/32 dev lo table local"));
	EXPECT_EQ(0, err);
	TH_LOG("%s: %lld IP fragments for a 256 KiB request", rxrpc_impl(), frags);
	if (strcmp(rxrpc_impl(), "c")) {
		EXPECT_EQ(0, frags);
	} else {
		EXPECT_LT(0, frags);
	}
}

/*
 * rx_jumbo_max, advertised by the service, bounds the jumbo packets a
 * client sends it: on loopback (MTU 65536) a 256 KiB request goes in
 * jumbos of up to that many subpackets, laid out as the wire format says,
 * and the service counts them in as jumbo DATA; at 1, single packets
 * only, which ours hands the stack in runs (UDP GSO packets, split into
 * datagrams of one packet each). The first bound is the module's default
 * (46), above the 43 ours sends at most (its DATA goes by reference in an
 * skb's 17 fragments, and 46 would take 18): ours sends those jumbos by
 * reference, none copied. 6.12's rxrpc.ko sends no jumbo packets (mainline
 * does since 6.14) and no GSO packets, so on it only the bound is checked.
 */
#define OUR_TX_JUMBO_MAX 43

TEST(jumbo_tx)
{
	const int maxes[] = { atoi(def_jumbo()), 4, 2, 1 };
	static char drained[70000];
	struct sockaddr_rxrpc srv, me;
	struct jumbos j;
	long long before, by_ref, by_copy;
	int cap, s, c, most;
	size_t i;

	load(_metadata);
	cap = rx_cap_open();
	if (cap < 0)
		SKIP(return, "no packet socket: %s", strerror(-cap));
	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		char v[8];

		snprintf(v, sizeof(v), "%d", maxes[i]);
		ASSERT_EQ(0, put("rx_jumbo_max", v));
		rx_addr4(&srv, "127.0.0.1", rx_port(10 + 2 * i), SVC);
		s = rx_server(&srv, 4, 100, 1);
		ASSERT_LE(0, s);
		c = rx_socket(PF_INET);
		rx_addr4(&me, "127.0.0.1", rx_port(11 + 2 * i), 0);
		ASSERT_EQ(0, rx_bind(c, &me));
		while (recv(cap, drained, sizeof(drained), MSG_DONTWAIT) > 0)
			;
		before = rx_jumbo_count();
		by_ref = tx_ref_count(" datagrams=");
		by_copy = tx_ref_count(" copied=");
		EXPECT_EQ(0, request_256k(s, c, &srv, 7));
		by_ref = tx_ref_count(" datagrams=") - by_ref;
		by_copy = tx_ref_count(" copied=") - by_copy;
		cap_data(cap, rx_port(11 + 2 * i), &j);
		TH_LOG("rx_jumbo_max %d: %d DATA datagrams (%d UDP GSO packets), %d jumbos, at most %d subpackets, longest %d B, %lld jumbo DATA counted in",
		       maxes[i], j.datagrams, j.segmented, j.jumbos, j.most,
		       j.longest, rx_jumbo_count() - before);
		close(c);
		close(s);
		EXPECT_LT(0, j.datagrams);
		EXPECT_EQ(0, j.bad);
		EXPECT_GE(maxes[i], j.most);
		if (maxes[i] == 1 || !strcmp(rxrpc_impl(), "c")) {
			EXPECT_EQ(0, j.jumbos);
			EXPECT_GE(FULL_DATA, j.longest);
			/*
			 * Ours sends runs of them as UDP GSO packets where no
			 * jumbo packets go; C sends each alone.
			 */
			if (maxes[i] == 1 && strcmp(rxrpc_impl(), "c")) {
				EXPECT_LT(0, j.segmented);
			} else {
				EXPECT_EQ(0, j.segmented);
			}
			continue;
		}
		/* 186 packets: all but the first few go in full jumbos. */
		most = maxes[i] < OUR_TX_JUMBO_MAX ? maxes[i] : OUR_TX_JUMBO_MAX;
		EXPECT_EQ(most, j.most);
		EXPECT_GT(186 / most + 16, j.datagrams);
		EXPECT_LE(j.jumbos, rx_jumbo_count() - before);
		if (i == 0) {
			TH_LOG("jumbos of up to %d: %lld datagrams by reference, %lld copied",
			       most, by_ref, by_copy);
			EXPECT_LT(0, by_ref);
			EXPECT_EQ(0, by_copy);
		}
	}
	close(cap);
	EXPECT_EQ(0, put("rx_jumbo_max", def_jumbo()));
}

/* Whether /proc/net/rxrpc/conns has a row from local to remote. */
static int has_conn(const char *local, const char *remote)
{
	char line[512], a[80], b[80];
	FILE *f = fopen("/proc/net/rxrpc/conns", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "UDP %79s %79s", a, b) == 2 &&
		    !strcmp(a, local) && !strcmp(b, remote))
			found = 1;
	fclose(f);
	return found;
}

/* Sends a datagram too short for RxRPC to 127.0.0.1:port. */
static void poke(int port)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	int u = socket(AF_INET, SOCK_DGRAM, 0);

	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (u >= 0) {
		sendto(u, "poke", 4, 0, (struct sockaddr *)&to, sizeof(to));
		close(u);
	}
}

/*
 * idle_conn_expiry: a client connection left idle stays listed in
 * /proc/net/rxrpc/conns for 2 minutes by default, and goes within a few
 * seconds once the setting is 1 s (the client socket stays open).
 *
 * The C module's reap timer sets RXRPC_CLIENT_CONN_REAP_TIMER but wakes
 * the I/O thread only if the flag was set already (test_and_set_bit in
 * local_object.c), so an idle endpoint discards nothing until its I/O
 * thread wakes for something else: a stray datagram to the client's
 * port, every half second, is that something (ours drops it as "short").
 */
TEST(idle_conn_expiry)
{
	char sa[64], ca[64], old[32];
	struct sockaddr_rxrpc srv;
	int s, c, i, gone = 0;

	load(_metadata);
	ASSERT_EQ(0, get("idle_conn_expiry", old, sizeof(old)));
	rx_addr4(&srv, "127.0.0.1", rx_port(0), SVC);
	s = rx_server(&srv, 4, 100, 0);
	ASSERT_LE(0, s);
	snprintf(sa, sizeof(sa), "127.0.0.1:%d", rx_port(0));

	/* The default: still there after 3 s. */
	snprintf(ca, sizeof(ca), "127.0.0.1:%d", rx_port(1));
	c = one_call(_metadata, s, &srv, 100, rx_port(1));
	ASSERT_LE(0, c);
	EXPECT_EQ(1, has_conn(ca, sa));
	sleep(3);
	EXPECT_EQ(1, has_conn(ca, sa)) TH_LOG("gone before its 2 minutes");
	close(c);

	/* 1 s: gone within 10 s. */
	ASSERT_EQ(0, put("idle_conn_expiry", "1000"));
	snprintf(ca, sizeof(ca), "127.0.0.1:%d", rx_port(2));
	c = one_call(_metadata, s, &srv, 101, rx_port(2));
	if (c < 0)
		put("idle_conn_expiry", old);
	ASSERT_LE(0, c);
	for (i = 0; i < 10 * 1000000 / POLL_US; i++) {
		if (has_conn(ca, sa) == 0) {
			gone = 1;
			break;
		}
		if (i % 10 == 9)
			poke(rx_port(2));
		usleep(POLL_US);
	}
	TH_LOG("idle_conn_expiry 1000: gone after %d ms", i * POLL_US / 1000);
	EXPECT_TRUE(gone);
	close(c);
	close(s);
	EXPECT_EQ(0, put("idle_conn_expiry", old));
}

/* The named counter on a "Rx-Drop  :" or "Rx-Queue :" line of stats. */
static long long drop_count(const char *name)
{
	char line[512], key[40];
	long long v = -1;
	FILE *f = fopen("/proc/net/rxrpc/stats", "r");

	if (!f)
		return -1;
	snprintf(key, sizeof(key), " %s=", name);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, key);

		if ((!strncmp(line, "Rx-Drop  :", 10) || !strncmp(line, "Rx-Queue :", 10)) && p)
			v = atoll(p + strlen(key));
	}
	fclose(f);
	return v;
}

/*
 * Ours: every received packet the module drops is counted by why in
 * /proc/net/rxrpc/stats, after C's lines. A datagram too short for a
 * header counts as "short", a DEBUG packet not from a client (a client's
 * is rxdebug's query, which is answered) as "unused", an ACK for a
 * connection we do not have as "noconn".
 */
TEST(drops_counted_by_reason)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t pkt[28 + 18] = { 0x80, 0, 0, 1, 0, 0, 0, 0x40, 0, 0, 0, 1 };
	long long before[3], after[3];
	static const char *const names[] = { "short", "unused", "noconn" };
	struct sockaddr_rxrpc srv;
	int s, u, i;

	OURS_ONLY("the C module has no drop counters");
	rx_addr4(&srv, "127.0.0.1", rx_port(3), SVC);
	s = rx_server(&srv, 4, 100, 0);
	ASSERT_LE(0, s);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, u);
	to.sin_port = htons(rx_port(3));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 3; i++) {
		before[i] = drop_count(names[i]);
		ASSERT_LE(0, before[i]) TH_LOG("no %s= in stats", names[i]);
	}
	ASSERT_LE(0, drop_count("unread"));
	/* Too short for a header. */
	ASSERT_EQ(5, sendto(u, pkt, 5, 0, (struct sockaddr *)&to, sizeof(to)));
	/* DEBUG (type 8), not from a client (no flag 1), call 1, service SVC. */
	pkt[20] = 8;
	pkt[21] = 0;
	pkt[26] = SVC >> 8;
	pkt[27] = SVC & 0xff;
	ASSERT_EQ(36, sendto(u, pkt, 36, 0, (struct sockaddr *)&to, sizeof(to)));
	/* ACK (type 2), from a client, for a connection the service does not have. */
	pkt[20] = 2;
	pkt[21] = 1;
	ASSERT_EQ((int)sizeof(pkt),
		  sendto(u, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)));
	for (i = 0; i < 100; i++) {
		int j, done = 1;

		for (j = 0; j < 3; j++) {
			after[j] = drop_count(names[j]);
			done &= after[j] > before[j];
		}
		if (done)
			break;
		usleep(POLL_US);
	}
	TH_LOG("short %lld -> %lld, unused %lld -> %lld, noconn %lld -> %lld",
	       before[0], after[0], before[1], after[1], before[2], after[2]);
	EXPECT_LT(before[0], after[0]);
	EXPECT_LT(before[1], after[1]);
	EXPECT_LT(before[2], after[2]);
	close(u);
	close(s);
}

TEST_HARNESS_MAIN
